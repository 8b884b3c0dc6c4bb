// SGD with momentum, dampening, Nesterov momentum, weight decay and maximize,
// exactly as torch.optim.SGD (PyTorch 1.13).
#ifndef MLPRIM_OPTIM_SGD_HPP
#define MLPRIM_OPTIM_SGD_HPP

#include "mlprim/optim/detail/blocks.hpp"
#include "mlprim/optim/detail/option_checks.hpp"
#include "mlprim/optim/optimizer.hpp"

namespace mlprim {

/// torch.optim.SGD's hyper-parameters and defaults (PyTorch 1.13 has no
/// default lr; 1e-3 is PyTorch 2's).
struct SGDOptions {
  double lr = 1e-3;           ///< learning rate
  double momentum = 0.0;      ///< >= 0; 0 disables the momentum buffer
  double dampening = 0.0;     ///< momentum buffer gets (1 - dampening) * gradient
  double weight_decay = 0.0;  ///< L2 penalty added to the gradient
  bool nesterov = false;      ///< needs momentum > 0 and dampening = 0
  bool maximize = false;      ///< ascend instead of descend
};

/// One SGD step over contiguous buffers of n elements (one pass):
///   d = ±g + wd p
///   b = d on the first step, else momentum b + (1 - dampening) d
///   d = d + momentum b (Nesterov) or b
///   p = p - lr d
/// `buffer` (momentum_buffer) may be null when momentum = 0. Options are not
/// validated here; SGD<T> validates them.
template <class T>
void sgd_update(T* param, const T* grad, T* buffer, Index n, const SGDOptions& o, bool first_step,
                int num_threads = 0) {
  detail::for_each_chunk<T>("sgd_update", n, num_threads, [&](Index at, auto len) {
    using Chunk = detail::ChunkArray<T, decltype(len)>;
    detail::ChunkMap<T, decltype(len)> p_out(param + at, len);
    const detail::ConstChunkMap<T, decltype(len)> g(grad + at, len);
    const Chunk p = p_out;  // a local: no aliasing with the other buffers
    // `d` is the gradient map itself unless it must be negated or decayed,
    // so the common cases copy nothing.
    auto update = [&](const auto& d) {
      if (o.momentum == 0) {
        p_out = p + T(-o.lr) * d;
        return;
      }
      detail::ChunkMap<T, decltype(len)> b_out(buffer + at, len);
      const Chunk b = first_step ? Chunk(d) : Chunk(b_out * T(o.momentum) + T(1 - o.dampening) * d);
      b_out = b;
      if (o.nesterov)
        p_out = p + T(-o.lr) * (d + T(o.momentum) * b);
      else
        p_out = p + T(-o.lr) * b;
    };
    if (!o.maximize && o.weight_decay == 0)
      update(g);
    else
      update(detail::directed_gradient<T>(g, p, o.maximize, o.weight_decay));
  });
}

/// The SGD rule for Optimizer. State buffers: [momentum_buffer] when momentum > 0.
struct SGDRule {
  /// The hyper-parameters this rule reads.
  using Options = SGDOptions;
  /// The rule's name in error messages and saved state.
  static constexpr const char* name = "SGD";

  /// Throws std::invalid_argument for options outside their ranges.
  static void validate(const Options& o) {
    detail::check_lr(name, o.lr);
    detail::check_non_negative_finite(name, "momentum", o.momentum);
    check_finite(name, "dampening", o.dampening);
    detail::check_weight_decay(name, o.weight_decay);
    if (o.nesterov && (o.momentum <= 0 || o.dampening != 0))
      throw_invalid_argument(name,
                             "nesterov = true needs momentum > 0 and dampening = 0 (got "
                             "momentum = ",
                             o.momentum, ", dampening = ", o.dampening, ")");
  }

  /// Creates the state buffers (listed above) of an n-element parameter.
  template <class T>
  static void init_state(const Options& o, ParamState<T>& s, Index n) {
    if (o.momentum != 0) detail::zero_buffers(s, 1, n);
  }

  /// One step of parameter p from gradient g (state.step already counts it).
  template <class T>
  static void update(const Options& o, ParamState<T>& s, T* p, const T* g, Index n, int threads) {
    // PyTorch creates the buffer from the first gradient it sees; that is the
    // first step, or a later one when momentum was switched on in between.
    bool first = s.step == 1;
    if (o.momentum != 0 && s.buffers.empty()) {
      init_state(o, s, n);
      first = true;
    }
    sgd_update(p, g, s.buffers.empty() ? nullptr : s.buffers[0].data(), n, o, first, threads);
  }
};

/// Stochastic gradient descent, torch.optim.SGD's semantics.
template <class T>
using SGD = Optimizer<T, SGDRule>;

}  // namespace mlprim

#endif  // MLPRIM_OPTIM_SGD_HPP
