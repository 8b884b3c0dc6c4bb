// Input checks and label encoding shared by the scikit-learn-style
// estimators (trees, forests, AdaBoost, bagging, linear models, stacking).
#ifndef MLPRIM_ENSEMBLE_DETAIL_ESTIMATOR_CHECKS_HPP
#define MLPRIM_ENSEMBLE_DETAIL_ESTIMATOR_CHECKS_HPP

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>
#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/core/view.hpp"
#include "mlprim/ensemble/detail/fit_checks.hpp"

namespace mlprim {
namespace detail {

/// Class labels mapped to 0..K-1: classes ascending, index[i] = position of y[i].
struct EncodedLabels {
  std::vector<double> classes;
  std::vector<std::int32_t> index;
};

/// Encodes integer-valued labels (any integers exact in double). Throws
/// std::invalid_argument naming `fn` for a size mismatch, a non-integer or
/// non-finite label, or fewer than two classes.
template <class Scalar>
EncodedLabels encode_labels(std::string_view fn, const Eigen::Ref<const Vector<Scalar>>& y,
                            Index n) {
  check_equal(fn, "y.size()", y.size(), n, "X.rows()");
  EncodedLabels e;
  e.classes.reserve(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i) {
    const double v = static_cast<double>(y[i]);
    if (!std::isfinite(v) || std::floor(v) != v || std::abs(v) > 9007199254740992.0)
      throw_invalid_argument(fn, "y[", i, "] = ", v, " is not an integer class label");
    e.classes.push_back(v);
  }
  std::sort(e.classes.begin(), e.classes.end());
  e.classes.erase(std::unique(e.classes.begin(), e.classes.end()), e.classes.end());
  if (e.classes.size() < 2)
    throw_invalid_argument(fn, "y holds ", e.classes.size(),
                           " class; a classifier needs at least two");
  e.index.resize(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i)
    e.index[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(
        std::lower_bound(e.classes.begin(), e.classes.end(), static_cast<double>(y[i])) -
        e.classes.begin());
  return e;
}

/// Finite regression targets as doubles.
template <class Scalar>
std::vector<double> checked_targets(std::string_view fn, const Eigen::Ref<const Vector<Scalar>>& y,
                                    Index n) {
  check_equal(fn, "y.size()", y.size(), n, "X.rows()");
  std::vector<double> t(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i) {
    t[static_cast<std::size_t>(i)] = static_cast<double>(y[i]);
    if (!std::isfinite(t[static_cast<std::size_t>(i)]))
      throw_invalid_argument(fn, "y[", i, "] = ", y[i], " is not finite");
  }
  return t;
}

/// Sample weights as doubles, ones when not given; finite, >= 0, positive sum.
template <class Scalar>
std::vector<double> weights_or_ones(std::string_view fn, const ConstRowView<Scalar>& w, Index n) {
  std::vector<double> out = checked_weights(fn, "sample_weight", w, n);
  if (out.empty()) out.assign(static_cast<std::size_t>(n), 1.0);
  return out;
}

/// X for a fitted model: p columns, at least one row, no NaN or infinity.
template <class Scalar>
void check_predict_input(std::string_view fn, const Eigen::Ref<const RowMatrix<Scalar>>& X,
                         Index p) {
  if (p == 0) throw_invalid_argument(fn, "the model is not fitted");
  check_equal(fn, "X.cols()", X.cols(), p, "the number of features fitted");
  for (Index i = 0; i < X.rows(); ++i)
    for (Index f = 0; f < p; ++f)
      if (!std::isfinite(X(i, f)))
        throw_invalid_argument(fn, "X(", i, ", ", f, ") = ", X(i, f),
                               " is not finite (these models take no missing values)");
}

/// Index of the largest entry of row[0, k) (the first on ties).
template <class T>
Index argmax(const T* row, Index k) {
  Index best = 0;
  for (Index j = 1; j < k; ++j)
    if (row[j] > row[best]) best = j;
  return best;
}

/// Doubles (class labels, sample weights) as an Eigen vector of Scalar.
template <class Scalar>
Vector<Scalar> as_vector(const std::vector<double>& v) {
  return Eigen::Map<const Vector<double>>(v.data(), static_cast<Index>(v.size()))
      .template cast<Scalar>();
}

/// Per row of `scores` (row-major, one column per class), the label of its
/// largest entry (the smaller label on ties).
template <class Scalar, class Scores>
Vector<Scalar> labels_of_rows(const std::vector<double>& classes, const Scores& scores) {
  Vector<Scalar> out(scores.rows());
  for (Index i = 0; i < scores.rows(); ++i)
    out[i] = static_cast<Scalar>(
        classes[static_cast<std::size_t>(argmax(scores.row(i).data(), scores.cols()))]);
  return out;
}

/// Reads a class list of a saved model: `count` strictly increasing integers.
inline void check_loaded_classes(std::string_view fn, const std::vector<double>& classes) {
  for (std::size_t k = 0; k < classes.size(); ++k)
    if (!std::isfinite(classes[k]) || std::floor(classes[k]) != classes[k] ||
        (k > 0 && !(classes[k] > classes[k - 1])))
      throw_runtime_error(fn, "the class labels are not increasing integers");
  if (classes.size() < 2) throw_runtime_error(fn, "a classifier has ", classes.size(), " classes");
}

/// Checks that the loaded member `what` of an ensemble has exactly the
/// ensemble's classes (fit gives every member the same labels); throws
/// std::runtime_error naming `fn` otherwise.
template <class Scalar>
void check_member_classes(std::string_view fn, std::string_view what,
                          const std::vector<double>& classes, const Vector<Scalar>& member) {
  bool same = member.size() == static_cast<Index>(classes.size());
  for (Index k = 0; same && k < member.size(); ++k)
    same = static_cast<double>(member[k]) == classes[static_cast<std::size_t>(k)];
  if (!same) throw_runtime_error(fn, what, " does not have the ensemble's ", classes.size(), " classes");
}

}  // namespace detail
}  // namespace mlprim

#endif  // MLPRIM_ENSEMBLE_DETAIL_ESTIMATOR_CHECKS_HPP
