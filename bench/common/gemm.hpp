// The GEMM roofline: single-precision Eigen GEMM of the attention shape
// 4096 x k times k x 4096 (k = 64 by default), the compute ceiling attention
// kernels are quoted against.
#ifndef MLPRIM_BENCH_COMMON_GEMM_HPP
#define MLPRIM_BENCH_COMMON_GEMM_HPP

#include <Eigen/Core>

#include <algorithm>
#include <chrono>
#include <map>
#include <utility>

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

/// GEMM flop/s of the 4096 x k x 4096 float product (k = 64: the shape of
/// Q K^T at d = 64) on `threads` threads: the best of 5 runs, measured once
/// per (thread count, k) and cached.
inline double gemm_roofline(int threads, Eigen::Index k = 64) {
  static std::map<std::pair<int, Eigen::Index>, double> cache;
  const auto found = cache.find({threads, k});
  if (found != cache.end()) return found->second;
  GemmProblem p(4096, k, 4096);
  double best = 0;
  for (int r = 0; r < 5; ++r) {
    const auto start = std::chrono::steady_clock::now();
    p.run(threads);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::max(best, gemm_flops(4096, k, 4096) / seconds);
  }
  return cache[{threads, k}] = best;
}

}  // namespace mlprim::bench

#endif  // MLPRIM_BENCH_COMMON_GEMM_HPP
