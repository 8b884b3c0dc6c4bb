// The [batch, seq, heads, dim] layout of the batched entry points (the
// layout of the flash-attn package and llama.cpp): token t of sequence b,
// head h starts at ((offset_b + t) * heads + h) * dim. Each head is viewed as
// an Eigen::Map with an outer stride of heads * dim (no copy of the inputs)
// and handed to the one-head kernel; the work runs in parallel over
// batch x heads (with a single head, the one-head kernel's own threads).
// Every kernel's batched form is declared beside its one-head form.
//
// Grouped-query / multi-query attention: K and V may have fewer heads than Q
// (heads_q % heads_kv == 0); query head h reads key/value head
// h / (heads_q / heads_kv). Variable-length packed batches: with
// cu_seqlens_q / cu_seqlens_k (batch + 1 cumulative offsets, as flash-attn's
// varlen functions) sequence b occupies tokens [cu[b], cu[b+1]) of a packed
// [total, heads, dim] buffer, so padding costs nothing. Per-head ALiBi
// slopes, sinks and sparsity patterns come from BatchedAttentionOptions. A
// bias, when given, applies to every sequence and head (all sequences must
// then share its shape).
#ifndef MLPRIM_ATTENTION_SHAPE_HPP
#define MLPRIM_ATTENTION_SHAPE_HPP

#include <vector>

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

/// The batched form of a one-head kernel that returns its output: checks
/// the buffers, then writes out_(b, h) = head_kernel(q_(b, h), k, v) for
/// every sequence b and query head h, k and v being the head's KV group's.
template <class T, class HeadKernel>
void map_heads(const char* fn, const AttentionShape& shape, const T* q, const T* k, const T* v,
               T* out, int num_threads, const HeadKernel& head_kernel) {
  const auto l = resolve_shape(fn, shape);
  require_inputs(fn, q, k, v, l);
  require_query_buffer(fn, "out", out, l, l.dv);
  for_each_head(fn, l, l.hq, num_threads, [&](Index b, Index h) {
    l.view(out, l.q_offsets, b, h, l.hq, l.dv) = head_kernel(
        l.view(q, l.q_offsets, b, h, l.hq, l.d), l.view(k, l.k_offsets, b, h / l.group, l.hkv, l.d),
        l.view(v, l.k_offsets, b, h / l.group, l.hkv, l.dv));
  });
}

}  // namespace detail

/// What the batched flash_attention returns beside the output it writes
/// into the caller's buffer.
template <class T>
struct BatchedAttentionOutput {
  RowMatrix<AccumulatorT<T>> lse;  ///< total_q x heads_q: each row's log-sum-exp per query head
};

}  // namespace mlprim

#endif  // MLPRIM_ATTENTION_SHAPE_HPP
