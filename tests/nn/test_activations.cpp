// Elementwise activations and their derivatives against PyTorch (float64
// numbers and autograd derivatives in tests/data/nn, with their script),
// against 30-digit mpmath values in the tails, and against central
// differences; through the SIMD body and the scalar tail of an expression.
#include <mlprim/nn.hpp>

#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <string>

#include "catch.hpp"
#include "gradient_check.hpp"
#include "reference_data.hpp"
#include "test_types.hpp"

using mlprim::GeluApproximation;
using mlprim::Index;
using mlprim::RowMatrix;

namespace {

template <class T>
using Arr = Eigen::Array<T, Eigen::Dynamic, 1>;

template <class T>
struct Activation {
  std::function<Arr<T>(const Arr<T>&)> f, df;
};

// The functions under test, with the parameters the reference script used.
template <class T>
std::map<std::string, Activation<T>> activations() {
  namespace m = mlprim;
  using A = Arr<T>;
  std::map<std::string, Activation<T>> a;
  a["heaviside"] = {[](const A& x) -> A { return m::heaviside(x, T(0.5)); },
                    [](const A& x) -> A { return m::heaviside_derivative(x); }};
  a["sigmoid"] = {[](const A& x) -> A { return m::sigmoid(x); },
                  [](const A& x) -> A { return m::sigmoid_derivative(x); }};
  a["tanh"] = {[](const A& x) -> A { return m::tanh(x); },
               [](const A& x) -> A { return m::tanh_derivative(x); }};
  a["relu"] = {[](const A& x) -> A { return m::relu(x); },
               [](const A& x) -> A { return m::relu_derivative(x); }};
  a["leaky_relu"] = {[](const A& x) -> A { return m::leaky_relu(x, T(0.2)); },
                     [](const A& x) -> A { return m::leaky_relu_derivative(x, T(0.2)); }};
  a["relu6"] = {[](const A& x) -> A { return m::relu6(x); },
                [](const A& x) -> A { return m::relu6_derivative(x); }};
  a["elu"] = {[](const A& x) -> A { return m::elu(x, T(0.7)); },
              [](const A& x) -> A { return m::elu_derivative(x, T(0.7)); }};
  a["selu"] = {[](const A& x) -> A { return m::selu(x); },
               [](const A& x) -> A { return m::selu_derivative(x); }};
  a["celu"] = {[](const A& x) -> A { return m::celu(x, T(1.5)); },
               [](const A& x) -> A { return m::celu_derivative(x, T(1.5)); }};
  a["gelu"] = {[](const A& x) -> A { return m::gelu(x); },
               [](const A& x) -> A { return m::gelu_derivative(x); }};
  a["gelu_tanh"] = {[](const A& x) -> A { return m::gelu(x, GeluApproximation::Tanh); },
                    [](const A& x) -> A { return m::gelu_derivative(x, GeluApproximation::Tanh); }};
  a["silu"] = {[](const A& x) -> A { return m::silu(x); },
               [](const A& x) -> A { return m::silu_derivative(x); }};
  a["mish"] = {[](const A& x) -> A { return m::mish(x); },
               [](const A& x) -> A { return m::mish_derivative(x); }};
  a["softplus"] = {[](const A& x) -> A { return m::softplus(x); },
                   [](const A& x) -> A { return m::softplus_derivative(x); }};
  const mlprim::SoftplusParams beta2{2.0, 10.0};
  a["softplus_beta"] = {[=](const A& x) -> A { return m::softplus(x, beta2); },
                        [=](const A& x) -> A { return m::softplus_derivative(x, beta2); }};
  a["softsign"] = {[](const A& x) -> A { return m::softsign(x); },
                   [](const A& x) -> A { return m::softsign_derivative(x); }};
  a["hard_sigmoid"] = {[](const A& x) -> A { return m::hard_sigmoid(x); },
                       [](const A& x) -> A { return m::hard_sigmoid_derivative(x); }};
  a["hard_swish"] = {[](const A& x) -> A { return m::hard_swish(x); },
                     [](const A& x) -> A { return m::hard_swish_derivative(x); }};
  return a;
}

const mlprim::test::ReferenceData& reference() {
  static const auto data = mlprim::test::read_reference_data("nn/torch_reference.txt");
  return data;
}

// |got - want| <= rel |want| + abs; want below T's smallest normal number
// is compared as 0 (its T value underflows).
template <class T>
void check_entry(double got, double want, double rel, double abs) {
  if (std::abs(want) < double(std::numeric_limits<T>::min())) {
    REQUIRE(std::abs(got) <= std::max(abs, double(std::numeric_limits<T>::min())));
    return;
  }
  if (std::isinf(want)) {
    REQUIRE(got == want);
    return;
  }
  REQUIRE(std::abs(got - want) <= rel * std::abs(want) + abs);
}

}  // namespace

TEMPLATE_TEST_CASE("activations and derivatives equal PyTorch's", "[nn]", MLPRIM_TEST_SCALARS) {
  using T = TestType;
  const auto& ref = reference();
  const Arr<double> xd = ref.at("x").col(0).array();
  const Arr<T> x = xd.cast<T>();
  const double rel = mlprim::test::Tolerance<T>::relative;
  for (const auto& [name, act] : activations<T>()) {
    for (const bool derivative : {false, true}) {
      const std::string key = derivative ? name + "_derivative" : name;
      if (!ref.count(key)) {
        REQUIRE(name == "heaviside");  // PyTorch has no gradient for the step
        REQUIRE((act.df(x) == T(0)).all());
        continue;
      }
      RowMatrix<double> want = ref.at(key);
      // PyTorch's hardsigmoid_backward multiplies by the float constant
      // 1.0f / 6 also in float64; ours is 1/6 rounded in T.
      if (key == "hard_sigmoid_derivative")
        want =
            (want.array() == 0).select(want, RowMatrix<double>::Constant(want.rows(), 1, 1.0 / 6));
      const auto& fn = derivative ? act.df : act.f;
      const Arr<T> got = fn(x);  // SIMD body and scalar tail
      for (Index i = 0; i < x.size(); ++i) {
        INFO(key << " at x = " << xd(i));
        // Absolute slack for two roundings that relative error cannot
        // measure: PyTorch's float64 formulas round 1 + erf(...) and
        // 1 + tanh(...) once (a few ulp of |x| in its numbers), and a
        // derivative that is a sum of O(1) terms near its zero (GELU's at
        // x = -0.75) carries a few ulp of T.
        const double abs =
            4 * std::numeric_limits<double>::epsilon() * std::max(1.0, std::abs(xd(i))) +
            4 * std::numeric_limits<T>::epsilon();
        check_entry<T>(double(got(i)), want(i, 0), rel, abs);
        const Arr<T> one = fn(x.segment(i, 1));  // the scalar path alone
        check_entry<T>(double(one(0)), want(i, 0), rel, abs);
      }
    }
  }
}

TEMPLATE_TEST_CASE("activations keep their relative accuracy in the tails", "[nn]",
                   MLPRIM_TEST_SCALARS) {
  // 30-digit values: direct formulas (0.5 x (1 + erf), 1 / (1 + e^-x) - its
  // complement, log(1 + e^x)) lose all digits at some of these points.
  using T = TestType;
  const auto& ref = reference();
  const Arr<double> xd = ref.at("tail_x").col(0).array();
  // Sixteen copies of each point, so that the SIMD body computes it too.
  Arr<T> x(16 * xd.size());
  for (Index i = 0; i < xd.size(); ++i) x.segment(16 * i, 16).setConstant(T(xd(i)));
  const auto all = activations<T>();
  for (const std::string name :
       {"sigmoid", "tanh", "gelu", "gelu_tanh", "silu", "mish", "softplus", "elu"}) {
    const auto& want = ref.at("tail_" + name);
    const auto& act = all.at(name);
    const Arr<T> f = name == "elu" ? Arr<T>(mlprim::elu(x)) : act.f(x);
    const Arr<T> df = name == "elu" ? Arr<T>(mlprim::elu_derivative(x)) : act.df(x);
    for (Index i = 0; i < x.size(); ++i) {
      if (name == "softplus" && xd(i / 16) > 20) continue;  // x itself by definition there
      INFO(name << " at x = " << xd(i / 16) << " (copy " << i % 16 << ")");
      // float: the Chebyshev erfc's fit and the rounding of -x^2 / 2 before
      // exp stay below 1e-5 down to float's smallest normal numbers.
      check_entry<T>(double(f(i)), want(i / 16, 0), mlprim::test::Tolerance<T>::relative, 0);
      check_entry<T>(double(df(i)), want(i / 16, 1), mlprim::test::Tolerance<T>::relative, 0);
    }
  }
}

TEST_CASE("activation derivatives equal central differences", "[nn]") {
  // Away from the kinks (the grid steps by 0.38 from -7.03, missing 0, +-3, 6).
  Arr<double> x = Arr<double>::LinSpaced(38, -7.03, 7.03);
  for (const auto& [name, act] : activations<double>()) {
    if (name == "heaviside") continue;
    INFO(name);
    const RowMatrix<double> xm = x.matrix();
    for (Index i = 0; i < x.size(); ++i) {
      const double h = 1e-6, xi = x(i);
      Arr<double> up(1), down(1), at(1);
      up(0) = xi + h;
      down(0) = xi - h;
      at(0) = xi;
      const double numeric = (act.f(up)(0) - act.f(down)(0)) / (2 * h);
      INFO("x = " << xi);
      REQUIRE(std::abs(act.df(at)(0) - numeric) <= 1e-7 * (1 + std::abs(numeric)));
    }
  }
}

TEMPLATE_TEST_CASE("activations propagate NaN and saturate at infinity", "[nn]",
                   MLPRIM_TEST_SCALARS) {
  using T = TestType;
  const T inf = std::numeric_limits<T>::infinity(), nan = std::numeric_limits<T>::quiet_NaN();
  Arr<T> x(3 * 17);
  for (Index i = 0; i < 17; ++i) x(3 * i) = nan, x(3 * i + 1) = inf, x(3 * i + 2) = -inf;
  // Values at +inf and -inf, as PyTorch returns them (NaN where its
  // formula takes inf * 0 or inf / inf, and so does ours).
  const double nan_d = std::numeric_limits<double>::quiet_NaN();
  const std::map<std::string, std::pair<double, double>> limits = {
      {"sigmoid", {1, 0}},
      {"tanh", {1, -1}},
      {"relu", {INFINITY, 0}},
      {"relu6", {6, 0}},
      {"elu", {INFINITY, -0.7}},
      {"celu", {INFINITY, -1.5}},
      {"gelu", {INFINITY, nan_d}},
      {"gelu_tanh", {INFINITY, nan_d}},
      {"silu", {INFINITY, nan_d}},
      {"mish", {INFINITY, nan_d}},
      {"softplus", {INFINITY, 0}},
      {"softsign", {nan_d, nan_d}},
      {"hard_sigmoid", {1, 0}},
      {"hard_swish", {INFINITY, nan_d}},
      {"leaky_relu", {INFINITY, -INFINITY}}};
  const auto same = [](double got, double want) {
    return std::isnan(want) ? std::isnan(got) : got == double(T(want));
  };
  const auto all = activations<T>();
  for (const auto& [name, at_inf] : limits) {
    const Arr<T> y = all.at(name).f(x);
    for (Index i = 0; i < 17; ++i) {
      INFO(name << " lane " << i);
      REQUIRE(std::isnan(double(y(3 * i))));
      REQUIRE(same(double(y(3 * i + 1)), at_inf.first));
      REQUIRE(same(double(y(3 * i + 2)), at_inf.second));
    }
  }
}

TEST_CASE("activations reject parameters outside their domain", "[nn]") {
  const Arr<double> x = Arr<double>::Zero(4);
  REQUIRE_THROWS_WITH(Arr<double>(mlprim::celu(x, 0.0)),
                      "mlprim::celu: alpha = 0 must be finite and non-zero");
  REQUIRE_THROWS_WITH(Arr<double>(mlprim::softplus(x, {0.0, 20.0})),
                      "mlprim::softplus: beta = 0 must be finite and non-zero");
  REQUIRE_THROWS_AS(Arr<double>(mlprim::softplus_derivative(x, {1.0, NAN})), std::invalid_argument);
}

TEST_CASE("activations are lazy expressions over matrices, blocks and arrays", "[nn]") {
  RowMatrix<float> m = RowMatrix<float>::Random(7, 33);
  // A matrix block in, a matrix expression out, fused with a product.
  RowMatrix<float> y = mlprim::silu(m.middleCols(3, 20)).cwiseProduct(m.middleCols(3, 20));
  for (Index i = 0; i < 7; ++i)
    for (Index j = 0; j < 20; ++j) {
      const double v = m(i, j + 3);
      REQUIRE(std::abs(y(i, j) - v * v / (1 + std::exp(-v))) <= 1e-6);
    }
}
