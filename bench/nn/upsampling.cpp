// Learned and fixed upsampling of one feature map, float, forward and
// backward, on 1 and 2 threads:
//   - bilinear_2x: upsample_bilinear of [64, 256, 256] to [64, 512, 512]
//     (align_corners false);
//   - conv_transpose: conv_transpose2d 64 -> 64 channels, 3 x 3, stride 2,
//     padding 1, output_padding 1, [64, 128, 128] -> [64, 256, 256] (the
//     usual 2x decoder step), with a bias; its backward computes the input,
//     weight and bias gradients. GFLOPS counts 2 C_in C_out kH kW H W per
//     pass (the backward does two such products).
// The peer is the same calls in Debian's PyTorch on the same threads,
// timed by bench/nn/torch_upsampling.py; bench/README.md records the ratios.
#include <Eigen/Core>

#include <mlprim/core/random.hpp>
#include <mlprim/nn/conv_transpose.hpp>
#include <mlprim/nn/upsample.hpp>

#include "common/bench_main.hpp"
#include "common/memory.hpp"

namespace {

using mlprim::ImageShape;
using mlprim::Index;
using mlprim::RowMatrix;

const bool steady_heap = (mlprim::bench::use_steady_heap(), true);

RowMatrix<float> normal(Index rows, Index cols, std::uint64_t seed) {
  RowMatrix<float> m(rows, cols);
  mlprim::Rng rng(seed);
  mlprim::fill_normal(m, rng, 0.0f, 1.0f);
  return m;
}

const ImageShape bilinear_in{64, 256, 256};

mlprim::UpsampleOptions bilinear_options(int threads) {
  mlprim::UpsampleOptions o;
  o.scale_height = 2, o.scale_width = 2, o.num_threads = threads;
  return o;
}

void bilinear(benchmark::State& state) {
  const auto o = bilinear_options(int(state.range(0)));
  const RowMatrix<float> x = normal(1, bilinear_in.size(), 1);
  for (auto _ : state) benchmark::DoNotOptimize(mlprim::upsample_bilinear(x, bilinear_in, o));
}

void bilinear_backward(benchmark::State& state) {
  const auto o = bilinear_options(int(state.range(0)));
  const RowMatrix<float> g = normal(1, 4 * bilinear_in.size(), 2);
  for (auto _ : state)
    benchmark::DoNotOptimize(mlprim::upsample_bilinear_backward(g, bilinear_in, o));
}

const ImageShape conv_in{64, 128, 128};

mlprim::ConvTranspose2dOptions conv_options(int threads) {
  mlprim::ConvTranspose2dOptions o;
  o.kernel_height = o.kernel_width = 3;
  o.stride_height = o.stride_width = 2;
  o.padding_height = o.padding_width = 1;
  o.output_padding_height = o.output_padding_width = 1;
  o.num_threads = threads;
  return o;
}

void set_flops(benchmark::State& state, double products) {
  const double flops = products * 2.0 * 64 * 64 * 9 * double(conv_in.plane());
  state.counters["GFLOPS"] =
      benchmark::Counter(1e-9 * flops * double(state.iterations()), benchmark::Counter::kIsRate);
}

void conv_transpose(benchmark::State& state) {
  const auto o = conv_options(int(state.range(0)));
  const RowMatrix<float> x = normal(1, conv_in.size(), 3), w = normal(64, 64 * 9, 4);
  const Eigen::VectorXf bias = Eigen::VectorXf::LinSpaced(64, -1, 1);
  for (auto _ : state) benchmark::DoNotOptimize(mlprim::conv_transpose2d(x, conv_in, w, bias, o));
  set_flops(state, 1);
}

void conv_transpose_backward(benchmark::State& state) {
  const auto o = conv_options(int(state.range(0)));
  const RowMatrix<float> x = normal(1, conv_in.size(), 3), w = normal(64, 64 * 9, 4);
  const RowMatrix<float> g = normal(1, 4 * conv_in.size(), 5);
  for (auto _ : state)
    benchmark::DoNotOptimize(mlprim::conv_transpose2d_backward(x, conv_in, w, g, o));
  set_flops(state, 2);
}

BENCHMARK(bilinear)
    ->Name("mlprim:bilinear_2x")
    ->Apply(mlprim::bench::thread_counts)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(bilinear_backward)
    ->Name("mlprim:bilinear_2x_backward")
    ->Apply(mlprim::bench::thread_counts)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(conv_transpose)
    ->Name("mlprim:conv_transpose")
    ->Apply(mlprim::bench::thread_counts)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(conv_transpose_backward)
    ->Name("mlprim:conv_transpose_backward")
    ->Apply(mlprim::bench::thread_counts)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

MLPRIM_BENCHMARK_MAIN();
