// Token-by-token decoding (causal_conv1d_update, selective_state_update,
// MambaBlock::step) against the one-pass forms.
#include <mlprim/ssm.hpp>

#include <cmath>

#include "catch.hpp"
#include "matrix_checks.hpp"
#include "test_types.hpp"
#include "test_util.hpp"

using mlprim::Index;
using mlprim::RowMatrix;
using mlprim::Vector;
using mlprim::test::check_close;
using mlprim::test::random_matrix;

TEMPLATE_TEST_CASE("causal_conv1d is the truncated depthwise conv1d, and decodes step by step",
                   "[ssm]", MLPRIM_TEST_SCALARS) {
  using T = TestType;
  const double tol = 10 * mlprim::test::Tolerance<T>::relative;
  const Index L = 30, dm = 5, width = 4;
  const auto x = random_matrix<T>(L, dm, 1), w = random_matrix<T>(dm, width, 2);
  const Vector<T> bias = random_matrix<T>(dm, 1, 3);
  mlprim::CausalConv1dOptions<T> o;
  o.bias = bias;
  o.silu = true;
  const RowMatrix<T> out = mlprim::causal_conv1d(x, w, o);
  // conv1d(groups = dm, padding = W - 1), first L outputs: out_t = b + sum_k w_k x_{t-W+1+k}.
  for (Index t = 0; t < L; ++t)
    for (Index d = 0; d < dm; ++d) {
      double sum = double(bias(d));
      for (Index k = 0; k < width; ++k) {
        const Index s = t - width + 1 + k;
        if (s >= 0) sum += double(w(d, k)) * double(x(s, d));
      }
      const double want = sum / (1 + std::exp(-sum));
      CHECK(std::abs(double(out(t, d)) - want) <= tol * (1 + std::abs(want)));
    }
  RowMatrix<T> state = RowMatrix<T>::Zero(width - 1, dm);
  for (Index t = 0; t < L; ++t) {
    const Vector<T> step = mlprim::causal_conv1d_update<T>(state, x.row(t), w, o);
    CHECK(step.transpose() == out.row(t));
  }
  CHECK(state == x.bottomRows(width - 1));
  // The causal-conv1d package's argument order gives the same.
  CHECK(mlprim::causal_conv1d(x, w, mlprim::ConstRowView<T>(bias), true) == out);
  RowMatrix<T> state2 = RowMatrix<T>::Zero(width - 1, dm);
  CHECK(mlprim::causal_conv1d_update<T>(state2, x.row(0), w, bias, true).transpose() == out.row(0));
  RowMatrix<T> wrong = RowMatrix<T>::Zero(width, dm);
  CHECK(mlprim::test::exception_message<std::invalid_argument>([&] {
          mlprim::causal_conv1d_update<T>(wrong, x.row(0), w, o);
        }) == "mlprim::causal_conv1d_update: conv_state is 4 x 5, expected (W - 1) x Dm = 3 x 5");
}

TEST_CASE("selective_state_update token by token equals the one-pass scan", "[ssm]") {
  const Index L = 25, dm = 20, n = 4, batch = 2;
  const RowMatrix<double> A = -random_matrix<double>(dm, n, 1).cwiseAbs();
  const Vector<double> D = random_matrix<double>(dm, 1, 2), bias = random_matrix<double>(dm, 1, 3);
  std::vector<RowMatrix<double>> u, dt, B, C, z;
  for (Index b = 0; b < batch; ++b) {
    u.push_back(random_matrix<double>(L, dm, 10 + b));
    dt.push_back(random_matrix<double>(L, dm, 20 + b));
    B.push_back(random_matrix<double>(L, 2 * n, 30 + b));
    C.push_back(random_matrix<double>(L, 2 * n, 40 + b));
    z.push_back(random_matrix<double>(L, dm, 50 + b));
  }
  RowMatrix<double> state = RowMatrix<double>::Zero(batch * dm, n);
  std::vector<RowMatrix<double>> stepped(batch, RowMatrix<double>(L, dm));
  for (Index t = 0; t < L; ++t) {
    RowMatrix<double> ut(batch, dm), dtt(batch, dm), bt(batch, 2 * n), ct(batch, 2 * n),
        zt(batch, dm);
    for (Index b = 0; b < batch; ++b) {
      ut.row(b) = u[b].row(t);
      dtt.row(b) = dt[b].row(t);
      bt.row(b) = B[b].row(t);
      ct.row(b) = C[b].row(t);
      zt.row(b) = z[b].row(t);
    }
    mlprim::SelectiveStateUpdateOptions<double> o;
    o.D = D;
    o.z = zt;
    o.dt_bias = bias;
    o.dt_softplus = true;
    const RowMatrix<double> y =
        mlprim::selective_state_update<double>(state, ut, dtt, A, bt, ct, o);
    for (Index b = 0; b < batch; ++b) stepped[b].row(t) = y.row(b);
  }
  for (Index b = 0; b < batch; ++b) {
    mlprim::SelectiveScanOptions<double> o;
    o.D = D;
    o.z = z[b];
    o.delta_bias = bias;
    o.delta_softplus = true;
    o.return_last_state = true;
    const auto pass = mlprim::selective_scan(u[b], dt[b], A, B[b], C[b], o);
    CHECK(stepped[b] == pass.y);
    CHECK(state.middleRows(b * dm, dm) == pass.last_state);
  }
  RowMatrix<double> wrong(3, n);
  CHECK(mlprim::test::exception_message<std::invalid_argument>([&] {
          mlprim::selective_state_update<double>(wrong, u[0].topRows(1), dt[0].topRows(1), A,
                                                 B[0].topRows(1), C[0].topRows(1));
        }) == "mlprim::selective_state_update: state is 3 x 4, expected (batch Dm) x N = 20 x 4");
}

TEMPLATE_TEST_CASE("a MambaBlock decodes token by token what it computes in one pass", "[ssm]",
                   MLPRIM_TEST_SCALARS) {
  using T = TestType;
  mlprim::MambaParams p;
  p.d_model = 24;
  p.d_state = 8;
  p.bias = true;
  p.seed = 7;
  const mlprim::MambaBlock<T> block(p);
  const auto& w = block.weights();
  // Mamba's initialisation: A = -(1..N) in every row, D = 1, softplus(dt bias) in [dt_min, dt_max].
  CHECK(w.A_log.rows() == 48);
  for (Index k = 0; k < 8; ++k)
    CHECK(std::abs(double(w.A_log(5, k)) - std::log(double(k + 1))) < 1e-6);
  CHECK(w.D == Vector<T>::Ones(48));
  for (Index d = 0; d < 48; ++d) {
    const double dt = std::log1p(std::exp(double(w.dt_proj_bias(d))));
    CHECK(dt >= 1e-3 * (1 - 1e-5));
    CHECK(dt <= 0.1 * (1 + 1e-5));
  }
  CHECK(w.x_proj.rows() == 2 + 16);  // dt_rank = ceil(24 / 16) = 2
  const Index L = 40;
  const auto hidden = random_matrix<T>(L, 24, 9);
  const RowMatrix<T> pass = block.forward(hidden);
  auto state = block.initial_state();
  RowMatrix<T> stepped(L, 24);
  for (Index t = 0; t < L; ++t) stepped.row(t) = block.step(hidden.row(t).transpose(), state);
  check_close(stepped, pass.template cast<double>(), 10 * mlprim::test::Tolerance<T>::relative);
  // The same weights given explicitly give the same block.
  const mlprim::MambaBlock<T> copy(p, w);
  CHECK(copy.forward(hidden) == pass);
  auto bad = w;
  bad.D.resize(3);
  CHECK(mlprim::test::exception_message<std::invalid_argument>([&] {
          mlprim::MambaBlock<T>(p, bad);
        }) == "mlprim::MambaBlock: D is 3 x 1, expected 48 x 1");
}
