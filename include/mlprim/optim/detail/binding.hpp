// A reference to a user's Eigen object whose storage is read afresh at each
// use, so that a move assignment (which swaps buffers) or a resize is seen.
#ifndef MLPRIM_OPTIM_DETAIL_BINDING_HPP
#define MLPRIM_OPTIM_DETAIL_BINDING_HPP

#include <string_view>

#include "mlprim/core/error.hpp"
#include "mlprim/core/types.hpp"

namespace mlprim::detail {

template <class T>
class EigenBinding {
 public:
  /// Binds to `object` (a Matrix, Array, Map, ... with direct storage of T).
  template <class D>
  explicit EigenBinding(D& object)
      : object_(&object),
        data_([](void* o) { return static_cast<D*>(o)->data(); }),
        rows_([](void* o) { return static_cast<D*>(o)->rows(); }),
        cols_([](void* o) { return static_cast<D*>(o)->cols(); }) {}

  T* data() const { return data_(object_); }
  Index rows() const { return rows_(object_); }
  Index cols() const { return cols_(object_); }
  Index size() const { return rows() * cols(); }

 private:
  void* object_;
  T* (*data_)(void*);
  Index (*rows_)(void*);
  Index (*cols_)(void*);
};

/// Throws unless x's entries are contiguous in memory (no inner or outer gaps).
template <class D>
void require_contiguous(std::string_view fn, std::string_view what, const D& x) {
  const Index inner = D::IsRowMajor ? x.cols() : x.rows();
  const bool contiguous =
      x.size() <= 1 || (x.innerStride() == 1 && (x.outerSize() == 1 || x.outerStride() == inner));
  if (!contiguous)
    throw_invalid_argument(fn, what, " is not contiguous (inner stride ", x.innerStride(),
                           ", outer stride ", x.outerStride(), ")");
}

}  // namespace mlprim::detail

#endif  // MLPRIM_OPTIM_DETAIL_BINDING_HPP
