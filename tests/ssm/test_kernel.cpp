// Convolution kernels, causal convolution and the recurrent mode: the
// convolutional and recurrent modes must compute the same outputs.
#include <mlprim/ssm.hpp>

#include <cmath>
#include <complex>

#include "catch.hpp"
#include "matrix_checks.hpp"
#include "test_types.hpp"
#include "test_util.hpp"

using mlprim::Index;
using mlprim::Matrix;
using mlprim::RowMatrix;
using mlprim::Vector;
using mlprim::test::check_close;
using mlprim::test::random_matrix;

TEMPLATE_TEST_CASE("convolution mode equals recurrent mode", "[ssm]", MLPRIM_TEST_SCALARS) {
  using T = TestType;
  const double tol = 100 * mlprim::test::Tolerance<T>::relative;
  const Index n = 8, L = 300;
  const auto s = mlprim::hippo::legs<T>(n);
  const auto d = mlprim::discretize(s.A, s.B, 0.01, mlprim::Method::Bilinear);
  const Vector<T> c = random_matrix<T>(n, 1, 1);
  const RowMatrix<T> u = random_matrix<T>(L, 1, 2);
  const auto kernel = mlprim::ssm_kernel(d.Ad, d.Bd, c, L);
  const T skip = T(0.25);
  const auto rnn = mlprim::ssm_recurrence(d.Ad, d.Bd, c, skip, u.col(0), Vector<T>::Zero(n));
  for (const auto method : {mlprim::ConvolutionMethod::Direct, mlprim::ConvolutionMethod::FFT}) {
    mlprim::ConvolutionOptions o;
    o.method = method;
    const RowMatrix<T> conv = mlprim::causal_convolution(u, RowMatrix<T>(kernel), o) + skip * u;
    check_close(RowMatrix<T>(rnn.y), conv.template cast<double>(), tol);
  }
  // K_k = C Ad^k Bd written with explicit powers.
  Matrix<T> power = Matrix<T>::Identity(n, n);
  for (Index k = 0; k < 5; ++k) {
    CHECK(std::abs(double(kernel(k) - c.dot(power * d.Bd))) < tol);
    power = power * d.Ad;
  }
  // The recurrence from a state x0 adds C Ad^(k+1) x0.
  const Vector<T> x0 = random_matrix<T>(n, 1, 3);
  const auto from_x0 = mlprim::ssm_recurrence(d.Ad, d.Bd, c, skip, u.col(0), x0);
  CHECK(std::abs(double(from_x0.y(0) - rnn.y(0) - c.dot(d.Ad * x0))) < tol);
  CHECK(mlprim::ssm_recurrence(d.Ad, d.Bd, c, skip, Vector<T>(), x0).last_state == x0);
}

TEST_CASE("causal convolution: direct and FFT equal the double sum, batched over channels",
          "[ssm]") {
  for (const Index taps : {1, 7, 64, 200, 500}) {
    INFO("taps " << taps);
    const Index L = 300, channels = 5;
    const auto u = random_matrix<double>(L, channels, 4),
               k = random_matrix<double>(taps, channels, 5);
    RowMatrix<double> want = RowMatrix<double>::Zero(L, channels);
    for (Index c = 0; c < channels; ++c)
      for (Index t = 0; t < L; ++t)
        for (Index j = 0; j <= std::min(t, taps - 1); ++j) want(t, c) += k(j, c) * u(t - j, c);
    for (const auto method : {mlprim::ConvolutionMethod::Auto, mlprim::ConvolutionMethod::Direct,
                              mlprim::ConvolutionMethod::FFT})
      for (const int threads : {1, 2}) {
        mlprim::ConvolutionOptions o;
        o.method = method;
        o.num_threads = threads;
        check_close(mlprim::causal_convolution(u, k, o), want, 1e-11);
      }
    mlprim::ConvolutionOptions fft;
    fft.method = mlprim::ConvolutionMethod::FFT;
    check_close(mlprim::causal_convolution(RowMatrix<float>(u.cast<float>()),
                                           RowMatrix<float>(k.cast<float>()), fft),
                want, 1e-4);
  }
  CHECK(mlprim::causal_convolution(RowMatrix<double>(0, 3), RowMatrix<double>(4, 3)).rows() == 0);
  CHECK(mlprim::test::exception_message<std::invalid_argument>([] {
          mlprim::causal_convolution(RowMatrix<double>(4, 3), RowMatrix<double>(4, 2));
        }) == "mlprim::causal_convolution: K is 4 x 2, u is 4 x 3: one kernel column per channel");
}

TEST_CASE("the S4D kernel equals the dense kernel of the diagonal system", "[ssm]") {
  using C = std::complex<double>;
  const Index modes = 6, L = 200;  // past the 64-step re-anchoring of the powers
  const auto lambda = mlprim::hippo::s4d_lin(2 * modes);
  Vector<C> b(modes), c(modes);
  for (Index n = 0; n < modes; ++n) {
    b(n) = C(1.0, 0.1 * static_cast<double>(n));
    c(n) = C(0.5 - 0.1 * static_cast<double>(n), 0.3);
  }
  for (const auto method : {mlprim::Method::ZOH, mlprim::Method::Bilinear}) {
    mlprim::S4DKernelOptions o;
    o.method = method;
    const Vector<double> got = mlprim::s4d_kernel<double>(lambda, b, c, 0.05, L, o);
    // The same system with the conjugate modes added, dense and complex.
    Vector<C> all_lambda(2 * modes), all_b(2 * modes), all_c(2 * modes);
    all_lambda << lambda, lambda.conjugate();
    all_b << b, b.conjugate();
    all_c << c, c.conjugate();
    const auto d = mlprim::discretize(Matrix<C>(all_lambda.asDiagonal()), all_b, 0.05, method);
    const Vector<C> dense = mlprim::ssm_kernel(d.Ad, d.Bd, all_c.transpose(), L);
    CHECK(dense.imag().norm() < 1e-10);
    check_close(RowMatrix<double>(got), RowMatrix<double>(dense.real()), 1e-11);
    CHECK(mlprim::s4d_kernel<double>(lambda, b, c, 0.05, L, method) == got);
    o.conjugate_pairs = false;
    check_close(RowMatrix<double>(mlprim::s4d_kernel<double>(all_lambda, all_b, all_c, 0.05, L, o)),
                RowMatrix<double>(dense.real()), 1e-11);
  }
  Vector<C> unstable = lambda;
  unstable(2) = C(0.1, 1);
  CHECK(mlprim::test::exception_message<std::invalid_argument>(
            [&] { mlprim::s4d_kernel<double>(unstable, b, c, 0.05, L); }) ==
        "mlprim::s4d_kernel: Lambda_2 has real part 0.1 > 0: the kernel would grow without "
        "bound");
}
