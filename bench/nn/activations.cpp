// Elementwise activations and their derivatives over 16 Mi floats, y = f(x)
// (one read, one write per element: 8 bytes by STREAM's count), on 1 and 2
// threads (the array split in contiguous chunks, one per thread, as a caller
// would split it). Counters: GB (per second) and of_triad, the fraction of
// the STREAM triad bandwidth measured on the same threads (common/triad.hpp);
// the goal is of_triad >= 0.8. Peers for context: the same GELU (erf) and
// sigmoid written as a loop over std::erfc / std::exp ("libm:").
#include <Eigen/Core>

#include <cmath>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <mlprim/core/parallel.hpp>
#include <mlprim/core/random.hpp>
#include <mlprim/nn/activations.hpp>

#include "common/bench_main.hpp"
#include "common/memory.hpp"
#include "common/triad.hpp"

namespace {

constexpr mlprim::Index n = mlprim::Index{1} << 24;
const bool steady_heap = (mlprim::bench::use_steady_heap(), true);

using Segment = Eigen::Ref<Eigen::ArrayXf>;
using ConstSegment = Eigen::Ref<const Eigen::ArrayXf>;
using Kernel = std::function<void(ConstSegment, Segment)>;

/// Inputs N(0, 3^2), so that both branches and the tails are taken.
struct Buffers {
  Eigen::ArrayXf x, y;
  explicit Buffers(int threads) : x(n), y(n) {
    mlprim::Rng rng(7);
    Eigen::ArrayXf values(n);
    mlprim::fill_normal(values.matrix(), rng, 0.0f, 3.0f);
    mlprim::parallel_for_chunks(mlprim::Index{0}, n, threads,
                                [&](mlprim::Index lo, mlprim::Index hi, int) {
                                  x.segment(lo, hi - lo) = values.segment(lo, hi - lo);
                                  y.segment(lo, hi - lo).setZero();
                                });
  }
};

void run(benchmark::State& state, const Kernel& kernel) {
  const int threads = static_cast<int>(state.range(0));
  Buffers b(threads);
  for (auto _ : state) {
    mlprim::parallel_for_chunks(mlprim::Index{0}, n, threads,
                                [&](mlprim::Index lo, mlprim::Index hi, int) {
                                  kernel(b.x.segment(lo, hi - lo), b.y.segment(lo, hi - lo));
                                });
    benchmark::ClobberMemory();
  }
  const double bytes = 8.0 * static_cast<double>(n);
  state.counters["GB"] = benchmark::Counter(1e-9 * bytes * static_cast<double>(state.iterations()),
                                            benchmark::Counter::kIsRate);
  state.counters["of_triad"] = benchmark::Counter(
      bytes * static_cast<double>(state.iterations()) / mlprim::bench::triad_bandwidth(threads),
      benchmark::Counter::kIsRate);
}

#define MLPRIM_ACT(name, expr)                                         \
  {                                                                    \
    "mlprim:" name "_16M", [](ConstSegment x, Segment y) { y = expr; } \
  }

std::vector<std::pair<std::string, Kernel>> kernels() {
  namespace m = mlprim;
  using m::GeluApproximation;
  return {
      MLPRIM_ACT("relu", m::relu(x)),
      MLPRIM_ACT("relu_derivative", m::relu_derivative(x)),
      MLPRIM_ACT("leaky_relu", m::leaky_relu(x)),
      MLPRIM_ACT("relu6", m::relu6(x)),
      MLPRIM_ACT("hard_sigmoid", m::hard_sigmoid(x)),
      MLPRIM_ACT("hard_swish", m::hard_swish(x)),
      MLPRIM_ACT("hard_swish_derivative", m::hard_swish_derivative(x)),
      MLPRIM_ACT("softsign", m::softsign(x)),
      MLPRIM_ACT("sigmoid", m::sigmoid(x)),
      MLPRIM_ACT("sigmoid_derivative", m::sigmoid_derivative(x)),
      MLPRIM_ACT("tanh", m::tanh(x)),
      MLPRIM_ACT("tanh_derivative", m::tanh_derivative(x)),
      MLPRIM_ACT("elu", m::elu(x)),
      MLPRIM_ACT("selu", m::selu(x)),
      MLPRIM_ACT("celu_derivative", m::celu_derivative(x, 1.5f)),
      MLPRIM_ACT("gelu", m::gelu(x)),
      MLPRIM_ACT("gelu_derivative", m::gelu_derivative(x)),
      MLPRIM_ACT("gelu_tanh", m::gelu(x, GeluApproximation::Tanh)),
      MLPRIM_ACT("gelu_tanh_derivative", m::gelu_derivative(x, GeluApproximation::Tanh)),
      MLPRIM_ACT("silu", m::silu(x)),
      MLPRIM_ACT("silu_derivative", m::silu_derivative(x)),
      MLPRIM_ACT("mish", m::mish(x)),
      MLPRIM_ACT("mish_derivative", m::mish_derivative(x)),
      MLPRIM_ACT("softplus", m::softplus(x)),
      MLPRIM_ACT("softplus_derivative", m::softplus_derivative(x)),
      {"libm:gelu_16M",
       [](ConstSegment x, Segment y) {
         for (mlprim::Index i = 0; i < x.size(); ++i)
           y(i) = 0.5f * x(i) * std::erfc(-x(i) * 0.70710678f);
       }},
      {"libm:sigmoid_16M",
       [](ConstSegment x, Segment y) {
         for (mlprim::Index i = 0; i < x.size(); ++i) y(i) = 1.0f / (1.0f + std::exp(-x(i)));
       }},
  };
}
#undef MLPRIM_ACT

const bool registered = [] {
  for (const auto& [name, kernel] : kernels())
    benchmark::RegisterBenchmark(name.c_str(), [k = kernel](benchmark::State& s) { run(s, k); })
        ->Apply(mlprim::bench::thread_counts)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  return true;
}();

}  // namespace

MLPRIM_BENCHMARK_MAIN();
