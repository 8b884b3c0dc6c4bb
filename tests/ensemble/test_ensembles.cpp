// AdaBoost, bagging, forests, model selection, linear models, stacking and
// voting: rounds computed by hand, scikit-learn's numbers on its data sets,
// thread-count invariance, bad input and saved formats.
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include <mlprim/ensemble.hpp>

#include "catch.hpp"
#include "matrix_checks.hpp"
#include "sklearn_data.hpp"

namespace {

using namespace mlprim;  // NOLINT: the test names many types
using mlprim::test::accuracy;
using mlprim::test::check_close;
using mlprim::test::r2;
using mlprim::test::sklearn_block;
using mlprim::test::sklearn_split;

}  // namespace

TEST_CASE("SAMME's first rounds match the formulas computed by hand", "[ensemble][adaboost]") {
  RowMatrix<double> X(6, 1);
  X << 1, 2, 3, 4, 5, 6;
  Vector<double> y(6);
  y << 0, 0, 1, 0, 1, 1;
  AdaBoostClassifier<double> a(AdaBoostParams{3});
  a.fit(X, y);
  REQUIRE(a.estimators().size() == 3);
  // Round 1: the best stump errs on one row of six: alpha = log(5) + log(1).
  CHECK(a.estimator_errors()[0] == Approx(1.0 / 6.0));
  CHECK(a.estimator_weights()[0] == Approx(std::log(5.0)));
  std::vector<double> w(6, 1.0 / 6.0);
  for (std::size_t m = 0; m < 3; ++m) {
    const Vector<double> pred = a.estimators()[m].predict(X);
    double err = 0, total = 0;
    for (int i = 0; i < 6; ++i) {
      err += w[static_cast<std::size_t>(i)] * (pred[i] != y[i]);
      total += w[static_cast<std::size_t>(i)];
    }
    err /= total;
    INFO("round " << m);
    CHECK(a.estimator_errors()[m] == Approx(err).epsilon(1e-12));
    const double alpha = std::log((1 - err) / err);
    CHECK(a.estimator_weights()[m] == Approx(alpha).epsilon(1e-12));
    for (int i = 0; i < 6; ++i)
      if (pred[i] != y[i]) w[static_cast<std::size_t>(i)] *= std::exp(alpha);
  }
  // A perfect first learner stops the boosting with weight 1.
  Vector<double> easy(6);
  easy << 0, 0, 0, 1, 1, 1;
  a.fit(X, easy);
  CHECK(a.estimators().size() == 1);
  CHECK(a.estimator_weights()[0] == 1.0);
  CHECK(a.predict(X) == easy);
  CHECK(a.staged_predict(X).size() == 1);
}

TEST_CASE("AdaBoost matches scikit-learn's SAMME weights and probabilities",
          "[ensemble][adaboost][sklearn]") {
  for (auto [name, data, n] : {std::tuple<std::string, std::string, int>{"ada_cancer", "breast_cancer", 30},
                               {"ada_wine", "wine", 20}}) {
    INFO(name);
    const auto s = sklearn_split(data);
    AdaBoostClassifier<double> a(AdaBoostParams{n});
    a.fit(s.X_train, s.y_train);
    const RowMatrix<double>& alpha = sklearn_block(name + "_alpha");
    const RowMatrix<double>& error = sklearn_block(name + "_error");
    REQUIRE(static_cast<Index>(a.estimators().size()) <= alpha.rows());
    for (std::size_t m = 0; m < a.estimators().size(); ++m) {
      CHECK(a.estimator_weights()[m] == Approx(alpha(static_cast<Index>(m), 0)).epsilon(1e-9));
      CHECK(a.estimator_errors()[m] == Approx(error(static_cast<Index>(m), 0)).epsilon(1e-9));
    }
    check_close<double>(a.predict_proba(s.X_train), sklearn_block(name + "_proba"), 1e-9);
  }
}

TEST_CASE("AdaBoost.R2 and AdaBoost's bad input", "[ensemble][adaboost]") {
  const auto s = sklearn_split("diabetes");
  AdaBoostRegressor<double> r;
  r.fit(s.X_train, s.y_train);
  // Random resampling: R^2 within 0.05 of scikit-learn's five-seed mean.
  CHECK(r2(s.y_test, r.predict(s.X_test)) > sklearn_block("ada_r2_diabetes")(0, 0) - 0.05);
  CHECK(r.staged_predict(s.X_test).back() == r.predict(s.X_test));
  std::stringstream io;
  r.save(io);
  CHECK(AdaBoostRegressor<double>::load(io).predict(s.X_test) == r.predict(s.X_test));
  AdaBoostClassifier<double> a(AdaBoostParams{0});
  CHECK_THROWS_WITH(a.fit(s.X_train, Vector<double>::Zero(s.y_train.size())),
                    Catch::Contains("n_estimators"));
  AdaBoostParams q;
  q.learning_rate = -1;
  CHECK_THROWS_WITH(AdaBoostClassifier<double>(q).fit(s.X_train, s.y_train),
                    Catch::Contains("learning_rate"));
}

TEST_CASE("Random forests, extra trees and bagging reach scikit-learn's scores",
          "[ensemble][forest][sklearn]") {
  // Different random streams: test accuracy within 0.03 (R^2 within 0.05)
  // of scikit-learn's mean over five seeds, out-of-bag within 0.03 (0.06).
  SECTION("random forest classifier, breast cancer") {
    const auto s = sklearn_split("breast_cancer");
    ForestParams q;
    q.oob_score = true;
    RandomForestClassifier<double> f(q);
    f.fit(s.X_train, s.y_train);
    const RowMatrix<double>& ref = sklearn_block("rf_cancer");
    CHECK(std::abs(accuracy(f.predict(s.X_test), s.y_test) - ref(0, 0)) < 0.03);
    CHECK(std::abs(f.oob_score() - ref(1, 0)) < 0.03);
    CHECK(f.feature_importances().sum() == Approx(1.0));
  }
  SECTION("random forest regressor, diabetes") {
    const auto s = sklearn_split("diabetes");
    ForestParams q;
    q.oob_score = true;
    RandomForestRegressor<double> f(q);
    f.fit(s.X_train, s.y_train);
    const RowMatrix<double>& ref = sklearn_block("rf_diabetes");
    CHECK(std::abs(r2(s.y_test, f.predict(s.X_test)) - ref(0, 0)) < 0.05);
    CHECK(std::abs(f.oob_score() - ref(1, 0)) < 0.06);
  }
  SECTION("random forest on 32 histogram bins, breast cancer") {
    const auto s = sklearn_split("breast_cancer");
    ForestParams q;
    q.max_bin = 32;
    RandomForestClassifier<double> f(q);
    f.fit(s.X_train, s.y_train);
    CHECK(std::abs(accuracy(f.predict(s.X_test), s.y_test) - sklearn_block("rf_cancer")(0, 0)) < 0.03);
  }
  SECTION("extra trees") {
    const auto w = sklearn_split("wine");
    ExtraTreesClassifier<double> c;
    c.fit(w.X_train, w.y_train);
    CHECK(std::abs(accuracy(c.predict(w.X_test), w.y_test) - sklearn_block("et_wine")(0, 0)) < 0.03);
    const auto d = sklearn_split("diabetes");
    ExtraTreesRegressor<double> r;
    r.fit(d.X_train, d.y_train);
    CHECK(std::abs(r2(d.y_test, r.predict(d.X_test)) - sklearn_block("et_diabetes")(0, 0)) < 0.05);
  }
  SECTION("bagging with feature subsets") {
    const auto s = sklearn_split("breast_cancer");
    BaggingParams q;
    q.n_estimators = 20;
    q.max_features = 0.5;
    q.oob_score = true;
    BaggingClassifier<double> b(q);
    b.fit(s.X_train, s.y_train);
    const RowMatrix<double>& ref = sklearn_block("bag_cancer");
    CHECK(std::abs(accuracy(b.predict(s.X_test), s.y_test) - ref(0, 0)) < 0.04);
    CHECK(std::abs(b.oob_score() - ref(1, 0)) < 0.04);
  }
}

TEST_CASE("Forests are the same model for 1, 2 and 7 threads and round-trip", "[ensemble][forest]") {
  const auto s = sklearn_split("digits");
  auto fit = [&](int threads) {
    ForestParams q;
    q.n_estimators = 12;
    q.num_threads = threads;
    q.oob_score = true;
    q.seed = 5;
    RandomForestClassifier<double> f(q);
    f.fit(s.X_train, s.y_train);
    return f;
  };
  const auto one = fit(1), two = fit(2), seven = fit(7);
  const RowMatrix<double> p1 = one.predict_proba(s.X_test);
  CHECK(p1 == two.predict_proba(s.X_test));
  CHECK(p1 == seven.predict_proba(s.X_test));
  CHECK(one.oob_score() == seven.oob_score());
  std::stringstream io;
  one.save(io);
  const std::string bytes = io.str();
  std::stringstream in(bytes);
  CHECK(RandomForestClassifier<double>::load(in).predict_proba(s.X_test) == p1);
  for (std::size_t cut = 0; cut < bytes.size(); cut += bytes.size() / 40 + 1) {
    std::stringstream part(bytes.substr(0, cut));
    CHECK_THROWS_AS(RandomForestClassifier<double>::load(part), std::runtime_error);
  }
  ForestParams bad;
  bad.n_estimators = 0;
  CHECK_THROWS_WITH(RandomForestClassifier<double>(bad).fit(s.X_train, s.y_train),
                    Catch::Contains("n_estimators"));
}

TEST_CASE("The packed forest walk is each tree's own walk, on every kernel and beyond float's range",
          "[ensemble][forest]") {
  const auto s = sklearn_split("digits");  // 64 features: 6 bits of each link
  ForestParams q;
  q.n_estimators = 9;
  q.seed = 3;
  RandomForestClassifier<double> f(q);
  f.fit(s.X_train, s.y_train);
  RowMatrix<double> X = s.X_test;
  X(0, 10) = 1e300;  // rounds to +inf as a float: must still end on a leaf
  X(1, 20) = -1e300;
  X(2, 30) = 3.5e38;
  // The reference: every tree walked on its own (double comparisons).
  RowMatrix<double> mean = RowMatrix<double>::Zero(X.rows(), 10);
  for (const auto& t : f.estimators()) mean += t.predict_proba(X);
  mean /= static_cast<double>(f.estimators().size());
  check_close<double>(f.predict_proba(X), mean, 1e-13);
  // The portable and the vector kernel add the same doubles in the same order.
  std::vector<const CartTree*> trees;
  for (const auto& t : f.estimators()) trees.push_back(&t.tree());
  detail::CartScorer scorer;
  scorer.pack(trees, 10, true, X.cols());
  REQUIRE(scorer.num_trees() == trees.size());
  const RowMatrix<float> rows = X.cwiseMin(3e38).cwiseMax(-3e38).cast<float>();
  std::vector<double> portable(static_cast<std::size_t>(X.rows() * 10)), best(portable.size());
  scorer.add(rows.data(), X.rows(), X.cols(), 0, trees.size(), portable.data(),
             detail::CartScorer::Kernel::Scalar);
  scorer.add(rows.data(), X.rows(), X.cols(), 0, trees.size(), best.data());
  CHECK(portable == best);
  if (!detail::CartScorer::has_avx512()) WARN("no AVX-512 on this CPU: Best ran the portable walk");
}

TEST_CASE("Folds: StratifiedKFold is scikit-learn's, KFold and train_test_split tile the rows",
          "[ensemble][model_selection]") {
  const auto w = sklearn_split("wine");
  Vector<double> all(w.y_train.size() + w.y_test.size());
  {
    // The wine labels in file order, then mixed as the script mixes them.
    const Index n = all.size();
    Vector<double> file(n);
    for (Index i = 0, a = 0, b = 0; i < n; ++i) file[i] = i % 4 == 0 ? w.y_test[b++] : w.y_train[a++];
    for (Index i = 0; i < n; ++i) all[i] = file[(i * 7) % n];
  }
  const auto folds = StratifiedKFold{5}.split<double>(all);
  const RowMatrix<double>& ref = sklearn_block("stratified_wine_folds");
  for (int k = 0; k < 5; ++k)
    for (Index i : folds[static_cast<std::size_t>(k)].test) CHECK(ref(i, 0) == k);
  CHECK_THROWS_WITH(StratifiedKFold{80}.split<double>(all), Catch::Contains("fewer than n_splits"));
  const auto kf = KFold{3, true, 4}.split(10);
  std::vector<int> seen(10, 0);
  for (const Fold& f : kf) {
    CHECK(f.train.size() + f.test.size() == 10);
    for (Index i : f.test) ++seen[static_cast<std::size_t>(i)];
  }
  CHECK(seen == std::vector<int>(10, 1));
  CHECK(kf[0].test.size() == 4);
  const Fold t = train_test_split(10, 0.25, 1);
  CHECK(t.test.size() == 3);
  CHECK(t.train.size() == 7);
  CHECK_THROWS_AS(train_test_split(10, 1.5), std::invalid_argument);
}

TEST_CASE("Logistic and ridge regression solve scikit-learn's problems", "[ensemble][linear]") {
  for (std::string name : {"logistic_cancer", "logistic_wine"}) {
    INFO(name);
    auto s = sklearn_split(name == "logistic_cancer" ? "breast_cancer" : "wine");
    mlprim::test::standardise(s);
    LogisticRegressionParams q;
    q.C = 0.5;
    LogisticRegression<double> m(q);
    m.fit(s.X_train, s.y_train);
    // And the optimum by its own definition: the gradient of
    // sum_i -log p(y_i) + |W|^2 / (2C) vanishes, checked here from its formula.
    check_close<double>(RowMatrix<double>(m.coef()), sklearn_block(name + "_coef"), 1e-6);
    check_close<double>(RowMatrix<double>(m.intercept()), sklearn_block(name + "_intercept"), 1e-6);
    const RowMatrix<double> P = m.predict_proba(s.X_train);
    RowMatrix<double> R = P;
    for (Index i = 0; i < R.rows(); ++i)
      R(i, static_cast<Index>(s.y_train[i])) -= 1.0;  // labels are 0..K-1
    const Index outs = m.coef().rows();
    const RowMatrix<double> Rk = outs == 1 ? RowMatrix<double>(R.rightCols(1)) : R;
    const RowMatrix<double> grad_w = Rk.transpose() * s.X_train + m.coef() / q.C;
    CHECK(grad_w.cwiseAbs().maxCoeff() < 1e-7);
    CHECK(Rk.colwise().sum().cwiseAbs().maxCoeff() < 1e-7);
    check_close<double>(m.predict_proba(s.X_test), sklearn_block(name + "_proba"), 1e-7);
    std::stringstream io;
    m.save(io);
    CHECK(LogisticRegression<double>::load(io).predict_proba(s.X_test) == m.predict_proba(s.X_test));
  }
  const auto d = sklearn_split("diabetes");
  RidgeRegression<double> r(RidgeParams{0.1});
  const Vector<double> w = d.weights();
  r.fit(d.X_train, d.y_train, w);
  check_close<double>(RowMatrix<double>(r.coef()), sklearn_block("ridge_diabetes_coef"), 1e-8);
  CHECK(r.intercept() == Approx(sklearn_block("ridge_diabetes_intercept")(0, 0)).epsilon(1e-10));
}

TEST_CASE("Stacking and soft voting match scikit-learn, and erased models round-trip",
          "[ensemble][stacking][sklearn]") {
  auto s = sklearn_split("breast_cancer");
  mlprim::test::standardise(s);
  LogisticRegressionParams weak;
  weak.C = 0.01;
  StackingClassifier<double> stack(
      {LogisticRegression<double>(weak), LogisticRegression<double>()});
  stack.fit(s.X_train, s.y_train);
  check_close<double>(stack.predict_proba(s.X_test), sklearn_block("stacking_cancer_proba"), 1e-7);
  DecisionTreeParams stump2;
  stump2.criterion = TreeCriterion::Entropy;
  stump2.max_depth = 2;
  const std::vector<Classifier<double>> base = {DecisionTreeClassifier<double>(stump2),
                                                LogisticRegression<double>()};
  VotingClassifier<double> vote(base, VotingParams{Voting::Soft, {1.0, 2.0}});
  vote.fit(s.X_train, s.y_train);
  check_close<double>(vote.predict_proba(s.X_test), sklearn_block("voting_cancer_proba"), 1e-7);
  // Any model behind Classifier: save through the wrapper, load by magic.
  std::stringstream io;
  Classifier<double>(stack).save(io);
  const Classifier<double> back = load_classifier<double>(io);
  CHECK(back.predict_proba(s.X_test) == stack.predict_proba(s.X_test));
  const Vector<double> cv = cross_val_score(vote, s.X_train, s.y_train, 3);
  CHECK(cv.minCoeff() > 0.9);
  CHECK_THROWS_WITH(StackingClassifier<double>(std::vector<Classifier<double>>{}).fit(s.X_train, s.y_train),
                    Catch::Contains("no base estimators"));
  const auto d = sklearn_split("diabetes");
  DecisionTreeParams depth3;
  depth3.max_depth = 3;
  StackingRegressor<double> sr({DecisionTreeRegressor<double>(depth3), RidgeRegression<double>()});
  sr.fit(d.X_train, d.y_train);
  CHECK(r2(d.y_test, sr.predict(d.X_test)) > 0.3);
  VotingRegressor<double> vr({DecisionTreeRegressor<double>(depth3), RidgeRegression<double>()});
  vr.fit(d.X_train, d.y_train);
  std::stringstream rio;
  Estimator<double>(vr).save(rio);
  CHECK(load_estimator<double>(rio).predict(d.X_test) == vr.predict(d.X_test));
}

TEST_CASE("Voting and stacking loaders refuse members whose classes are not the ensemble's",
          "[ensemble][stacking][io]") {
  RowMatrix<double> X(12, 2);
  Vector<double> y(12);
  for (Index i = 0; i < 12; ++i) {
    X(i, 0) = static_cast<double>(i);
    X(i, 1) = static_cast<double>((i * 7) % 5);
    y[i] = static_cast<double>(i % 3);
  }
  DecisionTreeParams depth2;
  depth2.max_depth = 2;
  // The ensemble's classes {0, 1, 2} are stored first, as a count and three
  // doubles; relabelled {-2, -1, 0}, the members' labels 1 and 2 have no column.
  const auto relabel = [](std::string bytes) {
    const double from[] = {0.0, 1.0, 2.0}, to[] = {-2.0, -1.0, 0.0};
    const std::string pattern(reinterpret_cast<const char*>(from), sizeof from);
    const auto at = bytes.find(pattern);
    REQUIRE(at != std::string::npos);
    bytes.replace(at, sizeof to, reinterpret_cast<const char*>(to), sizeof to);
    return bytes;
  };
  std::stringstream vio;
  VotingClassifier<double>({DecisionTreeClassifier<double>(depth2), LogisticRegression<double>()})
      .fit(X, y)
      .save(vio);
  std::stringstream vbad(relabel(vio.str()));
  CHECK_THROWS_WITH(VotingClassifier<double>::load(vbad),
                    Catch::Contains("an estimator does not have the ensemble's 3 classes"));
  std::stringstream sio;
  StackingClassifier<double>({DecisionTreeClassifier<double>(depth2)}, LogisticRegression<double>(),
                             StackingParams{3, false})
      .fit(X, y)
      .save(sio);
  std::stringstream sbad(relabel(sio.str()));
  CHECK_THROWS_WITH(StackingClassifier<double>::load(sbad),
                    Catch::Contains("a base estimator does not have the ensemble's 3 classes"));
  // A stored weight of 0 for the only estimator is refused, as fit refuses it.
  std::stringstream wio;
  VotingClassifier<double>({LogisticRegression<double>()}, VotingParams{Voting::Soft, {3.0}})
      .fit(X, y)
      .save(wio);
  std::string wbytes = wio.str();
  const double three = 3.0, zero = 0.0;
  const auto at = wbytes.find(std::string(reinterpret_cast<const char*>(&three), sizeof three));
  REQUIRE(at != std::string::npos);
  wbytes.replace(at, sizeof zero, reinterpret_cast<const char*>(&zero), sizeof zero);
  std::stringstream wbad(wbytes);
  CHECK_THROWS_WITH(VotingClassifier<double>::load(wbad), Catch::Contains("the weights sum to 0"));
}
