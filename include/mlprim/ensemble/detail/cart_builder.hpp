// The CART builder behind the decision trees, forests and AdaBoost: best
// splits on presorted columns with scikit-learn's rules, or random
// thresholds (extremely randomized trees), grown depth-first or best-first.
#ifndef MLPRIM_ENSEMBLE_DETAIL_CART_BUILDER_HPP
#define MLPRIM_ENSEMBLE_DETAIL_CART_BUILDER_HPP

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <queue>
#include <string_view>
#include <utility>
#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/core/parallel.hpp"
#include "mlprim/core/random.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/ensemble/binning.hpp"
#include "mlprim/ensemble/cart_tree.hpp"

namespace mlprim {
namespace detail {

/// The split criteria: Gini and Shannon entropy (in bits) for classes,
/// squared and absolute error for regression (scikit-learn's definitions).
enum class CartCriterion { Gini, Entropy, SquaredError, AbsoluteError };

/// Two float values closer than this are one value to a split (scikit-learn's
/// FEATURE_THRESHOLD): no threshold goes between them.
inline constexpr double kCartFeatureThreshold = 1e-7;

/// One row in a feature's sorted list: its value (read in order, not
/// gathered) and its index.
struct CartEntry {
  float x;
  std::int32_t row;
};

/// Training features as the builder reads them, shared by the trees of a
/// forest: per feature the rows in ascending order of value (equal values by
/// row), each with its value in float.
struct CartColumns {
  Index rows = 0, cols = 0;
  std::vector<CartEntry> entries;  ///< entries[f * rows + k]: the k-th smallest of feature f
  int max_bin = 0;                 ///< > 0: histogram splits on cuts and codes
  HistogramCuts cuts;              ///< the bins (max_bin > 0)
  std::vector<std::uint16_t> codes;  ///< codes[f * rows + i]: the bin of X(i, f)
};

/// Adds the quantile bins (make_cuts, at most max_bin per feature) and every
/// value's bin to columns made from X, for histogram splits.
template <class Scalar>
void add_cart_bins(CartColumns& c, const Eigen::Ref<const RowMatrix<Scalar>>& X, int max_bin,
                   int threads) {
  c.max_bin = max_bin;
  c.cuts = make_cuts<Scalar>(X, max_bin, {}, threads);
  c.codes.resize(static_cast<std::size_t>(c.rows * c.cols));
  parallel_for(Index{0}, c.cols, threads, [&](Index f) {
    for (Index k = 0; k < c.rows; ++k) {
      const CartEntry& e = c.entries[static_cast<std::size_t>(f * c.rows + k)];
      c.codes[static_cast<std::size_t>(f * c.rows + e.row)] =
          static_cast<std::uint16_t>(c.cuts.bin_of(f, e.x));
    }
  });
}

/// Checks X for a tree fit (finite values that float holds; NaN is refused
/// with a pointer to GradientBoosting, which learns missing values) and lays
/// it out as CartColumns, sorting the features on up to `threads` threads.
template <class Scalar>
CartColumns make_cart_columns(std::string_view fn, const Eigen::Ref<const RowMatrix<Scalar>>& X,
                              int threads) {
  if (X.rows() == 0) throw_invalid_argument(fn, "X has no rows");
  if (X.cols() == 0) throw_invalid_argument(fn, "X has no columns");
  if (X.rows() >= std::numeric_limits<std::int32_t>::max())
    throw_invalid_argument(fn, "X has ", X.rows(), " rows; at most 2^31 - 2 are supported");
  CartColumns c;
  c.rows = X.rows();
  c.cols = X.cols();
  c.entries.resize(static_cast<std::size_t>(c.rows * c.cols));
  for (Index i = 0; i < c.rows; ++i)
    for (Index f = 0; f < c.cols; ++f) {
      const Scalar x = X(i, f);
      if (std::isnan(x))
        throw_invalid_argument(fn, "X(", i, ", ", f,
                               ") is NaN: these trees take no missing values (GradientBoosting "
                               "learns where they go)");
      const auto v = static_cast<float>(x);
      if (!std::isfinite(v))
        throw_invalid_argument(fn, "X(", i, ", ", f, ") = ", x, " is not a finite float");
      c.entries[static_cast<std::size_t>(f * c.rows + i)] = {v, static_cast<std::int32_t>(i)};
    }
  parallel_for(Index{0}, c.cols, threads, [&](Index f) {
    CartEntry* e = c.entries.data() + f * c.rows;
    std::sort(e, e + c.rows, [](const CartEntry& a, const CartEntry& b) {
      return a.x < b.x || (a.x == b.x && a.row < b.row);  // equal values by row
    });
  });
  return c;
}

/// The targets: class indices in [0, num_classes) or real values.
struct CartTargets {
  int num_classes = 0;              ///< 0 for regression
  std::vector<std::int32_t> label;  ///< classification
  std::vector<double> target;       ///< regression
};

/// One data set laid out for the builder, shared by every tree fitted on
/// it (forests, AdaBoost rounds): columns, targets and, for classes, the
/// original labels in ascending order.
struct CartData {
  CartColumns columns;
  CartTargets targets;
  std::vector<double> classes;
};

/// What the builder grows (checked by the estimators).
struct CartSettings {
  CartCriterion criterion = CartCriterion::Gini;
  int max_depth = kMaxTreeDepth;
  Index min_samples_split = 2;
  Index min_samples_leaf = 1;
  double min_weight_leaf = 0;  ///< absolute weight
  double min_impurity_decrease = 0;
  Index max_features = 0;   ///< features examined per node, in [1, p]
  Index max_leaf_nodes = 0;  ///< 0 = unlimited (depth-first), else best-first
  bool random_thresholds = false;
  bool histogram = false;  ///< split on the columns' bins
  std::uint64_t seed = 0;
};

/// Float threshold t_f with float(x) < t_f exactly when x <= t (double):
/// the float just above the largest float not above t.
inline float cart_float_threshold(double t) {
  float f = static_cast<float>(t);
  if (static_cast<double>(f) > t) f = std::nextafter(f, -std::numeric_limits<float>::infinity());
  if (f == std::numeric_limits<float>::max()) return f;
  return std::nextafter(f, std::numeric_limits<float>::infinity());
}

/// Grows one tree on the rows of positive weight (a zero weight, as a
/// bootstrap leaves out, removes the row; counts such as min_samples_leaf
/// count rows, as scikit-learn). Node rules are scikit-learn's: a node is a
/// leaf at max_depth, below min_samples_split or 2 min_samples_leaf rows,
/// below 2 min_weight_leaf weight, with impurity <= machine epsilon, without
/// a valid split, or when the best split's weighted impurity decrease
/// (w_node / w_total) (imp - w_l/w_node imp_l - w_r/w_node imp_r) + eps is
/// below min_impurity_decrease. A split position is valid between two
/// values more than kCartFeatureThreshold apart with min_samples_leaf rows
/// and min_weight_leaf weight each side; its threshold is the midpoint
/// x_a/2 + x_b/2 (x_a if that rounds to x_b). The best split maximises the
/// children's proxy -(w_l imp_l + w_r imp_r); ties go to the smaller
/// feature, then the smaller threshold. With max_features < p the features
/// are visited in a random order until max_features non-constant ones have
/// been examined (scikit-learn's rule). Random thresholds draw
/// uniform(min, max) of each examined feature (Geurts, Ernst & Wehenkel
/// 2006). Per level it costs O(p n) to keep the presorted lists partitioned.
class CartBuilder {
 public:
  CartBuilder(const CartColumns& columns, const CartTargets& targets,
              const std::vector<double>& weight, const CartSettings& settings)
      : x_(columns), y_(targets), w_(weight), s_(settings), rng_(settings.seed) {
    k_ = y_.num_classes > 0 ? y_.num_classes : 1;
    const Index n = x_.rows;
    for (Index i = 0; i < n; ++i)
      if (w_[static_cast<std::size_t>(i)] > 0) ++m_;
    if (s_.histogram) {  // one list of the node's rows, in any order
      lists_.reserve(static_cast<std::size_t>(m_));
      for (Index k = 0; k < n; ++k)
        if (w_[static_cast<std::size_t>(x_.entries[static_cast<std::size_t>(k)].row)] > 0)
          lists_.push_back(x_.entries[static_cast<std::size_t>(k)]);
      view_ = lists_.data();
      scratch_.resize(static_cast<std::size_t>(m_));
    } else if (m_ == n) {  // every row: read the shared lists until a split must partition them
      view_ = x_.entries.data();
    } else {  // the rows of positive weight, branch-free (a bootstrap drops a third)
      std::vector<std::uint8_t> keep(static_cast<std::size_t>(n));
      for (Index i = 0; i < n; ++i) keep[static_cast<std::size_t>(i)] = w_[static_cast<std::size_t>(i)] > 0;
      lists_.resize(static_cast<std::size_t>(m_ * x_.cols) + 1);
      std::size_t at = 0;
      for (const CartEntry& e : x_.entries) {
        lists_[at] = e;
        at += keep[static_cast<std::size_t>(e.row)];
      }
      lists_.pop_back();
      view_ = lists_.data();
    }
    features_.resize(static_cast<std::size_t>(x_.cols));
    std::iota(features_.begin(), features_.end(), Index{0});
    if (s_.criterion == CartCriterion::AbsoluteError) rank_.assign(static_cast<std::size_t>(n), 0);
  }

  /// Grows the tree.
  CartTree build() {
    CartTree tree;
    tree.num_outputs = y_.num_classes > 0 ? y_.num_classes : 1;
    if (m_ == 0) return tree;
    Stats root = stats(view_, 0, m_);
    w_total_ = root.weight;
    records_.clear();
    add_node(tree, -1, 0, 0, m_, std::move(root));
    if (s_.max_leaf_nodes == 0) {
      std::vector<std::int32_t> stack = {0};
      while (!stack.empty()) {
        const std::int32_t id = stack.back();
        stack.pop_back();
        if (records_[static_cast<std::size_t>(id)].leaf) continue;
        const auto [l, r] = split_node(tree, id);
        stack.push_back(r);
        stack.push_back(l);
      }
    } else {
      // Best-first: the frontier node with the largest improvement splits
      // next (ties: the older node), until max_leaf_nodes leaves exist.
      auto cmp = [this](std::int32_t a, std::int32_t b) {
        const double ia = records_[static_cast<std::size_t>(a)].improvement;
        const double ib = records_[static_cast<std::size_t>(b)].improvement;
        return ia < ib || (ia == ib && a > b);
      };
      std::priority_queue<std::int32_t, std::vector<std::int32_t>, decltype(cmp)> frontier(cmp);
      frontier.push(0);
      Index splits_left = s_.max_leaf_nodes - 1;
      while (!frontier.empty() && splits_left > 0) {
        const std::int32_t id = frontier.top();
        frontier.pop();
        if (records_[static_cast<std::size_t>(id)].leaf) continue;
        const auto [l, r] = split_node(tree, id);
        --splits_left;
        frontier.push(l);
        frontier.push(r);
      }
    }
    return tree;
  }

 private:
  /// A node's weighted statistics: class weights (K) or, for regression,
  /// {sum w y, sum w y^2}, and for absolute error the median as well.
  struct Stats {
    double weight = 0;
    double impurity = 0;
    std::vector<double> value;  ///< class weights, or the mean / median
  };

  /// The best split found for a node.
  struct Split {
    Index feature = -1;
    Index left_count = 0;  ///< rows going left
    double threshold = 0;
    double proxy = -std::numeric_limits<double>::infinity();
    int bin = -1;   ///< histogram splits: bins <= bin go left
    float cut = 0;  ///< histogram splits: x < cut goes left
  };

  /// A node of the growing tree.
  struct Record {
    Index begin = 0, end = 0;
    int depth = 0;
    bool leaf = true;
    double improvement = 0;
    Split split;
    Stats left, right;
  };

  double target(std::int32_t i) const { return y_.target[static_cast<std::size_t>(i)]; }
  double weight(std::int32_t i) const { return w_[static_cast<std::size_t>(i)]; }

  /// Stats of the rows list[begin, end).
  Stats stats(const CartEntry* list, Index begin, Index end) {
    Stats st;
    if (y_.num_classes > 0) {
      st.value.assign(static_cast<std::size_t>(k_), 0.0);
      for (Index p = begin; p < end; ++p) {
        const double wi = weight(list[p].row);
        st.value[static_cast<std::size_t>(y_.label[static_cast<std::size_t>(list[p].row)])] += wi;
        st.weight += wi;
      }
      st.impurity = class_impurity(st.value.data(), st.weight);
      return st;
    }
    double sum = 0, sq = 0;
    for (Index p = begin; p < end; ++p) {
      const double wi = weight(list[p].row), yi = target(list[p].row);
      st.weight += wi;
      sum += wi * yi;
      sq += wi * yi * yi;
    }
    if (s_.criterion == CartCriterion::SquaredError) {
      st.impurity = sq / st.weight - (sum / st.weight) * (sum / st.weight);
      st.value = {sum / st.weight};
      return st;
    }
    // Absolute error: the weighted median (the midpoint where the cumulative
    // weight is exactly half) and the mean absolute deviation from it.
    std::vector<std::pair<double, double>> yw;
    yw.reserve(static_cast<std::size_t>(end - begin));
    for (Index p = begin; p < end; ++p) yw.emplace_back(target(list[p].row), weight(list[p].row));
    std::sort(yw.begin(), yw.end());
    const double median = weighted_median(yw, st.weight);
    double dev = 0;
    for (const auto& [yi, wi] : yw) dev += wi * std::abs(yi - median);
    st.impurity = dev / st.weight;
    st.value = {median};
    return st;
  }

  /// Median of (value, weight) pairs sorted by value, total weight `total`:
  /// the first value whose cumulative weight reaches total / 2, or the mean
  /// of it and the next when it equals total / 2 exactly.
  static double weighted_median(const std::vector<std::pair<double, double>>& yw, double total) {
    double cum = 0;
    for (std::size_t j = 0; j < yw.size(); ++j) {
      cum += yw[j].second;
      if (cum >= total / 2) {
        if (cum == total / 2 && j + 1 < yw.size()) return (yw[j].first + yw[j + 1].first) / 2;
        return yw[j].first;
      }
    }
    return yw.back().first;
  }

  /// Gini 1 - sum_k p_k^2 or entropy -sum_k p_k log2 p_k of class weights c.
  double class_impurity(const double* c, double w) const {
    double out = 0;
    if (s_.criterion == CartCriterion::Gini) {
      double sq = 0;
      for (int k = 0; k < k_; ++k) sq += c[k] * c[k];
      return 1.0 - sq / (w * w);
    }
    for (int k = 0; k < k_; ++k)
      if (c[k] > 0) {
        const double p = c[k] / w;
        out -= p * std::log2(p);
      }
    return out;
  }

  /// Creates node `id` from its stats and finds its split (or makes it a leaf).
  std::int32_t add_node(CartTree& tree, std::int32_t parent, int depth, Index begin, Index end,
                        Stats st) {
    const std::int32_t id = tree.nodes.add_node(
        parent, static_cast<float>(st.value[0]), 0.0f, static_cast<float>(st.weight));
    tree.value.insert(tree.value.end(), st.value.begin(), st.value.end());
    tree.impurity.push_back(st.impurity);
    tree.weighted_samples.push_back(st.weight);
    Record rec;
    rec.begin = begin;
    rec.end = end;
    rec.depth = depth;
    const Index count = end - begin;
    rec.leaf = depth >= s_.max_depth || count < s_.min_samples_split ||
               count < 2 * s_.min_samples_leaf || st.weight < 2 * s_.min_weight_leaf ||
               st.impurity <= std::numeric_limits<double>::epsilon();
    if (!rec.leaf) {
      rec.split = find_split(begin, end, st);
      rec.leaf = rec.split.feature < 0;
    }
    if (!rec.leaf && s_.histogram) partition_by_bin(begin, end, rec.split);
    if (!rec.leaf) {
      const CartEntry* list = list_of(rec.split.feature);
      rec.left = stats(list, begin, begin + rec.split.left_count);
      rec.right = stats(list, begin + rec.split.left_count, end);
      rec.improvement = st.weight / w_total_ *
                        (st.impurity - rec.right.weight / st.weight * rec.right.impurity -
                         rec.left.weight / st.weight * rec.left.impurity);
      rec.leaf = rec.improvement + std::numeric_limits<double>::epsilon() <
                 s_.min_impurity_decrease;
    }
    records_.push_back(std::move(rec));
    return id;
  }

  /// Splits node id: partitions every feature's list (stable, so each stays
  /// sorted) and adds the two children.
  std::pair<std::int32_t, std::int32_t> split_node(CartTree& tree, std::int32_t id) {
    Record& rec = records_[static_cast<std::size_t>(id)];
    const Index begin = rec.begin, end = rec.end, f = rec.split.feature;
    const Index mid = begin + rec.split.left_count;
    // The children's lists need partitioning only if one of them may split
    // (histogram splits partitioned their one list already).
    auto may_split = [&](Index count) {
      return rec.depth + 1 < s_.max_depth && count >= s_.min_samples_split &&
             count >= 2 * s_.min_samples_leaf;
    };
    const bool partition = !s_.histogram && (may_split(mid - begin) || may_split(end - mid));
    const CartEntry* best = partition ? view_ + f * m_ : nullptr;
    if (partition) {
      if (lists_.empty()) {  // the first partition: a private copy of the shared lists
        lists_ = x_.entries;
        view_ = lists_.data();
        best = view_ + f * m_;
      }
      goes_left_.resize(static_cast<std::size_t>(x_.rows));
      scratch_.resize(static_cast<std::size_t>(m_));
      for (Index p = begin; p < end; ++p) goes_left_[static_cast<std::size_t>(best[p].row)] = p < mid;
    }
    const std::uint8_t* goes_left = goes_left_.data();
    for (Index g = 0; g < x_.cols && partition; ++g)
      if (g != f)
        stable_partition(lists_.data() + g * m_, begin, end,
                         [goes_left](std::int32_t i) { return goes_left[i] != 0; });
    const auto u = static_cast<std::size_t>(id);
    tree.nodes.split_indices[u] = static_cast<std::int32_t>(f);
    tree.nodes.split_conditions[u] =
        s_.histogram ? rec.split.cut : cart_float_threshold(rec.split.threshold);
    tree.nodes.loss_changes[u] = static_cast<float>(
        tree.weighted_samples[u] * tree.impurity[u] - rec.left.weight * rec.left.impurity -
        rec.right.weight * rec.right.impurity);
    const int depth = rec.depth + 1;
    Stats left = std::move(rec.left), right = std::move(rec.right);
    const std::int32_t l = add_node(tree, id, depth, begin, mid, std::move(left));
    const std::int32_t r = add_node(tree, id, depth, mid, end, std::move(right));
    tree.nodes.left_children[u] = l;
    tree.nodes.right_children[u] = r;
    return {l, r};
  }

  /// The best split of rows [begin, end) over the examined features.
  Split find_split(Index begin, Index end, const Stats& node) {
    Split best;
    const Index p = x_.cols;
    const bool all = s_.max_features >= p;
    Index examined = 0;
    for (Index drawn = 0; drawn < p && examined < s_.max_features; ++drawn) {
      if (!all) {  // Fisher-Yates step: a random feature among those not drawn yet
        const auto j = drawn + static_cast<Index>(rng_.below(static_cast<std::uint64_t>(p - drawn)));
        std::swap(features_[static_cast<std::size_t>(drawn)], features_[static_cast<std::size_t>(j)]);
      }
      const Index f = all ? drawn : features_[static_cast<std::size_t>(drawn)];
      Split s;
      if (s_.histogram) {
        bool constant = false;
        s = histogram_split(f, begin, end, node, constant);
        if (constant) continue;  // one bin here: not counted
        ++examined;
      } else {
        const CartEntry* list = view_ + f * m_;
        const double lo = list[begin].x, hi = list[end - 1].x;
        if (hi <= lo + kCartFeatureThreshold) continue;  // constant here: not counted
        ++examined;
        s = s_.random_thresholds ? random_split(f, list, begin, end, node, lo, hi)
                                 : best_split(f, list, begin, end, node);
      }
      if (s.feature >= 0 &&
          (s.proxy > best.proxy || (s.proxy == best.proxy && best.feature >= 0 && f < best.feature)))
        best = s;
    }
    return best;
  }

  /// The rows of every feature's sorted list, or the one list of histogram splits.
  const CartEntry* list_of(Index f) const { return s_.histogram ? view_ : view_ + f * m_; }

  /// The best split of rows [begin, end) after one of feature f's bins:
  /// per bin the class weights, or the weight and weighted target sum, and
  /// the row count; `constant` when the rows fill a single bin.
  Split histogram_split(Index f, Index begin, Index end, const Stats& node, bool& constant) {
    Split best;
    const int bins = x_.cuts.num_bins(f);
    const std::uint16_t* code = x_.codes.data() + f * x_.rows;
    const bool classes = y_.num_classes > 0;
    const auto width = static_cast<std::size_t>(classes ? k_ : 2);
    hist_.assign(static_cast<std::size_t>(bins) * width, 0.0);
    counts_.assign(static_cast<std::size_t>(bins), 0);
    for (Index p = begin; p < end; ++p) {
      const std::int32_t i = view_[p].row;
      const std::size_t b = code[i];
      ++counts_[b];
      if (classes) {
        hist_[b * width + static_cast<std::size_t>(y_.label[static_cast<std::size_t>(i)])] += weight(i);
      } else {
        hist_[b * 2] += weight(i);
        hist_[b * 2 + 1] += weight(i) * target(i);
      }
    }
    int first = -1, last = -1;
    for (int b = 0; b < bins; ++b)
      if (counts_[static_cast<std::size_t>(b)] > 0) {
        if (first < 0) first = b;
        last = b;
      }
    constant = first == last;
    if (constant) return best;
    const Index count = end - begin;
    const double w = node.weight;
    double sum_total = 0;
    if (!classes)
      for (int b = first; b <= last; ++b) sum_total += hist_[static_cast<std::size_t>(b) * 2 + 1];
    left_.assign(static_cast<std::size_t>(k_), 0.0);
    right_.resize(static_cast<std::size_t>(k_));
    Index nl = 0;
    double wl = 0, sl = 0;
    for (int b = first; b < last; ++b) {
      const auto u = static_cast<std::size_t>(b);
      if (counts_[u] == 0) continue;  // the same rows as the last non-empty bin
      nl += counts_[u];
      if (classes) {
        for (std::size_t c = 0; c < width; ++c) {
          left_[c] += hist_[u * width + c];
          wl += hist_[u * width + c];
        }
      } else {
        wl += hist_[u * 2];
        sl += hist_[u * 2 + 1];
      }
      if (count - nl < s_.min_samples_leaf) break;
      if (!allowed(nl, count, wl, w)) continue;
      double proxy;
      if (s_.criterion == CartCriterion::Gini) {
        double sq_l = 0, sq_r = 0;
        for (int c = 0; c < k_; ++c) {
          const double l = left_[static_cast<std::size_t>(c)];
          const double r = node.value[static_cast<std::size_t>(c)] - l;
          sq_l += l * l;
          sq_r += r * r;
        }
        proxy = gini_proxy(sq_l, wl, sq_r, w - wl);
      } else if (classes) {
        proxy = class_proxy(left_.data(), node.value.data(), wl, w);
      } else {
        const double sr = sum_total - sl;
        proxy = sl * sl / wl + sr * sr / (w - wl);
      }
      if (proxy > best.proxy) {
        best.proxy = proxy;
        best.feature = f;
        best.left_count = nl;
        best.bin = b;
        best.cut = x_.cuts.values[x_.cuts.ptrs[static_cast<std::size_t>(f)] + u];
        best.threshold = best.cut;
      }
    }
    return best;
  }

  /// Stable partition of list[begin, end): the entries e with
  /// goes_left(e.row) first. Branch-free (each entry is written to both
  /// sides and one cursor moves): the side is a coin flip to the predictor.
  template <class GoesLeft>
  void stable_partition(CartEntry* list, Index begin, Index end, GoesLeft&& goes_left) {
    CartEntry* right = scratch_.data();
    Index l = begin, r = 0;
    for (Index p = begin; p < end; ++p) {
      const CartEntry e = list[p];
      const Index to_left = goes_left(e.row) ? 1 : 0;
      list[l] = e;  // l <= p: list[p] is already read
      right[r] = e;
      l += to_left;
      r += 1 - to_left;
    }
    std::copy(right, right + r, list + l);
  }

  /// Stable partition of the one list's rows [begin, end): bins <= split.bin first.
  void partition_by_bin(Index begin, Index end, const Split& split) {
    const std::uint16_t* code = x_.codes.data() + split.feature * x_.rows;
    stable_partition(lists_.data(), begin, end,
                     [code, bin = split.bin](std::int32_t i) { return code[i] <= bin; });
  }

  /// Whether a split with `nl` of `count` rows and weight wl of w left is allowed.
  bool allowed(Index nl, Index count, double wl, double w) const {
    return nl >= s_.min_samples_leaf && count - nl >= s_.min_samples_leaf &&
           wl >= s_.min_weight_leaf && w - wl >= s_.min_weight_leaf;
  }

  /// -(w_l imp_l + w_r imp_r) of class weights left (cl) and the node's (c).
  double class_proxy(const double* cl, const double* c, double wl, double w) {
    for (int k = 0; k < k_; ++k) right_[static_cast<std::size_t>(k)] = c[k] - cl[k];
    const double wr = w - wl;
    return -wr * class_impurity(right_.data(), wr) - wl * class_impurity(cl, wl);
  }

  /// Gini's proxy w - (w_l gini_l + w_r gini_r) = sq_l / w_l + sq_r / w_r,
  /// sq the children's sums of squared class weights.
  static double gini_proxy(double sq_l, double wl, double sq_r, double wr) {
    return sq_l / wl + sq_r / wr;
  }

  /// Exact best threshold of feature f: one pass over its sorted list.
  Split best_split(Index f, const CartEntry* list, Index begin, Index end,
                   const Stats& node) {
    Split best;
    const Index count = end - begin;
    const double w = node.weight;
    // A split after position p: consider compares (small, inlined in the
    // loops below), record keeps a better one (rare).
    auto record = [&](Index p, double proxy) {
      best.proxy = proxy;
      best.feature = f;
      best.left_count = p + 1 - begin;
      const double a = list[p].x, b = list[p + 1].x;
      double t = a / 2.0 + b / 2.0;
      if (t == b || std::isinf(t)) t = a;
      best.threshold = t;
    };
    auto consider = [&](Index p, double proxy) {
      if (proxy > best.proxy) record(p, proxy);
    };
    double wl = 0;
    if (s_.criterion == CartCriterion::Gini) {
      // w_l gini_l = w_l - sq_l / w_l with sq = sum_k c_k^2, kept up to date
      // as rows move left; the proxy drops the node's constant w.
      left_.assign(static_cast<std::size_t>(k_), 0.0);
      right_.assign(node.value.begin(), node.value.end());
      double sq_l = 0, sq_r = 0;
      for (double c : right_) sq_r += c * c;
      const std::int32_t* label = y_.label.data();
      const double* wt = w_.data();
      float next = list[begin].x;
      for (Index p = begin; p + 1 < end; ++p) {
        const std::int32_t i = list[p].row;
        const auto k = static_cast<std::size_t>(label[i]);
        const double wi = wt[i];
        sq_l += wi * (2 * left_[k] + wi);
        sq_r -= wi * (2 * right_[k] - wi);
        left_[k] += wi;
        right_[k] -= wi;
        wl += wi;
        const float here = next;
        next = list[p + 1].x;
        if (static_cast<double>(next) <= here + kCartFeatureThreshold) continue;
        const Index nl = p + 1 - begin;
        if (count - nl < s_.min_samples_leaf) break;
        if (!allowed(nl, count, wl, w)) continue;
        consider(p, gini_proxy(sq_l, wl, sq_r, w - wl));
      }
      return best;
    }
    if (y_.num_classes > 0) {
      left_.assign(static_cast<std::size_t>(k_), 0.0);
      right_.resize(static_cast<std::size_t>(k_));
      for (Index p = begin; p + 1 < end; ++p) {
        const std::int32_t i = list[p].row;
        left_[static_cast<std::size_t>(y_.label[static_cast<std::size_t>(i)])] += weight(i);
        wl += weight(i);
        if (static_cast<double>(list[p + 1].x) <= list[p].x + kCartFeatureThreshold) continue;
        const Index nl = p + 1 - begin;
        if (count - nl < s_.min_samples_leaf) break;
        if (!allowed(nl, count, wl, w)) continue;
        consider(p, class_proxy(left_.data(), node.value.data(), wl, w));
      }
      return best;
    }
    if (s_.criterion == CartCriterion::SquaredError) {
      double sum_total = 0;
      for (Index p = begin; p < end; ++p) sum_total += weight(list[p].row) * target(list[p].row);
      double sl = 0;
      for (Index p = begin; p + 1 < end; ++p) {
        const std::int32_t i = list[p].row;
        sl += weight(i) * target(i);
        wl += weight(i);
        if (static_cast<double>(list[p + 1].x) <= list[p].x + kCartFeatureThreshold) continue;
        const Index nl = p + 1 - begin;
        if (count - nl < s_.min_samples_leaf) break;
        if (!allowed(nl, count, wl, w)) continue;
        const double sr = sum_total - sl;
        consider(p, sl * sl / wl + sr * sr / (w - wl));
      }
      return best;
    }
    absolute_deviations(list, begin, end);
    for (Index p = begin; p + 1 < end; ++p) {
      const std::int32_t i = list[p].row;
      wl += weight(i);
      if (static_cast<double>(list[p + 1].x) <= list[p].x + kCartFeatureThreshold) continue;
      const Index nl = p + 1 - begin;
      if (count - nl < s_.min_samples_leaf) break;
      if (!allowed(nl, count, wl, w)) continue;
      consider(p, -(dev_left_[static_cast<std::size_t>(nl - 1)] +
                    dev_right_[static_cast<std::size_t>(nl)]));
    }
    return best;
  }

  /// For every prefix list[begin, begin + j] (dev_left_[j]) and suffix
  /// list[begin + j, end) (dev_right_[j]) the weighted absolute deviation
  /// from its weighted median, sum w |y - median|, with Fenwick trees over
  /// the node's target ranks: O(m log m).
  void absolute_deviations(const CartEntry* list, Index begin, Index end) {
    const auto m = static_cast<std::size_t>(end - begin);
    sorted_y_.resize(m);
    for (std::size_t j = 0; j < m; ++j) sorted_y_[j] = list[begin + static_cast<Index>(j)].row;
    std::sort(sorted_y_.begin(), sorted_y_.end(), [this](std::int32_t a, std::int32_t b) {
      return target(a) < target(b) || (target(a) == target(b) && a < b);
    });
    for (std::size_t j = 0; j < m; ++j) rank_[static_cast<std::size_t>(sorted_y_[j])] =
        static_cast<std::int32_t>(j);
    dev_left_.assign(m, 0.0);
    dev_right_.assign(m + 1, 0.0);
    auto sweep = [&](auto&& position, std::vector<double>& out, std::size_t offset) {
      fenwick_w_.assign(m + 1, 0.0);
      fenwick_wy_.assign(m + 1, 0.0);
      double w = 0, wy = 0;
      for (std::size_t j = 0; j < m; ++j) {
        const std::int32_t i = list[begin + static_cast<Index>(position(j))].row;
        const double wi = weight(i), yi = target(i);
        w += wi;
        wy += wi * yi;
        for (std::size_t r = static_cast<std::size_t>(rank_[static_cast<std::size_t>(i)]) + 1;
             r <= m; r += r & (~r + 1)) {
          fenwick_w_[r] += wi;
          fenwick_wy_[r] += wi * yi;
        }
        // Smallest rank whose prefix weight reaches w / 2: a weighted median.
        std::size_t at = 0;
        double below_w = 0, below_wy = 0;
        std::size_t step = 1;
        while (step * 2 <= m) step *= 2;
        for (; step > 0; step /= 2)
          if (at + step <= m && below_w + fenwick_w_[at + step] < w / 2) {
            at += step;
            below_w += fenwick_w_[at];
            below_wy += fenwick_wy_[at];
          }
        const double median = target(sorted_y_[std::min(at, m - 1)]);
        out[position(j) + offset] = median * below_w - below_wy + (wy - below_wy) -
                                    median * (w - below_w);
      }
    };
    sweep([](std::size_t j) { return j; }, dev_left_, 0);
    sweep([m](std::size_t j) { return m - 1 - j; }, dev_right_, 0);
  }

  /// Extremely randomized split of feature f: threshold uniform in [lo, hi).
  Split random_split(Index f, const CartEntry* list, Index begin, Index end,
                     const Stats& node, double lo, double hi) {
    Split s;
    double t = rng_.uniform(lo, hi);
    if (t == hi) t = lo;
    const CartEntry* first = list + begin;
    const Index nl =
        std::upper_bound(first, list + end, t,
                         [](double value, const CartEntry& e) { return value < e.x; }) -
        first;
    const Index count = end - begin;
    if (nl == 0 || nl == count) return s;
    Stats left = stats(list, begin, begin + nl);
    if (!allowed(nl, count, left.weight, node.weight)) return s;
    s.feature = f;
    s.left_count = nl;
    s.threshold = t;
    if (s_.criterion == CartCriterion::Gini) {
      double sq_l = 0, sq_r = 0;
      for (int k = 0; k < k_; ++k) {
        const double l = left.value[static_cast<std::size_t>(k)];
        const double r = node.value[static_cast<std::size_t>(k)] - l;
        sq_l += l * l;
        sq_r += r * r;
      }
      s.proxy = gini_proxy(sq_l, left.weight, sq_r, node.weight - left.weight);
    } else if (y_.num_classes > 0) {
      right_.resize(static_cast<std::size_t>(k_));
      s.proxy = class_proxy(left.value.data(), node.value.data(), left.weight, node.weight);
    } else {
      const Stats right = stats(list, begin + nl, end);
      s.proxy = -(left.weight * left.impurity + right.weight * right.impurity);
      if (s_.criterion == CartCriterion::SquaredError) {  // scikit-learn's MSE proxy
        const double sl = left.value[0] * left.weight, sr = right.value[0] * right.weight;
        s.proxy = sl * sl / left.weight + sr * sr / right.weight;
      }
    }
    return s;
  }

  const CartColumns& x_;
  const CartTargets& y_;
  const std::vector<double>& w_;
  CartSettings s_;
  Rng rng_;
  int k_ = 1;
  Index m_ = 0;
  double w_total_ = 0;
  std::vector<CartEntry> lists_;  ///< this tree's lists (empty while view_ reads the shared ones)
  const CartEntry* view_ = nullptr;
  std::vector<std::uint8_t> goes_left_;
  std::vector<CartEntry> scratch_;
  std::vector<Index> features_;
  std::vector<Record> records_;
  std::vector<double> left_, right_, hist_;
  std::vector<Index> counts_;
  std::vector<std::int32_t> rank_, sorted_y_;
  std::vector<double> dev_left_, dev_right_, fenwick_w_, fenwick_wy_;
};

}  // namespace detail
}  // namespace mlprim

#endif  // MLPRIM_ENSEMBLE_DETAIL_CART_BUILDER_HPP
