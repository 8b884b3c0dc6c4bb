// The recurrent state of causal linear attention for generation, one token
// at a time (Katharopoulos et al. 2020, the RNN form).
#ifndef MLPRIM_ATTENTION_LINEAR_STATE_HPP
#define MLPRIM_ATTENTION_LINEAR_STATE_HPP

#include <algorithm>
#include <cmath>

#include "mlprim/attention/feature_maps.hpp"
#include "mlprim/attention/linear.hpp"
#include "mlprim/attention/output_norm.hpp"
#include "mlprim/core/error.hpp"
#include "mlprim/core/types.hpp"

namespace mlprim {

/// The causal linear attention state for generation: feed one token at a
/// time; step() returns the same row as linear_attention(..., causal) gives
/// for that position. Holds S (m x dv) and z (m) in AccumulatorT<T>, where
/// m is the number of features (d for elementwise maps). For row feature
/// maps with a stabiliser (PerformerFeatures) S and z are kept scaled by
/// exp(-c), c the largest key log-feature so far, and rescaled when it grows.
template <class T>
class LinearAttentionState {
 public:
  /// The type S and z accumulate in.
  using Acc = AccumulatorT<T>;

  /// State for m features and dv-dimensional values.
  /// Throws std::invalid_argument (before allocating) for m or dv < 1, an
  /// eps that is negative or not finite, or a HeadOptions field the
  /// recurrence has no use for (causal is implied and may be set).
  LinearAttentionState(Index m, Index dv, const LinearAttentionOptions& options = {})
      : options_(options) {
    const char* fn = "LinearAttentionState";
    detail::reject_unsupported(fn, options, detail::head_field::causal);
    check_positive(fn, "m", m);
    check_positive(fn, "dv", dv);
    check_non_negative(fn, "eps", options.eps);
    check_finite(fn, "eps", options.eps);
    check_positive(fn, "output_norm.eps", options.output_norm.eps);
    check_finite(fn, "output_norm.eps", options.output_norm.eps);
    state_.setZero(m, dv);
    z_.setZero(m);
  }

  /// Adds token (k, v) and returns the output for query q (vectors of size
  /// d, d, dv).
  template <class FeatureMap, class VQ, class VK, class VV>
  RowVector<T> step(const Eigen::MatrixBase<VQ>& q, const Eigen::MatrixBase<VK>& k,
                    const Eigen::MatrixBase<VV>& v, const FeatureMap& phi) {
    const char* fn = "LinearAttentionState::step";
    detail::check_feature_map(fn, phi, options_);
    const Index m = detail::feature_count(phi, q.size());
    if (q.size() != k.size() || m != state_.rows() || v.size() != state_.cols())
      throw_invalid_argument(fn, "q, k, v have ", q.size(), ", ", k.size(), ", ", v.size(),
                             " entries giving ", m, " features; the state holds ", state_.rows(),
                             " features and ", state_.cols(), " values");
    const RowMatrix<Acc> qa = q.derived().reshaped().transpose().template cast<Acc>();
    const RowMatrix<Acc> ka = k.derived().reshaped().transpose().template cast<Acc>();
    const RowVector<Acc> fq = detail::feature_rows<Acc>(phi, qa, false);
    RowVector<Acc> fk;
    if constexpr (detail::is_row_feature_map<FeatureMap>::value) {
      RowVector<Acc> log_fk = phi.log_features(ka);
      const Acc top = log_fk.maxCoeff();
      if (!started_ || top > shift_) {
        if (started_) {
          state_ *= std::exp(shift_ - top);
          z_ *= std::exp(shift_ - top);
        }
        shift_ = top;
      }
      fk = (log_fk.array() - shift_).exp().matrix();
    } else {
      fk = detail::feature_rows<Acc>(phi, ka, true);
    }
    started_ = true;
    state_.noalias() += fk.transpose() * v.derived().reshaped().transpose().template cast<Acc>();
    z_ += fk.transpose();
    RowMatrix<Acc> out = fq * state_;
    if (options_.normalize) out /= fq.dot(z_) + static_cast<Acc>(options_.eps);
    detail::apply_output_norm(options_.output_norm, out);
    return out.template cast<T>();
  }

  /// Forgets every token.
  void reset() {
    state_.setZero();
    z_.setZero();
    started_ = false;
  }

 private:
  LinearAttentionOptions options_;
  RowMatrix<Acc> state_;
  Vector<Acc> z_;
  Acc shift_ = 0;
  bool started_ = false;
};

}  // namespace mlprim

#endif  // MLPRIM_ATTENTION_LINEAR_STATE_HPP
