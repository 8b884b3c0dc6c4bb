// The trees of an ensemble packed into one flat node array for scoring.
#ifndef MLPRIM_ENSEMBLE_DETAIL_PACKED_FOREST_HPP
#define MLPRIM_ENSEMBLE_DETAIL_PACKED_FOREST_HPP

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "mlprim/ensemble/tree.hpp"

namespace mlprim {
namespace detail {

/// 16 bytes per node, children as indices into the one array: four nodes
/// per cache line, no pointers to chase. A leaf is its own two children, so
/// that a walk of a fixed number of steps (the tree's depth) ends on it.
struct PackedNode {
  std::int32_t left;      ///< global index of the left child (a leaf: itself)
  std::int32_t right;     ///< global index of the right child (a leaf: itself)
  std::uint32_t feature;  ///< split feature | kDefaultLeft | kCategorical
  float value;            ///< threshold, the leaf's value, or (categorical) a set index
};

class PackedForest {
 public:
  static constexpr std::uint32_t kDefaultLeft = 0x80000000u;
  static constexpr std::uint32_t kCategorical = 0x40000000u;
  static constexpr std::uint32_t kFeature = 0x3FFFFFFFu;

  /// Packs validated trees (each root at its offset).
  void pack(const std::vector<RegressionTree>& trees) {
    nodes_.clear();
    roots_.clear();
    depths_.clear();
    sets_.clear();
    set_values_.clear();
    for (const RegressionTree& t : trees) {
      const auto base = static_cast<std::int32_t>(nodes_.size());
      roots_.push_back(base);
      std::vector<int> depth(static_cast<std::size_t>(t.num_nodes()), 0);
      int deepest = 0;
      for (Index i = 0; i < t.num_nodes(); ++i) {
        const auto u = static_cast<std::size_t>(i);
        const auto self = base + static_cast<std::int32_t>(i);
        const bool leaf = t.is_leaf(i);
        float value = t.split_conditions[u];
        std::uint32_t feature = leaf ? 0u
                                     : static_cast<std::uint32_t>(t.split_indices[u]) |
                                           (t.default_left[u] ? kDefaultLeft : 0u);
        if (!leaf && t.split_type[u] != 0) {
          const auto set = static_cast<std::uint32_t>(sets_.size());
          sets_.push_back({static_cast<std::uint32_t>(set_values_.size()), t.category_sizes[u]});
          const auto* first = t.categories.data() + t.category_segments[u];
          set_values_.insert(set_values_.end(), first, first + t.category_sizes[u]);
          std::memcpy(&value, &set, sizeof value);
          feature |= kCategorical;
        }
        nodes_.push_back({leaf ? self : base + t.left_children[u],
                          leaf ? self : base + t.right_children[u], feature, value});
      }
      // Depth by walking from the root (validated trees are acyclic).
      std::vector<std::int32_t> stack = {0};
      while (!stack.empty()) {
        const auto u = static_cast<std::size_t>(stack.back());
        stack.pop_back();
        deepest = std::max(deepest, depth[u]);
        if (t.left_children[u] < 0) continue;
        for (std::int32_t c : {t.left_children[u], t.right_children[u]}) {
          depth[static_cast<std::size_t>(c)] = depth[u] + 1;
          stack.push_back(c);
        }
      }
      depths_.push_back(deepest);
    }
  }

  std::size_t num_trees() const { return roots_.size(); }

  /// One step from node i for a row (floats, NaN = missing). Without
  /// `Categorical` the node must be numeric: the step is then a few
  /// conditional moves that eight interleaved walks overlap.
  template <bool Categorical = true>
  std::int32_t step(std::int32_t i, const float* row) const {
    const PackedNode& n = nodes_[static_cast<std::size_t>(i)];
    const float x = row[n.feature & kFeature];
    const bool default_left = (n.feature & kDefaultLeft) != 0;
    if (Categorical && (n.feature & kCategorical) != 0) {
      std::uint32_t set;
      std::memcpy(&set, &n.value, sizeof set);
      const auto [begin, size] = sets_[set];
      return category_goes_left(set_values_.data() + begin, size, x, default_left) ? n.left
                                                                                   : n.right;
    }
    const bool left = std::isnan(x) ? default_left : x < n.value;
    return left ? n.left : n.right;
  }

  /// Global index of the leaf of tree t that the row reaches.
  std::int32_t leaf(std::size_t t, const float* row) const {
    std::int32_t i = roots_[t];
    for (int d = 0; d < depths_[t]; ++d) i = step(i, row);
    return i;
  }

  /// The leaf's index within its own tree.
  std::int32_t local(std::size_t t, std::int32_t global) const { return global - roots_[t]; }

  float value(std::int32_t global) const { return nodes_[static_cast<std::size_t>(global)].value; }

  /// out[i * k + groups[t]] += leaf value of tree t, for the `count` rows
  /// of `rows` (count x p floats) and every tree. Eight rows walk a tree
  /// together, step by step, so that their loads overlap.
  void add_margins(const float* rows, Index count, Index p, const std::vector<int>& groups, Index k,
                   double* out) const {
    if (sets_.empty())
      add_margins_of<false>(rows, count, p, groups, k, out);
    else
      add_margins_of<true>(rows, count, p, groups, k, out);
  }

 private:
  template <bool Categorical>
  void add_margins_of(const float* rows, Index count, Index p, const std::vector<int>& groups,
                      Index k, double* out) const {
    constexpr Index lanes = 8;
    for (std::size_t t = 0; t < roots_.size(); ++t) {
      const auto g = static_cast<Index>(groups[t]);
      for (Index r0 = 0; r0 < count; r0 += lanes) {
        const float* row[lanes];
        std::int32_t at[lanes];
        for (Index l = 0; l < lanes; ++l) {
          row[l] = rows + std::min(r0 + l, count - 1) * p;
          at[l] = roots_[t];
        }
        for (int d = 0; d < depths_[t]; ++d)
          for (Index l = 0; l < lanes; ++l) at[l] = step<Categorical>(at[l], row[l]);
        for (Index l = 0; l < lanes && r0 + l < count; ++l)
          out[(r0 + l) * k + g] += nodes_[static_cast<std::size_t>(at[l])].value;
      }
    }
  }

  std::vector<PackedNode> nodes_;
  std::vector<std::int32_t> roots_;
  std::vector<int> depths_;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> sets_;  ///< (first, size) in set_values_
  std::vector<std::int32_t> set_values_;
};

}  // namespace detail
}  // namespace mlprim

#endif  // MLPRIM_ENSEMBLE_DETAIL_PACKED_FOREST_HPP
