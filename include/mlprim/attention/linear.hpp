// Linear attention (Katharopoulos et al., "Transformers are RNNs", 2020):
// softmax(q k^T) replaced by a feature map phi, so that
//
//   out_i = phi(q_i) S / (phi(q_i) . z + eps),   S = sum_j phi(k_j)^T v_j,  z = sum_j phi(k_j)
//
// over all j (non-causal) or j <= i (causal), in O(N m dv) time and O(m dv)
// state instead of O(N^2). With normalize = false the division is dropped;
// TransNormer ("The Devil in Linear Transformer", Qin et al. 2022) instead
// normalises each output row (OutputNorm), which keeps the gradients bounded.
// The causal sum has two equal forms: the recurrent one (one token at a
// time, as LinearAttentionState) and the chunked one (quadratic inside a
// chunk, state carried across chunks), which runs as small matrix products
// and is faster.
//
// A feature map (feature_maps.hpp) is either elementwise (EluPlusOne,
// ReluFeatures, SquaredReluFeatures, IdentityFeatures, or any type with
// S operator()(S) and S derivative(S), optionally with array forms) or maps
// whole rows of d entries to m features (PerformerFeatures).
#ifndef MLPRIM_ATTENTION_LINEAR_HPP
#define MLPRIM_ATTENTION_LINEAR_HPP

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <utility>
#include <vector>

#include "mlprim/attention/detail/chunk_scan.hpp"
#include "mlprim/attention/detail/masked_product.hpp"
#include "mlprim/attention/feature_maps.hpp"
#include "mlprim/attention/output_norm.hpp"
#include "mlprim/attention/options.hpp"
#include "mlprim/attention/shape.hpp"
#include "mlprim/core/error.hpp"
#include "mlprim/core/parallel.hpp"
#include "mlprim/core/prefetch.hpp"
#include "mlprim/core/types.hpp"

namespace mlprim {
/// Options of linear_attention and linear_attention_backward: causal and
/// num_threads of HeadOptions (the other fields are rejected: a feature map
/// sets its own scale, e.g. PerformerOptions::scale), and the fields below.
struct LinearAttentionOptions : HeadOptions {
  bool normalize = true;   ///< divide by phi(q) . z + eps
  double eps = 1e-6;       ///< added to the normaliser (Katharopoulos et al.'s value), >= 0
  Index chunk = 64;        ///< causal: tokens per chunk of the chunked form, >= 1
  bool recurrent = false;  ///< causal forward: the token-by-token recurrence instead of chunks
  OutputNorm output_norm;  ///< applied to every output row last
};

namespace detail {

/// The causal chunked form of linear attention: inside a chunk of C rows the
/// masked quadratic form, across chunks the state S_c = sum of
/// phi(K_c')^T V_c' over earlier chunks c' (and z_c likewise), by chunk_scan:
/// every chunk's key features and own sum phi(K_c)^T V_c in parallel, then
/// every chunk's query features and output. key_rows(t0, len, scratch) and
/// query_rows(...) return the features of rows [t0, t0 + len) as len
/// contiguous rows of m (see ChunkFeatures); emit(t0, len, num, den) takes
/// the chunk's numerators (len x dv, which it may overwrite) and normalisers.
/// Extra memory O(64 C m + 64 m dv) for a group's key features and states.
template <class Acc, class KeyRows, class QueryRows, class Emit>
void chunked_linear_sums(Index n, Index m, const Eigen::Ref<const RowMatrix<Acc>>& v,
                         const LinearAttentionOptions& o, const KeyRows& key_rows,
                         const QueryRows& query_rows, const Emit& emit) {
  using Rows = Eigen::Map<const RowMatrix<Acc>>;
  const auto slots = static_cast<std::size_t>(std::min(scan_group_chunks, chunk_count(n, o.chunk)));
  const SplitRows<Acc> v_rows(v);  // non-finite values of later keys stay out of a chunk's rows
  std::vector<RowMatrix<Acc>> key_scratch(slots);
  std::vector<const Acc*> key_features(slots);
  struct Scratch {
    RowMatrix<Acc> a, query, num;
    Vector<Acc> den;
  };
  chunk_scan<Acc, Scratch>(
      n, o.chunk, m, v.cols(), false, o.num_threads,
      [&](Index t0, Index len, Index slot, RowMatrix<Acc>& state, RowVector<Acc>& z) {
        prefetch_rows(v, t0 + len, len);  // the next chunk's values
        const auto s = static_cast<std::size_t>(slot);
        key_features[s] = key_rows(t0, len, key_scratch[s]);
        const Rows kc(key_features[s], len, m);
        state.noalias() = kc.transpose() * v.middleRows(t0, len);
        z = kc.colwise().sum();
      },
      [&](Index t0, Index len, Index slot, const RowMatrix<Acc>& state, const RowVector<Acc>& z,
          Scratch& w) {
        const Rows qc(query_rows(t0, len, w.query), len, m),
            kc(key_features[static_cast<std::size_t>(slot)], len, m);
        w.a.noalias() = qc * kc.transpose();
        w.a.template triangularView<Eigen::StrictlyUpper>().setZero();
        w.num.setZero(len, v.cols());
        add_masked_product<Acc>(w.num, w.a, v_rows, t0, causal_in_chunk);
        w.num.noalias() += qc * state;
        w.den = w.a.rowwise().sum();
        w.den.noalias() += qc * z.transpose();
        emit(t0, len, w.num, w.den);
      });
}

/// z = sum_j phi(k_j) over the rows of fk, as a column (zeros for no rows:
/// Eigen's column sums of an empty matrix offset a null pointer).
template <class Acc>
Vector<Acc> key_sums(const RowMatrix<Acc>& fk) {
  if (fk.rows() == 0) return Vector<Acc>::Zero(fk.cols());
  return fk.colwise().sum().transpose();
}

/// Numerators (N x dv) and normalisers (N) of linear attention from the
/// features fq (N x m), fk (Nk x m) and values v.
template <class Acc>
void linear_attention_sums(const RowMatrix<Acc>& fq, const RowMatrix<Acc>& fk,
                           const Eigen::Ref<const RowMatrix<Acc>>& v,
                           const LinearAttentionOptions& o, RowMatrix<Acc>& num, Vector<Acc>& den) {
  const Index n = fq.rows(), m = fq.cols(), dv = v.cols();
  num.resize(n, dv);
  den.resize(n);
  if (!o.causal) {
    const RowMatrix<Acc> state = fk.transpose() * v;
    num.noalias() = fq * state;
    den.noalias() = fq * key_sums(fk);
  } else if (o.recurrent) {  // S_t = S_{t-1} + phi(k_t)^T v_t
    RowMatrix<Acc> state = RowMatrix<Acc>::Zero(m, dv);
    Vector<Acc> z = Vector<Acc>::Zero(m);
    for (Index t = 0; t < n; ++t) {
      state.noalias() += fk.row(t).transpose() * v.row(t);
      z += fk.row(t).transpose();
      num.row(t).noalias() = fq.row(t) * state;
      den(t) = fq.row(t).dot(z);
    }
  } else {
    const auto stored = [](const RowMatrix<Acc>& f) {
      return [&f](Index t0, Index, RowMatrix<Acc>&) { return f.data() + t0 * f.cols(); };
    };
    chunked_linear_sums<Acc>(
        n, m, v, o, stored(fk), stored(fq),
        [&](Index t0, Index len, RowMatrix<Acc>& num_c, const Vector<Acc>& den_c) {
          num.middleRows(t0, len) = num_c;
          den.segment(t0, len) = den_c;
        });
  }
}

/// True for row feature maps that shift each query's features by its own
/// maximum (PerformerFeatures with options().stabilize).
template <class Phi, class = void>
struct shifts_queries : std::false_type {};
template <class Phi>
struct shifts_queries<Phi, std::void_t<decltype(std::declval<const Phi&>().options().stabilize)>>
    : std::true_type {};

/// The per-query shift of a stabilised feature map cancels only in the
/// division by the normaliser: without it the output would be scaled row by row.
template <class Phi>
void check_feature_map(const char* fn, const Phi& phi, const LinearAttentionOptions& o) {
  if constexpr (shifts_queries<Phi>::value) {
    if (!o.normalize && phi.options().stabilize)
      throw_invalid_argument(
          fn,
          "normalize = false needs the feature map's stabilize = false (the per-query "
          "shift cancels only in the division)");
  }
}

/// Checks the shapes and options of a linear attention call.
template <class DQ, class DK, class DV>
void check_linear_attention(const char* fn, const Eigen::MatrixBase<DQ>& Q,
                            const Eigen::MatrixBase<DK>& K, const Eigen::MatrixBase<DV>& V,
                            const LinearAttentionOptions& o) {
  if (K.cols() != Q.cols())
    throw_invalid_argument(fn, "K.cols() = ", K.cols(), " does not match Q.cols() = ", Q.cols());
  if (V.rows() != K.rows())
    throw_invalid_argument(fn, "V.rows() = ", V.rows(), " does not match K.rows() = ", K.rows());
  reject_unsupported(fn, o, head_field::causal);
  if (o.causal && K.rows() != Q.rows())
    throw_invalid_argument(fn, "causal needs K.rows() = ", K.rows(),
                           " to equal Q.rows() = ", Q.rows());
  check_non_negative(fn, "eps", o.eps);
  check_finite(fn, "eps", o.eps);
  check_positive(fn, "chunk", o.chunk);
  check_non_negative(fn, "num_threads", o.num_threads);
  check_positive(fn, "output_norm.eps", o.output_norm.eps);
  check_finite(fn, "output_norm.eps", o.output_norm.eps);
}

}  // namespace detail

/// Linear attention of Q (N x d), K (Nk x d), V (Nk x dv) with a feature map
/// (see the header comment); returns N x dv. Accumulates in AccumulatorT<T>.
/// Causal needs Nk == N. Time O(N m dv) (chunked: plus O(N chunk (m + dv))),
/// memory O(N (m + dv)). The causal chunked form runs in parallel over chunks
/// (options.num_threads), features included, and with an elementwise map
/// needs beyond the output only O(64 m (chunk + dv)) (a group of chunks' key
/// features and states); the other forms use Eigen's product threads.
template <class DQ, class DK, class DV, class FeatureMap, class T = typename DQ::Scalar>
RowMatrix<T> linear_attention(const Eigen::MatrixBase<DQ>& Q, const Eigen::MatrixBase<DK>& K,
                              const Eigen::MatrixBase<DV>& V, const FeatureMap& phi,
                              const LinearAttentionOptions& options = {}) {
  /// The type S and z accumulate in.
  using Acc = AccumulatorT<T>;
  detail::check_linear_attention("linear_attention", Q, K, V, options);
  detail::check_feature_map("linear_attention", phi, options);
  const Eigen::Ref<const RowMatrix<Acc>> v(
      V.template cast<Acc>());  // no copy of contiguous V in Acc
  const auto finish = [&](RowMatrix<Acc>& num, const Vector<Acc>& den) {
    if (options.normalize) num.array().colwise() /= den.array() + static_cast<Acc>(options.eps);
    detail::apply_output_norm(options.output_norm, num);
  };
  if (options.causal && !options.recurrent) {  // features, sums and output chunk by chunk
    RowMatrix<T> out(Q.rows(), V.cols());
    const detail::ChunkFeatures<Acc, FeatureMap, DK> fk(phi, K, true);
    const detail::ChunkFeatures<Acc, FeatureMap, DQ> fq(phi, Q, false);
    detail::chunked_linear_sums<Acc>(
        Q.rows(), detail::feature_count(phi, Q.cols()), v, options, fk, fq,
        [&](Index t0, Index len, RowMatrix<Acc>& num, const Vector<Acc>& den) {
          finish(num, den);
          out.middleRows(t0, len) = num.template cast<T>();
        });
    return out;
  }
  const RowMatrix<Acc> fq = detail::feature_rows<Acc>(phi, Q, false),
                       fk = detail::feature_rows<Acc>(phi, K, true);
  RowMatrix<Acc> num;
  Vector<Acc> den;
  detail::linear_attention_sums<Acc>(fq, fk, v, options, num, den);
  finish(num, den);
  if constexpr (std::is_same_v<T, Acc>) {
    return num;
  } else {
    return num.template cast<T>();
  }
}

/// Gradients of a scalar loss through linear_attention (same arguments and
/// options) from dO = dLoss/dOut: recomputes the forward sums, then, when
/// causal, one scan over chunks for dQ (the sums S and z of earlier chunks)
/// and one from the last chunk for dK and dV (the sums of phi(q)^T dnum and
/// phi(q) dden over later chunks), both in parallel over chunks
/// (options.num_threads; the result does not depend on it), so memory stays
/// O(N (m + dv)), never N x N. With
/// dnum_i = g_i / den_i, dden_i = -(g_i . out_i) / den_i (normalised; else
/// dnum = g, dden = 0):
///   dphi(q_i) = dnum_i S_i^T + dden_i z_i,
///   dphi(k_j) = sum_{i >= j} phi(q_i) (dnum_i . v_j + dden_i),
///   dv_j = sum_{i >= j} (phi(q_i) . phi(k_j)) dnum_i
/// (i over all rows when not causal). A row feature map's stabiliser gets
/// no gradient (see PerformerFeatures).
template <class DQ, class DK, class DV, class DG, class FeatureMap, class T = typename DQ::Scalar>
AttentionGradients<T> linear_attention_backward(const Eigen::MatrixBase<DQ>& Q,
                                                const Eigen::MatrixBase<DK>& K,
                                                const Eigen::MatrixBase<DV>& V,
                                                const Eigen::MatrixBase<DG>& dO,
                                                const FeatureMap& phi,
                                                const LinearAttentionOptions& options = {}) {
  /// The type S and z accumulate in.
  using Acc = AccumulatorT<T>;
  const char* fn = "linear_attention_backward";
  detail::check_linear_attention(fn, Q, K, V, options);
  detail::check_feature_map(fn, phi, options);
  if (dO.rows() != Q.rows() || dO.cols() != V.cols())
    throw_invalid_argument(fn, "dO is ", dO.rows(), " x ", dO.cols(), ", the output ", Q.rows(),
                           " x ", V.cols());
  const RowMatrix<Acc> q = Q.template cast<Acc>(), k = K.template cast<Acc>(),
                       v = V.template cast<Acc>();
  const RowMatrix<Acc> fq = detail::feature_rows<Acc>(phi, q, false),
                       fk = detail::feature_rows<Acc>(phi, k, true);
  const Index n = fq.rows(), m = fq.cols(), dv = v.cols();
  RowMatrix<Acc> num;
  Vector<Acc> den;
  detail::linear_attention_sums<Acc>(fq, fk, v, options, num, den);
  const Acc eps = static_cast<Acc>(options.eps);
  if (options.normalize) num.array().colwise() /= den.array() + eps;  // num is now the output y
  RowMatrix<Acc> g = dO.template cast<Acc>();
  if (options.output_norm.kind != OutputNorm::Kind::None) {
    RowMatrix<Acc> normed = num;
    detail::apply_output_norm(options.output_norm, normed);
    detail::output_norm_backward(options.output_norm, normed,
                                 detail::output_norm_scale(options.output_norm, num), g);
  }
  Vector<Acc> dden = Vector<Acc>::Zero(n);
  if (options.normalize) {
    const Vector<Acc> inv = (den.array() + eps).inverse();
    dden = -(g.array() * num.array()).rowwise().sum() * inv.array();
    g.array().colwise() *= inv.array();  // g is now dnum
  }
  RowMatrix<Acc> dfq(n, m), dfk(k.rows(), m), dvv(k.rows(), dv);
  if (!options.causal) {
    const RowMatrix<Acc> s = fk.transpose() * v, r = fq.transpose() * g;
    const Vector<Acc> z = detail::key_sums(fk), rz = fq.transpose() * dden;
    dfq.noalias() = g * s.transpose();
    dfq.noalias() += dden * z.transpose();
    dfk.noalias() = v * r.transpose();
    dfk.rowwise() += rz.transpose();
    dvv.noalias() = fk * r;
  } else {
    // Two scans over chunks, in parallel like the forward: dQ needs the sums
    // S, z of the earlier chunks, dK and dV the sums r, rz of the later ones.
    struct Scratch {
      RowMatrix<Acc> gm, a;
    };
    // gm = (dnum_c v_c^T + dden_c 1^T) masked to j <= i.
    const auto masked_gradient = [&](Index t0, Index len, RowMatrix<Acc>& gm) {
      gm.noalias() = g.middleRows(t0, len) * v.middleRows(t0, len).transpose();
      gm.colwise() += dden.segment(t0, len);
      gm.template triangularView<Eigen::StrictlyUpper>().setZero();
    };
    // Masked entries (key after query) of a chunk contribute nothing, even
    // from non-finite rows of phi(K), phi(Q) or dnum (masked_product.hpp).
    const detail::SplitRows<Acc> fk_rows(fk), fq_rows(fq), g_rows(g);
    detail::chunk_scan<Acc, Scratch>(
        n, options.chunk, m, dv, false, options.num_threads,
        [&](Index t0, Index len, Index, RowMatrix<Acc>& s, RowVector<Acc>& z) {
          s.noalias() = fk.middleRows(t0, len).transpose() * v.middleRows(t0, len);
          z = fk.middleRows(t0, len).colwise().sum();
        },
        [&](Index t0, Index len, Index, const RowMatrix<Acc>& s, const RowVector<Acc>& z,
            Scratch& w) {
          masked_gradient(t0, len, w.gm);
          dfq.middleRows(t0, len).setZero();
          detail::add_masked_product<Acc>(dfq.middleRows(t0, len), w.gm, fk_rows, t0,
                                          detail::causal_in_chunk);
          dfq.middleRows(t0, len).noalias() += g.middleRows(t0, len) * s.transpose();
          dfq.middleRows(t0, len).noalias() += dden.segment(t0, len) * z;
        });
    detail::chunk_scan<Acc, Scratch>(
        n, options.chunk, m, dv, true, options.num_threads,
        [&](Index t0, Index len, Index, RowMatrix<Acc>& r, RowVector<Acc>& rz) {
          r.noalias() = fq.middleRows(t0, len).transpose() * g.middleRows(t0, len);
          rz.noalias() = dden.segment(t0, len).transpose() * fq.middleRows(t0, len);
        },
        [&](Index t0, Index len, Index, const RowMatrix<Acc>& r, const RowVector<Acc>& rz,
            Scratch& w) {
          masked_gradient(t0, len, w.gm);
          w.a.noalias() = fq.middleRows(t0, len) * fk.middleRows(t0, len).transpose();
          w.a.template triangularView<Eigen::StrictlyUpper>().setZero();
          dfk.middleRows(t0, len).setZero();
          detail::add_masked_transposed_product<Acc>(dfk.middleRows(t0, len), w.gm, fq_rows, t0,
                                                     detail::causal_in_chunk);
          dfk.middleRows(t0, len).noalias() += v.middleRows(t0, len) * r.transpose();
          dfk.middleRows(t0, len).rowwise() += rz;
          dvv.middleRows(t0, len).setZero();
          detail::add_masked_transposed_product<Acc>(dvv.middleRows(t0, len), w.a, g_rows, t0,
                                                     detail::causal_in_chunk);
          dvv.middleRows(t0, len).noalias() += fk.middleRows(t0, len) * r;
        });
  }
  AttentionGradients<T> grads;
  grads.dQ = detail::feature_rows_backward(phi, q, fq, dfq, false).template cast<T>();
  grads.dK = detail::feature_rows_backward(phi, k, fk, dfk, true).template cast<T>();
  grads.dV = dvv.template cast<T>();
  return grads;
}

/// Batched linear_attention with feature map phi (layout in
/// attention/shape.hpp; threads over batch x heads, then over chunks).
template <class T, class FeatureMap>
void linear_attention(const T* q, const T* k, const T* v, T* out, const AttentionShape& shape,
                      const FeatureMap& phi, const LinearAttentionOptions& options = {}) {
  detail::map_heads("linear_attention", shape, q, k, v, out, options.num_threads,
                    [&](const auto& qh, const auto& kh, const auto& vh) {
                      return linear_attention(qh, kh, vh, phi, options);
                    });
}

/// Batched linear_attention_backward; dk and dv sum over each group's query heads.
template <class T, class FeatureMap>
void linear_attention_backward(const T* q, const T* k, const T* v, const T* d_out, T* dq, T* dk,
                               T* dv, const AttentionShape& shape, const FeatureMap& phi,
                               const LinearAttentionOptions& options = {}) {
  using Acc = AccumulatorT<T>;
  const char* fn = "linear_attention_backward";
  const auto l = detail::resolve_shape(fn, shape);
  detail::require_inputs(fn, q, k, v, l);
  detail::require_query_buffer(fn, "d_out", d_out, l, l.dv);
  detail::require_query_buffer(fn, "dq", dq, l, l.d);
  detail::require_key_buffer(fn, "dk", dk, l, l.d);
  detail::require_key_buffer(fn, "dv", dv, l, l.dv);
  detail::for_each_head(fn, l, l.hkv, options.num_threads, [&](Index b, Index hk) {
    RowMatrix<Acc> dk_sum = RowMatrix<Acc>::Zero(l.len_k(b), l.d),
                   dv_sum = RowMatrix<Acc>::Zero(l.len_k(b), l.dv);
    for (Index h = hk * l.group; h < (hk + 1) * l.group; ++h) {
      auto g = linear_attention_backward(
          l.view(q, l.q_offsets, b, h, l.hq, l.d), l.view(k, l.k_offsets, b, hk, l.hkv, l.d),
          l.view(v, l.k_offsets, b, hk, l.hkv, l.dv), l.view(d_out, l.q_offsets, b, h, l.hq, l.dv),
          phi, options);
      l.view(dq, l.q_offsets, b, h, l.hq, l.d) = g.dQ;
      dk_sum += g.dK.template cast<Acc>();
      dv_sum += g.dV.template cast<Acc>();
    }
    l.view(dk, l.k_offsets, b, hk, l.hkv, l.d) = dk_sum.template cast<T>();
    l.view(dv, l.k_offsets, b, hk, l.hkv, l.dv) = dv_sum.template cast<T>();
  });
}

}  // namespace mlprim

#endif  // MLPRIM_ATTENTION_LINEAR_HPP
