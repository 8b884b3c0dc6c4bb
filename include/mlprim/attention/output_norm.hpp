// Output normalisation of linear attention (TransNormer's NormAttention,
// Qin et al. 2022, "The Devil in Linear Transformer"): RMSNorm or LayerNorm
// of every output row, forward and backward.
#ifndef MLPRIM_ATTENTION_OUTPUT_NORM_HPP
#define MLPRIM_ATTENTION_OUTPUT_NORM_HPP

#include <cmath>

#include "mlprim/core/types.hpp"

namespace mlprim {

/// A normalisation of every output row (TransNormer's NormAttention), without
/// a learned gain (multiply the result by one if the model has it):
///   RMSNorm:   y = x / sqrt(mean(x^2) + eps)
///   LayerNorm: y = (x - mean(x)) / sqrt(var(x) + eps)   (biased variance)
struct OutputNorm {
  /// Which normalisation (None leaves the rows as they are).
  enum class Kind { None, RMSNorm, LayerNorm };
  Kind kind = Kind::None;  ///< the normalisation applied
  double eps = 1e-6;       ///< added to the mean square before the square root, > 0
};

namespace detail {

/// The root mean square (about the mean for LayerNorm) plus eps of every
/// row, as apply_output_norm divides by.
template <class Acc>
Vector<Acc> output_norm_scale(const OutputNorm& norm, const RowMatrix<Acc>& x) {
  Vector<Acc> rms(x.rows());
  for (Index i = 0; i < x.rows(); ++i) {
    auto row = x.row(i).array();
    const Acc mean = norm.kind == OutputNorm::Kind::LayerNorm ? row.mean() : Acc(0);
    rms(i) = std::sqrt((row - mean).square().mean() + static_cast<Acc>(norm.eps));
  }
  return rms;
}

/// Applies `norm` to every row of y in place.
template <class Acc>
void apply_output_norm(const OutputNorm& norm, RowMatrix<Acc>& y) {
  if (norm.kind == OutputNorm::Kind::None) return;
  const Vector<Acc> rms = output_norm_scale(norm, y);
  for (Index i = 0; i < y.rows(); ++i) {
    auto row = y.row(i).array();
    if (norm.kind == OutputNorm::Kind::LayerNorm) row -= row.mean();
    row /= rms(i);
  }
}

/// Gradient through apply_output_norm: given the normalised rows y and
/// dLoss/dy = g, replaces g by dLoss/dx. With r the row's root mean square,
/// RMSNorm: dx = (g - y mean(g y)) / r; LayerNorm additionally subtracts mean(g).
template <class Acc>
void output_norm_backward(const OutputNorm& norm, const RowMatrix<Acc>& y, const Vector<Acc>& rms,
                          RowMatrix<Acc>& g) {
  if (norm.kind == OutputNorm::Kind::None) return;
  for (Index i = 0; i < y.rows(); ++i) {
    auto gi = g.row(i).array();
    const Acc gy = (gi * y.row(i).array()).mean();
    if (norm.kind == OutputNorm::Kind::LayerNorm) gi -= gi.mean();
    gi = (gi - y.row(i).array() * gy) / rms(i);
  }
}

}  // namespace detail
}  // namespace mlprim

#endif  // MLPRIM_ATTENTION_OUTPUT_NORM_HPP
