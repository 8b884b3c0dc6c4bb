// Helpers shared by the numeric tests: seeded random inputs and an entrywise
// comparison against a double-precision expectation.
#ifndef MLPRIM_TESTS_MATRIX_CHECKS_HPP
#define MLPRIM_TESTS_MATRIX_CHECKS_HPP

#include <mlprim/core.hpp>

#include <cmath>
#include <cstdint>

#include "catch.hpp"

namespace mlprim::test {

/// rows x cols draws of N(0, spread^2) from Rng(seed), drawn in double and
/// stored as T (so half and bfloat16 inputs are the rounded double ones).
template <class T>
RowMatrix<T> random_matrix(Index rows, Index cols, std::uint64_t seed, double spread = 1.0) {
  Rng rng(seed);
  RowMatrix<double> m(rows, cols);
  fill_normal(m, rng, 0.0, spread);
  return m.cast<T>();
}

/// Requires |got - want| <= tol (1 + |want|) for every entry, and got ==
/// want exactly where want is infinite (a log-sum-exp of -inf), naming the
/// entry that fails.
template <class T>
void check_close(const RowMatrix<T>& got, const RowMatrix<double>& want, double tol) {
  REQUIRE(got.rows() == want.rows());
  REQUIRE(got.cols() == want.cols());
  for (Index i = 0; i < got.rows(); ++i)
    for (Index c = 0; c < got.cols(); ++c) {
      INFO("row " << i << " col " << c);
      const double g = double(got(i, c)), w = want(i, c);
      if (std::isinf(w))
        REQUIRE(g == w);
      else
        REQUIRE(std::abs(g - w) <= tol * (1 + std::abs(w)));
    }
}

}  // namespace mlprim::test

#endif  // MLPRIM_TESTS_MATRIX_CHECKS_HPP
