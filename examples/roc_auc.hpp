// The ROC AUC the examples score their classifiers with, by its definition.
#ifndef MLPRIM_EXAMPLES_ROC_AUC_HPP
#define MLPRIM_EXAMPLES_ROC_AUC_HPP

#include <mlprim/core/types.hpp>

/// ROC AUC by its definition: the share of (positive, negative) pairs
/// ranked the right way, ties counting one half. O(n^2).
inline double auc(const Eigen::VectorXd& score, const Eigen::VectorXd& y) {
  double pairs = 0, right = 0;
  for (mlprim::Index i = 0; i < y.size(); ++i)
    for (mlprim::Index j = 0; j < y.size(); ++j)
      if (y[i] == 1 && y[j] == 0) {
        pairs += 1;
        right += score[i] > score[j] ? 1.0 : (score[i] == score[j] ? 0.5 : 0.0);
      }
  return right / pairs;
}

#endif  // MLPRIM_EXAMPLES_ROC_AUC_HPP
