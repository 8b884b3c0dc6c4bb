// CART decision trees with scikit-learn's semantics: DecisionTreeClassifier
// (Gini, entropy) and DecisionTreeRegressor (squared, absolute error).
#ifndef MLPRIM_ENSEMBLE_DECISION_TREE_HPP
#define MLPRIM_ENSEMBLE_DECISION_TREE_HPP

#include <cstdint>
#include <istream>
#include <limits>
#include <ostream>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/core/io.hpp"
#include "mlprim/core/parallel.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/core/view.hpp"
#include "mlprim/ensemble/cart_params.hpp"
#include "mlprim/ensemble/cart_tree.hpp"
#include "mlprim/ensemble/detail/cart_builder.hpp"
#include "mlprim/ensemble/detail/estimator_checks.hpp"

namespace mlprim {
namespace detail {

/// The builder's settings from tree parameters for p features and a total
/// training weight; throws std::invalid_argument naming `fn` for a value
/// out of range or a criterion of the other kind of tree.
inline CartSettings cart_settings(std::string_view fn, const DecisionTreeParams& q, Index p,
                                  double total_weight, bool classifier) {
  CartSettings s;
  switch (q.criterion) {
    case TreeCriterion::Default:
      s.criterion = classifier ? CartCriterion::Gini : CartCriterion::SquaredError;
      break;
    case TreeCriterion::Gini:
      s.criterion = CartCriterion::Gini;
      break;
    case TreeCriterion::Entropy:
      s.criterion = CartCriterion::Entropy;
      break;
    case TreeCriterion::SquaredError:
      s.criterion = CartCriterion::SquaredError;
      break;
    case TreeCriterion::AbsoluteError:
      s.criterion = CartCriterion::AbsoluteError;
      break;
  }
  const bool class_criterion =
      s.criterion == CartCriterion::Gini || s.criterion == CartCriterion::Entropy;
  if (class_criterion != classifier)
    throw_invalid_argument(fn, "criterion ", static_cast<int>(q.criterion), " is for ",
                           classifier ? "regression" : "classification",
                           " (Gini and Entropy classify; SquaredError and AbsoluteError regress)");
  check_in_range(fn, "max_depth", q.max_depth, 0, kMaxTreeDepth);
  s.max_depth = q.max_depth == 0 ? kMaxTreeDepth : q.max_depth;
  if (q.min_samples_split < 2)
    throw_invalid_argument(fn, "min_samples_split = ", q.min_samples_split, " must be >= 2");
  if (q.min_samples_leaf < 1)
    throw_invalid_argument(fn, "min_samples_leaf = ", q.min_samples_leaf, " must be >= 1");
  s.min_samples_split = q.min_samples_split;
  s.min_samples_leaf = q.min_samples_leaf;
  check_in_range(fn, "min_weight_fraction_leaf", q.min_weight_fraction_leaf, 0.0, 0.5);
  s.min_weight_leaf = q.min_weight_fraction_leaf * total_weight;
  check_non_negative(fn, "min_impurity_decrease", q.min_impurity_decrease);
  check_finite(fn, "min_impurity_decrease", q.min_impurity_decrease);
  s.min_impurity_decrease = q.min_impurity_decrease;
  s.max_features = q.max_features.resolve(fn, p);
  if (q.max_leaf_nodes != 0 && q.max_leaf_nodes < 2)
    throw_invalid_argument(fn, "max_leaf_nodes = ", q.max_leaf_nodes,
                           " must be 0 (unlimited) or >= 2");
  s.max_leaf_nodes = q.max_leaf_nodes;
  s.random_thresholds = q.splitter == TreeSplitter::Random;
  if (q.max_bin != 0 && (q.max_bin < 2 || q.max_bin > 65535))
    throw_invalid_argument(fn, "max_bin = ", q.max_bin, " must be 0 (exact) or in [2, 65535]");
  s.histogram = q.max_bin > 0;
  if (s.histogram && s.random_thresholds)
    throw_invalid_argument(fn, "max_bin = ", q.max_bin, " (histogram splits) needs splitter Best");
  if (s.histogram && s.criterion == CartCriterion::AbsoluteError)
    throw_invalid_argument(fn, "max_bin = ", q.max_bin,
                           " (histogram splits) does not support AbsoluteError");
  s.seed = q.seed;
  return s;
}

/// Lays out X and y for tree fits: classes encoded, or finite targets; with
/// max_bin > 0 the bins of histogram splits too.
template <class Scalar>
CartData make_cart_data(std::string_view fn, const Eigen::Ref<const RowMatrix<Scalar>>& X,
                        const Eigen::Ref<const Vector<Scalar>>& y, bool classifier, int threads,
                        int max_bin) {
  CartData d;
  d.columns = make_cart_columns<Scalar>(fn, X, threads);
  if (max_bin > 0) add_cart_bins<Scalar>(d.columns, X, max_bin, threads);
  if (classifier) {
    EncodedLabels e = encode_labels<Scalar>(fn, y, X.rows());
    d.classes = std::move(e.classes);
    d.targets.num_classes = static_cast<int>(d.classes.size());
    d.targets.label = std::move(e.index);
  } else {
    d.targets.target = checked_targets<Scalar>(fn, y, X.rows());
  }
  return d;
}

/// What DecisionTreeClassifier and DecisionTreeRegressor share.
template <class Scalar, bool kClassifier>
class DecisionTree {
  static_assert(std::is_floating_point_v<Scalar>, "mlprim decision trees need float or double");

 public:
  DecisionTree() = default;
  explicit DecisionTree(DecisionTreeParams params) : params_(std::move(params)) {}

  /// The parameters.
  const DecisionTreeParams& params() const { return params_; }

  /// Fits X (n x p, contiguous rows; a column-major argument is copied; no
  /// NaN) to y (n; class labels must be integers), weighting row i by
  /// sample_weight[i] (empty = 1; zero removes a row). Replaces any previous
  /// fit. O(p n log n) to sort plus O(p n) per level of the tree.
  void fit(const Eigen::Ref<const RowMatrix<Scalar>>& X, const Eigen::Ref<const Vector<Scalar>>& y,
           const ConstRowView<Scalar>& sample_weight = {}) {
    const char* fn = kClassifier ? "DecisionTreeClassifier::fit" : "DecisionTreeRegressor::fit";
    if (X.rows() == 0) throw_invalid_argument(fn, "X has no rows");
    const std::vector<double> w = weights_or_ones(fn, sample_weight, X.rows());
    if (params_.max_bin != 0)
      cart_settings(fn, params_, X.cols(), 1.0, kClassifier);  // before binning
    fit_prepared(make_cart_data<Scalar>(fn, X, y, kClassifier, 1, params_.max_bin), w);
  }

  /// Fits on data laid out by detail::make_cart_data (ensembles lay it out
  /// once for all their trees); `weight` has one entry per row, >= 0.
  void fit_prepared(const CartData& data, const std::vector<double>& weight) {
    const char* fn = kClassifier ? "DecisionTreeClassifier::fit" : "DecisionTreeRegressor::fit";
    double total = 0;
    for (double v : weight) total += v;
    const CartSettings s = cart_settings(fn, params_, data.columns.cols, total, kClassifier);
    if (params_.max_bin != data.columns.max_bin)
      throw_invalid_argument(fn, "max_bin = ", params_.max_bin, " but the data were binned with ",
                             data.columns.max_bin);
    tree_ = CartBuilder(data.columns, data.targets, weight, s).build();
    if (tree_.num_nodes() == 0) throw_invalid_argument(fn, "every sample weight is zero");
    classes_ = data.classes;
    num_features_ = data.columns.cols;
  }

  /// Index of the leaf each row of X reaches (scikit-learn's apply).
  Eigen::Matrix<Index, Eigen::Dynamic, 1> apply(
      const Eigen::Ref<const RowMatrix<Scalar>>& X) const {
    detail::check_predict_input<Scalar>("DecisionTree::apply", X, num_features_);
    Eigen::Matrix<Index, Eigen::Dynamic, 1> out(X.rows());
    for (Index i = 0; i < X.rows(); ++i) out[i] = tree_.leaf(X.data() + i * X.outerStride());
    return out;
  }

  /// Normalised impurity decrease per feature (the mean decrease in impurity
  /// of Breiman 2001, scikit-learn's feature_importances_): sum over splits
  /// on f of w_node imp - w_l imp_l - w_r imp_r, scaled to sum to 1 (all
  /// zero for a tree without splits).
  Vector<double> feature_importances() const {
    if (num_features_ == 0)
      throw_invalid_argument("DecisionTree::feature_importances", "the model is not fitted");
    std::vector<double> imp(static_cast<std::size_t>(num_features_), 0.0);
    tree_.add_impurity_decrease(imp);
    Vector<double> out = Eigen::Map<const Vector<double>>(imp.data(), num_features_);
    const double sum = out.sum();
    if (sum > 0) out /= sum;
    return out;
  }

  /// The fitted tree.
  const CartTree& tree() const { return tree_; }
  /// Features seen by fit (0 before).
  Index num_features() const { return num_features_; }
  /// Depth of the fitted tree.
  int depth() const { return tree_.depth(); }
  /// Leaves of the fitted tree.
  Index num_leaves() const { return tree_.num_leaves(); }
  /// Whether fit has run.
  bool fitted() const { return num_features_ > 0; }
  /// Sets the seed of later fits (ensembles give each tree its own).
  void set_seed(std::uint64_t seed) { params_.seed = seed; }

 protected:
  static constexpr std::uint32_t kFormatVersion = 1;

  void save_as(std::ostream& out, std::string_view fn, std::string_view magic) const {
    if (!fitted()) throw_invalid_argument(fn, "the model is not fitted");
    io::BinaryWriter w(out, fn);
    w.header(magic, kFormatVersion);
    write_params(w, params_);
    w.size(num_features_);
    w.vector(classes_);
    tree_.save(w);
  }

  template <class Model>
  static Model load_as(std::istream& in, std::string_view fn, std::string_view magic) {
    io::BinaryReader r(in, fn);
    r.header(magic, kFormatVersion);
    Model m(read_params(r, fn));
    m.num_features_ =
        static_cast<Index>(r.size("num_features", std::numeric_limits<std::int32_t>::max()));
    if (m.num_features_ == 0) throw_runtime_error(fn, "a model with no features");
    m.classes_ = r.vector<double>("classes", std::numeric_limits<std::int32_t>::max());
    if (kClassifier) check_loaded_classes(fn, m.classes_);
    if (!kClassifier && !m.classes_.empty()) throw_runtime_error(fn, "a regressor with classes");
    m.tree_ = CartTree::load(r, fn, m.num_features_,
                             kClassifier ? static_cast<int>(m.classes_.size()) : 1);
    if constexpr (kClassifier) {
      // Weighted class counts: non-negative with a positive finite total,
      // so that predict_proba's division is defined.
      const std::size_t k = m.classes_.size();
      for (std::size_t i = 0; i < m.tree_.value.size(); i += k) {
        double total = 0;
        for (std::size_t c = 0; c < k; ++c) {
          if (!(m.tree_.value[i + c] >= 0))
            throw_runtime_error(fn, "node ", i / k, " has a negative class count");
          total += m.tree_.value[i + c];
        }
        if (!(total > 0 && std::isfinite(total)))
          throw_runtime_error(fn, "node ", i / k, "'s class counts sum to ", total);
      }
    }
    return m;
  }

  DecisionTreeParams params_;
  CartTree tree_;
  std::vector<double> classes_;
  Index num_features_ = 0;

 public:
  /// Writes the tree's parameters (for save formats that embed trees).
  static void write_params(io::BinaryWriter& w, const DecisionTreeParams& q) {
    w.value(static_cast<std::uint8_t>(q.criterion));
    w.value(static_cast<std::uint8_t>(q.splitter));
    w.value(static_cast<std::int32_t>(q.max_depth));
    w.value(static_cast<std::int64_t>(q.min_samples_split));
    w.value(static_cast<std::int64_t>(q.min_samples_leaf));
    w.value(q.min_weight_fraction_leaf);
    w.value(static_cast<std::uint8_t>(q.max_features.rule));
    w.value(q.max_features.value);
    w.value(static_cast<std::int64_t>(q.max_leaf_nodes));
    w.value(q.min_impurity_decrease);
    w.value(static_cast<std::int32_t>(q.max_bin));
    w.value(q.seed);
  }

  /// Reads what write_params wrote (std::runtime_error naming fn on bad enums).
  static DecisionTreeParams read_params(io::BinaryReader& r, std::string_view fn) {
    DecisionTreeParams q;
    const auto criterion = r.value<std::uint8_t>("criterion");
    const auto splitter = r.value<std::uint8_t>("splitter");
    if (criterion > static_cast<int>(TreeCriterion::AbsoluteError) ||
        splitter > static_cast<int>(TreeSplitter::Random))
      throw_runtime_error(fn, "unknown criterion or splitter");
    q.criterion = static_cast<TreeCriterion>(criterion);
    q.splitter = static_cast<TreeSplitter>(splitter);
    q.max_depth = r.value<std::int32_t>("max_depth");
    q.min_samples_split = static_cast<Index>(r.value<std::int64_t>("min_samples_split"));
    q.min_samples_leaf = static_cast<Index>(r.value<std::int64_t>("min_samples_leaf"));
    q.min_weight_fraction_leaf = r.value<double>("min_weight_fraction_leaf");
    const auto rule = r.value<std::uint8_t>("max_features rule");
    if (rule > static_cast<int>(MaxFeatures::Rule::Log2))
      throw_runtime_error(fn, "unknown max_features rule ", int{rule});
    q.max_features.rule = static_cast<MaxFeatures::Rule>(rule);
    q.max_features.value = r.value<double>("max_features value");
    q.max_leaf_nodes = static_cast<Index>(r.value<std::int64_t>("max_leaf_nodes"));
    q.min_impurity_decrease = r.value<double>("min_impurity_decrease");
    q.max_bin = r.value<std::int32_t>("max_bin");
    q.seed = r.value<std::uint64_t>("seed");
    return q;
  }
};

}  // namespace detail

/// CART classification tree (Breiman et al. 1984) as scikit-learn's
/// DecisionTreeClassifier: the same splits, thresholds and tie rules, so
/// with all features examined it makes scikit-learn's predictions (see
/// detail::CartBuilder). Labels are any integers; predict returns them.
template <class Scalar>
class DecisionTreeClassifier : public detail::DecisionTree<Scalar, true> {
  using Base = detail::DecisionTree<Scalar, true>;

 public:
  using Base::Base;

  /// Fits; see detail::DecisionTree::fit. Returns *this.
  DecisionTreeClassifier& fit(const Eigen::Ref<const RowMatrix<Scalar>>& X,
                              const Eigen::Ref<const Vector<Scalar>>& y,
                              const ConstRowView<Scalar>& sample_weight = {}) {
    Base::fit(X, y, sample_weight);
    return *this;
  }

  /// Class probabilities, n x K: the weighted class fractions of each row's leaf.
  RowMatrix<Scalar> predict_proba(const Eigen::Ref<const RowMatrix<Scalar>>& X) const {
    detail::check_predict_input<Scalar>("DecisionTreeClassifier::predict_proba", X,
                                        this->num_features_);
    const Index k = num_classes();
    RowMatrix<Scalar> out(X.rows(), k);
    for (Index i = 0; i < X.rows(); ++i) {
      const double* v = this->tree_.values(this->tree_.leaf(X.data() + i * X.outerStride()));
      double total = 0;
      for (Index c = 0; c < k; ++c) total += v[c];
      for (Index c = 0; c < k; ++c) out(i, c) = static_cast<Scalar>(v[c] / total);
    }
    return out;
  }

  /// The most probable class of each row (the smaller label on ties).
  Vector<Scalar> predict(const Eigen::Ref<const RowMatrix<Scalar>>& X) const {
    detail::check_predict_input<Scalar>("DecisionTreeClassifier::predict", X, this->num_features_);
    Vector<Scalar> out(X.rows());
    for (Index i = 0; i < X.rows(); ++i) {
      const double* v = this->tree_.values(this->tree_.leaf(X.data() + i * X.outerStride()));
      out[i] = static_cast<Scalar>(
          this->classes_[static_cast<std::size_t>(detail::argmax(v, num_classes()))]);
    }
    return out;
  }

  /// The class labels, ascending (column order of predict_proba).
  Vector<Scalar> classes() const { return detail::as_vector<Scalar>(this->classes_); }
  /// Number of classes K.
  Index num_classes() const { return static_cast<Index>(this->classes_.size()); }

  /// The magic of the saved format.
  static constexpr std::string_view magic() { return "mlprimDC"; }
  /// Writes the model in mlprim's versioned binary format.
  void save(std::ostream& out) const {
    this->save_as(out, "DecisionTreeClassifier::save", magic());
  }
  /// Reads a model written by save (std::runtime_error on corrupt input).
  static DecisionTreeClassifier load(std::istream& in) {
    return Base::template load_as<DecisionTreeClassifier>(in, "DecisionTreeClassifier::load",
                                                          magic());
  }
};

/// CART regression tree as scikit-learn's DecisionTreeRegressor: leaves
/// predict the weighted mean (squared error) or weighted median (absolute
/// error) of their rows.
template <class Scalar>
class DecisionTreeRegressor : public detail::DecisionTree<Scalar, false> {
  using Base = detail::DecisionTree<Scalar, false>;

 public:
  using Base::Base;

  /// Fits; see detail::DecisionTree::fit. Returns *this.
  DecisionTreeRegressor& fit(const Eigen::Ref<const RowMatrix<Scalar>>& X,
                             const Eigen::Ref<const Vector<Scalar>>& y,
                             const ConstRowView<Scalar>& sample_weight = {}) {
    Base::fit(X, y, sample_weight);
    return *this;
  }

  /// The value of each row's leaf.
  Vector<Scalar> predict(const Eigen::Ref<const RowMatrix<Scalar>>& X) const {
    detail::check_predict_input<Scalar>("DecisionTreeRegressor::predict", X, this->num_features_);
    Vector<Scalar> out(X.rows());
    for (Index i = 0; i < X.rows(); ++i)
      out[i] = static_cast<Scalar>(
          *this->tree_.values(this->tree_.leaf(X.data() + i * X.outerStride())));
    return out;
  }

  /// The magic of the saved format.
  static constexpr std::string_view magic() { return "mlprimDR"; }
  /// Writes the model in mlprim's versioned binary format.
  void save(std::ostream& out) const { this->save_as(out, "DecisionTreeRegressor::save", magic()); }
  /// Reads a model written by save (std::runtime_error on corrupt input).
  static DecisionTreeRegressor load(std::istream& in) {
    return Base::template load_as<DecisionTreeRegressor>(in, "DecisionTreeRegressor::load",
                                                         magic());
  }
};

}  // namespace mlprim

#endif  // MLPRIM_ENSEMBLE_DECISION_TREE_HPP
