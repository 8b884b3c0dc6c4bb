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

#include <mlprim/core/random.hpp>
#include <mlprim/core/types.hpp>

#include "common/bench_main.hpp"
#include "common/gemm.hpp"
#include "common/triad.hpp"

namespace {

void gemm(benchmark::State& state, Eigen::Index m, Eigen::Index k, Eigen::Index n) {
  const int threads = static_cast<int>(state.range(0));
  mlprim::bench::GemmProblem p(m, k, n);
  for (auto _ : state) {
    p.run(threads);
    benchmark::DoNotOptimize(p.c.data());
    benchmark::ClobberMemory();
  }
  state.counters["GFLOP"] = benchmark::Counter(
      1e-9 * mlprim::bench::gemm_flops(m, k, n) * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate);
}

void gemm_square_1024(benchmark::State& state) { gemm(state, 1024, 1024, 1024); }
void gemm_4096x64x4096(benchmark::State& state) { gemm(state, 4096, 64, 4096); }

void triad(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  mlprim::bench::TriadArrays arrays(std::ptrdiff_t{1} << 25, threads);  // 128 MiB per array
  for (auto _ : state) {
    arrays.triad(3.0f, threads);
    benchmark::DoNotOptimize(arrays.a.data());
    benchmark::ClobberMemory();
  }
  state.counters["GB"] = benchmark::Counter(
      1e-9 * arrays.bytes() * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

}  // namespace

BENCHMARK(gemm_square_1024)
    ->Name("roofline:gemm_f32_1024x1024x1024")
    ->Apply(mlprim::bench::thread_counts)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(gemm_4096x64x4096)
    ->Name("roofline:gemm_f32_4096x64x4096")
    ->Apply(mlprim::bench::thread_counts)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(triad)
    ->Name("roofline:triad_f32_32M")
    ->Apply(mlprim::bench::thread_counts)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

MLPRIM_BENCHMARK_MAIN();
