// The classic ensembles side by side on the Breast Cancer Wisconsin data
// (examples/data/): a CART tree, AdaBoost (SAMME, 100 stumps), a random
// forest, gradient boosting and a stacking of the three ensembles under a
// logistic regression, each scored by 5-fold stratified cross-validation:
// out-of-fold accuracy and AUC, and the mean fit time per fold.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <mlprim/ensemble.hpp>

#include "breast_cancer_data.hpp"

using mlprim::Classifier;
using mlprim::Index;

int main(int argc, char** argv) {
  const Dataset data =
      load(argc > 1 ? argv[1] : MLPRIM_EXAMPLES_DATA_DIR "/breast_cancer_wisconsin.csv");
  std::printf("breast cancer: %ld rows, %ld features, 5-fold stratified cross-validation\n\n",
              static_cast<long>(data.X.rows()), static_cast<long>(data.X.cols()));

  mlprim::AdaBoostParams ada;
  ada.n_estimators = 100;
  mlprim::GBParams gb;
  gb.objective = "binary:logistic";
  gb.n_estimators = 100;
  gb.max_depth = 3;
  gb.learning_rate = 0.1;
  const Classifier<double> forest = mlprim::RandomForestClassifier<double>();
  const Classifier<double> boosted = mlprim::GradientBoosting<double>(gb);
  const Classifier<double> adaboost = mlprim::AdaBoostClassifier<double>(ada);
  const std::vector<std::pair<std::string, Classifier<double>>> models = {
      {"decision tree", mlprim::DecisionTreeClassifier<double>()},
      {"AdaBoost (SAMME)", adaboost},
      {"random forest", forest},
      {"gradient boosting", boosted},
      {"stacking (3 -> logistic)", mlprim::StackingClassifier<double>({adaboost, forest, boosted})},
  };

  const std::vector<mlprim::Fold> folds = mlprim::StratifiedKFold{5, true, 7}.split<double>(data.y);
  std::printf("%-26s %9s %7s %12s\n", "model", "accuracy", "AUC", "fit / fold");
  for (const auto& [name, model] : models) {
    Eigen::VectorXd score(data.y.size()), label(data.y.size());
    double seconds = 0;
    for (const mlprim::Fold& fold : folds) {
      Classifier<double> m = model;
      const mlprim::RowMatrix<double> X_train = data.X(fold.train, Eigen::all);
      const Eigen::VectorXd y_train = data.y(fold.train);
      const auto start = std::chrono::steady_clock::now();
      m.fit(X_train, y_train);
      seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const mlprim::RowMatrix<double> X_test = data.X(fold.test, Eigen::all);
      const mlprim::RowMatrix<double> proba = m.predict_proba(X_test);
      for (std::size_t j = 0; j < fold.test.size(); ++j) {
        score[fold.test[j]] = proba(static_cast<Index>(j), 1);
        label[fold.test[j]] = proba(static_cast<Index>(j), 1) > 0.5 ? 1.0 : 0.0;
      }
    }
    const double accuracy = (label.array() == data.y.array()).cast<double>().mean();
    std::printf("%-26s %9.4f %7.4f %9.1f ms\n", name.c_str(), accuracy, auc(score, data.y),
                1e3 * seconds / static_cast<double>(folds.size()));
  }
  return 0;
}
