// One randomized k-d tree of RandomizedKDForest (Silpa-Anan & Hartley,
// "Optimised KD-trees for fast image descriptor matching", CVPR 2008; the
// construction of FLANN's KDTreeIndex): each node splits at the mean of a
// dimension drawn at random among the `top_dims` dimensions of highest
// variance, both estimated on a sample of the node's points. The tree
// holds only a permutation of the point indices (leaves are runs of it) and
// its nodes; the points live once in the forest.
#ifndef MLPRIM_NEIGHBORS_DETAIL_FOREST_TREE_HPP
#define MLPRIM_NEIGHBORS_DETAIL_FOREST_TREE_HPP

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/core/random.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/neighbors/detail/tree_build.hpp"
#include "mlprim/neighbors/detail/tree_layout.hpp"

namespace mlprim::detail {

/// The cut type of a forest over Scalar points: float for bytes (a mean of
/// bytes is fractional), Scalar otherwise.
template <class Scalar>
using ForestCut = std::conditional_t<std::is_integral_v<Scalar>, float, Scalar>;

/// A randomized tree. Node: dim >= 0 splits along dim at `cut`, with every
/// point of the left child (`child`) <= cut and of the right (`child + 1`)
/// >= cut along dim; a leaf has dim = -count and holds order[child ..
/// child + count).
template <class Scalar>
struct ForestTree {
  using Cut = ForestCut<Scalar>;
  struct Node {
    std::int32_t dim;
    std::int32_t child;
    Cut cut;
  };
  std::vector<std::int32_t> order;
  std::vector<Node> nodes;
};

/// Points sampled per node for the mean and variance (FLANN's 100).
inline constexpr Index forest_sample_size = 100;

/// Builds one tree over the n rows of `points` (row-major, d columns):
/// leaves of at most leaf_size points (identical points may share a bigger
/// one), the random dimension choices drawn from `rng` in depth-first
/// order, median splits from median_split_depth(n) on so that the depth
/// stays within max_tree_depth(n).
template <class Scalar>
ForestTree<Scalar> build_forest_tree(const Scalar* points, Index n, Index d, Index leaf_size,
                                     Index top_dims, Rng& rng) {
  using Cut = ForestCut<Scalar>;
  using Node = typename ForestTree<Scalar>::Node;
  ForestTree<Scalar> tree;
  tree.order.resize(static_cast<std::size_t>(n));
  std::iota(tree.order.begin(), tree.order.end(), 0);
  if (n == 0) return tree;
  auto value = [&](std::int32_t i, Index j) { return points[Index{i} * d + j]; };
  const Index max_depth = median_split_depth(n);
  std::vector<double> mean(static_cast<std::size_t>(d)), var(static_cast<std::size_t>(d));
  std::vector<Index> dims(static_cast<std::size_t>(d));
  struct Task {
    std::int32_t node;
    Index begin, end, depth;
  };
  tree.nodes.push_back({});
  std::vector<Task> stack{{0, 0, n, 0}};
  while (!stack.empty()) {
    const Task task = stack.back();
    stack.pop_back();
    auto* first = tree.order.data() + task.begin;
    const Index count = task.end - task.begin;
    auto leaf = [&] {
      tree.nodes[static_cast<std::size_t>(task.node)] =
          Node{static_cast<std::int32_t>(-count), static_cast<std::int32_t>(task.begin), Cut(0)};
    };
    if (count <= leaf_size) {
      leaf();
      continue;
    }
    // Mean and variance per dimension on an evenly spaced sample.
    const Index samples = std::min(count, forest_sample_size);
    std::fill(mean.begin(), mean.end(), 0.0);
    std::fill(var.begin(), var.end(), 0.0);
    for (Index s = 0; s < samples; ++s) {
      const std::int32_t i = first[s * count / samples];
      for (Index j = 0; j < d; ++j) mean[static_cast<std::size_t>(j)] += static_cast<double>(value(i, j));
    }
    for (auto& m : mean) m /= static_cast<double>(samples);
    for (Index s = 0; s < samples; ++s) {
      const std::int32_t i = first[s * count / samples];
      for (Index j = 0; j < d; ++j) {
        const double diff = static_cast<double>(value(i, j)) - mean[static_cast<std::size_t>(j)];
        var[static_cast<std::size_t>(j)] += diff * diff;
      }
    }
    // A dimension drawn among the top_dims of highest variance (ties: lower index).
    std::iota(dims.begin(), dims.end(), Index{0});
    const Index top = std::min(top_dims, d);
    std::partial_sort(dims.begin(), dims.begin() + top, dims.end(), [&](Index a, Index b) {
      const double va = var[static_cast<std::size_t>(a)], vb = var[static_cast<std::size_t>(b)];
      return va > vb || (va == vb && a < b);
    });
    Index dim = dims[static_cast<std::size_t>(rng.below(static_cast<std::uint64_t>(top)))];
    Cut cut = static_cast<Cut>(mean[static_cast<std::size_t>(dim)]);
    Index mid = -1;
    if (task.depth < max_depth) {
      auto* split = std::partition(first, first + count,
                                   [&](std::int32_t i) { return static_cast<Cut>(value(i, dim)) < cut; });
      mid = task.begin + (split - first);
      if (mid == task.begin || mid == task.end) mid = -1;  // the sample missed: a median split
    }
    if (mid < 0) {
      // Median split along the dimension of widest extent over all the
      // node's points; a leaf when they are all identical.
      double widest = 0;
      for (Index j = 0; j < d; ++j) {
        const auto [lo, hi] = std::minmax_element(first, first + count, [&](std::int32_t a, std::int32_t b) {
          return value(a, j) < value(b, j);
        });
        const double extent = static_cast<double>(value(*hi, j)) - static_cast<double>(value(*lo, j));
        if (extent > widest) {
          widest = extent;
          dim = j;
        }
      }
      if (!(widest > 0)) {
        leaf();
        continue;
      }
      const Index half = count / 2;
      std::nth_element(first, first + half, first + count,
                       [&](std::int32_t a, std::int32_t b) { return value(a, dim) < value(b, dim); });
      cut = static_cast<Cut>(value(first[half], dim));
      mid = task.begin + half;
    }
    const auto child = static_cast<std::int32_t>(tree.nodes.size());
    tree.nodes.resize(tree.nodes.size() + 2);
    tree.nodes[static_cast<std::size_t>(task.node)] = Node{static_cast<std::int32_t>(dim), child, cut};
    stack.push_back({child + 1, mid, task.end, task.depth + 1});
    stack.push_back({child, task.begin, mid, task.depth + 1});
  }
  return tree;
}

/// Checks a loaded tree over n points of d coordinates: `order` is a
/// permutation of [0, n), the nodes follow the shared layout
/// (tree_layout.hpp) over positions of `order`, every cut is finite and
/// every split bounds its children's points. Throws std::runtime_error
/// naming fn otherwise.
template <class Scalar>
void validate_forest_tree(const ForestTree<Scalar>& tree, const Scalar* points, Index n, Index d,
                          const char* fn) {
  using Node = typename ForestTree<Scalar>::Node;
  using Cut = ForestCut<Scalar>;
  auto corrupt = [fn](const auto&... parts) { throw_runtime_error(fn, parts..., " (corrupt stream?)"); };
  if (static_cast<Index>(tree.order.size()) != n) corrupt("a tree orders ", tree.order.size(), " of ", n, " points");
  std::vector<bool> seen(static_cast<std::size_t>(n));
  for (const std::int32_t i : tree.order) {
    if (i < 0 || i >= n || seen[static_cast<std::size_t>(i)]) corrupt("point ", i, " is out of range or repeated");
    seen[static_cast<std::size_t>(i)] = true;
  }
  if (tree.nodes.empty() != (n == 0)) corrupt("a tree has ", tree.nodes.size(), " nodes for ", n, " points");
  auto coordinate = [&](Index slot, std::int32_t dim) {
    return static_cast<Cut>(points[Index{tree.order[static_cast<std::size_t>(slot)]} * d + dim]);
  };
  validate_tree_layout(
      tree.nodes, n, d, fn,
      [&](std::int32_t id, const Node& node) {
        if (!std::isfinite(node.cut)) corrupt("node ", id, " has cut ", node.cut);
      },
      [&](std::int32_t id, const Node& node, Index lb, Index le, Index rb, Index re) {
        for (Index s = lb; s < le; ++s)
          if (!(coordinate(s, node.dim) <= node.cut)) corrupt("node ", id, " has a left point above its cut");
        for (Index s = rb; s < re; ++s)
          if (!(coordinate(s, node.dim) >= node.cut)) corrupt("node ", id, " has a right point below its cut");
      });
}

}  // namespace mlprim::detail

#endif  // MLPRIM_NEIGHBORS_DETAIL_FOREST_TREE_HPP
