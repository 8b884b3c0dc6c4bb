// LR schedules against torch.optim.lr_scheduler (PyTorch 1.13) over 1000
// steps, from tests/data/optim/make_schedules.py.
#include <mlprim/optim.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "catch.hpp"
#include "reference_data.hpp"
#include "test_util.hpp"

namespace {

const mlprim::test::ReferenceData& schedules() {
  static const auto data = mlprim::test::read_reference_data("optim/schedules.txt");
  return data;
}

constexpr double base_lr = 0.1;

/// Largest relative difference between schedule.lr(t, 0.1) and PyTorch's lr
/// after t scheduler steps, over all t in the reference.
template <class Schedule>
double worst_lr_error(const std::string& name, const Schedule& schedule) {
  const auto& reference = schedules().at(name);
  double worst = 0;
  for (mlprim::Index t = 0; t < reference.rows(); ++t) {
    const double expected = reference(t, 0);
    const double got = schedule.lr(static_cast<std::int64_t>(t), base_lr);
    worst = std::max(worst, std::abs(got - expected) / std::max(std::abs(expected), 1e-300));
  }
  return worst;
}

}  // namespace

TEST_CASE("closed-form schedules match PyTorch's over 1000 steps", "[optim][schedule]") {
  CHECK(worst_lr_error("step", mlprim::StepLR{30, 0.5}) <= 1e-12);
  CHECK(worst_lr_error("multistep", mlprim::MultiStepLR{{100, 250, 600}, 0.3}) <= 1e-12);
  CHECK(worst_lr_error("exponential", mlprim::ExponentialLR{0.995}) <= 1e-12);
  CHECK(worst_lr_error("cosine", mlprim::CosineAnnealingLR{300, 0.001}) <= 1e-12);
  CHECK(worst_lr_error("warm_restarts", mlprim::CosineAnnealingWarmRestarts{50, 2, 0.001}) <=
        1e-12);
  CHECK(worst_lr_error("warm_restarts_constant", mlprim::CosineAnnealingWarmRestarts{70}) <= 1e-12);
  CHECK(worst_lr_error("linear", mlprim::LinearLR{0.1, 1.0, 100}) <= 1e-12);
  CHECK(worst_lr_error("linear_default", mlprim::LinearLR{}) <= 1e-12);
}

TEST_CASE("OneCycleLR matches PyTorch's lr and momentum, cos and linear", "[optim][schedule]") {
  mlprim::OneCycleLR cos_cycle;
  cos_cycle.max_lr = 1.0;
  cos_cycle.total_steps = 1000;
  mlprim::OneCycleLR linear_cycle;
  linear_cycle.max_lr = 0.5;
  linear_cycle.total_steps = 1000;
  linear_cycle.pct_start = 0.25;
  linear_cycle.anneal_strategy = mlprim::OneCycleLR::Anneal::linear;
  linear_cycle.three_phase = true;
  linear_cycle.div_factor = 10.0;
  linear_cycle.final_div_factor = 100.0;
  for (const auto& [name, schedule] :
       {std::pair{std::string("onecycle_cos"), cos_cycle},
        std::pair{std::string("onecycle_linear_three_phase"), linear_cycle}}) {
    INFO(name);
    CHECK(worst_lr_error(name, schedule) <= 1e-12);
    const auto& reference = schedules().at(name);
    double worst = 0;
    for (mlprim::Index t = 0; t < reference.rows(); ++t)
      worst = std::max(worst, std::abs(schedule.momentum(t) - reference(t, 1)) / reference(t, 1));
    CHECK(worst <= 1e-12);
  }
}

TEST_CASE("sequential warmup then cosine matches SequentialLR", "[optim][schedule]") {
  const auto schedule = mlprim::sequential({100}, mlprim::LinearLR{0.01, 1.0, 100},
                                           mlprim::CosineAnnealingLR{900, 0.0});
  CHECK(worst_lr_error("sequential", schedule) <= 1e-12);
}

TEST_CASE("lr(step) uses the schedule's own base_lr", "[optim][schedule]") {
  mlprim::CosineAnnealingLR cosine{300, 0.001};
  cosine.base_lr = base_lr;
  CHECK(cosine.lr(123) == cosine.lr(123, base_lr));
  CHECK(worst_lr_error("exponential", mlprim::ExponentialLR{0.995, base_lr}) <= 1e-12);
  mlprim::LinearLR warmup{0.01, 1.0, 100, base_lr};
  mlprim::CosineAnnealingLR decay{900, 0.0, base_lr};
  const auto chained = mlprim::sequential({100}, warmup, decay);
  const auto& reference = schedules().at("sequential");
  for (std::int64_t t : {0, 50, 99, 100, 101, 500, 999})
    CHECK(chained.lr(t) == Approx(reference(t, 0)).epsilon(1e-12));
  CHECK(mlprim::StepLR{10}.lr(25) == Approx(0.01).epsilon(1e-15));  // base_lr 1 by default
}

TEST_CASE("apply sets every group from its initial lr, and OneCycle also cycles momentum",
          "[optim][schedule]") {
  Eigen::VectorXd p = Eigen::VectorXd::Zero(2), g = Eigen::VectorXd::Zero(2);
  Eigen::VectorXd q = Eigen::VectorXd::Zero(2), gq = Eigen::VectorXd::Zero(2);
  mlprim::SGDOptions o;
  o.lr = 0.1;
  o.momentum = 0.9;
  mlprim::SGD<double> sgd(o);
  auto other = o;
  other.lr = 1.0;
  const auto group = sgd.add_group(other);
  sgd.add_param(p, g);
  sgd.add_param(q, gq, group);
  const mlprim::StepLR step{10, 0.5};
  step.apply(sgd, 25);
  CHECK(sgd.lr(0) == 0.1 * 0.25);
  CHECK(sgd.lr(group) == 1.0 * 0.25);
  CHECK(sgd.initial_lr(group) == 1.0);

  mlprim::OneCycleLR cycle;
  cycle.max_lr = 1.0;
  cycle.total_steps = 100;
  cycle.apply(sgd, 10);
  CHECK(sgd.lr(1) == cycle.lr(10));
  CHECK(sgd.options(1).momentum == cycle.momentum(10));

  mlprim::Adam<double> adam;
  adam.add_param(p, g);
  cycle.apply(adam, 50);
  CHECK(adam.options().betas[0] == cycle.momentum(50));
  CHECK(adam.options().betas[1] == 0.999);
}

TEST_CASE("schedules reject nonsense", "[optim][schedule]") {
  CHECK_THROWS_WITH((mlprim::StepLR{0, 0.5}.lr(3, 0.1)),
                    "mlprim::StepLR::lr: step_size = 0 must be positive");
  CHECK_THROWS_WITH(mlprim::ExponentialLR{0.9}.lr(-1, 0.1),
                    "mlprim::ExponentialLR::lr: step = -1 must be non-negative");
  CHECK_THROWS_AS((mlprim::CosineAnnealingWarmRestarts{10, 0}.lr(1, 0.1)), std::invalid_argument);
  CHECK_THROWS_AS((mlprim::LinearLR{0.0, 1.0, 5}.lr(1, 0.1)), std::invalid_argument);
  CHECK_THROWS_AS((mlprim::MultiStepLR{{30, 10}, 0.1}.lr(1, 0.1)), std::invalid_argument);
  mlprim::OneCycleLR cycle;
  cycle.total_steps = 100;
  CHECK_THROWS_WITH(cycle.lr(101), "mlprim::OneCycleLR::lr: step = 101 exceeds total_steps (100)");
  CHECK_THROWS_WITH((mlprim::sequential({0}, mlprim::LinearLR{}, mlprim::ExponentialLR{0.9})),
                    "mlprim::sequential: milestones[0] = 0 must be positive and above the "
                    "previous milestone");
  CHECK_THROWS_AS((mlprim::sequential({10, 20}, mlprim::LinearLR{}, mlprim::ExponentialLR{0.9})),
                  std::invalid_argument);
}

TEST_CASE("warm restarts with huge periods or steps do not overflow", "[optim][schedule]") {
  // Regression: t_i *= T_mult overflowed for a large T_mult or step.
  const mlprim::CosineAnnealingWarmRestarts sgdr{1, std::int64_t{1} << 40, 0.0, 1.0};
  const std::int64_t step = std::int64_t{1} << 62;
  // Periods 1, 2^40, 2^80: the step falls in the third, at step - 1 - 2^40.
  const long double t_cur = std::ldexp(1.0L, 62) - 1 - std::ldexp(1.0L, 40);
  const long double pi = 3.141592653589793238462643383279502884L;
  const double want = static_cast<double>((1 + std::cos(pi * t_cur / std::ldexp(1.0L, 80))) / 2);
  CHECK(sgdr.lr(step) == Approx(want).epsilon(1e-12));
  const mlprim::CosineAnnealingWarmRestarts doubling{3, 2};
  for (const std::int64_t s :
       {std::int64_t{0}, std::int64_t{1} << 40, std::numeric_limits<std::int64_t>::max()}) {
    const double lr = doubling.lr(s);
    CHECK(lr >= 0.0);
    CHECK(lr <= 1.0);
  }
  // Periods 3, 6, 12: step 10 is 1 step into the third.
  CHECK(doubling.lr(10) == Approx((1 + std::cos(3.141592653589793 * 1 / 12)) / 2));
}

TEST_CASE("OneCycleLR with a phase of no length stays finite", "[optim][schedule]") {
  // Regression: pct_start = 1 gave 0/0 = NaN at the last step.
  mlprim::OneCycleLR cycle;
  cycle.total_steps = 100;
  cycle.max_lr = 0.1;
  for (const double pct : {0.0, 1.0}) {
    cycle.pct_start = pct;
    for (std::int64_t t = 0; t <= 100; ++t) {
      INFO("pct_start = " << pct << ", step " << t);
      CHECK(std::isfinite(cycle.lr(t)));
      CHECK(std::isfinite(cycle.momentum(t)));
    }
  }
  cycle.pct_start = 1.0;
  CHECK(cycle.lr(99) == Approx(0.1));              // the top, reached at the last step
  CHECK(cycle.lr(100) == Approx(0.1 / 25 / 1e4));  // the empty second phase: done
}

TEST_CASE("schedules reject non-finite factors", "[optim][schedule]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  // Regression: StepLR with gamma = NaN was accepted.
  CHECK_THROWS_WITH((mlprim::StepLR{10, nan}.lr(3, 0.1)),
                    "mlprim::StepLR::lr: gamma = nan must be finite");
  CHECK_THROWS_AS((mlprim::ExponentialLR{std::numeric_limits<double>::infinity()}.lr(3, 0.1)),
                  std::invalid_argument);
  CHECK_THROWS_AS((mlprim::MultiStepLR{{10}, nan}.lr(3, 0.1)), std::invalid_argument);
  mlprim::OneCycleLR cycle;
  cycle.max_lr = std::numeric_limits<double>::infinity();
  CHECK_THROWS_AS(cycle.lr(0), std::invalid_argument);
}
