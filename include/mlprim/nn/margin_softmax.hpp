// Margin-based softmax losses for recognition (faces, speakers, retrieval)
// on unit-length embeddings x_i (n x D) and class weights w_c (C x D):
// with cos(theta_ic) = x_i . w_c / (|x_i| |w_c|), the logits are
// s cos(theta_ic) for the other classes and s psi(theta_iy) for the label y,
// and the loss is their mean softmax cross-entropy (F.cross_entropy):
//   - ArcFace (Deng et al. 2019), additive angular margin:
//       psi = cos(theta + m) while theta + m <= pi, else cos(theta) - m sin(m)
//       (the insightface fallback, which keeps psi decreasing in theta);
//   - CosFace (Wang et al. 2018, "large margin cosine loss"):
//       psi = cos(theta) - m;
//   - SphereFace (Liu et al. 2017, A-Softmax), multiplicative angular margin
//     with integer m: psi = (-1)^k cos(m theta) - 2k for theta in
//       [k pi / m, (k + 1) pi / m], computed as the Chebyshev polynomial
//       T_m(cos theta); here on unit-length embeddings scaled by s (the
//       normalised form; the paper scales by |x_i| and anneals the margin in).
// Each call returns the loss with its gradients with respect to the raw
// (unnormalised) embeddings and weights. O(n C D).
#ifndef MLPRIM_NN_MARGIN_SOFTMAX_HPP
#define MLPRIM_NN_MARGIN_SOFTMAX_HPP

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/nn/detail/loss_parts.hpp"

namespace mlprim {

/// ArcFace's scale and margin (insightface's defaults).
template <class T>
struct ArcFaceOptions {
  T scale = T(64);    ///< s > 0
  T margin = T(0.5);  ///< m in [0, pi/2] radians
};

/// CosFace's scale and margin (the paper's s = 64, m = 0.35).
template <class T>
struct CosFaceOptions {
  T scale = T(64);     ///< s > 0
  T margin = T(0.35);  ///< m in [0, 1]
};

/// SphereFace's scale and integer margin (the paper's m = 4).
template <class T>
struct SphereFaceOptions {
  T scale = T(64);  ///< s > 0
  int margin = 4;   ///< m in [1, 10]; 1 is the plain normalised softmax
};

/// A margin softmax loss with its gradients.
template <class T>
struct MarginSoftmaxResult {
  T loss = 0;                    ///< mean over rows, accumulated in double for float
  RowMatrix<T> logits;           ///< n x C, the margin-adjusted scaled logits
  RowMatrix<T> grad_embeddings;  ///< dL/dx, n x D
  RowMatrix<T> grad_weights;     ///< dL/dw, C x D
};

namespace detail {

/// The shared body: cosines, target logits through psi (returning psi and
/// dpsi/dcos at a cosine), cross-entropy and the chain back to x and w.
template <class T, class Psi>
MarginSoftmaxResult<T> margin_softmax(const char* fn, const Eigen::Ref<const RowMatrix<T>>& x,
                                      const Eigen::Ref<const RowMatrix<T>>& weights,
                                      const std::vector<Index>& labels, T scale, Psi&& psi) {
  check_positive(fn, "options.scale", scale);
  check_finite(fn, "options.scale", scale);
  check_positive(fn, "embeddings.rows()", x.rows());
  check_positive(fn, "weights.rows()", weights.rows());
  check_equal(fn, "weights.cols()", weights.cols(), x.cols(), "embeddings.cols()");
  check_class_indices(fn, "labels", labels, x.rows(), weights.rows());
  const UnitRows<T> u = unit_rows<T>(fn, "embeddings", x);
  const UnitRows<T> v = unit_rows<T>(fn, "weights", weights);
  RowMatrix<T> cosine = (u.unit * v.unit.transpose()).cwiseMax(T(-1)).cwiseMin(T(1));
  MarginSoftmaxResult<T> out;
  out.logits = scale * cosine;
  std::vector<T> slope(labels.size());
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const auto [value, derivative] = psi(cosine(static_cast<Index>(i), labels[i]));
    out.logits(static_cast<Index>(i), labels[i]) = scale * value;
    slope[i] = derivative;
  }
  RowMatrix<T> grad = out.logits;
  out.loss = softmax_cross_entropy(grad, labels);
  grad *= scale;  // now dL/dcos, except at the targets
  for (std::size_t i = 0; i < labels.size(); ++i)
    grad(static_cast<Index>(i), labels[i]) *= slope[i];
  out.grad_embeddings = unit_rows_backward(u, RowMatrix<T>(grad * v.unit));
  out.grad_weights = unit_rows_backward(v, RowMatrix<T>(grad.transpose() * u.unit));
  return out;
}

}  // namespace detail

/// ArcFace loss (see the top of this file) of embeddings (n x D) with
/// labels in [0, C) against class weights (C x D). Where theta + m <= pi,
/// dpsi/dcos = cos m + sin m cos(theta) / sin(theta), with sin(theta)
/// floored at sqrt(machine epsilon) so that an embedding exactly on its
/// class weight gets a finite gradient.
template <class T>
MarginSoftmaxResult<T> arcface_loss(const Eigen::Ref<const RowMatrix<T>>& embeddings,
                                    const Eigen::Ref<const RowMatrix<T>>& weights,
                                    const std::vector<Index>& labels,
                                    const ArcFaceOptions<T>& options = {}) {
  const char* fn = "arcface_loss";
  const T m = options.margin, half_pi = T(1.57079632679489661923);
  check_in_range(fn, "options.margin", m, T(0), half_pi);
  const T cos_m = std::cos(m), sin_m = std::sin(m);
  const T threshold = -cos_m;  // cos(pi - m)
  const T floor = std::sqrt(std::numeric_limits<T>::epsilon());
  return detail::margin_softmax<T>(fn, embeddings, weights, labels, options.scale, [&](T c) {
    if (c <= threshold) return std::pair<T, T>(c - m * sin_m, T(1));
    const T sine = std::sqrt(std::max(T(1) - c * c, T(0)));
    return std::pair<T, T>(c * cos_m - sine * sin_m, cos_m + sin_m * c / std::max(sine, floor));
  });
}

/// CosFace loss (see the top of this file) of embeddings (n x D) with
/// labels in [0, C) against class weights (C x D).
template <class T>
MarginSoftmaxResult<T> cosface_loss(const Eigen::Ref<const RowMatrix<T>>& embeddings,
                                    const Eigen::Ref<const RowMatrix<T>>& weights,
                                    const std::vector<Index>& labels,
                                    const CosFaceOptions<T>& options = {}) {
  const char* fn = "cosface_loss";
  check_in_range(fn, "options.margin", options.margin, T(0), T(1));
  const T m = options.margin;
  return detail::margin_softmax<T>(fn, embeddings, weights, labels, options.scale,
                                   [&](T c) { return std::pair<T, T>(c - m, T(1)); });
}

/// SphereFace loss (see the top of this file) of embeddings (n x D) with
/// labels in [0, C) against class weights (C x D); dpsi/dcos =
/// (-1)^k m U_{m-1}(cos theta), the Chebyshev polynomial of the second kind.
template <class T>
MarginSoftmaxResult<T> sphereface_loss(const Eigen::Ref<const RowMatrix<T>>& embeddings,
                                       const Eigen::Ref<const RowMatrix<T>>& weights,
                                       const std::vector<Index>& labels,
                                       const SphereFaceOptions<T>& options = {}) {
  const char* fn = "sphereface_loss";
  check_in_range(fn, "options.margin", options.margin, 1, 10);
  const int m = options.margin;
  const T pi = T(3.14159265358979323846);
  return detail::margin_softmax<T>(fn, embeddings, weights, labels, options.scale, [&](T c) {
    T t_prev = 1, t = c, u_prev = 0, u = 1;  // T_0, T_1; U_{-1}, U_0
    for (int j = 1; j < m; ++j) {
      const T t_next = 2 * c * t - t_prev, u_next = 2 * c * u - u_prev;
      t_prev = t, t = t_next, u_prev = u, u = u_next;
    }
    const int k = std::min(m - 1, static_cast<int>(std::floor(T(m) * std::acos(c) / pi)));
    const T sign = k % 2 == 0 ? T(1) : T(-1);
    return std::pair<T, T>(sign * t - T(2 * k), sign * T(m) * u);
  });
}

}  // namespace mlprim

#endif  // MLPRIM_NN_MARGIN_SOFTMAX_HPP
