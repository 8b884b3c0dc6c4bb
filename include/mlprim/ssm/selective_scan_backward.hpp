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
  const auto in = detail::checked_scan_inputs<T, T>(fn, u, delta, A, B, C, options);
  const detail::ScanShape& shape = in.shape;
  const Index L = shape.total, dm = shape.channels, n = shape.state, seqs = shape.sequences();
  if (dout.rows() != L || dout.cols() != dm)
    throw_invalid_argument(fn, "dout is ", dout.rows(), " x ", dout.cols(), ", u is ", L, " x ",
                           dm);
  const int threads = resolve_threads(fn, options.num_threads);
  const Eigen::Ref<const RowMatrix<T>> dy_in(dout.derived());

  const std::vector<detail::ChannelBlock> blocks = shape.blocks();

  SelectiveScanGradients<T> g;
  g.du.resize(L, dm);
  g.ddelta.resize(L, dm);
  g.dA.resize(dm, n);
  RowMatrix<Acc> dB_invariant, dC_invariant;
  if (options.B_time_invariant) dB_invariant.resize(dm, n);
  if (options.C_time_invariant) dC_invariant.resize(dm, n);
  Vector<Acc> dD(dm), dbias(dm);
  if (!options.z.empty()) g.dz.resize(L, dm);
  if (!options.initial_state.empty()) g.dinitial_state.resize(seqs * dm, n);
  // Varying B, C: each block's share, L x N, summed over the group's blocks below.
  std::vector<RowMatrix<Acc>> dB_part(options.B_time_invariant ? 0 : blocks.size()),
      dC_part(options.C_time_invariant ? 0 : blocks.size());

  using States = detail::LaneStates<Acc>;
  using Lanes = detail::Lanes<Acc>;
  constexpr Index interval = detail::scan_checkpoint_interval, lanes = detail::scan_channel_block;
  parallel_for(std::size_t{0}, blocks.size(), threads, [&](std::size_t task) {
    const detail::ChannelBlock& block = blocks[task];
    detail::BlockScan<T, T, Acc> scan(in, block);
    const Index w = scan.width();
    RowMatrix<Acc>* dB_rows = dB_part.empty() ? nullptr : &dB_part[task];
    RowMatrix<Acc>* dC_rows = dC_part.empty() ? nullptr : &dC_part[task];
    if (dB_rows) dB_rows->setZero(L, n);
    if (dC_rows) dC_rows->setZero(L, n);
    States x(lanes, n), adjoint(lanes, n),
        dA_l = States::Zero(lanes, n), dB_l = States::Zero(lanes, n), dC_l = States::Zero(lanes, n);
    std::vector<States> checkpoints, states(static_cast<std::size_t>(interval), States(lanes, n)),
        decays(states);  // exp(dt A) of each step of the chunk, kept from its rebuild
    std::vector<Lanes> y_ssm(static_cast<std::size_t>(interval));
    Lanes skip = Lanes::Zero(), go = Lanes::Zero(), gate = Lanes::Zero(), dD_l = Lanes::Zero(),
          dbias_l = Lanes::Zero(), y;
    if (!options.D.empty())
      for (Index i = 0; i < w; ++i) skip(i) = static_cast<Acc>(options.D[block.begin + i]);

    for (Index s = 0; s < seqs; ++s) {
      const Index t0 = shape.offsets[static_cast<std::size_t>(s)],
                  t1 = shape.offsets[static_cast<std::size_t>(s) + 1];
      x.setZero();
      if (!options.initial_state.empty())
        x.topRows(w) =
            options.initial_state.map().middleRows(s * dm + block.begin, w).template cast<Acc>();
      const Index chunks = (t1 - t0 + interval - 1) / interval;
      checkpoints.assign(static_cast<std::size_t>(chunks), States());
      for (Index c = 0; c < chunks; ++c) {  // the state before each chunk
        checkpoints[static_cast<std::size_t>(c)] = x;
        for (Index t = t0 + c * interval; t < std::min(t1, t0 + (c + 1) * interval); ++t) {
          scan.load(t);
          scan.step(t, x, y);
        }
      }
      adjoint.setZero();
      for (Index c = chunks - 1; c >= 0; --c) {
        const Index c0 = t0 + c * interval, c1 = std::min(t1, c0 + interval);
        x = checkpoints[static_cast<std::size_t>(c)];
        for (Index t = c0; t < c1; ++t) {  // the chunk's states again
          scan.load(t);
          scan.step(t, x, y_ssm[static_cast<std::size_t>(t - c0)],
                    &decays[static_cast<std::size_t>(t - c0)]);
          states[static_cast<std::size_t>(t - c0)] = x;
        }
        for (Index t = c1 - 1; t >= c0; --t) {
          const States& x_t = states[static_cast<std::size_t>(t - c0)];
          const States& x_prev = t > c0 ? states[static_cast<std::size_t>(t - c0 - 1)]
                                        : checkpoints[static_cast<std::size_t>(c)];
          scan.load(t);
          const Lanes dt = scan.dt(), ud = scan.u();
          detail::load_lanes(go, dy_in, t, block.begin, w);
          Lanes dy = go;
          if (!options.z.empty()) {
            detail::load_lanes(gate, options.z, t, block.begin, w);
            const Lanes sig = detail::sigmoid_lanes(gate);
            const Lanes pre = y_ssm[static_cast<std::size_t>(t - c0)] + skip * ud;
            const Lanes dz = go * pre * sig * (Acc(1) + gate * (Acc(1) - sig));
            detail::store_lanes(g.dz, t, block.begin, w, dz);
            dy = go * gate * sig;
          }
          dD_l += dy * ud;
          Lanes du = dy * skip, ddt = Lanes::Zero();
          for (Index k = 0; k < n; ++k) {
            auto gk = adjoint.col(k);
            scan.with_C(t, k, [&](const auto& ck) { gk += dy * ck; });
            if (dC_rows)
              (*dC_rows)(t, k) += (dy * x_t.col(k)).sum();
            else
              dC_l.col(k) += dy * x_t.col(k);
            const auto a = decays[static_cast<std::size_t>(t - c0)].col(k);  // exp(dt A_k)
            const Lanes da = gk * x_prev.col(k) * a;  // d/d(delta A) of this step
            ddt += da * scan.A().col(k);
            dA_l.col(k) += dt * da;
            scan.with_B(t, k, [&](const auto& bk) {
              const Lanes gb = gk * bk;
              ddt += ud * gb;
              du += dt * gb;
            });
            if (dB_rows)
              (*dB_rows)(t, k) += (dt * ud * gk).sum();
            else
              dB_l.col(k) += dt * ud * gk;
            gk *= a;
          }
          if (options.delta_softplus) {
            const Lanes raw = scan.raw();
            const Lanes sigmoid = detail::sigmoid_lanes(raw);  // vectorised, then selected
            ddt *= (raw > Acc(20)).select(Lanes::Ones(), sigmoid);
          }
          dbias_l += ddt;
          detail::store_lanes(g.ddelta, t, block.begin, w, ddt);
          detail::store_lanes(g.du, t, block.begin, w, du);
        }
      }
      if (!options.initial_state.empty())
        g.dinitial_state.middleRows(s * dm + block.begin, w) =
            adjoint.topRows(w).template cast<T>();
    }
    g.dA.middleRows(block.begin, w) = dA_l.topRows(w).template cast<T>();
    if (!dB_rows) dB_invariant.middleRows(block.begin, w) = dB_l.topRows(w).matrix();
    if (!dC_rows) dC_invariant.middleRows(block.begin, w) = dC_l.topRows(w).matrix();
    dD.segment(block.begin, w) = dD_l.head(w).matrix();
    dbias.segment(block.begin, w) = dbias_l.head(w).matrix();
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
