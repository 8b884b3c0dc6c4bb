// One regression tree of a boosted ensemble, in XGBoost's array layout.
#ifndef MLPRIM_ENSEMBLE_TREE_HPP
#define MLPRIM_ENSEMBLE_TREE_HPP

#include <cmath>
#include <cstdint>
#include <string_view>
#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/core/types.hpp"

namespace mlprim {

/// Deepest tree the module grows or loads (the TreeSHAP path and every walk
/// are bounded by it).
inline constexpr int kMaxTreeDepth = 1024;

/// Categories are integers in [0, 2^24), exact in float (XGBoost's bound).
inline constexpr double kMaxCategory = 16777216.0;

namespace detail {

/// XGBoost's categorical decision: a missing value or an invalid category
/// (negative, at least 2^24) follows the default; otherwise the category
/// (x truncated to an integer) goes right iff it is in the node's sorted set
/// cats[0, count), left if not.
inline bool category_goes_left(const std::int32_t* cats, std::size_t count, float x,
                               bool default_left) {
  if (std::isnan(x) || !(x >= 0) || !(x < kMaxCategory)) return default_left;
  const auto c = static_cast<std::int32_t>(x);
  std::size_t lo = 0, hi = count;
  while (lo < hi) {
    const std::size_t mid = lo + (hi - lo) / 2;
    if (cats[mid] < c)
      lo = mid + 1;
    else
      hi = mid;
  }
  return !(lo < count && cats[lo] == c);
}

}  // namespace detail

/// A binary regression tree as parallel arrays indexed by node (node 0 the
/// root), the fields of XGBoost's JSON model. A numeric node i
/// (split_type[i] == 0) sends a row left iff float(x[split_indices[i]]) <
/// split_conditions[i], a missing (NaN) value to the default_left side; a
/// categorical node (split_type 1) sends the categories
/// categories[category_segments[i], + category_sizes[i]) right, the others
/// left (detail::category_goes_left). A leaf (left_children[i] == -1)
/// carries its value in split_conditions[i].
struct RegressionTree {
  std::vector<std::int32_t> left_children;       ///< -1 at a leaf
  std::vector<std::int32_t> right_children;      ///< -1 at a leaf
  std::vector<std::int32_t> parents;             ///< -1 at the root
  std::vector<std::int32_t> split_indices;       ///< feature of the split (0 at a leaf)
  std::vector<float> split_conditions;           ///< threshold, or the leaf's value
  std::vector<std::uint8_t> default_left;        ///< 1: missing values go left
  std::vector<float> base_weights;               ///< unshrunk weight -T(G)/(H + lambda)
  std::vector<float> loss_changes;               ///< split's loss reduction (0 at a leaf)
  std::vector<float> sum_hessian;                ///< hessian cover of the node
  std::vector<std::uint8_t> split_type;          ///< 0 numeric, 1 categorical
  std::vector<std::uint32_t> category_segments;  ///< per node: first of its categories
  std::vector<std::uint32_t> category_sizes;     ///< per node: how many (0 if numeric)
  std::vector<std::int32_t> categories;          ///< each categorical node's sorted set

  /// Whether node i goes left for the value x of its feature.
  bool goes_left(std::size_t i, float x) const {
    if (split_type[i] != 0)
      return detail::category_goes_left(categories.data() + category_segments[i], category_sizes[i],
                                        x, default_left[i] != 0);
    return std::isnan(x) ? default_left[i] != 0 : x < split_conditions[i];
  }

  /// Number of nodes.
  Index num_nodes() const { return static_cast<Index>(left_children.size()); }
  /// Whether node i is a leaf.
  bool is_leaf(Index i) const { return left_children[static_cast<std::size_t>(i)] < 0; }

  /// Adds a node (a leaf until split) and returns its index.
  std::int32_t add_node(std::int32_t parent, float leaf_value, float base_weight, float cover) {
    left_children.push_back(-1);
    right_children.push_back(-1);
    parents.push_back(parent);
    split_indices.push_back(0);
    split_conditions.push_back(leaf_value);
    default_left.push_back(0);
    base_weights.push_back(base_weight);
    loss_changes.push_back(0);
    sum_hessian.push_back(cover);
    split_type.push_back(0);
    category_segments.push_back(static_cast<std::uint32_t>(categories.size()));
    category_sizes.push_back(0);
    return static_cast<std::int32_t>(left_children.size() - 1);
  }

  /// The leaf reached by a row whose feature f reads value(f) (a float, NaN
  /// = missing). Needs a validated tree.
  template <class Value>
  std::int32_t leaf_of(Value&& value) const {
    std::int32_t i = 0;
    while (left_children[static_cast<std::size_t>(i)] >= 0) {
      const auto u = static_cast<std::size_t>(i);
      i = goes_left(u, value(split_indices[u])) ? left_children[u] : right_children[u];
    }
    return i;
  }

  /// Throws std::runtime_error naming `fn` unless the arrays describe one
  /// tree over `num_features` features: equal lengths, children in range and
  /// each node reached exactly once from the root (no cycle, nothing
  /// unreachable), parents consistent, features in range, finite values and
  /// non-negative covers, category sets inside `categories`, sorted and in
  /// [0, 2^24), depth at most kMaxTreeDepth.
  void validate(std::string_view fn, Index num_features) const {
    const std::size_t n = left_children.size();
    if (n == 0) throw_runtime_error(fn, "a tree has no nodes");
    if (n > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()))
      throw_runtime_error(fn, "a tree has ", n, " nodes");
    for (std::size_t len :
         {right_children.size(), parents.size(), split_indices.size(), split_conditions.size(),
          default_left.size(), base_weights.size(), loss_changes.size(), sum_hessian.size(),
          split_type.size(), category_segments.size(), category_sizes.size()})
      if (len != n)
        throw_runtime_error(fn, "a tree's arrays differ in length (", len, " and ", n, ")");
    std::vector<int> depth(n, -1);
    std::vector<std::int32_t> stack = {0};
    depth[0] = 0;
    std::size_t seen = 1;
    if (parents[0] != -1 && parents[0] != std::numeric_limits<std::int32_t>::max())
      throw_runtime_error(fn, "the root has parent ", parents[0]);
    while (!stack.empty()) {
      const auto i = static_cast<std::size_t>(stack.back());
      stack.pop_back();
      const std::int32_t l = left_children[i], r = right_children[i];
      if (l == -1 && r == -1) continue;
      if (l < 0 || r < 0 || static_cast<std::size_t>(l) >= n || static_cast<std::size_t>(r) >= n ||
          l == r)
        throw_runtime_error(fn, "node ", i, " has children ", l, " and ", r, " (", n, " nodes)");
      if (split_indices[i] < 0 || split_indices[i] >= num_features)
        throw_runtime_error(fn, "node ", i, " splits on feature ", split_indices[i], " of ",
                            num_features);
      if (!std::isfinite(split_conditions[i]))
        throw_runtime_error(fn, "node ", i, " has split condition ", split_conditions[i]);
      if (depth[i] + 1 > kMaxTreeDepth)
        throw_runtime_error(fn, "a tree is deeper than ", kMaxTreeDepth);
      for (std::int32_t c : {l, r}) {
        const auto u = static_cast<std::size_t>(c);
        if (depth[u] >= 0)
          throw_runtime_error(fn, "node ", c, " is reached twice (a cycle or a shared child)");
        if (parents[u] != static_cast<std::int32_t>(i))
          throw_runtime_error(fn, "node ", c, " has parent ", parents[u], ", not ", i);
        depth[u] = depth[i] + 1;
        ++seen;
        stack.push_back(c);
      }
    }
    if (seen != n) throw_runtime_error(fn, "a tree has ", n - seen, " unreachable nodes");
    for (std::size_t i = 0; i < n; ++i) {
      if (split_type[i] > 1)
        throw_runtime_error(fn, "node ", i, " has split type ", int{split_type[i]});
      if (split_type[i] == 1 && left_children[i] < 0)
        throw_runtime_error(fn, "leaf ", i, " has a categorical split type");
      const std::uint64_t begin = category_segments[i], size = category_sizes[i];
      if (split_type[i] == 0 && size != 0)
        throw_runtime_error(fn, "numeric node ", i, " has categories");
      if (begin + size > categories.size())
        throw_runtime_error(fn, "node ", i, "'s categories [", begin, ", ", begin + size,
                            ") exceed the ", categories.size(), " stored");
      for (std::uint64_t c = begin; c < begin + size; ++c)
        if (categories[c] < 0 || categories[c] >= static_cast<std::int32_t>(kMaxCategory) ||
            (c > begin && categories[c] <= categories[c - 1]))
          throw_runtime_error(fn, "node ", i, "'s categories are not sorted integers in [0, 2^24)");
      if (!std::isfinite(split_conditions[i]) || !std::isfinite(base_weights[i]) ||
          !std::isfinite(loss_changes[i]))
        throw_runtime_error(fn, "node ", i, " has a non-finite value");
      if (!(sum_hessian[i] >= 0 && std::isfinite(sum_hessian[i])))
        throw_runtime_error(fn, "node ", i, " has hessian cover ", sum_hessian[i]);
    }
  }
};

}  // namespace mlprim

#endif  // MLPRIM_ENSEMBLE_TREE_HPP
