// Splitting rows for validation: KFold, StratifiedKFold, train_test_split,
// and cross_val_score / cross_val_predict over any estimator (scikit-learn's
// model_selection).
#ifndef MLPRIM_ENSEMBLE_MODEL_SELECTION_HPP
#define MLPRIM_ENSEMBLE_MODEL_SELECTION_HPP

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/core/random.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/core/view.hpp"

namespace mlprim {

/// One train / test split of row indices, each ascending.
struct Fold {
  std::vector<Index> train;  ///< rows to fit on
  std::vector<Index> test;   ///< rows to score
};

/// K-fold cross-validation (scikit-learn's KFold): the rows, in order or
/// shuffled with `seed`, cut into n_splits consecutive test blocks, the
/// first n mod n_splits of them one row longer.
struct KFold {
  int n_splits = 5;       ///< folds, >= 2
  bool shuffle = false;   ///< shuffle the rows first
  std::uint64_t seed = 0; ///< seed of the shuffle

  /// The folds of n rows; throws std::invalid_argument unless 2 <= n_splits <= n.
  std::vector<Fold> split(Index n) const {
    constexpr const char* fn = "KFold::split";
    if (n_splits < 2) throw_invalid_argument(fn, "n_splits = ", n_splits, " must be >= 2");
    if (n_splits > n)
      throw_invalid_argument(fn, "n_splits = ", n_splits, " exceeds the number of rows (", n, ")");
    std::vector<Index> order(static_cast<std::size_t>(n));
    for (Index i = 0; i < n; ++i) order[static_cast<std::size_t>(i)] = i;
    if (shuffle) {
      Rng rng(seed);
      mlprim::shuffle(order.begin(), order.end(), rng);
    }
    std::vector<int> fold_of(static_cast<std::size_t>(n));
    Index start = 0;
    for (int k = 0; k < n_splits; ++k) {
      const Index size = n / n_splits + (k < n % n_splits ? 1 : 0);
      for (Index j = start; j < start + size; ++j)
        fold_of[static_cast<std::size_t>(order[static_cast<std::size_t>(j)])] = k;
      start += size;
    }
    return folds_from(fold_of, n_splits);
  }

  /// Folds from each row's test fold.
  static std::vector<Fold> folds_from(const std::vector<int>& fold_of, int n_splits) {
    std::vector<Fold> folds(static_cast<std::size_t>(n_splits));
    for (std::size_t i = 0; i < fold_of.size(); ++i)
      for (int k = 0; k < n_splits; ++k)
        (fold_of[i] == k ? folds[static_cast<std::size_t>(k)].test
                         : folds[static_cast<std::size_t>(k)].train)
            .push_back(static_cast<Index>(i));
    return folds;
  }
};

/// Stratified K-fold (scikit-learn's StratifiedKFold, 0.22 and later):
/// classes numbered by first appearance, the sorted labels dealt to the
/// folds round-robin to fix how many rows of each class each fold tests,
/// then each class's rows given those folds in row order (shuffled with
/// `seed` when asked). Every fold's class proportions match the whole's
/// to within one row.
struct StratifiedKFold {
  int n_splits = 5;       ///< folds, >= 2
  bool shuffle = false;   ///< shuffle each class's fold assignment
  std::uint64_t seed = 0; ///< seed of the shuffle

  /// The folds for labels y (integers). Throws std::invalid_argument when a
  /// class has fewer than n_splits rows or n_splits < 2.
  template <class Scalar>
  std::vector<Fold> split(const Eigen::Ref<const Vector<Scalar>>& y) const {
    constexpr const char* fn = "StratifiedKFold::split";
    if (n_splits < 2) throw_invalid_argument(fn, "n_splits = ", n_splits, " must be >= 2");
    const Index n = y.size();
    std::map<double, int> code;
    std::vector<int> encoded(static_cast<std::size_t>(n));
    std::vector<Index> counts;
    for (Index i = 0; i < n; ++i) {
      const auto it = code.emplace(static_cast<double>(y[i]), static_cast<int>(code.size())).first;
      encoded[static_cast<std::size_t>(i)] = it->second;
      if (it->second == static_cast<int>(counts.size())) counts.push_back(0);
      ++counts[static_cast<std::size_t>(it->second)];
    }
    for (const auto& [label, c] : code)
      if (counts[static_cast<std::size_t>(c)] < n_splits)
        throw_invalid_argument(fn, "class ", label, " has ", counts[static_cast<std::size_t>(c)],
                               " rows, fewer than n_splits = ", n_splits);
    const auto classes = static_cast<int>(counts.size());
    std::vector<int> sorted = encoded;
    std::sort(sorted.begin(), sorted.end());
    std::vector<std::vector<Index>> allocation(static_cast<std::size_t>(n_splits),
                                               std::vector<Index>(static_cast<std::size_t>(classes), 0));
    for (std::size_t j = 0; j < sorted.size(); ++j)
      ++allocation[j % static_cast<std::size_t>(n_splits)][static_cast<std::size_t>(sorted[j])];
    Rng rng(seed);
    std::vector<int> fold_of(static_cast<std::size_t>(n));
    for (int k = 0; k < classes; ++k) {
      std::vector<int> folds;
      for (int f = 0; f < n_splits; ++f)
        folds.insert(folds.end(),
                     static_cast<std::size_t>(allocation[static_cast<std::size_t>(f)][static_cast<std::size_t>(k)]), f);
      if (shuffle) mlprim::shuffle(folds.begin(), folds.end(), rng);
      std::size_t next = 0;
      for (Index i = 0; i < n; ++i)
        if (encoded[static_cast<std::size_t>(i)] == k) fold_of[static_cast<std::size_t>(i)] = folds[next++];
    }
    return KFold::folds_from(fold_of, n_splits);
  }
};

/// Shuffled train / test split of n rows (scikit-learn's train_test_split):
/// ceil(test_size * n) test rows, the rest train, each ascending. Throws
/// unless 0 < test_size < 1 leaves both sides non-empty.
inline Fold train_test_split(Index n, double test_size = 0.25, std::uint64_t seed = 0) {
  constexpr const char* fn = "train_test_split";
  if (!(test_size > 0 && test_size < 1))
    throw_invalid_argument(fn, "test_size = ", test_size, " must be in (0, 1)");
  const auto n_test = static_cast<Index>(std::ceil(test_size * static_cast<double>(n)));
  if (n_test < 1 || n_test >= n)
    throw_invalid_argument(fn, "test_size = ", test_size, " of ", n, " rows leaves a side empty");
  Rng rng(seed);
  const std::vector<Index> order = permutation(n, rng);
  Fold f;
  f.test.assign(order.begin(), order.begin() + n_test);
  f.train.assign(order.begin() + n_test, order.end());
  std::sort(f.test.begin(), f.test.end());
  std::sort(f.train.begin(), f.train.end());
  return f;
}

namespace detail {

template <class T, class = void>
struct has_predict_proba : std::false_type {};
template <class T>
struct has_predict_proba<T, std::void_t<decltype(&T::predict_proba)>> : std::true_type {};

/// Rows `rows` of a matrix or vector.
template <class M>
M take_rows(const M& m, const std::vector<Index>& rows) {
  M out(static_cast<Index>(rows.size()), m.cols());
  for (std::size_t j = 0; j < rows.size(); ++j) out.row(static_cast<Index>(j)) = m.row(rows[j]);
  return out;
}

/// A weight view as a vector (empty when not given).
template <class Scalar>
Vector<Scalar> to_vector(const ConstRowView<Scalar>& w) {
  Vector<Scalar> v(w.rows() * w.cols());
  for (Index i = 0; i < v.size(); ++i) v[i] = w[i];
  return v;
}

/// Accuracy of labels (classifiers) or R^2 = 1 - SS_res / SS_tot (regressors).
template <class Scalar>
double default_score(bool classifier, const Vector<Scalar>& truth, const Vector<Scalar>& pred) {
  const Index n = truth.size();
  if (classifier) {
    double hits = 0;
    for (Index i = 0; i < n; ++i) hits += truth[i] == pred[i];
    return hits / static_cast<double>(n);
  }
  const double mean = truth.template cast<double>().mean();
  double res = 0, tot = 0;
  for (Index i = 0; i < n; ++i) {
    res += std::pow(static_cast<double>(truth[i]) - static_cast<double>(pred[i]), 2);
    tot += std::pow(static_cast<double>(truth[i]) - mean, 2);
  }
  return 1.0 - res / tot;
}

/// Folds scikit-learn's cross-validation takes for an integer cv: stratified
/// for classifiers, plain K-fold for regressors, unshuffled.
template <class Scalar>
std::vector<Fold> default_folds(bool classifier, int cv, const Eigen::Ref<const Vector<Scalar>>& y) {
  return classifier ? StratifiedKFold{cv}.split<Scalar>(y) : KFold{cv}.split(y.size());
}

}  // namespace detail

/// Fits a copy of `model` on each fold's training rows and scores its test
/// rows: accuracy for a classifier (a model with predict_proba), R^2 for a
/// regressor. Sample weights, when given, weight the fits (not the score).
/// X and y are any Eigen matrix and vector (copied once).
template <class Model, class DerivedX, class DerivedY, class Scalar = typename DerivedX::Scalar>
Vector<double> cross_val_score(const Model& model, const Eigen::MatrixBase<DerivedX>& X,
                               const Eigen::MatrixBase<DerivedY>& y,
                               const std::vector<Fold>& folds,
                               const ConstRowView<Scalar>& sample_weight = {}) {
  check_equal("cross_val_score", "y.size()", y.size(), X.rows(), "X.rows()");
  constexpr bool classifier = detail::has_predict_proba<Model>::value;
  Vector<double> scores(static_cast<Index>(folds.size()));
  const RowMatrix<Scalar> Xc = X;
  const Vector<Scalar> yc = y;
  for (std::size_t k = 0; k < folds.size(); ++k) {
    Model m = model;
    const RowMatrix<Scalar> Xt = detail::take_rows(Xc, folds[k].train);
    const Vector<Scalar> yt = detail::take_rows(yc, folds[k].train);
    if (sample_weight.empty()) {
      m.fit(Xt, yt);
    } else {
      const Vector<Scalar> w = detail::take_rows(detail::to_vector(sample_weight), folds[k].train);
      m.fit(Xt, yt, w);
    }
    const Vector<Scalar> pred = m.predict(detail::take_rows(Xc, folds[k].test));
    scores[static_cast<Index>(k)] =
        detail::default_score<Scalar>(classifier, detail::take_rows(yc, folds[k].test), pred);
  }
  return scores;
}

/// cross_val_score with scikit-learn's folds for an integer cv.
template <class Model, class DerivedX, class DerivedY>
Vector<double> cross_val_score(const Model& model, const Eigen::MatrixBase<DerivedX>& X,
                               const Eigen::MatrixBase<DerivedY>& y, int cv = 5) {
  using Scalar = typename DerivedX::Scalar;
  const Vector<Scalar> yc = y;
  return cross_val_score(model, X, yc,
                         detail::default_folds<Scalar>(detail::has_predict_proba<Model>::value, cv, yc));
}

/// Out-of-fold predictions: each row predicted by the copy of `model`
/// fitted on the folds that do not test it (every row must be tested once).
/// With `proba` (classifiers) the n x K class probabilities, columns the
/// labels of y ascending (0 for a class a fold's model never saw); else
/// n x 1 predictions.
template <class Model, class DerivedX, class DerivedY, class Scalar = typename DerivedX::Scalar>
RowMatrix<Scalar> cross_val_predict(const Model& model, const Eigen::MatrixBase<DerivedX>& X,
                                    const Eigen::MatrixBase<DerivedY>& y,
                                    const std::vector<Fold>& folds, bool proba = false,
                                    const ConstRowView<Scalar>& sample_weight = {}) {
  constexpr const char* fn = "cross_val_predict";
  check_equal(fn, "y.size()", y.size(), X.rows(), "X.rows()");
  const Vector<Scalar> yc = y;
  std::vector<double> labels(yc.data(), yc.data() + yc.size());
  std::sort(labels.begin(), labels.end());
  labels.erase(std::unique(labels.begin(), labels.end()), labels.end());
  const Index k_out = proba ? static_cast<Index>(labels.size()) : 1;
  RowMatrix<Scalar> out = RowMatrix<Scalar>::Zero(X.rows(), k_out);
  std::vector<int> tested(static_cast<std::size_t>(X.rows()), 0);
  const RowMatrix<Scalar> Xc = X;
  const Vector<Scalar> wc = detail::to_vector(sample_weight);
  for (const Fold& f : folds) {
    Model m = model;
    const RowMatrix<Scalar> Xt = detail::take_rows(Xc, f.train);
    const Vector<Scalar> yt = detail::take_rows(yc, f.train);
    if (wc.size() == 0) {
      m.fit(Xt, yt);
    } else {
      const Vector<Scalar> w = detail::take_rows(wc, f.train);
      m.fit(Xt, yt, w);
    }
    const RowMatrix<Scalar> Xs = detail::take_rows(Xc, f.test);
    for (Index i : f.test) {
      if (i < 0 || i >= X.rows()) throw_invalid_argument(fn, "a fold tests row ", i);
      ++tested[static_cast<std::size_t>(i)];
    }
    if (proba) {
      if constexpr (detail::has_predict_proba<Model>::value) {
        const RowMatrix<Scalar> p = m.predict_proba(Xs);
        const Vector<Scalar> cls = m.classes();
        for (Index c = 0; c < cls.size(); ++c) {
          const auto col = std::lower_bound(labels.begin(), labels.end(),
                                            static_cast<double>(cls[c])) - labels.begin();
          for (std::size_t j = 0; j < f.test.size(); ++j)
            out(f.test[j], col) = p(static_cast<Index>(j), c);
        }
      } else {
        throw_invalid_argument(fn, "proba needs a classifier (a model with predict_proba)");
      }
    } else {
      const Vector<Scalar> p = m.predict(Xs);
      for (std::size_t j = 0; j < f.test.size(); ++j) out(f.test[j], 0) = p[static_cast<Index>(j)];
    }
  }
  for (std::size_t i = 0; i < tested.size(); ++i)
    if (tested[i] != 1)
      throw_invalid_argument(fn, "row ", i, " is tested by ", tested[i],
                             " folds; each row must be tested exactly once");
  return out;
}

}  // namespace mlprim

#endif  // MLPRIM_ENSEMBLE_MODEL_SELECTION_HPP
