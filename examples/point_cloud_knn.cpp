// point_cloud_knn: a k-d tree over a synthetic LiDAR-like scan of a million
// 3-D points (a ground plane, a wall and a sphere, with sensor noise). Builds
// the tree, then runs the three classic queries (k nearest neighbours, all
// points within a radius, all points inside a box), prints timings and a few
// answers, and checks one k-NN answer against a brute-force scan in front of
// the reader.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <utility>
#include <vector>

#include <mlprim/neighbors.hpp>

namespace {

using Cloud = Eigen::Matrix<float, Eigen::Dynamic, 3, Eigen::RowMajor>;

double milliseconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

/// n points: half on the ground z = 0 over [-20, 20]^2, a quarter on the wall
/// x = 10, a quarter on a sphere of radius 2 at (0, 0, 2); 1 cm noise.
Cloud make_scan(Eigen::Index n, std::uint64_t seed) {
  mlprim::Rng rng(seed);
  Cloud cloud(n, 3);
  for (Eigen::Index i = 0; i < n; ++i) {
    Eigen::Vector3f p;
    if (i < n / 2) {
      p << rng.uniform(-20.0f, 20.0f), rng.uniform(-20.0f, 20.0f), 0.0f;
    } else if (i < 3 * n / 4) {
      p << 10.0f, rng.uniform(-20.0f, 20.0f), rng.uniform(0.0f, 5.0f);
    } else {
      Eigen::Vector3f direction(rng.normal(0.0f, 1.0f), rng.normal(0.0f, 1.0f),
                                rng.normal(0.0f, 1.0f));
      p = Eigen::Vector3f(0.0f, 0.0f, 2.0f) + 2.0f * direction.normalized();
    }
    for (int j = 0; j < 3; ++j) p(j) += rng.normal(0.0f, 0.01f);
    cloud.row(i) = p.transpose();
  }
  return cloud;
}

}  // namespace

int main() {
  const Eigen::Index n = 1000000, m = 100000, k = 8;
  const Cloud cloud = make_scan(n, 7);
  const Cloud queries = make_scan(m, 8);  // fresh samples of the same surfaces

  auto start = std::chrono::steady_clock::now();
  const mlprim::KDTree<float, 3> tree(cloud);
  std::printf("built a k-d tree over %lld points in %.0f ms (%.1f bytes per point)\n",
              static_cast<long long>(n), milliseconds_since(start),
              static_cast<double>(tree.memory_bytes()) / static_cast<double>(n));

  start = std::chrono::steady_clock::now();
  const auto knn = tree.knn(queries, k);
  const double knn_ms = milliseconds_since(start);
  std::printf("k-NN: %lld queries, k = %lld, in %.0f ms (%.2f million queries/s on %d threads)\n",
              static_cast<long long>(m), static_cast<long long>(k), knn_ms,
              static_cast<double>(m) / knn_ms / 1e3, mlprim::max_threads());
  std::printf("  query 0 at (%.3f, %.3f, %.3f): nearest points", queries(0, 0), queries(0, 1),
              queries(0, 2));
  for (Eigen::Index j = 0; j < 3; ++j)
    std::printf(" #%lld (%.4f m)", static_cast<long long>(knn.indices(0, j)), knn.distances(0, j));
  std::printf("\n");

  // The same answer by scanning every point, as a reader would check it.
  std::vector<std::pair<float, Eigen::Index>> all(static_cast<std::size_t>(n));
  for (Eigen::Index i = 0; i < n; ++i)
    all[static_cast<std::size_t>(i)] = {(cloud.row(i) - queries.row(0)).norm(), i};
  std::partial_sort(all.begin(), all.begin() + k, all.end());
  bool same = true;
  for (Eigen::Index j = 0; j < k; ++j)
    same &= all[static_cast<std::size_t>(j)].second == knn.indices(0, j);
  std::printf("  brute force over all %lld points agrees on all %lld neighbours: %s\n",
              static_cast<long long>(n), static_cast<long long>(k), same ? "yes" : "NO");

  start = std::chrono::steady_clock::now();
  const auto within = tree.radius_batch(queries.topRows(10000), 0.05f);
  const double radius_ms = milliseconds_since(start);
  std::printf("radius 5 cm: 10000 queries in %.0f ms, %.1f points per query on average\n",
              radius_ms, static_cast<double>(within.indices.size()) / 1e4);

  start = std::chrono::steady_clock::now();
  const auto boxed = tree.box(Eigen::Vector3f(-1, -1, 3.5f), Eigen::Vector3f(1, 1, 4.5f));
  std::printf("box [-1,1] x [-1,1] x [3.5,4.5] (the top of the sphere): %zu points in %.2f ms\n",
              boxed.size(), milliseconds_since(start));
  return same ? 0 : 1;
}
