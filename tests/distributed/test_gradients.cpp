// allreduce_gradients and broadcast_parameters: N ranks with local batches
// take the steps one process takes on the union batch (the reference is
// computed on every rank, in one process's arithmetic).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include <mlprim/core/random.hpp>
#include <mlprim/optim.hpp>

#include "catch.hpp"
#include "world.hpp"

namespace {

using mlprim::Index;
using mlprim::test::world;
using Eigen::VectorXd;

constexpr Index kDim = 7, kRowsPerRank = 6;

/// Step t's rows of rank r (rows x kDim) and targets: the same on every rank
/// that regenerates them.
void batch(int r, int t, Eigen::MatrixXd& X, VectorXd& y) {
  mlprim::Rng rng = mlprim::Rng::stream(77, static_cast<std::uint64_t>(t) * 1000 + static_cast<std::uint64_t>(r));
  X.resize(kRowsPerRank, kDim);
  y.resize(kRowsPerRank);
  for (Index i = 0; i < kRowsPerRank; ++i) {
    for (Index j = 0; j < kDim; ++j) X(i, j) = rng.normal<double>();
    y[i] = X(i, 0) - 2 * X(i, 3) + 0.5 + 0.1 * rng.normal<double>();
  }
}

/// Gradient of the mean squared error 1/(2m) |X w - y|^2 (w's last entry: bias).
VectorXd mse_gradient(const Eigen::MatrixXd& X, const VectorXd& y, const VectorXd& w, const double& b,
                      double* db) {
  const VectorXd r = X * w + VectorXd::Constant(X.rows(), b) - y;
  *db = r.mean();
  return X.transpose() * r / static_cast<double>(X.rows());
}

}  // namespace

/// 100 steps of `Opt` (made by make()) on N ranks with averaged local
/// gradients, and on one process with the union batch; returns the largest
/// difference of the weights, and checks that every rank holds the same bits.
template <class Make>
double trajectory_gap(Make&& make) {
  auto& comm = world();
  const int P = comm.size(), me = comm.rank();
  // Random weights and bias from seed 5 + `rank`.
  auto start = [](int rank, VectorXd& w, VectorXd& b) {
    mlprim::Rng init(5 + static_cast<std::uint64_t>(rank));
    w = VectorXd::NullaryExpr(kDim, [&] { return init.normal<double>(); });
    b = VectorXd::Constant(1, init.normal<double>());
  };
  // Distributed: every rank starts from its own random weights; rank 0's win.
  VectorXd w, b, dw(kDim), db(1);
  start(me, w, b);
  auto opt = make();
  opt.add_param(w, dw);
  opt.add_param(b, db);
  mlprim::broadcast_parameters(opt, comm);
  // The reference: rank 0's start, every step on all P ranks' rows at once.
  VectorXd rw, rb, rdw(kDim), rdb(1);
  start(0, rw, rb);
  auto ref = make();
  ref.add_param(rw, rdw);
  ref.add_param(rb, rdb);
  CHECK(w == rw);
  CHECK(b == rb);
  Eigen::MatrixXd X, all_X(P * kRowsPerRank, kDim);
  VectorXd y, all_y(P * kRowsPerRank);
  for (int t = 0; t < 100; ++t) {
    batch(me, t, X, y);
    dw = mse_gradient(X, y, w, b[0], &db[0]);
    mlprim::allreduce_gradients(opt, comm);
    opt.step();
    for (int r = 0; r < P; ++r) {
      batch(r, t, X, y);
      all_X.middleRows(r * kRowsPerRank, kRowsPerRank) = X;
      all_y.segment(r * kRowsPerRank, kRowsPerRank) = y;
    }
    rdw = mse_gradient(all_X, all_y, rw, rb[0], &rdb[0]);
    ref.step();
  }
  // The fit moved: the weights approach (1, 0, 0, -2, 0, 0, 0), bias 0.5.
  CHECK(std::abs(w[3] + 2) < 1.0);
  const auto blocks = comm.all_gather(w.data(), sizeof(double) * kDim);
  bool same = true;
  for (const auto& blk : blocks) same = same && blk == blocks[0];
  CHECK(same);
  return std::max((w - rw).cwiseAbs().maxCoeff(), std::abs(b[0] - rb[0]));
}

TEST_CASE("Averaged gradients: 100 steps of N ranks equal one process on the union batch") {
  // The two differ only in where the mean's roundings fall (the mean of
  // equal-sized means against one mean): ~1e-16 per step; neither SGD with
  // momentum (which a wrong scale of the gradients would move) nor Adam
  // amplifies that over 100 steps.
  CHECK(trajectory_gap([] { return mlprim::SGD<double>({/*lr=*/0.05, /*momentum=*/0.9}); }) <= 1e-12);
  CHECK(trajectory_gap([] { return mlprim::Adam<double>({/*lr=*/0.05}); }) <= 1e-12);
}

TEST_CASE("Buckets of any size give the same sums; average = false keeps sums") {
  auto& comm = world();
  const int P = comm.size(), me = comm.rank();
  // Integer-valued gradients: every order of addition gives the same bits.
  std::vector<Index> sizes = {1, 9, 4, 30, 2};
  std::vector<VectorXd> params, grads;
  for (Index s : sizes) {
    params.emplace_back(VectorXd::Zero(s));
    grads.emplace_back(s);
  }
  mlprim::SGD<double> opt;
  for (std::size_t i = 0; i < sizes.size(); ++i) opt.add_param(params[i], grads[i]);
  for (std::size_t bucket : {sizeof(double), 3 * sizeof(double), 40 * sizeof(double), std::size_t{25} << 20})
    for (bool average : {false, true}) {
      for (std::size_t i = 0; i < sizes.size(); ++i)
        for (Index j = 0; j < sizes[i]; ++j) grads[i][j] = static_cast<double>((me + 1) * (j + 1) + static_cast<Index>(i));
      mlprim::allreduce_gradients(opt, comm, {average, bucket});
      bool ok = true;
      for (std::size_t i = 0; i < sizes.size(); ++i)
        for (Index j = 0; j < sizes[i]; ++j) {
          const double sum = (P * (P + 1) / 2.0) * static_cast<double>(j + 1) + P * static_cast<double>(i);
          ok = ok && grads[i][j] == (average ? sum * (1.0 / P) : sum);
        }
      CHECK(ok);
    }
}

TEST_CASE("allreduce_gradients refuses layouts and options that differ between ranks") {
  auto& comm = world();
  const int me = comm.rank();
  VectorXd w = VectorXd::Zero(4), dw = VectorXd::Zero(4);
  VectorXd v = VectorXd::Zero(3), dv = VectorXd::Zero(3);
  mlprim::SGD<double> opt;
  opt.add_param(w, dw);
  if (me == comm.size() - 1 && comm.size() > 1) opt.add_param(v, dv);  // one rank has more
  if (comm.size() > 1) {
    CHECK_THROWS_WITH(mlprim::allreduce_gradients(opt, comm),
                      Catch::Contains("allreduce_gradients") && Catch::Contains("differ between ranks"));
    CHECK_THROWS_AS(mlprim::broadcast_parameters(opt, comm), std::invalid_argument);
  }
  mlprim::SGD<double> same;
  same.add_param(w, dw);
  mlprim::AllreduceOptions o;
  o.average = me != 0 || comm.size() == 1;  // rank 0 alone asks for sums
  if (comm.size() > 1) CHECK_THROWS_AS(mlprim::allreduce_gradients(same, comm, o), std::invalid_argument);
  o.average = true;
  o.bucket_bytes = 4;  // holds no double: every rank throws alike
  CHECK_THROWS_WITH(mlprim::allreduce_gradients(same, comm, o), Catch::Contains("bucket_bytes = 4"));
  CHECK_THROWS_WITH(mlprim::broadcast_parameters(same, comm, comm.size()), Catch::Contains("root = "));
}
