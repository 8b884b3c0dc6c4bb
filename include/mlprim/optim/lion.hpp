// Lion, "EvoLved Sign Momentum" (Chen et al. 2023, "Symbolic Discovery of
// Optimization Algorithms"). PyTorch has no Lion; the update follows the paper.
#ifndef MLPRIM_OPTIM_LION_HPP
#define MLPRIM_OPTIM_LION_HPP

#include <array>

#include "mlprim/optim/detail/blocks.hpp"
#include "mlprim/optim/detail/option_checks.hpp"
#include "mlprim/optim/detail/sign.hpp"
#include "mlprim/optim/optimizer.hpp"

namespace mlprim {

/// Lion's hyper-parameters; defaults from the paper (b1 = 0.9, b2 = 0.99,
/// lr 1e-4, a tenth or less of AdamW's, and no weight decay).
struct LionOptions {
  double lr = 1e-4;                           ///< learning rate
  std::array<double, 2> betas = {0.9, 0.99};  ///< interpolation, then momentum decay
  double weight_decay = 0.0;                  ///< decoupled, scaled by lr
  bool maximize = false;                      ///< ascend the objective instead of descending it
};

/// One Lion step over contiguous buffers of n elements:
///   c = b1 m + (1 - b1) g;  p = p - lr (sign(c) + wd p);  m = b2 m + (1 - b2) g
/// (g negated when maximizing; sign(0) = 0).
template <class T>
void lion_update(T* param, const T* grad, T* exp_avg, Index n, const LionOptions& o,
                 int num_threads = 0) {
  const double beta1 = o.betas[0], beta2 = o.betas[1];
  detail::for_each_chunk<T>("lion_update", n, num_threads, [&](Index at, auto len) {
    using Chunk = detail::ChunkArray<T, decltype(len)>;
    detail::ChunkMap<T, decltype(len)> p_out(param + at, len), m_out(exp_avg + at, len);
    const detail::ConstChunkMap<T, decltype(len)> g(grad + at, len);
    const Chunk p = p_out, m = m_out;  // locals: no aliasing between the buffers
    const Chunk d = detail::directed_gradient<T>(g, p, o.maximize, 0.0);
    Chunk sign = m * T(beta1) + T(1 - beta1) * d;  // c, then sign(c) in place
    detail::sign_in_place(sign.data(), sign.size());
    p_out = p - T(o.lr) * (sign + T(o.weight_decay) * p);
    m_out = m * T(beta2) + T(1 - beta2) * d;
  });
}

/// The Lion rule. Buffers: exp_avg.
struct LionRule {
  /// The hyper-parameters this rule reads.
  using Options = LionOptions;
  /// The rule's name in error messages and saved state.
  static constexpr const char* name = "Lion";

  /// Throws std::invalid_argument for options outside their ranges.
  static void validate(const Options& o) {
    detail::check_lr(name, o.lr);
    detail::check_betas(name, o.betas);
    detail::check_weight_decay(name, o.weight_decay);
  }

  /// Creates the state buffers (listed above) of an n-element parameter.
  template <class T>
  static void init_state(const Options&, ParamState<T>& s, Index n) {
    detail::zero_buffers(s, 1, n);
  }

  /// One step of parameter p from gradient g (state.step already counts it).
  template <class T>
  static void update(const Options& o, ParamState<T>& s, T* p, const T* g, Index n, int threads) {
    lion_update(p, g, s.buffers[0].data(), n, o, threads);
  }
};

/// Lion (Chen et al. 2023).
template <class T>
using Lion = Optimizer<T, LionRule>;

}  // namespace mlprim

#endif  // MLPRIM_OPTIM_LION_HPP
