// Brute-force k nearest neighbours: every query against every point. The
// test oracle of the k-d trees, and the better choice for small n or high d:
// on uniform data (bench/neighbors, bench/README.md) the tree wins at d = 8
// and this GEMM-screened scan at d = 16 (3.5x) and beyond; data of low
// intrinsic dimension favour the tree further up.
#ifndef MLPRIM_NEIGHBORS_BRUTEFORCE_HPP
#define MLPRIM_NEIGHBORS_BRUTEFORCE_HPP

#include <algorithm>
#include <limits>
#include <type_traits>
#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/core/parallel.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/neighbors/detail/distance.hpp"
#include "mlprim/neighbors/detail/nearest_set.hpp"
#include "mlprim/neighbors/kdtree.hpp"
#include "mlprim/neighbors/metrics.hpp"

namespace mlprim {

/// The k nearest rows of `points` (n x d) to each row of `queries` (m x d),
/// exactly, with the same distances (bit for bit), ordering, tie-breaking
/// (smaller index first among equal accumulated distances; see KnnResult),
/// max_distance and padding as KDTree::knn (eps is ignored). With a
/// Periodic metric, points must lie in its box and queries are wrapped into
/// it, as in the tree.
///
/// O(m n d), parallel over queries. For L2 from d = 8 on, blocks of
/// queries and points go through Eigen's matrix product: the expansion
/// |q|^2 + |p|^2 - 2 q.p of the centred data, with a bound on its rounding
/// error, rules out the points that cannot enter the k best, and only the
/// rest get their distance computed exactly.
template <class Metric = L2, class P, class Q, class Scalar = typename P::Scalar>
KnnResult<Scalar> knn_bruteforce(const Eigen::MatrixBase<P>& points,
                                 const Eigen::MatrixBase<Q>& queries, Index k,
                                 const KnnOptions<Scalar>& options = {},
                                 const Metric& metric = {}) {
  static_assert(std::is_same_v<typename Q::Scalar, Scalar>,
                "mlprim::knn_bruteforce: points and queries need the same scalar type");
  const char* fn = "knn_bruteforce";
  const Index n = points.rows(), d = points.cols(), m = queries.rows();
  if (d == 0) throw_invalid_argument(fn, "points.cols() = 0: points need at least one dimension");
  if (queries.cols() != d)
    throw_invalid_argument(fn, "queries.cols() = ", queries.cols(),
                           " does not match points.cols() = ", d);
  check_positive(fn, "k", k);
  check_at_most(fn, "k", k, n, "the number of points");
  check_non_negative(fn, "max_distance", options.max_distance);
  const int threads = resolve_threads(fn, options.num_threads);
  const std::vector<Scalar> period = detail::periodic_box<Scalar>(fn, "metric.box", metric, d);
  // Row-major copies: contiguous rows for the kernel, queries wrapped.
  RowMatrix<Scalar> p = points, q = queries;
  for (Index i = 0; i < n; ++i) detail::check_point(fn, "point", p.row(i).data(), 1, d, i, period);
  for (Index i = 0; i < m; ++i) {
    for (Index j = 0; j < d; ++j) {
      if (!std::isfinite(q(i, j)))
        throw_invalid_argument(fn, "query row ", i, " has a non-finite coordinate");
      if (!period.empty())
        q(i, j) = detail::wrap_into_box(q(i, j), period[static_cast<std::size_t>(j)]);
    }
  }
  const Scalar limit = std::isinf(options.max_distance)
                           ? options.max_distance
                           : metric.from_distance(options.max_distance);
  KnnResult<Scalar> out{IndexMatrix(m, k), RowMatrix<Scalar>(m, k)};
  auto finish = [&](detail::NearestSet<Scalar>& set, Index row) {
    set.finish();
    for (Index i = 0; i < set.count(); ++i)
      out.distances(row, i) = metric.to_distance(out.distances(row, i));
    for (Index i = set.count(); i < k; ++i) {
      out.indices(row, i) = -1;
      out.distances(row, i) = std::numeric_limits<Scalar>::infinity();
    }
  };
  auto distance = [&](Index qi, Index pi, Scalar bound) {
    return detail::point_distance<Eigen::Dynamic>(metric, q.row(qi).data(), p.row(pi).data(), d,
                                                  period.data(), bound);
  };

  constexpr bool gemm = std::is_same_v<Metric, L2>;
  if (!gemm || d < 8) {
    parallel_for(Index{0}, m, threads, [&](Index qi) {
      detail::NearestSet<Scalar> set(k, limit, out.indices.row(qi).data(),
                                     out.distances.row(qi).data());
      for (Index pi = 0; pi < n; ++pi) set.offer(distance(qi, pi, set.bound()), pi);
      finish(set, qi);
    });
    return out;
  }
  // Screening: with c the points' mean, |q - p|^2 = |q-c|^2 + |p-c|^2 - 2 (q-c).(p-c)
  // up to rounding of at most (4 d + 16) u (|q-c|^2 + |p-c|^2), which also
  // covers the kernel's own rounding; a point whose screened value exceeds
  // the k-th best by more cannot be among the k best.
  const RowVector<Scalar> centre = p.colwise().mean();
  const RowMatrix<Scalar> pc = p.rowwise() - centre, qc = q.rowwise() - centre;
  const Vector<Scalar> pn = pc.rowwise().squaredNorm(), qn = qc.rowwise().squaredNorm();
  const Scalar slack = Scalar(4 * d + 16) * std::numeric_limits<Scalar>::epsilon();
  constexpr Index query_block = 64, point_block = 1024;
  const Index blocks = (m + query_block - 1) / query_block;
  parallel_for(Index{0}, blocks, threads, [&](Index b) {
    const Index q0 = b * query_block, qs = std::min(query_block, m - q0);
    std::vector<detail::NearestSet<Scalar>> sets;
    for (Index i = 0; i < qs; ++i)
      sets.emplace_back(k, limit, out.indices.row(q0 + i).data(), out.distances.row(q0 + i).data());
    RowMatrix<Scalar> dots(qs, point_block);
    for (Index p0 = 0; p0 < n; p0 += point_block) {
      const Index ps = std::min(point_block, n - p0);
      dots.leftCols(ps).noalias() = qc.middleRows(q0, qs) * pc.middleRows(p0, ps).transpose();
      for (Index i = 0; i < qs; ++i) {
        auto& set = sets[static_cast<std::size_t>(i)];
        const Scalar qni = qn(q0 + i);
        for (Index j = 0; j < ps; ++j) {
          const Scalar norms = qni + pn(p0 + j);
          const Scalar screened = norms - 2 * dots(i, j);
          if (screened - slack * norms > set.bound()) continue;
          set.offer(distance(q0 + i, p0 + j, set.bound()), p0 + j);
        }
      }
    }
    for (Index i = 0; i < qs; ++i) finish(sets[static_cast<std::size_t>(i)], q0 + i);
  });
  return out;
}

}  // namespace mlprim

#endif  // MLPRIM_NEIGHBORS_BRUTEFORCE_HPP
