// FlashAttention-2 on the CPU (Dao, "FlashAttention-2: Faster Attention with
// Better Parallelism and Work Partitioning", 2023): exact softmax attention
// over tiles of queries and keys with an online softmax, never forming the
// Nq x Nk score matrix.
//
// Forward, per tile of Br query rows (in parallel over tiles): for each tile
// of Bc visible keys, S = scale Q_i K_j^T (one small GEMM), then per row the
// running maximum m, the running sum l and the accumulator O are rescaled by
// exp(m_old - m_new) and updated with P = exp(s - m_new): O += P V_j. Tiles
// that the causal or window masks hide entirely are skipped. Extra memory:
// O(Br (Bc + dv)) per thread, plus a copy of Q, K, V in the accumulation
// type.
//
// Backward: D = rowsum(dO o O); P is recomputed per tile from lse, then
// dS = P o (dP - D) with dP = dO_i V_j^T. One pass over key tiles (in
// parallel) accumulates dK_j and dV_j, a second over query tiles accumulates
// dQ_i, so every output tile has one writer and the result is the same for
// any thread count (at the cost of recomputing S twice).
#ifndef MLPRIM_ATTENTION_FLASH_HPP
#define MLPRIM_ATTENTION_FLASH_HPP

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "mlprim/attention/detail/masked_product.hpp"
#include "mlprim/attention/detail/tiles.hpp"
#include "mlprim/attention/options.hpp"
#include "mlprim/attention/shape.hpp"
#include "mlprim/core/parallel.hpp"
#include "mlprim/core/types.hpp"

namespace mlprim {

namespace detail {

/// The forward of flash_attention for resolved options, on `threads` threads.
template <class T, class DQ, class DK, class DV>
AttentionOutput<T> flash_forward(const ResolvedAttention<AccumulatorT<T>>& r,
                                 const Eigen::MatrixBase<DQ>& Q, const Eigen::MatrixBase<DK>& K,
                                 const Eigen::MatrixBase<DV>& V, int threads) {
  using Acc = AccumulatorT<T>;
  constexpr Acc inf = std::numeric_limits<Acc>::infinity();
  // Plain scores are scale * q.k: the scale is folded into Q.
  const RowMatrix<Acc> q = detail::plain_scores(r)
                               ? RowMatrix<Acc>(r.scale * Q.template cast<Acc>())
                               : RowMatrix<Acc>(Q.template cast<Acc>());
  const RowMatrix<Acc> k = K.template cast<Acc>(), v = V.template cast<Acc>();
  const detail::SplitRows<Acc> v_rows(v);  // masked keys' non-finite values stay out
  // Causal and window masks cut the tiles along their edge, half of which is
  // wasted work: query tiles of half the height halve that waste.
  const bool banded = r.causal || r.window_left >= 0 || r.window_right >= 0;
  const Index nq = r.nq, dv = v.cols(), bc = detail::flash_key_tile;
  // With a sparsity pattern a query tile is one of its query blocks.
  const Index br = r.sparsity ? r.sparsity->block_q()
                   : banded   ? detail::flash_query_tile / 2
                              : detail::flash_query_tile;
  AttentionOutput<T> result{RowMatrix<T>(nq, dv), Vector<Acc>(nq)};
  const Index tiles = (nq + br - 1) / br;
  parallel_for(Index{0}, tiles, threads, [&](Index task) {
    const Index i0 = detail::balanced_tile(task, tiles) * br, rows = std::min(br, nq - i0);
    RowMatrix<Acc> s(rows, bc), acc = RowMatrix<Acc>::Zero(rows, dv);
    Vector<Acc> m = Vector<Acc>::Constant(rows, -inf), l = Vector<Acc>::Zero(rows), m_new(rows),
                shift(rows);
    const Index keys_begin = r.key_begin(i0), keys_end = r.key_end(i0 + rows - 1);
    detail::for_each_key_tile(r, i0, keys_begin, keys_end, bc, [&](Index j0, Index cols) {
      if (!detail::tile_visible(r, i0, i0 + rows, j0, j0 + cols)) return;
      auto scores = s.leftCols(cols);
      scores.noalias() = q.middleRows(i0, rows) * k.middleRows(j0, cols).transpose();
      detail::tile_scores<Acc>(r, i0, j0, scores, nullptr);
      // Online softmax (a NaN score makes its row NaN through exp and the sums).
      m_new = m.cwiseMax(scores.rowwise().maxCoeff());
      shift = (m_new.array() == -inf)
                  .select(Acc(0), m_new);  // rows with nothing visible yet stay at zero
      detail::exp_shifted_rows<Acc>(scores, shift);
      const Vector<Acc> alpha = (m - shift).array().exp();
      l = l.cwiseProduct(alpha) + scores.rowwise().sum();
      acc.array().colwise() *= alpha.array();
      detail::add_masked_product<Acc>(acc, scores, v_rows, j0,
                                      [&](Index a, Index b) { return r.visible(i0 + a, j0 + b); });
      m = m_new;
    });
    for (Index a = 0; a < rows; ++a) {
      Acc mm = m(a), ll = l(a);
      if (r.has_sink) {  // the sink joins the denominator only
        const Acc top = std::max(mm, r.sink);
        ll = (ll == 0 ? Acc(0) : ll * std::exp(mm - top)) + std::exp(r.sink - top);
        acc.row(a) *= mm == -inf ? Acc(0) : std::exp(mm - top);
        mm = top;
      }
      if (mm == -inf && !std::isnan(ll)) {  // NaN scores may leave m at -inf but reach l
        result.out.row(i0 + a).setZero();
        result.lse(i0 + a) = -inf;
      } else {
        result.out.row(i0 + a) = (acc.row(a) / ll).template cast<T>();
        result.lse(i0 + a) = mm + std::log(ll);
      }
    }
  });
  return result;
}

/// The backward of flash_attention for resolved options, on `threads`
/// threads (shapes of O, dO and lse checked here, naming fn).
template <class T, class DQ, class DK, class DV, class DOut, class DGrad, class DL>
AttentionGradients<T> flash_backward(const char* fn, const ResolvedAttention<AccumulatorT<T>>& r,
                                     const Eigen::MatrixBase<DQ>& Q, const Eigen::MatrixBase<DK>& K,
                                     const Eigen::MatrixBase<DV>& V,
                                     const Eigen::MatrixBase<DOut>& O,
                                     const Eigen::MatrixBase<DGrad>& dO,
                                     const Eigen::MatrixBase<DL>& lse, int threads) {
  using Acc = AccumulatorT<T>;
  constexpr Acc inf = std::numeric_limits<Acc>::infinity();
  const Index nq = r.nq, nk = r.nk, d = Q.cols(), dv = V.cols();
  if (O.rows() != nq || O.cols() != dv || dO.rows() != nq || dO.cols() != dv)
    throw_invalid_argument(fn, "O is ", O.rows(), " x ", O.cols(), " and dO ", dO.rows(), " x ",
                           dO.cols(), ", the output ", nq, " x ", dv);
  if (lse.size() != nq)
    throw_invalid_argument(fn, "lse has ", lse.size(), " entries, Q ", nq, " rows");
  const RowMatrix<Acc> q = Q.template cast<Acc>(), k = K.template cast<Acc>(),
                       v = V.template cast<Acc>();
  const RowMatrix<Acc> d_out = dO.template cast<Acc>();
  const Vector<Acc> row_lse = lse.derived().reshaped().template cast<Acc>();
  const Vector<Acc> delta = (d_out.array() * O.template cast<Acc>().array()).rowwise().sum();
  const Vector<Acc> shift = (row_lse.array() == -inf).select(Acc(0), row_lse);
  const bool plain = detail::plain_scores(r);
  // A sparsity pattern sets the tiles of the pass that owns them: key tiles
  // are its key blocks in the first pass, query tiles its query blocks in
  // the second.
  const Index br = detail::flash_query_tile, bc = detail::flash_key_tile;
  const Index key_tile = r.sparsity ? r.sparsity->block_k() : bc,
              query_tile = r.sparsity ? r.sparsity->block_q() : br;
  // Masked entries must give exactly 0 in P and dZ, and nothing in the
  // products (see detail/masked_product.hpp). Entry (i, j) can only come out
  // non-finite when query row i (Q, dO, O through D, a NaN lse) or key j
  // (K, V) holds a NaN or infinity: those rows and keys are marked, and
  // their masked entries zeroed by select.
  std::vector<char> bad_query(static_cast<std::size_t>(nq)), bad_key(static_cast<std::size_t>(nk));
  for (Index i = 0; i < nq; ++i)
    bad_query[static_cast<std::size_t>(i)] = !q.row(i).allFinite() || !d_out.row(i).allFinite() ||
                                             !std::isfinite(delta(i)) || std::isnan(row_lse(i));
  for (Index j = 0; j < nk; ++j)
    bad_key[static_cast<std::size_t>(j)] = !k.row(j).allFinite() || !v.row(j).allFinite();
  const detail::SplitRows<Acc> q_rows(q), k_rows(k), d_out_rows(d_out);

  // dZ for tile (i0.., j0..) into `dz` (P into `p`): recomputed from lse.
  auto gradient_tile = [&](Index i0, Index rows, Index j0, Index cols, RowMatrix<Acc>& p,
                           RowMatrix<Acc>& dz, RowMatrix<Acc>& capped) {
    p.resize(rows, cols);
    capped.resize(rows, cols);
    if (plain)
      p.noalias() = (r.scale * q.middleRows(i0, rows)) * k.middleRows(j0, cols).transpose();
    else
      p.noalias() = q.middleRows(i0, rows) * k.middleRows(j0, cols).transpose();
    detail::tile_scores<Acc>(r, i0, j0, p, &capped);
    // Masked scores give exp(-inf) = 0; a row with lse = -inf has nothing visible.
    detail::exp_shifted_rows<Acc>(p, shift.segment(i0, rows));
    dz.resize(rows, cols);
    dz.noalias() = d_out.middleRows(i0, rows) * v.middleRows(j0, cols).transpose();
    for (Index a = 0; a < rows; ++a)
      dz.row(a) = p.row(a).array() * (dz.row(a).array() - delta(i0 + a));
    if (r.softcap > 0) dz.array() *= 1 - (capped.array() / r.softcap).square();
    auto zero_if_masked = [&](Index a, Index b) {
      if (!r.visible(i0 + a, j0 + b)) p(a, b) = dz(a, b) = 0;
    };
    for (Index a = 0; a < rows; ++a)
      if (bad_query[static_cast<std::size_t>(i0 + a)])
        for (Index b = 0; b < cols; ++b) zero_if_masked(a, b);
    for (Index b = 0; b < cols; ++b)
      if (bad_key[static_cast<std::size_t>(j0 + b)])
        for (Index a = 0; a < rows; ++a) zero_if_masked(a, b);
  };

  AttentionGradients<T> g{RowMatrix<T>(nq, d), RowMatrix<T>(nk, d), RowMatrix<T>(nk, dv)};
  const Index key_tiles = (nk + key_tile - 1) / key_tile,
              query_tiles = (nq + query_tile - 1) / query_tile;
  parallel_for(Index{0}, key_tiles, threads, [&](Index task) {
    const Index j0 = detail::balanced_tile(task, key_tiles) * key_tile,
                cols = std::min(key_tile, nk - j0);
    RowMatrix<Acc> dk = RowMatrix<Acc>::Zero(cols, d), dvv = RowMatrix<Acc>::Zero(cols, dv), p, dz,
                   capped;
    detail::for_each_query_tile(r, j0, br, [&](Index i0, Index rows) {
      if (!detail::tile_visible(r, i0, i0 + rows, j0, j0 + cols)) return;
      gradient_tile(i0, rows, j0, cols, p, dz, capped);
      const auto visible = [&](Index a, Index b) { return r.visible(i0 + a, j0 + b); };
      detail::add_masked_transposed_product<Acc>(dvv, p, d_out_rows, i0, visible);
      detail::add_masked_transposed_product<Acc>(dk, dz, q_rows, i0, visible);
    });
    g.dK.middleRows(j0, cols) = (r.scale * dk).template cast<T>();
    g.dV.middleRows(j0, cols) = dvv.template cast<T>();
  });
  parallel_for(Index{0}, query_tiles, threads, [&](Index task) {
    const Index i0 = detail::balanced_tile(task, query_tiles) * query_tile,
                rows = std::min(query_tile, nq - i0);
    RowMatrix<Acc> dq = RowMatrix<Acc>::Zero(rows, d), p, dz, capped;
    detail::for_each_key_tile(r, i0, 0, nk, bc, [&](Index j0, Index cols) {
      if (!detail::tile_visible(r, i0, i0 + rows, j0, j0 + cols)) return;
      gradient_tile(i0, rows, j0, cols, p, dz, capped);
      detail::add_masked_product<Acc>(dq, dz, k_rows, j0,
                                      [&](Index a, Index b) { return r.visible(i0 + a, j0 + b); });
    });
    g.dQ.middleRows(i0, rows) = (r.scale * dq).template cast<T>();
  });
  return g;
}

}  // namespace detail

/// FlashAttention-2 forward for one head: the same result as
/// scaled_dot_product_attention (to rounding) without materialising the
/// scores, plus each row's log-sum-exp. Q is Nq x d, K Nk x d, V Nk x dv.
/// Parallel over tiles of 128 query rows, 64 under causal or window masks
/// (options.num_threads, 0 = all); the result does not depend on the thread
/// count. Work 4 Nq Nk d flops (about half under causal).
template <class DQ, class DK, class DV, class T = typename DQ::Scalar>
AttentionOutput<T> flash_attention(const Eigen::MatrixBase<DQ>& Q, const Eigen::MatrixBase<DK>& K,
                                   const Eigen::MatrixBase<DV>& V,
                                   const AttentionOptions& options = {}) {
  const char* fn = "flash_attention";
  const auto r = detail::resolve_attention<AccumulatorT<T>>(fn, Q.rows(), K.rows(), Q.cols(),
                                                            K.cols(), V.rows(), options);
  return detail::flash_forward<T>(r, Q, K, V, resolve_threads(fn, options.num_threads));
}

/// FlashAttention-2 backward for one head: dQ, dK, dV of a scalar loss from
/// dO = dLoss/dOut, given the forward's out O and lse, recomputing the
/// probabilities tile by tile (extra memory O(tile) per thread plus O(N d)).
/// Same options as the forward; equals scaled_dot_product_attention_backward
/// to rounding. The sink logit gets no gradient.
template <class DQ, class DK, class DV, class DOut, class DGrad, class DL,
          class T = typename DQ::Scalar>
AttentionGradients<T> flash_attention_backward(
    const Eigen::MatrixBase<DQ>& Q, const Eigen::MatrixBase<DK>& K, const Eigen::MatrixBase<DV>& V,
    const Eigen::MatrixBase<DOut>& O, const Eigen::MatrixBase<DGrad>& dO,
    const Eigen::MatrixBase<DL>& lse, const AttentionOptions& options = {}) {
  const char* fn = "flash_attention_backward";
  const auto r = detail::resolve_attention<AccumulatorT<T>>(fn, Q.rows(), K.rows(), Q.cols(),
                                                            K.cols(), V.rows(), options);
  return detail::flash_backward<T>(fn, r, Q, K, V, O, dO, lse,
                                   resolve_threads(fn, options.num_threads));
}

/// Batched flash_attention (layout in attention/shape.hpp): q [.., heads_q,
/// dim], k [.., heads_kv, dim], v [.., heads_kv, dim_v] into out [..,
/// heads_q, dim_v]; returns the log-sum-exps. Options as the one-head form,
/// with per-head ALiBi slopes, sinks and patterns; parallel over batch x
/// heads_q. Every buffer is checked for null.
template <class T>
BatchedAttentionOutput<T> flash_attention(const T* q, const T* k, const T* v, T* out,
                                          const AttentionShape& shape,
                                          const BatchedAttentionOptions& options = {}) {
  using Acc = AccumulatorT<T>;
  const char* fn = "flash_attention";
  const auto l = detail::resolve_shape(fn, shape);
  detail::require_inputs(fn, q, k, v, l);
  detail::require_query_buffer(fn, "out", out, l, l.dv);
  detail::check_per_head(fn, options, l.hq);
  const int threads = resolve_threads(fn, options.num_threads);
  BatchedAttentionOutput<T> result{RowMatrix<Acc>(l.total_q(), l.hq)};
  detail::for_each_head(fn, l, l.hq, threads, [&](Index b, Index h) {
    const auto qh = l.view(q, l.q_offsets, b, h, l.hq, l.d);
    const auto kh = l.view(k, l.k_offsets, b, h / l.group, l.hkv, l.d);
    const auto vh = l.view(v, l.k_offsets, b, h / l.group, l.hkv, l.dv);
    const auto r = detail::resolve_attention<Acc>(fn, qh.rows(), kh.rows(), l.d, l.d, vh.rows(),
                                                  options, detail::head_fields(options, h));
    const auto o = detail::flash_forward<T>(r, qh, kh, vh, threads);
    l.view(out, l.q_offsets, b, h, l.hq, l.dv) = o.out;
    result.lse.col(h).segment(l.q_offsets[static_cast<std::size_t>(b)], qh.rows()) = o.lse;
  });
  return result;
}

/// Batched flash_attention_backward from the forward's out and lse
/// (total_q x heads_q, as the forward returned it); dk and dv sum the
/// gradients of every query head of a group. Parallel over batch x
/// heads_kv. Every buffer is checked for null.
template <class T>
void flash_attention_backward(const T* q, const T* k, const T* v, const T* out, const T* d_out,
                              const Eigen::Ref<const RowMatrix<AccumulatorT<T>>>& lse, T* dq, T* dk,
                              T* dv, const AttentionShape& shape,
                              const BatchedAttentionOptions& options = {}) {
  using Acc = AccumulatorT<T>;
  const char* fn = "flash_attention_backward";
  const auto l = detail::resolve_shape(fn, shape);
  detail::require_inputs(fn, q, k, v, l);
  detail::require_query_buffer(fn, "out", out, l, l.dv);
  detail::require_query_buffer(fn, "d_out", d_out, l, l.dv);
  detail::require_query_buffer(fn, "dq", dq, l, l.d);
  detail::require_key_buffer(fn, "dk", dk, l, l.d);
  detail::require_key_buffer(fn, "dv", dv, l, l.dv);
  if (lse.rows() != l.total_q() || lse.cols() != l.hq)
    throw_invalid_argument(fn, "lse is ", lse.rows(), " x ", lse.cols(), ", the forward's ",
                           l.total_q(), " x ", l.hq, " (total_q x heads_q)");
  detail::check_per_head(fn, options, l.hq);
  const int threads = resolve_threads(fn, options.num_threads);
  detail::for_each_head(fn, l, l.hkv, threads, [&](Index b, Index hk) {
    RowMatrix<Acc> dk_sum = RowMatrix<Acc>::Zero(l.len_k(b), l.d),
                   dv_sum = RowMatrix<Acc>::Zero(l.len_k(b), l.dv);
    for (Index h = hk * l.group; h < (hk + 1) * l.group; ++h) {
      const auto qh = l.view(q, l.q_offsets, b, h, l.hq, l.d);
      const auto kh = l.view(k, l.k_offsets, b, hk, l.hkv, l.d);
      const auto vh = l.view(v, l.k_offsets, b, hk, l.hkv, l.dv);
      const auto r = detail::resolve_attention<Acc>(fn, qh.rows(), kh.rows(), l.d, l.d, vh.rows(),
                                                    options, detail::head_fields(options, h));
      const Vector<Acc> head_lse =
          lse.col(h).segment(l.q_offsets[static_cast<std::size_t>(b)], qh.rows());
      auto g = detail::flash_backward<T>(
          fn, r, qh, kh, vh, l.view(out, l.q_offsets, b, h, l.hq, l.dv),
          l.view(d_out, l.q_offsets, b, h, l.hq, l.dv), head_lse, threads);
      l.view(dq, l.q_offsets, b, h, l.hq, l.d) = g.dQ;
      dk_sum += g.dK.template cast<Acc>();
      dv_sum += g.dV.template cast<Acc>();
    }
    l.view(dk, l.k_offsets, b, hk, l.hkv, l.d) = dk_sum.template cast<T>();
    l.view(dv, l.k_offsets, b, hk, l.hkv, l.dv) = dv_sum.template cast<T>();
  });
}

}  // namespace mlprim

#endif  // MLPRIM_ATTENTION_FLASH_HPP
