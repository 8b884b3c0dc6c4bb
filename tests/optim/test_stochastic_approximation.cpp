// Robbins-Monro, Kiefer-Wolfowitz and the incremental mean under seeded
// noise: convergence to the known root/minimum/mean, and the error falling at
// the rate the theory gives (measured as an RMS over independent runs).
#include <mlprim/optim.hpp>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "catch.hpp"

namespace {

constexpr int runs = 200;

/// RMS over `runs` seeded runs of run(seed, k) for each k in checkpoints.
template <class Run>
std::vector<double> rms_errors(Run&& run, const std::vector<std::int64_t>& checkpoints) {
  std::vector<double> sums(checkpoints.size(), 0.0);
  for (int r = 0; r < runs; ++r) {
    const std::vector<double> errors = run(static_cast<std::uint64_t>(r), checkpoints);
    for (std::size_t i = 0; i < sums.size(); ++i) sums[i] += errors[i] * errors[i];
  }
  for (double& s : sums) s = std::sqrt(s / runs);
  return sums;
}

}  // namespace

TEST_CASE("IncrementalMean is the running average and its error falls as 1/sqrt(k)",
          "[optim][stochastic]") {
  mlprim::Rng rng(1);
  mlprim::IncrementalMean<double> mean(3);
  Eigen::Vector3d sum = Eigen::Vector3d::Zero();
  for (int k = 0; k < 1000; ++k) {
    Eigen::Vector3d x;
    mlprim::fill_normal(x, rng);
    mean.add(x);
    sum += x;
  }
  CHECK((mean.mean() - sum / 1000).cwiseAbs().maxCoeff() < 1e-12);
  CHECK(mean.count() == 1000);

  const auto rms = rms_errors(
      [](std::uint64_t seed, const std::vector<std::int64_t>& at) {
        mlprim::Rng noise(seed);
        mlprim::IncrementalMean<double> m(1);
        std::vector<double> errors;
        for (std::int64_t k = 1; k <= at.back(); ++k) {
          m.add(Eigen::Matrix<double, 1, 1>(5.0 + noise.normal<double>()));
          if (k == at[errors.size()]) errors.push_back(m.mean()(0) - 5.0);
        }
        return errors;
      },
      {100, 10000});
  // sigma / sqrt(k): 0.1 and 0.01; the ratio is sqrt(100) = 10.
  CHECK(rms[0] == Approx(0.1).epsilon(0.15));
  CHECK(rms[1] == Approx(0.01).epsilon(0.15));
  CHECK(rms[0] / rms[1] == Approx(10.0).epsilon(0.2));

  mlprim::IncrementalMean<double> tracking(1, 0.1);
  for (int k = 0; k < 200; ++k) tracking.add(Eigen::Matrix<double, 1, 1>(k < 100 ? 1.0 : 3.0));
  CHECK(tracking.mean()(0) == Approx(3.0).epsilon(1e-4));  // follows the jump
}

TEST_CASE("Robbins-Monro finds the root with error falling as 1/sqrt(k)", "[optim][stochastic]") {
  // g(w) = 2 (w - 3) + noise, so w* = 3; with a = 1 > 1/(2 * 2) the RMS
  // error is sigma a / sqrt((2 * 2 a - 1) k) = 1 / sqrt(3 k).
  const auto rms = rms_errors(
      [](std::uint64_t seed, const std::vector<std::int64_t>& at) {
        mlprim::Rng noise(seed);
        mlprim::RobbinsMonro<double> rm;
        Eigen::Matrix<double, 1, 1> w(0.0);
        std::vector<double> errors;
        for (std::int64_t k = 1; k <= at.back(); ++k) {
          rm.step(w, Eigen::Matrix<double, 1, 1>(2 * (w(0) - 3) + noise.normal<double>()));
          if (k == at[errors.size()]) errors.push_back(w(0) - 3);
        }
        return errors;
      },
      {100, 10000});
  CHECK(rms[0] == Approx(1 / std::sqrt(300.0)).epsilon(0.2));
  CHECK(rms[1] == Approx(1 / std::sqrt(30000.0)).epsilon(0.2));
  CHECK(rms[0] / rms[1] == Approx(10.0).epsilon(0.25));
}

TEST_CASE("Kiefer-Wolfowitz minimises from noisy values, error falling as k^(-1/3)",
          "[optim][stochastic]") {
  // f(w) = (w - 2)^2 + noise; central differences with c_k = k^(-1/6).
  const auto rms = rms_errors(
      [](std::uint64_t seed, const std::vector<std::int64_t>& at) {
        mlprim::Rng noise(seed);
        mlprim::KieferWolfowitzOptions o;
        o.a = 0.5;
        mlprim::KieferWolfowitz<double> kw(o);
        Eigen::Matrix<double, 1, 1> w(0.0);
        auto value = [&](const Eigen::Matrix<double, 1, 1>& v) {
          return (v(0) - 2) * (v(0) - 2) + 0.1 * noise.normal<double>();
        };
        std::vector<double> errors;
        for (std::int64_t k = 1; k <= at.back(); ++k) {
          kw.step(w, value);
          if (k == at[errors.size()]) errors.push_back(w(0) - 2);
        }
        return errors;
      },
      {100, 10000});
  CHECK(rms[1] < 0.01);
  // 100^(1/3) = 4.64
  CHECK(rms[0] / rms[1] == Approx(std::cbrt(100.0)).epsilon(0.3));
}

TEST_CASE("stochastic approximation rejects gains outside the theory", "[optim][stochastic]") {
  mlprim::RobbinsMonroOptions rm;
  rm.alpha = 0.5;
  CHECK_THROWS_WITH(mlprim::RobbinsMonro<double>(rm),
                    "mlprim::RobbinsMonro: alpha = 0.5 must be in (0.5, 1] (the gains must sum to "
                    "infinity, their squares must not)");
  rm = {};
  rm.a = 0;
  CHECK_THROWS_AS(mlprim::RobbinsMonro<double>(rm), std::invalid_argument);
  mlprim::KieferWolfowitzOptions kw;
  kw.gamma = 0.6;
  CHECK_THROWS_AS(mlprim::KieferWolfowitz<double>(kw), std::invalid_argument);
  CHECK_THROWS_AS(mlprim::IncrementalMean<double>(2, 1.5), std::invalid_argument);
  // Regression: Zero(-1) ran before the check (an Eigen assertion without NDEBUG).
  CHECK_THROWS_WITH(mlprim::IncrementalMean<double>(-1),
                    "mlprim::IncrementalMean: dimension = -1 must be non-negative");
  rm = {};
  rm.a = std::numeric_limits<double>::infinity();
  CHECK_THROWS_WITH(mlprim::RobbinsMonro<double>(rm),
                    "mlprim::RobbinsMonro: a = inf must be finite");
  kw = {};
  kw.c = std::numeric_limits<double>::infinity();
  CHECK_THROWS_AS(mlprim::KieferWolfowitz<double>(kw), std::invalid_argument);
  mlprim::IncrementalMean<double> m(2);
  CHECK_THROWS_AS(m.add(Eigen::VectorXd::Zero(3)), std::invalid_argument);
  mlprim::RobbinsMonro<double> ok;
  Eigen::VectorXd w = Eigen::VectorXd::Zero(2);
  CHECK_THROWS_WITH(ok.step(w, Eigen::VectorXd::Zero(3)),
                    "mlprim::RobbinsMonro::step: observation shape 3 x 1 does not match w shape "
                    "2 x 1");
}
