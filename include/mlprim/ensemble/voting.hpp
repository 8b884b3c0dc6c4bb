// The simplest combiners: VotingClassifier (hard or soft votes) and
// VotingRegressor (weighted mean), as scikit-learn's.
#ifndef MLPRIM_ENSEMBLE_VOTING_HPP
#define MLPRIM_ENSEMBLE_VOTING_HPP

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <istream>
#include <limits>
#include <ostream>
#include <string_view>
#include <utility>
#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/core/io.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/core/view.hpp"
#include "mlprim/ensemble/estimator.hpp"

namespace mlprim {

/// Hard: the class most (weighted) estimators predict, the smaller label on
/// ties; Soft: the argmax of the weighted mean probability.
enum class Voting { Hard, Soft };

/// Voting parameters (scikit-learn's VotingClassifier / VotingRegressor).
struct VotingParams {
  Voting voting = Voting::Hard;  ///< classifiers only
  std::vector<double> weights;   ///< one per estimator, >= 0 (empty = all 1)
};

namespace detail {

/// What the two voters share.
template <class Scalar, class Model>
class Voter {
 public:
  Voter() = default;
  Voter(std::vector<Model> estimators, VotingParams params)
      : models_(std::move(estimators)), params_(std::move(params)) {}

  /// The estimators.
  const std::vector<Model>& estimators() const { return models_; }
  /// The parameters.
  const VotingParams& params() const { return params_; }
  /// Features seen by fit.
  Index num_features() const { return num_features_; }
  /// Whether fit has run.
  bool fitted() const { return num_features_ > 0; }

 protected:
  void fit_all(std::string_view fn, const Eigen::Ref<const RowMatrix<Scalar>>& X,
               const Eigen::Ref<const Vector<Scalar>>& y, const ConstRowView<Scalar>& w) {
    if (models_.empty()) throw_invalid_argument(fn, "no estimators");
    if (!params_.weights.empty())
      check_equal(fn, "weights.size()", params_.weights.size(), models_.size(),
                  "the number of estimators");
    double total = 0;
    for (std::size_t e = 0; e < params_.weights.size(); ++e) {
      if (!(params_.weights[e] >= 0) || !std::isfinite(params_.weights[e]))
        throw_invalid_argument(fn, "weights[", e, "] = ", params_.weights[e], " must be finite and >= 0");
      total += params_.weights[e];
    }
    if (!params_.weights.empty() && !(total > 0)) throw_invalid_argument(fn, "the weights sum to 0");
    for (Model& m : models_) m.fit(X, y, w);
    num_features_ = X.cols();
  }

  double weight(std::size_t e) const { return params_.weights.empty() ? 1.0 : params_.weights[e]; }

  void save_all(std::ostream& out, std::string_view fn, std::string_view magic) const {
    if (!fitted()) throw_invalid_argument(fn, "the model is not fitted");
    io::BinaryWriter w(out, fn);
    w.header(magic, 1);
    w.value(static_cast<std::uint8_t>(params_.voting));
    w.vector(params_.weights);
    w.size(num_features_);
    w.vector(classes_);
    w.size(models_.size());
    for (const Model& m : models_) m.save(out);
  }

  void load_all(std::istream& in, std::string_view fn, std::string_view magic) {
    io::BinaryReader r(in, fn);
    r.header(magic, 1);
    const auto voting = r.value<std::uint8_t>("voting");
    if (voting > 1) throw_runtime_error(fn, "unknown voting ", int{voting});
    params_.voting = static_cast<Voting>(voting);
    params_.weights = r.vector<double>("weights", 1u << 16);
    num_features_ = static_cast<Index>(r.size("num_features", std::numeric_limits<std::int32_t>::max()));
    classes_ = r.vector<double>("classes", std::numeric_limits<std::int32_t>::max());
    const auto count = r.size("estimator count", 1u << 16);
    if (count == 0 || num_features_ == 0) throw_runtime_error(fn, "an empty ensemble");
    if (!params_.weights.empty() && params_.weights.size() != count)
      throw_runtime_error(fn, "the weights do not match the ", count, " estimators");
    double total = 0;
    for (double v : params_.weights) {
      if (!(v >= 0) || !std::isfinite(v)) throw_runtime_error(fn, "a weight is ", v);
      total += v;
    }
    if (!params_.weights.empty() && !(total > 0)) throw_runtime_error(fn, "the weights sum to 0");
    models_.clear();
    for (std::uint64_t e = 0; e < count; ++e) {
      models_.push_back(Model::load(in));
      if (models_.back().num_features() != num_features_)
        throw_runtime_error(fn, "estimator ", e, " has ", models_.back().num_features(),
                            " features, the ensemble ", num_features_);
    }
  }

  std::vector<Model> models_;
  VotingParams params_;
  std::vector<double> classes_;
  Index num_features_ = 0;
};

}  // namespace detail

/// Majority (hard) or probability (soft) vote of classifiers.
template <class Scalar>
class VotingClassifier : public detail::Voter<Scalar, Classifier<Scalar>> {
  using Core = detail::Voter<Scalar, Classifier<Scalar>>;

 public:
  VotingClassifier() = default;
  /// Votes of `estimators`.
  explicit VotingClassifier(std::vector<Classifier<Scalar>> estimators, VotingParams params = {})
      : Core(std::move(estimators), std::move(params)) {}

  /// Fits every estimator on (X, y, sample_weight). Returns *this.
  VotingClassifier& fit(const Eigen::Ref<const RowMatrix<Scalar>>& X,
                        const Eigen::Ref<const Vector<Scalar>>& y,
                        const ConstRowView<Scalar>& sample_weight = {}) {
    constexpr const char* fn = "VotingClassifier::fit";
    this->classes_ = detail::encode_labels<Scalar>(fn, y, X.rows()).classes;
    this->fit_all(fn, X, y, sample_weight);
    return *this;
  }

  /// Weighted mean of the estimators' probabilities (soft voting only).
  RowMatrix<Scalar> predict_proba(const Eigen::Ref<const RowMatrix<Scalar>>& X) const {
    if (this->params_.voting != Voting::Soft)
      throw_invalid_argument("VotingClassifier::predict_proba", "needs voting = Soft");
    return votes(X).template cast<Scalar>();
  }

  /// The voted class.
  Vector<Scalar> predict(const Eigen::Ref<const RowMatrix<Scalar>>& X) const {
    return detail::labels_of_rows<Scalar>(this->classes_, votes(X));
  }

  /// The class labels, ascending.
  Vector<Scalar> classes() const {
    return detail::as_vector<Scalar>(this->classes_);
  }
  /// The magic of the saved format.
  static constexpr std::string_view magic() { return "mlprimVC"; }
  /// Writes the model.
  void save(std::ostream& out) const { this->save_all(out, "VotingClassifier::save", magic()); }
  /// Reads a model written by save.
  static VotingClassifier load(std::istream& in) {
    VotingClassifier m;
    constexpr const char* fn = "VotingClassifier::load";
    m.load_all(in, fn, magic());
    detail::check_loaded_classes(fn, m.classes_);
    for (const Classifier<Scalar>& e : m.models_)
      detail::check_member_classes(fn, "an estimator", m.classes_, e.classes());
    return m;
  }

 private:
  /// Per row and class: summed weights of the votes (hard) or the weighted
  /// mean probability (soft).
  RowMatrix<double> votes(const Eigen::Ref<const RowMatrix<Scalar>>& X) const {
    if (!this->fitted()) throw_invalid_argument("VotingClassifier::predict", "the model is not fitted");
    const auto& cls = this->classes_;
    RowMatrix<double> v = RowMatrix<double>::Zero(X.rows(), static_cast<Index>(cls.size()));
    double total = 0;
    for (std::size_t e = 0; e < this->models_.size(); ++e) {
      const double w = this->weight(e);
      total += w;
      const Classifier<Scalar>& m = this->models_[e];
      auto column = [&](Scalar label) {
        return std::lower_bound(cls.begin(), cls.end(), static_cast<double>(label)) - cls.begin();
      };
      if (this->params_.voting == Voting::Hard) {
        const Vector<Scalar> pred = m.predict(X);
        for (Index i = 0; i < X.rows(); ++i) v(i, column(pred[i])) += w;
      } else {
        const RowMatrix<Scalar> p = m.predict_proba(X);
        const Vector<Scalar> mc = m.classes();
        for (Index c = 0; c < mc.size(); ++c)
          for (Index i = 0; i < X.rows(); ++i) v(i, column(mc[c])) += w * static_cast<double>(p(i, c));
      }
    }
    if (this->params_.voting == Voting::Soft) v /= total;
    return v;
  }
};

/// Weighted mean of regressors' predictions.
template <class Scalar>
class VotingRegressor : public detail::Voter<Scalar, Estimator<Scalar>> {
  using Core = detail::Voter<Scalar, Estimator<Scalar>>;

 public:
  VotingRegressor() = default;
  /// The mean of `estimators` (weights in params).
  explicit VotingRegressor(std::vector<Estimator<Scalar>> estimators, VotingParams params = {})
      : Core(std::move(estimators), std::move(params)) {}

  /// Fits every estimator on (X, y, sample_weight). Returns *this.
  VotingRegressor& fit(const Eigen::Ref<const RowMatrix<Scalar>>& X,
                       const Eigen::Ref<const Vector<Scalar>>& y,
                       const ConstRowView<Scalar>& sample_weight = {}) {
    this->fit_all("VotingRegressor::fit", X, y, sample_weight);
    return *this;
  }
  /// sum_e w_e f_e(x) / sum_e w_e.
  Vector<Scalar> predict(const Eigen::Ref<const RowMatrix<Scalar>>& X) const {
    if (!this->fitted()) throw_invalid_argument("VotingRegressor::predict", "the model is not fitted");
    Vector<double> sum = Vector<double>::Zero(X.rows());
    double total = 0;
    for (std::size_t e = 0; e < this->models_.size(); ++e) {
      sum += this->weight(e) * this->models_[e].predict(X).template cast<double>();
      total += this->weight(e);
    }
    return (sum / total).template cast<Scalar>();
  }
  /// The magic of the saved format.
  static constexpr std::string_view magic() { return "mlprimVR"; }
  /// Writes the model.
  void save(std::ostream& out) const { this->save_all(out, "VotingRegressor::save", magic()); }
  /// Reads a model written by save.
  static VotingRegressor load(std::istream& in) {
    VotingRegressor m;
    m.load_all(in, "VotingRegressor::load", magic());
    return m;
  }
};

}  // namespace mlprim

#include "mlprim/ensemble/model_io.hpp"

#endif  // MLPRIM_ENSEMBLE_VOTING_HPP
