// RandomizedKDForest: with no budget it equals brute force exactly (float,
// double, bytes, L1); with a budget its recall cannot fall as checks grow;
// the same seed gives the same forest for any thread count; byte distances
// equal float distances on the same data; save/load round trips and corrupt
// streams are refused; match_descriptors against a ratio test written here;
// bad input.
#include <mlprim/neighbors.hpp>

#include <cstdint>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "catch.hpp"

namespace {

using mlprim::Index;

/// Points near a few low-dimensional clusters in [0, 255]^d (descriptor-like).
mlprim::RowMatrix<float> clustered(Index n, Index d, std::uint64_t seed) {
  mlprim::Rng rng(seed), layout(99);
  mlprim::RowMatrix<float> centres(6, d), basis(3, d), out(n, d);
  mlprim::fill_uniform(centres, layout, 40.0f, 215.0f);
  mlprim::fill_normal(basis, layout);
  for (Index i = 0; i < n; ++i) {
    const auto c = static_cast<Index>(rng.below(6));
    mlprim::RowVector<float> z(3);
    mlprim::fill_normal(z, rng);
    out.row(i) = centres.row(c) + 12.0f * z * basis;
    for (Index j = 0; j < d; ++j) out(i, j) = std::round(std::clamp(out(i, j) + rng.normal(0.0f, 3.0f), 0.0f, 255.0f));
  }
  return out;
}

double recall_at_1(const mlprim::IndexMatrix& got, const mlprim::IndexMatrix& want) {
  Index hits = 0;
  for (Index i = 0; i < got.rows(); ++i) hits += got(i, 0) == want(i, 0);
  return static_cast<double>(hits) / static_cast<double>(got.rows());
}

template <class Forest>
std::string saved(const Forest& forest) {
  std::stringstream out;
  forest.save(out);
  return out.str();
}

}  // namespace

TEMPLATE_TEST_CASE("an unlimited forest search equals brute force", "[neighbors][forest]", float,
                   double) {
  using T = TestType;
  for (const Index d : {1, 3, 16, 64})
    for (const Index n : {Index{1}, Index{17}, Index{3000}}) {
      const mlprim::RowMatrix<T> points = clustered(n, d, 5 + static_cast<std::uint64_t>(d)).cast<T>();
      mlprim::RowMatrix<T> queries = clustered(50, d, 7).cast<T>();
      for (Index i = 0; i < 50; i += 5) queries.row(i) = points.row(i % n);  // exact hits and ties
      for (const Index k : {Index{1}, Index{10}, n}) {
        if (k > n) continue;
        INFO("d = " << d << " n = " << n << " k = " << k);
        const Index top = std::min<Index>(5, d);
        const mlprim::RandomizedKDForest<T> forest(points, mlprim::KDForestParams{3, 4, top, 1, 0});
        mlprim::ForestSearchOptions<T> exact;
        exact.checks = 0;
        const auto got = forest.knn(queries, k, exact);
        const auto want = mlprim::knn_bruteforce(points, queries, k);
        REQUIRE(got.indices == want.indices);
        REQUIRE(got.distances == want.distances);
        const mlprim::RandomizedKDForest<T, mlprim::L1> l1(points, mlprim::KDForestParams{4, 8, top});
        const auto got_l1 = l1.knn(queries, k, exact);
        const auto want_l1 = mlprim::knn_bruteforce<mlprim::L1>(points, queries, k, {}, mlprim::L1{});
        REQUIRE(got_l1.indices == want_l1.indices);
        REQUIRE(got_l1.distances == want_l1.distances);
        // max_distance pads as the tree does.
        exact.max_distance = T(0.5) * want.distances(0, k - 1);
        mlprim::KnnOptions<T> bounded;
        bounded.max_distance = exact.max_distance;
        const auto near = forest.knn(queries, k, exact);
        const auto near_want = mlprim::knn_bruteforce(points, queries, k, bounded);
        REQUIRE(near.indices == near_want.indices);
        REQUIRE(near.distances == near_want.distances);
      }
    }
}

TEST_CASE("byte descriptors: exact search, and distances equal float distances",
          "[neighbors][forest]") {
  const Index d = 128;
  const mlprim::RowMatrix<float> points = clustered(4000, d, 1), queries = clustered(100, d, 2);
  const mlprim::RowMatrix<std::uint8_t> bytes = points.cast<std::uint8_t>(),
                                        byte_queries = queries.cast<std::uint8_t>();
  const mlprim::RandomizedKDForest<std::uint8_t> forest(bytes);
  const mlprim::RandomizedKDForest<float> float_forest(points);
  mlprim::ForestSearchOptions<float> exact;
  exact.checks = 0;
  const auto got = forest.knn(byte_queries, 5, exact);
  const auto want = mlprim::knn_bruteforce(points, queries, 5);
  REQUIRE(got.indices == want.indices);
  // Sums of squares of integers below 2^24 are exact in float too.
  REQUIRE(got.distances == want.distances);
  mlprim::ForestSearchOptions<float> budget;
  budget.checks = 64;
  CHECK(forest.knn(byte_queries, 5, budget).distances ==
        float_forest.knn(queries, 5, budget).distances);
  static_assert(!std::is_constructible_v<mlprim::RandomizedKDForest<float>::Points,
                                         mlprim::RowMatrix<std::uint8_t>>,
                "a byte query for a float forest must not compile");
  // Memory: 128 bytes of descriptor plus 4 trees' 4-byte indices and nodes.
  CHECK(forest.bytes_per_point() > 128 + 16);
  CHECK(forest.bytes_per_point() < 128 + 16 + 4 * 12);
}

TEST_CASE("recall never falls as the budget grows, for a fixed seed", "[neighbors][forest]") {
  const mlprim::RowMatrix<float> points = clustered(20000, 32, 3), queries = clustered(300, 32, 4);
  const auto want = mlprim::knn_bruteforce(points, queries, 2);
  const mlprim::RandomizedKDForest<float> forest(points, mlprim::KDForestParams{4, 8, 5, 42, 0});
  double previous = 0;
  mlprim::RowMatrix<float> previous_distances =
      mlprim::RowMatrix<float>::Constant(queries.rows(), 2, std::numeric_limits<float>::infinity());
  mlprim::ForestSearchOptions<float> options;
  for (const Index checks : {1, 8, 16, 32, 64, 128, 256, 512, 1024, 4096}) {
    options.checks = checks;
    const auto got = forest.knn(queries, 2, options);
    const double recall = recall_at_1(got.indices, want.indices);
    INFO("checks = " << checks << " recall@1 = " << recall);
    CHECK(recall >= previous);
    // Row by row too: a bigger budget never gives farther neighbours.
    CHECK((got.distances.array() <= previous_distances.array()).all());
    previous = recall;
    previous_distances = got.distances;
  }
  CHECK(previous > 0.95);
  options.checks = 0;
  CHECK(recall_at_1(forest.knn(queries, 2, options).indices, want.indices) == 1.0);
}

TEST_CASE("the same seed gives the same forest for any thread count, and it saves and loads",
          "[neighbors][forest][io]") {
  const mlprim::RowMatrix<float> points = clustered(5000, 24, 8), queries = clustered(100, 24, 9);
  mlprim::KDForestParams params;
  params.seed = 7;
  params.num_threads = 1;
  const mlprim::RandomizedKDForest<float> one(points, params);
  params.num_threads = 2;
  const mlprim::RandomizedKDForest<float> two(points, params);
  const std::string bytes = saved(one);
  CHECK(bytes == saved(two));
  params.seed = 8;
  CHECK(bytes != saved(mlprim::RandomizedKDForest<float>(points, params)));
  std::istringstream in(bytes);
  const auto loaded = mlprim::RandomizedKDForest<float>::load(in);
  CHECK(saved(loaded) == bytes);
  mlprim::ForestSearchOptions<float> options;
  options.checks = 50;
  const auto a = one.knn(queries, 3, options), b = loaded.knn(queries, 3, options);
  options.num_threads = 1;
  const auto c = two.knn(queries, 3, options);
  CHECK(a.indices == b.indices);
  CHECK(a.indices == c.indices);
  CHECK(a.distances == c.distances);

  // Another scalar type, truncation, and flipped bytes are refused cleanly.
  std::istringstream as_double(bytes);
  CHECK_THROWS_AS(mlprim::RandomizedKDForest<double>::load(as_double), std::runtime_error);
  for (std::size_t cut = 0; cut < bytes.size(); cut += bytes.size() / 97 + 1) {
    std::istringstream truncated(bytes.substr(0, cut));
    CHECK_THROWS_AS(mlprim::RandomizedKDForest<float>::load(truncated), std::runtime_error);
  }
  for (std::size_t at = 8; at < bytes.size(); at += bytes.size() / 41 + 1) {
    std::string flipped = bytes;
    flipped[at] = static_cast<char>(flipped[at] ^ 0x5a);
    std::istringstream in2(flipped);
    try {
      const auto forest = mlprim::RandomizedKDForest<float>::load(in2);
      // Accepted (a flipped coordinate is still a point): the search stays exact.
      mlprim::ForestSearchOptions<float> exact;
      exact.checks = 0;
      CHECK(forest.knn(queries, 2, exact).indices ==
            mlprim::knn_bruteforce(forest.points(), queries, 2).indices);
    } catch (const std::runtime_error&) {
    }
  }
}

TEST_CASE("match_descriptors equals a ratio test written out by hand", "[neighbors][forest]") {
  const mlprim::RowMatrix<float> train = clustered(3000, 32, 10);
  mlprim::RowMatrix<float> queries = clustered(400, 32, 11);
  for (Index i = 0; i < 200; ++i) queries.row(i) = train.row(7 * i) + mlprim::RowVector<float>::Constant(32, 0.5f);
  const mlprim::KDTree<float> tree(train);
  for (const bool cross_check : {false, true}) {
    mlprim::MatchOptions options;
    options.ratio = 0.7;
    options.cross_check = cross_check;
    const auto got = mlprim::match_descriptors(tree, queries, options);
    std::vector<std::pair<Index, Index>> want;
    for (Index q = 0; q < queries.rows(); ++q) {
      double best = 1e300, second = 1e300;
      Index arg = -1;
      for (Index t = 0; t < train.rows(); ++t) {
        const double dist = (train.row(t) - queries.row(q)).cast<double>().norm();
        if (dist < best) {
          second = best;
          best = dist;
          arg = t;
        } else if (dist < second) {
          second = dist;
        }
      }
      if (!(best < 0.7 * second)) continue;
      if (cross_check) {
        Index back = -1;
        double closest = 1e300;
        for (Index r = 0; r < queries.rows(); ++r) {
          const double dist = (train.row(arg) - queries.row(r)).cast<double>().norm();
          if (dist < closest) {
            closest = dist;
            back = r;
          }
        }
        if (back != q) continue;
      }
      want.emplace_back(q, arg);
    }
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
      CHECK(got[i].query == want[i].first);
      CHECK(got[i].train == want[i].second);
      CHECK(got[i].distance == Approx((train.row(got[i].train) - queries.row(got[i].query)).norm()));
    }
    CHECK(want.size() >= 150);
    // The forest with an unlimited budget gives the same matches.
    mlprim::ForestSearchOptions<float> exact;
    exact.checks = 0;
    const auto by_forest =
        mlprim::match_descriptors(mlprim::RandomizedKDForest<float>(train), queries, options, exact);
    REQUIRE(by_forest.size() == got.size());
    for (std::size_t i = 0; i < got.size(); ++i) CHECK(by_forest[i].train == got[i].train);
  }
}

TEST_CASE("the forest and the matcher reject bad input", "[neighbors][forest]") {
  const mlprim::RowMatrix<float> points = clustered(50, 6, 1);
  auto message = [](auto&& f) {
    try {
      f();
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no exception");
  };
  using Forest = mlprim::RandomizedKDForest<float>;
  CHECK(message([&] { Forest(points, mlprim::KDForestParams{0}); }) ==
        "mlprim::RandomizedKDForest: num_trees = 0 must be positive");
  CHECK(message([&] { Forest(points, mlprim::KDForestParams{4, 8, 0}); }) ==
        "mlprim::RandomizedKDForest: top_dims = 0 must be positive");
  CHECK(message([&] { Forest(points, mlprim::KDForestParams{4, 8, 7}); }) ==
        "mlprim::RandomizedKDForest: top_dims = 7 exceeds the dimension (6)");
  CHECK(message([&] { Forest(points, mlprim::KDForestParams{4, 0}); }) ==
        "mlprim::RandomizedKDForest: leaf_size = 0 must be positive");
  mlprim::RowMatrix<float> bad = points;
  bad(3, 1) = std::numeric_limits<float>::quiet_NaN();
  CHECK(message([&] { Forest{bad}; }) ==
        "mlprim::RandomizedKDForest: point row 3 has a non-finite coordinate");
  const Forest forest(points);
  mlprim::ForestSearchOptions<float> negative;
  negative.checks = -1;
  CHECK(message([&] { forest.knn(points, 1, negative); }) ==
        "mlprim::RandomizedKDForest::knn: checks = -1 must be non-negative");
  CHECK(message([&] { forest.knn(points, 51); }) ==
        "mlprim::RandomizedKDForest::knn: k = 51 exceeds the number of points (50)");
  CHECK(message([&] { forest.knn(points.leftCols(3), 1); }) ==
        "mlprim::RandomizedKDForest::knn: queries.cols() = 3 does not match the tree's dimension = 6");
  mlprim::MatchOptions ratio;
  ratio.ratio = 1.5;
  CHECK(message([&] { mlprim::match_descriptors(forest, points, ratio); }) ==
        "mlprim::match_descriptors: ratio = 1.5 must be in (0, 1]");
  ratio.ratio = 0;
  CHECK(message([&] { mlprim::match_descriptors(forest, points, ratio); }) ==
        "mlprim::match_descriptors: ratio = 0 must be in (0, 1]");
  CHECK(message([&] { mlprim::match_descriptors(Forest(points.topRows(1)), points); }) ==
        "mlprim::match_descriptors: the index holds 1 points; the ratio test needs at least 2");
}
