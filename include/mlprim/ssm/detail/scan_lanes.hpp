// The selective scan's inner loop for one block of 16 channels, laid out so
// that the channels are the SIMD lanes: state n of the block is one
// fixed-size column of 16 values, so exp(delta A), the update and the output
// sum are whole-vector operations with no per-channel loop. Shared by the
// forward pass and the backward pass (which reruns it to rebuild states).
#ifndef MLPRIM_SSM_DETAIL_SCAN_LANES_HPP
#define MLPRIM_SSM_DETAIL_SCAN_LANES_HPP

#include <complex>
#include <type_traits>
#include <utility>

#include "mlprim/core/prefetch.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/core/view.hpp"
#include "mlprim/ssm/detail/scan_inputs.hpp"

namespace mlprim::detail {

/// One value per channel of a block (padded lanes hold 0).
template <class S>
using Lanes = Eigen::Array<S, scan_channel_block, 1>;
/// A block's states: column n holds state n of every channel.
template <class S>
using LaneStates = Eigen::Array<S, scan_channel_block, Eigen::Dynamic>;

/// Views of a scan's inputs: storage T, parameters P (T or complex).
template <class T, class P>
struct ScanInputs {
  Eigen::Ref<const RowMatrix<T>> u, delta;
  Eigen::Ref<const RowMatrix<P>> A, B, C;
  ScanShape shape;
  bool B_invariant, C_invariant, softplus;
  ConstRowView<T> delta_bias;
};

/// The checked inputs of a selective scan (forward or backward) under `fn`.
template <class T, class P, class Options, class DU, class DDelta, class DA, class DB, class DC>
ScanInputs<T, P> checked_scan_inputs(const char* fn, const DU& u, const DDelta& delta, const DA& A,
                                     const DB& B, const DC& C, const Options& options) {
  ScanShape shape = check_scan_inputs(fn, u, delta, A, B, C, options.B_time_invariant,
                                      options.C_time_invariant, options.cu_seqlens);
  const Index dm = shape.channels;
  check_optional(fn, "D", options.D, dm, 1);
  check_optional(fn, "delta_bias", options.delta_bias, dm, 1);
  check_optional(fn, "z", options.z, shape.total, dm);
  check_optional(fn, "initial_state", options.initial_state, shape.sequences() * dm, shape.state);
  return ScanInputs<T, P>{u.derived(),
                          delta.derived(),
                          A.derived(),
                          B.derived(),
                          C.derived(),
                          std::move(shape),
                          options.B_time_invariant,
                          options.C_time_invariant,
                          options.delta_softplus,
                          options.delta_bias};
}

/// The real part the reference keeps: 2 Re(y) for complex states.
template <class Acc, class S>
Lanes<Acc> lane_output(const Lanes<S>& y) {
  if constexpr (std::is_same_v<S, Acc>) {
    return y;
  } else {
    return Acc(2) * y.real();
  }
}

/// Row t of a T matrix, columns [begin, begin + w), into the first w lanes;
/// asks for the same columns `ahead` rows later (the block walks a column
/// strip, one cache line per row, which the hardware prefetcher follows late).
template <class Acc, class T>
void load_lanes(Lanes<Acc>& out, const T* data, Index stride, Index rows, Index t, Index begin,
                Index w) {
  constexpr Index ahead = 16;
  const T* row = data + t * stride + begin;
  for (Index i = 0; i < w; ++i) out(i) = static_cast<Acc>(row[i]);
  if (t + ahead < rows) prefetch_line(row + ahead * stride);
}
template <class Acc, class T>
void load_lanes(Lanes<Acc>& out, const Eigen::Ref<const RowMatrix<T>>& m, Index t, Index begin,
                Index w) {
  load_lanes(out, m.data(), m.outerStride(), m.rows(), t, begin, w);
}
template <class Acc, class T>
void load_lanes(Lanes<Acc>& out, const ConstRowView<T>& m, Index t, Index begin, Index w) {
  load_lanes(out, &m(0, 0), m.map().outerStride(), m.rows(), t, begin, w);
}

/// The first w lanes into row t of m, columns [begin, begin + w).
template <class T, class Acc>
void store_lanes(RowMatrix<T>& m, Index t, Index begin, Index w, const Lanes<Acc>& values) {
  T* row = m.data() + t * m.cols() + begin;
  for (Index i = 0; i < w; ++i) row[i] = static_cast<T>(values(i));
}

/// 1 / (1 + e^-x) lane by lane.
template <class Acc>
Lanes<Acc> sigmoid_lanes(const Lanes<Acc>& x) {
  return Acc(1) / (Acc(1) + (-x).exp());
}

/// log(1 + e^x) lane by lane, and x above PyTorch's threshold 20. log1p is
/// taken as log(u) y / (u - 1) with y = e^x, u = 1 + y (y where u rounds to
/// 1), which keeps log1p's accuracy and vectorises.
template <class Acc>
Lanes<Acc> softplus_lanes(const Lanes<Acc>& x) {
  // The vector work outside select(), which Eigen evaluates entry by entry.
  const Lanes<Acc> y = x.exp(), u = Acc(1) + y, ratio = u.log() * y / (u - Acc(1));
  const Lanes<Acc> log1p = (u == Acc(1)).select(y, ratio);
  return (x > Acc(20)).select(x, log1p);
}

/// The scan of one channel block: the block's A (and time-invariant B, C)
/// in lane layout, and the step x <- exp(delta A) x + delta u B_t.
template <class T, class P, class S>
class BlockScan {
 public:
  using Acc = AccumulatorT<T>;

  BlockScan(const ScanInputs<T, P>& in, const ChannelBlock& block)
      : in_(in),
        block_(block),
        w_(block.end - block.begin),
        n_(in.shape.state),
        col_(block.group * in.shape.state) {
    auto transposed = [&](const Eigen::Ref<const RowMatrix<P>>& m) {
      LaneStates<S> lanes = LaneStates<S>::Zero(scan_channel_block, n_);
      lanes.topRows(w_) = m.middleRows(block.begin, w_).template cast<S>();
      return lanes;
    };
    a_ = transposed(in.A);
    if (in.B_invariant) b_ = transposed(in.B);
    if (in.C_invariant) c_ = transposed(in.C);
    bias_.setZero();
    if (!in.delta_bias.empty())
      for (Index i = 0; i < w_; ++i) bias_(i) = static_cast<Acc>(in.delta_bias[block.begin + i]);
    raw_.setZero();
    u_.setZero();
  }

  /// Channels in the block.
  Index width() const { return w_; }
  /// The block's A in lane layout.
  const LaneStates<S>& A() const { return a_; }

  /// Loads row t: delta + bias (raw()), after the softplus (dt()), and u (u()).
  void load(Index t) {
    load_lanes(raw_, in_.delta, t, block_.begin, w_);
    raw_ += bias_;
    dt_ = in_.softplus ? softplus_lanes(raw_) : raw_;
    load_lanes(u_, in_.u, t, block_.begin, w_);
  }
  const Lanes<Acc>& raw() const { return raw_; }
  const Lanes<Acc>& dt() const { return dt_; }
  const Lanes<Acc>& u() const { return u_; }

  /// B_t (or the invariant B) for state k, as lanes or a broadcast scalar.
  template <class Fn>
  void with_B(Index t, Index k, const Fn& fn) const {
    if (in_.B_invariant)
      fn(b_.col(k));
    else
      fn(Lanes<S>::Constant(static_cast<S>(in_.B(t, col_ + k))));
  }
  template <class Fn>
  void with_C(Index t, Index k, const Fn& fn) const {
    if (in_.C_invariant)
      fn(c_.col(k));
    else
      fn(Lanes<S>::Constant(static_cast<S>(in_.C(t, col_ + k))));
  }

  /// One step at the loaded row t: x <- exp(dt A) x + dt u B_t, y = sum_n C_tn x_n.
  /// With `decay`, its column n receives exp(dt A_n) (for the backward pass).
  void step(Index t, LaneStates<S>& x, Lanes<S>& y, LaneStates<S>* decay = nullptr) const {
    const Lanes<S> dt = dt_.template cast<S>(), du = (dt_ * u_).template cast<S>();
    y.setZero();
    for (Index k = 0; k < n_; ++k) {
      const Lanes<S> a = (dt * a_.col(k)).exp();
      if (decay) decay->col(k) = a;
      with_B(t, k, [&](const auto& b) { x.col(k) = a * x.col(k) + du * b; });
      with_C(t, k, [&](const auto& c) { y += c * x.col(k); });
    }
  }

 private:
  const ScanInputs<T, P>& in_;
  ChannelBlock block_;
  Index w_, n_, col_;
  LaneStates<S> a_, b_, c_;
  Lanes<Acc> bias_, raw_, dt_, u_;
};

}  // namespace mlprim::detail

#endif  // MLPRIM_SSM_DETAIL_SCAN_LANES_HPP
