// libFuzzer target: RandomizedKDForest::load. Byte 0 picks the point type
// (float or bytes, see with_forest in fuzz_targets.hpp), the rest is the
// stream. A forest that loads must search exactly with an unlimited budget
// (equal to brute force over its own points), answer a budgeted search with
// valid sorted neighbours, and save and load again to the same bytes.
// Corrupt input may only throw std::runtime_error.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>

#include "fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  std::istringstream in(std::string(reinterpret_cast<const char*>(data) + 1, size - 1));
  mlprim::fuzz::with_forest(data[0], [&](auto tag) {
    using Forest = typename decltype(tag)::type;
    using Distance = typename Forest::distance_type;
    try {
      const Forest forest = Forest::load(in);
      if (forest.size() == 0) return;
      const mlprim::Index k = std::min<mlprim::Index>(3, forest.size());
      const auto& queries = forest.points();
      mlprim::ForestSearchOptions<Distance> exact;
      exact.checks = 0;
      const auto got = forest.knn(queries, k, exact);
      const mlprim::RowMatrix<Distance> as_float = queries.template cast<Distance>();
      const auto want = mlprim::knn_bruteforce(as_float, as_float, k);
      mlprim::fuzz::require(got.indices == want.indices, "unlimited search equals brute force");
      mlprim::ForestSearchOptions<Distance> budget;
      budget.checks = 4;
      const auto some = forest.knn(queries, k, budget);
      for (mlprim::Index i = 0; i < some.indices.rows(); ++i)
        for (mlprim::Index j = 0; j < k; ++j) {
          mlprim::fuzz::require(some.indices(i, j) >= 0 && some.indices(i, j) < forest.size(),
                                "budgeted neighbours are points");
          mlprim::fuzz::require(j == 0 || some.distances(i, j - 1) <= some.distances(i, j),
                                "budgeted neighbours are sorted");
        }
      std::stringstream again;
      forest.save(again);
      const std::string bytes = again.str();
      const Forest reloaded = Forest::load(again);
      std::stringstream twice;
      reloaded.save(twice);
      mlprim::fuzz::require(twice.str() == bytes, "save, load, save gives the same bytes");
    } catch (const std::runtime_error&) {
    }
  });
  return 0;
}
