// Central finite differences, the independent reference for every backward
// pass in the tests.
#ifndef MLPRIM_TESTS_GRADIENT_CHECK_HPP
#define MLPRIM_TESTS_GRADIENT_CHECK_HPP

#include <Eigen/Core>

namespace mlprim::test {

/// (loss(x + h e_ij) - loss(x - h e_ij)) / 2h for every entry of x, where
/// loss maps a matrix like x to a double.
template <class Matrix, class Loss>
Matrix numeric_gradient(Matrix x, Loss&& loss, double h = 1e-6) {
  Matrix g(x.rows(), x.cols());
  for (Eigen::Index i = 0; i < x.rows(); ++i)
    for (Eigen::Index j = 0; j < x.cols(); ++j) {
      const auto saved = x(i, j);
      x(i, j) = saved + h;
      const double up = loss(x);
      x(i, j) = saved - h;
      const double down = loss(x);
      x(i, j) = saved;
      g(i, j) = (up - down) / (2 * h);
    }
  return g;
}

}  // namespace mlprim::test

#endif  // MLPRIM_TESTS_GRADIENT_CHECK_HPP
