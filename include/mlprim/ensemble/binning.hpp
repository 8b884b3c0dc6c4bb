// Quantile bins of the features for histogram tree growth: HistogramCuts
// (XGBoost's cut layout) and make_cuts, a weighted quantile sketch.
#ifndef MLPRIM_ENSEMBLE_BINNING_HPP
#define MLPRIM_ENSEMBLE_BINNING_HPP

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/core/parallel.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/core/view.hpp"

namespace mlprim {

/// Bin boundaries of every feature, in XGBoost's layout: feature f owns
/// values[ptrs[f], ptrs[f+1]), ascending upper bounds, so that a value x
/// falls in the first bin b with x < values[ptrs[f] + b]; the last bound lies
/// above the feature's largest value. min_values[f] lies below its smallest.
/// A split after bin b sends x left iff x < values[ptrs[f] + b] (in float).
struct HistogramCuts {
  std::vector<std::uint32_t> ptrs = {0};  ///< p + 1 offsets into values
  std::vector<float> values;              ///< upper bounds, feature after feature
  std::vector<float> min_values;          ///< per feature, below its smallest value

  /// Number of features.
  Index num_features() const { return static_cast<Index>(min_values.size()); }
  /// Bins of feature f (0 when it has no finite value).
  int num_bins(Index f) const {
    return static_cast<int>(ptrs[static_cast<std::size_t>(f) + 1] -
                            ptrs[static_cast<std::size_t>(f)]);
  }
  /// Bin of value x (not NaN) of feature f: the first b with x < bound b,
  /// clamped to the last bin.
  int bin_of(Index f, float x) const {
    const float* begin = values.data() + ptrs[static_cast<std::size_t>(f)];
    std::size_t n = ptrs[static_cast<std::size_t>(f) + 1] - ptrs[static_cast<std::size_t>(f)];
    if (n == 0) return 0;
    // Branch-free upper bound: halve the range by a conditional move.
    const float* base = begin;
    const std::size_t last = n - 1;
    while (n > 1) {
      const std::size_t half = n / 2;
      base = base[half - 1] <= x ? base + half : base;
      n -= half;
    }
    const auto b = static_cast<std::size_t>(base - begin) + (*base <= x ? 1 : 0);
    return static_cast<int>(std::min(b, last));
  }
};

namespace detail {

/// Sorts (value, weight) pairs by value: an LSD radix sort on the float's
/// bits mapped to an order-preserving uint32 (three 11-bit passes), stable,
/// O(n). NaN must have been removed.
inline void sort_by_value(std::vector<std::pair<float, float>>& v) {
  const std::size_t n = v.size();
  if (n < 2048) {
    std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    return;
  }
  auto key = [](float x) {
    std::uint32_t u;
    std::memcpy(&u, &x, sizeof u);
    return u ^ ((u >> 31) != 0 ? 0xFFFFFFFFu : 0x80000000u);
  };
  std::vector<std::pair<float, float>> tmp(n);
  std::vector<std::pair<float, float>>* from = &v;
  std::vector<std::pair<float, float>>* to = &tmp;
  for (int shift = 0; shift < 32; shift += 11) {
    std::vector<std::size_t> count(2049, 0);
    for (const auto& e : *from) ++count[((key(e.first) >> shift) & 2047u) + 1];
    for (std::size_t b = 1; b < count.size(); ++b) count[b] += count[b - 1];
    for (const auto& e : *from) (*to)[count[(key(e.first) >> shift) & 2047u]++] = e;
    std::swap(from, to);
  }
  if (from != &v) v.swap(*from);
}

/// The cuts of one feature from its (value, weight) pairs, non-missing,
/// sorted by value. With m distinct values and m <= max_bin the bounds are
/// the distinct values 2..m (each value its own bin, as XGBoost); otherwise
/// bound k (k = 1 .. max_bin - 1) is the first distinct value whose
/// preceding weight reaches k W / max_bin, duplicates dropped. The last bound
/// is max + |max| + 1e-5 and the minimum min - |min| - 1e-5, as XGBoost.
inline void feature_cuts(const std::vector<std::pair<float, float>>& sorted, int max_bin,
                         std::vector<float>& bounds, float& min_value) {
  bounds.clear();
  if (sorted.empty()) {
    min_value = 0;
    return;
  }
  std::vector<float> distinct;
  std::vector<double> before;  // weight of all values below distinct[j]
  double total = 0;
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    if (i == 0 || sorted[i].first != sorted[i - 1].first) {
      distinct.push_back(sorted[i].first);
      before.push_back(total);
    }
    total += sorted[i].second;
  }
  const float lo = distinct.front(), hi = distinct.back();
  min_value = lo - (std::abs(lo) + 1e-5f);
  if (distinct.size() <= static_cast<std::size_t>(max_bin)) {
    bounds.assign(distinct.begin() + 1, distinct.end());
  } else {
    std::size_t j = 1;
    for (int k = 1; k < max_bin; ++k) {
      const double rank = total * k / max_bin;
      while (j < distinct.size() && before[j] < rank) ++j;
      if (j >= distinct.size()) break;
      if (bounds.empty() || distinct[j] > bounds.back()) bounds.push_back(distinct[j]);
    }
  }
  bounds.push_back(hi + (std::abs(hi) + 1e-5f));
}

}  // namespace detail

/// Cuts of every column of X (n x p, NaN = missing, values taken in float)
/// into at most max_bin bins each, weighting rows by `weight` (empty = 1):
/// detail::feature_cuts on the exact sorted values (a radix sort), one
/// feature per task on up to num_threads threads (0 = all). O(n p).
template <class Scalar>
HistogramCuts make_cuts(const Eigen::Ref<const RowMatrix<Scalar>>& X, int max_bin,
                        ConstRowView<Scalar> weight = {}, int num_threads = 0) {
  constexpr const char* fn = "make_cuts";
  if (max_bin < 2 || max_bin > 65535)
    throw_invalid_argument(fn, "max_bin = ", max_bin, " must be in [2, 65535]");
  if (!weight.empty() && weight.rows() * weight.cols() != X.rows())
    throw_invalid_argument(fn, "weight has ", weight.rows() * weight.cols(), " entries for ",
                           X.rows(), " rows");
  const Index n = X.rows(), p = X.cols();
  std::vector<std::vector<float>> bounds(static_cast<std::size_t>(p));
  HistogramCuts cuts;
  cuts.min_values.assign(static_cast<std::size_t>(p), 0.0f);
  // Features in groups of 4 read together (one pass over the rows per
  // group); each thread reuses its buffers from group to group.
  constexpr Index group = 4;
  const Index groups = (p + group - 1) / group;
  parallel_for_chunks(Index{0}, groups, num_threads, [&](Index g_lo, Index g_hi, int) {
    std::vector<std::pair<float, float>> column[group];
    for (Index g = g_lo; g < g_hi; ++g) {
      const Index f0 = g * group, f1 = std::min(p, f0 + group);
      for (Index f = f0; f < f1; ++f) column[f - f0].clear();
      for (Index i = 0; i < n; ++i) {
        const float w = weight.empty() ? 1.0f : static_cast<float>(weight[i]);
        if (!(w > 0)) continue;
        for (Index f = f0; f < f1; ++f) {
          const auto x = static_cast<float>(X(i, f));
          if (!std::isnan(x)) column[f - f0].emplace_back(x, w);
        }
      }
      for (Index f = f0; f < f1; ++f) {
        detail::sort_by_value(column[f - f0]);
        detail::feature_cuts(column[f - f0], max_bin, bounds[static_cast<std::size_t>(f)],
                             cuts.min_values[static_cast<std::size_t>(f)]);
      }
    }
  });
  for (const auto& b : bounds) {
    cuts.values.insert(cuts.values.end(), b.begin(), b.end());
    cuts.ptrs.push_back(static_cast<std::uint32_t>(cuts.values.size()));
  }
  return cuts;
}

}  // namespace mlprim

#endif  // MLPRIM_ENSEMBLE_BINNING_HPP
