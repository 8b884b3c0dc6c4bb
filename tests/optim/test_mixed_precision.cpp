// GradScaler and MasterWeights: PyTorch's scaler state machine, and a small
// fp16 model that trains with them where plain fp16 stalls or overflows.
#include <mlprim/optim.hpp>

#include <Eigen/QR>

#include <cmath>
#include <limits>
#include <stdexcept>

#include "catch.hpp"
#include "test_util.hpp"

namespace {

using Half = Eigen::half;
using HalfMatrix = Eigen::Matrix<Half, Eigen::Dynamic, Eigen::Dynamic>;
using HalfVector = Eigen::Matrix<Half, Eigen::Dynamic, 1>;

/// Least squares in fp16 with a loss weight of 1e-3 (a small auxiliary loss):
/// L(w) = 1e-3 * mean((X w - y)^2). Its backward pass, computed in fp16 as a
/// framework would, has per-sample gradients of order 1e-7: below fp16's
/// normal range unless the loss is scaled.
struct HalfRegression {
  static constexpr int n = 4096, d = 4;
  static constexpr double loss_weight = 1e-3;
  HalfMatrix X;
  HalfVector y;
  Eigen::VectorXd solution;  ///< exact least squares on the fp16 data, in double

  HalfRegression() {
    mlprim::Rng rng(3);
    Eigen::MatrixXf x(n, d);
    mlprim::fill_normal(x, rng);
    Eigen::VectorXf w_true(d);
    w_true << 0.7f, -0.3f, 0.45f, 0.9f;
    X = x.cast<Half>();
    y = (X.cast<float>() * w_true).cast<Half>();
    solution = X.cast<double>().colPivHouseholderQr().solve(y.cast<double>());
  }

  /// dL/dw in fp16 with the loss multiplied by `scale` before the backward pass.
  HalfVector backward(const HalfVector& w, double scale) const {
    const HalfVector residual = X * w - y;
    const HalfVector d_residual = residual * Half(static_cast<float>(2 * loss_weight / n * scale));
    return X.transpose() * d_residual;
  }

  double error(const HalfVector& w) const { return (w.cast<double>() - solution).norm(); }
};

constexpr double lr = 100.0;  // the loss weight's 1e-3 makes this an ordinary step
constexpr int steps = 150;

/// Trains with fp32 master weights and a GradScaler; returns the final error.
double train_mixed(const HalfRegression& problem, double init_scale, std::int64_t* skipped) {
  HalfVector w = HalfVector::Zero(HalfRegression::d), grad = HalfVector::Zero(HalfRegression::d);
  mlprim::MasterWeights<Half> master;
  master.add(w, grad);
  mlprim::SGDOptions o;
  o.lr = lr;
  mlprim::SGD<float> optimizer(o);
  master.register_with(optimizer);
  mlprim::GradScalerOptions so;
  so.init_scale = init_scale;
  so.growth_interval = 50;
  mlprim::GradScaler<float> scaler(so);
  for (int t = 0; t < steps; ++t) {
    grad = problem.backward(w, scaler.get_scale());
    master.load_gradients();
    scaler.step(optimizer);
    scaler.update();
    master.store_parameters();
  }
  *skipped = scaler.skipped_steps();
  CHECK(w == master.master(0).cast<Half>());  // stored copies are the rounded masters
  return problem.error(w);
}

}  // namespace

TEST_CASE("fp16 training converges with GradScaler and master weights, not without",
          "[optim][mixed_precision]") {
  const HalfRegression problem;
  const double start = problem.error(HalfVector::Zero(HalfRegression::d));

  // Plain fp16: gradients underflow and small updates round away; it stalls.
  HalfVector w = HalfVector::Zero(HalfRegression::d);
  for (int t = 0; t < steps; ++t) w = w - problem.backward(w, 1.0) * Half(static_cast<float>(lr));
  const double plain = problem.error(w);

  // Plain fp16 with a fixed large loss scale: the gradients overflow to inf.
  HalfVector w_fixed = HalfVector::Zero(HalfRegression::d);
  const double fixed_scale = std::ldexp(1.0, 30);
  for (int t = 0; t < 5; ++t)
    w_fixed = w_fixed -
              problem.backward(w_fixed, fixed_scale) * Half(static_cast<float>(lr / fixed_scale));
  CHECK_FALSE(w_fixed.cast<float>().allFinite());

  std::int64_t skipped = 0;
  const double mixed = train_mixed(problem, 65536.0, &skipped);
  std::int64_t skipped_from_huge = 0;
  const double from_huge_scale = train_mixed(problem, std::ldexp(1.0, 30), &skipped_from_huge);

  INFO("start " << start << ", plain fp16 " << plain << ", mixed " << mixed << ", mixed from 2^30 "
                << from_huge_scale);
  CHECK(plain > 1e-2);  // stalled far from the solution
  CHECK(mixed < 1e-3);  // within fp16 rounding of the weights
  CHECK(mixed * 20 < plain);
  CHECK(skipped == 0);
  CHECK(skipped_from_huge > 0);   // overflowing steps were skipped ...
  CHECK(from_huge_scale < 1e-3);  // ... the scale backed off, and training still converged
}

TEST_CASE("GradScaler grows, backs off and skips as PyTorch's", "[optim][mixed_precision]") {
  Eigen::VectorXf p = Eigen::VectorXf::Zero(2), g(2);
  mlprim::SGDOptions o;
  o.lr = 1.0;
  mlprim::SGD<float> opt(o);
  opt.add_param(p, g);
  mlprim::GradScalerOptions so;
  so.growth_interval = 3;
  mlprim::GradScaler<float> scaler(so);
  CHECK(scaler.get_scale() == 65536.0);
  CHECK(scaler.scale(2.0f) == 131072.0f);

  for (int t = 0; t < 3; ++t) {
    g.setConstant(static_cast<float>(scaler.get_scale()));  // unscales to 1
    CHECK(scaler.step(opt));
    scaler.update();
  }
  CHECK(p(0) == -3.0f);
  CHECK(scaler.get_scale() == 131072.0);  // grew after 3 clean steps

  g << 1.0f, std::numeric_limits<float>::infinity();
  CHECK(scaler.unscale(opt));
  CHECK_FALSE(scaler.step(opt));  // skipped
  CHECK(p(0) == -3.0f);
  CHECK(scaler.skipped_steps() == 1);
  scaler.update();
  CHECK(scaler.get_scale() == 65536.0);  // backed off

  g.setConstant(1.0f);
  scaler.unscale(opt);
  CHECK_THROWS_WITH(scaler.unscale(opt),
                    "mlprim::GradScaler::unscale: unscale() was already called on this optimizer "
                    "since the last update()");
  scaler.step(opt);
  CHECK_THROWS_AS(scaler.step(opt), std::invalid_argument);
  scaler.update();

  mlprim::GradScalerOptions off;
  off.enabled = false;
  mlprim::GradScaler<float> disabled(off);
  CHECK(disabled.scale(3.0f) == 3.0f);
  CHECK(disabled.get_scale() == 1.0);
  g.setConstant(1.0f);
  CHECK(disabled.step(opt));

  mlprim::GradScalerOptions bad;
  bad.backoff_factor = 1.5;
  CHECK_THROWS_WITH(mlprim::GradScaler<float>(bad),
                    "mlprim::GradScaler: backoff_factor = 1.5 must be in (0, 1)");
  bad = {};
  bad.growth_interval = 0;
  CHECK_THROWS_AS(mlprim::GradScaler<float>(bad), std::invalid_argument);
}

TEST_CASE("MasterWeights keeps exact float copies and rounds on the way back",
          "[optim][mixed_precision]") {
  Eigen::Matrix<Eigen::bfloat16, Eigen::Dynamic, 1> w(3), g(3);
  w << Eigen::bfloat16(1.0f), Eigen::bfloat16(-2.5f), Eigen::bfloat16(0.125f);
  g.setZero();
  mlprim::MasterWeights<Eigen::bfloat16> master;
  master.add(w, g);
  CHECK(master.master(0) == Eigen::Vector3f(1.0f, -2.5f, 0.125f));
  mlprim::SGDOptions o;
  o.lr = 1e-3;
  mlprim::SGD<float> opt(o);
  master.register_with(opt);
  g.setConstant(Eigen::bfloat16(1.0f));
  for (int t = 0; t < 10; ++t) {
    master.load_gradients();
    opt.step();
    master.store_parameters();
  }
  // 10 updates of 1e-3 accumulate in the float master; bf16 alone would lose them.
  CHECK(master.master(0)(0) == Approx(0.99f).epsilon(1e-6));
  CHECK(static_cast<float>(w(0)) == static_cast<float>(Eigen::bfloat16(master.master(0)(0))));
  Eigen::Matrix<Eigen::bfloat16, Eigen::Dynamic, 1> wrong(2);
  CHECK_THROWS_AS(master.add(w, wrong), std::invalid_argument);
}

TEST_CASE("GradScaler rejects scales a float cannot hold and never reaches 0",
          "[optim][mixed_precision]") {
  auto message = [](auto&& fn) {
    return mlprim::test::exception_message<std::invalid_argument>(fn);
  };
  // Regression: 1e39 became inf (every gradient unscaled to 0) and 1e-50
  // became 0 (finite gradients unscaled to inf after the check: NaN weights).
  for (const double scale : {1e39, 1e-50, 0.0, -1.0, std::numeric_limits<double>::infinity()}) {
    mlprim::GradScalerOptions o;
    o.init_scale = scale;
    INFO("init_scale = " << scale);
    CHECK(message([&] {
            mlprim::GradScaler<float> s(o);
          }).find("mlprim::GradScaler: init_scale = ") == 0);
  }
  // Regression: ~166 consecutive overflows took the scale to 0.
  Eigen::VectorXf p = Eigen::VectorXf::Ones(2), g(2);
  mlprim::SGD<float> opt;
  opt.add_param(p, g);
  mlprim::GradScaler<float> scaler;
  for (int t = 0; t < 300; ++t) {
    g.setConstant(std::numeric_limits<float>::infinity());
    CHECK_FALSE(scaler.step(opt));
    scaler.update();
  }
  CHECK(scaler.get_scale() == static_cast<double>(mlprim::GradScaler<float>::min_scale));
  CHECK(scaler.get_scale() > 0);
  g.setConstant(1e-30f);  // a finite gradient now unscales to a finite one and steps
  CHECK(scaler.step(opt));
  CHECK(p.allFinite());
}

TEST_CASE("MasterWeights names a bad index in its own words", "[optim][mixed_precision]") {
  // Regression: std::out_of_range with libstdc++'s text.
  mlprim::MasterWeights<Eigen::half> master;
  CHECK(mlprim::test::exception_message<std::invalid_argument>([&] { master.master(99); }) ==
        "mlprim::MasterWeights::master: i = 99 must be in [0, 0)");
}
