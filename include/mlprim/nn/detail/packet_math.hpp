// Building blocks of the elementwise activations, written once for a scalar
// and for an Eigen SIMD packet (Eigen::internal's packet functions accept
// both): selections that keep NaN, and the numerically careful forms of
// expm1, log1p(e^x), the logistic function, tanh and erfc that the
// activations share. Every function here is branch-free, so the vectorised
// body and the scalar tail of an Eigen expression compute the same formula.
#ifndef MLPRIM_NN_DETAIL_PACKET_MATH_HPP
#define MLPRIM_NN_DETAIL_PACKET_MATH_HPP

#include <cmath>
#include <cstddef>
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

/// 1 / b for finite b whose reciprocal is a normal number. Float packets
/// refine the hardware's reciprocal estimate (14 bits with AVX-512, 12 with
/// AVX and SSE) by Newton steps r + r (1 - b r) (one step from 14 bits, two
/// from 12; multiply-adds, fused where the target has FMA), which round to
/// within an ulp (1 / 1 is exactly 1) at several times the throughput of a
/// division; doubles and scalars divide.
template <class P>
P p_reciprocal(const P& b) {
  return ei::pdiv(lanes<P>(1), b);
}
template <class P>
P reciprocal_newton(const P& b, const P& r) {
  return ei::pmadd(r, ei::pmadd(ei::pnegate(b), r, lanes<P>(1)), r);
}
#if defined(EIGEN_VECTORIZE_AVX512)
inline ei::Packet16f p_reciprocal(const ei::Packet16f& b) {
  return reciprocal_newton(b, _mm512_rcp14_ps(b));
}
#endif
#if defined(EIGEN_VECTORIZE_AVX)
inline ei::Packet8f p_reciprocal(const ei::Packet8f& b) {
  return reciprocal_newton(b, reciprocal_newton(b, _mm256_rcp_ps(b)));
}
#endif
#if defined(EIGEN_VECTORIZE_SSE)
inline ei::Packet4f p_reciprocal(const ei::Packet4f& b) {
  return reciprocal_newton(b, reciprocal_newton(b, _mm_rcp_ps(b)));
}
#endif

/// p(x) = c[n-1] + x (c[n-2] + x (... + x c[0])), Horner's rule with fused
/// multiply-adds; c from the highest power down.
template <class P, std::size_t N>
P p_horner(const P& x, const double (&c)[N]) {
  P r = lanes<P>(c[0]);
  for (std::size_t i = 1; i < N; ++i) r = ei::pmadd(r, x, lanes<P>(c[i]));
  return r;
}

/// e^x for float packets within [-87.34, 88.37]: x = n ln 2 + r with
/// |r| <= ln(2)/2 (ln 2 split in two, Cody & Waite), e^r by its Taylor
/// polynomial of degree 7 (truncation 5e-9), 2^n written into the exponent
/// bits. About 2 ulp, and half the instructions of Eigen's pexp.
template <class P>
P p_exp_float(const P& x) {
  using PI = typename ei::unpacket_traits<P>::integer_packet;
  const P xc = ei::pmin(ei::pmax(x, lanes<P>(-87.34)), lanes<P>(88.37));  // keeps n in range
  const P n = ei::pfloor(ei::pmadd(xc, lanes<P>(1.44269504088896341), lanes<P>(0.5)));
  P r = ei::pmadd(n, lanes<P>(-0.693359375), x);  // x itself, so that NaN stays NaN
  r = ei::pmadd(n, lanes<P>(2.12194440e-4), r);
  constexpr double taylor[] = {1.0 / 5040, 1.0 / 720, 1.0 / 120, 1.0 / 24, 1.0 / 6, 0.5, 1, 1};
  const PI bits = ei::plogical_shift_left<23>(ei::padd(ei::pcast<P, PI>(n), ei::pset1<PI>(127)));
  return ei::pmul(p_horner(r, taylor), ei::preinterpret<P>(bits));
}

/// e^x with exact limits: 0 where e^x is below the smallest normal number
/// (subnormal results are flushed to 0; Eigen's packet exp would return
/// e^-88.7 there), inf above ln(2) 127.5 (float) or 709.78 (double). Float
/// packets use p_exp_float, double packets Eigen's pexp, scalars std::exp.
template <class P>
P p_exp(const P& x) {
  constexpr bool single = std::is_same_v<PacketScalar<P>, float>;
  const P lo = lanes<P>(single ? -87.33654475 : -708.39641853226408);  // log of the smallest normal
  const P hi = lanes<P>(single ? 88.37626266 : 709.78271289338397);
  const P inf = lanes<P>(std::numeric_limits<double>::infinity());
  P e;
  if constexpr (std::is_arithmetic_v<P>)
    e = std::exp(x);
  else if constexpr (single)
    e = p_exp_float(x);
  else
    e = ei::pexp(x);
  return p_where(p_lt(x, lo), lanes<P>(0), p_where(p_gt(x, hi), inf, e));
}

/// e^x - 1 without cancellation near 0: x (1 + x/2 + ... ) by its Taylor
/// polynomial for |x| < ln(2)/2 (degree 9 for float, 14 for double:
/// truncation below 2e-9 and 1e-17), e^x - 1 beyond (where the subtraction
/// loses at most 2 bits).
template <class P>
P p_expm1(const P& x) {
  constexpr double taylor_f[] = {1.0 / 362880, 1.0 / 40320, 1.0 / 5040, 1.0 / 720, 1.0 / 120,
                                 1.0 / 24,     1.0 / 6,     0.5,        1};
  constexpr double taylor_d[] = {1.0 / 87178291200,
                                 1.0 / 6227020800,
                                 1.0 / 479001600,
                                 1.0 / 39916800,
                                 1.0 / 3628800,
                                 1.0 / 362880,
                                 1.0 / 40320,
                                 1.0 / 5040,
                                 1.0 / 720,
                                 1.0 / 120,
                                 1.0 / 24,
                                 1.0 / 6,
                                 0.5,
                                 1};
  P small;
  if constexpr (std::is_same_v<PacketScalar<P>, float>)
    small = ei::pmul(x, p_horner(x, taylor_f));
  else
    small = ei::pmul(x, p_horner(x, taylor_d));
  const P large = ei::psub(p_exp(x), lanes<P>(1));
  return p_where(p_lt(ei::pabs(x), lanes<P>(0.34657359027997264)), small, large);
}

/// log(1 + y) for 0 <= y <= 1 as 2 atanh(s) = 2 (s + s^3/3 + s^5/5 + ...)
/// with s = y / (2 + y) <= 1/3: 8 terms for float, 17 for double (truncation
/// below 2e-9 and 2e-17 relative), exact for small y.
template <class P>
P p_log1p_unit(const P& y) {
  const P s = ei::pmul(y, p_reciprocal(ei::padd(lanes<P>(2), y))), s2 = ei::pmul(s, s);
  constexpr double odd_f[] = {2.0 / 15, 2.0 / 13, 2.0 / 11, 2.0 / 9, 2.0 / 7, 2.0 / 5, 2.0 / 3, 2};
  constexpr double odd_d[] = {2.0 / 33, 2.0 / 31, 2.0 / 29, 2.0 / 27, 2.0 / 25, 2.0 / 23,
                              2.0 / 21, 2.0 / 19, 2.0 / 17, 2.0 / 15, 2.0 / 13, 2.0 / 11,
                              2.0 / 9,  2.0 / 7,  2.0 / 5,  2.0 / 3,  2};
  if constexpr (std::is_same_v<PacketScalar<P>, float>)
    return ei::pmul(s, p_horner(s2, odd_f));
  else
    return ei::pmul(s, p_horner(s2, odd_d));
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
  const P e = p_exp_neg_abs(x), one = lanes<P>(1), r = p_reciprocal(ei::padd(one, e));
  return p_where(p_lt(x, lanes<P>(0)), ei::pmul(e, r), r);
}

/// sigmoid'(x) = sigmoid(x) sigmoid(-x) = e / (1 + e)^2 with e = e^-|x|.
template <class P>
P p_sigmoid_derivative(const P& x) {
  const P e = p_exp_neg_abs(x), d = ei::padd(lanes<P>(1), e);
  return ei::pmul(e, p_reciprocal(ei::pmul(d, d)));
}

/// tanh |x| = -m / (2 + m) with m = expm1(-2|x|) in (-1, 0], exact near 0;
/// tanh x takes the sign of x.
template <class P>
P p_tanh(const P& x) {
  const P m = p_expm1(ei::pmul(lanes<P>(-2), ei::pabs(x)));
  const P t = ei::pmul(ei::pnegate(m), p_reciprocal(ei::padd(lanes<P>(2), m)));
  return p_where(p_lt(x, lanes<P>(0)), ei::pnegate(t), t);
}

/// tanh'(x) = 1 - tanh(x)^2 = 4 e / (1 + e)^2 with e = e^-2|x|, exact in the
/// tails where 1 - tanh^2 would cancel.
template <class P>
P p_tanh_derivative(const P& x) {
  const P e = p_exp(ei::pmul(lanes<P>(-2), ei::pabs(x))), d = ei::padd(lanes<P>(1), e);
  return ei::pmul(ei::pmul(lanes<P>(4), e), p_reciprocal(ei::pmul(d, d)));
}

/// erfc(z) for z >= 0 with relative error below 1.2e-7 (Numerical Recipes,
/// 2nd ed., section 6.2, the Chebyshev fit "erfcc"): with t = 1 / (1 + z/2),
/// erfc z = t exp(-z^2 - 1.26551223 + t (1.00002368 + t (... ))). Used for
/// float packets only; double and the scalar path call std::erfc.
template <class P>
P p_erfc_nonnegative(const P& z) {
  const P zc = ei::pmin(z, lanes<P>(10));  // erfc(10) < 3e-45: 0 in float; and z = inf
  const P t = p_reciprocal(ei::padd(lanes<P>(1), ei::pmul(lanes<P>(0.5), zc)));
  const double c[] = {-1.26551223, 1.00002368,  0.37409196, 0.09678418,  -0.18628806,
                      0.27886807,  -1.13520398, 1.48851587, -0.82215223, 0.17087277};
  P poly = lanes<P>(c[9]);
  for (int i = 8; i >= 0; --i) poly = ei::padd(lanes<P>(c[i]), ei::pmul(t, poly));
  return ei::pmul(t, p_exp(ei::psub(poly, ei::pmul(zc, zc))));
}

}  // namespace mlprim::detail

#endif  // MLPRIM_NN_DETAIL_PACKET_MATH_HPP
