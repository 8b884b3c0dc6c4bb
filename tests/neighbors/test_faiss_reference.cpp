// Exact k-NN against FAISS's IndexFlatL2 (numbers made by
// tests/data/neighbors/make_faiss_reference.py): KDTree's Auto, Tree and
// BruteForce methods and RandomizedKDForest with an unlimited budget, on
// float points and on byte descriptors.
#include <mlprim/neighbors.hpp>

#include <cmath>
#include <cstdint>

#include "catch.hpp"
#include "reference_data.hpp"

namespace {

using mlprim::Index;

template <class T>
void check_result(const mlprim::KnnResult<T>& got, const mlprim::RowMatrix<double>& indices,
                  const mlprim::RowMatrix<double>& squared, double tolerance) {
  for (Index q = 0; q < indices.rows(); ++q)
    for (Index j = 0; j < indices.cols(); ++j) {
      INFO("query " << q << " neighbour " << j);
      CHECK(got.indices(q, j) == static_cast<Index>(indices(q, j)));
      CHECK(static_cast<double>(got.distances(q, j)) ==
            Approx(std::sqrt(squared(q, j))).epsilon(tolerance));
    }
}

}  // namespace

TEST_CASE("exact k-NN equals FAISS IndexFlatL2 on float points", "[neighbors][faiss]") {
  const auto ref = mlprim::test::read_reference_data("neighbors/faiss_reference.txt");
  const mlprim::RowMatrix<float> points = ref.at("float_points").cast<float>(),
                                 queries = ref.at("float_queries").cast<float>();
  const mlprim::KDTree<float> tree(points);
  for (const auto method : {mlprim::KnnMethod::Auto, mlprim::KnnMethod::Tree, mlprim::KnnMethod::BruteForce}) {
    mlprim::KnnOptions<float> options;
    options.method = method;
    check_result(tree.knn(queries, 5, options), ref.at("float_indices"),
                 ref.at("float_squared_distances"), 1e-5);
  }
  mlprim::ForestSearchOptions<float> exact;
  exact.checks = 0;
  check_result(mlprim::RandomizedKDForest<float>(points).knn(queries, 5, exact),
               ref.at("float_indices"), ref.at("float_squared_distances"), 1e-5);
}

TEST_CASE("exact k-NN equals FAISS IndexFlatL2 on byte descriptors", "[neighbors][faiss]") {
  const auto ref = mlprim::test::read_reference_data("neighbors/faiss_reference.txt");
  const mlprim::RowMatrix<std::uint8_t> points = ref.at("byte_points").cast<std::uint8_t>(),
                                        queries = ref.at("byte_queries").cast<std::uint8_t>();
  mlprim::ForestSearchOptions<float> exact;
  exact.checks = 0;
  const auto got = mlprim::RandomizedKDForest<std::uint8_t>(points).knn(queries, 5, exact);
  // Integer squared distances: FAISS's and ours are both exact.
  const auto& squared = ref.at("byte_squared_distances");
  for (Index q = 0; q < squared.rows(); ++q)
    for (Index j = 0; j < 5; ++j)
      CHECK(static_cast<double>(got.distances(q, j)) * got.distances(q, j) == Approx(squared(q, j)).epsilon(1e-6));
  check_result(got, ref.at("byte_indices"), squared, 1e-6);
}
