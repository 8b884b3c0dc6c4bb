// Adamax, the infinity-norm variant of Adam (Kingma & Ba 2015, section 7),
// exactly as torch.optim.Adamax (PyTorch 1.13).
#ifndef MLPRIM_OPTIM_ADAMAX_HPP
#define MLPRIM_OPTIM_ADAMAX_HPP

#include <array>
#include <cmath>
#include <cstdint>

#include "mlprim/optim/detail/blocks.hpp"
#include "mlprim/optim/detail/option_checks.hpp"
#include "mlprim/optim/optimizer.hpp"

namespace mlprim {

/// torch.optim.Adamax's hyper-parameters and defaults.
struct AdamaxOptions {
  double lr = 2e-3;  ///< learning rate
  std::array<double, 2> betas = {0.9,
                                 0.999};  ///< decay rates of the first and second moment averages
  double eps = 1e-8;                      ///< added to |g| inside the running max
  double weight_decay = 0.0;              ///< L2 penalty added to the gradient
  bool maximize = false;                  ///< ascend the objective instead of descending it
};

/// One Adamax step (1-based `step`) over contiguous buffers of n elements:
///   d = ±g + wd p;  m = b1 m + (1 - b1) d;  u = max(b2 u, |d| + eps)
///   p = p - lr / (1 - b1^t) * m / u
template <class T>
void adamax_update(T* param, const T* grad, T* exp_avg, T* exp_inf, Index n, const AdamaxOptions& o,
                   std::int64_t step, int num_threads = 0) {
  const double clr = o.lr / (1 - std::pow(o.betas[0], static_cast<double>(step)));
  detail::for_each_chunk<T>("adamax_update", n, num_threads, [&](Index at, auto len) {
    detail::ChunkMap<T, decltype(len)> p(param + at, len), m(exp_avg + at, len),
        u(exp_inf + at, len);
    detail::ConstChunkMap<T, decltype(len)> g(grad + at, len);
    detail::ChunkArray<T, decltype(len)> d =
        detail::directed_gradient<T>(g, p, o.maximize, o.weight_decay);
    m = m * T(o.betas[0]) + T(1 - o.betas[0]) * d;
    u = (u * T(o.betas[1])).max(d.abs() + T(o.eps));
    p = p + (T(-clr) * m) / u;
  });
}

/// The Adamax rule. Buffers: exp_avg, exp_inf.
struct AdamaxRule {
  /// The hyper-parameters this rule reads.
  using Options = AdamaxOptions;
  /// The rule's name in error messages and saved state.
  static constexpr const char* name = "Adamax";

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
    adamax_update(p, g, s.buffers[0].data(), s.buffers[1].data(), n, o, s.step, threads);
  }
};

/// Adamax, torch.optim.Adamax's semantics.
template <class T>
using Adamax = Optimizer<T, AdamaxRule>;

}  // namespace mlprim

#endif  // MLPRIM_OPTIM_ADAMAX_HPP
