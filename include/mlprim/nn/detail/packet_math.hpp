// Building blocks of the elementwise activations, written once for a scalar
// and for an Eigen SIMD packet (Eigen::internal's packet functions accept
// both): selections that keep NaN, and the numerically careful forms of
// expm1, log1p(e^x), the logistic function, tanh and erfc that the
// activations share. Every function here is branch-free, so the vectorised
// body and the scalar tail of an Eigen expression compute the same formula.
#ifndef MLPRIM_NN_DETAIL_PACKET_MATH_HPP
#define MLPRIM_NN_DETAIL_PACKET_MATH_HPP

#include <limits>
#include <type_traits>

#include "mlprim/core/types.hpp"

namespace mlprim::detail {

namespace ei = Eigen::internal;

/// The scalar type of P (P itself for a scalar).
template <class P>
using PacketScalar = typename ei::unpacket_traits<P>::type;

/// c in every lane of P.
template <class P>
P lanes(double c) {
  return ei::pset1<P>(static_cast<PacketScalar<P>>(c));
}

/// mask ? a : b lane by lane (mask from p_lt / p_le / p_gt / p_eq).
template <class P>
P p_where(const P& mask, const P& a, const P& b) {
  return ei::pselect(mask, a, b);
}
template <class P>
P p_lt(const P& a, const P& b) {
  return ei::pcmp_lt(a, b);
}
template <class P>
P p_le(const P& a, const P& b) {
  return ei::pcmp_le(a, b);
}
template <class P>
P p_gt(const P& a, const P& b) {
  return ei::pcmp_lt(b, a);
}
template <class P>
P p_eq(const P& a, const P& b) {
  return ei::pcmp_eq(a, b);
}

/// lo where x < lo, hi where x > hi, x otherwise (so NaN stays NaN, as in
/// torch.clamp).
template <class P>
P p_clamp(const P& x, const P& lo, const P& hi) {
  return p_where(p_lt(x, lo), lo, p_where(p_gt(x, hi), hi, x));
}

/// e^x with exact limits: 0 where e^x is below the smallest normal number
/// (Eigen's packet exp clamps its argument to [-88.723, 88.723] for
/// float and would return e^-88.723 there), inf where it overflows;
/// subnormal results are flushed to 0.
template <class P>
P p_exp(const P& x) {
  constexpr bool single = std::is_same_v<PacketScalar<P>, float>;
  const P lo = lanes<P>(single ? -87.33654475 : -708.39641853226408);  // log of the smallest normal
  const P hi = lanes<P>(single ? 88.72283906 : 709.78271289338397);    // log of the largest finite
  const P inf = lanes<P>(std::numeric_limits<double>::infinity());
  return p_where(p_lt(x, lo), lanes<P>(0), p_where(p_gt(x, hi), inf, ei::pexp(x)));
}

/// e^x - 1 without cancellation near 0 (Kahan's form: with u = e^x rounded,
/// (u - 1) x / log u; x itself where u rounds to 1, -1 where u - 1 does).
template <class P>
P p_expm1(const P& x) {
  const P one = lanes<P>(1), u = p_exp(x), um1 = ei::psub(u, one);
  const P kahan = ei::pdiv(ei::pmul(um1, x), ei::plog(u));
  const P inf = lanes<P>(std::numeric_limits<double>::infinity());
  P r = p_where(p_eq(um1, lanes<P>(-1)), um1, kahan);
  r = p_where(p_eq(u, inf), u, r);
  return p_where(p_eq(u, one), x, r);
}

/// log(1 + y) for y >= 0 without losing y when it is small (log u * y / (u - 1)
/// with u = 1 + y rounded; y where u rounds to 1).
template <class P>
P p_log1p(const P& y) {
  const P one = lanes<P>(1), u = ei::padd(one, y), um1 = ei::psub(u, one);
  const P inf = lanes<P>(std::numeric_limits<double>::infinity());
  const P r = p_where(p_eq(u, inf), u, ei::pdiv(ei::pmul(ei::plog(u), y), um1));
  return p_where(p_eq(u, one), y, r);
}

/// e = e^-|x|, the quantity from which the logistic function and tanh are
/// formed without overflow or cancellation.
template <class P>
P p_exp_neg_abs(const P& x) {
  return p_exp(ei::pnegate(ei::pabs(x)));
}

/// sigmoid(x) = 1 / (1 + e^-x), as 1 / (1 + e) for x >= 0 and e / (1 + e)
/// for x < 0 with e = e^-|x|, so that both tails keep full relative accuracy.
template <class P>
P p_sigmoid(const P& x) {
  const P e = p_exp_neg_abs(x), one = lanes<P>(1), r = ei::pdiv(one, ei::padd(one, e));
  return p_where(p_lt(x, lanes<P>(0)), ei::pmul(e, r), r);
}

/// sigmoid'(x) = sigmoid(x) sigmoid(-x) = e / (1 + e)^2 with e = e^-|x|.
template <class P>
P p_sigmoid_derivative(const P& x) {
  const P e = p_exp_neg_abs(x), d = ei::padd(lanes<P>(1), e);
  return ei::pdiv(e, ei::pmul(d, d));
}

/// tanh |x| = -m / (2 + m) with m = expm1(-2|x|) in (-1, 0], exact near 0;
/// tanh x takes the sign of x.
template <class P>
P p_tanh(const P& x) {
  const P m = p_expm1(ei::pmul(lanes<P>(-2), ei::pabs(x)));
  const P t = ei::pdiv(ei::pnegate(m), ei::padd(lanes<P>(2), m));
  return p_where(p_lt(x, lanes<P>(0)), ei::pnegate(t), t);
}

/// tanh'(x) = 1 - tanh(x)^2 = 4 e / (1 + e)^2 with e = e^-2|x|, exact in the
/// tails where 1 - tanh^2 would cancel.
template <class P>
P p_tanh_derivative(const P& x) {
  const P e = p_exp(ei::pmul(lanes<P>(-2), ei::pabs(x))), d = ei::padd(lanes<P>(1), e);
  return ei::pdiv(ei::pmul(lanes<P>(4), e), ei::pmul(d, d));
}

/// erfc(z) for z >= 0 with relative error below 1.2e-7 (Numerical Recipes,
/// 2nd ed., section 6.2, the Chebyshev fit "erfcc"): with t = 1 / (1 + z/2),
/// erfc z = t exp(-z^2 - 1.26551223 + t (1.00002368 + t (... ))). Used for
/// float packets only; double and the scalar path call std::erfc.
template <class P>
P p_erfc_nonnegative(const P& z) {
  const P t = ei::pdiv(lanes<P>(1), ei::padd(lanes<P>(1), ei::pmul(lanes<P>(0.5), z)));
  const double c[] = {-1.26551223, 1.00002368,  0.37409196, 0.09678418,  -0.18628806,
                      0.27886807,  -1.13520398, 1.48851587, -0.82215223, 0.17087277};
  P poly = lanes<P>(c[9]);
  for (int i = 8; i >= 0; --i) poly = ei::padd(lanes<P>(c[i]), ei::pmul(t, poly));
  return ei::pmul(t, p_exp(ei::psub(poly, ei::pmul(z, z))));
}

}  // namespace mlprim::detail

#endif  // MLPRIM_NN_DETAIL_PACKET_MATH_HPP
