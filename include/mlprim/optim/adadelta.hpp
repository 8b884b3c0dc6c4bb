// Adadelta (Zeiler 2012), exactly as torch.optim.Adadelta (PyTorch 1.13).
#ifndef MLPRIM_OPTIM_ADADELTA_HPP
#define MLPRIM_OPTIM_ADADELTA_HPP

#include "mlprim/optim/detail/blocks.hpp"
#include "mlprim/optim/detail/option_checks.hpp"
#include "mlprim/optim/optimizer.hpp"

namespace mlprim {

/// torch.optim.Adadelta's hyper-parameters and defaults.
struct AdadeltaOptions {
  double lr = 1.0;            ///< scales the delta
  double rho = 0.9;           ///< smoothing of both running averages
  double eps = 1e-6;          ///< added inside both square roots
  double weight_decay = 0.0;  ///< L2 penalty added to the gradient
  bool maximize = false;      ///< ascend the objective instead of descending it
};

/// One Adadelta step over contiguous buffers of n elements:
///   d = ±g + wd p;  s = rho s + (1 - rho) d^2
///   delta = sqrt(u + eps) / sqrt(s + eps) * d;  u = rho u + (1 - rho) delta^2
///   p = p - lr delta
template <class T>
void adadelta_update(T* param, const T* grad, T* square_avg, T* acc_delta, Index n,
                     const AdadeltaOptions& o, int num_threads = 0) {
  detail::for_each_chunk<T>("adadelta_update", n, num_threads, [&](Index at, auto len) {
    detail::ChunkMap<T, decltype(len)> p(param + at, len), sq(square_avg + at, len),
        acc(acc_delta + at, len);
    detail::ConstChunkMap<T, decltype(len)> g(grad + at, len);
    detail::ChunkArray<T, decltype(len)> d =
        detail::directed_gradient<T>(g, p, o.maximize, o.weight_decay);
    sq = sq * T(o.rho) + (T(1 - o.rho) * d) * d;
    const detail::ChunkArray<T, decltype(len)> delta =
        detail::chunk_sqrt<T>(acc + T(o.eps)) / detail::chunk_sqrt<T>(sq + T(o.eps)) * d;
    acc = acc * T(o.rho) + (T(1 - o.rho) * delta) * delta;
    p = p + T(-o.lr) * delta;
  });
}

/// The Adadelta rule. Buffers: square_avg, acc_delta.
struct AdadeltaRule {
  /// The hyper-parameters this rule reads.
  using Options = AdadeltaOptions;
  /// The rule's name in error messages and saved state.
  static constexpr const char* name = "Adadelta";

  /// Throws std::invalid_argument for options outside their ranges.
  static void validate(const Options& o) {
    detail::check_lr(name, o.lr);
    check_in_range(name, "rho", o.rho, 0.0, 1.0);
    detail::check_eps(name, o.eps);
    detail::check_weight_decay(name, o.weight_decay);
  }

  /// Creates the state buffers (listed above) of an n-element parameter.
  template <class T>
  static void init_state(const Options&, ParamState<T>& s, Index n) {
    detail::zero_buffers(s, 2, n);
  }

  /// One step of parameter p from gradient g (state.step already counts it).
  template <class T>
  static void update(const Options& o, ParamState<T>& s, T* p, const T* g, Index n, int threads) {
    adadelta_update(p, g, s.buffers[0].data(), s.buffers[1].data(), n, o, threads);
  }
};

/// Adadelta, torch.optim.Adadelta's semantics.
template <class T>
using Adadelta = Optimizer<T, AdadeltaRule>;

}  // namespace mlprim

#endif  // MLPRIM_OPTIM_ADADELTA_HPP
