// The formulas of the elementwise activations and of their derivatives, as
// PyTorch defines them (torch.nn.functional, its CPU kernels' conventions at
// kinks and thresholds), each callable on a scalar or a SIMD packet.
#ifndef MLPRIM_NN_DETAIL_ACTIVATION_FORMULAS_HPP
#define MLPRIM_NN_DETAIL_ACTIVATION_FORMULAS_HPP

#include <cmath>

#include "mlprim/nn/detail/packet_math.hpp"

namespace mlprim::detail {

// Constants in double, rounded once into the lane type.
inline constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
inline constexpr double kSeluScale = 1.0507009873554804934193349852946;
inline constexpr double kSqrtHalf = 0.70710678118654752440084436210485;
inline constexpr double kInvSqrt2Pi = 0.39894228040143267793994605993438;  // 1 / sqrt(2 pi)
inline constexpr double kSqrt2OverPi = 0.79788456080286535587989211986876;
inline constexpr double kGeluKappa = 0.044715;

struct HeavisideFormula {
  double value_at_zero;
  template <class P>
  P operator()(const P& x) const {  // torch.heaviside: x == 0 ? values : (x > 0)
    const P zero = lanes<P>(0);
    return p_where(p_eq(x, zero), lanes<P>(value_at_zero),
                   p_where(p_gt(x, zero), lanes<P>(1), zero));
  }
};
struct ZeroFormula {
  template <class P>
  P operator()(const P&) const {
    return lanes<P>(0);
  }
};

struct SigmoidFormula {
  template <class P>
  P operator()(const P& x) const {
    return p_sigmoid(x);
  }
};
struct SigmoidDerivativeFormula {
  template <class P>
  P operator()(const P& x) const {
    return p_sigmoid_derivative(x);
  }
};

struct TanhFormula {
  template <class P>
  P operator()(const P& x) const {
    return p_tanh(x);
  }
};
struct TanhDerivativeFormula {
  template <class P>
  P operator()(const P& x) const {
    return p_tanh_derivative(x);
  }
};

/// ReLU(x) = x <= 0 ? 0 : x (NaN stays NaN, -inf gives 0); derivative
/// x <= 0 ? 0 : 1 (torch's threshold_backward).
struct ReluFormula {
  template <class P>
  P operator()(const P& x) const {
    return p_where(p_le(x, lanes<P>(0)), lanes<P>(0), x);
  }
};
struct ReluDerivativeFormula {
  template <class P>
  P operator()(const P& x) const {
    return p_where(p_le(x, lanes<P>(0)), lanes<P>(0), lanes<P>(1));
  }
};

/// Leaky ReLU with slope s below zero: x > 0 ? x : s x; derivative 1 for
/// x > 0, else s.
struct LeakyReluFormula {
  double slope;
  template <class P>
  P operator()(const P& x) const {
    return p_where(p_gt(x, lanes<P>(0)), x, ei::pmul(lanes<P>(slope), x));
  }
};
struct LeakyReluDerivativeFormula {
  double slope;
  template <class P>
  P operator()(const P& x) const {
    return p_where(p_gt(x, lanes<P>(0)), lanes<P>(1), lanes<P>(slope));
  }
};

/// Hardtanh(lo, hi) with scale: ReLU6 is (0, 6, 1); HardSigmoid is
/// relu6(x + 3) / 6. The derivative is 0 outside the open interval
/// (torch's hardtanh_backward), 1 inside, times scale.
struct ShiftedClampFormula {
  double shift, lo, hi, scale;
  template <class P>
  P operator()(const P& x) const {
    const P y = p_clamp(ei::padd(x, lanes<P>(shift)), lanes<P>(lo), lanes<P>(hi));
    return ei::pmul(y, lanes<P>(scale));
  }
};
struct ShiftedClampDerivativeFormula {
  double shift, lo, hi, scale;
  template <class P>
  P operator()(const P& x) const {
    const P y = ei::padd(x, lanes<P>(shift));
    const P inside = ei::pand(p_gt(y, lanes<P>(lo)), p_lt(y, lanes<P>(hi)));
    return p_where(inside, lanes<P>(scale), lanes<P>(0));
  }
};

/// The ELU family: scale (x > 0 ? x : alpha expm1(x / c)); ELU is
/// (alpha, 1, 1), SELU (1.6733, 1.0507, 1), CELU (alpha, 1, alpha). The
/// derivative is scale (x > 0 ? 1 : alpha / c exp(x / c)).
struct EluFormula {
  double alpha, scale, input_scale;
  template <class P>
  P operator()(const P& x) const {
    const P neg = ei::pmul(lanes<P>(alpha), p_expm1(ei::pmul(x, lanes<P>(1 / input_scale))));
    return ei::pmul(lanes<P>(scale), p_where(p_gt(x, lanes<P>(0)), x, neg));
  }
};
struct EluDerivativeFormula {
  double alpha, scale, input_scale;
  template <class P>
  P operator()(const P& x) const {
    const P neg =
        ei::pmul(lanes<P>(alpha / input_scale), p_exp(ei::pmul(x, lanes<P>(1 / input_scale))));
    return ei::pmul(lanes<P>(scale), p_where(p_gt(x, lanes<P>(0)), lanes<P>(1), neg));
  }
};

/// Phi(x) = erfc(-x / sqrt 2) / 2, the standard normal CDF.
template <class P>
P p_normal_cdf(const P& x) {
  const P z = ei::pmul(x, lanes<P>(kSqrtHalf)), e = p_erfc_nonnegative(ei::pabs(z));
  return ei::pmul(lanes<P>(0.5), p_where(p_lt(z, lanes<P>(0)), e, ei::psub(lanes<P>(2), e)));
}
template <class T>
T normal_cdf(T x) {
  return T(0.5) * std::erfc(-x * T(kSqrtHalf));
}

/// GELU's tanh form 0.5 x (1 + tanh u), u = sqrt(2/pi) (x + 0.044715 x^3),
/// is x sigmoid(2u) (the same value), which keeps the left tail's relative
/// accuracy; its derivative sigmoid(2u) + 2x sigmoid'(2u) du/dx.
template <class P>
P p_gelu_tanh_u2(const P& x) {
  const P x3 = ei::pmul(x, ei::pmul(x, x));
  return ei::pmul(lanes<P>(2 * kSqrt2OverPi), ei::padd(x, ei::pmul(lanes<P>(kGeluKappa), x3)));
}
template <class P>
P p_gelu_tanh(const P& x) {
  return ei::pmul(x, p_sigmoid(p_gelu_tanh_u2(x)));
}
template <class P>
P p_gelu_tanh_derivative(const P& x) {
  const P u2 = p_gelu_tanh_u2(x);
  const P du = ei::pmul(lanes<P>(kSqrt2OverPi),
                        ei::padd(lanes<P>(1), ei::pmul(lanes<P>(3 * kGeluKappa), ei::pmul(x, x))));
  return ei::padd(p_sigmoid(u2),
                  ei::pmul(ei::pmul(lanes<P>(2), x), ei::pmul(p_sigmoid_derivative(u2), du)));
}

/// GELU(x) = x Phi(x) (Hendrycks & Gimpel 2016, F.gelu(approximate='none')),
/// or the tanh form. Scalars use std::erfc; float packets the Chebyshev erfc.
struct GeluFormula {
  bool tanh_form;
  template <class P>
  P operator()(const P& x) const {
    return tanh_form ? p_gelu_tanh(x) : ei::pmul(x, p_normal_cdf(x));
  }
  template <class T>
  T scalar(T x) const {
    return tanh_form ? p_gelu_tanh(x) : x * normal_cdf(x);
  }
};
/// GELU'(x) = Phi(x) + x phi(x), or the tanh form's derivative.
struct GeluDerivativeFormula {
  bool tanh_form;
  template <class P>
  P operator()(const P& x) const {
    if (tanh_form) return p_gelu_tanh_derivative(x);
    const P pdf = ei::pmul(lanes<P>(kInvSqrt2Pi), p_exp(ei::pmul(lanes<P>(-0.5), ei::pmul(x, x))));
    return ei::padd(p_normal_cdf(x), ei::pmul(x, pdf));
  }
  template <class T>
  T scalar(T x) const {
    if (tanh_form) return p_gelu_tanh_derivative(x);
    return normal_cdf(x) + x * T(kInvSqrt2Pi) * std::exp(T(-0.5) * x * x);
  }
};

/// SiLU(x) = x sigmoid(x); SiLU'(x) = sigmoid(x) (1 + x sigmoid(-x)).
struct SiluFormula {
  template <class P>
  P operator()(const P& x) const {
    return ei::pmul(x, p_sigmoid(x));
  }
};
struct SiluDerivativeFormula {
  template <class P>
  P operator()(const P& x) const {
    // sigmoid(x) and sigmoid(-x) are r = 1 / (1 + e) and e r, e = e^-|x|.
    const P e = p_exp_neg_abs(x), r = p_reciprocal(ei::padd(lanes<P>(1), e)), er = ei::pmul(e, r);
    const P negative = p_lt(x, lanes<P>(0));
    const P s = p_where(negative, er, r), sn = p_where(negative, r, er);
    return ei::pmul(s, ei::padd(lanes<P>(1), ei::pmul(x, sn)));
  }
};

/// tanh(softplus(x)) = n / (n + 2) with n = e^x (e^x + 2), and 1 - its
/// square = 4 (n + 1) / (n + 2)^2; e^x is taken at min(x, 20), above which
/// they are 1 and 0 to double rounding.
template <class P>
P p_mish_n(const P& ex) {
  return ei::pmul(ex, ei::padd(ex, lanes<P>(2)));
}
/// Mish(x) = x tanh(softplus(x)) (Misra 2019), softplus without threshold
/// as in PyTorch.
struct MishFormula {
  template <class P>
  P operator()(const P& x) const {
    const P n = p_mish_n(p_exp(ei::pmin(x, lanes<P>(20))));
    const P t = p_where(p_gt(x, lanes<P>(20)), lanes<P>(1),
                        ei::pmul(n, p_reciprocal(ei::padd(n, lanes<P>(2)))));
    return ei::pmul(x, t);
  }
};
/// Mish'(x) = tanh(sp) + x sigmoid(x) (1 - tanh(sp)^2), sp = softplus(x),
/// with sigmoid(x) = e^x / (1 + e^x) from the same capped e^x (its term
/// vanishes above the cap).
struct MishDerivativeFormula {
  template <class P>
  P operator()(const P& x) const {
    const P ex = p_exp(ei::pmin(x, lanes<P>(20))), n = p_mish_n(ex), big = p_gt(x, lanes<P>(20));
    const P rd = p_reciprocal(ei::padd(n, lanes<P>(2)));
    const P t = p_where(big, lanes<P>(1), ei::pmul(n, rd));
    const P sech2 =
        p_where(big, lanes<P>(0),
                ei::pmul(ei::pmul(lanes<P>(4), ei::padd(n, lanes<P>(1))), ei::pmul(rd, rd)));
    const P sig = ei::pmul(ex, p_reciprocal(ei::padd(lanes<P>(1), ex)));
    return ei::padd(t, ei::pmul(ei::pmul(x, sig), sech2));
  }
};

/// Softplus(x) = log(1 + e^(beta x)) / beta, and x where beta x > threshold
/// (F.softplus); its derivative sigmoid(beta x), and 1 above the threshold.
struct SoftplusFormula {
  double beta, threshold;
  template <class P>
  P operator()(const P& x) const {
    const P bx = ei::pmul(x, lanes<P>(beta));
    // log(1 + e^y) = max(y, 0) + log1p(e^-|y|), exact in both tails.
    const P sp = ei::padd(ei::pmax(bx, lanes<P>(0)), p_log1p_unit(p_exp_neg_abs(bx)));
    return p_where(p_gt(bx, lanes<P>(threshold)), x, ei::pmul(sp, lanes<P>(1 / beta)));
  }
};
struct SoftplusDerivativeFormula {
  double beta, threshold;
  template <class P>
  P operator()(const P& x) const {
    const P bx = ei::pmul(x, lanes<P>(beta));
    return p_where(p_gt(bx, lanes<P>(threshold)), lanes<P>(1), p_sigmoid(bx));
  }
};

/// Softsign(x) = x / (1 + |x|); derivative 1 / (1 + |x|)^2.
struct SoftsignFormula {
  template <class P>
  P operator()(const P& x) const {
    return ei::pdiv(x, ei::padd(lanes<P>(1), ei::pabs(x)));
  }
};
struct SoftsignDerivativeFormula {
  template <class P>
  P operator()(const P& x) const {
    const P d = ei::padd(lanes<P>(1), ei::pabs(x));
    return p_reciprocal(ei::pmul(d, d));
  }
};

/// HardSwish(x) = x relu6(x + 3) / 6 (Howard et al. 2019); derivative 0 for
/// x < -3, x / 3 + 1/2 for -3 <= x < 3, 1 from 3 on (torch's vectorised
/// hardswish_backward; its scalar path gives 3/2 at x = 3).
struct HardSwishFormula {
  template <class P>
  P operator()(const P& x) const {
    const P r6 = p_clamp(ei::padd(x, lanes<P>(3)), lanes<P>(0), lanes<P>(6));
    return ei::pmul(x, ei::pmul(r6, lanes<P>(1.0 / 6)));
  }
};
struct HardSwishDerivativeFormula {
  template <class P>
  P operator()(const P& x) const {
    const P mid = ei::padd(ei::pmul(x, lanes<P>(1.0 / 3)), lanes<P>(0.5));
    return p_where(p_lt(x, lanes<P>(-3)), lanes<P>(0),
                   p_where(p_lt(x, lanes<P>(3)), mid, lanes<P>(1)));
  }
};

}  // namespace mlprim::detail

#endif  // MLPRIM_NN_DETAIL_ACTIVATION_FORMULAS_HPP
