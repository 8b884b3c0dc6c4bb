// Mamba-2's state-space duality (SSD) scan (Dao and Gu, "Transformers are
// SSMs: Generalized Models and Efficient Algorithms Through Structured State
// Space Duality", ICML 2024), in its chunked matrix form.
//
// Heads h of P channels share a scalar decay: with dt_t (after bias and
// softplus) and a_t = dt_t A_h, the recurrence is
//   S_t = exp(a_t) S_{t-1} + dt_t x_t B_t^T      (S: P x N per head)
//   y_t = S_t C_t  (+ D_h x_t) (* silu(z_t)),
// the selective scan with A constant over the state. Cut into chunks of Q
// steps with decays cs_i = a_{c0} + ... + a_i inside a chunk:
//   within:   Y = (L o (C B^T)) diag(dt) X,  L_ij = exp(a_{j+1} + ... + a_i) (j <= i), 0 above
//   carried:  Y += diag(exp(cs)) C S_prev^T
//   state:    S = exp(cs_last) S_prev + X^T diag(exp(a_{j+1} + ... + a_last) dt_j) B
// so the work is matrix products (O(L Q (N + P)) per head), the segment sums
// of L are accumulated directly (never as differences of cumulative sums).
#ifndef MLPRIM_SSM_SSD_HPP
#define MLPRIM_SSM_SSD_HPP

#include <limits>
#include <type_traits>
#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/core/parallel.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/core/view.hpp"
#include "mlprim/ssm/detail/scan_inputs.hpp"

namespace mlprim {

/// Options of ssd_scan (Mamba-2's names).
template <class T>
struct SsdOptions {
  Index chunk = 64;          ///< Q, steps per chunk (Mamba-2 uses 64 to 256)
  Index groups = 1;          ///< G: B and C hold G groups of N; head h uses group h / (H / G)
  ConstRowView<T> D;         ///< H skip weights (absent: none)
  ConstRowView<T> z;         ///< L x (H P) gate (absent: none)
  ConstRowView<T> dt_bias;   ///< H, added to dt before the softplus
  bool dt_softplus = false;  ///< apply softplus to dt
  /// Initial states, (sequences H P) x N, channel-major like
  /// SelectiveScanOptions::initial_state (absent: zeros).
  ConstRowView<T> initial_state;
  bool return_final_state = false;  ///< fill SsdOutput::final_state
  std::vector<Index> cu_seqlens;    ///< packed sequences, as in SelectiveScanOptions
  int num_threads = 0;              ///< 0 = all; work is split over sequences and heads
};

/// The result of ssd_scan.
template <class T>
struct SsdOutput {
  RowMatrix<T> y;            ///< L x (H P)
  RowMatrix<T> final_state;  ///< (sequences H P) x N, with return_final_state
};

/// The SSD scan (see ssd.hpp) of X (L x (H P)), dt (L x H), A (H entries),
/// B and C (L x (G N)). Equal to selective_scan with u = X, delta and A
/// repeated over each head's P channels and its N states, and B, C in G
/// groups. Arithmetic in AccumulatorT<T>; identical for any thread count.
template <class DX, class DDt, class DA, class DB, class DC>
SsdOutput<typename DX::Scalar> ssd_scan(const Eigen::MatrixBase<DX>& X,
                                        const Eigen::MatrixBase<DDt>& dt,
                                        const Eigen::MatrixBase<DA>& A,
                                        const Eigen::MatrixBase<DB>& B,
                                        const Eigen::MatrixBase<DC>& C,
                                        const SsdOptions<typename DX::Scalar>& options = {}) {
  using T = typename DX::Scalar;
  using Acc = AccumulatorT<T>;
  constexpr const char* fn = "ssd_scan";
  const Index L = X.rows(), heads = dt.cols();
  if (dt.rows() != L)
    throw_invalid_argument(fn, "dt is ", dt.rows(), " x ", dt.cols(), ", X is ", L, " x ",
                           X.cols());
  if (heads == 0 || X.cols() % heads != 0)
    throw_invalid_argument(fn, "X has ", X.cols(), " columns, not a multiple of the ", heads,
                           " heads of dt");
  if (A.size() != heads)
    throw_invalid_argument(fn, "A has ", A.size(), " entries, dt has ", heads, " heads");
  check_positive(fn, "chunk", options.chunk);
  check_positive(fn, "groups", options.groups);
  if (heads % options.groups != 0)
    throw_invalid_argument(fn, "groups = ", options.groups, " does not divide the ", heads,
                           " heads");
  if (B.rows() != L || C.rows() != L || B.cols() != C.cols() || B.cols() == 0 ||
      B.cols() % options.groups != 0)
    throw_invalid_argument(fn, "B is ", B.rows(), " x ", B.cols(), " and C ", C.rows(), " x ",
                           C.cols(), ", expected L x (G N) with L = ", L,
                           " and G = ", options.groups);
  const Index p = X.cols() / heads, n = B.cols() / options.groups, width = heads * p;
  const std::vector<Index> offsets = detail::sequence_offsets(fn, options.cu_seqlens, L);
  const Index seqs = static_cast<Index>(offsets.size()) - 1;
  detail::check_optional(fn, "D", options.D, heads, 1);
  detail::check_optional(fn, "dt_bias", options.dt_bias, heads, 1);
  detail::check_optional(fn, "z", options.z, L, width);
  detail::check_optional(fn, "initial_state", options.initial_state, seqs * width, n);
  const int threads = resolve_threads(fn, options.num_threads);

  const auto x = detail::rows_in<Acc>(X), b = detail::rows_in<Acc>(B), c = detail::rows_in<Acc>(C);
  const Eigen::Ref<const RowMatrix<T>> dtv(dt.derived());
  const Vector<Acc> a_head = A.derived().reshaped().template cast<Acc>();
  SsdOutput<T> out{RowMatrix<T>(L, width), RowMatrix<T>()};
  if (options.return_final_state) out.final_state.resize(seqs * width, n);
  const Index heads_per_group = heads / options.groups;

  parallel_for(Index{0}, seqs * heads, threads, [&](Index task) {
    const Index s = task / heads, h = task % heads, g = h / heads_per_group;
    const Index t0 = offsets[static_cast<std::size_t>(s)],
                t1 = offsets[static_cast<std::size_t>(s) + 1];
    RowMatrix<Acc> state(p, n);  // S^T: one row per channel, as the selective scan's state
    if (options.initial_state.empty())
      state.setZero();
    else
      state = options.initial_state.map().middleRows(s * width + h * p, p).template cast<Acc>();
    const Index q_max = std::min(options.chunk, std::max<Index>(t1 - t0, 1));
    RowMatrix<Acc> m(q_max, q_max), seg(q_max, q_max), y(q_max, p);
    Vector<Acc> step(q_max), decay(q_max), cs(q_max), weight(q_max);
    for (Index c0 = t0; c0 < t1; c0 += options.chunk) {
      const Index q = std::min(options.chunk, t1 - c0);
      for (Index i = 0; i < q; ++i) {
        const Acc raw = static_cast<Acc>(dtv(c0 + i, h)) +
                        detail::optional_entry<Acc>(options.dt_bias, h, Acc(0));
        step(i) = options.dt_softplus ? detail::softplus(raw) : raw;
        decay(i) = step(i) * a_head(h);
        cs(i) = (i == 0 ? Acc(0) : cs(i - 1)) + decay(i);
      }
      const auto xc = x.block(c0, h * p, q, p);
      const auto bc = b.block(c0, g * n, q, n), cc = c.block(c0, g * n, q, n);
      // L o (C B^T) diag(dt): the segment sums a_{j+1} + ... + a_i along each
      // row (right to left, exact sums, -inf above the diagonal), then one
      // vectorised exp over the tile.
      auto segments = seg.topLeftCorner(q, q);
      for (Index i = 0; i < q; ++i) {
        segments(i, i) = 0;
        for (Index j = i - 1; j >= 0; --j) segments(i, j) = segments(i, j + 1) + decay(j + 1);
        segments.row(i).tail(q - 1 - i).setConstant(-std::numeric_limits<Acc>::infinity());
      }
      auto mm = m.topLeftCorner(q, q);
      mm.noalias() = cc * bc.transpose();
      mm.array() *= segments.array().exp();
      mm *= step.head(q).asDiagonal();
      auto yc = y.topRows(q);
      yc.noalias() = mm * xc;
      yc.noalias() += (cs.head(q).array().exp().matrix().asDiagonal() * cc) * state.transpose();
      Acc later = 0;  // a_{j+1} + ... + a_{q-1}, summed from the end
      for (Index j = q - 1; j >= 0; --j) {
        weight(j) = std::exp(later) * step(j);
        later += decay(j);
      }
      state *= std::exp(cs(q - 1));
      state.noalias() += xc.transpose() * weight.head(q).asDiagonal() * bc;
      for (Index i = 0; i < q; ++i)
        for (Index k = 0; k < p; ++k) {
          const Index col = h * p + k;
          Acc v = yc(i, k) + detail::optional_entry<Acc>(options.D, h, Acc(0)) * xc(i, k);
          if (!options.z.empty()) v *= detail::silu(static_cast<Acc>(options.z(c0 + i, col)));
          out.y(c0 + i, col) = static_cast<T>(v);
        }
    }
    if (options.return_final_state)
      out.final_state.middleRows(s * width + h * p, p) = state.template cast<T>();
  });
  return out;
}

}  // namespace mlprim

#endif  // MLPRIM_SSM_SSD_HPP
