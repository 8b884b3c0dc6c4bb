// A non-owning view of a matrix with contiguous rows, for optional inputs
// held in an options aggregate (`options.z = z;` must neither copy the data
// nor require it to be given).
#ifndef MLPRIM_CORE_VIEW_HPP
#define MLPRIM_CORE_VIEW_HPP

#include <type_traits>

#include "mlprim/core/error.hpp"
#include "mlprim/core/types.hpp"

namespace mlprim {

/// Views a row-major matrix, a vector, a Map, Ref or block of either whose
/// rows are contiguous, without copying it. The viewed object must outlive
/// every use of the view; binding a temporary plain matrix does not compile.
/// An empty (default) view means "not given".
template <class T>
class ConstRowView {
 public:
  /// The Eigen view of the data, rows x cols with the given row stride.
  using Map = Eigen::Map<const RowMatrix<T>, 0, Eigen::OuterStride<>>;

  /// Not given.
  ConstRowView() = default;

  /// Views `m`: a row-major matrix (or any vector) with unit inner stride.
  template <class Derived,
            class = std::enable_if_t<(Eigen::internal::traits<Derived>::Flags &
                                      Eigen::DirectAccessBit) != 0>>
  ConstRowView(const Eigen::DenseBase<Derived>& m)  // NOLINT: implicit by design
      : data_(m.derived().data()), rows_(m.rows()), cols_(m.cols()) {
    static_assert(std::is_same_v<typename Derived::Scalar, T>,
                  "mlprim::ConstRowView: the matrix's scalar type differs from the view's");
    static_assert(Derived::IsVectorAtCompileTime || Derived::IsRowMajor,
                  "mlprim::ConstRowView: a matrix must be row-major (one row per sample)");
    if (m.size() == 0) {
      data_ = nullptr;
      rows_ = cols_ = 0;
      return;
    }
    if (m.derived().innerStride() != 1)
      throw_invalid_argument("ConstRowView", "the inner stride is ", m.derived().innerStride(),
                             ", it must be 1");
    stride_ = Derived::IsVectorAtCompileTime ? (rows_ == 1 ? cols_ : 1) : m.derived().outerStride();
  }

  /// A temporary would dangle: keep the matrix alive and view it.
  template <class Derived>
  ConstRowView(Eigen::PlainObjectBase<Derived>&&) = delete;

  /// Whether nothing is viewed.
  bool empty() const { return data_ == nullptr; }
  /// Rows of the viewed matrix (0 when empty).
  Index rows() const { return rows_; }
  /// Columns of the viewed matrix (0 when empty).
  Index cols() const { return cols_; }
  /// Entry (i, j).
  const T& operator()(Index i, Index j) const { return data_[i * stride_ + j]; }
  /// Entry i of a vector (a single row or column).
  const T& operator[](Index i) const { return rows_ == 1 ? data_[i] : data_[i * stride_]; }
  /// The data as an Eigen Map (rows x cols).
  Map map() const { return Map(data_, rows_, cols_, Eigen::OuterStride<>(stride_)); }

 private:
  const T* data_ = nullptr;
  Index rows_ = 0, cols_ = 0, stride_ = 0;
};

}  // namespace mlprim

#endif  // MLPRIM_CORE_VIEW_HPP
