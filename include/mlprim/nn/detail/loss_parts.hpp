// What the nn losses share: rows scaled to unit length and the adjoint of
// that scaling, and the mean softmax cross-entropy of logit rows against
// one target column each, with its gradient.
#ifndef MLPRIM_NN_DETAIL_LOSS_PARTS_HPP
#define MLPRIM_NN_DETAIL_LOSS_PARTS_HPP

#include <algorithm>
#include <cmath>
#include <limits>
#include <string_view>
#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/nn/detail/checks.hpp"

namespace mlprim::detail {

/// Rows of x scaled to unit Euclidean length, with the lengths.
template <class T>
struct UnitRows {
  RowMatrix<T> unit;
  Vector<T> norms;
};

/// x_i / |x_i| for every row; a row that is not finite or has length 0
/// throws (naming `name` and the row).
template <class T>
UnitRows<T> unit_rows(std::string_view fn, std::string_view name,
                      const Eigen::Ref<const RowMatrix<T>>& x) {
  check_finite_rows<T>(fn, name, x);
  UnitRows<T> out{RowMatrix<T>(x.rows(), x.cols()), Vector<T>(x.rows())};
  for (Index i = 0; i < x.rows(); ++i) {
    const T norm = x.row(i).norm();
    if (!(norm > T(0))) throw_invalid_argument(fn, name, " row ", i, " has length 0");
    out.norms(i) = norm;
    out.unit.row(i) = x.row(i) / norm;
  }
  return out;
}

/// The gradient with respect to x of a function of u = x / |x|, given its
/// gradient g with respect to u: (g - u (u . g)) / |x|, row by row.
template <class T>
RowMatrix<T> unit_rows_backward(const UnitRows<T>& u, const RowMatrix<T>& g) {
  RowMatrix<T> out(g.rows(), g.cols());
  for (Index i = 0; i < g.rows(); ++i)
    out.row(i) = (g.row(i) - u.unit.row(i).dot(g.row(i)) * u.unit.row(i)) / u.norms(i);
  return out;
}

/// mean_i (log sum_j exp(logits_ij) - logits_{i, target_i}), the PyTorch
/// F.cross_entropy of the rows, with sums in AccumulatorT<T>; -inf logits
/// are left out of their row's sum. On return `logits` holds the gradient
/// (softmax_i - onehot(target_i)) / n.
template <class T>
T softmax_cross_entropy(RowMatrix<T>& logits, const std::vector<Index>& targets) {
  using Acc = AccumulatorT<T>;
  const Index n = logits.rows();
  Acc total = 0;
  for (Index i = 0; i < n; ++i) {
    auto row = logits.row(i);
    const Index t = targets[static_cast<std::size_t>(i)];
    const T top = row.maxCoeff();
    total -= Acc(row(t)) - Acc(top);
    // One exponential per entry: row(j) holds exp(logit - top) until the
    // sum is known.
    Acc sum = 0;
    for (Index j = 0; j < row.size(); ++j) {
      const Acc e = std::exp(Acc(row(j) - top));
      row(j) = T(e);
      sum += e;
    }
    total += std::log(sum);
    const Acc scale = Acc(1) / (sum * Acc(n));
    for (Index j = 0; j < row.size(); ++j) row(j) = T(Acc(row(j)) * scale);
    row(t) -= T(1) / T(n);
  }
  return T(total / Acc(n));
}

}  // namespace mlprim::detail

#endif  // MLPRIM_NN_DETAIL_LOSS_PARTS_HPP
