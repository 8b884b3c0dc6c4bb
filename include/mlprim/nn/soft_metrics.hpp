// Smooth surrogates of discrete classification metrics, computed from
// predicted probabilities instead of hard decisions so that they can be
// optimised directly (maximise the value, or minimise 1 - value), after
// "making the evaluation metric the loss" (Eban et al. 2017, "Scalable
// learning of non-decomposable objectives"; the soft-F1 of the Kaggle and
// segmentation literature). With p_ic the probability of class c for row i
// and y_ic = [label_i = c]:
//   - soft accuracy = (1/n) sum_i p_{i, label_i}, the expected accuracy;
//   - soft F1 of class c = 2 TP_c / (2 TP_c + FP_c + FN_c) with the soft
//     counts TP_c = sum_i p_ic y_ic, FP_c = sum_i p_ic (1 - y_ic),
//     FN_c = sum_i (1 - p_ic) y_ic, which simplifies to
//     2 sum_i p_ic y_ic / (sum_i p_ic + sum_i y_ic); macro F1 averages the
//     classes, micro F1 pools the counts. A class with no label and no
//     probability mass has F1 0 (scikit-learn's zero_division = 0) and zero
//     gradient.
// Each returns the value and its gradient with respect to the
// probabilities (chain it through the softmax or sigmoid yourself). O(n C).
#ifndef MLPRIM_NN_SOFT_METRICS_HPP
#define MLPRIM_NN_SOFT_METRICS_HPP

#include <string_view>
#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/nn/detail/loss_parts.hpp"

namespace mlprim {

/// A soft metric's value and its gradient.
template <class T>
struct SoftMetricResult {
  T value = 0;            ///< in [0, 1], accumulated in double for float
  RowMatrix<T> gradient;  ///< d value / d probabilities, n x C
};

/// How soft_f1 combines classes.
enum class SoftF1Average {
  Binary,  ///< probabilities n x 1 (of class 1), labels 0 or 1: F1 of class 1
  Macro,   ///< mean of the per-class F1 over the C columns
  Micro,   ///< F1 of the counts summed over classes
};

/// soft_f1's options.
struct SoftF1Options {
  SoftF1Average average = SoftF1Average::Macro;  ///< how classes combine
};

namespace detail {
template <class T>
void check_probabilities(std::string_view fn, const Eigen::Ref<const RowMatrix<T>>& p) {
  check_positive(fn, "probabilities.rows()", p.rows());
  check_positive(fn, "probabilities.cols()", p.cols());
  for (Index i = 0; i < p.rows(); ++i)
    for (Index c = 0; c < p.cols(); ++c)
      if (!(p(i, c) >= T(0) && p(i, c) <= T(1)))
        throw_invalid_argument(fn, "probabilities(", i, ", ", c, ") = ", p(i, c),
                               " is outside [0, 1]");
}
}  // namespace detail

/// Soft accuracy of probabilities (n x C) against labels in [0, C).
template <class T>
SoftMetricResult<T> soft_accuracy(const Eigen::Ref<const RowMatrix<T>>& probabilities,
                                  const std::vector<Index>& labels) {
  const char* fn = "soft_accuracy";
  detail::check_probabilities<T>(fn, probabilities);
  detail::check_class_indices(fn, "labels", labels, probabilities.rows(), probabilities.cols());
  const Index n = probabilities.rows();
  SoftMetricResult<T> out{0, RowMatrix<T>::Zero(n, probabilities.cols())};
  AccumulatorT<T> sum = 0;
  for (Index i = 0; i < n; ++i) {
    const Index y = labels[static_cast<std::size_t>(i)];
    sum += probabilities(i, y);
    out.gradient(i, y) = T(1) / T(n);
  }
  out.value = T(sum / AccumulatorT<T>(n));
  return out;
}

/// Soft F1 of probabilities (n x C; n x 1 for Binary) against labels
/// (in [0, C); 0 or 1 for Binary), combined by options.average.
template <class T>
SoftMetricResult<T> soft_f1(const Eigen::Ref<const RowMatrix<T>>& probabilities,
                            const std::vector<Index>& labels, const SoftF1Options& options = {}) {
  const char* fn = "soft_f1";
  using Acc = AccumulatorT<T>;
  detail::check_probabilities<T>(fn, probabilities);
  const bool binary = options.average == SoftF1Average::Binary;
  if (binary && probabilities.cols() != 1)
    throw_invalid_argument(fn, "probabilities.cols() = ", probabilities.cols(),
                           " must be 1 with SoftF1Average::Binary");
  detail::check_class_indices(fn, "labels", labels, probabilities.rows(),
                              binary ? 2 : probabilities.cols());
  const Index n = probabilities.rows(), C = probabilities.cols();
  auto y = [&](Index i, Index c) {
    const Index label = labels[static_cast<std::size_t>(i)];
    return binary ? Acc(label) : Acc(label == c);
  };
  // Per class: tp = sum p y, den = sum p + sum y.
  std::vector<Acc> tp(static_cast<std::size_t>(C), 0), den(static_cast<std::size_t>(C), 0);
  for (Index i = 0; i < n; ++i)
    for (Index c = 0; c < C; ++c) {
      const Acc p = probabilities(i, c);
      tp[static_cast<std::size_t>(c)] += p * y(i, c);
      den[static_cast<std::size_t>(c)] += p + y(i, c);
    }
  SoftMetricResult<T> out{0, RowMatrix<T>::Zero(n, C)};
  // F1 = 2 tp / den: dF1/dp_ic = (2 y_ic - F1) / den, scaled by the weight
  // of class c in the average.
  if (options.average == SoftF1Average::Micro) {
    Acc all_tp = 0, all_den = 0;
    for (Index c = 0; c < C; ++c)
      all_tp += tp[static_cast<std::size_t>(c)], all_den += den[static_cast<std::size_t>(c)];
    if (all_den == 0) return out;
    const Acc f1 = 2 * all_tp / all_den;
    out.value = T(f1);
    for (Index i = 0; i < n; ++i)
      for (Index c = 0; c < C; ++c) out.gradient(i, c) = T((2 * y(i, c) - f1) / all_den);
    return out;
  }
  Acc total = 0;
  for (Index c = 0; c < C; ++c) {
    const Acc d = den[static_cast<std::size_t>(c)];
    if (d == 0) continue;
    const Acc f1 = 2 * tp[static_cast<std::size_t>(c)] / d;
    total += f1;
    for (Index i = 0; i < n; ++i) out.gradient(i, c) = T((2 * y(i, c) - f1) / (d * Acc(C)));
  }
  out.value = T(total / Acc(C));
  return out;
}

}  // namespace mlprim

#endif  // MLPRIM_NN_SOFT_METRICS_HPP
