// The gated attention unit (GAU) of FLASH (Hua et al., "Transformer Quality
// in Linear Time", ICML 2022), forward only. For X (N x d), with SiLU
// activations and e = expansion * d, s = key_dim:
//
//   U = silu(X Wu + bu),  V = silu(X Wv + bv)            (N x e)
//   Z = silu(X Wz + bz)                                   (N x s, shared)
//   Q = Z o gamma_0 + beta_0,  K = Z o gamma_1 + beta_1   (per-dimension scale and offset)
//   Ql = Z o gamma_2 + beta_2, Kl = Z o gamma_3 + beta_3  (linear part, chunk > 0 only)
//   O = (U o attention(Q, K, V)) Wo + bo                  (N x d)
//
// where attention is relu2_attention (chunk = 0) or mixed_chunk_attention
// (chunk > 0, the FLASH layer).
#ifndef MLPRIM_ATTENTION_GAU_HPP
#define MLPRIM_ATTENTION_GAU_HPP

#include <cmath>
#include <cstdint>
#include <optional>
#include <utility>

#include "mlprim/attention/detail/scale.hpp"
#include "mlprim/attention/relu2.hpp"
#include "mlprim/core/error.hpp"
#include "mlprim/core/memory.hpp"
#include "mlprim/core/parallel.hpp"
#include "mlprim/core/random.hpp"
#include "mlprim/core/types.hpp"

namespace mlprim {

/// Shape and attention of a GatedAttentionUnit.
struct GauParams {
  Index dim = 0;        ///< model width d
  Index expansion = 2;  ///< e = expansion * d (the paper's default 2)
  Index key_dim = 128;  ///< s, the width of the shared Z (the paper's 128)
  Index chunk = 0;      ///< 0: relu2_attention over all tokens; else mixed-chunk with this chunk
  bool causal = false;  ///< bottom-right aligned causal mask in the attention
  std::optional<double> scale;  ///< of the quadratic scores; default 1 / sqrt(s)
  int num_threads = 0;  ///< threads of the attention (0 = all); 1 also keeps the products serial
};

/// The former name of GauParams, kept for one release.
using GauConfig [[deprecated("renamed GauParams")]] = GauParams;

/// Forward GAU / FLASH layer (see the header comment), weights in T.
template <class T>
class GatedAttentionUnit {
 public:
  /// The layer's parameters; shapes follow GauParams (e = expansion * dim).
  struct Weights {
    RowMatrix<T> Wu;     ///< d x e: the gate U
    RowMatrix<T> Wv;     ///< d x e: the values V
    RowMatrix<T> Wz;     ///< d x s
    RowMatrix<T> Wo;     ///< e x d
    RowVector<T> bu;     ///< e: U's bias
    RowVector<T> bv;     ///< e: V's bias
    RowVector<T> bz;     ///< s
    RowVector<T> bo;     ///< d
    RowMatrix<T> gamma;  ///< 4 x s: rows for Q, K, Ql, Kl
    RowMatrix<T> beta;   ///< 4 x s
  };

  /// A layer with given weights (checked against the params' shapes).
  GatedAttentionUnit(const GauParams& params, Weights weights)
      : params_(params), w_(std::move(weights)) {
    check_params();
    const char* fn = "GatedAttentionUnit";
    const Index d = params.dim, e = expanded_width(), s = params.key_dim;
    auto check = [&](const char* name, Index rows, Index cols, Index want_rows, Index want_cols) {
      if (rows != want_rows || cols != want_cols)
        throw_invalid_argument(fn, name, " is ", rows, " x ", cols, ", expected ", want_rows, " x ",
                               want_cols);
    };
    check("Wu", w_.Wu.rows(), w_.Wu.cols(), d, e);
    check("Wv", w_.Wv.rows(), w_.Wv.cols(), d, e);
    check("Wz", w_.Wz.rows(), w_.Wz.cols(), d, s);
    check("Wo", w_.Wo.rows(), w_.Wo.cols(), e, d);
    check("bu", 1, w_.bu.size(), 1, e);
    check("bv", 1, w_.bv.size(), 1, e);
    check("bz", 1, w_.bz.size(), 1, s);
    check("bo", 1, w_.bo.size(), 1, d);
    check("gamma", w_.gamma.rows(), w_.gamma.cols(), 4, s);
    check("beta", w_.beta.rows(), w_.beta.cols(), 4, s);
  }

  /// A layer initialised from `seed`: matrices N(0, 1/fan_in), biases and
  /// offsets 0, scales gamma N(1, 0.02^2) (so Q and K differ from the start).
  GatedAttentionUnit(const GauParams& params, std::uint64_t seed) : params_(params) {
    check_params();
    const Index d = params.dim, e = expanded_width(), s = params.key_dim;
    const char* fn = "GatedAttentionUnit";
    // Wu, Wv, Wo (d x e each) and Wz (d x s), drawn in double first.
    const auto weights =
        static_cast<std::uint64_t>(checked_product(fn, "3 * dim * expansion * dim", 3, d, e)) +
        static_cast<std::uint64_t>(checked_product(fn, "dim * key_dim", d, s));
    check_allocation(fn, "the weights", weights, sizeof(double) + sizeof(T));
    Rng rng(seed);
    auto normal = [&](Index rows, Index cols, double mean, double stddev) {
      RowMatrix<double> m(rows, cols);
      fill_normal(m, rng, mean, stddev);
      return RowMatrix<T>(m.template cast<T>());
    };
    w_.Wu = normal(d, e, 0, 1 / std::sqrt(double(d)));
    w_.Wv = normal(d, e, 0, 1 / std::sqrt(double(d)));
    w_.Wz = normal(d, s, 0, 1 / std::sqrt(double(d)));
    w_.Wo = normal(e, d, 0, 1 / std::sqrt(double(e)));
    w_.bu = RowVector<T>::Zero(e);
    w_.bv = RowVector<T>::Zero(e);
    w_.bz = RowVector<T>::Zero(s);
    w_.bo = RowVector<T>::Zero(d);
    w_.gamma = normal(4, s, 1, 0.02);
    w_.beta = RowMatrix<T>::Zero(4, s);
  }

  /// The shape and attention of the layer.
  const GauParams& params() const { return params_; }
  /// The former name of params(), kept for one release.
  [[deprecated("renamed params()")]] const GauParams& config() const { return params_; }
  /// The parameters, as given or drawn.
  const Weights& weights() const { return w_; }

  /// O (N x d) for X (N x d), computed in AccumulatorT<T>.
  template <class DX>
  RowMatrix<T> forward(const Eigen::MatrixBase<DX>& X) const {
    using Acc = AccumulatorT<T>;
    if (X.cols() != params_.dim)
      throw_invalid_argument("GatedAttentionUnit::forward", "X.cols() = ", X.cols(),
                             " does not match dim = ", params_.dim);
    const int threads = resolve_threads("GatedAttentionUnit::forward", params_.num_threads);
    std::optional<detail::SerialProductsScope> serial;
    if (threads == 1) serial.emplace();
    const RowMatrix<Acc> x = X.template cast<Acc>();
    auto silu_layer = [&](const RowMatrix<T>& w, const RowVector<T>& b) {
      RowMatrix<Acc> h = x * w.template cast<Acc>();
      h.rowwise() += b.template cast<Acc>();
      return RowMatrix<Acc>(h.array() / (1 + (-h.array()).exp()));
    };
    const RowMatrix<Acc> u = silu_layer(w_.Wu, w_.bu), v = silu_layer(w_.Wv, w_.bv),
                         z = silu_layer(w_.Wz, w_.bz);
    auto projected = [&](Index row) {
      RowMatrix<Acc> p = z.array().rowwise() * w_.gamma.row(row).template cast<Acc>().array();
      p.rowwise() += w_.beta.row(row).template cast<Acc>();
      return p;
    };
    RowMatrix<Acc> attended;
    if (params_.chunk == 0) {
      Relu2AttentionOptions o;
      o.scale = scale();
      o.causal = params_.causal;
      o.num_threads = threads;
      attended = relu2_attention(projected(0), projected(1), v, o);
    } else {
      MixedChunkOptions o;
      o.chunk = params_.chunk;
      o.causal = params_.causal;
      o.scale = scale();
      o.num_threads = threads;
      attended =
          mixed_chunk_attention(projected(0), projected(1), projected(2), projected(3), v, o);
    }
    RowMatrix<Acc> out = (u.array() * attended.array()).matrix() * w_.Wo.template cast<Acc>();
    out.rowwise() += w_.bo.template cast<Acc>();
    return out.template cast<T>();
  }

 private:
  /// e = expansion * dim, checked for overflow.
  Index expanded_width() const {
    return checked_product("GatedAttentionUnit", "expansion * dim", params_.expansion, params_.dim);
  }

  double scale() const { return detail::attention_scale(params_.scale, params_.key_dim); }

  void check_params() const {
    const char* fn = "GatedAttentionUnit";
    check_positive(fn, "dim", params_.dim);
    check_positive(fn, "expansion", params_.expansion);
    expanded_width();
    check_positive(fn, "key_dim", params_.key_dim);
    check_non_negative(fn, "chunk", params_.chunk);
    if (params_.scale) check_finite(fn, "scale", *params_.scale);
  }

  GauParams params_;
  Weights w_;
};

}  // namespace mlprim

#endif  // MLPRIM_ATTENTION_GAU_HPP
