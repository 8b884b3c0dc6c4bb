// Software prefetch of matrix rows that a loop will read next.
//
// Hardware prefetchers follow a sequential stream only within a page; a loop
// that works on blocks of rows (a chunk of a long sequence, say) stalls at
// the start of each block when its data come from main memory. Asking for the
// next block's rows while the current one is being computed hides that.
#ifndef MLPRIM_CORE_PREFETCH_HPP
#define MLPRIM_CORE_PREFETCH_HPP

#include <algorithm>

#include "mlprim/core/types.hpp"

namespace mlprim::detail {

/// Requests the 64-byte line holding `address` into the caches (a hint only;
/// nothing without __builtin_prefetch).
inline void prefetch_line(const void* address) {
#if defined(__GNUC__) || defined(__clang__)
  __builtin_prefetch(address);
#else
  (void)address;
#endif
}

/// Requests rows [first, first + count) of x into the caches, one request per
/// 64-byte line of each row (the gaps of a strided view are not touched).
/// Rows outside x are ignored; expressions without direct access to
/// row-major storage, and compilers without __builtin_prefetch, do nothing.
/// A hint only: it never changes a result.
template <class Derived>
void prefetch_rows(const Eigen::DenseBase<Derived>& x, Index first, Index count) {
#if defined(__GNUC__) || defined(__clang__)
  constexpr bool direct = (Derived::Flags & Eigen::DirectAccessBit) != 0;
  constexpr bool row_major = (Derived::Flags & Eigen::RowMajorBit) != 0;
  if constexpr (direct && row_major) {
    first = std::max<Index>(first, 0);
    const Index last = std::min<Index>(first + count, x.rows());
    const auto& m = x.derived();
    const Index bytes = m.cols() * static_cast<Index>(sizeof(typename Derived::Scalar));
    for (Index r = first; r < last; ++r) {
      const char* row = reinterpret_cast<const char*>(m.data() + r * m.outerStride());
      for (Index b = 0; b < bytes; b += 64) __builtin_prefetch(row + b);
    }
  }
#else
  (void)x;
  (void)first;
  (void)count;
#endif
}

}  // namespace mlprim::detail

#endif  // MLPRIM_CORE_PREFETCH_HPP
