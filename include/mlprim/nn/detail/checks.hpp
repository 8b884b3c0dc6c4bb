// Input checks the nn losses and the vector quantiser share: finite rows,
// and class or code indices in range.
#ifndef MLPRIM_NN_DETAIL_CHECKS_HPP
#define MLPRIM_NN_DETAIL_CHECKS_HPP

#include <string_view>
#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/core/types.hpp"

namespace mlprim::detail {

/// Every row of m finite, else "name row i is not finite".
template <class T>
void check_finite_rows(std::string_view fn, std::string_view name,
                       const Eigen::Ref<const RowMatrix<T>>& m) {
  for (Index i = 0; i < m.rows(); ++i)
    if (!m.row(i).allFinite()) throw_invalid_argument(fn, name, " row ", i, " is not finite");
}

/// `rows` entries of `values` (called `name`), each in [0, classes).
inline void check_class_indices(std::string_view fn, std::string_view name,
                                const std::vector<Index>& values, Index rows, Index classes) {
  if (static_cast<Index>(values.size()) != rows)
    throw_invalid_argument(fn, name, ".size() = ", values.size(), " does not match the ", rows,
                           " rows");
  for (std::size_t i = 0; i < values.size(); ++i)
    if (values[i] < 0 || values[i] >= classes)
      throw_invalid_argument(fn, name, "[", i, "] = ", values[i], " is outside [0, ", classes, ")");
}

}  // namespace mlprim::detail

#endif  // MLPRIM_NN_DETAIL_CHECKS_HPP
