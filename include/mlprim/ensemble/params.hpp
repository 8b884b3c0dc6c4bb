// The knobs of gradient boosting (GBParams, XGBoost's names and defaults) and
// of one fit call (FitOptions: weights, evaluation sets, a progress callback,
// the ranks training together).
#ifndef MLPRIM_ENSEMBLE_PARAMS_HPP
#define MLPRIM_ENSEMBLE_PARAMS_HPP

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "mlprim/core/types.hpp"
#include "mlprim/core/view.hpp"
#include "mlprim/distributed/communicator.hpp"
#include "mlprim/ensemble/binning.hpp"

namespace mlprim {

/// How a tree grows. DepthWise (XGBoost's `depthwise`) splits every node of a
/// level before the next; LossGuide (`lossguide`, LightGBM's leaf-wise growth)
/// always splits the leaf with the largest loss reduction, up to max_leaves.
enum class GrowPolicy { DepthWise, LossGuide };

/// Gradient-boosting parameters, named and defaulted as XGBoost 1.7/2.x
/// (`tree_method = "hist"`), so that a configuration carries over.
struct GBParams {
  /// XGBoost's objective name: "reg:squarederror", "reg:pseudohubererror",
  /// "reg:absoluteerror", "reg:quantileerror", "binary:logistic",
  /// "multi:softprob", "count:poisson".
  std::string objective = "reg:squarederror";
  /// Boosting rounds (trees per output; multi:softprob grows num_class per round).
  int n_estimators = 100;
  /// Shrinkage eta applied to every leaf, in (0, inf).
  double learning_rate = 0.3;
  /// Deepest level a tree may reach (0 = unlimited, only with LossGuide).
  int max_depth = 6;
  /// Most leaves per tree (0 = unlimited).
  int max_leaves = 0;
  /// DepthWise (XGBoost's default) or LossGuide.
  GrowPolicy grow_policy = GrowPolicy::DepthWise;
  /// Least hessian sum of a child.
  double min_child_weight = 1;
  /// L2 penalty lambda on leaf weights.
  double reg_lambda = 1;
  /// L1 penalty alpha on leaf weights.
  double reg_alpha = 0;
  /// Least loss reduction a split must bring (min_split_loss).
  double gamma = 0;
  /// Bound on |leaf weight| (0 = none). Unset: 0, except 0.7 for count:poisson
  /// (both its trees and its hessian's exp(m + 0.7)), as XGBoost.
  std::optional<double> max_delta_step;
  /// Fraction of rows drawn (without replacement) for each round, in (0, 1].
  double subsample = 1;
  /// Fraction of features drawn per tree, per level, per node (they compose).
  double colsample_bytree = 1;
  double colsample_bylevel = 1;  ///< see colsample_bytree
  double colsample_bynode = 1;   ///< see colsample_bytree
  /// Most bins per feature, in [2, 65535].
  int max_bin = 256;
  /// Columns holding categories (integers in [0, 2^24), NaN = missing),
  /// split natively as XGBoost with enable_categorical: a set of categories
  /// goes right, the rest left. Every category seen in training is its own bin.
  std::vector<int> categorical_features;
  /// A categorical feature with fewer categories than this splits one
  /// category against the others (one-hot); a larger one by the best prefix
  /// of its categories sorted by -G / (H + lambda), as XGBoost.
  int max_cat_to_onehot = 4;
  /// Global bias in the objective's output space (a probability for
  /// binary:logistic). Unset: estimated from the data as XGBoost 2 does (one
  /// Newton step from margin 0; the weighted median / quantile of y for the
  /// absolute and quantile errors; 0.5 for multi:softprob).
  std::optional<double> base_score;
  /// Per feature -1 (decreasing), 0 or +1 (increasing); empty = none.
  std::vector<int> monotone_constraints;
  /// Seed of every random choice (row and column sampling).
  std::uint64_t seed = 0;
  /// Threads (0 = all available); the model is identical for any count.
  int num_threads = 0;
  /// Stop when the last metric of the last evaluation set has not improved
  /// for this many rounds (0 = never stop early).
  int early_stopping_rounds = 0;
  /// Metrics evaluated each round, empty = the objective's default (rmse,
  /// logloss, mlogloss, poisson-nloglik, mphe, mae, quantile). Known: rmse,
  /// mae, logloss, error, auc, mlogloss, merror, poisson-nloglik, mphe, quantile.
  std::vector<std::string> eval_metric;
  /// Classes of multi:softprob (required there, >= 2).
  int num_class = 0;
  /// Weight of the positive rows in binary:logistic.
  double scale_pos_weight = 1;
  /// Slope delta of reg:pseudohubererror.
  double huber_slope = 1;
  /// Quantile of reg:quantileerror, in (0, 1).
  double quantile_alpha = 0.5;
};

/// One round's evaluation: metric values per evaluation set, in the order of
/// FitOptions::eval_sets and GBParams::eval_metric.
struct RoundEvaluation {
  int iteration = 0;  ///< the round, from 0
  /// values[s][m]: metric m on evaluation set s.
  std::vector<std::vector<double>> values;
  std::vector<std::string> set_names;  ///< names of the sets
  std::vector<std::string> metrics;    ///< names of the metrics
};

/// A data set evaluated after every round (a validation split, or the
/// training data itself). The views must outlive the fit call.
template <class Scalar>
struct EvalSet {
  std::string name;                  ///< e.g. "validation"
  ConstRowView<Scalar> X;            ///< n x p, NaN = missing
  ConstRowView<Scalar> y;            ///< n labels
  ConstRowView<Scalar> weight = {};  ///< n weights, empty = all 1
};

/// Options of one GradientBoosting::fit call.
template <class Scalar>
struct FitOptions {
  /// Per-row weights (n, non-negative, finite), empty = all 1.
  ConstRowView<Scalar> sample_weight = {};
  /// Sets evaluated after every round; early stopping watches the last.
  std::vector<EvalSet<Scalar>> eval_sets = {};
  /// Called after every round; returning false stops training there (on
  /// every rank: the stop is all-reduced).
  std::function<bool(const RoundEvaluation&)> callback = {};
  /// Ranks training one model data-parallel, each holding a shard of the
  /// rows (X, y, sample_weight and each evaluation set are this rank's
  /// rows, possibly none); null = this process alone. Every rank must pass
  /// the same parameters and the same number of columns and eval sets.
  Communicator* communicator = nullptr;
  /// Bin cuts to train on (e.g. made once by make_cuts and shared by every
  /// rank); null = make_cuts on X, or on a communicator the merged sketch of
  /// every rank's rows (make_cuts(Communicator&, ...)).
  const HistogramCuts* cuts = nullptr;
};

/// What feature_importance measures, XGBoost's `importance_type`: Weight =
/// number of splits on the feature; Gain / Cover = mean loss reduction /
/// hessian cover of those splits; TotalGain / TotalCover = their sums.
enum class ImportanceType { Gain, TotalGain, Weight, Cover, TotalCover };

}  // namespace mlprim

#endif  // MLPRIM_ENSEMBLE_PARAMS_HPP
