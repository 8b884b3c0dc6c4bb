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

#include <cmath>
#include <type_traits>

#include "mlprim/core/types.hpp"

namespace mlprim::detail {

/// x[i] = sqrt(x[i]) for i in [0, n), correctly rounded.
template <class T>
void exact_sqrt_in_place(T* x, Index n) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                "exact_sqrt_in_place: float or double");
  Index i = 0;
#if defined(EIGEN_VECTORIZE_AVX512)
  if constexpr (std::is_same_v<T, float>) {
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(x + i, _mm512_sqrt_ps(_mm512_loadu_ps(x + i)));
  } else {
    for (; i + 8 <= n; i += 8) _mm512_storeu_pd(x + i, _mm512_sqrt_pd(_mm512_loadu_pd(x + i)));
  }
#elif defined(EIGEN_VECTORIZE_AVX)
  if constexpr (std::is_same_v<T, float>) {
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_sqrt_ps(_mm256_loadu_ps(x + i)));
  } else {
    for (; i + 4 <= n; i += 4) _mm256_storeu_pd(x + i, _mm256_sqrt_pd(_mm256_loadu_pd(x + i)));
  }
#elif defined(EIGEN_VECTORIZE_SSE2)
  if constexpr (std::is_same_v<T, float>) {
    for (; i + 4 <= n; i += 4) _mm_storeu_ps(x + i, _mm_sqrt_ps(_mm_loadu_ps(x + i)));
  } else {
    for (; i + 2 <= n; i += 2) _mm_storeu_pd(x + i, _mm_sqrt_pd(_mm_loadu_pd(x + i)));
  }
#elif defined(EIGEN_VECTORIZE_NEON) && defined(__aarch64__)
  if constexpr (std::is_same_v<T, float>) {
    for (; i + 4 <= n; i += 4) vst1q_f32(x + i, vsqrtq_f32(vld1q_f32(x + i)));
  } else {
    for (; i + 2 <= n; i += 2) vst1q_f64(x + i, vsqrtq_f64(vld1q_f64(x + i)));
  }
#endif
  for (; i < n; ++i) x[i] = std::sqrt(x[i]);
}

}  // namespace mlprim::detail

#endif  // MLPRIM_OPTIM_DETAIL_EXACT_SQRT_HPP
