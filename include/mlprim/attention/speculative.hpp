// Acceptance rules of speculative decoding: which drafted tokens the target
// model keeps after scoring them all in one pass.
//
// - typical_acceptance: Medusa's rule (Cai et al. 2024, "Medusa: Simple LLM
//   Inference Acceleration Framework with Multiple Decoding Heads", 2.3.1)
//   over a tree of candidates: a token x drafted after node u is accepted
//   when p_u(x) > min(epsilon, delta exp(-H(p_u))), p_u the target's
//   (tempered) distribution after u and H its entropy; the first token is
//   taken greedily. Fast, but the output is not distributed exactly as the
//   target's.
// - speculative_accept: speculative sampling (Leviathan et al. 2023, "Fast
//   Inference from Transformers via Speculative Decoding"; Chen et al. 2023),
//   whose output is distributed exactly as sampling the target token by
//   token.
//
// Distributions are rows of probabilities over a vocabulary of V tokens:
// finite, >= 0, each row summing to 1 within 1e-4.
#ifndef MLPRIM_ATTENTION_SPECULATIVE_HPP
#define MLPRIM_ATTENTION_SPECULATIVE_HPP

#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "mlprim/attention/tree_attention.hpp"
#include "mlprim/core/error.hpp"
#include "mlprim/core/random.hpp"
#include "mlprim/core/types.hpp"

namespace mlprim {

/// A draft tree: the structure (TreeAttentionMask, also what
/// attention_decode takes) and the token drafted at each candidate.
struct CandidateTree {
  /// Candidate i drafts tokens[i] after its parent parents[i] (-1: after the
  /// last accepted token). Throws std::invalid_argument when the sizes
  /// differ, a token is negative, or parents is not a forest in topological
  /// order.
  CandidateTree(std::vector<Index> parents, std::vector<Index> draft_tokens)
      : mask(std::move(parents)), tokens(std::move(draft_tokens)) {
    if (static_cast<Index>(tokens.size()) != mask.size())
      throw_invalid_argument("CandidateTree", "tokens has ", tokens.size(), " entries, parents ",
                             mask.size());
    for (std::size_t i = 0; i < tokens.size(); ++i)
      if (tokens[i] < 0)
        throw_invalid_argument("CandidateTree", "tokens[", i, "] = ", tokens[i], " is negative");
  }
  TreeAttentionMask mask;     ///< the tree's structure
  std::vector<Index> tokens;  ///< the token drafted at each candidate
};

/// Medusa's typical-acceptance thresholds: accept x when
/// p(x) > min(posterior_threshold, posterior_alpha * exp(-H(p))).
struct TypicalOptions {
  double posterior_threshold = 0.09;  ///< epsilon, the hard threshold (>= 0)
  double posterior_alpha = 0.3;       ///< delta, the entropy-scaled one (>= 0)
  /// The target's distributions are tempered to p^(1/T) / sum p^(1/T)
  /// (softmax(logits / T)); 0 = greedy: accept exactly the argmax.
  double temperature = 1;
};

/// The accepted path of a draft tree.
struct AcceptedPath {
  std::vector<Index> nodes;   ///< accepted candidates, root first (may be empty)
  std::vector<Index> tokens;  ///< their tokens, then the target's greedy next token
  Index length = 0;           ///< nodes.size(): drafted tokens kept
};

/// Result of speculative_accept.
struct SpeculativeResult {
  Index accepted = 0;  ///< drafted tokens kept (0..gamma)
  /// The kept drafts, then one token from the target: resampled where the
  /// first draft was rejected, or drawn from its last row when all were kept.
  std::vector<Index> tokens;
};

namespace detail {

/// Throws unless every row of `p` (argument `name`) is a distribution.
template <class Derived>
void check_distributions(const char* fn, const char* name, const Eigen::MatrixBase<Derived>& p) {
  for (Index i = 0; i < p.rows(); ++i) {
    double sum = 0;
    for (Index v = 0; v < p.cols(); ++v) {
      const double x = static_cast<double>(p(i, v));
      if (!(x >= 0) || !std::isfinite(x))
        throw_invalid_argument(fn, name, "(", i, ", ", v, ") = ", x,
                               " is not a probability (finite, >= 0)");
      sum += x;
    }
    if (!(std::abs(sum - 1) <= 1e-4))
      throw_invalid_argument(fn, name, " row ", i, " sums to ", sum, ", not 1 (within 1e-4)");
  }
}

/// The first index of the largest entry of row i.
template <class Derived>
Index argmax_row(const Eigen::MatrixBase<Derived>& p, Index i) {
  Index best = 0;
  for (Index v = 1; v < p.cols(); ++v)
    if (p(i, v) > p(i, best)) best = v;
  return best;
}

/// A token drawn from weights w (>= 0, summing to `total` > 0) by one
/// uniform draw; the last token of positive weight if rounding runs past.
template <class Weight>
Index draw_token(Index size, const Weight& w, double total, Rng& rng) {
  const double target = rng.uniform<double>() * total;
  double run = 0;
  Index last = 0;
  for (Index v = 0; v < size; ++v) {
    const double x = w(v);
    if (!(x > 0)) continue;
    run += x;
    last = v;
    if (target < run) return v;
  }
  return last;
}

/// A token drawn from row i of the distributions p.
template <class Derived>
Index draw_from_row(const Eigen::MatrixBase<Derived>& p, Index i, Rng& rng) {
  const auto weight = [&](Index v) { return static_cast<double>(p(i, v)); };
  double total = 0;
  for (Index v = 0; v < p.cols(); ++v) total += weight(v);
  return draw_token(p.cols(), weight, total, rng);
}

}  // namespace detail

/// Medusa's typical acceptance over a draft tree (see the header comment).
/// probs has tree.mask.size() + 1 rows over the vocabulary: row 0 is the
/// target's distribution after the last accepted token, row i + 1 after
/// candidate i. Candidates of depth 0 are accepted when they are the
/// greedy choice (the first token is always taken greedily), deeper ones
/// by p(x) > min(posterior_threshold, posterior_alpha exp(-H(p))) on their
/// parent's tempered distribution, with the exact entropy H = -sum p log p
/// (Medusa's code adds 1e-5 inside the logarithm). The longest path whose
/// candidates are all accepted wins; among equally long ones the largest
/// likelihood sum log p(x) (as Medusa), then the smallest node index. The
/// returned tokens end with the greedy choice after the path, so each call
/// yields at least one token. Throws std::invalid_argument for a wrong
/// shape, a token outside the vocabulary, rows that are not distributions,
/// or negative or non-finite options.
template <class Derived>
AcceptedPath typical_acceptance(const Eigen::MatrixBase<Derived>& probs,
                                const CandidateTree& candidates,
                                const TypicalOptions& options = {}) {
  const char* fn = "typical_acceptance";
  const auto& tree = candidates.mask;
  const Index t = tree.size(), vocab = probs.cols();
  if (probs.rows() != t + 1)
    throw_invalid_argument(fn, "probs has ", probs.rows(), " rows, the tree ", t,
                           " candidates (+ 1 for the last accepted token)");
  check_positive(fn, "probs.cols() (the vocabulary)", vocab);
  check_finite(fn, "posterior_threshold", options.posterior_threshold);
  check_finite(fn, "posterior_alpha", options.posterior_alpha);
  check_finite(fn, "temperature", options.temperature);
  check_non_negative(fn, "posterior_threshold", options.posterior_threshold);
  check_non_negative(fn, "posterior_alpha", options.posterior_alpha);
  check_non_negative(fn, "temperature", options.temperature);
  detail::check_distributions(fn, "probs", probs);
  for (Index i = 0; i < t; ++i)
    if (candidates.tokens[static_cast<std::size_t>(i)] >= vocab)
      throw_invalid_argument(fn, "tokens[", i,
                             "] = ", candidates.tokens[static_cast<std::size_t>(i)],
                             " is outside the vocabulary [0, ", vocab, ")");
  const bool greedy = options.temperature == 0;
  // Per row, on first use (only rows after an accepted candidate are read):
  // the tempered distribution and its acceptance threshold.
  RowMatrix<double> tempered(t + 1, greedy ? 0 : vocab);
  std::vector<double> threshold(static_cast<std::size_t>(t + 1));
  std::vector<char> prepared(static_cast<std::size_t>(t + 1));
  auto prepare = [&](Index r) {
    if (prepared[static_cast<std::size_t>(r)]) return;
    prepared[static_cast<std::size_t>(r)] = 1;
    const double top = std::log(static_cast<double>(probs.row(r).maxCoeff()));
    double sum = 0;
    for (Index v = 0; v < vocab; ++v) {
      const double p = static_cast<double>(probs(r, v));
      sum += tempered(r, v) = p > 0 ? std::exp((std::log(p) - top) / options.temperature) : 0.0;
    }
    double entropy = 0;
    for (Index v = 0; v < vocab; ++v) {
      const double w = tempered(r, v) /= sum;
      if (w > 0) entropy -= w * std::log(w);
    }
    threshold[static_cast<std::size_t>(r)] =
        std::min(options.posterior_threshold, options.posterior_alpha * std::exp(-entropy));
  };
  // ok[i]: every candidate from the root to i is accepted; score: its likelihood.
  std::vector<char> ok(static_cast<std::size_t>(t));
  std::vector<double> likelihood(static_cast<std::size_t>(t));
  Index best = -1;
  for (Index i = 0; i < t; ++i) {
    const auto u = static_cast<std::size_t>(i);
    const Index parent = tree.parents()[u], row = parent + 1, x = candidates.tokens[u];
    if (parent >= 0 && !ok[static_cast<std::size_t>(parent)]) continue;
    if (!greedy) prepare(row);
    const bool accepted = greedy || parent < 0
                              ? x == detail::argmax_row(probs, row)
                              : tempered(row, x) > threshold[static_cast<std::size_t>(row)];
    if (!accepted) continue;
    ok[u] = 1;
    const double p = greedy ? static_cast<double>(probs(row, x)) : tempered(row, x);
    likelihood[u] =
        std::log(p) + (parent >= 0 ? likelihood[static_cast<std::size_t>(parent)] : 0.0);
    if (best < 0) {
      best = i;
      continue;
    }
    const Index depth = tree.depths()[u],
                best_depth = tree.depths()[static_cast<std::size_t>(best)];
    if (depth > best_depth ||
        (depth == best_depth && likelihood[u] > likelihood[static_cast<std::size_t>(best)]))
      best = i;
  }
  AcceptedPath result;
  if (best >= 0) result.nodes = tree.path(best);
  for (const Index node : result.nodes)
    result.tokens.push_back(candidates.tokens[static_cast<std::size_t>(node)]);
  result.tokens.push_back(detail::argmax_row(probs, best + 1));
  result.length = static_cast<Index>(result.nodes.size());
  return result;
}

/// Speculative sampling (Leviathan et al. 2023, Algorithm 1; Chen et al.
/// 2023): for i = 0, 1, ..., the draft token x_i (drawn by the draft model
/// from q_i = draft_probs row i) is kept with probability
/// min(1, p_i(x_i) / q_i(x_i)), p_i = target_probs row i; at the first
/// rejection a token is drawn from norm(max(0, p_i - q_i)) and the step
/// ends; when all gamma drafts are kept one more is drawn from p_gamma.
/// The tokens returned are distributed exactly as sampling the target model
/// token by token. target_probs is (gamma + 1) x V, draft_probs gamma x V.
/// Throws std::invalid_argument for wrong shapes, rows that are not
/// distributions, tokens outside [0, V), or a draft token its own
/// distribution gives probability 0 (the draft could not have drawn it).
template <class DP, class DQ>
SpeculativeResult speculative_accept(const Eigen::MatrixBase<DP>& target_probs,
                                     const Eigen::MatrixBase<DQ>& draft_probs,
                                     const std::vector<Index>& draft_tokens, Rng& rng) {
  const char* fn = "speculative_accept";
  const Index gamma = static_cast<Index>(draft_tokens.size()), vocab = target_probs.cols();
  if (draft_probs.rows() != gamma || target_probs.rows() != gamma + 1)
    throw_invalid_argument(fn, "draft_probs has ", draft_probs.rows(), " rows and target_probs ",
                           target_probs.rows(), " for ", gamma,
                           " draft tokens (gamma and gamma + 1 wanted)");
  check_positive(fn, "target_probs.cols() (the vocabulary)", vocab);
  if (draft_probs.cols() != vocab)
    throw_invalid_argument(fn, "draft_probs has ", draft_probs.cols(), " columns, target_probs ",
                           vocab);
  detail::check_distributions(fn, "target_probs", target_probs);
  detail::check_distributions(fn, "draft_probs", draft_probs);
  for (Index i = 0; i < gamma; ++i) {
    const Index x = draft_tokens[static_cast<std::size_t>(i)];
    if (x < 0 || x >= vocab)
      throw_invalid_argument(fn, "draft_tokens[", i, "] = ", x, " is outside [0, ", vocab, ")");
    if (!(draft_probs(i, x) > 0))
      throw_invalid_argument(fn, "draft_tokens[", i, "] = ", x,
                             " has draft probability 0: the draft could not have drawn it");
  }
  SpeculativeResult result;
  for (Index i = 0; i < gamma; ++i) {
    const Index x = draft_tokens[static_cast<std::size_t>(i)];
    const double p = static_cast<double>(target_probs(i, x)),
                 q = static_cast<double>(draft_probs(i, x));
    if (rng.uniform<double>() * q < p) {  // u < p / q without dividing
      result.tokens.push_back(x);
      ++result.accepted;
      continue;
    }
    auto residual = [&](Index v) {
      return std::max(
          0.0, static_cast<double>(target_probs(i, v)) - static_cast<double>(draft_probs(i, v)));
    };
    double total = 0;
    for (Index v = 0; v < vocab; ++v) total += residual(v);
    // p(x) < q(x) forces some p(v) > q(v); only rounding can leave nothing.
    result.tokens.push_back(total > 0 ? detail::draw_token(vocab, residual, total, rng)
                                      : detail::draw_from_row(target_probs, i, rng));
    return result;
  }
  result.tokens.push_back(detail::draw_from_row(target_probs, gamma, rng));
  return result;
}

/// speculative_accept with a generator seeded by `seed`.
template <class DP, class DQ>
SpeculativeResult speculative_accept(const Eigen::MatrixBase<DP>& target_probs,
                                     const Eigen::MatrixBase<DQ>& draft_probs,
                                     const std::vector<Index>& draft_tokens, std::uint64_t seed) {
  Rng rng(seed);
  return speculative_accept(target_probs, draft_probs, draft_tokens, rng);
}

}  // namespace mlprim

#endif  // MLPRIM_ATTENTION_SPECULATIVE_HPP
