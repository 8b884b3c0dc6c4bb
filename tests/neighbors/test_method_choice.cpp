// KDTree::knn's three methods (Auto, Tree, BruteForce) give identical results
// over dimensions, sizes, k, scalar types and data with duplicates and near
// ties; all three agree with distances computed independently in long double;
// Auto's cost model picks the tree in low and the brute force in high
// dimension on uniform data.
#include <mlprim/neighbors.hpp>

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>

#include "catch.hpp"
#include "test_types.hpp"

namespace {

using mlprim::Index;
using mlprim::KnnMethod;

/// n points, half uniform in [0, 1)^d and half copies of a few of those.
template <class T>
mlprim::RowMatrix<T> with_duplicates(Index n, Index d, std::uint64_t seed) {
  mlprim::Rng rng(seed);
  mlprim::RowMatrix<T> p(n, d);
  mlprim::fill_uniform(p, rng);
  for (Index i = n / 2; i < n; ++i) p.row(i) = p.row(static_cast<Index>(rng.below(7)) % n);
  return p;
}

template <class T>
mlprim::KnnResult<T> run(const mlprim::KDTree<T>& tree, const mlprim::RowMatrix<T>& queries,
                         Index k, KnnMethod method, T max_distance) {
  mlprim::KnnOptions<T> options;
  options.method = method;
  options.max_distance = max_distance;
  return tree.knn(queries, k, options);
}

/// The k smallest exact distances from query q, in long double.
template <class T>
std::vector<long double> exact_distances(const mlprim::RowMatrix<T>& points,
                                         const mlprim::RowMatrix<T>& queries, Index q) {
  std::vector<long double> all;
  for (Index i = 0; i < points.rows(); ++i) {
    long double s = 0;
    for (Index j = 0; j < points.cols(); ++j) {
      const long double diff =
          static_cast<long double>(points(i, j)) - static_cast<long double>(queries(q, j));
      s += diff * diff;
    }
    all.push_back(std::sqrt(s));
  }
  std::sort(all.begin(), all.end());
  return all;
}

template <class T>
void check_methods_agree(const mlprim::RowMatrix<T>& points, const mlprim::RowMatrix<T>& queries,
                         Index k, T max_distance = std::numeric_limits<T>::infinity()) {
  const mlprim::KDTree<T> tree(points);
  const auto by_tree = run(tree, queries, k, KnnMethod::Tree, max_distance);
  const auto by_brute = run(tree, queries, k, KnnMethod::BruteForce, max_distance);
  const auto by_auto = run(tree, queries, k, KnnMethod::Auto, max_distance);
  CHECK(by_tree.method == KnnMethod::Tree);
  CHECK(by_brute.method == KnnMethod::BruteForce);
  REQUIRE(by_brute.indices == by_tree.indices);
  REQUIRE(by_brute.distances == by_tree.distances);
  REQUIRE(by_auto.indices == by_tree.indices);
  REQUIRE(by_auto.distances == by_tree.distances);
  mlprim::KnnOptions<T> bounded;
  bounded.max_distance = max_distance;
  const auto free_brute = mlprim::knn_bruteforce(points, queries, k, bounded);
  REQUIRE(free_brute.indices == by_tree.indices);
  // Independently: the j-th reported distance is the j-th smallest exact one.
  for (Index q = 0; q < queries.rows(); q += 39) {
    const auto exact = exact_distances(points, queries, q);
    for (Index j = 0; j < k; ++j) {
      const long double want = exact[static_cast<std::size_t>(j)];
      if (want > max_distance * (1 + 4 * std::numeric_limits<T>::epsilon())) break;
      INFO("query " << q << " neighbour " << j);
      const T got = by_tree.distances(q, j);
      CHECK(std::abs(static_cast<long double>(got) - want) <=
            static_cast<long double>(8 * points.cols() + 16) * std::numeric_limits<T>::epsilon() *
                (want + 1));
    }
  }
}

}  // namespace

TEMPLATE_TEST_CASE("Auto, Tree and BruteForce give identical results", "[neighbors][method]",
                   MLPRIM_TEST_SCALARS) {
  using T = TestType;
  for (Index d : {1, 3, 8, 16, 32, 64, 128})
    for (Index n : {Index{1}, Index{17}, Index{10000}})
      for (Index k : {Index{1}, Index{10}, n}) {
        if (k > n || (k == n && n == 10000 && d > 3)) continue;  // keep the suite quick
        const auto points = with_duplicates<T>(n, d, static_cast<std::uint64_t>(31 * n + d));
        // 80 queries (enough for Auto to probe): points themselves and fresh ones.
        mlprim::RowMatrix<T> queries = with_duplicates<T>(80, d, 5);
        for (Index i = 0; i < 80; i += 3) queries.row(i) = points.row(i % n);
        INFO("d = " << d << " n = " << n << " k = " << k);
        check_methods_agree(points, queries, k);
        if (n > 1 && d <= 16 && k < 10000)
          check_methods_agree(points, queries, k, T(0.3) * std::sqrt(T(d)));
      }
}

TEMPLATE_TEST_CASE("near ties are ordered alike by the GEMM screen and the tree",
                   "[neighbors][method]", MLPRIM_TEST_SCALARS) {
  using T = TestType;
  // Points on shells around each query whose radii differ by about one unit
  // in the last place: the expansion |q|^2 + |p|^2 - 2 q.p cannot tell them
  // apart, the exact recomputation must. Far from the origin, so that the
  // expansion loses most of its digits without the centring.
  const Index d = 16, shells = 400;
  mlprim::Rng rng(11);
  mlprim::RowMatrix<T> queries(96, d), points(shells * 8, d);
  mlprim::fill_uniform(queries, rng, T(100), T(101));
  for (Index i = 0; i < points.rows(); ++i) {
    const Index q = i % 8;  // shells around the first 8 queries
    mlprim::RowVector<T> u(d);
    mlprim::fill_normal(u, rng);
    const T radius = T(0.5) * (1 + T(i / 8) * std::numeric_limits<T>::epsilon());
    points.row(i) = queries.row(q) + radius * u / u.norm();
  }
  for (Index i = 8; i < queries.rows(); ++i) queries.row(i) = queries.row(i % 8);
  check_methods_agree(points, queries, 50);
  check_methods_agree(points, queries, 1);
}

TEST_CASE("Auto takes the tree in 3-D and the brute force in 64-D uniform data",
          "[neighbors][method]") {
  mlprim::Rng rng(3);
  for (const Index d : {3, 64}) {
    mlprim::RowMatrix<float> points(20000, d), queries(200, d);
    mlprim::fill_uniform(points, rng);
    mlprim::fill_uniform(queries, rng);
    const auto result = mlprim::KDTree<float>(points).knn(queries, 10);
    CHECK(result.method == (d == 3 ? KnnMethod::Tree : KnnMethod::BruteForce));
    // Up to 64 queries never probe: the tree answers.
    CHECK(mlprim::KDTree<float>(points).knn(queries.topRows(64), 10).method == KnnMethod::Tree);
  }
}

TEST_CASE("a method that is not a KnnMethod is rejected", "[neighbors][method]") {
  mlprim::RowMatrix<double> points(10, 2);
  points.setRandom();
  mlprim::KnnOptions<double> options;
  options.method = static_cast<KnnMethod>(7);
  CHECK_THROWS_WITH(mlprim::KDTree<double>(points).knn(points, 1, options),
                    "mlprim::KDTree::knn: method = 7 is not a KnnMethod");
}

TEMPLATE_TEST_CASE("the brute-force method agrees with the tree for every metric",
                   "[neighbors][method]", MLPRIM_TEST_SCALARS) {
  using T = TestType;
  auto check = [](const auto& metric, Index d) {
    using Metric = std::decay_t<decltype(metric)>;
    const auto points = with_duplicates<T>(3000, d, 21);
    mlprim::RowMatrix<T> queries = with_duplicates<T>(90, d, 22);
    queries.array() = queries.array() * T(1.4) - T(0.2);  // some outside a periodic box
    const mlprim::KDTree<T, Eigen::Dynamic, Metric> tree(points, {}, metric);
    mlprim::KnnOptions<T> options;
    options.method = KnnMethod::Tree;
    const auto by_tree = tree.knn(queries, 7, options);
    options.method = KnnMethod::BruteForce;
    const auto by_brute = tree.knn(queries, 7, options);
    INFO(Metric::name << " d = " << d);
    REQUIRE(by_brute.indices == by_tree.indices);
    REQUIRE(by_brute.distances == by_tree.distances);
  };
  for (const Index d : {2, 9}) {
    check(mlprim::L1{}, d);
    check(mlprim::Linf{}, d);
    check(mlprim::Minkowski<3>{}, d);
    check(mlprim::Periodic<>(std::vector<double>(static_cast<std::size_t>(d), 1.0)), d);
  }
}
