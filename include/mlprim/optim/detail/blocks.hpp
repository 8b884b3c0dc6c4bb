// Elementwise kernel driver for the optimizers: one fused pass over the
// buffers in cache-line chunks, the range spread over threads for large
// buffers.
#ifndef MLPRIM_OPTIM_DETAIL_BLOCKS_HPP
#define MLPRIM_OPTIM_DETAIL_BLOCKS_HPP

#include <algorithm>
#include <type_traits>

#include "mlprim/core/parallel.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/optim/detail/exact_sqrt.hpp"

namespace mlprim::detail {

/// Below this many elements per thread a buffer is updated on one thread.
inline constexpr Index optim_min_per_thread = Index{1} << 15;

/// Elements per chunk of the fused kernels: one 64-byte cache line of each
/// buffer. A kernel loads a chunk of every buffer, computes the whole update
/// in registers (fixed-size Eigen arrays) and stores it: one pass, with every
/// buffer streaming at once, as the memory system wants.
template <class T>
inline constexpr Index optim_chunk = 64 / static_cast<Index>(sizeof(T));

/// The size of a full chunk, known at compile time.
template <class T>
using FullChunk = std::integral_constant<Index, optim_chunk<T>>;

/// Compile-time rows of a chunk of size type Size: optim_chunk for a full
/// chunk, Dynamic for the shorter last chunk of a thread's range (an Index).
template <class Size>
inline constexpr int chunk_rows = Eigen::Dynamic;
template <Index W>
inline constexpr int chunk_rows<std::integral_constant<Index, W>> = static_cast<int>(W);

/// A chunk-sized temporary (on the stack; in registers for a full chunk).
template <class T, class Size>
using ChunkArray = Eigen::Array<T, chunk_rows<Size>, 1, 0, optim_chunk<T>, 1>;
template <class T, class Size>
using ChunkMap = Eigen::Map<ChunkArray<T, Size>>;
template <class T, class Size>
using ConstChunkMap = Eigen::Map<const ChunkArray<T, Size>>;

/// A temporary shaped like chunk expression x.
template <class T, class Expr>
using ChunkArrayLike = Eigen::Array<T, Expr::RowsAtCompileTime, 1, 0, optim_chunk<T>, 1>;

/// The correctly rounded square root of a chunk expression (see exact_sqrt.hpp;
/// Eigen's own sqrt() is approximate under EIGEN_FAST_MATH).
template <class T, class Expr>
ChunkArrayLike<T, Expr> chunk_sqrt(const Expr& x) {
  ChunkArrayLike<T, Expr> out = x;
  exact_sqrt_in_place(out.data(), out.size());
  return out;
}

/// The gradient a rule steps along: d = ±g + weight_decay * p (negated when
/// maximizing; the L2 term is added only when weight_decay != 0, as PyTorch).
template <class T, class G, class P>
ChunkArrayLike<T, G> directed_gradient(const G& g, const P& p, bool maximize, double weight_decay) {
  ChunkArrayLike<T, G> d = maximize ? ChunkArrayLike<T, G>(-g) : ChunkArrayLike<T, G>(g);
  if (weight_decay != 0) d = d + T(weight_decay) * p;
  return d;
}

/// Calls fn(offset, size) for consecutive chunks covering [0, n), where size
/// is FullChunk<T> (compile time) for all but the last chunk of each thread's
/// range, an Index for that one; the range is split over num_threads threads
/// (0 = all; validated in the name of `fn_name`, the public kernel). An
/// elementwise update gives the same result for any thread count.
template <class T, class Fn>
void for_each_chunk(const char* fn_name, Index n, int num_threads, Fn&& fn) {
  const Index useful = std::max<Index>(1, n / optim_min_per_thread);
  const int threads =
      static_cast<int>(std::min<Index>(resolve_threads(fn_name, num_threads), useful));
  parallel_for_chunks(Index{0}, n, threads, [&fn](Index lo, Index hi, int) {
    constexpr Index w = optim_chunk<T>;
    Index at = lo;
    for (; at + w <= hi; at += w) fn(at, FullChunk<T>{});
    if (at < hi) fn(at, hi - at);
  });
}

}  // namespace mlprim::detail

#endif  // MLPRIM_OPTIM_DETAIL_BLOCKS_HPP
