// Building a TreeCore: sliding-midpoint (Maneewongvatana & Mount 1999) or
// median splits along the cell's widest side, the top levels serially and
// the subtrees below them in parallel. Also the depth bounds that builds
// obey and loaders enforce, shared by every tree of the module.
#ifndef MLPRIM_NEIGHBORS_DETAIL_TREE_BUILD_HPP
#define MLPRIM_NEIGHBORS_DETAIL_TREE_BUILD_HPP

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/core/parallel.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/neighbors/detail/tree_core.hpp"

namespace mlprim::detail {

/// The depth from which a build splits at the median of the points instead
/// of by its own rule: 24 + 2 floor(log2 n). Sliding-midpoint (or mean)
/// splits can peel one point at a time off skewed data (x_i = 2^-i); from
/// here on every split halves the node.
inline Index median_split_depth(Index n) {
  Index depth = 24;
  for (Index m = n; m > 1; m /= 2) depth += 2;
  return depth;
}

/// The deepest node a build of n points makes, which loaders enforce:
/// median splits leave at most ceil(n / 2) points on each side, so past
/// median_split_depth(n) a node is a leaf after at most ceil(log2 n) levels.
inline Index max_tree_depth(Index n) {
  Index halvings = 0;
  while ((Index{1} << halvings) < n) ++halvings;
  return median_split_depth(n) + halvings;
}

/// The smallest and largest coordinates of slots [begin, end) in every
/// dimension. Up to stack_dims dimensions they gather in local arrays,
/// which the compiler keeps in registers (it cannot for the caller's
/// storage, which the point pointer might alias).
template <class Scalar, int Dim, class Metric>
void extent(const TreeCore<Scalar, Dim, Metric>& core, Index begin, Index end, Scalar* lo,
            Scalar* hi) {
  constexpr Index stack_dims = TreeCore<Scalar, Dim, Metric>::stack_dims;
  const Index d = core.dims();
  auto scan = [&](Scalar* mn, Scalar* mx) {
    for (Index j = 0; j < d; ++j) {
      mn[j] = std::numeric_limits<Scalar>::infinity();
      mx[j] = -std::numeric_limits<Scalar>::infinity();
    }
    for (Index s = begin; s < end; ++s) {
      const Scalar* p = core.point(s);
      for (Index j = 0; j < d; ++j) {
        mn[j] = std::min(mn[j], p[j]);
        mx[j] = std::max(mx[j], p[j]);
      }
    }
  };
  if (d <= stack_dims) {
    Scalar mn[stack_dims], mx[stack_dims];
    scan(mn, mx);
    std::copy(mn, mn + d, lo);
    std::copy(mx, mx + d, hi);
  } else {
    scan(lo, hi);
  }
}

/// core.lo / core.hi: the bounding box of all points.
template <class Scalar, int Dim, class Metric>
void compute_bounds(TreeCore<Scalar, Dim, Metric>& core) {
  core.lo.resize(static_cast<std::size_t>(core.config.d));
  core.hi.resize(static_cast<std::size_t>(core.config.d));
  extent(core, 0, core.n, core.lo.data(), core.hi.data());
}

/// A subtree left for the parallel phase of the build.
template <class Scalar>
struct BuildTask {
  std::int32_t node;
  Index begin, end, depth;
  std::vector<Scalar> lower, upper;  // the subtree's cell
};

/// Builds one subtree into `nodes` (ids local to it) with scratch of its own.
template <class Scalar, int Dim, class Metric>
class TreeBuilder {
 public:
  using Core = TreeCore<Scalar, Dim, Metric>;
  using Node = typename Core::Node;

  TreeBuilder(Core& core, std::vector<Node>& nodes, Index max_depth)
      : core_(core),
        nodes_(nodes),
        max_depth_(max_depth),
        min_(static_cast<std::size_t>(core.config.d)),
        max_(static_cast<std::size_t>(core.config.d)) {}

  /// Fills node `id` for slots [begin, end) inside the cell [lower, upper];
  /// ranges of at most `grain` points become tasks when tasks is given.
  void grow(std::int32_t id, Index begin, Index end, Index depth, std::vector<Scalar>& lower,
            std::vector<Scalar>& upper, Index grain = 0,
            std::vector<BuildTask<Scalar>>* tasks = nullptr) {
    if (tasks && end - begin <= grain) {
      tasks->push_back(BuildTask<Scalar>{id, begin, end, depth, lower, upper});
      return;
    }
    Index dim, mid;
    Scalar cut, low, high;
    if (!choose_split(begin, end, depth, lower.data(), upper.data(), dim, cut, mid, low, high)) {
      nodes_[static_cast<std::size_t>(id)] =
          Node{static_cast<std::int32_t>(begin - end), static_cast<std::int32_t>(begin), Scalar(0),
               Scalar(0)};
      return;
    }
    const auto child = static_cast<std::int32_t>(nodes_.size());
    nodes_.resize(nodes_.size() + 2);
    nodes_[static_cast<std::size_t>(id)] = Node{static_cast<std::int32_t>(dim), child, low, high};
    const auto j = static_cast<std::size_t>(dim);
    const Scalar saved_upper = upper[j], saved_lower = lower[j];
    upper[j] = cut;
    grow(child, begin, mid, depth + 1, lower, upper, grain, tasks);
    upper[j] = saved_upper;
    lower[j] = cut;
    grow(child + 1, mid, end, depth + 1, lower, upper, grain, tasks);
    lower[j] = saved_lower;
  }

 private:
  /// Picks the split of slots [begin, end): false for a leaf (few or
  /// identical points). Otherwise partitions the slots so that [begin, mid)
  /// are <= cut and [mid, end) >= cut along dim, both non-empty, with low
  /// the left side's largest coordinate along dim and high the right's
  /// smallest.
  bool choose_split(Index begin, Index end, Index depth, const Scalar* lower, const Scalar* upper,
                    Index& dim, Scalar& cut, Index& mid, Scalar& low, Scalar& high) {
    const Index count = end - begin;
    if (count <= core_.config.params.leaf_size) return false;
    const Index d = core_.dims();
    extent(core_, begin, end, min_.data(), max_.data());
    // The cell's widest side among dimensions where the points differ;
    // near-ties (within 1e-5) go to the larger spread of the points.
    Scalar widest = -1;
    for (Index j = 0; j < d; ++j)
      if (max_[static_cast<std::size_t>(j)] > min_[static_cast<std::size_t>(j)])
        widest = std::max(widest, upper[j] - lower[j]);
    if (widest < 0) return false;  // all points identical
    Scalar spread = -1;
    dim = -1;
    for (Index j = 0; j < d; ++j) {
      const Scalar s = max_[static_cast<std::size_t>(j)] - min_[static_cast<std::size_t>(j)];
      if (s > 0 && upper[j] - lower[j] >= (1 - Scalar(1e-5)) * widest && s > spread) {
        spread = s;
        dim = j;
      }
    }
    const Scalar lo = min_[static_cast<std::size_t>(dim)], hi = max_[static_cast<std::size_t>(dim)];
    const bool median = core_.config.params.split == SplitRule::median || depth >= max_depth_;
    if (median) {
      coords_.resize(static_cast<std::size_t>(count));
      for (Index s = begin; s < end; ++s)
        coords_[static_cast<std::size_t>(s - begin)] = core_.point(s)[dim];
      auto middle = coords_.begin() + count / 2;
      std::nth_element(coords_.begin(), middle, coords_.end());
      cut = *middle;
    } else {
      cut = std::clamp(lower[dim] + (upper[dim] - lower[dim]) / 2, lo, hi);
    }
    // [begin, less) < cut <= [less, end): the cut itself when it lies
    // strictly inside the points' extent (each side then holds an extreme).
    Scalar below_max, above_min;
    const Index less = partition(
        begin, end, dim, [&](Scalar v) { return v < cut; }, below_max, above_min);
    const Index half = begin + count / 2;
    if (!median && cut > lo && cut < hi) {
      mid = less;
      low = below_max;
      high = above_min;
      return true;
    }
    // The cut sits on the smallest or largest point, or is the median: put
    // the points equal to it in [less, not_more) and split where the sides
    // come out closest to equal, keeping both non-empty.
    Scalar equal_max, above_min2 = above_min;
    Index not_more = end;
    if (cut != hi)
      not_more = partition(
          less, end, dim, [&](Scalar v) { return v <= cut; }, equal_max, above_min2);
    mid = less > half ? less : not_more < half ? not_more : half;
    low = mid > less ? cut : below_max;
    high = mid < not_more ? cut : above_min2;
    return true;
  }

  /// Moves the slots whose coordinate along dim satisfies pred to the
  /// front of [begin, end), carrying their index entries along; returns the
  /// first slot that does not, with the largest coordinate that does and
  /// the smallest that does not (-inf / +inf for an empty side).
  template <class Pred>
  Index partition(Index begin, Index end, Index dim, const Pred& pred, Scalar& in_max,
                  Scalar& out_min) {
    in_max = -std::numeric_limits<Scalar>::infinity();
    out_min = std::numeric_limits<Scalar>::infinity();
    Index i = begin, j = end - 1;
    for (;;) {
      for (; i <= j; ++i) {
        const Scalar v = core_.point(i)[dim];
        if (!pred(v)) break;
        in_max = std::max(in_max, v);
      }
      for (; i < j; --j) {
        const Scalar v = core_.point(j)[dim];
        if (pred(v)) break;
        out_min = std::min(out_min, v);
      }
      if (i >= j) {
        // Slot i (when in range) failed pred and was not yet counted.
        if (i < end) out_min = std::min(out_min, core_.point(i)[dim]);
        return i;
      }
      std::swap_ranges(core_.point(i), core_.point(i) + core_.dims(), core_.point(j));
      std::swap(core_.index[static_cast<std::size_t>(i)], core_.index[static_cast<std::size_t>(j)]);
      in_max = std::max(in_max, core_.point(i)[dim]);
      out_min = std::min(out_min, core_.point(j)[dim]);
      ++i;
      --j;
    }
  }

  Core& core_;
  std::vector<Node>& nodes_;
  Index max_depth_;
  std::vector<Scalar> min_, max_, coords_;
};

/// Reorders core.data / core.index into leaf order and fills core.nodes:
/// the top levels serially, then the subtrees below them in parallel,
/// spliced after. The tree is the same for any thread count.
template <class Scalar, int Dim, class Metric>
void build_nodes(TreeCore<Scalar, Dim, Metric>& core) {
  using Node = typename TreeCore<Scalar, Dim, Metric>::Node;
  compute_bounds(core);
  const Index n = core.n;
  if (n == 0) return;
  const Index max_depth = median_split_depth(n);
  const Index threads = resolve_threads("KDTree", core.config.params.num_threads);
  const Index grain = threads > 1 && n >= 65536 ? n / (4 * threads) : n;
  core.nodes.assign(1, Node{});
  std::vector<BuildTask<Scalar>> tasks;
  {
    std::vector<Scalar> lower = core.lo, upper = core.hi;
    TreeBuilder<Scalar, Dim, Metric>(core, core.nodes, max_depth)
        .grow(0, 0, n, 0, lower, upper, grain, &tasks);
  }
  std::vector<std::vector<Node>> subtrees(tasks.size());
  parallel_for(std::size_t{0}, tasks.size(), static_cast<int>(threads), [&](std::size_t t) {
    BuildTask<Scalar>& task = tasks[t];
    subtrees[t].assign(1, Node{});
    TreeBuilder<Scalar, Dim, Metric>(core, subtrees[t], max_depth)
        .grow(0, task.begin, task.end, task.depth, task.lower, task.upper);
  });
  for (std::size_t t = 0; t < tasks.size(); ++t) {
    // Local id c > 0 lands at base + c - 1; local 0 replaces the task's node.
    const auto shift = static_cast<std::int32_t>(core.nodes.size()) - 1;
    auto moved = [shift](Node node) {
      if (node.dim >= 0) node.child += shift;
      return node;
    };
    core.nodes[static_cast<std::size_t>(tasks[t].node)] = moved(subtrees[t][0]);
    for (std::size_t i = 1; i < subtrees[t].size(); ++i)
      core.nodes.push_back(moved(subtrees[t][i]));
  }
}

/// Checks and copies the rows of `points`, reporting ids[i] for row i (the
/// row index itself when ids is null), and builds the tree: throws naming
/// fn for more than 2^31 - 1 points or a bad point (naming its row).
template <int Dim, class Scalar, class Metric>
TreeCore<Scalar, Dim, Metric> build_tree(const char* fn,
                                         const typename TreeConfig<Scalar, Metric>::Points& points,
                                         const Index* ids, const TreeConfig<Scalar, Metric>& config) {
  TreeCore<Scalar, Dim, Metric> core;
  core.config = config;
  const Index n = points.rows(), d = config.d;
  check_at_most(fn, "points.rows()", n, Index{std::numeric_limits<std::int32_t>::max()},
                "the supported number of points");
  for (Index i = 0; i < n; ++i) config.check_point(fn, points.row(i).data(), i, points.innerStride());
  core.n = n;
  core.data.resize(n * d);
  for (Index i = 0; i < n; ++i)
    for (Index j = 0; j < d; ++j) core.data[i * d + j] = points(i, j);
  core.index.resize(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i)
    core.index[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(ids ? ids[i] : i);
  build_nodes(core);
  return core;
}

}  // namespace mlprim::detail

#endif  // MLPRIM_NEIGHBORS_DETAIL_TREE_BUILD_HPP
