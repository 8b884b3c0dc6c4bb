// Decoding against a key/value cache, as in autoregressive generation.
//
// KVCache<T> holds, per layer and per key/value head, the keys (tokens x d)
// and values (tokens x dv) of every token so far, each head contiguous so
// that it is one GEMM operand. append() takes a step's new tokens in the
// batched row layout [tokens, heads, dim]; the storage grows geometrically
// (or up to a fixed max_tokens) and truncate() rolls back (e.g. rejected
// speculative tokens).
//
// attention_decode(q_new, cache, options, layer) attends the newest t query
// rows ([t, heads_q, dim]) to the layer's cache, whose last t tokens are
// theirs (append first, then decode): the masks align bottom-right, so with
// causal each new row sees the cache up to its own token. Long caches are
// split into chunks of 512 keys processed in parallel over heads x chunks
// (flash-decoding, Dao et al. 2023): each chunk yields a partial output o_c,
// its row maximum m_c and sum l_c; they combine as
//   m = max_c m_c,  out = sum_c e^(m_c - m) o_c / sum_c e^(m_c - m) l_c,
//   lse = m + log sum_c e^(m_c - m) l_c.
// The split depends on the cache length only, so the result does not depend
// on the thread count. Grouped-query heads as in the batched layout. A
// sparsity pattern is read over positions (built for at least the cache's
// length, as for the whole sequence being generated): new row a is position
// n - t + a; splits holding none of its kept blocks are skipped, and inside
// a split the dropped scores are masked.
#ifndef MLPRIM_ATTENTION_DECODE_HPP
#define MLPRIM_ATTENTION_DECODE_HPP

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "mlprim/attention/detail/masked_product.hpp"
#include "mlprim/attention/detail/tiles.hpp"
#include "mlprim/attention/options.hpp"
#include "mlprim/core/error.hpp"
#include "mlprim/core/memory.hpp"
#include "mlprim/core/parallel.hpp"
#include "mlprim/core/types.hpp"

namespace mlprim {

/// Shape of a KVCache.
struct KVCacheParams {
  Index layers = 1;      ///< model layers, each with its own keys and values
  Index heads = 1;       ///< key/value heads (heads_kv)
  Index dim = 0;         ///< d of the keys
  Index dim_v = 0;       ///< d of the values; 0 = dim
  Index capacity = 0;    ///< tokens to reserve up front
  Index max_tokens = 0;  ///< 0 = grow without bound; else appending past it throws
};

/// The former name of KVCacheParams, kept for one release.
using KVCacheConfig [[deprecated("renamed KVCacheParams")]] = KVCacheParams;

/// Keys and values of every token so far, per layer and head (see the
/// header comment).
template <class T>
class KVCache {
 public:
  /// A read-only view of one (layer, head): tokens x dim, contiguous.
  using HeadView = Eigen::Map<const RowMatrix<T>>;

  /// An empty cache of params.capacity tokens per layer. Throws
  /// std::invalid_argument for a non-positive layers, heads or dim, a negative
  /// dim_v, capacity or max_tokens, or storage that overflows or exceeds memory.
  explicit KVCache(const KVCacheParams& params) : params_(params) {
    const char* fn = "KVCache";
    check_positive(fn, "layers", params.layers);
    check_positive(fn, "heads", params.heads);
    check_positive(fn, "dim", params.dim);
    check_non_negative(fn, "dim_v", params.dim_v);
    check_non_negative(fn, "capacity", params.capacity);
    check_non_negative(fn, "max_tokens", params.max_tokens);
    if (params_.dim_v == 0) params_.dim_v = params_.dim;
    checked_product(fn, "heads * dim", params_.heads, params_.dim);
    checked_product(fn, "heads * dim_v", params_.heads, params_.dim_v);
    keys_.resize(static_cast<std::size_t>(params.layers));
    values_.resize(static_cast<std::size_t>(params.layers));
    sizes_.assign(static_cast<std::size_t>(params.layers), 0);
    grow(fn, "capacity", params.capacity);
  }

  /// The shape (dim_v resolved).
  const KVCacheParams& params() const { return params_; }
  /// The former name of params(), kept for one release.
  [[deprecated("renamed params()")]] const KVCacheParams& config() const { return params_; }
  /// Tokens held by `layer`.
  Index size(Index layer = 0) const { return sizes_[checked_layer("KVCache::size", layer)]; }
  /// Tokens every layer can hold before it reallocates.
  Index capacity() const { return capacity_; }

  /// Makes room for `tokens` tokens in every layer. Throws
  /// std::invalid_argument when the storage, layers * heads * tokens *
  /// (dim + dim_v) values, overflows or exceeds the machine's memory.
  void reserve(Index tokens) { grow("KVCache::reserve", "tokens", tokens); }

  /// Appends t tokens to `layer` (growing the storage as reserve() does):
  /// keys t x (heads * dim) and values
  /// t x (heads * dim_v), each row a token laid out [heads, dim].
  template <class DK, class DV>
  void append(Index layer, const Eigen::MatrixBase<DK>& keys, const Eigen::MatrixBase<DV>& values) {
    const char* fn = "KVCache::append";
    const std::size_t l = checked_layer(fn, layer);
    const Index heads = params_.heads, d = params_.dim, dv = params_.dim_v, t = keys.rows();
    if (keys.cols() != heads * d)
      throw_invalid_argument(fn, "keys.cols() = ", keys.cols(), ", heads * dim = ", heads * d);
    if (values.cols() != heads * dv)
      throw_invalid_argument(fn, "values.cols() = ", values.cols(),
                             ", heads * dim_v = ", heads * dv);
    if (values.rows() != t)
      throw_invalid_argument(fn, "values.rows() = ", values.rows(),
                             " does not match keys.rows() = ", t);
    const Index needed = sizes_[l] + t;
    if (params_.max_tokens > 0 && needed > params_.max_tokens)
      throw_invalid_argument(fn, "appending ", t, " tokens to ", sizes_[l],
                             " exceeds max_tokens = ", params_.max_tokens);
    if (needed > capacity_) {
      Index grown = std::max<Index>(needed, 2 * capacity_);
      if (params_.max_tokens > 0) grown = std::min(grown, params_.max_tokens);
      grow(fn, "the token count", grown);
    }
    for (Index h = 0; h < heads; ++h) {
      Eigen::Map<RowMatrix<T>>(keys_[l].data() + (h * capacity_ + sizes_[l]) * d, t, d) =
          keys.middleCols(h * d, d).template cast<T>();
      Eigen::Map<RowMatrix<T>>(values_[l].data() + (h * capacity_ + sizes_[l]) * dv, t, dv) =
          values.middleCols(h * dv, dv).template cast<T>();
    }
    sizes_[l] = needed;
  }

  /// Keys of (layer, head): size(layer) x dim, contiguous.
  HeadView keys(Index layer, Index head) const {
    const std::size_t l = checked_layer("KVCache::keys", layer);
    check_head("KVCache::keys", head);
    return HeadView(keys_[l].data() + head * capacity_ * params_.dim, sizes_[l], params_.dim);
  }
  /// Values of (layer, head): size(layer) x dim_v, contiguous.
  HeadView values(Index layer, Index head) const {
    const std::size_t l = checked_layer("KVCache::values", layer);
    check_head("KVCache::values", head);
    return HeadView(values_[l].data() + head * capacity_ * params_.dim_v, sizes_[l], params_.dim_v);
  }

  /// Keeps the first `tokens` tokens of every layer (layers shorter stay).
  void truncate(Index tokens) {
    check_non_negative("KVCache::truncate", "tokens", tokens);
    for (auto& s : sizes_) s = std::min(s, tokens);
  }
  /// Forgets every token; keeps the storage.
  void clear() { truncate(0); }

 private:
  /// reserve(tokens), with errors naming fn and `field` (what set tokens).
  void grow(const char* fn, const char* field, Index tokens) {
    check_non_negative(fn, field, tokens);
    if (params_.max_tokens > 0 && tokens > params_.max_tokens)
      throw_invalid_argument(fn, field, " = ", tokens,
                             " exceeds max_tokens = ", params_.max_tokens);
    if (tokens <= capacity_) return;
    const Index heads = params_.heads, d = params_.dim, dv = params_.dim_v;
    const Index key_values =
        checked_product(fn, "layers * heads * tokens * dim", params_.layers, heads, tokens, d);
    const Index value_values =
        checked_product(fn, "layers * heads * tokens * dim_v", params_.layers, heads, tokens, dv);
    check_allocation(
        fn, field,
        static_cast<std::uint64_t>(key_values) + static_cast<std::uint64_t>(value_values),
        sizeof(T));
    for (std::size_t l = 0; l < keys_.size(); ++l) {
      std::vector<T> k(static_cast<std::size_t>(heads * tokens * d)),
          v(static_cast<std::size_t>(heads * tokens * dv));
      for (Index h = 0; h < heads; ++h) {
        std::copy_n(keys_[l].data() + h * capacity_ * d, sizes_[l] * d, k.data() + h * tokens * d);
        std::copy_n(values_[l].data() + h * capacity_ * dv, sizes_[l] * dv,
                    v.data() + h * tokens * dv);
      }
      keys_[l].swap(k);
      values_[l].swap(v);
    }
    capacity_ = tokens;
  }

  std::size_t checked_layer(const char* fn, Index layer) const {
    if (layer < 0 || layer >= params_.layers)
      throw_invalid_argument(fn, "layer = ", layer, " is outside [0, ", params_.layers, ")");
    return static_cast<std::size_t>(layer);
  }
  void check_head(const char* fn, Index head) const {
    if (head < 0 || head >= params_.heads)
      throw_invalid_argument(fn, "head = ", head, " is outside [0, ", params_.heads, ")");
  }

  KVCacheParams params_;
  Index capacity_ = 0;
  std::vector<std::vector<T>> keys_, values_;  // per layer: [heads, capacity, dim]
  std::vector<Index> sizes_;
};

namespace detail {

/// Keys per flash-decoding split.
inline constexpr Index decode_split = 512;

/// False when a sparsity pattern keeps no key block of [j0, j1) for any of
/// the t new rows (always true without one): the split is skipped.
template <class Acc>
bool split_kept(const ResolvedAttention<Acc>& r, Index t, Index j0, Index j1) {
  if (!r.sparsity) return true;
  const Index bq = r.sparsity->block_q(), bk = r.sparsity->block_k();
  for (Index b = r.pattern_offset / bq; b <= (r.pattern_offset + t - 1) / bq; ++b) {
    const auto [first, last] = r.sparsity->kept(b);
    const Index* at = std::lower_bound(first, last, j0 / bk);
    if (at != last && *at * bk < j1) return true;
  }
  return false;
}

/// Partial softmax attention of rows q over keys [j0, j0 + k.rows()) of the
/// resolved problem r: unnormalised output o, row maxima m and sums l.
template <class Acc>
void decode_partial(const ResolvedAttention<Acc>& r, const RowMatrix<Acc>& q,
                    const RowMatrix<Acc>& k, const RowMatrix<Acc>& v, Index j0, RowMatrix<Acc>& o,
                    Vector<Acc>& m, Vector<Acc>& l) {
  constexpr Acc inf = std::numeric_limits<Acc>::infinity();
  RowMatrix<Acc> s(q.rows(), k.rows());
  if (plain_scores(r, j0, k.rows()))
    s.noalias() = (r.scale * q) * k.transpose();
  else
    s.noalias() = q * k.transpose();
  tile_scores<Acc>(r, 0, j0, s, nullptr);
  if (r.sparsity) {  // the key blocks the pattern drops (tile_scores applied its rule)
    const Index bq = r.sparsity->block_q(), bk = r.sparsity->block_k();
    for (Index a = 0; a < s.rows(); ++a)
      for (Index kb = j0 / bk; kb * bk < j0 + s.cols(); ++kb)
        if (!r.sparsity->block_kept((a + r.pattern_offset) / bq, kb)) {
          const Index lo = std::max(kb * bk, j0), hi = std::min((kb + 1) * bk, j0 + s.cols());
          s.row(a).segment(lo - j0, hi - lo).setConstant(-inf);
        }
  }
  // A NaN score makes its row NaN through exp and the sums, as in flash.
  m = s.rowwise().maxCoeff();
  exp_shifted_rows<Acc>(s, (m.array() == -inf).select(Acc(0), m));
  l = s.rowwise().sum();
  for (Index a = 0; a < m.size(); ++a)  // a NaN the maximum skipped still wins the merge
    if (std::isnan(l(a))) m(a) = l(a);
  o.setZero(q.rows(), v.cols());
  add_masked_product<Acc>(o, s, SplitRows<Acc>(v), 0,
                          [&](Index a, Index b) { return r.visible(a, j0 + b); });
}

}  // namespace detail

/// Results of attention_decode: the new rows' outputs and log-sum-exps.
template <class T>
struct DecodeOutput {
  RowMatrix<T> out;                ///< t x heads_q * dim_v, tokens laid out [heads_q, dim_v]
  RowMatrix<AccumulatorT<T>> lse;  ///< t x heads_q (-inf for a row with nothing visible)
};

namespace detail {

/// attention_decode, with an optional bias `tail` over the last tail.cols()
/// keys only (options.bias must then be empty): the keys before it score
/// plainly, as if their bias were 0.
template <class DQ, class T>
DecodeOutput<T> decode_rows(const Eigen::MatrixBase<DQ>& q_new, const KVCache<T>& cache,
                            const BatchedAttentionOptions& options, Index layer,
                            const AttentionBias& tail) {
  using Acc = AccumulatorT<T>;
  constexpr Acc inf = std::numeric_limits<Acc>::infinity();
  const char* fn = "attention_decode";
  const auto& c = cache.params();
  const Index d = c.dim, dv = c.dim_v, t = q_new.rows(), n = cache.size(layer);
  if (q_new.cols() % d != 0 || q_new.cols() == 0)
    throw_invalid_argument(fn, "q_new.cols() = ", q_new.cols(),
                           " is not a positive multiple of dim = ", d);
  const Index hq = q_new.cols() / d;
  if (hq % c.heads != 0)
    throw_invalid_argument(fn, "heads_q = ", hq,
                           " is not a multiple of the cache's heads = ", c.heads);
  if (t > n)
    throw_invalid_argument(fn, "q_new has ", t, " rows, the cache only ", n,
                           " tokens (append first)");
  const Index group = hq / c.heads,
              splits = std::max<Index>(1, (n + detail::decode_split - 1) / detail::decode_split);
  detail::check_per_head(fn, options, hq);
  std::vector<detail::ResolvedAttention<Acc>> resolved;
  for (Index h = 0; h < hq; ++h) {
    // Patterns cover positions: the new rows are positions n - t .. n - 1.
    auto head = detail::head_fields(options, h);
    const SparsityPattern* pattern = head.sparsity;
    head.sparsity = nullptr;
    resolved.push_back(detail::resolve_attention<Acc>(fn, t, n, d, d, n, options, head));
    if (pattern && (pattern->rows() < n || pattern->cols() < n))
      throw_invalid_argument(fn, "sparsity was built for ", pattern->rows(), " x ", pattern->cols(),
                             " positions, the cache holds ", n);
    resolved.back().sparsity = pattern;
    resolved.back().pattern_offset = n - t;
    if (!tail.empty()) {
      resolved.back().bias = tail;
      resolved.back().bias_begin = n - tail.cols();
    }
  }
  std::vector<RowMatrix<Acc>> o(static_cast<std::size_t>(hq * splits));
  std::vector<Vector<Acc>> m(o.size()), l(o.size());
  parallel_for(Index{0}, hq * splits, resolve_threads(fn, options.num_threads), [&](Index task) {
    const Index h = task / splits, j0 = (task % splits) * detail::decode_split;
    const Index len = std::min(detail::decode_split, n - j0);
    const auto& r = resolved[static_cast<std::size_t>(h)];
    const auto u = static_cast<std::size_t>(task);
    if (!detail::tile_visible(r, 0, t, j0, j0 + len) || !detail::split_kept(r, t, j0, j0 + len)) {
      o[u].setZero(t, dv);
      m[u].setConstant(t, -inf);
      l[u].setZero(t);
      return;
    }
    const RowMatrix<Acc> q = q_new.middleCols(h * d, d).template cast<Acc>();
    const RowMatrix<Acc> k = cache.keys(layer, h / group).middleRows(j0, len).template cast<Acc>();
    const RowMatrix<Acc> v =
        cache.values(layer, h / group).middleRows(j0, len).template cast<Acc>();
    detail::decode_partial(r, q, k, v, j0, o[u], m[u], l[u]);
  });
  DecodeOutput<T> result{RowMatrix<T>(t, hq * dv), RowMatrix<Acc>(t, hq)};
  for (Index h = 0; h < hq; ++h) {
    const auto& r = resolved[static_cast<std::size_t>(h)];
    for (Index a = 0; a < t; ++a) {
      Acc top = r.has_sink ? r.sink : -inf;
      for (Index s = 0; s < splits; ++s) {
        const Acc ms = m[static_cast<std::size_t>(h * splits + s)](a);
        if (!(ms <= top)) top = ms;
      }
      RowVector<Acc> acc = RowVector<Acc>::Zero(dv);
      Acc sum = r.has_sink && top != -inf ? std::exp(r.sink - top) : Acc(0);
      for (Index s = 0; s < splits && top != -inf; ++s) {
        const auto u = static_cast<std::size_t>(h * splits + s);
        if (m[u](a) == -inf) continue;
        const Acc w = std::exp(m[u](a) - top);
        sum += w * l[u](a);
        acc += w * o[u].row(a);
      }
      result.out.block(a, h * dv, 1, dv) =
          top == -inf ? RowVector<T>::Zero(dv) : RowVector<T>((acc / sum).template cast<T>());
      result.lse(a, h) = top == -inf ? -inf : top + std::log(sum);
    }
  }
  return result;
}

}  // namespace detail

/// Attention of the newest t query rows q_new (t x heads_q * dim, tokens laid
/// out [heads_q, dim]) to `layer` of the cache, whose last t tokens are
/// theirs. Options as flash_attention, with per-head ALiBi slopes, sinks and
/// patterns for heads_q heads; parallel over heads x 512-key chunks (see the
/// header comment).
template <class DQ, class T>
DecodeOutput<T> attention_decode(const Eigen::MatrixBase<DQ>& q_new, const KVCache<T>& cache,
                                 const BatchedAttentionOptions& options = {}, Index layer = 0) {
  return detail::decode_rows(q_new, cache, options, layer, AttentionBias{});
}

}  // namespace mlprim

#endif  // MLPRIM_ATTENTION_DECODE_HPP
