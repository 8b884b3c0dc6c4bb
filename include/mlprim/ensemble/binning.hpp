// Quantile bins of the features for histogram tree growth: HistogramCuts
// (XGBoost's cut layout) and make_cuts, a weighted quantile sketch.
#ifndef MLPRIM_ENSEMBLE_BINNING_HPP
#define MLPRIM_ENSEMBLE_BINNING_HPP

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>
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
  /// Per feature, 1 if categorical (empty: none): its bounds are then its
  /// categories, one bin each.
  std::vector<std::uint8_t> categorical;

  /// Whether feature f is categorical.
  bool is_categorical(Index f) const {
    return !categorical.empty() && categorical[static_cast<std::size_t>(f)] != 0;
  }

  /// Number of features.
  Index num_features() const { return static_cast<Index>(min_values.size()); }
  /// Bins of feature f (0 when it has no finite value).
  int num_bins(Index f) const {
    return static_cast<int>(ptrs[static_cast<std::size_t>(f) + 1] -
                            ptrs[static_cast<std::size_t>(f)]);
  }
  /// Bin of value x (not NaN) of feature f: the first b with x < bound b,
  /// clamped to the last bin; for a categorical feature, the bin of category x.
  int bin_of(Index f, float x) const {
    if (is_categorical(f)) {
      const float* first = values.data() + ptrs[static_cast<std::size_t>(f)];
      const float* last = values.data() + ptrs[static_cast<std::size_t>(f) + 1];
      const auto b = static_cast<int>(std::lower_bound(first, last, x) - first);
      return std::min(b, static_cast<int>(last - first) - 1);
    }
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

/// The value of a sample in the cuts' sort: a float, or a (value, weight) pair.
inline float sample_value(float v) { return v; }
template <class Weight>
float sample_value(const std::pair<float, Weight>& v) {
  return v.first;
}
inline double sample_weight(float) { return 1.0; }
template <class Weight>
double sample_weight(const std::pair<float, Weight>& v) {
  return static_cast<double>(v.second);
}

/// Sorts samples by value: an LSD radix sort on the float's bits mapped to
/// an order-preserving uint32 (three 11-bit passes), stable, O(n). NaN must
/// have been removed.
template <class Sample>
void sort_by_value(std::vector<Sample>& v, std::vector<Sample>& scratch) {
  const std::size_t n = v.size();
  if (n < 2048) {
    std::stable_sort(v.begin(), v.end(), [](const Sample& a, const Sample& b) {
      return sample_value(a) < sample_value(b);
    });
    return;
  }
  auto digit = [](const Sample& e, int shift) {
    const float x = sample_value(e);
    std::uint32_t u;
    std::memcpy(&u, &x, sizeof u);
    u ^= (u >> 31) != 0 ? 0xFFFFFFFFu : 0x80000000u;
    return (u >> shift) & 2047u;
  };
  scratch.resize(n);
  std::vector<Sample>* from = &v;
  std::vector<Sample>* to = &scratch;
  std::vector<std::size_t> count(2049);
  for (int shift = 0; shift < 32; shift += 11) {
    std::fill(count.begin(), count.end(), std::size_t{0});
    for (const Sample& e : *from) ++count[digit(e, shift) + 1];
    for (std::size_t b = 1; b < count.size(); ++b) count[b] += count[b - 1];
    for (const Sample& e : *from) (*to)[count[digit(e, shift)]++] = e;
    std::swap(from, to);
  }
  if (from != &v) v.swap(*from);
}

/// The cuts of one feature from its samples (non-missing, sorted by value;
/// floats weigh 1). With m distinct values and m <= max_bin the bounds are
/// the distinct values 2..m (each value its own bin, as XGBoost); otherwise
/// bound k (k = 1 .. max_bin - 1) is the first distinct value whose
/// preceding weight reaches k W / max_bin, duplicates dropped. The last bound
/// is max + |max| + 1e-5 and the minimum min - |min| - 1e-5, as XGBoost.
template <class Sample>
void feature_cuts(const std::vector<Sample>& sorted, int max_bin, std::vector<float>& bounds,
                  float& min_value) {
  bounds.clear();
  if (sorted.empty()) {
    min_value = 0;
    return;
  }
  const std::size_t n = sorted.size();
  std::size_t distinct = 1;
  double total = sample_weight(sorted[0]);
  for (std::size_t i = 1; i < n; ++i) {
    distinct += sample_value(sorted[i]) != sample_value(sorted[i - 1]) ? 1 : 0;
    total += sample_weight(sorted[i]);
  }
  const float lo = sample_value(sorted.front()), hi = sample_value(sorted.back());
  min_value = lo - (std::abs(lo) + 1e-5f);
  // One pass over the distinct values after the first, with the weight
  // below each: every rank k W / max_bin it reaches takes that value.
  int k = 1;
  double before = sample_weight(sorted[0]);
  for (std::size_t i = 1; i < n; ++i) {
    const float v = sample_value(sorted[i]);
    if (v != sample_value(sorted[i - 1])) {
      if (distinct <= static_cast<std::size_t>(max_bin)) {
        bounds.push_back(v);
      } else {
        for (; k < max_bin && before >= total * k / max_bin; ++k)
          if (bounds.empty() || v > bounds.back()) bounds.push_back(v);
      }
    }
    before += sample_weight(sorted[i]);
  }
  bounds.push_back(hi + (std::abs(hi) + 1e-5f));
}

/// The bounds of a categorical feature from its sorted samples: its
/// distinct categories.
template <class Sample>
void category_cuts(const std::vector<Sample>& sorted, std::vector<float>& bounds) {
  bounds.clear();
  for (std::size_t i = 0; i < sorted.size(); ++i)
    if (i == 0 || sample_value(sorted[i]) != sample_value(sorted[i - 1]))
      bounds.push_back(sample_value(sorted[i]));
}

/// Gathers the non-missing samples of features [f0, f0 + count) of X (rows
/// of positive weight) into `column`, sorts each and calls visit(f, sorted).
template <class Sample, class Scalar, class Visit>
void sort_features(const Eigen::Ref<const RowMatrix<Scalar>>& X, const ConstRowView<Scalar>& weight,
                   Index f0, Index count, std::vector<Sample>* column, std::vector<Sample>& scratch,
                   Visit&& visit) {
  for (Index j = 0; j < count; ++j) column[j].clear();
  for (Index i = 0; i < X.rows(); ++i) {
    const float w = weight.empty() ? 1.0f : static_cast<float>(weight[i]);
    if (!(w > 0)) continue;
    for (Index j = 0; j < count; ++j) {
      const auto x = static_cast<float>(X(i, f0 + j));
      if (std::isnan(x)) continue;
      if constexpr (std::is_same_v<Sample, float>)
        column[j].push_back(x);
      else
        column[j].emplace_back(x, w);
    }
  }
  for (Index j = 0; j < count; ++j) {
    sort_by_value(column[j], scratch);
    visit(static_cast<std::size_t>(f0 + j), column[j]);
  }
}

/// Runs visit(f, sorted samples of feature f) for every column of X, in
/// groups of 8 features gathered together (one pass over the rows per
/// group) on up to num_threads threads, each reusing its buffers. Without
/// weights a sample is its float value alone, else a (value, weight) pair.
template <class Scalar, class Visit>
void for_sorted_features(const Eigen::Ref<const RowMatrix<Scalar>>& X,
                         const ConstRowView<Scalar>& weight, int num_threads, Visit&& visit) {
  constexpr Index group = 8;
  const Index p = X.cols(), groups = (p + group - 1) / group;
  parallel_for_chunks(Index{0}, groups, num_threads, [&](Index g_lo, Index g_hi, int) {
    std::vector<float> values[group], value_scratch;
    std::vector<std::pair<float, float>> pairs[group], pair_scratch;
    for (Index g = g_lo; g < g_hi; ++g) {
      const Index f0 = g * group, count = std::min(group, p - f0);
      if (weight.empty())
        sort_features(X, weight, f0, count, values, value_scratch, visit);
      else
        sort_features(X, weight, f0, count, pairs, pair_scratch, visit);
    }
  });
}

/// Throws std::invalid_argument unless max_bin, the weights and the
/// categorical columns fit X; the categorical flags (empty: none).
template <class Scalar>
std::vector<std::uint8_t> check_cut_arguments(std::string_view fn,
                                              const Eigen::Ref<const RowMatrix<Scalar>>& X,
                                              int max_bin, const ConstRowView<Scalar>& weight,
                                              const std::vector<int>& categorical_features) {
  if (max_bin < 2 || max_bin > 65535)
    throw_invalid_argument(fn, "max_bin = ", max_bin, " must be in [2, 65535]");
  if (!weight.empty() && weight.rows() * weight.cols() != X.rows())
    throw_invalid_argument(fn, "weight has ", weight.rows() * weight.cols(), " entries for ",
                           X.rows(), " rows");
  const Index p = X.cols();
  std::vector<std::uint8_t> categorical;
  for (int f : categorical_features) {
    if (f < 0 || f >= p)
      throw_invalid_argument(fn, "categorical feature ", f, " is not a column of X (", p, ")");
    categorical.resize(static_cast<std::size_t>(p), 0);
    categorical[static_cast<std::size_t>(f)] = 1;
  }
  return categorical;
}

/// Feature f's bounds (and, if numeric, minimum) from its sorted samples:
/// every category its own bin, else feature_cuts.
template <class Sample>
void cut_sorted_feature(HistogramCuts& cuts, std::size_t f, const std::vector<Sample>& sorted,
                        int max_bin, std::vector<float>& bounds) {
  if (cuts.is_categorical(static_cast<Index>(f)))
    category_cuts(sorted, bounds);
  else
    feature_cuts(sorted, max_bin, bounds, cuts.min_values[f]);
}

/// Cuts from per-feature bounds.
inline void append_bounds(HistogramCuts& cuts, const std::vector<std::vector<float>>& bounds) {
  for (const auto& b : bounds) {
    cuts.values.insert(cuts.values.end(), b.begin(), b.end());
    cuts.ptrs.push_back(static_cast<std::uint32_t>(cuts.values.size()));
  }
}

}  // namespace detail

/// Cuts of every column of X (n x p, NaN = missing, values taken in float)
/// into at most max_bin bins each, weighting rows by `weight` (empty = 1):
/// detail::feature_cuts on the exact sorted values (a radix sort), one
/// feature per task on up to num_threads threads (0 = all). O(n p).
/// Columns listed in `categorical_features` get one bin per category seen.
template <class Scalar>
HistogramCuts make_cuts(const Eigen::Ref<const RowMatrix<Scalar>>& X, int max_bin,
                        ConstRowView<Scalar> weight = {}, int num_threads = 0,
                        const std::vector<int>& categorical_features = {}) {
  HistogramCuts cuts;
  cuts.categorical =
      detail::check_cut_arguments("make_cuts", X, max_bin, weight, categorical_features);
  const Index p = X.cols();
  std::vector<std::vector<float>> bounds(static_cast<std::size_t>(p));
  cuts.min_values.assign(static_cast<std::size_t>(p), 0.0f);
  detail::for_sorted_features(X, weight, num_threads, [&](std::size_t f, const auto& sorted) {
    detail::cut_sorted_feature(cuts, f, sorted, max_bin, bounds[f]);
  });
  detail::append_bounds(cuts, bounds);
  return cuts;
}

}  // namespace mlprim

#endif  // MLPRIM_ENSEMBLE_BINNING_HPP
