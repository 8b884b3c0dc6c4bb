// ElementwiseOp: a formula written once for scalars and SIMD packets (see
// packet_math.hpp) turned into an Eigen unary functor, so that
// x.unaryExpr(op) is a lazy, vectorised expression that fuses with what
// surrounds it.
#ifndef MLPRIM_NN_DETAIL_ELEMENTWISE_HPP
#define MLPRIM_NN_DETAIL_ELEMENTWISE_HPP

#include <type_traits>
#include <utility>

#include "mlprim/core/types.hpp"

namespace mlprim::detail {

/// Whether formula F has a separate scalar form F::scalar(T) (a libm call
/// more exact than its packet form).
template <class F, class T, class = void>
struct HasScalarForm : std::false_type {};
template <class F, class T>
struct HasScalarForm<F, T,
                     std::void_t<decltype(std::declval<const F&>().scalar(std::declval<T>()))>>
    : std::true_type {};

/// The Eigen functor of formula F on scalars T: F's call operator, templated
/// on the packet type, serves both paths; a formula with a scalar form uses
/// it for scalars and its packets only for float, where they are exact to
/// float rounding.
template <class T, class F>
struct ElementwiseOp {
  F formula;
  T operator()(const T& x) const {
    if constexpr (HasScalarForm<F, T>::value)
      return formula.scalar(x);
    else
      return formula(x);
  }
  template <class P>
  P packetOp(const P& x) const {
    return formula(x);
  }
};

/// x.unaryExpr(ElementwiseOp{formula}) for an Eigen array or matrix x.
template <class Derived, class F>
auto apply_elementwise(const Eigen::DenseBase<Derived>& x, const F& formula) {
  return x.derived().unaryExpr(ElementwiseOp<typename Derived::Scalar, F>{formula});
}

}  // namespace mlprim::detail

namespace Eigen::internal {
template <class T, class F>
struct functor_traits<mlprim::detail::ElementwiseOp<T, F>> {
  enum {
    Cost = 30 * NumTraits<T>::MulCost,
    PacketAccess = packet_traits<T>::Vectorizable && packet_traits<T>::HasExp &&
                   packet_traits<T>::HasLog && packet_traits<T>::HasDiv &&
                   (!mlprim::detail::HasScalarForm<F, T>::value || std::is_same<T, float>::value)
  };
};
}  // namespace Eigen::internal

#endif  // MLPRIM_NN_DETAIL_ELEMENTWISE_HPP
