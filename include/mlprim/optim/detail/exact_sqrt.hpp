// Correctly rounded square roots over a contiguous range, vectorised.
//
// Eigen's ArrayBase::sqrt() is not correctly rounded under EIGEN_FAST_MATH
// (Eigen's default): float packets use an rsqrt estimate plus one Newton
// step, and with AVX-512 double packets do too. PyTorch's sqrt is the IEEE
// one, so the optimizers take their square roots here: the hardware's
// sqrtps/sqrtpd (IEEE-754 correctly rounded) where Eigen vectorises, and
// std::sqrt elsewhere and for the tail.
#ifndef MLPRIM_OPTIM_DETAIL_EXACT_SQRT_HPP
#define MLPRIM_OPTIM_DETAIL_EXACT_SQRT_HPP

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "mlprim/core/types.hpp"

namespace mlprim::detail {

/// Lanes of one hardware square root on T, and that square root of `lanes`
/// values at x (std::sqrt where Eigen does not vectorise).
template <class T>
struct SqrtPacket {
#if defined(EIGEN_VECTORIZE_AVX512)
  static constexpr Index lanes = 64 / sizeof(T);
  static void run(T* x) {
    if constexpr (std::is_same_v<T, float>)
      _mm512_storeu_ps(x, _mm512_sqrt_ps(_mm512_loadu_ps(x)));
    else
      _mm512_storeu_pd(x, _mm512_sqrt_pd(_mm512_loadu_pd(x)));
  }
#elif defined(EIGEN_VECTORIZE_AVX)
  static constexpr Index lanes = 32 / sizeof(T);
  static void run(T* x) {
    if constexpr (std::is_same_v<T, float>)
      _mm256_storeu_ps(x, _mm256_sqrt_ps(_mm256_loadu_ps(x)));
    else
      _mm256_storeu_pd(x, _mm256_sqrt_pd(_mm256_loadu_pd(x)));
  }
#elif defined(EIGEN_VECTORIZE_SSE2)
  static constexpr Index lanes = 16 / sizeof(T);
  static void run(T* x) {
    if constexpr (std::is_same_v<T, float>)
      _mm_storeu_ps(x, _mm_sqrt_ps(_mm_loadu_ps(x)));
    else
      _mm_storeu_pd(x, _mm_sqrt_pd(_mm_loadu_pd(x)));
  }
#elif defined(EIGEN_VECTORIZE_NEON) && defined(__aarch64__)
  static constexpr Index lanes = 16 / sizeof(T);
  static void run(T* x) {
    if constexpr (std::is_same_v<T, float>)
      vst1q_f32(x, vsqrtq_f32(vld1q_f32(x)));
    else
      vst1q_f64(x, vsqrtq_f64(vld1q_f64(x)));
  }
#else
  static constexpr Index lanes = 1;
  static void run(T* x) { *x = std::sqrt(*x); }
#endif
};

/// x[i] = sqrt(x[i]) for i in [0, n), correctly rounded. A tail shorter
/// than a packet goes through one zero-padded packet (no scalar loop, which
/// GCC misreads as undefined behaviour when n is a small constant).
template <class T>
void exact_sqrt_in_place(T* x, Index n) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                "exact_sqrt_in_place: float or double");
  constexpr Index lanes = SqrtPacket<T>::lanes;
  Index i = 0;
  for (; i + lanes <= n; i += lanes) SqrtPacket<T>::run(x + i);
  if (i < n) {
    T padded[lanes] = {};
    std::copy(x + i, x + n, padded);
    SqrtPacket<T>::run(padded);
    std::copy(padded, padded + (n - i), x + i);
  }
}

}  // namespace mlprim::detail

#endif  // MLPRIM_OPTIM_DETAIL_EXACT_SQRT_HPP
