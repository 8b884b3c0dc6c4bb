// Batches of images for the nn layers: one image per row of a RowMatrix, its
// C x H x W values stored channel by channel, row by row (PyTorch's
// contiguous NCHW layout, so a torch tensor's buffer maps onto it as is),
// with an ImageShape giving C, H and W.
#ifndef MLPRIM_NN_IMAGE_HPP
#define MLPRIM_NN_IMAGE_HPP

#include <string_view>

#include "mlprim/core/error.hpp"
#include "mlprim/core/parallel.hpp"
#include "mlprim/core/types.hpp"

namespace mlprim {

/// The shape of one image: channels x height x width.
struct ImageShape {
  Index channels = 1;  ///< C
  Index height = 1;    ///< H
  Index width = 1;     ///< W
  /// C H W, the number of columns of a batch of such images.
  Index size() const { return channels * height * width; }
  /// H W, the values of one channel.
  Index plane() const { return height * width; }
};

namespace detail {

/// Checks that every extent of the shape is positive.
inline void check_shape(std::string_view fn, const ImageShape& shape) {
  check_positive(fn, "shape.channels", shape.channels);
  check_positive(fn, "shape.height", shape.height);
  check_positive(fn, "shape.width", shape.width);
}

/// Checks that the shape is positive and that x (N x C H W) holds images of it.
template <class Derived>
void check_images(std::string_view fn, std::string_view name, const Eigen::MatrixBase<Derived>& x,
                  const ImageShape& shape) {
  check_shape(fn, shape);
  if (x.cols() != shape.size())
    throw_invalid_argument(fn, name, ".cols() = ", x.cols(),
                           " does not match C H W = ", shape.channels, " x ", shape.height, " x ",
                           shape.width, " = ", shape.size());
}

/// fn(src, dst, plane) for each image plane (plane = n C + c of the
/// rows x C of them, on `threads` threads): src points at the plane's values
/// in `in` (in_plane per channel), dst at the same plane of `out` (out_plane
/// per channel).
template <class T, class Fn>
void map_planes(const Eigen::Ref<const RowMatrix<T>>& in, Index in_plane, RowMatrix<T>& out,
                Index out_plane, Index channels, int threads, Fn&& fn) {
  parallel_for(Index{0}, in.rows() * channels, threads, [&](Index plane) {
    fn(in.data() + (plane / channels) * in.outerStride() + (plane % channels) * in_plane,
       out.data() + plane * out_plane, plane);
  });
}

}  // namespace detail
}  // namespace mlprim

#endif  // MLPRIM_NN_IMAGE_HPP
