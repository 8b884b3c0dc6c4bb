// Contrastive losses with in-batch negatives, each returned with its
// gradients (one pass):
//   - InfoNCE (van den Oord, Li & Vinyals 2018, "Representation Learning
//     with Contrastive Predictive Coding"; He et al. 2020, MoCo): query i's
//     positive is key i, every other key is a negative,
//         L = -(1/n) sum_i log( exp(s(q_i, k_i)/tau) / sum_j exp(s(q_i, k_j)/tau) ),
//     s the cosine similarity (or the plain dot product, CPC's bilinear
//     score with the bilinear map folded into the keys);
//   - NT-Xent (Chen et al. 2020, SimCLR): two views of N samples, 2N rows z,
//     each row's positive is the other view of its sample and the other
//     2N - 2 rows are its negatives,
//         L = -(1/2N) sum_a log( exp(cos(z_a, z_p(a))/tau) / sum_{b != a} exp(cos(z_a, z_b)/tau) ).
// Equal to F.cross_entropy over the same similarity logits in PyTorch.
#ifndef MLPRIM_NN_CONTRASTIVE_HPP
#define MLPRIM_NN_CONTRASTIVE_HPP

#include <limits>
#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/nn/detail/loss_parts.hpp"

namespace mlprim {

/// InfoNCE's options; the temperature default is MoCo's.
template <class T>
struct InfoNceOptions {
  T temperature = T(0.07);  ///< tau > 0: logits are similarities / tau
  /// Cosine similarity (the rows are scaled to unit length first, as MoCo
  /// and SimCLR); false scores by the plain dot product, as CPC.
  bool normalize = true;
};

/// InfoNCE's value and gradients.
template <class T>
struct InfoNceResult {
  T loss = 0;                 ///< mean over queries, accumulated in double for float
  RowMatrix<T> grad_queries;  ///< dL/dqueries, n x D
  RowMatrix<T> grad_keys;     ///< dL/dkeys, m x D
};

/// InfoNCE of n queries (n x D) against m >= n keys (m x D): key i is the
/// positive of query i, and every key is a negative of the other queries
/// (keys n..m-1 are negatives only, e.g. a memory queue). O(n m D).
template <class T>
InfoNceResult<T> info_nce(const Eigen::Ref<const RowMatrix<T>>& queries,
                          const Eigen::Ref<const RowMatrix<T>>& keys,
                          const InfoNceOptions<T>& options = {}) {
  const char* fn = "info_nce";
  check_positive(fn, "options.temperature", options.temperature);
  check_finite(fn, "options.temperature", options.temperature);
  check_positive(fn, "queries.rows()", queries.rows());
  check_equal(fn, "keys.cols()", keys.cols(), queries.cols(), "queries.cols()");
  if (keys.rows() < queries.rows())
    throw_invalid_argument(fn, "keys.rows() = ", keys.rows(),
                           " is less than queries.rows() = ", queries.rows(),
                           ": every query needs its positive key");
  const T inv_tau = T(1) / options.temperature;
  const Index n = queries.rows();
  detail::UnitRows<T> q, k;
  if (options.normalize) {
    q = detail::unit_rows<T>(fn, "queries", queries);
    k = detail::unit_rows<T>(fn, "keys", keys);
  } else {
    detail::check_finite_rows<T>(fn, "queries", queries);
    detail::check_finite_rows<T>(fn, "keys", keys);
    q.unit = queries;
    k.unit = keys;
  }
  RowMatrix<T> logits = inv_tau * q.unit * k.unit.transpose();
  std::vector<Index> targets(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i) targets[static_cast<std::size_t>(i)] = i;
  InfoNceResult<T> out;
  out.loss = detail::softmax_cross_entropy(logits, targets);
  RowMatrix<T> grad_q = inv_tau * logits * k.unit;
  RowMatrix<T> grad_k = inv_tau * logits.transpose() * q.unit;
  out.grad_queries = options.normalize ? detail::unit_rows_backward(q, grad_q) : grad_q;
  out.grad_keys = options.normalize ? detail::unit_rows_backward(k, grad_k) : grad_k;
  return out;
}

/// NT-Xent's options; the temperature default is SimCLR's CIFAR-10 one.
template <class T>
struct NtXentOptions {
  T temperature = T(0.5);  ///< tau > 0
};

/// NT-Xent's value and gradients.
template <class T>
struct NtXentResult {
  T loss = 0;                ///< mean over the 2N rows, accumulated in double for float
  RowMatrix<T> grad_first;   ///< dL/dfirst, N x D
  RowMatrix<T> grad_second;  ///< dL/dsecond, N x D
};

/// NT-Xent of two views (first and second, N x D each, N >= 1; row i of
/// both is sample i) by cosine similarity. O(N^2 D).
template <class T>
NtXentResult<T> nt_xent(const Eigen::Ref<const RowMatrix<T>>& first,
                        const Eigen::Ref<const RowMatrix<T>>& second,
                        const NtXentOptions<T>& options = {}) {
  const char* fn = "nt_xent";
  check_positive(fn, "options.temperature", options.temperature);
  check_finite(fn, "options.temperature", options.temperature);
  check_positive(fn, "first.rows()", first.rows());
  check_equal(fn, "second.rows()", second.rows(), first.rows(), "first.rows()");
  check_equal(fn, "second.cols()", second.cols(), first.cols(), "first.cols()");
  const Index N = first.rows();
  RowMatrix<T> z(2 * N, first.cols());
  z << first, second;
  const detail::UnitRows<T> u = detail::unit_rows<T>(fn, "first and second", z);
  const T inv_tau = T(1) / options.temperature;
  RowMatrix<T> logits = inv_tau * u.unit * u.unit.transpose();
  logits.diagonal().setConstant(-std::numeric_limits<T>::infinity());
  std::vector<Index> targets(static_cast<std::size_t>(2 * N));
  for (Index a = 0; a < 2 * N; ++a) targets[static_cast<std::size_t>(a)] = a < N ? a + N : a - N;
  NtXentResult<T> out;
  out.loss = detail::softmax_cross_entropy(logits, targets);
  // The similarity matrix is symmetric: each entry reaches both rows.
  const RowMatrix<T> grad_u = inv_tau * (logits + logits.transpose()) * u.unit;
  const RowMatrix<T> grad_z = detail::unit_rows_backward(u, grad_u);
  out.grad_first = grad_z.topRows(N);
  out.grad_second = grad_z.bottomRows(N);
  return out;
}

}  // namespace mlprim

#endif  // MLPRIM_NN_CONTRASTIVE_HPP
