// RMSprop (Hinton's lecture 6e; centered variant of Graves 2013), exactly as
// torch.optim.RMSprop (PyTorch 1.13).
#ifndef MLPRIM_OPTIM_RMSPROP_HPP
#define MLPRIM_OPTIM_RMSPROP_HPP

#include "mlprim/optim/detail/blocks.hpp"
#include "mlprim/optim/detail/option_checks.hpp"
#include "mlprim/optim/optimizer.hpp"

namespace mlprim {

/// torch.optim.RMSprop's hyper-parameters and defaults.
struct RMSpropOptions {
  double lr = 1e-2;           ///< learning rate
  double alpha = 0.99;        ///< smoothing of the squared-gradient average
  double eps = 1e-8;          ///< added after the square root
  double weight_decay = 0.0;  ///< L2 penalty added to the gradient
  double momentum = 0.0;      ///< >= 0; > 0 keeps a momentum buffer
  bool centered = false;      ///< divide by the estimated standard deviation
  bool maximize = false;      ///< ascend the objective instead of descending it
};

/// One RMSprop step over contiguous buffers of n elements (one pass):
///   d = ±g + wd p;  s = alpha s + (1 - alpha) d^2
///   centered: a = alpha a + (1 - alpha) d, avg = sqrt(s - a^2) + eps; else avg = sqrt(s) + eps
///   momentum: b = momentum b + d / avg, p = p - lr b;  else p = p - lr d / avg
/// `grad_avg` may be null unless centered, `buffer` unless momentum > 0.
template <class T>
void rmsprop_update(T* param, const T* grad, T* square_avg, T* grad_avg, T* buffer, Index n,
                    const RMSpropOptions& o, int num_threads = 0) {
  detail::for_each_chunk<T>("rmsprop_update", n, num_threads, [&](Index at, auto len) {
    detail::ChunkMap<T, decltype(len)> p(param + at, len), sq(square_avg + at, len);
    detail::ConstChunkMap<T, decltype(len)> g(grad + at, len);
    detail::ChunkArray<T, decltype(len)> d =
        detail::directed_gradient<T>(g, p, o.maximize, o.weight_decay);
    sq = sq * T(o.alpha) + (T(1 - o.alpha) * d) * d;
    detail::ChunkArray<T, decltype(len)> avg;
    if (o.centered) {
      detail::ChunkMap<T, decltype(len)> ga(grad_avg + at, len);
      ga = ga * T(o.alpha) + T(1 - o.alpha) * d;
      avg = detail::chunk_sqrt<T>(sq + (T(-1) * ga) * ga) + T(o.eps);
    } else {
      avg = detail::chunk_sqrt<T>(sq) + T(o.eps);
    }
    if (o.momentum > 0) {
      detail::ChunkMap<T, decltype(len)> b(buffer + at, len);
      b = b * T(o.momentum) + d / avg;
      p = p + T(-o.lr) * b;
    } else {
      p = p + (T(-o.lr) * d) / avg;
    }
  });
}

/// The RMSprop rule. Buffers: square_avg, then momentum_buffer (momentum > 0),
/// then grad_avg (centered).
struct RMSpropRule {
  /// The hyper-parameters this rule reads.
  using Options = RMSpropOptions;
  /// The rule's name in error messages and saved state.
  static constexpr const char* name = "RMSprop";

  /// Throws std::invalid_argument for options outside their ranges.
  static void validate(const Options& o) {
    detail::check_lr(name, o.lr);
    detail::check_decay(name, "alpha", o.alpha);
    detail::check_eps(name, o.eps);
    detail::check_weight_decay(name, o.weight_decay);
    detail::check_non_negative_finite(name, "momentum", o.momentum);
  }

  /// Creates the state buffers (listed above) of an n-element parameter.
  template <class T>
  static void init_state(const Options& o, ParamState<T>& s, Index n) {
    detail::zero_buffers(s, 1 + (o.momentum > 0) + o.centered, n);
  }

  /// The buffers are made at the first step: momentum and centered cannot
  /// be switched on or off after it.
  template <class T>
  static void check_state(const Options& o, const ParamState<T>& s) {
    const std::size_t wanted = 1 + (o.momentum > 0) + o.centered;
    if (s.buffers.size() != wanted)
      throw_invalid_argument(name, "momentum or centered changed after the first step");
  }

  /// One step of parameter p from gradient g (state.step already counts it).
  template <class T>
  static void update(const Options& o, ParamState<T>& s, T* p, const T* g, Index n, int threads) {
    T* buffer = o.momentum > 0 ? s.buffers[1].data() : nullptr;
    T* grad_avg = o.centered ? s.buffers.back().data() : nullptr;
    rmsprop_update(p, g, s.buffers[0].data(), grad_avg, buffer, n, o, threads);
  }
};

/// RMSprop, torch.optim.RMSprop's semantics.
template <class T>
using RMSprop = Optimizer<T, RMSpropRule>;

}  // namespace mlprim

#endif  // MLPRIM_OPTIM_RMSPROP_HPP
