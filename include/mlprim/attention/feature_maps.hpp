// Feature maps of linear attention: phi applied to queries and keys so that
// softmax(q k^T) becomes phi(q) phi(k)^T. Elementwise maps (EluPlusOne,
// ReluFeatures, SquaredReluFeatures, IdentityFeatures, or any type with
// S operator()(S) and S derivative(S), optionally with array forms) keep d
// features; row maps (PerformerFeatures, performer.hpp) map d entries to m
// features. The names say Features so that they cannot be mistaken for
// the activations of the same name.
#ifndef MLPRIM_ATTENTION_FEATURE_MAPS_HPP
#define MLPRIM_ATTENTION_FEATURE_MAPS_HPP

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <utility>

#include "mlprim/core/prefetch.hpp"
#include "mlprim/core/types.hpp"

namespace mlprim {

// Each built-in elementwise map also has array() and array_derivative(), the
// same functions over a whole Eigen array (vectorised, NaN handled alike);
// linear attention uses them when a map has them.

/// phi(x) = elu(x) + 1 (Katharopoulos et al.), elementwise, always > 0.
struct EluPlusOne {
  /// phi(x) for one entry.
  template <class S>
  S operator()(S x) const {
    return x > 0 ? x + 1 : std::exp(x);
  }
  /// d phi / dx at x.
  template <class S>
  S derivative(S x) const {
    return x > 0 ? S(1) : std::exp(x);
  }
  // exp is evaluated on its own: Eigen 3.4 runs select() one coefficient at
  // a time, which would also make every exp scalar.
  /// phi over a whole Eigen array (vectorised).
  template <class A>
  auto array(const Eigen::ArrayBase<A>& x) const {
    const typename A::PlainObject e = x.exp();
    return (x > typename A::Scalar(0)).select(x + typename A::Scalar(1), e).eval();
  }
  /// d phi / dx over a whole Eigen array.
  template <class A>
  auto array_derivative(const Eigen::ArrayBase<A>& x) const {
    const typename A::PlainObject e = x.exp();
    return (x > typename A::Scalar(0)).select(typename A::Scalar(1), e).eval();
  }
};
/// phi(x) = max(x, 0).
struct ReluFeatures {
  /// phi(x) for one entry.
  template <class S>
  S operator()(S x) const {
    return x > 0 ? x : S(0);
  }
  /// d phi / dx at x.
  template <class S>
  S derivative(S x) const {
    return x > 0 ? S(1) : S(0);
  }
  /// phi over a whole Eigen array (vectorised).
  template <class A>
  auto array(const Eigen::ArrayBase<A>& x) const {
    return (x > typename A::Scalar(0)).select(x, typename A::Scalar(0));
  }
  /// d phi / dx over a whole Eigen array.
  template <class A>
  auto array_derivative(const Eigen::ArrayBase<A>& x) const {
    return (x > typename A::Scalar(0)).template cast<typename A::Scalar>();
  }
};
/// phi(x) = max(x, 0)^2.
struct SquaredReluFeatures {
  /// phi(x) for one entry.
  template <class S>
  S operator()(S x) const {
    return x > 0 ? x * x : S(0);
  }
  /// d phi / dx at x.
  template <class S>
  S derivative(S x) const {
    return x > 0 ? 2 * x : S(0);
  }
  /// phi over a whole Eigen array (vectorised).
  template <class A>
  auto array(const Eigen::ArrayBase<A>& x) const {
    return (x > typename A::Scalar(0)).select(x.square(), typename A::Scalar(0));
  }
  /// d phi / dx over a whole Eigen array.
  template <class A>
  auto array_derivative(const Eigen::ArrayBase<A>& x) const {
    return (x > typename A::Scalar(0)).select(typename A::Scalar(2) * x, typename A::Scalar(0));
  }
};
/// phi(x) = x (no feature map; unnormalised linear attention).
struct IdentityFeatures {
  /// phi(x) for one entry.
  template <class S>
  S operator()(S x) const {
    return x;
  }
  /// d phi / dx at x.
  template <class S>
  S derivative(S) const {
    return S(1);
  }
  /// phi over a whole Eigen array (vectorised).
  template <class A>
  auto array(const Eigen::ArrayBase<A>& x) const {
    return x.derived();
  }
  /// d phi / dx over a whole Eigen array.
  template <class A>
  auto array_derivative(const Eigen::ArrayBase<A>& x) const {
    return A::Constant(x.rows(), x.cols(), typename A::Scalar(1));
  }
};

namespace detail {

/// True for feature maps that map whole rows (they have num_features()).
template <class Phi, class = void>
struct is_row_feature_map : std::false_type {};
template <class Phi>
struct is_row_feature_map<Phi, std::void_t<decltype(std::declval<const Phi&>().num_features())>>
    : std::true_type {};

/// True for elementwise maps with the array() form over Acc arrays.
template <class Phi, class Acc, class = void>
struct has_array_form : std::false_type {};
template <class Phi, class Acc>
struct has_array_form<
    Phi, Acc,
    std::void_t<decltype(std::declval<const Phi&>().array(std::declval<Eigen::ArrayX<Acc>>())),
                decltype(std::declval<const Phi&>().array_derivative(
                    std::declval<Eigen::ArrayX<Acc>>()))>> : std::true_type {};

/// phi of every row of x (N x d) in Acc into out (N x m). Row maps
/// distinguish keys (a stabiliser shared by all rows) from queries (one per row).
template <class Acc, class Phi, class X>
void feature_rows_into(const Phi& phi, const Eigen::MatrixBase<X>& x, bool keys,
                       RowMatrix<Acc>& out) {
  if constexpr (is_row_feature_map<Phi>::value) {
    out = phi.features(RowMatrix<Acc>(x.template cast<Acc>()), keys);
  } else if constexpr (has_array_form<Phi, Acc>::value) {
    out.resize(x.rows(), x.cols());
    out.array() = phi.array(x.template cast<Acc>().array());
  } else {
    out = x.template cast<Acc>();
    for (Index i = 0; i < out.size(); ++i) out.data()[i] = phi(out.data()[i]);
  }
}

/// phi of every row of x (N x d) in Acc: N x m (see feature_rows_into).
template <class Acc, class Phi, class X>
RowMatrix<Acc> feature_rows(const Phi& phi, const Eigen::MatrixBase<X>& x, bool keys) {
  RowMatrix<Acc> out;
  feature_rows_into(phi, x, keys, out);
  return out;
}

/// The features of x's rows handed out chunk by chunk to the chunked causal
/// form: an elementwise map computes each chunk when asked, so the features
/// are made in parallel and never stored for all N rows; a row map (whose
/// key stabiliser spans all rows) computes every row up front.
template <class Acc, class Phi, class X>
class ChunkFeatures {
 public:
  ChunkFeatures(const Phi& phi, const Eigen::MatrixBase<X>& x, bool keys)
      : phi_(phi), x_(x.derived()), keys_(keys) {
    if constexpr (is_row_feature_map<Phi>::value) feature_rows_into(phi, x, keys, all_);
  }
  /// phi of rows [t0, t0 + len) as len contiguous rows of m, in scratch or
  /// in the features made up front. Prefetches the next len rows of x, which
  /// the next chunk on this thread usually reads.
  const Acc* operator()(Index t0, Index len, RowMatrix<Acc>& scratch) const {
    if constexpr (is_row_feature_map<Phi>::value) {
      return all_.data() + t0 * all_.cols();
    } else {
      prefetch_rows(x_, t0 + len, len);
      feature_rows_into(phi_, x_.middleRows(t0, len), keys_, scratch);
      return scratch.data();
    }
  }

 private:
  const Phi& phi_;
  const X& x_;
  bool keys_;
  RowMatrix<Acc> all_;
};

/// dLoss/dx from dLoss/dphi(x) = df, given x and f = phi(x).
template <class Acc, class Phi>
RowMatrix<Acc> feature_rows_backward(const Phi& phi, const RowMatrix<Acc>& x,
                                     const RowMatrix<Acc>& f, const RowMatrix<Acc>& df, bool keys) {
  if constexpr (is_row_feature_map<Phi>::value) {
    return phi.features_backward(x, f, df, keys);
  } else {
    RowMatrix<Acc> dx(x.rows(), x.cols());
    if constexpr (has_array_form<Phi, Acc>::value) {
      dx.array() = df.array() * phi.array_derivative(x.array());
    } else {
      for (Index i = 0; i < x.size(); ++i)
        dx.data()[i] = df.data()[i] * phi.derivative(x.data()[i]);
    }
    return dx;
  }
}

/// Number of features phi makes of d-dimensional rows.
template <class Phi>
Index feature_count(const Phi& phi, Index d) {
  if constexpr (is_row_feature_map<Phi>::value) {
    return phi.num_features();
  } else {
    return d;
  }
}

}  // namespace detail
}  // namespace mlprim

#endif  // MLPRIM_ATTENTION_FEATURE_MAPS_HPP
