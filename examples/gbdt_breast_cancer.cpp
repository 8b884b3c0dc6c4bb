// Gradient boosting on the Breast Cancer Wisconsin data (examples/data/):
// trains on 60% of the rows with early stopping on a 20% validation split,
// printing the validation metrics every 10 rounds; then reports the test
// accuracy and AUC on the last 20%, the features with the largest gain, the
// SHAP contributions behind one test row's prediction, and checks that the
// saved and reloaded model predicts the same numbers.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include <mlprim/core/random.hpp>
#include <mlprim/ensemble.hpp>

#include "breast_cancer_data.hpp"

using Matrix = mlprim::RowMatrix<double>;
using Vector = Eigen::VectorXd;
using mlprim::Index;

/// The rows `order[begin, end)` of X and y.
void take(const Dataset& d, const std::vector<Index>& order, std::size_t begin, std::size_t end,
          Matrix& X, Vector& y) {
  X.resize(static_cast<Index>(end - begin), d.X.cols());
  y.resize(X.rows());
  for (std::size_t i = begin; i < end; ++i) {
    X.row(static_cast<Index>(i - begin)) = d.X.row(order[i]);
    y[static_cast<Index>(i - begin)] = d.y[order[i]];
  }
}

int main(int argc, char** argv) {
  const Dataset data =
      load(argc > 1 ? argv[1] : MLPRIM_EXAMPLES_DATA_DIR "/breast_cancer_wisconsin.csv");
  mlprim::Rng rng(2026);
  const std::vector<Index> order = mlprim::permutation(data.X.rows(), rng);
  const std::size_t n = order.size(), a = n * 6 / 10, b = n * 8 / 10;
  Matrix X_train, X_valid, X_test;
  Vector y_train, y_valid, y_test;
  take(data, order, 0, a, X_train, y_train);
  take(data, order, a, b, X_valid, y_valid);
  take(data, order, b, n, X_test, y_test);
  std::printf("breast cancer: %ld train, %ld validation, %ld test rows, %ld features\n",
              static_cast<long>(X_train.rows()), static_cast<long>(X_valid.rows()),
              static_cast<long>(X_test.rows()), static_cast<long>(X_train.cols()));

  mlprim::GBParams params;
  params.objective = "binary:logistic";
  params.n_estimators = 500;
  params.learning_rate = 0.3;
  params.max_depth = 3;
  params.subsample = 0.8;
  params.colsample_bytree = 0.8;
  params.eval_metric = {"auc", "logloss"};  // early stopping watches the last
  params.early_stopping_rounds = 20;
  params.seed = 7;
  mlprim::FitOptions<double> options;
  options.eval_sets.push_back({"validation", X_valid, y_valid});
  options.callback = [](const mlprim::RoundEvaluation& e) {
    if (e.iteration % 10 == 0)
      std::printf("  round %3d  validation auc %.4f  logloss %.4f\n", e.iteration, e.values[0][0],
                  e.values[0][1]);
    return true;
  };
  mlprim::GradientBoosting<double> model(params);
  model.fit(X_train, y_train, options);
  std::printf("early stopping kept %d rounds (best validation logloss %.4f at round %d)\n",
              model.best_iteration() + 1,
              model.evals_result()[static_cast<std::size_t>(model.best_iteration())].values[0][1],
              model.best_iteration());

  const Vector p = model.predict(X_test);
  Index correct = 0;
  for (Index i = 0; i < p.size(); ++i) correct += (p[i] > 0.5) == (y_test[i] == 1);
  std::printf("test accuracy %.3f, test AUC %.4f\n",
              static_cast<double>(correct) / static_cast<double>(p.size()), auc(p, y_test));

  const Eigen::VectorXd gain = model.feature_importance(mlprim::ImportanceType::TotalGain);
  std::vector<Index> by_gain(static_cast<std::size_t>(gain.size()));
  std::iota(by_gain.begin(), by_gain.end(), Index{0});
  std::sort(by_gain.begin(), by_gain.end(), [&](Index u, Index v) { return gain[u] > gain[v]; });
  std::printf("top features by total gain:\n");
  for (std::size_t k = 0; k < 5; ++k)
    std::printf("  %-22s %8.2f (%.0f%%)\n", breast_cancer_features[by_gain[k]], gain[by_gain[k]],
                100 * gain[by_gain[k]] / gain.sum());

  const Matrix row = X_test.topRows(1);
  const Matrix phi = model.predict_contributions(row);
  const Index p_features = X_test.cols();
  std::vector<Index> by_size(static_cast<std::size_t>(p_features));
  std::iota(by_size.begin(), by_size.end(), Index{0});
  std::sort(by_size.begin(), by_size.end(),
            [&](Index u, Index v) { return std::abs(phi(0, u)) > std::abs(phi(0, v)); });
  std::printf("test row 0 (label %s): P(benign) = %.3f, margin %.3f = bias %.3f + SHAP:\n",
              y_test[0] == 1 ? "benign" : "malignant", p[0], model.predict_margin(row)(0, 0),
              phi(0, p_features));
  for (std::size_t k = 0; k < 5; ++k)
    std::printf("  %-22s = %9.3f  -> %+.3f\n", breast_cancer_features[by_size[k]],
                row(0, by_size[k]), phi(0, by_size[k]));
  std::printf(
      "  (the other %ld features: %+.3f; all together sum to the margin: %.3f)\n",
      static_cast<long>(p_features - 5),
      phi.row(0).head(p_features).sum() -
          [&] {
            double s = 0;
            for (std::size_t k = 0; k < 5; ++k) s += phi(0, by_size[k]);
            return s;
          }(),
      phi.row(0).sum());

  std::stringstream file;
  model.save(file);
  const auto reloaded = mlprim::GradientBoosting<double>::load(file);
  const double diff = (reloaded.predict(X_test) - p).cwiseAbs().maxCoeff();
  std::printf("saved (%zu bytes) and reloaded: largest prediction difference %g\n",
              file.str().size(), diff);
  return diff == 0 ? 0 : 1;
}
