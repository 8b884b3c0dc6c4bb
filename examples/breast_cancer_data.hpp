// The Breast Cancer Wisconsin data of examples/data/ and the AUC the
// examples score it with.
#ifndef MLPRIM_EXAMPLES_BREAST_CANCER_DATA_HPP
#define MLPRIM_EXAMPLES_BREAST_CANCER_DATA_HPP

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include <mlprim/core/types.hpp>

#include "roc_auc.hpp"

struct Dataset {
  mlprim::RowMatrix<double> X;  // one sample per row
  Eigen::VectorXd y;            // 1 = benign, 0 = malignant
};

/// Reads scikit-learn's breast_cancer.csv: a header "n,d,names..." then rows.
inline Dataset load(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::string line;
  std::getline(in, line);
  int n = 0, d = 0;
  char comma;
  std::istringstream(line) >> n >> comma >> d;
  Dataset data{mlprim::RowMatrix<double>(n, d), Eigen::VectorXd(n)};
  for (int i = 0; i < n && std::getline(in, line); ++i) {
    std::istringstream row(line);
    for (int j = 0; j <= d; ++j) {
      double value;
      row >> value >> comma;
      (j < d ? data.X(i, j) : data.y(i)) = value;
    }
  }
  return data;
}

/// The 30 feature names, in the file's column order (scikit-learn's).
inline const char* const breast_cancer_features[30] = {
    "mean radius",      "mean texture",
    "mean perimeter",   "mean area",
    "mean smoothness",  "mean compactness",
    "mean concavity",   "mean concave points",
    "mean symmetry",    "mean fractal dimension",
    "radius error",     "texture error",
    "perimeter error",  "area error",
    "smoothness error", "compactness error",
    "concavity error",  "concave points error",
    "symmetry error",   "fractal dimension error",
    "worst radius",     "worst texture",
    "worst perimeter",  "worst area",
    "worst smoothness", "worst compactness",
    "worst concavity",  "worst concave points",
    "worst symmetry",   "worst fractal dimension"};

#endif  // MLPRIM_EXAMPLES_BREAST_CANCER_DATA_HPP
