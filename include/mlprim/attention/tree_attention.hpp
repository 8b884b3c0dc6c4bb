// Tree attention for speculative decoding (Medusa, Cai et al. 2024;
// SpecInfer, Miao et al. 2024): many candidate continuations, drafted as a
// tree of tokens, are verified by the target model in one forward pass.
// The candidates are appended to the KV cache after the last accepted
// token, and candidate i attends to the whole cache before the candidates
// plus its own ancestors and itself, so that each row computes exactly what
// decoding its root-to-leaf path alone would.
//
// The tree is a parent array in topological order: parents[i] < i, or -1
// for a child of the last accepted token. Candidate i sits at position
// prefix + depth(i) of its path (prefix = cache tokens before the
// candidates, depth 0 for the children of the last accepted token): the
// position to give rotary embeddings.
#ifndef MLPRIM_ATTENTION_TREE_ATTENTION_HPP
#define MLPRIM_ATTENTION_TREE_ATTENTION_HPP

#include <limits>
#include <utility>
#include <vector>

#include "mlprim/attention/decode.hpp"
#include "mlprim/attention/options.hpp"
#include "mlprim/core/error.hpp"
#include "mlprim/core/types.hpp"

namespace mlprim {

/// Who sees whom among the candidates of a draft tree (see the header
/// comment): row i sees candidate j when j is i or one of its ancestors.
class TreeAttentionMask {
 public:
  /// The mask of the tree given by `parents` (parents[i] in [-1, i)).
  /// Throws std::invalid_argument naming the first entry that breaks the
  /// order.
  explicit TreeAttentionMask(std::vector<Index> parents) : parents_(std::move(parents)) {
    depths_.resize(parents_.size());
    for (std::size_t i = 0; i < parents_.size(); ++i) {
      const Index p = parents_[i];
      if (p < -1 || p >= static_cast<Index>(i))
        throw_invalid_argument("tree_attention_mask", "parents[", i, "] = ", p,
                               " must be -1 or an earlier candidate in [0, ", i,
                               ") (a forest in topological order)");
      depths_[i] = p < 0 ? 0 : depths_[static_cast<std::size_t>(p)] + 1;
    }
  }

  /// Candidates in the tree.
  Index size() const { return static_cast<Index>(parents_.size()); }
  /// The parent array.
  const std::vector<Index>& parents() const { return parents_; }
  /// Ancestors of each candidate (0 for a child of the last accepted token).
  const std::vector<Index>& depths() const { return depths_; }
  /// Whether candidate i attends to candidate j (j is i or an ancestor).
  bool sees(Index i, Index j) const {
    while (i > j) i = parents_[static_cast<std::size_t>(i)];
    return i == j;
  }
  /// The candidates of the path from the root to `node`, root first.
  std::vector<Index> path(Index node) const {
    if (node < 0 || node >= size())
      throw_invalid_argument("TreeAttentionMask::path", "node = ", node, " is outside [0, ", size(),
                             ")");
    std::vector<Index> nodes(static_cast<std::size_t>(depths_[static_cast<std::size_t>(node)] + 1));
    for (auto at = nodes.rbegin(); at != nodes.rend(); ++at) {
      *at = node;
      node = parents_[static_cast<std::size_t>(node)];
    }
    return nodes;
  }

 private:
  std::vector<Index> parents_, depths_;
};

/// The attention mask of a candidate tree given as a parent array
/// (parents[i] < i, -1 for children of the last accepted token).
inline TreeAttentionMask tree_attention_mask(std::vector<Index> parents) {
  return TreeAttentionMask(std::move(parents));
}

/// attention_decode of a block of tree candidates: q_new holds one row per
/// candidate (t = tree.size() rows, laid out [heads_q, dim]) and the cache's
/// last t tokens of `layer` are the candidates in the same order. Row i
/// attends to the cache before the candidates and to the candidates that
/// tree.sees(i, j); the result equals decoding each root-to-leaf path on
/// its own (causal over the path). Options as attention_decode, with the
/// tree's mask added to a given bias (t x cache tokens); causal is implied
/// (and harmless). Windows, ALiBi and sparsity patterns are laid out by row
/// position, which a tree does not have: they are rejected.
template <class DQ, class T>
DecodeOutput<T> attention_decode(const Eigen::MatrixBase<DQ>& q_new, const KVCache<T>& cache,
                                 const TreeAttentionMask& tree,
                                 const BatchedAttentionOptions& options = {}, Index layer = 0) {
  const char* fn = "attention_decode";
  const Index t = tree.size(), n = cache.size(layer);
  if (q_new.rows() != t)
    throw_invalid_argument(fn, "q_new has ", q_new.rows(), " rows, the tree ", t, " candidates");
  if (t > n)
    throw_invalid_argument(fn, "the tree has ", t, " candidates, the cache only ", n,
                           " tokens (append the candidates first)");
  if (options.window_left >= 0 || options.window_right >= 0)
    throw_invalid_argument(fn, "window_left = ", options.window_left,
                           ", window_right = ", options.window_right,
                           ": windows need row positions, which tree candidates do not have");
  if (options.sparsity || !options.sparsities.empty())
    throw_invalid_argument(fn,
                           "a sparsity pattern needs row positions, which tree candidates do "
                           "not have (pass the pattern's scores as the bias)");
  if (options.alibi_slope != 0 || !options.alibi_slopes.empty())
    throw_invalid_argument(fn, "ALiBi needs row positions, which tree candidates do not have");
  if (!options.bias.empty() && (options.bias.rows() != t || options.bias.cols() != n))
    throw_invalid_argument(fn, "bias is ", options.bias.rows(), " x ", options.bias.cols(),
                           ", the scores ", t, " x ", n);
  const Index prefix = n - t;
  if (options.bias.empty()) {  // the tree's mask over its own t keys; the prefix scores plainly
    RowMatrix<double> tail(t, t);
    for (Index i = 0; i < t; ++i)
      for (Index j = 0; j < t; ++j)
        tail(i, j) = tree.sees(i, j) ? 0.0 : -std::numeric_limits<double>::infinity();
    return detail::decode_rows(q_new, cache, options, layer, AttentionBias(tail));
  }
  RowMatrix<double> bias(t, n);
  for (Index i = 0; i < t; ++i)
    for (Index j = 0; j < n; ++j) {
      const bool seen = j < prefix || tree.sees(i, j - prefix);
      bias(i, j) = seen ? options.bias(i, j) : -std::numeric_limits<double>::infinity();
    }
  BatchedAttentionOptions with_tree = options;
  with_tree.bias = bias;
  return attention_decode(q_new, cache, with_tree, layer);
}

}  // namespace mlprim

#endif  // MLPRIM_ATTENTION_TREE_ATTENTION_HPP
