// Gradient boosting against XGBoost's C API (Debian libxgboost-dev, `hist`)
// on the same float data made here: a make_classification-style binary
// problem and a regression, n = 10^6 training rows (MLPRIM_BENCH_GB_ROWS to
// change), 28 features, 2 x 10^5 test rows; 200 rounds, depth 6, eta 0.1,
// max_bin 256, 1 and all threads.
//   train:   one fit per iteration; counters `test_auc` / `test_rmse` (the
//            same metric code scores both models) and `peak_MiB`, the
//            resident memory the fit adds at its peak (XGBoost's includes its
//            DMatrix, built from the same array inside the timing);
//   predict: the test rows scored by a model trained once (XGBoost:
//            in-place prediction from the dense array); counter `rows`/s.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <xgboost/c_api.h>

#include <mlprim/core/random.hpp>
#include <mlprim/ensemble.hpp>

#include "common/bench_main.hpp"
#include "common/gb_problem.hpp"
#include "common/memory.hpp"

namespace {

using mlprim::Index;
using mlprim::RowMatrix;
using mlprim::Vector;

using mlprim::bench::features;
using mlprim::bench::Problem;
using mlprim::bench::test_rows;
using mlprim::bench::train_rows;

constexpr int rounds = 200, depth = 6;
constexpr double eta = 0.1;

const Problem& problem(bool binary) {
  static const Problem b = mlprim::bench::make_problem(true), r = mlprim::bench::make_problem(false);
  return binary ? b : r;
}

mlprim::GBParams params(bool binary, int threads) {
  mlprim::GBParams p;
  p.objective = binary ? "binary:logistic" : "reg:squarederror";
  p.n_estimators = rounds;
  p.max_depth = depth;
  p.learning_rate = eta;
  p.max_bin = 256;
  p.num_threads = threads;
  return p;
}

double test_metric(bool binary, const std::vector<float>& pred) {
  return mlprim::bench::test_metric(problem(binary), binary, pred);
}

void check(int status) {
  if (status != 0) {
    std::fprintf(stderr, "xgboost: %s\n", XGBGetLastError());
    std::abort();
  }
}

/// An XGBoost booster trained on the problem (and its DMatrix, freed here).
BoosterHandle xgb_train(bool binary, int threads) {
  const Problem& pb = problem(binary);
  DMatrixHandle d;
  check(XGDMatrixCreateFromMat(pb.X_train.data(), static_cast<bst_ulong>(pb.X_train.rows()),
                               static_cast<bst_ulong>(features), std::nanf(""), &d));
  check(XGDMatrixSetFloatInfo(d, "label", pb.y_train.data(),
                              static_cast<bst_ulong>(pb.y_train.size())));
  BoosterHandle b;
  check(XGBoosterCreate(&d, 1, &b));
  const std::string nthread = std::to_string(threads);
  for (auto [k, v] : {std::pair<const char*, const char*>{"tree_method", "hist"},
                      {"objective", binary ? "binary:logistic" : "reg:squarederror"},
                      {"max_depth", "6"},
                      {"eta", "0.1"},
                      {"max_bin", "256"},
                      {"nthread", nthread.c_str()},
                      {"verbosity", "0"}})
    check(XGBoosterSetParam(b, k, v));
  for (int r = 0; r < rounds; ++r) check(XGBoosterUpdateOneIter(b, r, d));
  check(XGDMatrixFree(d));
  return b;
}

std::vector<float> xgb_predict(BoosterHandle b, const RowMatrix<float>& X, int threads) {
  char array[256], config[256];
  (void)threads;
  std::snprintf(
      array, sizeof array,
      "{\"data\": [%llu, true], \"shape\": [%lld, %lld], \"typestr\": \"<f4\", \"version\": 3}",
      static_cast<unsigned long long>(reinterpret_cast<std::uintptr_t>(X.data())),
      static_cast<long long>(X.rows()), static_cast<long long>(X.cols()));
  std::snprintf(config, sizeof config,
                "{\"type\": 0, \"training\": false, \"iteration_begin\": 0, \"iteration_end\": 0, "
                "\"strict_shape\": false, \"cache_id\": 0, \"missing\": NaN}");
  check(XGBoosterSetParam(b, "nthread", std::to_string(threads).c_str()));
  const bst_ulong* shape;
  bst_ulong dim;
  const float* out;
  check(XGBoosterPredictFromDense(b, array, config, nullptr, &shape, &dim, &out));
  return std::vector<float>(out, out + X.rows());
}

void report_train(benchmark::State& state, bool binary, double metric, double peak) {
  state.counters[binary ? "test_auc" : "test_rmse"] = metric;
  state.counters["peak_MiB"] = peak / (1024.0 * 1024.0);
  state.counters["rows"] = benchmark::Counter(static_cast<double>(train_rows()) * rounds,
                                              benchmark::Counter::kIsIterationInvariantRate);
}

void mlprim_train(benchmark::State& state, bool binary) {
  const int threads = static_cast<int>(state.range(0));
  const Problem& pb = problem(binary);
  double metric = 0, peak = 0;
  for (auto _ : state) {
    mlprim::GradientBoosting<float> m(params(binary, threads));
    peak = mlprim::bench::peak_added_bytes([&] { m.fit(pb.X_train, pb.y_train); });
    const Vector<float> pred = m.predict(pb.X_test);
    metric = test_metric(binary, std::vector<float>(pred.data(), pred.data() + pred.size()));
  }
  report_train(state, binary, metric, peak);
}

void xgboost_train(benchmark::State& state, bool binary) {
  const int threads = static_cast<int>(state.range(0));
  double metric = 0, peak = 0;
  for (auto _ : state) {
    BoosterHandle b = nullptr;
    peak = mlprim::bench::peak_added_bytes([&] { b = xgb_train(binary, threads); });
    metric = test_metric(binary, xgb_predict(b, problem(binary).X_test, threads));
    check(XGBoosterFree(b));
  }
  report_train(state, binary, metric, peak);
}

/// A model of each library trained once per problem on all threads.
const mlprim::GradientBoosting<float>& mlprim_model(bool binary) {
  static const mlprim::GradientBoosting<float> m[2] = {
      mlprim::GradientBoosting<float>(params(false, 0))
          .fit(problem(false).X_train, problem(false).y_train),
      mlprim::GradientBoosting<float>(params(true, 0))
          .fit(problem(true).X_train, problem(true).y_train)};
  return m[binary ? 1 : 0];
}

BoosterHandle xgboost_model(bool binary) {
  static const BoosterHandle b[2] = {xgb_train(false, 0), xgb_train(true, 0)};
  return b[binary ? 1 : 0];
}

void mlprim_predict(benchmark::State& state, bool binary) {
  mlprim::GradientBoosting<float> m = mlprim_model(binary);
  m.set_num_threads(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    const Vector<float> pred = m.predict(problem(binary).X_test);
    benchmark::DoNotOptimize(pred.data());
  }
  state.counters["rows"] = benchmark::Counter(static_cast<double>(test_rows),
                                              benchmark::Counter::kIsIterationInvariantRate);
}

void xgboost_predict(benchmark::State& state, bool binary) {
  BoosterHandle b = xgboost_model(binary);
  const int threads = static_cast<int>(state.range(0));
  for (auto _ : state) {
    const std::vector<float> pred = xgb_predict(b, problem(binary).X_test, threads);
    benchmark::DoNotOptimize(pred.data());
  }
  state.counters["rows"] = benchmark::Counter(static_cast<double>(test_rows),
                                              benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

// Training is seconds per fit: one iteration, three repetitions (medians).
#define MLPRIM_GB_TRAIN(impl, name, binary)     \
  BENCHMARK_CAPTURE(impl##_train, name, binary) \
      ->Name(#impl ":train_" #name)             \
      ->Apply(mlprim::bench::thread_counts)     \
      ->Iterations(1)                           \
      ->Repetitions(3)                          \
      ->Unit(benchmark::kSecond)                \
      ->UseRealTime()
#define MLPRIM_GB_PREDICT(impl, name, binary)     \
  BENCHMARK_CAPTURE(impl##_predict, name, binary) \
      ->Name(#impl ":predict_" #name)             \
      ->Apply(mlprim::bench::thread_counts)       \
      ->Repetitions(5)                            \
      ->Unit(benchmark::kMillisecond)             \
      ->UseRealTime()

MLPRIM_GB_TRAIN(mlprim, binary, true);
MLPRIM_GB_TRAIN(xgboost, binary, true);
MLPRIM_GB_TRAIN(mlprim, regression, false);
MLPRIM_GB_TRAIN(xgboost, regression, false);
MLPRIM_GB_PREDICT(mlprim, binary, true);
MLPRIM_GB_PREDICT(xgboost, binary, true);
MLPRIM_GB_PREDICT(mlprim, regression, false);
MLPRIM_GB_PREDICT(xgboost, regression, false);

MLPRIM_BENCHMARK_MAIN();
