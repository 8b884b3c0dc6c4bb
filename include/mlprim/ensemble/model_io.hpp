// Loading a type-erased Estimator or Classifier: the saved model's magic
// picks the model type among this module's.
#ifndef MLPRIM_ENSEMBLE_MODEL_IO_HPP
#define MLPRIM_ENSEMBLE_MODEL_IO_HPP

#include <istream>
#include <memory>
#include <string>

#include "mlprim/core/error.hpp"
#include "mlprim/core/io.hpp"
#include "mlprim/ensemble/adaboost.hpp"
#include "mlprim/ensemble/bagging.hpp"
#include "mlprim/ensemble/decision_tree.hpp"
#include "mlprim/ensemble/estimator.hpp"
#include "mlprim/ensemble/forest.hpp"
#include "mlprim/ensemble/gradient_boosting.hpp"
#include "mlprim/ensemble/linear_model.hpp"
#include "mlprim/ensemble/stacking.hpp"
#include "mlprim/ensemble/voting.hpp"

namespace mlprim {

// Declared for the case where stacking.hpp or voting.hpp, still being read,
// included this header.
template <class Scalar>
class StackingClassifier;
template <class Scalar>
class StackingRegressor;
template <class Scalar>
class VotingClassifier;
template <class Scalar>
class VotingRegressor;

namespace detail {

/// Reads the wrapper's tag, then the model of the first listed type whose
/// magic matches, held as a classifier or not.
/// Models inside models (stacking, voting, bagging of erased models) nest at
/// most this deep in a stream, so that a hostile one cannot exhaust the stack.
inline constexpr int kMaxModelNesting = 16;

/// This thread's current nesting depth of load_one_of.
inline int& model_nesting_depth() {
  static thread_local int depth = 0;
  return depth;
}

template <class Scalar, class... Models>
std::unique_ptr<ModelConcept<Scalar>> load_one_of(std::istream& in, std::string_view fn,
                                                  bool classifier) {
  struct Nesting {
    explicit Nesting(std::string_view f) {
      if (++model_nesting_depth() > kMaxModelNesting) {
        --model_nesting_depth();
        throw_runtime_error(f, "models nest deeper than ", kMaxModelNesting);
      }
    }
    ~Nesting() { --model_nesting_depth(); }
    Nesting(const Nesting&) = delete;
    Nesting& operator=(const Nesting&) = delete;
  } nesting(fn);
  io::BinaryReader r(in, fn);
  r.header("mlprimES", 1);
  const std::string magic = r.string("model magic", io::magic_size);
  std::unique_ptr<ModelConcept<Scalar>> out;
  (void)((magic == Models::magic() &&
          (out = std::make_unique<ModelHolder<Scalar, Models>>(Models::load(in), classifier))) ||
         ...);
  if (!out) throw_runtime_error(fn, "no model of this module has magic \"", magic, "\"");
  return out;
}

}  // namespace detail

template <class Scalar>
Classifier<Scalar> load_classifier(std::istream& in) {
  return Classifier<Scalar>(detail::load_one_of<
      Scalar, DecisionTreeClassifier<Scalar>, RandomForestClassifier<Scalar>,
      ExtraTreesClassifier<Scalar>, AdaBoostClassifier<Scalar>,
      AdaBoostClassifier<Scalar, Classifier<Scalar>>, BaggingClassifier<Scalar>,
      BaggingClassifier<Scalar, Classifier<Scalar>>, LogisticRegression<Scalar>,
      StackingClassifier<Scalar>, VotingClassifier<Scalar>, GradientBoosting<Scalar>>(
      in, "load_classifier", true));
}

template <class Scalar>
Estimator<Scalar> load_estimator(std::istream& in) {
  return Estimator<Scalar>(detail::load_one_of<
      Scalar, DecisionTreeRegressor<Scalar>, RandomForestRegressor<Scalar>,
      ExtraTreesRegressor<Scalar>, AdaBoostRegressor<Scalar>,
      AdaBoostRegressor<Scalar, Estimator<Scalar>>, BaggingRegressor<Scalar>,
      BaggingRegressor<Scalar, Estimator<Scalar>>, RidgeRegression<Scalar>,
      StackingRegressor<Scalar>, VotingRegressor<Scalar>, GradientBoosting<Scalar>,
      DecisionTreeClassifier<Scalar>, RandomForestClassifier<Scalar>,
      ExtraTreesClassifier<Scalar>, AdaBoostClassifier<Scalar>, BaggingClassifier<Scalar>,
      LogisticRegression<Scalar>, StackingClassifier<Scalar>, VotingClassifier<Scalar>>(
      in, "load_estimator", false));
}

}  // namespace mlprim

#endif  // MLPRIM_ENSEMBLE_MODEL_IO_HPP
