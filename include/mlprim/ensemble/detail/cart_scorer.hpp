// Scoring many CART trees at once (the forests' predict): a compact node
// layout with adjacent children and a branch-free step, walked by many rows
// interleaved, on AVX-512 gathers where the CPU has them.
#ifndef MLPRIM_ENSEMBLE_DETAIL_CART_SCORER_HPP
#define MLPRIM_ENSEMBLE_DETAIL_CART_SCORER_HPP

#include <algorithm>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "mlprim/core/config.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/ensemble/cart_tree.hpp"

#if MLPRIM_X86_DISPATCH
#include <immintrin.h>
#endif

namespace mlprim {
namespace detail {

/// CART trees renumbered so that every node's children are adjacent
/// (right = left + 1), in 8-byte nodes: `link = left << shift | feature`
/// and the threshold, node numbers local to their tree. A step is
/// `i = left[i] + (x[feature[i]] >= t[i])`, with no branch to mispredict. A
/// leaf points to itself with threshold +inf, so a row of finite floats
/// stays on it. Each leaf carries its output (class fractions, or the
/// value), k per leaf.
class CartScorer {
 public:
  /// Which walk add() runs: the fastest this CPU has, or the portable one.
  enum class Kernel { Best, Scalar };

  /// Packs `trees` (validated) over `p` features; outputs are the class
  /// weights normalised to fractions when `fractions`, else the values as
  /// they are. Packs nothing (num_trees() == 0) when a tree has more nodes
  /// than a link can number (2^(32 - bits of p - 1)).
  void pack(const std::vector<const CartTree*>& trees, Index k, bool fractions, Index p) {
    *this = CartScorer{};
    k_ = k;
    while ((Index{1} << shift_) < p) ++shift_;
    const std::uint64_t limit = std::uint64_t{1} << (32 - shift_);
    for (const CartTree* t : trees)
      if (static_cast<std::uint64_t>(t->num_nodes()) >= limit) return;
    for (const CartTree* t : trees) pack_tree(*t, fractions);
    begin_.push_back(nodes_.size());
  }

  /// Trees packed.
  std::size_t num_trees() const { return begin_.empty() ? 0 : begin_.size() - 1; }

  /// Whether Kernel::Best walks with AVX-512 gathers on this CPU.
  static bool has_avx512() {
#if MLPRIM_X86_DISPATCH
    static const bool yes = __builtin_cpu_supports("avx512f");
    return yes;
#else
    return false;
#endif
  }

  /// out[i * k + c] += output c of the leaf row i reaches, summed over
  /// trees [first, last) in order, for `count` rows (count x p floats,
  /// finite: clamp to +-FLT_MAX first). While one tree is walked, the next
  /// is prefetched; the walk records each row's leaf and the outputs are
  /// added after it, in one loop of independent loads.
  void add(const float* rows, Index count, Index p, std::size_t first, std::size_t last, double* out,
           Kernel kernel = Kernel::Best) const {
    // The vector walk addresses rows by 32-bit offsets.
    const Index chunk = std::max<Index>(1, std::numeric_limits<std::int32_t>::max() / std::max<Index>(p, 1) - 1);
    std::vector<std::uint32_t> reached(static_cast<std::size_t>(std::min(chunk, count)));
    for (Index begin = 0; begin < count; begin += chunk) {
      const Index len = std::min(chunk, count - begin);
      for (std::size_t t = first; t < last; ++t) {
#if MLPRIM_X86_DISPATCH
        if (kernel == Kernel::Best && has_avx512())
          walk_avx512(rows + begin * p, len, p, t, reached.data());
        else
#endif
          walk_scalar(rows + begin * p, len, p, t, reached.data());
        add_leaves(t, reached.data(), len, out + begin * k_);
      }
    }
  }

 private:
  struct Node {
    std::uint32_t link;  ///< left child << shift | split feature; a leaf: itself << shift
    float threshold;     ///< x < threshold goes left; +inf at a leaf
  };

  /// Depth-first, the left subtree first, each node's children numbered
  /// together when it is reached: subtrees stay contiguous.
  void pack_tree(const CartTree& t, bool fractions) {
    const std::size_t base = nodes_.size();
    begin_.push_back(base);
    const RegressionTree& s = t.nodes;
    nodes_.resize(base + static_cast<std::size_t>(t.num_nodes()));
    leaf_.resize(nodes_.size(), -1);
    std::vector<std::pair<std::int32_t, std::uint32_t>> stack = {{0, 0}};  // (old, new local)
    std::uint32_t free = 1;
    while (!stack.empty()) {
      const auto [old, at] = stack.back();
      stack.pop_back();
      const auto u = static_cast<std::size_t>(old);
      Node& n = nodes_[base + at];
      if (s.left_children[u] < 0) {
        n = {at << shift_, std::numeric_limits<float>::infinity()};
        leaf_[base + at] = static_cast<std::int32_t>(output_.size() / static_cast<std::size_t>(k_));
        const double* v = t.values(old);
        double total = 0;
        for (Index c = 0; c < k_; ++c) total += v[c];
        for (Index c = 0; c < k_; ++c) output_.push_back(fractions ? v[c] / total : v[c]);
        continue;
      }
      n = {free << shift_ | static_cast<std::uint32_t>(s.split_indices[u]), s.split_conditions[u]};
      stack.push_back({s.right_children[u], free + 1});
      stack.push_back({s.left_children[u], free});
      free += 2;
    }
  }

  /// out[i * k + c] += output c of leaf reached[i] of tree t, i < count.
  void add_leaves(std::size_t t, const std::uint32_t* reached, Index count, double* out) const {
    const std::int32_t* leaf = leaf_.data() + begin_[t];
    const auto k = static_cast<std::size_t>(k_);
    for (Index i = 0; i < count; ++i) {
      const double* v = output_.data() + static_cast<std::size_t>(leaf[reached[i]]) * k;
      double* o = out + static_cast<std::size_t>(i) * k;
      for (std::size_t c = 0; c < k; ++c) o[c] += v[c];
    }
  }

  /// Prefetches the next `lines` cache lines of tree t + 1 from `*at` on.
  void prefetch_next(std::size_t t, std::size_t* at, int lines) const {
    const std::size_t end = t + 2 < begin_.size() ? begin_[t + 2] : begin_.back();
    constexpr std::size_t per_line = 64 / sizeof(Node);
    for (int q = 0; q < lines && *at < end; ++q, *at += per_line) __builtin_prefetch(nodes_.data() + *at, 0, 2);
  }

  /// 16 walks interleaved, four steps between checks; a walk that has
  /// reached its leaf hands its lane to the next row, so a row costs its
  /// own depth (rounded up to four). reached[i]: the leaf of row i.
  MLPRIM_SCALAR_LOOPS void walk_scalar(const float* rows, Index count, Index p, std::size_t t,
                                       std::uint32_t* reached) const {
    constexpr int lanes = 16, steps = 4;
    const Node* nodes = nodes_.data() + begin_[t];
    const std::uint32_t mask = (1u << shift_) - 1;
    std::size_t fetch = begin_[t + 1];
    std::uint32_t at[lanes];
    Index row[lanes];
    const float* x[lanes];
    Index next = 0;
    int active = 0;
    for (int l = 0; l < lanes; ++l) {
      at[l] = 0;
      row[l] = next < count ? next++ : -1;
      x[l] = rows + (row[l] < 0 ? 0 : row[l]) * p;
      active += row[l] >= 0;
    }
    while (active > 0) {
      for (int s = 0; s < steps; ++s)
        MLPRIM_SCALAR_LOOP
        for (int l = 0; l < lanes; ++l) {
          const Node n = nodes[at[l]];
          at[l] = (n.link >> shift_) + (x[l][n.link & mask] >= n.threshold ? 1u : 0u);
        }
      prefetch_next(t, &fetch, 2);
      MLPRIM_SCALAR_LOOP
      for (int l = 0; l < lanes; ++l) {
        if (row[l] < 0 || (nodes[at[l]].link >> shift_) != at[l]) continue;
        reached[row[l]] = at[l];
        if (next < count) {
          row[l] = next++;
          x[l] = rows + row[l] * p;
          at[l] = 0;
        } else {
          row[l] = -1;
          --active;
        }
      }
    }
  }

#if MLPRIM_X86_DISPATCH
  /// The same walk on 4 x 16 lanes of AVX-512 gathers (link, threshold,
  /// then the row's feature); count * p < 2^31.
  MLPRIM_TARGET_AVX512 void walk_avx512(const float* rows, Index count, Index p, std::size_t t,
                                        std::uint32_t* reached) const {
    constexpr int groups = 4, lanes = 16 * groups, steps = 4;
    const Node* nodes = nodes_.data() + begin_[t];
    const void* links = &nodes->link;
    const void* thresholds = &nodes->threshold;
    std::size_t fetch = begin_[t + 1];
    alignas(64) std::int32_t at[lanes], offset[lanes];
    Index row[lanes];
    Index next = 0;
    int active = 0;
    for (int l = 0; l < lanes; ++l) {
      at[l] = 0;
      row[l] = next < count ? next++ : -1;
      offset[l] = static_cast<std::int32_t>((row[l] < 0 ? 0 : row[l]) * p);
      active += row[l] >= 0;
    }
    // The masked forms with a zero source: GCC 12 warns that the unmasked
    // ones read an undefined register (-Wmaybe-uninitialized).
    constexpr __mmask16 all = 0xFFFF;
    const __m512i zero = _mm512_setzero_si512(), one = _mm512_set1_epi32(1);
    const __m512i shift = _mm512_set1_epi32(shift_);
    const __m512i mask = _mm512_set1_epi32(static_cast<std::int32_t>((1u << shift_) - 1));
    while (active > 0) {
      __m512i node[groups], off[groups];
      __mmask16 leaf[groups];
      for (int g = 0; g < groups; ++g) {
        node[g] = _mm512_load_si512(at + 16 * g);
        off[g] = _mm512_load_si512(offset + 16 * g);
      }
      for (int s = 0; s < steps; ++s)
        for (int g = 0; g < groups; ++g) {
          const __m512i link = _mm512_mask_i32gather_epi32(zero, all, node[g], links, 8);
          const __m512 threshold = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), all, node[g], thresholds, 8);
          const __m512i left = _mm512_maskz_srlv_epi32(all, link, shift);
          const __m512i feature = _mm512_add_epi32(off[g], _mm512_and_si512(link, mask));
          const __m512 x = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), all, feature, rows, 4);
          leaf[g] = _mm512_cmpeq_epi32_mask(left, node[g]);
          node[g] = _mm512_mask_add_epi32(left, _mm512_cmp_ps_mask(x, threshold, _CMP_GE_OQ), left, one);
        }
      for (int g = 0; g < groups; ++g) _mm512_store_si512(at + 16 * g, node[g]);
      prefetch_next(t, &fetch, 1);
      for (int g = 0; g < groups; ++g)
        for (unsigned m = leaf[g]; m != 0; m &= m - 1) {
          const int l = 16 * g + __builtin_ctz(m);
          if (row[l] < 0) continue;
          reached[row[l]] = static_cast<std::uint32_t>(at[l]);
          if (next < count) {
            row[l] = next++;
            offset[l] = static_cast<std::int32_t>(row[l] * p);
            at[l] = 0;
          } else {
            row[l] = -1;
            --active;
          }
        }
    }
  }
#endif

  std::vector<Node> nodes_;
  std::vector<std::size_t> begin_;  ///< first node of each tree, then the end
  std::vector<std::int32_t> leaf_;  ///< per node: its leaf number (-1 inside)
  std::vector<double> output_;      ///< k per leaf
  Index k_ = 1;
  int shift_ = 0;  ///< bits of the feature in a link
};

}  // namespace detail
}  // namespace mlprim

#endif  // MLPRIM_ENSEMBLE_DETAIL_CART_SCORER_HPP
