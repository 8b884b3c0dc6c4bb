// Peak memory of a call, for benchmarks that quote memory next to time.
#ifndef MLPRIM_BENCH_COMMON_MEMORY_HPP
#define MLPRIM_BENCH_COMMON_MEMORY_HPP

#include <fstream>
#include <string>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace mlprim::bench {

/// A field of /proc/self/status in bytes (VmRSS, VmHWM), or -1 off Linux.
inline double proc_status_bytes(const std::string& field) {
  std::ifstream status("/proc/self/status");
  std::string key;
  double kib = 0;
  while (status >> key) {
    if (key == field + ":" && status >> kib) return kib * 1024;
    status.ignore(1 << 12, '\n');
  }
  return -1;
}

/// Keeps freed memory in the heap: no mmap for large blocks, no trimming.
/// Timed loops that allocate and free tens of MiB per iteration otherwise get
/// fresh pages on some iterations and recycled ones on others, depending on
/// glibc's adaptive thresholds and on what ran before (first-touch faults cost
/// about 2.6 ms per MiB on the VMs here). Every implementation is then timed
/// in the same steady state, that of a service calling it repeatedly.
inline void use_steady_heap() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}

/// The resident memory fn() adds at its peak, in bytes: the kernel's
/// high-water mark is reset (5 into /proc/self/clear_refs) and compared with
/// the resident size before. During the call allocations above 64 KiB go to
/// mmap and the heap is trimmed first, so that memory freed by earlier calls
/// does not hide this one's; the steady heap is restored afterwards.
/// -1 where /proc is unavailable.
template <class Fn>
double peak_added_bytes(Fn&& fn) {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 64 << 10);
  malloc_trim(0);
#endif
  const double before = proc_status_bytes("VmRSS");
  {
    std::ofstream clear("/proc/self/clear_refs");
    clear << "5";
  }
  fn();
  const double peak = proc_status_bytes("VmHWM");
  use_steady_heap();
  return before < 0 || peak < 0 ? -1 : peak - before;
}

}  // namespace mlprim::bench

#endif  // MLPRIM_BENCH_COMMON_MEMORY_HPP
