// Gated linear units over the last dimension (Dauphin et al. 2017; the
// variants of Shazeer 2020, "GLU Variants Improve Transformer"): x (N x 2h,
// one sample per row) is split into its first half a and second half b, and
//
//     glu(x)    = a * sigmoid(b)     (F.glu(x, dim=-1))
//     reglu(x)  = a * relu(b)
//     geglu(x)  = a * gelu(b)        (erf or tanh GELU)
//     swiglu(x) = a * silu(b)
//
// as F.glu orders the halves (the gate is the second). The backward passes
// return the gradient with respect to x (N x 2h) from grad_out (N x h):
// [grad_out * f(b), grad_out * a * f'(b)].
#ifndef MLPRIM_NN_GATED_HPP
#define MLPRIM_NN_GATED_HPP

#include <string_view>

#include "mlprim/core/error.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/nn/activations.hpp"

namespace mlprim {

namespace detail {

template <class Derived>
Index gated_half(const Eigen::MatrixBase<Derived>& x, std::string_view fn) {
  if (x.cols() % 2 != 0)
    throw_invalid_argument(fn, "x.cols() = ", x.cols(), " must be even (two halves)");
  return x.cols() / 2;
}

template <class Derived, class F>
RowMatrix<typename Derived::Scalar> gated_forward(const Eigen::MatrixBase<Derived>& x,
                                                  std::string_view fn, const F& gate) {
  const Index h = gated_half(x, fn);
  RowMatrix<typename Derived::Scalar> out(x.rows(), h);
  out.array() = x.leftCols(h).array() * apply_elementwise(x.rightCols(h).array(), gate);
  return out;
}

template <class Derived, class GradDerived, class F, class DF>
RowMatrix<typename Derived::Scalar> gated_backward(const Eigen::MatrixBase<Derived>& x,
                                                   const Eigen::MatrixBase<GradDerived>& grad_out,
                                                   std::string_view fn, const F& gate,
                                                   const DF& gate_derivative) {
  const Index h = gated_half(x, fn);
  check_equal(fn, "grad_out.rows()", grad_out.rows(), x.rows(), "x.rows()");
  check_equal(fn, "grad_out.cols()", grad_out.cols(), h, "x.cols() / 2");
  RowMatrix<typename Derived::Scalar> grad(x.rows(), 2 * h);
  const auto b = x.rightCols(h).array();
  grad.leftCols(h).array() = grad_out.array() * apply_elementwise(b, gate);
  grad.rightCols(h).array() =
      grad_out.array() * x.leftCols(h).array() * apply_elementwise(b, gate_derivative);
  return grad;
}

}  // namespace detail

/// glu(x) = a * sigmoid(b) over the halves of x's columns (F.glu, dim = -1).
template <class Derived>
RowMatrix<typename Derived::Scalar> glu(const Eigen::MatrixBase<Derived>& x) {
  return detail::gated_forward(x, "glu", detail::SigmoidFormula{});
}
/// The gradient of glu with respect to x (N x 2h) from grad_out (N x h).
template <class Derived, class GradDerived>
RowMatrix<typename Derived::Scalar> glu_backward(const Eigen::MatrixBase<Derived>& x,
                                                 const Eigen::MatrixBase<GradDerived>& grad_out) {
  return detail::gated_backward(x, grad_out, "glu_backward", detail::SigmoidFormula{},
                                detail::SigmoidDerivativeFormula{});
}

/// reglu(x) = a * relu(b) (Shazeer 2020).
template <class Derived>
RowMatrix<typename Derived::Scalar> reglu(const Eigen::MatrixBase<Derived>& x) {
  return detail::gated_forward(x, "reglu", detail::ReluFormula{});
}
/// The gradient of reglu with respect to x from grad_out.
template <class Derived, class GradDerived>
RowMatrix<typename Derived::Scalar> reglu_backward(const Eigen::MatrixBase<Derived>& x,
                                                   const Eigen::MatrixBase<GradDerived>& grad_out) {
  return detail::gated_backward(x, grad_out, "reglu_backward", detail::ReluFormula{},
                                detail::ReluDerivativeFormula{});
}

/// geglu(x) = a * gelu(b) (Shazeer 2020), erf GELU unless asked for tanh.
template <class Derived>
RowMatrix<typename Derived::Scalar> geglu(const Eigen::MatrixBase<Derived>& x,
                                          GeluApproximation approximate = GeluApproximation::None) {
  return detail::gated_forward(x, "geglu",
                               detail::GeluFormula{approximate == GeluApproximation::Tanh});
}
/// The gradient of geglu with respect to x from grad_out.
template <class Derived, class GradDerived>
RowMatrix<typename Derived::Scalar> geglu_backward(
    const Eigen::MatrixBase<Derived>& x, const Eigen::MatrixBase<GradDerived>& grad_out,
    GeluApproximation approximate = GeluApproximation::None) {
  const bool t = approximate == GeluApproximation::Tanh;
  return detail::gated_backward(x, grad_out, "geglu_backward", detail::GeluFormula{t},
                                detail::GeluDerivativeFormula{t});
}

/// swiglu(x) = a * silu(b) (Shazeer 2020; Swish with beta = 1, as in LLaMA).
template <class Derived>
RowMatrix<typename Derived::Scalar> swiglu(const Eigen::MatrixBase<Derived>& x) {
  return detail::gated_forward(x, "swiglu", detail::SiluFormula{});
}
/// The gradient of swiglu with respect to x from grad_out.
template <class Derived, class GradDerived>
RowMatrix<typename Derived::Scalar> swiglu_backward(
    const Eigen::MatrixBase<Derived>& x, const Eigen::MatrixBase<GradDerived>& grad_out) {
  return detail::gated_backward(x, grad_out, "swiglu_backward", detail::SiluFormula{},
                                detail::SiluDerivativeFormula{});
}

}  // namespace mlprim

#endif  // MLPRIM_NN_GATED_HPP
