// Sub-pixel rearrangement (Shi et al. 2016, nn.PixelShuffle and
// nn.PixelUnshuffle) of batches of images (rows of x, see image.hpp):
//
//   pixel_shuffle:   C r^2 x H x W  ->  C x H r x W r,
//                    out[c, h r + i, w r + j] = in[c r^2 + i r + j, h, w]
//   pixel_unshuffle: the inverse, C x H r x W r -> C r^2 x H x W.
//
// Both are permutations, so each one's backward pass (adjoint) is the other
// applied to the gradient: pixel_shuffle_backward = pixel_unshuffle and back.
#ifndef MLPRIM_NN_PIXEL_SHUFFLE_HPP
#define MLPRIM_NN_PIXEL_SHUFFLE_HPP

#include <string_view>

#include "mlprim/core/error.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/nn/image.hpp"

namespace mlprim {

namespace detail {

/// out[c, h r + i, w r + j] = in[c r^2 + i r + j, h, w] for each row, where
/// `small` is the C r^2 x H x W side; to_large chooses the direction.
template <class Derived>
RowMatrix<typename Derived::Scalar> shuffle_pixels(const Eigen::MatrixBase<Derived>& x,
                                                   const ImageShape& small, Index r,
                                                   bool to_large) {
  using T = typename Derived::Scalar;
  const Eigen::Ref<const RowMatrix<T>> in(x.derived());
  RowMatrix<T> out(x.rows(), x.cols());
  const Index C = small.channels / (r * r), H = small.height, W = small.width;
  for (Index n = 0; n < x.rows(); ++n) {
    const T* src = in.data() + n * in.outerStride();
    T* dst = out.data() + n * out.cols();
    for (Index c = 0; c < C; ++c)
      for (Index i = 0; i < r; ++i)
        for (Index j = 0; j < r; ++j)
          for (Index h = 0; h < H; ++h)
            for (Index w = 0; w < W; ++w) {
              const Index s = ((c * r * r + i * r + j) * H + h) * W + w;
              const Index l = (c * H * r + h * r + i) * W * r + w * r + j;
              if (to_large)
                dst[l] = src[s];
              else
                dst[s] = src[l];
            }
  }
  return out;
}

/// r >= 1 and C divisible by r^2, for images of `shape` to shuffle.
inline void check_shuffle(std::string_view fn, const ImageShape& shape, Index r) {
  check_positive(fn, "upscale_factor", r);
  if (shape.channels % (r * r) != 0)
    throw_invalid_argument(fn, "shape.channels = ", shape.channels,
                           " is not divisible by upscale_factor^2 = ", r * r);
}

}  // namespace detail

/// The shape pixel_shuffle gives: C / r^2 x H r x W r.
inline ImageShape pixel_shuffle_shape(const ImageShape& shape, Index upscale_factor) {
  return {shape.channels / (upscale_factor * upscale_factor), shape.height * upscale_factor,
          shape.width * upscale_factor};
}

/// nn.PixelShuffle(r) on x (N x C H W, C divisible by r^2): N x (C / r^2)(H r)(W r).
/// Throws std::invalid_argument for r < 1 or C not divisible by r^2.
template <class Derived>
RowMatrix<typename Derived::Scalar> pixel_shuffle(const Eigen::MatrixBase<Derived>& x,
                                                  const ImageShape& shape, Index upscale_factor) {
  constexpr std::string_view fn = "pixel_shuffle";
  detail::check_shuffle(fn, shape, upscale_factor);
  detail::check_images(fn, "x", x, shape);
  return detail::shuffle_pixels(x, shape, upscale_factor, true);
}

/// nn.PixelUnshuffle(r) on x (N x C H W, H and W divisible by r):
/// N x (C r^2)(H / r)(W / r). Throws std::invalid_argument for r < 1 or H, W
/// not divisible by r.
template <class Derived>
RowMatrix<typename Derived::Scalar> pixel_unshuffle(const Eigen::MatrixBase<Derived>& x,
                                                    const ImageShape& shape,
                                                    Index downscale_factor) {
  constexpr std::string_view fn = "pixel_unshuffle";
  const Index r = downscale_factor;
  check_positive(fn, "downscale_factor", r);
  detail::check_images(fn, "x", x, shape);
  if (shape.height % r != 0 || shape.width % r != 0)
    throw_invalid_argument(fn, "shape.height x shape.width = ", shape.height, " x ", shape.width,
                           " is not divisible by downscale_factor = ", r);
  return detail::shuffle_pixels(
      x, ImageShape{shape.channels * r * r, shape.height / r, shape.width / r}, r, false);
}

/// The gradient of pixel_shuffle with respect to its input: pixel_unshuffle
/// of grad_out, whose images have pixel_shuffle_shape(shape, r).
template <class Derived>
RowMatrix<typename Derived::Scalar> pixel_shuffle_backward(
    const Eigen::MatrixBase<Derived>& grad_out, const ImageShape& shape, Index upscale_factor) {
  detail::check_shuffle("pixel_shuffle_backward", shape, upscale_factor);
  return pixel_unshuffle(grad_out, pixel_shuffle_shape(shape, upscale_factor), upscale_factor);
}

/// The gradient of pixel_unshuffle with respect to its input: pixel_shuffle
/// of grad_out.
template <class Derived>
RowMatrix<typename Derived::Scalar> pixel_unshuffle_backward(
    const Eigen::MatrixBase<Derived>& grad_out, const ImageShape& shape, Index downscale_factor) {
  const Index r = downscale_factor;
  check_positive("pixel_unshuffle_backward", "downscale_factor", r);
  return pixel_shuffle(grad_out,
                       ImageShape{shape.channels * r * r, shape.height / r, shape.width / r}, r);
}

}  // namespace mlprim

#endif  // MLPRIM_NN_PIXEL_SHUFFLE_HPP
