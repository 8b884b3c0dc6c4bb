// Dynamic loss scaling for low-precision training, with the semantics and
// defaults of torch.cuda.amp.GradScaler (Micikevicius et al. 2018, "Mixed
// Precision Training"):
//
//   loss = scaler.scale(loss);           // backward with the scaled loss
//   master.load_gradients();             // fp16 gradients -> fp32 (MasterWeights)
//   scaler.step(optimizer);              // unscale; skip the step on inf/NaN
//   scaler.update();                     // back off after overflow, grow after
//                                        // growth_interval clean steps
#ifndef MLPRIM_OPTIM_GRAD_SCALER_HPP
#define MLPRIM_OPTIM_GRAD_SCALER_HPP

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/core/types.hpp"

namespace mlprim {

/// GradScaler's settings; defaults are PyTorch's.
struct GradScalerOptions {
  double init_scale = 65536.0;          ///< 2^16
  double growth_factor = 2.0;           ///< > 1
  double backoff_factor = 0.5;          ///< in (0, 1)
  std::int64_t growth_interval = 2000;  ///< clean steps before growing
  bool enabled = true;                  ///< false: scale() is the identity, step() just steps
};

/// Dynamic loss scaler. `T` is the scalar of the gradients it unscales (the
/// fp32 master gradients in mixed-precision training).
template <class T>
class GradScaler {
 public:
  /// A scaler starting at options.init_scale; throws std::invalid_argument for
  /// an init_scale outside [min_scale, float max], a growth_factor <= 1 or not
  /// finite, a backoff_factor outside (0, 1) or a growth_interval < 1.
  explicit GradScaler(const GradScalerOptions& options = {}) : options_(options) {
    const char* fn = "GradScaler";
    // PyTorch keeps the scale in a float32 tensor; so must it fit one.
    const auto scale = static_cast<float>(options.init_scale);
    if (!(scale >= min_scale && scale <= std::numeric_limits<float>::max()))
      throw_invalid_argument(fn, "init_scale = ", options.init_scale,
                             " must be a float in [2^-126, 3.4e38] (finite, and with a finite "
                             "reciprocal)");
    if (!(options.growth_factor > 1.0) || !std::isfinite(options.growth_factor))
      throw_invalid_argument(fn, "growth_factor = ", options.growth_factor,
                             " must be finite and > 1");
    if (!(options.backoff_factor > 0.0 && options.backoff_factor < 1.0))
      throw_invalid_argument(fn, "backoff_factor = ", options.backoff_factor, " must be in (0, 1)");
    check_positive(fn, "growth_interval", options.growth_interval);
    scale_ = scale;
  }

  /// loss * scale (loss unchanged when disabled).
  template <class Loss>
  Loss scale(const Loss& loss) const {
    return options_.enabled ? static_cast<Loss>(loss * static_cast<Loss>(scale_)) : loss;
  }

  /// The current scale.
  double get_scale() const { return options_.enabled ? static_cast<double>(scale_) : 1.0; }

  /// Divides the optimizer's gradients by the scale and returns whether any
  /// was inf or NaN. At most once per optimizer between update() calls.
  template <class Opt>
  bool unscale(Opt& optimizer) {
    if (!options_.enabled) return false;
    Stage& stage = stage_of(&optimizer);
    if (stage.unscaled)
      throw_invalid_argument(
          "GradScaler::unscale",
          "unscale() was already called on this optimizer since the last update()");
    if (stage.stepped)
      throw_invalid_argument("GradScaler::unscale", "unscale() is invalid after step()");
    // As PyTorch: the reciprocal in double, rounded to float.
    const auto inv_scale = static_cast<T>(static_cast<float>(1.0 / static_cast<double>(scale_)));
    bool found_inf = false;
    for (auto& g : optimizer.gradients()) {
      found_inf = found_inf || !g.allFinite();
      g *= inv_scale;
    }
    stage.unscaled = true;
    stage.found_inf = found_inf;
    return found_inf;
  }

  /// Unscales (unless already done) and calls optimizer.step() unless a
  /// gradient was inf or NaN; returns whether the step was taken.
  template <class Opt>
  bool step(Opt& optimizer) {
    if (!options_.enabled) {
      optimizer.step();
      return true;
    }
    Stage& stage = stage_of(&optimizer);
    if (stage.stepped)
      throw_invalid_argument("GradScaler::step",
                             "step() was already called since the last update()");
    if (!stage.unscaled) unscale(optimizer);
    stage.stepped = true;
    if (stage.found_inf) {
      ++skipped_steps_;
      return false;
    }
    optimizer.step();
    return true;
  }

  /// Ends the iteration: scale *= backoff_factor if any unscaled gradient was
  /// inf/NaN, scale *= growth_factor after growth_interval clean iterations.
  /// Unlike PyTorch's, the scale never falls below min_scale (2^-126,
  /// float's smallest normal number) nor grows past float's largest: a
  /// scale of 0 would turn finite gradients into inf after the finiteness
  /// check and take a step of NaN.
  void update() {
    if (!options_.enabled) return;
    bool found_inf = false;
    for (const auto& entry : stages_) found_inf = found_inf || entry.second.found_inf;
    if (found_inf) {
      scale_ = std::max(scale_ * static_cast<float>(options_.backoff_factor), min_scale);
      growth_tracker_ = 0;
    } else if (++growth_tracker_ == options_.growth_interval) {
      const float grown = scale_ * static_cast<float>(options_.growth_factor);
      if (std::isfinite(grown)) scale_ = grown;
      growth_tracker_ = 0;
    }
    stages_.clear();
  }

  /// Steps skipped because of inf/NaN gradients so far.
  std::int64_t skipped_steps() const { return skipped_steps_; }

  /// The smallest scale: 2^-126, whose reciprocal 2^126 is still a finite float.
  static constexpr float min_scale = std::numeric_limits<float>::min();

 private:
  struct Stage {
    bool unscaled = false, stepped = false, found_inf = false;
  };

  Stage& stage_of(const void* optimizer) {
    for (auto& entry : stages_)
      if (entry.first == optimizer) return entry.second;
    stages_.emplace_back(optimizer, Stage{});
    return stages_.back().second;
  }

  GradScalerOptions options_;
  float scale_ = 65536.0f;
  std::int64_t growth_tracker_ = 0;
  std::int64_t skipped_steps_ = 0;
  std::vector<std::pair<const void*, Stage>> stages_;
};

}  // namespace mlprim

#endif  // MLPRIM_OPTIM_GRAD_SCALER_HPP
