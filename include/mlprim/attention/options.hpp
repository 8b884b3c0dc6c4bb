// Options shared by the softmax attentions, and the score each one computes.
//
// For query row i and key row j of one head (one token per row):
//
//   z_ij = scale * q_i . k_j
//   s_ij = softcap * tanh(z_ij / softcap)   (softcap > 0; else s_ij = z_ij)
//          + bias_ij                         (optional additive bias, Nq x Nk)
//          - alibi_slope * |i + Nk - Nq - j| (ALiBi, Press et al. 2022)
//   s_ij = -inf where the mask hides j from i
//   p_ij = exp(s_ij) / (sum_j exp(s_ij) + exp(sink))   (sink: optional extra logit)
//   out_i = sum_j p_ij v_j,   lse_i = log(sum_j exp(s_ij) + exp(sink))
//
// Masks are aligned bottom-right, as flash-attn 2.1+ does: query i sits at
// key position i + Nk - Nq, so with causal it sees keys j <= i + Nk - Nq, and
// window_left / window_right keep keys within that many positions before /
// after it. PyTorch's scaled_dot_product_attention(is_causal=True) aligns
// top-left instead (query i sees j <= i); the two agree when Nq == Nk, and
// the top-left mask is obtained here by passing a bias of -inf above the
// diagonal. A row whose keys are all masked (and has no sink) gives zeros
// and lse = -inf, never NaN.
//
// Masked keys (outside the row's range, or with a bias of -inf) contribute
// exactly nothing, in the forward and the backward pass: a NaN or infinity
// in such a key's K or V row (or in a query row's dO) reaches only the rows
// that see it, as in the token-by-token definition. A NaN score, query or
// value that a row does see makes that row NaN. A sink of -inf is no sink;
// a sink of +inf, or NaN, is rejected. A window of at least Nq + Nk
// positions is unbounded.
#ifndef MLPRIM_ATTENTION_OPTIONS_HPP
#define MLPRIM_ATTENTION_OPTIONS_HPP

#include <cmath>
#include <limits>
#include <optional>
#include <type_traits>
#include <vector>

#include "mlprim/attention/detail/scale.hpp"
#include "mlprim/attention/sparsity.hpp"
#include "mlprim/core/error.hpp"
#include "mlprim/core/parallel.hpp"
#include "mlprim/core/types.hpp"

namespace mlprim {

/// A non-owning view of an additive attention bias (Nq x Nk, float or double,
/// any storage order), e.g. a padding mask of 0 / -inf. The matrix must
/// outlive the call that uses it.
class AttentionBias {
 public:
  AttentionBias() = default;
  template <class Derived>
  /// Views matrix m (float or double, either storage order).
  AttentionBias(const Eigen::PlainObjectBase<Derived>& m)  // NOLINT: implicit by design
      : data_(m.data()),
        is_double_(std::is_same_v<typename Derived::Scalar, double>),
        rows_(m.rows()),
        cols_(m.cols()),
        row_stride_(Derived::IsRowMajor ? m.cols() : 1),
        col_stride_(Derived::IsRowMajor ? 1 : m.rows()) {
    static_assert(std::is_same_v<typename Derived::Scalar, float> ||
                      std::is_same_v<typename Derived::Scalar, double>,
                  "mlprim::AttentionBias: the bias must be float or double");
  }
  /// Whether no bias is given.
  bool empty() const { return data_ == nullptr; }
  /// Rows of the bias (Nq).
  Index rows() const { return rows_; }
  /// Columns of the bias (Nk).
  Index cols() const { return cols_; }
  /// Entry (i, j), as a double.
  double operator()(Index i, Index j) const {
    const Index at = i * row_stride_ + j * col_stride_;
    return is_double_ ? static_cast<const double*>(data_)[at]
                      : static_cast<const float*>(data_)[at];
  }

 private:
  const void* data_ = nullptr;
  bool is_double_ = false;
  Index rows_ = 0, cols_ = 0, row_stride_ = 0, col_stride_ = 0;
};

/// The per-head options every attention kernel's options extend: the score
/// terms and masks of the header comment, the sparsity pattern and the
/// threads. A kernel honours the fields its doc comment lists and rejects
/// any other that is set (std::invalid_argument), never ignoring one.
/// Defaults match PyTorch's scaled_dot_product_attention.
struct HeadOptions {
  std::optional<double> scale;  ///< default 1 / sqrt(d)
  bool causal = false;          ///< bottom-right aligned (see the header comment)
  Index window_left = -1;   ///< keys at most this many positions before the query's; -1 = unbounded
  Index window_right = -1;  ///< keys at most this many positions after it; -1 = unbounded
  AttentionBias bias;       ///< optional additive bias, Nq x Nk
  double alibi_slope = 0;   ///< this head's ALiBi slope (0 = off); see alibi_slopes()
  double softcap = 0;       ///< s = softcap * tanh(s / softcap) when > 0 (Gemma 2); 0 = off
  std::optional<double> sink;  ///< an extra softmax logit with no value vector (attention sink)
  /// Block-sparse scores (sparsity.hpp): only the pattern's scores exist;
  /// the flash kernels visit only its kept blocks. Built for Nq x Nk.
  std::optional<SparsityPattern> sparsity;
  int num_threads = 0;  ///< threads of the call (0 = all); results do not depend on it
};

/// Options of the one-head softmax attentions (scaled_dot_product_attention,
/// flash_attention and their backward passes): every HeadOptions field.
using AttentionOptions = HeadOptions;

/// Options of the calls over many heads (the batched [batch, seq, heads,
/// dim] entry points and attention_decode): the options every head shares,
/// and optional per-query-head vectors that override one field each.
struct BatchedAttentionOptions : AttentionOptions {
  std::vector<double> alibi_slopes;  ///< one ALiBi slope per query head (overrides alibi_slope)
  std::vector<double> sinks;         ///< one sink logit per query head (overrides sink)
  std::vector<SparsityPattern> sparsities;  ///< one pattern per query head (overrides sparsity)

  /// No per-head vectors: every field at its default.
  BatchedAttentionOptions() = default;
  /// The same options for every head.
  BatchedAttentionOptions(const AttentionOptions& shared)  // NOLINT: implicit by design
      : AttentionOptions(shared) {}
};

/// ALiBi slopes for `heads` heads (Press et al. 2022): the geometric sequence
/// 2^(-8 h / n) for h = 1..n with n the largest power of two <= heads, then,
/// for the remaining heads, every other slope of the sequence for 2n
/// (2^(-4 (2 h - 1) / n)), as the paper's reference code interleaves them.
inline std::vector<double> alibi_slopes(Index heads) {
  check_positive("alibi_slopes", "heads", heads);
  Index n = 1;
  while (n * 2 <= heads) n *= 2;
  std::vector<double> slopes;
  for (Index h = 1; h <= n; ++h)
    slopes.push_back(std::exp2(-8.0 * static_cast<double>(h) / static_cast<double>(n)));
  for (Index h = 1; static_cast<Index>(slopes.size()) < heads; ++h)
    slopes.push_back(std::exp2(-4.0 * static_cast<double>(2 * h - 1) / static_cast<double>(n)));
  return slopes;
}

namespace detail {

/// The options of one call resolved against its shapes: validated, with the
/// scale fixed and the visible key range of every query row.
template <class Acc>
struct ResolvedAttention {
  Acc scale, softcap, alibi_slope;
  Index nq, nk, offset;  // offset = Nk - Nq: query i sits at key position i + offset
  bool causal;
  Index window_left, window_right;
  AttentionBias bias;
  Index bias_begin =
      0;  // the bias covers keys [bias_begin, nk) (column j - bias_begin), not before
  bool has_sink;
  Acc sink;
  const SparsityPattern* sparsity;  // the options' pattern, or null
  Index pattern_offset = 0;         // query row i is the pattern's row i + pattern_offset

  /// Whether the sparsity pattern keeps score (i, j) (true without one).
  bool pattern_keeps(Index i, Index j) const {
    return !sparsity || sparsity->keeps(i + pattern_offset, j);
  }
  /// Whether the pattern's element rule keeps (i, j) of a kept block.
  bool rule_keeps(Index i, Index j) const {
    return !sparsity || sparsity->rule_keeps(i + pattern_offset, j);
  }

  /// First visible key of row i (may be >= end: nothing visible).
  Index key_begin(Index i) const {
    Index lo = 0;
    if (window_left >= 0) lo = std::max<Index>(lo, i + offset - window_left);
    return lo;
  }
  /// One past the last visible key of row i.
  Index key_end(Index i) const {
    Index hi = nk;
    if (causal) hi = std::min<Index>(hi, i + offset + 1);
    if (window_right >= 0) hi = std::min<Index>(hi, i + offset + window_right + 1);
    return std::max<Index>(hi, 0);
  }
  /// Whether key j takes part in row i's softmax: inside the row's visible
  /// range and not masked by a bias of -inf. Keys that do not contribute
  /// exactly nothing, even when their key or value holds NaN or infinity.
  bool visible(Index i, Index j) const {
    return j >= key_begin(i) && j < key_end(i) &&
           (bias.empty() || j < bias_begin ||
            bias(i, j - bias_begin) != -std::numeric_limits<double>::infinity()) &&
           pattern_keeps(i, j);
  }
  /// The score s_ij from z = scale * q_i . k_j (the key is in the row's
  /// range); -inf where the bias is -inf, whatever z is.
  Acc score(Acc z, Index i, Index j) const {
    Acc s = softcap > 0 ? softcap * std::tanh(z / softcap) : z;
    if (!bias.empty() && j >= bias_begin) {
      const double b = bias(i, j - bias_begin);
      if (b == -std::numeric_limits<double>::infinity())
        return -std::numeric_limits<Acc>::infinity();
      s += static_cast<Acc>(b);
    }
    if (alibi_slope != 0) s -= alibi_slope * static_cast<Acc>(std::abs(i + offset - j));
    return s;
  }
  /// d s / d z at score s (only softcap makes it differ from 1).
  Acc score_derivative(Acc capped) const {
    if (!(softcap > 0)) return Acc(1);
    const Acc t = capped / softcap;
    return 1 - t * t;
  }
};

/// `value` (a double option named `name`) in the accumulation type Acc,
/// which it must be finite in: a scale of 1e300 is finite as a double but
/// infinite as a float.
template <class Acc>
Acc finite_in(const char* fn, const char* name, double value) {
  const auto converted = static_cast<Acc>(value);
  if (!std::isfinite(static_cast<double>(converted)))
    throw_invalid_argument(fn, name, " = ", value, " is not finite in the accumulation type (",
                           sizeof(Acc) == sizeof(float) ? "float" : "double", ")");
  return converted;
}

/// The fields a batched call may set per query head, over the shared ones.
struct HeadOverrides {
  double alibi_slope;
  std::optional<double> sink;
  const SparsityPattern* sparsity;
};

/// The overrides that keep options o's own fields.
inline HeadOverrides own_fields(const HeadOptions& o) {
  return {o.alibi_slope, o.sink, o.sparsity ? &*o.sparsity : nullptr};
}

/// Checks that every per-head vector of o has `heads` entries.
inline void check_per_head(const char* fn, const BatchedAttentionOptions& o, Index heads) {
  if (!o.alibi_slopes.empty() && static_cast<Index>(o.alibi_slopes.size()) != heads)
    throw_invalid_argument(fn, "alibi_slopes has ", o.alibi_slopes.size(),
                           " entries, heads_q = ", heads);
  if (!o.sinks.empty() && static_cast<Index>(o.sinks.size()) != heads)
    throw_invalid_argument(fn, "sinks has ", o.sinks.size(), " entries, heads_q = ", heads);
  if (!o.sparsities.empty() && static_cast<Index>(o.sparsities.size()) != heads)
    throw_invalid_argument(fn, "sparsities has ", o.sparsities.size(),
                           " patterns, heads_q = ", heads);
}

/// Query head h's ALiBi slope, sink and pattern (check_per_head first).
inline HeadOverrides head_fields(const BatchedAttentionOptions& o, Index h) {
  HeadOverrides f = own_fields(o);
  const auto u = static_cast<std::size_t>(h);
  if (!o.alibi_slopes.empty()) f.alibi_slope = o.alibi_slopes[u];
  if (!o.sinks.empty()) f.sink = o.sinks[u];
  if (!o.sparsities.empty()) f.sparsity = &o.sparsities[u];
  return f;
}

/// HeadOptions fields, for reject_unsupported.
namespace head_field {
constexpr unsigned scale = 1, causal = 2, windows = 4, bias = 8, alibi = 16, softcap = 32,
                   sink = 64, sparsity = 128;
}  // namespace head_field

/// Throws, naming fn and the field, when o sets a field outside `honoured`
/// (a mask of head_field values): a kernel never ignores an option.
inline void reject_unsupported(const char* fn, const HeadOptions& o, unsigned honoured) {
  auto reject = [&](unsigned field, bool set, const char* what) {
    if (set && !(honoured & field)) throw_invalid_argument(fn, what, " is not supported here");
  };
  reject(head_field::scale, o.scale.has_value(), "scale");
  reject(head_field::causal, o.causal, "causal");
  reject(head_field::windows, o.window_left != -1 || o.window_right != -1,
         "a window (window_left / window_right)");
  reject(head_field::bias, !o.bias.empty(), "bias");
  reject(head_field::alibi, o.alibi_slope != 0, "ALiBi (alibi_slope)");
  reject(head_field::softcap, o.softcap != 0, "softcap");
  reject(head_field::sink, o.sink.has_value(), "sink");
  reject(head_field::sparsity, o.sparsity.has_value(), "a sparsity pattern");
}

/// Checks shapes and options (naming fn) and resolves them, with the head's
/// slope, sink and pattern taken from `head` (see head_fields).
template <class Acc>
ResolvedAttention<Acc> resolve_attention(const char* fn, Index nq, Index nk, Index d, Index dk,
                                         Index nv, const HeadOptions& o,
                                         const HeadOverrides& head) {
  if (dk != d) throw_invalid_argument(fn, "K.cols() = ", dk, " does not match Q.cols() = ", d);
  if (nv != nk) throw_invalid_argument(fn, "V.rows() = ", nv, " does not match K.rows() = ", nk);
  if (o.window_left < -1)
    throw_invalid_argument(fn, "window_left = ", o.window_left, " must be >= -1");
  if (o.window_right < -1)
    throw_invalid_argument(fn, "window_right = ", o.window_right, " must be >= -1");
  check_non_negative(fn, "softcap", o.softcap);
  if (head.sink && std::isnan(*head.sink)) throw_invalid_argument(fn, "sink = nan has no meaning");
  if (head.sink && *head.sink == std::numeric_limits<double>::infinity())
    throw_invalid_argument(fn,
                           "sink = inf would take all the attention (every output 0); pass a "
                           "finite logit, or -inf for no sink");
  resolve_threads(fn, o.num_threads);
  if (!o.bias.empty() && (o.bias.rows() != nq || o.bias.cols() != nk))
    throw_invalid_argument(fn, "bias is ", o.bias.rows(), " x ", o.bias.cols(), ", the scores ", nq,
                           " x ", nk);
  ResolvedAttention<Acc> r;
  r.scale = finite_in<Acc>(fn, "scale", attention_scale(o.scale, d));
  r.softcap = finite_in<Acc>(fn, "softcap", o.softcap);
  r.alibi_slope = finite_in<Acc>(fn, "alibi_slope", head.alibi_slope);
  r.nq = nq;
  r.nk = nk;
  r.offset = nk - nq;
  r.causal = o.causal;
  // A window as long as both sequences together reaches every key: unbounded
  // (and key positions +- window can no longer overflow).
  r.window_left = o.window_left >= nq + nk ? -1 : o.window_left;
  r.window_right = o.window_right >= nq + nk ? -1 : o.window_right;
  r.bias = o.bias;
  // A sink of -inf adds exp(-inf) = 0 to the denominator: no sink at all.
  r.has_sink = head.sink.has_value() && *head.sink != -std::numeric_limits<double>::infinity();
  r.sink = r.has_sink ? finite_in<Acc>(fn, "sink", *head.sink) : Acc(0);
  r.sparsity = head.sparsity;
  if (r.sparsity && (r.sparsity->rows() != nq || r.sparsity->cols() != nk))
    throw_invalid_argument(fn, "sparsity was built for ", r.sparsity->rows(), " x ",
                           r.sparsity->cols(), " scores, the call has ", nq, " x ", nk);
  return r;
}

/// resolve_attention with o's own slope, sink and pattern (one-head calls).
template <class Acc>
ResolvedAttention<Acc> resolve_attention(const char* fn, Index nq, Index nk, Index d, Index dk,
                                         Index nv, const HeadOptions& o) {
  return resolve_attention<Acc>(fn, nq, nk, d, dk, nv, o, own_fields(o));
}

}  // namespace detail

/// Forward results of flash_attention: the output (Nq x dv) and the
/// log-sum-exp of every row's scores (the softmax statistics the backward
/// pass needs) in the accumulation type AccumulatorT<T> (float, or double
/// for double inputs).
template <class T>
struct AttentionOutput {
  RowMatrix<T> out;  ///< Nq x dv: the attention output
  Vector<AccumulatorT<T>>
      lse;  ///< Nq: log-sum-exp of each row's scores (-inf for a fully masked row)
};

/// Gradients of a scalar loss with respect to Q, K and V.
template <class T>
struct AttentionGradients {
  RowMatrix<T> dQ;  ///< Nq x d
  RowMatrix<T> dK;  ///< Nk x d
  RowMatrix<T> dV;  ///< Nk x dv
};

}  // namespace mlprim

#endif  // MLPRIM_ATTENTION_OPTIONS_HPP
