// VQ-VAE code assignment, float, on 1 and 2 threads: 10^5 encoder vectors
// of dimension 64 to a 1024 x 64 codebook (both N(0, 1)).
//   - mlprim:vq_assign       VectorQuantizer::encode (KnnMethod::Auto);
//   - bruteforce:vq_assign   neighbors' knn_bruteforce with k = 1 (the GEMM
//                            screen with exact recomputation), the goal's peer;
//   - eigen_gemm:vq_assign   the textbook expansion argmin_k |e_k|^2 - 2 x.e_k
//                            as one Eigen GEMM per 4096 rows (what a VQ layer
//                            written in PyTorch computes; not exact on
//                            near-ties, so only a speed reference);
//   - mlprim:vq_forward      VectorQuantizer::forward (assignment, codes,
//                            losses, counts, perplexity).
// GFLOPS counts the 2 n K D of the distance products.
#include <Eigen/Core>

#include <mlprim/core/random.hpp>
#include <mlprim/neighbors/bruteforce.hpp>
#include <mlprim/nn/vector_quantizer.hpp>

#include "common/bench_main.hpp"
#include "common/memory.hpp"

namespace {

using mlprim::Index;
using mlprim::RowMatrix;

const bool steady_heap = (mlprim::bench::use_steady_heap(), true);

constexpr Index n = 100000, K = 1024, D = 64;

RowMatrix<float> normal(Index rows, Index cols, std::uint64_t seed) {
  RowMatrix<float> m(rows, cols);
  mlprim::Rng rng(seed);
  mlprim::fill_normal(m, rng, 0.0f, 1.0f);
  return m;
}

const RowMatrix<float>& inputs() {
  static const RowMatrix<float> x = normal(n, D, 1);
  return x;
}

const RowMatrix<float>& codebook() {
  static const RowMatrix<float> c = normal(K, D, 2);
  return c;
}

void set_flops(benchmark::State& state) {
  state.counters["GFLOPS"] =
      benchmark::Counter(2e-9 * double(n) * double(K) * double(D) * double(state.iterations()),
                         benchmark::Counter::kIsRate);
}

mlprim::VectorQuantizer<float> quantizer(int threads) {
  mlprim::VectorQuantizerParams<float> params;
  params.num_threads = threads;
  return mlprim::VectorQuantizer<float>(codebook(), params);
}

void vq_assign(benchmark::State& state) {
  const auto vq = quantizer(int(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(vq.encode(inputs()));
  set_flops(state);
}

void bruteforce_assign(benchmark::State& state) {
  mlprim::KnnOptions<float> options;
  options.num_threads = int(state.range(0));
  for (auto _ : state)
    benchmark::DoNotOptimize(mlprim::knn_bruteforce(codebook(), inputs(), 1, options));
  set_flops(state);
}

void eigen_gemm_assign(benchmark::State& state) {
  const int threads = int(state.range(0));
  Eigen::setNbThreads(threads);
  const RowMatrix<float>& c = codebook();
  const Eigen::RowVectorXf norms = c.rowwise().squaredNorm().transpose();
  constexpr Index block = 4096;
  RowMatrix<float> scores(block, K);
  std::vector<Index> codes(static_cast<std::size_t>(n));
  for (auto _ : state) {
    for (Index r0 = 0; r0 < n; r0 += block) {
      const Index rows = std::min(block, n - r0);
      scores.topRows(rows).noalias() = -2.0f * inputs().middleRows(r0, rows) * c.transpose();
      for (Index i = 0; i < rows; ++i)
        (scores.row(i) + norms).minCoeff(&codes[static_cast<std::size_t>(r0 + i)]);
    }
    benchmark::DoNotOptimize(codes.data());
  }
  Eigen::setNbThreads(0);
  set_flops(state);
}

void vq_forward(benchmark::State& state) {
  const auto vq = quantizer(int(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(vq.forward(inputs()));
  set_flops(state);
}

BENCHMARK(vq_assign)
    ->Name("mlprim:vq_assign")
    ->Apply(mlprim::bench::thread_counts)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(bruteforce_assign)
    ->Name("bruteforce:vq_assign")
    ->Apply(mlprim::bench::thread_counts)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(eigen_gemm_assign)
    ->Name("eigen_gemm:vq_assign")
    ->Apply(mlprim::bench::thread_counts)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(vq_forward)
    ->Name("mlprim:vq_forward")
    ->Apply(mlprim::bench::thread_counts)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

MLPRIM_BENCHMARK_MAIN();
