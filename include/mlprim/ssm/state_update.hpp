// One decoding step of the selective scan (Mamba's selective_state_update):
// for each sequence of a batch, the state advances by one token,
//   state = exp(dt A) state + dt B x,   y = C . state (+ D x) (* silu(z)),
// with dt = softplus(dt + dt_bias) when asked. It is selective_scan over
// sequences of length 1 from the given states, so one pass and token-by-token
// decoding give the same numbers.
#ifndef MLPRIM_SSM_STATE_UPDATE_HPP
#define MLPRIM_SSM_STATE_UPDATE_HPP

#include <numeric>
#include <vector>

#include "mlprim/ssm/selective_scan.hpp"

namespace mlprim {

/// Options of selective_state_update (Mamba's names: dt for delta).
template <class T>
struct SelectiveStateUpdateOptions {
  ConstRowView<T> D;              ///< Dm skip weights (absent: none)
  ConstRowView<T> z;              ///< batch x Dm gate (absent: none)
  ConstRowView<T> dt_bias;        ///< Dm, added to dt before the softplus
  bool dt_softplus = false;       ///< apply softplus to dt
  bool B_time_invariant = false;  ///< B is Dm x N
  bool C_time_invariant = false;  ///< C is Dm x N
  int num_threads = 0;            ///< 0 = all
};

/// Advances `state` ((batch Dm) x N, sequence b in rows b Dm .. b Dm + Dm - 1)
/// by one token: x and dt are batch x Dm, A is Dm x N, B and C batch x (G N)
/// (or Dm x N when time-invariant). Returns y (batch x Dm).
template <class T, class DX, class DDt, class DA, class DB, class DC>
RowMatrix<T> selective_state_update(Eigen::Ref<RowMatrix<T>> state, const Eigen::MatrixBase<DX>& x,
                                    const Eigen::MatrixBase<DDt>& dt,
                                    const Eigen::MatrixBase<DA>& A, const Eigen::MatrixBase<DB>& B,
                                    const Eigen::MatrixBase<DC>& C,
                                    const SelectiveStateUpdateOptions<T>& options = {}) {
  const Index batch = x.rows();
  if (state.rows() != batch * x.cols() || state.cols() != A.cols())
    throw_invalid_argument("selective_state_update", "state is ", state.rows(), " x ", state.cols(),
                           ", expected (batch Dm) x N = ", batch * x.cols(), " x ", A.cols());
  SelectiveScanOptions<T> scan;
  scan.D = options.D;
  scan.z = options.z;
  scan.delta_bias = options.dt_bias;
  scan.delta_softplus = options.dt_softplus;
  scan.B_time_invariant = options.B_time_invariant;
  scan.C_time_invariant = options.C_time_invariant;
  scan.num_threads = options.num_threads;
  scan.return_last_state = true;
  scan.initial_state = state;
  scan.cu_seqlens.resize(static_cast<std::size_t>(batch) + 1);
  std::iota(scan.cu_seqlens.begin(), scan.cu_seqlens.end(), Index{0});
  auto out = detail::selective_scan_as("selective_state_update", x, dt, A, B, C, scan);
  state = out.last_state;
  return std::move(out.y);
}

}  // namespace mlprim

#endif  // MLPRIM_SSM_STATE_UPDATE_HPP
