// Brute-force k nearest neighbours: every query against every point. The
// test oracle of the k-d tree, and the better choice for small n or high d.
#ifndef MLPRIM_NEIGHBORS_BRUTEFORCE_HPP
#define MLPRIM_NEIGHBORS_BRUTEFORCE_HPP

#include <limits>
#include <type_traits>
#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/core/parallel.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/neighbors/detail/nearest_set.hpp"
#include "mlprim/neighbors/kdtree.hpp"
#include "mlprim/neighbors/metrics.hpp"

namespace mlprim {

/// The k nearest rows of `points` (n x d) to each row of `queries` (m x d),
/// exactly, with the same ordering, tie-breaking (smaller index first),
/// max_distance and padding as KDTree::knn (eps is ignored). O(m n d),
/// parallel over queries.
template <class Metric = L2, class P, class Q, class Scalar = typename P::Scalar>
KnnResult<Scalar> knn_bruteforce(const Eigen::MatrixBase<P>& points, const Eigen::MatrixBase<Q>& queries,
                                 Index k, const KnnOptions<Scalar>& options = {},
                                 const Metric& metric = {}) {
  static_assert(std::is_same_v<typename Q::Scalar, Scalar>,
                "mlprim::knn_bruteforce: points and queries need the same scalar type");
  const char* fn = "knn_bruteforce";
  if (queries.cols() != points.cols())
    throw_invalid_argument(fn, "queries.cols() = ", queries.cols(), " does not match points.cols() = ",
                           points.cols());
  check_positive(fn, "k", k);
  check_at_most(fn, "k", k, points.rows(), "the number of points");
  check_non_negative(fn, "max_distance", options.max_distance);
  const Scalar limit = options.max_distance == std::numeric_limits<Scalar>::infinity()
                           ? options.max_distance
                           : metric.from_distance(options.max_distance);
  KnnResult<Scalar> out{IndexMatrix(queries.rows(), k), RowMatrix<Scalar>(queries.rows(), k)};
  parallel_for(Index{0}, queries.rows(), options.num_threads, [&](Index q) {
    detail::NearestSet<Scalar> set(k, limit, out.indices.row(q).data(), out.distances.row(q).data());
    for (Index i = 0; i < points.rows(); ++i) {
      Scalar acc = 0;
      for (Index j = 0; j < points.cols(); ++j)
        acc = metric.combine(acc, metric.term(queries(q, j) - points(i, j)));
      set.offer(acc, i);
    }
    set.finish();
    for (Index i = 0; i < set.count(); ++i) out.distances(q, i) = metric.to_distance(out.distances(q, i));
    for (Index i = set.count(); i < k; ++i) {
      out.indices(q, i) = -1;
      out.distances(q, i) = std::numeric_limits<Scalar>::infinity();
    }
  });
  return out;
}

}  // namespace mlprim

#endif  // MLPRIM_NEIGHBORS_BRUTEFORCE_HPP
