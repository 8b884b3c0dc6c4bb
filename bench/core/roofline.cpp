// The machine's roofline, against which every other mlprim benchmark is
// judged: single-precision GEMM through Eigen (compute bound) and a
// STREAM-style triad a = b + s * c (memory bound), on 1 thread and on all.
//
// GEMM shapes: 1024 x 1024 times 1024 x 1024 (square), and 4096 x 64 times
// 64 x 4096 (the Q K^T shape of attention with head dimension 64).
// Counters (printed per second): GFLOP = 2 M N K per call; GB = 3 arrays x 4
// bytes per element per call (STREAM's convention: write-allocate traffic is
// not counted).
#include <Eigen/Core>

#include <cstddef>

#include <mlprim/core/parallel.hpp>
#include <mlprim/core/random.hpp>
#include <mlprim/core/types.hpp>

#include "common/bench_main.hpp"

namespace {

void gemm(benchmark::State& state, Eigen::Index m, Eigen::Index k, Eigen::Index n) {
  const int threads = static_cast<int>(state.range(0));
  Eigen::setNbThreads(threads);
  mlprim::Rng rng(1);
  mlprim::Matrix<float> a(m, k), b(k, n), c(m, n);
  mlprim::fill_uniform(a, rng, -1.0f, 1.0f);
  mlprim::fill_uniform(b, rng, -1.0f, 1.0f);
  for (auto _ : state) {
    c.noalias() = a * b;
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  state.counters["GFLOP"] = benchmark::Counter(
      2e-9 * static_cast<double>(m) * static_cast<double>(k) * static_cast<double>(n) *
          static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate);
  Eigen::setNbThreads(0);
}

void gemm_square_1024(benchmark::State& state) { gemm(state, 1024, 1024, 1024); }
void gemm_4096x64x4096(benchmark::State& state) { gemm(state, 4096, 64, 4096); }

void triad(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  const std::ptrdiff_t n = std::ptrdiff_t{1} << 25;  // 128 MiB per array
  std::vector<float> a(static_cast<std::size_t>(n)), b(a.size()), c(a.size());
  // First touch by the same chunking as the timed loop (NUMA-friendly).
  mlprim::parallel_for_chunks(std::ptrdiff_t{0}, n, threads,
                              [&](std::ptrdiff_t lo, std::ptrdiff_t hi, int) {
                                for (std::ptrdiff_t i = lo; i < hi; ++i) {
                                  a[static_cast<std::size_t>(i)] = 0.0f;
                                  b[static_cast<std::size_t>(i)] = 1.0f;
                                  c[static_cast<std::size_t>(i)] = 2.0f;
                                }
                              });
  const float s = 3.0f;
  for (auto _ : state) {
    mlprim::parallel_for_chunks(std::ptrdiff_t{0}, n, threads,
                                [&](std::ptrdiff_t lo, std::ptrdiff_t hi, int) {
                                  float* pa = a.data();
                                  const float* pb = b.data();
                                  const float* pc = c.data();
                                  for (std::ptrdiff_t i = lo; i < hi; ++i) pa[i] = pb[i] + s * pc[i];
                                });
    benchmark::DoNotOptimize(a.data());
    benchmark::ClobberMemory();
  }
  state.counters["GB"] = benchmark::Counter(
      3e-9 * sizeof(float) * static_cast<double>(n) * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate);
}

}  // namespace

BENCHMARK(gemm_square_1024)->Name("roofline:gemm_f32_1024x1024x1024")->Apply(mlprim::bench::thread_counts)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(gemm_4096x64x4096)->Name("roofline:gemm_f32_4096x64x4096")->Apply(mlprim::bench::thread_counts)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(triad)->Name("roofline:triad_f32_32M")->Apply(mlprim::bench::thread_counts)->UseRealTime()->Unit(benchmark::kMillisecond);

MLPRIM_BENCHMARK_MAIN();
