// Sizes of the buffers a call is asked to allocate: products of sizes checked
// for overflow, and byte counts checked against the machine's memory, so a
// wrong argument gets std::invalid_argument naming it instead of an
// overflowed (too small) buffer, std::bad_alloc or the out-of-memory killer.
#ifndef MLPRIM_CORE_MEMORY_HPP
#define MLPRIM_CORE_MEMORY_HPP

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>

#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>
#endif

#include "mlprim/core/error.hpp"
#include "mlprim/core/types.hpp"

namespace mlprim {

/// The product of non-negative sizes, e.g. checked_product("KVCache", "heads * capacity * dim",
/// heads, capacity, dim). Throws std::invalid_argument
///   "mlprim::KVCache: heads * capacity * dim = 1 * 4611686018427387904 * 4 overflows"
/// when a factor is negative or the product exceeds the largest Index.
template <class... Sizes>
Index checked_product(std::string_view fn, std::string_view what, Sizes... sizes) {
  static_assert(sizeof...(Sizes) >= 1 && (std::is_integral_v<Sizes> && ...),
                "mlprim::checked_product multiplies integer sizes");
  const Index factors[] = {static_cast<Index>(sizes)...};
  auto fail = [&](const char* problem) {
    std::string shown;
    for (std::size_t i = 0; i < sizeof...(Sizes); ++i) {
      if (i > 0) shown += " * ";
      detail::append_part(shown, factors[i]);
    }
    throw_invalid_argument(fn, what, " = ", shown, problem);
  };
  Index product = 1;
  for (const Index f : factors) {
    if (f < 0) fail(" has a negative factor");
    if (f != 0 && product > std::numeric_limits<Index>::max() / f) fail(" overflows");
    product *= f;
  }
  return product;
}

/// Bytes of physical memory on this machine, or 0 when it cannot be told
/// (the bound below is then skipped).
inline std::uint64_t physical_memory_bytes() {
#if defined(_SC_PHYS_PAGES) && defined(_SC_PAGESIZE)
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  if (pages > 0 && page > 0)
    return static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page);
#endif
  return 0;
}

/// Requires `count` elements of `element_bytes` each to fit in the machine's
/// physical memory (a buffer reserved up front that could never be backed is
/// a wrong argument): "mlprim::fn: what needs N bytes, more than this
/// machine's M bytes of memory".
inline void check_allocation(std::string_view fn, std::string_view what, std::uint64_t count,
                             std::size_t element_bytes) {
  const auto limit = physical_memory_bytes();
  if (limit == 0 || count <= limit / element_bytes) return;
  throw_invalid_argument(fn, what, " needs ", count, " x ", element_bytes,
                         " bytes, more than this machine's ", limit, " bytes of memory");
}

}  // namespace mlprim

#endif  // MLPRIM_CORE_MEMORY_HPP
