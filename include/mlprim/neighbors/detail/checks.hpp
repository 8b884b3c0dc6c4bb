// The argument checks of the neighbors module's queries, shared by every
// search structure and the brute force so that they all reject the same
// input with the same messages.
#ifndef MLPRIM_NEIGHBORS_DETAIL_CHECKS_HPP
#define MLPRIM_NEIGHBORS_DETAIL_CHECKS_HPP

#include <cmath>

#include "mlprim/core/error.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/neighbors/types.hpp"

namespace mlprim::detail {

/// Queries of dimension d with finite coordinates (any Eigen matrix type).
template <class Q>
void check_knn_queries(const char* fn, const Q& queries, Index d) {
  if (queries.cols() != d)
    throw_invalid_argument(fn, "queries.cols() = ", queries.cols(),
                           " does not match the tree's dimension = ", d);
  if constexpr (std::is_floating_point_v<typename Q::Scalar>)
    for (Index i = 0; i < queries.rows(); ++i)
      if (!queries.row(i).allFinite())
        throw_invalid_argument(fn, "query row ", i, " has a non-finite coordinate");
}

/// One query of d coordinates given by pointer: finite values.
template <class Scalar>
void check_query_values(const char* fn, const Scalar* query, Index d) {
  if constexpr (std::is_floating_point_v<Scalar>)
    for (Index j = 0; j < d; ++j)
      if (!std::isfinite(query[j]))
        throw_invalid_argument(fn, "the query has a non-finite coordinate");
}

/// 1 <= k <= the points available.
inline void check_knn_k(const char* fn, Index k, Index available) {
  check_positive(fn, "k", k);
  check_at_most(fn, "k", k, available, "the number of points");
}

/// Valid kNN options.
template <class Scalar>
void check_knn_options(const char* fn, const KnnOptions<Scalar>& o) {
  check_non_negative(fn, "eps", o.eps);
  check_finite(fn, "eps", o.eps);
  check_non_negative(fn, "max_distance", o.max_distance);
  check_non_negative(fn, "num_threads", o.num_threads);
  if (o.method != KnnMethod::Auto && o.method != KnnMethod::Tree &&
      o.method != KnnMethod::BruteForce)
    throw_invalid_argument(fn, "method = ", static_cast<int>(o.method), " is not a KnnMethod");
}

/// A radius r >= 0 and valid radius options.
template <class Scalar>
void check_radius(const char* fn, Scalar r, const RadiusOptions& o) {
  check_non_negative(fn, "r", r);
  check_non_negative(fn, "max_results", o.max_results);
  check_non_negative(fn, "num_threads", o.num_threads);
}

}  // namespace mlprim::detail

#endif  // MLPRIM_NEIGHBORS_DETAIL_CHECKS_HPP
