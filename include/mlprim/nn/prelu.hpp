// PReLU (He et al. 2015, nn.PReLU): a leaky ReLU whose negative slope is
// learned, one per channel. x is N x C (one sample per row, channels in
// columns, as PyTorch's channel dimension 1) and the weight has C entries,
// or 1 shared by all channels:
//
//     prelu(x)_ic = x_ic > 0 ? x_ic : w_c x_ic
//     d/dx = x > 0 ? 1 : w_c,   d/dw_c = sum_i (x_ic > 0 ? 0 : x_ic) grad_ic
#ifndef MLPRIM_NN_PRELU_HPP
#define MLPRIM_NN_PRELU_HPP

#include <string_view>

#include "mlprim/core/error.hpp"
#include "mlprim/core/types.hpp"

namespace mlprim {

/// The gradients of prelu: with respect to the input (N x C) and the weight
/// (C entries, or 1 when it is shared), accumulated in T.
template <class T>
struct PreluGradient {
  RowMatrix<T> input;  ///< d loss / d x, N x C
  Vector<T> weight;    ///< d loss / d weight, one entry per weight
};

namespace detail {
template <class Derived, class WDerived>
void check_prelu(const Eigen::MatrixBase<Derived>& x, const Eigen::MatrixBase<WDerived>& weight,
                 std::string_view fn) {
  if (weight.size() != 1 && weight.size() != x.cols())
    throw_invalid_argument(fn, "weight.size() = ", weight.size(),
                           " must be 1 or the number of channels x.cols() = ", x.cols());
}
}  // namespace detail

/// prelu(x) = x > 0 ? x : w x, with w the weight of x's column (or the one
/// shared weight). O(N C).
template <class Derived, class WDerived>
RowMatrix<typename Derived::Scalar> prelu(const Eigen::MatrixBase<Derived>& x,
                                          const Eigen::MatrixBase<WDerived>& weight) {
  using T = typename Derived::Scalar;
  detail::check_prelu(x, weight, "prelu");
  RowMatrix<T> out(x.rows(), x.cols());
  for (Index c = 0; c < x.cols(); ++c) {
    const T w = weight.size() == 1 ? T(weight(0)) : T(weight(c));
    out.col(c) = (x.col(c).array() > T(0)).select(x.col(c), w * x.col(c).array());
  }
  return out;
}

/// The gradients of prelu from grad_out (N x C): grad_out where x > 0 and
/// w grad_out elsewhere for the input; sum of x grad_out over the entries
/// with x <= 0, per channel (or over all), for the weight.
template <class Derived, class WDerived, class GradDerived>
PreluGradient<typename Derived::Scalar> prelu_backward(
    const Eigen::MatrixBase<Derived>& x, const Eigen::MatrixBase<WDerived>& weight,
    const Eigen::MatrixBase<GradDerived>& grad_out) {
  using T = typename Derived::Scalar;
  constexpr std::string_view fn = "prelu_backward";
  detail::check_prelu(x, weight, fn);
  check_equal(fn, "grad_out.rows()", grad_out.rows(), x.rows(), "x.rows()");
  check_equal(fn, "grad_out.cols()", grad_out.cols(), x.cols(), "x.cols()");
  PreluGradient<T> g{RowMatrix<T>(x.rows(), x.cols()), Vector<T>::Zero(weight.size())};
  for (Index c = 0; c < x.cols(); ++c) {
    const Index wc = weight.size() == 1 ? 0 : c;
    const T w = T(weight(wc));
    const auto positive = x.col(c).array() > T(0);
    g.input.col(c) = positive.select(grad_out.col(c), w * grad_out.col(c).array());
    g.weight(wc) += positive.select(T(0), x.col(c).array() * grad_out.col(c).array()).sum();
  }
  return g;
}

}  // namespace mlprim

#endif  // MLPRIM_NN_PRELU_HPP
