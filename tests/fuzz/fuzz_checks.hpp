// The properties every loaded k-d tree (static or dynamic) must have, checked
// by the tree fuzz targets after a successful load.
#ifndef MLPRIM_TESTS_FUZZ_FUZZ_CHECKS_HPP
#define MLPRIM_TESTS_FUZZ_FUZZ_CHECKS_HPP

#include <algorithm>
#include <limits>
#include <type_traits>
#include <vector>

#include "fuzz_targets.hpp"

namespace mlprim::fuzz {

/// Four fixed query points in [0, 1)^d (inside any periodic box of 1).
template <class T>
RowMatrix<T> query_points(Index d) {
  Rng rng(7);
  RowMatrix<T> q(4, d);
  fill_uniform(q, rng);
  return q;
}

/// Whether the tree reports `id` for a point: a live id (dynamic) or a row.
template <class Tree>
auto contains_probe(const Tree& tree, Index id, int) -> decltype(tree.contains(id)) {
  return tree.contains(id);
}
template <class Tree>
bool contains_probe(const Tree& tree, Index id, long) {
  return id >= 0 && id < tree.size();
}

/// kNN, radius and box queries of `tree` agree with each other.
template <class Tree>
void check_tree(const Tree& tree) {
  using T = typename Tree::Points::Scalar;
  const Index d = tree.dimension();  // a fixed Dim's loader rejected any other
  const Index n = tree.size();
  if (n == 0) return;
  const RowMatrix<T> queries = query_points<T>(d);
  const auto all = tree.knn(queries, n);
  const Index k = std::min<Index>(3, n);
  const auto few = tree.knn(queries, k);
  for (Index i = 0; i < queries.rows(); ++i) {
    std::vector<Index> ids(all.indices.row(i).data(), all.indices.row(i).data() + n);
    for (Index j = 0; j < n; ++j) {
      require(contains_probe(tree, ids[static_cast<std::size_t>(j)], 0), "a valid index");
      require(all.distances(i, j) >= 0, "a non-negative distance");
      if (j > 0) require(all.distances(i, j - 1) <= all.distances(i, j), "sorted distances");
    }
    std::sort(ids.begin(), ids.end());
    require(std::adjacent_find(ids.begin(), ids.end()) == ids.end(), "each point once");
    require(few.indices.row(i) == all.indices.row(i).head(k), "k nearest = a prefix of all");
    require(few.distances.row(i) == all.distances.row(i).head(k), "their distances too");
    const T r = all.distances(i, k - 1);
    const auto within = tree.radius(queries.row(i), r);
    Index below = 0;
    for (Index j = 0; j < n; ++j) below += all.distances(i, j) < r * T(1 - 1e-5);
    require(static_cast<Index>(within.size()) >= below, "radius finds the closer points");
    for (const auto& nb : within) require(nb.distance <= r, "radius stays within r");
  }
  constexpr T inf = std::numeric_limits<T>::infinity();
  const Vector<T> lower = Vector<T>::Constant(d, -inf), upper = Vector<T>::Constant(d, inf);
  const auto inside = tree.box(lower, upper);
  require(static_cast<Index>(inside.size()) == n, "a box around everything holds every point");
  require(std::adjacent_find(inside.begin(), inside.end()) == inside.end(), "box ids once");
}

/// Two trees give the same kNN answers.
template <class Tree>
void check_same_answers(const Tree& a, const Tree& b) {
  require(a.size() == b.size(), "a reload keeps the size");
  if (a.size() == 0) return;
  using T = typename Tree::Points::Scalar;
  const RowMatrix<T> queries = query_points<T>(a.dimension());
  const Index k = std::min<Index>(3, a.size());
  const auto x = a.knn(queries, k), y = b.knn(queries, k);
  require(x.indices == y.indices && x.distances == y.distances, "a reload answers the same");
}

}  // namespace mlprim::fuzz

#endif  // MLPRIM_TESTS_FUZZ_FUZZ_CHECKS_HPP
