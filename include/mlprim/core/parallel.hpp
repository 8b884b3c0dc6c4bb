// Parallel loops over index ranges.
//
// With OpenMP (see config.hpp) the range is cut into one contiguous chunk per
// thread (static schedule), so which thread handles which index never depends
// on timing; without OpenMP the loops run serially. A loop started inside an
// already-parallel region runs serially on the calling thread; a loop asked
// to run on one thread also keeps Eigen's matrix products inside it on that
// thread (see SerialProductsScope). An exception thrown by the body stops the
// remaining chunks and is rethrown on the calling thread (the first one
// caught wins).
#ifndef MLPRIM_CORE_PARALLEL_HPP
#define MLPRIM_CORE_PARALLEL_HPP

#include <algorithm>
#include <atomic>
#include <exception>
#include <optional>
#include <string_view>
#include <type_traits>

#include "mlprim/core/config.hpp"
#include "mlprim/core/error.hpp"

#if MLPRIM_HAS_OPENMP
#include <omp.h>
#endif

namespace mlprim {

/// Threads available to mlprim: omp_get_max_threads() with OpenMP (which
/// honours OMP_NUM_THREADS), 1 without.
inline int max_threads() {
#if MLPRIM_HAS_OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

/// The most threads a parallel loop ever starts: the larger of the
/// processors OpenMP sees and max_threads() (so OMP_NUM_THREADS may
/// oversubscribe on purpose), 1 without OpenMP. Larger requests are clamped
/// to it, since asking OpenMP for far more threads than the machine has
/// (say 100000) can make it fail to start them.
inline int thread_limit() {
#if MLPRIM_HAS_OPENMP
  return std::max(omp_get_num_procs(), omp_get_max_threads());
#else
  return 1;
#endif
}

/// Resolves the `num_threads` field of function `fn` (e.g. "KDTree::knn"):
/// 0 means max_threads(), a positive count is clamped to thread_limit().
/// Negative throws std::invalid_argument naming fn. Every public function
/// with a num_threads field resolves it here, once.
inline int resolve_threads(std::string_view fn, int num_threads) {
  if (num_threads < 0)
    throw_invalid_argument(fn, "num_threads = ", num_threads,
                           " must be >= 0 (0 means all threads)");
  return std::min(num_threads == 0 ? max_threads() : num_threads, thread_limit());
}

namespace detail {

/// While alive, Eigen's own matrix-product threads are off on this thread:
/// OpenMP's nthreads setting, which Eigen reads unless Eigen::setNbThreads was
/// given a positive count, is 1 (and restored on exit). Kernels that run many
/// small products on one thread hold one, since Eigen's fork and join per
/// product costs more than it saves and the caller asked for one thread.
class SerialProductsScope {
 public:
  SerialProductsScope() {
#if MLPRIM_HAS_OPENMP
    saved_ = omp_get_max_threads();
    omp_set_num_threads(1);
#endif
  }
  ~SerialProductsScope() {
#if MLPRIM_HAS_OPENMP
    omp_set_num_threads(saved_);
#endif
  }
  SerialProductsScope(const SerialProductsScope&) = delete;
  SerialProductsScope& operator=(const SerialProductsScope&) = delete;

 private:
  int saved_ = 1;
};

template <class IndexType, class Fn>
void run_chunks(std::string_view fn_name, IndexType begin, IndexType end, int num_threads,
                Fn&& fn) {
  static_assert(std::is_integral_v<IndexType>, "mlprim: parallel loops need integral indices");
  check_range(fn_name, begin, end);
  const int threads = resolve_threads(fn_name, num_threads);
  const long long length = static_cast<long long>(end) - static_cast<long long>(begin);
  if (length == 0) return;
  const long long chunks = std::min<long long>(threads, length);
  auto chunk_bound = [&](long long c) {
    // floor(c * length / chunks) without forming c * length, which could overflow.
    const long long whole = c * (length / chunks) + c * (length % chunks) / chunks;
    return static_cast<IndexType>(static_cast<long long>(begin) + whole);
  };
#if MLPRIM_HAS_OPENMP
  if (chunks > 1 && !omp_in_parallel()) {
    std::exception_ptr error;
    std::atomic<bool> failed{false};
    MLPRIM_OMP(parallel for schedule(static, 1) num_threads(static_cast<int>(chunks)))
    for (long long c = 0; c < chunks; ++c) {
      if (failed.load(std::memory_order_relaxed)) continue;
      try {
        fn(chunk_bound(c), chunk_bound(c + 1), static_cast<int>(c));
      } catch (...) {
        MLPRIM_OMP(critical(mlprim_parallel_error)) {
          if (!error) error = std::current_exception();
        }
        failed.store(true, std::memory_order_relaxed);
      }
    }
    if (error) std::rethrow_exception(error);
    return;
  }
#endif
  std::optional<SerialProductsScope>
      serial;  // one thread asked for: Eigen's products stay on it too
  if (threads == 1) serial.emplace();
  for (long long c = 0; c < chunks; ++c)
    fn(chunk_bound(c), chunk_bound(c + 1), static_cast<int>(c));
}

}  // namespace detail

/// Calls fn(chunk_begin, chunk_end, chunk_id) for min(threads, end - begin)
/// contiguous chunks that tile [begin, end), where threads =
/// resolve_threads(num_threads) (0 = all, at most thread_limit()); chunk c
/// starts at begin + floor(c * (end - begin) / chunks). The chunks run in
/// parallel, one per thread. For kernels that make one pass over a
/// contiguous slice per thread. end < begin and num_threads < 0 throw.
template <class IndexType, class Fn>
void parallel_for_chunks(IndexType begin, IndexType end, int num_threads, Fn&& fn) {
  detail::run_chunks("parallel_for_chunks", begin, end, num_threads, fn);
}

/// Calls fn(i) for every i in [begin, end) exactly once, in parallel on up to
/// `num_threads` threads (0 = all, at most thread_limit()) with static
/// chunking. end < begin and num_threads < 0 throw std::invalid_argument.
template <class IndexType, class Fn>
void parallel_for(IndexType begin, IndexType end, int num_threads, Fn&& fn) {
  detail::run_chunks("parallel_for", begin, end, num_threads,
                     [&fn](IndexType lo, IndexType hi, int) {
                       for (IndexType i = lo; i < hi; ++i) fn(i);
                     });
}

}  // namespace mlprim

#endif  // MLPRIM_CORE_PARALLEL_HPP
