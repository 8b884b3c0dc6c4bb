// Shared main() for mlprim's benchmark programs, with a reporter that makes
// the comparison with peers one line a reader can't misread.
//
// Naming convention: "<impl>:<case>/<args>", e.g. "mlprim:knn_3d/k:10/threads:1"
// and "nanoflann:knn_3d/k:10/threads:1". After the usual console output the
// reporter prints, from the median real time of each benchmark over its
// repetitions:
//   - for each case run by mlprim and a peer: the speed ratio mlprim / peer
//     (above 1 means mlprim is faster);
//   - for each case run with threads:1 and threads:N: the N-thread speedup.
// Use it with MLPRIM_BENCHMARK_MAIN() at the end of a benchmark source file.
#ifndef MLPRIM_BENCH_COMMON_BENCH_MAIN_HPP
#define MLPRIM_BENCH_COMMON_BENCH_MAIN_HPP

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include <mlprim/core/parallel.hpp>

namespace mlprim::bench {

/// Registers `threads:1` and, when more are available, `threads:<all>`.
inline void thread_counts(benchmark::internal::Benchmark* b) {
  b->ArgName("threads");
  b->Arg(1);
  if (mlprim::max_threads() > 1) b->Arg(mlprim::max_threads());
}

class RatioReporter : public benchmark::ConsoleReporter {
 public:
  /// Plain tabular output (no colour codes), so logs and tables copy cleanly.
  RatioReporter() : ConsoleReporter(OO_Tabular) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.error_occurred) continue;
      if (run.run_type == Run::RT_Iteration)
        times_[run.run_name.str()].push_back(run.GetAdjustedRealTime());
      else if (run.aggregate_name == "median")  // --benchmark_report_aggregates_only
        reported_median_[run.run_name.str()] = run.GetAdjustedRealTime();
    }
  }

  void Finalize() override {
    ConsoleReporter::Finalize();
    std::ostream& out = GetOutputStream();
    std::map<std::string, double> median;
    for (auto& [name, values] : times_) {
      std::sort(values.begin(), values.end());
      const std::size_t n = values.size();
      median[name] = n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
    }
    for (const auto& [name, value] : reported_median_) median[name] = value;
    print_peer_ratios(out, median);
    print_thread_scaling(out, median);
  }

 private:
  static std::string impl_of(const std::string& name) {
    const auto colon = name.find(':');
    const auto slash = name.find('/');
    return colon != std::string::npos && colon < slash ? name.substr(0, colon) : std::string();
  }

  void print_peer_ratios(std::ostream& out, const std::map<std::string, double>& median) const {
    bool header = false;
    for (const auto& [name, ours] : median) {
      if (impl_of(name) != "mlprim") continue;
      const std::string case_name = name.substr(name.find(':') + 1);
      for (const auto& [other, theirs] : median) {
        const std::string impl = impl_of(other);
        if (impl.empty() || impl == "mlprim" || other.substr(other.find(':') + 1) != case_name)
          continue;
        if (!header) {
          out << "\nspeed ratio mlprim / peer (median real time; > 1 means mlprim is faster)\n";
          header = true;
        }
        char line[256];
        std::snprintf(line, sizeof line, "  %-56s vs %-12s %7.2fx\n", case_name.c_str(),
                      impl.c_str(), theirs / ours);
        out << line;
      }
    }
  }

  /// Splits "a/threads:2/b" into the key "a/threads:*/b" and the count 2;
  /// returns false when the name has no threads:N segment.
  static bool split_threads(const std::string& name, std::string& key, int& threads) {
    std::size_t start = 0;
    while (start <= name.size()) {
      std::size_t end = name.find('/', start);
      if (end == std::string::npos) end = name.size();
      if (name.compare(start, 8, "threads:") == 0 && end > start + 8) {
        threads = std::stoi(name.substr(start + 8, end - start - 8));
        key = name.substr(0, start) + "threads:*" + name.substr(end);
        return true;
      }
      start = end + 1;
    }
    return false;
  }

  void print_thread_scaling(std::ostream& out, const std::map<std::string, double>& median) const {
    std::map<std::string, std::map<int, double>> groups;
    for (const auto& [name, time] : median) {
      std::string key;
      int threads = 0;
      if (split_threads(name, key, threads)) groups[key][threads] = time;
    }
    bool header = false;
    for (const auto& [key, by_threads] : groups) {
      const auto one = by_threads.find(1);
      if (one == by_threads.end()) continue;
      for (const auto& [threads, time] : by_threads) {
        if (threads == 1) continue;
        if (!header) {
          out << "\nthread scaling (median real time at threads:1 / at threads:N)\n";
          header = true;
        }
        char line[256];
        std::snprintf(line, sizeof line, "  %-60s N = %-3d %7.2fx\n", key.c_str(), threads,
                      one->second / time);
        out << line;
      }
    }
  }

  std::map<std::string, std::vector<double>> times_;
  std::map<std::string, double> reported_median_;
};

}  // namespace mlprim::bench

#define MLPRIM_BENCHMARK_MAIN()                                       \
  int main(int argc, char** argv) {                                   \
    benchmark::Initialize(&argc, argv);                               \
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1; \
    mlprim::bench::RatioReporter reporter;                            \
    benchmark::RunSpecifiedBenchmarks(&reporter);                     \
    benchmark::Shutdown();                                            \
    return 0;                                                         \
  }                                                                   \
  static_assert(true, "")

#endif  // MLPRIM_BENCH_COMMON_BENCH_MAIN_HPP
