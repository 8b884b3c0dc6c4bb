// The parallel linear scan against the sequential loop, and SSD against the
// selective scan it specialises.
#include <mlprim/ssm.hpp>

#include <cmath>

#include "catch.hpp"
#include "matrix_checks.hpp"
#include "test_util.hpp"

using mlprim::Index;
using mlprim::RowMatrix;
using mlprim::Vector;
using mlprim::test::check_close;
using mlprim::test::random_matrix;

namespace {

RowMatrix<double> sequential(const RowMatrix<double>& a, const RowMatrix<double>& b,
                             const Vector<double>& h0) {
  RowMatrix<double> h(a.rows(), a.cols());
  for (Index j = 0; j < a.cols(); ++j) {
    double prev = h0.size() ? h0(j) : 0.0;
    for (Index t = 0; t < a.rows(); ++t) h(t, j) = prev = a(t, j) * prev + b(t, j);
  }
  return h;
}

}  // namespace

TEST_CASE("scan_combine is associative and composes the steps in order", "[ssm]") {
  const mlprim::AffineStep<double> s1{0.5, 1.0}, s2{-2.0, 3.0}, s3{0.25, -1.0};
  const auto left = mlprim::scan_combine(mlprim::scan_combine(s1, s2), s3);
  const auto right = mlprim::scan_combine(s1, mlprim::scan_combine(s2, s3));
  CHECK(left.a == right.a);
  CHECK(left.b == right.b);  // dyadic values: exact either way
  const double h = 7.0;
  CHECK(left.a * h + left.b == s3.a * (s2.a * (s1.a * h + s1.b) + s2.b) + s3.b);
}

TEST_CASE("parallel linear scan equals the sequential loop for 1, 2 and 7 threads", "[ssm]") {
  const Index L = 5000, D = 6;
  mlprim::LinearScanOptions o;
  o.chunk = 256;  // 20 chunks
  // Exact arithmetic (multipliers in {0, 1/2, 1, -1}, small integer offsets):
  // any association gives the same numbers, so equality is bit for bit.
  mlprim::Rng rng(3);
  RowMatrix<double> a(L, D), b(L, D);
  const double choices[] = {0.0, 0.5, 1.0, -1.0};
  for (Index t = 0; t < L; ++t)
    for (Index j = 0; j < D; ++j) {
      a(t, j) = choices[rng() % 4];
      b(t, j) = static_cast<double>(static_cast<int>(rng() % 7) - 3);
    }
  const Vector<double> h0 = Vector<double>::LinSpaced(D, -2, 3);
  const RowMatrix<double> want = sequential(a, b, h0);
  for (const int threads : {1, 2, 7}) {
    o.num_threads = threads;
    CHECK(mlprim::linear_scan(a, b, h0, o) == want);
  }
  // Random data: the same bits for every thread count, the loop's to rounding.
  const RowMatrix<double> ra = random_matrix<double>(L, D, 4, 0.3).array().tanh().matrix() * 0.5 +
                               RowMatrix<double>::Constant(L, D, 0.5),
                          rb = random_matrix<double>(L, D, 5);
  o.num_threads = 1;
  const RowMatrix<double> one = mlprim::linear_scan(ra, rb, h0, o);
  check_close(one, sequential(ra, rb, h0), 1e-13);
  for (const int threads : {2, 7}) {
    o.num_threads = threads;
    CHECK(mlprim::linear_scan(ra, rb, h0, o) == one);
  }
  // Short sequences run the loop itself.
  o.chunk = 4096;
  CHECK(mlprim::linear_scan(ra, rb, h0, o) == sequential(ra, rb, h0));
  CHECK(mlprim::linear_scan(RowMatrix<double>(0, 3), RowMatrix<double>(0, 3), Vector<double>(), o)
            .rows() == 0);
  CHECK(mlprim::test::exception_message<std::invalid_argument>([&] {
          mlprim::linear_scan(ra, rb.leftCols(3), h0, o);
        }) == "mlprim::linear_scan: b is 5000 x 3, a is 5000 x 6");
}

TEMPLATE_TEST_CASE("SSD equals the selective scan with A constant over the state", "[ssm]", float,
                   double) {
  using T = TestType;
  const double tol = std::is_same_v<T, float> ? 2e-4 : 1e-10;
  const Index heads = 4, p = 8, n = 6, groups = 2;
  const std::vector<Index> offsets = {0, 100, 100, 230};  // chunk 64: partial chunks, an empty one
  const Index L = offsets.back(), dm = heads * p;
  const auto x = random_matrix<T>(L, dm, 41), z = random_matrix<T>(L, dm, 42),
             B = random_matrix<T>(L, groups * n, 43), C = random_matrix<T>(L, groups * n, 44);
  const RowMatrix<T> dt = random_matrix<T>(L, heads, 45, 0.5);
  const Vector<T> A = -random_matrix<T>(heads, 1, 46).cwiseAbs(),
                  D = random_matrix<T>(heads, 1, 47), bias = random_matrix<T>(heads, 1, 48);
  const RowMatrix<T> x0 = random_matrix<T>(3 * dm, n, 49);

  mlprim::SsdOptions<T> so;
  so.groups = groups;
  so.D = D;
  so.z = z;
  so.dt_bias = bias;
  so.dt_softplus = true;
  so.initial_state = x0;
  so.return_final_state = true;
  so.cu_seqlens = offsets;
  const auto ssd = mlprim::ssd_scan(x, dt, A, B, C, so);

  // The same scan per channel: head h's dt, A, D and bias on each of its p channels.
  RowMatrix<T> delta(L, dm), a_full(dm, n);
  Vector<T> d_full(dm), bias_full(dm);
  for (Index c = 0; c < dm; ++c) {
    delta.col(c) = dt.col(c / p);
    a_full.row(c).setConstant(A(c / p));
    d_full(c) = D(c / p);
    bias_full(c) = bias(c / p);
  }
  mlprim::SelectiveScanOptions<T> o;
  o.D = d_full;
  o.z = z;
  o.delta_bias = bias_full;
  o.delta_softplus = true;
  o.initial_state = x0;
  o.return_last_state = true;
  o.cu_seqlens = offsets;
  const auto scan = mlprim::selective_scan(x, delta, a_full, B, C, o);
  check_close(ssd.y, scan.y.template cast<double>(), tol);
  check_close(ssd.final_state, scan.last_state.template cast<double>(), tol);
  for (const int threads : {1, 2, 7}) {
    so.num_threads = threads;
    CHECK(mlprim::ssd_scan(x, dt, A, B, C, so).y == ssd.y);
  }
  so.groups = 3;
  CHECK(mlprim::test::exception_message<std::invalid_argument>([&] {
          mlprim::ssd_scan(x, dt, A, B, C, so);
        }) == "mlprim::ssd_scan: groups = 3 does not divide the 4 heads");
}
