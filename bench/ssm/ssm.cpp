// State-space scans, float, against plain implementations compiled here:
//   selective_scan_fwd / _bwd: L = 2048, Dm = 1536, N = 16, batch 1 and 4
//     (packed with cu_seqlens), varying B and C, D, z, delta_bias, softplus;
//     `naive:` is the triple loop over channel, step and state with std::exp
//     (the backward one keeps each channel's L x N states);
//   ssd: Mamba-2's chunked scan against selective_scan on the same problem
//     (H = 24 heads of P = 64, N = 16, chunk 64), L = 1024 and 8192;
//   linear_scan: 2^24 elements, L = 2^20 x D = 16 and 2^18 x 64, against the sequential loop;
//   conv: causal_convolution direct and FFT, L = 4096, 64 channels, by kernel length;
//   mamba_step: MambaBlock::step latency per token, d_model = 768 (Mamba-130M's width).
// Counters: `elements` = L Dm (batch included) per second for the scans,
// L D for the linear scan, L channels for the convolutions.
#include <cmath>
#include <vector>

#include <mlprim/ssm.hpp>

#include "common/bench_main.hpp"
#include "common/memory.hpp"

namespace {

using mlprim::Index;
using mlprim::RowMatrix;
using mlprim::Vector;

const bool steady_heap = (mlprim::bench::use_steady_heap(), true);

constexpr Index seq_len = 2048, channels = 1536, state_size = 16;

RowMatrix<float> random(Index rows, Index cols, std::uint64_t seed, float lo, float hi) {
  mlprim::Rng rng(seed);
  RowMatrix<float> m(rows, cols);
  mlprim::fill_uniform(m, rng, lo, hi);
  return m;
}

/// A Mamba-like problem: batch sequences of seq_len steps, packed.
struct Problem {
  Index batch, L;
  RowMatrix<float> u, delta, A, B, C, z, dout;
  Vector<float> D, bias;
  std::vector<Index> offsets;
  explicit Problem(Index batch_, Index dm = channels)
      : batch(batch_),
        L(batch_ * seq_len),
        u(random(L, dm, 1, -1, 1)),
        delta(random(L, dm, 2, -4, -2)),  // softplus: steps around 0.02 to 0.13
        A(-random(dm, state_size, 3, 1, 16)),
        B(random(L, state_size, 4, -1, 1)),
        C(random(L, state_size, 5, -1, 1)),
        z(random(L, dm, 6, -1, 1)),
        dout(random(L, dm, 7, -1, 1)),
        D(random(dm, 1, 8, -1, 1)),
        bias(random(dm, 1, 9, -0.5f, 0.5f)) {
    for (Index s = 0; s <= batch; ++s) offsets.push_back(s * seq_len);
  }
  mlprim::SelectiveScanOptions<float> options(int threads) const {
    mlprim::SelectiveScanOptions<float> o;
    o.D = D;
    o.z = z;
    o.delta_bias = bias;
    o.delta_softplus = true;
    o.cu_seqlens = offsets;
    o.num_threads = threads;
    return o;
  }
};

float softplus(float x) { return x > 20 ? x : std::log1p(std::exp(x)); }
float sigmoid(float x) { return 1 / (1 + std::exp(-x)); }

/// The selective scan as three plain loops.
void naive_forward(const Problem& p, RowMatrix<float>& y) {
  const Index dm = p.u.cols(), n = p.A.cols();
  std::vector<float> x(static_cast<std::size_t>(n));
  for (Index s = 0; s < p.batch; ++s)
    for (Index d = 0; d < dm; ++d) {
      std::fill(x.begin(), x.end(), 0.0f);
      for (Index t = p.offsets[s]; t < p.offsets[s + 1]; ++t) {
        const float dt = softplus(p.delta(t, d) + p.bias(d));
        float out = 0;
        for (Index k = 0; k < n; ++k) {
          x[k] = std::exp(dt * p.A(d, k)) * x[k] + dt * p.B(t, k) * p.u(t, d);
          out += p.C(t, k) * x[k];
        }
        out += p.D(d) * p.u(t, d);
        y(t, d) = out * p.z(t, d) * sigmoid(p.z(t, d));
      }
    }
}

/// Its backward, keeping one channel's states at a time.
void naive_backward(const Problem& p, mlprim::SelectiveScanGradients<float>& g) {
  const Index dm = p.u.cols(), n = p.A.cols();
  g.dB.setZero(p.L, n);
  g.dC.setZero(p.L, n);
  RowMatrix<float> states(seq_len + 1, n);
  std::vector<float> adj(static_cast<std::size_t>(n));
  for (Index s = 0; s < p.batch; ++s)
    for (Index d = 0; d < dm; ++d) {
      const Index t0 = p.offsets[s];
      states.row(0).setZero();
      for (Index t = 0; t < seq_len; ++t)
        for (Index k = 0; k < n; ++k) {
          const float dt = softplus(p.delta(t0 + t, d) + p.bias(d));
          states(t + 1, k) =
              std::exp(dt * p.A(d, k)) * states(t, k) + dt * p.B(t0 + t, k) * p.u(t0 + t, d);
        }
      std::fill(adj.begin(), adj.end(), 0.0f);
      for (Index t = seq_len - 1; t >= 0; --t) {
        const Index r = t0 + t;
        const float raw = p.delta(r, d) + p.bias(d), dt = softplus(raw), ud = p.u(r, d);
        float ssm = 0;
        for (Index k = 0; k < n; ++k) ssm += p.C(r, k) * states(t + 1, k);
        const float zz = p.z(r, d), go = p.dout(r, d), sg = sigmoid(zz);
        g.dz(r, d) = go * (ssm + p.D(d) * ud) * sg * (1 + zz * (1 - sg));
        const float dy = go * zz * sg;
        g.dD(d) += dy * ud;
        float du = dy * p.D(d), ddt = 0;
        for (Index k = 0; k < n; ++k) {
          adj[k] += dy * p.C(r, k);
          g.dC(r, k) += dy * states(t + 1, k);
          const float a = std::exp(dt * p.A(d, k));
          const float da = adj[k] * states(t, k) * a;
          ddt += da * p.A(d, k) + ud * adj[k] * p.B(r, k);
          g.dA(d, k) += dt * da;
          g.dB(r, k) += dt * ud * adj[k];
          du += dt * adj[k] * p.B(r, k);
          adj[k] *= a;
        }
        const float draw = ddt * sigmoid(raw);
        g.ddelta(r, d) = draw;
        g.ddelta_bias(d) += draw;
        g.du(r, d) = du;
      }
    }
}

int threads_of(const benchmark::State& state) { return static_cast<int>(state.range(1)); }

void count(benchmark::State& state, double per_iteration) {
  state.counters["elements"] = benchmark::Counter(
      per_iteration * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void scan_forward(benchmark::State& state, bool naive) {
  const Problem p(state.range(0));
  RowMatrix<float> y(p.L, channels);
  const auto o = p.options(threads_of(state));
  for (auto _ : state) {
    if (naive)
      naive_forward(p, y);
    else
      y = mlprim::selective_scan(p.u, p.delta, p.A, p.B, p.C, o).y;
    benchmark::DoNotOptimize(y.data());
  }
  count(state, static_cast<double>(p.L * channels));
}

void scan_backward(benchmark::State& state, bool naive) {
  const Problem p(state.range(0));
  const auto o = p.options(threads_of(state));
  mlprim::SelectiveScanGradients<float> g;
  for (auto _ : state) {
    if (naive) {
      g.du.resize(p.L, channels);
      g.ddelta.resize(p.L, channels);
      g.dz.resize(p.L, channels);
      g.dA.setZero(channels, state_size);
      g.dD.setZero(channels);
      g.ddelta_bias.setZero(channels);
      naive_backward(p, g);
    } else {
      g = mlprim::selective_scan_backward(p.u, p.delta, p.A, p.B, p.C, p.dout, o);
    }
    benchmark::DoNotOptimize(g.du.data());
  }
  count(state, static_cast<double>(p.L * channels));
}

void forward_mlprim(benchmark::State& s) { scan_forward(s, false); }
void forward_naive(benchmark::State& s) { scan_forward(s, true); }
void backward_mlprim(benchmark::State& s) { scan_backward(s, false); }
void backward_naive(benchmark::State& s) { scan_backward(s, true); }

void batches(benchmark::internal::Benchmark* b, bool all_threads) {
  b->ArgNames({"batch", "threads"});
  for (const Index batch : {1, 4}) {
    b->Args({batch, 1});
    if (all_threads && mlprim::max_threads() > 1) b->Args({batch, mlprim::max_threads()});
  }
}

/// SSD against the selective scan on one problem: H heads of P channels, N states.
constexpr Index ssd_heads = 24, ssd_p = 64;
void ssd(benchmark::State& state, bool use_ssd) {
  const Index L = state.range(0), dm = ssd_heads * ssd_p;
  const int threads = threads_of(state);
  const RowMatrix<float> x = random(L, dm, 11, -1, 1), B = random(L, state_size, 12, -1, 1),
                         C = random(L, state_size, 13, -1, 1),
                         dt = random(L, ssd_heads, 14, 0.01f, 0.1f);
  const Vector<float> a = -random(ssd_heads, 1, 15, 1, 8);
  RowMatrix<float> delta(L, dm), a_full(dm, state_size);
  for (Index c = 0; c < dm; ++c) {
    delta.col(c) = dt.col(c / ssd_p);
    a_full.row(c).setConstant(a(c / ssd_p));
  }
  mlprim::SsdOptions<float> so;
  so.num_threads = threads;
  mlprim::SelectiveScanOptions<float> o;
  o.num_threads = threads;
  RowMatrix<float> y;
  for (auto _ : state) {
    y = use_ssd ? mlprim::ssd_scan(x, dt, a, B, C, so).y
                : mlprim::selective_scan(x, delta, a_full, B, C, o).y;
    benchmark::DoNotOptimize(y.data());
  }
  count(state, static_cast<double>(L * dm));
}
void ssd_mlprim(benchmark::State& s) { ssd(s, true); }
void ssd_selective(benchmark::State& s) { ssd(s, false); }

void lengths(benchmark::internal::Benchmark* b) {
  b->ArgNames({"L", "threads"});
  for (const Index L : {1024, 8192}) {
    b->Args({L, 1});
    if (mlprim::max_threads() > 1) b->Args({L, mlprim::max_threads()});
  }
}

/// The linear scan, parallel form and sequential loop.
constexpr Index scan_rows = Index{1} << 20, scan_cols = 16;
void linear(benchmark::State& state, bool sequential) {
  const int threads = static_cast<int>(state.range(1));
  const Index cols = state.range(0), rows = scan_rows * scan_cols / cols;
  const RowMatrix<float> a = random(rows, cols, 21, 0.9f, 1.0f), b = random(rows, cols, 22, -1, 1);
  mlprim::LinearScanOptions o;
  o.num_threads = threads;
  RowMatrix<float> h(rows, cols);
  for (auto _ : state) {
    if (sequential) {  // the loop, written here
      for (Index t = 0; t < rows; ++t)
        for (Index j = 0; j < cols; ++j) h(t, j) = a(t, j) * (t ? h(t - 1, j) : 0.0f) + b(t, j);
    } else {
      h = mlprim::linear_scan(a, b, Vector<float>(), o);
    }
    benchmark::DoNotOptimize(h.data());
  }
  count(state, static_cast<double>(rows * cols));
}
void linear_parallel(benchmark::State& s) { linear(s, false); }
void linear_sequential(benchmark::State& s) { linear(s, true); }

/// Causal convolution by kernel length.
void conv(benchmark::State& state, mlprim::ConvolutionMethod method) {
  const Index L = 4096, ch = 64, taps = state.range(0);
  const RowMatrix<float> u = random(L, ch, 31, -1, 1), k = random(taps, ch, 32, -1, 1);
  mlprim::ConvolutionOptions o;
  o.method = method;
  o.num_threads = 1;
  RowMatrix<float> y;
  for (auto _ : state) {
    y = mlprim::causal_convolution(u, k, o);
    benchmark::DoNotOptimize(y.data());
  }
  count(state, static_cast<double>(L * ch));
}
void conv_direct(benchmark::State& s) { conv(s, mlprim::ConvolutionMethod::Direct); }
void conv_fft(benchmark::State& s) { conv(s, mlprim::ConvolutionMethod::FFT); }

/// One decoding step of a Mamba block of width 768.
void mamba_step(benchmark::State& state) {
  mlprim::MambaParams params;
  params.d_model = 768;
  params.num_threads = static_cast<int>(state.range(0));
  const mlprim::MambaBlock<float> block(params);
  auto decoding = block.initial_state();
  const Vector<float> token = random(768, 1, 41, -1, 1);
  for (auto _ : state) {
    const Vector<float> out = block.step(token, decoding);
    benchmark::DoNotOptimize(out.data());
  }
}

}  // namespace

BENCHMARK(forward_mlprim)
    ->Name("mlprim:selective_scan_fwd")
    ->Apply([](auto* b) { batches(b, true); }) -> UseRealTime() -> Unit(benchmark::kMillisecond);
BENCHMARK(forward_naive)
    ->Name("naive:selective_scan_fwd")
    ->Apply([](auto* b) { batches(b, false); }) -> UseRealTime() -> Unit(benchmark::kMillisecond);
BENCHMARK(backward_mlprim)
    ->Name("mlprim:selective_scan_bwd")
    ->Apply([](auto* b) { batches(b, true); }) -> UseRealTime() -> Unit(benchmark::kMillisecond);
BENCHMARK(backward_naive)
    ->Name("naive:selective_scan_bwd")
    ->Apply([](auto* b) { batches(b, false); }) -> UseRealTime() -> Unit(benchmark::kMillisecond);
BENCHMARK(ssd_mlprim)
    ->Name("mlprim:ssd")
    ->Apply(lengths)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(ssd_selective)
    ->Name("selective_scan:ssd")
    ->Apply(lengths)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
void scan_widths(benchmark::internal::Benchmark* b, bool all_threads) {
  b->ArgNames({"D", "threads"});
  for (const Index d : {16, 64}) {
    b->Args({d, 1});
    if (all_threads && mlprim::max_threads() > 1) b->Args({d, mlprim::max_threads()});
  }
}

BENCHMARK(linear_parallel)
    ->Name("mlprim:linear_scan")
    ->Apply([](auto* b) { scan_widths(b, true); }) -> UseRealTime()
        -> Unit(benchmark::kMillisecond);
BENCHMARK(linear_sequential)
    ->Name("sequential:linear_scan")
    ->Apply([](auto* b) { scan_widths(b, false); }) -> UseRealTime()
        -> Unit(benchmark::kMillisecond);
BENCHMARK(conv_direct)
    ->Name("direct:conv_fft")
    ->ArgName("taps")
    ->RangeMultiplier(4)
    ->Range(16, 4096)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(conv_fft)
    ->Name("mlprim:conv_fft")
    ->ArgName("taps")
    ->RangeMultiplier(4)
    ->Range(16, 4096)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(mamba_step)
    ->Name("mlprim:mamba_step_768")
    ->Apply(mlprim::bench::thread_counts)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

MLPRIM_BENCHMARK_MAIN();
