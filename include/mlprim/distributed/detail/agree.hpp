// How the distributed code keeps ranks in step when something is wrong on
// some of them: a signature every rank must share, and a local step whose
// failure on one rank becomes an exception on all (no rank is left waiting
// in a collective that the failed one never enters).
#ifndef MLPRIM_DISTRIBUTED_DETAIL_AGREE_HPP
#define MLPRIM_DISTRIBUTED_DETAIL_AGREE_HPP

#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>

#include "mlprim/core/error.hpp"
#include "mlprim/distributed/communicator.hpp"

namespace mlprim {
namespace detail {

/// FNV-1a's offset basis: the hash of no bytes.
inline constexpr std::uint64_t kFnv1aBasis = 14695981039346656037ull;

/// FNV-1a over bytes, continuing from `hash`.
inline std::uint64_t fnv1a(const void* data, std::size_t bytes, std::uint64_t hash = kFnv1aBasis) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < bytes; ++i) {
    hash ^= p[i];
    hash *= 1099511628211ull;
  }
  return hash;
}

/// FNV-1a of one value's bytes, continuing from `hash`.
template <class T>
std::uint64_t fnv1a_value(const T& value, std::uint64_t hash = kFnv1aBasis) {
  return fnv1a(&value, sizeof value, hash);
}

/// Collective: throws std::invalid_argument on every rank, naming `fn` and
/// `what`, unless every rank passed the same `signature`.
inline void agree(Communicator& comm, std::string_view fn, std::string_view what,
                  std::uint64_t signature) {
  const auto s = static_cast<std::int64_t>(signature >> 2);  // >= 0, so -s cannot overflow
  std::int64_t bounds[2] = {s, -s};
  comm.all_reduce_max(bounds, 2);
  if (bounds[0] != -bounds[1]) throw_invalid_argument(fn, what, " differ between ranks");
}

/// Collective: runs step() on every rank; if it threw on any, every rank
/// throws: the ranks where it threw rethrow their own exception, the others
/// a std::runtime_error naming `fn`, the first failed rank and its message.
template <class Step>
void on_all_or_none(Communicator& comm, std::string_view fn, Step&& step) {
  std::exception_ptr failure;
  std::string message;
  try {
    step();
  } catch (const std::exception& e) {
    failure = std::current_exception();
    message = e.what();
    if (message.empty()) message = "(no message)";
  } catch (...) {
    failure = std::current_exception();
    message = "an exception not derived from std::exception";
  }
  const auto blocks = comm.all_gather(message.data(), message.size());
  if (failure) std::rethrow_exception(failure);
  for (std::size_t r = 0; r < blocks.size(); ++r)
    if (!blocks[r].empty())
      throw_runtime_error(fn, "rank ", r, " failed: ",
                          std::string(blocks[r].begin(), blocks[r].end()));
}

}  // namespace detail
}  // namespace mlprim

#endif  // MLPRIM_DISTRIBUTED_DETAIL_AGREE_HPP
