// The depthwise causal convolution in front of Mamba's scan (the
// causal-conv1d package's causal_conv1d_fn and causal_conv1d_update): per
// channel d, with kernel width W,
//   out_t = bias_d + sum_{k=0}^{W-1} weight_{d,k} x_{t-W+1+k}   (x_{<0} = 0)
// then optionally SiLU. It is PyTorch's conv1d(groups = Dm, padding = W - 1)
// cut to the first L outputs.
#ifndef MLPRIM_SSM_CAUSAL_CONV1D_HPP
#define MLPRIM_SSM_CAUSAL_CONV1D_HPP

#include "mlprim/core/error.hpp"
#include "mlprim/core/parallel.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/core/view.hpp"
#include "mlprim/ssm/detail/scan_inputs.hpp"

namespace mlprim {

/// Options of causal_conv1d and causal_conv1d_update.
template <class T>
struct CausalConv1dOptions {
  ConstRowView<T> bias;  ///< Dm (absent: no bias)
  bool silu = false;     ///< apply SiLU to the output (Mamba does)
  int num_threads = 0;   ///< 0 = all (causal_conv1d only: split over time)
};

namespace detail {

template <class T>
void check_conv_weight(const char* fn, Index channels, const Eigen::Ref<const RowMatrix<T>>& w,
                       const CausalConv1dOptions<T>& o) {
  if (w.rows() != channels || w.cols() == 0)
    throw_invalid_argument(fn, "weight is ", w.rows(), " x ", w.cols(), ", expected ", channels,
                           " x W (W >= 1) for ", channels, " channels");
  check_optional(fn, "bias", o.bias, channels, 1);
}

/// out_d = bias_d + sum_k weight_{d,k} window_k(d) (+ SiLU), for a window
/// whose entry k is at(k, d).
template <class Acc, class T, class At>
Acc conv_tap_sum(const Eigen::Ref<const RowMatrix<T>>& weight, const CausalConv1dOptions<T>& o,
                 Index d, const At& at) {
  Acc sum = optional_entry<Acc>(o.bias, d, Acc(0));
  for (Index k = 0; k < weight.cols(); ++k)
    sum += static_cast<Acc>(weight(d, k)) * static_cast<Acc>(at(k, d));
  return o.silu ? silu(sum) : sum;
}

}  // namespace detail

/// Depthwise causal convolution of x (L x Dm, one time step per row) with
/// weight (Dm x W), see causal_conv1d.hpp. Returns L x Dm.
template <class DX, class DW>
RowMatrix<typename DX::Scalar> causal_conv1d(
    const Eigen::MatrixBase<DX>& x, const Eigen::MatrixBase<DW>& weight,
    const CausalConv1dOptions<typename DX::Scalar>& options = {}) {
  using T = typename DX::Scalar;
  using Acc = AccumulatorT<T>;
  constexpr const char* fn = "causal_conv1d";
  const Eigen::Ref<const RowMatrix<T>> xv(x.derived()), w(weight.derived());
  detail::check_conv_weight(fn, xv.cols(), w, options);
  const Index L = xv.rows(), dm = xv.cols(), width = w.cols();
  RowMatrix<T> out(L, dm);
  parallel_for(Index{0}, L, resolve_threads(fn, options.num_threads), [&](Index t) {
    for (Index d = 0; d < dm; ++d)
      out(t, d) = static_cast<T>(detail::conv_tap_sum<Acc>(w, options, d, [&](Index k, Index c) {
        const Index row = t - width + 1 + k;
        return row >= 0 ? xv(row, c) : T(0);
      }));
  });
  return out;
}

/// One decoding step of causal_conv1d: conv_state ((W - 1) x Dm) holds the
/// previous W - 1 inputs, oldest first (zeros before the sequence starts);
/// x_new (Dm entries) is the next input. Returns the output for x_new (Dm,
/// equal to row t of causal_conv1d over the whole sequence) and shifts
/// x_new into conv_state.
template <class T, class DX>
Vector<T> causal_conv1d_update(Eigen::Ref<RowMatrix<T>> conv_state,
                               const Eigen::MatrixBase<DX>& x_new,
                               const Eigen::Ref<const RowMatrix<T>>& weight,
                               const CausalConv1dOptions<T>& options = {}) {
  using Acc = AccumulatorT<T>;
  constexpr const char* fn = "causal_conv1d_update";
  const Index dm = x_new.size(), width = weight.cols();
  detail::check_conv_weight(fn, dm, weight, options);
  if (conv_state.rows() != width - 1 || conv_state.cols() != dm)
    throw_invalid_argument(fn, "conv_state is ", conv_state.rows(), " x ", conv_state.cols(),
                           ", expected (W - 1) x Dm = ", width - 1, " x ", dm);
  const Vector<T> next = x_new.derived().reshaped();
  Vector<T> out(dm);
  for (Index d = 0; d < dm; ++d)
    out(d) = static_cast<T>(detail::conv_tap_sum<Acc>(weight, options, d, [&](Index k, Index c) {
      return k < width - 1 ? conv_state(k, c) : next(c);
    }));
  if (width > 1) {
    for (Index k = 0; k + 1 < width - 1; ++k) conv_state.row(k) = conv_state.row(k + 1);
    conv_state.row(width - 2) = next.transpose();
  }
  return out;
}

/// causal_conv1d in the causal-conv1d package's argument order: bias (Dm,
/// or empty) and whether to apply SiLU.
template <class DX, class DW>
RowMatrix<typename DX::Scalar> causal_conv1d(const Eigen::MatrixBase<DX>& x,
                                             const Eigen::MatrixBase<DW>& weight,
                                             const ConstRowView<typename DX::Scalar>& bias,
                                             bool silu) {
  CausalConv1dOptions<typename DX::Scalar> options;
  options.bias = bias;
  options.silu = silu;
  return causal_conv1d(x, weight, options);
}

/// causal_conv1d_update in the causal-conv1d package's argument order.
template <class T, class DX>
Vector<T> causal_conv1d_update(Eigen::Ref<RowMatrix<T>> conv_state,
                               const Eigen::MatrixBase<DX>& x_new,
                               const Eigen::Ref<const RowMatrix<T>>& weight,
                               const ConstRowView<T>& bias, bool silu) {
  CausalConv1dOptions<T> options;
  options.bias = bias;
  options.silu = silu;
  return causal_conv1d_update<T>(conv_state, x_new, weight, options);
}

}  // namespace mlprim

#endif  // MLPRIM_SSM_CAUSAL_CONV1D_HPP
