// Convolution kernels of linear time-invariant state spaces (S4, Gu et al.
// 2022): unrolling c_k = Ad c_{k-1} + Bd u_k, y_k = C c_k from c = 0 gives
//   y_k = sum_{j <= k} K_j u_{k-j},   K_j = C Ad^j Bd,
// so the recurrent and the convolutional mode compute the same output.
#ifndef MLPRIM_SSM_KERNEL_HPP
#define MLPRIM_SSM_KERNEL_HPP

#include <cmath>
#include <complex>

#include "mlprim/core/error.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/ssm/discretize.hpp"

namespace mlprim {

/// K_k = C Ad^k Bd for k < L (L >= 0) of a dense single-input single-output
/// system: Ad (N x N), Bd and C (N entries each). O(L N^2), by repeated
/// products Ad (Ad^(k-1) Bd), never forming a power of Ad.
template <class DA, class DB, class DC>
Vector<typename DA::Scalar> ssm_kernel(const Eigen::MatrixBase<DA>& Ad,
                                       const Eigen::MatrixBase<DB>& Bd,
                                       const Eigen::MatrixBase<DC>& C, Index L) {
  using T = typename DA::Scalar;
  constexpr const char* fn = "ssm_kernel";
  const Index n = Ad.rows();
  if (Ad.cols() != n)
    throw_invalid_argument(fn, "Ad is ", Ad.rows(), " x ", Ad.cols(), ", not square");
  if (Bd.size() != n || C.size() != n)
    throw_invalid_argument(fn, "Bd has ", Bd.size(), " entries and C ", C.size(), ", Ad is ", n,
                           " x ", n);
  check_non_negative(fn, "L", L);
  Vector<T> kernel(L);
  Vector<T> v = Bd.derived().reshaped(), next(n);
  const Vector<T> c = C.derived().reshaped();
  for (Index k = 0; k < L; ++k) {
    kernel(k) = c.cwiseProduct(v).sum();  // no conjugation (dot() conjugates complex c)
    next.noalias() = Ad * v;
    v.swap(next);
  }
  return kernel;
}

/// Options of s4d_kernel.
struct S4DKernelOptions {
  Method method = Method::ZOH;  ///< discretisation (S4D's default is ZOH)
  double alpha = 0.5;           ///< GBT alpha, read for Method::GBT only
  /// The modes are one half of conjugate pairs (S4D's parameterisation): the
  /// kernel is 2 Re(sum_n ...). Off: the modes are taken as given and the
  /// real part is returned (the kernel when the set is closed under conjugation).
  bool conjugate_pairs = true;
};

/// The S4D kernel of a diagonal complex state (Gu et al. 2022, "On the
/// Parameterization and Initialization of Diagonal State Space Models"):
///   K_k = s * Re( sum_n C_n Bd_n Ad_n^k ),  s = 2 with conjugate pairs, 1 without,
/// with (Ad, Bd) = discretize_diagonal(Lambda, B, dt, method) - a Vandermonde
/// product, O(N L) time and O(N) memory. Powers are taken by repeated
/// multiplication, re-anchored every 64 steps at exp(k log Ad) so rounding
/// does not grow with k. Lambda, B, C: N complex entries; dt > 0. Modes with
/// a positive real part make the kernel grow without bound and are rejected
/// (S4D constrains Re Lambda < 0; 0 is allowed).
template <class T>
Vector<T> s4d_kernel(const Vector<std::complex<T>>& Lambda, const Vector<std::complex<T>>& B,
                     const Vector<std::complex<T>>& C, double dt, Index L,
                     const S4DKernelOptions& options = {}) {
  constexpr const char* fn = "s4d_kernel";
  if (C.size() != Lambda.size())
    throw_invalid_argument(fn, "C has ", C.size(), " entries, Lambda ", Lambda.size());
  check_non_negative(fn, "L", L);
  for (Index n = 0; n < Lambda.size(); ++n)
    if (Lambda(n).real() > T(0))
      throw_invalid_argument(fn, "Lambda_", n, " has real part ", Lambda(n).real(),
                             " > 0: the kernel would grow without bound");
  const auto d = discretize_diagonal<T>(Lambda, B, dt, options.method, options.alpha);
  using Cx = std::complex<T>;
  const Vector<Cx> weight = C.cwiseProduct(d.Bd);
  const Vector<Cx> log_ad = d.Ad.array().log().matrix();
  Vector<T> kernel = Vector<T>::Zero(L);
  Vector<Cx> power = Vector<Cx>::Ones(Lambda.size());
  constexpr Index anchor = 64;
  for (Index k = 0; k < L; ++k) {
    if (k % anchor == 0 && k > 0) power = (static_cast<T>(k) * log_ad).array().exp().matrix();
    kernel(k) = (weight.cwiseProduct(power)).sum().real();
    power = power.cwiseProduct(d.Ad);
  }
  if (options.conjugate_pairs) kernel *= T(2);
  return kernel;
}

/// s4d_kernel with the discretisation given directly (conjugate pairs,
/// GBT alpha 1/2): s4d_kernel(Lambda, B, C, dt, L, Method::ZOH).
template <class T>
Vector<T> s4d_kernel(const Vector<std::complex<T>>& Lambda, const Vector<std::complex<T>>& B,
                     const Vector<std::complex<T>>& C, double dt, Index L, Method method) {
  S4DKernelOptions options;
  options.method = method;
  return s4d_kernel<T>(Lambda, B, C, dt, L, options);
}

}  // namespace mlprim

#endif  // MLPRIM_SSM_KERNEL_HPP
