// minimize(f, x, optimizer): a training loop for a differentiable objective
// (ensmallen's Optimize(f, x) idea) with gradient-norm and
// relative-improvement tolerances and a callback that may stop it.
#ifndef MLPRIM_OPTIM_MINIMIZE_HPP
#define MLPRIM_OPTIM_MINIMIZE_HPP

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <type_traits>

#include "mlprim/core/error.hpp"
#include "mlprim/core/types.hpp"

namespace mlprim {

/// Why minimize() stopped.
enum class StopReason {
  max_iterations,        ///< took max_iterations steps
  gradient_tolerance,    ///< ||grad||_2 <= gradient_tolerance
  relative_improvement,  ///< |f_prev - f| <= relative_tolerance * max(|f_prev|, |f|)
  callback,              ///< the callback returned false
  non_finite,            ///< f or its gradient was inf/NaN; x is left as it was then
};

/// What the callback sees before each step.
struct MinimizeIteration {
  std::int64_t iteration;  ///< steps taken so far
  double value;            ///< f(x)
  double gradient_norm;    ///< ||grad f(x)||_2
};

/// Options of minimize().
struct MinimizeOptions {
  std::int64_t max_iterations = 1000;  ///< optimizer steps at most
  double gradient_tolerance = 1e-6;    ///< 0 disables
  double relative_tolerance = 0.0;     ///< 0 disables (stochastic objectives fluctuate)
  /// Called before each step; returning false stops the run.
  std::function<bool(const MinimizeIteration&)> callback;
};

/// What minimize() returns: where it stopped and why.
struct MinimizeReport {
  double value;             ///< f at the final x
  double gradient_norm;     ///< ||grad f|| at the final x
  std::int64_t iterations;  ///< steps taken
  StopReason reason;        ///< why the run stopped
};

/// Minimizes f by repeated optimizer steps on x. f(x, grad) returns f(x) and
/// writes grad f(x) into grad (a vector or matrix shaped like x). The
/// optimizer must have no parameters registered: minimize() registers x for
/// the run and clears the registration (and x's optimizer state) on return.
/// Complexity: one evaluation of f and one optimizer step per iteration.
template <class F, class Derived, class Opt>
MinimizeReport minimize(F&& f, Eigen::PlainObjectBase<Derived>& x, Opt& optimizer,
                        const MinimizeOptions& options = {}) {
  const char* fn = "minimize";
  check_non_negative(fn, "max_iterations", options.max_iterations);
  check_non_negative(fn, "gradient_tolerance", options.gradient_tolerance);
  check_non_negative(fn, "relative_tolerance", options.relative_tolerance);
  for (Index g = 0; g < optimizer.num_groups(); ++g)
    if (optimizer.num_params(g) != 0)
      throw_invalid_argument(fn, "the optimizer already has parameters in group ", g,
                             "; pass one with none");
  typename Derived::PlainObject grad = Derived::PlainObject::Zero(x.rows(), x.cols());
  struct Registration {
    Opt& optimizer;
    ~Registration() { optimizer.clear_params(); }
  } registration{optimizer};
  optimizer.add_param(x, grad);

  double previous = 0;
  for (std::int64_t k = 0;; ++k) {
    const double value = static_cast<double>(f(static_cast<const Derived&>(x.derived()), grad));
    const double gradient_norm = static_cast<double>(grad.norm());
    MinimizeReport report{value, gradient_norm, k, StopReason::max_iterations};
    if (!std::isfinite(value) || !std::isfinite(gradient_norm)) {
      report.reason = StopReason::non_finite;
      return report;
    }
    if (options.callback && !options.callback(MinimizeIteration{k, value, gradient_norm})) {
      report.reason = StopReason::callback;
      return report;
    }
    if (gradient_norm <= options.gradient_tolerance) {
      report.reason = StopReason::gradient_tolerance;
      return report;
    }
    if (k > 0 && options.relative_tolerance > 0 &&
        std::abs(previous - value) <=
            options.relative_tolerance * std::max(std::abs(previous), std::abs(value))) {
      report.reason = StopReason::relative_improvement;
      return report;
    }
    if (k == options.max_iterations) return report;
    previous = value;
    optimizer.step();
  }
}

}  // namespace mlprim

#endif  // MLPRIM_OPTIM_MINIMIZE_HPP
