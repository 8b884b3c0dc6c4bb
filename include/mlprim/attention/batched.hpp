// Batched entry points over contiguous [batch, seq, heads, dim] buffers (the
// layout of the flash-attn package and llama.cpp): token t of sequence b,
// head h starts at ((offset_b + t) * heads + h) * dim. Each head is viewed as
// an Eigen::Map with an outer stride of heads * dim (no copy of the inputs)
// and handed to the one-head function; the work runs in parallel over
// batch x heads (with a single head, the one-head function's own threads).
//
// Grouped-query / multi-query attention: K and V may have fewer heads than Q
// (heads_q % heads_kv == 0); query head h reads key/value head
// h / (heads_q / heads_kv). Variable-length packed batches: with
// cu_seqlens_q / cu_seqlens_k (batch + 1 cumulative offsets, as flash-attn's
// varlen functions) sequence b occupies tokens [cu[b], cu[b+1]) of a packed
// [total, heads, dim] buffer, so padding costs nothing. Per-head ALiBi
// slopes and sinks come from AttentionOptions::alibi_slopes / ::sinks. A bias,
// when given, applies to every sequence and head (all sequences must then
// share its shape).
#ifndef MLPRIM_ATTENTION_BATCHED_HPP
#define MLPRIM_ATTENTION_BATCHED_HPP

#include <vector>

#include "mlprim/attention/flash.hpp"
#include "mlprim/attention/linear.hpp"
#include "mlprim/attention/options.hpp"
#include "mlprim/attention/reference.hpp"
#include "mlprim/attention/relu2.hpp"
#include "mlprim/core/error.hpp"
#include "mlprim/core/memory.hpp"
#include "mlprim/core/parallel.hpp"
#include "mlprim/core/types.hpp"

namespace mlprim {

/// The shape of a batched call (see the header comment).
struct AttentionShape {
  Index batch = 1;                  ///< sequences in the batch
  Index seq_q = 0;                  ///< tokens per query sequence (without cu_seqlens_q)
  Index seq_k = 0;                  ///< tokens per key sequence (without cu_seqlens_k); 0 = seq_q
  Index heads_q = 1;                ///< query heads
  Index heads_kv = 0;               ///< 0 = heads_q; else heads_q % heads_kv == 0 (GQA, MQA at 1)
  Index dim = 0;                    ///< d of Q and K
  Index dim_v = 0;                  ///< d of V and the output; 0 = dim
  std::vector<Index> cu_seqlens_q;  ///< varlen: batch + 1 offsets, 0 first, non-decreasing
  std::vector<Index>
      cu_seqlens_k;  ///< varlen keys; empty with cu_seqlens_q given = the same offsets
};

namespace detail {

template <class T>
using HeadMap = Eigen::Map<RowMatrix<T>, 0, Eigen::OuterStride<>>;
template <class T>
using ConstHeadMap = Eigen::Map<const RowMatrix<T>, 0, Eigen::OuterStride<>>;

/// An AttentionShape checked and resolved to offsets.
struct BatchedLayout {
  Index batch, hq, hkv, group, d, dv;
  std::vector<Index> q_offsets, k_offsets;  // batch + 1 each

  Index total_q() const { return q_offsets.back(); }
  Index total_k() const { return k_offsets.back(); }
  Index len_k(Index b) const { return k_offsets[b + 1] - k_offsets[b]; }

  /// Head h (of `heads`) of sequence b in a buffer of width `width` per head.
  template <class T>
  ConstHeadMap<T> view(const T* base, const std::vector<Index>& offsets, Index b, Index h,
                       Index heads, Index width) const {
    return ConstHeadMap<T>(base + (offsets[b] * heads + h) * width, offsets[b + 1] - offsets[b],
                           width, Eigen::OuterStride<>(heads * width));
  }
  template <class T>
  HeadMap<T> view(T* base, const std::vector<Index>& offsets, Index b, Index h, Index heads,
                  Index width) const {
    return HeadMap<T>(base + (offsets[b] * heads + h) * width, offsets[b + 1] - offsets[b], width,
                      Eigen::OuterStride<>(heads * width));
  }
};

/// Offsets of the batch's sequences: cu (named `name`) checked, or
/// multiples of the fixed length (named `fixed_name`).
inline std::vector<Index> sequence_offsets(const char* fn, const char* name,
                                           const std::vector<Index>& cu, Index batch,
                                           const char* fixed_name, Index fixed) {
  std::vector<Index> offsets(static_cast<std::size_t>(batch + 1));
  if (cu.empty()) {
    check_non_negative(fn, fixed_name, fixed);
    for (Index b = 0; b <= batch; ++b) offsets[static_cast<std::size_t>(b)] = b * fixed;
    return offsets;
  }
  if (static_cast<Index>(cu.size()) != batch + 1)
    throw_invalid_argument(fn, name, " has ", cu.size(), " entries, batch + 1 = ", batch + 1);
  if (cu[0] != 0) throw_invalid_argument(fn, name, "[0] = ", cu[0], " must be 0");
  for (std::size_t b = 1; b < cu.size(); ++b)
    if (cu[b] < cu[b - 1])
      throw_invalid_argument(fn, name, "[", b, "] = ", cu[b], " is less than the entry before, ",
                             cu[b - 1]);
  return cu;
}

inline BatchedLayout resolve_shape(const char* fn, const AttentionShape& s) {
  check_positive(fn, "batch", s.batch);
  check_positive(fn, "heads_q", s.heads_q);
  check_positive(fn, "dim", s.dim);
  check_non_negative(fn, "heads_kv", s.heads_kv);
  check_non_negative(fn, "dim_v", s.dim_v);
  BatchedLayout l;
  l.batch = s.batch;
  l.hq = s.heads_q;
  l.hkv = s.heads_kv == 0 ? s.heads_q : s.heads_kv;
  if (l.hq % l.hkv != 0)
    throw_invalid_argument(fn, "heads_q = ", l.hq, " is not a multiple of heads_kv = ", l.hkv);
  l.group = l.hq / l.hkv;
  l.d = s.dim;
  l.dv = s.dim_v == 0 ? s.dim : s.dim_v;
  l.q_offsets = sequence_offsets(fn, "cu_seqlens_q", s.cu_seqlens_q, s.batch, "seq_q", s.seq_q);
  const bool same = s.cu_seqlens_k.empty() && !s.cu_seqlens_q.empty();
  l.k_offsets = same ? l.q_offsets
                     : sequence_offsets(fn, "cu_seqlens_k", s.cu_seqlens_k, s.batch, "seq_k",
                                        s.seq_k == 0 ? s.seq_q : s.seq_k);
  return l;
}

/// Runs fn(b, h) for every sequence b and head h in [0, heads), in parallel
/// (the one-head kernels inside run serially then; with one task they get
/// the threads).
template <class Fn>
void for_each_head(const char* fn_name, const BatchedLayout& l, Index heads, int num_threads,
                   Fn&& fn) {
  parallel_for(Index{0}, l.batch * heads, resolve_threads(fn_name, num_threads),
               [&](Index task) { fn(task / heads, task % heads); });
}

/// Throws std::invalid_argument when `buffer` (argument `name`) is null
/// although the layout gives it total x heads x width values.
template <class T>
void require_buffer(const char* fn, const char* name, const T* buffer, Index total, Index heads,
                    Index width) {
  if (buffer == nullptr && checked_product(fn, name, total, heads, width) > 0)
    throw_invalid_argument(fn, name, " = null, but the layout gives it ", total, " x ", heads,
                           " x ", width, " values");
}

/// require_buffer for the query-side ([total_q, heads_q, width]) and
/// key-side ([total_k, heads_kv, width]) buffers of a call.
template <class T>
void require_query_buffer(const char* fn, const char* name, const T* buffer, const BatchedLayout& l,
                          Index width) {
  require_buffer(fn, name, buffer, l.total_q(), l.hq, width);
}
template <class T>
void require_key_buffer(const char* fn, const char* name, const T* buffer, const BatchedLayout& l,
                        Index width) {
  require_buffer(fn, name, buffer, l.total_k(), l.hkv, width);
}

/// The buffers every call reads: q, k and v.
template <class T>
void require_inputs(const char* fn, const T* q, const T* k, const T* v, const BatchedLayout& l) {
  require_query_buffer(fn, "q", q, l, l.d);
  require_key_buffer(fn, "k", k, l, l.d);
  require_key_buffer(fn, "v", v, l, l.dv);
}

}  // namespace detail

/// Batched scaled_dot_product_attention: q [.., heads_q, dim], k [..,
/// heads_kv, dim], v [.., heads_kv, dim_v] into out [.., heads_q, dim_v].
template <class T>
void scaled_dot_product_attention(const T* q, const T* k, const T* v, T* out,
                                  const AttentionShape& shape,
                                  const AttentionOptions& options = {}) {
  const char* fn = "scaled_dot_product_attention";
  const auto l = detail::resolve_shape(fn, shape);
  detail::require_inputs(fn, q, k, v, l);
  detail::require_query_buffer(fn, "out", out, l, l.dv);
  detail::for_each_head(fn, l, l.hq, options.num_threads, [&](Index b, Index h) {
    l.view(out, l.q_offsets, b, h, l.hq, l.dv) = scaled_dot_product_attention(
        l.view(q, l.q_offsets, b, h, l.hq, l.d), l.view(k, l.k_offsets, b, h / l.group, l.hkv, l.d),
        l.view(v, l.k_offsets, b, h / l.group, l.hkv, l.dv),
        detail::head_options(fn, options, h, l.hq));
  });
}

/// Batched flash_attention; lse (nullable) receives [total_q, heads_q] log-sum-exps.
template <class T>
void flash_attention(const T* q, const T* k, const T* v, T* out, AccumulatorT<T>* lse,
                     const AttentionShape& shape, const AttentionOptions& options = {}) {
  const char* fn = "flash_attention";
  const auto l = detail::resolve_shape(fn, shape);
  detail::require_inputs(fn, q, k, v, l);
  detail::require_query_buffer(fn, "out", out, l, l.dv);
  detail::for_each_head(fn, l, l.hq, options.num_threads, [&](Index b, Index h) {
    auto r = flash_attention(l.view(q, l.q_offsets, b, h, l.hq, l.d),
                             l.view(k, l.k_offsets, b, h / l.group, l.hkv, l.d),
                             l.view(v, l.k_offsets, b, h / l.group, l.hkv, l.dv),
                             detail::head_options(fn, options, h, l.hq));
    l.view(out, l.q_offsets, b, h, l.hq, l.dv) = r.out;
    if (lse) l.view(lse, l.q_offsets, b, h, l.hq, 1) = r.lse;
  });
}

/// Batched flash_attention_backward from the forward's out and lse (which
/// must be given: the forward's lse argument is optional, this one is not);
/// dk and dv sum the gradients of every query head of a group. Parallel over
/// batch x heads_kv. Every buffer is checked for null.
template <class T>
void flash_attention_backward(const T* q, const T* k, const T* v, const T* out, const T* d_out,
                              const AccumulatorT<T>* lse, T* dq, T* dk, T* dv,
                              const AttentionShape& shape, const AttentionOptions& options = {}) {
  using Acc = AccumulatorT<T>;
  const char* fn = "flash_attention_backward";
  const auto l = detail::resolve_shape(fn, shape);
  detail::require_inputs(fn, q, k, v, l);
  detail::require_query_buffer(fn, "out", out, l, l.dv);
  detail::require_query_buffer(fn, "d_out", d_out, l, l.dv);
  detail::require_query_buffer(fn, "lse (the forward's log-sum-exps)", lse, l, 1);
  detail::require_query_buffer(fn, "dq", dq, l, l.d);
  detail::require_key_buffer(fn, "dk", dk, l, l.d);
  detail::require_key_buffer(fn, "dv", dv, l, l.dv);
  detail::for_each_head(fn, l, l.hkv, options.num_threads, [&](Index b, Index hk) {
    RowMatrix<Acc> dk_sum = RowMatrix<Acc>::Zero(l.len_k(b), l.d),
                   dv_sum = RowMatrix<Acc>::Zero(l.len_k(b), l.dv);
    for (Index h = hk * l.group; h < (hk + 1) * l.group; ++h) {
      const Vector<Acc> head_lse = l.view(lse, l.q_offsets, b, h, l.hq, 1);
      auto g = flash_attention_backward(
          l.view(q, l.q_offsets, b, h, l.hq, l.d), l.view(k, l.k_offsets, b, hk, l.hkv, l.d),
          l.view(v, l.k_offsets, b, hk, l.hkv, l.dv), l.view(out, l.q_offsets, b, h, l.hq, l.dv),
          l.view(d_out, l.q_offsets, b, h, l.hq, l.dv), head_lse,
          detail::head_options(fn, options, h, l.hq));
      l.view(dq, l.q_offsets, b, h, l.hq, l.d) = g.dQ;
      dk_sum += g.dK.template cast<Acc>();
      dv_sum += g.dV.template cast<Acc>();
    }
    l.view(dk, l.k_offsets, b, hk, l.hkv, l.d) = dk_sum.template cast<T>();
    l.view(dv, l.k_offsets, b, hk, l.hkv, l.dv) = dv_sum.template cast<T>();
  });
}

/// Batched relu2_attention (options as the one-head form; threads over heads
/// from num_threads).
template <class T>
void relu2_attention(const T* q, const T* k, const T* v, T* out, const AttentionShape& shape,
                     const Relu2AttentionOptions& options = {}, int num_threads = 0) {
  const char* fn = "relu2_attention";
  const auto l = detail::resolve_shape(fn, shape);
  detail::require_inputs(fn, q, k, v, l);
  detail::require_query_buffer(fn, "out", out, l, l.dv);
  detail::for_each_head(fn, l, l.hq, num_threads, [&](Index b, Index h) {
    l.view(out, l.q_offsets, b, h, l.hq, l.dv) = relu2_attention(
        l.view(q, l.q_offsets, b, h, l.hq, l.d), l.view(k, l.k_offsets, b, h / l.group, l.hkv, l.d),
        l.view(v, l.k_offsets, b, h / l.group, l.hkv, l.dv), options);
  });
}

/// Batched mixed_chunk_attention (the same Q and K for both parts).
template <class T>
void mixed_chunk_attention(const T* q, const T* k, const T* v, T* out, const AttentionShape& shape,
                           const MixedChunkOptions& options = {}, int num_threads = 0) {
  const char* fn = "mixed_chunk_attention";
  const auto l = detail::resolve_shape(fn, shape);
  detail::require_inputs(fn, q, k, v, l);
  detail::require_query_buffer(fn, "out", out, l, l.dv);
  detail::for_each_head(fn, l, l.hq, num_threads, [&](Index b, Index h) {
    l.view(out, l.q_offsets, b, h, l.hq, l.dv) = mixed_chunk_attention(
        l.view(q, l.q_offsets, b, h, l.hq, l.d), l.view(k, l.k_offsets, b, h / l.group, l.hkv, l.d),
        l.view(v, l.k_offsets, b, h / l.group, l.hkv, l.dv), options);
  });
}

/// Batched linear_attention with feature map phi.
template <class T, class FeatureMap>
void linear_attention(const T* q, const T* k, const T* v, T* out, const AttentionShape& shape,
                      const FeatureMap& phi, const LinearAttentionOptions& options = {},
                      int num_threads = 0) {
  const char* fn = "linear_attention";
  const auto l = detail::resolve_shape(fn, shape);
  detail::require_inputs(fn, q, k, v, l);
  detail::require_query_buffer(fn, "out", out, l, l.dv);
  detail::for_each_head(fn, l, l.hq, num_threads, [&](Index b, Index h) {
    l.view(out, l.q_offsets, b, h, l.hq, l.dv) = linear_attention(
        l.view(q, l.q_offsets, b, h, l.hq, l.d), l.view(k, l.k_offsets, b, h / l.group, l.hkv, l.d),
        l.view(v, l.k_offsets, b, h / l.group, l.hkv, l.dv), phi, options);
  });
}

/// Batched linear_attention_backward; dk and dv sum over each group's query heads.
template <class T, class FeatureMap>
void linear_attention_backward(const T* q, const T* k, const T* v, const T* d_out, T* dq, T* dk,
                               T* dv, const AttentionShape& shape, const FeatureMap& phi,
                               const LinearAttentionOptions& options = {}, int num_threads = 0) {
  using Acc = AccumulatorT<T>;
  const char* fn = "linear_attention_backward";
  const auto l = detail::resolve_shape(fn, shape);
  detail::require_inputs(fn, q, k, v, l);
  detail::require_query_buffer(fn, "d_out", d_out, l, l.dv);
  detail::require_query_buffer(fn, "dq", dq, l, l.d);
  detail::require_key_buffer(fn, "dk", dk, l, l.d);
  detail::require_key_buffer(fn, "dv", dv, l, l.dv);
  detail::for_each_head(fn, l, l.hkv, num_threads, [&](Index b, Index hk) {
    RowMatrix<Acc> dk_sum = RowMatrix<Acc>::Zero(l.len_k(b), l.d),
                   dv_sum = RowMatrix<Acc>::Zero(l.len_k(b), l.dv);
    for (Index h = hk * l.group; h < (hk + 1) * l.group; ++h) {
      auto g = linear_attention_backward(
          l.view(q, l.q_offsets, b, h, l.hq, l.d), l.view(k, l.k_offsets, b, hk, l.hkv, l.d),
          l.view(v, l.k_offsets, b, hk, l.hkv, l.dv), l.view(d_out, l.q_offsets, b, h, l.hq, l.dv),
          phi, options);
      l.view(dq, l.q_offsets, b, h, l.hq, l.d) = g.dQ;
      dk_sum += g.dK.template cast<Acc>();
      dv_sum += g.dV.template cast<Acc>();
    }
    l.view(dk, l.k_offsets, b, hk, l.hkv, l.d) = dk_sum.template cast<T>();
    l.view(dv, l.k_offsets, b, hk, l.hkv, l.dv) = dv_sum.template cast<T>();
  });
}

}  // namespace mlprim

#endif  // MLPRIM_ATTENTION_BATCHED_HPP
