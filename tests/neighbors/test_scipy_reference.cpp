// KDTree against SciPy's cKDTree: neighbours and distances for L2, L1, Linf
// and Minkowski p = 3, radius counts, and a periodic box (numbers made by
// tests/data/neighbors/make_scipy_reference.py).
#include <mlprim/neighbors.hpp>

#include <string>

#include "catch.hpp"
#include "reference_data.hpp"
#include "test_types.hpp"

namespace {

template <class T, class Metric>
void check_against(const mlprim::test::ReferenceData& ref, const std::string& name,
                   const Metric& metric = {}) {
  const mlprim::RowMatrix<T> points = ref.at("points").cast<T>(),
                             queries = ref.at("queries").cast<T>();
  const mlprim::KDTree<T, 3, Metric> tree(points, {}, metric);
  const auto got = tree.knn(queries, 5);
  const auto& indices = ref.at(name + "_indices");
  const auto& distances = ref.at(name + "_distances");
  INFO(name);
  for (mlprim::Index q = 0; q < queries.rows(); ++q)
    for (mlprim::Index j = 0; j < 5; ++j) {
      CHECK(got.indices(q, j) == static_cast<mlprim::Index>(indices(q, j)));
      CHECK(got.distances(q, j) ==
            Approx(distances(q, j)).epsilon(10 * mlprim::test::Tolerance<T>::relative));
    }
}

}  // namespace

TEMPLATE_TEST_CASE("kNN matches SciPy's cKDTree for every metric", "[neighbors][scipy]",
                   MLPRIM_TEST_SCALARS) {
  using T = TestType;
  const auto ref = mlprim::test::read_reference_data("neighbors/scipy_reference.txt");
  check_against<T>(ref, "l2", mlprim::L2{});
  check_against<T>(ref, "l1", mlprim::L1{});
  check_against<T>(ref, "linf", mlprim::Linf{});
  check_against<T>(ref, "minkowski3", mlprim::Minkowski<3>{});
  check_against<T>(ref, "periodic", mlprim::Periodic<>({1.0, 1.0, 1.0}));

  const mlprim::RowMatrix<T> points = ref.at("points").cast<T>(),
                             queries = ref.at("queries").cast<T>();
  const auto counts = mlprim::KDTree<T, 3>(points).radius_batch(queries, T(0.1));
  const auto& want = ref.at("radius_counts_r0.1");
  for (mlprim::Index q = 0; q < queries.rows(); ++q)
    CHECK(counts.offsets[static_cast<std::size_t>(q) + 1] -
              counts.offsets[static_cast<std::size_t>(q)] ==
          static_cast<mlprim::Index>(want(q, 0)));
}
