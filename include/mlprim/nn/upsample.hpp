// Nearest and bilinear upsampling (resizing) of batches of images, forward
// and backward, with PyTorch's source-index rules (F.interpolate with
// mode='nearest' and mode='bilinear'):
//
//   nearest:   src = min(floor(dst * s), in - 1),  s = 1 / scale_factor or in / out
//   bilinear:  src = s (dst + 1/2) - 1/2 clamped at 0       (align_corners false)
//              src = dst (in - 1) / (out - 1)               (align_corners true)
//              out = sum of the 2 x 2 neighbours of src weighted by
//                    (1 - l, l) per axis, l = src - floor(src)
//
// Index arithmetic is done in the types PyTorch's CPU kernels use (float
// for nearest, T for bilinear), so that the chosen neighbours are the same. The backward passes
// are the adjoints: each output gradient is added back to the inputs it was
// taken from, with the same weights. Images are rows of x (see image.hpp).
#ifndef MLPRIM_NN_UPSAMPLE_HPP
#define MLPRIM_NN_UPSAMPLE_HPP

#include <algorithm>
#include <cmath>
#include <string_view>
#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/core/parallel.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/nn/image.hpp"

namespace mlprim {

/// The output size of an upsampling call: either a target size, or scale
/// factors from which it is floor(in * scale) (F.interpolate's `size` and
/// `scale_factor`; with a scale factor the kernel uses 1 / scale as PyTorch
/// does by default, recompute_scale_factor = None).
struct UpsampleOptions {
  Index out_height = 0;        ///< target height; 0 = from scale_height
  Index out_width = 0;         ///< target width; 0 = from scale_width
  double scale_height = 0;     ///< height factor (> 0) when out_height is 0
  double scale_width = 0;      ///< width factor (> 0) when out_width is 0
  bool align_corners = false;  ///< bilinear only: corner pixels' centres map onto each other
  int num_threads = 0;         ///< threads over the N C planes (0 = all)
};

namespace detail {

/// One axis of an upsampling: sizes and the scale PyTorch's kernels use.
struct UpsampleAxis {
  Index in = 0, out = 0;
  double scale_factor = 0;  // 0 when a size was given
};

inline UpsampleAxis upsample_axis(std::string_view fn, std::string_view size_name,
                                  std::string_view scale_name, Index in, Index out, double scale) {
  UpsampleAxis a{in, out, 0};
  if (out < 0) throw_invalid_argument(fn, size_name, " = ", out, " must be non-negative");
  if (out == 0) {
    if (!(scale > 0) || !std::isfinite(scale))
      throw_invalid_argument(fn, scale_name, " = ", scale, " must be positive and finite when ",
                             size_name, " is 0");
    a.out = static_cast<Index>(std::floor(static_cast<double>(in) * scale));
    if (a.out < 1)
      throw_invalid_argument(fn, scale_name, " = ", scale, " gives an empty output for size ", in);
    a.scale_factor = scale;
  }
  return a;
}

struct UpsamplePlan {
  ImageShape in, out;
  UpsampleAxis h, w;
  int threads = 1;
};

/// The checked sizes, scales and thread count of one call.
inline UpsamplePlan upsample_plan(std::string_view fn, const ImageShape& shape,
                                  const UpsampleOptions& o) {
  check_shape(fn, shape);
  UpsamplePlan p;
  p.in = shape;
  p.h = upsample_axis(fn, "out_height", "scale_height", shape.height, o.out_height, o.scale_height);
  p.w = upsample_axis(fn, "out_width", "scale_width", shape.width, o.out_width, o.scale_width);
  p.out = ImageShape{shape.channels, p.h.out, p.w.out};
  p.threads = resolve_threads(fn, o.num_threads);
  return p;
}

/// Nearest source index of each output index (PyTorch's nearest_idx: the
/// identity and dst / 2 for the sizes it special-cases, else
/// min(floor(dst * s), in - 1) with s and the product in float, for float
/// and double images alike).
inline std::vector<Index> nearest_sources(const UpsampleAxis& a) {
  std::vector<Index> src(static_cast<std::size_t>(a.out));
  const float s = a.scale_factor > 0 ? static_cast<float>(1.0 / a.scale_factor)
                                     : static_cast<float>(a.in) / static_cast<float>(a.out);
  for (Index d = 0; d < a.out; ++d) {
    Index i;
    if (a.out == a.in)
      i = d;
    else if (a.out == 2 * a.in)
      i = d >> 1;
    else
      i = std::min(static_cast<Index>(std::floor(static_cast<float>(d) * s)), a.in - 1);
    src[static_cast<std::size_t>(d)] = i;
  }
  return src;
}

/// The two neighbours and weights of each output index of a bilinear axis.
template <class T>
struct LinearTaps {
  std::vector<Index> i0, i1;
  std::vector<T> l0, l1;
};

template <class T>
LinearTaps<T> linear_taps(const UpsampleAxis& a, bool align_corners) {
  T s;
  if (align_corners)
    s = a.out > 1 ? static_cast<T>(a.in - 1) / static_cast<T>(a.out - 1) : T(0);
  else
    s = a.scale_factor > 0 ? static_cast<T>(1.0 / a.scale_factor)
                           : static_cast<T>(a.in) / static_cast<T>(a.out);
  LinearTaps<T> t;
  const auto n = static_cast<std::size_t>(a.out);
  t.i0.resize(n), t.i1.resize(n), t.l0.resize(n), t.l1.resize(n);
  for (Index d = 0; d < a.out; ++d) {
    T src = align_corners ? s * static_cast<T>(d) : s * (static_cast<T>(d) + T(0.5)) - T(0.5);
    if (src < T(0)) src = T(0);
    const Index i0 = std::min(static_cast<Index>(src), a.in - 1);
    const auto k = static_cast<std::size_t>(d);
    t.i0[k] = i0;
    t.i1[k] = i0 + (i0 < a.in - 1 ? 1 : 0);
    t.l1[k] = src - static_cast<T>(i0);
    t.l0[k] = T(1) - t.l1[k];
  }
  return t;
}

}  // namespace detail

/// The shape upsample_nearest / upsample_bilinear give for images of `shape`.
/// Throws std::invalid_argument as they do for bad sizes or factors.
inline ImageShape upsample_output_shape(const ImageShape& shape, const UpsampleOptions& o) {
  return detail::upsample_plan("upsample_output_shape", shape, o).out;
}

/// Nearest-neighbour upsampling of x (N x C H W) to N x C H' W' (F.interpolate,
/// mode='nearest'). align_corners is ignored, as by PyTorch for this mode.
/// O(N C H' W').
template <class Derived>
RowMatrix<typename Derived::Scalar> upsample_nearest(const Eigen::MatrixBase<Derived>& x,
                                                     const ImageShape& shape,
                                                     const UpsampleOptions& options = {}) {
  using T = typename Derived::Scalar;
  const auto p = detail::upsample_plan("upsample_nearest", shape, options);
  detail::check_images("upsample_nearest", "x", x, shape);
  const auto sh = detail::nearest_sources(p.h), sw = detail::nearest_sources(p.w);
  RowMatrix<T> out(x.rows(), p.out.size());
  detail::map_planes<T>(x.derived(), p.in.plane(), out, p.out.plane(), p.in.channels, p.threads,
                        [&](const T* src, T* dst, Index) {
                          for (Index i = 0; i < p.out.height; ++i) {
                            const T* row = src + sh[std::size_t(i)] * p.in.width;
                            for (Index j = 0; j < p.out.width; ++j)
                              dst[i * p.out.width + j] = row[sw[std::size_t(j)]];
                          }
                        });
  return out;
}

/// The gradient of upsample_nearest with respect to its input (N x C H W):
/// each entry of grad_out (N x C H' W') added to the input pixel it copied.
template <class Derived>
RowMatrix<typename Derived::Scalar> upsample_nearest_backward(
    const Eigen::MatrixBase<Derived>& grad_out, const ImageShape& shape,
    const UpsampleOptions& options = {}) {
  using T = typename Derived::Scalar;
  const auto p = detail::upsample_plan("upsample_nearest_backward", shape, options);
  detail::check_images("upsample_nearest_backward", "grad_out", grad_out, p.out);
  const auto sh = detail::nearest_sources(p.h), sw = detail::nearest_sources(p.w);
  RowMatrix<T> grad = RowMatrix<T>::Zero(grad_out.rows(), shape.size());
  detail::map_planes<T>(grad_out.derived(), p.out.plane(), grad, p.in.plane(), p.in.channels,
                        p.threads, [&](const T* src, T* dst, Index) {
                          for (Index i = 0; i < p.out.height; ++i) {
                            T* row = dst + sh[std::size_t(i)] * p.in.width;
                            for (Index j = 0; j < p.out.width; ++j)
                              row[sw[std::size_t(j)]] += src[i * p.out.width + j];
                          }
                        });
  return grad;
}

/// Bilinear upsampling of x (N x C H W) to N x C H' W' (F.interpolate,
/// mode='bilinear', with align_corners as given). O(N C H' W').
template <class Derived>
RowMatrix<typename Derived::Scalar> upsample_bilinear(const Eigen::MatrixBase<Derived>& x,
                                                      const ImageShape& shape,
                                                      const UpsampleOptions& options = {}) {
  using T = typename Derived::Scalar;
  const auto p = detail::upsample_plan("upsample_bilinear", shape, options);
  detail::check_images("upsample_bilinear", "x", x, shape);
  const auto th = detail::linear_taps<T>(p.h, options.align_corners);
  const auto tw = detail::linear_taps<T>(p.w, options.align_corners);
  RowMatrix<T> out(x.rows(), p.out.size());
  detail::map_planes<T>(
      x.derived(), p.in.plane(), out, p.out.plane(), p.in.channels, p.threads,
      [&](const T* src, T* dst, Index) {
        for (Index i = 0; i < p.out.height; ++i) {
          const auto a = std::size_t(i);
          const T *r0 = src + th.i0[a] * p.in.width, *r1 = src + th.i1[a] * p.in.width;
          for (Index j = 0; j < p.out.width; ++j) {
            const auto b = std::size_t(j);
            const Index j0 = tw.i0[b], j1 = tw.i1[b];
            dst[i * p.out.width + j] = th.l0[a] * (tw.l0[b] * r0[j0] + tw.l1[b] * r0[j1]) +
                                       th.l1[a] * (tw.l0[b] * r1[j0] + tw.l1[b] * r1[j1]);
          }
        }
      });
  return out;
}

/// The gradient of upsample_bilinear with respect to its input (N x C H W):
/// each entry of grad_out (N x C H' W') spread over its 2 x 2 source pixels
/// with the forward weights.
template <class Derived>
RowMatrix<typename Derived::Scalar> upsample_bilinear_backward(
    const Eigen::MatrixBase<Derived>& grad_out, const ImageShape& shape,
    const UpsampleOptions& options = {}) {
  using T = typename Derived::Scalar;
  const auto p = detail::upsample_plan("upsample_bilinear_backward", shape, options);
  detail::check_images("upsample_bilinear_backward", "grad_out", grad_out, p.out);
  const auto th = detail::linear_taps<T>(p.h, options.align_corners);
  const auto tw = detail::linear_taps<T>(p.w, options.align_corners);
  RowMatrix<T> grad = RowMatrix<T>::Zero(grad_out.rows(), shape.size());
  detail::map_planes<T>(grad_out.derived(), p.out.plane(), grad, p.in.plane(), p.in.channels,
                        p.threads, [&](const T* src, T* dst, Index) {
                          for (Index i = 0; i < p.out.height; ++i) {
                            const auto a = std::size_t(i);
                            T *r0 = dst + th.i0[a] * p.in.width, *r1 = dst + th.i1[a] * p.in.width;
                            for (Index j = 0; j < p.out.width; ++j) {
                              const auto b = std::size_t(j);
                              const T v = src[i * p.out.width + j];
                              const Index j0 = tw.i0[b], j1 = tw.i1[b];
                              r0[j0] += th.l0[a] * tw.l0[b] * v;
                              r0[j1] += th.l0[a] * tw.l1[b] * v;
                              r1[j0] += th.l1[a] * tw.l0[b] * v;
                              r1[j1] += th.l1[a] * tw.l1[b] * v;
                            }
                          }
                        });
  return grad;
}

}  // namespace mlprim

#endif  // MLPRIM_NN_UPSAMPLE_HPP
