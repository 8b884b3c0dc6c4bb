// Linear attention (Katharopoulos et al., "Transformers are RNNs", 2020):
// softmax(q k^T) replaced by a feature map phi, so that
//
//   out_i = phi(q_i) S / (phi(q_i) . z + eps),   S = sum_j phi(k_j)^T v_j,  z = sum_j phi(k_j)
//
// over all j (non-causal) or j <= i (causal), in O(N m dv) time and O(m dv)
// state instead of O(N^2). With normalize = false the division is dropped
// (TransNormer, "The Devil in Linear Transformer", 2022, normalises the
// output instead). The causal sum has two equal forms: the recurrent one
// (one token at a time, as LinearAttentionState) and the chunked one
// (quadratic inside a chunk, state carried across chunks), which runs as
// small matrix products and is faster.
#ifndef MLPRIM_ATTENTION_LINEAR_HPP
#define MLPRIM_ATTENTION_LINEAR_HPP

#include <algorithm>
#include <cmath>

#include "mlprim/core/error.hpp"
#include "mlprim/core/types.hpp"

namespace mlprim {

/// phi(x) = elu(x) + 1 (Katharopoulos et al.), elementwise, always > 0.
struct EluPlusOne {
  template <class S> S operator()(S x) const { return x > 0 ? x + 1 : std::exp(x); }
};
/// phi(x) = max(x, 0).
struct Relu {
  template <class S> S operator()(S x) const { return x > 0 ? x : S(0); }
};
/// phi(x) = max(x, 0)^2.
struct SquaredRelu {
  template <class S> S operator()(S x) const { return x > 0 ? x * x : S(0); }
};
/// phi(x) = x (no feature map; unnormalised linear attention).
struct Identity {
  template <class S> S operator()(S x) const { return x; }
};

/// Options of linear_attention.
struct LinearAttentionOptions {
  bool causal = false;
  bool normalize = true;  ///< divide by phi(q) . z + eps
  double eps = 1e-6;      ///< added to the normaliser (Katharopoulos et al.'s value), >= 0
  Index chunk = 64;       ///< causal: tokens per chunk of the chunked form; 0 = the recurrent form
};

namespace detail {

/// phi applied to every entry of x, in the accumulation type.
template <class Acc, class FeatureMap, class Derived>
RowMatrix<Acc> apply_feature_map(const Eigen::MatrixBase<Derived>& x, const FeatureMap& phi) {
  RowMatrix<Acc> out = x.template cast<Acc>();
  for (Index i = 0; i < out.size(); ++i) out.data()[i] = phi(out.data()[i]);
  return out;
}

}  // namespace detail

/// Linear attention of Q (N x d), K (Nk x d), V (Nk x dv) with an elementwise
/// feature map (EluPlusOne, Relu, SquaredRelu, Identity or any type with
/// Acc operator()(Acc)); returns N x dv. Accumulates in AccumulatorT<T>.
/// Causal needs Nk == N.
template <class DQ, class DK, class DV, class FeatureMap, class T = typename DQ::Scalar>
RowMatrix<T> linear_attention(const Eigen::MatrixBase<DQ>& Q, const Eigen::MatrixBase<DK>& K,
                              const Eigen::MatrixBase<DV>& V, const FeatureMap& phi,
                              const LinearAttentionOptions& options = {}) {
  using Acc = AccumulatorT<T>;
  const char* fn = "linear_attention";
  if (K.cols() != Q.cols()) throw_invalid_argument(fn, "K.cols() = ", K.cols(), " does not match Q.cols() = ", Q.cols());
  if (V.rows() != K.rows()) throw_invalid_argument(fn, "V.rows() = ", V.rows(), " does not match K.rows() = ", K.rows());
  if (options.causal && K.rows() != Q.rows())
    throw_invalid_argument(fn, "causal needs K.rows() = ", K.rows(), " to equal Q.rows() = ", Q.rows());
  check_non_negative(fn, "eps", options.eps);
  check_finite(fn, "eps", options.eps);
  check_non_negative(fn, "chunk", options.chunk);
  const RowMatrix<Acc> fq = detail::apply_feature_map<Acc>(Q, phi), fk = detail::apply_feature_map<Acc>(K, phi);
  const RowMatrix<Acc> v = V.template cast<Acc>();
  const Index n = fq.rows(), m = fq.cols(), dv = v.cols();
  RowMatrix<Acc> num(n, dv);
  Vector<Acc> den(n);
  if (!options.causal) {
    const RowMatrix<Acc> state = fk.transpose() * v;
    num.noalias() = fq * state;
    den.noalias() = fq * fk.colwise().sum().transpose();
  } else if (options.chunk == 0) {  // recurrent: S_t = S_{t-1} + phi(k_t)^T v_t
    RowMatrix<Acc> state = RowMatrix<Acc>::Zero(m, dv);
    Vector<Acc> z = Vector<Acc>::Zero(m);
    for (Index t = 0; t < n; ++t) {
      state.noalias() += fk.row(t).transpose() * v.row(t);
      z += fk.row(t).transpose();
      num.row(t).noalias() = fq.row(t) * state;
      den(t) = fq.row(t).dot(z);
    }
  } else {  // chunked: masked quadratic inside a chunk, carried state across
    RowMatrix<Acc> state = RowMatrix<Acc>::Zero(m, dv);
    RowVector<Acc> z = RowVector<Acc>::Zero(m);
    for (Index t0 = 0; t0 < n; t0 += options.chunk) {
      const Index len = std::min(options.chunk, n - t0);
      const auto qc = fq.middleRows(t0, len), kc = fk.middleRows(t0, len);
      const auto vc = v.middleRows(t0, len);
      RowMatrix<Acc> a = qc * kc.transpose();
      a.template triangularView<Eigen::StrictlyUpper>().setZero();
      num.middleRows(t0, len).noalias() = a * vc;
      num.middleRows(t0, len).noalias() += qc * state;
      den.segment(t0, len) = a.rowwise().sum() + qc * z.transpose();
      state.noalias() += kc.transpose() * vc;
      z += kc.colwise().sum();
    }
  }
  if (options.normalize)
    for (Index t = 0; t < n; ++t) num.row(t) /= den(t) + static_cast<Acc>(options.eps);
  return num.template cast<T>();
}

/// The causal linear attention state for generation: feed one token at a
/// time; step() returns the same row as linear_attention(..., causal) gives
/// for that position. Holds S (m x dv) and z (m) in AccumulatorT<T>.
template <class T>
class LinearAttentionState {
 public:
  using Acc = AccumulatorT<T>;

  /// State for d-dimensional queries/keys and dv-dimensional values.
  LinearAttentionState(Index d, Index dv, const LinearAttentionOptions& options = {})
      : options_(options), state_(RowMatrix<Acc>::Zero(d, dv)), z_(Vector<Acc>::Zero(d)) {
    check_positive("LinearAttentionState", "d", d);
    check_positive("LinearAttentionState", "dv", dv);
    check_non_negative("LinearAttentionState", "eps", options.eps);
  }

  /// Adds token (k, v) and returns the output for query q (vectors of size
  /// d, d, dv).
  template <class FeatureMap, class VQ, class VK, class VV>
  RowVector<T> step(const Eigen::MatrixBase<VQ>& q, const Eigen::MatrixBase<VK>& k, const Eigen::MatrixBase<VV>& v,
                    const FeatureMap& phi) {
    const char* fn = "LinearAttentionState::step";
    if (q.size() != state_.rows() || k.size() != state_.rows() || v.size() != state_.cols())
      throw_invalid_argument(fn, "q, k, v have ", q.size(), ", ", k.size(), ", ", v.size(), " entries, the state ",
                             state_.rows(), ", ", state_.rows(), ", ", state_.cols());
    const RowVector<Acc> fq = detail::apply_feature_map<Acc>(q.derived().reshaped().transpose(), phi);
    const RowVector<Acc> fk = detail::apply_feature_map<Acc>(k.derived().reshaped().transpose(), phi);
    state_.noalias() += fk.transpose() * v.derived().reshaped().transpose().template cast<Acc>();
    z_ += fk.transpose();
    RowVector<Acc> out = fq * state_;
    if (options_.normalize) out /= fq.dot(z_) + static_cast<Acc>(options_.eps);
    return out.template cast<T>();
  }

  /// Forgets every token.
  void reset() {
    state_.setZero();
    z_.setZero();
  }

 private:
  LinearAttentionOptions options_;
  RowMatrix<Acc> state_;
  Vector<Acc> z_;
};

}  // namespace mlprim

#endif  // MLPRIM_ATTENTION_LINEAR_HPP
