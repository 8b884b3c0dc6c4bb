// Random forest (exact, and on 256 histogram bins), AdaBoost and a deep
// CART tree on 10^5 x 20 float rows.
// scikit-learn, the peer, runs in Python: bench/ensemble/sklearn_classic.py
// asks this program for the same data (MLPRIM_BENCH_WRITE_DATA=<path> writes
// it and exits) and times scikit-learn's fits and predictions on it; the
// ratios go into bench/README.md.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include <mlprim/core/random.hpp>
#include <mlprim/ensemble/adaboost.hpp>
#include <mlprim/ensemble/decision_tree.hpp>
#include <mlprim/ensemble/forest.hpp>

#include "common/bench_main.hpp"
#include "common/memory.hpp"

namespace {

using mlprim::Index;
using mlprim::RowMatrix;
using mlprim::Vector;

constexpr Index train_rows = 100000, test_rows = 20000, features = 20;

struct Problem {
  RowMatrix<float> X_train, X_test;
  Vector<float> y_train, y_test;
};

/// 20 normal features; the class is the sign of a nonlinear function of the
/// first six plus noise (about 10 % of the labels flipped by the noise).
Problem make_problem() {
  mlprim::Rng rng(14);
  const Index n = train_rows + test_rows;
  RowMatrix<float> X(n, features);
  mlprim::fill_normal(X, rng);
  Vector<float> y(n);
  for (Index i = 0; i < n; ++i) {
    const double s = X(i, 0) + 0.8 * X(i, 1) * X(i, 2) - 0.5 * X(i, 3) * X(i, 3) +
                     std::sin(2.0 * X(i, 4)) + 0.5 * X(i, 5) + 0.3 + 0.4 * rng.normal<double>();
    y[i] = s > 0 ? 1.0f : 0.0f;
  }
  return {X.topRows(train_rows), X.bottomRows(test_rows), y.head(train_rows), y.tail(test_rows)};
}

const Problem& problem() {
  static const Problem p = make_problem();
  return p;
}

/// Writes n_train, n_test, p (int64) and X_train, y_train, X_test, y_test (float32).
void write_problem(const char* path) {
  const Problem& p = problem();
  std::ofstream out(path, std::ios::binary);
  const std::int64_t head[3] = {train_rows, test_rows, features};
  out.write(reinterpret_cast<const char*>(head), sizeof head);
  auto put = [&](const float* d, Index count) {
    out.write(reinterpret_cast<const char*>(d), static_cast<std::streamsize>(count * sizeof(float)));
  };
  put(p.X_train.data(), p.X_train.size());
  put(p.y_train.data(), p.y_train.size());
  put(p.X_test.data(), p.X_test.size());
  put(p.y_test.data(), p.y_test.size());
}

double accuracy(const Vector<float>& pred) {
  return (pred.array() == problem().y_test.array()).cast<double>().mean();
}

mlprim::ForestParams forest_params(int threads) {
  mlprim::ForestParams q;
  q.n_estimators = 100;
  q.num_threads = threads;
  return q;
}

void set_counters(benchmark::State& state, double acc, double peak) {
  state.counters["test_acc"] = acc;
  state.counters["peak_MiB"] = peak / (1 << 20);
}

void mlprim_forest_fit(benchmark::State& state, int max_bin) {
  const int threads = static_cast<int>(state.range(0));
  mlprim::ForestParams q = forest_params(threads);
  q.max_bin = max_bin;
  mlprim::RandomForestClassifier<float> f(q);
  double peak = 0;
  for (auto _ : state) peak = mlprim::bench::peak_added_bytes([&] { f.fit(problem().X_train, problem().y_train); });
  set_counters(state, accuracy(f.predict(problem().X_test)), peak);
}

const mlprim::RandomForestClassifier<float>& forest() {
  static const mlprim::RandomForestClassifier<float> f = [] {
    mlprim::RandomForestClassifier<float> m(forest_params(0));
    m.fit(problem().X_train, problem().y_train);
    return m;
  }();
  return f;
}

void mlprim_forest_predict(benchmark::State& state) {
  mlprim::RandomForestClassifier<float> f = forest();
  f.set_num_threads(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    const RowMatrix<float> p = f.predict_proba(problem().X_test);
    benchmark::DoNotOptimize(p.data());
  }
  state.counters["rows"] = benchmark::Counter(static_cast<double>(test_rows),
                                              benchmark::Counter::kIsIterationInvariantRate);
}

void mlprim_adaboost_fit(benchmark::State& state) {
  mlprim::AdaBoostClassifier<float> a(mlprim::AdaBoostParams{200});
  double peak = 0;
  for (auto _ : state) peak = mlprim::bench::peak_added_bytes([&] { a.fit(problem().X_train, problem().y_train); });
  set_counters(state, accuracy(a.predict(problem().X_test)), peak);
}

void mlprim_cart_fit(benchmark::State& state) {
  mlprim::DecisionTreeClassifier<float> t;
  double peak = 0;
  for (auto _ : state) peak = mlprim::bench::peak_added_bytes([&] { t.fit(problem().X_train, problem().y_train); });
  set_counters(state, accuracy(t.predict(problem().X_test)), peak);
  state.counters["leaves"] = static_cast<double>(t.num_leaves());
}

/// Writes the data for the Python peer and exits, when asked.
const bool written = [] {
  if (const char* path = std::getenv("MLPRIM_BENCH_WRITE_DATA")) {
    write_problem(path);
    std::exit(0);
  }
  return false;
}();

}  // namespace

/// A fit per iteration, three repetitions, in seconds.
void seconds_per_fit(benchmark::internal::Benchmark* b) {
  b->Iterations(1)->Repetitions(3)->Unit(benchmark::kSecond)->UseRealTime();
}

/// The single-threaded fits (AdaBoost and one tree are serial).
void one_thread(benchmark::internal::Benchmark* b) { b->ArgName("threads")->Arg(1); }

BENCHMARK_CAPTURE(mlprim_forest_fit, exact, 0)
    ->Name("mlprim:forest_fit")
    ->Apply(mlprim::bench::thread_counts)
    ->Apply(seconds_per_fit);
BENCHMARK_CAPTURE(mlprim_forest_fit, histogram, 256)
    ->Name("mlprim:forest_fit_max_bin_256")
    ->Apply(mlprim::bench::thread_counts)
    ->Apply(seconds_per_fit);
BENCHMARK(mlprim_forest_predict)
    ->Name("mlprim:forest_predict")
    ->Apply(mlprim::bench::thread_counts)
    ->Repetitions(5)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(mlprim_adaboost_fit)->Name("mlprim:adaboost_fit")->Apply(one_thread)->Apply(seconds_per_fit);
BENCHMARK(mlprim_cart_fit)->Name("mlprim:cart_fit")->Apply(one_thread)->Apply(seconds_per_fit);

MLPRIM_BENCHMARK_MAIN();
