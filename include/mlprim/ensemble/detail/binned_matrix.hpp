// The training matrix as bin codes, one row per sample, for histogram growth.
#ifndef MLPRIM_ENSEMBLE_DETAIL_BINNED_MATRIX_HPP
#define MLPRIM_ENSEMBLE_DETAIL_BINNED_MATRIX_HPP

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "mlprim/core/parallel.hpp"
#include "mlprim/ensemble/binning.hpp"

namespace mlprim {
namespace detail {

/// Bin codes of an n x p matrix in `Code` (uint8_t when every feature's
/// codes fit, else uint16_t), twice: row-major for the histograms (a row's
/// codes in one cache line) and feature-major for the row partition (a
/// feature's codes contiguous), as XGBoost keeps a gradient index and a
/// column matrix. Feature f's codes are its bins 0 .. num_bins(f) - 1 and
/// num_bins(f) for a missing value, so that histogram slot slot_offset[f] +
/// code needs no branch (the missing slot is written but never read:
/// missing stats are the node total minus the bins).
template <class Code>
struct BinnedMatrix {
  Index rows = 0, cols = 0;
  std::vector<Code> codes;                 ///< rows x cols, row-major
  std::vector<Code> columns;               ///< cols x rows, feature-major
  std::vector<std::uint32_t> slot_offset;  ///< per feature: ptrs[f] + f
  std::uint32_t slots = 0;                 ///< histogram length

  Code operator()(Index i, Index f) const { return codes[static_cast<std::size_t>(i * cols + f)]; }
  /// Feature f's codes of all rows.
  const Code* column(Index f) const { return columns.data() + static_cast<std::size_t>(f * rows); }
};

/// Whether every code fits uint8_t: at most 256 bins, 255 where the feature
/// has missing values (`missing[f]`; their code is num_bins(f)).
inline bool codes_fit_byte(const HistogramCuts& cuts, const std::vector<std::uint8_t>& missing) {
  for (Index f = 0; f < cuts.num_features(); ++f)
    if (cuts.num_bins(f) + (missing[static_cast<std::size_t>(f)] ? 1 : 0) > 256) return false;
  return true;
}

/// Codes of X under `cuts`, rows (then features) in parallel on up to
/// num_threads threads.
template <class Code, class Scalar>
BinnedMatrix<Code> bin_matrix(const Eigen::Ref<const RowMatrix<Scalar>>& X,
                              const HistogramCuts& cuts, int num_threads) {
  BinnedMatrix<Code> m;
  m.rows = X.rows();
  m.cols = X.cols();
  m.codes.resize(static_cast<std::size_t>(m.rows * m.cols));
  m.columns.resize(m.codes.size());
  m.slot_offset.resize(static_cast<std::size_t>(m.cols));
  for (Index f = 0; f < m.cols; ++f)
    m.slot_offset[static_cast<std::size_t>(f)] =
        cuts.ptrs[static_cast<std::size_t>(f)] + static_cast<std::uint32_t>(f);
  m.slots = cuts.ptrs.back() + static_cast<std::uint32_t>(m.cols);
  // Blocks of 16 rows search each feature's bounds together: 16 independent
  // branch-free binary searches keep the core busy where one would wait on
  // its loads.
  constexpr Index lanes = 16;
  parallel_for_chunks(
      Index{0}, (m.rows + lanes - 1) / lanes, num_threads, [&](Index b_lo, Index b_hi, int) {
        for (Index b = b_lo; b < b_hi; ++b) {
          const Index r0 = b * lanes, count = std::min(lanes, m.rows - r0);
          for (Index f = 0; f < m.cols; ++f) {
            const float* bounds = cuts.values.data() + cuts.ptrs[static_cast<std::size_t>(f)];
            const std::size_t bins = static_cast<std::size_t>(cuts.num_bins(f));
            const std::size_t shift = cuts.is_categorical(f) ? 1 : 0;  // categories: exact match
            float x[lanes];
            std::uint32_t at[lanes];
            for (Index l = 0; l < lanes; ++l) {
              x[l] = static_cast<float>(X(r0 + std::min(l, count - 1), f));
              at[l] = 0;
            }
            for (std::uint32_t n = static_cast<std::uint32_t>(bins); n > 1; n -= n / 2) {
              const std::uint32_t half = n / 2;
              for (Index l = 0; l < lanes; ++l)
                at[l] += static_cast<std::uint32_t>(bounds[at[l] + half - 1] <= x[l]) * half;
            }
            for (Index l = 0; l < count; ++l) {
              Code code;
              if (std::isnan(x[l]) || bins == 0) {
                code = static_cast<Code>(bins);
              } else {
                const std::size_t bin = at[l] + (bounds[at[l]] <= x[l] ? 1u : 0u);
                code = static_cast<Code>(std::min(bin - std::min(bin, shift), bins - 1));
              }
              m.codes[static_cast<std::size_t>((r0 + l) * m.cols + f)] = code;
            }
          }
        }
      });
  parallel_for(Index{0}, m.cols, num_threads, [&](Index f) {
    Code* column = m.columns.data() + f * m.rows;
    for (Index i = 0; i < m.rows; ++i)
      column[i] = m.codes[static_cast<std::size_t>(i * m.cols + f)];
  });
  return m;
}

}  // namespace detail
}  // namespace mlprim

#endif  // MLPRIM_ENSEMBLE_DETAIL_BINNED_MATRIX_HPP
