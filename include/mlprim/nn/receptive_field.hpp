// The receptive field of a stack of convolution and pooling layers along
// one axis (Araujo, Norris & Sim, "Computing Receptive Fields of
// Convolutional Neural Networks", Distill 2019). With k' = d (k - 1) + 1
// the dilated kernel of layer l and r, j, c its input's size, jump and
// start (r = j = 1, c = 0 for the image itself),
//
//   j_l = j_{l-1} s_l
//   r_l = r_{l-1} + (k'_l - 1) j_{l-1}
//   c_l = c_{l-1} + ((k'_l - 1) / 2 - p_l) j_{l-1}
//
// so that output position u of layer l sees the r_l input pixels centred
// on c_l + u j_l (pixel indices from 0; a centre outside [0, W) or a field
// crossing the border means part of it is padding). Apply it per axis.
#ifndef MLPRIM_NN_RECEPTIVE_FIELD_HPP
#define MLPRIM_NN_RECEPTIVE_FIELD_HPP

#include <string>
#include <string_view>
#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/core/types.hpp"

namespace mlprim {

/// One convolution or pooling layer along one axis (PyTorch's arguments).
struct ReceptiveFieldLayer {
  Index kernel = 1;    ///< k, >= 1
  Index stride = 1;    ///< s, >= 1
  Index padding = 0;   ///< p, >= 0
  Index dilation = 1;  ///< d, >= 1
};

/// The receptive field of one layer's outputs on the input image.
struct ReceptiveField {
  Index size = 1;    ///< r: input pixels one output sees
  Index jump = 1;    ///< j: input pixels between neighbouring outputs
  double start = 0;  ///< c: centre of output 0's field, in input pixels (may be half-integer)
};

/// The receptive field after each layer of `layers` (applied in order),
/// from the recursion above. O(layers).
inline std::vector<ReceptiveField> receptive_field(const std::vector<ReceptiveFieldLayer>& layers) {
  constexpr std::string_view fn = "receptive_field";
  std::vector<ReceptiveField> fields;
  fields.reserve(layers.size());
  ReceptiveField f;
  for (std::size_t l = 0; l < layers.size(); ++l) {
    const auto& layer = layers[l];
    const std::string at = "layers[" + std::to_string(l) + "].";
    check_positive(fn, at + "kernel", layer.kernel);
    check_positive(fn, at + "stride", layer.stride);
    check_non_negative(fn, at + "padding", layer.padding);
    check_positive(fn, at + "dilation", layer.dilation);
    const Index span = layer.dilation * (layer.kernel - 1);  // k' - 1
    f.start += (0.5 * double(span) - double(layer.padding)) * double(f.jump);
    f.size += span * f.jump;
    f.jump *= layer.stride;
    fields.push_back(f);
  }
  return fields;
}

}  // namespace mlprim

#endif  // MLPRIM_NN_RECEPTIVE_FIELD_HPP
