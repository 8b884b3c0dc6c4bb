// The STREAM-style triad a = b + s c over float arrays: the memory-bandwidth
// roofline that bandwidth-bound kernels are quoted against.
#ifndef MLPRIM_BENCH_COMMON_TRIAD_HPP
#define MLPRIM_BENCH_COMMON_TRIAD_HPP

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <map>
#include <vector>

#include <mlprim/core/parallel.hpp>

namespace mlprim::bench {

/// Three arrays of n floats, first touched with the same chunking as triad().
struct TriadArrays {
  std::vector<float> a, b, c;

  TriadArrays(std::ptrdiff_t n, int threads)
      : a(static_cast<std::size_t>(n)), b(a.size()), c(a.size()) {
    mlprim::parallel_for_chunks(std::ptrdiff_t{0}, n, threads,
                                [&](std::ptrdiff_t lo, std::ptrdiff_t hi, int) {
                                  std::fill(a.begin() + lo, a.begin() + hi, 0.0f);
                                  std::fill(b.begin() + lo, b.begin() + hi, 1.0f);
                                  std::fill(c.begin() + lo, c.begin() + hi, 2.0f);
                                });
  }

  /// a = b + s c on `threads` threads.
  void triad(float s, int threads) {
    const auto n = static_cast<std::ptrdiff_t>(a.size());
    mlprim::parallel_for_chunks(std::ptrdiff_t{0}, n, threads,
                                [&](std::ptrdiff_t lo, std::ptrdiff_t hi, int) {
                                  float* pa = a.data();
                                  const float* pb = b.data();
                                  const float* pc = c.data();
                                  for (std::ptrdiff_t i = lo; i < hi; ++i)
                                    pa[i] = pb[i] + s * pc[i];
                                });
  }

  /// Bytes one triad() moves by STREAM's count (no write-allocate traffic).
  double bytes() const { return 3.0 * sizeof(float) * static_cast<double>(a.size()); }
};

/// Triad bandwidth in bytes/s on `threads` threads: the best of 7 runs over
/// 3 x 128 MiB, measured once per thread count and cached.
inline double triad_bandwidth(int threads) {
  static std::map<int, double> cache;
  const auto found = cache.find(threads);
  if (found != cache.end()) return found->second;
  TriadArrays arrays(std::ptrdiff_t{1} << 25, threads);
  double best = 0;
  for (int r = 0; r < 7; ++r) {
    const auto start = std::chrono::steady_clock::now();
    arrays.triad(3.0f, threads);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::max(best, arrays.bytes() / seconds);
  }
  return cache[threads] = best;
}

}  // namespace mlprim::bench

#endif  // MLPRIM_BENCH_COMMON_TRIAD_HPP
