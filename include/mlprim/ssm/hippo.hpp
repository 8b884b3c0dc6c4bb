// HiPPO transition matrices (Gu, Dao, Ermon, Rudra, Re, "HiPPO: Recurrent
// Memory with Optimal Polynomial Projections", NeurIPS 2020) and the
// diagonal initialisations of S4/S4D (Gu, Goel, Re, ICLR 2022; Gu, Gupta,
// Goel, Re, "On the Parameterization and Initialization of Diagonal State
// Space Models", NeurIPS 2022).
//
// Every matrix here is written for the linear ODE
//   dc/dt = A c(t) + B f(t)
// (A already carries the minus sign the papers put in front of it), with the
// state c holding the coefficients of the history of f in the measure's
// orthogonal basis. Computed in double and cast to T.
#ifndef MLPRIM_SSM_HIPPO_HPP
#define MLPRIM_SSM_HIPPO_HPP

#include <cmath>
#include <complex>

#include <Eigen/Eigenvalues>

#include "mlprim/core/error.hpp"
#include "mlprim/core/types.hpp"

namespace mlprim {

/// A continuous-time state-space pair: dc/dt = A c + B f, A (N x N), B (N).
template <class T>
struct StateSpace {
  Matrix<T> A;  ///< N x N transition
  Vector<T> B;  ///< N input
};

/// The normal-plus-low-rank form of HiPPO-LegS that S4 uses:
///   A = V (diag(Lambda) - P P^*) V^*,  V unitary,
/// with P and B expressed in the eigenbasis (P = V^* p, B = V^* b for the
/// rank-one factor p_n = sqrt(n + 1/2) and the LegS input b).
template <class T>
struct NplrForm {
  Vector<std::complex<T>> Lambda;  ///< N eigenvalues of A + p p^T, all with real part -1/2
  Vector<std::complex<T>> P;       ///< N, the low-rank factor in the eigenbasis
  Vector<std::complex<T>> B;       ///< N, the input in the eigenbasis
  Matrix<std::complex<T>> V;       ///< N x N unitary eigenvectors
};

namespace hippo {

namespace detail {
inline void check_size(const char* fn, Index N) { check_positive(fn, "N", N); }
}  // namespace detail

/// HiPPO-LegS (scaled Legendre, the measure uniform on the whole history
/// [0, t]; the time-varying system is (A/t, B/t), see HippoLegSMemory):
///   A_nk = -sqrt(2n+1) sqrt(2k+1)  (n > k),  -(n+1)  (n = k),  0  (n < k)
///   B_n  = sqrt(2n+1).
template <class T = double>
StateSpace<T> legs(Index N) {
  detail::check_size("hippo::legs", N);
  StateSpace<T> s{Matrix<T>::Zero(N, N), Vector<T>(N)};
  for (Index n = 0; n < N; ++n) {
    const double rn = std::sqrt(2.0 * static_cast<double>(n) + 1);
    s.B(n) = static_cast<T>(rn);
    s.A(n, n) = static_cast<T>(-(static_cast<double>(n) + 1));
    for (Index k = 0; k < n; ++k)
      s.A(n, k) = static_cast<T>(-rn * std::sqrt(2.0 * static_cast<double>(k) + 1));
  }
  return s;
}

/// HiPPO-LegT (translated Legendre, the measure uniform on the sliding window
/// [t - theta, t]; the Legendre Memory Unit's matrices, Voelker et al. 2019):
///   A_nk = -(2n+1)/theta * ( (-1)^(n-k)  (n >= k),  1  (n < k) )
///   B_n  = (2n+1) (-1)^n / theta.
/// theta > 0 is the window length.
template <class T = double>
StateSpace<T> legt(Index N, double theta = 1.0) {
  detail::check_size("hippo::legt", N);
  check_positive("hippo::legt", "theta", theta);
  check_finite("hippo::legt", "theta", theta);
  StateSpace<T> s{Matrix<T>(N, N), Vector<T>(N)};
  for (Index n = 0; n < N; ++n) {
    const double rn = (2.0 * static_cast<double>(n) + 1) / theta;
    s.B(n) = static_cast<T>(n % 2 == 0 ? rn : -rn);
    for (Index k = 0; k < N; ++k) s.A(n, k) = static_cast<T>(n >= k && (n - k) % 2 == 1 ? rn : -rn);
  }
  return s;
}

/// HiPPO-LagT (translated Laguerre, the measure e^-(t-x) on the past x <= t),
/// generalised to Laguerre polynomials L_n^(alpha) (alpha > -1; alpha = 0 is
/// the paper's LagT). With c_n(t) = integral of f(x) L_n^(alpha)(t-x)
/// e^-(t-x) dx, the identity d/ds L_n^(alpha) = -sum_{k<n} L_k^(alpha) gives
///   A_nk = -1  (k <= n),  0  (k > n);   B_n = L_n^(alpha)(0) = binom(n + alpha, n).
template <class T = double>
StateSpace<T> lagt(Index N, double alpha = 0.0) {
  detail::check_size("hippo::lagt", N);
  if (!(alpha > -1) || !std::isfinite(alpha))
    throw_invalid_argument("hippo::lagt", "alpha = ", alpha, " must be finite and > -1");
  StateSpace<T> s{Matrix<T>::Zero(N, N), Vector<T>(N)};
  for (Index n = 0; n < N; ++n) {
    const double dn = static_cast<double>(n);
    s.B(n) = static_cast<T>(
        std::exp(std::lgamma(dn + alpha + 1) - std::lgamma(dn + 1) - std::lgamma(alpha + 1)));
    for (Index k = 0; k <= n; ++k) s.A(n, k) = T(-1);
  }
  return s;
}

/// HiPPO-FouT (translated Fourier, the measure uniform on [t - 1, t]). The
/// state holds the coefficients in the orthonormal basis of the window
/// s = t - x in [0, 1): phi_0 = 1, then phi_{2m-1} = sqrt(2) cos(2 pi m s),
/// phi_{2m} = sqrt(2) sin(2 pi m s) for m = 1, 2, ... With e_j = phi_j(0) =
/// phi_j(1) (1, sqrt(2) for cosines, 0 for sines), differentiating under the
/// integral and approximating f(t - 1) by its reconstruction e^T c gives
///   A = J - e e^T,  B = e,
/// where J couples each cosine/sine pair of frequency m:
/// d c_cos/dt gets -2 pi m c_sin and d c_sin/dt gets +2 pi m c_cos.
template <class T = double>
StateSpace<T> fout(Index N) {
  detail::check_size("hippo::fout", N);
  const double pi = 3.14159265358979323846;
  Vector<double> e = Vector<double>::Zero(N);
  Matrix<double> a = Matrix<double>::Zero(N, N);
  e(0) = 1;
  for (Index j = 1; j < N; j += 2) {
    const double w = 2 * pi * static_cast<double>((j + 1) / 2);
    e(j) = std::sqrt(2.0);
    if (j + 1 < N) {
      a(j, j + 1) = -w;
      a(j + 1, j) = w;
    }
  }
  a -= e * e.transpose();
  return {a.cast<T>(), e.cast<T>()};
}

/// The normal-plus-low-rank split of HiPPO-LegS (S4, Gu et al. 2022, Thm 1):
/// with p_n = sqrt(n + 1/2), S = A + p p^T is -1/2 I plus a skew-symmetric
/// matrix, hence normal: S = V diag(Lambda) V^*. Eigenvalues come from the
/// Hermitian matrix -i (S + I/2), so V is unitary to rounding and every
/// Lambda has real part exactly -1/2. Sorted by imaginary part, descending.
template <class T = double>
NplrForm<T> legs_nplr(Index N) {
  detail::check_size("hippo::legs_nplr", N);
  using C = std::complex<double>;
  const StateSpace<double> s = legs<double>(N);
  Vector<double> p(N);
  for (Index n = 0; n < N; ++n) p(n) = std::sqrt(static_cast<double>(n) + 0.5);
  Matrix<double> skew = s.A + p * p.transpose();
  skew.diagonal().setZero();  // exactly -1/2 before: removed, added back to Lambda
  const Matrix<C> hermitian = C(0, -1) * skew.cast<C>();
  Eigen::SelfAdjointEigenSolver<Matrix<C>> eig(hermitian);
  // S + I/2 = i H = V diag(i mu) V^*; mu ascending, so reverse for descending Im.
  NplrForm<T> out;
  out.Lambda.resize(N);
  out.V.resize(N, N);
  for (Index n = 0; n < N; ++n) {
    out.Lambda(n) = std::complex<T>(T(-0.5), static_cast<T>(eig.eigenvalues()(N - 1 - n)));
    out.V.col(n) = eig.eigenvectors().col(N - 1 - n).template cast<std::complex<T>>();
  }
  const Matrix<C> v = out.V.template cast<C>();
  out.P = (v.adjoint() * p.cast<C>()).template cast<std::complex<T>>();
  out.B = (v.adjoint() * s.B.cast<C>()).template cast<std::complex<T>>();
  return out;
}

/// S4D-Lin (Gu et al. 2022): for a real state of size N (even), the N/2
/// modes of one half of the conjugate pairs, Lambda_n = -1/2 + i pi n.
template <class T = double>
Vector<std::complex<T>> s4d_lin(Index N) {
  detail::check_size("hippo::s4d_lin", N);
  if (N % 2 != 0) throw_invalid_argument("hippo::s4d_lin", "N = ", N, " must be even");
  Vector<std::complex<T>> lambda(N / 2);
  for (Index n = 0; n < N / 2; ++n)
    lambda(n) = {T(-0.5), static_cast<T>(3.14159265358979323846 * static_cast<double>(n))};
  return lambda;
}

/// S4D-Inv (Gu et al. 2022): for a real state of size N (even), the N/2 modes
/// Lambda_n = -1/2 + i (N / pi) (N / (2n + 1) - 1).
template <class T = double>
Vector<std::complex<T>> s4d_inv(Index N) {
  detail::check_size("hippo::s4d_inv", N);
  if (N % 2 != 0) throw_invalid_argument("hippo::s4d_inv", "N = ", N, " must be even");
  const double pi = 3.14159265358979323846, dn = static_cast<double>(N);
  Vector<std::complex<T>> lambda(N / 2);
  for (Index n = 0; n < N / 2; ++n)
    lambda(n) = {T(-0.5), static_cast<T>(dn / pi * (dn / (2.0 * static_cast<double>(n) + 1) - 1))};
  return lambda;
}

}  // namespace hippo
}  // namespace mlprim

#endif  // MLPRIM_SSM_HIPPO_HPP
