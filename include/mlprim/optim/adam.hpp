// Adam (Kingma & Ba 2015) and AdamW (Loshchilov & Hutter 2019), exactly as
// torch.optim.Adam / torch.optim.AdamW (PyTorch 1.13), with amsgrad and maximize.
#ifndef MLPRIM_OPTIM_ADAM_HPP
#define MLPRIM_OPTIM_ADAM_HPP

#include <array>
#include <cmath>
#include <cstdint>

#include "mlprim/optim/detail/blocks.hpp"
#include "mlprim/optim/detail/option_checks.hpp"
#include "mlprim/optim/optimizer.hpp"

namespace mlprim {

/// torch.optim.Adam's hyper-parameters and defaults.
struct AdamOptions {
  double lr = 1e-3;                            ///< learning rate
  std::array<double, 2> betas = {0.9, 0.999};  ///< decay of the first and second moments
  double eps = 1e-8;                           ///< added to the denominator (outside the sqrt)
  double weight_decay = 0.0;                   ///< L2 penalty added to the gradient
  bool amsgrad = false;                        ///< use the running max of the second moment
  bool maximize = false;                       ///< ascend the objective instead of descending it
};

/// torch.optim.AdamW's hyper-parameters and defaults (decoupled weight decay,
/// default 1e-2).
struct AdamWOptions {
  double lr = 1e-3;  ///< learning rate
  std::array<double, 2> betas = {0.9,
                                 0.999};  ///< decay rates of the first and second moment averages
  double eps = 1e-8;                      ///< added to the denominator for numerical stability
  double weight_decay = 1e-2;  ///< decoupled: p *= 1 - lr * weight_decay before the update
  bool amsgrad = false;        ///< use the running maximum of the second moment (Reddi et al. 2018)
  bool maximize = false;       ///< ascend the objective instead of descending it
};

namespace detail {

/// The shared Adam/AdamW step; `decoupled` selects AdamW's weight decay.
template <class T, class Options>
void adam_family_update(T* param, const T* grad, T* exp_avg, T* exp_avg_sq, T* max_exp_avg_sq,
                        Index n, const Options& o, std::int64_t step, bool decoupled,
                        int num_threads) {
  const double beta1 = o.betas[0], beta2 = o.betas[1];
  const double bias_correction1 = 1 - std::pow(beta1, static_cast<double>(step));
  const double bias_correction2 = 1 - std::pow(beta2, static_cast<double>(step));
  const double step_size = o.lr / bias_correction1;
  const double bias_correction2_sqrt = std::sqrt(bias_correction2);
  const double l2 = decoupled ? 0.0 : o.weight_decay;
  // One chunk: load every buffer into registers, update, store (locals, so
  // the compiler need not assume the buffers alias).
  const auto chunk_step = [&](Index at, auto len) {
    using Chunk = ChunkArray<T, decltype(len)>;
    ChunkMap<T, decltype(len)> p_out(param + at, len), m_out(exp_avg + at, len),
        v_out(exp_avg_sq + at, len);
    const ConstChunkMap<T, decltype(len)> g(grad + at, len);
    Chunk p = p_out, m = m_out, v = v_out;
    if (decoupled) p = p * T(1 - o.lr * o.weight_decay);
    // The gradient is read straight from its buffer unless it must be
    // negated or decayed; the square root is taken of a copy of v (or vmax).
    auto moments = [&](const auto& d) {
      m = m * T(beta1) + T(1 - beta1) * d;
      v = v * T(beta2) + (T(1 - beta2) * d) * d;
    };
    if (!o.maximize && l2 == 0)
      moments(g);
    else
      moments(directed_gradient<T>(g, p, o.maximize, l2));
    Chunk root = v;
    if (o.amsgrad) {
      ChunkMap<T, decltype(len)> vmax(max_exp_avg_sq + at, len);
      root = vmax.max(v);
      vmax = root;
    }
    exact_sqrt_in_place(root.data(), len);
    p_out = p + (T(-step_size) * m) / (root / T(bias_correction2_sqrt) + T(o.eps));
    m_out = m;
    v_out = v;
  };
  for_each_chunk<T>(decoupled ? "adamw_update" : "adam_update", n, num_threads, chunk_step);
}

}  // namespace detail

/// One Adam step over contiguous buffers of n elements (one pass); `step` is
/// the 1-based step number:
///   d = ±g + wd p;  m = b1 m + (1 - b1) d;  v = b2 v + (1 - b2) d^2
///   vmax = max(vmax, v) (amsgrad, then used for v)
///   p = p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
/// `max_exp_avg_sq` may be null unless amsgrad.
template <class T>
void adam_update(T* param, const T* grad, T* exp_avg, T* exp_avg_sq, T* max_exp_avg_sq, Index n,
                 const AdamOptions& o, std::int64_t step, int num_threads = 0) {
  detail::adam_family_update(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, n, o, step, false,
                             num_threads);
}

/// One AdamW step: p *= 1 - lr wd, then the Adam update without L2 term.
template <class T>
void adamw_update(T* param, const T* grad, T* exp_avg, T* exp_avg_sq, T* max_exp_avg_sq, Index n,
                  const AdamWOptions& o, std::int64_t step, int num_threads = 0) {
  detail::adam_family_update(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, n, o, step, true,
                             num_threads);
}

namespace detail {

template <class Opts, bool Decoupled>
struct AdamFamilyRule {
  /// The hyper-parameters this rule reads.
  using Options = Opts;
  /// The rule's name in error messages and saved state.
  static constexpr const char* name = Decoupled ? "AdamW" : "Adam";

  /// Throws std::invalid_argument for options outside their ranges.
  static void validate(const Options& o) { check_adam_like(name, o); }

  /// Buffers: exp_avg, exp_avg_sq, and max_exp_avg_sq with amsgrad.
  template <class T>
  static void init_state(const Options& o, ParamState<T>& s, Index n) {
    zero_buffers(s, o.amsgrad ? 3 : 2, n);
  }

  /// One step of parameter p from gradient g (state.step already counts it).
  template <class T>
  static void update(const Options& o, ParamState<T>& s, T* p, const T* g, Index n, int threads) {
    if (o.amsgrad && s.buffers.size() < 3) s.buffers.push_back(Vector<T>::Zero(n));
    adam_family_update(p, g, s.buffers[0].data(), s.buffers[1].data(),
                       o.amsgrad ? s.buffers[2].data() : nullptr, n, o, s.step, Decoupled, threads);
  }
};

}  // namespace detail

/// The Adam rule. Buffers: exp_avg, exp_avg_sq, and max_exp_avg_sq with amsgrad.
using AdamRule = detail::AdamFamilyRule<AdamOptions, false>;
/// The AdamW rule; the same buffers as Adam's.
using AdamWRule = detail::AdamFamilyRule<AdamWOptions, true>;

/// Adam, torch.optim.Adam's semantics.
template <class T>
using Adam = Optimizer<T, AdamRule>;

/// AdamW, torch.optim.AdamW's semantics.
template <class T>
using AdamW = Optimizer<T, AdamWRule>;

}  // namespace mlprim

#endif  // MLPRIM_OPTIM_ADAM_HPP
