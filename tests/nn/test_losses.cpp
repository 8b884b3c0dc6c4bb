// InfoNCE, NT-Xent, ArcFace / CosFace / SphereFace and the soft metrics:
// values and gradients against PyTorch autograd
// (tests/data/nn/make_loss_reference.py), gradients against central
// differences, closed forms by hand, and bad input.
#include <mlprim/nn.hpp>

#include <cmath>
#include <functional>
#include <limits>
#include <vector>

#include "catch.hpp"
#include "gradient_check.hpp"
#include "matrix_checks.hpp"
#include "reference_data.hpp"
#include "test_types.hpp"

using mlprim::Index;
using mlprim::RowMatrix;
using mlprim::test::check_close;

namespace {

const auto& reference() {
  static const auto data = mlprim::test::read_reference_data("nn/loss_reference.txt");
  return data;
}

template <class T>
RowMatrix<T> ref(const char* name) {
  return reference().at(name).template cast<T>();
}

template <class T>
RowMatrix<T> one(T v) {
  return RowMatrix<T>::Constant(1, 1, v);
}

std::vector<Index> labels_of(const char* name) {
  const RowMatrix<double>& m = reference().at(name);
  std::vector<Index> out;
  for (Index i = 0; i < m.rows(); ++i) out.push_back(Index(m(i, 0)));
  return out;
}

/// Requires `grad` to match the central differences of f at x.
void check_differences(const std::function<double(const RowMatrix<double>&)>& f,
                       const RowMatrix<double>& x, const RowMatrix<double>& grad, double tol) {
  const RowMatrix<double> want = mlprim::test::numeric_gradient(x, f);
  for (Index i = 0; i < x.rows(); ++i)
    for (Index j = 0; j < x.cols(); ++j) {
      INFO("entry " << i << ", " << j);
      REQUIRE(std::abs(grad(i, j) - want(i, j)) <= tol * (1 + std::abs(grad(i, j))));
    }
}

}  // namespace

TEMPLATE_TEST_CASE("info_nce and nt_xent match PyTorch", "[nn][losses]", MLPRIM_TEST_SCALARS) {
  using T = TestType;
  const double tol = 100 * mlprim::test::Tolerance<T>::relative;
  const RowMatrix<T> q = ref<T>("q"), k = ref<T>("k");
  mlprim::InfoNceOptions<T> cos_options{T(0.2), true}, dot_options{T(0.7), false};
  const auto a = mlprim::info_nce<T>(q, k, cos_options);
  check_close(one<T>(a.loss), reference().at("infonce_cos_loss"), tol);
  check_close(a.grad_queries, reference().at("infonce_cos_grad_q"), tol);
  check_close(a.grad_keys, reference().at("infonce_cos_grad_k"), tol);
  const auto b = mlprim::info_nce<T>(q, k, dot_options);
  check_close(one<T>(b.loss), reference().at("infonce_dot_loss"), tol);
  check_close(b.grad_queries, reference().at("infonce_dot_grad_q"), tol);
  check_close(b.grad_keys, reference().at("infonce_dot_grad_k"), tol);
  mlprim::NtXentOptions<T> nt{T(0.3)};
  const auto c = mlprim::nt_xent<T>(ref<T>("z1"), ref<T>("z2"), nt);
  check_close(one<T>(c.loss), reference().at("ntxent_loss"), tol);
  check_close(c.grad_first, reference().at("ntxent_grad_1"), tol);
  check_close(c.grad_second, reference().at("ntxent_grad_2"), tol);
}

TEST_CASE("info_nce and nt_xent gradients match central differences", "[nn][losses]") {
  const RowMatrix<double> q = mlprim::test::random_matrix<double>(5, 3, 1);
  const RowMatrix<double> k = mlprim::test::random_matrix<double>(7, 3, 2);
  mlprim::InfoNceOptions<double> o;
  o.temperature = 0.4;
  const auto r = mlprim::info_nce<double>(q, k, o);
  check_differences(
      [&](const RowMatrix<double>& x) { return mlprim::info_nce<double>(x, k, o).loss; }, q,
      r.grad_queries, 1e-7);
  check_differences(
      [&](const RowMatrix<double>& x) { return mlprim::info_nce<double>(q, x, o).loss; }, k,
      r.grad_keys, 1e-7);
  const RowMatrix<double> z1 = mlprim::test::random_matrix<double>(4, 3, 3);
  const RowMatrix<double> z2 = mlprim::test::random_matrix<double>(4, 3, 4);
  const auto s = mlprim::nt_xent<double>(z1, z2);
  check_differences([&](const RowMatrix<double>& x) { return mlprim::nt_xent<double>(x, z2).loss; },
                    z1, s.grad_first, 1e-7);
  check_differences([&](const RowMatrix<double>& x) { return mlprim::nt_xent<double>(z1, x).loss; },
                    z2, s.grad_second, 1e-7);
}

TEST_CASE("info_nce and nt_xent closed forms", "[nn][losses]") {
  // Two orthogonal unit queries, keys equal to them: each row's logits are
  // (1/tau, 0), so the loss is log(1 + exp(-1/tau)).
  RowMatrix<double> q(2, 2);
  q << 1, 0, 0, 1;
  mlprim::InfoNceOptions<double> o;
  o.temperature = 0.5;
  REQUIRE(std::abs(mlprim::info_nce<double>(q, q, o).loss - std::log1p(std::exp(-2.0))) < 1e-15);
  // NT-Xent with N = 1: one positive and no negative, loss 0.
  RowMatrix<double> z1(1, 2), z2(1, 2);
  z1 << 1, 2;
  z2 << -3, 1;
  const auto r = mlprim::nt_xent<double>(z1, z2);
  REQUIRE(r.loss == 0);
  REQUIRE(r.grad_first.isZero());
}

TEMPLATE_TEST_CASE("margin softmax losses match PyTorch", "[nn][losses]", MLPRIM_TEST_SCALARS) {
  using T = TestType;
  const double tol = 200 * mlprim::test::Tolerance<T>::relative;
  const RowMatrix<T> x = ref<T>("emb"), w = ref<T>("weights");
  const std::vector<Index> labels = labels_of("labels");
  auto check = [&](const std::string& name, const mlprim::MarginSoftmaxResult<T>& r) {
    INFO(name);
    check_close(one<T>(r.loss), reference().at(name + "_loss"), tol);
    check_close(r.logits, reference().at(name + "_logits"), tol);
    check_close(r.grad_embeddings, reference().at(name + "_grad_x"), tol);
    check_close(r.grad_weights, reference().at(name + "_grad_w"), tol);
  };
  check("arcface", mlprim::arcface_loss<T>(x, w, labels, {T(16), T(0.5)}));
  check("arcface_wide", mlprim::arcface_loss<T>(x, w, labels, {T(4), T(1.4)}));
  check("cosface", mlprim::cosface_loss<T>(x, w, labels, {T(8), T(0.35)}));
  check("sphereface", mlprim::sphereface_loss<T>(x, w, labels, {T(5), 4}));
  check("sphereface3", mlprim::sphereface_loss<T>(x, w, labels, {T(3), 3}));
}

TEST_CASE("margin softmax gradients match central differences", "[nn][losses]") {
  const RowMatrix<double> x = mlprim::test::random_matrix<double>(6, 4, 7);
  const RowMatrix<double> w = mlprim::test::random_matrix<double>(3, 4, 8);
  const std::vector<Index> labels{0, 1, 2, 2, 1, 0};
  using Loss = std::function<mlprim::MarginSoftmaxResult<double>(const RowMatrix<double>&,
                                                                 const RowMatrix<double>&)>;
  const std::vector<Loss> losses{[&](const auto& a, const auto& b) {
                                   return mlprim::arcface_loss<double>(a, b, labels, {8, 0.5});
                                 },
                                 [&](const auto& a, const auto& b) {
                                   return mlprim::arcface_loss<double>(a, b, labels, {4, 1.5});
                                 },
                                 [&](const auto& a, const auto& b) {
                                   return mlprim::cosface_loss<double>(a, b, labels, {8, 0.4});
                                 },
                                 [&](const auto& a, const auto& b) {
                                   return mlprim::sphereface_loss<double>(a, b, labels, {4, 4});
                                 },
                                 [&](const auto& a, const auto& b) {
                                   return mlprim::sphereface_loss<double>(a, b, labels, {4, 2});
                                 }};
  for (std::size_t i = 0; i < losses.size(); ++i) {
    INFO("loss " << i);
    const auto& f = losses[i];
    const auto r = f(x, w);
    check_differences([&](const RowMatrix<double>& a) { return f(a, w).loss; }, x,
                      r.grad_embeddings, 1e-6);
    check_differences([&](const RowMatrix<double>& b) { return f(x, b).loss; }, w, r.grad_weights,
                      1e-6);
  }
}

TEST_CASE("margin softmax closed forms", "[nn][losses]") {
  // One embedding at 60 degrees from its class and 90 from the other:
  // ArcFace's target logit is s cos(60 + m degrees), CosFace's s (cos 60 - m),
  // SphereFace m = 2's s (-cos 120 - 2) (k = 1 for theta in [90, 180]).
  RowMatrix<double> x(1, 2), w(2, 2);
  x << 0.5, std::sqrt(3.0) / 2;
  w << 1, 0, 0, -1;
  const double pi = std::acos(-1.0), s = 2;
  const double m = 0.3;
  auto ce = [&](double target, double other) {
    return std::log(std::exp(target) + std::exp(other)) - target;
  };
  const double other = s * std::cos(5 * pi / 6);  // x is at 150 degrees from (0, -1)
  REQUIRE(std::abs(mlprim::arcface_loss<double>(x, w, {0}, {s, m}).loss -
                   ce(s * std::cos(pi / 3 + m), other)) < 1e-14);
  REQUIRE(std::abs(mlprim::cosface_loss<double>(x, w, {0}, {s, m}).loss -
                   ce(s * (0.5 - m), other)) < 1e-14);
  // Label 1 at 150 degrees with m = 2: theta m = 300 degrees, k = 1,
  // psi = -cos(300 degrees) - 2 = -2.5.
  REQUIRE(std::abs(mlprim::sphereface_loss<double>(x, w, {1}, {s, 2}).loss -
                   ce(s * -2.5, s * 0.5)) < 1e-13);
}

TEMPLATE_TEST_CASE("soft accuracy and soft F1 match PyTorch", "[nn][losses]", MLPRIM_TEST_SCALARS) {
  using T = TestType;
  const double tol = 20 * mlprim::test::Tolerance<T>::relative;
  const RowMatrix<T> p = ref<T>("probs");
  const std::vector<Index> y = labels_of("metric_labels");
  const auto acc = mlprim::soft_accuracy<T>(p, y);
  check_close(one<T>(acc.value), reference().at("soft_accuracy"), tol);
  check_close(acc.gradient, reference().at("soft_accuracy_grad"), tol);
  for (auto [name, average] : {std::pair{"soft_f1_macro", mlprim::SoftF1Average::Macro},
                               std::pair{"soft_f1_micro", mlprim::SoftF1Average::Micro}}) {
    const auto f1 = mlprim::soft_f1<T>(p, y, {average});
    check_close(one<T>(f1.value), reference().at(name), tol);
    check_close(f1.gradient, reference().at(std::string(name) + "_grad"), tol);
  }
  const auto binary = mlprim::soft_f1<T>(ref<T>("binary_probs"), labels_of("binary_labels"),
                                         {mlprim::SoftF1Average::Binary});
  check_close(one<T>(binary.value), reference().at("soft_f1_binary"), tol);
  check_close(binary.gradient, reference().at("soft_f1_binary_grad"), tol);
}

TEST_CASE("soft metrics on hard probabilities equal the discrete metrics", "[nn][losses]") {
  // One-hot predictions 0, 1, 1, 2 for labels 0, 1, 2, 2: accuracy 3/4;
  // per-class F1 1, 2/3, 2/3 -> macro 7/9; micro F1 = accuracy.
  RowMatrix<double> p = RowMatrix<double>::Zero(4, 3);
  p(0, 0) = p(1, 1) = p(2, 1) = p(3, 2) = 1;
  const std::vector<Index> y{0, 1, 2, 2};
  REQUIRE(mlprim::soft_accuracy<double>(p, y).value == 0.75);
  REQUIRE(std::abs(mlprim::soft_f1<double>(p, y).value - 7.0 / 9) < 1e-15);
  REQUIRE(mlprim::soft_f1<double>(p, y, {mlprim::SoftF1Average::Micro}).value == 0.75);
  // A class with neither labels nor mass: F1 0 and no gradient.
  RowMatrix<double> q(2, 2);
  q << 1, 0, 1, 0;
  const auto f1 = mlprim::soft_f1<double>(q, {0, 0});
  REQUIRE(f1.value == 0.5);
  REQUIRE(f1.gradient.col(1).isZero());
  const RowMatrix<double> r = RowMatrix<double>::Constant(5, 3, 0.2) +
                              0.1 * mlprim::test::random_matrix<double>(5, 3, 3).cwiseAbs();
  const std::vector<Index> labels{0, 2, 1, 2, 0};
  check_differences(
      [&](const RowMatrix<double>& a) { return mlprim::soft_f1<double>(a, labels).value; }, r,
      mlprim::soft_f1<double>(r, labels).gradient, 1e-7);
}

TEST_CASE("losses reject bad input", "[nn][losses]") {
  const RowMatrix<double> a = mlprim::test::random_matrix<double>(4, 3, 1);
  const RowMatrix<double> w = mlprim::test::random_matrix<double>(2, 3, 2);
  mlprim::InfoNceOptions<double> cold;
  cold.temperature = 0;
  CHECK_THROWS_WITH(mlprim::info_nce<double>(a, a, cold), Catch::Contains("temperature"));
  CHECK_THROWS_AS(mlprim::info_nce<double>(a, a.topRows(3)), std::invalid_argument);
  CHECK_THROWS_AS(mlprim::info_nce<double>(a, RowMatrix<double>(4, 2)), std::invalid_argument);
  RowMatrix<double> zero = a;
  zero.row(2).setZero();
  CHECK_THROWS_WITH(mlprim::info_nce<double>(zero, a), Catch::Contains("queries row 2"));
  CHECK_THROWS_AS(mlprim::nt_xent<double>(a, a.topRows(2)), std::invalid_argument);
  CHECK_THROWS_AS(mlprim::nt_xent<double>(a, a, {-1.0}), std::invalid_argument);
  const std::vector<Index> labels{0, 1, 1, 0};
  CHECK_THROWS_WITH(mlprim::arcface_loss<double>(a, w, labels, {64, 2.0}),
                    Catch::Contains("options.margin"));
  CHECK_THROWS_AS(mlprim::cosface_loss<double>(a, w, labels, {64, -0.1}), std::invalid_argument);
  CHECK_THROWS_AS(mlprim::sphereface_loss<double>(a, w, labels, {64, 0}), std::invalid_argument);
  CHECK_THROWS_AS(mlprim::cosface_loss<double>(a, w, labels, {0, 0.3}), std::invalid_argument);
  CHECK_THROWS_WITH(mlprim::arcface_loss<double>(a, w, {0, 1, 2, 0}), Catch::Contains("labels[2]"));
  CHECK_THROWS_AS(mlprim::arcface_loss<double>(a, w, {0, 1}), std::invalid_argument);
  RowMatrix<double> p = RowMatrix<double>::Constant(2, 2, 0.5);
  CHECK_THROWS_AS(mlprim::soft_accuracy<double>(p, {0, 2}), std::invalid_argument);
  p(1, 0) = 1.5;
  CHECK_THROWS_WITH(mlprim::soft_f1<double>(p, {0, 1}), Catch::Contains("outside [0, 1]"));
  CHECK_THROWS_AS(mlprim::soft_f1<double>(RowMatrix<double>::Constant(2, 2, 0.5), {0, 1},
                                          {mlprim::SoftF1Average::Binary}),
                  std::invalid_argument);
}
