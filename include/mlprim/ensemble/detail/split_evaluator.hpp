// XGBoost's split evaluation for histogram growth: leaf weights, gains,
// monotone bounds, and the scan of a node's histogram for its best split.
#ifndef MLPRIM_ENSEMBLE_DETAIL_SPLIT_EVALUATOR_HPP
#define MLPRIM_ENSEMBLE_DETAIL_SPLIT_EVALUATOR_HPP

#include <cmath>
#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "mlprim/ensemble/binning.hpp"
#include "mlprim/ensemble/params.hpp"

namespace mlprim {
namespace detail {

/// Gradient and hessian sums of a set of rows, in double.
struct GradStats {
  double g = 0;
  double h = 0;
  void add(const GradStats& o) {
    g += o.g;
    h += o.h;
  }
  GradStats minus(const GradStats& o) const { return {g - o.g, h - o.h}; }
};

/// The tree parameters in float, the precision XGBoost keeps them in.
struct TreeParams {
  float min_child_weight = 1, reg_lambda = 1, reg_alpha = 0, max_delta_step = 0, gamma = 0;
  float learning_rate = 0.3f;
  int max_cat_to_onehot = 4;
};

/// T(G) = sign(G) max(|G| - alpha, 0), the L1 soft threshold.
inline double soft_threshold(double g, double alpha) {
  if (g > alpha) return g - alpha;
  if (g < -alpha) return g + alpha;
  return 0.0;
}

/// Leaf weights and gains under monotone bounds, XGBoost's TreeEvaluator:
///   w = -T(G) / (H + lambda), 0 when H < min_child_weight (or H <= 0),
///       clipped to +-max_delta_step, then to the node's [lower, upper];
///   gain(G, H, w) = T(G)^2 / (H + lambda) without max_delta_step and
///       constraints, else -(2 G w + (H + lambda) w^2);
///   split gain = gain_L + gain_R, -inf when the children's weights break
///       the feature's monotone direction.
class SplitEvaluator {
 public:
  SplitEvaluator(const TreeParams& p, const std::vector<int>& constraints, Index features)
      : p_(p), constraints_(constraints) {
    constraints_.resize(static_cast<std::size_t>(features), 0);
    for (int c : constraints_) has_constraint_ = has_constraint_ || c != 0;
    lower_.assign(1, -std::numeric_limits<float>::max());
    upper_.assign(1, std::numeric_limits<float>::max());
  }

  const TreeParams& params() const { return p_; }

  /// The unbounded weight, in double.
  double raw_weight(const GradStats& s) const {
    if (s.h < p_.min_child_weight || s.h <= 0.0) return 0.0;
    double w = -soft_threshold(s.g, p_.reg_alpha) / (s.h + p_.reg_lambda);
    if (p_.max_delta_step != 0.0f && std::abs(w) > p_.max_delta_step)
      w = std::copysign(static_cast<double>(p_.max_delta_step), w);
    return w;
  }

  /// The weight of stats `s` in node `nid`'s monotone bounds.
  float weight(std::int32_t nid, const GradStats& s) const {
    const auto w = static_cast<float>(raw_weight(s));
    if (!has_constraint_) return w;
    const auto i = static_cast<std::size_t>(nid);
    return std::min(std::max(w, lower_[i]), upper_[i]);
  }

  float gain_given_weight(const GradStats& s, float w) const {
    if (s.h <= 0) return 0.0f;
    if (p_.max_delta_step == 0.0f && !has_constraint_) {
      const double t = soft_threshold(s.g, p_.reg_alpha);
      return static_cast<float>(t * t / (s.h + p_.reg_lambda));
    }
    const double wd = w;
    return static_cast<float>(-(2.0 * s.g * wd + (s.h + p_.reg_lambda) * wd * wd));
  }

  /// The gain of node `nid` kept as a leaf.
  float node_gain(std::int32_t nid, const GradStats& s) const {
    return gain_given_weight(s, weight(nid, s));
  }

  /// gain_L + gain_R of a split of node `nid` on feature f.
  float split_gain(std::int32_t nid, Index f, const GradStats& left, const GradStats& right) const {
    const float wl = weight(nid, left), wr = weight(nid, right);
    const float gain = gain_given_weight(left, wl) + gain_given_weight(right, wr);
    const int c = constraints_[static_cast<std::size_t>(f)];
    if (c == 0) return gain;
    const bool ok = c > 0 ? wl <= wr : wl >= wr;
    return ok ? gain : -std::numeric_limits<float>::infinity();
  }

  /// Bounds of the children of a split of `nid` on f with child weights wl,
  /// wr: inherited, and cut at their mid-point on the constrained side.
  void add_split(std::int32_t nid, std::int32_t left, std::int32_t right, Index f, float wl,
                 float wr) {
    if (!has_constraint_) return;
    const auto need = static_cast<std::size_t>(std::max(left, right)) + 1;
    if (lower_.size() < need) {
      lower_.resize(need, -std::numeric_limits<float>::max());
      upper_.resize(need, std::numeric_limits<float>::max());
    }
    const auto p = static_cast<std::size_t>(nid), l = static_cast<std::size_t>(left),
               r = static_cast<std::size_t>(right);
    lower_[l] = lower_[r] = lower_[p];
    upper_[l] = upper_[r] = upper_[p];
    const float mid = (wl + wr) / 2;
    const int c = constraints_[static_cast<std::size_t>(f)];
    if (c < 0) {
      lower_[l] = mid;
      upper_[r] = mid;
    } else if (c > 0) {
      upper_[l] = mid;
      lower_[r] = mid;
    }
  }

 private:
  TreeParams p_;
  std::vector<int> constraints_;
  bool has_constraint_ = false;
  std::vector<float> lower_, upper_;
};

/// The best split found for a node. Ties go to the lower feature index, then
/// to the candidate met first (XGBoost's SplitEntry::NeedReplace).
struct SplitCandidate {
  float loss_chg = 0;
  Index feature = 0;
  int bin = 0;            ///< left = bins <= bin (-1: no non-missing value left)
  float split_value = 0;  ///< x < split_value goes left
  bool default_left = false;
  GradStats left, right;
  bool found = false;
  /// A categorical split: right_bins[b] = 1 for the bins (categories) going right.
  bool categorical = false;
  std::vector<std::uint8_t> right_bins;

  bool need_replace(float new_loss, Index f) const {
    if (std::isinf(new_loss) || std::isnan(new_loss)) return false;
    if (feature <= f) return new_loss > loss_chg;
    return !(loss_chg > new_loss);
  }
  void offer(const SplitCandidate& c) {
    if (c.found && need_replace(c.loss_chg, c.feature)) *this = c;
  }
};

/// Scans categorical feature f's histogram (one bin per category) of node
/// `nid` for its best split into `best`, as XGBoost: with fewer than
/// max_cat_to_onehot categories, each category alone against the rest, the
/// missing rows on either side; otherwise the categories sorted by their
/// unregularised-by-constraints weight -T(G)/(H + lambda) and every prefix
/// of that order against the rest, accumulated from both ends (missing rows
/// left when the prefix goes right, right when the suffix goes left).
inline void scan_categorical(const SplitEvaluator& ev, std::int32_t nid, Index f,
                             const GradStats* hist, const HistogramCuts& cuts,
                             const GradStats& total, float root_gain, SplitCandidate& best) {
  const int bins = cuts.num_bins(f);
  if (bins == 0) return;
  const float mcw = ev.params().min_child_weight;
  GradStats present;
  for (int b = 0; b < bins; ++b) present.add(hist[b]);
  const GradStats missing = total.minus(present);
  // Candidates offered in XGBoost's order; the last one taken is remembered
  // and its category set built at the end.
  int taken = -1;  // one-hot: the bin; partition: the prefix length
  bool taken_prefix = false;
  auto offer = [&](const GradStats& left, const GradStats& right, bool default_left) {
    if (!(left.h >= mcw && right.h >= mcw)) return false;
    const auto loss = static_cast<float>(ev.split_gain(nid, f, left, right) - root_gain);
    if (!best.need_replace(loss, f)) return false;
    best = {loss, f, 0, 0.0f, default_left, left, right, true, true, {}};
    return true;
  };
  std::vector<int> order(static_cast<std::size_t>(bins));
  if (bins < ev.params().max_cat_to_onehot) {
    for (int b = 0; b < bins; ++b) {
      GradStats right = hist[b];
      if (offer(total.minus(right), right, true)) taken = b, taken_prefix = false;
      right.add(missing);
      if (offer(total.minus(right), right, false)) taken = b, taken_prefix = false;
    }
  } else {
    for (int b = 0; b < bins; ++b) order[static_cast<std::size_t>(b)] = b;
    std::stable_sort(order.begin(), order.end(),
                     [&](int a, int b) { return ev.raw_weight(hist[a]) < ev.raw_weight(hist[b]); });
    GradStats right;
    for (int j = 0; j + 1 < bins; ++j) {  // prefix [0, j] right, missing left
      right.add(hist[order[static_cast<std::size_t>(j)]]);
      if (offer(total.minus(right), right, true)) taken = j + 1, taken_prefix = true;
    }
    GradStats left;
    for (int j = bins - 1; j >= 1; --j) {  // suffix [j, bins) left, missing right
      left.add(hist[order[static_cast<std::size_t>(j)]]);
      if (offer(left, total.minus(left), false)) taken = j, taken_prefix = true;
    }
  }
  if (taken < 0 || best.feature != f || !best.categorical) return;
  best.right_bins.assign(static_cast<std::size_t>(bins), 0);
  if (taken_prefix)
    for (int j = 0; j < taken; ++j)
      best.right_bins[static_cast<std::size_t>(order[static_cast<std::size_t>(j)])] = 1;
  else
    best.right_bins[static_cast<std::size_t>(taken)] = 1;
}

/// Scans feature f's histogram (slots hist[0 .. bins), in bin order) of node
/// `nid` with stats `total` and leaf gain `root_gain` for its best split into
/// `best`: bins accumulated upwards with the missing rows going right, and,
/// when the node has missing values of f, downwards with them going left.
/// Both children need hessian >= min_child_weight;
/// loss_chg = split_gain - root_gain, in float.
inline void scan_feature(const SplitEvaluator& ev, std::int32_t nid, Index f, const GradStats* hist,
                         const HistogramCuts& cuts, const GradStats& total, float root_gain,
                         SplitCandidate& best) {
  if (cuts.is_categorical(f))
    return scan_categorical(ev, nid, f, hist, cuts, total, root_gain, best);
  const int bins = cuts.num_bins(f);
  if (bins == 0) return;
  const float* bound = cuts.values.data() + cuts.ptrs[static_cast<std::size_t>(f)];
  const float mcw = ev.params().min_child_weight;
  GradStats left;
  for (int b = 0; b < bins; ++b) {
    left.add(hist[b]);
    const GradStats right = total.minus(left);
    if (left.h >= mcw && right.h >= mcw) {
      const auto loss = static_cast<float>(ev.split_gain(nid, f, left, right) - root_gain);
      if (best.need_replace(loss, f))
        best = {loss, f, b, bound[b], false, left, right, true, false, {}};
    }
  }
  const GradStats present = left;
  if (present.h == total.h && present.g == total.g) return;  // no missing rows here
  GradStats right;
  for (int b = bins - 1; b >= 0; --b) {
    right.add(hist[b]);
    const GradStats lhs = total.minus(right);
    if (lhs.h >= mcw && right.h >= mcw) {
      const auto loss = static_cast<float>(ev.split_gain(nid, f, lhs, right) - root_gain);
      if (best.need_replace(loss, f)) {
        const float value = b == 0 ? cuts.min_values[static_cast<std::size_t>(f)] : bound[b - 1];
        best = {loss, f, b - 1, value, true, lhs, right, true, false, {}};
      }
    }
  }
}

}  // namespace detail
}  // namespace mlprim

#endif  // MLPRIM_ENSEMBLE_DETAIL_SPLIT_EVALUATOR_HPP
