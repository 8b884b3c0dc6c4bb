// The selective scan against PyTorch running Mamba's reference formula
// (tests/data/ssm/make_torch_reference.py), against a plain loop written
// here, and its backward against autograd and central differences.
#include <mlprim/ssm.hpp>

#include <cmath>
#include <complex>
#include <limits>
#include <string>

#include "catch.hpp"
#include "gradient_check.hpp"
#include "matrix_checks.hpp"
#include "reference_data.hpp"
#include "test_types.hpp"
#include "test_util.hpp"

using mlprim::Index;
using mlprim::RowMatrix;
using mlprim::Vector;
using mlprim::test::check_close;
using mlprim::test::random_matrix;

namespace {

/// The scan as written in the paper, one channel, state and step at a time.
/// B and C: L x (G N) varying or Dm x N invariant.
RowMatrix<double> plain_loop(const RowMatrix<double>& u, const RowMatrix<double>& delta,
                             const RowMatrix<double>& A, const RowMatrix<double>& B,
                             const RowMatrix<double>& C, const Vector<double>& D,
                             const RowMatrix<double>& z, const Vector<double>& bias, bool softplus,
                             bool invariant) {
  const Index L = u.rows(), dm = u.cols(), n = A.cols();
  const Index groups = invariant ? 1 : B.cols() / n;
  RowMatrix<double> y(L, dm);
  for (Index d = 0; d < dm; ++d) {
    const Index g = d / (dm / groups);
    Vector<double> x = Vector<double>::Zero(n);
    for (Index t = 0; t < L; ++t) {
      double dt = delta(t, d) + (bias.size() ? bias(d) : 0.0);
      if (softplus) dt = dt > 20 ? dt : std::log1p(std::exp(dt));
      double out = 0;
      for (Index k = 0; k < n; ++k) {
        const double b = invariant ? B(d, k) : B(t, g * n + k);
        const double c = invariant ? C(d, k) : C(t, g * n + k);
        x(k) = std::exp(dt * A(d, k)) * x(k) + dt * b * u(t, d);
        out += c * x(k);
      }
      if (D.size()) out += D(d) * u(t, d);
      if (z.size()) out *= z(t, d) / (1 + std::exp(-z(t, d)));
      y(t, d) = out;
    }
  }
  return y;
}

const mlprim::test::ReferenceData& reference() {
  static const auto data = mlprim::test::read_reference_data("ssm/torch_reference.txt");
  return data;
}

struct TorchCase {
  std::string name;
  bool invariant;
};
const TorchCase torch_cases[] = {
    {"plain", false}, {"full", false}, {"grouped", false}, {"invariant", true}};

/// Options for a stored case, viewing the given optional inputs.
template <class T>
mlprim::SelectiveScanOptions<T> case_options(const std::string& name, bool invariant,
                                             const RowMatrix<T>& D, const RowMatrix<T>& z,
                                             const RowMatrix<T>& bias, const RowMatrix<T>& x0) {
  mlprim::SelectiveScanOptions<T> o;
  o.D = D;
  o.z = z;
  o.delta_bias = bias;
  o.initial_state = x0;
  o.delta_softplus = name != "plain";
  o.B_time_invariant = o.C_time_invariant = invariant;
  o.return_last_state = true;
  return o;
}

template <class T>
RowMatrix<T> stored(const std::string& name) {
  const auto& ref = reference();
  const auto it = ref.find(name);
  return it == ref.end() ? RowMatrix<T>() : RowMatrix<T>(it->second.cast<T>());
}

}  // namespace

TEMPLATE_TEST_CASE("selective_scan equals PyTorch's reference formula for every option", "[ssm]",
                   MLPRIM_TEST_SCALARS) {
  using T = TestType;
  const double tol = 20 * mlprim::test::Tolerance<T>::relative;
  const auto& ref = reference();
  for (const auto& c : torch_cases) {
    INFO(c.name);
    const auto u = stored<T>(c.name + "_u"), delta = stored<T>(c.name + "_delta"),
               A = stored<T>(c.name + "_A"), B = stored<T>(c.name + "_B"),
               C = stored<T>(c.name + "_C"), D = stored<T>(c.name + "_D"),
               z = stored<T>(c.name + "_z"), bias = stored<T>(c.name + "_bias"),
               x0 = stored<T>(c.name + "_x0");
    const auto o = case_options(c.name, c.invariant, D, z, bias, x0);
    const auto out = mlprim::selective_scan(u, delta, A, B, C, o);
    check_close(out.y, ref.at(c.name + "_out"), tol);
    check_close(out.last_state, ref.at(c.name + "_last"), tol);
  }
}

TEST_CASE("selective_scan_backward equals PyTorch's autograd", "[ssm]") {
  const auto& ref = reference();
  for (const auto& c : torch_cases) {
    INFO(c.name);
    const auto u = stored<double>(c.name + "_u"), delta = stored<double>(c.name + "_delta"),
               A = stored<double>(c.name + "_A"), B = stored<double>(c.name + "_B"),
               C = stored<double>(c.name + "_C"), D = stored<double>(c.name + "_D"),
               z = stored<double>(c.name + "_z"), bias = stored<double>(c.name + "_bias"),
               x0 = stored<double>(c.name + "_x0"), w = stored<double>(c.name + "_w");
    const auto o = case_options(c.name, c.invariant, D, z, bias, x0);
    const auto g = mlprim::selective_scan_backward(u, delta, A, B, C, w, o);
    check_close(g.du, ref.at(c.name + "_du"), 1e-11);
    check_close(g.ddelta, ref.at(c.name + "_ddelta"), 1e-11);
    check_close(g.dA, ref.at(c.name + "_dA"), 1e-11);
    check_close(g.dB, ref.at(c.name + "_dB"), 1e-11);
    check_close(g.dC, ref.at(c.name + "_dC"), 1e-11);
    if (D.size()) check_close(RowMatrix<double>(g.dD), ref.at(c.name + "_dD"), 1e-11);
    if (z.size()) check_close(g.dz, ref.at(c.name + "_dz"), 1e-11);
    if (bias.size())
      check_close(RowMatrix<double>(g.ddelta_bias), ref.at(c.name + "_dbias"), 1e-11);
    if (x0.size()) check_close(g.dinitial_state, ref.at(c.name + "_dx0"), 1e-11);
    CHECK(g.dD.size() == D.size());
    CHECK(g.dz.size() == z.size());
  }
}

TEST_CASE("selective_scan with complex A equals the reference's 2 Re(C x)", "[ssm]") {
  using C = std::complex<double>;
  const auto& ref = reference();
  auto complex_of = [&](const std::string& name) {
    return RowMatrix<C>(ref.at(name + "_re").cast<C>() + C(0, 1) * ref.at(name + "_im").cast<C>());
  };
  const RowMatrix<double> u = ref.at("complex_u"), delta = ref.at("complex_delta"),
                          D = ref.at("complex_D"), z = ref.at("complex_z");
  mlprim::SelectiveScanOptions<double, C> o;
  o.D = D;
  o.z = z;
  o.return_last_state = true;
  const auto out = mlprim::selective_scan(u, delta, complex_of("complex_A"),
                                          complex_of("complex_B"), complex_of("complex_C"), o);
  check_close(out.y, ref.at("complex_out"), 1e-12);
  check_close(RowMatrix<double>(out.last_state.real()), ref.at("complex_last_re"), 1e-12);
  check_close(RowMatrix<double>(out.last_state.imag()), ref.at("complex_last_im"), 1e-12);
}

TEST_CASE("packed variable-length batches restart from each sequence's state", "[ssm]") {
  const auto& ref = reference();
  const RowMatrix<double> x0 = ref.at("varlen_x0");
  mlprim::SelectiveScanOptions<double> o;
  o.cu_seqlens = {0, 5, 5, 12};  // lengths 5, 0, 7
  o.initial_state = x0;
  o.return_last_state = true;
  const auto out =
      mlprim::selective_scan(ref.at("varlen_u"), ref.at("varlen_delta"), ref.at("varlen_A"),
                             ref.at("varlen_B"), ref.at("varlen_C"), o);
  check_close(out.y, ref.at("varlen_out"), 1e-12);
  check_close(out.last_state, ref.at("varlen_last"), 1e-12);
}

TEST_CASE("selective_scan equals the plain loop, bit for bit on 1, 2 and 7 threads", "[ssm]") {
  const Index L = 150, dm = 40, n = 5;  // 40 channels: blocks of 16 and a partial one per group
  const auto u = random_matrix<double>(L, dm, 1), z = random_matrix<double>(L, dm, 2);
  const RowMatrix<double> delta = random_matrix<double>(L, dm, 3, 0.5);  // softplus'd below
  const RowMatrix<double> A = -random_matrix<double>(dm, n, 4).cwiseAbs();
  const Vector<double> D = random_matrix<double>(dm, 1, 5), bias = random_matrix<double>(dm, 1, 6);
  for (const Index groups : {1, 4, 0}) {
    INFO("groups " << groups << " (0: time-invariant)");
    const bool invariant = groups == 0;
    const RowMatrix<double> B = invariant ? random_matrix<double>(dm, n, 7)
                                          : random_matrix<double>(L, groups * n, 7),
                            C = invariant ? random_matrix<double>(dm, n, 8)
                                          : random_matrix<double>(L, groups * n, 8);
    mlprim::SelectiveScanOptions<double> o;
    o.D = D;
    o.z = z;
    o.delta_bias = bias;
    o.delta_softplus = true;
    o.B_time_invariant = o.C_time_invariant = invariant;
    const RowMatrix<double> want = plain_loop(u, delta, A, B, C, D, z, bias, true, invariant);
    o.num_threads = 1;
    const auto one = mlprim::selective_scan(u, delta, A, B, C, o);
    check_close(one.y, want, 1e-12);
    for (const int threads : {2, 7}) {
      o.num_threads = threads;
      CHECK(mlprim::selective_scan(u, delta, A, B, C, o).y == one.y);
      CHECK(mlprim::selective_scan_backward(u, delta, A, B, C, z, o).dB ==
            mlprim::selective_scan_backward(u, delta, A, B, C, z,
                                            [&] {
                                              auto p = o;
                                              p.num_threads = 1;
                                              return p;
                                            }())
                .dB);
    }
  }
}

TEST_CASE("selective_scan_backward equals central differences", "[ssm]") {
  using mlprim::test::numeric_gradient;
  // 70 steps: two checkpoint chunks of the backward pass, one partial.
  const Index L = 70, dm = 3, n = 2;
  RowMatrix<double> u = random_matrix<double>(L, dm, 11), z = random_matrix<double>(L, dm, 12),
                    delta = random_matrix<double>(L, dm, 13, 0.5),
                    A = -random_matrix<double>(dm, n, 14).cwiseAbs(),
                    B = random_matrix<double>(L, n, 15), C = random_matrix<double>(L, n, 16),
                    D = random_matrix<double>(dm, 1, 17), bias = random_matrix<double>(dm, 1, 18),
                    x0 = random_matrix<double>(dm, n, 19), w = random_matrix<double>(L, dm, 20);
  auto options = [&](const RowMatrix<double>& d_, const RowMatrix<double>& z_,
                     const RowMatrix<double>& bias_, const RowMatrix<double>& x0_) {
    mlprim::SelectiveScanOptions<double> o;
    o.D = d_;
    o.z = z_;
    o.delta_bias = bias_;
    o.initial_state = x0_;
    o.delta_softplus = true;
    return o;
  };
  auto loss = [&](const RowMatrix<double>& u_, const RowMatrix<double>& delta_,
                  const RowMatrix<double>& A_, const RowMatrix<double>& B_,
                  const RowMatrix<double>& C_, const RowMatrix<double>& D_,
                  const RowMatrix<double>& z_, const RowMatrix<double>& bias_,
                  const RowMatrix<double>& x0_) {
    return (mlprim::selective_scan(u_, delta_, A_, B_, C_, options(D_, z_, bias_, x0_)).y.array() *
            w.array())
        .sum();
  };
  const auto g = mlprim::selective_scan_backward(u, delta, A, B, C, w, options(D, z, bias, x0));
  const double tol = 1e-6;
  check_close(
      g.du,
      numeric_gradient(u, [&](const auto& m) { return loss(m, delta, A, B, C, D, z, bias, x0); }),
      tol);
  check_close(
      g.ddelta,
      numeric_gradient(delta, [&](const auto& m) { return loss(u, m, A, B, C, D, z, bias, x0); }),
      tol);
  check_close(
      g.dA,
      numeric_gradient(A, [&](const auto& m) { return loss(u, delta, m, B, C, D, z, bias, x0); }),
      tol);
  check_close(
      g.dB,
      numeric_gradient(B, [&](const auto& m) { return loss(u, delta, A, m, C, D, z, bias, x0); }),
      tol);
  check_close(
      g.dC,
      numeric_gradient(C, [&](const auto& m) { return loss(u, delta, A, B, m, D, z, bias, x0); }),
      tol);
  check_close(
      RowMatrix<double>(g.dD),
      numeric_gradient(D, [&](const auto& m) { return loss(u, delta, A, B, C, m, z, bias, x0); }),
      tol);
  check_close(
      g.dz,
      numeric_gradient(z, [&](const auto& m) { return loss(u, delta, A, B, C, D, m, bias, x0); }),
      tol);
  check_close(
      RowMatrix<double>(g.ddelta_bias),
      numeric_gradient(bias, [&](const auto& m) { return loss(u, delta, A, B, C, D, z, m, x0); }),
      tol);
  check_close(
      g.dinitial_state,
      numeric_gradient(x0, [&](const auto& m) { return loss(u, delta, A, B, C, D, z, bias, m); }),
      tol);
}

TEMPLATE_TEST_CASE("half and bfloat16 storage scan in float", "[ssm]", Eigen::half,
                   Eigen::bfloat16) {
  using T = TestType;
  const Index L = 40, dm = 20, n = 4;
  const auto u = random_matrix<T>(L, dm, 21), B = random_matrix<T>(L, n, 22),
             C = random_matrix<T>(L, n, 23);
  const RowMatrix<T> delta = random_matrix<double>(L, dm, 24, 0.3).cwiseAbs().cast<T>(),
                     A = (-random_matrix<double>(dm, n, 25).cwiseAbs()).cast<T>();
  const auto got = mlprim::selective_scan(u, delta, A, B, C);
  const auto want = mlprim::selective_scan(
      RowMatrix<float>(u.template cast<float>()), RowMatrix<float>(delta.template cast<float>()),
      RowMatrix<float>(A.template cast<float>()), RowMatrix<float>(B.template cast<float>()),
      RowMatrix<float>(C.template cast<float>()));
  // Only the output's rounding to T differs.
  const double eps = std::is_same_v<T, Eigen::half> ? 1.0 / 1024 : 1.0 / 128;
  check_close(got.y, want.y.template cast<double>(), eps);
}

TEST_CASE("empty sequences, NaN confined to its channel", "[ssm]") {
  const Index dm = 20, n = 3;
  const RowMatrix<double> A = -RowMatrix<double>::Ones(dm, n);
  const RowMatrix<double> none(0, dm), b0(0, n);
  mlprim::SelectiveScanOptions<double> o;
  o.return_last_state = true;
  const auto empty = mlprim::selective_scan(none, none, A, b0, b0, o);
  CHECK(empty.y.rows() == 0);
  CHECK(empty.last_state == RowMatrix<double>::Zero(dm, n));
  CHECK(mlprim::selective_scan_backward(none, none, A, b0, b0, none, o).dA ==
        RowMatrix<double>::Zero(dm, n));

  auto u = random_matrix<double>(30, dm, 31);
  const RowMatrix<double> delta = random_matrix<double>(30, dm, 32).cwiseAbs(),
                          B = random_matrix<double>(30, n, 33),
                          C = random_matrix<double>(30, n, 34);
  u(10, 7) = std::numeric_limits<double>::quiet_NaN();
  const auto y = mlprim::selective_scan(u, delta, A, B, C).y;
  for (Index t = 0; t < 30; ++t)
    for (Index d = 0; d < dm; ++d) CHECK(std::isnan(y(t, d)) == (d == 7 && t >= 10));
}

TEST_CASE("selective_scan rejects mismatched shapes with both shapes named", "[ssm]") {
  using mlprim::test::exception_message;
  const RowMatrix<double> u = RowMatrix<double>::Ones(8, 6), A = -RowMatrix<double>::Ones(6, 4),
                          B = RowMatrix<double>::Ones(8, 4);
  auto message = [](auto&& fn) { return exception_message<std::invalid_argument>(fn); };
  CHECK(message([&] { mlprim::selective_scan(u, RowMatrix<double>::Ones(8, 5), A, B, B); }) ==
        "mlprim::selective_scan: delta is 8 x 5, u is 8 x 6");
  CHECK(message([&] { mlprim::selective_scan(u, u, RowMatrix<double>::Ones(5, 4), B, B); }) ==
        "mlprim::selective_scan: A is 5 x 4, u is 8 x 6: A needs one row per channel");
  CHECK(message([&] { mlprim::selective_scan(u, u, A, RowMatrix<double>::Ones(8, 5), B); }) ==
        "mlprim::selective_scan: B is 8 x 5, u is 8 x 6 and A 6 x 4: a varying B is L x (G N)");
  CHECK(message([&] {
          mlprim::selective_scan(u, u, A, RowMatrix<double>::Ones(8, 16),
                                 RowMatrix<double>::Ones(8, 16));
        }) ==
        "mlprim::selective_scan: groups = 4 (B, C with 16 columns, N = 4) do not divide the 6 "
        "channels");
  mlprim::SelectiveScanOptions<double> o;
  const RowMatrix<double> z = RowMatrix<double>::Ones(7, 6);
  o.z = z;
  CHECK(message([&] { mlprim::selective_scan(u, u, A, B, B, o); }) ==
        "mlprim::selective_scan: z is 7 x 6, expected 8 x 6");
  mlprim::SelectiveScanOptions<double> v;
  v.cu_seqlens = {0, 5, 3, 8};
  CHECK(message([&] { mlprim::selective_scan(u, u, A, B, B, v); }) ==
        "mlprim::selective_scan: cu_seqlens[2] = 3 is less than cu_seqlens[1] = 5");
  CHECK(message([&] {
          mlprim::selective_scan_backward(u, u, A, B, B, RowMatrix<double>::Ones(8, 5));
        }) == "mlprim::selective_scan_backward: dout is 8 x 5, u is 8 x 6");
}
