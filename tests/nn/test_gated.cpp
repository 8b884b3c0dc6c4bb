// Gated linear units and PReLU against PyTorch (F.glu, a * f(b) in torch
// operations, F.prelu, with autograd gradients; tests/data/nn) and against
// central differences of the loss sum(grad_out * y).
#include <mlprim/nn.hpp>

#include <functional>
#include <string>

#include "catch.hpp"
#include "gradient_check.hpp"
#include "matrix_checks.hpp"
#include "reference_data.hpp"
#include "test_types.hpp"

using mlprim::GeluApproximation;
using mlprim::RowMatrix;
using mlprim::Vector;
using mlprim::test::check_close;

namespace {
const mlprim::test::ReferenceData& reference() {
  static const auto data = mlprim::test::read_reference_data("nn/torch_reference.txt");
  return data;
}

template <class T>
struct Gated {
  std::function<RowMatrix<T>(const RowMatrix<T>&)> forward;
  std::function<RowMatrix<T>(const RowMatrix<T>&, const RowMatrix<T>&)> backward;
};

template <class T>
std::map<std::string, Gated<T>> gated_units() {
  using M = RowMatrix<T>;
  return {{"glu",
           {[](const M& x) { return mlprim::glu(x); },
            [](const M& x, const M& g) { return mlprim::glu_backward(x, g); }}},
          {"reglu",
           {[](const M& x) { return mlprim::reglu(x); },
            [](const M& x, const M& g) { return mlprim::reglu_backward(x, g); }}},
          {"geglu",
           {[](const M& x) { return mlprim::geglu(x); },
            [](const M& x, const M& g) { return mlprim::geglu_backward(x, g); }}},
          {"geglu_tanh",
           {[](const M& x) { return mlprim::geglu(x, GeluApproximation::Tanh); },
            [](const M& x, const M& g) {
              return mlprim::geglu_backward(x, g, GeluApproximation::Tanh);
            }}},
          {"swiglu",
           {[](const M& x) { return mlprim::swiglu(x); },
            [](const M& x, const M& g) { return mlprim::swiglu_backward(x, g); }}}};
}
}  // namespace

TEMPLATE_TEST_CASE("gated linear units equal PyTorch's, forward and backward", "[nn]",
                   MLPRIM_TEST_SCALARS) {
  using T = TestType;
  const auto& ref = reference();
  const RowMatrix<T> x = ref.at("gated_x").cast<T>(), g = ref.at("gated_grad_out").cast<T>();
  const double tol = 10 * mlprim::test::Tolerance<T>::relative;
  for (const auto& [name, unit] : gated_units<T>()) {
    INFO(name);
    check_close(unit.forward(x), ref.at(name), tol);
    check_close(unit.backward(x, g), ref.at(name + "_grad"), tol);
  }
}

TEST_CASE("gated units' backward equals central differences", "[nn]") {
  const RowMatrix<double> x = mlprim::test::random_matrix<double>(4, 10, 7, 2.0);
  const RowMatrix<double> g = mlprim::test::random_matrix<double>(4, 5, 8);
  for (const auto& [name, unit] : gated_units<double>()) {
    INFO(name);
    const auto loss = [&, f = unit.forward](const RowMatrix<double>& v) {
      return (f(v).array() * g.array()).sum();
    };
    check_close(unit.backward(x, g), mlprim::test::numeric_gradient(x, loss), 1e-7);
  }
}

TEST_CASE("gated units reject odd widths and mismatched gradients", "[nn]") {
  const RowMatrix<double> odd = RowMatrix<double>::Zero(2, 5), x = RowMatrix<double>::Zero(2, 6);
  REQUIRE_THROWS_WITH(mlprim::glu(odd), "mlprim::glu: x.cols() = 5 must be even (two halves)");
  REQUIRE_THROWS_WITH(
      mlprim::swiglu_backward(x, RowMatrix<double>::Zero(2, 4)),
      "mlprim::swiglu_backward: grad_out.cols() = 4 does not match x.cols() / 2 = 3");
  REQUIRE_THROWS_WITH(mlprim::geglu_backward(x, RowMatrix<double>::Zero(3, 3)),
                      "mlprim::geglu_backward: grad_out.rows() = 3 does not match x.rows() = 2");
}

TEMPLATE_TEST_CASE("prelu equals PyTorch's, per channel and shared", "[nn]", MLPRIM_TEST_SCALARS) {
  using T = TestType;
  const auto& ref = reference();
  const RowMatrix<T> x = ref.at("prelu_x").cast<T>(), g = ref.at("prelu_grad_out").cast<T>();
  const double tol = 10 * mlprim::test::Tolerance<T>::relative;
  for (const std::string name : {"prelu_channels", "prelu_shared"}) {
    INFO(name);
    const Vector<T> w = ref.at(name + "_weight").col(0).cast<T>();
    check_close(mlprim::prelu(x, w), ref.at(name), tol);
    const auto grad = mlprim::prelu_backward(x, w, g);
    check_close(grad.input, ref.at(name + "_grad_x"), tol);
    check_close(RowMatrix<T>(grad.weight), ref.at(name + "_grad_w"), tol);
  }
}

TEST_CASE("prelu rejects a weight that matches neither one nor every channel", "[nn]") {
  const RowMatrix<double> x = RowMatrix<double>::Zero(2, 3);
  REQUIRE_THROWS_WITH(mlprim::prelu(x, Vector<double>::Zero(2)),
                      "mlprim::prelu: weight.size() = 2 must be 1 or the number of channels "
                      "x.cols() = 3");
  REQUIRE_THROWS_WITH(
      mlprim::prelu_backward(x, Vector<double>::Zero(3), RowMatrix<double>::Zero(2, 2)),
      "mlprim::prelu_backward: grad_out.cols() = 2 does not match x.cols() = 3");
}
