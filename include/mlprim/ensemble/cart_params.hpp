// The knobs of CART trees (DecisionTreeParams) and of forests of them
// (RandomForestParams, ExtraTreesParams), scikit-learn's names and defaults.
#ifndef MLPRIM_ENSEMBLE_CART_PARAMS_HPP
#define MLPRIM_ENSEMBLE_CART_PARAMS_HPP

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string_view>

#include "mlprim/core/error.hpp"
#include "mlprim/core/types.hpp"

namespace mlprim {

/// Split criterion (scikit-learn's `criterion`). Default: Gini for a
/// classifier, SquaredError for a regressor. Entropy is in bits
/// (scikit-learn's "entropy" and "log_loss").
enum class TreeCriterion { Default, Gini, Entropy, SquaredError, AbsoluteError };

/// How a node's threshold is chosen (scikit-learn's `splitter`): the best
/// one over sorted values, or one uniform draw per examined feature.
enum class TreeSplitter { Best, Random };

/// Features examined per split (scikit-learn's `max_features`): all of them
/// (None), a count, a fraction of p (at least one), sqrt(p) or log2(p)
/// (truncated, at least one).
struct MaxFeatures {
  /// Which rule.
  enum class Rule { All, Count, Fraction, Sqrt, Log2 };
  Rule rule = Rule::All;  ///< the rule
  double value = 0;       ///< the count or the fraction

  /// Every feature (scikit-learn's None and 1.0).
  static MaxFeatures all() { return {}; }
  /// `count` features, 1 <= count <= p.
  static MaxFeatures count(Index count) { return {Rule::Count, static_cast<double>(count)}; }
  /// max(1, int(fraction * p)), 0 < fraction <= 1.
  static MaxFeatures fraction(double fraction) { return {Rule::Fraction, fraction}; }
  /// max(1, int(sqrt(p))).
  static MaxFeatures sqrt() { return {Rule::Sqrt, 0}; }
  /// max(1, int(log2(p))).
  static MaxFeatures log2() { return {Rule::Log2, 0}; }

  /// The count for p features; throws std::invalid_argument naming `fn`
  /// when it is out of range.
  Index resolve(std::string_view fn, Index p) const {
    switch (rule) {
      case Rule::All:
        return p;
      case Rule::Count:
        if (!(value >= 1 && value <= static_cast<double>(p) && std::floor(value) == value))
          throw_invalid_argument(fn, "max_features = ", value, " must be an integer in [1, ", p,
                                 "] (the number of features)");
        return static_cast<Index>(value);
      case Rule::Fraction:
        if (!(value > 0 && value <= 1))
          throw_invalid_argument(fn, "max_features = ", value, " must be a fraction in (0, 1]");
        return std::max<Index>(1, static_cast<Index>(value * static_cast<double>(p)));
      case Rule::Sqrt:
        return std::max<Index>(1, static_cast<Index>(std::sqrt(static_cast<double>(p))));
      case Rule::Log2:
        return std::max<Index>(1, static_cast<Index>(std::log2(static_cast<double>(p))));
    }
    return p;
  }
};

/// Decision-tree parameters, named and defaulted as scikit-learn's
/// DecisionTreeClassifier / DecisionTreeRegressor (1.x).
struct DecisionTreeParams {
  /// Split criterion (Default: Gini / SquaredError).
  TreeCriterion criterion = TreeCriterion::Default;
  /// Best (CART) or Random (extremely randomized) thresholds.
  TreeSplitter splitter = TreeSplitter::Best;
  /// Deepest level (0 = unlimited, scikit-learn's None; at most kMaxTreeDepth).
  int max_depth = 0;
  /// Fewest rows a node needs to be split, >= 2.
  Index min_samples_split = 2;
  /// Fewest rows in a leaf, >= 1.
  Index min_samples_leaf = 1;
  /// Least fraction of the total weight in a leaf, in [0, 0.5].
  double min_weight_fraction_leaf = 0;
  /// Features examined per split (All = scikit-learn's None).
  MaxFeatures max_features = MaxFeatures::all();
  /// Most leaves, grown best-first by impurity decrease (0 = unlimited,
  /// depth-first); >= 2 when set.
  Index max_leaf_nodes = 0;
  /// Least weighted impurity decrease of a split, >= 0.
  double min_impurity_decrease = 0;
  /// 0: exact splits between sorted values (scikit-learn). 2 to 65535:
  /// histogram splits on at most max_bin quantile bins per feature
  /// (make_cuts, the binning of GradientBoosting), each node costing
  /// O(n_node * max_features + bins) instead of O(n_node * p); Best
  /// splitter and the class criteria or SquaredError only.
  int max_bin = 0;
  /// Seed of the feature order (max_features < p) and random thresholds.
  std::uint64_t seed = 0;
};

/// Random-forest parameters (scikit-learn's RandomForestClassifier /
/// RandomForestRegressor and ExtraTrees*): the trees' knobs plus the
/// ensemble's. max_features Default means sqrt(p) for classification and
/// all features for regression (scikit-learn's defaults).
struct ForestParams {
  /// Trees, >= 1.
  int n_estimators = 100;
  /// Criterion of every tree.
  TreeCriterion criterion = TreeCriterion::Default;
  /// Deepest level (0 = unlimited).
  int max_depth = 0;
  /// Fewest rows a node needs to be split, >= 2.
  Index min_samples_split = 2;
  /// Fewest rows in a leaf, >= 1.
  Index min_samples_leaf = 1;
  /// Least fraction of the total weight in a leaf, in [0, 0.5].
  double min_weight_fraction_leaf = 0;
  /// Features examined per split; unset (the default) = sqrt for
  /// classifiers, all for regressors.
  std::optional<MaxFeatures> max_features;
  /// Most leaves per tree (0 = unlimited).
  Index max_leaf_nodes = 0;
  /// Least weighted impurity decrease of a split.
  double min_impurity_decrease = 0;
  /// Histogram splits on at most max_bin bins (0 = exact; see DecisionTreeParams).
  int max_bin = 0;
  /// Bootstrap rows per tree (random forests: true; extra trees: false).
  std::optional<bool> bootstrap;
  /// Rows drawn per tree when bootstrapping: 0 = n, a fraction in (0, 1] or a count > 1.
  double max_samples = 0;
  /// Compute the out-of-bag score (needs bootstrap).
  bool oob_score = false;
  /// Threads fitting trees and predicting (0 = all); the model is the same for any count.
  int num_threads = 0;
  /// Seed; tree t draws from Rng::stream(seed, t).
  std::uint64_t seed = 0;
};

/// scikit-learn's RandomForestClassifier / Regressor knobs (bootstrap unset = true).
using RandomForestParams = ForestParams;
/// scikit-learn's ExtraTreesClassifier / Regressor knobs (bootstrap unset = false).
using ExtraTreesParams = ForestParams;

}  // namespace mlprim

#endif  // MLPRIM_ENSEMBLE_CART_PARAMS_HPP
