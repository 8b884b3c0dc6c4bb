#include <mlprim/core/error.hpp>

#include <limits>
#include <stdexcept>
#include <string>

#include "catch.hpp"
#include "test_util.hpp"

namespace {

template <class Fn>
std::string invalid_argument_message(Fn&& fn) {
  return mlprim::test::exception_message<std::invalid_argument>(fn);
}

}  // namespace

TEST_CASE("error_message joins the function, argument and value", "[error]") {
  CHECK(mlprim::error_message("KDTree::knn", "k = ", 12, " exceeds the number of points (", 10,
                              ")") ==
        "mlprim::KDTree::knn: k = 12 exceeds the number of points (10)");
  CHECK(mlprim::error_message("f", "flag = ", true, ", c = ", 'x') ==
        "mlprim::f: flag = true, c = x");
}

TEST_CASE("floating-point values print in the shortest form that reads back exactly", "[error]") {
  CHECK(mlprim::error_message("f", 0.1) == "mlprim::f: 0.1");
  CHECK(mlprim::error_message("f", 0.1f) == "mlprim::f: 0.1");
  CHECK(mlprim::error_message("f", 1e-3f) == "mlprim::f: 0.001");
  CHECK(mlprim::error_message("f", 1.0 / 3.0) == "mlprim::f: 0.3333333333333333");
  CHECK(mlprim::error_message("f", -2.5) == "mlprim::f: -2.5");
  CHECK(mlprim::error_message("f", std::numeric_limits<double>::infinity()) == "mlprim::f: inf");
  CHECK(mlprim::error_message("f", std::numeric_limits<double>::quiet_NaN()) == "mlprim::f: nan");
  CHECK(mlprim::error_message("f", Eigen::half(0.5f)) == "mlprim::f: 0.5");
}

TEST_CASE("check helpers throw std::invalid_argument with the documented message", "[error]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();

  CHECK(invalid_argument_message([] { mlprim::check_positive("Adam", "lr", -0.5); }) ==
        "mlprim::Adam: lr = -0.5 must be positive");
  CHECK(invalid_argument_message([] { mlprim::check_positive("Adam", "eps", 0.0); }) ==
        "mlprim::Adam: eps = 0 must be positive");
  CHECK(invalid_argument_message([&] { mlprim::check_positive("Adam", "lr", nan); }) ==
        "mlprim::Adam: lr = nan must be positive");
  CHECK(invalid_argument_message([] { mlprim::check_non_negative("permutation", "n", -3); }) ==
        "mlprim::permutation: n = -3 must be non-negative");
  CHECK(invalid_argument_message([] {
          mlprim::check_finite("f", "x", std::numeric_limits<float>::infinity());
        }) == "mlprim::f: x = inf must be finite");
  CHECK(invalid_argument_message([] { mlprim::check_in_range("Adam", "beta1", 1.5, 0.0, 1.0); }) ==
        "mlprim::Adam: beta1 = 1.5 must be in [0, 1]");
  CHECK(invalid_argument_message([] {
          mlprim::check_in_half_open("Adam", "beta2", 1.0, 0.0, 1.0);
        }) == "mlprim::Adam: beta2 = 1 must be in [0, 1)");
  CHECK(invalid_argument_message([] {
          mlprim::check_at_most("KDTree::knn", "k", 12, 10, "the number of points");
        }) == "mlprim::KDTree::knn: k = 12 exceeds the number of points (10)");
  CHECK(invalid_argument_message([] {
          mlprim::check_equal("attention", "K.cols()", 32, 16, "Q.cols()");
        }) == "mlprim::attention: K.cols() = 32 does not match Q.cols() = 16");
  CHECK(invalid_argument_message([] { mlprim::check_range("parallel_for", 5, 3); }) ==
        "mlprim::parallel_for: end = 3 is less than begin = 5");
}

TEST_CASE("check helpers accept valid values, including the bounds", "[error]") {
  CHECK_NOTHROW(mlprim::check_positive("f", "x", 1e-30));
  CHECK_NOTHROW(mlprim::check_non_negative("f", "x", 0));
  CHECK_NOTHROW(mlprim::check_finite("f", "x", -1e300));
  CHECK_NOTHROW(mlprim::check_in_range("f", "x", 1.0, 0.0, 1.0));
  CHECK_NOTHROW(mlprim::check_in_range("f", "x", 0.0, 0.0, 1.0));
  CHECK_NOTHROW(mlprim::check_in_half_open("f", "x", 0.0, 0.0, 1.0));
  CHECK_NOTHROW(mlprim::check_at_most("f", "k", 10, 10, "n"));
  CHECK_NOTHROW(mlprim::check_equal("f", "a", 3, 3, "b"));
  CHECK_NOTHROW(mlprim::check_range("f", 4, 4));
}

TEST_CASE("throw_runtime_error raises std::runtime_error in the same form", "[error]") {
  try {
    mlprim::throw_runtime_error("KDTree::load", "node ", 7, " has a bad child index");
    FAIL("no exception");
  } catch (const std::invalid_argument&) {
    FAIL("runtime errors must not be invalid_argument");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()) == "mlprim::KDTree::load: node 7 has a bad child index");
  }
}
