// Periodic boundaries (SciPy's boxsize): the tree and brute force against a
// direct minimum over the 3^d images of every point.
#include <mlprim/neighbors.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "catch.hpp"
#include "test_types.hpp"
#include "test_util.hpp"

namespace {

/// Euclidean distance on the torus by brute force over the images
/// p + s * L, s in {-1, 0, 1}^d (independent of the ring arithmetic).
template <class T>
T image_distance(const mlprim::RowMatrix<T>& a, mlprim::Index i, const std::vector<T>& q,
                 const std::vector<double>& box) {
  const mlprim::Index d = a.cols();
  T best = std::numeric_limits<T>::infinity();
  // Odometer over the shifts; open dimensions (box 0) stay at shift 0.
  std::vector<int> shift(static_cast<std::size_t>(d));
  for (mlprim::Index j = 0; j < d; ++j)
    shift[static_cast<std::size_t>(j)] = box[static_cast<std::size_t>(j)] > 0 ? -1 : 0;
  for (;;) {
    T acc = 0;
    for (mlprim::Index j = 0; j < d; ++j) {
      const T image =
          a(i, j) + T(shift[static_cast<std::size_t>(j)]) * T(box[static_cast<std::size_t>(j)]);
      acc += (q[static_cast<std::size_t>(j)] - image) * (q[static_cast<std::size_t>(j)] - image);
    }
    best = std::min(best, std::sqrt(acc));
    mlprim::Index j = 0;
    for (; j < d; ++j) {
      auto& s = shift[static_cast<std::size_t>(j)];
      if (box[static_cast<std::size_t>(j)] > 0 && s < 1) {
        ++s;
        break;
      }
      if (box[static_cast<std::size_t>(j)] > 0) s = -1;
    }
    if (j == d) return best;
  }
}

}  // namespace

TEMPLATE_TEST_CASE("periodic kNN and radius equal the minimum over images", "[neighbors][periodic]",
                   MLPRIM_TEST_SCALARS) {
  using T = TestType;
  const std::vector<double> box = {1.0, 2.0, 0.0};  // the last dimension is open
  mlprim::Rng rng(21);
  mlprim::RowMatrix<T> points(3000, 3);
  mlprim::fill_uniform(points, rng);
  points.col(1) *= T(2);
  points.col(2) =
      points.col(2) * T(3) - mlprim::RowMatrix<T>::Constant(3000, 1, T(1));  // open: any range
  // Queries crowd the faces and corners, and some lie outside the box.
  mlprim::RowMatrix<T> queries(200, 3);
  mlprim::fill_uniform(queries, rng, T(-0.05), T(0.05));
  for (mlprim::Index i = 0; i < 200; i += 3) queries(i, 0) += T(1);
  for (mlprim::Index i = 0; i < 200; i += 4) queries(i, 1) += T(2);
  for (mlprim::Index i = 1; i < 200; i += 5) queries(i, 0) += T(3.5);

  const mlprim::Periodic<> metric(box);
  for (auto split : {mlprim::SplitRule::sliding_midpoint, mlprim::SplitRule::median}) {
    mlprim::KDTreeParams params;
    params.split = split;
    const mlprim::KDTree<T, 3, mlprim::Periodic<>> tree(points, params, metric);
    const auto got = tree.knn(queries, 6);
    const auto brute = mlprim::knn_bruteforce(points, queries, 6, {}, metric);
    REQUIRE(got.indices == brute.indices);
    REQUIRE(got.distances == brute.distances);
    const double tol = std::is_same_v<T, float> ? 1e-5 : 1e-12;
    for (mlprim::Index q = 0; q < queries.rows(); ++q) {
      std::vector<T> query(3);
      for (int j = 0; j < 3; ++j) {  // reduced modulo L, so the images -1, 0, 1 suffice
        const double L = box[static_cast<std::size_t>(j)], x = double(queries(q, j));
        query[static_cast<std::size_t>(j)] = T(L > 0 ? x - L * std::floor(x / L) : x);
      }
      std::vector<std::pair<T, mlprim::Index>> all;
      for (mlprim::Index i = 0; i < points.rows(); ++i)
        all.emplace_back(image_distance(points, i, query, box), i);
      std::sort(all.begin(), all.end());
      for (mlprim::Index j = 0; j < 6; ++j)
        CHECK(got.distances(q, j) == Approx(all[static_cast<std::size_t>(j)].first).epsilon(tol));
      const auto within = tree.radius(queries.row(q), T(0.08));
      std::size_t expected = 0;
      for (const auto& [dist, i] : all) expected += dist <= T(0.08) * (1 + T(tol)) ? 1 : 0;
      CHECK(within.size() == expected);
    }
  }
}

TEST_CASE("periodic trees reject bad boxes and points outside them", "[neighbors][periodic]") {
  using Tree = mlprim::KDTree<double, 2, mlprim::Periodic<>>;
  mlprim::RowMatrix<double> points(3, 2);
  points << 0.1, 0.2, 0.5, 0.5, 0.9, 0.99;
  auto message = [](auto&& fn) {
    return mlprim::test::exception_message<std::invalid_argument>(fn);
  };
  CHECK(message([&] { Tree t(points, {}, mlprim::Periodic<>({1.0})); }) ==
        "mlprim::KDTree: metric.box has 1 entries, the points 2 dimensions");
  CHECK(message([&] {
          Tree t(points, {}, mlprim::Periodic<>({1.0, -2.0}));
        }) == "mlprim::KDTree: metric.box[1] = -2 must be finite and >= 0 (0: not periodic)");
  CHECK(message([&] {
          Tree t(points, {}, mlprim::Periodic<>({1.0, 0.5}));
        }) ==
        "mlprim::KDTree: point row 1 has coordinate 1 = 0.5 outside the periodic box [0, 0.5)");
  const Tree tree(points, {}, mlprim::Periodic<>({1.0, 1.0}));
  const auto nn = tree.nearest(Eigen::Vector2d(0.95, 0.05));  // near (0.9, 0.99) across the corner
  CHECK(nn.index == 2);
  CHECK(nn.distance == Approx(std::hypot(0.05, 0.06)));
}
