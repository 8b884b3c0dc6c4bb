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

/// The forward time loop of one block of channels over rows [t_begin, t_end)
/// from the states in x (w x N; left holding the states after t_end - 1);
/// shared with the backward pass, which reruns it to rebuild states.
/// `on_step(t, i, x_row, y)` sees channel i's state after step t and
/// y = sum_n C_tn x_tn.
template <class Acc, class S, class Inputs, class OnStep>
void scan_block(const Inputs& in, const ChannelBlock& block,
                Eigen::Array<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>& x, Index t_begin,
                Index t_end, const OnStep& on_step) {
  const Index w = block.end - block.begin, n = in.shape.state;
  const Index b_col = block.group * n;
  Eigen::Array<S, 1, Eigen::Dynamic> b_row(n), c_row(n);
  for (Index t = t_begin; t < t_end; ++t) {
    if (!in.B_invariant) b_row = in.B.row(t).segment(b_col, n).template cast<S>();
    if (!in.C_invariant) c_row = in.C.row(t).segment(b_col, n).template cast<S>();
    for (Index i = 0; i < w; ++i) {
      const Index d = block.begin + i;
      const Acc delta = in.delta_at(t, d), u = static_cast<Acc>(in.u(t, d));
      auto xr = x.row(i);
      const auto a_row = in.A.row(d).template cast<S>().array();
      if (in.B_invariant)
        xr = (S(delta) * a_row).exp() * xr + S(delta * u) * in.B.row(d).template cast<S>().array();
      else
        xr = (S(delta) * a_row).exp() * xr + S(delta * u) * b_row;
      S y;
      if (in.C_invariant)
        y = (xr * in.C.row(d).template cast<S>().array()).sum();
      else
        y = (xr * c_row).sum();
      on_step(t, i, xr, y);
    }
  }
}

/// Views of a scan's inputs in the types the kernels read.
template <class T, class P>
struct ScanInputs {
  using Acc = AccumulatorT<T>;
  Eigen::Ref<const RowMatrix<T>> u, delta;
  Eigen::Ref<const RowMatrix<P>> A, B, C;
  ScanShape shape;
  bool B_invariant, C_invariant, softplus;
  ConstRowView<T> delta_bias;

  /// delta after the bias and the softplus.
  Acc delta_raw(Index t, Index d) const {
    return static_cast<Acc>(delta(t, d)) + optional_entry<Acc>(delta_bias, d, Acc(0));
  }
  Acc delta_at(Index t, Index d) const {
    const Acc v = delta_raw(t, d);
    return softplus ? detail::softplus(v) : v;
  }
};

/// The real part the reference keeps: 2 Re(y) for complex states.
template <class Acc, class S>
Acc scan_output(const S& y) {
  if constexpr (std::is_same_v<S, Acc>) {
    return y;
  } else {
    return Acc(2) * y.real();
  }
}

}  // namespace detail

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
  detail::ScanShape shape =
      detail::check_scan_inputs(fn, u, delta, A, B, C, options.B_time_invariant,
                                options.C_time_invariant, options.cu_seqlens);
  const Index L = shape.total, dm = shape.channels, n = shape.state, seqs = shape.sequences();
  detail::check_optional(fn, "D", options.D, dm, 1);
  detail::check_optional(fn, "delta_bias", options.delta_bias, dm, 1);
  detail::check_optional(fn, "z", options.z, L, dm);
  detail::check_optional(fn, "initial_state", options.initial_state, seqs * dm, n);
  const int threads = resolve_threads(fn, options.num_threads);

  const detail::ScanInputs<T, P> in{u.derived(),
                                    delta.derived(),
                                    A.derived(),
                                    B.derived(),
                                    C.derived(),
                                    shape,
                                    options.B_time_invariant,
                                    options.C_time_invariant,
                                    options.delta_softplus,
                                    options.delta_bias};
  SelectiveScanOutput<T, P> out{RowMatrix<T>(L, dm), RowMatrix<P>()};
  if (options.return_last_state) out.last_state.resize(seqs * dm, n);
  const std::vector<detail::ChannelBlock> blocks = shape.blocks();
  parallel_for(std::size_t{0}, blocks.size(), threads, [&](std::size_t task) {
    const detail::ChannelBlock& block = blocks[task];
    const Index w = block.end - block.begin;
    Eigen::Array<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> x(w, n);
    for (Index s = 0; s < seqs; ++s) {
      if (options.initial_state.empty())
        x.setZero();
      else
        x = options.initial_state.map().middleRows(s * dm + block.begin, w).template cast<S>();
      detail::scan_block<Acc, S>(in, block, x, shape.offsets[static_cast<std::size_t>(s)],
                                 shape.offsets[static_cast<std::size_t>(s) + 1],
                                 [&](Index t, Index i, const auto&, S y) {
                                   const Index d = block.begin + i;
                                   const Acc ud = static_cast<Acc>(in.u(t, d));
                                   Acc value = detail::scan_output<Acc>(y) +
                                               detail::optional_entry<Acc>(options.D, d, 0) * ud;
                                   if (!options.z.empty())
                                     value *= detail::silu(static_cast<Acc>(options.z(t, d)));
                                   out.y(t, d) = static_cast<T>(value);
                                 });
      if (options.return_last_state)
        out.last_state.middleRows(s * dm + block.begin, w) = x.matrix().template cast<P>();
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
