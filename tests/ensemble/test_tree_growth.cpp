// Binning, split evaluation and tree growth against hand-computed numbers;
// histogram subtraction against direct histograms; thread-count invariance.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include <mlprim/core/random.hpp>
#include <mlprim/ensemble.hpp>

#include "catch.hpp"

namespace {

using mlprim::GBParams;
using mlprim::GradientBoosting;
using mlprim::Index;
using mlprim::RowMatrix;
using mlprim::Vector;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// One-round, eta-1, base-0 squared-error parameters: the tree's leaves are
/// then the Newton weights themselves.
GBParams one_newton_step(int depth) {
  GBParams p;
  p.n_estimators = 1;
  p.learning_rate = 1;
  p.base_score = 0.0;
  p.max_depth = depth;
  return p;
}

}  // namespace

TEST_CASE("make_cuts: distinct values are their own bins, XGBoost's end bounds", "[ensemble]") {
  RowMatrix<double> X(6, 2);
  X << 3, 1, 1, 1, 2, kNaN, 3, 1, 4, 1, kNaN, 1;
  const mlprim::HistogramCuts cuts = mlprim::make_cuts<double>(X, 256);
  REQUIRE(cuts.num_bins(0) == 4);
  CHECK(cuts.values[0] == 2.0f);
  CHECK(cuts.values[1] == 3.0f);
  CHECK(cuts.values[2] == 4.0f);
  CHECK(cuts.values[3] == 4.0f + (4.0f + 1e-5f));
  CHECK(cuts.min_values[0] == 1.0f - (1.0f + 1e-5f));
  CHECK(cuts.bin_of(0, 1.0f) == 0);
  CHECK(cuts.bin_of(0, 2.5f) == 1);
  CHECK(cuts.bin_of(0, 4.0f) == 3);
  // A constant feature has one bin: nothing to split but missingness.
  CHECK(cuts.num_bins(1) == 1);
}

TEST_CASE("make_cuts: more distinct values than bins gives equal-weight quantiles", "[ensemble]") {
  const Index n = 10000;
  RowMatrix<double> X(n, 1);
  for (Index i = 0; i < n; ++i) X(i, 0) = static_cast<double>((i * 7919) % n);  // 0..n-1 shuffled
  const mlprim::HistogramCuts cuts = mlprim::make_cuts<double>(X, 16);
  REQUIRE(cuts.num_bins(0) == 16);
  std::vector<int> count(16, 0);
  for (Index i = 0; i < n; ++i)
    ++count[static_cast<std::size_t>(cuts.bin_of(0, static_cast<float>(X(i, 0))))];
  for (int c : count) CHECK(std::abs(c - static_cast<int>(n / 16)) <= 1);
  // Weighted: rows of the upper half weigh 3, so the lower half gets a quarter of the bins.
  Vector<double> w(n);
  for (Index i = 0; i < n; ++i) w[i] = X(i, 0) < n / 2 ? 1.0 : 3.0;
  const mlprim::HistogramCuts weighted = mlprim::make_cuts<double>(X, 16, w);
  int below_half = 0;
  for (int b = 0; b < weighted.num_bins(0); ++b)
    below_half += weighted.values[static_cast<std::size_t>(b)] <= n / 2;
  CHECK(below_half == 4);
}

TEST_CASE("GradientBoosting: a stump's split, gain and weights by hand", "[ensemble]") {
  // g = -y, h = 1, lambda = 1. Root gain G^2/(H+1) = 256/5. The best split
  // is x < 3: (9/3 + 169/3) - 51.2 = 8.1333; leaves 3/3 and 13/3.
  RowMatrix<double> X(4, 1);
  X << 1, 2, 3, 4;
  Vector<double> y(4);
  y << 1, 2, 3, 10;
  GradientBoosting<double> m(one_newton_step(1));
  m.fit(X, y);
  const mlprim::RegressionTree& t = m.trees().at(0);
  REQUIRE(t.num_nodes() == 3);
  CHECK(t.split_indices[0] == 0);
  CHECK(t.split_conditions[0] == 3.0f);
  CHECK(t.default_left[0] == 0);
  CHECK(t.loss_changes[0] == Approx(9.0 / 3 + 169.0 / 3 - 256.0 / 5).epsilon(1e-6));
  CHECK(t.base_weights[0] == Approx(16.0 / 5).epsilon(1e-6));
  CHECK(t.split_conditions[1] == Approx(1.0).epsilon(1e-6));
  CHECK(t.split_conditions[2] == Approx(13.0 / 3).epsilon(1e-6));
  CHECK(t.sum_hessian[0] == 4.0f);
  CHECK(t.sum_hessian[1] == 2.0f);
}

TEST_CASE("GradientBoosting: missing values learn their default direction", "[ensemble]") {
  // A fifth row with x missing and y = 2: G = -18, H = 5, root 324/6 = 54.
  // Sending the missing row left of x < 4 wins: (64/5 + 100/2) - 54 = 8.8,
  // above every split with it on the right (best 5.25).
  RowMatrix<double> X(5, 1);
  X << 1, 2, 3, 4, kNaN;
  Vector<double> y(5);
  y << 1, 2, 3, 10, 2;
  GradientBoosting<double> m(one_newton_step(1));
  m.fit(X, y);
  const mlprim::RegressionTree& t = m.trees().at(0);
  REQUIRE(t.num_nodes() == 3);
  CHECK(t.split_conditions[0] == 4.0f);
  CHECK(t.default_left[0] == 1);
  CHECK(t.loss_changes[0] == Approx(64.0 / 5 + 50 - 54).epsilon(1e-6));
  CHECK(t.split_conditions[1] == Approx(8.0 / 5).epsilon(1e-6));
  CHECK(t.split_conditions[2] == Approx(5.0).epsilon(1e-6));
  // The missing row follows its default: the left leaf.
  RowMatrix<double> q(1, 1);
  q << kNaN;
  CHECK(m.predict(q)[0] == Approx(1.6).epsilon(1e-6));
}

TEST_CASE("GradientBoosting: gamma, min_child_weight, alpha and max_delta_step", "[ensemble]") {
  RowMatrix<double> X(4, 1);
  X << 1, 2, 3, 4;
  Vector<double> y(4);
  y << 1, 2, 3, 10;
  SECTION("a split below gamma is not made") {
    GBParams p = one_newton_step(1);
    p.gamma = 8.2;  // the best loss change is 8.1333
    GradientBoosting<double> m(p);
    m.fit(X, y);
    CHECK(m.trees()[0].num_nodes() == 1);
    CHECK(m.trees()[0].split_conditions[0] == Approx(16.0 / 5).epsilon(1e-6));
  }
  SECTION("children lighter than min_child_weight are not made") {
    GBParams p = one_newton_step(1);
    p.min_child_weight = 2.5;  // every split leaves a child with H <= 2
    GradientBoosting<double> m(p);
    m.fit(X, y);
    CHECK(m.trees()[0].num_nodes() == 1);
  }
  SECTION("alpha soft-thresholds G, max_delta_step clips w") {
    GBParams p = one_newton_step(1);
    p.reg_alpha = 1;
    GradientBoosting<double> m(p);
    m.fit(X, y);
    // x < 3 still wins: ((3-1)^2/3 + (13-1)^2/3) - 15^2/5 = 4.3333 (x < 2 gives 4.0).
    const auto& t = m.trees()[0];
    CHECK(t.split_conditions[0] == 3.0f);
    CHECK(t.loss_changes[0] == Approx(4.0 / 3 + 144.0 / 3 - 225.0 / 5).epsilon(1e-6));
    CHECK(t.split_conditions[1] == Approx(2.0 / 3).epsilon(1e-6));
    CHECK(t.split_conditions[2] == Approx(12.0 / 3).epsilon(1e-6));
    GBParams q = one_newton_step(1);
    q.max_delta_step = 2.0;
    GradientBoosting<double> clipped(q);
    clipped.fit(X, y);
    // With |w| <= 2 the gains are -(2 G w + (H + lambda) w^2): only x < 2 gains
    // (0.5 + 44 - 44 = 0.5), and its right leaf is clipped from 15/4 to 2.
    const auto& c = clipped.trees()[0];
    REQUIRE(c.num_nodes() == 3);
    CHECK(c.split_conditions[0] == 2.0f);
    CHECK(c.loss_changes[0] == Approx(0.5).epsilon(1e-5));
    CHECK(c.split_conditions[1] == Approx(0.5).epsilon(1e-6));
    CHECK(c.split_conditions[2] == Approx(2.0).epsilon(1e-6));
  }
}

TEST_CASE("GradientBoosting: monotone constraints hold and cut children at the mid-point",
          "[ensemble]") {
  RowMatrix<double> X(4, 1);
  X << 1, 2, 3, 4;
  Vector<double> y(4);
  y << 4, 3, 2, 1;
  GBParams up = one_newton_step(2);
  up.monotone_constraints = {1};
  GradientBoosting<double> m(up);
  m.fit(X, y);
  CHECK(m.trees()[0].num_nodes() == 1);  // every split would decrease
  GBParams down = up;
  down.monotone_constraints = {-1};
  GradientBoosting<double> d(down);
  d.fit(X, y);
  CHECK(d.trees()[0].num_nodes() > 1);
  // A noisy increasing trend: predictions never decrease along x.
  mlprim::Rng rng(3);
  const Index n = 400;
  RowMatrix<double> Z(n, 2);
  Vector<double> t(n);
  for (Index i = 0; i < n; ++i) {
    Z(i, 0) = rng.uniform<double>();
    Z(i, 1) = rng.uniform<double>();
    t[i] = Z(i, 0) + std::sin(12 * Z(i, 0)) * 0.4 + 0.3 * rng.normal<double>() + Z(i, 1);
  }
  GBParams p;
  p.n_estimators = 20;
  p.monotone_constraints = {1, 0};
  GradientBoosting<double> mono(p);
  mono.fit(Z, t);
  RowMatrix<double> grid(101, 2);
  for (Index i = 0; i <= 100; ++i) grid.row(i) << static_cast<double>(i) / 100.0, 0.5;
  const Vector<double> f = mono.predict(grid);
  for (Index i = 1; i <= 100; ++i) CHECK(f[i] >= f[i - 1]);
}

TEST_CASE("GradientGrid: rounded gradients sum to the same bits in any order", "[ensemble]") {
  using namespace mlprim::detail;
  mlprim::Rng rng(3);
  const Index n = 5000;
  std::vector<GradientPair> raw(static_cast<std::size_t>(n));
  double max_g = 0, max_h = 0;
  for (auto& gp : raw) {
    // Magnitudes over nine decades, as late-round logistic gradients.
    gp = {static_cast<float>(rng.normal<double>() * std::pow(10.0, -9 * rng.uniform<double>())),
          static_cast<float>(rng.uniform<double>() * std::pow(10.0, -9 * rng.uniform<double>()))};
    max_g = std::max(max_g, std::abs(static_cast<double>(gp.g)));
    max_h = std::max(max_h, static_cast<double>(gp.h));
  }
  const GradientGrid grid(max_g, max_h, n);
  std::vector<QuantizedPair> q;
  for (const auto& gp : raw) q.push_back(grid.round(gp));
  // Each value moves by at most half a step, step = 2^-e <= 2 n max / 2^52.
  for (std::size_t i = 0; i < q.size(); ++i) {
    CHECK(std::abs(q[i].g - raw[i].g) <= n * max_g * 0x1p-52);
    CHECK(std::abs(q[i].h - raw[i].h) <= n * max_h * 0x1p-52);
  }
  // Forwards, backwards, shuffled, and as two halves added: one result, and
  // that result is the exact sum (long double agrees to its own precision).
  auto sum = [&](const std::vector<std::size_t>& order) {
    GradStats s;
    for (std::size_t i : order) s.add({q[i].g, q[i].h});
    return s;
  };
  std::vector<std::size_t> order(q.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  const GradStats forward = sum(order);
  std::reverse(order.begin(), order.end());
  const GradStats backward = sum(order);
  std::shuffle(order.begin(), order.end(), rng);
  const GradStats shuffled = sum(order);
  GradStats halves = sum(std::vector<std::size_t>(order.begin(), order.begin() + n / 2));
  halves.add(sum(std::vector<std::size_t>(order.begin() + n / 2, order.end())));
  for (const GradStats& s : {backward, shuffled, halves}) {
    CHECK(s.g == forward.g);
    CHECK(s.h == forward.h);
  }
  long double exact_g = 0;
  for (const auto& v : q) exact_g += static_cast<long double>(v.g);
  CHECK(static_cast<double>(exact_g) == forward.g);
}

TEST_CASE("histogram subtraction equals the direct histogram", "[ensemble]") {
  using namespace mlprim::detail;
  mlprim::Rng rng(5);
  const Index n = 40000, p = 5;  // more rows than one histogram chunk
  RowMatrix<double> X(n, p);
  mlprim::fill_normal(X, rng);
  for (Index i = 0; i < n; i += 7) X(i, 2) = kNaN;
  const mlprim::HistogramCuts cuts = mlprim::make_cuts<double>(X, 32);
  const BinnedMatrix<std::uint8_t> bins = bin_matrix<std::uint8_t, double>(X, cuts, 1);
  const GradientGrid grid(4.0, 1.0, n);
  std::vector<QuantizedPair> gpair(static_cast<std::size_t>(n));
  for (auto& gp : gpair)
    gp = grid.round({std::clamp(rng.normal<float>(), -4.0f, 4.0f), rng.uniform<float>()});
  std::vector<std::uint32_t> all, left, right;
  for (Index i = 0; i < n; ++i) {
    all.push_back(static_cast<std::uint32_t>(i));
    (X(i, 0) < 0.3 ? left : right).push_back(static_cast<std::uint32_t>(i));
  }
  HistogramPool pool(bins.slots);
  std::vector<GradStats> parent(bins.slots), small(bins.slots), large(bins.slots),
      direct(bins.slots);
  build_histograms(bins, gpair.data(),
                   {{all.data(), all.size(), parent.data()},
                    {left.data(), left.size(), small.data()},
                    {right.data(), right.size(), direct.data()}},
                   2, pool);
  subtract_histogram(parent.data(), small.data(), large.data(), bins.slots);
  // On the grid every sum is exact: subtraction gives the direct bits.
  for (std::size_t s = 0; s < bins.slots; ++s) {
    CHECK(large[s].g == direct[s].g);
    CHECK(large[s].h == direct[s].h);
  }
  // And the direct sums are the plain per-bin sums, taken here backwards.
  for (Index f = 0; f < p; ++f) {
    std::vector<double> g(static_cast<std::size_t>(cuts.num_bins(f)) + 1, 0.0);
    for (auto r = right.rbegin(); r != right.rend(); ++r) g[bins(*r, f)] += gpair[*r].g;
    for (int b = 0; b < cuts.num_bins(f); ++b)
      CHECK(direct[bins.slot_offset[static_cast<std::size_t>(f)] + static_cast<std::size_t>(b)].g ==
            g[static_cast<std::size_t>(b)]);
  }
}

TEST_CASE("GradientBoosting: the model is bit-identical on 1, 2 and 7 threads", "[ensemble]") {
  mlprim::Rng rng(11);
  const Index n = 3000, p = 8;
  RowMatrix<double> X(n, p);
  mlprim::fill_normal(X, rng);
  Vector<double> y(n);
  for (Index i = 0; i < n; ++i) {
    if (i % 5 == 0) X(i, 3) = kNaN;
    y[i] = X(i, 0) * X(i, 1) + (X(i, 2) > 0 ? 1.0 : 0.0) + 0.1 * rng.normal<double>() > 0.5;
  }
  for (auto policy : {mlprim::GrowPolicy::DepthWise, mlprim::GrowPolicy::LossGuide}) {
    std::vector<GradientBoosting<double>> models;
    for (int threads : {1, 2, 7}) {
      GBParams q;
      q.objective = "binary:logistic";
      q.n_estimators = 8;
      q.grow_policy = policy;
      q.max_leaves = policy == mlprim::GrowPolicy::LossGuide ? 24 : 0;
      q.subsample = 0.8;
      q.colsample_bytree = 0.9;
      q.colsample_bylevel = 0.8;
      q.colsample_bynode = 0.8;
      q.num_threads = threads;
      q.seed = 42;
      models.emplace_back(q).fit(X, y);
    }
    for (std::size_t k = 1; k < models.size(); ++k) {
      REQUIRE(models[k].num_trees() == models[0].num_trees());
      for (Index t = 0; t < models[0].num_trees(); ++t) {
        const auto& a = models[0].trees()[static_cast<std::size_t>(t)];
        const auto& b = models[k].trees()[static_cast<std::size_t>(t)];
        CHECK(a.split_indices == b.split_indices);
        CHECK(a.split_conditions == b.split_conditions);
        CHECK(a.left_children == b.left_children);
        CHECK(a.loss_changes == b.loss_changes);
        CHECK(a.sum_hessian == b.sum_hessian);
      }
    }
  }
}
