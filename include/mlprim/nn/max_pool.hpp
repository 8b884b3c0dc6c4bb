// 2-D max pooling that records where each maximum came from, its backward
// pass, and max unpooling (the partial inverse that puts values back at
// the recorded places), as F.max_pool2d(return_indices=True),
// F.max_unpool2d and their autograd gradients compute them. Per axis, with
// kernel k, stride s, padding p and dilation d,
//
//   H_out = floor((H + 2 p - d (k - 1) - 1) / s) + 1    (ceil with ceil_mode,
//           dropping a last window that would start in the padding)
//   out[c, i, j] = max over a, b of x[c, i s - p + a d, j s - p + b d]
//
// over the taps inside the image (the padding is -inf); an index is the
// flat position h W + w of the maximum in its channel's plane, the first
// in scan order on ties and NaN winning as in PyTorch's CPU kernel. Images
// are rows of x (see image.hpp).
#ifndef MLPRIM_NN_MAX_POOL_HPP
#define MLPRIM_NN_MAX_POOL_HPP

#include <cmath>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/core/parallel.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/nn/image.hpp"

namespace mlprim {

/// The windows of max_pool2d (nn.MaxPool2d's arguments per axis, PyTorch's
/// defaults; a stride of 0 means the kernel size).
struct MaxPool2dOptions {
  Index kernel_height = 2;    ///< k, >= 1
  Index kernel_width = 2;     ///< k, >= 1
  Index stride_height = 0;    ///< s, >= 1; 0 = kernel_height
  Index stride_width = 0;     ///< s, >= 1; 0 = kernel_width
  Index padding_height = 0;   ///< p, 0 <= p <= k / 2
  Index padding_width = 0;    ///< p, 0 <= p <= k / 2
  Index dilation_height = 1;  ///< d, >= 1
  Index dilation_width = 1;   ///< d, >= 1
  bool ceil_mode = false;     ///< round the output size up instead of down
  int num_threads = 0;        ///< threads over the N C planes (0 = all)
};

/// What max_pool2d returns: the pooled images (N x C H_out W_out), the flat
/// in-plane index h W + w of each maximum (same size), and their shape.
template <class T>
struct MaxPool2dResult {
  RowMatrix<T> values;  ///< the maxima
  IndexMatrix indices;  ///< where each came from, in [0, H W)
  ImageShape shape;     ///< C x H_out x W_out
};

/// The windows of max_unpool2d (F.max_unpool2d's arguments per axis): the
/// output size defaults to (H - 1) s - 2 p + k; a requested size must lie
/// strictly within one stride of that default, as PyTorch requires.
struct MaxUnpool2dOptions {
  Index kernel_height = 2;   ///< k, >= 1
  Index kernel_width = 2;    ///< k, >= 1
  Index stride_height = 0;   ///< s, >= 1; 0 = kernel_height
  Index stride_width = 0;    ///< s, >= 1; 0 = kernel_width
  Index padding_height = 0;  ///< p, >= 0
  Index padding_width = 0;   ///< p, >= 0
  Index out_height = 0;      ///< requested output height; 0 = the default
  Index out_width = 0;       ///< requested output width; 0 = the default
  int num_threads = 0;       ///< threads over the N C planes (0 = all)
};

namespace detail {

/// The taps of one output position along one axis: the first input index
/// inside the image and one past the last (the step is the dilation).
struct PoolWindow {
  Index first = 0, end = 0;
};

/// The output size and the clipped window of every output position on one
/// axis, or an invalid_argument naming the axis' bad argument.
inline std::vector<PoolWindow> pool_windows(std::string_view fn, std::string_view axis, Index in,
                                            Index k, Index& s, Index p, Index d, bool ceil_mode) {
  const std::string name(axis);
  check_positive(fn, "kernel_" + name, k);
  if (s == 0) s = k;
  check_positive(fn, "stride_" + name, s);
  check_positive(fn, "dilation_" + name, d);
  check_non_negative(fn, "padding_" + name, p);
  if (p > k / 2)
    throw_invalid_argument(fn, "padding_", axis, " = ", p, " must be at most half of kernel_", axis,
                           " = ", k);
  // floor((in + 2 p - d (k - 1) - 1 [+ s - 1]) / s) + 1, rounding down also
  // below zero.
  const Index span = in + 2 * p - d * (k - 1) - 1 + (ceil_mode ? s - 1 : 0);
  Index out = (span >= 0 ? span / s : -((-span + s - 1) / s)) + 1;
  if (ceil_mode && out > 0 && (out - 1) * s >= in + p) --out;
  if (out < 1)
    throw_invalid_argument(fn, "the output ", axis, " = ", out, " is not positive (", axis, " ", in,
                           " is smaller than the dilated kernel ", d * (k - 1) + 1,
                           " with padding ", p, ")");
  std::vector<PoolWindow> windows(static_cast<std::size_t>(out));
  for (Index o = 0; o < out; ++o) {
    Index first = o * s - p;
    const Index end = std::min(first + d * (k - 1) + 1, in);
    while (first < 0) first += d;
    if (first >= end)
      throw_invalid_argument(fn, "the window at output ", axis, " ", o,
                             " holds only padding (dilation_", axis, " = ", d, ")");
    windows[std::size_t(o)] = {first, end};
  }
  return windows;
}

/// Checks that idx is an index matrix of x's size whose entries lie in
/// [0, plane); names the first bad entry.
inline void check_plane_indices(std::string_view fn, const IndexMatrix& idx, Index rows, Index cols,
                                Index plane) {
  if (idx.rows() != rows || idx.cols() != cols)
    throw_invalid_argument(fn, "indices is ", idx.rows(), " x ", idx.cols(), ", expected ", rows,
                           " x ", cols);
  for (Index r = 0; r < rows; ++r)
    for (Index c = 0; c < cols; ++c)
      if (idx(r, c) < 0 || idx(r, c) >= plane)
        throw_invalid_argument(fn, "indices(", r, ", ", c, ") = ", idx(r, c),
                               " is outside the plane of ", plane, " pixels");
}

/// The output extent of max_unpool2d on one axis.
inline Index unpool_extent(std::string_view fn, std::string_view axis, Index in, Index k, Index& s,
                           Index p, Index requested) {
  const std::string name(axis);
  check_positive(fn, "kernel_" + name, k);
  if (s == 0) s = k;
  check_positive(fn, "stride_" + name, s);
  check_non_negative(fn, "padding_" + name, p);
  check_non_negative(fn, "out_" + name, requested);
  const Index standard = (in - 1) * s - 2 * p + k;
  if (requested == 0) {
    if (standard < 1)
      throw_invalid_argument(fn, "the output ", axis, " = ", standard, " is not positive (padding_",
                             axis, " = ", p, " too large)");
    return standard;
  }
  if (!(standard - s < requested && requested < standard + s))
    throw_invalid_argument(fn, "out_", axis, " = ", requested, " must lie strictly between ",
                           standard - s, " and ", standard + s);
  return requested;
}

/// The output shape of max_pool2d for fn.
inline ImageShape max_pool_output(std::string_view fn, const ImageShape& shape,
                                  MaxPool2dOptions o) {
  check_shape(fn, shape);
  return {shape.channels,
          Index(pool_windows(fn, "height", shape.height, o.kernel_height, o.stride_height,
                             o.padding_height, o.dilation_height, o.ceil_mode)
                    .size()),
          Index(pool_windows(fn, "width", shape.width, o.kernel_width, o.stride_width,
                             o.padding_width, o.dilation_width, o.ceil_mode)
                    .size())};
}

/// The output shape of max_unpool2d for fn.
inline ImageShape max_unpool_output(std::string_view fn, const ImageShape& shape,
                                    MaxUnpool2dOptions o) {
  check_shape(fn, shape);
  return {shape.channels,
          unpool_extent(fn, "height", shape.height, o.kernel_height, o.stride_height,
                        o.padding_height, o.out_height),
          unpool_extent(fn, "width", shape.width, o.kernel_width, o.stride_width, o.padding_width,
                        o.out_width)};
}

}  // namespace detail

/// The shape max_pool2d gives for images of `shape`; throws as it does.
inline ImageShape max_pool2d_output_shape(const ImageShape& shape, const MaxPool2dOptions& o) {
  return detail::max_pool_output("max_pool2d_output_shape", shape, o);
}

/// F.max_pool2d(x, kernel, stride, padding, dilation, ceil_mode,
/// return_indices=True) on x (N x C H W). A window that holds only padding
/// (possible with dilation) is rejected rather than given -inf.
/// O(N C H_out W_out kH kW).
template <class Derived>
MaxPool2dResult<typename Derived::Scalar> max_pool2d(const Eigen::MatrixBase<Derived>& x,
                                                     const ImageShape& shape,
                                                     MaxPool2dOptions options = {}) {
  using T = typename Derived::Scalar;
  constexpr std::string_view fn = "max_pool2d";
  detail::check_images(fn, "x", x, shape);
  auto& o = options;
  const auto wh = detail::pool_windows(fn, "height", shape.height, o.kernel_height, o.stride_height,
                                       o.padding_height, o.dilation_height, o.ceil_mode);
  const auto ww = detail::pool_windows(fn, "width", shape.width, o.kernel_width, o.stride_width,
                                       o.padding_width, o.dilation_width, o.ceil_mode);
  const int threads = resolve_threads(fn, o.num_threads);
  const ImageShape out_shape{shape.channels, Index(wh.size()), Index(ww.size())};
  MaxPool2dResult<T> r{RowMatrix<T>(x.rows(), out_shape.size()),
                       IndexMatrix(x.rows(), out_shape.size()), out_shape};
  detail::map_planes<T>(x.derived(), shape.plane(), r.values, out_shape.plane(), shape.channels,
                        threads, [&](const T* src, T* val, Index plane) {
                          Index* idx = r.indices.data() + plane * out_shape.plane();
                          for (std::size_t i = 0; i < wh.size(); ++i)
                            for (std::size_t j = 0; j < ww.size(); ++j) {
                              Index best = wh[i].first * shape.width + ww[j].first;
                              T max = -std::numeric_limits<T>::infinity();
                              for (Index h = wh[i].first; h < wh[i].end; h += o.dilation_height)
                                for (Index w = ww[j].first; w < ww[j].end; w += o.dilation_width) {
                                  const T v = src[h * shape.width + w];
                                  if (v > max || std::isnan(v)) max = v, best = h * shape.width + w;
                                }
                              *val++ = max;
                              *idx++ = best;
                            }
                        });
  return r;
}

/// The gradient of max_pool2d with respect to x (N x C H W): each entry of
/// grad_out added to the input pixel its index names (indices from
/// max_pool2d, any entry in [0, H W)). `shape` is the input's.
template <class Derived>
RowMatrix<typename Derived::Scalar> max_pool2d_backward(const Eigen::MatrixBase<Derived>& grad_out,
                                                        const IndexMatrix& indices,
                                                        const ImageShape& shape,
                                                        MaxPool2dOptions options = {}) {
  using T = typename Derived::Scalar;
  constexpr std::string_view fn = "max_pool2d_backward";
  const ImageShape out_shape = detail::max_pool_output(fn, shape, options);
  detail::check_images(fn, "grad_out", grad_out, out_shape);
  detail::check_plane_indices(fn, indices, grad_out.rows(), grad_out.cols(), shape.plane());
  const int threads = resolve_threads(fn, options.num_threads);
  const Index out_plane = out_shape.plane();
  RowMatrix<T> grad = RowMatrix<T>::Zero(grad_out.rows(), shape.size());
  detail::map_planes<T>(grad_out.derived(), out_plane, grad, shape.plane(), shape.channels, threads,
                        [&](const T* src, T* dst, Index plane) {
                          const Index* idx = indices.data() + plane * out_plane;
                          for (Index q = 0; q < out_plane; ++q) dst[idx[q]] += src[q];
                        });
  return grad;
}

/// The shape max_unpool2d gives for pooled images of `shape`; throws as it
/// does.
inline ImageShape max_unpool2d_output_shape(const ImageShape& shape, const MaxUnpool2dOptions& o) {
  return detail::max_unpool_output("max_unpool2d_output_shape", shape, o);
}

/// F.max_unpool2d(x, indices, kernel, stride, padding, output_size) on
/// pooled images x (N x C H W, `shape`): zeros of N x C H_out W_out with
/// x's values written at their indices (in [0, H_out W_out); a later entry
/// overwrites an earlier one sharing its index).
template <class Derived>
RowMatrix<typename Derived::Scalar> max_unpool2d(const Eigen::MatrixBase<Derived>& x,
                                                 const IndexMatrix& indices,
                                                 const ImageShape& shape,
                                                 MaxUnpool2dOptions options = {}) {
  using T = typename Derived::Scalar;
  constexpr std::string_view fn = "max_unpool2d";
  detail::check_images(fn, "x", x, shape);
  const ImageShape out_shape = detail::max_unpool_output(fn, shape, options);
  detail::check_plane_indices(fn, indices, x.rows(), x.cols(), out_shape.plane());
  const int threads = resolve_threads(fn, options.num_threads);
  const Index in_plane = shape.plane();
  RowMatrix<T> out = RowMatrix<T>::Zero(x.rows(), out_shape.size());
  detail::map_planes<T>(x.derived(), in_plane, out, out_shape.plane(), shape.channels, threads,
                        [&](const T* src, T* dst, Index plane) {
                          const Index* idx = indices.data() + plane * in_plane;
                          for (Index q = 0; q < in_plane; ++q) dst[idx[q]] = src[q];
                        });
  return out;
}

/// The gradient of max_unpool2d with respect to x (N x C H W, `shape`):
/// grad_out (N x C H_out W_out) read back at each index, as PyTorch's
/// autograd does.
template <class Derived>
RowMatrix<typename Derived::Scalar> max_unpool2d_backward(
    const Eigen::MatrixBase<Derived>& grad_out, const IndexMatrix& indices, const ImageShape& shape,
    MaxUnpool2dOptions options = {}) {
  using T = typename Derived::Scalar;
  constexpr std::string_view fn = "max_unpool2d_backward";
  const ImageShape out_shape = detail::max_unpool_output(fn, shape, options);
  detail::check_images(fn, "grad_out", grad_out, out_shape);
  detail::check_plane_indices(fn, indices, grad_out.rows(), shape.size(), out_shape.plane());
  const int threads = resolve_threads(fn, options.num_threads);
  const Index in_plane = shape.plane();
  RowMatrix<T> grad(grad_out.rows(), shape.size());
  detail::map_planes<T>(grad_out.derived(), out_shape.plane(), grad, in_plane, shape.channels,
                        threads, [&](const T* src, T* dst, Index plane) {
                          const Index* idx = indices.data() + plane * in_plane;
                          for (Index q = 0; q < in_plane; ++q) dst[q] = src[idx[q]];
                        });
  return grad;
}

}  // namespace mlprim

#endif  // MLPRIM_NN_MAX_POOL_HPP
