// Build configuration shared by every mlprim header: the Eigen version check
// and the OpenMP switch.
//
// Threads follow Eigen's convention: mlprim runs loops in parallel when the
// including translation unit is compiled with OpenMP (`_OPENMP` is defined,
// e.g. by -fopenmp or by linking the CMake target built with MLPRIM_OPENMP),
// unless MLPRIM_DONT_PARALLELIZE is defined before the first mlprim include.
#ifndef MLPRIM_CORE_CONFIG_HPP
#define MLPRIM_CORE_CONFIG_HPP

#include <Eigen/Core>

#if !EIGEN_VERSION_AT_LEAST(3, 4, 0)
#error "mlprim needs Eigen 3.4 or newer"
#endif

#if defined(_OPENMP) && !defined(MLPRIM_DONT_PARALLELIZE)
/// 1 when mlprim's parallel loops run on OpenMP threads, 0 when they run serially.
#define MLPRIM_HAS_OPENMP 1
#else
#define MLPRIM_HAS_OPENMP 0
#endif

/// Every public name of mlprim: header-only machine-learning primitives on
/// Eigen (see docs/DESIGN.md for the conventions they share).
namespace mlprim {
/// Versioned, validated binary streams for saved models (core/io.hpp).
namespace io {}
}  // namespace mlprim

#define MLPRIM_DETAIL_PRAGMA(text) _Pragma(#text)

#if MLPRIM_HAS_OPENMP
/// MLPRIM_OMP(parallel for schedule(static)) expands to the matching
/// `#pragma omp ...` with OpenMP and to nothing without it.
#define MLPRIM_OMP(...) MLPRIM_DETAIL_PRAGMA(omp __VA_ARGS__)
#else
#define MLPRIM_OMP(...)
#endif

/// MLPRIM_SCALAR_LOOPS marks a function, MLPRIM_SCALAR_LOOP a loop, that
/// must stay scalar: pointer chasing (tree walks) that auto-vectorisers turn
/// into gathers, slower on the CPUs mlprim targets. GCC takes the function
/// attribute, Clang the loop pragma; a function uses both.
#if defined(__GNUC__) && !defined(__clang__)
#define MLPRIM_SCALAR_LOOPS __attribute__((optimize("no-tree-vectorize")))
#else
#define MLPRIM_SCALAR_LOOPS
#endif
#if defined(__clang__)
#define MLPRIM_SCALAR_LOOP _Pragma("clang loop vectorize(disable) interleave(disable)")
#else
#define MLPRIM_SCALAR_LOOP
#endif

/// MLPRIM_X86_DISPATCH is 1 where a function may be compiled for a wider
/// instruction set than the translation unit (GCC or Clang on x86-64:
/// `target` attributes and __builtin_cpu_supports) and chosen at run time;
/// define MLPRIM_NO_DISPATCH to keep every kernel on the baseline ISA.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(MLPRIM_NO_DISPATCH)
#define MLPRIM_X86_DISPATCH 1
/// Compiles the function it marks for AVX-512F (call it only when
/// __builtin_cpu_supports("avx512f")).
#define MLPRIM_TARGET_AVX512 __attribute__((target("avx512f")))
#else
#define MLPRIM_X86_DISPATCH 0
#define MLPRIM_TARGET_AVX512
#endif

#endif  // MLPRIM_CORE_CONFIG_HPP
