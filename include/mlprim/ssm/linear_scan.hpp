// First-order linear recurrences h_t = a_t * h_{t-1} + b_t (elementwise),
// the scan under every diagonal state-space layer, and its parallel form.
//
// Each step is the affine map h -> a h + b; composing "first (a1, b1), then
// (a2, b2)" gives (a1 a2, a2 b1 + b2), an associative operation, so the
// sequence can be cut into chunks that are reduced independently and joined
// by their carries (Blelloch 1990, "Prefix sums and their applications").
#ifndef MLPRIM_SSM_LINEAR_SCAN_HPP
#define MLPRIM_SSM_LINEAR_SCAN_HPP

#include <algorithm>
#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/core/parallel.hpp"
#include "mlprim/core/types.hpp"

namespace mlprim {

/// The affine map h -> a h + b of one scan step (or of several composed);
/// T is a scalar or an Eigen array (elementwise maps).
template <class T>
struct AffineStep {
  T a;  ///< multiplier
  T b;  ///< offset
};

/// The associative combine of linear scans: `first` then `second`,
///   (a1, b1) o (a2, b2) = (a1 a2, a2 b1 + b2),
/// so that applying the result to h equals a2 (a1 h + b1) + b2. For
/// user-defined scans over any T with * and +.
template <class T>
AffineStep<T> scan_combine(const AffineStep<T>& first, const AffineStep<T>& second) {
  return {first.a * second.a, second.a * first.b + second.b};
}

/// Options of linear_scan.
struct LinearScanOptions {
  /// Rows per chunk of the parallel form; sequences of at most 2 chunks run
  /// as the plain sequential loop. The cut depends on this length only, not
  /// on the thread count, so results are identical for any num_threads.
  Index chunk = 4096;
  int num_threads = 0;  ///< 0 = all
};

/// h_t = a_t * h_{t-1} + b_t for t < L, elementwise over the D columns, from
/// h_{-1} = h0 (D entries; empty means zeros). a, b: L x D, one step per row.
/// Returns h (L x D). Parallel form, along L (the only contiguous split of
/// row-major steps): (1) each chunk but the last reduces its
/// steps to one AffineStep with scan_combine, in parallel; (2) the carries
/// into each chunk follow serially; (3) every chunk runs the sequential loop
/// from its carry, in parallel. The first chunk therefore matches the plain
/// loop bit for bit and later ones to rounding (the carry is associated
/// differently); exactly whenever the arithmetic is exact. O(L D) time,
/// O(D L / chunk) extra memory; a and b are read twice.
template <class DA, class DB, class DH>
RowMatrix<typename DA::Scalar> linear_scan(const Eigen::MatrixBase<DA>& a,
                                           const Eigen::MatrixBase<DB>& b,
                                           const Eigen::MatrixBase<DH>& h0,
                                           const LinearScanOptions& options = {}) {
  using T = typename DA::Scalar;
  constexpr const char* fn = "linear_scan";
  const Index L = a.rows(), D = a.cols();
  if (b.rows() != L || b.cols() != D)
    throw_invalid_argument(fn, "b is ", b.rows(), " x ", b.cols(), ", a is ", L, " x ", D);
  if (h0.size() != 0 && h0.size() != D)
    throw_invalid_argument(fn, "h0 has ", h0.size(), " entries, a has ", D, " columns");
  check_positive(fn, "chunk", options.chunk);
  const int threads = resolve_threads(fn, options.num_threads);
  const Eigen::Ref<const RowMatrix<T>> av(a.derived()), bv(b.derived());
  RowMatrix<T> h(L, D);
  if (L == 0 || D == 0) return h;
  using Row = Eigen::Array<T, 1, Eigen::Dynamic>;
  const Row start = h0.size() == 0 ? Row(Row::Zero(D)) : Row(h0.derived().reshaped().transpose());

  // Rows [lo, hi) from carry `h_in`, into h. The carry lives in its own
  // buffer, so the row update vectorises (no aliasing with a, b or h).
  auto run = [&](Index lo, Index hi, const Row& h_in) {
    Row carry = h_in;
    for (Index t = lo; t < hi; ++t) {
      carry = av.row(t).array() * carry + bv.row(t).array();
      h.row(t) = carry.matrix();
    }
  };
  const Index chunk = options.chunk, chunks = (L + chunk - 1) / chunk;
  if (chunks <= 2) {
    run(0, L, start);
    return h;
  }
  // (1) each chunk's composite step, all but the last.
  std::vector<AffineStep<Row>> composite(static_cast<std::size_t>(chunks - 1));
  parallel_for(Index{0}, chunks - 1, threads, [&](Index c) {
    AffineStep<Row> total{Row::Ones(D), Row::Zero(D)};  // scan_combine, in place
    T *pa = total.a.data(), *pb = total.b.data();
    for (Index t = c * chunk; t < (c + 1) * chunk; ++t) {
      const T *at = av.data() + t * av.outerStride(), *bt = bv.data() + t * bv.outerStride();
      for (Index j = 0; j < D; ++j) {
        pa[j] *= at[j];
        pb[j] = at[j] * pb[j] + bt[j];
      }
    }
    composite[static_cast<std::size_t>(c)] = std::move(total);
  });
  // (2) carries: h before chunk c + 1 is composite c applied to h before c.
  std::vector<Row> carry(static_cast<std::size_t>(chunks));
  carry[0] = start;
  for (Index c = 0; c + 1 < chunks; ++c) {
    const auto& step = composite[static_cast<std::size_t>(c)];
    carry[static_cast<std::size_t>(c + 1)] = step.a * carry[static_cast<std::size_t>(c)] + step.b;
  }
  // (3) every chunk from its carry.
  parallel_for(Index{0}, chunks, threads, [&](Index c) {
    run(c * chunk, std::min(L, (c + 1) * chunk), carry[static_cast<std::size_t>(c)]);
  });
  return h;
}

}  // namespace mlprim

#endif  // MLPRIM_SSM_LINEAR_SCAN_HPP
