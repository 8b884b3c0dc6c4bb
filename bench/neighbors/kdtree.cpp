// mlprim::KDTree against nanoflann (Debian's libnanoflann-dev) on the same
// points and queries in one process:
//   (a) 10^6 uniform 3-D float points, 10^5 queries, k = 1 and k = 10
//   (b) 10^5 uniform 16-D points, 10^4 queries, k = 10
//   (c) radius search in (a)'s cloud with about 30 neighbours per query
//   (d) a clustered 3-D cloud (Gaussian blobs of mixed spread), k = 10
//   (e) 2 * 10^4 uniform 64-D points, 2000 queries, k = 10 (tree against brute
//       force: the crossover)
// and the build time of (a) and (d). Each tree uses its own default leaf size
// (mlprim 16, SciPy's; nanoflann 10) and compile-time dimensions. "mlprim" is the batch call
// tree.knn(queries, k); "mlprim-single" and "nanoflann" run the same
// per-query loop into preallocated buffers, split over threads identically;
// "bruteforce" is mlprim::knn_bruteforce. Counters: queries (per second),
// bytes_per_point (mlprim's points copy, index map and nodes).
#include <Eigen/Core>
#include <nanoflann.hpp>

#include <cmath>
#include <vector>

#include <mlprim/neighbors.hpp>

#include "common/bench_main.hpp"
#include "common/memory.hpp"

namespace {

// Builds allocate tens of MiB and free them each iteration: both libraries
// are timed in a steady heap (bench/README.md quotes fresh-process figures
// separately).
[[maybe_unused]] const bool steady_heap = [] {
  mlprim::bench::use_steady_heap();
  return true;
}();

template <int D>
using Cloud = Eigen::Matrix<float, Eigen::Dynamic, D, Eigen::RowMajor>;

template <int D>
using Nanoflann = nanoflann::KDTreeEigenMatrixAdaptor<Cloud<D>, D, nanoflann::metric_L2_Simple>;

template <int D>
Cloud<D> uniform(Eigen::Index n, std::uint64_t seed) {
  mlprim::Rng rng(seed);
  Cloud<D> c(n, D);
  mlprim::fill_uniform(c, rng);
  return c;
}

/// n points from 20 Gaussian blobs of spreads 0.01 to 0.25 in [-10, 10]^3;
/// the blobs come from `layout`, the draws from `seed`, so queries drawn with
/// the same layout and another seed fall where the points are.
Cloud<3> clustered(Eigen::Index n, std::uint64_t layout, std::uint64_t seed) {
  mlprim::Rng centers_rng(layout), rng(seed);
  Cloud<3> centers(20, 3), c(n, 3);
  mlprim::fill_uniform(centers, centers_rng, -10.0f, 10.0f);
  for (Eigen::Index i = 0; i < n; ++i) {
    const auto k = static_cast<Eigen::Index>(rng.below(20));
    const float spread = 0.01f * static_cast<float>(1 + k % 5) * static_cast<float>(1 + k % 5);
    for (int j = 0; j < 3; ++j) c(i, j) = centers(k, j) + rng.normal(0.0f, spread);
  }
  return c;
}

template <int D>
struct Problem {
  Cloud<D> points, queries;
  mlprim::KDTree<float, D> ours;
  Nanoflann<D> theirs;
  Problem(Cloud<D> p, Cloud<D> q)
      : points(std::move(p)),
        queries(std::move(q)),
        ours(points),
        theirs(D, std::cref(points), 10) {}
};

Problem<3>& uniform3d() {
  static Problem<3> p(uniform<3>(1000000, 1), uniform<3>(100000, 2));
  return p;
}
Problem<16>& uniform16d() {
  static Problem<16> p(uniform<16>(100000, 3), uniform<16>(10000, 4));
  return p;
}
Problem<64>& uniform64d() {
  static Problem<64> p(uniform<64>(20000, 7), uniform<64>(2000, 8));
  return p;
}
Problem<3>& clustered3d() {
  static Problem<3> p(clustered(1000000, 5, 5), clustered(100000, 5, 6));
  return p;
}

/// Runs search(query, indices, distances) for every query of p into
/// preallocated buffers, split over the state's thread count.
template <int D, class Search>
void knn_loop(benchmark::State& state, Problem<D>& p, Eigen::Index k, const Search& search) {
  const int threads = static_cast<int>(state.range(0));
  const Eigen::Index m = p.queries.rows();
  std::vector<Eigen::Index> idx(static_cast<std::size_t>(m * k));
  std::vector<float> dist(idx.size());
  for (auto _ : state)
    mlprim::parallel_for_chunks(
        Eigen::Index{0}, m, threads, [&](Eigen::Index lo, Eigen::Index hi, int) {
          for (Eigen::Index q = lo; q < hi; ++q)
            search(p.queries.row(q).data(), idx.data() + q * k, dist.data() + q * k);
        });
  state.counters["queries"] =
      benchmark::Counter(static_cast<double>(m * state.iterations()), benchmark::Counter::kIsRate);
}

template <int D>
void knn_ours(benchmark::State& state, Problem<D>& p, Eigen::Index k) {
  knn_loop(state, p, k,
           [&](const float* q, Eigen::Index* idx, float* dist) { p.ours.knn(q, k, idx, dist); });
  state.counters["bytes_per_point"] =
      static_cast<double>(p.ours.memory_bytes()) / static_cast<double>(p.points.rows());
}

template <int D>
void knn_theirs(benchmark::State& state, Problem<D>& p, Eigen::Index k) {
  knn_loop(state, p, k, [&](const float* q, Eigen::Index* idx, float* dist) {
    p.theirs.index->knnSearch(q, static_cast<std::size_t>(k), idx, dist);
  });
}

template <int D>
void knn_ours_batch(benchmark::State& state, Problem<D>& p, Eigen::Index k) {
  mlprim::KnnOptions<float> options;
  options.num_threads = static_cast<int>(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(p.ours.knn(p.queries, k, options).indices.data());
  state.counters["queries"] = benchmark::Counter(
      static_cast<double>(p.queries.rows() * state.iterations()), benchmark::Counter::kIsRate);
}

template <int D>
void knn_bruteforce(benchmark::State& state, Problem<D>& p, Eigen::Index k) {
  mlprim::KnnOptions<float> options;
  options.num_threads = static_cast<int>(state.range(0));
  for (auto _ : state)
    benchmark::DoNotOptimize(
        mlprim::knn_bruteforce(p.points, p.queries, k, options).indices.data());
  state.counters["queries"] = benchmark::Counter(
      static_cast<double>(p.queries.rows() * state.iterations()), benchmark::Counter::kIsRate);
}

constexpr float radius30 = 0.0193f;  // (30 * 3 / (4 pi 10^6))^(1/3): ~30 of 10^6 uniform points

void radius_ours(benchmark::State& state) {
  auto& p = uniform3d();
  const int threads = static_cast<int>(state.range(0));
  const Eigen::Index m = 20000;
  double found = 0;
  for (auto _ : state) {
    const auto r =
        p.ours.radius_batch(p.queries.topRows(m), radius30, mlprim::RadiusOptions{false, 0, threads});
    found = static_cast<double>(r.indices.size()) / static_cast<double>(m);
  }
  state.counters["queries"] =
      benchmark::Counter(static_cast<double>(m * state.iterations()), benchmark::Counter::kIsRate);
  state.counters["neighbours"] = found;
}

void radius_theirs(benchmark::State& state) {
  auto& p = uniform3d();
  const int threads = static_cast<int>(state.range(0));
  const Eigen::Index m = 20000;
  std::vector<std::vector<std::pair<Eigen::Index, float>>> out(static_cast<std::size_t>(m));
  double found = 0;
  for (auto _ : state) {
    mlprim::parallel_for_chunks(
        Eigen::Index{0}, m, threads, [&](Eigen::Index lo, Eigen::Index hi, int) {
          for (Eigen::Index q = lo; q < hi; ++q)
            p.theirs.index->radiusSearch(p.queries.row(q).data(), radius30 * radius30,
                                         out[static_cast<std::size_t>(q)],
                                         nanoflann::SearchParams(32, 0, false));
        });
    std::size_t total = 0;
    for (const auto& o : out) total += o.size();
    found = static_cast<double>(total) / static_cast<double>(m);
  }
  state.counters["queries"] =
      benchmark::Counter(static_cast<double>(m * state.iterations()), benchmark::Counter::kIsRate);
  state.counters["neighbours"] = found;
}

template <class Make>
void build(benchmark::State& state, Make&& make_cloud, bool ours) {
  const Cloud<3> points = make_cloud();
  mlprim::KDTreeParams params;
  params.num_threads = static_cast<int>(state.range(0));
  for (auto _ : state) {
    if (ours) {
      mlprim::KDTree<float, 3> tree(points, params);
      benchmark::DoNotOptimize(tree.size());
    } else {
      Nanoflann<3> tree(3, std::cref(points), 10);
      benchmark::DoNotOptimize(tree.index);
    }
  }
  state.counters["points"] = benchmark::Counter(
      static_cast<double>(points.rows() * state.iterations()), benchmark::Counter::kIsRate);
}

void one_thread(benchmark::internal::Benchmark* b) {
  b->ArgName("threads");
  b->Arg(1);
}

// Each case is a set of plain functions, so data are built on first use only.
#define MLPRIM_REGISTER(fn, label)          \
  BENCHMARK(fn)                             \
      ->Name(label)                         \
      ->Apply(mlprim::bench::thread_counts) \
      ->UseRealTime()                       \
      ->Unit(benchmark::kMillisecond)
#define MLPRIM_KNN_CASE(name, problem, k)                                     \
  void batch_##name(benchmark::State& s) { knn_ours_batch(s, problem(), k); } \
  void single_##name(benchmark::State& s) { knn_ours(s, problem(), k); }      \
  void theirs_##name(benchmark::State& s) { knn_theirs(s, problem(), k); }    \
  MLPRIM_REGISTER(batch_##name, "mlprim:" #name);                             \
  MLPRIM_REGISTER(single_##name, "mlprim-single:" #name);                     \
  MLPRIM_REGISTER(theirs_##name, "nanoflann:" #name)

MLPRIM_KNN_CASE(knn_uniform3d_1M_k1, uniform3d, 1);
MLPRIM_KNN_CASE(knn_uniform3d_1M_k10, uniform3d, 10);
MLPRIM_KNN_CASE(knn_uniform16d_100k_k10, uniform16d, 10);
MLPRIM_KNN_CASE(knn_clustered3d_1M_k10, clustered3d, 10);
MLPRIM_KNN_CASE(knn_uniform64d_20k_k10, uniform64d, 10);
void brute16(benchmark::State& s) { knn_bruteforce(s, uniform16d(), 10); }
void brute64(benchmark::State& s) { knn_bruteforce(s, uniform64d(), 10); }
MLPRIM_REGISTER(brute16, "bruteforce:knn_uniform16d_100k_k10");
MLPRIM_REGISTER(brute64, "bruteforce:knn_uniform64d_20k_k10");

void build_ours_uniform(benchmark::State& s) {
  build(
      s, [] { return uniform<3>(1000000, 1); }, true);
}
void build_theirs_uniform(benchmark::State& s) {
  build(
      s, [] { return uniform<3>(1000000, 1); }, false);
}
void build_ours_clustered(benchmark::State& s) {
  build(
      s, [] { return clustered(1000000, 5, 5); }, true);
}
void build_theirs_clustered(benchmark::State& s) {
  build(
      s, [] { return clustered(1000000, 5, 5); }, false);
}

}  // namespace

BENCHMARK(radius_ours)
    ->Name("mlprim:radius_uniform3d_30nn")
    ->Apply(mlprim::bench::thread_counts)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(radius_theirs)
    ->Name("nanoflann:radius_uniform3d_30nn")
    ->Apply(mlprim::bench::thread_counts)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(build_ours_uniform)
    ->Name("mlprim:build_uniform3d_1M")
    ->Apply(mlprim::bench::thread_counts)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(build_theirs_uniform)
    ->Name("nanoflann:build_uniform3d_1M")
    ->Apply(one_thread)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(build_ours_clustered)
    ->Name("mlprim:build_clustered3d_1M")
    ->Apply(mlprim::bench::thread_counts)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(build_theirs_clustered)
    ->Name("nanoflann:build_clustered3d_1M")
    ->Apply(one_thread)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

MLPRIM_BENCHMARK_MAIN();
