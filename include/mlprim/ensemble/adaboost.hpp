// AdaBoost: SAMME for K classes (Zhu, Zou, Rosset & Hastie 2009) and
// AdaBoost.R2 for regression (Drucker 1997), as scikit-learn computes them.
#ifndef MLPRIM_ENSEMBLE_ADABOOST_HPP
#define MLPRIM_ENSEMBLE_ADABOOST_HPP

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <istream>
#include <limits>
#include <numeric>
#include <optional>
#include <ostream>
#include <string_view>
#include <utility>
#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/core/io.hpp"
#include "mlprim/core/random.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/core/view.hpp"
#include "mlprim/ensemble/bagging.hpp"
#include "mlprim/ensemble/decision_tree.hpp"
#include "mlprim/ensemble/detail/estimator_checks.hpp"

namespace mlprim {

/// AdaBoost.R2's loss of a normalised error e in [0, 1]: e, e^2 or 1 - exp(-e).
enum class AdaBoostLoss { Linear, Square, Exponential };

/// AdaBoost parameters, named and defaulted as scikit-learn's
/// AdaBoostClassifier (algorithm "SAMME") and AdaBoostRegressor.
struct AdaBoostParams {
  /// Most boosting rounds, >= 1 (fewer when a learner is perfect or no
  /// better than chance).
  int n_estimators = 50;
  /// Shrinkage of every learner's weight, > 0.
  double learning_rate = 1.0;
  /// Classifier: fit each learner on a weighted resample of the rows
  /// instead of on the weights (the regressor always resamples, as AdaBoost.R2).
  bool resample = false;
  /// Regressor: the loss of AdaBoost.R2.
  AdaBoostLoss loss = AdaBoostLoss::Linear;
  /// Seed of the resampling and of each learner (learner m: Rng::stream(seed, m)).
  std::uint64_t seed = 0;
};

namespace detail {

inline void check_adaboost_params(std::string_view fn, const AdaBoostParams& q) {
  if (q.n_estimators < 1)
    throw_invalid_argument(fn, "n_estimators = ", q.n_estimators, " must be >= 1");
  check_positive(fn, "learning_rate", q.learning_rate);
  check_finite(fn, "learning_rate", q.learning_rate);
}

/// n draws of row indices with probabilities w / sum(w), as counts per row.
inline std::vector<double> weighted_resample(const std::vector<double>& w, Rng& rng) {
  std::vector<double> cdf(w.size());
  std::partial_sum(w.begin(), w.end(), cdf.begin());
  std::vector<double> counts(w.size(), 0.0);
  const double total = cdf.back();
  for (std::size_t d = 0; d < w.size(); ++d) {
    const double u = rng.uniform<double>() * total;
    auto it = std::upper_bound(cdf.begin(), cdf.end(), u);
    // upper_bound never lands on a zero weight (its cdf equals its
    // predecessor's); only u rounding up to the total runs off the end,
    // where the last positive weight is taken.
    if (it == cdf.end())
      do --it;
      while (w[static_cast<std::size_t>(it - cdf.begin())] == 0);
    counts[static_cast<std::size_t>(it - cdf.begin())] += 1;
  }
  return counts;
}

/// Fits a fresh copy of `prototype` on weights w (prepared data when the
/// base takes it).
template <class Scalar, class Base>
Base fit_learner(const Base& prototype, std::uint64_t seed, const std::optional<CartData>& data,
                 const Eigen::Ref<const RowMatrix<Scalar>>& X,
                 const Eigen::Ref<const Vector<Scalar>>& y, const std::vector<double>& w) {
  Base est = prototype;
  if constexpr (has_set_seed<Base>::value) est.set_seed(seed);
  if constexpr (has_fit_prepared<Base>::value)
    if (data) {
      est.fit_prepared(*data, w);
      return est;
    }
  const Vector<Scalar> weight = as_vector<Scalar>(w);
  est.fit(X, y, weight);
  return est;
}

/// What the two AdaBoosts share: the learners, their weights and errors,
/// and the saved format (parameters, classes, weights, then each learner
/// in its own format).
template <class Scalar, class Base, bool kClassifier>
class AdaBoost {
 public:
  /// The parameters.
  const AdaBoostParams& params() const { return params_; }
  /// The learners kept.
  const std::vector<Base>& estimators() const { return estimators_; }
  /// Their weights alpha_m (scikit-learn's estimator_weights_).
  const std::vector<double>& estimator_weights() const { return alpha_; }
  /// Their weighted training errors or losses (scikit-learn's estimator_errors_).
  const std::vector<double>& estimator_errors() const { return error_; }
  /// Features seen by fit.
  Index num_features() const { return num_features_; }
  /// Whether fit has run.
  bool fitted() const { return num_features_ > 0; }
  /// Sets the seed of later fits.
  void set_seed(std::uint64_t seed) { params_.seed = seed; }

 protected:
  AdaBoost(AdaBoostParams params, Base prototype)
      : params_(std::move(params)), prototype_(std::move(prototype)) {}

  void start(Index num_features) {
    num_features_ = num_features;
    estimators_.clear();
    alpha_.clear();
    error_.clear();
  }

  void keep(Base est, double alpha, double error) {
    estimators_.push_back(std::move(est));
    alpha_.push_back(alpha);
    error_.push_back(error);
  }

  void save_boost(std::ostream& out, std::string_view fn, std::string_view magic) const {
    if (!fitted()) throw_invalid_argument(fn, "the model is not fitted");
    io::BinaryWriter w(out, fn);
    w.header(magic, 1);
    w.value(static_cast<std::int32_t>(params_.n_estimators));
    w.value(params_.learning_rate);
    w.value(params_.resample);
    w.value(static_cast<std::uint8_t>(params_.loss));
    w.value(params_.seed);
    w.size(num_features_);
    w.vector(classes_);
    w.vector(alpha_);
    w.vector(error_);
    for (const Base& e : estimators_) e.save(out);
  }

  void load_boost(std::istream& in, std::string_view fn, std::string_view magic) {
    constexpr std::uint64_t kMax = std::numeric_limits<std::int32_t>::max();
    io::BinaryReader r(in, fn);
    r.header(magic, 1);
    params_.n_estimators = r.value<std::int32_t>("n_estimators");
    params_.learning_rate = r.value<double>("learning_rate");
    params_.resample = r.value<bool>("resample");
    const auto loss = r.value<std::uint8_t>("loss");
    if (loss > static_cast<int>(AdaBoostLoss::Exponential))
      throw_runtime_error(fn, "unknown loss ", int{loss});
    params_.loss = static_cast<AdaBoostLoss>(loss);
    params_.seed = r.value<std::uint64_t>("seed");
    num_features_ = static_cast<Index>(r.size("num_features", kMax));
    classes_ = r.vector<double>("classes", kMax);
    if (kClassifier) check_loaded_classes(fn, classes_);
    if (!kClassifier && !classes_.empty()) throw_runtime_error(fn, "a regressor with classes");
    alpha_ = r.vector<double>("estimator weights", kMax);
    error_ = r.vector<double>("estimator errors", kMax);
    if (alpha_.empty() || num_features_ == 0 || error_.size() != alpha_.size())
      throw_runtime_error(fn, "an empty model, or weights and errors that differ in length");
    for (std::size_t m = 0; m < alpha_.size(); ++m)
      if (!std::isfinite(alpha_[m]) || !(alpha_[m] >= 0) || !std::isfinite(error_[m]))
        throw_runtime_error(fn, "learner ", m, " has weight ", alpha_[m]);
    estimators_.clear();
    for (std::size_t e = 0; e < alpha_.size(); ++e) {
      estimators_.push_back(Base::load(in));
      if (estimators_.back().num_features() != num_features_)
        throw_runtime_error(fn, "learner ", e, " has ", estimators_.back().num_features(),
                            " features, the model ", num_features_);
      if constexpr (kClassifier) {
        const Vector<Scalar> c = estimators_.back().classes();
        if (std::is_same_v<Base, DecisionTreeClassifier<Scalar>> &&
            c.size() != static_cast<Index>(classes_.size()))
          throw_runtime_error(fn, "tree ", e, " does not predict the model's ", classes_.size(),
                              " classes");
        for (Index j = 0; j < c.size(); ++j)
          if (!std::binary_search(classes_.begin(), classes_.end(), static_cast<double>(c[j])))
            throw_runtime_error(fn, "learner ", e, " predicts a class the model lacks");
      }
    }
  }

  AdaBoostParams params_;
  Base prototype_;
  std::vector<Base> estimators_;
  std::vector<double> alpha_, error_, classes_;
  Index num_features_ = 0;
};

}  // namespace detail

/// AdaBoost with SAMME (Zhu et al. 2009), scikit-learn's
/// AdaBoostClassifier(algorithm="SAMME"). With weights w (normalised to
/// sum 1) each round fits a learner, takes its weighted error
/// err = sum_i w_i [h(x_i) != y_i], and with
/// alpha = learning_rate (log((1 - err) / err) + log(K - 1)) multiplies the
/// weights of the misclassified rows by exp(alpha). It stops after a
/// perfect learner (weight 1) and discards a learner with err >= 1 - 1/K
/// (no better than chance; the first one throws). The score of class k is
/// sum_m alpha_m [h_m(x) = k] / sum_m alpha_m; predict takes its argmax,
/// predict_proba softmax(score / (K - 1)). Base defaults to a stump
/// (DecisionTreeClassifier, max_depth 1).
template <class Scalar, class Base = DecisionTreeClassifier<Scalar>>
class AdaBoostClassifier : public detail::AdaBoost<Scalar, Base, true> {
  using Core = detail::AdaBoost<Scalar, Base, true>;

 public:
  /// The default learner: a depth-1 tree.
  static Base default_learner() {
    if constexpr (std::is_same_v<Base, DecisionTreeClassifier<Scalar>>) {
      DecisionTreeParams q;
      q.max_depth = 1;
      return Base(q);
    } else {
      return Base{};
    }
  }

  /// Stumps with scikit-learn's defaults.
  AdaBoostClassifier() : Core(AdaBoostParams{}, default_learner()) {}
  /// Boosts copies of `prototype` with `params`.
  explicit AdaBoostClassifier(AdaBoostParams params, Base prototype = default_learner())
      : Core(std::move(params), std::move(prototype)) {}

  /// Boosts on X (n x p), integer labels y and optional sample weights.
  /// Throws std::invalid_argument for bad input or a first learner no
  /// better than chance.
  AdaBoostClassifier& fit(const Eigen::Ref<const RowMatrix<Scalar>>& X,
                          const Eigen::Ref<const Vector<Scalar>>& y,
                          const ConstRowView<Scalar>& sample_weight = {}) {
    constexpr const char* fn = "AdaBoostClassifier::fit";
    detail::check_adaboost_params(fn, params_);
    const Index n = X.rows();
    if (n == 0) throw_invalid_argument(fn, "X has no rows");
    std::vector<double> w = detail::weights_or_ones(fn, sample_weight, n);
    detail::EncodedLabels labels = detail::encode_labels<Scalar>(fn, y, n);
    const auto k = static_cast<double>(labels.classes.size());
    std::optional<detail::CartData> data;
    if constexpr (detail::has_fit_prepared<Base>::value) {
      data = detail::make_cart_data<Scalar>(fn, X, y, true, 1, prototype_.params().max_bin);
    } else {
      if (X.cols() == 0) throw_invalid_argument(fn, "X has no columns");
    }
    const double total = std::accumulate(w.begin(), w.end(), 0.0);
    for (double& v : w) v /= total;
    this->classes_ = labels.classes;
    this->start(X.cols());
    Rng rng(params_.seed);
    for (int m = 0; m < params_.n_estimators; ++m) {
      const std::vector<double> fit_w = params_.resample ? detail::weighted_resample(w, rng) : w;
      Base est = detail::fit_learner<Scalar, Base>(prototype_, Rng::stream(params_.seed, m + 1)(),
                                                   data, X, y, fit_w);
      const std::vector<std::int32_t> pred = predicted_index(est, X);
      std::vector<std::uint8_t> wrong(static_cast<std::size_t>(n));
      double err = 0, wsum = 0;
      for (std::size_t i = 0; i < w.size(); ++i) {
        wrong[i] = pred[i] != labels.index[i];
        err += w[i] * wrong[i];
        wsum += w[i];
      }
      err /= wsum;
      if (err <= 0) {
        this->keep(std::move(est), 1.0, 0.0);
        break;
      }
      if (err >= 1.0 - 1.0 / k) {
        if (estimators_.empty())
          throw_invalid_argument(fn, "the first learner's weighted error ", err,
                                 " is no better than chance (1 - 1/K = ", 1.0 - 1.0 / k, ")");
        break;
      }
      const double alpha = params_.learning_rate * (std::log((1 - err) / err) + std::log(k - 1));
      this->keep(std::move(est), alpha, err);
      if (m + 1 == params_.n_estimators) break;
      double sum = 0;
      for (std::size_t i = 0; i < w.size(); ++i) {
        if (w[i] > 0 && wrong[i]) w[i] *= std::exp(alpha);
        sum += w[i];
      }
      if (!std::isfinite(sum) || !(sum > 0)) break;
      for (double& v : w) v /= sum;
    }
    return *this;
  }

  /// Class scores, n x K: sum_m alpha_m [h_m(x) = k] / sum_m alpha_m over
  /// the first `rounds` learners (0 = all).
  RowMatrix<double> decision_function(const Eigen::Ref<const RowMatrix<Scalar>>& X,
                                      std::size_t rounds = 0) const {
    detail::check_predict_input<Scalar>("AdaBoostClassifier::decision_function", X, num_features_);
    if (rounds == 0 || rounds > estimators_.size()) rounds = estimators_.size();
    RowMatrix<double> score = RowMatrix<double>::Zero(X.rows(), num_classes());
    double total = 0;
    for (std::size_t m = 0; m < rounds; ++m) {
      const std::vector<std::int32_t> pred = predicted_index(estimators_[m], X);
      for (Index i = 0; i < X.rows(); ++i) score(i, pred[static_cast<std::size_t>(i)]) += alpha_[m];
      total += alpha_[m];
    }
    return score / total;
  }

  /// The class of the largest score (the smaller label on ties).
  Vector<Scalar> predict(const Eigen::Ref<const RowMatrix<Scalar>>& X) const {
    return detail::labels_of_rows<Scalar>(classes_, decision_function(X));
  }

  /// softmax(score / (K - 1)) per row, n x K (scikit-learn's SAMME probabilities).
  RowMatrix<Scalar> predict_proba(const Eigen::Ref<const RowMatrix<Scalar>>& X) const {
    RowMatrix<double> s = decision_function(X) / static_cast<double>(num_classes() - 1);
    for (Index i = 0; i < s.rows(); ++i) {
      s.row(i).array() = (s.row(i).array() - s.row(i).maxCoeff()).exp();
      s.row(i) /= s.row(i).sum();
    }
    return s.cast<Scalar>();
  }

  /// predict after each round: element m uses the first m + 1 learners.
  std::vector<Vector<Scalar>> staged_predict(const Eigen::Ref<const RowMatrix<Scalar>>& X) const {
    detail::check_predict_input<Scalar>("AdaBoostClassifier::staged_predict", X, num_features_);
    std::vector<Vector<Scalar>> out;
    RowMatrix<double> score = RowMatrix<double>::Zero(X.rows(), num_classes());
    for (std::size_t m = 0; m < estimators_.size(); ++m) {
      const std::vector<std::int32_t> pred = predicted_index(estimators_[m], X);
      for (Index i = 0; i < X.rows(); ++i) score(i, pred[static_cast<std::size_t>(i)]) += alpha_[m];
      out.push_back(detail::labels_of_rows<Scalar>(classes_, score));
    }
    return out;
  }

  /// The class labels, ascending.
  Vector<Scalar> classes() const {
    return detail::as_vector<Scalar>(classes_);
  }
  /// Number of classes.
  Index num_classes() const { return static_cast<Index>(classes_.size()); }

  /// The magic of the saved format.
  /// ("mlprimAC" over trees, "mlprimAc" over any other base).
  static constexpr std::string_view magic() {
    return std::is_same_v<Base, DecisionTreeClassifier<Scalar>> ? "mlprimAC" : "mlprimAc";
  }
  /// Writes the model (learners in their own format).
  void save(std::ostream& out) const { this->save_boost(out, "AdaBoostClassifier::save", magic()); }
  /// Reads a model written by save (std::runtime_error on corrupt input).
  static AdaBoostClassifier load(std::istream& in) {
    AdaBoostClassifier m;
    m.load_boost(in, "AdaBoostClassifier::load", magic());
    return m;
  }

 private:
  /// The learner's predicted class of every row, as an index into classes_.
  std::vector<std::int32_t> predicted_index(const Base& est,
                                            const Eigen::Ref<const RowMatrix<Scalar>>& X) const {
    std::vector<std::int32_t> out(static_cast<std::size_t>(X.rows()));
    if constexpr (std::is_same_v<Base, DecisionTreeClassifier<Scalar>>) {
      const CartTree& t = est.tree();
      for (Index i = 0; i < X.rows(); ++i)
        out[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(
            detail::argmax(t.values(t.leaf(X.data() + i * X.outerStride())), num_classes()));
    } else {
      const Vector<Scalar> pred = est.predict(X);
      for (Index i = 0; i < X.rows(); ++i)
        out[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(
            std::lower_bound(classes_.begin(), classes_.end(), static_cast<double>(pred[i])) -
            classes_.begin());
    }
    return out;
  }


  using Core::alpha_;
  using Core::classes_;
  using Core::estimators_;
  using Core::num_features_;
  using Core::params_;
  using Core::prototype_;
};

/// AdaBoost.R2 (Drucker 1997), scikit-learn's AdaBoostRegressor. Each round
/// fits a learner on a resample of the rows drawn with probabilities w,
/// normalises its absolute errors on all rows by the largest, applies the
/// loss L (linear, square, exponential), takes err = sum_i w_i L_i and,
/// with beta = err / (1 - err) and alpha = learning_rate log(1 / beta),
/// multiplies w_i by beta^((1 - L_i) learning_rate). It stops after a
/// perfect learner (weight 1) or one with err >= 0.5 (discarded; the first
/// throws). predict is the alpha-weighted median of the learners'
/// predictions (the first in ascending order whose cumulative weight
/// reaches half the total). Base defaults to a depth-3 regression tree.
template <class Scalar, class Base = DecisionTreeRegressor<Scalar>>
class AdaBoostRegressor : public detail::AdaBoost<Scalar, Base, false> {
  using Core = detail::AdaBoost<Scalar, Base, false>;

 public:
  /// The default learner: a depth-3 tree.
  static Base default_learner() {
    if constexpr (std::is_same_v<Base, DecisionTreeRegressor<Scalar>>) {
      DecisionTreeParams q;
      q.max_depth = 3;
      return Base(q);
    } else {
      return Base{};
    }
  }

  /// Depth-3 trees with scikit-learn's defaults.
  AdaBoostRegressor() : Core(AdaBoostParams{}, default_learner()) {}
  /// Boosts copies of `prototype` with `params`.
  explicit AdaBoostRegressor(AdaBoostParams params, Base prototype = default_learner())
      : Core(std::move(params), std::move(prototype)) {}

  /// Boosts on X, finite targets y and optional sample weights.
  AdaBoostRegressor& fit(const Eigen::Ref<const RowMatrix<Scalar>>& X,
                         const Eigen::Ref<const Vector<Scalar>>& y,
                         const ConstRowView<Scalar>& sample_weight = {}) {
    constexpr const char* fn = "AdaBoostRegressor::fit";
    detail::check_adaboost_params(fn, params_);
    const Index n = X.rows();
    if (n == 0) throw_invalid_argument(fn, "X has no rows");
    std::vector<double> w = detail::weights_or_ones(fn, sample_weight, n);
    const std::vector<double> target = detail::checked_targets<Scalar>(fn, y, n);
    std::optional<detail::CartData> data;
    if constexpr (detail::has_fit_prepared<Base>::value) {
      data = detail::make_cart_data<Scalar>(fn, X, y, false, 1, prototype_.params().max_bin);
    } else {
      if (X.cols() == 0) throw_invalid_argument(fn, "X has no columns");
    }
    const double total = std::accumulate(w.begin(), w.end(), 0.0);
    for (double& v : w) v /= total;
    this->start(X.cols());
    Rng rng(params_.seed);
    std::vector<double> loss(static_cast<std::size_t>(n));
    for (int m = 0; m < params_.n_estimators; ++m) {
      const std::vector<double> counts = detail::weighted_resample(w, rng);
      Base est = detail::fit_learner<Scalar, Base>(prototype_, Rng::stream(params_.seed, m + 1)(),
                                                   data, X, y, counts);
      const Vector<Scalar> pred = est.predict(X);
      double largest = 0;
      for (Index i = 0; i < n; ++i) {
        const auto u = static_cast<std::size_t>(i);
        loss[u] = std::abs(static_cast<double>(pred[i]) - target[u]);
        if (w[u] > 0) largest = std::max(largest, loss[u]);
      }
      double err = 0;
      for (std::size_t i = 0; i < loss.size(); ++i) {
        if (largest != 0) loss[i] /= largest;
        if (params_.loss == AdaBoostLoss::Square) loss[i] *= loss[i];
        if (params_.loss == AdaBoostLoss::Exponential) loss[i] = 1 - std::exp(-loss[i]);
        if (w[i] > 0) err += w[i] * loss[i];
      }
      if (err <= 0) {
        this->keep(std::move(est), 1.0, 0.0);
        break;
      }
      if (err >= 0.5) {
        if (estimators_.empty())
          throw_invalid_argument(fn, "the first learner's loss ", err, " is at least 0.5");
        break;
      }
      const double beta = err / (1 - err);
      this->keep(std::move(est), params_.learning_rate * std::log(1 / beta), err);
      if (m + 1 == params_.n_estimators) break;
      double sum = 0;
      for (std::size_t i = 0; i < w.size(); ++i) {
        if (w[i] > 0) w[i] *= std::pow(beta, (1 - loss[i]) * params_.learning_rate);
        sum += w[i];
      }
      if (!std::isfinite(sum) || !(sum > 0)) break;
      for (double& v : w) v /= sum;
    }
    return *this;
  }

  /// The weighted median of the first `rounds` learners' predictions (0 = all).
  Vector<Scalar> predict(const Eigen::Ref<const RowMatrix<Scalar>>& X,
                         std::size_t rounds = 0) const {
    detail::check_predict_input<Scalar>("AdaBoostRegressor::predict", X, num_features_);
    if (rounds == 0 || rounds > estimators_.size()) rounds = estimators_.size();
    RowMatrix<Scalar> pred(X.rows(), static_cast<Index>(rounds));
    for (std::size_t m = 0; m < rounds; ++m) pred.col(static_cast<Index>(m)) = estimators_[m].predict(X);
    Vector<Scalar> out(X.rows());
    std::vector<std::size_t> order(rounds);
    for (Index i = 0; i < X.rows(); ++i) {
      std::iota(order.begin(), order.end(), std::size_t{0});
      std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return pred(i, static_cast<Index>(a)) < pred(i, static_cast<Index>(b));
      });
      double total = 0;
      for (std::size_t m = 0; m < rounds; ++m) total += alpha_[m];
      double cum = 0;
      std::size_t pick = order.back();
      for (std::size_t j : order) {
        cum += alpha_[j];
        if (cum >= 0.5 * total) {
          pick = j;
          break;
        }
      }
      out[i] = pred(i, static_cast<Index>(pick));
    }
    return out;
  }

  /// predict after each round: element m uses the first m + 1 learners.
  std::vector<Vector<Scalar>> staged_predict(const Eigen::Ref<const RowMatrix<Scalar>>& X) const {
    std::vector<Vector<Scalar>> out;
    for (std::size_t m = 1; m <= estimators_.size(); ++m) out.push_back(predict(X, m));
    return out;
  }


  /// The magic of the saved format.
  /// ("mlprimAR" over trees, "mlprimAr" over any other base).
  static constexpr std::string_view magic() {
    return std::is_same_v<Base, DecisionTreeRegressor<Scalar>> ? "mlprimAR" : "mlprimAr";
  }
  /// Writes the model (learners in their own format).
  void save(std::ostream& out) const { this->save_boost(out, "AdaBoostRegressor::save", magic()); }
  /// Reads a model written by save (std::runtime_error on corrupt input).
  static AdaBoostRegressor load(std::istream& in) {
    AdaBoostRegressor m;
    m.load_boost(in, "AdaBoostRegressor::load", magic());
    return m;
  }

 private:
  using Core::alpha_;
  using Core::estimators_;
  using Core::num_features_;
  using Core::params_;
  using Core::prototype_;
};

}  // namespace mlprim

#endif  // MLPRIM_ENSEMBLE_ADABOOST_HPP
