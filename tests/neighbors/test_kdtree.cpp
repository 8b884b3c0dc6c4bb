// KDTree against brute force on uniform, clustered, identical, duplicated and
// degenerate (line, plane) data, over dimensions, sizes, k, scalar types and
// metrics; approximate, bounded, radius, box and self queries; bad input.
#include <mlprim/neighbors.hpp>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <type_traits>
#include <limits>
#include <string>
#include <vector>

#include "catch.hpp"
#include "test_types.hpp"
#include "test_util.hpp"

namespace {

enum class Shape { uniform, clustered, identical, duplicates, line, plane };

const char* shape_name(Shape s) {
  switch (s) {
    case Shape::uniform:
      return "uniform";
    case Shape::clustered:
      return "clustered";
    case Shape::identical:
      return "identical";
    case Shape::duplicates:
      return "duplicates";
    case Shape::line:
      return "line";
    case Shape::plane:
      return "plane";
  }
  return "?";
}

template <class T>
mlprim::RowMatrix<T> make_points(Shape shape, mlprim::Index n, mlprim::Index d,
                                 std::uint64_t seed) {
  mlprim::Rng rng(seed);
  mlprim::RowMatrix<T> p(n, d);
  switch (shape) {
    case Shape::uniform:
      mlprim::fill_uniform(p, rng);
      break;
    case Shape::clustered: {  // Gaussian blobs of very different spreads
      mlprim::RowMatrix<T> centers(5, d);
      mlprim::fill_uniform(centers, rng, T(-10), T(10));
      for (mlprim::Index i = 0; i < n; ++i) {
        const auto c = static_cast<mlprim::Index>(rng.below(5));
        for (mlprim::Index j = 0; j < d; ++j)
          p(i, j) = centers(c, j) + rng.normal(T(0), T(0.01) * T(c + 1) * T(c + 1));
      }
      break;
    }
    case Shape::identical:
      p.setConstant(T(0.25));
      break;
    case Shape::duplicates: {  // n points drawn from 7 distinct locations
      mlprim::RowMatrix<T> sites(7, d);
      mlprim::fill_uniform(sites, rng);
      for (mlprim::Index i = 0; i < n; ++i)
        p.row(i) = sites.row(static_cast<mlprim::Index>(rng.below(7)));
      break;
    }
    case Shape::line:
    case Shape::plane: {  // on a line or plane through the origin: other dimensions degenerate
      const mlprim::Index rank = shape == Shape::line ? 1 : std::min<mlprim::Index>(2, d);
      mlprim::RowMatrix<T> basis(rank, d), coefficients(n, rank);
      mlprim::fill_normal(basis, rng);
      mlprim::fill_uniform(coefficients, rng, T(-1), T(1));
      p = coefficients * basis;
      break;
    }
  }
  return p;
}

template <class Tree, class T, class Metric>
void check_knn_matches_bruteforce(const mlprim::RowMatrix<T>& points,
                                  const mlprim::RowMatrix<T>& queries, mlprim::Index k,
                                  const Metric& metric, const mlprim::KDTreeParams& params = {}) {
  const Tree tree(points, params, metric);
  const auto got = tree.knn(queries, k);
  const auto want = mlprim::knn_bruteforce(points, queries, k, mlprim::KnnOptions<T>{}, metric);
  REQUIRE(got.indices == want.indices);
  REQUIRE(got.distances == want.distances);
}

/// Every shape, dimension and size up to max_n against brute force.
template <class T, class Metric>
void check_all_shapes(const Metric& metric, mlprim::Index max_n = 10000) {
  for (Shape shape : {Shape::uniform, Shape::clustered, Shape::identical, Shape::duplicates,
                      Shape::line, Shape::plane})
    for (mlprim::Index d : {1, 2, 3, 8, 16, 64})
      for (mlprim::Index n : {mlprim::Index{1}, mlprim::Index{2}, mlprim::Index{17}, max_n}) {
        if (n == max_n && d == 64 && shape != Shape::uniform) continue;  // keep the suite quick
        const auto points = make_points<T>(shape, n, d, 100 + static_cast<std::uint64_t>(n + d));
        // Queries: some of the points themselves plus fresh ones nearby.
        mlprim::RowMatrix<T> queries(20, d);
        mlprim::Rng rng(7);
        for (mlprim::Index i = 0; i < 20; ++i) {
          queries.row(i) =
              points.row(static_cast<mlprim::Index>(rng.below(static_cast<std::uint64_t>(n))));
          if (i % 2)
            for (mlprim::Index j = 0; j < d; ++j) queries(i, j) += rng.normal(T(0), T(0.05));
        }
        std::vector<mlprim::Index> ks = {1, 5, n};
        for (mlprim::Index k : ks) {
          if (k > n || (n == max_n && k == n && d > 3)) continue;
          INFO(shape_name(shape) << " d = " << d << " n = " << n << " k = " << k << " metric "
                                 << Metric::name);
          check_knn_matches_bruteforce<mlprim::KDTree<T, Eigen::Dynamic, Metric>>(points, queries,
                                                                                  k, metric);
        }
      }
}

}  // namespace

TEMPLATE_TEST_CASE("knn equals brute force for every data shape, L2", "[neighbors]",
                   MLPRIM_TEST_SCALARS) {
  check_all_shapes<TestType>(mlprim::L2{});
}

TEMPLATE_TEST_CASE("knn equals brute force for L1, Linf and Minkowski<3>", "[neighbors]",
                   MLPRIM_TEST_SCALARS) {
  // These share L2's search code; 2000 points cover several tree levels.
  check_all_shapes<TestType>(mlprim::L1{}, 2000);
  check_all_shapes<TestType>(mlprim::Linf{}, 2000);
  check_all_shapes<TestType>(mlprim::Minkowski<3>{}, 2000);
}

TEMPLATE_TEST_CASE("fixed Dim, median splits and leaf sizes give the same answers", "[neighbors]",
                   MLPRIM_TEST_SCALARS) {
  using T = TestType;
  const auto points = make_points<T>(Shape::clustered, 5000, 3, 1);
  const auto queries = make_points<T>(Shape::uniform, 200, 3, 2);
  for (mlprim::Index leaf : {1, 4, 10, 64}) {
    for (auto split : {mlprim::SplitRule::sliding_midpoint, mlprim::SplitRule::median}) {
      mlprim::KDTreeParams params;
      params.leaf_size = leaf;
      params.split = split;
      check_knn_matches_bruteforce<mlprim::KDTree<T, 3>>(points, queries, 7, mlprim::L2{}, params);
      check_knn_matches_bruteforce<mlprim::KDTree<T>>(points, queries, 7, mlprim::L2{}, params);
    }
  }
}

TEST_CASE("deeply unbalanced data keep the tree shallow and the answers exact", "[neighbors]") {
  // Points at 2^-i: every midpoint split peels off one point.
  mlprim::RowMatrix<double> points(2000, 1);
  for (int i = 0; i < 2000; ++i)
    points(i, 0) = std::ldexp(1.0, -(i % 1000)) + (i >= 1000 ? 3.0 : 0.0);
  const auto queries = make_points<double>(Shape::uniform, 50, 1, 3);
  mlprim::KDTreeParams params;
  params.leaf_size = 1;
  check_knn_matches_bruteforce<mlprim::KDTree<double, 1>>(points, queries, 3, mlprim::L2{}, params);
}

TEMPLATE_TEST_CASE("approximate search respects its (1 + eps) bound", "[neighbors]",
                   MLPRIM_TEST_SCALARS) {
  using T = TestType;
  const auto points = make_points<T>(Shape::uniform, 20000, 8, 4);
  const auto queries = make_points<T>(Shape::uniform, 300, 8, 5);
  const mlprim::KDTree<T> tree(points);
  const auto exact = mlprim::knn_bruteforce(points, queries, 10);
  for (T eps : {T(0.1), T(0.5), T(2)}) {
    mlprim::KnnOptions<T> o;
    o.eps = eps;
    const auto approx = tree.knn(queries, 10, o);
    for (mlprim::Index q = 0; q < queries.rows(); ++q)
      for (mlprim::Index i = 0; i < 10; ++i)
        REQUIRE(approx.distances(q, i) <= (1 + eps) * exact.distances(q, i) * (1 + T(1e-6)));
  }
}

TEMPLATE_TEST_CASE("max_distance limits and pads with -1 and +inf", "[neighbors]",
                   MLPRIM_TEST_SCALARS) {
  using T = TestType;
  const auto points = make_points<T>(Shape::uniform, 3000, 2, 6);
  const auto queries = make_points<T>(Shape::uniform, 100, 2, 7);
  mlprim::KnnOptions<T> o;
  o.max_distance = T(0.02);
  const auto got = mlprim::KDTree<T, 2>(points).knn(queries, 8, o);
  const auto want = mlprim::knn_bruteforce(points, queries, 8, o);
  CHECK(got.indices == want.indices);
  CHECK(got.distances == want.distances);
  bool padded = false;
  for (mlprim::Index q = 0; q < queries.rows(); ++q)
    for (mlprim::Index i = 0; i < 8; ++i) {
      if (got.indices(q, i) == -1) {
        padded = true;
        CHECK(std::isinf(got.distances(q, i)));
      } else {
        CHECK(got.distances(q, i) <= T(0.02));
      }
    }
  CHECK(padded);
}

TEST_CASE("single-query, nearest and self queries", "[neighbors]") {
  const auto points = make_points<double>(Shape::duplicates, 500, 3, 8);
  const mlprim::KDTree<double, 3> tree(points);
  const Eigen::Vector3d q(0.3, 0.6, 0.1);
  mlprim::Index idx[4];
  double dist[4];
  CHECK(tree.knn(q.data(), 4, idx, dist) == 4);
  const auto want = mlprim::knn_bruteforce(points, mlprim::RowMatrix<double>(q.transpose()), 4);
  for (int i = 0; i < 4; ++i) {
    CHECK(idx[i] == want.indices(0, i));
    CHECK(dist[i] == want.distances(0, i));
  }
  const auto nn = tree.nearest(q);
  CHECK(nn.index == want.indices(0, 0));
  CHECK(nn.distance == want.distances(0, 0));

  // k-NN graph without self, against all-pairs distances with j != i.
  const auto graph = tree.knn_graph(3);
  for (mlprim::Index i = 0; i < points.rows(); ++i) {
    std::vector<std::pair<double, mlprim::Index>> others;
    for (mlprim::Index j = 0; j < points.rows(); ++j)
      if (j != i) others.emplace_back((points.row(i) - points.row(j)).norm(), j);
    std::sort(others.begin(), others.end());
    for (mlprim::Index j = 0; j < 3; ++j) {
      INFO("point " << i << ", neighbour " << j);
      CHECK(graph.indices(i, j) == others[static_cast<std::size_t>(j)].second);
      CHECK(graph.distances(i, j) ==
            Approx(others[static_cast<std::size_t>(j)].first).margin(1e-12));
    }
  }
  const auto with_self = tree.knn(tree.points(), 1);
  for (mlprim::Index i = 0; i < points.rows(); ++i) CHECK(with_self.distances(i, 0) == 0.0);
  // The deprecated knn(k, exclude_self) stays for one release.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  const auto old_graph = tree.knn(3, true), old_self = tree.knn(1, false);
#pragma GCC diagnostic pop
  CHECK(old_graph.indices == graph.indices);
  CHECK(old_graph.distances == graph.distances);
  CHECK(old_self.indices == with_self.indices);
}

TEST_CASE("radius search includes the boundary and matches brute force", "[neighbors]") {
  // An integer grid: distances are exact, so points at distance exactly r exist.
  mlprim::RowMatrix<double> grid(441, 2);
  for (int i = 0; i < 21; ++i)
    for (int j = 0; j < 21; ++j) grid.row(i * 21 + j) << i, j;
  const mlprim::KDTree<double, 2> tree(grid);
  const Eigen::RowVector2d center(10, 10);
  const auto found = tree.radius(center, 5.0);
  std::size_t expected = 0;
  for (mlprim::Index i = 0; i < grid.rows(); ++i) expected += (grid.row(i) - center).norm() <= 5.0;
  CHECK(found.size() == expected);
  bool on_boundary = false;
  for (std::size_t i = 0; i < found.size(); ++i) {
    CHECK(found[i].distance == (grid.row(found[i].index) - center).norm());
    on_boundary |= found[i].distance == 5.0;
    if (i > 0) CHECK(found[i - 1].distance <= found[i].distance);
  }
  CHECK(on_boundary);  // (10, 15), (13, 14), ... are at exactly 5

  mlprim::RadiusOptions few;
  few.max_results = 3;
  const auto closest = tree.radius(center, 5.0, few);
  REQUIRE(closest.size() == 3);
  CHECK(closest[0].index == 10 * 21 + 10);

  const mlprim::RowMatrix<double> queries = make_points<double>(Shape::uniform, 30, 2, 9) * 20.0;
  const auto batch = tree.radius_batch(queries, 3.0);
  REQUIRE(batch.offsets.size() == 31);
  for (mlprim::Index q = 0; q < 30; ++q) {
    const auto single = tree.radius(queries.row(q), 3.0);
    const auto begin = static_cast<std::size_t>(batch.offsets[static_cast<std::size_t>(q)]);
    REQUIRE(static_cast<std::size_t>(batch.offsets[static_cast<std::size_t>(q) + 1]) - begin ==
            single.size());
    for (std::size_t i = 0; i < single.size(); ++i)
      CHECK(batch.indices[begin + i] == single[i].index);
  }
}

TEST_CASE("box search returns exactly the points inside the box", "[neighbors]") {
  const auto points = make_points<float>(Shape::clustered, 4000, 3, 10);
  const mlprim::KDTree<float, 3> tree(points);
  mlprim::Rng rng(11);
  for (int trial = 0; trial < 20; ++trial) {
    Eigen::Vector3f a, b;
    mlprim::fill_uniform(a, rng, -10.0f, 10.0f);
    mlprim::fill_uniform(b, rng, -10.0f, 10.0f);
    const Eigen::Vector3f lower = a.cwiseMin(b), upper = a.cwiseMax(b);
    std::vector<mlprim::Index> expected;
    for (mlprim::Index i = 0; i < points.rows(); ++i)
      if ((points.row(i).transpose().array() >= lower.array()).all() &&
          (points.row(i).transpose().array() <= upper.array()).all())
        expected.push_back(i);
    CHECK(tree.box(lower, upper) == expected);
  }
  CHECK(tree.box(points.row(5), points.row(5)).size() >= 1);  // a degenerate box holding a point
}

TEST_CASE("bad input gets a clear exception", "[neighbors]") {
  using Tree = mlprim::KDTree<double>;
  const auto points = make_points<double>(Shape::uniform, 10, 3, 12);
  const Tree tree(points);
  auto message = [](auto&& fn) {
    return mlprim::test::exception_message<std::invalid_argument>(fn);
  };
  CHECK(message([&] { tree.knn(points, 12); }) ==
        "mlprim::KDTree::knn: k = 12 exceeds the number of points (10)");
  CHECK(message([&] { tree.knn(points, 0); }) == "mlprim::KDTree::knn: k = 0 must be positive");
  CHECK(message([&] { tree.knn(mlprim::RowMatrix<double>::Zero(2, 4), 1); }) ==
        "mlprim::KDTree::knn: queries.cols() = 4 does not match the tree's dimension = 3");
  mlprim::RowMatrix<double> bad_query = points.topRows(3);
  bad_query(2, 1) = std::numeric_limits<double>::quiet_NaN();
  CHECK(message([&] { tree.knn(bad_query, 1); }) ==
        "mlprim::KDTree::knn: query row 2 has a non-finite coordinate");
  mlprim::RowMatrix<double> bad_points = points;
  bad_points(7, 0) = std::numeric_limits<double>::infinity();
  CHECK(message([&] { Tree t(bad_points); }) ==
        "mlprim::KDTree: point row 7 has a non-finite coordinate");
  CHECK(message([&] { Tree t(mlprim::RowMatrix<double>(5, 0)); }) ==
        "mlprim::KDTree: points.cols() = 0: points need at least one dimension");
  CHECK(message([&] { mlprim::KDTree<double, 2> t(points); }) ==
        "mlprim::KDTree: points.cols() = 3 does not match Dim = 2");
  CHECK(message([&] { tree.radius(Eigen::Vector3d(0, 0, 0), -1.0); }) ==
        "mlprim::KDTree::radius: r = -1 must be non-negative");
  CHECK(message([&] { tree.box(Eigen::Vector3d(0, 1, 0), Eigen::Vector3d(1, 0, 1)); }) ==
        "mlprim::KDTree::box: lower(1) = 1 exceeds upper(1) = 0");
  CHECK(message([&] { tree.nearest(Eigen::Vector2d(0, 0)); }) ==
        "mlprim::KDTree::nearest: the query has 2 coordinates, the tree's points 3");
  mlprim::KnnOptions<double> negative;
  negative.eps = -0.5;
  CHECK(message([&] { tree.knn(points, 1, negative); }) ==
        "mlprim::KDTree::knn: eps = -0.5 must be non-negative");
  CHECK(message([&] { tree.knn_graph(10); }) ==
        "mlprim::KDTree::knn_graph: k = 10 exceeds the number of other points (9)");

  const Tree empty(mlprim::RowMatrix<double>(0, 3));
  CHECK(empty.size() == 0);
  CHECK(message([&] { empty.knn(points, 1); }) ==
        "mlprim::KDTree::knn: k = 1 exceeds the number of points (0)");
  CHECK(empty.box(Eigen::Vector3d(0, 0, 0), Eigen::Vector3d(1, 1, 1)).empty());
}

TEST_CASE("a tree of geometric data saves and loads", "[neighbors][io]") {
  // Regression: x_i = 2^-i made the build fall back to median splits at depth
  // 24 + 2 log2 n and go on from there, while load() capped the depth at
  // 25 + 2 log2 n and rejected the tree it had written. One bound now serves both.
  mlprim::RowMatrix<double> points(1000, 2);
  for (int i = 0; i < 1000; ++i) {
    points(i, 0) = std::ldexp(1.0, -i);
    points(i, 1) = 0.5;
  }
  const auto queries = make_points<double>(Shape::uniform, 30, 2, 5);
  for (const mlprim::Index leaf : {1, 16}) {
    mlprim::KDTreeParams params;
    params.leaf_size = leaf;
    const mlprim::KDTree<double, 2> tree(points, params);
    std::stringstream stream;
    tree.save(stream);
    const auto loaded = mlprim::KDTree<double, 2>::load(stream);
    const auto want = mlprim::knn_bruteforce(points, queries, 4);
    CHECK(loaded.knn(queries, 4).indices == want.indices);

    mlprim::DynamicKDTree<double, 2> dynamic(2, params);
    dynamic.insert(points);
    std::stringstream dstream;
    dynamic.save(dstream);
    const auto dloaded = mlprim::DynamicKDTree<double, 2>::load(dstream);
    CHECK(dloaded.knn(queries, 4).indices == want.indices);
  }
}

TEMPLATE_TEST_CASE("a huge eps means any neighbours, never missing ones", "[neighbors]",
                   MLPRIM_TEST_SCALARS) {
  // Regression: (1 + eps)^2 = inf, and 0 * inf = NaN pruned subtrees: 5 of
  // 25 results came back -1 although k <= n.
  using T = TestType;
  // Points on {0, 1, 2}^3 split at medians, queried at themselves: splits
  // with low == high put queries at a cell bound of exactly 0.
  mlprim::Rng rng(5);
  mlprim::RowMatrix<T> points(25, 3);
  for (mlprim::Index i = 0; i < points.size(); ++i) points.data()[i] = T(rng.below(3));
  const mlprim::RowMatrix<T> queries = points;
  mlprim::KDTreeParams params;
  params.split = mlprim::SplitRule::median;
  params.leaf_size = 1;
  const mlprim::KDTree<T, 3> tree(points, params);
  mlprim::KnnOptions<T> options;
  options.eps = std::is_same_v<T, float> ? T(1e20) : T(1e200);
  for (const mlprim::Index k : {1, 5, 25}) {
    const auto got = tree.knn(queries, k, options);
    INFO("k = " << k);
    CHECK((got.indices.array() >= 0).all());
    CHECK(got.distances.allFinite());
    for (mlprim::Index i = 0; i < got.indices.rows(); ++i) {  // k distinct points
      std::vector<mlprim::Index> row(got.indices.row(i).data(), got.indices.row(i).data() + k);
      std::sort(row.begin(), row.end());
      CHECK(std::adjacent_find(row.begin(), row.end()) == row.end());
    }
  }
}

TEST_CASE("an absurd build thread count is clamped, the tree unchanged", "[neighbors]") {
  // Regression: n / (4 * num_threads) overflowed int for num_threads >= 2^29
  // and n >= 65536 (SIGFPE in release).
  const auto points = make_points<float>(Shape::uniform, 70000, 3, 31);
  const auto queries = make_points<float>(Shape::uniform, 100, 3, 32);
  mlprim::KDTreeParams serial;
  serial.num_threads = 1;
  const mlprim::KDTree<float, 3> reference(points, serial);
  for (const int threads : {1 << 29, 1 << 30, 100000}) {
    mlprim::KDTreeParams params;
    params.num_threads = threads;
    const mlprim::KDTree<float, 3> tree(points, params);
    CHECK(tree.memory_bytes() == reference.memory_bytes());
    CHECK(tree.knn(queries, 5).indices == reference.knn(queries, 5).indices);
  }
}

TEST_CASE("brute force rejects what the tree rejects, in its own name", "[neighbors]") {
  auto message = [](auto&& fn) {
    return mlprim::test::exception_message<std::invalid_argument>(fn);
  };
  const mlprim::RowMatrix<double> empty_dims(5, 0);
  // Regression: d = 0 was accepted.
  CHECK(message([&] { mlprim::knn_bruteforce(empty_dims, empty_dims, 1); }) ==
        "mlprim::knn_bruteforce: points.cols() = 0: points need at least one dimension");
  const auto points = make_points<double>(Shape::uniform, 10, 3, 12);
  mlprim::KnnOptions<double> options;
  options.num_threads = -3;
  CHECK(message([&] { mlprim::knn_bruteforce(points, points, 1, options); }) ==
        "mlprim::knn_bruteforce: num_threads = -3 must be >= 0 (0 means all threads)");
}
