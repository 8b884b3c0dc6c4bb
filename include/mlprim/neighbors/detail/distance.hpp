// The one point-to-point distance kernel of the neighbors module, shared by
// the k-d trees and brute force so that all of them return bit-identical
// distances (and so identical neighbour orders).
//
// Accumulated-space distance (see metrics.hpp) between a query and a point of
// d coordinates. Below 8 dimensions the terms are combined in order; from 8
// on, summing metrics keep 8 partial sums (lane l takes coordinates
// l, l + 8, ...) added pairwise at the end, which vectorises and shortens the
// dependency chain. A search may pass `bound`: once a partial result exceeds
// it (checked every 16 coordinates) the kernel returns early with a value that
// is only known to exceed bound. A non-null `used` counts the coordinates
// actually read (the cost model of KDTree's Auto method).
#ifndef MLPRIM_NEIGHBORS_DETAIL_DISTANCE_HPP
#define MLPRIM_NEIGHBORS_DETAIL_DISTANCE_HPP

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/neighbors/metrics.hpp"

namespace mlprim::detail {

/// Coordinate j's term: metric.term(|q_j - p_j|), folded onto the ring for
/// periodic metrics (period[j] > 0).
template <class Metric, class Scalar>
Scalar coordinate_term(const Metric& metric, Scalar diff, const Scalar* period, Index j) {
  if constexpr (is_periodic<Metric>::value)
    return metric.term(ring_difference(diff, period[j]));
  else {
    (void)period;
    (void)j;
    return metric.term(diff);
  }
}

/// The accumulated distance from q to p over d = Dim (or `d` when Dim is
/// Dynamic) coordinates; `period` is the periodic box (ignored otherwise).
/// Always inlined: a tree's leaf scan calls it once per point, and the call
/// cost 5 % of a 16-D search (bench_neighbors_high_dim).
template <int Dim, class Metric, class Scalar>
[[gnu::always_inline]] inline Scalar point_distance(
    const Metric& metric, const Scalar* q, const Scalar* p, Index d, const Scalar* period,
    Scalar bound = std::numeric_limits<Scalar>::infinity(), Index* used = nullptr) {
  if constexpr (Dim != Eigen::Dynamic) d = Dim;
  if (!Metric::sums || d < 8) {
    Scalar acc = 0;
    for (Index j = 0; j < d; ++j)
      acc = metric.combine(acc, coordinate_term(metric, q[j] - p[j], period, j));
    if (used) *used += d;
    return acc;
  }
  Scalar lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  auto total = [&] {
    return ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) +
           ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
  };
  Index j = 0;
  for (; j + 8 <= d; j += 8) {
    for (Index l = 0; l < 8; ++l)
      lanes[l] += coordinate_term(metric, q[j + l] - p[j + l], period, j + l);
    if (j + 8 < d && (j & 8) == 8 && total() > bound) {
      if (used) *used += j + 8;
      return total();
    }
  }
  for (Index l = 0; j + l < d; ++l)
    lanes[l] += coordinate_term(metric, q[j + l] - p[j + l], period, j + l);
  if (used) *used += d;
  return total();
}

/// The accumulated distance between two byte vectors (SIFT-style uint8
/// descriptors) for a summing metric (L2, L1), exactly in 32-bit integers:
/// 32 coordinates at a time (which the compiler vectorises), returning
/// early once the partial sum exceeds `bound`. A non-null `used` counts the
/// coordinates read. Exact while d * 255^2 < 2^31 (d < 33025).
template <class Metric>
std::int32_t byte_distance(const Metric& metric, const std::uint8_t* q, const std::uint8_t* p,
                           Index d, std::int32_t bound = std::numeric_limits<std::int32_t>::max()) {
  static_assert(Metric::sums, "mlprim: byte descriptors need a summing metric (L2 or L1)");
  constexpr Index chunk = 32;
  std::int32_t acc = 0;
  Index j = 0;
  for (; j + chunk <= d; j += chunk) {
    std::int32_t part = 0;
    for (Index l = 0; l < chunk; ++l)
      part += metric.term(static_cast<std::int32_t>(q[j + l]) - static_cast<std::int32_t>(p[j + l]));
    acc += part;
    if (acc > bound) return acc;
  }
  for (; j < d; ++j)
    acc += metric.term(static_cast<std::int32_t>(q[j]) - static_cast<std::int32_t>(p[j]));
  return acc;
}

/// The periodic box of `metric` as Scalars, checked against d (empty for
/// other metrics): throws naming fn and `what` for a wrong size or an entry
/// that is negative or not finite.
template <class Scalar, class Metric>
std::vector<Scalar> periodic_box(const char* fn, const char* what, const Metric& metric, Index d) {
  std::vector<Scalar> period;
  if constexpr (is_periodic<Metric>::value) {
    if (static_cast<Index>(metric.box.size()) != d)
      throw_invalid_argument(fn, what, " has ", metric.box.size(), " entries, the points ", d,
                             " dimensions");
    for (std::size_t j = 0; j < metric.box.size(); ++j) {
      const double L = metric.box[j];
      if (!(L >= 0) || !std::isfinite(L))
        throw_invalid_argument(fn, what, "[", j, "] = ", L,
                               " must be finite and >= 0 (0: not periodic)");
      period.push_back(static_cast<Scalar>(L));
    }
  } else {
    (void)fn;
    (void)what;
    (void)metric;
    (void)d;
  }
  return period;
}

/// Throws unless the d coordinates p[j * stride] are finite and, where
/// period[j] > 0, inside [0, period[j]); `row` names the point.
template <class Scalar>
void check_point(const char* fn, const char* what, const Scalar* p, Index stride, Index d,
                 Index row, const std::vector<Scalar>& period) {
  for (Index j = 0; j < d; ++j) {
    const Scalar v = p[j * stride];
    if (!std::isfinite(v))
      throw_invalid_argument(fn, what, " row ", row, " has a non-finite coordinate");
    if (!period.empty()) {
      const Scalar L = period[static_cast<std::size_t>(j)];
      if (L > 0 && !(v >= 0 && v < L))
        throw_invalid_argument(fn, what, " row ", row, " has coordinate ", j, " = ", v,
                               " outside the periodic box [0, ", L, ")");
    }
  }
}

}  // namespace mlprim::detail

#endif  // MLPRIM_NEIGHBORS_DETAIL_DISTANCE_HPP
