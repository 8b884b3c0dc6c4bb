// Fused optimizer steps on 16 Mi float parameters: effective bandwidth, its
// fraction of the triad roofline measured in this process, and the speed
// ratio to a naive Eigen version that updates one buffer per pass (as
// torch.optim's single-tensor code does, op by op).
//
// Bytes per step (each buffer read or written once):
//   AdamW, Adam: read param, grad, exp_avg, exp_avg_sq; write param, exp_avg, exp_avg_sq (7 x 4 B)
//   SGD with momentum, Lion: read param, grad, buffer; write param, buffer (5 x 4 B)
// Counters: GB (per second), of_triad (fraction of the triad's GB/s on as
// many threads). The naive versions are single-threaded Eigen expressions.
#include <Eigen/Core>

#include <cmath>
#include <cstdint>

#include <mlprim/optim.hpp>

#include "common/bench_main.hpp"
#include "common/triad.hpp"

namespace {

constexpr mlprim::Index n = mlprim::Index{1} << 24;

struct Buffers {
  Eigen::ArrayXf param, grad, a, b;
  Buffers() : param(n), grad(n), a(n), b(n) {
    mlprim::Rng rng(1);
    mlprim::fill_uniform(param.matrix(), rng, -1.0f, 1.0f);
    mlprim::fill_uniform(grad.matrix(), rng, -1.0f, 1.0f);
    a.setZero();
    b.setZero();
  }
};

void report(benchmark::State& state, double bytes_per_step, int threads) {
  const double bytes = bytes_per_step * static_cast<double>(state.iterations());
  state.counters["GB"] = benchmark::Counter(1e-9 * bytes, benchmark::Counter::kIsRate);
  state.counters["of_triad"] = benchmark::Counter(bytes / mlprim::bench::triad_bandwidth(threads),
                                                  benchmark::Counter::kIsRate);
}

void adamw_mlprim(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  mlprim::bench::triad_bandwidth(threads);
  Buffers x;
  mlprim::AdamWOptions o;
  std::int64_t step = 0;
  for (auto _ : state)
    mlprim::adamw_update(x.param.data(), x.grad.data(), x.a.data(), x.b.data(),
                         static_cast<float*>(nullptr), n, o, ++step, threads);
  report(state, 7.0 * 4 * n, threads);
}

void adamw_naive(benchmark::State& state) {
  mlprim::bench::triad_bandwidth(1);
  Buffers x;
  mlprim::AdamWOptions o;
  std::int64_t step = 0;
  for (auto _ : state) {
    ++step;
    const double bc1 = 1 - std::pow(o.betas[0], static_cast<double>(step));
    const double bc2 = 1 - std::pow(o.betas[1], static_cast<double>(step));
    x.param *= static_cast<float>(1 - o.lr * o.weight_decay);
    x.a = x.a * static_cast<float>(o.betas[0]) + static_cast<float>(1 - o.betas[0]) * x.grad;
    x.b =
        x.b * static_cast<float>(o.betas[1]) + static_cast<float>(1 - o.betas[1]) * x.grad.square();
    x.param -= static_cast<float>(o.lr / bc1) * x.a /
               (x.b.sqrt() / static_cast<float>(std::sqrt(bc2)) + static_cast<float>(o.eps));
    benchmark::ClobberMemory();
  }
  report(state, 7.0 * 4 * n, 1);
}

void adam_mlprim(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  mlprim::bench::triad_bandwidth(threads);
  Buffers x;
  mlprim::AdamOptions o;
  o.weight_decay = 1e-2;
  std::int64_t step = 0;
  for (auto _ : state)
    mlprim::adam_update(x.param.data(), x.grad.data(), x.a.data(), x.b.data(),
                        static_cast<float*>(nullptr), n, o, ++step, threads);
  report(state, 7.0 * 4 * n, threads);
}

void sgd_momentum_mlprim(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  mlprim::bench::triad_bandwidth(threads);
  Buffers x;
  mlprim::SGDOptions o;
  o.momentum = 0.9;
  bool first = true;
  for (auto _ : state) {
    mlprim::sgd_update(x.param.data(), x.grad.data(), x.a.data(), n, o, first, threads);
    first = false;
  }
  report(state, 5.0 * 4 * n, threads);
}

void sgd_momentum_naive(benchmark::State& state) {
  mlprim::bench::triad_bandwidth(1);
  Buffers x;
  const float lr = 1e-3f, momentum = 0.9f;
  for (auto _ : state) {
    x.a = x.a * momentum + x.grad;
    x.param -= lr * x.a;
    benchmark::ClobberMemory();
  }
  report(state, 5.0 * 4 * n, 1);
}

void lion_mlprim(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  mlprim::bench::triad_bandwidth(threads);
  Buffers x;
  mlprim::LionOptions o;
  o.weight_decay = 0.1;
  for (auto _ : state)
    mlprim::lion_update(x.param.data(), x.grad.data(), x.a.data(), n, o, threads);
  report(state, 5.0 * 4 * n, threads);
}

void lion_naive(benchmark::State& state) {
  mlprim::bench::triad_bandwidth(1);
  Buffers x;
  const float lr = 1e-4f, b1 = 0.9f, b2 = 0.99f, wd = 0.1f;
  for (auto _ : state) {
    x.param -= lr * ((x.a * b1 + (1 - b1) * x.grad).sign() + wd * x.param);
    x.a = x.a * b2 + (1 - b2) * x.grad;
    benchmark::ClobberMemory();
  }
  report(state, 5.0 * 4 * n, 1);
}

void one_thread(benchmark::internal::Benchmark* b) {
  b->ArgName("threads");
  b->Arg(1);
}

}  // namespace

#define MLPRIM_OPTIM_BENCH(fn, name, threads) \
  BENCHMARK(fn)->Name(name)->Apply(threads)->UseRealTime()->Unit(benchmark::kMillisecond)

MLPRIM_OPTIM_BENCH(adamw_mlprim, "mlprim:adamw_16M", mlprim::bench::thread_counts);
MLPRIM_OPTIM_BENCH(adamw_naive, "naive:adamw_16M", one_thread);
MLPRIM_OPTIM_BENCH(adam_mlprim, "mlprim:adam_16M", mlprim::bench::thread_counts);
MLPRIM_OPTIM_BENCH(sgd_momentum_mlprim, "mlprim:sgd_momentum_16M", mlprim::bench::thread_counts);
MLPRIM_OPTIM_BENCH(sgd_momentum_naive, "naive:sgd_momentum_16M", one_thread);
MLPRIM_OPTIM_BENCH(lion_mlprim, "mlprim:lion_16M", mlprim::bench::thread_counts);
MLPRIM_OPTIM_BENCH(lion_naive, "naive:lion_16M", one_thread);

MLPRIM_BENCHMARK_MAIN();
