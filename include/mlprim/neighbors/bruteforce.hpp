// Brute-force k nearest neighbours: every query against every point. The
// test oracle of the k-d trees, and the better choice for small n or high d
// (KDTree::knn's Auto method picks it by itself; bench/README.md has the
// crossover).
#ifndef MLPRIM_NEIGHBORS_BRUTEFORCE_HPP
#define MLPRIM_NEIGHBORS_BRUTEFORCE_HPP

#include <cmath>
#include <numeric>
#include <type_traits>
#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/core/parallel.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/neighbors/detail/brute_force.hpp"
#include "mlprim/neighbors/detail/checks.hpp"
#include "mlprim/neighbors/detail/distance.hpp"
#include "mlprim/neighbors/detail/finish.hpp"
#include "mlprim/neighbors/metrics.hpp"
#include "mlprim/neighbors/types.hpp"

namespace mlprim {

/// The k nearest rows of `points` (n x d) to each row of `queries` (m x d),
/// exactly, with the same distances (bit for bit), ordering, tie-breaking
/// (smaller index first among equal accumulated distances; see KnnResult),
/// max_distance and padding as KDTree::knn (eps and method are ignored).
/// With a Periodic metric, points must lie in its box and queries are
/// wrapped into it, as in the tree.
///
/// O(m n d), parallel over queries. For L2 from d = 8 on, blocks of queries
/// and points go through Eigen's matrix product as a screen and the
/// surviving candidates' distances are recomputed exactly
/// (detail/brute_force.hpp states the rounding bound); other metrics use
/// the direct, vectorised distance loop.
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
  detail::check_knn_k(fn, k, n);
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
  KnnResult<Scalar> out{IndexMatrix(m, k), RowMatrix<Scalar>(m, k)};
  std::vector<Index> rows(static_cast<std::size_t>(m));
  std::iota(rows.begin(), rows.end(), Index{0});
  detail::brute_force_knn(metric, detail::PointRows<Scalar>{p.data(), n, d, nullptr},
                          period.data(), q, rows.data(), m, k,
                          detail::knn_limit(metric, options.max_distance), threads, out);
  out.method = KnnMethod::BruteForce;
  return out;
}

}  // namespace mlprim

#endif  // MLPRIM_NEIGHBORS_BRUTEFORCE_HPP
