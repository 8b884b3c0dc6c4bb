// Gradient histograms of tree nodes: built from the rows' bin codes, or by
// subtraction from the parent's, in an order fixed by the data alone.
#ifndef MLPRIM_ENSEMBLE_DETAIL_HISTOGRAM_HPP
#define MLPRIM_ENSEMBLE_DETAIL_HISTOGRAM_HPP

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "mlprim/core/parallel.hpp"
#include "mlprim/core/prefetch.hpp"
#include "mlprim/ensemble/detail/binned_matrix.hpp"
#include "mlprim/ensemble/detail/objective.hpp"
#include "mlprim/ensemble/detail/split_evaluator.hpp"

namespace mlprim {
namespace detail {

/// A row's (g, h) after GradientGrid::round, in double.
struct QuantizedPair {
  double g = 0;
  double h = 0;
};

/// Gradients rounded onto a grid of multiples of 2^-e, a power of two per
/// component chosen from the largest |g| (|h|) over all rows and the row
/// count N so that N max|g| 2^e < 2^52. Every partial sum of at most N
/// rounded values is then an integer multiple of 2^-e below 2^53 of them,
/// which a double holds exactly: histogram sums are exact, so they do not
/// depend on the order the rows are added in (threads, chunks, the split of
/// the rows between ranks, the all-reduce). The idea of XGBoost's GPU
/// gradient quantiser, kept in double; values keep a resolution of
/// N max|g| 2^-52 (below 10^-9 max|g| for N = 10^6, far under float's
/// 2^-24 relative precision of the gradients themselves).
class GradientGrid {
 public:
  /// The grid for `rows` rows whose largest magnitudes are max_abs_g, max_abs_h.
  GradientGrid(double max_abs_g, double max_abs_h, std::int64_t rows)
      : g_(scale_of(max_abs_g, rows)), h_(scale_of(max_abs_h, rows)) {}

  /// p on the grid: round-to-nearest of p * 2^e, times 2^-e (both exact).
  QuantizedPair round(const GradientPair& p) const {
    return {std::nearbyint(static_cast<double>(p.g) * g_.scale) * g_.step,
            std::nearbyint(static_cast<double>(p.h) * h_.scale) * h_.step};
  }

 private:
  struct Scale {
    double scale = 1, step = 1;
  };
  static Scale scale_of(double max_abs, std::int64_t rows) {
    const double bound = max_abs * static_cast<double>(std::max<std::int64_t>(rows, 1));
    if (!(bound > 0) || !std::isfinite(bound)) return {};  // all zero (or not finite: NaN stays)
    int k = 0;
    std::frexp(bound, &k);  // bound < 2^k
    const int e = std::min(std::max(52 - k, -1000), 1000);
    return {std::ldexp(1.0, e), std::ldexp(1.0, -e)};
  }
  Scale g_, h_;
};

/// One histogram to build: the `count` rows at `rows` into `hist`
/// (BinnedMatrix::slots entries).
struct HistogramJob {
  const std::uint32_t* rows = nullptr;
  std::size_t count = 0;
  GradStats* hist = nullptr;
};

/// hist = the gradient sums of `rows` per slot, rows in their given order.
/// The codes and gradients of the row kPrefetch ahead are requested early
/// (a node's rows are scattered once the tree is a few levels deep).
template <class Code>
void accumulate_histogram(const BinnedMatrix<Code>& bins, const QuantizedPair* gpair,
                          const std::uint32_t* rows, std::size_t count, GradStats* hist) {
  constexpr std::size_t kPrefetch = 16;
  std::fill(hist, hist + bins.slots, GradStats{});
  const auto p = static_cast<std::size_t>(bins.cols);
  const std::uint32_t* slot = bins.slot_offset.data();
  const Code* codes = bins.codes.data();
  const bool contiguous = count > 0 && rows[count - 1] - rows[0] == count - 1;
  for (std::size_t k = 0; k < count; ++k) {
    const std::uint32_t r = rows[k];
    if (!contiguous && k + kPrefetch < count) {
      const std::uint32_t ahead = rows[k + kPrefetch];
      prefetch_line(codes + static_cast<std::size_t>(ahead) * p);
      prefetch_line(codes + static_cast<std::size_t>(ahead) * p + p - 1);
      prefetch_line(gpair + ahead);
    }
    const Code* row = codes + static_cast<std::size_t>(r) * p;
#if defined(__SSE2__)
    // (g, h) as one 128-bit pair: one load, add and store per slot.
    const __m128d gh = _mm_loadu_pd(&gpair[r].g);
    double* base = &hist[0].g;
    for (std::size_t f = 0; f < p; ++f) {
      double* s = base + 2 * static_cast<std::size_t>(slot[f] + row[f]);
      _mm_storeu_pd(s, _mm_add_pd(_mm_loadu_pd(s), gh));
    }
#else
    const double g = gpair[r].g, h = gpair[r].h;
    for (std::size_t f = 0; f < p; ++f) {
      GradStats& s = hist[slot[f] + row[f]];
      s.g += g;
      s.h += h;
    }
#endif
  }
}

/// Reusable histogram buffers (BinnedMatrix::slots entries each), so that
/// growing tree after tree allocates nothing.
class HistogramPool {
 public:
  explicit HistogramPool(std::size_t slots) : slots_(slots) {}
  std::vector<GradStats> acquire() {
    if (free_.empty()) return std::vector<GradStats>(slots_);
    std::vector<GradStats> h = std::move(free_.back());
    free_.pop_back();
    return h;
  }
  void release(std::vector<GradStats>& h) {
    if (!h.empty()) free_.push_back(std::move(h));
    h = {};
  }

 private:
  std::size_t slots_;
  std::vector<std::vector<GradStats>> free_;
};

/// Rows per histogram task. A node with more rows is cut into chunks of this
/// many, each summed alone and the partial sums then added (the gradients
/// lie on a GradientGrid, so every order gives the same bits).
inline constexpr std::size_t kHistogramChunk = 16384;

/// Builds every job's histogram, (job, chunk) tasks on up to `threads` threads.
template <class Code>
void build_histograms(const BinnedMatrix<Code>& bins, const QuantizedPair* gpair,
                      const std::vector<HistogramJob>& jobs, int threads, HistogramPool& pool) {
  struct Task {
    std::size_t job, begin, end;
    GradStats* out;
  };
  std::vector<Task> tasks;
  std::vector<std::vector<GradStats>> partials;
  std::vector<std::pair<std::size_t, std::size_t>> partial_range(jobs.size(), {0, 0});
  for (std::size_t j = 0; j < jobs.size(); ++j) {
    const std::size_t chunks =
        std::max<std::size_t>(1, (jobs[j].count + kHistogramChunk - 1) / kHistogramChunk);
    if (chunks == 1) {
      tasks.push_back({j, 0, jobs[j].count, jobs[j].hist});
      continue;
    }
    partial_range[j] = {partials.size(), partials.size() + chunks};
    for (std::size_t c = 0; c < chunks; ++c) {
      partials.push_back(pool.acquire());
      tasks.push_back({j, c * kHistogramChunk, std::min(jobs[j].count, (c + 1) * kHistogramChunk),
                       partials.back().data()});
    }
  }
  // Each task writes only its own buffer: any assignment to threads gives the same sums.
  parallel_for(std::size_t{0}, tasks.size(), threads, [&](std::size_t t) {
    const Task& task = tasks[t];
    accumulate_histogram(bins, gpair, jobs[task.job].rows + task.begin, task.end - task.begin,
                         task.out);
  });
  // Partials added in chunk order, slot ranges in parallel.
  const std::size_t slots = bins.slots;
  for (std::size_t j = 0; j < jobs.size(); ++j) {
    const std::size_t first = partial_range[j].first, last = partial_range[j].second;
    if (first == last) continue;
    parallel_for_chunks(std::size_t{0}, slots, threads, [&](std::size_t lo, std::size_t hi, int) {
      GradStats* out = jobs[j].hist;
      std::copy(partials[first].begin() + static_cast<std::ptrdiff_t>(lo),
                partials[first].begin() + static_cast<std::ptrdiff_t>(hi), out + lo);
      for (std::size_t c = first + 1; c < last; ++c)
        for (std::size_t s = lo; s < hi; ++s) out[s].add(partials[c][s]);
    });
  }
  for (auto& p : partials) pool.release(p);
}

/// larger = parent - smaller, slot by slot (the subtraction trick).
inline void subtract_histogram(const GradStats* parent, const GradStats* smaller, GradStats* larger,
                               std::size_t slots) {
  for (std::size_t i = 0; i < slots; ++i) larger[i] = parent[i].minus(smaller[i]);
}

}  // namespace detail
}  // namespace mlprim

#endif  // MLPRIM_ENSEMBLE_DETAIL_HISTOGRAM_HPP
