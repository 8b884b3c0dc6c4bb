// High-dimensional k-NN: mlprim against nanoflann, FLANN (Debian's
// libflann-dev), FAISS (libfaiss-dev) and hnswlib (libhnswlib-dev), on the
// same data in one process.
//
// (a) exact, k = 10, 10^5 points, d in {3, 8, 16, 32, 64, 128}, uniform in
//     [0, 1)^d and clustered (20 Gaussian clusters in a random 4-D subspace
//     plus small noise), 1 and 2 threads: mlprim's KDTree::knn with
//     KnnMethod::Auto (counter `brute` = 1 when Auto chose the brute force),
//     nanoflann's k-d tree, FLANN's exact KDTreeSingleIndex and FAISS's
//     IndexFlatL2; and mlprim with each method forced (mlprim-tree,
//     mlprim-brute), the runs the Auto cost model is fitted to. Queries: 2000 (500 from d = 32 on, where the trees scan
//     nearly everything).
// (b) approximate, SIFT-like descriptors (bench/common/descriptors.hpp:
//     128-D bytes from low-rank Gaussian clusters), 10^6 train, 10^4 queries,
//     k = 2, one thread: recall@1 and queries/s over a sweep of checks for
//     RandomizedKDForest and FLANN's KDTreeIndex, both 4 trees on the bytes;
//     hnswlib's HNSW (M = 16, ef_construction = 100, float copies) over a
//     sweep of ef for context; and the build times.
// Counters: queries (per second), recall (recall@1: the first neighbour's
// distance equals the exact nearest distance), brute (mlprim's choice).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <mlprim/neighbors.hpp>

#ifdef MLPRIM_BENCH_HAVE_NANOFLANN
#include <nanoflann.hpp>
#endif
#ifdef MLPRIM_BENCH_HAVE_FLANN
#include <flann/flann.hpp>
#endif
#ifdef MLPRIM_BENCH_HAVE_FAISS
#include <faiss/IndexFlat.h>
#include <omp.h>
#endif
#ifdef MLPRIM_BENCH_HAVE_HNSWLIB
#include <hnswlib/hnswlib.h>
#endif

#include "common/bench_main.hpp"
#include "common/descriptors.hpp"

namespace {

using mlprim::Index;
using Cloud = mlprim::RowMatrix<float>;

/// Uniform in [0, 1)^d, or 20 clusters in a random 4-D subspace (spread 0.3
/// in cluster coordinates) plus N(0, 0.01) noise in every dimension.
Cloud make_cloud(Index n, Index d, bool clustered, std::uint64_t seed) {
  mlprim::Rng rng(seed), layout(77);
  Cloud c(n, d);
  if (!clustered) {
    mlprim::fill_uniform(c, rng);
    return c;
  }
  const Index r = std::min<Index>(d, 4);
  Cloud basis(r, d), centres(20, r);
  mlprim::fill_uniform(basis, layout, -1.0f, 1.0f);
  mlprim::fill_uniform(centres, layout, -5.0f, 5.0f);
  mlprim::RowVector<float> z(r);
  for (Index i = 0; i < n; ++i) {
    const auto k = static_cast<Index>(rng.below(20));
    for (Index j = 0; j < r; ++j) z(j) = centres(k, j) + rng.normal(0.0f, 0.3f);
    c.row(i) = z * basis;
    for (Index j = 0; j < d; ++j) c(i, j) += rng.normal(0.0f, 0.01f);
  }
  return c;
}

struct Exact {
  Cloud points, queries;
  mlprim::KDTree<float> ours;
  Exact(Index d, bool clustered)
      : points(make_cloud(100000, d, clustered, 1)),
        queries(make_cloud(d >= 32 ? 500 : 2000, d, clustered, 2)),
        ours(points) {}
};

Exact& exact(Index d, bool clustered) {
  static std::map<std::pair<Index, bool>, std::unique_ptr<Exact>> cache;
  auto& slot = cache[{d, clustered}];
  if (!slot) slot = std::make_unique<Exact>(d, clustered);
  return *slot;
}

void rate(benchmark::State& state, Index queries) {
  state.counters["queries"] = benchmark::Counter(static_cast<double>(queries * state.iterations()),
                                                 benchmark::Counter::kIsRate);
}

constexpr Index k_exact = 10;

void exact_method(benchmark::State& state, Index d, bool clustered, mlprim::KnnMethod method) {
  auto& p = exact(d, clustered);
  mlprim::KnnOptions<float> options;
  options.num_threads = static_cast<int>(state.range(0));
  options.method = method;
  bool brute = false;
  for (auto _ : state) {
    const auto r = p.ours.knn(p.queries, k_exact, options);
    brute = r.method == mlprim::KnnMethod::BruteForce;
    benchmark::DoNotOptimize(r.indices.data());
  }
  rate(state, p.queries.rows());
  state.counters["brute"] = brute ? 1 : 0;
}

void exact_ours(benchmark::State& state, Index d, bool clustered) {
  exact_method(state, d, clustered, mlprim::KnnMethod::Auto);
}
// The two methods forced: the measurements detail/method_choice.hpp's cost
// model is fitted to.
void exact_tree(benchmark::State& state, Index d, bool clustered) {
  exact_method(state, d, clustered, mlprim::KnnMethod::Tree);
}
void exact_brute(benchmark::State& state, Index d, bool clustered) {
  exact_method(state, d, clustered, mlprim::KnnMethod::BruteForce);
}

#ifdef MLPRIM_BENCH_HAVE_NANOFLANN
using Nanoflann = nanoflann::KDTreeEigenMatrixAdaptor<Cloud, -1, nanoflann::metric_L2_Simple>;
void exact_nanoflann(benchmark::State& state, Index d, bool clustered) {
  auto& p = exact(d, clustered);
  static std::map<std::pair<Index, bool>, std::unique_ptr<Nanoflann>> trees;
  auto& tree = trees[{d, clustered}];
  if (!tree) tree = std::make_unique<Nanoflann>(d, std::cref(p.points), 10);
  const int threads = static_cast<int>(state.range(0));
  const Index m = p.queries.rows();
  std::vector<Index> idx(static_cast<std::size_t>(m * k_exact));
  std::vector<float> dist(idx.size());
  for (auto _ : state)
    mlprim::parallel_for_chunks(Index{0}, m, threads, [&](Index lo, Index hi, int) {
      for (Index q = lo; q < hi; ++q)
        tree->index->knnSearch(p.queries.row(q).data(), k_exact, idx.data() + q * k_exact,
                               dist.data() + q * k_exact);
    });
  rate(state, m);
}
#endif

#ifdef MLPRIM_BENCH_HAVE_FLANN
void exact_flann(benchmark::State& state, Index d, bool clustered) {
  auto& p = exact(d, clustered);
  using FlannIndex = flann::Index<flann::L2<float>>;
  static std::map<std::pair<Index, bool>, std::unique_ptr<FlannIndex>> indexes;
  auto& index = indexes[{d, clustered}];
  if (!index) {
    index = std::make_unique<FlannIndex>(
        flann::Matrix<float>(p.points.data(), static_cast<std::size_t>(p.points.rows()), static_cast<std::size_t>(d)),
        flann::KDTreeSingleIndexParams(10));
    index->buildIndex();
  }
  const auto m = static_cast<std::size_t>(p.queries.rows());
  std::vector<std::size_t> idx(m * k_exact);
  std::vector<float> dist(idx.size());
  flann::Matrix<std::size_t> indices(idx.data(), m, k_exact);
  flann::Matrix<float> dists(dist.data(), m, k_exact);
  flann::SearchParams params(flann::FLANN_CHECKS_UNLIMITED);
  params.cores = static_cast<int>(state.range(0));
  for (auto _ : state)
    index->knnSearch(flann::Matrix<float>(p.queries.data(), m, static_cast<std::size_t>(d)), indices, dists,
                     k_exact, params);
  rate(state, p.queries.rows());
}
#endif

#ifdef MLPRIM_BENCH_HAVE_FAISS
void exact_faiss(benchmark::State& state, Index d, bool clustered) {
  auto& p = exact(d, clustered);
  faiss::IndexFlatL2 index(d);
  index.add(p.points.rows(), p.points.data());
  omp_set_num_threads(static_cast<int>(state.range(0)));
  const Index m = p.queries.rows();
  std::vector<faiss::Index::idx_t> idx(static_cast<std::size_t>(m * k_exact));
  std::vector<float> dist(idx.size());
  for (auto _ : state) index.search(m, p.queries.data(), k_exact, dist.data(), idx.data());
  rate(state, m);
}
#endif

// --- (b) approximate search of SIFT-like descriptors -------------------------
using Bytes = mlprim::RowMatrix<std::uint8_t>;
constexpr Index k_approx = 2;

struct Sift {
  Bytes train = mlprim::bench::sift_like(1000000, 11);
  Bytes queries = mlprim::bench::sift_like(10000, 12);
  std::vector<float> nearest;  // exact nearest distance per query
  Sift() {
    const Cloud t = train.cast<float>(), q = queries.cast<float>();
    const auto r = mlprim::knn_bruteforce(t, q, 1);
    nearest.assign(r.distances.data(), r.distances.data() + r.distances.size());
  }
  double recall(const float* first_distance, Index stride) const {
    Index hits = 0;
    for (std::size_t i = 0; i < nearest.size(); ++i)
      hits += first_distance[static_cast<Index>(i) * stride] <= nearest[i] * (1 + 1e-6f);
    return static_cast<double>(hits) / static_cast<double>(nearest.size());
  }
};

Sift& sift() {
  static Sift s;
  return s;
}

mlprim::RandomizedKDForest<std::uint8_t>& our_forest() {
  static mlprim::RandomizedKDForest<std::uint8_t> f(sift().train, mlprim::KDForestParams{4});
  return f;
}

void sift_ours(benchmark::State& state) {
  auto& s = sift();
  auto& forest = our_forest();
  mlprim::ForestSearchOptions<float> options;
  options.checks = state.range(0);
  options.num_threads = 1;
  double recall = 0;
  for (auto _ : state) {
    const auto r = forest.knn(s.queries, k_approx, options);
    recall = s.recall(r.distances.data(), k_approx);
  }
  rate(state, s.queries.rows());
  state.counters["recall"] = recall;
  state.counters["bytes_per_point"] = forest.bytes_per_point();
}

void sift_build_ours(benchmark::State& state) {
  auto& s = sift();
  mlprim::KDForestParams params;
  params.num_threads = 1;
  for (auto _ : state) benchmark::DoNotOptimize(mlprim::RandomizedKDForest<std::uint8_t>(s.train, params).size());
}

#ifdef MLPRIM_BENCH_HAVE_FLANN
using FlannBytes = flann::Index<flann::L2<unsigned char>>;
flann::Matrix<unsigned char> as_flann(Bytes& b) {
  return flann::Matrix<unsigned char>(b.data(), static_cast<std::size_t>(b.rows()), static_cast<std::size_t>(b.cols()));
}
FlannBytes& flann_forest() {
  static FlannBytes f = [] {
    FlannBytes index(as_flann(sift().train), flann::KDTreeIndexParams(4));
    index.buildIndex();
    return index;
  }();
  return f;
}

void sift_flann(benchmark::State& state) {
  auto& s = sift();
  auto& index = flann_forest();
  const auto m = static_cast<std::size_t>(s.queries.rows());
  std::vector<std::size_t> idx(m * k_approx);
  std::vector<float> dist(idx.size());
  flann::Matrix<std::size_t> indices(idx.data(), m, k_approx);
  flann::Matrix<float> dists(dist.data(), m, k_approx);
  flann::SearchParams params(static_cast<int>(state.range(0)));
  params.cores = 1;
  double recall = 0;
  for (auto _ : state) {
    index.knnSearch(as_flann(s.queries), indices, dists, k_approx, params);
    // FLANN's L2 reports squared distances.
    std::vector<float> first(m);
    for (std::size_t i = 0; i < m; ++i) first[i] = std::sqrt(dist[i * k_approx]);
    recall = s.recall(first.data(), 1);
  }
  rate(state, s.queries.rows());
  state.counters["recall"] = recall;
}

void sift_build_flann(benchmark::State& state) {
  auto& s = sift();
  for (auto _ : state) {
    FlannBytes index(as_flann(s.train), flann::KDTreeIndexParams(4));
    index.buildIndex();
    benchmark::DoNotOptimize(index.size());
  }
}
#endif

#ifdef MLPRIM_BENCH_HAVE_HNSWLIB
struct Hnsw {
  Cloud train = sift().train.cast<float>(), queries = sift().queries.cast<float>();
  hnswlib::L2Space space{128};
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> index;
  Hnsw() {
    index = std::make_unique<hnswlib::HierarchicalNSW<float>>(&space, train.rows(), 16, 100);
    index->addPoint(train.row(0).data(), 0);
    mlprim::parallel_for(Index{1}, train.rows(), 0, [&](Index i) {
      index->addPoint(train.row(i).data(), static_cast<hnswlib::labeltype>(i));
    });
  }
};
Hnsw& hnsw() {
  static Hnsw h;
  return h;
}

void sift_hnswlib(benchmark::State& state) {
  auto& s = sift();
  auto& h = hnsw();
  h.index->setEf(static_cast<std::size_t>(state.range(0)));
  std::vector<float> first(static_cast<std::size_t>(s.queries.rows()));
  double recall = 0;
  for (auto _ : state) {
    for (Index q = 0; q < s.queries.rows(); ++q) {
      auto found = h.index->searchKnn(h.queries.row(q).data(), k_approx);
      while (found.size() > 1) found.pop();  // the max-heap's last is the nearest
      first[static_cast<std::size_t>(q)] = std::sqrt(found.top().first);
    }
    recall = s.recall(first.data(), 1);
  }
  rate(state, s.queries.rows());
  state.counters["recall"] = recall;
}
#endif

void register_all() {
  for (const Index d : {3, 8, 16, 32, 64, 128})
    for (const bool clustered : {false, true}) {
      const std::string name = std::string(clustered ? "exact_clustered" : "exact_uniform") + "_d" + std::to_string(d);
      auto add = [&](const char* impl, void (*fn)(benchmark::State&, Index, bool)) {
        benchmark::RegisterBenchmark((std::string(impl) + ":" + name).c_str(), fn, d, clustered)
            ->Apply(mlprim::bench::thread_counts)
            ->UseRealTime()
            ->Unit(benchmark::kMillisecond);
      };
      add("mlprim", exact_ours);
      add("mlprim-tree", exact_tree);
      add("mlprim-brute", exact_brute);
#ifdef MLPRIM_BENCH_HAVE_NANOFLANN
      add("nanoflann", exact_nanoflann);
#endif
#ifdef MLPRIM_BENCH_HAVE_FLANN
      add("flann", exact_flann);
#endif
#ifdef MLPRIM_BENCH_HAVE_FAISS
      add("faiss", exact_faiss);
#endif
    }
  const std::vector<std::int64_t> checks = {16, 32, 64, 128, 256, 512, 1024, 2048};
  auto sweep = [&](const char* name, void (*fn)(benchmark::State&), const std::vector<std::int64_t>& args,
                   const char* arg) {
    auto* b = benchmark::RegisterBenchmark(name, fn)->ArgName(arg)->UseRealTime()->Unit(benchmark::kMillisecond);
    for (const auto a : args) b->Arg(a);
  };
  sweep("mlprim:sift_knn", sift_ours, checks, "checks");
  benchmark::RegisterBenchmark("mlprim:sift_build", sift_build_ours)->UseRealTime()->Unit(benchmark::kMillisecond);
#ifdef MLPRIM_BENCH_HAVE_FLANN
  sweep("flann:sift_knn", sift_flann, checks, "checks");
  benchmark::RegisterBenchmark("flann:sift_build", sift_build_flann)->UseRealTime()->Unit(benchmark::kMillisecond);
#endif
#ifdef MLPRIM_BENCH_HAVE_HNSWLIB
  sweep("hnswlib:sift_knn", sift_hnswlib, {10, 20, 40, 80, 160}, "ef");
#endif
}

[[maybe_unused]] const bool registered = [] {
  register_all();
  return true;
}();

}  // namespace

MLPRIM_BENCHMARK_MAIN();
