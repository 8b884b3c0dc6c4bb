// GradientBoosting's API: metrics against their definitions, early stopping,
// callbacks, base scores and quantiles in closed form, TreeSHAP against
// brute-force Shapley values, importances, save/load, and bad input.
#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include <mlprim/core/random.hpp>
#include <mlprim/ensemble.hpp>

#include "catch.hpp"
#include "test_util.hpp"

namespace {

using mlprim::GBParams;
using mlprim::GradientBoosting;
using mlprim::Index;
using mlprim::RowMatrix;
using mlprim::Vector;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Data {
  RowMatrix<double> X;
  Vector<double> y;
};

/// n rows of p standard normals (10% of column 1 missing) and labels by kind:
/// "binary" (noisy threshold), "class3", "count" (Poisson), else real.
Data make_data(Index n, Index p, const std::string& kind, std::uint64_t seed) {
  mlprim::Rng rng(seed);
  Data d{RowMatrix<double>(n, p), Vector<double>(n)};
  mlprim::fill_normal(d.X, rng);
  for (Index i = 0; i < n; ++i) {
    const double s = d.X(i, 0) + 0.8 * d.X(i, 1) * d.X(i, 2) + 0.5 * rng.normal<double>();
    if (rng.uniform<double>() < 0.1) d.X(i, 1) = kNaN;
    if (kind == "binary")
      d.y[i] = s > 0.3 ? 1 : 0;
    else if (kind == "class3")
      d.y[i] = s < -0.5 ? 0 : (s < 0.5 ? 1 : 2);
    else if (kind == "count")
      d.y[i] = std::floor(std::exp(0.5 * s) * rng.uniform<double>() * 3);
    else
      d.y[i] = s;
  }
  return d;
}

}  // namespace

TEST_CASE("GradientBoosting: evaluation metrics follow their definitions", "[ensemble]") {
  const Data train = make_data(600, 4, "binary", 1), valid = make_data(300, 4, "binary", 2);
  GBParams p;
  p.objective = "binary:logistic";
  p.n_estimators = 5;
  p.eval_metric = {"logloss", "error", "auc"};
  GradientBoosting<double> m(p);
  mlprim::FitOptions<double> options;
  options.eval_sets.push_back({"valid", valid.X, valid.y});
  m.fit(train.X, train.y, options);
  REQUIRE(m.evals_result().size() == 5);
  const auto& last = m.evals_result().back();
  CHECK(last.metrics == std::vector<std::string>{"logloss", "error", "auc"});
  const Vector<double> q = m.predict(valid.X);
  double logloss = 0, error = 0;
  for (Index i = 0; i < q.size(); ++i) {
    logloss -= valid.y[i] * std::log(q[i]) + (1 - valid.y[i]) * std::log(1 - q[i]);
    error += (q[i] > 0.5) != (valid.y[i] == 1);
  }
  // AUC by its pair definition: P(score_pos > score_neg) + P(tie) / 2.
  double pairs = 0, wins = 0;
  for (Index i = 0; i < q.size(); ++i)
    for (Index j = 0; j < q.size(); ++j)
      if (valid.y[i] == 1 && valid.y[j] == 0) {
        pairs += 1;
        wins += q[i] > q[j] ? 1.0 : (q[i] == q[j] ? 0.5 : 0.0);
      }
  CHECK(last.values[0][0] == Approx(logloss / 300).epsilon(1e-9));
  CHECK(last.values[0][1] == Approx(error / 300).epsilon(1e-12));
  CHECK(last.values[0][2] == Approx(wins / pairs).epsilon(1e-12));
  const RowMatrix<double> proba = m.predict_proba(valid.X);
  CHECK(proba.col(1).isApprox(q, 1e-15));
  CHECK((proba.rowwise().sum().array() - 1).abs().maxCoeff() < 1e-12);

  SECTION("regression and count metrics") {
    const Data reg = make_data(400, 3, "real", 3), cnt = make_data(400, 3, "count", 4);
    GBParams r;
    r.n_estimators = 3;
    r.eval_metric = {"rmse", "mae", "mphe"};
    GradientBoosting<double> mr(r);
    mlprim::FitOptions<double> o;
    o.eval_sets.push_back({"train", reg.X, reg.y});
    mr.fit(reg.X, reg.y, o);
    const Vector<double> f = mr.predict(reg.X);
    const Vector<double> e = f - reg.y;
    const auto& v = mr.evals_result().back().values[0];
    CHECK(v[0] == Approx(std::sqrt(e.squaredNorm() / 400)).epsilon(1e-12));
    CHECK(v[1] == Approx(e.cwiseAbs().sum() / 400).epsilon(1e-12));
    CHECK(v[2] == Approx(((1 + e.array().square()).sqrt() - 1).sum() / 400).epsilon(1e-12));
    GBParams c;
    c.objective = "count:poisson";
    c.n_estimators = 3;
    GradientBoosting<double> mc(c);
    mlprim::FitOptions<double> oc;
    oc.eval_sets.push_back({"train", cnt.X, cnt.y});
    mc.fit(cnt.X, cnt.y, oc);
    const Vector<double> mu = mc.predict(cnt.X);
    double nll = 0;
    for (Index i = 0; i < 400; ++i)
      nll += std::lgamma(cnt.y[i] + 1) + mu[i] - cnt.y[i] * std::log(mu[i]);
    CHECK(mc.evals_result().back().values[0][0] == Approx(nll / 400).epsilon(1e-12));
  }
  SECTION("multi-class metrics") {
    const Data d = make_data(450, 4, "class3", 5);
    GBParams s;
    s.objective = "multi:softprob";
    s.num_class = 3;
    s.n_estimators = 4;
    s.eval_metric = {"mlogloss", "merror"};
    GradientBoosting<double> ms(s);
    mlprim::FitOptions<double> o;
    o.eval_sets.push_back({"train", d.X, d.y});
    ms.fit(d.X, d.y, o);
    CHECK(ms.num_trees() == 12);
    const RowMatrix<double> pr = ms.predict_proba(d.X);
    const Vector<double> cls = ms.predict(d.X);
    double ll = 0, err = 0;
    for (Index i = 0; i < 450; ++i) {
      ll -= std::log(pr(i, static_cast<Index>(d.y[i])));
      Index arg = 0;
      pr.row(i).maxCoeff(&arg);
      CHECK(cls[i] == static_cast<double>(arg));
      err += arg != static_cast<Index>(d.y[i]);
    }
    CHECK(ms.evals_result().back().values[0][0] == Approx(ll / 450).epsilon(1e-12));
    CHECK(ms.evals_result().back().values[0][1] == Approx(err / 450).epsilon(1e-12));
  }
}

TEST_CASE("GradientBoosting: early stopping keeps the best round", "[ensemble]") {
  const Data train = make_data(300, 5, "binary", 7), valid = make_data(300, 5, "binary", 8);
  GBParams p;
  p.objective = "binary:logistic";
  p.n_estimators = 200;
  p.learning_rate = 0.5;
  p.max_depth = 6;
  p.min_child_weight = 0;
  p.early_stopping_rounds = 5;
  GradientBoosting<double> m(p);
  mlprim::FitOptions<double> options;
  options.eval_sets.push_back({"valid", valid.X, valid.y});
  m.fit(train.X, train.y, options);
  const auto& history = m.evals_result();
  REQUIRE(history.size() < 200);  // it overfits and stops
  int best = 0;
  for (std::size_t r = 0; r < history.size(); ++r)
    if (history[r].values[0][0] < history[static_cast<std::size_t>(best)].values[0][0])
      best = static_cast<int>(r);
  CHECK(m.best_iteration() == best);
  CHECK(history.size() == static_cast<std::size_t>(best + 1 + 5));
  CHECK(m.num_trees() == best + 1);
  // The kept model scores the best round's metric.
  const Vector<double> q = m.predict(valid.X);
  double logloss = 0;
  for (Index i = 0; i < q.size(); ++i)
    logloss -= valid.y[i] * std::log(q[i]) + (1 - valid.y[i]) * std::log(1 - q[i]);
  CHECK(logloss / 300 ==
        Approx(history[static_cast<std::size_t>(best)].values[0][0]).epsilon(1e-9));

  SECTION("a callback sees every round and can stop") {
    GBParams c = p;
    c.early_stopping_rounds = 0;
    std::vector<int> seen;
    mlprim::FitOptions<double> o;
    o.eval_sets.push_back({"valid", valid.X, valid.y});
    o.callback = [&](const mlprim::RoundEvaluation& e) {
      seen.push_back(e.iteration);
      CHECK(e.set_names == std::vector<std::string>{"valid"});
      return e.iteration < 3;
    };
    GradientBoosting<double> mc(c);
    mc.fit(train.X, train.y, o);
    CHECK(seen == std::vector<int>{0, 1, 2, 3});
    CHECK(mc.num_trees() == 4);
    CHECK(mc.best_iteration() == 3);
  }
}

TEST_CASE("GradientBoosting: base scores and quantile leaves in closed form", "[ensemble]") {
  const Index n = 11;
  RowMatrix<double> X = RowMatrix<double>::Ones(n, 1);  // constant: the tree is one leaf
  Vector<double> y(n);
  y << 3, -1, 4, 1, -5, 9, 2, 6, 5, 3, 5;
  std::vector<double> sorted(y.data(), y.data() + n);
  std::sort(sorted.begin(), sorted.end());
  auto fit = [&](GBParams p) {
    p.n_estimators = 1;
    GradientBoosting<double> m(p);
    m.fit(X, y);
    return m;
  };
  SECTION("XGBoost 2's intercepts") {
    GBParams sq;
    CHECK(fit(sq).base_margin() == Approx(y.mean()).epsilon(1e-6));
    GBParams ab;
    ab.objective = "reg:absoluteerror";
    CHECK(fit(ab).base_margin() == sorted[5]);  // the median
    Vector<double> labels(4);
    labels << 1, 0, 1, 1;
    GBParams lg;
    lg.objective = "binary:logistic";
    lg.n_estimators = 1;
    GradientBoosting<double> m(lg);
    m.fit(RowMatrix<double>::Ones(4, 1), labels);
    // One Newton step from margin 0: -sum(0.5 - y) / sum(0.25) = 4 (mean(y) - 1/2).
    CHECK(m.base_margin() == Approx(4 * (0.75 - 0.5)).epsilon(1e-6));
  }
  SECTION("a quantile leaf is the alpha-quantile of the residuals at position alpha (n + 1)") {
    for (double alpha : {0.1, 0.5, 0.8}) {
      GBParams q;
      q.objective = "reg:quantileerror";
      q.quantile_alpha = alpha;
      q.base_score = 0.0;
      q.learning_rate = 1;
      const double x = alpha * (n + 1);  // 1-based position
      const auto k = static_cast<std::size_t>(std::floor(x));
      const double expected =
          k < 1 ? sorted.front()
          : k >= static_cast<std::size_t>(n)
              ? sorted.back()
              : sorted[k - 1] + (x - static_cast<double>(k)) * (sorted[k] - sorted[k - 1]);
      CHECK(fit(q).predict(X.topRows(1))[0] == Approx(expected).epsilon(1e-6));
    }
  }
}

namespace {

/// E[f(x) | x_S] under the trees' covers (TreeSHAP's path-dependent
/// expectation): follow x where the split feature is in S, otherwise
/// average both children by cover.
double conditional_expectation(const mlprim::RegressionTree& t, std::int32_t node, const double* x,
                               unsigned subset) {
  const auto u = static_cast<std::size_t>(node);
  if (t.is_leaf(node)) return t.split_conditions[u];
  const std::int32_t f = t.split_indices[u];
  const std::int32_t l = t.left_children[u], r = t.right_children[u];
  if (subset & (1u << f)) {
    const auto v = static_cast<float>(x[f]);
    const bool left = std::isnan(v) ? t.default_left[u] != 0 : v < t.split_conditions[u];
    return conditional_expectation(t, left ? l : r, x, subset);
  }
  const double cl = t.sum_hessian[static_cast<std::size_t>(l)],
               cr = t.sum_hessian[static_cast<std::size_t>(r)];
  return (cl * conditional_expectation(t, l, x, subset) +
          cr * conditional_expectation(t, r, x, subset)) /
         (cl + cr);
}

}  // namespace

TEST_CASE("predict_contributions equals brute-force Shapley values", "[ensemble]") {
  const Index p = 4;
  const Data d = make_data(500, p, "real", 9);
  GBParams params;
  params.n_estimators = 6;
  params.max_depth = 4;
  GradientBoosting<double> m(params);
  m.fit(d.X, d.y);
  const RowMatrix<double> phi = m.predict_contributions(d.X.topRows(20));
  const RowMatrix<double> margin = m.predict_margin(d.X.topRows(20));
  std::vector<double> fact(p + 1, 1.0);
  for (Index k = 1; k <= p; ++k)
    fact[static_cast<std::size_t>(k)] =
        fact[static_cast<std::size_t>(k - 1)] * static_cast<double>(k);
  for (Index i = 0; i < 20; ++i) {
    const double* x = d.X.row(i).data();
    CHECK(phi.row(i).sum() == Approx(margin(i, 0)).epsilon(1e-9));
    // phi_j = sum over S without j of |S|! (p - |S| - 1)! / p! (v(S + j) - v(S)).
    Vector<double> brute = Vector<double>::Zero(p + 1);
    brute[p] = m.base_margin();
    for (const auto& t : m.trees()) {
      brute[p] += conditional_expectation(t, 0, x, 0);
      for (Index j = 0; j < p; ++j)
        for (unsigned s = 0; s < (1u << p); ++s) {
          if (s & (1u << j)) continue;
          const int size = __builtin_popcount(s);
          const double weight = fact[static_cast<std::size_t>(size)] *
                                fact[static_cast<std::size_t>(p - size - 1)] /
                                fact[static_cast<std::size_t>(p)];
          brute[j] += weight * (conditional_expectation(t, 0, x, s | (1u << j)) -
                                conditional_expectation(t, 0, x, s));
        }
    }
    for (Index j = 0; j <= p; ++j) CHECK(phi(i, j) == Approx(brute[j]).margin(1e-9));
  }
}

TEST_CASE("feature_importance counts the trees' splits", "[ensemble]") {
  const Data d = make_data(400, 5, "real", 10);
  GBParams params;
  params.n_estimators = 5;
  GradientBoosting<double> m(params);
  m.fit(d.X, d.y);
  Vector<double> weight = Vector<double>::Zero(5), gain = weight, cover = weight;
  for (const auto& t : m.trees())
    for (Index i = 0; i < t.num_nodes(); ++i)
      if (!t.is_leaf(i)) {
        const auto u = static_cast<std::size_t>(i);
        weight[t.split_indices[u]] += 1;
        gain[t.split_indices[u]] += t.loss_changes[u];
        cover[t.split_indices[u]] += t.sum_hessian[u];
      }
  CHECK(m.feature_importance(mlprim::ImportanceType::Weight) == weight);
  CHECK(m.feature_importance(mlprim::ImportanceType::TotalGain).isApprox(gain));
  CHECK(m.feature_importance(mlprim::ImportanceType::TotalCover).isApprox(cover));
  const Vector<double> mean_gain = m.feature_importance(mlprim::ImportanceType::Gain);
  for (Index f = 0; f < 5; ++f)
    CHECK(mean_gain[f] == Approx(weight[f] > 0 ? gain[f] / weight[f] : 0.0));
  // Feature 0 carries most of the signal.
  Index top = 0;
  mean_gain.maxCoeff(&top);
  CHECK(m.feature_importance(mlprim::ImportanceType::TotalGain).maxCoeff() ==
        m.feature_importance(mlprim::ImportanceType::TotalGain)[0]);
}

TEST_CASE("GradientBoosting: float and double fit the same trees on float data", "[ensemble]") {
  const Data d = make_data(500, 4, "binary", 12);
  const RowMatrix<float> Xf = d.X.cast<float>();
  const Vector<float> yf = d.y.cast<float>();
  GBParams params;
  params.objective = "binary:logistic";
  params.n_estimators = 6;
  GradientBoosting<float> mf(params);
  mf.fit(Xf, yf);
  GradientBoosting<double> md(params);
  md.fit(Xf.cast<double>(), d.y);
  REQUIRE(mf.num_trees() == md.num_trees());
  for (std::size_t t = 0; t < mf.trees().size(); ++t) {
    CHECK(mf.trees()[t].split_conditions == md.trees()[t].split_conditions);
    CHECK(mf.trees()[t].split_indices == md.trees()[t].split_indices);
  }
  CHECK(mf.predict(Xf).cast<double>().isApprox(md.predict(Xf.cast<double>()), 1e-6));
}

TEST_CASE("GradientBoosting: save and load round-trip, corrupt streams are rejected",
          "[ensemble]") {
  const Data d = make_data(300, 4, "class3", 13);
  GBParams params;
  params.objective = "multi:softprob";
  params.num_class = 3;
  params.n_estimators = 3;
  GradientBoosting<double> m(params);
  m.fit(d.X, d.y);
  std::stringstream out;
  m.save(out);
  const std::string bytes = out.str();
  std::stringstream in(bytes);
  const GradientBoosting<double> back = GradientBoosting<double>::load(in);
  CHECK(back.predict_margin(d.X) == m.predict_margin(d.X));
  CHECK(back.predict_contributions(d.X.topRows(5)) == m.predict_contributions(d.X.topRows(5)));
  // From a pipe (no seeking), too.
  mlprim::test::PipeBuffer pipe(bytes);
  std::istream piped(&pipe);
  CHECK(GradientBoosting<double>::load(piped).predict(d.X) == m.predict(d.X));
  // Every truncation throws std::runtime_error.
  for (std::size_t cut = 0; cut < bytes.size(); cut += 1 + bytes.size() / 97) {
    std::stringstream partial(bytes.substr(0, cut));
    CHECK_THROWS_AS(GradientBoosting<double>::load(partial), std::runtime_error);
  }
  // Trees whose indices point outside, cycle or skip nodes.
  mlprim::RegressionTree t = m.trees()[0];
  auto rejects = [&](mlprim::RegressionTree bad, const std::string& what) {
    std::vector<mlprim::RegressionTree> trees = {std::move(bad)};
    const std::string message = mlprim::test::exception_message<std::runtime_error>(
        [&] { GradientBoosting<double>::from_trees("test", GBParams{}, 4, 0.0, trees, {0}); });
    CHECK_THAT(message, Catch::Contains(what));
  };
  REQUIRE(t.num_nodes() >= 3);
  mlprim::RegressionTree out_of_range = t;
  out_of_range.left_children[0] = 1000;
  rejects(out_of_range, "children");
  mlprim::RegressionTree cycle = t;
  cycle.left_children[static_cast<std::size_t>(t.left_children[0])] = 0;
  cycle.right_children[static_cast<std::size_t>(t.left_children[0])] = t.right_children[0];
  rejects(cycle, "reached twice");
  mlprim::RegressionTree feature = t;
  feature.split_indices[0] = 4;
  rejects(feature, "feature 4");
  mlprim::RegressionTree orphan = t;
  orphan.left_children.push_back(-1);
  for (auto* v : {&orphan.right_children, &orphan.parents, &orphan.split_indices})
    v->push_back(v == &orphan.right_children ? -1 : 0);
  orphan.split_conditions.push_back(0);
  orphan.default_left.push_back(0);
  orphan.base_weights.push_back(0);
  orphan.loss_changes.push_back(0);
  orphan.sum_hessian.push_back(0);
  orphan.split_type.push_back(0);
  orphan.category_segments.push_back(0);
  orphan.category_sizes.push_back(0);
  rejects(orphan, "unreachable");
  // Three classes need whole rounds of three trees.
  CHECK_THAT(mlprim::test::exception_message<std::runtime_error>(
                 [&] { GradientBoosting<double>::from_trees("test", params, 4, 0.0, {t}, {0}); }),
             Catch::Contains("whole rounds of 3"));
  CHECK_THROWS_AS(
      GradientBoosting<double>::from_trees("test", params, 4, 0.0, {t, t, t}, {0, 1, 3}),
      std::runtime_error);
}

TEST_CASE("GradientBoosting: bad input is rejected with the argument named", "[ensemble]") {
  const Data d = make_data(50, 3, "binary", 14);
  auto fit_message = [&](GBParams p, const RowMatrix<double>& X, const Vector<double>& y) {
    return mlprim::test::exception_message<std::invalid_argument>(
        [&] { GradientBoosting<double>(p).fit(X, y); });
  };
  GBParams logistic;
  logistic.objective = "binary:logistic";
  GBParams q = logistic;
  CHECK_THAT(fit_message(q, d.X, d.y.head(49)), Catch::Contains("y.size() = 49"));
  CHECK_THAT(fit_message(q, d.X.topRows(0), d.y.head(0)), Catch::Contains("no rows"));
  Vector<double> y = d.y;
  y[3] = 2;
  CHECK_THAT(fit_message(q, d.X, y), Catch::Contains("y[3] = 2"));
  y[3] = 0.5;  // the contract: hard labels only
  CHECK_THAT(fit_message(q, d.X, y), Catch::Contains("y[3] = 0.5 must be 0 or 1"));
  y[3] = kNaN;
  CHECK_THAT(fit_message(GBParams{}, d.X, y), Catch::Contains("not finite"));
  RowMatrix<double> X = d.X;
  X(2, 1) = std::numeric_limits<double>::infinity();
  CHECK_THAT(fit_message(q, X, d.y), Catch::Contains("infinite"));
  GBParams bad = logistic;
  bad.objective = "reg:gamma";
  CHECK_THAT(fit_message(bad, d.X, d.y), Catch::Contains("objective = \"reg:gamma\""));
  bad = logistic;
  bad.learning_rate = 0;
  CHECK_THAT(fit_message(bad, d.X, d.y), Catch::Contains("learning_rate = 0"));
  bad = logistic;
  bad.max_depth = -1;
  CHECK_THAT(fit_message(bad, d.X, d.y), Catch::Contains("max_depth = -1"));
  bad = logistic;
  bad.subsample = 1.5;
  CHECK_THAT(fit_message(bad, d.X, d.y), Catch::Contains("subsample = 1.5"));
  bad = logistic;
  bad.max_bin = 1;
  CHECK_THAT(fit_message(bad, d.X, d.y), Catch::Contains("max_bin = 1"));
  bad = logistic;
  bad.max_bin = 70000;
  CHECK_THAT(fit_message(bad, d.X, d.y), Catch::Contains("max_bin = 70000"));
  bad = logistic;
  bad.eval_metric = {"mlogloss"};
  CHECK_THAT(fit_message(bad, d.X, d.y), Catch::Contains("does not apply"));
  bad = logistic;
  bad.early_stopping_rounds = 3;
  CHECK_THAT(fit_message(bad, d.X, d.y), Catch::Contains("evaluation set"));
  GBParams soft;
  soft.objective = "multi:softprob";
  CHECK_THAT(fit_message(soft, d.X, d.y), Catch::Contains("num_class = 0"));
  soft.num_class = 2;
  y = d.y;
  y[0] = 0.5;
  CHECK_THAT(fit_message(soft, d.X, y), Catch::Contains("class index"));
  GBParams poisson;
  poisson.objective = "count:poisson";
  y = d.y;
  y[1] = -1;
  CHECK_THAT(fit_message(poisson, d.X, y), Catch::Contains("non-negative"));
  Vector<double> w = Vector<double>::Ones(50);
  w[4] = -1;
  mlprim::FitOptions<double> o;
  o.sample_weight = w;
  CHECK_THAT(mlprim::test::exception_message<std::invalid_argument>(
                 [&] { GradientBoosting<double>(logistic).fit(d.X, d.y, o); }),
             Catch::Contains("sample_weight[4] = -1"));
  GBParams cat = logistic;
  cat.categorical_features = {0};
  X = d.X.cwiseAbs().array().floor().matrix();  // categories 0, 1, 2, ...
  X(5, 0) = 1.5;
  CHECK_THAT(fit_message(cat, X, d.y), Catch::Contains("X(5, 0) = 1.5 in categorical feature 0"));
  X(5, 0) = -1;
  CHECK_THAT(fit_message(cat, X, d.y), Catch::Contains("is not an integer in [0, 2^24)"));
  cat.categorical_features = {0, 0};
  X(5, 0) = 1;
  CHECK_THAT(fit_message(cat, X, d.y), Catch::Contains("twice"));
  cat.categorical_features = {3};
  CHECK_THAT(fit_message(cat, d.X, d.y), Catch::Contains("not a column of X"));
  GradientBoosting<double> fitted(logistic);
  CHECK_THROWS_AS(fitted.predict(d.X), std::invalid_argument);  // not fitted
  fitted.fit(d.X, d.y);
  CHECK_THAT(mlprim::test::exception_message<std::invalid_argument>(
                 [&] { fitted.predict(d.X.leftCols(2)); }),
             Catch::Contains("X.cols() = 2"));
  GBParams reg;
  GradientBoosting<double> regression(reg);
  regression.fit(d.X, d.y);
  CHECK_THROWS_AS(regression.predict_proba(d.X), std::invalid_argument);
}
