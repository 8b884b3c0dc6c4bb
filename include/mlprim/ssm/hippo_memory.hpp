// HiPPO-LegS online function approximation (Gu et al. 2020, Sec. 3 and
// Appendix D.3): the coefficients c(t) of the projection of the whole
// history f([0, t]) onto scaled Legendre polynomials follow
//   dc/dt = (1/t) A c + (1/t) B f,    (A, B) = hippo::legs(N),
// and the history is read back as
//   f(x) ~ sum_n c_n sqrt(2n+1) P_n(2x/t - 1),   0 <= x <= t.
#ifndef MLPRIM_SSM_HIPPO_MEMORY_HPP
#define MLPRIM_SSM_HIPPO_MEMORY_HPP

#include <cmath>
#include <cstdint>

#include "mlprim/core/error.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/ssm/hippo.hpp"

namespace mlprim {

/// Online memory of a signal's whole history in N scaled-Legendre
/// coefficients. Sample k (k = 1, 2, ...) advances the time-varying system
/// (A/k, B/k) by one step of the bilinear transform,
///   (I - A/(2k)) c_k = (I + A/(2k)) c_{k-1} + (B/k) f_k,
/// a lower-triangular solve (LegS's A is lower triangular), O(N^2) per
/// sample. Scale invariance of LegS makes the result independent of the
/// sampling rate: samples are taken as equally spaced over the history.
template <class T>
class HippoLegSMemory {
 public:
  /// A memory of N >= 1 coefficients, empty (no sample yet).
  explicit HippoLegSMemory(Index N)
      : system_(hippo::legs<T>((check_positive("HippoLegSMemory", "N", N), N))),
        c_(Vector<T>::Zero(N)) {}

  /// Consumes the next sample f_k (NaN and infinities propagate).
  void update(T f) {
    ++samples_;
    const T step = T(1) / static_cast<T>(samples_);
    const Vector<T> rhs = c_ + (step / 2) * (system_.A * c_) + step * system_.B * f;
    Matrix<T> left = -(step / 2) * system_.A;
    left.diagonal().array() += T(1);
    c_ = left.template triangularView<Eigen::Lower>().solve(rhs);
  }

  /// Consumes every entry of `f` in order.
  template <class Derived>
  void update(const Eigen::MatrixBase<Derived>& f) {
    for (Index i = 0; i < f.size(); ++i) update(static_cast<T>(f.derived()(i)));
  }

  /// The current coefficients c (N).
  const Vector<T>& coefficients() const { return c_; }
  /// Samples consumed so far.
  std::int64_t samples() const { return samples_; }

  /// The history's Legendre expansion at `grid` (each entry in [0, 1]: 0 is
  /// the start of the history, k/K the time of sample k of K, 1 the latest):
  ///   f(s) ~ sum_n c_n sqrt(2n+1) P_n(2s - 1),
  /// with P_n by the three-term recurrence. Throws outside [0, 1].
  template <class Derived>
  Vector<T> reconstruct(const Eigen::MatrixBase<Derived>& grid) const {
    Vector<T> out(grid.size());
    for (Index i = 0; i < grid.size(); ++i) {
      const T s = static_cast<T>(grid.derived()(i));
      check_in_range("HippoLegSMemory::reconstruct", "grid value", s, T(0), T(1));
      const T x = 2 * s - 1;
      T p_prev = 1, p = x, sum = c_(0);
      for (Index n = 1; n < c_.size(); ++n) {
        sum += c_(n) * std::sqrt(static_cast<T>(2 * n + 1)) * p;
        const T dn = static_cast<T>(n);
        const T next = ((2 * dn + 1) * x * p - dn * p_prev) / (dn + 1);
        p_prev = p;
        p = next;
      }
      out(i) = sum;
    }
    return out;
  }

 private:
  StateSpace<T> system_;
  Vector<T> c_;
  std::int64_t samples_ = 0;
};

}  // namespace mlprim

#endif  // MLPRIM_SSM_HIPPO_MEMORY_HPP
