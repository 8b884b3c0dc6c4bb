// Input checks of GradientBoosting::fit: parameters, data, weights,
// categorical columns, evaluation sets, given cuts, and the signature the
// ranks of a data-parallel fit must share.
#ifndef MLPRIM_ENSEMBLE_DETAIL_FIT_CHECKS_HPP
#define MLPRIM_ENSEMBLE_DETAIL_FIT_CHECKS_HPP

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/core/view.hpp"
#include "mlprim/distributed/detail/agree.hpp"
#include "mlprim/ensemble/binning.hpp"
#include "mlprim/ensemble/detail/objective.hpp"
#include "mlprim/ensemble/params.hpp"
#include "mlprim/ensemble/tree.hpp"

namespace mlprim {
namespace detail {

/// Throws std::invalid_argument naming `fn` for a parameter out of its range.
inline void check_params(std::string_view fn, const GBParams& q) {
  check_non_negative(fn, "n_estimators", q.n_estimators);
  check_positive(fn, "learning_rate", q.learning_rate);
  check_finite(fn, "learning_rate", q.learning_rate);
  check_in_range(fn, "max_depth", q.max_depth, 0, kMaxTreeDepth);
  check_non_negative(fn, "max_leaves", q.max_leaves);
  if (q.max_depth == 0 && q.grow_policy == GrowPolicy::DepthWise)
    throw_invalid_argument(fn, "max_depth = 0 (unlimited) needs grow_policy LossGuide");
  for (auto [name, v] : {std::pair<const char*, double>{"min_child_weight", q.min_child_weight},
                         {"reg_lambda", q.reg_lambda},
                         {"reg_alpha", q.reg_alpha},
                         {"gamma", q.gamma},
                         {"max_delta_step", q.max_delta_step.value_or(0)}}) {
    check_non_negative(fn, name, v);
    check_finite(fn, name, v);
  }
  for (auto [name, v] : {std::pair<const char*, double>{"subsample", q.subsample},
                         {"colsample_bytree", q.colsample_bytree},
                         {"colsample_bylevel", q.colsample_bylevel},
                         {"colsample_bynode", q.colsample_bynode}})
    if (!(v > 0 && v <= 1)) throw_invalid_argument(fn, name, " = ", v, " must be in (0, 1]");
  if (q.max_bin < 2 || q.max_bin > 65535)
    throw_invalid_argument(fn, "max_bin = ", q.max_bin, " must be in [2, 65535]");
  for (std::size_t f = 0; f < q.monotone_constraints.size(); ++f)
    if (q.monotone_constraints[f] < -1 || q.monotone_constraints[f] > 1)
      throw_invalid_argument(fn, "monotone_constraints[", f, "] = ", q.monotone_constraints[f],
                             " must be -1, 0 or 1");
  check_non_negative(fn, "early_stopping_rounds", q.early_stopping_rounds);
  check_positive(fn, "max_cat_to_onehot", q.max_cat_to_onehot);
}

/// Categorical columns: listed once, without a monotone constraint, and
/// holding NaN or integers in [0, 2^24).
template <class Scalar>
void check_categories(std::string_view fn, const GBParams& params,
                      const Eigen::Ref<const RowMatrix<Scalar>>& X) {
  std::vector<std::uint8_t> seen(static_cast<std::size_t>(X.cols()), 0);
  for (int f : params.categorical_features) {
    if (f < 0 || f >= X.cols())
      throw_invalid_argument(fn, "categorical_features holds ", f, ", not a column of X (",
                             X.cols(), ")");
    if (seen[static_cast<std::size_t>(f)]++)
      throw_invalid_argument(fn, "categorical_features lists column ", f, " twice");
    if (!params.monotone_constraints.empty() &&
        params.monotone_constraints[static_cast<std::size_t>(f)] != 0)
      throw_invalid_argument(fn, "categorical feature ", f, " cannot have a monotone constraint");
    for (Index i = 0; i < X.rows(); ++i) {
      const double x = static_cast<double>(X(i, f));
      if (!std::isnan(x) && !(x >= 0 && x < kMaxCategory && std::floor(x) == x))
        throw_invalid_argument(fn, "X(", i, ", ", f, ") = ", x, " in categorical feature ", f,
                               " is not an integer in [0, 2^24)");
    }
  }
}

/// Rejects infinities (NaN is a missing value); returns per feature
/// whether it has a missing value.
template <class Scalar>
std::vector<std::uint8_t> check_data(std::string_view fn, std::string_view name, const Scalar* data,
                                     Index n, Index p, Index stride) {
  std::vector<std::uint8_t> missing(static_cast<std::size_t>(p), 0);
  for (Index i = 0; i < n; ++i)
    for (Index f = 0; f < p; ++f) {
      const Scalar x = data[i * stride + f];
      if (std::isinf(x))
        throw_invalid_argument(fn, name, "(", i, ", ", f, ") = ", x,
                               " is infinite (NaN marks a missing value)");
      if (std::isnan(x)) missing[static_cast<std::size_t>(f)] = 1;
    }
  return missing;
}

/// Weights as doubles (empty when not given), finite, >= 0, positive sum.
template <class Scalar>
std::vector<double> checked_weights(std::string_view fn, std::string_view name,
                                    const ConstRowView<Scalar>& w, Index n) {
  if (w.empty()) return {};
  check_equal(fn, name, w.rows() * w.cols(), n, "the number of rows");
  std::vector<double> out(static_cast<std::size_t>(n));
  double sum = 0;
  for (Index i = 0; i < n; ++i) {
    const double v = static_cast<double>(w[i]);
    if (!(std::isfinite(v) && v >= 0))
      throw_invalid_argument(fn, name, "[", i, "] = ", v, " must be finite and non-negative");
    sum += out[static_cast<std::size_t>(i)] = v;
  }
  if (!(sum > 0)) throw_invalid_argument(fn, name, " sums to ", sum, "; it must be positive");
  return out;
}

/// An evaluation set's shapes, values and labels.
template <class Scalar>
void check_eval_set(std::string_view fn, const EvalSet<Scalar>& set, Index p,
                    const Objective& objective, bool may_be_empty) {
  if (set.X.empty() || set.X.rows() == 0) {
    if (may_be_empty && set.y.empty() && set.weight.empty()) return;
    throw_invalid_argument(fn, "eval set \"", set.name, "\" has no rows");
  }
  check_equal(fn, "eval set X.cols()", set.X.cols(), p, "X.cols()");
  check_equal(fn, "eval set y size", set.y.rows() * set.y.cols(), set.X.rows(), "its X.rows()");
  for (Index i = 0; i < set.X.rows(); ++i) {
    for (Index f = 0; f < p; ++f)
      if (std::isinf(set.X(i, f)))
        throw_invalid_argument(fn, "eval set \"", set.name, "\" X(", i, ", ", f, ") is infinite");
    objective.check_label(fn, i, set.y[i]);
  }
  checked_weights(fn, "eval set weight", set.weight, set.X.rows());
}

/// Throws std::invalid_argument unless `cuts` is a well-formed set of cuts
/// for p features whose categorical columns are the parameters' ones.
inline void check_cuts(std::string_view fn, const HistogramCuts& cuts, Index p,
                       const GBParams& params) {
  const auto np = static_cast<std::size_t>(p);
  if (cuts.ptrs.size() != np + 1 || cuts.min_values.size() != np)
    throw_invalid_argument(fn, "cuts are for ", cuts.min_values.size(), " features (ptrs ",
                           cuts.ptrs.size(), "), X has ", p);
  if (cuts.ptrs[0] != 0 || cuts.ptrs[np] != cuts.values.size())
    throw_invalid_argument(fn, "cuts.ptrs must run from 0 to cuts.values.size() = ",
                           cuts.values.size());
  for (std::size_t f = 0; f < np; ++f) {
    if (cuts.ptrs[f + 1] < cuts.ptrs[f] || cuts.ptrs[f + 1] - cuts.ptrs[f] > 65535)
      throw_invalid_argument(fn, "cuts of feature ", f, " hold ",
                             std::int64_t{cuts.ptrs[f + 1]} - std::int64_t{cuts.ptrs[f]},
                             " bins; 0 to 65535 are supported");
    for (std::uint32_t i = cuts.ptrs[f]; i < cuts.ptrs[f + 1]; ++i)
      if (!std::isfinite(cuts.values[i]) || (i > cuts.ptrs[f] && !(cuts.values[i - 1] < cuts.values[i])))
        throw_invalid_argument(fn, "cuts of feature ", f, " are not finite and increasing");
  }
  if (!cuts.categorical.empty() && cuts.categorical.size() != np)
    throw_invalid_argument(fn, "cuts.categorical has ", cuts.categorical.size(), " flags for ",
                           p, " features");
  for (std::size_t f = 0; f < np; ++f) {
    const bool listed = std::find(params.categorical_features.begin(),
                                  params.categorical_features.end(),
                                  static_cast<int>(f)) != params.categorical_features.end();
    if (cuts.is_categorical(static_cast<Index>(f)) != listed)
      throw_invalid_argument(fn, "feature ", f, " is ", listed ? "" : "not ",
                             "in categorical_features but its cuts say otherwise");
  }
}

/// A hash of everything every rank of a data-parallel fit must share: the
/// parameters (but the thread count) and `extra` further values.
inline std::uint64_t params_signature(const GBParams& q, std::initializer_list<std::int64_t> extra) {
  std::uint64_t h = kFnv1aBasis;
  auto add = [&](const auto& v) { h = fnv1a_value(v, h); };
  auto add_string = [&](const std::string& s) {
    add(s.size());
    h = fnv1a(s.data(), s.size(), h);
  };
  auto add_ints = [&](const std::vector<int>& v) {
    add(v.size());
    h = fnv1a(v.data(), v.size() * sizeof(int), h);
  };
  add_string(q.objective);
  for (double v : {q.learning_rate, q.min_child_weight, q.reg_lambda, q.reg_alpha, q.gamma,
                   q.subsample, q.colsample_bytree, q.colsample_bylevel, q.colsample_bynode,
                   q.scale_pos_weight, q.huber_slope, q.quantile_alpha})
    add(v);
  for (int v : {q.n_estimators, q.max_depth, q.max_leaves, static_cast<int>(q.grow_policy),
                q.max_bin, q.max_cat_to_onehot, q.early_stopping_rounds, q.num_class})
    add(v);
  for (const auto& o : {q.max_delta_step, q.base_score}) {
    add(o.has_value());
    add(o.value_or(0));
  }
  add_ints(q.categorical_features);
  add_ints(q.monotone_constraints);
  add(q.seed);
  add(q.eval_metric.size());
  for (const auto& m : q.eval_metric) add_string(m);
  for (std::int64_t v : extra) add(v);
  return h;
}

/// A hash of cuts' contents.
inline std::uint64_t cuts_signature(const HistogramCuts& cuts) {
  std::uint64_t h = fnv1a(cuts.ptrs.data(), cuts.ptrs.size() * sizeof(std::uint32_t));
  h = fnv1a(cuts.values.data(), cuts.values.size() * sizeof(float), h);
  h = fnv1a(cuts.min_values.data(), cuts.min_values.size() * sizeof(float), h);
  return fnv1a(cuts.categorical.data(), cuts.categorical.size(), h);
}

}  // namespace detail
}  // namespace mlprim

#endif  // MLPRIM_ENSEMBLE_DETAIL_FIT_CHECKS_HPP
