// Block-sparse attention patterns: which query x key scores exist.
//
// The Nq x Nk score matrix is cut into blocks of block_q query rows by
// block_k keys (the last ones may be short). A SparsityPattern lists, per
// query block, the sorted key blocks kept (compressed rows); the flash
// kernels visit only those, so skipped blocks cost no arithmetic. Patterns
// that are not block-aligned add an element rule evaluated inside kept
// blocks only: score (i, j) exists when its block is kept and rule(i, j).
// A pattern combines with the other masks of AttentionOptions (causal,
// windows, a bias of -inf): a score exists when every one of them keeps it.
// A query row with nothing kept gives zeros and lse = -inf.
#ifndef MLPRIM_ATTENTION_SPARSITY_HPP
#define MLPRIM_ATTENTION_SPARSITY_HPP

#include <algorithm>
#include <functional>
#include <utility>
#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/core/types.hpp"

namespace mlprim {

/// A block layout of kept scores plus an optional element rule (see the
/// header comment).
class SparsityPattern {
 public:
  /// Whether score (i, j) of a kept block exists (empty: all of them).
  using ElementRule = std::function<bool(Index i, Index j)>;

  /// The pattern of an nq x nk score matrix in blocks of block_q x block_k
  /// keeping, for query block b, the key blocks kept[b] (sorted, distinct,
  /// inside [0, ceil(nk / block_k))). Throws std::invalid_argument for
  /// block sizes < 1, negative sizes, a list count other than
  /// ceil(nq / block_q), or a list that is unsorted or out of range.
  SparsityPattern(Index nq, Index nk, Index block_q, Index block_k,
                  const std::vector<std::vector<Index>>& kept, ElementRule rule = {})
      : nq_(nq), nk_(nk), block_q_(block_q), block_k_(block_k), rule_(std::move(rule)) {
    const char* fn = "SparsityPattern";
    check_non_negative(fn, "nq", nq);
    check_non_negative(fn, "nk", nk);
    check_positive(fn, "block_q", block_q);
    check_positive(fn, "block_k", block_k);
    const Index query_blocks = (nq + block_q - 1) / block_q,
                key_blocks = (nk + block_k - 1) / block_k;
    if (static_cast<Index>(kept.size()) != query_blocks)
      throw_invalid_argument(fn, "kept has ", kept.size(), " lists, the ", nq, " query rows ",
                             query_blocks, " blocks of ", block_q);
    row_start_.push_back(0);
    for (std::size_t b = 0; b < kept.size(); ++b) {
      for (std::size_t at = 0; at < kept[b].size(); ++at) {
        const Index kb = kept[b][at];
        if (kb < 0 || kb >= key_blocks)
          throw_invalid_argument(fn, "kept[", b, "][", at, "] = ", kb, " is outside the ",
                                 key_blocks, " key blocks [0, ", key_blocks, ")");
        if (at > 0 && kb <= kept[b][at - 1])
          throw_invalid_argument(fn, "kept[", b, "] is not sorted and distinct: ", kept[b][at - 1],
                                 " then ", kb);
        blocks_.push_back(kb);
      }
      row_start_.push_back(static_cast<Index>(blocks_.size()));
    }
    // The transpose: per key block, the query blocks that keep it.
    col_start_.assign(static_cast<std::size_t>(key_blocks + 1), 0);
    for (const Index kb : blocks_) ++col_start_[static_cast<std::size_t>(kb + 1)];
    for (std::size_t kb = 1; kb < col_start_.size(); ++kb) col_start_[kb] += col_start_[kb - 1];
    keeping_.resize(blocks_.size());
    std::vector<Index> fill(col_start_.begin(), col_start_.end() - 1);
    for (Index b = 0; b < query_blocks; ++b)
      for (Index at = row_start_[static_cast<std::size_t>(b)];
           at < row_start_[static_cast<std::size_t>(b + 1)]; ++at)
        keeping_[static_cast<std::size_t>(
            fill[static_cast<std::size_t>(blocks_[static_cast<std::size_t>(at)])]++)] = b;
  }

  /// Query rows (Nq) of the score matrix.
  Index rows() const { return nq_; }
  /// Keys (Nk) of the score matrix.
  Index cols() const { return nk_; }
  /// Query rows per block.
  Index block_q() const { return block_q_; }
  /// Keys per block.
  Index block_k() const { return block_k_; }
  /// Number of query blocks, ceil(Nq / block_q).
  Index query_blocks() const { return static_cast<Index>(row_start_.size()) - 1; }
  /// Number of key blocks, ceil(Nk / block_k).
  Index key_blocks() const { return static_cast<Index>(col_start_.size()) - 1; }
  /// Kept blocks in all.
  Index kept_blocks() const { return static_cast<Index>(blocks_.size()); }
  /// Whether an element rule is set.
  bool has_rule() const { return static_cast<bool>(rule_); }

  /// The sorted key blocks kept by query block b: [first, last) pointers.
  std::pair<const Index*, const Index*> kept(Index b) const {
    const auto u = static_cast<std::size_t>(b);
    return {blocks_.data() + row_start_[u], blocks_.data() + row_start_[u + 1]};
  }
  /// The sorted query blocks that keep key block kb.
  std::pair<const Index*, const Index*> keeping(Index kb) const {
    const auto u = static_cast<std::size_t>(kb);
    return {keeping_.data() + col_start_[u], keeping_.data() + col_start_[u + 1]};
  }
  /// Whether key block kb is kept by query block b.
  bool block_kept(Index b, Index kb) const {
    const auto [first, last] = kept(b);
    return std::binary_search(first, last, kb);
  }
  /// Whether the element rule keeps (i, j) (true without a rule).
  bool rule_keeps(Index i, Index j) const { return !rule_ || rule_(i, j); }
  /// Whether score (i, j) exists: its block is kept and the rule keeps it.
  bool keeps(Index i, Index j) const {
    return block_kept(i / block_q_, j / block_k_) && rule_keeps(i, j);
  }

  /// Calls fn(j0, j1) for each run of consecutive kept key blocks of query
  /// block b, as key ranges clipped to [lo, hi).
  template <class Fn>
  void for_each_key_run(Index b, Index lo, Index hi, const Fn& fn) const {
    const auto [first, last] = kept(b);
    for_each_run(first, last, block_k_, nk_, lo, hi, fn);
  }
  /// Calls fn(i0, i1) for each run of consecutive query blocks keeping key
  /// block kb, as query ranges.
  template <class Fn>
  void for_each_query_run(Index kb, const Fn& fn) const {
    const auto [first, last] = keeping(kb);
    for_each_run(first, last, block_q_, nq_, 0, nq_, fn);
  }

 private:
  template <class Fn>
  static void for_each_run(const Index* first, const Index* last, Index block, Index size, Index lo,
                           Index hi, const Fn& fn) {
    while (first != last) {
      const Index* end = first + 1;
      while (end != last && *end == *(end - 1) + 1) ++end;
      const Index begin = std::max(lo, *first * block),
                  stop = std::min({hi, size, (*(end - 1) + 1) * block});
      if (begin < stop) fn(begin, stop);
      first = end;
    }
  }

  Index nq_, nk_, block_q_, block_k_;
  std::vector<Index> row_start_, blocks_, col_start_, keeping_;
  ElementRule rule_;
};

/// A pattern from a boolean block matrix: kept(b, kb) true keeps key block
/// kb for query block b; the score matrix is nq x nk in blocks of block_q x
/// block_k, and kept must be ceil(nq / block_q) x ceil(nk / block_k).
template <class Derived>
SparsityPattern block_mask_pattern(const Eigen::MatrixBase<Derived>& kept, Index nq, Index nk,
                                   Index block_q, Index block_k) {
  const char* fn = "block_mask_pattern";
  check_positive(fn, "block_q", block_q);
  check_positive(fn, "block_k", block_k);
  check_non_negative(fn, "nq", nq);
  check_non_negative(fn, "nk", nk);
  const Index qb = (nq + block_q - 1) / block_q, kb = (nk + block_k - 1) / block_k;
  if (kept.rows() != qb || kept.cols() != kb)
    throw_invalid_argument(fn, "kept is ", kept.rows(), " x ", kept.cols(), ", the blocks ", qb,
                           " x ", kb);
  std::vector<std::vector<Index>> lists(static_cast<std::size_t>(qb));
  for (Index b = 0; b < qb; ++b)
    for (Index k = 0; k < kb; ++k)
      if (kept(b, k)) lists[static_cast<std::size_t>(b)].push_back(k);
  return SparsityPattern(nq, nk, block_q, block_k, lists);
}

/// A pattern from per-query-block lists of kept key blocks (sorted,
/// distinct), with an optional element rule.
inline SparsityPattern block_mask_pattern(const std::vector<std::vector<Index>>& kept, Index nq,
                                          Index nk, Index block_q, Index block_k,
                                          SparsityPattern::ElementRule rule = {}) {
  return SparsityPattern(nq, nk, block_q, block_k, kept, std::move(rule));
}

}  // namespace mlprim

#endif  // MLPRIM_ATTENTION_SPARSITY_HPP
