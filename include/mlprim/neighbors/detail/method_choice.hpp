// The cost model behind KnnMethod::Auto. A probe of up to 32 evenly spaced
// queries is answered by the tree, counting the points and leaves it
// examines and the coordinates its distance kernel reads (which stops early
// on far points); a probe query that would cost the tree more than twice a brute
// force query gives up (and is answered again by the method chosen). Then
//
//   tree  = query + coordinates * tree_per_coordinate + points * tree_per_point
//                 + leaves * tree_per_leaf                 (probe averages)
//   brute = n * (d * brute_per_coordinate + brute_per_point)
//
// in nanoseconds per query on one thread (the brute-force constants are
// the GEMM screen's for L2 from d = 8, the direct loop's otherwise) and the
// rest of the queries go to the cheaper. Constants fitted on 2026-12-03 to
// the mlprim-tree / mlprim-brute runs of bench_neighbors_high_dim with the
// probe's counts for the same queries (2-core AMD EPYC AVX-512 VM,
// GCC 12, 10^5 points, k = 10; bench/README.md): on uniform data the tree
// wins up to d = 8 (16 vs 48 us per query) and the brute force from d = 16
// (54 vs 502 us); on clustered data of intrinsic dimension 4 the tree wins
// at every d up to 128 (72 vs 255 us), which the probe sees.
#ifndef MLPRIM_NEIGHBORS_DETAIL_METHOD_CHOICE_HPP
#define MLPRIM_NEIGHBORS_DETAIL_METHOD_CHOICE_HPP

#include <algorithm>
#include <vector>

#include "mlprim/core/types.hpp"
#include "mlprim/neighbors/detail/brute_force.hpp"
#include "mlprim/neighbors/detail/tree_search.hpp"
#include "mlprim/neighbors/types.hpp"

namespace mlprim::detail {

/// The cost model's constants (nanoseconds).
struct KnnCostModel {
  static constexpr double tree_per_query = 1000;
  static constexpr double tree_per_coordinate = 0.9;
  static constexpr double tree_per_point = 1.0;
  static constexpr double tree_per_leaf = 20;
  static constexpr double gemm_per_coordinate = 0.018;
  static constexpr double gemm_per_point = 0.3;
  static constexpr double direct_per_coordinate = 0.6;
  static constexpr double direct_per_point = 0.8;
  /// Queries the tree answers before the choice.
  static constexpr Index probe_queries = 32;
};

/// The probe: up to probe_queries evenly spaced rows of m, none when m is
/// too small for the choice to pay (then the tree answers all).
inline std::vector<Index> probe_rows(Index m) {
  std::vector<Index> rows;
  if (m <= 2 * KnnCostModel::probe_queries) return rows;
  for (Index i = 0; i < KnnCostModel::probe_queries; ++i)
    rows.push_back(i * m / KnnCostModel::probe_queries);
  return rows;
}

/// Rows 0..m-1 without the (ascending) probe rows.
inline std::vector<Index> rows_without(Index m, const std::vector<Index>& probe) {
  std::vector<Index> rows;
  rows.reserve(static_cast<std::size_t>(m) - probe.size());
  std::size_t next = 0;
  for (Index i = 0; i < m; ++i) {
    if (next < probe.size() && probe[next] == i) {
      ++next;
      continue;
    }
    rows.push_back(i);
  }
  return rows;
}

/// Predicted nanoseconds of one brute-force query over n points.
template <class Metric>
double brute_force_cost(Index n, Index d) {
  using C = KnnCostModel;
  const double dd = static_cast<double>(d);
  return static_cast<double>(n) * (brute_force_uses_gemm<Metric>(d)
                                       ? dd * C::gemm_per_coordinate + C::gemm_per_point
                                       : dd * C::direct_per_coordinate + C::direct_per_point);
}

/// The points a probe query may examine before it gives up: twice the
/// brute-force cost of one query, in tree points (at least one leaf's worth).
template <class Metric>
Index probe_cap(Index n, Index d, Index leaf_size) {
  using C = KnnCostModel;
  const double per_point = static_cast<double>(d) * C::tree_per_coordinate + C::tree_per_point;
  return std::max<Index>(leaf_size, static_cast<Index>(2 * brute_force_cost<Metric>(n, d) / per_point));
}

/// Tree or BruteForce for the queries after a probe of `probes` queries
/// that examined `stats` in total (Tree when nothing was probed).
template <class Metric>
KnnMethod choose_knn_method(Index n, Index d, std::size_t probes, const SearchStats& stats) {
  if (probes == 0) return KnnMethod::Tree;
  using C = KnnCostModel;
  const double count = static_cast<double>(probes);
  const double tree =
      C::tree_per_query +
      (static_cast<double>(stats.coordinates) * C::tree_per_coordinate +
       static_cast<double>(stats.points) * C::tree_per_point +
       static_cast<double>(stats.leaves) * C::tree_per_leaf) /
          count;
  return brute_force_cost<Metric>(n, d) < tree ? KnnMethod::BruteForce : KnnMethod::Tree;
}

}  // namespace mlprim::detail

#endif  // MLPRIM_NEIGHBORS_DETAIL_METHOD_CHOICE_HPP
