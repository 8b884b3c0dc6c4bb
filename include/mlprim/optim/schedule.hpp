// Learning-rate schedules with torch.optim.lr_scheduler's semantics, as small
// value types: lr(step) gives the learning rate after `step` calls of
// PyTorch's scheduler.step() for the schedule's own base_lr, lr(step, base_lr)
// for another, from PyTorch's closed form where it has one; and
// apply(optimizer, step) sets every parameter group's lr from the group's
// initial_lr (OneCycleLR also sets momentum / beta1, as PyTorch does).
//
//   mlprim::CosineAnnealingLR cosine{/*T_max=*/100};
//   for (std::int64_t epoch = 0; epoch < 100; ++epoch) { cosine.apply(opt, epoch); train(); }
#ifndef MLPRIM_OPTIM_SCHEDULE_HPP
#define MLPRIM_OPTIM_SCHEDULE_HPP

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/core/types.hpp"

namespace mlprim {
namespace detail {

inline constexpr double pi = 3.14159265358979323846;

inline void check_step(const char* fn, std::int64_t step) { check_non_negative(fn, "step", step); }

/// Sets each group's lr to schedule.lr(step, initial_lr of the group).
template <class Schedule, class Opt>
void apply_lr(const Schedule& schedule, Opt& optimizer, std::int64_t step) {
  for (Index g = 0; g < optimizer.num_groups(); ++g)
    optimizer.set_lr(schedule.lr(step, optimizer.initial_lr(g)), g);
}

}  // namespace detail

/// StepLR: base_lr * gamma^floor(step / step_size).
struct StepLR {
  std::int64_t step_size = 1;  ///< steps between decays, > 0
  double gamma = 0.1;          ///< decay factor (PyTorch's default)
  double base_lr = 1.0;        ///< the lr that lr(step) scales; apply() uses each group's instead

  /// The lr after `step` scheduler steps, scaling this schedule's base_lr.
  double lr(std::int64_t step) const { return lr(step, base_lr); }

  /// The lr after `step` scheduler steps for a group whose initial lr is `base`.
  double lr(std::int64_t step, double base) const {
    detail::check_step("StepLR::lr", step);
    check_positive("StepLR::lr", "step_size", step_size);
    check_finite("StepLR::lr", "gamma", gamma);
    return base * std::pow(gamma, static_cast<double>(step / step_size));
  }
  /// Sets every parameter group's lr to lr(step, the group's initial_lr).
  template <class Opt>
  void apply(Opt& optimizer, std::int64_t step) const {
    detail::apply_lr(*this, optimizer, step);
  }
};

/// MultiStepLR: base_lr * gamma^(number of milestones <= step).
struct MultiStepLR {
  std::vector<std::int64_t> milestones;  ///< increasing steps at which lr decays
  double gamma = 0.1;                    ///< decay factor (PyTorch's default)
  double base_lr = 1.0;  ///< the lr that lr(step) scales; apply() uses each group's instead

  /// The lr after `step` scheduler steps, scaling this schedule's base_lr.
  double lr(std::int64_t step) const { return lr(step, base_lr); }

  /// The lr after `step` scheduler steps for a group whose initial lr is `base`.
  double lr(std::int64_t step, double base) const {
    detail::check_step("MultiStepLR::lr", step);
    check_finite("MultiStepLR::lr", "gamma", gamma);
    if (!std::is_sorted(milestones.begin(), milestones.end()))
      throw_invalid_argument("MultiStepLR::lr", "milestones must be increasing");
    const auto passed =
        std::upper_bound(milestones.begin(), milestones.end(), step) - milestones.begin();
    return base * std::pow(gamma, static_cast<double>(passed));
  }
  /// Sets every parameter group's lr to lr(step, the group's initial_lr).
  template <class Opt>
  void apply(Opt& optimizer, std::int64_t step) const {
    detail::apply_lr(*this, optimizer, step);
  }
};

/// ExponentialLR: base_lr * gamma^step.
struct ExponentialLR {
  double gamma = 1.0;    ///< decay factor per step
  double base_lr = 1.0;  ///< the lr that lr(step) scales; apply() uses each group's instead

  /// The lr after `step` scheduler steps, scaling this schedule's base_lr.
  double lr(std::int64_t step) const { return lr(step, base_lr); }

  /// The lr after `step` scheduler steps for a group whose initial lr is `base`.
  double lr(std::int64_t step, double base) const {
    detail::check_step("ExponentialLR::lr", step);
    check_finite("ExponentialLR::lr", "gamma", gamma);
    return base * std::pow(gamma, static_cast<double>(step));
  }
  /// Sets every parameter group's lr to lr(step, the group's initial_lr).
  template <class Opt>
  void apply(Opt& optimizer, std::int64_t step) const {
    detail::apply_lr(*this, optimizer, step);
  }
};

/// CosineAnnealingLR (Loshchilov & Hutter 2017, without restarts):
/// eta_min + (base_lr - eta_min) (1 + cos(pi step / T_max)) / 2; past T_max
/// the cosine continues, as PyTorch's does.
struct CosineAnnealingLR {
  std::int64_t T_max = 1;  ///< half period in steps, > 0
  double eta_min = 0.0;    ///< lowest lr
  double base_lr = 1.0;    ///< the lr that lr(step) scales; apply() uses each group's instead

  /// The lr after `step` scheduler steps, scaling this schedule's base_lr.
  double lr(std::int64_t step) const { return lr(step, base_lr); }

  /// The lr after `step` scheduler steps for a group whose initial lr is `base`.
  double lr(std::int64_t step, double base) const {
    detail::check_step("CosineAnnealingLR::lr", step);
    check_positive("CosineAnnealingLR::lr", "T_max", T_max);
    check_finite("CosineAnnealingLR::lr", "eta_min", eta_min);
    return eta_min +
           (base - eta_min) *
               (1 + std::cos(detail::pi * static_cast<double>(step) / static_cast<double>(T_max))) /
               2;
  }
  /// Sets every parameter group's lr to lr(step, the group's initial_lr).
  template <class Opt>
  void apply(Opt& optimizer, std::int64_t step) const {
    detail::apply_lr(*this, optimizer, step);
  }
};

/// CosineAnnealingWarmRestarts (SGDR, Loshchilov & Hutter 2017): cosine
/// annealing over periods T_0, T_0 T_mult, T_0 T_mult^2, ..., restarting at
/// base_lr at the start of each.
struct CosineAnnealingWarmRestarts {
  std::int64_t T_0 = 1;     ///< first period, > 0
  std::int64_t T_mult = 1;  ///< period growth factor, >= 1
  double eta_min = 0.0;     ///< lowest lr
  double base_lr = 1.0;     ///< the lr that lr(step) scales; apply() uses each group's instead

  /// The lr after `step` scheduler steps, scaling this schedule's base_lr.
  double lr(std::int64_t step) const { return lr(step, base_lr); }

  /// The lr after `step` scheduler steps for a group whose initial lr is `base`.
  double lr(std::int64_t step, double base) const {
    const char* fn = "CosineAnnealingWarmRestarts::lr";
    detail::check_step(fn, step);
    check_positive(fn, "T_0", T_0);
    if (T_mult < 1) throw_invalid_argument(fn, "T_mult = ", T_mult, " must be >= 1");
    check_finite(fn, "eta_min", eta_min);
    // t_cur: steps into the current period, of length `period` (held as a
    // double: once the next period no longer fits an int64, no step reaches
    // past it).
    std::int64_t t_cur = step;
    double period = static_cast<double>(T_0);
    if (T_mult == 1) {
      t_cur = step % T_0;
    } else {
      for (std::int64_t t_i = T_0; t_cur >= t_i;) {
        t_cur -= t_i;
        period = static_cast<double>(t_i) * static_cast<double>(T_mult);
        if (t_i > std::numeric_limits<std::int64_t>::max() / T_mult) break;
        t_i *= T_mult;
      }
    }
    return eta_min +
           (base - eta_min) * (1 + std::cos(detail::pi * static_cast<double>(t_cur) / period)) / 2;
  }
  /// Sets every parameter group's lr to lr(step, the group's initial_lr).
  template <class Opt>
  void apply(Opt& optimizer, std::int64_t step) const {
    detail::apply_lr(*this, optimizer, step);
  }
};

/// LinearLR: base_lr times a factor going linearly from start_factor to
/// end_factor over total_iters steps, then constant (a common warmup).
struct LinearLR {
  double start_factor = 1.0 / 3;  ///< in (0, 1]
  double end_factor = 1.0;        ///< in [0, 1]
  std::int64_t total_iters = 5;   ///< > 0
  double base_lr = 1.0;  ///< the lr that lr(step) scales; apply() uses each group's instead

  /// The lr after `step` scheduler steps, scaling this schedule's base_lr.
  double lr(std::int64_t step) const { return lr(step, base_lr); }

  /// The lr after `step` scheduler steps for a group whose initial lr is `base`.
  double lr(std::int64_t step, double base) const {
    const char* fn = "LinearLR::lr";
    detail::check_step(fn, step);
    if (!(start_factor > 0 && start_factor <= 1))
      throw_invalid_argument(fn, "start_factor = ", start_factor, " must be in (0, 1]");
    check_in_range(fn, "end_factor", end_factor, 0.0, 1.0);
    check_positive(fn, "total_iters", total_iters);
    return base * (start_factor + (end_factor - start_factor) *
                                      static_cast<double>(std::min(total_iters, step)) /
                                      static_cast<double>(total_iters));
  }
  /// Sets every parameter group's lr to lr(step, the group's initial_lr).
  template <class Opt>
  void apply(Opt& optimizer, std::int64_t step) const {
    detail::apply_lr(*this, optimizer, step);
  }
};

/// OneCycleLR (Smith & Topin 2018, "Super-Convergence"): from max_lr /
/// div_factor up to max_lr over pct_start of total_steps, then down to
/// max_lr / (div_factor final_div_factor); with three_phase, back to the
/// initial lr first. Momentum (or Adam's beta1) cycles inversely between
/// max_momentum and base_momentum. The base lr of the optimizer is ignored,
/// as in PyTorch. Steps go from 0 to total_steps.
struct OneCycleLR {
  /// How a phase goes from its start to its end value.
  enum class Anneal { cos, linear };

  double max_lr = 0.1;                   ///< the peak lr
  std::int64_t total_steps = 1;          ///< > 0
  double pct_start = 0.3;                ///< fraction of steps spent increasing lr, in [0, 1]
  Anneal anneal_strategy = Anneal::cos;  ///< cosine (PyTorch's default) or linear
  bool cycle_momentum = true;            ///< also cycle momentum / betas[0] (apply())
  double base_momentum = 0.85;           ///< momentum at the peak lr
  double max_momentum = 0.95;            ///< momentum at the lowest lr
  double div_factor = 25.0;              ///< initial lr = max_lr / div_factor
  double final_div_factor = 1e4;         ///< min lr = initial lr / final_div_factor
  bool three_phase = false;              ///< back to the initial lr before the final decay

  /// The lr at `step` (any base lr is ignored, as in PyTorch).
  double lr(std::int64_t step, double /*base*/ = 0.0) const { return evaluate(step).first; }
  /// The momentum (or betas[0]) at `step`.
  double momentum(std::int64_t step) const { return evaluate(step).second; }

  /// Sets lr, and momentum (SGD, RMSprop) or betas[0] (Adam family) when
  /// cycle_momentum is on, in every group.
  template <class Opt>
  void apply(Opt& optimizer, std::int64_t step) const {
    const auto [lr_value, momentum_value] = evaluate(step);
    for (Index g = 0; g < optimizer.num_groups(); ++g) {
      auto options = optimizer.options(g);
      options.lr = lr_value;
      if (cycle_momentum) {
        if constexpr (has_betas<decltype(options)>::value)
          options.betas[0] = momentum_value;
        else if constexpr (has_momentum<decltype(options)>::value)
          options.momentum = momentum_value;
        else
          throw_invalid_argument("OneCycleLR::apply",
                                 "cycle_momentum = true needs an optimizer with momentum or betas");
      }
      optimizer.set_options(options, g);
    }
  }

 private:
  template <class O, class = void>
  struct has_betas : std::false_type {};
  template <class O>
  struct has_betas<O, std::void_t<decltype(std::declval<O&>().betas[0])>> : std::true_type {};
  template <class O, class = void>
  struct has_momentum : std::false_type {};
  template <class O>
  struct has_momentum<O, std::void_t<decltype(std::declval<O&>().momentum)>> : std::true_type {};

  double anneal(double start, double end, double pct) const {
    if (anneal_strategy == Anneal::cos)
      return end + (start - end) / 2.0 * (std::cos(detail::pi * pct) + 1);
    return (end - start) * pct + start;
  }

  std::pair<double, double> evaluate(std::int64_t step) const {
    const char* fn = "OneCycleLR::lr";
    detail::check_step(fn, step);
    check_positive(fn, "total_steps", total_steps);
    check_at_most(fn, "step", step, total_steps, "total_steps");
    check_in_range(fn, "pct_start", pct_start, 0.0, 1.0);
    check_non_negative(fn, "max_lr", max_lr);
    check_positive(fn, "div_factor", div_factor);
    check_positive(fn, "final_div_factor", final_div_factor);
    for (const auto& [name, value] : {std::pair<const char*, double>{"max_lr", max_lr},
                                      {"div_factor", div_factor},
                                      {"final_div_factor", final_div_factor},
                                      {"base_momentum", base_momentum},
                                      {"max_momentum", max_momentum}})
      check_finite(fn, name, value);
    const double initial_lr = max_lr / div_factor, min_lr = initial_lr / final_div_factor;
    const double total = static_cast<double>(total_steps);
    struct Phase {
      double end_step, start_lr, end_lr, start_momentum, end_momentum;
    };
    std::vector<Phase> phases;
    if (three_phase) {
      phases = {{pct_start * total - 1, initial_lr, max_lr, max_momentum, base_momentum},
                {2 * pct_start * total - 2, max_lr, initial_lr, base_momentum, max_momentum},
                {total - 1, initial_lr, min_lr, max_momentum, max_momentum}};
    } else {
      phases = {{pct_start * total - 1, initial_lr, max_lr, max_momentum, base_momentum},
                {total - 1, max_lr, min_lr, base_momentum, max_momentum}};
    }
    const double t = static_cast<double>(step);
    double start_step = 0;
    for (std::size_t i = 0; i < phases.size(); ++i) {
      const Phase& phase = phases[i];
      if (t <= phase.end_step || i + 1 == phases.size()) {
        // A phase of no length (pct_start = 0 or 1) is complete once reached.
        const double length = phase.end_step - start_step;
        const double pct = length > 0 ? (t - start_step) / length : 1.0;
        return {anneal(phase.start_lr, phase.end_lr, pct),
                anneal(phase.start_momentum, phase.end_momentum, pct)};
      }
      start_step = phase.end_step;
    }
    return {min_lr, max_momentum};  // not reached: the last phase always matches
  }
};

/// Schedules in sequence (PyTorch's SequentialLR): schedule i runs from
/// milestone i-1 (0 for the first) and sees steps counted from there.
template <class... Schedules>
class SequentialLR {
 public:
  /// Schedule i runs from milestones[i - 1] on; milestones must be positive
  /// and increasing, one fewer than the schedules.
  SequentialLR(std::vector<std::int64_t> milestones, Schedules... schedules)
      : milestones_(std::move(milestones)), schedules_(std::move(schedules)...) {
    if (milestones_.size() + 1 != sizeof...(Schedules))
      throw_invalid_argument("sequential", "milestones has ", milestones_.size(),
                             " entries; it needs one fewer than the ", sizeof...(Schedules),
                             " schedules");
    for (std::size_t i = 0; i < milestones_.size(); ++i)
      if (milestones_[i] <= (i == 0 ? 0 : milestones_[i - 1]))
        throw_invalid_argument("sequential", "milestones[", i, "] = ", milestones_[i],
                               " must be positive and above the previous milestone");
  }

  /// Every schedule scaled from base_lr (what apply() uses, per group).
  double lr(std::int64_t step, double base) const {
    detail::check_step("SequentialLR::lr", step);
    const std::size_t index = segment(step);
    const std::int64_t start = index == 0 ? 0 : milestones_[index - 1];
    double out = 0;
    visit(index, [&](const auto& schedule) { out = schedule.lr(step - start, base); });
    return out;
  }
  /// Each schedule with its own base_lr.
  double lr(std::int64_t step) const {
    detail::check_step("SequentialLR::lr", step);
    const std::size_t index = segment(step);
    const std::int64_t start = index == 0 ? 0 : milestones_[index - 1];
    double out = 0;
    visit(index, [&](const auto& schedule) { out = schedule.lr(step - start); });
    return out;
  }

  /// Sets every parameter group's lr to lr(step, the group's initial_lr).
  template <class Opt>
  void apply(Opt& optimizer, std::int64_t step) const {
    detail::apply_lr(*this, optimizer, step);
  }

 private:
  std::size_t segment(std::int64_t step) const {
    return static_cast<std::size_t>(std::upper_bound(milestones_.begin(), milestones_.end(), step) -
                                    milestones_.begin());
  }

  template <class Fn, std::size_t... I>
  void visit(std::size_t index, Fn&& fn, std::index_sequence<I...>) const {
    ((I == index ? (fn(std::get<I>(schedules_)), 0) : 0), ...);
  }
  template <class Fn>
  void visit(std::size_t index, Fn&& fn) const {
    visit(index, fn, std::index_sequence_for<Schedules...>{});
  }

  std::vector<std::int64_t> milestones_;
  std::tuple<Schedules...> schedules_;
};

/// Chains schedules, e.g. warmup then decay:
///   auto schedule = mlprim::sequential({100}, mlprim::LinearLR{0.01, 1.0, 100},
///                                      mlprim::CosineAnnealingLR{900});
template <class... Schedules>
SequentialLR<Schedules...> sequential(std::vector<std::int64_t> milestones,
                                      Schedules... schedules) {
  return SequentialLR<Schedules...>(std::move(milestones), std::move(schedules)...);
}

}  // namespace mlprim

#endif  // MLPRIM_OPTIM_SCHEDULE_HPP
