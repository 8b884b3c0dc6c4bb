// Gradient histograms of tree nodes: built from the rows' bin codes, or by
// subtraction from the parent's, in an order fixed by the data alone.
#ifndef MLPRIM_ENSEMBLE_DETAIL_HISTOGRAM_HPP
#define MLPRIM_ENSEMBLE_DETAIL_HISTOGRAM_HPP

#include <algorithm>
#include <cstdint>
#include <vector>

#include "mlprim/core/parallel.hpp"
#include "mlprim/ensemble/detail/binned_matrix.hpp"
#include "mlprim/ensemble/detail/objective.hpp"
#include "mlprim/ensemble/detail/split_evaluator.hpp"

namespace mlprim {
namespace detail {

/// One histogram to build: the rows rows[begin, end) of a node into `hist`
/// (BinnedMatrix::slots entries, zeroed by the builder).
struct HistogramJob {
  const std::uint32_t* rows = nullptr;
  std::size_t count = 0;
  GradStats* hist = nullptr;
};

/// Adds the gradients of `rows` into `hist` for features [f_lo, f_hi), rows
/// in their given order: each slot sums its rows in row order, whoever runs it.
template <class Code>
void accumulate_histogram(const BinnedMatrix<Code>& bins, const GradientPair* gpair,
                          const std::uint32_t* rows, std::size_t count, Index f_lo, Index f_hi,
                          GradStats* hist) {
  const Index p = bins.cols;
  const std::uint32_t* slot = bins.slot_offset.data();
  const Code* codes = bins.codes.data();
  for (std::size_t k = 0; k < count; ++k) {
    const std::uint32_t r = rows[k];
    const GradientPair gp = gpair[r];
    const Code* row = codes + static_cast<std::size_t>(r) * static_cast<std::size_t>(p);
    for (Index f = f_lo; f < f_hi; ++f) {
      GradStats& s = hist[slot[f] + row[f]];
      s.g += gp.g;
      s.h += gp.h;
    }
  }
}

/// Builds every job's histogram on up to `threads` threads. Work is cut into
/// (job, feature block) tasks and the tasks into contiguous runs of about
/// equal rows x features per thread; a slot is summed by one task in row
/// order, so the histograms are bit-identical for any thread count.
template <class Code>
void build_histograms(const BinnedMatrix<Code>& bins, const GradientPair* gpair,
                      const std::vector<HistogramJob>& jobs, int threads) {
  const Index p = bins.cols;
  for (const auto& job : jobs) std::fill(job.hist, job.hist + bins.slots, GradStats{});
  if (jobs.empty() || p == 0) return;
  const Index block = std::max<Index>(1, std::min<Index>(p, 8));
  struct Task {
    std::size_t job;
    Index f_lo, f_hi;
    double cost;
  };
  std::vector<Task> tasks;
  double total = 0;
  for (std::size_t j = 0; j < jobs.size(); ++j) {
    const bool split = threads > 1 && jobs[j].count >= 4096;
    const Index step = split ? block : p;
    for (Index f = 0; f < p; f += step) {
      const Index hi = std::min(p, f + step);
      const double cost = static_cast<double>(jobs[j].count) * static_cast<double>(hi - f) + 64.0;
      tasks.push_back({j, f, hi, cost});
      total += cost;
    }
  }
  const int workers = static_cast<int>(
      std::min<std::size_t>(static_cast<std::size_t>(std::max(threads, 1)), tasks.size()));
  std::vector<std::size_t> first(static_cast<std::size_t>(workers) + 1, tasks.size());
  first[0] = 0;
  double acc = 0;
  int w = 1;
  for (std::size_t t = 0; t < tasks.size() && w < workers; ++t) {
    acc += tasks[t].cost;
    while (w < workers && acc >= total * w / workers) first[static_cast<std::size_t>(w++)] = t + 1;
  }
  parallel_for(0, workers, workers, [&](int worker) {
    for (std::size_t t = first[static_cast<std::size_t>(worker)];
         t < first[static_cast<std::size_t>(worker) + 1]; ++t) {
      const Task& task = tasks[t];
      const HistogramJob& job = jobs[task.job];
      accumulate_histogram(bins, gpair, job.rows, job.count, task.f_lo, task.f_hi, job.hist);
    }
  });
}

/// larger = parent - smaller, slot by slot (the subtraction trick).
inline void subtract_histogram(const GradStats* parent, const GradStats* smaller, GradStats* larger,
                               std::size_t slots) {
  for (std::size_t i = 0; i < slots; ++i) larger[i] = parent[i].minus(smaller[i]);
}

}  // namespace detail
}  // namespace mlprim

#endif  // MLPRIM_ENSEMBLE_DETAIL_HISTOGRAM_HPP
