// The recurrent (RNN) mode of a discrete linear state space:
//   x_k = Ad x_{k-1} + Bd u_k,   y_k = C x_k + D u_k,   x_{-1} = x0,
// one step at a time: O(N^2) per step and O(N) memory, the form for
// streaming inference; from x0 = 0 it equals the convolutional mode
// y = causal_convolution(u, ssm_kernel(Ad, Bd, C, L)) + D u.
#ifndef MLPRIM_SSM_RECURRENCE_HPP
#define MLPRIM_SSM_RECURRENCE_HPP

#include "mlprim/core/error.hpp"
#include "mlprim/core/types.hpp"

namespace mlprim {

/// The output of ssm_recurrence.
template <class T>
struct RecurrenceOutput {
  Vector<T> y;           ///< L outputs
  Vector<T> last_state;  ///< x_{L-1} (x0 when L = 0)
};

/// Runs the single-input single-output system (Ad N x N; Bd, C, x0 N
/// entries; scalar D) over the L samples of u (see recurrence.hpp).
template <class DA, class DB, class DC, class DU, class DX>
RecurrenceOutput<typename DA::Scalar> ssm_recurrence(const Eigen::MatrixBase<DA>& Ad,
                                                     const Eigen::MatrixBase<DB>& Bd,
                                                     const Eigen::MatrixBase<DC>& C,
                                                     typename DA::Scalar D,
                                                     const Eigen::MatrixBase<DU>& u,
                                                     const Eigen::MatrixBase<DX>& x0) {
  using T = typename DA::Scalar;
  constexpr const char* fn = "ssm_recurrence";
  const Index n = Ad.rows();
  if (Ad.cols() != n)
    throw_invalid_argument(fn, "Ad is ", Ad.rows(), " x ", Ad.cols(), ", not square");
  if (Bd.size() != n || C.size() != n || x0.size() != n)
    throw_invalid_argument(fn, "Bd, C and x0 have ", Bd.size(), ", ", C.size(), " and ", x0.size(),
                           " entries, Ad is ", n, " x ", n);
  if (u.rows() != 1 && u.cols() != 1 && u.size() != 0)
    throw_invalid_argument(fn, "u is ", u.rows(), " x ", u.cols(), ", not a vector");
  const Vector<T> b = Bd.derived().reshaped(), c = C.derived().reshaped();
  RecurrenceOutput<T> out{Vector<T>(u.size()), x0.derived().reshaped()};
  Vector<T> next(n);
  for (Index k = 0; k < u.size(); ++k) {
    const T uk = u.derived()(k);
    next.noalias() = Ad * out.last_state;
    next += b * uk;
    out.last_state.swap(next);
    out.y(k) = c.cwiseProduct(out.last_state).sum() + D * uk;
  }
  return out;
}

}  // namespace mlprim

#endif  // MLPRIM_SSM_RECURRENCE_HPP
