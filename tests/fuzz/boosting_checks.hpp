// The properties every loaded gradient-boosting model must have, checked by
// the boosting fuzz targets after a successful load.
#ifndef MLPRIM_TESTS_FUZZ_BOOSTING_CHECKS_HPP
#define MLPRIM_TESTS_FUZZ_BOOSTING_CHECKS_HPP

#include <cmath>
#include <istream>
#include <limits>
#include <sstream>
#include <string>

#include <mlprim/ensemble.hpp>

#include "fuzz_require.hpp"
#include "test_util.hpp"

namespace mlprim::fuzz {

/// fn(stream) over `bytes`: seekable when `kind` is even, a pipe when odd.
template <class Fn>
void with_stream(std::uint8_t kind, const std::string& bytes, Fn&& fn) {
  if (kind % 2 == 0) {
    std::istringstream in(bytes);
    fn(in);
    return;
  }
  test::PipeBuffer buffer(bytes);
  std::istream in(&buffer);
  fn(in);
}

/// Widest model the checks score (rows of that many features).
inline constexpr Index max_checked_features = 4096;

/// Three rows for a model of p features: zeros, missing values, and a ramp.
inline RowMatrix<double> probe_rows(Index p) {
  RowMatrix<double> x(3, p);
  for (Index f = 0; f < p; ++f) {
    x(0, f) = 0;
    x(1, f) = std::numeric_limits<double>::quiet_NaN();
    x(2, f) = static_cast<double>(f % 7) - 3;
  }
  return x;
}

/// Every prediction runs on the probe rows; leaves are inside their trees.
inline void check_boosting(const GradientBoosting<double>& m) {
  require(m.fitted(), "a loaded model is fitted");
  if (m.num_features() > max_checked_features) return;
  const RowMatrix<double> x = probe_rows(m.num_features());
  const RowMatrix<double> margin = m.predict_margin(x);
  require(margin.rows() == 3 && margin.cols() == m.num_outputs(), "margin shape");
  const IndexMatrix leaf = m.predict_leaf(x);
  for (Index i = 0; i < leaf.rows(); ++i)
    for (Index t = 0; t < leaf.cols(); ++t) {
      const auto& tree = m.trees()[static_cast<std::size_t>(t)];
      require(leaf(i, t) >= 0 && leaf(i, t) < tree.num_nodes() && tree.is_leaf(leaf(i, t)),
              "predict_leaf names a leaf of its tree");
    }
  (void)m.predict(x);
  (void)m.predict_contributions(x);
}

/// Two models give the same margins (NaN where the other has NaN).
inline void check_same_margins(const GradientBoosting<double>& a,
                               const GradientBoosting<double>& b) {
  require(a.num_features() == b.num_features() && a.num_trees() == b.num_trees(),
          "a reload keeps the shape");
  if (a.num_features() > max_checked_features) return;
  const RowMatrix<double> x = probe_rows(a.num_features());
  const RowMatrix<double> ma = a.predict_margin(x), mb = b.predict_margin(x);
  for (Index i = 0; i < ma.size(); ++i) {
    const double u = ma.data()[i], v = mb.data()[i];
    require(u == v || (std::isnan(u) && std::isnan(v)) ||
                std::abs(u - v) <= 1e-9 * std::max(1.0, std::abs(u)),
            "a reload predicts the same");
  }
}

}  // namespace mlprim::fuzz

#endif  // MLPRIM_TESTS_FUZZ_BOOSTING_CHECKS_HPP
