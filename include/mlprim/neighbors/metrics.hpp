// Distance metrics for the k-d tree and brute force, as small types.
//
// A metric works in an "accumulated" space where per-coordinate terms combine
// cheaply and monotonically: term(diff) for one coordinate, combine(acc, term)
// (a sum, or a max for Linf), to_distance(acc) for the reported distance and
// from_distance(r) for thresholds; `sums` says whether combine adds (the k-d
// tree then updates its cell bound incrementally) or takes a max. L2
// accumulates squared differences, so
// comparisons need no square root; the reported distance is Euclidean.
// `power` names the metric in saved trees (0 stands for infinity).
//
// Periodic<Base> wraps any of them on a torus, as SciPy's cKDTree `boxsize`.
#ifndef MLPRIM_NEIGHBORS_METRICS_HPP
#define MLPRIM_NEIGHBORS_METRICS_HPP

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

namespace mlprim {

/// Euclidean distance sqrt(sum (a_i - b_i)^2).
struct L2 {
  /// Tag in saved trees.
  static constexpr const char* name = "L2";
  /// Exponent tag in saved trees.
  static constexpr int power = 2;
  /// Terms add up (the tree updates cell bounds incrementally).
  static constexpr bool sums = true;
  /// diff^2: one coordinate's term in accumulated space.
  template <class S>
  S term(S diff) const {
    return diff * diff;
  }
  /// acc + t.
  template <class S>
  S combine(S acc, S t) const {
    return acc + t;
  }
  /// sqrt(acc): the reported distance.
  template <class S>
  S to_distance(S acc) const {
    return std::sqrt(acc);
  }
  /// r^2: a distance threshold in accumulated space.
  template <class S>
  S from_distance(S r) const {
    return r * r;
  }
  /// Accumulated-space factor of (1 + eps) on distances.
  template <class S>
  S eps_factor(S eps) const {
    return (1 + eps) * (1 + eps);
  }
};

/// Manhattan distance sum |a_i - b_i|.
struct L1 {
  /// Tag in saved trees.
  static constexpr const char* name = "L1";
  /// Exponent tag in saved trees.
  static constexpr int power = 1;
  /// Terms add up.
  static constexpr bool sums = true;
  /// |diff|.
  template <class S>
  S term(S diff) const {
    return std::abs(diff);
  }
  /// acc + t.
  template <class S>
  S combine(S acc, S t) const {
    return acc + t;
  }
  /// acc itself.
  template <class S>
  S to_distance(S acc) const {
    return acc;
  }
  /// r itself.
  template <class S>
  S from_distance(S r) const {
    return r;
  }
  /// 1 + eps.
  template <class S>
  S eps_factor(S eps) const {
    return 1 + eps;
  }
};

/// Chebyshev distance max |a_i - b_i|.
struct Linf {
  /// Tag in saved trees.
  static constexpr const char* name = "Linf";
  /// Exponent tag in saved trees (0 stands for infinity).
  static constexpr int power = 0;
  /// Terms combine by max, not sum.
  static constexpr bool sums = false;
  /// |diff|.
  template <class S>
  S term(S diff) const {
    return std::abs(diff);
  }
  /// max(acc, t).
  template <class S>
  S combine(S acc, S t) const {
    return acc > t ? acc : t;
  }
  /// acc itself.
  template <class S>
  S to_distance(S acc) const {
    return acc;
  }
  /// r itself.
  template <class S>
  S from_distance(S r) const {
    return r;
  }
  /// 1 + eps.
  template <class S>
  S eps_factor(S eps) const {
    return 1 + eps;
  }
};

/// Minkowski distance (sum |a_i - b_i|^P)^(1/P) for an integer P >= 1
/// (P = 1 and 2 are L1 and L2; prefer those types, which are faster).
template <int P>
struct Minkowski {
  static_assert(P >= 1, "mlprim::Minkowski<P> needs P >= 1");
  /// Tag in saved trees.
  static constexpr const char* name = "Minkowski";
  /// Exponent tag in saved trees: P.
  static constexpr int power = P;
  /// Terms add up.
  static constexpr bool sums = true;
  /// |diff|^P.
  template <class S>
  S term(S diff) const {
    const S a = std::abs(diff);
    S out = a;
    for (int i = 1; i < P; ++i) out *= a;
    return out;
  }
  /// acc + t.
  template <class S>
  S combine(S acc, S t) const {
    return acc + t;
  }
  /// acc^(1/P).
  template <class S>
  S to_distance(S acc) const {
    return std::pow(acc, S(1) / S(P));
  }
  /// r^P.
  template <class S>
  S from_distance(S r) const {
    return term(r);
  }
  /// (1 + eps)^P.
  template <class S>
  S eps_factor(S eps) const {
    return term(1 + eps);
  }
};

/// Base's distance on a torus (periodic boundary conditions, as SciPy's
/// cKDTree `boxsize`): along dimension j with box[j] = L > 0 the coordinate
/// difference is |a_j - b_j| folded to min(|a_j - b_j|, L - |a_j - b_j|);
/// box[j] = 0 leaves dimension j open. Points must lie in [0, L) along every
/// periodic dimension (the tree throws otherwise); queries are wrapped into
/// it first.
///
///   mlprim::Periodic<> torus({10, 10, 10});
///   mlprim::KDTree<double, 3, mlprim::Periodic<>> tree(points, {}, torus);
template <class Base = L2>
struct Periodic : Base {
  /// Marks periodic metrics.
  static constexpr bool periodic = true;
  std::vector<double> box;  ///< period per dimension; 0 = not periodic

  Periodic() = default;
  /// A torus with period box_sizes[j] along dimension j (0: open).
  explicit Periodic(std::vector<double> box_sizes, const Base& base = {})
      : Base(base), box(std::move(box_sizes)) {}
};

namespace detail {

/// True for Periodic<...> metrics.
template <class M, class = void>
struct is_periodic : std::false_type {};
template <class M>
struct is_periodic<M, std::void_t<decltype(M::periodic)>> : std::bool_constant<M::periodic> {};

/// |diff| on a ring of length L (L = 0: the real line). Needs |diff| < L.
template <class S>
S ring_difference(S diff, S L) {
  const S a = std::abs(diff);
  return L > 0 && a > L / 2 ? L - a : a;
}

/// metric.eps_factor(eps), the (1 + eps) of approximate search in
/// accumulated space, capped at the largest finite S: a huge eps then means
/// "any neighbour will do" instead of an infinite factor, whose product
/// with a zero cell bound (NaN) would prune subtrees that hold points.
template <class Metric, class S>
S search_eps_factor(const Metric& metric, S eps) {
  return std::min(metric.eps_factor(eps), std::numeric_limits<S>::max());
}

/// x mapped into [0, L) (L = 0: unchanged).
template <class S>
S wrap_into_box(S x, S L) {
  if (!(L > 0)) return x;
  S r = std::fmod(x, L);
  if (r < 0) r += L;
  return r < L ? r : S(0);  // r + L may round up to L
}

/// Distance from q to the interval [a, b] on a ring of length L (L = 0: the
/// real line), for q, a, b in [0, L).
template <class S>
S ring_gap(S q, S a, S b, S L) {
  if (q < a) return L > 0 ? std::min(a - q, q + L - b) : a - q;
  if (q > b) return L > 0 ? std::min(q - b, a + L - q) : q - b;
  return S(0);
}

}  // namespace detail
}  // namespace mlprim

#endif  // MLPRIM_NEIGHBORS_METRICS_HPP
