// The training matrix as bin codes, one row per sample, for histogram growth.
#ifndef MLPRIM_ENSEMBLE_DETAIL_BINNED_MATRIX_HPP
#define MLPRIM_ENSEMBLE_DETAIL_BINNED_MATRIX_HPP

#include <cmath>
#include <cstdint>
#include <vector>

#include "mlprim/core/parallel.hpp"
#include "mlprim/ensemble/binning.hpp"

namespace mlprim {
namespace detail {

/// Bin codes of an n x p matrix, row-major, in `Code` (uint8_t when every
/// feature's codes fit, else uint16_t). Feature f's codes are its bins
/// 0 .. num_bins(f) - 1 and num_bins(f) for a missing value, so that
/// histogram slot slot_offset[f] + code needs no branch (the missing slot is
/// written but never read: missing stats are the node total minus the bins).
template <class Code>
struct BinnedMatrix {
  Index rows = 0, cols = 0;
  std::vector<Code> codes;                 ///< rows x cols
  std::vector<std::uint32_t> slot_offset;  ///< per feature: ptrs[f] + f
  std::uint32_t slots = 0;                 ///< histogram length

  Code operator()(Index i, Index f) const { return codes[static_cast<std::size_t>(i * cols + f)]; }
};

/// Whether every code of `cuts` (bins, plus the missing code) fits uint8_t.
inline bool codes_fit_byte(const HistogramCuts& cuts) {
  for (Index f = 0; f < cuts.num_features(); ++f)
    if (cuts.num_bins(f) > 255) return false;
  return true;
}

/// Codes of X under `cuts`, rows in parallel on up to num_threads threads.
template <class Code, class Scalar>
BinnedMatrix<Code> bin_matrix(const Eigen::Ref<const RowMatrix<Scalar>>& X,
                              const HistogramCuts& cuts, int num_threads) {
  BinnedMatrix<Code> m;
  m.rows = X.rows();
  m.cols = X.cols();
  m.codes.resize(static_cast<std::size_t>(m.rows * m.cols));
  m.slot_offset.resize(static_cast<std::size_t>(m.cols));
  for (Index f = 0; f < m.cols; ++f)
    m.slot_offset[static_cast<std::size_t>(f)] =
        cuts.ptrs[static_cast<std::size_t>(f)] + static_cast<std::uint32_t>(f);
  m.slots = cuts.ptrs.back() + static_cast<std::uint32_t>(m.cols);
  parallel_for_chunks(Index{0}, m.rows, num_threads, [&](Index lo, Index hi, int) {
    for (Index i = lo; i < hi; ++i) {
      Code* row = m.codes.data() + i * m.cols;
      for (Index f = 0; f < m.cols; ++f) {
        const auto x = static_cast<float>(X(i, f));
        row[f] = static_cast<Code>(std::isnan(x) ? cuts.num_bins(f) : cuts.bin_of(f, x));
      }
    }
  });
  return m;
}

}  // namespace detail
}  // namespace mlprim

#endif  // MLPRIM_ENSEMBLE_DETAIL_BINNED_MATRIX_HPP
