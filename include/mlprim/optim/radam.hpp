// RAdam, Adam with a rectified adaptive learning rate (Liu et al. 2020,
// "On the Variance of the Adaptive Learning Rate and Beyond"), exactly as
// torch.optim.RAdam (PyTorch 1.13).
#ifndef MLPRIM_OPTIM_RADAM_HPP
#define MLPRIM_OPTIM_RADAM_HPP

#include <array>
#include <cmath>
#include <cstdint>

#include "mlprim/optim/detail/blocks.hpp"
#include "mlprim/optim/detail/option_checks.hpp"
#include "mlprim/optim/optimizer.hpp"

namespace mlprim {

/// torch.optim.RAdam's hyper-parameters and defaults (1.13 has no maximize).
struct RAdamOptions {
  double lr = 1e-3;  ///< learning rate
  std::array<double, 2> betas = {0.9,
                                 0.999};  ///< decay rates of the first and second moment averages
  double eps = 1e-8;                      ///< added to the denominator for numerical stability
  double weight_decay = 0.0;              ///< L2 penalty added to the gradient
};

/// One RAdam step (1-based `step`) over contiguous buffers of n elements:
///   d = g + wd p;  m = b1 m + (1 - b1) d;  v = b2 v + (1 - b2) d^2
///   rho_inf = 2 / (1 - b2) - 1;  rho_t = rho_inf - 2 t b2^t / (1 - b2^t)
///   rho_t > 5: r = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t)),
///              p -= m / (1 - b1^t) * lr * sqrt(1 - b2^t) / (sqrt(v) + eps) * r
///   otherwise: p -= m / (1 - b1^t) * lr   (plain momentum while the variance is intractable)
template <class T>
void radam_update(T* param, const T* grad, T* exp_avg, T* exp_avg_sq, Index n,
                  const RAdamOptions& o, std::int64_t step, int num_threads = 0) {
  const double beta1 = o.betas[0], beta2 = o.betas[1], t = static_cast<double>(step);
  const double bias_correction1 = 1 - std::pow(beta1, t);
  const double bias_correction2 = 1 - std::pow(beta2, t);
  const double rho_inf = 2 / (1 - beta2) - 1;
  const double rho_t = rho_inf - 2 * t * std::pow(beta2, t) / bias_correction2;
  const bool rectify = rho_t > 5.;
  const double rect =
      rectify
          ? std::sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
          : 0.0;
  detail::for_each_chunk<T>("radam_update", n, num_threads, [&](Index at, auto len) {
    detail::ChunkMap<T, decltype(len)> p(param + at, len), m(exp_avg + at, len),
        v(exp_avg_sq + at, len);
    detail::ConstChunkMap<T, decltype(len)> g(grad + at, len);
    const detail::ChunkArray<T, decltype(len)> d =
        detail::directed_gradient<T>(g, p, false, o.weight_decay);
    m = m * T(beta1) + T(1 - beta1) * d;
    v = v * T(beta2) + (T(1 - beta2) * d) * d;
    const detail::ChunkArray<T, decltype(len)> corrected = m / T(bias_correction1);
    if (rectify) {
      const detail::ChunkArray<T, decltype(len)> adaptive =
          T(std::sqrt(bias_correction2)) / (detail::chunk_sqrt<T>(v) + T(o.eps));
      p = p - ((corrected * T(o.lr)) * adaptive) * T(rect);
    } else {
      p = p - corrected * T(o.lr);
    }
  });
}

/// The RAdam rule. Buffers: exp_avg, exp_avg_sq.
struct RAdamRule {
  /// The hyper-parameters this rule reads.
  using Options = RAdamOptions;
  /// The rule's name in error messages and saved state.
  static constexpr const char* name = "RAdam";

  /// Throws std::invalid_argument for options outside their ranges.
  static void validate(const Options& o) { detail::check_adam_like(name, o); }

  /// Creates the state buffers (listed above) of an n-element parameter.
  template <class T>
  static void init_state(const Options&, ParamState<T>& s, Index n) {
    detail::zero_buffers(s, 2, n);
  }

  /// One step of parameter p from gradient g (state.step already counts it).
  template <class T>
  static void update(const Options& o, ParamState<T>& s, T* p, const T* g, Index n, int threads) {
    radam_update(p, g, s.buffers[0].data(), s.buffers[1].data(), n, o, s.step, threads);
  }
};

/// RAdam, torch.optim.RAdam's semantics.
template <class T>
using RAdam = Optimizer<T, RAdamRule>;

}  // namespace mlprim

#endif  // MLPRIM_OPTIM_RADAM_HPP
