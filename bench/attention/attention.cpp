// Softmax and linear attention on one float head, d = 64, Nq = Nk = N:
//   mlprim     flash_attention (FlashAttention-2 forward)
//   reference  scaled_dot_product_attention (materialises N x N scores; N <= 4096)
//   linear     linear_attention, elu+1 features, causal chunked (chunk 64) — on the
//              causal case only, so the ratio mlprim / linear shows where it overtakes flash
// for N in {512, 1024, 4096, 16384}, plain and causal, 1 and all threads
// (and causal flash and linear for N in {32, ..., 256} on one thread);
// the dense flash forward and backward at N = 4096, d = 64 and 128, against
// the GEMM of their own shape (flash_dense);
// and the batched flash forward over B = 1, H = 16, N = 2048 (threads over heads);
// the block-sparse flash forward at N = 16384 with random 64 x 64 block masks
// of 5, 10 and 25 % (sparse_random) and the published patterns (strided,
// fixed, Longformer, BigBird: sparse_named);
// and tree-attention decoding of 64 draft candidates against a 4096-token
// cache, against decoding the tree's paths one by one (tree_decode).
// Counters: GFLOP (per second; 4 N^2 d per head, half under causal, the same
// count credited to every implementation), of_gemm (that rate over the
// 4096 x 64 x 4096 Eigen GEMM's on as many threads), peak_MiB (resident
// memory one call adds at its peak, measured outside the timed loop).
#include <Eigen/Core>

#include <string>
#include <vector>

#include <mlprim/attention.hpp>

#include "common/bench_main.hpp"
#include "common/gemm.hpp"
#include "common/memory.hpp"

namespace {

using mlprim::Index;
using mlprim::RowMatrix;
constexpr Index d = 64;

RowMatrix<float> random_matrix(Index rows, Index cols, std::uint64_t seed) {
  mlprim::Rng rng(seed);
  RowMatrix<float> m(rows, cols);
  mlprim::fill_normal(m, rng);
  return m;
}

enum class Impl { Flash, Reference, Linear };

void attention(benchmark::State& state, Impl impl, bool causal) {
  const Index n = state.range(0);
  const int threads = static_cast<int>(state.range(1));
  const auto q = random_matrix(n, d, 1), k = random_matrix(n, d, 2), v = random_matrix(n, d, 3);
  mlprim::AttentionOptions o;
  o.causal = causal;
  o.num_threads = threads;
  mlprim::LinearAttentionOptions lo;
  lo.causal = causal;
  lo.num_threads = threads;
  auto run = [&] {
    Eigen::setNbThreads(threads);  // the reference's GEMMs
    if (impl == Impl::Flash) {
      auto r = mlprim::flash_attention(q, k, v, o);
      benchmark::DoNotOptimize(r.out.data());
    } else if (impl == Impl::Reference) {
      auto r = mlprim::scaled_dot_product_attention(q, k, v, o);
      benchmark::DoNotOptimize(r.data());
    } else {
      auto r = mlprim::linear_attention(q, k, v, mlprim::EluPlusOne{}, lo);
      benchmark::DoNotOptimize(r.data());
    }
    Eigen::setNbThreads(0);
  };
  const double peak = mlprim::bench::peak_added_bytes(run);
  for (auto _ : state) run();
  const double flops = 4.0 * double(n) * double(n) * double(d) * (causal ? 0.5 : 1.0);
  state.counters["GFLOP"] =
      benchmark::Counter(1e-9 * flops * double(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["of_gemm"] =
      benchmark::Counter(flops * double(state.iterations()) / mlprim::bench::gemm_roofline(threads),
                         benchmark::Counter::kIsRate);
  state.counters["peak_MiB"] = peak / (1 << 20);
}

void multihead(benchmark::State& state) {
  const Index heads = 16, n = 2048;
  const int threads = static_cast<int>(state.range(0));
  const auto q = random_matrix(n, heads * d, 4), k = random_matrix(n, heads * d, 5),
             v = random_matrix(n, heads * d, 6);
  RowMatrix<float> out(n, heads * d);
  mlprim::AttentionShape s;
  s.seq_q = n;
  s.heads_q = heads;
  s.dim = d;
  mlprim::AttentionOptions o;
  o.num_threads = threads;
  for (auto _ : state) {
    auto r = mlprim::flash_attention(q.data(), k.data(), v.data(), out.data(), s, o);
    benchmark::DoNotOptimize(r.lse.data());
    benchmark::DoNotOptimize(out.data());
  }
  const double flops = 4.0 * double(heads) * double(n) * double(n) * double(d);
  state.counters["GFLOP"] =
      benchmark::Counter(1e-9 * flops * double(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["of_gemm"] =
      benchmark::Counter(flops * double(state.iterations()) / mlprim::bench::gemm_roofline(threads),
                         benchmark::Counter::kIsRate);
}

/// Tree attention for speculative decoding: 64 draft candidates (4 first
/// tokens, 3 children each, 4 grandchildren each: 48 root-to-leaf paths of
/// 3) against a 4096-token cache, 8 heads of d = 64. `mlprim:` decodes the
/// whole tree in one attention_decode with its TreeAttentionMask; `paths:`
/// decodes each path on its own (append its 3 tokens, causal decode,
/// truncate), the way a tree is verified without tree attention.
/// Counter `candidates`: tree candidates verified per second.
void tree_decode(benchmark::State& state, bool one_call) {
  const Index heads = 8, prefix = 4096;
  const int threads = static_cast<int>(state.range(0));
  std::vector<Index> parents;
  for (Index a = 0; a < 4; ++a) parents.push_back(-1);
  for (Index a = 0; a < 4; ++a)
    for (Index b = 0; b < 3; ++b) parents.push_back(a);
  for (Index c = 0; c < 12; ++c)
    for (Index b = 0; b < 4; ++b) parents.push_back(4 + c);
  const auto tree = mlprim::tree_attention_mask(parents);
  const Index t = tree.size();
  const auto keys = random_matrix(prefix + t, heads * d, 7),
             values = random_matrix(prefix + t, heads * d, 8), q = random_matrix(t, heads * d, 9);
  mlprim::KVCacheParams config;
  config.heads = heads;
  config.dim = d;
  config.capacity = prefix + t;
  mlprim::KVCache<float> cache(config);
  mlprim::AttentionOptions o;
  o.num_threads = threads;
  o.causal = !one_call;
  std::vector<std::vector<Index>> paths;
  for (Index leaf = 16; leaf < t; ++leaf) paths.push_back(tree.path(leaf));
  for (auto _ : state) {
    if (one_call) {
      cache.truncate(0);
      cache.append(0, keys, values);
      auto r = mlprim::attention_decode(q, cache, tree, o);
      benchmark::DoNotOptimize(r.out.data());
      continue;
    }
    cache.truncate(0);
    cache.append(0, keys.topRows(prefix), values.topRows(prefix));
    for (const auto& path : paths) {
      RowMatrix<float> pk(3, heads * d), pv(3, heads * d), pq(3, heads * d);
      for (Index a = 0; a < 3; ++a) {
        const Index node = path[static_cast<std::size_t>(a)];
        pk.row(a) = keys.row(prefix + node);
        pv.row(a) = values.row(prefix + node);
        pq.row(a) = q.row(node);
      }
      cache.append(0, pk, pv);
      auto r = mlprim::attention_decode(pq, cache, o);
      benchmark::DoNotOptimize(r.out.data());
      cache.truncate(prefix);
    }
  }
  state.counters["candidates"] =
      benchmark::Counter(static_cast<double>(t * state.iterations()), benchmark::Counter::kIsRate);
}

/// The dense flash kernels against the GEMM of their own shape: N = 4096,
/// head dimension range(0) (64 or 128), forward (range(1) = 0) or backward
/// (1). of_gemm divides the rate by the 4096 x d x 4096 GEMM's on as many
/// threads; the backward is credited 2.5 times the forward's 4 N^2 d flops.
void flash_dense(benchmark::State& state) {
  const Index n = 4096, dim = state.range(0);
  const bool backward = state.range(1) == 1;
  const int threads = static_cast<int>(state.range(2));
  const auto q = random_matrix(n, dim, 1), k = random_matrix(n, dim, 2),
             v = random_matrix(n, dim, 3), d_out = random_matrix(n, dim, 4);
  mlprim::AttentionOptions o;
  o.num_threads = threads;
  const auto fwd = mlprim::flash_attention(q, k, v, o);
  for (auto _ : state) {
    if (backward) {
      auto g = mlprim::flash_attention_backward(q, k, v, fwd.out, d_out, fwd.lse, o);
      benchmark::DoNotOptimize(g.dQ.data());
    } else {
      auto r = mlprim::flash_attention(q, k, v, o);
      benchmark::DoNotOptimize(r.out.data());
    }
  }
  const double flops = 4.0 * double(n) * double(n) * double(dim) * (backward ? 2.5 : 1.0);
  state.counters["GFLOP"] =
      benchmark::Counter(1e-9 * flops * double(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["of_gemm"] = benchmark::Counter(
      flops * double(state.iterations()) / mlprim::bench::gemm_roofline(threads, dim),
      benchmark::Counter::kIsRate);
}

/// Block-sparse flash forward: N = 16384, a seeded random block mask of
/// 64 x 64 blocks at range(0) percent density. Counter GFLOP counts the
/// kept scores only (4 d per score), so it compares with the dense
/// kernel's GFLOP as per-kept-score throughput.
void sparse_random(benchmark::State& state) {
  const Index n = 16384, block = 64, blocks = n / block;
  const double density = static_cast<double>(state.range(0)) / 100.0;
  const int threads = static_cast<int>(state.range(1));
  const auto q = random_matrix(n, d, 1), k = random_matrix(n, d, 2), v = random_matrix(n, d, 3);
  mlprim::Rng rng(17);
  std::vector<std::vector<Index>> kept(static_cast<std::size_t>(blocks));
  Index kept_blocks = 0;
  for (auto& row : kept)
    for (Index kb = 0; kb < blocks; ++kb)
      if (rng.uniform<double>() < density) {
        row.push_back(kb);
        ++kept_blocks;
      }
  mlprim::AttentionOptions o;
  o.num_threads = threads;
  o.sparsity = mlprim::block_mask_pattern(kept, n, n, block, block);
  for (auto _ : state) {
    auto r = mlprim::flash_attention(q, k, v, o);
    benchmark::DoNotOptimize(r.out.data());
  }
  const double flops = 4.0 * double(kept_blocks) * double(block * block) * double(d);
  state.counters["GFLOP"] =
      benchmark::Counter(1e-9 * flops * double(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["of_gemm"] =
      benchmark::Counter(flops * double(state.iterations()) / mlprim::bench::gemm_roofline(threads),
                         benchmark::Counter::kIsRate);
}

enum class Pattern { Strided, Fixed, Longformer, BigBird };

/// The published patterns at N = 16384 and their usual settings: strided and
/// fixed with stride 128 (about sqrt(N), as Child et al.), fixed with c = 8;
/// Longformer with a window of 256 each side and 16 global tokens; BigBird
/// with 64-token blocks, 3 window blocks, 2 global and 3 random. Counter
/// GFLOP counts kept scores only (counted once, outside the timed loop);
/// `density` is the kept fraction of the N^2 scores.
void sparse_named(benchmark::State& state, Pattern which) {
  const Index n = 16384;
  const int threads = static_cast<int>(state.range(0));
  const auto q = random_matrix(n, d, 1), k = random_matrix(n, d, 2), v = random_matrix(n, d, 3);
  std::vector<Index> global;
  for (Index g = 0; g < 16; ++g) global.push_back(g * (n / 16));
  mlprim::AttentionOptions o;
  o.num_threads = threads;
  o.sparsity = which == Pattern::Strided      ? mlprim::strided_pattern(n, 128)
               : which == Pattern::Fixed      ? mlprim::fixed_pattern(n, 128, 8)
               : which == Pattern::Longformer ? mlprim::longformer_pattern(n, 256, global)
                                              : mlprim::bigbird_pattern(n, 64, 1, 2, 3, 11);
  const auto& p = *o.sparsity;
  double kept = 0;
  for (Index b = 0; b < p.query_blocks(); ++b) {
    const auto [first, last] = p.kept(b);
    for (auto kb = first; kb != last; ++kb)
      for (Index i = b * p.block_q(); i < std::min(n, (b + 1) * p.block_q()); ++i)
        for (Index j = *kb * p.block_k(); j < std::min(n, (*kb + 1) * p.block_k()); ++j)
          kept += p.rule_keeps(i, j) ? 1 : 0;
  }
  for (auto _ : state) {
    auto r = mlprim::flash_attention(q, k, v, o);
    benchmark::DoNotOptimize(r.out.data());
  }
  const double flops = 4.0 * kept * double(d);
  state.counters["GFLOP"] =
      benchmark::Counter(1e-9 * flops * double(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["density"] = kept / (double(n) * double(n));
}

void sizes(benchmark::internal::Benchmark* b, Index largest) {
  b->ArgNames({"N", "threads"});
  for (Index n : {512, 1024, 4096, 16384})
    if (n <= largest) {
      b->Args({n, 1});
      if (mlprim::max_threads() > 1) b->Args({n, mlprim::max_threads()});
    }
}

/// Short sequences on one thread, where linear attention overtakes flash.
void short_sizes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"N", "threads"});
  for (Index n : {32, 64, 128, 256}) b->Args({n, 1});
}

}  // namespace

BENCHMARK_CAPTURE(attention, flash, Impl::Flash, false)
    ->Name("mlprim:attention")
    ->Apply([](auto* b) { sizes(b, 16384); }) -> UseRealTime() -> Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(attention, reference, Impl::Reference, false)
    ->Name("reference:attention")
    ->Apply([](auto* b) { sizes(b, 4096); }) -> UseRealTime() -> Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(attention, flash_causal, Impl::Flash, true)
    ->Name("mlprim:attention_causal")
    ->Apply([](auto* b) { sizes(b, 16384); }) -> UseRealTime() -> Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(attention, reference_causal, Impl::Reference, true)
    ->Name("reference:attention_causal")
    ->Apply([](auto* b) { sizes(b, 4096); }) -> UseRealTime() -> Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(attention, linear_causal, Impl::Linear, true)
    ->Name("linear:attention_causal")
    ->Apply([](auto* b) { sizes(b, 16384); }) -> UseRealTime() -> Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(attention, flash_causal_short, Impl::Flash, true)
    ->Name("mlprim:attention_causal_short")
    ->Apply(short_sizes)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(attention, linear_causal_short, Impl::Linear, true)
    ->Name("linear:attention_causal_short")
    ->Apply(short_sizes)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(multihead)
    ->Name("mlprim:multihead_B1_H16_N2048")
    ->Apply(mlprim::bench::thread_counts)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(flash_dense)
    ->Name("mlprim:flash_dense_N4096")
    ->ArgNames({"d", "backward", "threads"})
    ->ArgsProduct({{64, 128}, {0, 1}, {1, 2}})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(sparse_random)
    ->Name("mlprim:sparse_random_N16384")
    ->ArgNames({"percent", "threads"})
    ->ArgsProduct({{5, 10, 25}, {1, 2}})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(sparse_named, strided, Pattern::Strided)
    ->Name("mlprim:sparse_strided_N16384")
    ->Apply(mlprim::bench::thread_counts)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(sparse_named, fixed, Pattern::Fixed)
    ->Name("mlprim:sparse_fixed_N16384")
    ->Apply(mlprim::bench::thread_counts)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(sparse_named, longformer, Pattern::Longformer)
    ->Name("mlprim:sparse_longformer_N16384")
    ->Apply(mlprim::bench::thread_counts)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(sparse_named, bigbird, Pattern::BigBird)
    ->Name("mlprim:sparse_bigbird_N16384")
    ->Apply(mlprim::bench::thread_counts)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(tree_decode, tree, true)
    ->Name("mlprim:tree_decode_64x4096")
    ->Apply(mlprim::bench::thread_counts)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(tree_decode, paths, false)
    ->Name("paths:tree_decode_64x4096")
    ->Apply(mlprim::bench::thread_counts)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

MLPRIM_BENCHMARK_MAIN();
