// Reference softmax attention: the full Nq x Nk score matrix, materialised.
// The definition the fast kernels are checked against, and the right choice
// when the scores themselves are wanted or N is small.
#ifndef MLPRIM_ATTENTION_REFERENCE_HPP
#define MLPRIM_ATTENTION_REFERENCE_HPP

#include <cmath>
#include <limits>

#include "mlprim/attention/detail/masked_product.hpp"
#include "mlprim/attention/options.hpp"
#include "mlprim/attention/shape.hpp"
#include "mlprim/core/types.hpp"

namespace mlprim {
namespace detail {

/// The probabilities p_ij (Nq x Nk, zero where masked), the softcapped
/// scores (for the backward pass) and lse of attention_options.hpp's
/// definition, computed with a numerically stable softmax per row.
template <class Acc>
struct AttentionProbabilities {
  RowMatrix<Acc> p, capped;
  Vector<Acc> lse;
};

template <class Acc>
AttentionProbabilities<Acc> attention_probabilities(const ResolvedAttention<Acc>& r,
                                                    const RowMatrix<Acc>& q,
                                                    const RowMatrix<Acc>& k) {
  constexpr Acc inf = std::numeric_limits<Acc>::infinity();
  AttentionProbabilities<Acc> out;
  out.capped.noalias() = q * k.transpose();
  out.capped *= r.scale;
  out.p.setZero(r.nq, r.nk);
  out.lse.resize(r.nq);
  for (Index i = 0; i < r.nq; ++i) {
    const Index begin = r.key_begin(i), end = r.key_end(i);
    Acc m = r.has_sink ? r.sink : -inf;
    for (Index j = 0; j < r.nk; ++j) {
      const Acc z = out.capped(i, j);
      if (r.softcap > 0) out.capped(i, j) = r.softcap * std::tanh(z / r.softcap);
      if (j < begin || j >= end) continue;
      out.p(i, j) = r.pattern_keeps(i, j) ? r.score(z, i, j) : -inf;
      if (!(out.p(i, j) <= m)) m = out.p(i, j);  // a NaN score wins, so NaN inputs give NaN rows
    }
    if (m == -inf) {  // nothing visible and no sink: zeros, lse = -inf
      out.p.row(i).setZero();
      out.lse(i) = -inf;
      continue;
    }
    Acc sum = r.has_sink ? std::exp(r.sink - m) : Acc(0);
    for (Index j = begin; j < end; ++j) sum += out.p(i, j) = std::exp(out.p(i, j) - m);
    for (Index j = begin; j < end; ++j) out.p(i, j) /= sum;
    out.lse(i) = m + std::log(sum);
  }
  return out;
}

/// softmax(s) V for resolved options, with the scores materialised.
template <class T, class DQ, class DK, class DV>
RowMatrix<T> reference_forward(const ResolvedAttention<AccumulatorT<T>>& r,
                               const Eigen::MatrixBase<DQ>& Q, const Eigen::MatrixBase<DK>& K,
                               const Eigen::MatrixBase<DV>& V) {
  using Acc = AccumulatorT<T>;
  const RowMatrix<Acc> q = Q.template cast<Acc>(), k = K.template cast<Acc>(),
                       v = V.template cast<Acc>();
  const auto probabilities = attention_probabilities(r, q, k);
  RowMatrix<Acc> out = RowMatrix<Acc>::Zero(r.nq, v.cols());
  add_masked_product<Acc>(out, probabilities.p, SplitRows<Acc>(v), 0,
                          [&](Index i, Index j) { return r.visible(i, j); });
  return out.template cast<T>();
}

}  // namespace detail

/// Softmax attention softmax(s) V for one head, with s as defined in
/// attention/options.hpp (scale, causal and window masks aligned
/// bottom-right, bias, ALiBi, softcap, sink). Q is Nq x d, K is Nk x d, V is
/// Nk x dv, one token per row; returns Nq x dv. Materialises the Nq x Nk
/// scores in AccumulatorT<T> (O(Nq Nk) memory), as PyTorch's math backend
/// of scaled_dot_product_attention does.
template <class DQ, class DK, class DV, class T = typename DQ::Scalar>
RowMatrix<T> scaled_dot_product_attention(const Eigen::MatrixBase<DQ>& Q,
                                          const Eigen::MatrixBase<DK>& K,
                                          const Eigen::MatrixBase<DV>& V,
                                          const AttentionOptions& options = {}) {
  const auto r = detail::resolve_attention<AccumulatorT<T>>(
      "scaled_dot_product_attention", Q.rows(), K.rows(), Q.cols(), K.cols(), V.rows(), options);
  return detail::reference_forward<T>(r, Q, K, V);
}

/// Gradients of a scalar loss through scaled_dot_product_attention, from
/// dO = dLoss/dOut (Nq x dv), with the scores materialised:
///   dP = dO V^T,  dS = P o (dP - rowsum(P o dP)),  dZ = dS o ds/dz,
///   dQ = scale dZ K,  dK = scale dZ^T Q,  dV = P^T dO.
/// The reference for flash_attention_backward.
template <class DQ, class DK, class DV, class DO, class T = typename DQ::Scalar>
AttentionGradients<T> scaled_dot_product_attention_backward(const Eigen::MatrixBase<DQ>& Q,
                                                            const Eigen::MatrixBase<DK>& K,
                                                            const Eigen::MatrixBase<DV>& V,
                                                            const Eigen::MatrixBase<DO>& dO,
                                                            const AttentionOptions& options = {}) {
  using Acc = AccumulatorT<T>;
  const char* fn = "scaled_dot_product_attention_backward";
  const auto r =
      detail::resolve_attention<Acc>(fn, Q.rows(), K.rows(), Q.cols(), K.cols(), V.rows(), options);
  if (dO.rows() != Q.rows() || dO.cols() != V.cols())
    throw_invalid_argument(fn, "dO is ", dO.rows(), " x ", dO.cols(), ", the output ", Q.rows(),
                           " x ", V.cols());
  const RowMatrix<Acc> q = Q.template cast<Acc>(), k = K.template cast<Acc>(),
                       v = V.template cast<Acc>();
  const RowMatrix<Acc> d_out = dO.template cast<Acc>();
  const auto pr = detail::attention_probabilities(r, q, k);
  const auto visible = [&](Index i, Index j) { return r.visible(i, j); };
  RowMatrix<Acc> dz = d_out * v.transpose();  // dP; masked entries are dropped below
  for (Index i = 0; i < r.nq; ++i) {
    Acc row_dot = 0;
    for (Index j = 0; j < r.nk; ++j)
      if (visible(i, j)) row_dot += pr.p(i, j) * dz(i, j);
    for (Index j = 0; j < r.nk; ++j)
      dz(i, j) = visible(i, j)
                     ? pr.p(i, j) * (dz(i, j) - row_dot) * r.score_derivative(pr.capped(i, j))
                     : Acc(0);
  }
  RowMatrix<Acc> dq = RowMatrix<Acc>::Zero(r.nq, q.cols()),
                 dk = RowMatrix<Acc>::Zero(r.nk, k.cols());
  RowMatrix<Acc> dv = RowMatrix<Acc>::Zero(r.nk, v.cols());
  detail::add_masked_product<Acc>(dq, dz, detail::SplitRows<Acc>(k), 0, visible);
  detail::add_masked_transposed_product<Acc>(dk, dz, detail::SplitRows<Acc>(q), 0, visible);
  detail::add_masked_transposed_product<Acc>(dv, pr.p, detail::SplitRows<Acc>(d_out), 0, visible);
  AttentionGradients<T> g;
  g.dQ = (r.scale * dq).template cast<T>();
  g.dK = (r.scale * dk).template cast<T>();
  g.dV = dv.template cast<T>();
  return g;
}

/// Batched scaled_dot_product_attention (layout in attention/shape.hpp): q [.., heads_q, dim], k [..,
/// heads_kv, dim], v [.., heads_kv, dim_v] into out [.., heads_q, dim_v].
template <class T>
void scaled_dot_product_attention(const T* q, const T* k, const T* v, T* out,
                                  const AttentionShape& shape,
                                  const BatchedAttentionOptions& options = {}) {
  const char* fn = "scaled_dot_product_attention";
  const auto l = detail::resolve_shape(fn, shape);
  detail::require_inputs(fn, q, k, v, l);
  detail::require_query_buffer(fn, "out", out, l, l.dv);
  detail::check_per_head(fn, options, l.hq);
  detail::for_each_head(fn, l, l.hq, options.num_threads, [&](Index b, Index h) {
    const auto qh = l.view(q, l.q_offsets, b, h, l.hq, l.d);
    const auto kh = l.view(k, l.k_offsets, b, h / l.group, l.hkv, l.d);
    const auto vh = l.view(v, l.k_offsets, b, h / l.group, l.hkv, l.dv);
    l.view(out, l.q_offsets, b, h, l.hq, l.dv) = detail::reference_forward<T>(
        detail::resolve_attention<AccumulatorT<T>>(fn, qh.rows(), kh.rows(), l.d, l.d, vh.rows(),
                                                   options, detail::head_fields(options, h)),
        qh, kh, vh);
  });
}

}  // namespace mlprim

#endif  // MLPRIM_ATTENTION_REFERENCE_HPP
