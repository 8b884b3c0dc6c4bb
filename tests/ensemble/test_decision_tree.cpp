// DecisionTreeClassifier / DecisionTreeRegressor: hand-checkable splits,
// weights as duplicated rows, scikit-learn's trees on its data sets, bad
// input and the saved format.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include <mlprim/core/random.hpp>
#include <mlprim/ensemble/binning.hpp>
#include <mlprim/ensemble/decision_tree.hpp>

#include "catch.hpp"
#include "matrix_checks.hpp"
#include "sklearn_data.hpp"

namespace {

using mlprim::DecisionTreeClassifier;
using mlprim::DecisionTreeParams;
using mlprim::DecisionTreeRegressor;
using mlprim::Index;
using mlprim::MaxFeatures;
using mlprim::RowMatrix;
using mlprim::TreeCriterion;
using mlprim::Vector;

RowMatrix<double> column(std::initializer_list<double> v) {
  RowMatrix<double> m(static_cast<Index>(v.size()), 1);
  Index i = 0;
  for (double x : v) m(i++, 0) = x;
  return m;
}

Vector<double> vec(std::initializer_list<double> v) {
  Vector<double> out(static_cast<Index>(v.size()));
  Index i = 0;
  for (double x : v) out[i++] = x;
  return out;
}

}  // namespace

TEST_CASE("A CART split is the midpoint of the best gap, scikit-learn's x <= t", "[ensemble][cart]") {
  SECTION("a perfect split at 3.5 with pure leaves") {
    const RowMatrix<double> X = column({1, 2, 3, 4, 5, 6});
    DecisionTreeClassifier<double> t;
    t.fit(X, vec({7, 7, 7, -2, -2, -2}));
    const auto& tree = t.tree();
    REQUIRE(tree.num_nodes() == 3);
    REQUIRE(tree.nodes.split_indices[0] == 0);
    REQUIRE(tree.impurity[0] == Approx(0.5));  // Gini of a 3/3 node
    CHECK(t.classes()[0] == -2);
    CHECK(t.classes()[1] == 7);
    // x <= 3.5 goes left, the next float above does not.
    CHECK(t.predict(column({3.5}))[0] == 7);
    CHECK(t.predict(column({std::nextafter(3.5f, 4.0f)}))[0] == -2);
    const Index left = tree.nodes.left_children[0];
    CHECK(tree.values(static_cast<std::int32_t>(left))[1] == 3);  // three 7s, no -2
    CHECK(tree.values(static_cast<std::int32_t>(left))[0] == 0);
    CHECK(t.feature_importances()[0] == 1.0);
  }
  SECTION("equal proxies: the first position, and the smaller feature") {
    // Splits after x = 1 and after x = 3 both leave -(3 * 4/9) = -4/3.
    RowMatrix<double> X(4, 2);
    X << 1, 1, 2, 2, 3, 3, 4, 4;  // two identical features
    DecisionTreeParams stump;
    stump.max_depth = 1;
    DecisionTreeClassifier<double> s(stump);
    s.fit(X, vec({0, 1, 0, 1}));
    CHECK(s.tree().nodes.split_indices[0] == 0);
    RowMatrix<double> q(2, 2);
    q << 1.5, 1.5, 1.6, 1.6;
    CHECK(s.predict(q)[0] == 0);  // threshold 1.5: x <= 1.5 left (the pure 0 leaf)
    CHECK(s.predict(q)[1] == 1);
  }
  SECTION("regression leaves: the mean, or the median (even counts: the midpoint)") {
    const RowMatrix<double> X = column({1, 2, 3, 4});
    DecisionTreeParams q;
    q.max_depth = 1;
    DecisionTreeRegressor<double> mse(q);
    mse.fit(X, vec({1, 2, 10, 30}));
    // Squared error: after 3 the children's sums of squares are 48.7 + 0
    // (after 2: 0.5 + 200; after 1: 0 + 416).
    CHECK(mse.predict(column({3}))[0] == Approx(13.0 / 3.0));
    CHECK(mse.predict(column({4}))[0] == 30.0);
    q.criterion = TreeCriterion::AbsoluteError;
    DecisionTreeRegressor<double> mae(q);
    mae.fit(X, vec({1, 2, 10, 30}));
    // Absolute error: after 3 the deviations are 9 + 0 (after 2: 1 + 20; after 1: 0 + 28).
    CHECK(mae.predict(column({1}))[0] == Approx(2.0));
    CHECK(mae.predict(column({4}))[0] == 30.0);
    CHECK(mae.predict(column({2.6}))[0] == Approx(2.0));
  }
}

TEST_CASE("Integer sample weights grow the tree of duplicated rows", "[ensemble][cart]") {
  const RowMatrix<double> X = mlprim::test::random_matrix<double>(60, 3, 11);
  Vector<double> y(60), w(60);
  for (Index i = 0; i < 60; ++i) {
    y[i] = X(i, 0) + 0.5 * X(i, 1) > 0 ? 1 : 0;
    w[i] = static_cast<double>(1 + i % 3);
  }
  Index total = 0;
  for (Index i = 0; i < 60; ++i) total += static_cast<Index>(w[i]);
  RowMatrix<double> Xd(total, 3);
  Vector<double> yd(total);
  for (Index i = 0, r = 0; i < 60; ++i)
    for (int k = 0; k < w[i]; ++k, ++r) {
      Xd.row(r) = X.row(i);
      yd[r] = y[i];
    }
  const RowMatrix<double> grid = mlprim::test::random_matrix<double>(200, 3, 12);
  for (auto criterion : {TreeCriterion::Gini, TreeCriterion::Entropy}) {
    DecisionTreeParams q;
    q.criterion = criterion;
    DecisionTreeClassifier<double> a(q), b(q);
    a.fit(X, y, w);
    b.fit(Xd, yd);
    mlprim::test::check_close<double>(a.predict_proba(grid), b.predict_proba(grid), 1e-12);
  }
  const Vector<double> yr = X.col(0) + X.col(1).cwiseAbs();
  Vector<double> yrd(total);
  for (Index i = 0, r = 0; i < 60; ++i)
    for (int k = 0; k < w[i]; ++k) yrd[r++] = yr[i];
  for (auto criterion : {TreeCriterion::SquaredError, TreeCriterion::AbsoluteError}) {
    DecisionTreeParams q;
    q.criterion = criterion;
    q.max_depth = 4;
    DecisionTreeRegressor<double> a(q), b(q);
    a.fit(X, yr, w);
    b.fit(Xd, yrd);
    // On the training rows: a split that two features make alike is an exact
    // tie only in exact arithmetic (the sums are accumulated in different
    // orders), so elsewhere the trees may cut on different features.
    CHECK(a.tree().num_nodes() == b.tree().num_nodes());
    mlprim::test::check_close<double>(RowMatrix<double>(a.predict(X)),
                                      RowMatrix<double>(b.predict(X)), 1e-12);
  }
}

namespace {

/// The parameters make_sklearn_reference.py fits case `name` with.
DecisionTreeParams case_params(const std::string& name) {
  DecisionTreeParams q;
  if (name == "tree_entropy_weighted_wine") q.criterion = TreeCriterion::Entropy;
  if (name == "tree_entropy_cancer") {
    q.criterion = TreeCriterion::Entropy;
    q.max_depth = 3;
  }
  if (name == "tree_leaves_cancer") {
    q.criterion = TreeCriterion::Entropy;
    q.max_leaf_nodes = 8;
  }
  if (name == "tree_leaves_digits") {
    q.criterion = TreeCriterion::Entropy;
    q.max_leaf_nodes = 32;
  }
  if (name == "tree_gini_digits") q.max_depth = 3;
  if (name == "tree_mse_diabetes") {
    q.max_depth = 4;
    q.min_impurity_decrease = 10.0;
  }
  if (name == "tree_leaves_diabetes") q.max_leaf_nodes = 32;
  if (name == "tree_mae_diabetes") {
    q.criterion = TreeCriterion::AbsoluteError;
    q.max_depth = 3;
  }
  if (name == "tree_mae_leaves_diabetes") {
    q.criterion = TreeCriterion::AbsoluteError;
    q.max_leaf_nodes = 8;
  }
  return q;
}

template <class Scalar, class Model>
void check_against_sklearn(const std::string& name, const std::string& data, bool weighted) {
  INFO(name);
  const mlprim::test::SklearnSplit s = mlprim::test::sklearn_split(data);
  Model m(case_params(name));
  const RowMatrix<Scalar> Xtr = s.X_train.cast<Scalar>();
  const Vector<Scalar> ytr = s.y_train.cast<Scalar>(), w = s.weights().cast<Scalar>();
  if (weighted)
    m.fit(Xtr, ytr, w);
  else
    m.fit(Xtr, ytr);
  const RowMatrix<double>& shape = mlprim::test::sklearn_block(name + "_shape");
  CHECK(m.depth() == static_cast<int>(shape(0, 0)));
  CHECK(m.num_leaves() == static_cast<Index>(shape(1, 0)));
  const double tol = std::is_same_v<Scalar, float> ? 1e-6 : 1e-9;
  if constexpr (std::is_same_v<Model, DecisionTreeClassifier<Scalar>>)
    mlprim::test::check_close<Scalar>(m.predict_proba(Xtr), mlprim::test::sklearn_block(name + "_pred"), tol);
  else
    mlprim::test::check_close<Scalar>(RowMatrix<Scalar>(m.predict(Xtr)),
                                      mlprim::test::sklearn_block(name + "_pred"), tol);
}

}  // namespace

// scikit-learn visits the features in a seeded order, which picks among
// features that cut the training rows alike; the training rows' predictions,
// depth and leaves are the same whichever it picks (the script checks 20 seeds).
TEST_CASE("Deterministic trees grow scikit-learn's partitions on its data sets",
          "[ensemble][cart][sklearn]") {
  using C = DecisionTreeClassifier<double>;
  using R = DecisionTreeRegressor<double>;
  check_against_sklearn<double, C>("tree_gini_iris", "iris", false);
  check_against_sklearn<double, C>("tree_gini_weighted_iris", "iris", true);
  check_against_sklearn<double, C>("tree_entropy_weighted_wine", "wine", true);
  check_against_sklearn<double, C>("tree_entropy_cancer", "breast_cancer", true);
  check_against_sklearn<double, C>("tree_leaves_cancer", "breast_cancer", false);
  check_against_sklearn<double, C>("tree_leaves_digits", "digits", true);
  check_against_sklearn<double, C>("tree_gini_digits", "digits", false);
  check_against_sklearn<double, R>("tree_mse_diabetes", "diabetes", false);
  check_against_sklearn<double, R>("tree_leaves_diabetes", "diabetes", true);
  check_against_sklearn<double, R>("tree_mae_diabetes", "diabetes", false);
  check_against_sklearn<double, R>("tree_mae_leaves_diabetes", "diabetes", false);
  // float data: the trees split on float values either way.
  check_against_sklearn<float, DecisionTreeClassifier<float>>("tree_entropy_cancer",
                                                              "breast_cancer", true);
  check_against_sklearn<float, DecisionTreeRegressor<float>>("tree_mse_diabetes", "diabetes",
                                                             false);
}

TEST_CASE("Random thresholds and feature subsets are seeded and stay inside the data",
          "[ensemble][cart]") {
  const RowMatrix<double> X = mlprim::test::random_matrix<double>(300, 6, 5);
  const Vector<double> y = X.col(2) + X.col(4).cwiseProduct(X.col(1));
  DecisionTreeParams q;
  q.splitter = mlprim::TreeSplitter::Random;
  q.max_features = MaxFeatures::sqrt();
  q.seed = 9;
  DecisionTreeRegressor<double> a(q), b(q);
  a.fit(X, y);
  b.fit(X, y);
  REQUIRE(a.tree().nodes.split_conditions == b.tree().nodes.split_conditions);
  q.seed = 10;
  DecisionTreeRegressor<double> c(q);
  c.fit(X, y);
  CHECK(c.tree().nodes.split_conditions != a.tree().nodes.split_conditions);
  // Fully grown: every training row is predicted exactly (distinct rows).
  CHECK((a.predict(X) - y).cwiseAbs().maxCoeff() < 1e-12);
  const auto& t = a.tree().nodes;
  for (Index i = 0; i < t.num_nodes(); ++i)
    if (!t.is_leaf(i)) {
      const auto f = t.split_indices[static_cast<std::size_t>(i)];
      CHECK(t.split_conditions[static_cast<std::size_t>(i)] > static_cast<float>(X.col(f).minCoeff()));
      CHECK(t.split_conditions[static_cast<std::size_t>(i)] <= std::nextafter(static_cast<float>(X.col(f).maxCoeff()), 1e30f));
    }
}

TEST_CASE("Decision trees reject bad input by name", "[ensemble][cart][errors]") {
  const RowMatrix<double> X = mlprim::test::random_matrix<double>(20, 3, 1);
  Vector<double> y(20);
  for (Index i = 0; i < 20; ++i) y[i] = static_cast<double>(i % 2);
  DecisionTreeClassifier<double> t;
  RowMatrix<double> bad = X;
  bad(3, 1) = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_WITH(t.fit(bad, y), Catch::Contains("GradientBoosting"));
  CHECK_THROWS_AS(t.fit(X, Vector<double>::Zero(20)), std::invalid_argument);  // one class
  CHECK_THROWS_AS(t.fit(X, Vector<double>::Zero(19)), std::invalid_argument);
  Vector<double> half = y;
  half[2] = 0.5;
  CHECK_THROWS_WITH(t.fit(X, half), Catch::Contains("not an integer"));
  Vector<double> w = Vector<double>::Ones(20);
  w[4] = -1;
  CHECK_THROWS_WITH(t.fit(X, y, w), Catch::Contains("sample_weight[4]"));
  const Vector<double> zero = Vector<double>::Zero(20);
  CHECK_THROWS_AS(t.fit(X, y, zero), std::invalid_argument);
  for (MaxFeatures m : {MaxFeatures::count(0), MaxFeatures::count(4), MaxFeatures::fraction(1.5)}) {
    DecisionTreeParams q;
    q.max_features = m;
    CHECK_THROWS_WITH(DecisionTreeClassifier<double>(q).fit(X, y), Catch::Contains("max_features"));
  }
  DecisionTreeParams q;
  q.criterion = TreeCriterion::Gini;
  CHECK_THROWS_WITH(DecisionTreeRegressor<double>(q).fit(X, y), Catch::Contains("criterion"));
  q = {};
  q.min_samples_split = 1;
  CHECK_THROWS_WITH(DecisionTreeClassifier<double>(q).fit(X, y), Catch::Contains("min_samples_split"));
  t.fit(X, y);
  CHECK_THROWS_WITH(t.predict(RowMatrix<double>::Zero(2, 4)), Catch::Contains("X.cols()"));
  CHECK_THROWS_AS(DecisionTreeClassifier<double>().predict(X), std::invalid_argument);
}

TEST_CASE("Decision trees round-trip through save and reject corrupt streams",
          "[ensemble][cart][io]") {
  const RowMatrix<double> X = mlprim::test::random_matrix<double>(80, 4, 3);
  Vector<double> y(80);
  for (Index i = 0; i < 80; ++i) y[i] = X(i, 0) > 0.3 ? 5 : (X(i, 1) > 0 ? -1 : 2);
  DecisionTreeClassifier<double> t;
  t.fit(X, y);
  std::stringstream out;
  t.save(out);
  const std::string bytes = out.str();
  std::stringstream in(bytes);
  const auto u = DecisionTreeClassifier<double>::load(in);
  CHECK(u.predict_proba(X) == t.predict_proba(X));
  CHECK(u.classes() == t.classes());
  for (std::size_t cut = 0; cut < bytes.size(); cut += 7) {
    std::stringstream part(bytes.substr(0, cut));
    CHECK_THROWS_AS(DecisionTreeClassifier<double>::load(part), std::runtime_error);
  }
  // A child index pointing back at the root is refused, not followed. The
  // root's left child sits after the header (12 bytes), the parameters (67),
  // the feature count (8), the classes (8 + 8 K), the output count (4) and
  // the length of left_children (8).
  const std::size_t at = 12 + 67 + 8 + 8 + 8 * static_cast<std::size_t>(t.num_classes()) + 4 + 8;
  std::int32_t child = 0;
  std::memcpy(&child, bytes.data() + at, sizeof child);
  REQUIRE(child == t.tree().nodes.left_children[0]);  // the layout is as described
  std::string cyclic = bytes;
  const std::int32_t root = 0;
  std::memcpy(&cyclic[at], &root, sizeof root);
  std::stringstream cycle(cyclic);
  CHECK_THROWS_WITH(DecisionTreeClassifier<double>::load(cycle), Catch::Contains("reached twice"));
  DecisionTreeRegressor<double> r;
  r.fit(X, X.col(2));
  std::stringstream rs;
  r.save(rs);
  std::stringstream wrong_kind(rs.str());
  CHECK_THROWS_AS(DecisionTreeClassifier<double>::load(wrong_kind), std::runtime_error);
}

TEST_CASE("Histogram splits cut between bins: with a bin per value, the exact partitions",
          "[ensemble][cart][histogram]") {
  // At most max_bin distinct values per feature: each value is its own bin,
  // so a cut between bins separates the training rows as the midpoint does.
  for (std::string name : {"iris", "digits"}) {
    INFO(name);
    const auto s = mlprim::test::sklearn_split(name);
    for (auto criterion : {TreeCriterion::Gini, TreeCriterion::Entropy}) {
      DecisionTreeParams q;
      q.criterion = criterion;
      DecisionTreeClassifier<double> exact(q);
      q.max_bin = 256;
      DecisionTreeClassifier<double> hist(q);
      exact.fit(s.X_train, s.y_train);
      hist.fit(s.X_train, s.y_train);
      CHECK(hist.num_leaves() == exact.num_leaves());
      mlprim::test::check_close<double>(hist.predict_proba(s.X_train),
                                        exact.predict_proba(s.X_train), 1e-12);
    }
  }
  const auto d = mlprim::test::sklearn_split("diabetes");
  DecisionTreeParams q;
  q.max_depth = 5;
  DecisionTreeRegressor<double> exact(q);
  q.max_bin = 1024;
  DecisionTreeRegressor<double> hist(q);
  exact.fit(d.X_train, d.y_train);
  hist.fit(d.X_train, d.y_train);
  mlprim::test::check_close<double>(RowMatrix<double>(hist.predict(d.X_train)),
                                    RowMatrix<double>(exact.predict(d.X_train)), 1e-9);
  // Fewer bins: splits only at the cuts, every threshold one of them.
  q.max_bin = 8;
  DecisionTreeRegressor<double> coarse(q);
  coarse.fit(d.X_train, d.y_train);
  const mlprim::HistogramCuts cuts = mlprim::make_cuts<double>(d.X_train, 8);
  const auto& t = coarse.tree().nodes;
  for (Index i = 0; i < t.num_nodes(); ++i)
    if (!t.is_leaf(i)) {
      const auto f = static_cast<std::size_t>(t.split_indices[static_cast<std::size_t>(i)]);
      const float* first = cuts.values.data() + cuts.ptrs[f];
      const float* last = cuts.values.data() + cuts.ptrs[f + 1];
      CHECK(std::find(first, last, t.split_conditions[static_cast<std::size_t>(i)]) != last);
    }
  q.criterion = TreeCriterion::AbsoluteError;
  CHECK_THROWS_WITH(DecisionTreeRegressor<double>(q).fit(d.X_train, d.y_train),
                    Catch::Contains("AbsoluteError"));
  q = {};
  q.max_bin = 1;
  CHECK_THROWS_WITH(DecisionTreeRegressor<double>(q).fit(d.X_train, d.y_train),
                    Catch::Contains("max_bin"));
}
