// The scalar types every numeric test runs over, and their tolerances in one
// place (ensmallen's tests/test_types.hpp idea). Use with TEMPLATE_TEST_CASE.
#ifndef MLPRIM_TESTS_TEST_TYPES_HPP
#define MLPRIM_TESTS_TEST_TYPES_HPP

#define MLPRIM_TEST_SCALARS float, double

namespace mlprim::test {

/// Relative tolerance for results that should agree with a reference up to
/// rounding in T.
template <class T>
struct Tolerance;
template <>
struct Tolerance<float> {
  static constexpr double relative = 1e-5;
};
template <>
struct Tolerance<double> {
  static constexpr double relative = 1e-12;
};

}  // namespace mlprim::test

#endif  // MLPRIM_TESTS_TEST_TYPES_HPP
