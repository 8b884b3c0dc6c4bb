// The one finishing step of every search in the neighbors module: the
// accumulated-space limit of max_distance going in, and coming out the
// sorted set turned into reported distances with the padding rule (kNN), or
// the radius hits sorted, truncated, converted and packed. The trees, the
// forest and the brute force all call these, so their results agree.
#ifndef MLPRIM_NEIGHBORS_DETAIL_FINISH_HPP
#define MLPRIM_NEIGHBORS_DETAIL_FINISH_HPP

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "mlprim/core/parallel.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/neighbors/detail/nearest_set.hpp"
#include "mlprim/neighbors/types.hpp"

namespace mlprim::detail {

/// max_distance in the metric's accumulated space (+inf stays +inf).
template <class Metric, class Scalar>
Scalar knn_limit(const Metric& metric, Scalar max_distance) {
  return std::isinf(max_distance) ? max_distance : metric.from_distance(max_distance);
}

/// Sorts the set (accumulated distances of type Acc in `acc`), writes k
/// reported distances to `distances` and pads indices[found..k) with -1 and
/// distances with +inf; returns the count found. `acc` may be `distances`.
template <class Metric, class Acc, class Scalar>
Index finish_knn(const Metric& metric, NearestSet<Acc>& set, Index k, const Acc* acc,
                 Index* indices, Scalar* distances) {
  set.finish();
  const Index found = set.count();
  for (Index i = 0; i < found; ++i)
    distances[i] = static_cast<Scalar>(metric.to_distance(static_cast<Scalar>(acc[i])));
  for (Index i = found; i < k; ++i) {
    indices[i] = -1;
    distances[i] = std::numeric_limits<Scalar>::infinity();
  }
  return found;
}

/// Sorts radius hits (accumulated distances) by distance then index when
/// asked, truncates to max_results and converts the distances.
template <class Metric, class Scalar>
void finish_radius(const Metric& metric, const RadiusOptions& options,
                   std::vector<Neighbor<Scalar>>& out) {
  if (options.sorted)
    std::sort(out.begin(), out.end(), [](const Neighbor<Scalar>& a, const Neighbor<Scalar>& b) {
      return a.distance < b.distance || (a.distance == b.distance && a.index < b.index);
    });
  if (options.max_results > 0 && static_cast<Index>(out.size()) > options.max_results)
    out.resize(static_cast<std::size_t>(options.max_results));
  for (auto& nb : out) nb.distance = metric.to_distance(nb.distance);
}

/// Runs search_chunk(lo, hi, per_query) over m queries in parallel, where
/// each chunk fills per_query[i] for its queries with finished hits, and
/// packs them in compressed layout.
template <class Scalar, class SearchChunk>
RadiusResults<Scalar> gather_radius(Index m, int num_threads, const SearchChunk& search_chunk) {
  std::vector<std::vector<Neighbor<Scalar>>> per_query(static_cast<std::size_t>(m));
  parallel_for_chunks(Index{0}, m, num_threads,
                      [&](Index lo, Index hi, int) { search_chunk(lo, hi, per_query); });
  RadiusResults<Scalar> out;
  out.offsets.assign(static_cast<std::size_t>(m) + 1, 0);
  for (std::size_t i = 0; i < per_query.size(); ++i)
    out.offsets[i + 1] = out.offsets[i] + static_cast<Index>(per_query[i].size());
  out.indices.resize(static_cast<std::size_t>(out.offsets.back()));
  out.distances.resize(out.indices.size());
  parallel_for(Index{0}, m, num_threads, [&](Index i) {
    auto at = static_cast<std::size_t>(out.offsets[static_cast<std::size_t>(i)]);
    for (const auto& nb : per_query[static_cast<std::size_t>(i)]) {
      out.indices[at] = nb.index;
      out.distances[at++] = nb.distance;
    }
  });
  return out;
}

}  // namespace mlprim::detail

#endif  // MLPRIM_NEIGHBORS_DETAIL_FINISH_HPP
