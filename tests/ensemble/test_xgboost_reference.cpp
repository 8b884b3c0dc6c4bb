// Gradient boosting against XGBoost 1.7 (Debian's python3-xgboost): models
// it saved as JSON predict its numbers through load_xgboost_json, our own
// training grows its trees, and on scikit-learn's data sets our test metric
// is XGBoost's (tests/data/ensemble/make_xgboost_reference.py).
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>

#include <mlprim/ensemble.hpp>
#include <mlprim/ensemble/xgboost_json.hpp>

#include "catch.hpp"
#include "matrix_checks.hpp"
#include "reference_data.hpp"

namespace {

using mlprim::GBParams;
using mlprim::GradientBoosting;
using mlprim::Index;
using mlprim::RowMatrix;
using mlprim::Vector;

const mlprim::test::ReferenceData& reference() {
  static const auto data = mlprim::test::read_reference_data("ensemble/xgboost_reference.txt");
  return data;
}

const RowMatrix<double>& reference_block(const std::string& name) {
  const auto it = reference().find(name);
  if (it == reference().end()) throw std::runtime_error("no reference block " + name);
  return it->second;
}

GradientBoosting<double> load_json(const std::string& file) {
  std::ifstream in(std::string(MLPRIM_TEST_DATA_DIR) + "/ensemble/" + file);
  REQUIRE(in);
  return mlprim::load_xgboost_json<double>(in);
}

/// The parameters make_xgboost_reference.py trained case `name` with.
GBParams case_params(const std::string& name) {
  GBParams p;
  p.base_score = 0.5;
  p.num_threads = 1;
  p.max_depth = 3;
  p.learning_rate = 0.3;
  if (name == "squared") p.n_estimators = 6;
  if (name == "regularised") {
    p.n_estimators = 5;
    p.max_depth = 4;
    p.learning_rate = 0.5;
    p.reg_alpha = 1;
    p.reg_lambda = 3;
    p.gamma = 1;
    p.min_child_weight = 5;
    p.max_delta_step = 0.4;
  }
  if (name == "weighted") p.n_estimators = 4;
  if (name == "logistic") {
    p.objective = "binary:logistic";
    p.max_depth = 4;
    p.n_estimators = 8;
  }
  if (name == "softprob") {
    p.objective = "multi:softprob";
    p.num_class = 3;
    p.n_estimators = 5;
  }
  if (name == "poisson") {
    p.objective = "count:poisson";
    p.n_estimators = 6;
  }
  if (name == "huber") {
    p.objective = "reg:pseudohubererror";
    p.n_estimators = 5;
  }
  if (name == "absolute") {
    p.objective = "reg:absoluteerror";
    p.learning_rate = 1;
    p.n_estimators = 5;
  }
  if (name == "monotone") {
    p.max_depth = 4;
    p.n_estimators = 6;
    p.monotone_constraints = {1, 0, -1, 0, 0, 0};
  }
  if (name == "lossguide") {
    p.grow_policy = mlprim::GrowPolicy::LossGuide;
    p.max_leaves = 7;
    p.max_depth = 0;
    p.n_estimators = 5;
  }
  return p;
}

const char* const kCases[] = {"squared", "regularised", "weighted", "logistic", "softprob",
                              "poisson", "huber",       "absolute", "monotone", "lossguide"};
constexpr Index kTrainRows = 300;

}  // namespace

TEST_CASE("load_xgboost_json predicts XGBoost's margins, leaves and contributions",
          "[ensemble][xgboost]") {
  const RowMatrix<double>& X = reference_block("synthetic_X");
  for (const std::string name : kCases) {
    INFO("case " << name);
    const GradientBoosting<double> m = load_json("xgb_" + name + ".json");
    const RowMatrix<double> margin = m.predict_margin(X);
    RowMatrix<double> expected = reference_block(name + "_margin");
    expected.resize(margin.rows(), margin.cols());
    mlprim::test::check_close(margin, expected, 1e-6);
    // predict: XGBoost's transformed output (class probabilities for softprob).
    RowMatrix<double> out =
        m.num_outputs() > 1 ? m.predict_proba(X) : RowMatrix<double>(m.predict(X));
    RowMatrix<double> expected_out = reference_block(name + "_predict");
    expected_out.resize(out.rows(), out.cols());
    mlprim::test::check_close(out, expected_out, 1e-6);
    CHECK(RowMatrix<double>(m.predict_leaf(X).cast<double>()) == reference_block(name + "_leaf"));
    mlprim::test::check_close(m.predict_contributions(X), reference_block(name + "_contrib"), 1e-6);
  }
}

TEST_CASE("GradientBoosting grows XGBoost's trees from the same data and parameters",
          "[ensemble][xgboost]") {
  const RowMatrix<double> X = reference_block("synthetic_X");
  const RowMatrix<double> X_train = X.topRows(kTrainRows);
  for (const std::string name : kCases) {
    INFO("case " << name);
    GBParams p = case_params(name);
    const bool adaptive = name == "absolute";
    // The absolute error's later rounds hinge on rows whose residual is
    // exactly 0, which XGBoost decides in float: its first tree is compared.
    if (adaptive) p.n_estimators = 1;
    const Vector<double> y = reference_block(name + "_y").col(0).head(kTrainRows);
    Vector<double> w;
    mlprim::FitOptions<double> options;
    if (reference().count(name + "_weight")) {
      w = reference_block(name + "_weight").col(0).head(kTrainRows);
      options.sample_weight = w;
    }
    GradientBoosting<double> ours(p);
    ours.fit(X_train, y, options);
    const GradientBoosting<double> theirs = load_json("xgb_" + name + ".json");
    REQUIRE(ours.num_trees() <= theirs.num_trees());
    if (!adaptive) REQUIRE(ours.num_trees() == theirs.num_trees());
    for (Index t = 0; t < ours.num_trees(); ++t) {
      INFO("tree " << t);
      const auto& a = ours.trees()[static_cast<std::size_t>(t)];
      const auto& b = theirs.trees()[static_cast<std::size_t>(t)];
      REQUIRE(a.left_children == b.left_children);
      CHECK(a.right_children == b.right_children);
      CHECK(a.split_indices == b.split_indices);
      CHECK(a.default_left == b.default_left);
      for (Index i = 0; i < a.num_nodes(); ++i) {
        const auto u = static_cast<std::size_t>(i);
        if (a.is_leaf(i)) {
          CHECK(a.split_conditions[u] == Approx(b.split_conditions[u]).margin(1e-6));
        } else {
          CHECK(a.split_conditions[u] == b.split_conditions[u]);
          CHECK(a.loss_changes[u] == Approx(b.loss_changes[u]).epsilon(1e-4).margin(1e-5));
        }
        CHECK(a.sum_hessian[u] == Approx(b.sum_hessian[u]).epsilon(1e-5));
      }
    }
    if (!adaptive) {
      RowMatrix<double> expected = reference_block(name + "_margin");
      expected.resize(X.rows(), ours.num_outputs());
      mlprim::test::check_close(ours.predict_margin(X), expected, 1e-5);
    }
  }
}

namespace {

/// A data set in the examples' CSV layout ("n,p,<label names>", then rows
/// with the label last), split by the reference's test-row mask.
struct Split {
  RowMatrix<double> X_train, X_test;
  Vector<double> y_train, y_test;
};

Split load_split(const std::string& path, const std::string& name) {
  std::ifstream in(path);
  REQUIRE(in);
  std::string line;
  std::getline(in, line);
  const Index n = std::stol(line.substr(0, line.find(',')));
  const Index p = std::stol(line.substr(line.find(',') + 1));
  RowMatrix<double> all(n, p + 1);
  for (Index i = 0; i < n; ++i) {
    REQUIRE(std::getline(in, line));
    std::stringstream row(line);
    std::string cell;
    for (Index j = 0; j <= p; ++j) {
      REQUIRE(std::getline(row, cell, ','));
      all(i, j) = std::stod(cell);
    }
  }
  const RowMatrix<double>& test = reference_block(name + "_test_rows");
  REQUIRE(test.rows() == n);
  const Index n_test = static_cast<Index>(test.sum());
  Split s{RowMatrix<double>(n - n_test, p), RowMatrix<double>(n_test, p),
          Vector<double>(n - n_test), Vector<double>(n_test)};
  for (Index i = 0, a = 0, b = 0; i < n; ++i) {
    if (test(i, 0) == 0) {
      s.X_train.row(a) = all.row(i).head(p);
      s.y_train[a++] = all(i, p);
    } else {
      s.X_test.row(b) = all.row(i).head(p);
      s.y_test[b++] = all(i, p);
    }
  }
  return s;
}

/// Our model's metric on the test split after XGBoost's settings
/// (eta 0.1, depth 4) and the reference's metric from XGBoost.
std::pair<double, double> metric_pair(const std::string& name, const std::string& path, GBParams p,
                                      GradientBoosting<double>* out = nullptr) {
  const Split s = load_split(path, name);
  p.learning_rate = 0.1;
  p.max_depth = 4;
  mlprim::FitOptions<double> options;
  options.eval_sets.push_back({"test", s.X_test, s.y_test});
  GradientBoosting<double> m(p);
  m.fit(s.X_train, s.y_train, options);
  if (out) *out = m;
  return {m.evals_result().back().values[0][0], reference_block(name + "_xgb_metric")(0, 0)};
}

}  // namespace

TEST_CASE("GradientBoosting reaches XGBoost's test metric on scikit-learn's data sets",
          "[ensemble][xgboost]") {
  const std::string data = MLPRIM_TEST_DATA_DIR "/ensemble/";
  SECTION(
      "breast cancer: test AUC within 0.01 of XGBoost's (bins differ: 30 continuous features)") {
    GBParams p;
    p.objective = "binary:logistic";
    p.eval_metric = {"auc"};
    p.n_estimators = 60;
    const auto [ours, xgb] =
        metric_pair("breast_cancer",
                    MLPRIM_TEST_DATA_DIR "/../../examples/data/breast_cancer_wisconsin.csv", p);
    CHECK(ours > 0.97);
    CHECK(ours > xgb - 0.01);
  }
  SECTION("diabetes: test RMSE no worse than XGBoost's, and its own from its base score") {
    GBParams p;
    p.eval_metric = {"rmse"};
    p.n_estimators = 60;
    // Our default starts from the mean label (XGBoost 2's intercept); 1.7 starts from 0.5.
    const auto [ours, xgb] = metric_pair("diabetes", data + "diabetes.csv", p);
    CHECK(ours <= xgb * 1.01);
    p.base_score = 0.5;
    const auto [same_start, xgb_again] = metric_pair("diabetes", data + "diabetes.csv", p);
    CHECK(same_start == Approx(xgb_again).epsilon(1e-5));
  }
  SECTION("digits and iris: few distinct values, so XGBoost's very trees and numbers") {
    for (const auto& [name, k, rounds] : {std::tuple<std::string, int, int>{"digits", 10, 40},
                                          std::tuple<std::string, int, int>{"iris", 3, 30}}) {
      INFO(name);
      GBParams p;
      p.objective = "multi:softprob";
      p.num_class = k;
      p.n_estimators = rounds;
      GradientBoosting<double> m;
      const auto [ours, xgb] = metric_pair(name, data + name + ".csv", p, &m);
      CHECK(ours == Approx(xgb).epsilon(1e-5));
      const Split s = load_split(data + name + ".csv", name);
      RowMatrix<double> expected = reference_block(name + "_xgb_predict");
      mlprim::test::check_close(m.predict_proba(s.X_test), expected, 1e-5);
    }
  }
}

TEST_CASE("save_json writes XGBoost's layout, which load_xgboost_json reads back",
          "[ensemble][xgboost]") {
  const RowMatrix<double>& X = reference_block("synthetic_X");
  for (const std::string name : {"logistic", "softprob", "poisson"}) {
    INFO(name);
    const GradientBoosting<double> m = load_json("xgb_" + name + ".json");
    std::stringstream json;
    mlprim::save_json(m, json);
    const GradientBoosting<double> back = mlprim::load_xgboost_json<double>(json);
    mlprim::test::check_close(back.predict_margin(X), m.predict_margin(X), 1e-12);
    CHECK(back.predict_leaf(X) == m.predict_leaf(X));
  }
}

TEST_CASE("categorical splits: XGBoost's models import, and training grows its trees",
          "[ensemble][xgboost]") {
  const RowMatrix<double>& X = reference_block("categorical_X");
  const GradientBoosting<double> theirs = load_json("xgb_categorical.json");
  RowMatrix<double> expected = reference_block("categorical_margin");
  mlprim::test::check_close(theirs.predict_margin(X), expected, 1e-6);
  CHECK(RowMatrix<double>(theirs.predict_leaf(X).cast<double>()) ==
        reference_block("categorical_leaf"));
  mlprim::test::check_close(theirs.predict_contributions(X), reference_block("categorical_contrib"),
                            1e-6);
  // One-hot (3 categories) and partition (8 and 12) splits were both made.
  bool one_hot = false, partition = false;
  for (const auto& t : theirs.trees())
    for (Index i = 0; i < t.num_nodes(); ++i)
      if (t.split_type[static_cast<std::size_t>(i)] == 1) {
        (t.split_indices[static_cast<std::size_t>(i)] == 1 ? one_hot : partition) = true;
      }
  CHECK(one_hot);
  CHECK(partition);

  GBParams p;
  p.base_score = 0.5;
  p.num_threads = 1;
  p.max_depth = 4;
  p.learning_rate = 0.3;
  p.n_estimators = 5;
  p.categorical_features = {0, 1, 2};
  GradientBoosting<double> ours(p);
  ours.fit(X.topRows(kTrainRows), reference_block("categorical_y").col(0).head(kTrainRows));
  REQUIRE(ours.num_trees() == theirs.num_trees());
  for (std::size_t t = 0; t < ours.trees().size(); ++t) {
    INFO("tree " << t);
    const auto& a = ours.trees()[t];
    const auto& b = theirs.trees()[t];
    REQUIRE(a.left_children == b.left_children);
    CHECK(a.split_indices == b.split_indices);
    CHECK(a.split_type == b.split_type);
    CHECK(a.default_left == b.default_left);
    CHECK(a.categories == b.categories);
    CHECK(a.category_sizes == b.category_sizes);
  }
  mlprim::test::check_close(ours.predict_margin(X), expected, 1e-5);
  // Saved in both formats, the categorical model predicts the same.
  std::stringstream binary, json;
  ours.save(binary);
  mlprim::save_json(ours, json);
  CHECK(GradientBoosting<double>::load(binary).predict_margin(X) == ours.predict_margin(X));
  mlprim::test::check_close(mlprim::load_xgboost_json<double>(json).predict_margin(X),
                            ours.predict_margin(X), 1e-12);
}
