// Evaluation metrics of boosting, XGBoost's definitions (weighted means).
#ifndef MLPRIM_ENSEMBLE_DETAIL_METRIC_HPP
#define MLPRIM_ENSEMBLE_DETAIL_METRIC_HPP

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/ensemble/detail/objective.hpp"

namespace mlprim {
namespace detail {

/// Whether a larger value of the metric is better (auc), for early stopping.
inline bool metric_maximizes(const std::string& name) { return name == "auc"; }

/// Throws std::invalid_argument unless `name` is a metric this module
/// computes and fits the objective (class metrics need a class objective).
inline void check_metric(std::string_view fn, const std::string& name, const Objective& obj) {
  static const char* const known[] = {"rmse",     "mae",    "logloss",         "error", "auc",
                                      "mlogloss", "merror", "poisson-nloglik", "mphe",  "quantile"};
  if (std::find(std::begin(known), std::end(known), name) == std::end(known))
    throw_invalid_argument(fn, "eval_metric \"", name,
                           "\" is not one of rmse, mae, logloss, error, auc, mlogloss, merror, "
                           "poisson-nloglik, mphe, quantile");
  const bool multi = obj.kind == ObjectiveKind::Softprob;
  if ((name == "mlogloss" || name == "merror") != multi)
    throw_invalid_argument(fn, "eval_metric \"", name, "\" does not apply to ", obj.name());
}

/// Weighted ROC AUC of binary labels: the trapezoid area under the ROC
/// curve, rows with equal scores forming one step; NaN when one class is absent.
inline double binary_auc(const std::vector<double>& score, const std::vector<double>& label,
                         const std::vector<double>& weight) {
  const std::size_t n = score.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return score[a] > score[b]; });
  double tp = 0, fp = 0, area = 0;
  for (std::size_t i = 0; i < n;) {
    double dtp = 0, dfp = 0;
    std::size_t j = i;
    for (; j < n && score[order[j]] == score[order[i]]; ++j) {
      dtp += label[order[j]] * weight[order[j]];
      dfp += (1 - label[order[j]]) * weight[order[j]];
    }
    area += dfp * (tp + 0.5 * dtp);
    tp += dtp;
    fp += dfp;
    i = j;
  }
  if (tp <= 0 || fp <= 0) return std::numeric_limits<double>::quiet_NaN();
  return area / (tp * fp);
}

/// Metric `name` of outputs `pred` (n x groups row-major, in output space:
/// probabilities, values) against labels `y` with weights `w`:
///   rmse sqrt(sum w (y-p)^2 / W); mae sum w |y-p| / W;
///   logloss -sum w (y log p + (1-y) log(1-p)) / W, p clipped to [1e-16, 1-1e-16];
///   error: share of rows with (p > 0.5) != y; auc: binary_auc;
///   mlogloss -sum w log max(p_y, 1e-16) / W; merror: share with argmax != y;
///   poisson-nloglik sum w (lgamma(y+1) + p - y log max(p, 1e-16)) / W;
///   mphe sum w delta^2 (sqrt(1 + ((p-y)/delta)^2) - 1) / W;
///   quantile sum w (a max(y-p, 0) + (1-a) max(p-y, 0)) / W.
inline double evaluate_metric(const std::string& name, const Objective& obj,
                              const std::vector<double>& pred, const std::vector<double>& y,
                              const std::vector<double>& w) {
  const std::size_t n = y.size();
  const auto k = static_cast<std::size_t>(obj.groups);
  if (name == "auc") {
    std::vector<double> score(n);
    for (std::size_t i = 0; i < n; ++i) score[i] = pred[i * k];
    return binary_auc(score, y, w);
  }
  double sum = 0, total = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double p = pred[i * k], t = y[i];
    double loss = 0;
    if (name == "rmse") {
      loss = (t - p) * (t - p);
    } else if (name == "mae") {
      loss = std::abs(t - p);
    } else if (name == "logloss") {
      const double q = std::clamp(p, 1e-16, 1 - 1e-16);
      loss = -(t * std::log(q) + (1 - t) * std::log(1 - q));
    } else if (name == "error") {
      loss = (p > 0.5 ? 1.0 : 0.0) != t ? 1.0 : 0.0;
    } else if (name == "mlogloss") {
      loss = -std::log(std::max(pred[i * k + static_cast<std::size_t>(t)], 1e-16));
    } else if (name == "merror") {
      const auto* row = pred.data() + i * k;
      loss = static_cast<double>(std::max_element(row, row + k) - row) != t ? 1.0 : 0.0;
    } else if (name == "poisson-nloglik") {
      loss = std::lgamma(t + 1) + p - t * std::log(std::max(p, 1e-16));
    } else if (name == "mphe") {
      const double z = (p - t) / obj.huber_slope;
      loss = obj.huber_slope * obj.huber_slope * (std::sqrt(1 + z * z) - 1);
    } else if (name == "quantile") {
      const double a = obj.quantile_alpha;
      loss = t >= p ? a * (t - p) : (1 - a) * (p - t);
    }
    sum += w[i] * loss;
    total += w[i];
  }
  const double mean = total > 0 ? sum / total : std::numeric_limits<double>::quiet_NaN();
  return name == "rmse" ? std::sqrt(mean) : mean;
}

}  // namespace detail
}  // namespace mlprim

#endif  // MLPRIM_ENSEMBLE_DETAIL_METRIC_HPP
