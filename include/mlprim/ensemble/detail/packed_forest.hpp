// The trees of an ensemble packed into one flat node array for scoring.
#ifndef MLPRIM_ENSEMBLE_DETAIL_PACKED_FOREST_HPP
#define MLPRIM_ENSEMBLE_DETAIL_PACKED_FOREST_HPP

#include <cmath>
#include <cstdint>
#include <vector>

#include "mlprim/ensemble/tree.hpp"

namespace mlprim {
namespace detail {

/// 16 bytes per node, children as indices into the one array: four nodes
/// per cache line, no pointers to chase.
struct PackedNode {
  std::int32_t left;      ///< global index of the left child, -1 at a leaf
  std::int32_t right;     ///< global index of the right child
  std::uint32_t feature;  ///< split feature, top bit set = missing goes left
  float value;            ///< threshold, or the leaf's value
};

class PackedForest {
 public:
  static constexpr std::uint32_t kDefaultLeft = 0x80000000u;

  /// Packs validated trees (each root at its offset).
  void pack(const std::vector<RegressionTree>& trees) {
    nodes_.clear();
    roots_.clear();
    for (const RegressionTree& t : trees) {
      const auto base = static_cast<std::int32_t>(nodes_.size());
      roots_.push_back(base);
      for (Index i = 0; i < t.num_nodes(); ++i) {
        const auto u = static_cast<std::size_t>(i);
        const bool leaf = t.is_leaf(i);
        nodes_.push_back({leaf ? -1 : base + t.left_children[u],
                          leaf ? -1 : base + t.right_children[u],
                          static_cast<std::uint32_t>(t.split_indices[u]) |
                              (t.default_left[u] ? kDefaultLeft : 0u),
                          t.split_conditions[u]});
      }
    }
  }

  std::size_t num_trees() const { return roots_.size(); }

  /// Global index of the leaf of tree t that the row (floats, NaN = missing) reaches.
  std::int32_t leaf(std::size_t t, const float* row) const {
    std::int32_t i = roots_[t];
    const PackedNode* nodes = nodes_.data();
    while (nodes[i].left >= 0) {
      const PackedNode& n = nodes[i];
      const float x = row[n.feature & ~kDefaultLeft];
      const bool left = std::isnan(x) ? (n.feature & kDefaultLeft) != 0 : x < n.value;
      i = left ? n.left : n.right;
    }
    return i;
  }

  /// The leaf's index within its own tree.
  std::int32_t local(std::size_t t, std::int32_t global) const { return global - roots_[t]; }

  float value(std::int32_t global) const { return nodes_[static_cast<std::size_t>(global)].value; }

 private:
  std::vector<PackedNode> nodes_;
  std::vector<std::int32_t> roots_;
};

}  // namespace detail
}  // namespace mlprim

#endif  // MLPRIM_ENSEMBLE_DETAIL_PACKED_FOREST_HPP
