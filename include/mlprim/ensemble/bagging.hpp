// Bagging (Breiman 1996) over any estimator: BaggingClassifier and
// BaggingRegressor with bootstrap or subsampled rows, feature subsets and
// out-of-bag scores, fitted in parallel with one random stream per estimator.
#ifndef MLPRIM_ENSEMBLE_BAGGING_HPP
#define MLPRIM_ENSEMBLE_BAGGING_HPP

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <istream>
#include <limits>
#include <optional>
#include <ostream>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/core/io.hpp"
#include "mlprim/core/parallel.hpp"
#include "mlprim/core/random.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/core/view.hpp"
#include "mlprim/ensemble/decision_tree.hpp"
#include "mlprim/ensemble/detail/estimator_checks.hpp"
#include "mlprim/ensemble/detail/cart_scorer.hpp"

namespace mlprim {

/// Bagging parameters, named and defaulted as scikit-learn's
/// BaggingClassifier / BaggingRegressor.
struct BaggingParams {
  /// Estimators, >= 1.
  int n_estimators = 10;
  /// Rows per estimator: a fraction of n in (0, 1] (rounded, at least 1) or
  /// a count > 1 (at most n without bootstrap).
  double max_samples = 1.0;
  /// Features per estimator, the same two forms.
  double max_features = 1.0;
  /// Draw rows with replacement.
  bool bootstrap = true;
  /// Draw features with replacement.
  bool bootstrap_features = false;
  /// Score every row with the estimators that did not see it (needs bootstrap).
  bool oob_score = false;
  /// Threads fitting and predicting (0 = all); the model is the same for any count.
  int num_threads = 0;
  /// Seed; estimator e draws from Rng::stream(seed, e).
  std::uint64_t seed = 0;
};

namespace detail {

template <class T, class = void>
struct has_fit_prepared : std::false_type {};
template <class T>
struct has_fit_prepared<T, std::void_t<decltype(std::declval<T&>().fit_prepared(
                               std::declval<const CartData&>(),
                               std::declval<const std::vector<double>&>()))>> : std::true_type {};

template <class T, class = void>
struct has_set_seed : std::false_type {};
template <class T>
struct has_set_seed<T, std::void_t<decltype(std::declval<T&>().set_seed(std::uint64_t{}))>>
    : std::true_type {};

/// Rows or features per estimator from a fraction in (0, 1] or a count.
inline Index resolve_draws(std::string_view fn, std::string_view name, double v, Index n,
                           bool with_replacement) {
  Index k = 0;
  if (v > 0 && v <= 1)
    k = std::max<Index>(1, static_cast<Index>(std::llround(v * static_cast<double>(n))));
  else if (v > 1 && std::floor(v) == v && v < 9.0e15)
    k = static_cast<Index>(v);
  else
    throw_invalid_argument(fn, name, " = ", v, " must be a fraction in (0, 1] or a count");
  if (!with_replacement && k > n)
    throw_invalid_argument(fn, name, " = ", k, " exceeds the ", n, " available without replacement");
  return k;
}

/// What the bagged classifier and regressor share. Estimator e is a copy
/// of the prototype seeded from Rng::stream(seed, e) (when it has
/// set_seed), fitted on the weights w_i * (times row i was drawn) over its
/// drawn features, so every base must take sample weights.
template <class Scalar, class Base, bool kClassifier>
class Bagging {
 public:
  Bagging() = default;
  explicit Bagging(BaggingParams params, Base prototype = Base{})
      : params_(std::move(params)), prototype_(std::move(prototype)) {}

  /// The parameters.
  const BaggingParams& params() const { return params_; }
  /// Sets the threads of later fits and predictions (0 = all available).
  void set_num_threads(int num_threads) {
    check_non_negative("Bagging::set_num_threads", "num_threads", num_threads);
    params_.num_threads = num_threads;
  }
  /// The fitted estimators.
  const std::vector<Base>& estimators() const { return estimators_; }
  /// The features each estimator sees, ascending with repeats (empty: all).
  const std::vector<std::vector<Index>>& estimator_features() const { return features_; }
  /// Features seen by fit (0 before).
  Index num_features() const { return num_features_; }
  /// Whether fit has run.
  bool fitted() const { return num_features_ > 0; }
  /// Out-of-bag score (accuracy or R^2 over the rows some estimator left
  /// out); needs oob_score.
  double oob_score() const {
    if (!oob_) throw_invalid_argument("Bagging::oob_score", "fit ran without oob_score");
    return *oob_;
  }
  /// Out-of-bag mean prediction per row: n x K probabilities for a
  /// classifier, n x 1 for a regressor (NaN where no estimator left it out).
  const RowMatrix<double>& oob_prediction() const {
    if (!oob_) throw_invalid_argument("Bagging::oob_prediction", "fit ran without oob_score");
    return oob_prediction_;
  }

  /// Fits n_estimators copies of the prototype. Throws std::invalid_argument
  /// for bad shapes, labels, weights or parameters.
  void fit(std::string_view fn, const Eigen::Ref<const RowMatrix<Scalar>>& X,
           const Eigen::Ref<const Vector<Scalar>>& y, const ConstRowView<Scalar>& sample_weight) {
    const Index n = X.rows(), p = X.cols();
    if (n == 0) throw_invalid_argument(fn, "X has no rows");
    if (p == 0) throw_invalid_argument(fn, "X has no columns");
    if (params_.n_estimators < 1)
      throw_invalid_argument(fn, "n_estimators = ", params_.n_estimators, " must be >= 1");
    if (params_.oob_score && !params_.bootstrap)
      throw_invalid_argument(fn, "oob_score needs bootstrap (rows left out of each estimator)");
    const int threads = resolve_threads(fn, params_.num_threads);
    const std::vector<double> w = weights_or_ones(fn, sample_weight, n);
    const Index rows = resolve_draws(fn, "max_samples", params_.max_samples, n, params_.bootstrap);
    const Index cols =
        resolve_draws(fn, "max_features", params_.max_features, p, params_.bootstrap_features);
    const bool all_features = cols == p && !params_.bootstrap_features;
    std::vector<std::int32_t> label;
    if constexpr (kClassifier) {
      EncodedLabels e = encode_labels<Scalar>(fn, y, n);
      classes_ = std::move(e.classes);
      label = std::move(e.index);
    } else {
      checked_targets<Scalar>(fn, y, n);
    }
    std::optional<CartData> shared;
    if constexpr (has_fit_prepared<Base>::value)
      if (all_features)
        shared = make_cart_data<Scalar>(fn, X, y, kClassifier, threads, prototype_.params().max_bin);
    const auto count = static_cast<std::size_t>(params_.n_estimators);
    std::vector<Base> fitted(count, prototype_);
    std::vector<std::vector<Index>> features(count);
    std::vector<std::vector<std::uint8_t>> in_bag(params_.oob_score ? count : 0);
    parallel_for(Index{0}, static_cast<Index>(count), threads, [&](Index e) {
      const auto u = static_cast<std::size_t>(e);
      Rng rng = Rng::stream(params_.seed, static_cast<std::uint64_t>(e));
      if constexpr (has_set_seed<Base>::value) fitted[u].set_seed(rng());
      if (!all_features) {
        features[u] = params_.bootstrap_features ? bootstrap_sample(p, cols, rng)
                                                 : sample_without_replacement(p, cols, rng);
        std::sort(features[u].begin(), features[u].end());
      }
      std::vector<double> draws(static_cast<std::size_t>(n), 0.0);
      const std::vector<Index> picked = params_.bootstrap ? bootstrap_sample(n, rows, rng)
                                                          : sample_without_replacement(n, rows, rng);
      for (Index i : picked) draws[static_cast<std::size_t>(i)] += 1;
      if (!in_bag.empty()) {
        in_bag[u].resize(static_cast<std::size_t>(n));
        for (Index i = 0; i < n; ++i)
          in_bag[u][static_cast<std::size_t>(i)] = draws[static_cast<std::size_t>(i)] > 0;
      }
      for (Index i = 0; i < n; ++i) draws[static_cast<std::size_t>(i)] *= w[static_cast<std::size_t>(i)];
      if constexpr (has_fit_prepared<Base>::value)
        if (shared) {
          fitted[u].fit_prepared(*shared, draws);
          return;
        }
      const Vector<Scalar> weight = as_vector<Scalar>(draws);
      if (all_features) {
        fitted[u].fit(X, y, weight);
      } else {
        const RowMatrix<Scalar> sub = select_columns(X, features[u]);
        fitted[u].fit(sub, y, weight);
      }
    });
    estimators_ = std::move(fitted);
    features_ = std::move(features);
    num_features_ = p;
    pack();
    oob_.reset();
    if (params_.oob_score) compute_oob(X, y, label, in_bag, threads);
  }

  /// Mean of the estimators' outputs per row: class probabilities mapped to
  /// classes() (n x K) or predictions (n x 1), in double.
  RowMatrix<double> mean_output(std::string_view fn,
                                const Eigen::Ref<const RowMatrix<Scalar>>& X) const {
    check_predict_input<Scalar>(fn, X, num_features_);
    const Index k = outputs();
    RowMatrix<double> out = RowMatrix<double>::Zero(X.rows(), k);
    if (scorer_.num_trees() == estimators_.size()) {
      add_tree_outputs(X, out.data());
    } else {
      constexpr Index kBlock = 256;
      const Index blocks = (X.rows() + kBlock - 1) / kBlock;
      parallel_for(Index{0}, blocks, params_.num_threads, [&](Index b) {
        const Index begin = b * kBlock, len = std::min(kBlock, X.rows() - begin);
        for (std::size_t e = 0; e < estimators_.size(); ++e)
          add_output(e, X.middleRows(begin, len), out.middleRows(begin, len), nullptr);
      });
    }
    out /= static_cast<double>(estimators_.size());
    return out;
  }

  /// Number of outputs: K classes or 1.
  Index outputs() const { return kClassifier ? static_cast<Index>(classes_.size()) : 1; }

  /// Writes the ensemble: header, parameters, classes, then each
  /// estimator's feature list and its own saved stream.
  void save(std::ostream& out, std::string_view fn, std::string_view magic) const {
    if (!fitted()) throw_invalid_argument(fn, "the model is not fitted");
    io::BinaryWriter w(out, fn);
    w.header(magic, 1);
    w.value(static_cast<std::int32_t>(params_.n_estimators));
    w.value(params_.max_samples);
    w.value(params_.max_features);
    w.value(params_.bootstrap);
    w.value(params_.bootstrap_features);
    w.value(params_.oob_score);
    w.value(static_cast<std::int32_t>(params_.num_threads));
    w.value(params_.seed);
    w.size(num_features_);
    w.vector(classes_);
    w.size(estimators_.size());
    for (std::size_t e = 0; e < estimators_.size(); ++e) {
      std::vector<std::int64_t> f(features_[e].begin(), features_[e].end());
      w.vector(f);
      estimators_[e].save(out);
    }
  }

  /// Reads what save wrote; every estimator is loaded (and validated) by
  /// Base::load. std::runtime_error on corrupt input.
  void load(std::istream& in, std::string_view fn, std::string_view magic) {
    io::BinaryReader r(in, fn);
    r.header(magic, 1);
    params_.n_estimators = r.value<std::int32_t>("n_estimators");
    params_.max_samples = r.value<double>("max_samples");
    params_.max_features = r.value<double>("max_features");
    params_.bootstrap = r.value<bool>("bootstrap");
    params_.bootstrap_features = r.value<bool>("bootstrap_features");
    params_.oob_score = r.value<bool>("oob_score");
    params_.num_threads = std::max(0, r.value<std::int32_t>("num_threads"));
    params_.seed = r.value<std::uint64_t>("seed");
    num_features_ =
        static_cast<Index>(r.size("num_features", std::numeric_limits<std::int32_t>::max()));
    if (num_features_ == 0) throw_runtime_error(fn, "a model with no features");
    classes_ = r.vector<double>("classes", std::numeric_limits<std::int32_t>::max());
    if (kClassifier) check_loaded_classes(fn, classes_);
    const std::uint64_t count = r.size("estimator count", std::numeric_limits<std::int32_t>::max());
    if (count == 0) throw_runtime_error(fn, "an ensemble with no estimators");
    estimators_.clear();
    features_.clear();
    for (std::uint64_t e = 0; e < count; ++e) {
      const auto f = r.vector<std::int64_t>("estimator features", std::numeric_limits<std::int32_t>::max());
      for (std::int64_t v : f)
        if (v < 0 || v >= num_features_)
          throw_runtime_error(fn, "estimator ", e, " uses feature ", v, " of ", num_features_);
      features_.emplace_back(f.begin(), f.end());
      estimators_.push_back(Base::load(in));
      const Index seen = features_.back().empty() ? num_features_
                                                  : static_cast<Index>(features_.back().size());
      if (estimators_.back().num_features() != seen)
        throw_runtime_error(fn, "estimator ", e, " expects ", estimators_.back().num_features(),
                            " features, not ", seen);
      if constexpr (kClassifier && std::is_base_of_v<DecisionTree<Scalar, true>, Base>)
        if (estimators_.back().classes().size() != static_cast<Index>(classes_.size()))
          throw_runtime_error(fn, "tree ", e, " does not predict the ensemble's ", classes_.size(),
                              " classes");
      if constexpr (kClassifier)
        for (Index c = 0; c < estimators_.back().classes().size(); ++c)
          if (!std::binary_search(classes_.begin(), classes_.end(),
                                  static_cast<double>(estimators_.back().classes()[c])))
            throw_runtime_error(fn, "estimator ", e, " predicts a class the ensemble lacks");
    }
    pack();
  }

 protected:
  /// Trees over all features are packed for scoring (detail::CartScorer);
  /// trees too large for its layout are scored one by one.
  void pack() {
    scorer_ = CartScorer{};
    if constexpr (std::is_base_of_v<DecisionTree<Scalar, kClassifier>, Base>) {
      for (const auto& f : features_)
        if (!f.empty()) return;
      std::vector<const CartTree*> trees;
      for (const Base& est : estimators_) trees.push_back(&est.tree());
      scorer_.pack(trees, outputs(), kClassifier, num_features_);
    }
  }

  /// out[i * k + c] += every packed tree's output for row i of X. Rows go
  /// in blocks as large as memory allows (each tree is brought into cache
  /// once per block, the main cost of deep trees: 1024-row blocks are 3x
  /// slower); within a block, groups of 8 trees run in parallel into their
  /// own sums, added in group order, so the result is the same for any
  /// thread count.
  void add_tree_outputs(const Eigen::Ref<const RowMatrix<Scalar>>& X, double* out) const {
    constexpr std::size_t kGroup = 8;
    const std::size_t trees = scorer_.num_trees();
    const auto groups = static_cast<Index>((trees + kGroup - 1) / kGroup);
    const Index k = outputs();
    const Index block = std::max<Index>(1024, (Index{8} << 20) / (groups * k));  // 64 MiB of sums
    std::vector<double> partial;
    for (Index begin = 0; begin < X.rows(); begin += block) {
      const Index len = std::min(block, X.rows() - begin);
      // Beyond float's range, +-FLT_MAX goes where +-inf would.
      constexpr auto kMax = static_cast<Scalar>(std::numeric_limits<float>::max());
      const RowMatrix<float> rows =
          X.middleRows(begin, len).cwiseMax(-kMax).cwiseMin(kMax).template cast<float>();
      partial.assign(static_cast<std::size_t>(groups * len * k), 0.0);
      parallel_for(Index{0}, groups, params_.num_threads, [&](Index g) {
        const std::size_t first = static_cast<std::size_t>(g) * kGroup;
        scorer_.add(rows.data(), len, rows.cols(), first, std::min(trees, first + kGroup),
                    partial.data() + g * len * k);
      });
      double* o = out + begin * k;
      for (Index g = 0; g < groups; ++g) {
        const double* part = partial.data() + g * len * k;
        for (Index j = 0; j < len * k; ++j) o[j] += part[j];
      }
    }
  }

  static RowMatrix<Scalar> select_columns(const Eigen::Ref<const RowMatrix<Scalar>>& X,
                                          const std::vector<Index>& features) {
    RowMatrix<Scalar> sub(X.rows(), static_cast<Index>(features.size()));
    for (Index i = 0; i < X.rows(); ++i)
      for (std::size_t j = 0; j < features.size(); ++j) sub(i, static_cast<Index>(j)) = X(i, features[j]);
    return sub;
  }

  /// Adds estimator e's outputs for the rows of X into out (rows where
  /// `only` is given and 0 are skipped).
  template <class Out>
  void add_output(std::size_t e, const Eigen::Ref<const RowMatrix<Scalar>>& X, Out&& out,
                  const std::uint8_t* skip) const {
    const Base& est = estimators_[e];
    if constexpr (std::is_base_of_v<DecisionTree<Scalar, kClassifier>, Base>) {
      if (features_[e].empty()) {  // walk the tree directly
        const CartTree& t = est.tree();
        for (Index i = 0; i < X.rows(); ++i) {
          if (skip && skip[i]) continue;
          const double* v = t.values(t.leaf(X.data() + i * X.outerStride()));
          if constexpr (kClassifier) {
            double total = 0;
            for (Index c = 0; c < out.cols(); ++c) total += v[c];
            for (Index c = 0; c < out.cols(); ++c) out(i, c) += v[c] / total;
          } else {
            out(i, 0) += v[0];
          }
        }
        return;
      }
    }
    const RowMatrix<Scalar> sub = features_[e].empty() ? RowMatrix<Scalar>(X)
                                                       : select_columns(X, features_[e]);
    if constexpr (kClassifier) {
      const RowMatrix<Scalar> proba = est.predict_proba(sub);
      const Vector<Scalar> cls = est.classes();
      for (Index c = 0; c < cls.size(); ++c) {
        const auto col = std::lower_bound(classes_.begin(), classes_.end(),
                                          static_cast<double>(cls[c])) - classes_.begin();
        for (Index i = 0; i < X.rows(); ++i)
          if (!(skip && skip[i])) out(i, col) += static_cast<double>(proba(i, c));
      }
    } else {
      const Vector<Scalar> pred = est.predict(sub);
      for (Index i = 0; i < X.rows(); ++i)
        if (!(skip && skip[i])) out(i, 0) += static_cast<double>(pred[i]);
    }
  }

  void compute_oob(const Eigen::Ref<const RowMatrix<Scalar>>& X,
                   const Eigen::Ref<const Vector<Scalar>>& y, const std::vector<std::int32_t>& label,
                   const std::vector<std::vector<std::uint8_t>>& in_bag, int threads) {
    const Index n = X.rows(), k = outputs();
    oob_prediction_ = RowMatrix<double>::Zero(n, k);
    std::vector<double> seen(static_cast<std::size_t>(n), 0.0);
    constexpr Index kBlock = 256;
    const Index blocks = (n + kBlock - 1) / kBlock;
    parallel_for(Index{0}, blocks, threads, [&](Index b) {
      const Index begin = b * kBlock, len = std::min(kBlock, n - begin);
      for (std::size_t e = 0; e < estimators_.size(); ++e) {
        const std::uint8_t* skip = in_bag[e].data() + begin;
        add_output(e, X.middleRows(begin, len), oob_prediction_.middleRows(begin, len), skip);
        for (Index i = 0; i < len; ++i) seen[static_cast<std::size_t>(begin + i)] += skip[i] ? 0 : 1;
      }
    });
    double score = 0, mean = 0, used = 0;
    for (Index i = 0; i < n; ++i)
      if (seen[static_cast<std::size_t>(i)] > 0) {
        mean += static_cast<double>(y[i]);
        ++used;
      }
    mean /= std::max(used, 1.0);
    double ss_res = 0, ss_tot = 0;
    for (Index i = 0; i < n; ++i) {
      const double s = seen[static_cast<std::size_t>(i)];
      if (s == 0) {
        oob_prediction_.row(i).setConstant(std::numeric_limits<double>::quiet_NaN());
        continue;
      }
      oob_prediction_.row(i) /= s;
      if constexpr (kClassifier) {
        score += argmax(oob_prediction_.row(i).data(), k) == label[static_cast<std::size_t>(i)];
      } else {
        const double yi = static_cast<double>(y[i]);
        ss_res += (yi - oob_prediction_(i, 0)) * (yi - oob_prediction_(i, 0));
        ss_tot += (yi - mean) * (yi - mean);
      }
    }
    if (used == 0) throw_invalid_argument("Bagging::fit", "no row was left out of any estimator");
    oob_ = kClassifier ? score / used : 1.0 - ss_res / ss_tot;
  }

  BaggingParams params_;
  Base prototype_;
  std::vector<Base> estimators_;
  std::vector<std::vector<Index>> features_;
  std::vector<double> classes_;
  Index num_features_ = 0;
  std::optional<double> oob_;
  RowMatrix<double> oob_prediction_;
  CartScorer scorer_;
};

}  // namespace detail

/// Bagged classifiers (scikit-learn's BaggingClassifier): the mean of the
/// estimators' class probabilities, argmax for predict. Base defaults to a
/// fully grown DecisionTreeClassifier; any classifier with fit(X, y, w),
/// predict_proba, classes(), num_features() and save/load works
/// (Classifier<Scalar> holds any).
template <class Scalar, class Base = DecisionTreeClassifier<Scalar>>
class BaggingClassifier : public detail::Bagging<Scalar, Base, true> {
  using Core = detail::Bagging<Scalar, Base, true>;

 public:
  using Core::Core;

  /// Fits; see detail::Bagging. Returns *this.
  BaggingClassifier& fit(const Eigen::Ref<const RowMatrix<Scalar>>& X,
                         const Eigen::Ref<const Vector<Scalar>>& y,
                         const ConstRowView<Scalar>& sample_weight = {}) {
    Core::fit("BaggingClassifier::fit", X, y, sample_weight);
    return *this;
  }
  /// Mean class probabilities, n x K.
  RowMatrix<Scalar> predict_proba(const Eigen::Ref<const RowMatrix<Scalar>>& X) const {
    return this->mean_output("BaggingClassifier::predict_proba", X).template cast<Scalar>();
  }
  /// The most probable class (the smaller label on ties).
  Vector<Scalar> predict(const Eigen::Ref<const RowMatrix<Scalar>>& X) const {
    return detail::labels_of_rows<Scalar>(this->classes_,
                                          this->mean_output("BaggingClassifier::predict", X));
  }
  /// The class labels, ascending.
  Vector<Scalar> classes() const {
    return detail::as_vector<Scalar>(this->classes_);
  }
  /// The magic of the saved format.
  /// ("mlprimBC" over trees, "mlprimBc" over any other base).
  static constexpr std::string_view magic() {
    return std::is_same_v<Base, DecisionTreeClassifier<Scalar>> ? "mlprimBC" : "mlprimBc";
  }
  /// Writes the model (each estimator in its own format).
  void save(std::ostream& out) const { Core::save(out, "BaggingClassifier::save", magic()); }
  /// Reads a model written by save.
  static BaggingClassifier load(std::istream& in) {
    BaggingClassifier m;
    m.Core::load(in, "BaggingClassifier::load", magic());
    return m;
  }
};

/// Bagged regressors (scikit-learn's BaggingRegressor): the mean of the
/// estimators' predictions. Base defaults to a DecisionTreeRegressor.
template <class Scalar, class Base = DecisionTreeRegressor<Scalar>>
class BaggingRegressor : public detail::Bagging<Scalar, Base, false> {
  using Core = detail::Bagging<Scalar, Base, false>;

 public:
  using Core::Core;

  /// Fits; see detail::Bagging. Returns *this.
  BaggingRegressor& fit(const Eigen::Ref<const RowMatrix<Scalar>>& X,
                        const Eigen::Ref<const Vector<Scalar>>& y,
                        const ConstRowView<Scalar>& sample_weight = {}) {
    Core::fit("BaggingRegressor::fit", X, y, sample_weight);
    return *this;
  }
  /// Mean prediction.
  Vector<Scalar> predict(const Eigen::Ref<const RowMatrix<Scalar>>& X) const {
    return this->mean_output("BaggingRegressor::predict", X).col(0).template cast<Scalar>();
  }
  /// The magic of the saved format.
  /// ("mlprimBR" over trees, "mlprimBr" over any other base).
  static constexpr std::string_view magic() {
    return std::is_same_v<Base, DecisionTreeRegressor<Scalar>> ? "mlprimBR" : "mlprimBr";
  }
  /// Writes the model (each estimator in its own format).
  void save(std::ostream& out) const { Core::save(out, "BaggingRegressor::save", magic()); }
  /// Reads a model written by save.
  static BaggingRegressor load(std::istream& in) {
    BaggingRegressor m;
    m.Core::load(in, "BaggingRegressor::load", magic());
    return m;
  }
};

}  // namespace mlprim

#endif  // MLPRIM_ENSEMBLE_BAGGING_HPP
