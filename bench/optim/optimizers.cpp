// Fused optimizer steps on 16 Mi float parameters, against
//   - ceiling: a pass with exactly the step's memory traffic and trivial
//     arithmetic (common/traffic.hpp), on the same threads and blocks: the
//     speed ratio mlprim / ceiling is the fraction of the ceiling reached;
//   - naive: an Eigen version that updates one buffer per pass, as
//     torch.optim's single-tensor code does, op by op (one thread).
//
// Bytes per step (each buffer read or written once):
//   AdamW, Adam: read param, grad, exp_avg, exp_avg_sq; write param, exp_avg, exp_avg_sq (7 x 4 B)
//   SGD with momentum, Lion: read param, grad, buffer; write param, buffer (5 x 4 B)
// Counter: GB (per second). The fraction of the ceiling is the speed ratio
// mlprim / ceiling that the program prints at the end (same buffers, same
// threads, median times).
#include <Eigen/Core>

#include <cmath>
#include <cstdint>

#include <mlprim/optim.hpp>

#include "common/bench_main.hpp"
#include "common/memory.hpp"
#include "common/traffic.hpp"

namespace {

constexpr mlprim::Index n = mlprim::Index{1} << 24;

// Every benchmark allocates its buffers afresh: in a steady heap they reuse
// pages the process already holds. Pages fresh from the kernel stream at a
// third of the speed for a while on the VMs here (see common/memory.hpp),
// which would time the host rather than the kernels.
const bool steady_heap = (mlprim::bench::use_steady_heap(), true);

/// The buffers of one step, first touched with the split the step uses.
struct Buffers {
  Eigen::ArrayXf param, grad, a, b;
  explicit Buffers(int threads) : param(n), grad(n), a(n), b(n) {
    mlprim::Rng rng(1);
    Eigen::ArrayXf values(n);
    mlprim::fill_uniform(values.matrix(), rng, -1.0f, 1.0f);
    mlprim::parallel_for_chunks(mlprim::Index{0}, n, threads,
                                [&](mlprim::Index lo, mlprim::Index hi, int) {
                                  const mlprim::Index len = hi - lo;
                                  param.segment(lo, len) = values.segment(lo, len);
                                  grad.segment(lo, len) = 1e-3f * values.segment(lo, len).reverse();
                                  a.segment(lo, len).setZero();
                                  b.segment(lo, len).setZero();
                                });
  }
};

void report(benchmark::State& state, int buffers) {
  state.counters["GB"] = benchmark::Counter(
      1e-9 * buffers * 4.0 * static_cast<double>(n) * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate);
}

int threads_of(const benchmark::State& state) { return static_cast<int>(state.range(0)); }

void adamw_mlprim(benchmark::State& state) {
  const int threads = threads_of(state);
  Buffers x(threads);
  mlprim::AdamWOptions o;
  std::int64_t step = 0;
  for (auto _ : state)
    mlprim::adamw_update(x.param.data(), x.grad.data(), x.a.data(), x.b.data(),
                         static_cast<float*>(nullptr), n, o, ++step, threads);
  report(state, 7);
}

void adam_mlprim(benchmark::State& state) {
  const int threads = threads_of(state);
  Buffers x(threads);
  mlprim::AdamOptions o;
  o.weight_decay = 1e-2;
  std::int64_t step = 0;
  for (auto _ : state)
    mlprim::adam_update(x.param.data(), x.grad.data(), x.a.data(), x.b.data(),
                        static_cast<float*>(nullptr), n, o, ++step, threads);
  report(state, 7);
}

void sgd_momentum_mlprim(benchmark::State& state) {
  const int threads = threads_of(state);
  Buffers x(threads);
  mlprim::SGDOptions o;
  o.momentum = 0.9;
  bool first = true;
  for (auto _ : state) {
    mlprim::sgd_update(x.param.data(), x.grad.data(), x.a.data(), n, o, first, threads);
    first = false;
  }
  report(state, 5);
}

void lion_mlprim(benchmark::State& state) {
  const int threads = threads_of(state);
  Buffers x(threads);
  mlprim::LionOptions o;
  o.weight_decay = 0.1;
  for (auto _ : state)
    mlprim::lion_update(x.param.data(), x.grad.data(), x.a.data(), n, o, threads);
  report(state, 5);
}

/// The same-traffic pass itself, with 2 (Adam) or 1 (SGD, Lion) state buffers.
void ceiling(benchmark::State& state, int state_buffers) {
  const int threads = threads_of(state);
  Buffers x(threads);
  for (auto _ : state) {
    mlprim::bench::same_traffic_step(x.param.data(), x.grad.data(), x.a.data(),
                                     state_buffers == 2 ? x.b.data() : nullptr, n, threads);
    benchmark::ClobberMemory();
  }
  report(state, state_buffers == 2 ? 7 : 5);
}
void ceiling_7(benchmark::State& state) { ceiling(state, 2); }
void ceiling_5(benchmark::State& state) { ceiling(state, 1); }

void adamw_naive(benchmark::State& state) {
  Buffers x(1);
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
  report(state, 7);
}

void sgd_momentum_naive(benchmark::State& state) {
  Buffers x(1);
  const float lr = 1e-3f, momentum = 0.9f;
  for (auto _ : state) {
    x.a = x.a * momentum + x.grad;
    x.param -= lr * x.a;
    benchmark::ClobberMemory();
  }
  report(state, 5);
}

void lion_naive(benchmark::State& state) {
  Buffers x(1);
  const float lr = 1e-4f, b1 = 0.9f, b2 = 0.99f, wd = 0.1f;
  for (auto _ : state) {
    x.param -= lr * ((x.a * b1 + (1 - b1) * x.grad).sign() + wd * x.param);
    x.a = x.a * b2 + (1 - b2) * x.grad;
    benchmark::ClobberMemory();
  }
  report(state, 5);
}

void one_thread(benchmark::internal::Benchmark* b) {
  b->ArgName("threads");
  b->Arg(1);
}

}  // namespace

#define MLPRIM_OPTIM_BENCH(fn, name, threads) \
  BENCHMARK(fn)->Name(name)->Apply(threads)->UseRealTime()->Unit(benchmark::kMillisecond)

MLPRIM_OPTIM_BENCH(adamw_mlprim, "mlprim:adamw_16M", mlprim::bench::thread_counts);
MLPRIM_OPTIM_BENCH(ceiling_7, "ceiling:adamw_16M", mlprim::bench::thread_counts);
MLPRIM_OPTIM_BENCH(adamw_naive, "naive:adamw_16M", one_thread);
MLPRIM_OPTIM_BENCH(adam_mlprim, "mlprim:adam_16M", mlprim::bench::thread_counts);
MLPRIM_OPTIM_BENCH(ceiling_7, "ceiling:adam_16M", mlprim::bench::thread_counts);
MLPRIM_OPTIM_BENCH(sgd_momentum_mlprim, "mlprim:sgd_momentum_16M", mlprim::bench::thread_counts);
MLPRIM_OPTIM_BENCH(ceiling_5, "ceiling:sgd_momentum_16M", mlprim::bench::thread_counts);
MLPRIM_OPTIM_BENCH(sgd_momentum_naive, "naive:sgd_momentum_16M", one_thread);
MLPRIM_OPTIM_BENCH(lion_mlprim, "mlprim:lion_16M", mlprim::bench::thread_counts);
MLPRIM_OPTIM_BENCH(ceiling_5, "ceiling:lion_16M", mlprim::bench::thread_counts);
MLPRIM_OPTIM_BENCH(lion_naive, "naive:lion_16M", one_thread);

MLPRIM_BENCHMARK_MAIN();
