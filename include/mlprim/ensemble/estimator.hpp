// Type-erased estimators: Estimator<Scalar> holds any model with fit and
// predict, Classifier<Scalar> any with predict_proba and classes too, so
// that different models sit in one list (stacking, voting, bagging).
#ifndef MLPRIM_ENSEMBLE_ESTIMATOR_HPP
#define MLPRIM_ENSEMBLE_ESTIMATOR_HPP

#include <cstdint>
#include <istream>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "mlprim/core/error.hpp"
#include "mlprim/core/io.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/core/view.hpp"
#include "mlprim/ensemble/bagging.hpp"
#include "mlprim/ensemble/model_selection.hpp"

namespace mlprim {

template <class Scalar>
class Estimator;
template <class Scalar>
class Classifier;

/// Reads an Estimator saved by Estimator::save of any model of this module
/// (dispatching on the model's magic; ensemble/model_io.hpp). Throws
/// std::runtime_error for an unknown or corrupt model.
template <class Scalar>
Estimator<Scalar> load_estimator(std::istream& in);
/// Reads a Classifier saved by Classifier::save (see load_estimator).
template <class Scalar>
Classifier<Scalar> load_classifier(std::istream& in);

namespace detail {

/// The erased interface.
template <class Scalar>
struct ModelConcept {
  virtual ~ModelConcept() = default;
  virtual std::unique_ptr<ModelConcept> clone() const = 0;
  virtual void fit(const Eigen::Ref<const RowMatrix<Scalar>>& X,
                   const Eigen::Ref<const Vector<Scalar>>& y, const ConstRowView<Scalar>& w) = 0;
  virtual Vector<Scalar> predict(const Eigen::Ref<const RowMatrix<Scalar>>& X) const = 0;
  virtual RowMatrix<Scalar> predict_proba(const Eigen::Ref<const RowMatrix<Scalar>>& X) const = 0;
  virtual Vector<Scalar> classes() const = 0;
  virtual Index num_features() const = 0;
  virtual void set_seed(std::uint64_t seed) = 0;
  virtual void save(std::ostream& out) const = 0;
  virtual std::string_view magic() const = 0;
  virtual bool is_classifier() const = 0;
};

template <class T, class = void>
struct has_classes : std::false_type {};
template <class T>
struct has_classes<T, std::void_t<decltype(std::declval<const T&>().classes())>> : std::true_type {};

template <class T, class Scalar, class = void>
struct fits_with_weights : std::false_type {};
template <class T, class Scalar>
struct fits_with_weights<T, Scalar,
                         std::void_t<decltype(std::declval<T&>().fit(
                             std::declval<const RowMatrix<Scalar>&>(),
                             std::declval<const Vector<Scalar>&>(),
                             std::declval<const ConstRowView<Scalar>&>()))>> : std::true_type {};

/// Holds one model. A model without classes() (GradientBoosting) held as a
/// classifier has classes 0..K-1 and predicts the argmax of predict_proba;
/// a model whose fit takes an options struct gets the weights through its
/// `sample_weight` field.
template <class Scalar, class Model>
struct ModelHolder final : ModelConcept<Scalar> {
  ModelHolder(Model m, bool classifier) : model(std::move(m)), as_classifier(classifier) {}
  std::unique_ptr<ModelConcept<Scalar>> clone() const override {
    return std::make_unique<ModelHolder>(model, as_classifier);
  }
  void fit(const Eigen::Ref<const RowMatrix<Scalar>>& X, const Eigen::Ref<const Vector<Scalar>>& y,
           const ConstRowView<Scalar>& w) override {
    if constexpr (fits_with_weights<Model, Scalar>::value) {
      model.fit(X, y, w);
    } else {
      typename Model::Options options;
      options.sample_weight = w;
      model.fit(X, y, options);
    }
  }
  Vector<Scalar> predict(const Eigen::Ref<const RowMatrix<Scalar>>& X) const override {
    if constexpr (has_predict_proba<Model>::value && !has_classes<Model>::value) {
      if (as_classifier) {
        const RowMatrix<Scalar> p = model.predict_proba(X);
        Vector<Scalar> out(X.rows());
        for (Index i = 0; i < X.rows(); ++i)
          out[i] = static_cast<Scalar>(argmax(p.row(i).data(), p.cols()));
        return out;
      }
    }
    return model.predict(X);
  }
  RowMatrix<Scalar> predict_proba(const Eigen::Ref<const RowMatrix<Scalar>>& X) const override {
    if constexpr (has_predict_proba<Model>::value)
      return model.predict_proba(X);
    else
      throw_invalid_argument("Estimator::predict_proba", "the model is not a classifier");
  }
  Vector<Scalar> classes() const override {
    if constexpr (has_classes<Model>::value) {
      return model.classes();
    } else if constexpr (has_predict_proba<Model>::value) {
      return Vector<Scalar>::LinSpaced(std::max<Index>(model.num_outputs(), 2), 0,
                                       static_cast<Scalar>(std::max<Index>(model.num_outputs(), 2) - 1));
    } else {
      throw_invalid_argument("Estimator::classes", "the model is not a classifier");
    }
  }
  Index num_features() const override { return model.num_features(); }
  void set_seed(std::uint64_t seed) override {
    if constexpr (has_set_seed<Model>::value) model.set_seed(seed);
  }
  void save(std::ostream& out) const override { model.save(out); }
  std::string_view magic() const override { return Model::magic(); }
  bool is_classifier() const override { return as_classifier; }
  Model model;
  bool as_classifier;
};

/// What Estimator and Classifier share: a value-semantic handle.
template <class Scalar>
class ErasedModel {
 public:
  ErasedModel() = default;
  ErasedModel(const ErasedModel& o) : self_(o.self_ ? o.self_->clone() : nullptr) {}
  ErasedModel(ErasedModel&&) noexcept = default;
  ErasedModel& operator=(const ErasedModel& o) {
    if (this != &o) self_ = o.self_ ? o.self_->clone() : nullptr;
    return *this;
  }
  ErasedModel& operator=(ErasedModel&&) noexcept = default;
  ~ErasedModel() = default;

  /// Predictions (labels for a classifier).
  Vector<Scalar> predict(const Eigen::Ref<const RowMatrix<Scalar>>& X) const {
    return get("predict").predict(X);
  }
  /// Features seen by fit.
  Index num_features() const { return get("num_features").num_features(); }
  /// Seeds the model's later fits (a no-op for a deterministic model).
  void set_seed(std::uint64_t seed) { get("set_seed").set_seed(seed); }
  /// Whether a model is held.
  bool empty() const { return !self_; }
  /// Whether the held model is a classifier.
  bool is_classifier() const { return self_ && self_->is_classifier(); }
  /// The held model if it is a Model, else nullptr.
  template <class Model>
  const Model* get_if() const {
    const auto* h = dynamic_cast<const ModelHolder<Scalar, Model>*>(self_.get());
    return h ? &h->model : nullptr;
  }
  /// Writes a tag (the model's magic) and then the model's own stream.
  void save(std::ostream& out) const {
    const auto& m = get("save");
    io::BinaryWriter w(out, "Estimator::save");
    w.header("mlprimES", 1);
    w.string(m.magic());
    m.save(out);
  }

 protected:
  template <class Model>
  ErasedModel(Model m, bool classifier)
      : self_(std::make_unique<ModelHolder<Scalar, Model>>(std::move(m), classifier)) {}
  explicit ErasedModel(std::unique_ptr<ModelConcept<Scalar>> p) : self_(std::move(p)) {}

  ModelConcept<Scalar>& get(std::string_view what) {
    if (!self_) throw_invalid_argument("Estimator", what, " on an empty estimator");
    return *self_;
  }
  const ModelConcept<Scalar>& get(std::string_view what) const {
    if (!self_) throw_invalid_argument("Estimator", what, " on an empty estimator");
    return *self_;
  }

  std::unique_ptr<ModelConcept<Scalar>> self_;
};

}  // namespace detail

/// Any model of this module (or any user type) with
/// fit(X, y, sample_weight), predict(X), num_features(), save(out) and a
/// static magic(), behind one copyable value; copies are deep. Its predict
/// is the model's (held classifiers predict labels); probabilities need a
/// Classifier.
template <class Scalar>
class Estimator : public detail::ErasedModel<Scalar> {
  using Base = detail::ErasedModel<Scalar>;

 public:
  Estimator() = default;
  /// Holds a copy of `model`.
  template <class Model, class = std::enable_if_t<!std::is_base_of_v<Base, std::decay_t<Model>>>>
  Estimator(Model model) : Base(std::move(model), false) {}  // NOLINT: implicit by design
  /// A classifier is an estimator too.
  Estimator(const Classifier<Scalar>& c) : Base(c) {}  // NOLINT: implicit by design

  /// Fits the held model.
  Estimator& fit(const Eigen::Ref<const RowMatrix<Scalar>>& X,
                 const Eigen::Ref<const Vector<Scalar>>& y,
                 const ConstRowView<Scalar>& sample_weight = {}) {
    this->get("fit").fit(X, y, sample_weight);
    return *this;
  }
  /// The magic of the wrapper's format.
  static constexpr std::string_view magic() { return "mlprimES"; }
  /// Reads what save wrote (load_estimator).
  static Estimator load(std::istream& in) { return load_estimator<Scalar>(in); }

  /// Wraps an erased model (for the loaders).
  explicit Estimator(std::unique_ptr<detail::ModelConcept<Scalar>> p) : Base(std::move(p)) {}
};

/// Any classifier (a model with predict_proba and classes as well) behind
/// one copyable value.
template <class Scalar>
class Classifier : public detail::ErasedModel<Scalar> {
  using Base = detail::ErasedModel<Scalar>;

 public:
  Classifier() = default;
  /// Holds a copy of `model`, which must have predict_proba and classes.
  template <class Model, class = std::enable_if_t<!std::is_base_of_v<Base, std::decay_t<Model>>>>
  Classifier(Model model) : Base(std::move(model), true) {  // NOLINT: implicit by design
    static_assert(detail::has_predict_proba<Model>::value,
                  "mlprim::Classifier holds models with predict_proba and classes");
  }

  /// Fits the held model.
  Classifier& fit(const Eigen::Ref<const RowMatrix<Scalar>>& X,
                  const Eigen::Ref<const Vector<Scalar>>& y,
                  const ConstRowView<Scalar>& sample_weight = {}) {
    this->get("fit").fit(X, y, sample_weight);
    return *this;
  }
  /// Class probabilities, n x K.
  RowMatrix<Scalar> predict_proba(const Eigen::Ref<const RowMatrix<Scalar>>& X) const {
    return this->get("predict_proba").predict_proba(X);
  }
  /// The class labels, ascending.
  Vector<Scalar> classes() const { return this->get("classes").classes(); }
  /// The magic of the wrapper's format.
  static constexpr std::string_view magic() { return "mlprimES"; }
  /// Reads what save wrote (load_classifier).
  static Classifier load(std::istream& in) { return load_classifier<Scalar>(in); }

  /// Wraps an erased classifier (for the loaders).
  explicit Classifier(std::unique_ptr<detail::ModelConcept<Scalar>> p) : Base(std::move(p)) {}
};

}  // namespace mlprim

#include "mlprim/ensemble/model_io.hpp"

#endif  // MLPRIM_ENSEMBLE_ESTIMATOR_HPP
