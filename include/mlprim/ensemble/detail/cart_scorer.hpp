// Scoring many CART trees at once (the forests' predict): a compact node
// layout with adjacent children and a branch-free step, walked by many rows
// interleaved.
#ifndef MLPRIM_ENSEMBLE_DETAIL_CART_SCORER_HPP
#define MLPRIM_ENSEMBLE_DETAIL_CART_SCORER_HPP

#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "mlprim/core/config.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/ensemble/cart_tree.hpp"

namespace mlprim {
namespace detail {

/// CART trees renumbered so that every node's children are adjacent
/// (right = left + 1): a step is `i = left[i] + (x[feature[i]] >= t[i])`,
/// with no branch to mispredict. A leaf points to itself with threshold
/// +inf, so a finite row stays on it. Each leaf carries its output (class
/// fractions, or the value), k per leaf.
class CartScorer {
 public:
  /// Packs `trees` (validated); outputs are the class weights normalised
  /// to fractions when `fractions`, else the values as they are.
  void pack(const std::vector<const CartTree*>& trees, Index k, bool fractions) {
    nodes_.clear();
    leaf_.clear();
    output_.clear();
    roots_.clear();
    k_ = k;
    for (const CartTree* t : trees) {
      const auto base = static_cast<std::int32_t>(nodes_.size());
      roots_.push_back(base);
      const RegressionTree& s = t->nodes;
      // Depth-first, the left subtree first, each node's children numbered
      // together when it is reached: subtrees stay contiguous.
      nodes_.resize(nodes_.size() + static_cast<std::size_t>(t->num_nodes()));
      leaf_.resize(nodes_.size(), -1);
      std::vector<std::pair<std::int32_t, std::int32_t>> stack = {{0, base}};  // (old, new)
      std::int32_t free = base + 1;
      while (!stack.empty()) {
        const auto [old, at] = stack.back();
        stack.pop_back();
        const auto u = static_cast<std::size_t>(old);
        if (s.left_children[u] < 0) {
          nodes_[static_cast<std::size_t>(at)] = {at, 0, std::numeric_limits<float>::infinity()};
          leaf_[static_cast<std::size_t>(at)] =
              static_cast<std::int32_t>(output_.size() / static_cast<std::size_t>(k));
          const double* v = t->values(old);
          double total = 0;
          for (Index c = 0; c < k; ++c) total += v[c];
          for (Index c = 0; c < k; ++c) output_.push_back(fractions ? v[c] / total : v[c]);
          continue;
        }
        nodes_[static_cast<std::size_t>(at)] = {free, s.split_indices[u], s.split_conditions[u]};
        stack.push_back({s.right_children[u], free + 1});
        stack.push_back({s.left_children[u], free});
        free += 2;
      }
    }
  }

  /// Trees packed.
  std::size_t num_trees() const { return roots_.size(); }

  /// out[i * k + c] += output c of the leaf row i reaches, summed over
  /// trees [first, last) in order, for `count` rows (count x p finite
  /// floats). 32 walks run interleaved, two steps between checks; a walk
  /// that has reached its leaf hands its lane to the next row, so a row
  /// costs its own depth.
  MLPRIM_SCALAR_LOOPS void add(const float* rows, Index count, Index p, std::size_t first,
                               std::size_t last, double* out) const {
    constexpr int lanes = 32;
    const Node* nodes = nodes_.data();
    for (std::size_t t = first; t < last; ++t) {
      const std::int32_t root = roots_[t];
      std::int32_t at[lanes];
      Index row[lanes];
      const float* x[lanes];
      Index next = 0;
      int active = 0;
      for (int l = 0; l < lanes; ++l) {
        at[l] = root;
        row[l] = next < count ? next++ : -1;
        x[l] = rows + (row[l] < 0 ? 0 : row[l]) * p;
        active += row[l] >= 0;
      }
      while (active > 0) {
        for (int s = 0; s < 2; ++s)
          MLPRIM_SCALAR_LOOP
          for (int l = 0; l < lanes; ++l) {
            const Node& n = nodes[at[l]];
            at[l] = n.left + (x[l][n.feature] >= n.threshold ? 1 : 0);
          }
        MLPRIM_SCALAR_LOOP
        for (int l = 0; l < lanes; ++l) {
          if (row[l] < 0 || nodes[at[l]].left != at[l]) continue;
          const double* v = output_.data() + static_cast<std::size_t>(leaf_[static_cast<std::size_t>(at[l])]) *
                                                 static_cast<std::size_t>(k_);
          for (Index c = 0; c < k_; ++c) out[row[l] * k_ + c] += v[c];
          if (next < count) {
            row[l] = next++;
            x[l] = rows + row[l] * p;
            at[l] = root;
          } else {
            row[l] = -1;
            --active;
          }
        }
      }
    }
  }

 private:
  struct Node {
    std::int32_t left;      ///< left child (the right one is left + 1); a leaf: itself
    std::int32_t feature;   ///< split feature (0 at a leaf)
    float threshold;        ///< x < threshold goes left; +inf at a leaf
  };

  std::vector<Node> nodes_;
  std::vector<std::int32_t> leaf_;  ///< per node: its leaf number (-1 inside)
  std::vector<double> output_;      ///< k per leaf
  std::vector<std::int32_t> roots_;
  Index k_ = 1;
};

}  // namespace detail
}  // namespace mlprim

#endif  // MLPRIM_ENSEMBLE_DETAIL_CART_SCORER_HPP
