// Rotary position embeddings (RoPE; Su et al., "RoFormer", 2021), applied in
// place to queries or keys before attention.
//
// For a row x at position t and pair p = 0 .. d/2 - 1, with
// theta_p = base^(-2 p / d) and a = t theta_p:
//   (x1, x2) <- (x1 cos a - x2 sin a,  x2 cos a + x1 sin a)
// where the pair is (x[2p], x[2p + 1]) when interleaved (GPT-J, the paper)
// and (x[p], x[p + d/2]) in the half-split layout (GPT-NeoX, LLaMA in Hugging
// Face transformers). Angles are computed in double.
#ifndef MLPRIM_ATTENTION_ROTARY_HPP
#define MLPRIM_ATTENTION_ROTARY_HPP

#include <cmath>
#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/core/parallel.hpp"
#include "mlprim/core/types.hpp"

namespace mlprim {

/// RoPE options; defaults are the paper's and LLaMA's base with the
/// half-split layout of Hugging Face transformers.
struct RotaryOptions {
  double base = 10000;       ///< theta_p = base^(-2p/d), > 0
  bool interleaved = false;  ///< pairs (2p, 2p+1) instead of (p, p + d/2)
  int num_threads = 0;       ///< threads over rows (0 = all)
};

/// Rotates every row i of X (N x d, d even) by its position positions[i]
/// (any offsets, e.g. a decoding step's absolute positions). O(N d), in
/// parallel over rows.
template <class Derived>
void apply_rotary(Eigen::MatrixBase<Derived>& X, const std::vector<Index>& positions,
                  const RotaryOptions& options = {}) {
  const char* fn = "apply_rotary";
  const Index n = X.rows(), d = X.cols();
  if (d % 2 != 0) throw_invalid_argument(fn, "X.cols() = ", d, " must be even");
  check_positive(fn, "base", options.base);
  check_finite(fn, "base", options.base);
  if (static_cast<Index>(positions.size()) != n)
    throw_invalid_argument(fn, "positions has ", static_cast<Index>(positions.size()),
                           " entries, X ", n, " rows");
  using T = typename Derived::Scalar;
  const Index half = d / 2;
  std::vector<double> theta(static_cast<std::size_t>(half));
  for (Index p = 0; p < half; ++p)
    theta[static_cast<std::size_t>(p)] =
        std::pow(options.base, -2.0 * static_cast<double>(p) / static_cast<double>(d));
  parallel_for(Index{0}, n, resolve_threads(fn, options.num_threads), [&](Index i) {
    const double t = static_cast<double>(positions[static_cast<std::size_t>(i)]);
    for (Index p = 0; p < half; ++p) {
      const double a = t * theta[static_cast<std::size_t>(p)], c = std::cos(a), s = std::sin(a);
      const Index first = options.interleaved ? 2 * p : p,
                  second = options.interleaved ? 2 * p + 1 : p + half;
      const double x1 = static_cast<double>(X(i, first)), x2 = static_cast<double>(X(i, second));
      X(i, first) = static_cast<T>(x1 * c - x2 * s);
      X(i, second) = static_cast<T>(x2 * c + x1 * s);
    }
  });
}

/// apply_rotary with positions start, start + 1, ... (a contiguous block).
template <class Derived>
void apply_rotary(Eigen::MatrixBase<Derived>& X, Index start, const RotaryOptions& options = {}) {
  std::vector<Index> positions(static_cast<std::size_t>(X.rows()));
  for (std::size_t i = 0; i < positions.size(); ++i) positions[i] = start + static_cast<Index>(i);
  apply_rotary(X, positions, options);
}

}  // namespace mlprim

#endif  // MLPRIM_ATTENTION_ROTARY_HPP
