// The matrix and vector aliases every mlprim module speaks in.
//
// Data layout: one sample, token or point per row. Public functions take
// `const Eigen::Ref<const RowMatrix<T>>&` (one instantiation, contiguous rows)
// or `const Eigen::MatrixBase<Derived>&`; a column-major argument is accepted
// and Eigen copies it into row-major storage on the way in.
#ifndef MLPRIM_CORE_TYPES_HPP
#define MLPRIM_CORE_TYPES_HPP

#include "mlprim/core/config.hpp"

namespace mlprim {

/// Signed index type used for sizes and row indices (Eigen's, std::ptrdiff_t).
using Index = Eigen::Index;

/// Dynamic row-major matrix: row i is sample i.
template <class T>
using RowMatrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// Dynamic column-major matrix (Eigen's default layout).
template <class T>
using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;

/// Dynamic column vector.
template <class T>
using Vector = Eigen::Matrix<T, Eigen::Dynamic, 1>;

/// Dynamic row vector.
template <class T>
using RowVector = Eigen::Matrix<T, 1, Eigen::Dynamic>;

/// Row-major matrix of indices, e.g. the k neighbours of each query in a row.
using IndexMatrix = Eigen::Matrix<Index, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// The type sums over `T` are accumulated in: `double` for `double`, `float`
/// for `float`, `Eigen::half` and `Eigen::bfloat16` (softmax sums, histogram
/// sums, attention accumulators).
template <class T>
struct Accumulator {
  /// The accumulation type.
  using type = float;
};
/// double accumulates in double.
template <>
struct Accumulator<double> {
  /// The accumulation type.
  using type = double;
};
/// long double accumulates in long double.
template <>
struct Accumulator<long double> {
  /// The accumulation type.
  using type = long double;
};
/// Accumulator<T>::type.
template <class T>
using AccumulatorT = typename Accumulator<T>::type;

}  // namespace mlprim

#endif  // MLPRIM_CORE_TYPES_HPP
