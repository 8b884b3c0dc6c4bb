// FAVOR+ positive orthogonal random features (Choromanski et al.,
// "Rethinking Attention with Performers", ICLR 2021), a feature map for
// linear_attention whose features estimate the softmax kernel without bias:
//
//   phi(x) = exp(W x' - |x'|^2 / 2) / sqrt(m),   x' = sqrt(scale) x,
//   E[phi(q) . phi(k)] = exp(scale q . k),
//
// with the m rows of W drawn in blocks of d: each block is a d x d Gaussian
// matrix orthogonalised by Gram-Schmidt (uniform on the orthogonal group),
// its rows rescaled to norms drawn from the chi distribution with d degrees
// of freedom, so each row is still marginally N(0, I) while rows in a block
// are orthogonal (lower estimator variance). The same W serves queries and
// keys. The stabiliser subtracts a maximum before exp: per row for queries,
// over all rows of the call for keys; both cancel in normalised linear
// attention (up to eps) and get no gradient. With normalize = false turn
// stabilize off, since the query shift would then change the output
// (linear attention rejects that combination).
#ifndef MLPRIM_ATTENTION_PERFORMER_HPP
#define MLPRIM_ATTENTION_PERFORMER_HPP

#include <cmath>
#include <cstdint>
#include <optional>

#include "mlprim/attention/detail/scale.hpp"
#include "mlprim/core/error.hpp"
#include "mlprim/core/random.hpp"
#include "mlprim/core/types.hpp"

namespace mlprim {

/// Options of PerformerFeatures.
struct PerformerOptions {
  std::optional<double>
      scale;              ///< softmax temperature estimated: exp(scale q.k); default 1/sqrt(d)
  bool stabilize = true;  ///< subtract the maximum log-feature before exp (see the header)
};

/// FAVOR+ feature map for linear_attention (see the header comment). The
/// projection is kept in AccumulatorT<T>; features are computed in the
/// caller's accumulation type.
template <class T>
class PerformerFeatures {
 public:
  /// The type the features are computed in.
  using Acc = AccumulatorT<T>;

  /// m = num_features random features of d-dimensional queries and keys,
  /// drawn from `seed`.
  PerformerFeatures(Index dim, Index num_features, std::uint64_t seed = 0,
                    const PerformerOptions& options = {})
      : dim_(dim), options_(options) {
    check_positive("PerformerFeatures", "dim", dim);
    check_positive("PerformerFeatures", "num_features", num_features);
    if (options.scale) {
      check_positive("PerformerFeatures", "scale", *options.scale);
      check_finite("PerformerFeatures", "scale", *options.scale);
    }
    root_scale_ = std::sqrt(detail::attention_scale(options.scale, dim));
    projection_.resize(num_features, dim);
    redraw(seed);
  }

  /// Draws a new projection from `seed` (Performers redraw periodically
  /// during training).
  void redraw(std::uint64_t seed) {
    Rng rng(seed);
    const Index m = projection_.rows(), d = dim_;
    RowMatrix<double> block(d, d);
    for (Index r0 = 0; r0 < m; r0 += d) {
      fill_normal(block, rng);
      for (Index i = 0; i < d; ++i) {  // modified Gram-Schmidt on the rows
        for (Index j = 0; j < i; ++j) block.row(i) -= block.row(i).dot(block.row(j)) * block.row(j);
        block.row(i).normalize();
      }
      for (Index i = 0; i < std::min(d, m - r0); ++i) {
        double chi2 = 0;  // |g|^2 of a fresh d-dimensional Gaussian: chi^2(d)
        for (Index c = 0; c < d; ++c) {
          const double g = rng.normal<double>();
          chi2 += g * g;
        }
        projection_.row(r0 + i) = (std::sqrt(chi2) * block.row(i)).template cast<Acc>();
      }
    }
  }

  /// d, the width of the rows the map takes.
  Index dim() const { return dim_; }
  /// m, the number of random features.
  Index num_features() const { return projection_.rows(); }
  /// The options the map was drawn with.
  const PerformerOptions& options() const { return options_; }
  /// The projection W (m x d), rows w_r.
  const RowMatrix<Acc>& projection() const { return projection_; }

  /// Unstabilised log-features of every row of x (N x d): W x' - |x'|^2/2 - log(m)/2.
  template <class S>
  RowMatrix<S> log_features(const RowMatrix<S>& x) const {
    check_dim("PerformerFeatures::log_features", x.cols());
    const RowMatrix<S> xs = static_cast<S>(root_scale_) * x;
    RowMatrix<S> l = xs * projection_.template cast<S>().transpose();
    const Vector<S> half_norm = xs.rowwise().squaredNorm() / S(2);
    l.colwise() -= half_norm;
    l.array() -= static_cast<S>(0.5 * std::log(static_cast<double>(num_features())));
    return l;
  }

  /// phi of every row of x (N x m), stabilised for keys or queries.
  template <class S>
  RowMatrix<S> features(const RowMatrix<S>& x, bool keys) const {
    RowMatrix<S> l = log_features(x);
    if (options_.stabilize && l.size() > 0) {
      if (keys) {
        l.array() -= l.maxCoeff();
      } else {
        const Vector<S> top = l.rowwise().maxCoeff();
        l.colwise() -= top;
      }
    }
    return l.array().exp().matrix();
  }

  /// dLoss/dx from dLoss/dphi = df given f = features(x): with G = df o f,
  /// dx = sqrt(scale) (G W - rowsum(G) x') (the stabiliser held constant).
  template <class S>
  RowMatrix<S> features_backward(const RowMatrix<S>& x, const RowMatrix<S>& f,
                                 const RowMatrix<S>& df, bool) const {
    const RowMatrix<S> g = df.cwiseProduct(f);
    RowMatrix<S> dx = g * projection_.template cast<S>();
    dx -= (g.rowwise().sum().asDiagonal() * x) * static_cast<S>(root_scale_);
    return dx * static_cast<S>(root_scale_);
  }

 private:
  void check_dim(const char* fn, Index cols) const {
    if (cols != dim_)
      throw_invalid_argument(fn, "rows have ", cols, " entries, the features were drawn for ",
                             dim_);
  }

  Index dim_;
  PerformerOptions options_;
  double root_scale_;
  RowMatrix<Acc> projection_;
};

}  // namespace mlprim

#endif  // MLPRIM_ATTENTION_PERFORMER_HPP
