// A fitted CART tree (classification or regression): the module's one node
// layout (RegressionTree) plus per-node values, and its binary I/O.
#ifndef MLPRIM_ENSEMBLE_CART_TREE_HPP
#define MLPRIM_ENSEMBLE_CART_TREE_HPP

#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>
#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/core/io.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/ensemble/tree.hpp"

namespace mlprim {

/// A binary tree grown by CART (Breiman, Friedman, Olshen & Stone 1984) in
/// the module's RegressionTree layout: node i sends a row left iff
/// float(x[split_indices[i]]) < split_conditions[i]. That float threshold
/// is the smallest float above scikit-learn's double threshold t (the
/// midpoint of two consecutive feature values), so `x < split_condition`
/// and scikit-learn's `float32(x) <= t` agree on every input.
/// Per node it keeps `num_outputs` values (the weighted class counts of a
/// classifier, K of them; the mean or median of a regressor, one), the
/// impurity and the weighted number of training samples.
/// RegressionTree::loss_changes holds a split's weighted impurity decrease
/// w_node imp_node - w_left imp_left - w_right imp_right, sum_hessian the
/// node's training weight.
struct CartTree {
  RegressionTree nodes;                  ///< the structure (numeric splits only)
  int num_outputs = 1;                   ///< values per node
  std::vector<double> value;             ///< node i's values at [i * num_outputs, + num_outputs)
  std::vector<double> impurity;          ///< per node
  std::vector<double> weighted_samples;  ///< per node: sum of the training weights

  /// Number of nodes.
  Index num_nodes() const { return nodes.num_nodes(); }

  /// The leaf row `x` (num_features values, any scalar) reaches.
  template <class Scalar>
  std::int32_t leaf(const Scalar* x) const {
    const auto* left = nodes.left_children.data();
    const auto* right = nodes.right_children.data();
    const auto* feature = nodes.split_indices.data();
    const auto* threshold = nodes.split_conditions.data();
    std::int32_t i = 0;
    while (left[i] >= 0)
      i = static_cast<float>(x[feature[i]]) < threshold[i] ? left[i] : right[i];
    return i;
  }

  /// The values of node i.
  const double* values(std::int32_t i) const {
    return value.data() + static_cast<std::size_t>(i) * static_cast<std::size_t>(num_outputs);
  }

  /// Depth of the deepest leaf (0 for a single leaf).
  int depth() const {
    std::vector<int> d(nodes.left_children.size(), 0);
    int deepest = 0;
    for (std::size_t i = 0; i < d.size(); ++i)  // children come after their parent
      if (nodes.left_children[i] >= 0) {
        d[static_cast<std::size_t>(nodes.left_children[i])] = d[i] + 1;
        d[static_cast<std::size_t>(nodes.right_children[i])] = d[i] + 1;
        deepest = std::max(deepest, d[i] + 1);
      }
    return deepest;
  }

  /// Number of leaves.
  Index num_leaves() const { return (num_nodes() + 1) / 2; }

  /// Adds the weighted impurity decrease of every split to importance[feature].
  void add_impurity_decrease(std::vector<double>& importance) const {
    for (std::size_t i = 0; i < nodes.left_children.size(); ++i) {
      if (nodes.left_children[i] < 0) continue;
      const auto l = static_cast<std::size_t>(nodes.left_children[i]);
      const auto r = static_cast<std::size_t>(nodes.right_children[i]);
      importance[static_cast<std::size_t>(nodes.split_indices[i])] +=
          weighted_samples[i] * impurity[i] - weighted_samples[l] * impurity[l] -
          weighted_samples[r] * impurity[r];
    }
  }

  /// Writes the tree (after the caller's header).
  void save(io::BinaryWriter& w) const {
    w.value(static_cast<std::int32_t>(num_outputs));
    w.vector(nodes.left_children);
    w.vector(nodes.right_children);
    w.vector(nodes.parents);
    w.vector(nodes.split_indices);
    w.vector(nodes.split_conditions);
    w.vector(nodes.loss_changes);
    w.vector(nodes.sum_hessian);
    w.vector(value);
    w.vector(impurity);
    w.vector(weighted_samples);
  }

  /// Reads a tree written by save and validates it against `num_features`
  /// and `num_outputs` (std::runtime_error naming `fn` on any inconsistency;
  /// reads only what the stream holds). Children are numbered after their
  /// parent, as the builder numbers them.
  static CartTree load(io::BinaryReader& r, std::string_view fn, Index num_features,
                       int expected_outputs) {
    constexpr std::uint64_t max_nodes = std::numeric_limits<std::int32_t>::max();
    CartTree t;
    t.num_outputs = r.value<std::int32_t>("num_outputs");
    if (t.num_outputs != expected_outputs)
      throw_runtime_error(fn, "a tree has ", t.num_outputs, " outputs, the model ",
                          expected_outputs);
    RegressionTree& s = t.nodes;
    s.left_children = r.vector<std::int32_t>("left_children", max_nodes);
    s.right_children = r.vector<std::int32_t>("right_children", max_nodes);
    s.parents = r.vector<std::int32_t>("parents", max_nodes);
    s.split_indices = r.vector<std::int32_t>("split_indices", max_nodes);
    s.split_conditions = r.vector<float>("split_conditions", max_nodes);
    s.loss_changes = r.vector<float>("loss_changes", max_nodes);
    s.sum_hessian = r.vector<float>("sum_hessian", max_nodes);
    const std::size_t n = s.left_children.size();
    s.default_left.assign(n, 0);
    s.base_weights.assign(n, 0.0f);
    s.split_type.assign(n, 0);
    s.category_segments.assign(n, 0);
    s.category_sizes.assign(n, 0);
    s.validate(fn, num_features);
    for (std::size_t i = 0; i < n; ++i)
      if (s.left_children[i] >= 0 && (static_cast<std::size_t>(s.left_children[i]) <= i ||
                                      static_cast<std::size_t>(s.right_children[i]) <= i))
        throw_runtime_error(fn, "node ", i, "'s children are numbered before it");
    t.value = r.vector<double>("value", max_nodes * static_cast<std::uint64_t>(t.num_outputs));
    t.impurity = r.vector<double>("impurity", max_nodes);
    t.weighted_samples = r.vector<double>("weighted_samples", max_nodes);
    if (t.value.size() != n * static_cast<std::size_t>(t.num_outputs) || t.impurity.size() != n ||
        t.weighted_samples.size() != n)
      throw_runtime_error(fn, "a tree's value arrays do not match its ", n, " nodes");
    for (std::size_t i = 0; i < t.value.size(); ++i)
      if (!std::isfinite(t.value[i])) throw_runtime_error(fn, "a tree has a non-finite value");
    for (std::size_t i = 0; i < n; ++i)
      if (!std::isfinite(t.impurity[i]) || !(t.weighted_samples[i] >= 0) ||
          !std::isfinite(t.weighted_samples[i]))
        throw_runtime_error(fn, "node ", i, " has a non-finite impurity or weight");
    return t;
  }
};

}  // namespace mlprim

#endif  // MLPRIM_ENSEMBLE_CART_TREE_HPP
