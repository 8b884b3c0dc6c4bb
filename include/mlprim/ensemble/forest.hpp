// Random forests (Breiman 2001) and extremely randomized trees (Geurts,
// Ernst & Wehenkel 2006), built on BaggingClassifier / BaggingRegressor of
// CART trees with scikit-learn's defaults.
#ifndef MLPRIM_ENSEMBLE_FOREST_HPP
#define MLPRIM_ENSEMBLE_FOREST_HPP

#include <cstdint>
#include <istream>
#include <ostream>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "mlprim/core/io.hpp"
#include "mlprim/ensemble/bagging.hpp"
#include "mlprim/ensemble/cart_params.hpp"
#include "mlprim/ensemble/decision_tree.hpp"

namespace mlprim {
namespace detail {

/// What the four forests share: a bag of trees configured from ForestParams.
template <class Scalar, bool kClassifier, bool kExtra>
class Forest {
 public:
  /// The tree type.
  using Tree = std::conditional_t<kClassifier, DecisionTreeClassifier<Scalar>,
                                  DecisionTreeRegressor<Scalar>>;
  /// The bag of trees.
  using Bag = std::conditional_t<kClassifier, BaggingClassifier<Scalar, Tree>,
                                 BaggingRegressor<Scalar, Tree>>;

  Forest() = default;
  explicit Forest(ForestParams params) : params_(std::move(params)) {}

  /// The parameters.
  const ForestParams& params() const { return params_; }
  /// Sets the threads of later fits and predictions (0 = all available).
  void set_num_threads(int num_threads) {
    bag_.set_num_threads(num_threads);
    params_.num_threads = num_threads;
  }
  /// The fitted trees.
  const std::vector<Tree>& estimators() const { return bag_.estimators(); }
  /// Features seen by fit.
  Index num_features() const { return bag_.num_features(); }
  /// Whether fit has run.
  bool fitted() const { return bag_.fitted(); }
  /// Out-of-bag score (accuracy or R^2); needs oob_score.
  double oob_score() const { return bag_.oob_score(); }
  /// Out-of-bag mean prediction per row (see Bagging::oob_prediction).
  const RowMatrix<double>& oob_prediction() const { return bag_.oob_prediction(); }
  /// The underlying bag.
  const Bag& bag() const { return bag_; }

  /// Mean of the trees' normalised impurity-decrease importances,
  /// normalised again (scikit-learn's feature_importances_).
  Vector<double> feature_importances() const {
    if (!fitted()) throw_invalid_argument("Forest::feature_importances", "the model is not fitted");
    Vector<double> sum = Vector<double>::Zero(num_features());
    for (const Tree& t : estimators()) sum += t.feature_importances();
    if (sum.sum() > 0) sum /= sum.sum();
    return sum;
  }

  /// The tree parameters every tree gets (its seed comes from the bag).
  DecisionTreeParams tree_params() const {
    DecisionTreeParams q;
    q.criterion = params_.criterion;
    q.splitter = kExtra ? TreeSplitter::Random : TreeSplitter::Best;
    q.max_depth = params_.max_depth;
    q.min_samples_split = params_.min_samples_split;
    q.min_samples_leaf = params_.min_samples_leaf;
    q.min_weight_fraction_leaf = params_.min_weight_fraction_leaf;
    q.max_features = params_.max_features.value_or(kClassifier ? MaxFeatures::sqrt()
                                                               : MaxFeatures::all());
    q.max_leaf_nodes = params_.max_leaf_nodes;
    q.min_impurity_decrease = params_.min_impurity_decrease;
    q.max_bin = params_.max_bin;
    return q;
  }

  /// The bagging parameters: bootstrap rows (unless extra trees), all features.
  BaggingParams bagging_params() const {
    BaggingParams b;
    b.n_estimators = params_.n_estimators;
    b.bootstrap = params_.bootstrap.value_or(!kExtra);
    b.max_samples = b.bootstrap && params_.max_samples != 0 ? params_.max_samples : 1.0;
    b.oob_score = params_.oob_score;
    b.num_threads = params_.num_threads;
    b.seed = params_.seed;
    return b;
  }

 protected:
  void fit_forest(std::string_view fn, const Eigen::Ref<const RowMatrix<Scalar>>& X,
                  const Eigen::Ref<const Vector<Scalar>>& y,
                  const ConstRowView<Scalar>& sample_weight) {
    if (params_.n_estimators < 1)
      throw_invalid_argument(fn, "n_estimators = ", params_.n_estimators, " must be >= 1");
    if (X.cols() > 0) cart_settings(fn, tree_params(), X.cols(), 1.0, kClassifier);
    bag_ = Bag(bagging_params(), Tree(tree_params()));
    bag_.fit(X, y, sample_weight);
  }

  void save_forest(std::ostream& out, std::string_view fn, std::string_view magic) const {
    if (!fitted()) throw_invalid_argument(fn, "the model is not fitted");
    io::BinaryWriter w(out, fn);
    w.header(magic, 1);
    w.value(params_.max_samples);
    w.value(static_cast<std::int8_t>(params_.bootstrap ? *params_.bootstrap : -1));
    bag_.save(out);
  }

  void load_forest(std::istream& in, std::string_view fn, std::string_view magic) {
    io::BinaryReader r(in, fn);
    r.header(magic, 1);
    params_ = ForestParams{};
    params_.max_samples = r.value<double>("max_samples");
    const auto bootstrap = r.value<std::int8_t>("bootstrap");
    if (bootstrap < -1 || bootstrap > 1) throw_runtime_error(fn, "bootstrap = ", int{bootstrap});
    if (bootstrap >= 0) params_.bootstrap = bootstrap == 1;
    bag_ = Bag::load(in);
    const BaggingParams& b = bag_.params();
    params_.n_estimators = b.n_estimators;
    params_.oob_score = b.oob_score;
    params_.num_threads = b.num_threads;
    params_.seed = b.seed;
    if (!bag_.estimators().empty()) {
      const DecisionTreeParams& q = bag_.estimators().front().params();
      params_.criterion = q.criterion;
      params_.max_depth = q.max_depth;
      params_.min_samples_split = q.min_samples_split;
      params_.min_samples_leaf = q.min_samples_leaf;
      params_.min_weight_fraction_leaf = q.min_weight_fraction_leaf;
      params_.max_features = q.max_features;
      params_.max_leaf_nodes = q.max_leaf_nodes;
      params_.min_impurity_decrease = q.min_impurity_decrease;
      params_.max_bin = q.max_bin;
    }
  }

  ForestParams params_;
  Bag bag_;
};

/// The classifier face of a forest.
template <class Scalar, bool kExtra>
class ForestClassifier : public Forest<Scalar, true, kExtra> {
  using Core = Forest<Scalar, true, kExtra>;

 public:
  using Core::Core;
  /// Mean of the trees' leaf class fractions, n x K, on num_threads threads.
  RowMatrix<Scalar> predict_proba(const Eigen::Ref<const RowMatrix<Scalar>>& X) const {
    return this->bag_.predict_proba(X);
  }
  /// The most probable class.
  Vector<Scalar> predict(const Eigen::Ref<const RowMatrix<Scalar>>& X) const {
    return this->bag_.predict(X);
  }
  /// The class labels, ascending.
  Vector<Scalar> classes() const { return this->bag_.classes(); }
};

}  // namespace detail

/// Random forest classifier (scikit-learn's RandomForestClassifier):
/// bootstrap samples, sqrt(p) features examined per split, fully grown
/// Gini trees, mean of leaf probabilities. The same model for any thread count.
template <class Scalar>
class RandomForestClassifier : public detail::ForestClassifier<Scalar, false> {
 public:
  using detail::ForestClassifier<Scalar, false>::ForestClassifier;
  /// Fits; throws std::invalid_argument on bad input. Returns *this.
  RandomForestClassifier& fit(const Eigen::Ref<const RowMatrix<Scalar>>& X,
                              const Eigen::Ref<const Vector<Scalar>>& y,
                              const ConstRowView<Scalar>& sample_weight = {}) {
    this->fit_forest("RandomForestClassifier::fit", X, y, sample_weight);
    return *this;
  }
  /// The magic of the saved format.
  static constexpr std::string_view magic() { return "mlprimFC"; }
  /// Writes the model.
  void save(std::ostream& out) const { this->save_forest(out, "RandomForestClassifier::save", magic()); }
  /// Reads a model written by save.
  static RandomForestClassifier load(std::istream& in) {
    RandomForestClassifier m;
    m.load_forest(in, "RandomForestClassifier::load", magic());
    return m;
  }
};

/// Extremely randomized trees classifier (scikit-learn's
/// ExtraTreesClassifier): no bootstrap, one uniform threshold per examined
/// feature, sqrt(p) features.
template <class Scalar>
class ExtraTreesClassifier : public detail::ForestClassifier<Scalar, true> {
 public:
  using detail::ForestClassifier<Scalar, true>::ForestClassifier;
  /// Fits; throws std::invalid_argument on bad input. Returns *this.
  ExtraTreesClassifier& fit(const Eigen::Ref<const RowMatrix<Scalar>>& X,
                            const Eigen::Ref<const Vector<Scalar>>& y,
                            const ConstRowView<Scalar>& sample_weight = {}) {
    this->fit_forest("ExtraTreesClassifier::fit", X, y, sample_weight);
    return *this;
  }
  /// The magic of the saved format.
  static constexpr std::string_view magic() { return "mlprimXC"; }
  /// Writes the model.
  void save(std::ostream& out) const { this->save_forest(out, "ExtraTreesClassifier::save", magic()); }
  /// Reads a model written by save.
  static ExtraTreesClassifier load(std::istream& in) {
    ExtraTreesClassifier m;
    m.load_forest(in, "ExtraTreesClassifier::load", magic());
    return m;
  }
};

namespace detail {
/// The regressor face of a forest.
template <class Scalar, bool kExtra>
class ForestRegressor : public Forest<Scalar, false, kExtra> {
  using Core = Forest<Scalar, false, kExtra>;

 public:
  using Core::Core;
  /// Mean of the trees' predictions, on num_threads threads.
  Vector<Scalar> predict(const Eigen::Ref<const RowMatrix<Scalar>>& X) const {
    return this->bag_.predict(X);
  }
};
}  // namespace detail

/// Random forest regressor (scikit-learn's RandomForestRegressor):
/// bootstrap samples, all features, fully grown squared-error trees.
template <class Scalar>
class RandomForestRegressor : public detail::ForestRegressor<Scalar, false> {
 public:
  using detail::ForestRegressor<Scalar, false>::ForestRegressor;
  /// Fits; throws std::invalid_argument on bad input. Returns *this.
  RandomForestRegressor& fit(const Eigen::Ref<const RowMatrix<Scalar>>& X,
                             const Eigen::Ref<const Vector<Scalar>>& y,
                             const ConstRowView<Scalar>& sample_weight = {}) {
    this->fit_forest("RandomForestRegressor::fit", X, y, sample_weight);
    return *this;
  }
  /// The magic of the saved format.
  static constexpr std::string_view magic() { return "mlprimFR"; }
  /// Writes the model.
  void save(std::ostream& out) const { this->save_forest(out, "RandomForestRegressor::save", magic()); }
  /// Reads a model written by save.
  static RandomForestRegressor load(std::istream& in) {
    RandomForestRegressor m;
    m.load_forest(in, "RandomForestRegressor::load", magic());
    return m;
  }
};

/// Extremely randomized trees regressor (scikit-learn's ExtraTreesRegressor).
template <class Scalar>
class ExtraTreesRegressor : public detail::ForestRegressor<Scalar, true> {
 public:
  using detail::ForestRegressor<Scalar, true>::ForestRegressor;
  /// Fits; throws std::invalid_argument on bad input. Returns *this.
  ExtraTreesRegressor& fit(const Eigen::Ref<const RowMatrix<Scalar>>& X,
                           const Eigen::Ref<const Vector<Scalar>>& y,
                           const ConstRowView<Scalar>& sample_weight = {}) {
    this->fit_forest("ExtraTreesRegressor::fit", X, y, sample_weight);
    return *this;
  }
  /// The magic of the saved format.
  static constexpr std::string_view magic() { return "mlprimXR"; }
  /// Writes the model.
  void save(std::ostream& out) const { this->save_forest(out, "ExtraTreesRegressor::save", magic()); }
  /// Reads a model written by save.
  static ExtraTreesRegressor load(std::istream& in) {
    ExtraTreesRegressor m;
    m.load_forest(in, "ExtraTreesRegressor::load", magic());
    return m;
  }
};

}  // namespace mlprim

#endif  // MLPRIM_ENSEMBLE_FOREST_HPP
