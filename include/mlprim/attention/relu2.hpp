// Squared-ReLU attention and mixed-chunk attention from FLASH (Hua et al.,
// "Transformer Quality in Linear Time", ICML 2022).
//
// relu2_attention:  out = A V,  A_ij = relu(s_ij)^2 / Nk, with s_ij the score
// of attention/options.hpp (scale q_i . k_j, softcap, bias, ALiBi) and
// A_ij = 0 where a mask (causal, windows, a -inf bias, a sparsity pattern)
// hides key j from query i.
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
#include "mlprim/attention/detail/chunk_scan.hpp"
#include "mlprim/attention/detail/masked_product.hpp"
#include "mlprim/attention/options.hpp"
#include "mlprim/attention/shape.hpp"
#include "mlprim/core/error.hpp"
#include "mlprim/core/parallel.hpp"
#include "mlprim/core/types.hpp"

namespace mlprim {

/// Options of relu2_attention: every HeadOptions field but the sink, which
/// has no meaning without a softmax. num_threads: over blocks of 64 query rows.
struct Relu2AttentionOptions : HeadOptions {};

/// Options of mixed_chunk_attention: scale (of the quadratic part), causal
/// (in both parts) and num_threads (over chunks) of HeadOptions, and the
/// chunk; the other HeadOptions fields are rejected.
struct MixedChunkOptions : HeadOptions {
  Index chunk = 256;  ///< tokens per chunk, >= 1 (the paper's C)
};

namespace detail {
/// Query rows per parallel task of relu2_attention.
inline constexpr Index relu2_row_block = 64;
}  // namespace detail

/// Squared-ReLU attention of Q (Nq x d), K (Nk x d), V (Nk x dv) (see the
/// header comment), materialising Nq x Nk scores in AccumulatorT<T>.
template <class DQ, class DK, class DV, class T = typename DQ::Scalar>
RowMatrix<T> relu2_attention(const Eigen::MatrixBase<DQ>& Q, const Eigen::MatrixBase<DK>& K,
                             const Eigen::MatrixBase<DV>& V,
                             const Relu2AttentionOptions& options = {}) {
  using Acc = AccumulatorT<T>;
  const char* fn = "relu2_attention";
  detail::reject_unsupported(fn, options, ~detail::head_field::sink);
  const auto r =
      detail::resolve_attention<Acc>(fn, Q.rows(), K.rows(), Q.cols(), K.cols(), V.rows(), options);
  const RowMatrix<Acc> q = Q.template cast<Acc>(), k = K.template cast<Acc>(),
                       v = V.template cast<Acc>();
  const detail::SplitRows<Acc> v_rows(v);
  const Acc inv_n = r.nk > 0 ? Acc(1) / static_cast<Acc>(r.nk) : Acc(0);
  RowMatrix<Acc> out = RowMatrix<Acc>::Zero(r.nq, v.cols());
  const Index blocks = detail::chunk_count(r.nq, detail::relu2_row_block);
  parallel_for(Index{0}, blocks, resolve_threads(fn, options.num_threads), [&](Index block) {
    const Index i0 = block * detail::relu2_row_block,
                rows = std::min(detail::relu2_row_block, r.nq - i0);
    RowMatrix<Acc> a = q.middleRows(i0, rows) * k.transpose();
    for (Index i = 0; i < rows; ++i) {
      const Index begin = r.key_begin(i0 + i), end = r.key_end(i0 + i);
      for (Index j = 0; j < r.nk; ++j) {
        const bool kept = j >= begin && j < end && r.pattern_keeps(i0 + i, j);
        const Acc s = kept ? r.score(r.scale * a(i, j), i0 + i, j) : Acc(0);
        a(i, j) = s > 0 || std::isnan(s) ? s * s * inv_n : Acc(0);
      }
    }
    detail::add_masked_product<Acc>(out.middleRows(i0, rows), a, v_rows, 0,
                                    [&](Index i, Index j) { return r.visible(i0 + i, j); });
  });
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
  detail::reject_unsupported(fn, options, detail::head_field::scale | detail::head_field::causal);
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
  const int threads = resolve_threads(fn, options.num_threads);
  const Acc scale = static_cast<Acc>(detail::attention_scale(options.scale, Q.cols()));
  const RowMatrix<Acc> q = Q.template cast<Acc>(), k = K.template cast<Acc>(),
                       v = V.template cast<Acc>();
  const RowMatrix<Acc> ql = Ql.template cast<Acc>(), kl = Kl.template cast<Acc>();
  const detail::SplitRows<Acc> v_rows(v);  // causal: later keys' non-finite values stay out
  const Index c = std::min(options.chunk, n), dv = v.cols(), dl = kl.cols();
  RowMatrix<Acc> out(n, dv);
  if (n == 0) return out.template cast<T>();
  const Acc inv_c = Acc(1) / static_cast<Acc>(c), inv_n = Acc(1) / static_cast<Acc>(n);
  // Chunk [t0, t0 + len): its quadratic part plus ql times `state`, the
  // linear state of the chunks it sees.
  auto emit = [&](Index t0, Index len, const RowMatrix<Acc>& state, RowMatrix<Acc>& a) {
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
  };
  auto own = [&](Index t0, Index len) -> RowMatrix<Acc> {
    return kl.middleRows(t0, len).transpose() * v.middleRows(t0, len);
  };
  if (options.causal) {  // the state of the chunks before: an exclusive scan
    detail::chunk_scan<Acc, RowMatrix<Acc>>(
        n, c, dl, dv, false, threads,
        [&](Index t0, Index len, Index, RowMatrix<Acc>& state, RowVector<Acc>& z) {
          state = own(t0, len);
          z.setZero(dl);
        },
        [&](Index t0, Index len, Index, const RowMatrix<Acc>& state, const RowVector<Acc>&,
            RowMatrix<Acc>& a) { emit(t0, len, state, a); });
  } else {  // every other chunk: the total less the chunk's own share
    const RowMatrix<Acc> total = kl.transpose() * v;
    parallel_for_chunks(Index{0}, detail::chunk_count(n, c), threads, [&](Index lo, Index hi, int) {
      RowMatrix<Acc> a;
      for (Index g = lo; g < hi; ++g) {
        const Index t0 = g * c, len = std::min(c, n - t0);
        emit(t0, len, RowMatrix<Acc>(total - own(t0, len)), a);
      }
    });
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

/// Batched relu2_attention (layout in attention/shape.hpp; options as the
/// one-head form, threads over batch x heads).
template <class T>
void relu2_attention(const T* q, const T* k, const T* v, T* out, const AttentionShape& shape,
                     const Relu2AttentionOptions& options = {}) {
  detail::map_heads("relu2_attention", shape, q, k, v, out, options.num_threads,
                    [&](const auto& qh, const auto& kh, const auto& vh) {
                      return relu2_attention(qh, kh, vh, options);
                    });
}

/// Batched mixed_chunk_attention (the same Q and K for both parts).
template <class T>
void mixed_chunk_attention(const T* q, const T* k, const T* v, T* out, const AttentionShape& shape,
                           const MixedChunkOptions& options = {}) {
  detail::map_heads("mixed_chunk_attention", shape, q, k, v, out, options.num_threads,
                    [&](const auto& qh, const auto& kh, const auto& vh) {
                      return mixed_chunk_attention(qh, kh, vh, options);
                    });
}

}  // namespace mlprim

#endif  // MLPRIM_ATTENTION_RELU2_HPP
