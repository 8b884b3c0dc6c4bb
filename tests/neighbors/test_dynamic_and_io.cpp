// DynamicKDTree against a static KDTree rebuilt on the live points after
// every step of interleaved inserts and removes; save/load round trips and
// corrupt streams for both; the parallel build against the serial one.
#include <mlprim/neighbors.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "catch.hpp"
#include "test_types.hpp"
#include "test_util.hpp"

namespace {

/// The live points of a dynamic tree in id order, with their ids.
template <class T>
struct LiveSet {
  mlprim::RowMatrix<T> all;  // every point ever inserted, by id
  std::vector<bool> alive;

  void add(const mlprim::RowMatrix<T>& points) {
    mlprim::RowMatrix<T> grown(all.rows() + points.rows(), points.cols());
    grown << all, points;
    all = std::move(grown);
    alive.resize(static_cast<std::size_t>(all.rows()), true);
  }
  std::pair<mlprim::RowMatrix<T>, std::vector<mlprim::Index>> live() const {
    std::vector<mlprim::Index> ids;
    for (std::size_t i = 0; i < alive.size(); ++i)
      if (alive[i]) ids.push_back(static_cast<mlprim::Index>(i));
    mlprim::RowMatrix<T> points(static_cast<mlprim::Index>(ids.size()), all.cols());
    for (std::size_t i = 0; i < ids.size(); ++i)
      points.row(static_cast<mlprim::Index>(i)) = all.row(ids[i]);
    return {points, ids};
  }
};

/// Queries of the dynamic tree equal a static tree's on the live points.
template <class T, class Dynamic>
void check_same_as_static(const Dynamic& dynamic, const LiveSet<T>& set,
                          const mlprim::RowMatrix<T>& queries) {
  const auto [points, ids] = set.live();
  REQUIRE(dynamic.size() == points.rows());
  const mlprim::KDTree<T> tree(points);
  const mlprim::Index k = std::min<mlprim::Index>(7, points.rows());
  const auto want = tree.knn(queries, k);
  const auto got = dynamic.knn(queries, k);
  for (mlprim::Index q = 0; q < queries.rows(); ++q)
    for (mlprim::Index j = 0; j < k; ++j) {
      REQUIRE(got.indices(q, j) == ids[static_cast<std::size_t>(want.indices(q, j))]);
      REQUIRE(got.distances(q, j) == want.distances(q, j));
    }
  const auto radius_want = tree.radius(queries.row(0), T(0.2));
  const auto radius_got = dynamic.radius(queries.row(0), T(0.2));
  REQUIRE(radius_got.size() == radius_want.size());
  for (std::size_t i = 0; i < radius_got.size(); ++i)
    REQUIRE(radius_got[i].index == ids[static_cast<std::size_t>(radius_want[i].index)]);
  const Eigen::Vector2d lower(0.2, 0.3), upper(0.6, 0.5);
  std::vector<mlprim::Index> box_want;
  for (mlprim::Index i : tree.box(lower.cast<T>(), upper.cast<T>()))
    box_want.push_back(ids[static_cast<std::size_t>(i)]);
  REQUIRE(dynamic.box(lower.cast<T>(), upper.cast<T>()) == box_want);
}

}  // namespace

TEMPLATE_TEST_CASE("dynamic tree equals a static tree on the live points", "[neighbors][dynamic]",
                   MLPRIM_TEST_SCALARS) {
  using T = TestType;
  mlprim::Rng rng(31);
  mlprim::KDTreeParams params;
  params.leaf_size = 4;
  mlprim::DynamicKDTree<T> dynamic(2, params);
  LiveSet<T> set;
  set.all.resize(0, 2);
  mlprim::RowMatrix<T> queries(25, 2);
  mlprim::fill_uniform(queries, rng);
  for (int step = 0; step < 60; ++step) {
    // Batches of 1, a few, or many; duplicates of earlier points now and then.
    const auto m = static_cast<mlprim::Index>(step % 7 == 0 ? 150 : 1 + rng.below(6));
    mlprim::RowMatrix<T> batch(m, 2);
    mlprim::fill_uniform(batch, rng);
    if (step % 5 == 0 && set.all.rows() > 0) batch.row(0) = set.all.row(0);
    CHECK(dynamic.insert(batch) == set.all.rows());
    set.add(batch);
    const auto removals = static_cast<int>(rng.below(static_cast<std::uint64_t>(m) + 3));
    for (int r = 0; r < removals; ++r) {
      const auto id =
          static_cast<mlprim::Index>(rng.below(static_cast<std::uint64_t>(set.all.rows())));
      if (!set.alive[static_cast<std::size_t>(id)]) continue;
      dynamic.remove(id);
      set.alive[static_cast<std::size_t>(id)] = false;
    }
    if (dynamic.size() > 0) check_same_as_static(dynamic, set, queries);
  }
  // Remove nearly everything: the forest compacts and stays exact.
  for (mlprim::Index id = 0; id + 3 < set.all.rows(); ++id)
    if (set.alive[static_cast<std::size_t>(id)]) {
      dynamic.remove(id);
      set.alive[static_cast<std::size_t>(id)] = false;
    }
  check_same_as_static(dynamic, set, queries);
  CHECK(dynamic.memory_bytes() < 4096);

  auto message = [](auto&& fn) {
    return mlprim::test::exception_message<std::invalid_argument>(fn);
  };
  CHECK(message([&] { dynamic.remove(0); }) ==
        "mlprim::DynamicKDTree::remove: id = 0 is not a live point (ids given: 0 to " +
            std::to_string(set.all.rows() - 1) + ")");
  CHECK(message([&] { dynamic.knn(queries, 4); }) ==
        "mlprim::DynamicKDTree::knn: k = 4 exceeds the number of points (3)");
  CHECK(message([&] { dynamic.insert(mlprim::RowMatrix<T>::Zero(1, 3)); }) ==
        "mlprim::DynamicKDTree::insert: points.cols() = 3 does not match the tree's dimension = 2");
  CHECK(message([] { mlprim::DynamicKDTree<T> bad(0); }) ==
        "mlprim::DynamicKDTree: dimension = 0 must be positive");
}

TEMPLATE_TEST_CASE("save and load round-trip static and dynamic trees", "[neighbors][io]",
                   MLPRIM_TEST_SCALARS) {
  using T = TestType;
  mlprim::Rng rng(41);
  mlprim::RowMatrix<T> points(2000, 5), queries(50, 5);
  mlprim::fill_normal(points, rng);
  mlprim::fill_normal(queries, rng);
  const mlprim::KDTree<T> tree(points);
  std::stringstream stream;
  tree.save(stream);
  const auto loaded = mlprim::KDTree<T>::load(stream);
  CHECK(loaded.size() == tree.size());
  const auto a = tree.knn(queries, 9), b = loaded.knn(queries, 9);
  CHECK(a.indices == b.indices);
  CHECK(a.distances == b.distances);

  mlprim::DynamicKDTree<T> dynamic(5);
  dynamic.insert(points.topRows(700));
  dynamic.insert(points.bottomRows(1300));
  for (mlprim::Index id = 0; id < 2000; id += 3) dynamic.remove(id);
  std::stringstream dstream;
  dynamic.save(dstream);
  const auto dloaded = mlprim::DynamicKDTree<T>::load(dstream);
  CHECK(dloaded.size() == dynamic.size());
  CHECK(dloaded.knn(queries, 9).indices == dynamic.knn(queries, 9).indices);
  CHECK(dloaded.contains(1));
  CHECK_FALSE(dloaded.contains(3));

  // The periodic box travels with the tree.
  mlprim::RowMatrix<T> unit(300, 2);
  mlprim::fill_uniform(unit, rng);
  using Periodic = mlprim::KDTree<T, 2, mlprim::Periodic<>>;
  const Periodic torus(unit, {}, mlprim::Periodic<>({1.0, 1.0}));
  std::stringstream pstream;
  torus.save(pstream);
  const auto ploaded = Periodic::load(pstream);
  CHECK(ploaded.metric().box == std::vector<double>{1.0, 1.0});
  CHECK(ploaded.knn(unit, 3).indices == torus.knn(unit, 3).indices);
}

TEST_CASE("loading rejects truncated, corrupt and mismatched streams", "[neighbors][io]") {
  mlprim::Rng rng(51);
  mlprim::RowMatrix<double> points(300, 3);
  mlprim::fill_uniform(points, rng);
  const mlprim::KDTree<double, 3> tree(points);
  std::stringstream stream;
  tree.save(stream);
  const std::string bytes = stream.str();
  auto load = [](const std::string& b) {
    std::istringstream in(b);
    return mlprim::test::exception_message<std::runtime_error>(
        [&] { mlprim::KDTree<double, 3>::load(in); });
  };
  // Every truncation throws.
  for (std::size_t cut = 0; cut < bytes.size(); cut += 1 + cut / 16)
    CHECK(load(bytes.substr(0, cut)) != "<nothing thrown>");
  // Flipping any single byte is caught or harmless: it never reads out of
  // bounds (the sanitizer build watches) and a tree that loads only reports
  // indices of its own points.
  for (std::size_t at = 0; at < bytes.size(); at += 7) {
    std::string flipped = bytes;
    flipped[at] = static_cast<char>(flipped[at] ^ 0x5a);
    std::istringstream in(flipped);
    try {
      const auto loaded = mlprim::KDTree<double, 3>::load(in);
      const auto got = loaded.knn(points.topRows(20), 4);
      CHECK(got.indices.minCoeff() >= 0);
      CHECK(got.indices.maxCoeff() < points.rows());
    } catch (const std::runtime_error&) {
    }
  }
  // A stream of another tree type is named as such.
  std::istringstream in(bytes);
  const auto mismatch = mlprim::test::exception_message<std::runtime_error>(
      [&] { mlprim::KDTree<float, 3>::load(in); });
  CHECK(mismatch.find("the stream holds a tree of 8-byte scalars") != std::string::npos);
}

TEST_CASE("parallel and serial builds give the same answers", "[neighbors]") {
  mlprim::Rng rng(61);
  mlprim::RowMatrix<float> points(200000, 3), queries(500, 3);
  mlprim::fill_uniform(points, rng);
  mlprim::fill_uniform(queries, rng);
  mlprim::KDTreeParams serial, parallel;
  serial.num_threads = 1;
  parallel.num_threads = 4;  // more threads than cores is allowed
  const mlprim::KDTree<float, 3> a(points, serial), b(points, parallel);
  CHECK(a.memory_bytes() == b.memory_bytes());
  const auto ra = a.knn(queries, 8), rb = b.knn(queries, 8);
  CHECK(ra.indices == rb.indices);
  CHECK(ra.distances == rb.distances);
}
