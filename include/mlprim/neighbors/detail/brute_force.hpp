// The brute-force kNN kernel shared by knn_bruteforce and KDTree's
// BruteForce method: every listed query against every point, through the
// one distance kernel (distance.hpp) and the one finishing step
// (finish.hpp), so its results are the trees' bit for bit.
//
// For L2 from d = 8 on, blocks of queries and points go through Eigen's
// matrix product as a screen: with c the points' mean,
//   |q - p|^2 = |q-c|^2 + |p-c|^2 - 2 (q-c).(p-c),
// computed in floating point, is within (4 d + 16) u (|q-c|^2 + |p-c|^2) of
// the true value (u the unit roundoff; the bound covers the product's own
// rounding; the screen tests it with (4 d + 24) u for its own few extra
// roundings). A point whose screened value exceeds the current k-th best by
// more than that cannot be among the k best; every other point gets its
// distance recomputed exactly by the direct kernel, so rounding in the
// expansion never reorders or drops a true neighbour. Other metrics, and L2
// below 8 dimensions, take the direct kernel for every pair (8 vector lanes
// from d = 8).
#ifndef MLPRIM_NEIGHBORS_DETAIL_BRUTE_FORCE_HPP
#define MLPRIM_NEIGHBORS_DETAIL_BRUTE_FORCE_HPP

#include <algorithm>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "mlprim/core/parallel.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/neighbors/detail/distance.hpp"
#include "mlprim/neighbors/detail/finish.hpp"
#include "mlprim/neighbors/detail/nearest_set.hpp"
#include "mlprim/neighbors/metrics.hpp"

namespace mlprim::detail {

/// Whether the brute force screens with the matrix product for this metric
/// and dimension.
template <class Metric>
constexpr bool brute_force_uses_gemm(Index d) {
  return std::is_same_v<Metric, L2> && d >= 8;
}

/// The n points (rows of a contiguous row-major n x d array), reported as
/// ids[slot] (the slot itself when ids is null).
template <class Scalar>
struct PointRows {
  const Scalar* data;
  Index n, d;
  const std::int32_t* ids;
  /// How queries are passed: contiguous rows.
  using Queries = Eigen::Ref<const RowMatrix<Scalar>>;
  const Scalar* row(Index i) const { return data + i * d; }
};

/// For each of the `count` query rows rows[i] of `queries` (prepared:
/// finite, wrapped into a periodic box), its k nearest points into row
/// rows[i] of out, finished and padded. `limit` is max_distance in
/// accumulated space; period is the periodic box (or null).
template <class Metric, class Scalar>
void brute_force_knn(const Metric& metric, const PointRows<Scalar>& points, const Scalar* period,
                     const typename PointRows<Scalar>::Queries& queries, const Index* rows,
                     Index count, Index k, Scalar limit, int threads, KnnResult<Scalar>& out) {
  const Index n = points.n, d = points.d;
  auto distance = [&](const Scalar* q, Index slot, Scalar bound) {
    return point_distance<Eigen::Dynamic>(metric, q, points.row(slot), d, period, bound);
  };
  auto finish = [&](NearestSet<Scalar>& set, Index row) {
    finish_knn(metric, set, k, out.distances.row(row).data(), out.indices.row(row).data(),
               out.distances.row(row).data());
  };
  auto new_set = [&](Index row) {
    return NearestSet<Scalar>(k, limit, out.indices.row(row).data(),
                              out.distances.row(row).data(), points.ids);
  };
  if (!brute_force_uses_gemm<Metric>(d)) {
    parallel_for(Index{0}, count, threads, [&](Index i) {
      const Index row = rows[i];
      NearestSet<Scalar> set = new_set(row);
      const Scalar* q = queries.row(row).data();
      for (Index slot = 0; slot < n; ++slot) set.offer(distance(q, slot, set.bound()), slot);
      finish(set, row);
    });
    return;
  }
  const Eigen::Map<const RowMatrix<Scalar>> all(points.data, n, d);
  const RowVector<Scalar> centre = all.colwise().mean();
  // A candidate has (1 - slack) (|q-c|^2 + |p-c|^2) - 2 (q-c).(p-c) <= the
  // k-th best; per query row that reads pn'_j + dots_ij <= t with
  // pn' = (1 - slack) |p-c|^2, dots = -2 (q-c).(p-c) and
  // t = bound - (1 - slack) |q-c|^2, tested 32 points at a time.
  const Scalar slack = Scalar(4 * d + 24) * std::numeric_limits<Scalar>::epsilon();
  const Vector<Scalar> pn = (1 - slack) * (all.rowwise() - centre).rowwise().squaredNorm().array();
  constexpr Index query_block = 64, point_block = 1024, chunk = 32;
  const Index blocks = (count + query_block - 1) / query_block;
  parallel_for_chunks(Index{0}, blocks, threads, [&](Index b_lo, Index b_hi, int) {
    RowMatrix<Scalar> qc(query_block, d), pc(point_block, d), dots(query_block, point_block);
    Vector<Scalar> qn(query_block);
    std::vector<NearestSet<Scalar>> sets;
    for (Index b = b_lo; b < b_hi; ++b) {
      const Index q0 = b * query_block, qs = std::min(query_block, count - q0);
      sets.clear();
      for (Index i = 0; i < qs; ++i) {
        const Index row = rows[q0 + i];
        sets.push_back(new_set(row));
        qc.row(i) = queries.row(row) - centre;
        qn(i) = (1 - slack) * qc.row(i).squaredNorm();
      }
      for (Index p0 = 0; p0 < n; p0 += point_block) {
        const Index ps = std::min(point_block, n - p0);
        pc.topRows(ps) = all.middleRows(p0, ps).rowwise() - centre;
        dots.topLeftCorner(qs, ps).noalias() = Scalar(-2) * qc.topRows(qs) * pc.topRows(ps).transpose();
        for (Index i = 0; i < qs; ++i) {
          auto& set = sets[static_cast<std::size_t>(i)];
          const Scalar* q = queries.row(rows[q0 + i]).data();
          auto screened = dots.row(i).head(ps);
          screened += pn.segment(p0, ps).transpose();
          Scalar t = set.bound() - qn(i);
          for (Index j0 = 0; j0 < ps; j0 += chunk) {
            const Index len = std::min(chunk, ps - j0);
            if (screened.segment(j0, len).minCoeff() > t) continue;
            for (Index j = j0; j < j0 + len; ++j) {
              if (screened(j) > t) continue;
              set.offer(distance(q, p0 + j, set.bound()), p0 + j);
              t = set.bound() - qn(i);
            }
          }
        }
      }
      for (Index i = 0; i < qs; ++i) finish(sets[static_cast<std::size_t>(i)], rows[q0 + i]);
    }
  });
}

}  // namespace mlprim::detail

#endif  // MLPRIM_NEIGHBORS_DETAIL_BRUTE_FORCE_HPP
