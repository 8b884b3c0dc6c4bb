// The default score scale of every attention in the module.
#ifndef MLPRIM_ATTENTION_DETAIL_SCALE_HPP
#define MLPRIM_ATTENTION_DETAIL_SCALE_HPP

#include <algorithm>
#include <cmath>
#include <optional>

#include "mlprim/core/types.hpp"

namespace mlprim::detail {

/// The given scale, else 1 / sqrt(d) for keys of d dimensions (Vaswani et
/// al. 2017, scaled dot-product attention); d = 0 counts as 1.
inline double attention_scale(const std::optional<double>& scale, Index d) {
  return scale ? *scale : 1.0 / std::sqrt(static_cast<double>(std::max<Index>(d, 1)));
}

}  // namespace mlprim::detail

#endif  // MLPRIM_ATTENTION_DETAIL_SCALE_HPP
