// The linear models stacking uses as final estimators, usable alone:
// L2-regularised (multinomial) logistic regression solved by Newton's
// method, and ridge regression in closed form.
#ifndef MLPRIM_ENSEMBLE_LINEAR_MODEL_HPP
#define MLPRIM_ENSEMBLE_LINEAR_MODEL_HPP

#include <cmath>
#include <cstdint>
#include <istream>
#include <limits>
#include <ostream>
#include <string_view>
#include <utility>
#include <vector>

#include <Eigen/Cholesky>

#include "mlprim/core/error.hpp"
#include "mlprim/core/io.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/core/view.hpp"
#include "mlprim/ensemble/detail/estimator_checks.hpp"

namespace mlprim {

/// Logistic-regression parameters (scikit-learn's LogisticRegression with
/// penalty "l2"; `tol` here bounds the gradient's largest entry, relative
/// to the total sample weight).
struct LogisticRegressionParams {
  double C = 1.0;             ///< inverse regularisation strength, > 0
  bool fit_intercept = true;  ///< learn an unpenalised intercept per class
  int max_iter = 100;         ///< most Newton steps, >= 1
  double tol = 1e-10;         ///< stop when max |gradient| <= tol * sum(w)
};

/// Ridge-regression parameters (scikit-learn's Ridge).
struct RidgeParams {
  double alpha = 1.0;         ///< L2 penalty, >= 0
  bool fit_intercept = true;  ///< learn an unpenalised intercept
};

namespace detail {

/// Largest coefficient magnitude a loaded linear model may hold: far beyond
/// any fit, small enough that scores of rows up to 1e150 stay finite.
inline constexpr double kMaxLoadedCoefficient = 1e150;

/// Weighted column means of X (zeros without an intercept).
template <class Scalar>
RowVector<double> weighted_means(const Eigen::Ref<const RowMatrix<Scalar>>& X,
                                 const std::vector<double>& w, bool intercept) {
  RowVector<double> mean = RowVector<double>::Zero(X.cols());
  if (!intercept) return mean;
  double total = 0;
  for (Index i = 0; i < X.rows(); ++i) {
    mean += w[static_cast<std::size_t>(i)] * X.row(i).template cast<double>();
    total += w[static_cast<std::size_t>(i)];
  }
  return mean / total;
}

}  // namespace detail

/// L2-regularised logistic regression: minimises
/// sum_i w_i (-log p(y_i | x_i)) + ||W||^2 / (2 C) over the weights W
/// (intercepts unpenalised), with p the sigmoid of x w + b for two classes
/// and the softmax of x W + b over K > 2 classes (multinomial), as
/// scikit-learn's LogisticRegression (lbfgs, multi_class "auto"). Solved by
/// Newton's method with backtracking line search on the exact Hessian
/// (LDLT), to a gradient below tol; features are centred internally for
/// conditioning, and the K intercepts of the multinomial model (defined up
/// to a common shift) sum to zero, as scikit-learn's. O(iter (n d^2 K^2 + d^3 K^3)) for d = p + 1.
template <class Scalar>
class LogisticRegression {
 public:
  /// scikit-learn's defaults (C = 1).
  LogisticRegression() = default;
  /// An unfitted model with `params` (checked by fit).
  explicit LogisticRegression(LogisticRegressionParams params) : params_(params) {}

  /// The parameters.
  const LogisticRegressionParams& params() const { return params_; }

  /// Fits X (n x p) to integer labels y with optional weights.
  LogisticRegression& fit(const Eigen::Ref<const RowMatrix<Scalar>>& X,
                          const Eigen::Ref<const Vector<Scalar>>& y,
                          const ConstRowView<Scalar>& sample_weight = {}) {
    constexpr const char* fn = "LogisticRegression::fit";
    check_positive(fn, "C", params_.C);
    check_finite(fn, "C", params_.C);
    if (params_.max_iter < 1)
      throw_invalid_argument(fn, "max_iter = ", params_.max_iter, " must be >= 1");
    check_non_negative(fn, "tol", params_.tol);
    const Index n = X.rows(), p = X.cols();
    if (n == 0 || p == 0) throw_invalid_argument(fn, "X is ", n, " x ", p);
    detail::check_predict_input<Scalar>(fn, X, p);
    const std::vector<double> w = detail::weights_or_ones(fn, sample_weight, n);
    detail::EncodedLabels labels = detail::encode_labels<Scalar>(fn, y, n);
    classes_ = labels.classes;
    const Index k = static_cast<Index>(classes_.size());
    const Index outs = k == 2 ? 1 : k;  // binary: one sigmoid
    const Index d = p + 1;
    const RowVector<double> mean = detail::weighted_means<Scalar>(X, w, params_.fit_intercept);
    RowMatrix<double> Z(n, d);  // centred features and a constant column
    Z.leftCols(p) = X.template cast<double>().rowwise() - mean;
    Z.col(p).setConstant(params_.fit_intercept ? 1.0 : 0.0);
    const Eigen::Map<const Vector<double>> wv(w.data(), n);
    const double wsum = wv.sum();
    Matrix<double> theta = Matrix<double>::Zero(d, outs);  // column c: class c's weights, then b
    const double lambda = 1.0 / params_.C;
    auto penalty_mask = [&](Matrix<double> m) {
      m.row(p).setZero();
      return m;
    };
    auto objective = [&](const Matrix<double>& t) {
      const Matrix<double> s = Z * t;
      double loss = 0;
      for (Index i = 0; i < n; ++i) {
        const std::int32_t yi = labels.index[static_cast<std::size_t>(i)];
        if (outs == 1) {
          const double z = yi == 1 ? s(i, 0) : -s(i, 0);  // -log sigmoid(z) = log(1 + e^-z)
          loss += wv[i] * (z > 0 ? std::log1p(std::exp(-z)) : -z + std::log1p(std::exp(z)));
        } else {
          const double mx = s.row(i).maxCoeff();
          loss += wv[i] * (mx + std::log((s.row(i).array() - mx).exp().sum()) - s(i, yi));
        }
      }
      return loss + 0.5 * lambda * penalty_mask(t).squaredNorm();
    };
    double f = objective(theta);
    iterations_ = 0;
    for (int it = 0; it < params_.max_iter; ++it) {
      const Matrix<double> s = Z * theta;
      Matrix<double> prob(n, outs);  // p_ic
      for (Index i = 0; i < n; ++i) {
        if (outs == 1) {
          prob(i, 0) = 1.0 / (1.0 + std::exp(-s(i, 0)));
        } else {
          const double mx = s.row(i).maxCoeff();
          prob.row(i) = (s.row(i).array() - mx).exp();
          prob.row(i) /= prob.row(i).sum();
        }
      }
      Matrix<double> resid = prob;  // p - onehot(y)
      for (Index i = 0; i < n; ++i) {
        const std::int32_t yi = labels.index[static_cast<std::size_t>(i)];
        if (outs == 1)
          resid(i, 0) -= yi == 1 ? 1.0 : 0.0;
        else
          resid(i, yi) -= 1.0;
      }
      const Matrix<double> grad = Z.transpose() * (resid.array().colwise() * wv.array()).matrix() +
                                  lambda * penalty_mask(theta);
      iterations_ = it;
      if (grad.cwiseAbs().maxCoeff() <= params_.tol * wsum) break;
      // Hessian blocks H_cl = Z^T diag(w p_c (delta_cl - p_l)) Z + lambda I (weights only).
      Matrix<double> H = Matrix<double>::Zero(d * outs, d * outs);
      for (Index c = 0; c < outs; ++c)
        for (Index l = c; l < outs; ++l) {
          Vector<double> a(n);
          for (Index i = 0; i < n; ++i)
            a[i] = wv[i] * (outs == 1 ? prob(i, 0) * (1 - prob(i, 0))
                                      : prob(i, c) * ((c == l ? 1.0 : 0.0) - prob(i, l)));
          const Matrix<double> block = Z.transpose() * (Z.array().colwise() * a.array()).matrix();
          H.block(c * d, l * d, d, d) = block;
          H.block(l * d, c * d, d, d) = block.transpose();
        }
      for (Index c = 0; c < outs; ++c)
        for (Index j = 0; j < p; ++j) H(c * d + j, c * d + j) += lambda;
      // The multinomial intercepts share one flat direction: a tiny shift keeps LDLT definite.
      H.diagonal().array() += 1e-12 * (1.0 + H.diagonal().cwiseAbs().maxCoeff());
      const Vector<double> g = Eigen::Map<const Vector<double>>(grad.data(), grad.size());
      const Vector<double> step = -H.ldlt().solve(g);
      Matrix<double> dir = Eigen::Map<const Matrix<double>>(step.data(), d, outs);
      // Softmax ignores a common shift of the intercepts: keep their sum at
      // zero (scikit-learn's solution from a zero start), whatever rounding
      // puts into the flat direction.
      if (outs > 1) dir.row(p).array() -= dir.row(p).mean();
      double t = 1.0, f_new = objective(theta + dir);
      const double slope = g.dot(step);
      while (f_new > f + 1e-4 * t * slope && t > 1e-10) {
        t /= 2;
        f_new = objective(theta + t * dir);
      }
      if (!(f_new <= f)) break;  // no progress left at double precision
      theta += t * dir;
      f = f_new;
      iterations_ = it + 1;
    }
    coef_ = theta.topRows(p).transpose();  // outs x p
    intercept_ = theta.row(p).transpose();
    intercept_ -= coef_ * mean.transpose();  // undo the centring
    if (!params_.fit_intercept) intercept_.setZero();
    num_features_ = p;
    return *this;
  }

  /// Class probabilities, n x K.
  RowMatrix<Scalar> predict_proba(const Eigen::Ref<const RowMatrix<Scalar>>& X) const {
    detail::check_predict_input<Scalar>("LogisticRegression::predict_proba", X, num_features_);
    const RowMatrix<double> s =
        (X.template cast<double>() * coef_.transpose()).rowwise() + intercept_.transpose();
    RowMatrix<double> out(X.rows(), static_cast<Index>(classes_.size()));
    for (Index i = 0; i < X.rows(); ++i) {
      if (coef_.rows() == 1) {
        out(i, 1) = 1.0 / (1.0 + std::exp(-s(i, 0)));
        out(i, 0) = 1.0 - out(i, 1);
      } else {
        const double mx = s.row(i).maxCoeff();
        out.row(i) = (s.row(i).array() - mx).exp();
        out.row(i) /= out.row(i).sum();
      }
    }
    return out.cast<Scalar>();
  }

  /// The most probable class.
  Vector<Scalar> predict(const Eigen::Ref<const RowMatrix<Scalar>>& X) const {
    return detail::labels_of_rows<Scalar>(classes_, predict_proba(X));
  }

  /// Weights: 1 x p for two classes (the second class's log-odds), K x p otherwise.
  const Matrix<double>& coef() const { return coef_; }
  /// Intercepts (1 or K).
  const Vector<double>& intercept() const { return intercept_; }
  /// Newton steps taken by the last fit.
  int n_iter() const { return iterations_; }
  /// The class labels, ascending.
  Vector<Scalar> classes() const { return detail::as_vector<Scalar>(classes_); }
  /// Features seen by fit.
  Index num_features() const { return num_features_; }
  /// Whether fit has run.
  bool fitted() const { return num_features_ > 0; }

  /// The magic of the saved format.
  static constexpr std::string_view magic() { return "mlprimLR"; }
  /// Writes the model.
  void save(std::ostream& out) const {
    constexpr const char* fn = "LogisticRegression::save";
    if (!fitted()) throw_invalid_argument(fn, "the model is not fitted");
    io::BinaryWriter w(out, fn);
    w.header(magic(), 1);
    w.value(params_.C);
    w.value(params_.fit_intercept);
    w.value(static_cast<std::int32_t>(params_.max_iter));
    w.value(params_.tol);
    w.vector(classes_);
    w.matrix(coef_);
    w.matrix(intercept_);
  }
  /// Reads a model written by save (std::runtime_error on corrupt input).
  static LogisticRegression load(std::istream& in) {
    constexpr const char* fn = "LogisticRegression::load";
    io::BinaryReader r(in, fn);
    r.header(magic(), 1);
    LogisticRegression m;
    m.params_.C = r.value<double>("C");
    m.params_.fit_intercept = r.value<bool>("fit_intercept");
    m.params_.max_iter = r.value<std::int32_t>("max_iter");
    m.params_.tol = r.value<double>("tol");
    m.classes_ = r.vector<double>("classes", 1u << 20);
    detail::check_loaded_classes(fn, m.classes_);
    const std::uint64_t outs = m.classes_.size() == 2 ? 1 : m.classes_.size();
    // Shapes are checked before any copy: a 0 x 2^31 matrix holds no entries
    // but a column-major copy of it still walks every column.
    const RowMatrix<double> coef =
        r.matrix<double>("coef", outs, std::numeric_limits<std::int32_t>::max());
    const RowMatrix<double> intercept = r.matrix<double>("intercept", outs, 1);
    if (static_cast<std::uint64_t>(coef.rows()) != outs || coef.cols() == 0 ||
        static_cast<std::uint64_t>(intercept.rows()) != outs || intercept.cols() != 1 ||
        !coef.allFinite() || !intercept.allFinite())
      throw_runtime_error(fn, "the coefficients do not match the ", m.classes_.size(), " classes");
    // No fit reaches such coefficients, and their scores overflow to
    // inf - inf = NaN on ordinary rows.
    if (coef.cwiseAbs().maxCoeff() > detail::kMaxLoadedCoefficient ||
        intercept.cwiseAbs().maxCoeff() > detail::kMaxLoadedCoefficient)
      throw_runtime_error(fn, "a coefficient exceeds ", detail::kMaxLoadedCoefficient,
                          " in magnitude");
    m.coef_ = coef;
    m.intercept_ = intercept.col(0);
    m.num_features_ = m.coef_.cols();
    return m;
  }

 private:
  LogisticRegressionParams params_;
  Matrix<double> coef_;
  Vector<double> intercept_;
  std::vector<double> classes_;
  Index num_features_ = 0;
  int iterations_ = 0;
};

/// Ridge regression (Hoerl & Kennard 1970), scikit-learn's Ridge: minimises
/// sum_i w_i (y_i - x_i b - c)^2 + alpha ||b||^2, solved in closed form
/// from the weighted-centred normal equations (X^T W X + alpha I) b =
/// X^T W y by Eigen's LDLT; c = mean(y) - mean(x) b. O(n p^2 + p^3).
template <class Scalar>
class RidgeRegression {
 public:
  /// scikit-learn's defaults (alpha = 1).
  RidgeRegression() = default;
  /// An unfitted model with `params` (checked by fit).
  explicit RidgeRegression(RidgeParams params) : params_(params) {}

  /// The parameters.
  const RidgeParams& params() const { return params_; }

  /// Fits X (n x p) to finite targets y with optional weights.
  RidgeRegression& fit(const Eigen::Ref<const RowMatrix<Scalar>>& X,
                       const Eigen::Ref<const Vector<Scalar>>& y,
                       const ConstRowView<Scalar>& sample_weight = {}) {
    constexpr const char* fn = "RidgeRegression::fit";
    check_non_negative(fn, "alpha", params_.alpha);
    check_finite(fn, "alpha", params_.alpha);
    const Index n = X.rows(), p = X.cols();
    if (n == 0 || p == 0) throw_invalid_argument(fn, "X is ", n, " x ", p);
    detail::check_predict_input<Scalar>(fn, X, p);
    const std::vector<double> w = detail::weights_or_ones(fn, sample_weight, n);
    const std::vector<double> t = detail::checked_targets<Scalar>(fn, y, n);
    const Eigen::Map<const Vector<double>> wv(w.data(), n), yv(t.data(), n);
    const RowVector<double> mean = detail::weighted_means<Scalar>(X, w, params_.fit_intercept);
    const double ymean = params_.fit_intercept ? wv.dot(yv) / wv.sum() : 0.0;
    const Matrix<double> Xc = X.template cast<double>().rowwise() - mean;
    const Matrix<double> XtW = Xc.transpose() * wv.asDiagonal();
    Matrix<double> A = XtW * Xc;
    A.diagonal().array() += params_.alpha;
    const Eigen::LDLT<Matrix<double>> ldlt(A);
    coef_ = ldlt.solve(XtW * (yv.array() - ymean).matrix());
    if (ldlt.info() != Eigen::Success || !coef_.allFinite())
      throw_invalid_argument(fn, "the normal equations are singular (alpha = ", params_.alpha, ")");
    intercept_ = ymean - mean.dot(coef_);
    num_features_ = p;
    return *this;
  }

  /// x b + c per row.
  Vector<Scalar> predict(const Eigen::Ref<const RowMatrix<Scalar>>& X) const {
    detail::check_predict_input<Scalar>("RidgeRegression::predict", X, num_features_);
    return ((X.template cast<double>() * coef_).array() + intercept_)
        .matrix()
        .template cast<Scalar>();
  }

  /// The weights b (p).
  const Vector<double>& coef() const { return coef_; }
  /// The intercept c.
  double intercept() const { return intercept_; }
  /// Features seen by fit.
  Index num_features() const { return num_features_; }
  /// Whether fit has run.
  bool fitted() const { return num_features_ > 0; }

  /// The magic of the saved format.
  static constexpr std::string_view magic() { return "mlprimRG"; }
  /// Writes the model.
  void save(std::ostream& out) const {
    constexpr const char* fn = "RidgeRegression::save";
    if (!fitted()) throw_invalid_argument(fn, "the model is not fitted");
    io::BinaryWriter w(out, fn);
    w.header(magic(), 1);
    w.value(params_.alpha);
    w.value(params_.fit_intercept);
    w.matrix(coef_);
    w.value(intercept_);
  }
  /// Reads a model written by save (std::runtime_error on corrupt input).
  static RidgeRegression load(std::istream& in) {
    constexpr const char* fn = "RidgeRegression::load";
    io::BinaryReader r(in, fn);
    r.header(magic(), 1);
    RidgeRegression m;
    m.params_.alpha = r.value<double>("alpha");
    m.params_.fit_intercept = r.value<bool>("fit_intercept");
    const RowMatrix<double> coef =
        r.matrix<double>("coef", std::numeric_limits<std::int32_t>::max(), 1);
    m.intercept_ = r.value<double>("intercept");
    if (coef.rows() == 0 || coef.cols() != 1 || !coef.allFinite() || !std::isfinite(m.intercept_))
      throw_runtime_error(fn, "corrupt coefficients");
    m.coef_ = coef.col(0);
    m.num_features_ = m.coef_.size();
    return m;
  }

 private:
  RidgeParams params_;
  Vector<double> coef_;
  double intercept_ = 0;
  Index num_features_ = 0;
};

}  // namespace mlprim

#endif  // MLPRIM_ENSEMBLE_LINEAR_MODEL_HPP
