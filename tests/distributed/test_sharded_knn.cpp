// ShardedKNN against one KDTree over the concatenated rows (every rank
// builds that reference itself from the same generated points).
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <vector>

#include <mlprim/core/random.hpp>
#include <mlprim/neighbors.hpp>

#include "catch.hpp"
#include "world.hpp"

namespace {

using mlprim::Index;
using mlprim::RowMatrix;
using mlprim::test::cut;
using mlprim::test::shard_of;
using mlprim::test::world;

}  // namespace

TEST_CASE("Sharded k-NN equals one tree over the union, on uneven shards with an empty one") {
  auto& comm = world();
  const int P = comm.size(), me = comm.rank();
  mlprim::Rng rng(31);
  RowMatrix<double> points(1500, 3), queries(200, 3);
  mlprim::fill_normal(points, rng);
  mlprim::fill_normal(queries, rng);
  const RowMatrix<double> mine = shard_of(points, me, P);
  const mlprim::ShardedKNN<double> sharded(mine, comm);
  CHECK(sharded.size() == 1500);
  CHECK(sharded.local_size() == mine.rows());
  CHECK(sharded.offset() == cut(me, P, 1500));
  const mlprim::KDTree<double> whole(points);
  for (Index k : {Index{1}, Index{10}, Index{40}}) {
    const auto got = sharded.knn(queries, k);
    const auto want = whole.knn(queries, k);
    CHECK(got.indices == want.indices);
    CHECK((got.distances - want.distances).cwiseAbs().maxCoeff() <= 1e-12);
  }
  // Beyond max_distance: padding, as the single tree pads.
  mlprim::KnnOptions<double> near;
  near.max_distance = 0.3;
  const auto got = sharded.knn(queries, 8, near);
  const auto want = whole.knn(queries, 8, near);
  CHECK(got.indices == want.indices);
  CHECK((got.distances.array().isInf() == want.distances.array().isInf()).all());
}

TEST_CASE("Sharded k-NN breaks ties by the smaller global index, as one tree") {
  auto& comm = world();
  const int P = comm.size(), me = comm.rank();
  // A 6 x 6 integer grid, each point twice: many exactly equal distances.
  RowMatrix<double> points(72, 2);
  for (Index i = 0; i < 72; ++i) {
    points(i, 0) = static_cast<double>((i % 36) % 6);
    points(i, 1) = static_cast<double>((i % 36) / 6);
  }
  RowMatrix<double> queries(3, 2);
  queries << 2.5, 2.5, 0, 0, 3, 1;
  const mlprim::ShardedKNN<double> sharded(shard_of(points, me, P), comm);
  const mlprim::KDTree<double> whole(points);
  const auto got = sharded.knn(queries, 12);
  const auto want = whole.knn(queries, 12);
  CHECK(got.indices == want.indices);
  CHECK(got.distances == want.distances);
}

TEST_CASE("Sharded k-NN's bad input throws on every rank, and no rank waits") {
  auto& comm = world();
  const int P = comm.size(), me = comm.rank();
  mlprim::Rng rng(8);
  RowMatrix<double> points(30, 2);
  mlprim::fill_normal(points, rng);
  const mlprim::ShardedKNN<double> sharded(shard_of(points, me, P), comm);
  RowMatrix<double> queries(2, 2);
  queries << 0, 0, 1, 1;
  CHECK_THROWS_WITH(sharded.knn(queries, 31), Catch::Contains("ShardedKNN::knn") && Catch::Contains("k = 31"));
  CHECK_THROWS_AS(sharded.knn(queries, 0), std::invalid_argument);
  CHECK_THROWS_AS(sharded.knn(RowMatrix<double>::Zero(2, 3), 1), std::invalid_argument);
  // Refused on every rank, the one with no points included (three ranks).
  RowMatrix<double> inf_query = queries;
  inf_query(1, 1) = std::numeric_limits<double>::infinity();
  CHECK_THROWS_WITH(sharded.knn(inf_query, 1), Catch::Contains("query row 1"));
  mlprim::KnnOptions<double> negative;
  negative.eps = -1;
  CHECK_THROWS_WITH(sharded.knn(queries, 1, negative), Catch::Contains("eps = -1"));
  if (P > 1) {
    RowMatrix<double> other = queries;
    if (me == 1) other(0, 0) = 0.5;  // one rank asks something else
    CHECK_THROWS_WITH(sharded.knn(other, 1), Catch::Contains("differ between ranks"));
    // A non-finite point on the last rank only: it throws its own error,
    // the others name it.
    RowMatrix<double> bad = shard_of(points, me, P);
    if (me == P - 1) bad(0, 0) = std::numeric_limits<double>::quiet_NaN();
    if (me == P - 1)
      CHECK_THROWS_AS(mlprim::ShardedKNN<double>(bad, comm), std::invalid_argument);
    else
      CHECK_THROWS_WITH(mlprim::ShardedKNN<double>(bad, comm),
                        Catch::Contains("rank " + std::to_string(P - 1) + " failed"));
    // Different dimensions: every rank throws invalid_argument.
    const RowMatrix<double> wide = RowMatrix<double>::Zero(2, me == 0 ? 3 : 2);
    CHECK_THROWS_WITH(mlprim::ShardedKNN<double>(wide, comm), Catch::Contains("differ between ranks"));
  }
}
