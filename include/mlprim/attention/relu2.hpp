// Squared-ReLU attention and mixed-chunk attention from FLASH (Hua et al.,
// "Transformer Quality in Linear Time", ICML 2022).
//
// relu2_attention:  out = A V,  A_ij = relu(scale q_i . k_j + bias_ij)^2 / Nk,
// with A_ij = 0 where the causal mask (bottom-right aligned, as
// AttentionOptions) hides key j from query i.
//
// mixed_chunk_attention splits the N tokens into chunks of C and adds, for a
// query i in chunk g,
//   quadratic:  sum_{j in g} relu(scale q_i . k_j)^2 v_j / C     (causal: j <= i)
//   linear:     ql_i . sum_{h != g} sum_{j in h} kl_j v_j^T / N  (causal: h < g)
// where C = min(chunk, N), the quadratic part uses (Q, K) and the linear part
// (Ql, Kl) (the paper derives both pairs from one shared Z). With chunk >= N
// there is one chunk and it equals relu2_attention. Time O(N C (d + dv) +
// N dl dv), memory O(N dv + C^2).
#ifndef MLPRIM_ATTENTION_RELU2_HPP
#define MLPRIM_ATTENTION_RELU2_HPP

#include <algorithm>
#include <cmath>
#include <optional>

#include "mlprim/attention/detail/scale.hpp"
#include "mlprim/attention/detail/masked_product.hpp"
#include "mlprim/attention/options.hpp"
#include "mlprim/core/error.hpp"
#include "mlprim/core/types.hpp"

namespace mlprim {

/// Options of relu2_attention.
struct Relu2AttentionOptions {
  std::optional<double> scale;  ///< default 1 / sqrt(d)
  bool causal = false;          ///< bottom-right aligned, as AttentionOptions
  AttentionBias bias;           ///< optional additive bias inside the relu, Nq x Nk
};

/// Options of mixed_chunk_attention.
struct MixedChunkOptions {
  Index chunk = 256;            ///< tokens per chunk, >= 1 (the paper's C)
  bool causal = false;          ///< bottom-right aligned causal mask in both parts
  std::optional<double> scale;  ///< of the quadratic part; default 1 / sqrt(d)
};

/// Squared-ReLU attention of Q (Nq x d), K (Nk x d), V (Nk x dv) (see the
/// header comment), materialising Nq x Nk scores in AccumulatorT<T>.
template <class DQ, class DK, class DV, class T = typename DQ::Scalar>
RowMatrix<T> relu2_attention(const Eigen::MatrixBase<DQ>& Q, const Eigen::MatrixBase<DK>& K,
                             const Eigen::MatrixBase<DV>& V,
                             const Relu2AttentionOptions& options = {}) {
  using Acc = AccumulatorT<T>;
  const char* fn = "relu2_attention";
  AttentionOptions softmax_like;
  softmax_like.scale = options.scale;
  softmax_like.causal = options.causal;
  softmax_like.bias = options.bias;
  const auto r = detail::resolve_attention<Acc>(fn, Q.rows(), K.rows(), Q.cols(), K.cols(),
                                                V.rows(), softmax_like);
  RowMatrix<Acc> a = Q.template cast<Acc>() * K.template cast<Acc>().transpose();
  const Acc inv_n = r.nk > 0 ? Acc(1) / static_cast<Acc>(r.nk) : Acc(0);
  for (Index i = 0; i < r.nq; ++i) {
    const Index end = r.key_end(i);
    for (Index j = 0; j < r.nk; ++j) {
      const Acc s = j < end ? r.score(r.scale * a(i, j), i, j) : Acc(0);
      a(i, j) = s > 0 || std::isnan(s) ? s * s * inv_n : Acc(0);
    }
  }
  const RowMatrix<Acc> v = V.template cast<Acc>();
  RowMatrix<Acc> out = RowMatrix<Acc>::Zero(r.nq, v.cols());
  detail::add_masked_product<Acc>(out, a, detail::SplitRows<Acc>(v), 0,
                                  [&](Index i, Index j) { return r.visible(i, j); });
  return out.template cast<T>();
}

/// Mixed-chunk attention with separate pairs for the quadratic (Q, K: N x d)
/// and linear (Ql, Kl: N x dl) parts over V (N x dv); see the header comment.
template <class DQ, class DK, class DQL, class DKL, class DV, class T = typename DQ::Scalar>
RowMatrix<T> mixed_chunk_attention(const Eigen::MatrixBase<DQ>& Q, const Eigen::MatrixBase<DK>& K,
                                   const Eigen::MatrixBase<DQL>& Ql,
                                   const Eigen::MatrixBase<DKL>& Kl, const Eigen::MatrixBase<DV>& V,
                                   const MixedChunkOptions& options = {}) {
  using Acc = AccumulatorT<T>;
  const char* fn = "mixed_chunk_attention";
  const Index n = Q.rows();
  check_positive(fn, "chunk", options.chunk);
  if (K.rows() != n || V.rows() != n || Ql.rows() != n || Kl.rows() != n)
    throw_invalid_argument(fn, "Q, K, Ql, Kl, V have ", n, ", ", K.rows(), ", ", Ql.rows(), ", ",
                           Kl.rows(), ", ", V.rows(), " rows; all must be equal");
  if (K.cols() != Q.cols())
    throw_invalid_argument(fn, "K.cols() = ", K.cols(), " does not match Q.cols() = ", Q.cols());
  if (Kl.cols() != Ql.cols())
    throw_invalid_argument(fn, "Kl.cols() = ", Kl.cols(),
                           " does not match Ql.cols() = ", Ql.cols());
  if (options.scale) check_finite(fn, "scale", *options.scale);
  const Acc scale = static_cast<Acc>(detail::attention_scale(options.scale, Q.cols()));
  const RowMatrix<Acc> q = Q.template cast<Acc>(), k = K.template cast<Acc>(),
                       v = V.template cast<Acc>();
  const RowMatrix<Acc> ql = Ql.template cast<Acc>(), kl = Kl.template cast<Acc>();
  const detail::SplitRows<Acc> v_rows(v);  // causal: later keys' non-finite values stay out
  const Index c = std::min(options.chunk, n), dv = v.cols();
  RowMatrix<Acc> out(n, dv), a;
  if (n == 0) return out.template cast<T>();
  const Acc inv_c = Acc(1) / static_cast<Acc>(c), inv_n = Acc(1) / static_cast<Acc>(n);
  // Linear state: causal, the sum over earlier chunks; else over all chunks,
  // from which each chunk's own share is taken out.
  RowMatrix<Acc> state =
      options.causal ? RowMatrix<Acc>::Zero(kl.cols(), dv) : RowMatrix<Acc>(kl.transpose() * v);
  for (Index t0 = 0; t0 < n; t0 += c) {
    const Index len = std::min(c, n - t0);
    const RowMatrix<Acc> own = kl.middleRows(t0, len).transpose() * v.middleRows(t0, len);
    if (!options.causal) state -= own;
    a.noalias() = q.middleRows(t0, len) * k.middleRows(t0, len).transpose();
    for (Index i = 0; i < len; ++i)
      for (Index j = 0; j < len; ++j) {
        const Acc s = scale * a(i, j);
        a(i, j) = (options.causal && j > i) || !(s > 0 || std::isnan(s)) ? Acc(0) : s * s * inv_c;
      }
    out.middleRows(t0, len).setZero();
    detail::add_masked_product<Acc>(out.middleRows(t0, len), a, v_rows, t0, [&](Index i, Index j) {
      return !options.causal || detail::causal_in_chunk(i, j);
    });
    out.middleRows(t0, len).noalias() += inv_n * (ql.middleRows(t0, len) * state);
    state += own;
  }
  return out.template cast<T>();
}

/// Mixed-chunk attention with the same Q and K for both parts.
template <class DQ, class DK, class DV, class T = typename DQ::Scalar>
RowMatrix<T> mixed_chunk_attention(const Eigen::MatrixBase<DQ>& Q, const Eigen::MatrixBase<DK>& K,
                                   const Eigen::MatrixBase<DV>& V,
                                   const MixedChunkOptions& options = {}) {
  return mixed_chunk_attention(Q, K, Q, K, V, options);
}

}  // namespace mlprim

#endif  // MLPRIM_ATTENTION_RELU2_HPP
