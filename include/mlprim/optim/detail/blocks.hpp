// Elementwise kernel driver for the optimizers: one pass over the buffers in
// L1-sized blocks, the blocks spread over threads for large buffers.
#ifndef MLPRIM_OPTIM_DETAIL_BLOCKS_HPP
#define MLPRIM_OPTIM_DETAIL_BLOCKS_HPP

#include <algorithm>

#include "mlprim/core/parallel.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/optim/detail/exact_sqrt.hpp"

namespace mlprim::detail {

/// Elements per block: every buffer's block fits in L1 together with the
/// rule's temporaries, so a step reads and writes each buffer once from memory.
inline constexpr Index optim_block_size = 512;

/// Below this many elements per thread a buffer is updated on one thread.
inline constexpr Index optim_min_per_thread = Index{1} << 15;

/// A block-sized temporary on the stack (no heap allocation in a step).
template <class T>
using BlockArray = Eigen::Array<T, Eigen::Dynamic, 1, 0, optim_block_size, 1>;

template <class T>
using BlockMap = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;
template <class T>
using ConstBlockMap = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;

/// The correctly rounded square root of a block expression (see exact_sqrt.hpp;
/// Eigen's own sqrt() is approximate under EIGEN_FAST_MATH).
template <class T, class Expr>
BlockArray<T> block_sqrt(const Expr& x) {
  BlockArray<T> out = x;
  exact_sqrt_in_place(out.data(), out.size());
  return out;
}

/// The gradient a rule steps along: d = ±g + weight_decay * p (negated when
/// maximizing; the L2 term is added only when weight_decay != 0, as PyTorch).
template <class T, class G, class P>
BlockArray<T> directed_gradient(const G& g, const P& p, bool maximize, double weight_decay) {
  BlockArray<T> d = maximize ? BlockArray<T>(-g) : BlockArray<T>(g);
  if (weight_decay != 0) d = d + T(weight_decay) * p;
  return d;
}

/// Calls fn(offset, length) for consecutive blocks covering [0, n), on
/// num_threads threads (0 = all; validated in the name of `fn_name`, the
/// public kernel). Elementwise updates give the same result for any thread
/// count.
template <class Fn>
void for_each_block(const char* fn_name, Index n, int num_threads, Fn&& fn) {
  const Index useful = std::max<Index>(1, n / optim_min_per_thread);
  const int threads =
      static_cast<int>(std::min<Index>(resolve_threads(fn_name, num_threads), useful));
  parallel_for_chunks(Index{0}, n, threads, [&fn](Index lo, Index hi, int) {
    for (Index b = lo; b < hi; b += optim_block_size) fn(b, std::min(optim_block_size, hi - b));
  });
}

}  // namespace mlprim::detail

#endif  // MLPRIM_OPTIM_DETAIL_BLOCKS_HPP
