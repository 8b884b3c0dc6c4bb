// The gradient-boosting benchmarks' data: a make_classification-style binary
// problem or a regression on 28 normal features, made from a fixed seed so
// that every program (and every rank of the distributed one) sees the same.
#ifndef MLPRIM_BENCH_COMMON_GB_PROBLEM_HPP
#define MLPRIM_BENCH_COMMON_GB_PROBLEM_HPP

#include <cmath>
#include <cstdlib>
#include <vector>

#include <mlprim/core/random.hpp>
#include <mlprim/core/types.hpp>
#include <mlprim/ensemble/detail/metric.hpp>

namespace mlprim::bench {

inline constexpr Index features = 28, informative = 10, test_rows = 200000;

/// Training rows: 10^6, or MLPRIM_BENCH_GB_ROWS.
inline Index train_rows() {
  const char* env = std::getenv("MLPRIM_BENCH_GB_ROWS");
  return env ? std::atol(env) : 1000000;
}

struct Problem {
  RowMatrix<float> X_train, X_test;
  Vector<float> y_train, y_test;
};

/// Rows of 28 normal features; the label depends on the first 10 through
/// a random linear part, pairwise products and thresholds (binary: a
/// logistic draw of it, as make_classification's overlapping classes;
/// regression: it plus noise). The other 18 are noise.
inline Problem make_problem(bool binary) {
  Rng rng(binary ? 1 : 2);
  const Index n = train_rows() + test_rows;
  RowMatrix<float> X(n, features);
  fill_normal(X, rng);
  Vector<double> coef(informative);
  for (Index j = 0; j < informative; ++j) coef[j] = rng.normal<double>();
  Vector<float> y(n);
  for (Index i = 0; i < n; ++i) {
    double s = 0;
    for (Index j = 0; j < informative; ++j) s += coef[j] * X(i, j);
    s += 0.8 * X(i, 0) * X(i, 1) - 0.6 * X(i, 2) * X(i, 3) + (X(i, 4) > 0.5f ? 1.0 : -0.5);
    y[i] = binary ? static_cast<float>(rng.uniform<double>() < 1 / (1 + std::exp(-s)))
                  : static_cast<float>(s + 0.5 * rng.normal<double>());
  }
  const Index m = train_rows();
  return {X.topRows(m), X.bottomRows(test_rows), y.head(m), y.tail(test_rows)};
}

/// The test metric of predictions (probabilities or values) on d's test
/// rows, by the same code for every library: AUC if binary, else RMSE.
inline double test_metric(const Problem& d, bool binary, const std::vector<float>& pred) {
  std::vector<double> p(pred.begin(), pred.end()),
      t(d.y_test.data(), d.y_test.data() + d.y_test.size()), w(pred.size(), 1.0);
  if (binary) return detail::binary_auc(p, t, w);
  double s = 0;
  for (std::size_t i = 0; i < p.size(); ++i) s += (p[i] - t[i]) * (p[i] - t[i]);
  return std::sqrt(s / static_cast<double>(p.size()));
}

}  // namespace mlprim::bench

#endif  // MLPRIM_BENCH_COMMON_GB_PROBLEM_HPP
