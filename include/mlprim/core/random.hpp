// Seeded, portable random numbers.
//
// `Rng` is xoshiro256** (Blackman & Vigna, "Scrambled linear pseudorandom
// number generators", 2021) with its 256-bit state filled by SplitMix64 from a
// 64-bit seed. Every draw below is defined by integer arithmetic or exact
// scaling, so the same seed gives the same numbers with every compiler and
// standard library (std::*_distribution gives no such promise). The one
// exception is normal(): it calls std::log and std::sqrt (Marsaglia's polar
// method), so it matches to the last bit wherever std::log is correctly
// rounded and the compiler does not fuse multiply-adds; elsewhere it agrees to
// within a few ulp.
#ifndef MLPRIM_CORE_RANDOM_HPP
#define MLPRIM_CORE_RANDOM_HPP

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/core/types.hpp"

namespace mlprim {

/// SplitMix64 (Steele, Lea & Flood 2014): a 64-bit counter passed through a
/// bijective mixer. Used to expand seeds; fine on its own for hashing.
class SplitMix64 {
 public:
  /// A generator whose state starts at `seed`.
  explicit constexpr SplitMix64(std::uint64_t seed) noexcept : state_(seed) {}

  /// The next 64-bit output (Vigna's splitmix64 step).
  constexpr std::uint64_t operator()() noexcept {
    state_ += 0x9e3779b97f4a7c15ULL;
    return mix(state_);
  }

  /// Output i (from 0) of SplitMix64(seed), without stepping through the
  /// ones before: random access, for per-item draws that must not depend on
  /// which items a process holds (rows sharded over ranks).
  static constexpr std::uint64_t at(std::uint64_t seed, std::uint64_t i) noexcept {
    return mix(seed + (i + 1) * 0x9e3779b97f4a7c15ULL);
  }

  /// The output mixer alone; a bijection with mix(0) == 0.
  static constexpr std::uint64_t mix(std::uint64_t z) noexcept {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  std::uint64_t state_;
};

/// The top 53 of 64 random bits as a double uniform in [0, 1).
constexpr double unit_interval(std::uint64_t bits) noexcept {
  return static_cast<double>(bits >> 11) * 0x1.0p-53;
}

/// The generator every mlprim function that makes a random choice uses.
/// Satisfies UniformRandomBitGenerator. Cheap to copy; a copy continues the
/// same sequence. Not thread-safe: give each thread its own (see stream()).
class Rng {
 public:
  /// The output type (the UniformRandomBitGenerator concept).
  using result_type = std::uint64_t;

  /// Seeds the 256-bit state with four SplitMix64 outputs of `seed`.
  explicit Rng(std::uint64_t seed = 0) noexcept { reseed(seed); }

  /// Independent stream `stream_id` of `seed`, e.g. one per thread or per tree:
  /// seeded from seed ^ SplitMix64::mix(stream_id), so stream 0 is Rng(seed)
  /// and different streams of one seed never share a starting state.
  static Rng stream(std::uint64_t seed, std::uint64_t stream_id) noexcept {
    return Rng(seed ^ SplitMix64::mix(stream_id));
  }

  /// A generator at an exact xoshiro256** state (e.g. one saved with state()).
  /// The all-zero state is a fixed point of the recurrence and throws.
  static Rng from_state(const std::array<std::uint64_t, 4>& state) {
    if (state[0] == 0 && state[1] == 0 && state[2] == 0 && state[3] == 0)
      throw_invalid_argument("Rng::from_state", "state = {0, 0, 0, 0} is degenerate");
    Rng rng;
    for (std::size_t i = 0; i < 4; ++i) rng.state_[i] = state[i];
    return rng;
  }

  /// The 256-bit state. A pending second normal() draw is not part of it.
  std::array<std::uint64_t, 4> state() const noexcept {
    return {state_[0], state_[1], state_[2], state_[3]};
  }

  /// Restarts the generator as Rng(seed) would.
  void reseed(std::uint64_t seed) noexcept {
    SplitMix64 expand(seed);
    for (auto& word : state_) word = expand();
    has_spare_ = false;
  }

  /// The smallest output, 0.
  static constexpr result_type min() noexcept { return 0; }
  /// The largest output, 2^64 - 1.
  static constexpr result_type max() noexcept { return std::numeric_limits<result_type>::max(); }

  /// Next 64 random bits (xoshiro256**).
  result_type operator()() noexcept {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  /// Next 32 random bits (the high half of operator(), the better half).
  std::uint32_t next_u32() noexcept { return static_cast<std::uint32_t>((*this)() >> 32); }

  /// Uniform in [0, 1): double from the top 53 bits, float from the top 24,
  /// Eigen::half / bfloat16 by rounding a float draw (which may round up to 1).
  template <class T = double>
  T uniform() noexcept {
    if constexpr (std::is_same_v<T, double>) {
      return unit_interval((*this)());
    } else if constexpr (std::is_same_v<T, float>) {
      return static_cast<float>((*this)() >> 40) * 0x1.0p-24f;
    } else {
      return static_cast<T>(uniform<float>());
    }
  }

  /// lo + (hi - lo) * uniform<T>(): uniform in [lo, hi) (rounding in T can
  /// give hi when the range is wide). Throws unless lo <= hi
  /// and both are finite.
  template <class T>
  T uniform(T lo, T hi) {
    check_finite("Rng::uniform", "lo", lo);
    check_finite("Rng::uniform", "hi", hi);
    if (!(lo <= hi)) throw_invalid_argument("Rng::uniform", "lo = ", lo, " exceeds hi = ", hi);
    return static_cast<T>(lo + (hi - lo) * uniform<T>());
  }

  /// Standard normal N(0, 1) by Marsaglia's polar method in double; the second
  /// value of each pair is kept for the next call.
  template <class T = double>
  T normal() {
    if (has_spare_) {
      has_spare_ = false;
      return static_cast<T>(spare_);
    }
    double u, v, s;
    do {
      u = 2.0 * uniform<double>() - 1.0;
      v = 2.0 * uniform<double>() - 1.0;
      s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    const double factor = std::sqrt(-2.0 * std::log(s) / s);
    spare_ = v * factor;
    has_spare_ = true;
    return static_cast<T>(u * factor);
  }

  /// N(mean, stddev^2). Throws unless stddev >= 0 and both are finite.
  template <class T>
  T normal(T mean, T stddev) {
    check_finite("Rng::normal", "mean", mean);
    check_finite("Rng::normal", "stddev", stddev);
    check_non_negative("Rng::normal", "stddev", stddev);
    return static_cast<T>(mean + stddev * normal<T>());
  }

  /// Uniform integer in [0, n) without modulo bias: Lemire's multiply-shift
  /// with rejection ("Fast random integer generation in an interval", 2019)
  /// for n <= 2^32, masked rejection above. n = 0 throws.
  std::uint64_t below(std::uint64_t n) {
    if (n == 0) throw_invalid_argument("Rng::below", "n = ", n, " must be positive");
    if (n <= (std::uint64_t{1} << 32)) {
      std::uint64_t product = std::uint64_t{next_u32()} * n;
      auto low = static_cast<std::uint32_t>(product);
      if (low < n) {
        const auto threshold = static_cast<std::uint32_t>((std::uint64_t{1} << 32) % n);
        while (low < threshold) {
          product = std::uint64_t{next_u32()} * n;
          low = static_cast<std::uint32_t>(product);
        }
      }
      return product >> 32;
    }
    std::uint64_t mask = n - 1;
    mask |= mask >> 1;
    mask |= mask >> 2;
    mask |= mask >> 4;
    mask |= mask >> 8;
    mask |= mask >> 16;
    mask |= mask >> 32;
    std::uint64_t x;
    do {
      x = (*this)() & mask;
    } while (x >= n);
    return x;
  }

  /// Uniform integer in the closed range [lo, hi]. Throws if lo > hi.
  template <class Int>
  Int uniform_int(Int lo, Int hi) {
    static_assert(std::is_integral_v<Int>, "mlprim::Rng::uniform_int needs an integer type");
    if (lo > hi) throw_invalid_argument("Rng::uniform_int", "lo = ", lo, " exceeds hi = ", hi);
    const std::uint64_t span =
        static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo) + 1;  // 0: all 2^64
    const std::uint64_t offset = span == 0 ? (*this)() : below(span);
    return static_cast<Int>(static_cast<std::uint64_t>(lo) + offset);
  }

  /// True with probability p. Throws unless 0 <= p <= 1.
  bool bernoulli(double p) {
    check_in_range("Rng::bernoulli", "p", p, 0.0, 1.0);
    return uniform<double>() < p;
  }

 private:
  static constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept {
    return (x << k) | (x >> (64 - k));
  }

  std::uint64_t state_[4];
  double spare_ = 0.0;
  bool has_spare_ = false;
};

/// Fisher–Yates shuffle of [first, last) with rng.below(); the same seed gives
/// the same order everywhere (unlike std::shuffle).
template <class RandomIt>
void shuffle(RandomIt first, RandomIt last, Rng& rng) {
  using std::swap;
  const auto n = static_cast<std::uint64_t>(last - first);
  for (std::uint64_t i = n; i > 1; --i) {
    const std::uint64_t j = rng.below(i);
    swap(first[static_cast<std::ptrdiff_t>(i - 1)], first[static_cast<std::ptrdiff_t>(j)]);
  }
}

/// A uniformly random permutation of 0, ..., n-1. n < 0 throws.
inline std::vector<Index> permutation(Index n, Rng& rng) {
  check_non_negative("permutation", "n", n);
  std::vector<Index> order(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i) order[static_cast<std::size_t>(i)] = i;
  shuffle(order.begin(), order.end(), rng);
  return order;
}

/// Bootstrap sample: `size` indices drawn uniformly with replacement from
/// [0, n) (Efron 1979; bagging, random forests). Throws if n <= 0 while
/// size > 0, or if size < 0.
inline std::vector<Index> bootstrap_sample(Index n, Index size, Rng& rng) {
  check_non_negative("bootstrap_sample", "size", size);
  check_non_negative("bootstrap_sample", "n", n);
  if (size > 0 && n == 0)
    throw_invalid_argument("bootstrap_sample", "n = 0 cannot supply size = ", size, " draws");
  std::vector<Index> sample(static_cast<std::size_t>(size));
  for (auto& index : sample) index = static_cast<Index>(rng.below(static_cast<std::uint64_t>(n)));
  return sample;
}

/// `k` distinct indices from [0, n), in random order (a partial Fisher–Yates
/// shuffle; O(n) memory). Throws unless 0 <= k <= n.
inline std::vector<Index> sample_without_replacement(Index n, Index k, Rng& rng) {
  check_non_negative("sample_without_replacement", "n", n);
  check_non_negative("sample_without_replacement", "k", k);
  check_at_most("sample_without_replacement", "k", k, n, "the population size n");
  std::vector<Index> pool(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i) pool[static_cast<std::size_t>(i)] = i;
  for (Index i = 0; i < k; ++i) {
    const auto j = i + static_cast<Index>(rng.below(static_cast<std::uint64_t>(n - i)));
    std::swap(pool[static_cast<std::size_t>(i)], pool[static_cast<std::size_t>(j)]);
  }
  pool.resize(static_cast<std::size_t>(k));
  return pool;
}

namespace detail {

/// x(i, j) = draw() row by row, whatever the storage order of x.
template <class Derived, class Draw>
void fill_row_by_row(const Eigen::MatrixBase<Derived>& x, Draw&& draw) {
  auto& out = const_cast<Eigen::MatrixBase<Derived>&>(x);
  for (Index i = 0; i < out.rows(); ++i)
    for (Index j = 0; j < out.cols(); ++j) out(i, j) = draw();
}

}  // namespace detail

/// Fills x with uniform draws in [lo, hi), visiting entries row by row
/// whatever the storage order, so a RowMatrix and a Matrix get the same values.
/// Takes `const MatrixBase&` so blocks and maps can be filled (Eigen's idiom).
template <class Derived>
void fill_uniform(const Eigen::MatrixBase<Derived>& x, Rng& rng,
                  typename Derived::Scalar lo = typename Derived::Scalar(0),
                  typename Derived::Scalar hi = typename Derived::Scalar(1)) {
  detail::fill_row_by_row(x, [&] { return rng.uniform(lo, hi); });
}

/// Fills x with N(mean, stddev^2) draws, row by row (see fill_uniform).
template <class Derived>
void fill_normal(const Eigen::MatrixBase<Derived>& x, Rng& rng,
                 typename Derived::Scalar mean = typename Derived::Scalar(0),
                 typename Derived::Scalar stddev = typename Derived::Scalar(1)) {
  detail::fill_row_by_row(x, [&] { return rng.normal(mean, stddev); });
}

}  // namespace mlprim

#endif  // MLPRIM_CORE_RANDOM_HPP
