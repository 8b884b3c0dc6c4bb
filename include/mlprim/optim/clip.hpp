// Gradient clipping with torch.nn.utils' semantics.
//
//   double total = mlprim::clip_grad_norm(dw, db, /*max_norm=*/1.0);        // L2
//   mlprim::clip_grad_norm(dw, db, 1.0, std::numeric_limits<double>::infinity());
//   mlprim::clip_grad_norm(optimizer, 1.0);          // every registered gradient
//   mlprim::clip_grad_value(dw, db, /*clip_value=*/0.5);
#ifndef MLPRIM_OPTIM_CLIP_HPP
#define MLPRIM_OPTIM_CLIP_HPP

#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/optim/detail/binding.hpp"

namespace mlprim {
namespace detail {

template <class T>
using GradMap = Eigen::Map<Vector<T>>;

/// The norm_type-norm of values, accumulated in double (PyTorch accumulates
/// float reductions in double on the CPU too).
template <class Values>
double p_norm(const Values& values, double norm_type) {
  if (std::isinf(norm_type)) {  // max |x|, NaN when any x is NaN (torch.max propagates it)
    double m = 0;
    for (const auto& x : values) {
      if (x.size() == 0) continue;
      if (x.hasNaN()) return std::numeric_limits<double>::quiet_NaN();
      m = std::max(m, static_cast<double>(x.cwiseAbs().maxCoeff()));
    }
    return m;
  }
  double sum = 0;
  for (const auto& x : values) {
    if (norm_type == 2)
      sum += x.template cast<double>().squaredNorm();
    else if (norm_type == 1)
      sum += x.template cast<double>().cwiseAbs().sum();
    else
      sum += x.template cast<double>().array().abs().pow(norm_type).sum();
  }
  return norm_type == 2 ? std::sqrt(sum) : norm_type == 1 ? sum : std::pow(sum, 1.0 / norm_type);
}

template <class T>
T clip_grad_norm_maps(std::vector<GradMap<T>>& grads, double max_norm, double norm_type) {
  const char* fn = "clip_grad_norm";
  check_non_negative(fn, "max_norm", max_norm);
  if (!(norm_type > 0)) throw_invalid_argument(fn, "norm_type = ", norm_type, " must be positive");
  // As torch.nn.utils.clip_grad_norm_: the norm of the per-gradient norms,
  // each rounded to T, then a coefficient computed in T.
  std::vector<Vector<T>> norms(1, Vector<T>(static_cast<Index>(grads.size())));
  for (std::size_t i = 0; i < grads.size(); ++i)
    norms[0](static_cast<Index>(i)) =
        static_cast<T>(p_norm(std::vector<GradMap<T>>{grads[i]}, norm_type));
  const T total = grads.empty() ? T(0) : static_cast<T>(p_norm(norms, norm_type));
  // torch.clamp(max = 1): a NaN total gives a NaN coefficient, as in PyTorch.
  const T ratio = static_cast<T>(max_norm) / (total + static_cast<T>(1e-6));
  const T coefficient = ratio > T(1) ? T(1) : ratio;
  for (auto& g : grads) g *= coefficient;
  return total;
}

template <class T>
void clip_grad_value_maps(std::vector<GradMap<T>>& grads, double clip_value) {
  check_non_negative("clip_grad_value", "clip_value", clip_value);
  const T c = static_cast<T>(clip_value);
  for (auto& g : grads) g = g.cwiseMax(-c).cwiseMin(c);
}

template <class T, class D>
void append_grad(std::vector<GradMap<T>>& out, Eigen::DenseBase<D>& g) {
  static_assert(std::is_same_v<typename D::Scalar, T>,
                "mlprim::clip_grad_*: every gradient must have the same scalar type");
  static_assert(bool(Eigen::internal::traits<D>::Flags & Eigen::DirectAccessBit),
                "mlprim::clip_grad_*: gradients need direct storage");
  require_contiguous("clip_grad_norm", "a gradient", g.derived());
  out.emplace_back(g.derived().data(), g.size());
}

template <class X, class = void>
struct has_gradients : std::false_type {};
template <class X>
struct has_gradients<X, std::void_t<decltype(std::declval<X&>().gradients())>> : std::true_type {};

template <std::size_t K, class... Args>
constexpr bool is_number_at() {
  if constexpr (K < sizeof...(Args))
    return std::is_arithmetic_v<std::decay_t<std::tuple_element_t<K, std::tuple<Args...>>>>;
  else
    return false;
}

/// How many trailing arguments are numbers: 2 when the last two are, else 1.
template <class... Args>
constexpr std::size_t trailing_numbers() {
  constexpr std::size_t n = sizeof...(Args);
  static_assert(n >= 2 && is_number_at<n - 1, Args...>(),
                "mlprim::clip_grad_*: pass the gradients (or an optimizer), then the numbers");
  return n >= 3 && is_number_at<n - 2, Args...>() ? 2 : 1;
}

template <class T, class Tuple, std::size_t... I>
std::vector<GradMap<T>> collect_grads(Tuple& all, std::index_sequence<I...>) {
  std::vector<GradMap<T>> grads;
  (append_grad<T>(grads, std::get<I>(all)), ...);
  return grads;
}

/// The gradients named by the leading arguments: one optimizer (all of its
/// registered gradients) or one or more Eigen objects.
template <std::size_t NumGrads, class Tuple>
auto leading_grads(Tuple& all) {
  using First = std::decay_t<std::tuple_element_t<0, Tuple>>;
  if constexpr (has_gradients<First>::value) {
    static_assert(NumGrads == 1, "mlprim::clip_grad_*: pass one optimizer, or gradients");
    return std::get<0>(all).gradients();
  } else {
    return collect_grads<typename First::Scalar>(all, std::make_index_sequence<NumGrads>{});
  }
}

}  // namespace detail

/// Rescales the gradients so that their joint norm_type-norm is at most
/// max_norm, as torch.nn.utils.clip_grad_norm_: total = ||(||g_1||, ...,
/// ||g_k||)||_p, every g *= min(1, max_norm / (total + 1e-6)); returns total
/// (before clipping). Call as clip_grad_norm(g1, g2, ..., max_norm[, norm_type])
/// or clip_grad_norm(optimizer, max_norm[, norm_type]); norm_type defaults to
/// 2 and may be infinity (max |g|). Norms accumulate in double, the rest is
/// in the gradients' scalar type. A non-finite total is not special-cased
/// (PyTorch's error_if_nonfinite = False): a NaN gradient makes the total
/// NaN (for every norm_type, infinity included) and, as in PyTorch, every
/// gradient NaN.
template <class... Args>
auto clip_grad_norm(Args&&... args) {
  constexpr std::size_t n = sizeof...(Args), numbers = detail::trailing_numbers<Args...>();
  auto all = std::forward_as_tuple(args...);
  auto grads = detail::leading_grads<n - numbers>(all);
  const double max_norm = static_cast<double>(std::get<n - numbers>(all));
  double norm_type = 2.0;
  if constexpr (numbers == 2) norm_type = static_cast<double>(std::get<n - 1>(all));
  return detail::clip_grad_norm_maps(grads, max_norm, norm_type);
}

/// Clamps every gradient entry to [-clip_value, clip_value], as
/// torch.nn.utils.clip_grad_value_. Call as clip_grad_value(g1, ..., clip_value)
/// or clip_grad_value(optimizer, clip_value).
template <class... Args>
void clip_grad_value(Args&&... args) {
  constexpr std::size_t n = sizeof...(Args);
  static_assert(n >= 2 && detail::is_number_at<n - 1, Args...>(),
                "mlprim::clip_grad_value: pass the gradients (or an optimizer), then clip_value");
  auto all = std::forward_as_tuple(args...);
  auto grads = detail::leading_grads<n - 1>(all);
  detail::clip_grad_value_maps(grads, static_cast<double>(std::get<n - 1>(all)));
}

}  // namespace mlprim

#endif  // MLPRIM_OPTIM_CLIP_HPP
