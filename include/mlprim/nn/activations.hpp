// Elementwise activations and their derivatives, exactly as PyTorch defines
// them (torch.nn.functional; the conventions of its CPU kernels at kinks and
// thresholds are noted per function).
//
// Each function takes any Eigen array or matrix x (a block, a map, an
// expression) and returns a lazy, vectorised expression of the same shape,
// which fuses with the expression it is assigned to:
//
//     RowMatrix<float> y = mlprim::gelu(x.array()).matrix();
//     grad_x = grad_y.array() * mlprim::gelu_derivative(x.array());   // backward
//
// As with Eigen's own expressions, keep the result in a plain object (not
// `auto`) when x is a temporary. `<name>_derivative(x)` is d<name>/dx at x;
// the backward pass of y = f(x) is grad_x = grad_y * f'(x). Tails are
// computed without overflow or cancellation (sigmoid and softplus for large
// |x|, tanh near 0, GELU's left tail), so float results keep their relative
// accuracy where a direct formula would round to 0 or 1.
#ifndef MLPRIM_NN_ACTIVATIONS_HPP
#define MLPRIM_NN_ACTIVATIONS_HPP

#include <cmath>
#include <string_view>

#include "mlprim/core/error.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/nn/detail/activation_formulas.hpp"
#include "mlprim/nn/detail/elementwise.hpp"

namespace mlprim {

/// The form of GELU, as F.gelu's `approximate` argument.
enum class GeluApproximation {
  None,  ///< x Phi(x) with the normal CDF through erfc ('none', PyTorch's default)
  Tanh   ///< 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) ('tanh')
};

/// Softplus's parameters, PyTorch's defaults (F.softplus(x, beta=1, threshold=20)).
struct SoftplusParams {
  double beta = 1;        ///< log(1 + e^(beta x)) / beta; must be non-zero
  double threshold = 20;  ///< x itself where beta x > threshold
};

/// heaviside(x) = 1 for x > 0, 0 for x < 0, value_at_zero at 0 (torch.heaviside
/// with `values` = value_at_zero; NaN gives 0, as there).
template <class Derived>
auto heaviside(const Eigen::DenseBase<Derived>& x, typename Derived::Scalar value_at_zero) {
  return detail::apply_elementwise(x, detail::HeavisideFormula{double(value_at_zero)});
}
/// The Heaviside step's derivative where it exists: 0 everywhere (the step at
/// 0 has none; PyTorch defines no gradient for heaviside).
template <class Derived>
auto heaviside_derivative(const Eigen::DenseBase<Derived>& x) {
  return detail::apply_elementwise(x, detail::ZeroFormula{});
}

/// sigmoid(x) = 1 / (1 + e^-x) (torch.sigmoid), exact in both tails.
template <class Derived>
auto sigmoid(const Eigen::DenseBase<Derived>& x) {
  return detail::apply_elementwise(x, detail::SigmoidFormula{});
}
/// sigmoid'(x) = sigmoid(x) (1 - sigmoid(x)).
template <class Derived>
auto sigmoid_derivative(const Eigen::DenseBase<Derived>& x) {
  return detail::apply_elementwise(x, detail::SigmoidDerivativeFormula{});
}

/// tanh(x) (torch.tanh), through expm1 so that it is exact near 0.
template <class Derived>
auto tanh(const Eigen::DenseBase<Derived>& x) {
  return detail::apply_elementwise(x, detail::TanhFormula{});
}
/// tanh'(x) = 1 - tanh(x)^2, without cancellation for large |x|.
template <class Derived>
auto tanh_derivative(const Eigen::DenseBase<Derived>& x) {
  return detail::apply_elementwise(x, detail::TanhDerivativeFormula{});
}

/// relu(x) = max(x, 0) (F.relu; NaN stays NaN).
template <class Derived>
auto relu(const Eigen::DenseBase<Derived>& x) {
  return detail::apply_elementwise(x, detail::ReluFormula{});
}
/// relu'(x) = 1 for x > 0, 0 for x <= 0 (PyTorch's choice at 0).
template <class Derived>
auto relu_derivative(const Eigen::DenseBase<Derived>& x) {
  return detail::apply_elementwise(x, detail::ReluDerivativeFormula{});
}

/// leaky_relu(x) = x for x > 0, negative_slope x otherwise (F.leaky_relu,
/// default slope 0.01).
template <class Derived>
auto leaky_relu(const Eigen::DenseBase<Derived>& x,
                typename Derived::Scalar negative_slope = typename Derived::Scalar(0.01)) {
  return detail::apply_elementwise(x, detail::LeakyReluFormula{double(negative_slope)});
}
/// leaky_relu'(x) = 1 for x > 0, negative_slope for x <= 0.
template <class Derived>
auto leaky_relu_derivative(
    const Eigen::DenseBase<Derived>& x,
    typename Derived::Scalar negative_slope = typename Derived::Scalar(0.01)) {
  return detail::apply_elementwise(x, detail::LeakyReluDerivativeFormula{double(negative_slope)});
}

/// relu6(x) = min(max(x, 0), 6) (F.relu6, i.e. hardtanh(x, 0, 6)).
template <class Derived>
auto relu6(const Eigen::DenseBase<Derived>& x) {
  return detail::apply_elementwise(x, detail::ShiftedClampFormula{0, 0, 6, 1});
}
/// relu6'(x) = 1 for 0 < x < 6, else 0 (torch's hardtanh_backward).
template <class Derived>
auto relu6_derivative(const Eigen::DenseBase<Derived>& x) {
  return detail::apply_elementwise(x, detail::ShiftedClampDerivativeFormula{0, 0, 6, 1});
}

/// hard_sigmoid(x) = relu6(x + 3) / 6 (F.hardsigmoid).
template <class Derived>
auto hard_sigmoid(const Eigen::DenseBase<Derived>& x) {
  return detail::apply_elementwise(x, detail::ShiftedClampFormula{3, 0, 6, 1.0 / 6});
}
/// hard_sigmoid'(x) = 1/6 for -3 < x < 3, else 0.
template <class Derived>
auto hard_sigmoid_derivative(const Eigen::DenseBase<Derived>& x) {
  return detail::apply_elementwise(x, detail::ShiftedClampDerivativeFormula{3, 0, 6, 1.0 / 6});
}

/// hard_swish(x) = x relu6(x + 3) / 6 (F.hardswish, Howard et al. 2019).
template <class Derived>
auto hard_swish(const Eigen::DenseBase<Derived>& x) {
  return detail::apply_elementwise(x, detail::HardSwishFormula{});
}
/// hard_swish'(x) = 0 for x < -3, x / 3 + 1/2 for -3 <= x < 3, 1 from 3 on
/// (PyTorch's vectorised kernel; its scalar path gives 3/2 at 3).
template <class Derived>
auto hard_swish_derivative(const Eigen::DenseBase<Derived>& x) {
  return detail::apply_elementwise(x, detail::HardSwishDerivativeFormula{});
}

/// elu(x) = x for x > 0, alpha (e^x - 1) otherwise (F.elu, Clevert et al.
/// 2015; default alpha 1).
template <class Derived>
auto elu(const Eigen::DenseBase<Derived>& x,
         typename Derived::Scalar alpha = typename Derived::Scalar(1)) {
  return detail::apply_elementwise(x, detail::EluFormula{double(alpha), 1, 1});
}
/// elu'(x) = 1 for x > 0, alpha e^x for x <= 0.
template <class Derived>
auto elu_derivative(const Eigen::DenseBase<Derived>& x,
                    typename Derived::Scalar alpha = typename Derived::Scalar(1)) {
  return detail::apply_elementwise(x, detail::EluDerivativeFormula{double(alpha), 1, 1});
}

/// selu(x) = scale elu(x, alpha) with alpha = 1.6732632423543772 and scale =
/// 1.0507009873554805 (F.selu, Klambauer et al. 2017).
template <class Derived>
auto selu(const Eigen::DenseBase<Derived>& x) {
  return detail::apply_elementwise(x,
                                   detail::EluFormula{detail::kSeluAlpha, detail::kSeluScale, 1});
}
/// selu'(x) = scale for x > 0, scale alpha e^x for x <= 0.
template <class Derived>
auto selu_derivative(const Eigen::DenseBase<Derived>& x) {
  return detail::apply_elementwise(
      x, detail::EluDerivativeFormula{detail::kSeluAlpha, detail::kSeluScale, 1});
}

namespace detail {
template <class T>
double celu_alpha(T alpha, std::string_view fn) {
  if (!(alpha != T(0)) || !std::isfinite(double(alpha)))
    throw_invalid_argument(fn, "alpha = ", alpha, " must be finite and non-zero");
  return double(alpha);
}
}  // namespace detail

/// celu(x) = max(0, x) + min(0, alpha (e^(x/alpha) - 1)) (F.celu, Barron
/// 2017; default alpha 1). Throws std::invalid_argument for alpha = 0.
template <class Derived>
auto celu(const Eigen::DenseBase<Derived>& x,
          typename Derived::Scalar alpha = typename Derived::Scalar(1)) {
  const double a = detail::celu_alpha(alpha, "celu");
  return detail::apply_elementwise(x, detail::EluFormula{a, 1, a});
}
/// celu'(x) = 1 for x > 0, e^(x/alpha) for x <= 0.
template <class Derived>
auto celu_derivative(const Eigen::DenseBase<Derived>& x,
                     typename Derived::Scalar alpha = typename Derived::Scalar(1)) {
  const double a = detail::celu_alpha(alpha, "celu_derivative");
  return detail::apply_elementwise(x, detail::EluDerivativeFormula{a, 1, a});
}

/// gelu(x) = x Phi(x) (Hendrycks & Gimpel 2016), or its tanh form (F.gelu
/// with approximate = 'none' / 'tanh'). The erf form's float SIMD lanes use
/// a Chebyshev fit of erfc with relative error below 1.2e-7 (Numerical
/// Recipes 6.2); double and the scalar tail call std::erfc (double GELU is
/// therefore not vectorised).
template <class Derived>
auto gelu(const Eigen::DenseBase<Derived>& x,
          GeluApproximation approximate = GeluApproximation::None) {
  return detail::apply_elementwise(x, detail::GeluFormula{approximate == GeluApproximation::Tanh});
}
/// gelu'(x) = Phi(x) + x phi(x) (phi the normal density), or the tanh form's.
template <class Derived>
auto gelu_derivative(const Eigen::DenseBase<Derived>& x,
                     GeluApproximation approximate = GeluApproximation::None) {
  return detail::apply_elementwise(
      x, detail::GeluDerivativeFormula{approximate == GeluApproximation::Tanh});
}

/// silu(x) = x sigmoid(x) (F.silu; Swish with beta = 1, Ramachandran et al. 2017).
template <class Derived>
auto silu(const Eigen::DenseBase<Derived>& x) {
  return detail::apply_elementwise(x, detail::SiluFormula{});
}
/// silu'(x) = sigmoid(x) (1 + x (1 - sigmoid(x))).
template <class Derived>
auto silu_derivative(const Eigen::DenseBase<Derived>& x) {
  return detail::apply_elementwise(x, detail::SiluDerivativeFormula{});
}

/// mish(x) = x tanh(log(1 + e^x)) (F.mish, Misra 2019).
template <class Derived>
auto mish(const Eigen::DenseBase<Derived>& x) {
  return detail::apply_elementwise(x, detail::MishFormula{});
}
/// mish'(x) = tanh(sp) + x sigmoid(x) (1 - tanh(sp)^2), sp = log(1 + e^x).
template <class Derived>
auto mish_derivative(const Eigen::DenseBase<Derived>& x) {
  return detail::apply_elementwise(x, detail::MishDerivativeFormula{});
}

namespace detail {
inline void check_softplus(const SoftplusParams& p, std::string_view fn) {
  if (!(p.beta != 0) || !std::isfinite(p.beta))
    throw_invalid_argument(fn, "beta = ", p.beta, " must be finite and non-zero");
  if (std::isnan(p.threshold)) throw_invalid_argument(fn, "threshold = ", p.threshold, " is NaN");
}
}  // namespace detail

/// softplus(x) = log(1 + e^(beta x)) / beta, and x where beta x > threshold
/// (F.softplus; defaults beta 1, threshold 20), exact in both tails.
template <class Derived>
auto softplus(const Eigen::DenseBase<Derived>& x, const SoftplusParams& params = {}) {
  detail::check_softplus(params, "softplus");
  return detail::apply_elementwise(x, detail::SoftplusFormula{params.beta, params.threshold});
}
/// softplus'(x) = sigmoid(beta x), and 1 where beta x > threshold.
template <class Derived>
auto softplus_derivative(const Eigen::DenseBase<Derived>& x, const SoftplusParams& params = {}) {
  detail::check_softplus(params, "softplus_derivative");
  return detail::apply_elementwise(
      x, detail::SoftplusDerivativeFormula{params.beta, params.threshold});
}

/// softsign(x) = x / (1 + |x|) (F.softsign).
template <class Derived>
auto softsign(const Eigen::DenseBase<Derived>& x) {
  return detail::apply_elementwise(x, detail::SoftsignFormula{});
}
/// softsign'(x) = 1 / (1 + |x|)^2.
template <class Derived>
auto softsign_derivative(const Eigen::DenseBase<Derived>& x) {
  return detail::apply_elementwise(x, detail::SoftsignDerivativeFormula{});
}

}  // namespace mlprim

#endif  // MLPRIM_NN_ACTIVATIONS_HPP
