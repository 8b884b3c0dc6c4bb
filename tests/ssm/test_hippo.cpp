// HiPPO matrices, their NPLR split, the S4D initialisations, discretisation
// and the LegS online memory, against closed forms written out here.
#include <mlprim/ssm.hpp>

#include <cmath>
#include <complex>

#include "catch.hpp"
#include "matrix_checks.hpp"
#include "test_types.hpp"
#include "test_util.hpp"

using mlprim::Index;
using mlprim::Matrix;
using mlprim::Vector;
namespace hippo = mlprim::hippo;

namespace {
constexpr double pi = 3.14159265358979323846;
}

TEST_CASE("HiPPO matrices for N = 3 written out", "[ssm]") {
  const double s3 = std::sqrt(3.0), s5 = std::sqrt(5.0);
  const auto legs = hippo::legs(3);
  Matrix<double> a(3, 3);
  a << -1, 0, 0, -s3, -2, 0, -s5, -s3 * s5, -3;
  CHECK(legs.A.isApprox(a, 1e-15));
  CHECK(legs.B.isApprox(Vector<double>((Vector<double>(3) << 1, s3, s5).finished()), 1e-15));

  const auto legt = hippo::legt(3, 2.0);  // LMU: -(2n+1)/theta * [(-1)^(n-k) | 1]
  a << -1, -1, -1, 3, -3, -3, -5, 5, -5;
  CHECK(legt.A.isApprox(a / 2.0, 1e-15));
  CHECK(legt.B.isApprox(Vector<double>((Vector<double>(3) << 1, -3, 5).finished()) / 2.0, 1e-15));

  const auto lagt = hippo::lagt(3, 0.5);
  a << -1, 0, 0, -1, -1, 0, -1, -1, -1;
  CHECK(lagt.A == a);
  // binom(n + 1/2, n): 1, 3/2, (5/2)(3/2)/2 = 15/8
  CHECK(lagt.B.isApprox(Vector<double>((Vector<double>(3) << 1, 1.5, 15.0 / 8).finished()), 1e-14));

  const auto fout = hippo::fout(3);  // basis 1, sqrt2 cos 2pi s, sqrt2 sin 2pi s
  const double r2 = std::sqrt(2.0);
  a << -1, -r2, 0, -r2, -2, -2 * pi, 0, 2 * pi, 0;
  CHECK(fout.A.isApprox(a, 1e-15));
  CHECK(fout.B.isApprox(Vector<double>((Vector<double>(3) << 1, r2, 0).finished()), 1e-15));
}

TEST_CASE("LagT's B and A follow from the Laguerre identities", "[ssm]") {
  // d/dt c_n = -sum_{k<=n} c_k + L_n(0) f for c_n(t) = int f(x) L_n(t-x) e^-(t-x) dx:
  // check on f = 1 (c_n(t) -> int_0^inf L_n(s) e^-s ds = [n == 0]) at the fixed point.
  const auto lagt = hippo::lagt(6, 0.0);
  const Vector<double> fixed = lagt.A.partialPivLu().solve(-lagt.B);  // A c + B = 0
  Vector<double> want = Vector<double>::Zero(6);
  want(0) = 1;
  CHECK(fixed.isApprox(want, 1e-12));
}

TEST_CASE("the LegS normal-plus-low-rank split reconstructs A", "[ssm]") {
  for (const Index n : {1, 4, 16}) {
    const auto legs = hippo::legs(n);
    const auto nplr = hippo::legs_nplr(n);
    using C = std::complex<double>;
    const Matrix<C> eye = Matrix<C>::Identity(n, n);
    CHECK((nplr.V.adjoint() * nplr.V).isApprox(eye, 1e-12));
    for (Index k = 0; k < n; ++k) CHECK(nplr.Lambda(k).real() == -0.5);
    const Matrix<C> inner = Matrix<C>(nplr.Lambda.asDiagonal()) - nplr.P * nplr.P.adjoint();
    const Matrix<C> a = nplr.V * inner * nplr.V.adjoint();
    CHECK(a.real().isApprox(legs.A, 1e-11));
    CHECK(a.imag().norm() < 1e-10);
    CHECK((nplr.V * nplr.B).real().isApprox(legs.B, 1e-12));
  }
}

TEST_CASE("S4D initialisations", "[ssm]") {
  const auto lin = hippo::s4d_lin(8);
  const auto inv = hippo::s4d_inv(8);
  REQUIRE(lin.size() == 4);
  for (Index n = 0; n < 4; ++n) {
    CHECK(lin(n) == std::complex<double>(-0.5, pi * static_cast<double>(n)));
    CHECK(std::abs(inv(n) - std::complex<double>(-0.5, 8 / pi * (8.0 / double(2 * n + 1) - 1))) <
          1e-14);
  }
  CHECK(mlprim::test::exception_message<std::invalid_argument>([] { hippo::s4d_lin(5); }) ==
        "mlprim::hippo::s4d_lin: N = 5 must be even");
}

TEMPLATE_TEST_CASE("discretize: GBT by its definition, ZOH by a series and the scalar formula",
                   "[ssm]", MLPRIM_TEST_SCALARS) {
  using T = TestType;
  const T tol = T(50 * mlprim::test::Tolerance<T>::relative);
  const auto s = hippo::legs<T>(5);
  const double dt = 0.05;
  const Matrix<T> eye = Matrix<T>::Identity(5, 5);
  for (const double alpha : {0.0, 0.3, 0.5, 1.0}) {
    const auto d = mlprim::discretize(s.A, s.B, dt, mlprim::Method::GBT, alpha);
    // (I - a dt A) Ad = I + (1 - a) dt A,  (I - a dt A) Bd = dt B
    const Matrix<T> left = eye - T(alpha * dt) * s.A;
    CHECK((left * d.Ad).isApprox(eye + T((1 - alpha) * dt) * s.A, tol));
    CHECK((left * d.Bd).isApprox(T(dt) * s.B, tol));
  }
  const auto euler = mlprim::discretize(s.A, s.B, dt, mlprim::Method::ForwardEuler);
  CHECK(euler.Ad.isApprox(eye + T(dt) * s.A, tol));
  const auto bilinear = mlprim::discretize(s.A, s.B, dt, mlprim::Method::Bilinear);
  const auto gbt = mlprim::discretize(s.A, s.B, dt, mlprim::Method::GBT, 0.5);
  CHECK(bilinear.Ad.isApprox(gbt.Ad, tol));

  // ZOH: Ad = sum (dt A)^k / k!, Bd = sum dt^(k+1) A^k / (k+1)! B (converged at k = 30).
  const auto zoh = mlprim::discretize(s.A, s.B, dt, mlprim::Method::ZOH);
  Matrix<double> term = Matrix<double>::Identity(5, 5), ad = term, bd_series = term;
  const Matrix<double> a = s.A.template cast<double>();
  for (int k = 1; k < 30; ++k) {
    term = term * (dt * a) / k;
    ad += term;
    bd_series += term / (k + 1);  // (dt A)^k / (k+1)!
  }
  const Vector<double> bd = dt * bd_series * s.B.template cast<double>();
  CHECK(zoh.Ad.template cast<double>().isApprox(ad, double(tol)));
  CHECK(zoh.Bd.template cast<double>().isApprox(bd, double(tol)));

  // Scalar: Ad = e^(a dt), Bd = (e^(a dt) - 1) / a b; and a singular A (a = 0) gives dt b.
  Matrix<T> a1(1, 1);
  a1 << T(-0.7);
  Vector<T> b1(1);
  b1 << T(2);
  const auto scalar = mlprim::discretize(a1, b1, 0.3, mlprim::Method::ZOH);
  CHECK(std::abs(double(scalar.Ad(0, 0)) - std::exp(-0.21)) < tol);
  CHECK(std::abs(double(scalar.Bd(0)) - (std::exp(-0.21) - 1) / -0.7 * 2) < tol);
  a1(0, 0) = 0;
  const auto singular = mlprim::discretize(a1, b1, 0.3, mlprim::Method::ZOH);
  CHECK(std::abs(double(singular.Bd(0)) - 0.6) < tol);
}

TEST_CASE("the diagonal fast path equals the dense discretisation", "[ssm]") {
  using C = std::complex<double>;
  Vector<C> lambda(3), b(3);
  lambda << C(-0.5, 2), C(-1.5, -1), C(0, 0);
  b << C(1, 1), C(0.5, -2), C(3, 0);
  const Matrix<C> a = lambda.asDiagonal();
  for (const auto method : {mlprim::Method::ZOH, mlprim::Method::Bilinear,
                            mlprim::Method::BackwardEuler, mlprim::Method::ForwardEuler}) {
    const auto dense = mlprim::discretize(a, b, 0.1, method);
    const auto diag = mlprim::discretize_diagonal<double>(lambda, b, 0.1, method);
    CHECK(diag.Ad.isApprox(dense.Ad.diagonal(), 1e-13));
    CHECK(diag.Bd.isApprox(dense.Bd, 1e-13));
  }
}

TEST_CASE("discretize rejects bad steps and shapes", "[ssm]") {
  using mlprim::test::exception_message;
  const auto s = hippo::legs(3);
  CHECK(exception_message<std::invalid_argument>([&] {
          mlprim::discretize(s.A, s.B, 0.0, mlprim::Method::ZOH);
        }) == "mlprim::discretize: dt = 0 must be positive");
  CHECK(exception_message<std::invalid_argument>([&] {
          mlprim::discretize(s.A, s.B, -1.0, mlprim::Method::Bilinear);
        }) == "mlprim::discretize: dt = -1 must be positive");
  CHECK(exception_message<std::invalid_argument>([&] {
          mlprim::discretize(s.A, Vector<double>::Ones(2), 0.1, mlprim::Method::ZOH);
        }) == "mlprim::discretize: B is 2 x 1, A is 3 x 3: B must have 3 entries");
  Matrix<double> unstable(1, 1);
  unstable << 2.0;
  CHECK(exception_message<std::invalid_argument>([&] {
          mlprim::discretize(unstable, Vector<double>::Ones(1), 0.5, mlprim::Method::BackwardEuler);
        }) ==
        "mlprim::discretize: I - alpha dt A is singular (alpha = 1, dt = 0.5): A has the "
        "eigenvalue 1 / (alpha dt)");
  CHECK_THROWS_AS(mlprim::discretize(s.A, s.B, 0.1, mlprim::Method::GBT, 1.5),
                  std::invalid_argument);
}

TEST_CASE("HiPPO-LegS memory reconstructs a smooth history, better as N grows", "[ssm]") {
  // Past N ~ 24 the error sits at the discretisation's floor, about 9 / samples.
  const Index samples = 20000;
  auto f = [](double x) { return std::sin(6 * x) + 0.5 * std::cos(13 * x * x); };
  Vector<double> grid(101);
  for (Index i = 0; i < grid.size(); ++i) grid(i) = 0.01 * static_cast<double>(i);
  double previous = 1e300;
  for (const Index n : {4, 8, 16, 24}) {
    mlprim::HippoLegSMemory<double> memory(n);
    for (Index k = 1; k <= samples; ++k) memory.update(f(double(k) / samples));
    CHECK(memory.samples() == samples);
    const Vector<double> got = memory.reconstruct(grid);
    double error = 0;
    for (Index i = 5; i < grid.size() - 5; ++i)  // interior: the ends converge slowest
      error = std::max(error, std::abs(got(i) - f(grid(i))));
    INFO("N = " << n << ", max error " << error);
    CHECK(error < 0.6 * previous);
    previous = error;
  }
  CHECK(previous < 1e-3);
  mlprim::HippoLegSMemory<double> memory(4);
  CHECK_THROWS_AS(memory.reconstruct(Vector<double>::Constant(1, 1.5)), std::invalid_argument);
  CHECK_THROWS_AS(mlprim::HippoLegSMemory<double>(0), std::invalid_argument);
}
