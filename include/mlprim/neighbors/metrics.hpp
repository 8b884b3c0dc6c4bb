// Distance metrics for the k-d tree and brute force, as small types.
//
// A metric works in an "accumulated" space where per-coordinate terms combine
// cheaply and monotonically: term(diff) for one coordinate, combine(acc, term)
// (a sum, or a max for Linf), to_distance(acc) for the reported distance and
// from_distance(r) for thresholds; `sums` says whether combine adds (the k-d
// tree then updates its cell bound incrementally) or takes a max. L2
// accumulates squared differences, so
// comparisons need no square root; the reported distance is Euclidean.
#ifndef MLPRIM_NEIGHBORS_METRICS_HPP
#define MLPRIM_NEIGHBORS_METRICS_HPP

#include <cmath>

namespace mlprim {

/// Euclidean distance sqrt(sum (a_i - b_i)^2).
struct L2 {
  static constexpr const char* name = "L2";
  static constexpr bool sums = true;
  template <class S> S term(S diff) const { return diff * diff; }
  template <class S> S combine(S acc, S t) const { return acc + t; }
  template <class S> S to_distance(S acc) const { return std::sqrt(acc); }
  template <class S> S from_distance(S r) const { return r * r; }
  /// Accumulated-space factor of (1 + eps) on distances.
  template <class S> S eps_factor(S eps) const { return (1 + eps) * (1 + eps); }
};

/// Manhattan distance sum |a_i - b_i|.
struct L1 {
  static constexpr const char* name = "L1";
  static constexpr bool sums = true;
  template <class S> S term(S diff) const { return std::abs(diff); }
  template <class S> S combine(S acc, S t) const { return acc + t; }
  template <class S> S to_distance(S acc) const { return acc; }
  template <class S> S from_distance(S r) const { return r; }
  template <class S> S eps_factor(S eps) const { return 1 + eps; }
};

/// Chebyshev distance max |a_i - b_i|.
struct Linf {
  static constexpr const char* name = "Linf";
  static constexpr bool sums = false;
  template <class S> S term(S diff) const { return std::abs(diff); }
  template <class S> S combine(S acc, S t) const { return acc > t ? acc : t; }
  template <class S> S to_distance(S acc) const { return acc; }
  template <class S> S from_distance(S r) const { return r; }
  template <class S> S eps_factor(S eps) const { return 1 + eps; }
};

/// Minkowski distance (sum |a_i - b_i|^P)^(1/P) for an integer P >= 1
/// (P = 1 and 2 are L1 and L2; prefer those types, which are faster).
template <int P>
struct Minkowski {
  static_assert(P >= 1, "mlprim::Minkowski<P> needs P >= 1");
  static constexpr const char* name = "Minkowski";
  static constexpr bool sums = true;
  template <class S> S term(S diff) const {
    const S a = std::abs(diff);
    S out = a;
    for (int i = 1; i < P; ++i) out *= a;
    return out;
  }
  template <class S> S combine(S acc, S t) const { return acc + t; }
  template <class S> S to_distance(S acc) const { return std::pow(acc, S(1) / S(P)); }
  template <class S> S from_distance(S r) const { return term(r); }
  template <class S> S eps_factor(S eps) const { return term(1 + eps); }
};

}  // namespace mlprim

#endif  // MLPRIM_NEIGHBORS_METRICS_HPP
