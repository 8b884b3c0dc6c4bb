// Best-bin-first search over the trees of a RandomizedKDForest (Beis & Lowe,
// "Shape indexing using approximate nearest-neighbour search in
// high-dimensional spaces", CVPR 1997; shared across trees as in Silpa-Anan
// & Hartley 2008): one priority queue of unexplored branches of every tree,
// ordered by a lower bound on the distance from the query to the branch's
// cell; the search descends from the closest branch to a leaf, queueing the
// far sides on the way, until `checks` points have been examined (and k
// found) or the closest branch cannot beat the k-th best.
//
// The bound is Arya & Mount's incremental one, exact: each queued branch
// keeps a record (parent record, dimension, term) of where its path left
// the query's side, and popping it restores the per-dimension terms from
// its chain. So with an unlimited budget the search is exact, and with a
// budget it examines a prefix of the points the unlimited search examines,
// in the same order (recall cannot fall as checks grow).
#ifndef MLPRIM_NEIGHBORS_DETAIL_FOREST_SEARCH_HPP
#define MLPRIM_NEIGHBORS_DETAIL_FOREST_SEARCH_HPP

#include <algorithm>
#include <cstdint>
#include <limits>
#include <queue>
#include <type_traits>
#include <vector>

#include "mlprim/core/types.hpp"
#include "mlprim/neighbors/detail/distance.hpp"
#include "mlprim/neighbors/detail/forest_tree.hpp"
#include "mlprim/neighbors/detail/nearest_set.hpp"

namespace mlprim::detail {

/// The accumulated distance type of a forest over Scalar points: exact
/// 32-bit integers for bytes, Scalar otherwise.
template <class Scalar>
using ForestAcc = std::conditional_t<std::is_integral_v<Scalar>, std::int32_t, Scalar>;

/// Per-thread scratch of a forest search, reused across queries.
template <class Scalar>
struct ForestWorkspace {
  using Cut = ForestCut<Scalar>;
  struct Branch {
    Cut bound;
    std::int32_t tree, node, record;
    bool operator<(const Branch& o) const {  // std::priority_queue is a max-heap
      return bound > o.bound || (bound == o.bound && (tree > o.tree || (tree == o.tree && node > o.node)));
    }
  };
  struct Record {
    std::int32_t parent, dim;
    Cut term;
  };
  explicit ForestWorkspace(Index n, Index d)
      : seen(static_cast<std::size_t>(n)), offsets(static_cast<std::size_t>(d)), set_at(static_cast<std::size_t>(d)) {}
  std::vector<std::uint32_t> seen;  // seen[i] == stamp: point i examined for this query
  std::uint32_t stamp = 0;
  std::vector<Cut> offsets;            // offsets[j] valid when set_at[j] == restore
  std::vector<std::uint32_t> set_at;
  std::uint32_t restore = 0;
  std::vector<Record> records;
  std::vector<Branch> heap;

  /// A fresh query: no point seen, no branch queued.
  void next_query() {
    if (++stamp == 0) {  // wrapped after 2^32 queries: clear for real
      std::fill(seen.begin(), seen.end(), 0u);
      stamp = 1;
    }
    records.clear();
    heap.clear();
  }
};

/// The k nearest points of `points` (n x d, row-major) to q over `trees`,
/// into `set` (which holds point indices); examines at most `checks`
/// points once k are found (0: no limit), pruning branches whose bound
/// times `factor` exceeds the k-th best.
template <class Scalar, class Metric>
void forest_knn(const std::vector<ForestTree<Scalar>>& trees, const Scalar* points, Index d,
                const Metric& metric, const Scalar* q, NearestSet<ForestAcc<Scalar>>& set,
                Index checks, ForestCut<Scalar> factor, ForestWorkspace<Scalar>& work) {
  using Cut = ForestCut<Scalar>;
  using Acc = ForestAcc<Scalar>;
  using Branch = typename ForestWorkspace<Scalar>::Branch;
  work.next_query();
  auto distance = [&](std::int32_t i, Acc bound) -> Acc {
    const Scalar* p = points + Index{i} * d;
    if constexpr (std::is_integral_v<Scalar>)
      return byte_distance(metric, q, p, d, bound);
    else
      return point_distance<Eigen::Dynamic>(metric, q, p, d, static_cast<const Scalar*>(nullptr), bound);
  };
  // A little slack so rounding in the bound never prunes a tie.
  const Cut slack = 1 + 16 * std::numeric_limits<Cut>::epsilon();
  auto hopeless = [&](Cut bound) { return bound * factor > static_cast<Cut>(set.bound()) * slack; };
  auto push = [&](Branch b) {
    work.heap.push_back(b);
    std::push_heap(work.heap.begin(), work.heap.end());
  };
  for (std::size_t t = 0; t < trees.size(); ++t)
    if (!trees[t].nodes.empty()) push({Cut(0), static_cast<std::int32_t>(t), 0, -1});
  Index examined = 0;
  while (!work.heap.empty()) {
    const Branch branch = work.heap.front();
    std::pop_heap(work.heap.begin(), work.heap.end());
    work.heap.pop_back();
    if (hopeless(branch.bound)) break;  // every other branch is at least as far
    if (checks > 0 && examined >= checks && set.count() == set.capacity()) break;
    // The per-dimension terms of this branch's cell: the newest record of
    // each dimension along its chain.
    ++work.restore;
    if (work.restore == 0) {
      std::fill(work.set_at.begin(), work.set_at.end(), 0u);
      work.restore = 1;
    }
    for (std::int32_t r = branch.record; r >= 0; r = work.records[static_cast<std::size_t>(r)].parent) {
      const auto& rec = work.records[static_cast<std::size_t>(r)];
      const auto j = static_cast<std::size_t>(rec.dim);
      if (work.set_at[j] != work.restore) {
        work.set_at[j] = work.restore;
        work.offsets[j] = rec.term;
      }
    }
    auto offset = [&](std::size_t j) { return work.set_at[j] == work.restore ? work.offsets[j] : Cut(0); };
    const auto& tree = trees[static_cast<std::size_t>(branch.tree)];
    std::int32_t id = branch.node;
    for (;;) {
      const auto& node = tree.nodes[static_cast<std::size_t>(id)];
      if (node.dim < 0) {
        for (std::int32_t s = node.child; s < node.child - node.dim; ++s) {
          const std::int32_t i = tree.order[static_cast<std::size_t>(s)];
          auto& mark = work.seen[static_cast<std::size_t>(i)];
          if (mark == work.stamp) continue;
          mark = work.stamp;
          ++examined;
          set.offer(distance(i, set.bound()), i);
        }
        break;
      }
      const auto j = static_cast<std::size_t>(node.dim);
      const Cut diff = static_cast<Cut>(q[j]) - node.cut;
      const bool left = diff < 0;
      const Cut term = metric.term(diff);
      const Cut far = branch.bound - offset(j) + term;
      if (!hopeless(far)) {
        work.records.push_back({branch.record, node.dim, term});
        push({far, branch.tree, node.child + (left ? 1 : 0),
              static_cast<std::int32_t>(work.records.size() - 1)});
      }
      id = node.child + (left ? 0 : 1);
    }
  }
}

}  // namespace mlprim::detail

#endif  // MLPRIM_NEIGHBORS_DETAIL_FOREST_SEARCH_HPP
