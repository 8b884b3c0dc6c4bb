// The GEMM roofline: single-precision Eigen GEMM of the attention shape
// 4096 x 64 times 64 x 4096, the compute ceiling attention kernels are quoted
// against.
#ifndef MLPRIM_BENCH_COMMON_GEMM_HPP
#define MLPRIM_BENCH_COMMON_GEMM_HPP

#include <Eigen/Core>

#include <algorithm>
#include <chrono>
#include <map>

#include <mlprim/core/random.hpp>
#include <mlprim/core/types.hpp>

namespace mlprim::bench {

/// Flops of C = A B (2 M K N) with A M x K and B K x N.
inline double gemm_flops(Eigen::Index m, Eigen::Index k, Eigen::Index n) {
  return 2.0 * static_cast<double>(m) * static_cast<double>(k) * static_cast<double>(n);
}

/// C = A B in float on `threads` threads (Eigen's own threading).
struct GemmProblem {
  mlprim::Matrix<float> a, b, c;
  GemmProblem(Eigen::Index m, Eigen::Index k, Eigen::Index n) : a(m, k), b(k, n), c(m, n) {
    mlprim::Rng rng(1);
    mlprim::fill_uniform(a, rng, -1.0f, 1.0f);
    mlprim::fill_uniform(b, rng, -1.0f, 1.0f);
  }
  void run(int threads) {
    Eigen::setNbThreads(threads);
    c.noalias() = a * b;
    Eigen::setNbThreads(0);
  }
};

/// GEMM flop/s of the 4096 x 64 x 4096 float product on `threads` threads:
/// the best of 5 runs, measured once per thread count and cached.
inline double gemm_roofline(int threads) {
  static std::map<int, double> cache;
  const auto found = cache.find(threads);
  if (found != cache.end()) return found->second;
  GemmProblem p(4096, 64, 4096);
  double best = 0;
  for (int r = 0; r < 5; ++r) {
    const auto start = std::chrono::steady_clock::now();
    p.run(threads);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::max(best, gemm_flops(4096, 64, 4096) / seconds);
  }
  return cache[threads] = best;
}

}  // namespace mlprim::bench

#endif  // MLPRIM_BENCH_COMMON_GEMM_HPP
