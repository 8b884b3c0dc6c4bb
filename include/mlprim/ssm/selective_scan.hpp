// The selective scan of Mamba (Gu and Dao, "Mamba: Linear-Time Sequence
// Modeling with Selective State Spaces", 2023), with exactly the semantics
// of its reference `selective_scan_ref` (state-spaces/mamba,
// mamba_ssm/ops/selective_scan_interface.py). Per channel d and state n:
//   delta  = softplus(delta + delta_bias)          (each optional)
//   x_t    = exp(delta_t A_dn) x_{t-1} + delta_t B_tn u_t
//   y_t    = sum_n C_tn x_tn  (2 Re(...) for complex A)  + D_d u_t
//   out_t  = y_t * silu(z_t)                       (if z is given)
// Layout (one time step per row): u, delta, z are L x Dm; A is Dm x N; B and
// C are L x N (varying), L x (G N) (G groups of N, channel d in group
// d / (Dm / G)) or Dm x N (time-invariant, flagged in the options).
#ifndef MLPRIM_SSM_SELECTIVE_SCAN_HPP
#define MLPRIM_SSM_SELECTIVE_SCAN_HPP

#include <complex>
#include <type_traits>
#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/core/parallel.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/core/view.hpp"
#include "mlprim/ssm/detail/scan_inputs.hpp"
#include "mlprim/ssm/detail/scan_lanes.hpp"

namespace mlprim {

/// Options of selective_scan and selective_scan_backward. The optional
/// inputs are views (see ConstRowView): empty means absent, as None in the
/// reference. T is the storage type of u (float, double, Eigen::half,
/// Eigen::bfloat16: arithmetic in AccumulatorT<T>); StateT is A's scalar, T
/// or std::complex<T>.
template <class T, class StateT = T>
struct SelectiveScanOptions {
  ConstRowView<T> D;               ///< Dm skip weights (absent: no skip term)
  ConstRowView<T> z;               ///< L x Dm gate (absent: no gate)
  ConstRowView<T> delta_bias;      ///< Dm, added to delta before the softplus
  bool delta_softplus = false;     ///< apply softplus to delta (threshold 20, as PyTorch)
  bool return_last_state = false;  ///< fill SelectiveScanOutput::last_state
  bool B_time_invariant = false;   ///< B is Dm x N, the same at every step
  bool C_time_invariant = false;   ///< C is Dm x N, the same at every step
  /// Initial states, (sequences * Dm) x N: rows s * Dm .. s * Dm + Dm - 1 are
  /// sequence s's (absent: zeros, as the reference).
  ConstRowView<StateT> initial_state;
  /// Packed variable-length batch: sequence s is rows [cu_seqlens[s],
  /// cu_seqlens[s+1]) of u, with its own state from the start (empty: one
  /// sequence of all rows).
  std::vector<Index> cu_seqlens;
  int num_threads = 0;  ///< 0 = all; work is split over blocks of channels
};

/// The result of selective_scan.
template <class T, class StateT = T>
struct SelectiveScanOutput {
  RowMatrix<T> y;  ///< L x Dm
  /// (sequences * Dm) x N states after each sequence's last step (with
  /// return_last_state; the initial state for an empty sequence).
  RowMatrix<StateT> last_state;
};

namespace detail {

/// selective_scan, reporting errors as function `fn`.
template <class DU, class DDelta, class DA, class DB, class DC>
SelectiveScanOutput<typename DU::Scalar, typename DA::Scalar> selective_scan_as(
    const char* fn, const Eigen::MatrixBase<DU>& u, const Eigen::MatrixBase<DDelta>& delta,
    const Eigen::MatrixBase<DA>& A, const Eigen::MatrixBase<DB>& B, const Eigen::MatrixBase<DC>& C,
    const SelectiveScanOptions<typename DU::Scalar, typename DA::Scalar>& options) {
  using T = typename DU::Scalar;
  using P = typename DA::Scalar;
  using Acc = AccumulatorT<T>;
  using S = std::conditional_t<std::is_same_v<P, T>, Acc, std::complex<Acc>>;
  static_assert(std::is_same_v<P, T> || std::is_same_v<P, std::complex<T>>,
                "mlprim::selective_scan: A must hold u's scalar type or its complex");
  static_assert(std::is_same_v<typename DB::Scalar, P> && std::is_same_v<typename DC::Scalar, P>,
                "mlprim::selective_scan: B and C must have A's scalar type");
  const auto in = detail::checked_scan_inputs<T, P>(fn, u, delta, A, B, C, options);
  const detail::ScanShape& shape = in.shape;
  const Index L = shape.total, dm = shape.channels, n = shape.state, seqs = shape.sequences();
  const int threads = resolve_threads(fn, options.num_threads);

  SelectiveScanOutput<T, P> out{RowMatrix<T>(L, dm), RowMatrix<P>()};
  if (options.return_last_state) out.last_state.resize(seqs * dm, n);
  const std::vector<detail::ChannelBlock> blocks = shape.blocks();
  parallel_for(std::size_t{0}, blocks.size(), threads, [&](std::size_t task) {
    const detail::ChannelBlock& block = blocks[task];
    detail::BlockScan<T, P, S> scan(in, block);
    const Index w = scan.width();
    detail::LaneStates<S> x(detail::scan_channel_block, n);
    detail::Lanes<S> y;
    detail::Lanes<Acc> skip = detail::Lanes<Acc>::Zero(), gate = detail::Lanes<Acc>::Zero();
    if (!options.D.empty())
      for (Index i = 0; i < w; ++i) skip(i) = static_cast<Acc>(options.D[block.begin + i]);
    for (Index s = 0; s < seqs; ++s) {
      x.setZero();
      if (!options.initial_state.empty())
        x.topRows(w) =
            options.initial_state.map().middleRows(s * dm + block.begin, w).template cast<S>();
      for (Index t = shape.offsets[static_cast<std::size_t>(s)];
           t < shape.offsets[static_cast<std::size_t>(s) + 1]; ++t) {
        scan.load(t);
        scan.step(t, x, y);
        detail::Lanes<Acc> value = detail::lane_output<Acc>(y) + skip * scan.u();
        if (!options.z.empty()) {
          detail::load_lanes(gate, options.z, t, block.begin, w);
          value *= gate / (Acc(1) + (-gate).exp());  // silu
        }
        detail::store_lanes(out.y, t, block.begin, w, value);
      }
      if (options.return_last_state)
        out.last_state.middleRows(s * dm + block.begin, w) = x.topRows(w).template cast<P>();
    }
  });
  return out;
}

}  // namespace detail

/// The Mamba selective scan (see selective_scan.hpp) of u, delta (L x Dm),
/// A (Dm x N, real or complex), B and C (varying L x (G N) or time-invariant
/// Dm x N; complex with complex A). O(L Dm N) time; memory O(L Dm) (the
/// output) plus (sequences Dm N) for the last states. Channels are split
/// over threads in blocks of 16, so results are identical for any thread
/// count. Column-major arguments are copied. L = 0 gives empty results; a
/// NaN reaches only the channels (and, through B and C, the groups) it
/// touches.
template <class DU, class DDelta, class DA, class DB, class DC>
SelectiveScanOutput<typename DU::Scalar, typename DA::Scalar> selective_scan(
    const Eigen::MatrixBase<DU>& u, const Eigen::MatrixBase<DDelta>& delta,
    const Eigen::MatrixBase<DA>& A, const Eigen::MatrixBase<DB>& B, const Eigen::MatrixBase<DC>& C,
    const SelectiveScanOptions<typename DU::Scalar, typename DA::Scalar>& options = {}) {
  return detail::selective_scan_as("selective_scan", u, delta, A, B, C, options);
}

}  // namespace mlprim

#endif  // MLPRIM_SSM_SELECTIVE_SCAN_HPP
