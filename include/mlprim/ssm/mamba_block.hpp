// The Mamba block (Gu and Dao 2023; mamba_ssm/modules/mamba_simple.py's
// `Mamba`), forward in one pass and token by token. For hidden states h
// (L x d_model), with d_inner = expand d_model:
//   [x, z] = h W_in^T (+ b_in)                  x, z: L x d_inner
//   x      = silu(causal_conv1d(x, conv_weight) + conv_bias)
//   [dt_r, B, C] = x W_x^T                      dt_r: L x dt_rank, B, C: L x N
//   dt     = dt_r W_dt^T                        (its bias is the scan's delta_bias)
//   y      = selective_scan(x, dt, A = -exp(A_log), B, C, D, z,
//                           delta_bias = b_dt, delta_softplus)
//   out    = y W_out^T (+ b_out)
// Weights are stored as PyTorch's nn.Linear stores them (out x in).
#ifndef MLPRIM_SSM_MAMBA_BLOCK_HPP
#define MLPRIM_SSM_MAMBA_BLOCK_HPP

#include <cmath>
#include <cstdint>

#include "mlprim/core/error.hpp"
#include "mlprim/core/random.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/ssm/causal_conv1d.hpp"
#include "mlprim/ssm/selective_scan.hpp"
#include "mlprim/ssm/state_update.hpp"

namespace mlprim {

/// Sizes and initialisation of a MambaBlock, with mamba_simple.Mamba's names
/// and defaults.
struct MambaParams {
  Index d_model = 0;            ///< model width (required)
  Index d_state = 16;           ///< N
  Index d_conv = 4;             ///< causal convolution width W
  Index expand = 2;             ///< d_inner = expand d_model
  Index dt_rank = 0;            ///< 0: ceil(d_model / 16), as "auto"
  double dt_min = 1e-3;         ///< smallest initial step
  double dt_max = 0.1;          ///< largest initial step
  double dt_init_floor = 1e-4;  ///< initial steps are at least this
  double dt_scale = 1.0;        ///< scales dt_proj's initial weight bound
  bool conv_bias = true;        ///< the convolution has a bias
  bool bias = false;            ///< in_proj and out_proj have biases
  std::uint64_t seed = 0;       ///< initialisation stream
  int num_threads = 0;          ///< 0 = all

  /// d_inner = expand d_model.
  Index d_inner() const { return expand * d_model; }
  /// dt_rank, resolved.
  Index rank() const { return dt_rank > 0 ? dt_rank : (d_model + 15) / 16; }
};

/// The weights of a MambaBlock (PyTorch layout: out x in).
template <class T>
struct MambaWeights {
  RowMatrix<T> in_proj;      ///< (2 d_inner) x d_model
  Vector<T> in_proj_bias;    ///< 2 d_inner, or empty
  RowMatrix<T> conv_weight;  ///< d_inner x d_conv
  Vector<T> conv_bias;       ///< d_inner, or empty
  RowMatrix<T> x_proj;       ///< (dt_rank + 2 N) x d_inner
  RowMatrix<T> dt_proj;      ///< d_inner x dt_rank
  Vector<T> dt_proj_bias;    ///< d_inner
  RowMatrix<T> A_log;        ///< d_inner x N; A = -exp(A_log)
  Vector<T> D;               ///< d_inner
  RowMatrix<T> out_proj;     ///< d_model x d_inner
  Vector<T> out_proj_bias;   ///< d_model, or empty
};

/// A Mamba block with its weights; forward() runs a sequence in one pass and
/// step() one token, with the same numbers (see mamba_block.hpp).
template <class T>
class MambaBlock {
 public:
  /// The decoding state of one sequence.
  struct State {
    RowMatrix<T> conv;  ///< (d_conv - 1) x d_inner, the last inputs of the convolution
    RowMatrix<T> ssm;   ///< d_inner x N
  };

  /// A block initialised from params.seed as Mamba initialises it: A_log =
  /// log(1..N) in every row, D = 1; dt_proj's bias the inverse softplus of
  /// dt = exp(U(log dt_min, log dt_max)) floored at dt_init_floor; dt_proj's
  /// weight U(-s, s) with s = dt_scale / sqrt(dt_rank); the other linear
  /// maps and the convolution as PyTorch's default, U(-1/sqrt(fan_in),
  /// 1/sqrt(fan_in)) for weights and biases.
  explicit MambaBlock(const MambaParams& params) : params_(checked(params)) {
    const Index di = params_.d_inner(), dm = params_.d_model, n = params_.d_state,
                r = params_.rank(), wc = params_.d_conv;
    Rng rng(params_.seed);
    auto uniform = [&](auto& m, Index rows, Index cols, double bound) {
      m.resize(rows, cols);
      fill_uniform(m, rng, static_cast<T>(-bound), static_cast<T>(bound));
    };
    auto fan = [](Index fan_in) { return 1.0 / std::sqrt(static_cast<double>(fan_in)); };
    uniform(w_.in_proj, 2 * di, dm, fan(dm));
    if (params_.bias) uniform(w_.in_proj_bias, 2 * di, 1, fan(dm));
    uniform(w_.conv_weight, di, wc, fan(wc));
    if (params_.conv_bias) uniform(w_.conv_bias, di, 1, fan(wc));
    uniform(w_.x_proj, r + 2 * n, di, fan(di));
    uniform(w_.dt_proj, di, r, params_.dt_scale / std::sqrt(static_cast<double>(r)));
    w_.dt_proj_bias.resize(di);
    const double lo = std::log(params_.dt_min), hi = std::log(params_.dt_max);
    for (Index d = 0; d < di; ++d) {
      const double dt = std::max(std::exp(rng.uniform(lo, hi)), params_.dt_init_floor);
      w_.dt_proj_bias(d) = static_cast<T>(dt + std::log(-std::expm1(-dt)));  // softplus^-1(dt)
    }
    w_.A_log.resize(di, n);
    for (Index k = 0; k < n; ++k)
      w_.A_log.col(k).setConstant(static_cast<T>(std::log(static_cast<double>(k + 1))));
    w_.D = Vector<T>::Ones(di);
    uniform(w_.out_proj, dm, di, fan(di));
    if (params_.bias) uniform(w_.out_proj_bias, dm, 1, fan(di));
    refresh_A();
  }

  /// A block with the given weights (shapes checked against params).
  MambaBlock(const MambaParams& params, MambaWeights<T> weights)
      : params_(checked(params)), w_(std::move(weights)) {
    check_weights();
    refresh_A();
  }

  /// The parameters.
  const MambaParams& params() const { return params_; }
  /// The weights.
  const MambaWeights<T>& weights() const { return w_; }

  /// The block over a whole sequence: hidden (L x d_model) -> L x d_model.
  RowMatrix<T> forward(const Eigen::Ref<const RowMatrix<T>>& hidden) const {
    check_width("MambaBlock::forward", hidden.cols());
    const Index di = params_.d_inner();
    const RowMatrix<T> xz = project(hidden, w_.in_proj, w_.in_proj_bias);
    const RowMatrix<T> x = causal_conv1d(xz.leftCols(di), w_.conv_weight, conv_options());
    const ScanInputs in = scan_inputs(x, xz);
    SelectiveScanOptions<T> scan;
    scan.D = w_.D;
    scan.z = in.z;
    scan.delta_bias = w_.dt_proj_bias;
    scan.delta_softplus = true;
    scan.num_threads = params_.num_threads;
    const RowMatrix<T> y = selective_scan(x, in.dt, A_, in.B, in.C, scan).y;
    return project(y, w_.out_proj, w_.out_proj_bias);
  }

  /// A fresh decoding state (zeros: nothing seen).
  State initial_state() const {
    return {RowMatrix<T>::Zero(params_.d_conv - 1, params_.d_inner()),
            RowMatrix<T>::Zero(params_.d_inner(), params_.d_state)};
  }

  /// One token (d_model entries) through the block, updating `state`;
  /// returns the output row (d_model). Equals the matching row of forward().
  Vector<T> step(const Eigen::Ref<const Vector<T>>& hidden, State& state) const {
    check_width("MambaBlock::step", hidden.size());
    const Index di = params_.d_inner();
    const RowMatrix<T> xz = project(hidden.transpose(), w_.in_proj, w_.in_proj_bias);
    const RowMatrix<T> x =
        causal_conv1d_update<T>(state.conv, xz.leftCols(di), w_.conv_weight, conv_options())
            .transpose();
    const ScanInputs in = scan_inputs(x, xz);
    SelectiveStateUpdateOptions<T> update;
    update.D = w_.D;
    update.z = in.z;
    update.dt_bias = w_.dt_proj_bias;
    update.dt_softplus = true;
    update.num_threads = params_.num_threads;
    const RowMatrix<T> y = selective_state_update<T>(state.ssm, x, in.dt, A_, in.B, in.C, update);
    return project(y, w_.out_proj, w_.out_proj_bias).transpose();
  }

 private:
  /// The scan's inputs from the convolution's output x and in_proj's xz.
  struct ScanInputs {
    RowMatrix<T> dt, B, C, z;
  };
  ScanInputs scan_inputs(const RowMatrix<T>& x, const RowMatrix<T>& xz) const {
    const RowMatrix<T> x_dbl = x * w_.x_proj.transpose();
    return {x_dbl.leftCols(params_.rank()) * w_.dt_proj.transpose(),
            x_dbl.middleCols(params_.rank(), params_.d_state), x_dbl.rightCols(params_.d_state),
            xz.rightCols(params_.d_inner())};
  }

  static MambaParams checked(const MambaParams& p) {
    constexpr const char* fn = "MambaBlock";
    check_positive(fn, "d_model", p.d_model);
    check_positive(fn, "d_state", p.d_state);
    check_positive(fn, "d_conv", p.d_conv);
    check_positive(fn, "expand", p.expand);
    check_non_negative(fn, "dt_rank", p.dt_rank);
    check_positive(fn, "dt_min", p.dt_min);
    if (!(p.dt_max >= p.dt_min) || !std::isfinite(p.dt_max))
      throw_invalid_argument(fn, "dt_max = ", p.dt_max,
                             " must be finite and >= dt_min = ", p.dt_min);
    check_positive(fn, "dt_init_floor", p.dt_init_floor);
    check_positive(fn, "dt_scale", p.dt_scale);
    return p;
  }

  void check_weights() const {
    const Index di = params_.d_inner(), dm = params_.d_model, n = params_.d_state,
                r = params_.rank();
    auto shape = [](const char* name, Index rows, Index cols, Index want_rows, Index want_cols) {
      if (rows != want_rows || cols != want_cols)
        throw_invalid_argument("MambaBlock", name, " is ", rows, " x ", cols, ", expected ",
                               want_rows, " x ", want_cols);
    };
    auto optional = [&](const char* name, const Vector<T>& v, Index size) {
      if (v.size() != 0) shape(name, v.size(), 1, size, 1);
    };
    shape("in_proj", w_.in_proj.rows(), w_.in_proj.cols(), 2 * di, dm);
    optional("in_proj_bias", w_.in_proj_bias, 2 * di);
    shape("conv_weight", w_.conv_weight.rows(), w_.conv_weight.cols(), di, params_.d_conv);
    optional("conv_bias", w_.conv_bias, di);
    shape("x_proj", w_.x_proj.rows(), w_.x_proj.cols(), r + 2 * n, di);
    shape("dt_proj", w_.dt_proj.rows(), w_.dt_proj.cols(), di, r);
    shape("dt_proj_bias", w_.dt_proj_bias.size(), 1, di, 1);
    shape("A_log", w_.A_log.rows(), w_.A_log.cols(), di, n);
    shape("D", w_.D.size(), 1, di, 1);
    shape("out_proj", w_.out_proj.rows(), w_.out_proj.cols(), dm, di);
    optional("out_proj_bias", w_.out_proj_bias, dm);
  }

  void check_width(const char* fn, Index width) const {
    if (width != params_.d_model)
      throw_invalid_argument(fn, "the input has ", width, " features, d_model = ", params_.d_model);
  }

  CausalConv1dOptions<T> conv_options() const {
    CausalConv1dOptions<T> o;
    o.bias = w_.conv_bias;
    o.silu = true;
    o.num_threads = params_.num_threads;
    return o;
  }

  /// x W^T + b (b may be empty).
  template <class Derived>
  static RowMatrix<T> project(const Eigen::MatrixBase<Derived>& x, const RowMatrix<T>& w,
                              const Vector<T>& b) {
    RowMatrix<T> y = x * w.transpose();
    if (b.size() != 0) y.rowwise() += b.transpose();
    return y;
  }

  void refresh_A() { A_ = -w_.A_log.array().exp().matrix(); }

  MambaParams params_;
  MambaWeights<T> w_;
  RowMatrix<T> A_;  // -exp(A_log), computed once
};

}  // namespace mlprim

#endif  // MLPRIM_SSM_MAMBA_BLOCK_HPP
