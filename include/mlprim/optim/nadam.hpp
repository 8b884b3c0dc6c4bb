// NAdam, Adam with Nesterov momentum (Dozat 2016), exactly as torch.optim.NAdam
// (PyTorch 1.13), including its momentum-decay schedule.
#ifndef MLPRIM_OPTIM_NADAM_HPP
#define MLPRIM_OPTIM_NADAM_HPP

#include <array>
#include <cmath>
#include <cstdint>

#include "mlprim/optim/detail/blocks.hpp"
#include "mlprim/optim/detail/option_checks.hpp"
#include "mlprim/optim/optimizer.hpp"

namespace mlprim {

/// torch.optim.NAdam's hyper-parameters and defaults (1.13 has no maximize).
struct NAdamOptions {
  double lr = 2e-3;  ///< learning rate
  std::array<double, 2> betas = {0.9,
                                 0.999};  ///< decay rates of the first and second moment averages
  double eps = 1e-8;                      ///< added to the denominator for numerical stability
  double weight_decay = 0.0;              ///< L2 penalty added to the gradient
  double momentum_decay = 4e-3;           ///< psi in mu_t = b1 (1 - 0.5 * 0.96^(t psi))
};

/// One NAdam step (1-based `step`) over contiguous buffers of n elements.
/// `mu_product` is the running product of the mu_t; PyTorch 1.13 keeps it in
/// a float32 tensor whatever the parameters' type, and so does this function:
///   mu_t = b1 (1 - 0.5 * 0.96^(t psi)),  mu_{t+1} likewise
///   mu_product *= mu_t (in float)
///   d = g + wd p;  m = b1 m + (1 - b1) d;  v = b2 v + (1 - b2) d^2
///   denom = sqrt(v / (1 - b2^t)) + eps
///   p -= lr (1 - mu_t) / (1 - mu_product) * d / denom
///   p -= lr mu_{t+1} / (1 - mu_product mu_t mu_{t+1}) * m / denom
/// The second denominator has mu_t twice (mu_product already holds it), as
/// torch 1.13 computes it: mu_product_next = mu_product * mu * mu_next.
template <class T>
void nadam_update(T* param, const T* grad, T* exp_avg, T* exp_avg_sq, float& mu_product, Index n,
                  const NAdamOptions& o, std::int64_t step, int num_threads = 0) {
  const double beta1 = o.betas[0], beta2 = o.betas[1], t = static_cast<double>(step);
  const double bias_correction2 = 1 - std::pow(beta2, t);
  const double mu = beta1 * (1. - 0.5 * std::pow(0.96, t * o.momentum_decay));
  const double mu_next = beta1 * (1. - 0.5 * std::pow(0.96, (t + 1) * o.momentum_decay));
  mu_product = mu_product * static_cast<float>(mu);
  const float mu_product_next = mu_product * static_cast<float>(mu) * static_cast<float>(mu_next);
  const double grad_coefficient = -o.lr * (1. - mu) / (1. - static_cast<double>(mu_product));
  const double avg_coefficient = -o.lr * mu_next / (1. - static_cast<double>(mu_product_next));
  detail::for_each_chunk<T>("nadam_update", n, num_threads, [&](Index at, auto len) {
    detail::ChunkMap<T, decltype(len)> p(param + at, len), m(exp_avg + at, len),
        v(exp_avg_sq + at, len);
    detail::ConstChunkMap<T, decltype(len)> g(grad + at, len);
    const detail::ChunkArray<T, decltype(len)> d =
        detail::directed_gradient<T>(g, p, false, o.weight_decay);
    m = m * T(beta1) + T(1 - beta1) * d;
    v = v * T(beta2) + (T(1 - beta2) * d) * d;
    const detail::ChunkArray<T, decltype(len)> denom =
        detail::chunk_sqrt<T>(v / T(bias_correction2)) + T(o.eps);
    p = p + (T(grad_coefficient) * d) / denom;
    p = p + (T(avg_coefficient) * m) / denom;
  });
}

/// The NAdam rule. Buffers: exp_avg, exp_avg_sq; scalars: mu_product.
struct NAdamRule {
  /// The hyper-parameters this rule reads.
  using Options = NAdamOptions;
  /// The rule's name in error messages and saved state.
  static constexpr const char* name = "NAdam";

  /// Throws std::invalid_argument for options outside their ranges.
  static void validate(const Options& o) {
    detail::check_adam_like(name, o);
    detail::check_non_negative_finite(name, "momentum_decay", o.momentum_decay);
  }

  /// Creates the state buffers (listed above) of an n-element parameter.
  template <class T>
  static void init_state(const Options&, ParamState<T>& s, Index n) {
    detail::zero_buffers(s, 2, n);
    s.scalars.assign(1, 1.0);
  }

  /// One step of parameter p from gradient g (state.step already counts it).
  template <class T>
  static void update(const Options& o, ParamState<T>& s, T* p, const T* g, Index n, int threads) {
    auto mu_product = static_cast<float>(s.scalars[0]);
    nadam_update(p, g, s.buffers[0].data(), s.buffers[1].data(), mu_product, n, o, s.step, threads);
    s.scalars[0] = mu_product;
  }
};

/// NAdam, torch.optim.NAdam's semantics.
template <class T>
using NAdam = Optimizer<T, NAdamRule>;

}  // namespace mlprim

#endif  // MLPRIM_OPTIM_NADAM_HPP
