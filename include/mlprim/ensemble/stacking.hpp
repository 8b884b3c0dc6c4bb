// Stacked generalisation (Wolpert 1992): StackingClassifier and
// StackingRegressor feed out-of-fold predictions of base estimators to a
// final estimator, as scikit-learn's.
#ifndef MLPRIM_ENSEMBLE_STACKING_HPP
#define MLPRIM_ENSEMBLE_STACKING_HPP

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
#include "mlprim/ensemble/linear_model.hpp"
#include "mlprim/ensemble/model_selection.hpp"

namespace mlprim {

/// Stacking parameters (scikit-learn's StackingClassifier / Regressor).
struct StackingParams {
  /// Folds of the out-of-fold predictions, >= 2 (stratified for classifiers,
  /// unshuffled, as scikit-learn's integer cv).
  int cv = 5;
  /// Append the original features to the final estimator's input.
  bool passthrough = false;
};

namespace detail {

/// What the two stackings share; Model is Classifier or Estimator.
template <class Scalar, class Model, bool kClassifier>
class Stacking {
 public:
  Stacking() = default;
  Stacking(std::vector<Model> estimators, Model final_estimator, StackingParams params)
      : base_(std::move(estimators)), final_(std::move(final_estimator)), params_(params) {}

  /// The base estimators (fitted on all rows after fit).
  const std::vector<Model>& estimators() const { return base_; }
  /// The final estimator.
  const Model& final_estimator() const { return final_; }
  /// The parameters.
  const StackingParams& params() const { return params_; }
  /// Features seen by fit.
  Index num_features() const { return num_features_; }
  /// Whether fit has run.
  bool fitted() const { return num_features_ > 0; }

  /// The final estimator's input for X: each base's probabilities (without
  /// the first column when there are two classes, as scikit-learn) or
  /// predictions side by side, then X itself with passthrough.
  RowMatrix<Scalar> transform(const Eigen::Ref<const RowMatrix<Scalar>>& X) const {
    check_predict_input<Scalar>("Stacking::transform", X, num_features_);
    std::vector<RowMatrix<Scalar>> parts;
    for (const Model& m : base_) {
      if constexpr (kClassifier)
        parts.push_back(m.predict_proba(X));
      else
        parts.push_back(m.predict(X));
    }
    return assemble(parts, X);
  }

 protected:
  void fit_stack(std::string_view fn, const Eigen::Ref<const RowMatrix<Scalar>>& X,
                 const Eigen::Ref<const Vector<Scalar>>& y, const ConstRowView<Scalar>& w) {
    if (base_.empty()) throw_invalid_argument(fn, "no base estimators");
    if (final_.empty()) throw_invalid_argument(fn, "no final estimator");
    if (X.rows() == 0 || X.cols() == 0) throw_invalid_argument(fn, "X is ", X.rows(), " x ", X.cols());
    check_equal(fn, "y.size()", y.size(), X.rows(), "X.rows()");
    if (params_.cv < 2) throw_invalid_argument(fn, "cv = ", params_.cv, " must be >= 2");
    if constexpr (kClassifier) {
      EncodedLabels e = encode_labels<Scalar>(fn, y, X.rows());
      classes_ = std::move(e.classes);
    }
    const std::vector<Fold> folds = default_folds<Scalar>(kClassifier, params_.cv, y);
    std::vector<RowMatrix<Scalar>> parts;
    for (Model& m : base_) {
      parts.push_back(cross_val_predict(m, X, y, folds, kClassifier, w));
      m.fit(X, y, w);
    }
    num_features_ = X.cols();
    const RowMatrix<Scalar> meta = assemble(parts, X);
    final_.fit(meta, y, w);
  }

  RowMatrix<Scalar> assemble(const std::vector<RowMatrix<Scalar>>& parts,
                             const Eigen::Ref<const RowMatrix<Scalar>>& X) const {
    const bool binary = kClassifier && classes_.size() == 2;
    Index cols = params_.passthrough ? X.cols() : 0;
    for (const auto& p : parts) cols += binary ? 1 : p.cols();
    RowMatrix<Scalar> meta(X.rows(), cols);
    Index at = 0;
    for (const auto& p : parts) {
      const Index width = binary ? 1 : p.cols();
      meta.middleCols(at, width) = p.rightCols(width);
      at += width;
    }
    if (params_.passthrough) meta.rightCols(X.cols()) = X;
    return meta;
  }

  void save_stack(std::ostream& out, std::string_view fn, std::string_view magic) const {
    if (!fitted()) throw_invalid_argument(fn, "the model is not fitted");
    io::BinaryWriter w(out, fn);
    w.header(magic, 1);
    w.value(static_cast<std::int32_t>(params_.cv));
    w.value(params_.passthrough);
    w.size(num_features_);
    w.vector(classes_);
    w.size(base_.size());
    for (const Model& m : base_) m.save(out);
    final_.save(out);
  }

  void load_stack(std::istream& in, std::string_view fn, std::string_view magic) {
    io::BinaryReader r(in, fn);
    r.header(magic, 1);
    params_.cv = r.value<std::int32_t>("cv");
    params_.passthrough = r.value<bool>("passthrough");
    num_features_ = static_cast<Index>(r.size("num_features", std::numeric_limits<std::int32_t>::max()));
    classes_ = r.vector<double>("classes", std::numeric_limits<std::int32_t>::max());
    if (kClassifier) check_loaded_classes(fn, classes_);
    const auto count = r.size("estimator count", 1u << 16);
    if (count == 0 || num_features_ == 0) throw_runtime_error(fn, "an empty stacking");
    base_.clear();
    Index width = params_.passthrough ? num_features_ : 0;
    for (std::uint64_t e = 0; e < count; ++e) {
      base_.push_back(Model::load(in));
      if (base_.back().num_features() != num_features_)
        throw_runtime_error(fn, "base estimator ", e, " has ", base_.back().num_features(),
                            " features, the stacking ", num_features_);
      if constexpr (kClassifier) {
        check_member_classes(fn, "a base estimator", classes_, base_.back().classes());
        width += classes_.size() == 2 ? 1 : static_cast<Index>(classes_.size());
      } else {
        width += 1;
      }
    }
    final_ = Model::load(in);
    if constexpr (kClassifier) check_member_classes(fn, "the final estimator", classes_, final_.classes());
    if (final_.num_features() != width)
      throw_runtime_error(fn, "the final estimator has ", final_.num_features(),
                          " features, the base outputs ", width);
  }

  std::vector<Model> base_;
  Model final_;
  StackingParams params_;
  std::vector<double> classes_;
  Index num_features_ = 0;
};

}  // namespace detail

/// Stacking of classifiers: the final classifier (default
/// LogisticRegression) learns from each base's out-of-fold class
/// probabilities (cv stratified folds); the bases are then refitted on
/// all rows. Every base must predict all classes in each fold's
/// probabilities (classes a fold lacks get probability 0).
template <class Scalar>
class StackingClassifier : public detail::Stacking<Scalar, Classifier<Scalar>, true> {
  using Core = detail::Stacking<Scalar, Classifier<Scalar>, true>;

 public:
  StackingClassifier() = default;
  /// Stacks `estimators` under `final_estimator`.
  explicit StackingClassifier(std::vector<Classifier<Scalar>> estimators,
                              Classifier<Scalar> final_estimator = LogisticRegression<Scalar>(),
                              StackingParams params = {})
      : Core(std::move(estimators), std::move(final_estimator), params) {}

  /// Fits; throws std::invalid_argument on bad input. Returns *this.
  StackingClassifier& fit(const Eigen::Ref<const RowMatrix<Scalar>>& X,
                          const Eigen::Ref<const Vector<Scalar>>& y,
                          const ConstRowView<Scalar>& sample_weight = {}) {
    this->fit_stack("StackingClassifier::fit", X, y, sample_weight);
    return *this;
  }
  /// The final estimator's probabilities.
  RowMatrix<Scalar> predict_proba(const Eigen::Ref<const RowMatrix<Scalar>>& X) const {
    return this->final_.predict_proba(this->transform(X));
  }
  /// The final estimator's labels.
  Vector<Scalar> predict(const Eigen::Ref<const RowMatrix<Scalar>>& X) const {
    return this->final_.predict(this->transform(X));
  }
  /// The class labels, ascending.
  Vector<Scalar> classes() const {
    return detail::as_vector<Scalar>(this->classes_);
  }
  /// The magic of the saved format.
  static constexpr std::string_view magic() { return "mlprimSC"; }
  /// Writes the model (bases and final estimator through Classifier::save).
  void save(std::ostream& out) const { this->save_stack(out, "StackingClassifier::save", magic()); }
  /// Reads a model written by save.
  static StackingClassifier load(std::istream& in) {
    StackingClassifier m;
    m.load_stack(in, "StackingClassifier::load", magic());
    return m;
  }
};

/// Stacking of regressors: the final estimator (default RidgeRegression)
/// learns from each base's out-of-fold predictions (cv K-fold).
template <class Scalar>
class StackingRegressor : public detail::Stacking<Scalar, Estimator<Scalar>, false> {
  using Core = detail::Stacking<Scalar, Estimator<Scalar>, false>;

 public:
  StackingRegressor() = default;
  /// Stacks `estimators` under `final_estimator`.
  explicit StackingRegressor(std::vector<Estimator<Scalar>> estimators,
                             Estimator<Scalar> final_estimator = RidgeRegression<Scalar>(),
                             StackingParams params = {})
      : Core(std::move(estimators), std::move(final_estimator), params) {}

  /// Fits; throws std::invalid_argument on bad input. Returns *this.
  StackingRegressor& fit(const Eigen::Ref<const RowMatrix<Scalar>>& X,
                         const Eigen::Ref<const Vector<Scalar>>& y,
                         const ConstRowView<Scalar>& sample_weight = {}) {
    this->fit_stack("StackingRegressor::fit", X, y, sample_weight);
    return *this;
  }
  /// The final estimator's predictions.
  Vector<Scalar> predict(const Eigen::Ref<const RowMatrix<Scalar>>& X) const {
    return this->final_.predict(this->transform(X));
  }
  /// The magic of the saved format.
  static constexpr std::string_view magic() { return "mlprimSR"; }
  /// Writes the model (bases and final estimator through Estimator::save).
  void save(std::ostream& out) const { this->save_stack(out, "StackingRegressor::save", magic()); }
  /// Reads a model written by save.
  static StackingRegressor load(std::istream& in) {
    StackingRegressor m;
    m.load_stack(in, "StackingRegressor::load", magic());
    return m;
  }
};

}  // namespace mlprim

#include "mlprim/ensemble/model_io.hpp"

#endif  // MLPRIM_ENSEMBLE_STACKING_HPP
