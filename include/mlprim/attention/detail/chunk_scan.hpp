// The chunk scan under the causal chunked forms of linear attention: every
// chunk's own sums in parallel, their exclusive prefix in chunk order, then
// every chunk's use of the sums before it in parallel.
#ifndef MLPRIM_ATTENTION_DETAIL_CHUNK_SCAN_HPP
#define MLPRIM_ATTENTION_DETAIL_CHUNK_SCAN_HPP

#include <algorithm>
#include <vector>

#include "mlprim/core/parallel.hpp"
#include "mlprim/core/types.hpp"

namespace mlprim::detail {

/// Chunks per group of chunk_scan: the states of a group are held at once.
inline constexpr Index scan_group_chunks = 64;

/// Chunks of `chunk` rows that n rows make, ceil(n / chunk), without the
/// n + chunk - 1 that overflows for a huge chunk.
inline Index chunk_count(Index n, Index chunk) { return n == 0 ? 0 : (n - 1) / chunk + 1; }

/// An exclusive scan over the chunks of n rows (chunk rows each), the
/// skeleton of the causal chunked forms. For each group of
/// scan_group_chunks (64) chunks:
/// own(t0, len, slot, S, z) sets every chunk's own sums (S m x dv, z 1 x m)
/// in parallel; these are added up serially in chunk order (from the last
/// chunk when reverse); then use(t0, len, slot, S, z, scratch) gets, in
/// parallel, the sums over all chunks before it (after it when reverse).
/// slot in [0, 64) is the chunk's place in its group, for data that own
/// leaves to use; scratch is one default-constructed Scratch per thread's
/// range of chunks. Every sum is taken in the same order for any thread
/// count, so results do not depend on it. Extra memory O(64 m dv).
template <class Acc, class Scratch, class Own, class Use>
void chunk_scan(Index n, Index chunk, Index m, Index dv, bool reverse, int num_threads,
                const Own& own, const Use& use) {
  const Index chunks = chunk_count(n, chunk), group = std::min(scan_group_chunks, chunks);
  std::vector<RowMatrix<Acc>> state(static_cast<std::size_t>(group));
  std::vector<RowVector<Acc>> z(static_cast<std::size_t>(group));
  RowMatrix<Acc> carry = RowMatrix<Acc>::Zero(m, dv);
  RowVector<Acc> carry_z = RowVector<Acc>::Zero(m);
  for (Index g0 = 0; g0 < chunks; g0 += group) {
    const Index count = std::min(group, chunks - g0);
    auto rows = [&](Index g) {
      const Index k = reverse ? chunks - 1 - (g0 + g) : g0 + g;
      return std::pair<Index, Index>{k * chunk, std::min(chunk, n - k * chunk)};
    };
    parallel_for(Index{0}, count, num_threads, [&](Index g) {
      const auto [t0, len] = rows(g);
      own(t0, len, g, state[static_cast<std::size_t>(g)], z[static_cast<std::size_t>(g)]);
    });
    // Each chunk's own sum becomes the sum of the chunks before it.
    for (std::size_t s = 0; s < static_cast<std::size_t>(count); ++s) {
      state[s].swap(carry);
      carry += state[s];
      z[s].swap(carry_z);
      carry_z += z[s];
    }
    parallel_for_chunks(Index{0}, count, num_threads, [&](Index lo, Index hi, int) {
      Scratch scratch;
      for (Index g = lo; g < hi; ++g) {
        const auto [t0, len] = rows(g);
        use(t0, len, g, state[static_cast<std::size_t>(g)], z[static_cast<std::size_t>(g)],
            scratch);
      }
    });
  }
}

}  // namespace mlprim::detail

#endif  // MLPRIM_ATTENTION_DETAIL_CHUNK_SCAN_HPP
