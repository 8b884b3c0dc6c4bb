// Gradients of the selective scan (selective_scan.hpp) for real A, by the
// adjoint recurrence. With a_t = exp(delta_t A), b_t = delta_t u_t B_t and
// the upstream gradient dy_t of y_t (before D and the gate):
//   g_t = dy_t C_t + a_{t+1} g_{t+1}          (adjoint of x_t, g_L = 0)
//   d delta_t += sum_n g_tn (x_{t-1,n} a_tn A_n + u_t B_tn)
//   dA_n      += sum_t g_tn x_{t-1,n} a_tn delta_t
//   dB_tn     += g_tn delta_t u_t,  dC_tn += dy_t x_tn,  du_t += delta_t sum_n g_tn B_tn
// then the chain rule through D u, silu(z), the softplus and delta_bias. The
// reverse pass needs x_{t-1}: it is rebuilt chunk by chunk from states kept
// at every 64th step, so extra memory is O(L Dm) (checkpoints, Dm N L / 64),
// never the L x Dm x N states.
#ifndef MLPRIM_SSM_SELECTIVE_SCAN_BACKWARD_HPP
#define MLPRIM_SSM_SELECTIVE_SCAN_BACKWARD_HPP

#include <vector>

#include "mlprim/ssm/selective_scan.hpp"

namespace mlprim {

/// Gradients of selective_scan's output. Members for absent inputs (D, z,
/// delta_bias, initial_state) are empty. dB and dC have the shapes of B and C.
template <class T>
struct SelectiveScanGradients {
  RowMatrix<T> du;              ///< L x Dm
  RowMatrix<T> ddelta;          ///< L x Dm (of delta as passed, before bias and softplus)
  RowMatrix<T> dA;              ///< Dm x N
  RowMatrix<T> dB;              ///< like B
  RowMatrix<T> dC;              ///< like C
  Vector<T> dD;                 ///< Dm
  RowMatrix<T> dz;              ///< L x Dm
  Vector<T> ddelta_bias;        ///< Dm
  RowMatrix<T> dinitial_state;  ///< (sequences Dm) x N
};

namespace detail {
/// Steps between the states the backward pass keeps.
constexpr Index scan_checkpoint_interval = 64;
}  // namespace detail

/// The gradients of sum(dout .* selective_scan(u, delta, A, B, C, options).y)
/// with respect to every input (see selective_scan_backward.hpp), for real A.
/// dout is L x Dm. Same threading and determinism as the forward pass: the
/// varying dB and dC are summed over the channels of a group from per-block
/// partial sums in a fixed order. O(L Dm N) time, O(L Dm) extra memory
/// (plus L N per block of 16 channels for varying B and C).
template <class DU, class DDelta, class DA, class DB, class DC, class DOut>
SelectiveScanGradients<typename DU::Scalar> selective_scan_backward(
    const Eigen::MatrixBase<DU>& u, const Eigen::MatrixBase<DDelta>& delta,
    const Eigen::MatrixBase<DA>& A, const Eigen::MatrixBase<DB>& B, const Eigen::MatrixBase<DC>& C,
    const Eigen::MatrixBase<DOut>& dout,
    const SelectiveScanOptions<typename DU::Scalar>& options = {}) {
  using T = typename DU::Scalar;
  using Acc = AccumulatorT<T>;
  static_assert(std::is_same_v<typename DA::Scalar, T> && std::is_same_v<typename DB::Scalar, T> &&
                    std::is_same_v<typename DC::Scalar, T>,
                "mlprim::selective_scan_backward: real A, B, C of u's scalar type");
  constexpr const char* fn = "selective_scan_backward";
  const detail::ScanShape shape =
      detail::check_scan_inputs(fn, u, delta, A, B, C, options.B_time_invariant,
                                options.C_time_invariant, options.cu_seqlens);
  const Index L = shape.total, dm = shape.channels, n = shape.state, seqs = shape.sequences();
  detail::check_optional(fn, "D", options.D, dm, 1);
  detail::check_optional(fn, "delta_bias", options.delta_bias, dm, 1);
  detail::check_optional(fn, "z", options.z, L, dm);
  detail::check_optional(fn, "initial_state", options.initial_state, seqs * dm, n);
  if (dout.rows() != L || dout.cols() != dm)
    throw_invalid_argument(fn, "dout is ", dout.rows(), " x ", dout.cols(), ", u is ", L, " x ",
                           dm);
  const int threads = resolve_threads(fn, options.num_threads);
  const Eigen::Ref<const RowMatrix<T>> dy_in(dout.derived());
  const detail::ScanInputs<T, T> in{u.derived(),
                                    delta.derived(),
                                    A.derived(),
                                    B.derived(),
                                    C.derived(),
                                    shape,
                                    options.B_time_invariant,
                                    options.C_time_invariant,
                                    options.delta_softplus,
                                    options.delta_bias};
  using State = Eigen::Array<Acc, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const std::vector<detail::ChannelBlock> blocks = shape.blocks();

  SelectiveScanGradients<T> g;
  g.du.resize(L, dm);
  g.ddelta.resize(L, dm);
  g.dA.resize(dm, n);
  RowMatrix<Acc> dB_invariant, dC_invariant;
  if (options.B_time_invariant) dB_invariant.resize(dm, n);
  if (options.C_time_invariant) dC_invariant.resize(dm, n);
  Vector<Acc> dD = Vector<Acc>::Zero(dm), dbias = Vector<Acc>::Zero(dm);
  if (!options.z.empty()) g.dz.resize(L, dm);
  if (!options.initial_state.empty()) g.dinitial_state.resize(seqs * dm, n);
  // Varying B, C: each block's share, L x N, summed over the group's blocks below.
  std::vector<RowMatrix<Acc>> dB_part(options.B_time_invariant ? 0 : blocks.size()),
      dC_part(options.C_time_invariant ? 0 : blocks.size());

  constexpr Index interval = detail::scan_checkpoint_interval;
  parallel_for(std::size_t{0}, blocks.size(), threads, [&](std::size_t task) {
    const detail::ChannelBlock& block = blocks[task];
    const Index w = block.end - block.begin, col = block.group * n;
    RowMatrix<Acc>* dB_rows = dB_part.empty() ? nullptr : &dB_part[task];
    RowMatrix<Acc>* dC_rows = dC_part.empty() ? nullptr : &dC_part[task];
    if (dB_rows) dB_rows->setZero(L, n);
    if (dC_rows) dC_rows->setZero(L, n);
    State x(w, n), adjoint(w, n), dA_block = State::Zero(w, n), dB_block, dC_block;
    if (!dB_rows) dB_block.setZero(w, n);
    if (!dC_rows) dC_block.setZero(w, n);
    std::vector<State> checkpoints;
    std::vector<State> states(static_cast<std::size_t>(interval), State(w, n));
    std::vector<Acc> y_ssm(static_cast<std::size_t>(interval * w));
    Eigen::Array<Acc, 1, Eigen::Dynamic> b_row(n), c_row(n), a_row(n), da(n);

    for (Index s = 0; s < seqs; ++s) {
      const Index t0 = shape.offsets[static_cast<std::size_t>(s)],
                  t1 = shape.offsets[static_cast<std::size_t>(s) + 1];
      if (options.initial_state.empty())
        x.setZero();
      else
        x = options.initial_state.map().middleRows(s * dm + block.begin, w).template cast<Acc>();
      const Index chunks = (t1 - t0 + interval - 1) / interval;
      checkpoints.assign(static_cast<std::size_t>(chunks), State());
      for (Index c = 0; c < chunks; ++c) {  // the state before each chunk
        checkpoints[static_cast<std::size_t>(c)] = x;
        detail::scan_block<Acc, Acc>(in, block, x, t0 + c * interval,
                                     std::min(t1, t0 + (c + 1) * interval),
                                     [](Index, Index, const auto&, Acc) {});
      }
      adjoint.setZero();
      for (Index c = chunks - 1; c >= 0; --c) {
        const Index c0 = t0 + c * interval, c1 = std::min(t1, c0 + interval);
        x = checkpoints[static_cast<std::size_t>(c)];
        detail::scan_block<Acc, Acc>(in, block, x, c0, c1,
                                     [&](Index t, Index i, const auto& xr, Acc y) {
                                       states[static_cast<std::size_t>(t - c0)].row(i) = xr;
                                       y_ssm[static_cast<std::size_t>((t - c0) * w + i)] = y;
                                     });
        for (Index t = c1 - 1; t >= c0; --t) {
          const State& x_t = states[static_cast<std::size_t>(t - c0)];
          const State& x_prev = t > c0 ? states[static_cast<std::size_t>(t - c0 - 1)]
                                       : checkpoints[static_cast<std::size_t>(c)];
          if (!options.B_time_invariant) b_row = in.B.row(t).segment(col, n).template cast<Acc>();
          if (!options.C_time_invariant) c_row = in.C.row(t).segment(col, n).template cast<Acc>();
          for (Index i = 0; i < w; ++i) {
            const Index d = block.begin + i;
            const Acc raw = in.delta_raw(t, d), dt = in.delta_at(t, d);
            const Acc ud = static_cast<Acc>(in.u(t, d)), go = static_cast<Acc>(dy_in(t, d));
            const Acc skip = detail::optional_entry<Acc>(options.D, d, 0);
            Acc dy = go;
            if (!options.z.empty()) {
              const Acc zz = static_cast<Acc>(options.z(t, d));
              const Acc pre = y_ssm[static_cast<std::size_t>((t - c0) * w + i)] + skip * ud;
              g.dz(t, d) = static_cast<T>(go * pre * detail::silu_derivative(zz));
              dy = go * detail::silu(zz);
            }
            dD(d) += dy * ud;
            Acc du = dy * skip;
            auto gi = adjoint.row(i);
            if (options.C_time_invariant) {
              gi += dy * in.C.row(d).template cast<Acc>().array();
              dC_block.row(i) += dy * x_t.row(i);
            } else {
              gi += dy * c_row;
              dC_rows->row(t).array() += dy * x_t.row(i);
            }
            a_row = (dt * in.A.row(d).template cast<Acc>().array()).exp();
            da = gi * x_prev.row(i) * a_row;  // d/d(delta A) of this step
            Acc ddt = (da * in.A.row(d).template cast<Acc>().array()).sum();
            dA_block.row(i) += dt * da;
            Acc gb;
            if (options.B_time_invariant) {
              gb = (gi * in.B.row(d).template cast<Acc>().array()).sum();
              dB_block.row(i) += (dt * ud) * gi;
            } else {
              gb = (gi * b_row).sum();
              dB_rows->row(t).array() += (dt * ud) * gi;
            }
            ddt += ud * gb;
            du += dt * gb;
            gi *= a_row;
            const Acc draw = options.delta_softplus ? ddt * detail::softplus_derivative(raw) : ddt;
            g.ddelta(t, d) = static_cast<T>(draw);
            dbias(d) += draw;
            g.du(t, d) = static_cast<T>(du);
          }
        }
      }
      if (!options.initial_state.empty())
        g.dinitial_state.middleRows(s * dm + block.begin, w) = adjoint.matrix().template cast<T>();
    }
    g.dA.middleRows(block.begin, w) = dA_block.matrix().template cast<T>();
    if (!dB_rows) dB_invariant.middleRows(block.begin, w) = dB_block.matrix();
    if (!dC_rows) dC_invariant.middleRows(block.begin, w) = dC_block.matrix();
  });

  // Varying B and C: the blocks of each group, in block order.
  auto reduce_parts = [&](const std::vector<RowMatrix<Acc>>& parts, RowMatrix<T>& out) {
    out.resize(L, shape.groups * n);
    parallel_for_chunks(Index{0}, L, threads, [&](Index lo, Index hi, int) {
      RowMatrix<Acc> sum(hi - lo, shape.groups * n);
      sum.setZero();
      for (std::size_t b = 0; b < blocks.size(); ++b)
        sum.middleCols(blocks[b].group * n, n) += parts[b].middleRows(lo, hi - lo);
      out.middleRows(lo, hi - lo) = sum.template cast<T>();
    });
  };
  if (options.B_time_invariant)
    g.dB = dB_invariant.template cast<T>();
  else
    reduce_parts(dB_part, g.dB);
  if (options.C_time_invariant)
    g.dC = dC_invariant.template cast<T>();
  else
    reduce_parts(dC_part, g.dC);
  if (!options.D.empty()) g.dD = dD.template cast<T>();
  if (!options.delta_bias.empty()) g.ddelta_bias = dbias.template cast<T>();
  return g;
}

}  // namespace mlprim

#endif  // MLPRIM_SSM_SELECTIVE_SCAN_BACKWARD_HPP
