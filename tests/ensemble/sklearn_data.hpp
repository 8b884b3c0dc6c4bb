// The scikit-learn data sets of tests/data/ensemble/ split as
// make_sklearn_reference.py splits them (test = rows i with i % 4 == 0),
// and its reference blocks.
#ifndef MLPRIM_TESTS_ENSEMBLE_SKLEARN_DATA_HPP
#define MLPRIM_TESTS_ENSEMBLE_SKLEARN_DATA_HPP

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include <mlprim/core/types.hpp>

#include "reference_data.hpp"

namespace mlprim::test {

/// One data set's rows, split.
struct SklearnSplit {
  RowMatrix<double> X_train, X_test;
  Vector<double> y_train, y_test;
  /// 1 + (i mod 3) for training row i: the weights the script uses.
  Vector<double> weights() const {
    Vector<double> w(y_train.size());
    for (Index i = 0; i < w.size(); ++i) w[i] = 1.0 + static_cast<double>(i % 3);
    return w;
  }
};

/// Reads "n,p,names..." then rows of p features and a label.
inline SklearnSplit sklearn_split(const std::string& name) {
  const std::string path = name == "breast_cancer"
                               ? std::string(MLPRIM_TEST_DATA_DIR) +
                                     "/../../examples/data/breast_cancer_wisconsin.csv"
                               : std::string(MLPRIM_TEST_DATA_DIR) + "/ensemble/" + name + ".csv";
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::string line;
  std::getline(in, line);
  const Index n = std::stol(line.substr(0, line.find(',')));
  const Index p = std::stol(line.substr(line.find(',') + 1));
  const Index n_test = (n + 3) / 4;
  SklearnSplit s{RowMatrix<double>(n - n_test, p), RowMatrix<double>(n_test, p),
                 Vector<double>(n - n_test), Vector<double>(n_test)};
  for (Index i = 0, a = 0, b = 0; i < n; ++i) {
    if (!std::getline(in, line)) throw std::runtime_error(path + ": truncated");
    std::stringstream row(line);
    std::string cell;
    RowVector<double> values(p + 1);
    for (Index j = 0; j <= p; ++j) {
      std::getline(row, cell, ',');
      values[j] = std::stod(cell);
    }
    if (i % 4 == 0) {
      s.X_test.row(b) = values.head(p);
      s.y_test[b++] = values[p];
    } else {
      s.X_train.row(a) = values.head(p);
      s.y_train[a++] = values[p];
    }
  }
  return s;
}

/// A block of tests/data/ensemble/sklearn_reference.txt.
inline const RowMatrix<double>& sklearn_block(const std::string& name) {
  static const ReferenceData data = read_reference_data("ensemble/sklearn_reference.txt");
  const auto it = data.find(name);
  if (it == data.end()) throw std::runtime_error("no reference block " + name);
  return it->second;
}

/// Standardises train and test by the training mean and population std.
inline void standardise(SklearnSplit& s) {
  const RowVector<double> mean = s.X_train.colwise().mean();
  const RowVector<double> std =
      ((s.X_train.rowwise() - mean).array().square().colwise().mean()).sqrt().matrix();
  s.X_train = ((s.X_train.rowwise() - mean).array().rowwise() / std.array()).matrix();
  s.X_test = ((s.X_test.rowwise() - mean).array().rowwise() / std.array()).matrix();
}

/// Fraction of equal entries.
inline double accuracy(const Vector<double>& a, const Vector<double>& b) {
  return (a.array() == b.array()).cast<double>().mean();
}

/// 1 - SS_res / SS_tot.
inline double r2(const Vector<double>& truth, const Vector<double>& pred) {
  return 1.0 - (truth - pred).squaredNorm() / (truth.array() - truth.mean()).square().sum();
}

}  // namespace mlprim::test

#endif  // MLPRIM_TESTS_ENSEMBLE_SKLEARN_DATA_HPP
