// Adagrad (Duchi, Hazan & Singer 2011), exactly as torch.optim.Adagrad
// (PyTorch 1.13, dense gradients).
#ifndef MLPRIM_OPTIM_ADAGRAD_HPP
#define MLPRIM_OPTIM_ADAGRAD_HPP

#include <cstdint>

#include "mlprim/optim/detail/blocks.hpp"
#include "mlprim/optim/detail/option_checks.hpp"
#include "mlprim/optim/optimizer.hpp"

namespace mlprim {

/// torch.optim.Adagrad's hyper-parameters and defaults.
struct AdagradOptions {
  double lr = 1e-2;                        ///< learning rate
  double lr_decay = 0.0;                   ///< lr_t = lr / (1 + (t - 1) lr_decay)
  double weight_decay = 0.0;               ///< L2 penalty added to the gradient
  double initial_accumulator_value = 0.0;  ///< starting value of the sum of squares
  double eps = 1e-10;                      ///< added after the square root
  bool maximize = false;                   ///< ascend the objective instead of descending it
};

/// One Adagrad step (1-based `step`) over contiguous buffers of n elements:
///   d = ±g + wd p;  s = s + d^2;  p = p - lr_t d / (sqrt(s) + eps)
template <class T>
void adagrad_update(T* param, const T* grad, T* state_sum, Index n, const AdagradOptions& o,
                    std::int64_t step, int num_threads = 0) {
  const double clr = o.lr / (1 + static_cast<double>(step - 1) * o.lr_decay);
  detail::for_each_chunk<T>("adagrad_update", n, num_threads, [&](Index at, auto len) {
    detail::ChunkMap<T, decltype(len)> p(param + at, len), sum(state_sum + at, len);
    detail::ConstChunkMap<T, decltype(len)> g(grad + at, len);
    detail::ChunkArray<T, decltype(len)> d =
        detail::directed_gradient<T>(g, p, o.maximize, o.weight_decay);
    sum = sum + d * d;
    p = p + (T(-clr) * d) / (detail::chunk_sqrt<T>(sum) + T(o.eps));
  });
}

/// The Adagrad rule. Buffers: sum (starts at initial_accumulator_value).
struct AdagradRule {
  /// The hyper-parameters this rule reads.
  using Options = AdagradOptions;
  /// The rule's name in error messages and saved state.
  static constexpr const char* name = "Adagrad";

  /// Throws std::invalid_argument for options outside their ranges.
  static void validate(const Options& o) {
    detail::check_lr(name, o.lr);
    detail::check_non_negative_finite(name, "lr_decay", o.lr_decay);
    detail::check_weight_decay(name, o.weight_decay);
    detail::check_non_negative_finite(name, "initial_accumulator_value",
                                      o.initial_accumulator_value);
    detail::check_eps(name, o.eps);
  }

  /// Creates the state buffers (listed above) of an n-element parameter.
  template <class T>
  static void init_state(const Options& o, ParamState<T>& s, Index n) {
    s.buffers.assign(1, Vector<T>::Constant(n, T(o.initial_accumulator_value)));
  }

  /// One step of parameter p from gradient g (state.step already counts it).
  template <class T>
  static void update(const Options& o, ParamState<T>& s, T* p, const T* g, Index n, int threads) {
    adagrad_update(p, g, s.buffers[0].data(), n, o, s.step, threads);
  }
};

/// Adagrad, torch.optim.Adagrad's semantics.
template <class T>
using Adagrad = Optimizer<T, AdagradRule>;

}  // namespace mlprim

#endif  // MLPRIM_OPTIM_ADAGRAD_HPP
