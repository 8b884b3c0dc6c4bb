// Data-parallel gradient boosting over MPI against one process with threads,
// on bench/ensemble's problem (10^6 x 28 float rows, MLPRIM_BENCH_GB_ROWS to
// change; 100 rounds, depth 6, eta 0.1, 256 bins). Run on two ranks:
//   mpiexec -n 2 ./bench_distributed_gbdt
//   mlprim:train_*   every rank fits its half of the rows on 1 thread, the
//                    histograms all-reduced (cuts from the merged sketch);
//   threaded:train_* rank 0 fits all the rows on `ranks` threads while the
//                    other ranks sleep (a polling MPI wait would take a core);
// so the printed ratio is the threaded time over the distributed one (goal
// >= 0.8). Counters: the bytes this rank sent to all-reduces and
// all-gathers per round, the collectives per round, and the test metric.
// Iterations are fixed so that every rank runs the same loop.
#include <mpi.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <thread>
#include <vector>

#include <mlprim/distributed.hpp>
#include <mlprim/ensemble.hpp>

#include "common/bench_main.hpp"
#include "common/gb_problem.hpp"

namespace {

using mlprim::Index;
using mlprim::bench::Problem;

constexpr int rounds = 100;

/// Every rank; made in main() after MPI starts, freed before it ends.
mlprim::MpiCommunicator* world_comm = nullptr;
mlprim::MpiCommunicator& world() { return *world_comm; }

/// A Communicator that forwards to another and counts what this rank sends.
class CountingCommunicator final : public mlprim::Communicator {
 public:
  explicit CountingCommunicator(mlprim::Communicator& inner) : inner_(inner) {}
  std::uint64_t bytes = 0, calls = 0;

  int rank() const override { return inner_.rank(); }
  int size() const override { return inner_.size(); }
  void all_reduce_sum(float* d, std::size_t n) override { count(n * 4), inner_.all_reduce_sum(d, n); }
  void all_reduce_sum(double* d, std::size_t n) override { count(n * 8), inner_.all_reduce_sum(d, n); }
  void all_reduce_sum(std::int64_t* d, std::size_t n) override {
    count(n * 8), inner_.all_reduce_sum(d, n);
  }
  void all_reduce_max(float* d, std::size_t n) override { count(n * 4), inner_.all_reduce_max(d, n); }
  void all_reduce_max(double* d, std::size_t n) override { count(n * 8), inner_.all_reduce_max(d, n); }
  void all_reduce_max(std::int64_t* d, std::size_t n) override {
    count(n * 8), inner_.all_reduce_max(d, n);
  }
  void broadcast(void* d, std::size_t n, int root) override {
    count(n), inner_.broadcast(d, n, root);
  }
  std::vector<std::vector<unsigned char>> all_gather(const void* d, std::size_t n) override {
    count(n);
    return inner_.all_gather(d, n);
  }
  void barrier() override { count(0), inner_.barrier(); }

 private:
  void count(std::size_t n) {
    bytes += n;
    ++calls;
  }
  mlprim::Communicator& inner_;
};

/// Waits for every rank without spinning: a non-blocking barrier polled
/// every millisecond.
void sleepy_barrier() {
  MPI_Request request;
  MPI_Ibarrier(MPI_COMM_WORLD, &request);
  for (int done = 0;;) {
    MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    if (done) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

const Problem& problem(bool binary) {
  static const Problem b = mlprim::bench::make_problem(true),
                       r = mlprim::bench::make_problem(false);
  return binary ? b : r;
}

mlprim::GBParams params(bool binary, int threads) {
  mlprim::GBParams p;
  p.objective = binary ? "binary:logistic" : "reg:squarederror";
  p.n_estimators = rounds;
  p.max_depth = 6;
  p.learning_rate = 0.1;
  p.max_bin = 256;
  p.num_threads = threads;
  return p;
}

double test_metric(bool binary, const mlprim::GradientBoosting<float>& m) {
  const mlprim::Vector<float> pred = m.predict(problem(binary).X_test);
  return mlprim::bench::test_metric(problem(binary), binary,
                                    std::vector<float>(pred.data(), pred.data() + pred.size()));
}

void distributed_train(benchmark::State& state, bool binary) {
  auto& comm = world();
  const Problem& d = problem(binary);
  const Index n = d.X_train.rows();
  const Index lo = n * comm.rank() / comm.size(), hi = n * (comm.rank() + 1) / comm.size();
  const mlprim::RowMatrix<float> X = d.X_train.middleRows(lo, hi - lo);
  const mlprim::Vector<float> y = d.y_train.segment(lo, hi - lo);
  CountingCommunicator counting(comm);
  mlprim::GradientBoosting<float> m(params(binary, 1));
  for (auto _ : state) {
    mlprim::GradientBoosting<float>::Options o;
    o.communicator = &counting;
    m.fit(X, y, o);
  }
  const double fits = static_cast<double>(state.iterations());
  state.counters["MiB_per_round"] = static_cast<double>(counting.bytes) / fits / rounds / (1 << 20);
  state.counters["calls_per_round"] = static_cast<double>(counting.calls) / fits / rounds;
  state.counters[binary ? "test_auc" : "test_rmse"] = test_metric(binary, m);
}

void threaded_train(benchmark::State& state, bool binary) {
  auto& comm = world();
  const Problem& d = problem(binary);
  mlprim::GradientBoosting<float> m(params(binary, comm.size()));
  for (auto _ : state) {
    if (comm.rank() == 0) m.fit(d.X_train, d.y_train);
    sleepy_barrier();
  }
  if (comm.rank() == 0) state.counters[binary ? "test_auc" : "test_rmse"] = test_metric(binary, m);
}

/// Discards the output of the ranks but 0.
class SilentReporter : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>&) override {}
};

}  // namespace

#define MLPRIM_DIST_TRAIN(fn, label, name, binary) \
  BENCHMARK_CAPTURE(fn, name, binary)              \
      ->Name(#label ":train_" #name)               \
      ->Unit(benchmark::kMillisecond)              \
      ->UseRealTime()                              \
      ->Iterations(1)                              \
      ->Repetitions(3)

MLPRIM_DIST_TRAIN(distributed_train, mlprim, binary, true);
MLPRIM_DIST_TRAIN(threaded_train, threaded, binary, true);
MLPRIM_DIST_TRAIN(distributed_train, mlprim, regression, false);
MLPRIM_DIST_TRAIN(threaded_train, threaded, regression, false);

int main(int argc, char** argv) {
  mlprim::MpiEnvironment mpi(argc, argv);
  mlprim::MpiCommunicator comm;
  world_comm = &comm;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  problem(true);  // made before any timing, on every rank
  problem(false);
  if (world().rank() == 0) {
    mlprim::bench::RatioReporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
  } else {
    SilentReporter silent;
    benchmark::RunSpecifiedBenchmarks(&silent);
  }
  benchmark::Shutdown();
  return 0;
}
