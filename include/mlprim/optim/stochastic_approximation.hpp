// Stochastic approximation: root finding and minimisation from noisy
// observations, with the classic decreasing gain sequences.
#ifndef MLPRIM_OPTIM_STOCHASTIC_APPROXIMATION_HPP
#define MLPRIM_OPTIM_STOCHASTIC_APPROXIMATION_HPP

#include <cmath>
#include <cstdint>

#include "mlprim/core/error.hpp"
#include "mlprim/core/types.hpp"

namespace mlprim {
namespace detail {

/// a / (k + A)^alpha, the gain of step k = 1, 2, ...
inline double gain(double a, double A, double alpha, std::int64_t k) {
  return a / std::pow(static_cast<double>(k) + A, alpha);
}

inline void check_gain_exponent(const char* fn, double alpha) {
  if (!(alpha > 0.5 && alpha <= 1.0))
    throw_invalid_argument(fn, "alpha = ", alpha,
                           " must be in (0.5, 1] (the gains must sum to infinity, their squares "
                           "must not)");
}

}  // namespace detail

/// Gains of RobbinsMonro: a_k = a / (k + A)^alpha.
struct RobbinsMonroOptions {
  double a = 1.0;      ///< gain scale, > 0
  double A = 0.0;      ///< stability constant, >= 0 (delays the decay)
  double alpha = 1.0;  ///< gain decay exponent, in (0.5, 1]
};

/// Robbins & Monro (1951): finds w with E[g(w, noise)] = 0 for a g that
/// increases through its root, by w_{k+1} = w_k - a_k y_k where y_k is a
/// noisy observation of g(w_k) and a_k = a / (k + A)^alpha. With alpha = 1
/// and a large enough, the error falls as 1/sqrt(k).
template <class T>
class RobbinsMonro {
 public:
  /// Throws std::invalid_argument for gains outside the theory's ranges.
  explicit RobbinsMonro(const RobbinsMonroOptions& options = {}) : options_(options) {
    const char* fn = "RobbinsMonro";
    check_positive(fn, "a", options.a);
    check_finite(fn, "a", options.a);
    check_non_negative(fn, "A", options.A);
    check_finite(fn, "A", options.A);
    detail::check_gain_exponent(fn, options.alpha);
  }

  /// One update of w from the observation y (same shape as w).
  template <class W, class Y>
  void step(Eigen::MatrixBase<W>& w, const Eigen::MatrixBase<Y>& y) {
    if (w.rows() != y.rows() || w.cols() != y.cols())
      throw_invalid_argument("RobbinsMonro::step", "observation shape ", y.rows(), " x ", y.cols(),
                             " does not match w shape ", w.rows(), " x ", w.cols());
    ++k_;
    w -= static_cast<T>(detail::gain(options_.a, options_.A, options_.alpha, k_)) * y;
  }

  /// `iterations` steps with y = observe(w).
  template <class W, class Observe>
  void run(Eigen::MatrixBase<W>& w, Observe&& observe, std::int64_t iterations) {
    check_non_negative("RobbinsMonro::run", "iterations", iterations);
    for (std::int64_t i = 0; i < iterations; ++i)
      step(w, observe(static_cast<const W&>(w.derived())));
  }

  /// Steps taken so far.
  std::int64_t iteration() const { return k_; }

 private:
  RobbinsMonroOptions options_;
  std::int64_t k_ = 0;
};

/// Gains and difference widths of KieferWolfowitz.
struct KieferWolfowitzOptions {
  double a = 1.0;            ///< step gain scale, > 0
  double A = 0.0;            ///< stability constant, >= 0
  double alpha = 1.0;        ///< step gain exponent, in (0.5, 1]
  double c = 1.0;            ///< difference width scale, > 0
  double gamma = 1.0 / 6.0;  ///< width decay exponent, > 0 with alpha - gamma > 1/2
};

/// Kiefer & Wolfowitz (1952): minimises E[f(w, noise)] from noisy values only.
/// Each step estimates the gradient by central differences of width
/// c_k = c / k^gamma along every coordinate (2 d evaluations) and moves
/// w_{k+1} = w_k - a_k ghat_k, a_k = a / (k + A)^alpha. With alpha = 1 and
/// gamma = 1/6 the error falls as k^(-1/3).
template <class T>
class KieferWolfowitz {
 public:
  /// Throws std::invalid_argument for gains outside the theory's ranges.
  explicit KieferWolfowitz(const KieferWolfowitzOptions& options = {}) : options_(options) {
    const char* fn = "KieferWolfowitz";
    check_positive(fn, "a", options.a);
    check_finite(fn, "a", options.a);
    check_non_negative(fn, "A", options.A);
    check_finite(fn, "A", options.A);
    detail::check_gain_exponent(fn, options.alpha);
    check_positive(fn, "c", options.c);
    check_finite(fn, "c", options.c);
    check_positive(fn, "gamma", options.gamma);
    if (!(options.alpha - options.gamma > 0.5))
      throw_invalid_argument(fn, "alpha - gamma = ", options.alpha - options.gamma,
                             " must exceed 1/2 (sum of (a_k / c_k)^2 must be finite)");
  }

  /// One step: 2 w.size() evaluations of value(w).
  template <class W, class Value>
  void step(Eigen::MatrixBase<W>& w, Value&& value) {
    ++k_;
    const double a_k = detail::gain(options_.a, options_.A, options_.alpha, k_);
    const double c_k = options_.c / std::pow(static_cast<double>(k_), options_.gamma);
    typename W::PlainObject probe = w, estimate(w.rows(), w.cols());
    for (Index i = 0; i < w.size(); ++i) {
      const T original = probe(i);
      probe(i) = original + static_cast<T>(c_k);
      const double up =
          static_cast<double>(value(static_cast<const typename W::PlainObject&>(probe)));
      probe(i) = original - static_cast<T>(c_k);
      const double down =
          static_cast<double>(value(static_cast<const typename W::PlainObject&>(probe)));
      probe(i) = original;
      estimate(i) = static_cast<T>((up - down) / (2 * c_k));
    }
    w -= static_cast<T>(a_k) * estimate;
  }

  /// `iterations` calls of step().
  template <class W, class Value>
  void run(Eigen::MatrixBase<W>& w, Value&& value, std::int64_t iterations) {
    check_non_negative("KieferWolfowitz::run", "iterations", iterations);
    for (std::int64_t i = 0; i < iterations; ++i) step(w, value);
  }

  /// Steps taken so far (k).
  std::int64_t iteration() const { return k_; }

 private:
  KieferWolfowitzOptions options_;
  std::int64_t k_ = 0;
};

/// Running mean w_k = w_{k-1} - (w_{k-1} - x_k) / k (the Robbins-Monro
/// recursion with a_k = 1/k: after k samples w is their average), or with a
/// constant step eta, w_k = w_{k-1} - eta (w_{k-1} - x_k), an exponential
/// average that tracks a drifting mean.
template <class T>
class IncrementalMean {
 public:
  /// `dimension` entries per sample; step = 0 selects 1/k.
  explicit IncrementalMean(Index dimension, double step = 0.0) : step_(step) {
    check_non_negative("IncrementalMean", "dimension", dimension);
    check_in_range("IncrementalMean", "step", step, 0.0, 1.0);
    mean_.setZero(dimension);
  }

  /// Folds sample x (dimension entries) into the mean.
  template <class X>
  void add(const Eigen::MatrixBase<X>& x) {
    if (x.size() != mean_.size())
      throw_invalid_argument("IncrementalMean::add", "x.size() = ", x.size(),
                             " does not match the dimension ", mean_.size());
    ++count_;
    const T eta = step_ > 0 ? static_cast<T>(step_) : T(1) / static_cast<T>(count_);
    mean_ -= eta * (mean_ - x.derived().reshaped().template cast<T>());
  }

  /// The current mean (zeros before the first sample).
  const Vector<T>& mean() const { return mean_; }
  /// Samples added so far.
  std::int64_t count() const { return count_; }

 private:
  Vector<T> mean_;
  double step_;
  std::int64_t count_ = 0;
};

}  // namespace mlprim

#endif  // MLPRIM_OPTIM_STOCHASTIC_APPROXIMATION_HPP
