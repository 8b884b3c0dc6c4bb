// Data-parallel GradientBoosting against one process on the concatenated
// rows: every rank generates all the rows, trains the single-process
// reference alone, and trains its shard together with the other ranks.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <mlprim/core/random.hpp>
#include <mlprim/ensemble.hpp>

#include "catch.hpp"
#include "world.hpp"

namespace {

using mlprim::GBParams;
using mlprim::GradientBoosting;
using mlprim::Index;
using mlprim::RowMatrix;
using mlprim::Vector;
using mlprim::test::cut;
using mlprim::test::shard_of;
using mlprim::test::world;

struct Data {
  RowMatrix<double> X;
  Vector<double> y, w;
};

/// n rows of p features (missing values in column 1, a categorical column
/// 2 with 6 categories), labels for `objective`, positive weights. With
/// `coarse`, every value is rounded to a multiple of 1/8 (few distinct values).
Data make_data(Index n, const std::string& objective, std::uint64_t seed, bool coarse = false) {
  mlprim::Rng rng(seed);
  const Index p = 6;
  Data d{RowMatrix<double>(n, p), Vector<double>(n), Vector<double>(n)};
  mlprim::fill_normal(d.X, rng);
  for (Index i = 0; i < n; ++i) {
    if (coarse)
      for (Index f = 0; f < p; ++f) d.X(i, f) = std::round(d.X(i, f) * 8) / 8;
    if (i % 7 == 3) d.X(i, 1) = std::numeric_limits<double>::quiet_NaN();
    d.X(i, 2) = static_cast<double>(rng.uniform_int(0, 5));
    const double f = d.X(i, 0) * (d.X(i, 2) > 2 ? 1.5 : -0.5) + std::sin(d.X(i, 3)) +
                     0.3 * rng.normal<double>();
    if (objective == "binary:logistic")
      d.y[i] = f > 0 ? 1 : 0;
    else if (objective == "multi:softprob")
      d.y[i] = f < -0.5 ? 0 : (f < 0.5 ? 1 : 2);
    else
      d.y[i] = f;
    d.w[i] = 0.5 + rng.uniform<double>();
  }
  return d;
}

std::string bytes_of(const GradientBoosting<double>& m) {
  std::ostringstream out;
  m.save(out);
  return out.str();
}

GBParams params_for(const std::string& objective) {
  GBParams q;
  q.objective = objective;
  q.n_estimators = 12;
  q.max_depth = 4;
  q.max_bin = 32;
  q.categorical_features = {2};
  q.num_threads = 1;  // the ranks already share the cores
  if (objective == "multi:softprob") q.num_class = 3;
  return q;
}

}  // namespace

TEST_CASE("Data-parallel boosting with given cuts is bit-identical to one process") {
  auto& comm = world();
  const int P = comm.size(), me = comm.rank();
  struct Case {
    std::string objective;
    bool weighted, sampled, lossguide;
  };
  for (const Case& c : {Case{"reg:squarederror", false, true, false},
                        Case{"binary:logistic", true, false, true},
                        Case{"multi:softprob", false, true, false},
                        Case{"reg:absoluteerror", true, false, false},
                        Case{"reg:quantileerror", false, true, true}}) {
    INFO(c.objective);
    const Data d = make_data(900, c.objective, 7);
    const Data test = make_data(300, c.objective, 8);
    GBParams q = params_for(c.objective);
    if (c.sampled) {
      q.subsample = 0.7;
      q.colsample_bynode = 0.8;
    }
    if (c.lossguide) {
      q.grow_policy = mlprim::GrowPolicy::LossGuide;
      q.max_leaves = 11;
    }
    q.quantile_alpha = 0.3;
    const mlprim::HistogramCuts cuts =
        mlprim::make_cuts<double>(d.X, q.max_bin, {}, 1, q.categorical_features);

    GradientBoosting<double>::Options one;
    one.cuts = &cuts;
    if (c.weighted) one.sample_weight = d.w;
    one.eval_sets.push_back({"test", test.X, test.y});
    GradientBoosting<double> alone(q);
    alone.fit(d.X, d.y, one);

    const RowMatrix<double> X = shard_of(d.X, me, P), tX = shard_of(test.X, me, P);
    const Vector<double> y = shard_of(d.y, me, P), w = shard_of(d.w, me, P),
                         ty = shard_of(test.y, me, P);
    GradientBoosting<double>::Options many;
    many.cuts = &cuts;
    many.communicator = &comm;
    if (c.weighted) many.sample_weight = w;
    many.eval_sets.push_back({"test", tX, ty});
    GradientBoosting<double> together(q);
    together.fit(X, y, many);

    CHECK(bytes_of(together) == bytes_of(alone));
    REQUIRE(together.evals_result().size() == alone.evals_result().size());
    for (std::size_t r = 0; r < alone.evals_result().size(); ++r)
      CHECK(together.evals_result()[r].values == alone.evals_result()[r].values);
    // Every rank holds the same model: rank 0's bytes, broadcast, match.
    std::string mine = bytes_of(together), root = mine;
    comm.broadcast(root.data(), root.size(), 0);
    CHECK(root == mine);
  }
}

TEST_CASE("Data-parallel boosting: any split of the rows gives the same model") {
  auto& comm = world();
  const int P = comm.size(), me = comm.rank();
  const Data d = make_data(700, "binary:logistic", 21);
  GBParams q = params_for("binary:logistic");
  q.subsample = 0.8;
  const mlprim::HistogramCuts cuts =
      mlprim::make_cuts<double>(d.X, q.max_bin, {}, 1, q.categorical_features);
  std::vector<std::string> models;
  // Even shards, the uneven ones of cut(), and everything on the last rank.
  for (int split = 0; split < 3; ++split) {
    const Index n = d.X.rows();
    Index lo = n * me / P, hi = n * (me + 1) / P;
    if (split == 1) {
      lo = cut(me, P, n);
      hi = cut(me + 1, P, n);
    } else if (split == 2) {
      lo = me == P - 1 ? 0 : n;
      hi = n;
    }
    GradientBoosting<double>::Options o;
    o.cuts = &cuts;
    o.communicator = &comm;
    GradientBoosting<double> m(q);
    m.fit(d.X.middleRows(lo, hi - lo), d.y.segment(lo, hi - lo), o);
    models.push_back(bytes_of(m));
  }
  CHECK(models[1] == models[0]);
  CHECK(models[2] == models[0]);
}

TEST_CASE("Data-parallel boosting on merged sketches") {
  auto& comm = world();
  const int P = comm.size(), me = comm.rank();
  SECTION("few distinct values: the merge is exact and the model bit-identical") {
    const Data d = make_data(800, "reg:squarederror", 5, true);
    GBParams q = params_for("reg:squarederror");
    q.max_bin = 16;  // more distinct values than bins: the cuts are quantiles
    GradientBoosting<double> alone(q);
    alone.fit(d.X, d.y);
    GradientBoosting<double>::Options o;
    o.communicator = &comm;
    GradientBoosting<double> together(q);
    together.fit(shard_of(d.X, me, P), shard_of(d.y, me, P), o);
    CHECK(bytes_of(together) == bytes_of(alone));
  }
  SECTION("continuous values: every cut within W / (4 max_bin) of its quantile") {
    const Index n = 6000;
    const Data d = make_data(n, "reg:squarederror", 9);
    const int max_bin = 10;  // 80 summary points against up to 4000 rows per rank
    const RowMatrix<double> mine = shard_of(d.X, me, P);
    const mlprim::HistogramCuts merged = mlprim::make_cuts<double>(comm, mine, max_bin);
    const mlprim::HistogramCuts exact = mlprim::make_cuts<double>(d.X, max_bin);
    for (Index f : {Index{0}, Index{1}, Index{3}}) {
      std::vector<double> v;
      for (Index i = 0; i < n; ++i)
        if (!std::isnan(d.X(i, f))) v.push_back(d.X(i, f));
      std::sort(v.begin(), v.end());
      const double W = static_cast<double>(v.size());
      REQUIRE(merged.num_bins(f) == exact.num_bins(f));
      CHECK(merged.min_values[static_cast<std::size_t>(f)] ==
            exact.min_values[static_cast<std::size_t>(f)]);
      for (int b = 0; b + 1 < merged.num_bins(f); ++b) {
        // Weight below bound b (b = 0 .. max_bin - 2), target (b + 1) W / max_bin.
        const float bound = merged.values[merged.ptrs[static_cast<std::size_t>(f)] + static_cast<std::size_t>(b)];
        const auto below = static_cast<double>(
            std::lower_bound(v.begin(), v.end(), static_cast<double>(bound),
                             [](double a, double x) { return static_cast<float>(a) < x; }) -
            v.begin());
        CHECK(std::abs(below - (b + 1) * W / max_bin) <= W / (4.0 * max_bin) + 1);
      }
      // The last bound lies above the largest value, as make_cuts puts it.
      CHECK(merged.values[merged.ptrs[static_cast<std::size_t>(f) + 1] - 1] ==
            exact.values[exact.ptrs[static_cast<std::size_t>(f) + 1] - 1]);
    }
    // Trained on them, the test error stays within 2% of one process's.
    const Data test = make_data(2000, "reg:squarederror", 10);
    GBParams q = params_for("reg:squarederror");
    q.max_bin = max_bin;
    q.categorical_features = {2};
    GradientBoosting<double> alone(q);
    alone.fit(d.X, d.y);
    GradientBoosting<double>::Options o;
    o.communicator = &comm;
    GradientBoosting<double> together(q);
    together.fit(mine, shard_of(d.y, me, P), o);
    const double e1 = (alone.predict(test.X) - test.y).norm();
    const double eP = (together.predict(test.X) - test.y).norm();
    CHECK(eP <= 1.02 * e1);
  }
}

TEST_CASE("Data-parallel boosting: early stopping and callbacks agree on every rank") {
  auto& comm = world();
  const int P = comm.size(), me = comm.rank();
  const Data d = make_data(600, "binary:logistic", 41), val = make_data(300, "binary:logistic", 42);
  GBParams q = params_for("binary:logistic");
  q.n_estimators = 60;
  q.learning_rate = 0.8;
  q.early_stopping_rounds = 3;
  q.eval_metric = {"auc", "logloss"};
  const mlprim::HistogramCuts cuts =
      mlprim::make_cuts<double>(d.X, q.max_bin, {}, 1, q.categorical_features);
  GradientBoosting<double>::Options one;
  one.cuts = &cuts;
  one.eval_sets.push_back({"val", val.X, val.y});
  GradientBoosting<double> alone(q);
  alone.fit(d.X, d.y, one);
  const RowMatrix<double> vX = shard_of(val.X, me, P);
  const Vector<double> vy = shard_of(val.y, me, P);
  GradientBoosting<double>::Options many;
  many.cuts = &cuts;
  many.communicator = &comm;
  many.eval_sets.push_back({"val", vX, vy});
  GradientBoosting<double> together(q);
  together.fit(shard_of(d.X, me, P), shard_of(d.y, me, P), many);
  CHECK(alone.evals_result().size() < 60u);  // it did stop early
  CHECK(together.best_iteration() == alone.best_iteration());
  CHECK(bytes_of(together) == bytes_of(alone));

  // A callback that stops on the last rank only stops every rank there.
  q.early_stopping_rounds = 0;
  many.callback = [&](const mlprim::RoundEvaluation& r) { return !(me == P - 1 && r.iteration == 4); };
  GradientBoosting<double> stopped(q);
  stopped.fit(shard_of(d.X, me, P), shard_of(d.y, me, P), many);
  CHECK(stopped.evals_result().size() == 5u);
  CHECK(stopped.num_trees() == 5);
}

TEST_CASE("Data-parallel boosting: bad input on any rank throws on every rank") {
  auto& comm = world();
  const int P = comm.size(), me = comm.rank();
  const Data d = make_data(300, "binary:logistic", 3);
  const RowMatrix<double> X = shard_of(d.X, me, P);
  const Vector<double> y = shard_of(d.y, me, P);
  GradientBoosting<double>::Options o;
  o.communicator = &comm;
  const GBParams q = params_for("binary:logistic");
  if (P == 1) {
    GradientBoosting<double> m(q);
    CHECK_NOTHROW(m.fit(X, y, o));
    return;
  }
  SECTION("different numbers of columns") {
    const RowMatrix<double> narrow = X.leftCols(me == 0 ? 6 : 5);
    GradientBoosting<double> m(q);
    CHECK_THROWS_WITH(m.fit(narrow, y, o), Catch::Contains("columns of X differ between ranks"));
  }
  SECTION("different parameters") {
    GBParams other = q;
    if (me == P - 1) other.learning_rate = 0.2;
    GradientBoosting<double> m(other);
    CHECK_THROWS_WITH(m.fit(X, y, o), Catch::Contains("parameters") &&
                                          Catch::Contains("differ between ranks"));
  }
  SECTION("an invalid label on the last rank only") {
    Vector<double> bad = y;
    if (me == P - 1) bad[0] = 2;
    GradientBoosting<double> m(q);
    if (me == P - 1)
      CHECK_THROWS_AS(m.fit(X, bad, o), std::invalid_argument);
    else
      CHECK_THROWS_WITH(m.fit(X, bad, o),
                        Catch::Contains("rank " + std::to_string(P - 1) + " failed"));
  }
  SECTION("a callback that throws mid-fit on rank 0") {
    GradientBoosting<double>::Options failing = o;
    failing.callback = [&](const mlprim::RoundEvaluation& r) {
      if (me == 0 && r.iteration == 3) throw std::logic_error("user callback gave up");
      return true;
    };
    GradientBoosting<double> m(q);
    if (me == 0)
      CHECK_THROWS_AS(m.fit(X, y, failing), std::logic_error);
    else
      CHECK_THROWS_WITH(m.fit(X, y, failing), Catch::Contains("rank 0 failed") &&
                                                  Catch::Contains("user callback gave up"));
  }
  SECTION("no rows on any rank") {
    GradientBoosting<double> m(q);
    CHECK_THROWS_WITH(m.fit(X.topRows(0), y.head(0), o), Catch::Contains("no rows on any rank"));
  }
  // And the ranks are still in step: a good fit follows.
  GradientBoosting<double> m(q);
  CHECK_NOTHROW(m.fit(X, y, o));
}
