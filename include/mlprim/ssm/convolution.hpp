// Causal convolution of sequences with per-channel kernels (the
// convolutional mode of S4):
//   y_{t,c} = sum_{k=0}^{min(t, Lk-1)} K_{k,c} u_{t-k,c}.
// Direct summation costs O(L Lk) per channel, the FFT route O((L + Lk) log(L + Lk))
// (zero-padded to a 5-smooth multiple of 4 >= L + Lk - 1, so the circular
// convolution equals the linear one; Eigen's header-only unsupported/FFT).
#ifndef MLPRIM_SSM_CONVOLUTION_HPP
#define MLPRIM_SSM_CONVOLUTION_HPP

#include <algorithm>
#include <complex>
#include <type_traits>
#include <vector>

#include <unsupported/Eigen/FFT>

#include "mlprim/core/error.hpp"
#include "mlprim/core/parallel.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/ssm/detail/scan_inputs.hpp"

namespace mlprim {

/// How causal_convolution sums.
enum class ConvolutionMethod {
  Auto,    ///< Direct for kernels of at most fft_min_kernel() taps, FFT beyond
  Direct,  ///< the sum as written
  FFT      ///< through the discrete Fourier transform
};

/// Options of causal_convolution.
struct ConvolutionOptions {
  ConvolutionMethod method = ConvolutionMethod::Auto;  ///< summation route
  int num_threads = 0;                                 ///< 0 = all
};

/// Kernel length from which ConvolutionMethod::Auto takes the FFT route
/// (bench/ssm measures the crossover; see bench/README.md).
constexpr Index fft_min_kernel() { return 224; }

namespace detail {

/// The smallest multiple of 4 >= target whose only prime factors are 2, 3
/// and 5 (a multiple of 4 takes the real-input fast path of the FFT).
inline Index smooth_fft_size(Index target) {
  for (Index n = std::max<Index>((target + 3) / 4, 1);; ++n) {
    Index m = n;
    for (const Index p : {2, 3, 5})
      while (m % p == 0) m /= p;
    if (m == 1) return 4 * n;
  }
}

}  // namespace detail

/// Causal convolution of each column of u (L x channels, one time step per
/// row) with the same column of K (Lk x channels, tap k in row k); returns
/// L x channels. L = 0 or Lk = 0 give zeros of the right shape. Column-major
/// arguments are copied. Direct sums are in T's accumulator type; the FFT
/// route rounds like any FFT (relative error ~ eps log n of the largest terms).
template <class DU, class DK>
RowMatrix<typename DU::Scalar> causal_convolution(const Eigen::MatrixBase<DU>& u,
                                                  const Eigen::MatrixBase<DK>& K,
                                                  const ConvolutionOptions& options = {}) {
  using T = typename DU::Scalar;
  using Acc = AccumulatorT<T>;
  constexpr const char* fn = "causal_convolution";
  static_assert(std::is_same_v<T, typename DK::Scalar>,
                "mlprim::causal_convolution: u and K must have one scalar type");
  const Index L = u.rows(), channels = u.cols(), taps = K.rows();
  if (K.cols() != channels)
    throw_invalid_argument(fn, "K is ", K.rows(), " x ", K.cols(), ", u is ", L, " x ", channels,
                           ": one kernel column per channel");
  const int threads = resolve_threads(fn, options.num_threads);
  RowMatrix<T> y = RowMatrix<T>::Zero(L, channels);
  if (L == 0 || taps == 0 || channels == 0) return y;
  const auto x = detail::rows_in<Acc>(u), k = detail::rows_in<Acc>(K);  // no copy for float/double
  const bool fft = options.method == ConvolutionMethod::FFT ||
                   (options.method == ConvolutionMethod::Auto && taps > fft_min_kernel());
  if (!fft) {
    parallel_for_chunks(Index{0}, L, threads, [&](Index lo, Index hi, int) {
      RowVector<Acc> sum(channels);
      for (Index t = lo; t < hi; ++t) {
        sum.setZero();
        for (Index j = 0; j <= std::min(t, taps - 1); ++j)
          sum.array() += k.row(j).array() * x.row(t - j).array();
        y.row(t) = sum.template cast<T>();
      }
    });
    return y;
  }
  const Index n = detail::smooth_fft_size(L + std::min(taps, L) - 1);
  parallel_for_chunks(Index{0}, channels, threads, [&](Index lo, Index hi, int) {
    Eigen::FFT<Acc> transform;
    transform.SetFlag(Eigen::FFT<Acc>::HalfSpectrum);  // real signals: n/2 + 1 bins
    std::vector<Acc> signal(static_cast<std::size_t>(n)), filter(static_cast<std::size_t>(n)),
        out(static_cast<std::size_t>(n));
    std::vector<std::complex<Acc>> signal_f, filter_f;
    for (Index c = lo; c < hi; ++c) {
      std::fill(signal.begin(), signal.end(), Acc(0));
      std::fill(filter.begin(), filter.end(), Acc(0));
      for (Index t = 0; t < L; ++t) signal[static_cast<std::size_t>(t)] = x(t, c);
      for (Index j = 0; j < std::min(taps, L); ++j) filter[static_cast<std::size_t>(j)] = k(j, c);
      transform.fwd(signal_f, signal);
      transform.fwd(filter_f, filter);
      for (std::size_t i = 0; i < signal_f.size(); ++i) signal_f[i] *= filter_f[i];
      transform.inv(out, signal_f, n);
      for (Index t = 0; t < L; ++t) y(t, c) = static_cast<T>(out[static_cast<std::size_t>(t)]);
    }
  });
  return y;
}

}  // namespace mlprim

#endif  // MLPRIM_SSM_CONVOLUTION_HPP
