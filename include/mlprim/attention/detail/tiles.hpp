// The tiles of the flash kernels and of decoding: tile sizes, turning a
// tile's raw products into scores under the masks, which tiles the masks
// and a sparsity pattern let through, and the order tiles are handed to
// threads.
#ifndef MLPRIM_ATTENTION_DETAIL_TILES_HPP
#define MLPRIM_ATTENTION_DETAIL_TILES_HPP

#include <algorithm>
#include <cmath>
#include <limits>

#include "mlprim/attention/options.hpp"
#include "mlprim/core/types.hpp"

namespace mlprim::detail {

/// Query and key tile sizes: 128 x 128 score tiles (64 KiB in float) keep a
/// tile of Q, K, V and S in the L2 cache for head dimensions up to 128 and
/// make the two tile products long enough to run near GEMM speed (measured
/// best of 32..256 in bench/attention).
inline constexpr Index flash_query_tile = 128;
inline constexpr Index flash_key_tile = 128;

/// Turns the raw products z (rows i0.., keys j0..) of a tile into scores,
/// with -inf where the masks hide the key.
template <class Acc>
void score_tile(const ResolvedAttention<Acc>& r, Index i0, Index j0, Eigen::Ref<RowMatrix<Acc>> s,
                RowMatrix<Acc>* capped) {
  for (Index a = 0; a < s.rows(); ++a) {
    const Index i = i0 + a, begin = r.key_begin(i), end = r.key_end(i);
    for (Index b = 0; b < s.cols(); ++b) {
      const Index j = j0 + b;
      const Acc z = r.scale * s(a, b);
      if (capped) (*capped)(a, b) = r.softcap > 0 ? r.softcap * std::tanh(z / r.softcap) : z;
      s(a, b) = j >= begin && j < end && r.rule_keeps(i, j) ? r.score(z, i, j)
                                                            : -std::numeric_limits<Acc>::infinity();
    }
  }
}

/// The tile that task t of n processes: 0, n-1, 1, n-2, ... Under a causal
/// mask tile i costs about i + 1 key tiles, so consecutive tasks pair cheap
/// with dear tiles and the static chunks of parallel_for get equal work.
inline Index balanced_tile(Index t, Index n) { return t % 2 == 0 ? t / 2 : n - 1 - t / 2; }

/// True when every row of [i0, i1) sees every key of [j0, j1).
template <class Acc>
bool tile_fully_visible(const ResolvedAttention<Acc>& r, Index i0, Index i1, Index j0, Index j1) {
  return r.key_begin(i1 - 1) <= j0 && r.key_end(i0) >= j1;
}

/// Sets the entries of a tile of scores (rows i0.., keys j0..) that the
/// masks hide to -inf.
template <class Acc>
void mask_tile(const ResolvedAttention<Acc>& r, Index i0, Index j0, Eigen::Ref<RowMatrix<Acc>> s) {
  for (Index a = 0; a < s.rows(); ++a) {
    const Index begin = std::clamp<Index>(r.key_begin(i0 + a) - j0, 0, s.cols());
    const Index end = std::clamp<Index>(r.key_end(i0 + a) - j0, begin, s.cols());
    s.row(a).head(begin).setConstant(-std::numeric_limits<Acc>::infinity());
    s.row(a).tail(s.cols() - end).setConstant(-std::numeric_limits<Acc>::infinity());
  }
}

/// Sets the entries of a tile that a sparsity pattern's element rule drops
/// to -inf (the tile lies inside kept blocks).
template <class Acc>
void mask_rule(const ResolvedAttention<Acc>& r, Index i0, Index j0, Eigen::Ref<RowMatrix<Acc>> s) {
  if (!r.sparsity || !r.sparsity->has_rule()) return;
  for (Index a = 0; a < s.rows(); ++a)
    for (Index b = 0; b < s.cols(); ++b)
      if (!r.rule_keeps(i0 + a, j0 + b)) s(a, b) = -std::numeric_limits<Acc>::infinity();
}

/// Whether the scores of keys [j0, j0 + cols) are just scale * q.k under
/// the masks (no ALiBi or softcap, and no bias over those keys): the
/// kernels then fold the scale into the tile product, and tile_scores
/// touches only the entries the masks cut. cols = 0: over every key.
template <class Acc>
bool plain_scores(const ResolvedAttention<Acc>& r, Index j0 = 0, Index cols = 0) {
  const bool no_bias = r.bias.empty() || (cols > 0 && j0 + cols <= r.bias_begin);
  return no_bias && r.alibi_slope == 0 && !(r.softcap > 0);
}

/// Turns a tile's products into scores (rows i0.., keys j0..), -inf where
/// the masks or the pattern's element rule hide the key: s holds scale *
/// q.k when plain_scores(r, j0, s.cols()), the raw q.k otherwise (see
/// score_tile).
template <class Acc>
void tile_scores(const ResolvedAttention<Acc>& r, Index i0, Index j0, Eigen::Ref<RowMatrix<Acc>> s,
                 RowMatrix<Acc>* capped) {
  if (!plain_scores(r, j0, s.cols())) return score_tile<Acc>(r, i0, j0, s, capped);
  if (!tile_fully_visible(r, i0, i0 + s.rows(), j0, j0 + s.cols())) mask_tile<Acc>(r, i0, j0, s);
  mask_rule<Acc>(r, i0, j0, s);
}

/// s(a, :) = exp(s(a, :) - shift(a)) for every row a, flushing results
/// below the smallest normal number to 0: Eigen's vectorised double exp
/// clamps its argument and gives 5e-309 at -inf, which would let masked keys
/// in (the flushed true values are below 1e-308 of the row's largest).
/// Row by row, because Eigen does not vectorise exp through a colwise
/// broadcast over row-major rows (measured ten times slower in
/// bench/attention), and with a plain loop for the flush, which Eigen 3.4's
/// select would not vectorise.
template <class Acc>
void exp_shifted_rows(Eigen::Ref<RowMatrix<Acc>> s, const Eigen::Ref<const Vector<Acc>>& shift) {
  constexpr Acc tiny = std::numeric_limits<Acc>::min();
  for (Index a = 0; a < s.rows(); ++a) {
    s.row(a) = (s.row(a).array() - shift(a)).exp();
    Acc* row = s.row(a).data();
    for (Index b = 0; b < s.cols(); ++b) row[b] = row[b] < tiny ? Acc(0) : row[b];
  }
}

/// Calls fn(j0, cols) for the key tiles of at most `width` keys that rows
/// [i0, i0 + rows) visit inside [lo, hi): the whole range, or with a
/// sparsity pattern (whose query blocks the rows lie in: i0 is a multiple
/// of block_q and rows <= block_q) only its kept key blocks.
template <class Acc, class Fn>
void for_each_key_tile(const ResolvedAttention<Acc>& r, Index i0, Index lo, Index hi, Index width,
                       const Fn& fn) {
  auto tiles = [&](Index begin, Index end) {
    for (Index j0 = begin; j0 < end; j0 += width) fn(j0, std::min(width, end - j0));
  };
  if (r.sparsity)
    r.sparsity->for_each_key_run(i0 / r.sparsity->block_q(), lo, hi, tiles);
  else
    tiles(lo, hi);
}

/// Calls fn(i0, rows) for the query tiles of at most `height` rows that see
/// key tile [j0, ...): all of [0, nq), or with a sparsity pattern (j0 a
/// multiple of block_k, the tile within one key block) the query blocks
/// that keep its key block.
template <class Acc, class Fn>
void for_each_query_tile(const ResolvedAttention<Acc>& r, Index j0, Index height, const Fn& fn) {
  auto tiles = [&](Index begin, Index end) {
    for (Index i0 = begin; i0 < end; i0 += height) fn(i0, std::min(height, end - i0));
  };
  if (r.sparsity)
    r.sparsity->for_each_query_run(j0 / r.sparsity->block_k(), tiles);
  else
    tiles(0, r.nq);
}

/// False when no row of [i0, i1) can see a key of [j0, j1) (the visible
/// ranges only move right as i grows).
template <class Acc>
bool tile_visible(const ResolvedAttention<Acc>& r, Index i0, Index i1, Index j0, Index j1) {
  return r.key_end(i1 - 1) > j0 &&
         r.key_begin(i0) < j1;  // conservative: masked entries still score -inf
}

}  // namespace mlprim::detail

#endif  // MLPRIM_ATTENTION_DETAIL_TILES_HPP
