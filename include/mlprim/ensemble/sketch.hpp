// Bin cuts of data sharded over ranks: every rank summarises its columns,
// the summaries are all-gathered and merged, and every rank cuts the merge.
#ifndef MLPRIM_ENSEMBLE_SKETCH_HPP
#define MLPRIM_ENSEMBLE_SKETCH_HPP

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/distributed/communicator.hpp"
#include "mlprim/ensemble/binning.hpp"

namespace mlprim {
namespace detail {

/// A weighted summary of one feature: ascending distinct values, each with
/// the weight of the samples in (previous value, value].
using FeatureSummary = std::vector<std::pair<float, double>>;

/// At most `size` points summarising sorted samples (floats weigh 1): every
/// distinct value when there are at most `size`, else the smallest, the
/// largest, and the first value at which the running weight reaches each
/// k W / size, each carrying the weight since the previous point. Between
/// two points lies less than W / size of weight, so a value's rank (weight
/// below it) read from the points below it is short by less than W / size.
template <class Sample>
FeatureSummary summarise_feature(const std::vector<Sample>& sorted, std::size_t size) {
  FeatureSummary merged;  // distinct values with their total weights
  for (const Sample& s : sorted) {
    if (merged.empty() || sample_value(s) != merged.back().first)
      merged.emplace_back(sample_value(s), 0.0);
    merged.back().second += sample_weight(s);
  }
  if (merged.size() <= size) return merged;
  double total = 0;
  for (const auto& m : merged) total += m.second;
  FeatureSummary out;
  double running = 0, carried = 0;
  std::size_t k = 1;
  for (std::size_t i = 0; i < merged.size(); ++i) {
    running += merged[i].second;
    carried += merged[i].second;
    const bool reached = running >= total * static_cast<double>(k) / static_cast<double>(size);
    if (i == 0 || i + 1 == merged.size() || reached) {
      out.emplace_back(merged[i].first, carried);
      carried = 0;
      while (k < size && running >= total * static_cast<double>(k) / static_cast<double>(size)) ++k;
    }
  }
  return out;
}

/// Appends raw bytes of n values.
template <class T>
void append_bytes(std::vector<unsigned char>& out, const T* data, std::size_t n) {
  const auto* p = reinterpret_cast<const unsigned char*>(data);
  out.insert(out.end(), p, p + n * sizeof(T));
}

/// Reads n values from block[at...], throwing std::runtime_error past its end.
template <class T>
void read_bytes(const std::vector<unsigned char>& block, std::size_t& at, T* out, std::size_t n) {
  if (n > (block.size() - at) / sizeof(T))
    throw_runtime_error("make_cuts", "a rank's summary block is truncated");
  std::memcpy(out, block.data() + at, n * sizeof(T));
  at += n * sizeof(T);
}

}  // namespace detail

/// Cuts of data whose rows are sharded over the ranks of `comm` (collective;
/// X is this rank's n_r x p rows, possibly none). Each rank summarises each
/// feature into at most 8 max_bin weighted points (detail::summarise_feature,
/// XGBoost's summary size factor), the summaries are all-gathered, merged in
/// rank order into one sorted weighted list and cut by the single-process
/// rule (detail::feature_cuts). Where every rank holds at most 8 max_bin
/// distinct values of a feature the merge is exact and the cuts equal
/// make_cuts on the concatenated rows (up to the rounding of weight sums);
/// otherwise the ranks read from the merge are short by less than the sum
/// of the ranks' W_r / (8 max_bin), and a cut's rank lies within twice that,
/// W / (4 max_bin), a quarter of a bin, of its target k W / max_bin (the
/// shortfall at the cut plus the weight between two merged points).
/// Categorical columns get the union of the categories seen on any
/// rank. Every rank returns the same cuts. Arguments as make_cuts; p,
/// max_bin and categorical_features must agree between ranks (the caller
/// checks that).
template <class Scalar>
HistogramCuts make_cuts(Communicator& comm, const Eigen::Ref<const RowMatrix<Scalar>>& X,
                        int max_bin, ConstRowView<Scalar> weight = {}, int num_threads = 0,
                        const std::vector<int>& categorical_features = {}) {
  HistogramCuts cuts;
  cuts.categorical =
      detail::check_cut_arguments("make_cuts", X, max_bin, weight, categorical_features);
  const Index p = X.cols();
  const auto points = static_cast<std::size_t>(8) * static_cast<std::size_t>(max_bin);
  std::vector<detail::FeatureSummary> local(static_cast<std::size_t>(p));
  detail::for_sorted_features(X, weight, num_threads, [&](std::size_t f, const auto& sorted) {
    // Categories are never summarised away: each is a bin of its own.
    local[f] = detail::summarise_feature(
        sorted, cuts.is_categorical(static_cast<Index>(f)) ? sorted.size() : points);
  });
  // One block per rank: p counts, then every feature's values, then weights.
  std::vector<unsigned char> block;
  for (const auto& s : local) {
    const auto count = static_cast<std::uint64_t>(s.size());
    detail::append_bytes(block, &count, 1);
  }
  for (const auto& s : local)
    for (const auto& point : s) detail::append_bytes(block, &point.first, 1);
  for (const auto& s : local)
    for (const auto& point : s) detail::append_bytes(block, &point.second, 1);
  const auto blocks = comm.all_gather(block.data(), block.size());
  std::vector<detail::FeatureSummary> merged(static_cast<std::size_t>(p));
  for (const auto& b : blocks) {
    std::size_t at = 0;
    std::vector<std::uint64_t> counts(static_cast<std::size_t>(p));
    detail::read_bytes(b, at, counts.data(), counts.size());
    std::vector<std::size_t> first(static_cast<std::size_t>(p));
    for (std::size_t f = 0; f < counts.size(); ++f) {
      if (counts[f] > b.size()) throw_runtime_error("make_cuts", "a rank's summary is corrupt");
      first[f] = merged[f].size();
      merged[f].resize(merged[f].size() + static_cast<std::size_t>(counts[f]));
      for (std::size_t i = first[f]; i < merged[f].size(); ++i)
        detail::read_bytes(b, at, &merged[f][i].first, 1);
    }
    for (std::size_t f = 0; f < counts.size(); ++f)
      for (std::size_t i = first[f]; i < merged[f].size(); ++i)
        detail::read_bytes(b, at, &merged[f][i].second, 1);
  }
  std::vector<std::vector<float>> bounds(static_cast<std::size_t>(p));
  cuts.min_values.assign(static_cast<std::size_t>(p), 0.0f);
  parallel_for(Index{0}, p, num_threads, [&](Index fi) {
    const auto f = static_cast<std::size_t>(fi);
    detail::FeatureSummary& m = merged[f];
    std::stable_sort(m.begin(), m.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    detail::cut_sorted_feature(cuts, f, m, max_bin, bounds[f]);
  });
  detail::append_bounds(cuts, bounds);
  return cuts;
}

}  // namespace mlprim

#endif  // MLPRIM_ENSEMBLE_SKETCH_HPP
