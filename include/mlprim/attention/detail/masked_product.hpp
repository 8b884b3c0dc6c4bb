// Matrix products over masked attention weights whose other factor may hold
// NaN or infinity.
//
// A masked weight is exactly 0, but 0 * NaN = NaN and 0 * inf = NaN, so a
// plain GEMM P V would carry a non-finite value row of V into every output
// row, including the rows that never see it. The masked kernels therefore
// take the product with those rows set aside (zeroed in a copy of the
// factor, so the GEMM stays a GEMM) and add each one back, entry by entry,
// only where the mask lets it through. Inputs without non-finite rows cost
// one scan and no copy.
#ifndef MLPRIM_ATTENTION_DETAIL_MASKED_PRODUCT_HPP
#define MLPRIM_ATTENTION_DETAIL_MASKED_PRODUCT_HPP

#include <algorithm>
#include <vector>

#include "mlprim/core/types.hpp"

namespace mlprim::detail {

/// A row-major matrix X (contiguous rows, which must outlive this object)
/// split into its finite part and the rows that hold a NaN or an infinity.
template <class Acc>
class SplitRows {
 public:
  using ConstRows = Eigen::Map<const RowMatrix<Acc>, 0, Eigen::OuterStride<>>;

  explicit SplitRows(const Eigen::Ref<const RowMatrix<Acc>>& x)
      : x_(x.data(), x.rows(), x.cols(), Eigen::OuterStride<>(x.outerStride())) {
    for (Index i = 0; i < x.rows(); ++i)
      if (!x.row(i).allFinite()) bad_.push_back(i);
    if (bad_.empty()) return;
    clean_ = x;
    for (const Index i : bad_) clean_.row(i).setZero();
  }

  /// X with its non-finite rows zeroed (X itself when it has none).
  ConstRows finite() const {
    if (bad_.empty()) return x_;
    return ConstRows(clean_.data(), clean_.rows(), clean_.cols(),
                     Eigen::OuterStride<>(clean_.cols()));
  }
  /// Row i of X as given.
  auto row(Index i) const { return x_.row(i); }
  /// Calls fn(i) for every non-finite row i in [begin, end), ascending.
  template <class Fn>
  void for_each_bad(Index begin, Index end, const Fn& fn) const {
    for (auto it = std::lower_bound(bad_.begin(), bad_.end(), begin); it != bad_.end() && *it < end;
         ++it)
      fn(*it);
  }

 private:
  ConstRows x_;
  RowMatrix<Acc> clean_;
  std::vector<Index> bad_;
};

/// Entry (a, b) of a chunk's causal weights counts when key b is not after
/// query a: the mask of the chunked forms, in chunk-local positions.
inline bool causal_in_chunk(Index a, Index b) { return b <= a; }

/// acc += w * X[j0, j0 + w.cols()), where entry (a, b) of w counts only when
/// visible(a, b): the masked entries of w must be 0, and contribute nothing
/// even when row j0 + b of X is not finite.
template <class Acc, class Visible>
void add_masked_product(Eigen::Ref<RowMatrix<Acc>> acc, const Eigen::Ref<const RowMatrix<Acc>>& w,
                        const SplitRows<Acc>& x, Index j0, const Visible& visible) {
  acc.noalias() += w * x.finite().middleRows(j0, w.cols());
  x.for_each_bad(j0, j0 + w.cols(), [&](Index j) {
    for (Index a = 0; a < w.rows(); ++a)
      if (visible(a, j - j0)) acc.row(a) += w(a, j - j0) * x.row(j);
  });
}

/// acc += w^T * X[i0, i0 + w.rows()), with the same rule: entry (a, b) of w
/// counts only when visible(a, b), whatever row i0 + a of X holds.
template <class Acc, class Visible>
void add_masked_transposed_product(Eigen::Ref<RowMatrix<Acc>> acc,
                                   const Eigen::Ref<const RowMatrix<Acc>>& w,
                                   const SplitRows<Acc>& x, Index i0, const Visible& visible) {
  acc.noalias() += w.transpose() * x.finite().middleRows(i0, w.rows());
  x.for_each_bad(i0, i0 + w.rows(), [&](Index i) {
    for (Index b = 0; b < w.cols(); ++b)
      if (visible(i - i0, b)) acc.row(b) += w(i - i0, b) * x.row(i);
  });
}

}  // namespace mlprim::detail

#endif  // MLPRIM_ATTENTION_DETAIL_MASKED_PRODUCT_HPP
