// Transposed 2-D convolution (the adjoint of a strided convolution, used to
// upsample by a learned kernel), forward and backward, as
// F.conv_transpose2d computes it. Images are rows of x (see image.hpp); the
// weight is PyTorch's (C_in, C_out / groups, kH, kW) tensor as a
// C_in x (C_out / groups) kH kW row-major matrix. With s the stride, p the
// padding, d the dilation and a the output padding, per axis
//
//   H_out = (H - 1) s - 2 p + d (kH - 1) + a + 1
//   out[g C_out/G + o, h s - p + i d, w s - p + j d] +=
//       x[g C_in/G + c, h, w] * weight[g C_in/G + c, o, i, j]
//
// computed per image and group as one GEMM (weight_g^T x_g) and a scatter
// of its columns (col2im); the backward pass gathers (im2col) the output
// gradient and multiplies by weight_g (input gradient) and x_g^T (weight
// gradient). O(N C_in C_out / G kH kW H W).
#ifndef MLPRIM_NN_CONV_TRANSPOSE_HPP
#define MLPRIM_NN_CONV_TRANSPOSE_HPP

#include <algorithm>
#include <string>
#include <string_view>

#include "mlprim/core/error.hpp"
#include "mlprim/core/parallel.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/nn/image.hpp"

namespace mlprim {

/// The geometry of a transposed convolution (nn.ConvTranspose2d's
/// arguments, per axis; PyTorch's defaults).
struct ConvTranspose2dOptions {
  Index kernel_height = 1;          ///< kH
  Index kernel_width = 1;           ///< kW
  Index stride_height = 1;          ///< s, >= 1
  Index stride_width = 1;           ///< s, >= 1
  Index padding_height = 0;         ///< p, >= 0 (cropped from each side of the output)
  Index padding_width = 0;          ///< p, >= 0
  Index output_padding_height = 0;  ///< a, below the stride or the dilation
  Index output_padding_width = 0;   ///< a, below the stride or the dilation
  Index dilation_height = 1;        ///< d, >= 1
  Index dilation_width = 1;         ///< d, >= 1
  Index groups = 1;                 ///< G, dividing C_in and C_out
  int num_threads = 0;              ///< threads over the images (0 = all)
};

/// The gradients of conv_transpose2d: input (N x C_in H W), weight
/// (C_in x (C_out / G) kH kW) and bias (C_out; empty without a bias).
template <class T>
struct ConvTranspose2dGradient {
  RowMatrix<T> input;   ///< d loss / d x
  RowMatrix<T> weight;  ///< d loss / d weight
  Vector<T> bias;       ///< d loss / d bias (sum of grad_out per output channel)
};

namespace detail {

/// The checked shapes of one call: input and output images, per-group
/// channel counts, and the row length kH kW of the columns.
struct ConvTransposePlan {
  ImageShape in, out;
  Index cin_g = 0, cout_g = 0, taps = 0;
  int threads = 1;
};

inline Index conv_transpose_extent(std::string_view fn, std::string_view axis, Index in, Index k,
                                   Index s, Index p, Index a, Index d) {
  check_positive(fn, std::string("kernel_").append(axis), k);
  check_positive(fn, std::string("stride_").append(axis), s);
  check_positive(fn, std::string("dilation_").append(axis), d);
  check_non_negative(fn, std::string("padding_").append(axis), p);
  check_non_negative(fn, std::string("output_padding_").append(axis), a);
  if (!(a < s || a < d))
    throw_invalid_argument(fn, "output_padding_", axis, " = ", a,
                           " must be smaller than the stride (", s, ") or the dilation (", d, ")");
  const Index out = (in - 1) * s - 2 * p + d * (k - 1) + a + 1;
  if (out < 1)
    throw_invalid_argument(fn, "the output ", axis, " = ", out, " is not positive (padding_", axis,
                           " = ", p, " too large)");
  return out;
}

inline ConvTransposePlan conv_transpose_plan(std::string_view fn, const ImageShape& shape,
                                             Index weight_rows, Index weight_cols,
                                             const ConvTranspose2dOptions& o) {
  check_shape(fn, shape);
  check_positive(fn, "groups", o.groups);
  ConvTransposePlan p;
  p.out.height =
      conv_transpose_extent(fn, "height", shape.height, o.kernel_height, o.stride_height,
                            o.padding_height, o.output_padding_height, o.dilation_height);
  p.out.width = conv_transpose_extent(fn, "width", shape.width, o.kernel_width, o.stride_width,
                                      o.padding_width, o.output_padding_width, o.dilation_width);
  if (shape.channels % o.groups != 0)
    throw_invalid_argument(fn, "shape.channels = ", shape.channels,
                           " is not divisible by groups = ", o.groups);
  check_equal(fn, "weight.rows()", weight_rows, shape.channels, "shape.channels");
  p.taps = o.kernel_height * o.kernel_width;
  if (weight_cols % p.taps != 0 || weight_cols == 0)
    throw_invalid_argument(fn, "weight.cols() = ", weight_cols,
                           " is not a multiple of kernel_height x kernel_width = ", p.taps);
  p.in = shape;
  p.cin_g = shape.channels / o.groups;
  p.cout_g = weight_cols / p.taps;
  p.out.channels = p.cout_g * o.groups;
  p.threads = resolve_threads(fn, o.num_threads);
  return p;
}

/// Calls fn(row, h, w) for each column entry that lands inside the output:
/// row = o kH kW + i kW + j of the columns, (h, w) the input pixel, with the
/// output pixel (h s - p + i d, w s - p + j d) passed as its flat index.
template <class Fn>
void for_each_tap(const ConvTransposePlan& p, const ConvTranspose2dOptions& o, Fn&& fn) {
  for (Index oc = 0; oc < p.cout_g; ++oc)
    for (Index i = 0; i < o.kernel_height; ++i)
      for (Index j = 0; j < o.kernel_width; ++j) {
        const Index row = (oc * o.kernel_height + i) * o.kernel_width + j;
        for (Index h = 0; h < p.in.height; ++h) {
          const Index ho = h * o.stride_height - o.padding_height + i * o.dilation_height;
          if (ho < 0 || ho >= p.out.height) continue;
          for (Index w = 0; w < p.in.width; ++w) {
            const Index wo = w * o.stride_width - o.padding_width + j * o.dilation_width;
            if (wo < 0 || wo >= p.out.width) continue;
            fn(row, h * p.in.width + w, (oc * p.out.height + ho) * p.out.width + wo);
          }
        }
      }
}

}  // namespace detail

/// The output shape of conv_transpose2d for images of `shape` and a weight
/// with `weight_cols` = (C_out / G) kH kW columns.
inline ImageShape conv_transpose2d_output_shape(const ImageShape& shape, Index weight_cols,
                                                const ConvTranspose2dOptions& o) {
  return detail::conv_transpose_plan("conv_transpose2d_output_shape", shape, shape.channels,
                                     weight_cols, o)
      .out;
}

/// F.conv_transpose2d(x, weight, bias, stride, padding, output_padding,
/// groups, dilation) on x (N x C_in H W): N x C_out H_out W_out. bias has
/// C_out entries or none (size 0).
template <class Derived, class WDerived, class BDerived>
RowMatrix<typename Derived::Scalar> conv_transpose2d(const Eigen::MatrixBase<Derived>& x,
                                                     const ImageShape& shape,
                                                     const Eigen::MatrixBase<WDerived>& weight,
                                                     const Eigen::MatrixBase<BDerived>& bias,
                                                     const ConvTranspose2dOptions& options) {
  using T = typename Derived::Scalar;
  constexpr std::string_view fn = "conv_transpose2d";
  const auto p = detail::conv_transpose_plan(fn, shape, weight.rows(), weight.cols(), options);
  detail::check_images(fn, "x", x, shape);
  if (bias.size() != 0) check_equal(fn, "bias.size()", Index(bias.size()), p.out.channels, "C_out");
  const Eigen::Ref<const RowMatrix<T>> in(x.derived()), w(weight.derived());
  RowMatrix<T> out = RowMatrix<T>::Zero(x.rows(), p.out.size());
  const Index hw = shape.plane();
  const detail::SerialProductsScope serial;  // the images, not Eigen, take the threads
  parallel_for(Index{0}, x.rows(), p.threads, [&](Index n) {
    RowMatrix<T> cols(p.cout_g * p.taps, hw);
    for (Index g = 0; g < options.groups; ++g) {
      const Eigen::Map<const RowMatrix<T>> xg(in.data() + n * in.outerStride() + g * p.cin_g * hw,
                                              p.cin_g, hw);
      cols.noalias() = w.middleRows(g * p.cin_g, p.cin_g).transpose() * xg;
      T* dst = out.data() + n * out.cols() + g * p.cout_g * p.out.plane();
      detail::for_each_tap(p, options,
                           [&](Index row, Index at, Index to) { dst[to] += cols(row, at); });
    }
    if (bias.size() != 0)
      for (Index c = 0; c < p.out.channels; ++c)
        out.row(n).segment(c * p.out.plane(), p.out.plane()).array() += T(bias(c));
  });
  return out;
}

/// The gradients of conv_transpose2d from grad_out (N x C_out H_out W_out):
/// input (im2col of grad_out times weight_g), weight (x_g times the columns'
/// transpose, summed over the images in order, so identical for any thread
/// count) and bias (grad_out summed per channel; empty when with_bias is
/// false).
template <class Derived, class WDerived, class GDerived>
ConvTranspose2dGradient<typename Derived::Scalar> conv_transpose2d_backward(
    const Eigen::MatrixBase<Derived>& x, const ImageShape& shape,
    const Eigen::MatrixBase<WDerived>& weight, const Eigen::MatrixBase<GDerived>& grad_out,
    const ConvTranspose2dOptions& options, bool with_bias = true) {
  using T = typename Derived::Scalar;
  constexpr std::string_view fn = "conv_transpose2d_backward";
  const auto p = detail::conv_transpose_plan(fn, shape, weight.rows(), weight.cols(), options);
  detail::check_images(fn, "x", x, shape);
  detail::check_images(fn, "grad_out", grad_out, p.out);
  check_equal(fn, "grad_out.rows()", grad_out.rows(), x.rows(), "x.rows()");
  const Eigen::Ref<const RowMatrix<T>> in(x.derived()), w(weight.derived()), go(grad_out.derived());
  const Index hw = shape.plane(), N = x.rows(), G = options.groups;
  const detail::SerialProductsScope serial;  // the channel blocks, not Eigen, take the threads
  ConvTranspose2dGradient<T> grad{RowMatrix<T>(N, shape.size()),
                                  RowMatrix<T>::Zero(w.rows(), w.cols()),
                                  Vector<T>::Zero(with_bias ? p.out.channels : 0)};
  // Image by image (so that the weight gradient sums them in order), group
  // by group: the im2col of the output gradient, then both products split
  // by blocks of input channels over the threads.
  RowMatrix<T> cols(p.cout_g * p.taps, hw);
  for (Index n = 0; n < N; ++n)
    for (Index g = 0; g < G; ++g) {
      cols.setZero();
      const T* src = go.data() + n * go.outerStride() + g * p.cout_g * p.out.plane();
      detail::for_each_tap(p, options,
                           [&](Index row, Index at, Index to) { cols(row, at) = src[to]; });
      // Blocks of 16 input channels whatever the thread count, so that each
      // product (and its summation order) is the same on any.
      const Index first = g * p.cin_g, blocks = (p.cin_g + 15) / 16;
      parallel_for(Index{0}, blocks, p.threads, [&](Index block) {
        const Index lo = first + 16 * block, rows = std::min<Index>(16, first + p.cin_g - lo);
        Eigen::Map<RowMatrix<T>>(grad.input.data() + n * grad.input.cols() + lo * hw, rows, hw)
            .noalias() = w.middleRows(lo, rows) * cols;
        grad.weight.middleRows(lo, rows).noalias() +=
            Eigen::Map<const RowMatrix<T>>(in.data() + n * in.outerStride() + lo * hw, rows, hw) *
            cols.transpose();
      });
    }
  if (with_bias)
    for (Index n = 0; n < N; ++n)
      for (Index c = 0; c < p.out.channels; ++c)
        grad.bias(c) += go.row(n).segment(c * p.out.plane(), p.out.plane()).sum();
  return grad;
}

}  // namespace mlprim

#endif  // MLPRIM_NN_CONV_TRANSPOSE_HPP
