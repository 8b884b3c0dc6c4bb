// Gradient histograms of tree nodes: built from the rows' bin codes, or by
// subtraction from the parent's, in an order fixed by the data alone.
#ifndef MLPRIM_ENSEMBLE_DETAIL_HISTOGRAM_HPP
#define MLPRIM_ENSEMBLE_DETAIL_HISTOGRAM_HPP

#include <algorithm>
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
void accumulate_histogram(const BinnedMatrix<Code>& bins, const GradientPair* gpair,
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
    const __m128d gh = _mm_cvtps_pd(
        _mm_castsi128_ps(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(gpair + r))));
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
/// many, each summed alone and the partial sums added in chunk order: the
/// summation order depends on the data only, so the histograms are
/// bit-identical for any thread count.
inline constexpr std::size_t kHistogramChunk = 16384;

/// Builds every job's histogram, (job, chunk) tasks on up to `threads` threads.
template <class Code>
void build_histograms(const BinnedMatrix<Code>& bins, const GradientPair* gpair,
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
