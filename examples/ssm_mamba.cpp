// ssm_mamba: state-space models in two steps.
//  1. HiPPO-LegS memory: a signal is fed sample by sample into N Legendre
//     coefficients, and the whole history is read back from them; the error
//     falls as N grows (until the discretisation's floor, about 9 / samples).
//  2. A Mamba block (d_model = 256, seeded initialisation) runs a sequence in
//     one pass (selective scan) and token by token (convolution state +
//     selective state update), and the two outputs are compared.
#include <chrono>
#include <cmath>
#include <cstdio>

#include <mlprim/ssm.hpp>

namespace {

using mlprim::Index;
using mlprim::RowMatrix;
using mlprim::Vector;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main() {
  // 1. Online function approximation.
  const Index samples = 20000;
  auto signal = [](double x) { return std::sin(6 * x) + 0.5 * std::cos(13 * x * x); };
  Vector<double> grid(201);
  for (Index i = 0; i < grid.size(); ++i) grid(i) = 0.05 + 0.9 * static_cast<double>(i) / 200;
  std::printf("HiPPO-LegS memory of %ld samples of sin(6x) + cos(13x^2)/2 on [0, 1]\n",
              static_cast<long>(samples));
  std::printf("%6s %22s\n", "N", "max error on [.05, .95]");
  for (const Index n : {4, 8, 12, 16, 24}) {
    mlprim::HippoLegSMemory<double> memory(n);
    for (Index k = 1; k <= samples; ++k) memory.update(signal(double(k) / samples));
    const Vector<double> back = memory.reconstruct(grid);
    double error = 0;
    for (Index i = 0; i < grid.size(); ++i)
      error = std::max(error, std::abs(back(i) - signal(grid(i))));
    std::printf("%6ld %22.2e\n", static_cast<long>(n), error);
  }

  // 2. A Mamba block, one pass against token by token.
  mlprim::MambaParams params;
  params.d_model = 256;
  params.seed = 42;
  const mlprim::MambaBlock<float> block(params);
  const Index L = 512;
  mlprim::Rng rng(7);
  RowMatrix<float> hidden(L, params.d_model);
  mlprim::fill_normal(hidden, rng);

  block.forward(hidden.topRows(16));  // warm-up: threads started, pages mapped
  auto start = std::chrono::steady_clock::now();
  const RowMatrix<float> pass = block.forward(hidden);
  const double pass_time = seconds_since(start);

  auto state = block.initial_state();
  RowMatrix<float> stepped(L, params.d_model);
  start = std::chrono::steady_clock::now();
  for (Index t = 0; t < L; ++t) stepped.row(t) = block.step(hidden.row(t).transpose(), state);
  const double step_time = seconds_since(start);

  const double difference = (stepped - pass).cwiseAbs().maxCoeff();
  const double scale = pass.cwiseAbs().maxCoeff();
  std::printf("\nMamba block, d_model %ld (d_inner %ld, N %ld), %ld tokens, float\n",
              static_cast<long>(params.d_model), static_cast<long>(params.d_inner()),
              static_cast<long>(params.d_state), static_cast<long>(L));
  std::printf("  one pass:       %8.2f ms\n", 1e3 * pass_time);
  std::printf("  token by token: %8.2f ms (%.1f us per token)\n", 1e3 * step_time,
              1e6 * step_time / static_cast<double>(L));
  std::printf("  largest difference %.2e (outputs up to %.2f): %s\n", difference, scale,
              difference <= 1e-4 * (1 + scale) ? "the same" : "DIFFERENT");
  return difference <= 1e-4 * (1 + scale) ? 0 : 1;
}
