// The published sparse-attention patterns as SparsityPatterns over N
// tokens (self-attention, Nq = Nk = N), each with its paper's definition.
// Rows are query positions i, columns key positions j. Patterns that are
// not block-aligned keep a block when any of its scores is kept and add the
// definition as the element rule, so the kernels visit kept blocks only and
// mask inside them (for the strided head that is most blocks below the
// diagonal: its keys are spread every `stride` positions).
#ifndef MLPRIM_ATTENTION_SPARSE_PATTERNS_HPP
#define MLPRIM_ATTENTION_SPARSE_PATTERNS_HPP

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

#include "mlprim/attention/sparsity.hpp"
#include "mlprim/core/error.hpp"
#include "mlprim/core/random.hpp"
#include "mlprim/core/types.hpp"

namespace mlprim {

/// Block size of the builders' layouts unless given: 64 x 64 blocks (the
/// flash kernels' products run near GEMM speed from 64 keys on).
inline constexpr Index sparse_pattern_block = 64;

namespace detail {

/// The N x N pattern in square blocks keeping the blocks for which
/// hit(b, kb) holds, with an element rule (empty when the blocks are exact).
template <class Hit>
SparsityPattern pattern_from_blocks(Index n, Index block, const Hit& hit,
                                    SparsityPattern::ElementRule rule) {
  const Index blocks = (n + block - 1) / block;
  std::vector<std::vector<Index>> kept(static_cast<std::size_t>(blocks));
  for (Index b = 0; b < blocks; ++b)
    for (Index kb = 0; kb < blocks; ++kb)
      if (hit(b, kb)) kept[static_cast<std::size_t>(b)].push_back(kb);
  return SparsityPattern(n, n, block, block, kept, std::move(rule));
}

/// Whether [lo, hi] holds a multiple of m (m >= 1, 0 <= lo).
inline bool holds_multiple(Index lo, Index hi, Index m) { return (lo + m - 1) / m * m <= hi; }

/// The first and last positions of block b (of size `block`, N tokens).
inline std::pair<Index, Index> block_span(Index b, Index block, Index n) {
  return {b * block, std::min(n, (b + 1) * block) - 1};
}

inline void check_pattern_size(const char* fn, Index n, Index block) {
  check_non_negative(fn, "N", n);
  check_positive(fn, "block", block);
}

/// Sparse Transformer's strided heads: A1 (the previous `stride` positions
/// and i itself), A2 (every stride-th position back); which = 1, 2 or 3
/// (their union).
inline SparsityPattern strided_heads(const char* fn, Index n, Index stride, int which,
                                     Index block) {
  check_pattern_size(fn, n, block);
  check_positive(fn, "stride", stride);
  const bool a1 = which & 1, a2 = which & 2;
  auto hit = [=](Index b, Index kb) {
    if (kb > b) return false;
    const auto [i0, i1] = block_span(b, block, n);
    const auto [j0, j1] = block_span(kb, block, n);
    // Differences i - j over the block pair, kept to i - j >= 0.
    const Index lo = std::max<Index>(0, i0 - j1), hi = i1 - j0;
    return (a1 && lo <= stride) || (a2 && holds_multiple(lo, hi, stride));
  };
  auto rule = [=](Index i, Index j) {
    return j <= i && ((a1 && i - j <= stride) || (a2 && (i - j) % stride == 0));
  };
  return pattern_from_blocks(n, block, hit, rule);
}

/// Sparse Transformer's fixed heads: A1 (the positions of i's stride-long
/// segment up to i), A2 (the last c positions of every segment up to i);
/// which = 1, 2 or 3 (their union).
inline SparsityPattern fixed_heads(const char* fn, Index n, Index stride, Index c, int which,
                                   Index block) {
  check_pattern_size(fn, n, block);
  check_positive(fn, "stride", stride);
  check_positive(fn, "c", c);
  if (c > stride) throw_invalid_argument(fn, "c = ", c, " exceeds stride = ", stride);
  const bool a1 = which & 1, a2 = which & 2;
  auto summary = [=](Index j) { return j % stride >= stride - c; };
  auto hit = [=](Index b, Index kb) {
    if (kb > b) return false;
    const auto [i0, i1] = block_span(b, block, n);
    const auto [j0, j1] = block_span(kb, block, n);
    // A1: the blocks share a segment (j <= i then holds for some pair).
    if (a1 && std::max(i0 / stride, j0 / stride) <= std::min(i1 / stride, j1 / stride)) return true;
    if (!a2) return false;
    // A2: the first summary position at or after j0, if it is <= j1 and <= i1.
    const Index r = j0 % stride;
    const Index j = r >= stride - c ? j0 : j0 + (stride - c - r);
    return j <= std::min(j1, i1);
  };
  auto rule = [=](Index i, Index j) {
    return j <= i && ((a1 && j / stride == i / stride) || (a2 && summary(j)));
  };
  return pattern_from_blocks(n, block, hit, rule);
}

}  // namespace detail

/// Sparse Transformer's strided pattern (Child et al. 2019, "Generating
/// Long Sequences with Sparse Transformers", 4.2), both heads in one (their
/// union, the "merged head"): query i keeps key j <= i when i - j <= stride
/// (A1 = {max(0, i - stride), ..., i}) or (i - j) mod stride = 0 (A2).
/// Causal by definition. Throws std::invalid_argument for N < 0, stride < 1
/// or block < 1.
inline SparsityPattern strided_pattern(Index N, Index stride, Index block = sparse_pattern_block) {
  return detail::strided_heads("strided_pattern", N, stride, 3, block);
}

/// The strided pattern as its factorised pair of heads: {A1, A2}.
inline std::vector<SparsityPattern> strided_pattern_heads(Index N, Index stride,
                                                          Index block = sparse_pattern_block) {
  return {detail::strided_heads("strided_pattern_heads", N, stride, 1, block),
          detail::strided_heads("strided_pattern_heads", N, stride, 2, block)};
}

/// Sparse Transformer's fixed pattern (Child et al. 2019, 4.2), both heads
/// in one: query i keeps key j <= i when floor(j / stride) = floor(i /
/// stride) (A1, i's segment) or j mod stride >= stride - c (A2, the last c
/// positions of every segment, which summarise it). Causal by definition.
/// Throws for stride < 1, c < 1, c > stride, N < 0 or block < 1.
inline SparsityPattern fixed_pattern(Index N, Index stride, Index c,
                                     Index block = sparse_pattern_block) {
  return detail::fixed_heads("fixed_pattern", N, stride, c, 3, block);
}

/// The fixed pattern as its factorised pair of heads: {A1, A2}.
inline std::vector<SparsityPattern> fixed_pattern_heads(Index N, Index stride, Index c,
                                                        Index block = sparse_pattern_block) {
  return {detail::fixed_heads("fixed_pattern_heads", N, stride, c, 1, block),
          detail::fixed_heads("fixed_pattern_heads", N, stride, c, 2, block)};
}

/// Longformer's pattern (Beltagy et al. 2020, "Longformer: The
/// Long-Document Transformer", 3.1): a sliding window, |i - j| <= window
/// (window positions on each side, i.e. an attention window of 2 window + 1),
/// plus symmetric global attention: a global token attends to every
/// position and every position attends to it. Bidirectional. Throws for N
/// < 0, window < 0, block < 1, or a global token outside [0, N).
inline SparsityPattern longformer_pattern(Index N, Index window,
                                          const std::vector<Index>& global_tokens,
                                          Index block = sparse_pattern_block) {
  const char* fn = "longformer_pattern";
  detail::check_pattern_size(fn, N, block);
  check_non_negative(fn, "window", window);
  auto global = std::make_shared<std::vector<char>>(static_cast<std::size_t>(N));
  const Index blocks = (N + block - 1) / block;
  std::vector<char> global_block(static_cast<std::size_t>(blocks));
  for (std::size_t g = 0; g < global_tokens.size(); ++g) {
    const Index t = global_tokens[g];
    if (t < 0 || t >= N)
      throw_invalid_argument(fn, "global_tokens[", g, "] = ", t, " is outside [0, ", N, ")");
    (*global)[static_cast<std::size_t>(t)] = 1;
    global_block[static_cast<std::size_t>(t / block)] = 1;
  }
  auto hit = [&](Index b, Index kb) {
    const auto [i0, i1] = detail::block_span(b, block, N);
    const auto [j0, j1] = detail::block_span(kb, block, N);
    const Index gap = j0 > i1 ? j0 - i1 : (i0 > j1 ? i0 - j1 : 0);
    return gap <= window || global_block[static_cast<std::size_t>(b)] ||
           global_block[static_cast<std::size_t>(kb)];
  };
  auto rule = [global, window](Index i, Index j) {
    return std::abs(i - j) <= window || (*global)[static_cast<std::size_t>(i)] ||
           (*global)[static_cast<std::size_t>(j)];
  };
  return detail::pattern_from_blocks(N, block, hit, rule);
}

/// BigBird's block pattern (Zaheer et al. 2020, "Big Bird: Transformers for
/// Longer Sequences", the ITC form): in blocks of `block` tokens, query
/// block b keeps the key blocks with |b - kb| <= window_blocks (the sliding
/// window), the first global_blocks blocks (global: they also keep every
/// key block), and random_blocks further key blocks drawn uniformly without
/// replacement among those it does not keep yet (seeded through
/// core/random.hpp; fewer when fewer remain). Bidirectional; block-aligned
/// (no element rule). Throws for N < 0, block < 1 or negative counts.
inline SparsityPattern bigbird_pattern(Index N, Index block, Index window_blocks,
                                       Index global_blocks, Index random_blocks,
                                       std::uint64_t seed) {
  const char* fn = "bigbird_pattern";
  detail::check_pattern_size(fn, N, block);
  check_non_negative(fn, "window_blocks", window_blocks);
  check_non_negative(fn, "global_blocks", global_blocks);
  check_non_negative(fn, "random_blocks", random_blocks);
  const Index blocks = (N + block - 1) / block;
  Rng rng(seed);
  std::vector<std::vector<Index>> kept(static_cast<std::size_t>(blocks));
  for (Index b = 0; b < blocks; ++b) {
    auto& row = kept[static_cast<std::size_t>(b)];
    std::vector<Index> others;
    for (Index kb = 0; kb < blocks; ++kb) {
      if (b < global_blocks || kb < global_blocks || std::abs(b - kb) <= window_blocks)
        row.push_back(kb);
      else
        others.push_back(kb);
    }
    const Index draws = std::min<Index>(random_blocks, static_cast<Index>(others.size()));
    for (const Index at : sample_without_replacement(static_cast<Index>(others.size()), draws, rng))
      row.push_back(others[static_cast<std::size_t>(at)]);
    std::sort(row.begin(), row.end());
  }
  return SparsityPattern(N, N, block, block, kept);
}

}  // namespace mlprim

#endif  // MLPRIM_ATTENTION_SPARSE_PATTERNS_HPP
