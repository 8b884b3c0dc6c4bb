// The boosting objectives: XGBoost's gradient and hessian of each loss with
// respect to the margin, the margin -> output transform, the base-score
// estimate, and the leaf refit of the absolute and quantile errors.
#ifndef MLPRIM_ENSEMBLE_DETAIL_OBJECTIVE_HPP
#define MLPRIM_ENSEMBLE_DETAIL_OBJECTIVE_HPP

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/ensemble/params.hpp"

namespace mlprim {
namespace detail {

/// One (gradient, hessian) pair per row and output, in float as XGBoost.
struct GradientPair {
  float g = 0;
  float h = 0;
};

enum class ObjectiveKind {
  SquaredError,
  PseudoHuber,
  AbsoluteError,
  QuantileError,
  Logistic,
  Softprob,
  Poisson
};

/// Weighted alpha-quantile as XGBoost's leaf refit computes it. Without
/// weights: linear interpolation at position alpha (n + 1) of the sorted
/// values (the first below 1/(n+1), the last above n/(n+1)); with weights:
/// the first sorted value whose cumulative weight reaches alpha * total.
/// `values` is reordered. Empty input gives NaN.
inline double weighted_quantile(std::vector<double>& values, const std::vector<double>* weights,
                                double alpha) {
  const std::size_t n = values.size();
  if (n == 0) return std::numeric_limits<double>::quiet_NaN();
  if (weights == nullptr) {
    std::sort(values.begin(), values.end());
    const double nd = static_cast<double>(n);
    if (alpha <= 1 / (nd + 1)) return values.front();
    if (alpha >= nd / (nd + 1)) return values.back();
    const double x = alpha * (nd + 1);
    const double k = std::floor(x) - 1;
    const double d = (x - 1) - k;
    const auto i = static_cast<std::size_t>(k);
    return values[i] + d * (values[i + 1] - values[i]);
  }
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
  std::vector<double> cdf(n);
  double total = 0;
  for (std::size_t i = 0; i < n; ++i) cdf[i] = total += (*weights)[order[i]];
  const std::size_t at = static_cast<std::size_t>(
      std::lower_bound(cdf.begin(), cdf.end(), total * alpha) - cdf.begin());
  return values[order[std::min(at, n - 1)]];
}

/// An objective by XGBoost name, with the parameters it reads.
struct Objective {
  ObjectiveKind kind = ObjectiveKind::SquaredError;
  int groups = 1;               ///< outputs per row (num_class for softprob)
  double scale_pos_weight = 1;  ///< binary:logistic
  double huber_slope = 1;       ///< reg:pseudohubererror
  double quantile_alpha = 0.5;  ///< reg:quantileerror
  double poisson_delta = 0.7;   ///< count:poisson's max_delta_step
  double tree_delta = 0;        ///< the trees' max_delta_step

  /// Parses params.objective; throws std::invalid_argument naming `fn`.
  static Objective from_params(std::string_view fn, const GBParams& params) {
    Objective o;
    const std::string& name = params.objective;
    if (name == "reg:squarederror" || name == "reg:linear")
      o.kind = ObjectiveKind::SquaredError;
    else if (name == "reg:pseudohubererror")
      o.kind = ObjectiveKind::PseudoHuber;
    else if (name == "reg:absoluteerror")
      o.kind = ObjectiveKind::AbsoluteError;
    else if (name == "reg:quantileerror")
      o.kind = ObjectiveKind::QuantileError;
    else if (name == "binary:logistic")
      o.kind = ObjectiveKind::Logistic;
    else if (name == "multi:softprob")
      o.kind = ObjectiveKind::Softprob;
    else if (name == "count:poisson")
      o.kind = ObjectiveKind::Poisson;
    else
      throw_invalid_argument(fn, "objective = \"", name,
                             "\" is not one of reg:squarederror, reg:pseudohubererror, "
                             "reg:absoluteerror, reg:quantileerror, binary:logistic, "
                             "multi:softprob, count:poisson");
    if (o.kind == ObjectiveKind::Softprob) {
      if (params.num_class < 2)
        throw_invalid_argument(fn, "num_class = ", params.num_class,
                               " must be at least 2 for multi:softprob");
      o.groups = params.num_class;
    }
    check_positive(fn, "scale_pos_weight", params.scale_pos_weight);
    check_finite(fn, "scale_pos_weight", params.scale_pos_weight);
    check_positive(fn, "huber_slope", params.huber_slope);
    check_finite(fn, "huber_slope", params.huber_slope);
    if (!(params.quantile_alpha > 0 && params.quantile_alpha < 1))
      throw_invalid_argument(fn, "quantile_alpha = ", params.quantile_alpha, " must be in (0, 1)");
    o.scale_pos_weight = params.scale_pos_weight;
    o.huber_slope = params.huber_slope;
    o.quantile_alpha = params.quantile_alpha;
    o.poisson_delta = params.max_delta_step.value_or(0.7);
    // XGBoost's learner gives the trees Poisson's 0.7 too when none is set.
    o.tree_delta = params.max_delta_step.value_or(o.kind == ObjectiveKind::Poisson ? 0.7 : 0.0);
    return o;
  }

  /// XGBoost's name of the objective.
  const char* name() const {
    switch (kind) {
      case ObjectiveKind::SquaredError:
        return "reg:squarederror";
      case ObjectiveKind::PseudoHuber:
        return "reg:pseudohubererror";
      case ObjectiveKind::AbsoluteError:
        return "reg:absoluteerror";
      case ObjectiveKind::QuantileError:
        return "reg:quantileerror";
      case ObjectiveKind::Logistic:
        return "binary:logistic";
      case ObjectiveKind::Softprob:
        return "multi:softprob";
      case ObjectiveKind::Poisson:
        return "count:poisson";
    }
    return "";
  }

  /// The metric XGBoost evaluates when none is given.
  const char* default_metric() const {
    switch (kind) {
      case ObjectiveKind::SquaredError:
        return "rmse";
      case ObjectiveKind::PseudoHuber:
        return "mphe";
      case ObjectiveKind::AbsoluteError:
        return "mae";
      case ObjectiveKind::QuantileError:
        return "quantile";
      case ObjectiveKind::Logistic:
        return "logloss";
      case ObjectiveKind::Softprob:
        return "mlogloss";
      case ObjectiveKind::Poisson:
        return "poisson-nloglik";
    }
    return "";
  }

  /// Whether leaves are refit to a quantile of the residuals after growth.
  bool refits_leaves() const {
    return kind == ObjectiveKind::AbsoluteError || kind == ObjectiveKind::QuantileError;
  }

  /// Quantile the refit uses.
  double refit_alpha() const { return kind == ObjectiveKind::QuantileError ? quantile_alpha : 0.5; }

  /// Rejects labels the loss has no meaning for (finite everywhere; {0, 1}
  /// for logistic, an integer in [0, groups) for softprob, >= 0 for Poisson).
  template <class Scalar>
  void check_label(std::string_view fn, Index i, Scalar y) const {
    if (!std::isfinite(static_cast<double>(y)))
      throw_invalid_argument(fn, "y[", i, "] = ", y, " is not finite");
    if (kind == ObjectiveKind::Logistic && !(y == 0 || y == 1))
      throw_invalid_argument(fn, "y[", i, "] = ", y, " must be 0 or 1 for binary:logistic");
    if (kind == ObjectiveKind::Softprob &&
        !(y >= 0 && static_cast<double>(y) < groups &&
          std::floor(static_cast<double>(y)) == static_cast<double>(y)))
      throw_invalid_argument(fn, "y[", i, "] = ", y, " must be a class index in [0, ", groups,
                             ") for multi:softprob");
    if (kind == ObjectiveKind::Poisson && !(y >= 0))
      throw_invalid_argument(fn, "y[", i, "] = ", y, " must be non-negative for count:poisson");
  }

  /// Margin of a user's base_score (output space): logit for logistic, log
  /// for Poisson, the value itself otherwise.
  double margin_of_base_score(std::string_view fn, double base_score) const {
    check_finite(fn, "base_score", base_score);
    if (kind == ObjectiveKind::Logistic) {
      if (!(base_score > 0 && base_score < 1))
        throw_invalid_argument(fn, "base_score = ", base_score,
                               " must be in (0, 1) for binary:logistic");
      return -std::log(1 / base_score - 1);
    }
    if (kind == ObjectiveKind::Poisson) {
      check_positive(fn, "base_score", base_score);
      return std::log(base_score);
    }
    return base_score;
  }

  /// Output of a margin: sigmoid for logistic, exp for Poisson, identity
  /// otherwise (softmax is applied per row by transform_row).
  double transform(double margin) const {
    if (kind == ObjectiveKind::Logistic) return 1 / (1 + std::exp(-margin));
    if (kind == ObjectiveKind::Poisson) return std::exp(margin);
    return margin;
  }

  /// Softmax of one row's margins into `out` (max-subtracted).
  static void softmax(const double* margin, int k, double* out) {
    double top = margin[0];
    for (int j = 1; j < k; ++j) top = std::max(top, margin[j]);
    double sum = 0;
    for (int j = 0; j < k; ++j) sum += out[j] = std::exp(margin[j] - top);
    for (int j = 0; j < k; ++j) out[j] /= sum;
  }

  /// (g, h) of row i for every group, XGBoost's formulas (w the row weight):
  ///   squared error  g = (m - y) w,                  h = w
  ///   pseudo-Huber   z = m - y, s = 1 + (z/delta)^2, g = z w / sqrt(s), h = w / (s sqrt(s))
  ///   absolute       g = sign(m - y) w,              h = w
  ///   quantile a     g = (m >= y ? 1 - a : -a) w,    h = w
  ///   logistic       p = sigmoid(m), g = (p - y) w,  h = max(p (1 - p), 1e-16) w
  ///   softprob       p = softmax(m), g_k = (p_k - [y = k]) w, h_k = max(2 p_k (1 - p_k), 1e-16) w
  ///   Poisson        g = (exp(m) - y) w,             h = exp(m + max_delta_step) w
  void gradient(const double* margin, double y, double w, GradientPair* out) const {
    switch (kind) {
      case ObjectiveKind::SquaredError:
        out->g = static_cast<float>((margin[0] - y) * w);
        out->h = static_cast<float>(w);
        return;
      case ObjectiveKind::PseudoHuber: {
        const double z = margin[0] - y;
        const double scale = 1 + (z / huber_slope) * (z / huber_slope);
        const double root = std::sqrt(scale);
        out->g = static_cast<float>(z / root * w);
        out->h = static_cast<float>(w / (scale * root));
        return;
      }
      case ObjectiveKind::AbsoluteError: {
        const double d = margin[0] - y;
        out->g = static_cast<float>(static_cast<double>((d > 0) - (d < 0)) * w);
        out->h = static_cast<float>(w);
        return;
      }
      case ObjectiveKind::QuantileError: {
        const double a = quantile_alpha;
        out->g = static_cast<float>((margin[0] >= y ? 1 - a : -a) * w);
        out->h = static_cast<float>(w);
        return;
      }
      case ObjectiveKind::Logistic: {
        const double p = 1 / (1 + std::exp(-margin[0]));
        const double wy = y == 1 ? w * scale_pos_weight : w;
        out->g = static_cast<float>((p - y) * wy);
        out->h = static_cast<float>(std::max(p * (1 - p), 1e-16) * wy);
        return;
      }
      case ObjectiveKind::Softprob: {
        double p[256];
        std::vector<double> heap;
        double* prob = p;
        if (groups > 256) {
          heap.resize(static_cast<std::size_t>(groups));
          prob = heap.data();
        }
        softmax(margin, groups, prob);
        const int label = static_cast<int>(y);
        for (int k = 0; k < groups; ++k) {
          out[k].g = static_cast<float>((prob[k] - (k == label ? 1.0 : 0.0)) * w);
          out[k].h = static_cast<float>(std::max(2 * prob[k] * (1 - prob[k]), 1e-16) * w);
        }
        return;
      }
      case ObjectiveKind::Poisson:
        out->g = static_cast<float>((std::exp(margin[0]) - y) * w);
        out->h = static_cast<float>(std::exp(margin[0] + poisson_delta) * w);
        return;
    }
  }

  /// gradient() for `count` rows of a single-output objective: margins m,
  /// labels y, weights w (null = 1) into out. The logistic and Poisson
  /// exponentials run as one vectorised Eigen array expression.
  template <class Scalar>
  void gradient_rows(const double* m, const Scalar* y, const double* w, Index count,
                     GradientPair* out) const {
    if (kind != ObjectiveKind::Logistic && kind != ObjectiveKind::Poisson) {
      for (Index i = 0; i < count; ++i)
        gradient(m + i, static_cast<double>(y[i]), w ? w[i] : 1.0, out + i);
      return;
    }
    // Blocks of 256 rows as Eigen array expressions (vectorised), then
    // interleaved into the float pairs.
    constexpr Index block = 256;
    using Block = Eigen::Array<double, Eigen::Dynamic, 1, 0, block, 1>;
    Block g, h, t, wt;
    for (Index b0 = 0; b0 < count; b0 += block) {
      const Index len = std::min(block, count - b0);
      const Eigen::Map<const Eigen::ArrayXd> margin(m + b0, len);
      t = Eigen::Map<const Eigen::Array<Scalar, Eigen::Dynamic, 1>>(y + b0, len)
              .template cast<double>();
      if (w)
        wt = Eigen::Map<const Eigen::ArrayXd>(w + b0, len);
      else
        wt.setOnes(len);
      if (kind == ObjectiveKind::Logistic) {
        wt *= (t == 1).select(scale_pos_weight, Block::Ones(len));
        h = 1 / (1 + (-margin).exp());  // p
        g = (h - t) * wt;
        h = (h * (1 - h)).max(1e-16) * wt;
      } else {
        g = (margin.exp() - t) * wt;
        h = (margin + poisson_delta).exp() * wt;
      }
      for (Index j = 0; j < len; ++j) {
        out[b0 + j].g = static_cast<float>(g[j]);
        out[b0 + j].h = static_cast<float>(h[j]);
      }
    }
  }
};

}  // namespace detail
}  // namespace mlprim

#endif  // MLPRIM_ENSEMBLE_DETAIL_OBJECTIVE_HPP
