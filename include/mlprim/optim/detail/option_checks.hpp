// Validation of the hyper-parameters the optimizers share, with PyTorch's
// ranges (and eps > 0, which PyTorch does not require); infinite values are
// rejected everywhere.
#ifndef MLPRIM_OPTIM_DETAIL_OPTION_CHECKS_HPP
#define MLPRIM_OPTIM_DETAIL_OPTION_CHECKS_HPP

#include <array>
#include <string_view>

#include "mlprim/core/error.hpp"

namespace mlprim::detail {

/// A hyper-parameter that must be >= 0 and finite (an infinite lr or decay
/// would turn every parameter into inf or NaN at the first step).
inline void check_non_negative_finite(std::string_view fn, std::string_view name, double value) {
  check_non_negative(fn, name, value);
  check_finite(fn, name, value);
}

inline void check_lr(std::string_view fn, double lr) { check_non_negative_finite(fn, "lr", lr); }

inline void check_eps(std::string_view fn, double eps) {
  check_positive(fn, "eps", eps);
  check_finite(fn, "eps", eps);
}

inline void check_weight_decay(std::string_view fn, double weight_decay) {
  check_non_negative_finite(fn, "weight_decay", weight_decay);
}

/// A decay rate in [0, 1) such as a beta, rho or alpha.
inline void check_decay(std::string_view fn, std::string_view name, double value) {
  check_in_half_open(fn, name, value, 0.0, 1.0);
}

inline void check_betas(std::string_view fn, const std::array<double, 2>& betas) {
  check_decay(fn, "betas[0]", betas[0]);
  check_decay(fn, "betas[1]", betas[1]);
}

/// lr, betas, eps and weight_decay: the options every Adam-like rule shares.
template <class Options>
void check_adam_like(std::string_view fn, const Options& o) {
  check_lr(fn, o.lr);
  check_betas(fn, o.betas);
  check_eps(fn, o.eps);
  check_weight_decay(fn, o.weight_decay);
}

}  // namespace mlprim::detail

#endif  // MLPRIM_OPTIM_DETAIL_OPTION_CHECKS_HPP
