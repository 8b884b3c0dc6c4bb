// minimize(): Rosenbrock's minimum (a closed form) and logistic regression
// against an independent Newton solve; stopping reasons and bad input.
#include <mlprim/optim.hpp>

#include <Eigen/Cholesky>

#include <cmath>
#include <limits>
#include <stdexcept>

#include "catch.hpp"

namespace {

double rosenbrock(const Eigen::Vector2d& x, Eigen::Vector2d& g) {
  const double a = 1 - x(0), b = x(1) - x(0) * x(0);
  g << -2 * a - 400 * x(0) * b, 200 * b;
  return a * a + 100 * b * b;
}

/// L2-regularised logistic regression, mean loss over the samples.
struct Logistic {
  Eigen::MatrixXd X;
  Eigen::VectorXd y;  // 0 or 1
  double lambda = 1e-2;

  double operator()(const Eigen::VectorXd& w, Eigen::VectorXd& g) const {
    const Eigen::VectorXd z = X * w;
    const Eigen::VectorXd p = z.unaryExpr([](double t) { return 1 / (1 + std::exp(-t)); });
    double loss = 0;
    for (Eigen::Index i = 0; i < z.size(); ++i)
      loss += std::log1p(std::exp(-std::abs(z(i)))) + std::max(z(i), 0.0) - y(i) * z(i);
    const double n = static_cast<double>(X.rows());
    g = X.transpose() * (p - y) / n + lambda * w;
    return loss / n + 0.5 * lambda * w.squaredNorm();
  }

  /// Newton's method, the independent reference.
  Eigen::VectorXd newton() const {
    Eigen::VectorXd w = Eigen::VectorXd::Zero(X.cols()), g;
    const double n = static_cast<double>(X.rows());
    for (int it = 0; it < 50; ++it) {
      (*this)(w, g);
      const Eigen::VectorXd p = (X * w).unaryExpr([](double t) { return 1 / (1 + std::exp(-t)); });
      const Eigen::VectorXd s = p.array() * (1 - p.array());
      Eigen::MatrixXd H = X.transpose() * s.asDiagonal() * X / n;
      H.diagonal().array() += lambda;
      w -= H.ldlt().solve(g);
    }
    return w;
  }
};

Logistic make_logistic() {
  mlprim::Rng rng(21);
  Logistic problem;
  problem.X.resize(400, 5);
  mlprim::fill_normal(problem.X, rng);
  const Eigen::VectorXd w_true = (Eigen::VectorXd(5) << 1.5, -2.0, 0.5, 0.0, 1.0).finished();
  problem.y.resize(400);
  for (Eigen::Index i = 0; i < 400; ++i) {
    const double p = 1 / (1 + std::exp(-problem.X.row(i).dot(w_true)));
    problem.y(i) = rng.bernoulli(p) ? 1.0 : 0.0;
  }
  return problem;
}

}  // namespace

TEST_CASE("minimize finds Rosenbrock's minimum at (1, 1)", "[optim][minimize]") {
  Eigen::Vector2d x(-1.2, 1.0);
  mlprim::AdamOptions o;
  o.lr = 0.02;
  mlprim::Adam<double> adam(o);
  mlprim::MinimizeOptions mo;
  mo.max_iterations = 20000;
  mo.gradient_tolerance = 1e-8;
  const auto report = mlprim::minimize(rosenbrock, x, adam, mo);
  CHECK(report.reason == mlprim::StopReason::gradient_tolerance);
  CHECK(report.gradient_norm <= 1e-8);
  CHECK(report.iterations < 20000);
  CHECK((x - Eigen::Vector2d(1, 1)).norm() < 1e-6);
  CHECK(adam.num_params(0) == 0);  // the registration is cleared on return
  CHECK(adam.step_count() == report.iterations);
}

TEST_CASE("minimize solves logistic regression as Newton's method does", "[optim][minimize]") {
  const Logistic problem = make_logistic();
  const Eigen::VectorXd reference = problem.newton();
  Eigen::VectorXd g;
  problem(reference, g);
  REQUIRE(g.norm() < 1e-12);  // Newton converged

  Eigen::VectorXd w = Eigen::VectorXd::Zero(5);
  mlprim::SGDOptions o;
  o.lr = 0.5;
  o.momentum = 0.9;
  mlprim::SGD<double> sgd(o);
  mlprim::MinimizeOptions mo;
  mo.max_iterations = 5000;
  mo.gradient_tolerance = 1e-10;
  const auto report = mlprim::minimize(problem, w, sgd, mo);
  CHECK(report.reason == mlprim::StopReason::gradient_tolerance);
  CHECK((w - reference).norm() < 1e-8);
}

TEST_CASE("minimize stops on its callback, a relative tolerance, or a non-finite value",
          "[optim][minimize]") {
  Eigen::Vector2d x(-1.2, 1.0);
  mlprim::Adam<double> adam;
  mlprim::MinimizeOptions mo;
  int calls = 0;
  mo.callback = [&](const mlprim::MinimizeIteration& it) {
    ++calls;
    CHECK(it.iteration == calls - 1);
    return it.iteration < 7;
  };
  auto report = mlprim::minimize(rosenbrock, x, adam, mo);
  CHECK(report.reason == mlprim::StopReason::callback);
  CHECK(report.iterations == 7);

  mlprim::MinimizeOptions relative;
  relative.relative_tolerance = 1e-3;
  relative.max_iterations = 100000;
  x << -1.2, 1.0;
  report = mlprim::minimize(rosenbrock, x, adam, relative);
  CHECK(report.reason == mlprim::StopReason::relative_improvement);

  Eigen::Vector2d y(1.0, 2.0);
  auto explode = [](const Eigen::Vector2d& v, Eigen::Vector2d& g) {
    g = v;
    return v(0) > 0.5 ? std::numeric_limits<double>::quiet_NaN() : v.squaredNorm();
  };
  mlprim::SGD<double> sgd;
  report = mlprim::minimize(explode, y, sgd);
  CHECK(report.reason == mlprim::StopReason::non_finite);
  CHECK(report.iterations == 0);
  CHECK(y == Eigen::Vector2d(1.0, 2.0));  // untouched

  mlprim::MinimizeOptions few;
  few.max_iterations = 3;
  few.gradient_tolerance = 0;
  report = mlprim::minimize(rosenbrock, x, adam, few);
  CHECK(report.reason == mlprim::StopReason::max_iterations);
  CHECK(report.iterations == 3);
}

TEST_CASE("minimize rejects a busy optimizer and negative limits", "[optim][minimize]") {
  Eigen::Vector2d x(0, 0), other(0, 0), g(0, 0);
  mlprim::Adam<double> adam;
  adam.add_param(other, g);
  CHECK_THROWS_WITH(mlprim::minimize(rosenbrock, x, adam),
                    "mlprim::minimize: the optimizer already has parameters in group 0; pass one "
                    "with none");
  mlprim::Adam<double> fresh;
  mlprim::MinimizeOptions bad;
  bad.max_iterations = -1;
  CHECK_THROWS_WITH(mlprim::minimize(rosenbrock, x, fresh, bad),
                    "mlprim::minimize: max_iterations = -1 must be non-negative");
}
