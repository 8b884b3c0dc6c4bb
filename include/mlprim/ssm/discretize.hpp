// Discretisation of a continuous-time state space dc/dt = A c + B f with
// step dt into c_k = Ad c_{k-1} + Bd f_k.
//
//   ForwardEuler    Ad = I + dt A,                     Bd = dt B
//   BackwardEuler   Ad = (I - dt A)^-1,                Bd = (I - dt A)^-1 dt B
//   Bilinear        Ad = (I - dt/2 A)^-1 (I + dt/2 A), Bd = (I - dt/2 A)^-1 dt B
//   ZOH             Ad = exp(dt A),                    Bd = integral_0^dt exp(s A) ds B
//
// The first three are the generalised bilinear transform (GBT, Zhang et al.
// 2007, as in the HiPPO paper) with alpha = 0, 1, 1/2:
//   Ad = (I - alpha dt A)^-1 (I + (1 - alpha) dt A),  Bd = (I - alpha dt A)^-1 dt B.
// ZOH takes both blocks from one matrix exponential of the augmented matrix
//   exp(dt [A B; 0 0]) = [Ad Bd; 0 1],
// which needs no inverse of A and so holds for singular A (Van Loan 1978);
// the exponential is Eigen's scaling-and-squaring Pade (unsupported/MatrixFunctions).
#ifndef MLPRIM_SSM_DISCRETIZE_HPP
#define MLPRIM_SSM_DISCRETIZE_HPP

#include <cmath>
#include <complex>

#include <Eigen/LU>
#include <unsupported/Eigen/MatrixFunctions>

#include "mlprim/core/error.hpp"
#include "mlprim/core/types.hpp"

namespace mlprim {

/// How a continuous-time system is discretised (see discretize.hpp).
enum class Method {
  ForwardEuler,   ///< GBT alpha = 0
  BackwardEuler,  ///< GBT alpha = 1
  Bilinear,       ///< GBT alpha = 1/2 (Tustin)
  ZOH,            ///< zero-order hold: exact for inputs constant over each step
  GBT             ///< generalised bilinear with the alpha given separately
};

/// A discrete state-space pair: c_k = Ad c_{k-1} + Bd f_k.
template <class T>
struct DiscreteStateSpace {
  Matrix<T> Ad;  ///< N x N
  Vector<T> Bd;  ///< N
};

namespace detail {

/// The GBT alpha of `method` (`alpha` is used for Method::GBT).
inline double gbt_alpha(const char* fn, Method method, double alpha) {
  switch (method) {
    case Method::ForwardEuler:
      return 0;
    case Method::BackwardEuler:
      return 1;
    case Method::Bilinear:
      return 0.5;
    case Method::GBT:
      check_in_range(fn, "alpha", alpha, 0.0, 1.0);
      return alpha;
    case Method::ZOH:
      break;
  }
  throw_invalid_argument(fn, "method = ZOH has no GBT alpha");
}

inline void check_dt(const char* fn, double dt) {
  check_positive(fn, "dt", dt);
  check_finite(fn, "dt", dt);
}

}  // namespace detail

/// Discretises (A, B) with step dt > 0 by `method` (see discretize.hpp;
/// `alpha` in [0, 1] is read for Method::GBT only). A is N x N, B has N
/// entries. GBT methods solve with a pivoted LU and throw when
/// I - alpha dt A is singular (A has the eigenvalue 1 / (alpha dt)). Stability
/// is not enforced: an unstable A gives an unstable Ad, as it should.
template <class DA, class DB>
DiscreteStateSpace<typename DA::Scalar> discretize(const Eigen::MatrixBase<DA>& A,
                                                   const Eigen::MatrixBase<DB>& B, double dt,
                                                   Method method, double alpha = 0.5) {
  using T = typename DA::Scalar;
  constexpr const char* fn = "discretize";
  const Index n = A.rows();
  if (A.cols() != n) throw_invalid_argument(fn, "A is ", A.rows(), " x ", A.cols(), ", not square");
  if (B.size() != n || (B.rows() != 1 && B.cols() != 1))
    throw_invalid_argument(fn, "B is ", B.rows(), " x ", B.cols(), ", A is ", n, " x ", n,
                           ": B must have ", n, " entries");
  detail::check_dt(fn, dt);
  if (!A.allFinite() || !B.allFinite()) throw_invalid_argument(fn, "A and B must be finite");
  const Vector<T> b = B.derived().reshaped();
  if (method == Method::ZOH) {
    Matrix<T> augmented = Matrix<T>::Zero(n + 1, n + 1);
    augmented.topLeftCorner(n, n) = static_cast<T>(dt) * A;
    augmented.topRightCorner(n, 1) = static_cast<T>(dt) * b;
    const Matrix<T> e = augmented.exp();
    return {e.topLeftCorner(n, n), e.topRightCorner(n, 1)};
  }
  const double a = detail::gbt_alpha(fn, method, alpha);
  const Matrix<T> identity = Matrix<T>::Identity(n, n);
  const Matrix<T> left = identity - static_cast<T>(a * dt) * A;
  const Eigen::FullPivLU<Matrix<T>> lu(left);
  if (!lu.isInvertible())
    throw_invalid_argument(fn, "I - alpha dt A is singular (alpha = ", a, ", dt = ", dt,
                           "): A has the eigenvalue 1 / (alpha dt)");
  return {lu.solve(identity + static_cast<T>((1 - a) * dt) * A), lu.solve(static_cast<T>(dt) * b)};
}

/// A diagonal discrete system: c_k = Ad .* c_{k-1} + Bd .* f_k, per mode.
template <class T>
struct DiagonalDiscreteStateSpace {
  Vector<std::complex<T>> Ad;  ///< N
  Vector<std::complex<T>> Bd;  ///< N
};

/// The diagonal fast path of discretize for A = diag(Lambda), complex, O(N):
///   ZOH: Ad = exp(dt Lambda), Bd = (exp(dt Lambda) - 1) / Lambda * B
///        (dt B where Lambda = 0, the limit);
///   GBT: Ad = (1 + (1 - alpha) dt Lambda) / (1 - alpha dt Lambda),
///        Bd = dt B / (1 - alpha dt Lambda).
/// Throws when a GBT denominator is 0.
template <class T>
DiagonalDiscreteStateSpace<T> discretize_diagonal(const Vector<std::complex<T>>& Lambda,
                                                  const Vector<std::complex<T>>& B, double dt,
                                                  Method method, double alpha = 0.5) {
  constexpr const char* fn = "discretize_diagonal";
  if (B.size() != Lambda.size())
    throw_invalid_argument(fn, "B has ", B.size(), " entries, Lambda ", Lambda.size());
  detail::check_dt(fn, dt);
  if (!Lambda.allFinite() || !B.allFinite())
    throw_invalid_argument(fn, "Lambda and B must be finite");
  using C = std::complex<T>;
  const T h = static_cast<T>(dt);
  DiagonalDiscreteStateSpace<T> out{Vector<C>(Lambda.size()), Vector<C>(Lambda.size())};
  if (method == Method::ZOH) {
    for (Index n = 0; n < Lambda.size(); ++n) {
      const C z = h * Lambda(n);
      out.Ad(n) = std::exp(z);
      // (e^z - 1) / z with its series where z is small (no cancellation).
      const C phi = std::abs(z) < T(1e-4) ? C(1) + z / T(2) + z * z / T(6) : (out.Ad(n) - C(1)) / z;
      out.Bd(n) = h * phi * B(n);
    }
    return out;
  }
  const T a = static_cast<T>(detail::gbt_alpha(fn, method, alpha));
  for (Index n = 0; n < Lambda.size(); ++n) {
    const C denominator = C(1) - a * h * Lambda(n);
    if (denominator == C(0))
      throw_invalid_argument(fn, "1 - alpha dt Lambda_", n, " is 0 (alpha = ", a, ", dt = ", dt,
                             ")");
    out.Ad(n) = (C(1) + (T(1) - a) * h * Lambda(n)) / denominator;
    out.Bd(n) = h * B(n) / denominator;
  }
  return out;
}

}  // namespace mlprim

#endif  // MLPRIM_SSM_DISCRETIZE_HPP
