// The checked shapes of a selective scan's inputs, shared by the forward
// pass, the backward pass and the decoding step, and the pointwise functions
// they apply (softplus, SiLU) with their derivatives.
#ifndef MLPRIM_SSM_DETAIL_SCAN_INPUTS_HPP
#define MLPRIM_SSM_DETAIL_SCAN_INPUTS_HPP

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/core/view.hpp"

namespace mlprim::detail {

/// softplus(x) = log(1 + e^x), and x itself above PyTorch's threshold 20
/// (F.softplus(x, beta=1, threshold=20)).
template <class T>
T softplus(T x) {
  return x > T(20) ? x : std::log1p(std::exp(x));
}
/// silu(x) = x sigmoid(x).
template <class T>
T silu(T x) {
  return x / (T(1) + std::exp(-x));
}
/// m in the accumulation type: a view of it when it already is one (row
/// major), a converted copy otherwise.
template <class Acc, class Derived>
auto rows_in(const Eigen::MatrixBase<Derived>& m) {
  if constexpr (std::is_same_v<typename Derived::Scalar, Acc>)
    return Eigen::Ref<const RowMatrix<Acc>>(m.derived());
  else
    return RowMatrix<Acc>(m.template cast<Acc>());
}

/// Channels handled together by one task of the scans: their state (width x
/// N) stays in L1 while the time loop runs.
constexpr Index scan_channel_block = 16;

/// A block of channels [begin, end) of one group of B and C.
struct ChannelBlock {
  Index begin, end, group;
};

/// Sizes of one selective-scan call after the shape checks.
struct ScanShape {
  Index total = 0;             ///< rows of u (all sequences)
  Index channels = 0;          ///< Dm
  Index state = 0;             ///< N
  Index groups = 1;            ///< G of varying B and C (channels split evenly)
  std::vector<Index> offsets;  ///< sequence s is rows [offsets[s], offsets[s+1])

  Index sequences() const { return static_cast<Index>(offsets.size()) - 1; }
  /// The channel blocks, none crossing a group boundary.
  std::vector<ChannelBlock> blocks() const {
    std::vector<ChannelBlock> out;
    const Index per_group = channels / groups;
    for (Index g = 0; g < groups; ++g)
      for (Index d = g * per_group; d < (g + 1) * per_group; d += scan_channel_block)
        out.push_back({d, std::min(d + scan_channel_block, (g + 1) * per_group), g});
    return out;
  }
};

/// Checks that `view` is empty or rows x cols; names it in the message.
template <class T>
void check_optional(const char* fn, const char* name, const ConstRowView<T>& view, Index rows,
                    Index cols) {
  if (view.empty()) return;
  if (view.rows() == rows && view.cols() == cols) return;
  if (cols == 1 && view.rows() == 1 && view.cols() == rows) return;  // a row vector is fine too
  throw_invalid_argument(fn, name, " is ", view.rows(), " x ", view.cols(), ", expected ", rows,
                         " x ", cols);
}

/// Entry i of an optional per-channel vector (D, delta_bias): `absent` if empty.
template <class Acc, class T>
Acc optional_entry(const ConstRowView<T>& v, Index i, Acc absent) {
  return v.empty() ? absent : static_cast<Acc>(v[i]);
}

/// The packed sequences of `cu_seqlens` over `total` rows (empty: one).
inline std::vector<Index> sequence_offsets(const char* fn, const std::vector<Index>& cu_seqlens,
                                           Index total) {
  if (cu_seqlens.empty()) return {0, total};
  if (cu_seqlens.size() < 2 || cu_seqlens.front() != 0 || cu_seqlens.back() != total)
    throw_invalid_argument(fn, "cu_seqlens must start at 0 and end at the ", total, " rows of u (",
                           cu_seqlens.size(), " offsets given)");
  for (std::size_t s = 1; s < cu_seqlens.size(); ++s)
    if (cu_seqlens[s] < cu_seqlens[s - 1])
      throw_invalid_argument(fn, "cu_seqlens[", s, "] = ", cu_seqlens[s],
                             " is less than cu_seqlens[", s - 1, "] = ", cu_seqlens[s - 1]);
  return cu_seqlens;
}

/// Checks u, delta (total x Dm), A (Dm x N) and B, C (total x G N varying,
/// Dm x N time-invariant) and returns the sizes.
template <class DU, class DDelta, class DA, class DB, class DC>
ScanShape check_scan_inputs(const char* fn, const DU& u, const DDelta& delta, const DA& A,
                            const DB& B, const DC& C, bool B_time_invariant, bool C_time_invariant,
                            const std::vector<Index>& cu_seqlens) {
  ScanShape s;
  s.total = u.rows();
  s.channels = u.cols();
  s.state = A.cols();
  if (delta.rows() != u.rows() || delta.cols() != u.cols())
    throw_invalid_argument(fn, "delta is ", delta.rows(), " x ", delta.cols(), ", u is ", u.rows(),
                           " x ", u.cols());
  if (A.rows() != s.channels)
    throw_invalid_argument(fn, "A is ", A.rows(), " x ", A.cols(), ", u is ", u.rows(), " x ",
                           u.cols(), ": A needs one row per channel");
  if (s.state == 0) throw_invalid_argument(fn, "A is ", A.rows(), " x 0: the state size N is 0");
  Index varying_cols = -1;
  auto check_param = [&](const char* name, Index rows, Index cols, bool invariant) {
    if (invariant) {
      if (rows != s.channels || cols != s.state)
        throw_invalid_argument(fn, name, " is ", rows, " x ", cols, ", A is ", A.rows(), " x ",
                               A.cols(), ": a time-invariant ", name, " has A's shape");
      return;
    }
    if (rows != s.total || cols == 0 || cols % s.state != 0)
      throw_invalid_argument(fn, name, " is ", rows, " x ", cols, ", u is ", u.rows(), " x ",
                             u.cols(), " and A ", A.rows(), " x ", A.cols(), ": a varying ", name,
                             " is L x (G N)");
    if (varying_cols >= 0 && cols != varying_cols)
      throw_invalid_argument(fn, "B has ", varying_cols, " columns and C ", cols,
                             ": both must have the same groups");
    varying_cols = cols;
  };
  check_param("B", B.rows(), B.cols(), B_time_invariant);
  check_param("C", C.rows(), C.cols(), C_time_invariant);
  if (varying_cols > 0) {
    s.groups = varying_cols / s.state;
    if (s.channels % s.groups != 0)
      throw_invalid_argument(fn, "groups = ", s.groups, " (B, C with ", varying_cols,
                             " columns, N = ", s.state, ") do not divide the ", s.channels,
                             " channels");
  }
  s.offsets = sequence_offsets(fn, cu_seqlens, s.total);
  return s;
}

}  // namespace mlprim::detail

#endif  // MLPRIM_SSM_DETAIL_SCAN_INPUTS_HPP
