// Growth of one histogram tree (XGBoost's hist updater): depth-wise or
// loss-guided expansion, row partitioning, column sampling.
#ifndef MLPRIM_ENSEMBLE_DETAIL_TREE_BUILDER_HPP
#define MLPRIM_ENSEMBLE_DETAIL_TREE_BUILDER_HPP

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include "mlprim/core/parallel.hpp"
#include "mlprim/core/random.hpp"
#include "mlprim/distributed/communicator.hpp"
#include "mlprim/ensemble/detail/histogram.hpp"
#include "mlprim/ensemble/tree.hpp"

namespace mlprim {
namespace detail {

/// floor(fraction * |set|) (at least 1) features of `set`, drawn without
/// replacement and kept in ascending order.
inline std::vector<Index> sample_features(const std::vector<Index>& set, double fraction,
                                          Rng& rng) {
  if (fraction >= 1.0 || set.empty()) return set;
  const auto size = static_cast<Index>(set.size());
  const Index k = std::max<Index>(1, static_cast<Index>(fraction * static_cast<double>(size)));
  std::vector<Index> picked = sample_without_replacement(size, k, rng);
  std::sort(picked.begin(), picked.end());
  for (auto& i : picked) i = set[static_cast<std::size_t>(i)];
  return picked;
}

/// The features a node may split on: the tree's sample, sampled again per
/// level (colsample_bylevel) and per node (colsample_bynode), each draw from
/// its own random stream keyed by (tree seed, depth or node id).
class ColumnSampler {
 public:
  ColumnSampler(std::vector<Index> tree_set, double by_level, double by_node, std::uint64_t seed)
      : tree_set_(std::move(tree_set)), by_level_(by_level), by_node_(by_node), seed_(seed) {}

  /// The features of level `depth` (drawn on first use: call from one thread).
  const std::vector<Index>& level(int depth) {
    while (static_cast<int>(levels_.size()) <= depth) {
      Rng rng = Rng::stream(seed_, (std::uint64_t{1} << 40) + levels_.size());
      levels_.push_back(sample_features(tree_set_, by_level_, rng));
    }
    return levels_[static_cast<std::size_t>(depth)];
  }

  /// The features of node `nid` at `depth`; level(depth) must have been drawn.
  std::vector<Index> node(std::int32_t nid, int depth) const {
    const auto& set = levels_[static_cast<std::size_t>(depth)];
    if (by_node_ >= 1.0) return set;
    Rng rng = Rng::stream(seed_, (std::uint64_t{2} << 40) + static_cast<std::uint64_t>(nid));
    return sample_features(set, by_node_, rng);
  }

 private:
  std::vector<Index> tree_set_;
  double by_level_, by_node_;
  std::uint64_t seed_;
  std::vector<std::vector<Index>> levels_;
};

/// What growing trees on one binned matrix needs.
template <class Code>
struct GrowInputs {
  const BinnedMatrix<Code>* bins = nullptr;
  const HistogramCuts* cuts = nullptr;
  TreeParams params;
  std::vector<int> monotone;
  GrowPolicy policy = GrowPolicy::DepthWise;
  int max_depth = 6;
  int max_leaves = 0;
  int threads = 1;
  /// Ranks growing the same tree on their own rows (null: this process
  /// alone): node totals, histograms and child sizes are all-reduced.
  Communicator* comm = nullptr;
};

/// A grown tree and where its rows went: node i holds rows[begin[i], end[i]).
struct GrowResult {
  RegressionTree tree;
  std::vector<std::uint32_t> rows;
  std::vector<std::uint32_t> begin, end;
};

/// Grows tree after tree (XGBoost's hist updater), keeping its buffers.
/// Data-parallel with GrowInputs::comm: each rank holds some of the rows,
/// and the sums the splits are chosen from (node totals, the histograms of
/// the smaller children, whose size is all-reduced so every rank picks the
/// same one) are all-reduced. The sums are exact (GradientGrid), so every
/// rank grows the tree one process would grow on all the rows.
template <class Code>
class TreeGrower {
 public:
  explicit TreeGrower(const GrowInputs<Code>& in) : in_(in), pool_(in.bins->slots) {}

  /// Grows a tree on the gradients `gpair` (one per row, on a GradientGrid)
  /// of `rows` (ascending row indices), splitting on the features `columns`
  /// allows. Collective when GrowInputs::comm is set.
  GrowResult grow(const QuantizedPair* gpair, std::vector<std::uint32_t> rows,
                  ColumnSampler& columns) {
    gpair_ = gpair;
    columns_ = &columns;
    ev_.emplace(in_.params, in_.monotone, in_.bins->cols);
    out_ = GrowResult{};
    out_.rows = std::move(rows);
    scratch_.resize(out_.rows.size());
    GradStats total;
    for (std::uint32_t r : out_.rows) total.add({gpair_[r].g, gpair_[r].h});
    all_reduce(&total, 1);
    const float eta = in_.params.learning_rate;
    const float w = ev_->weight(0, total);
    out_.tree.add_node(-1, w * eta, w, static_cast<float>(total.h));
    out_.begin = {0};
    out_.end = {static_cast<std::uint32_t>(out_.rows.size())};
    std::vector<Pending> level(1);
    level[0].nid = 0;
    level[0].total = total;
    level[0].hist = pool_.acquire();
    build_histograms(*in_.bins, gpair_, {job(level[0])}, in_.threads, pool_);
    all_reduce(level[0].hist.data(), in_.bins->slots);
    evaluate(level);
    if (in_.policy == GrowPolicy::DepthWise)
      grow_depthwise(std::move(level));
    else
      grow_lossguide(std::move(level));
    return std::move(out_);
  }

 private:
  struct Pending {
    std::int32_t nid = 0;
    int depth = 0;
    GradStats total;
    SplitCandidate split;
    std::vector<GradStats> hist;
  };

  /// Sums `count` stats over the ranks, in place (exact: see GradientGrid).
  void all_reduce(GradStats* stats, std::size_t count) {
    static_assert(sizeof(GradStats) == 2 * sizeof(double), "GradStats is two doubles");
    if (count > 0 && in_.comm != nullptr && in_.comm->size() > 1)
      in_.comm->all_reduce_sum(&stats->g, 2 * count);
  }

  HistogramJob job(Pending& p) const {
    const auto i = static_cast<std::size_t>(p.nid);
    return {out_.rows.data() + out_.begin[i], std::size_t{out_.end[i] - out_.begin[i]},
            p.hist.data()};
  }

  /// XGBoost's ExpandEntry::IsValid: loss_chg > 1e-6, >= gamma, both children
  /// with hessian, depth and leaf limits not reached.
  bool valid(const Pending& p, int num_leaves) const {
    const SplitCandidate& s = p.split;
    if (!s.found || !(s.loss_chg > 1e-6f)) return false;
    if (s.left.h == 0 || s.right.h == 0) return false;
    if (s.loss_chg < in_.params.gamma) return false;
    if (in_.max_depth > 0 && p.depth == in_.max_depth) return false;
    if (in_.max_leaves > 0 && num_leaves == in_.max_leaves) return false;
    return p.depth < kMaxTreeDepth;
  }

  bool child_valid(int depth, int num_leaves) const {
    if (in_.max_depth > 0 && depth >= in_.max_depth) return false;
    if (in_.max_leaves > 0 && num_leaves >= in_.max_leaves) return false;
    return depth < kMaxTreeDepth;
  }

  /// Best split of every pending node, nodes in parallel.
  void evaluate(std::vector<Pending>& nodes) {
    for (const auto& p : nodes) columns_->level(p.depth);
    parallel_for(std::size_t{0}, nodes.size(), in_.threads, [&](std::size_t k) {
      Pending& p = nodes[k];
      const float root_gain = ev_->node_gain(p.nid, p.total);
      SplitCandidate best;
      for (Index f : columns_->node(p.nid, p.depth))
        scan_feature(*ev_, p.nid, f,
                     p.hist.data() + in_.bins->slot_offset[static_cast<std::size_t>(f)], *in_.cuts,
                     p.total, root_gain, best);
      p.split = best;
    });
  }

  /// Turns the leaf p.nid into a split with two leaf children.
  void apply(Pending& p) {
    RegressionTree& t = out_.tree;
    const auto u = static_cast<std::size_t>(p.nid);
    const float eta = in_.params.learning_rate;
    const SplitCandidate& s = p.split;
    const float wl = ev_->weight(p.nid, s.left), wr = ev_->weight(p.nid, s.right);
    const std::int32_t l = t.add_node(p.nid, wl * eta, wl * eta, static_cast<float>(s.left.h));
    const std::int32_t r = t.add_node(p.nid, wr * eta, wr * eta, static_cast<float>(s.right.h));
    t.left_children[u] = l;
    t.right_children[u] = r;
    t.split_indices[u] = static_cast<std::int32_t>(s.feature);
    t.split_conditions[u] = s.split_value;
    if (s.categorical) {
      // The categories of the bins going right, ascending with the bins.
      const float* category =
          in_.cuts->values.data() + in_.cuts->ptrs[static_cast<std::size_t>(s.feature)];
      t.split_type[u] = 1;
      t.split_conditions[u] = 0;
      t.category_segments[u] = static_cast<std::uint32_t>(t.categories.size());
      for (std::size_t b = 0; b < s.right_bins.size(); ++b)
        if (s.right_bins[b]) t.categories.push_back(static_cast<std::int32_t>(category[b]));
      t.category_sizes[u] =
          static_cast<std::uint32_t>(t.categories.size() - t.category_segments[u]);
    }
    t.default_left[u] = s.default_left ? 1 : 0;
    t.base_weights[u] = ev_->weight(p.nid, p.total);
    t.loss_changes[u] = s.loss_chg;
    ev_->add_split(p.nid, l, r, s.feature, wl, wr);
    out_.begin.resize(out_.tree.left_children.size());
    out_.end.resize(out_.tree.left_children.size());
  }

  /// Stable partition of each applied node's rows into its children's. One
  /// pass over chunks of rows on all threads reads the split feature's
  /// column and writes each chunk's left rows forwards and right rows
  /// backwards into the scratch buffer; a second copies them into place.
  void partition(const std::vector<Pending*>& applied) {
    constexpr std::uint32_t chunk = 16384;
    struct Chunk {
      std::size_t node;
      std::uint32_t lo, hi, left = 0, left_at = 0, right_at = 0;
    };
    std::vector<Chunk> chunks;
    for (std::size_t k = 0; k < applied.size(); ++k) {
      const auto u = static_cast<std::size_t>(applied[k]->nid);
      for (std::uint32_t lo = out_.begin[u]; lo < out_.end[u];) {
        const std::uint32_t hi = out_.end[u] - lo > chunk ? lo + chunk : out_.end[u];
        chunks.push_back({k, lo, hi});
        lo = hi;
      }
    }
    const BinnedMatrix<Code>& bins = *in_.bins;
    parallel_for(std::size_t{0}, chunks.size(), in_.threads, [&](std::size_t c) {
      Chunk& ch = chunks[c];
      const SplitCandidate& s = applied[ch.node]->split;
      const Code* column = bins.column(s.feature);
      const int missing = in_.cuts->num_bins(s.feature);
      const int bin = s.bin;
      const bool default_left = s.default_left;
      // Branch-free: each row is written to both ends and only one end
      // advances (the side is a coin flip the predictor cannot learn).
      std::uint32_t* out = scratch_.data();
      const std::uint32_t* rows = out_.rows.data();
      std::uint32_t li = ch.lo, ri = ch.hi;
      auto run = [&](auto goes_left) {
        for (std::uint32_t i = ch.lo; i < ch.hi; ++i) {
          const std::uint32_t r = rows[i];
          const bool left = goes_left(static_cast<int>(column[r]));
          out[li] = r;
          out[ri - 1] = r;
          li += left;
          ri -= !left;
        }
      };
      if (s.categorical)
        run([&](int code) {
          return code == missing ? default_left : s.right_bins[static_cast<std::size_t>(code)] == 0;
        });
      else
        run([&](int code) { return (code <= bin) | ((code == missing) & default_left); });
      ch.left = li - ch.lo;
    });
    std::vector<std::uint32_t> left_next(applied.size()), right_next(applied.size());
    for (std::size_t k = 0; k < applied.size(); ++k) {
      const auto u = static_cast<std::size_t>(applied[k]->nid);
      left_next[k] = out_.begin[u];
    }
    for (const Chunk& ch : chunks) right_next[ch.node] += ch.left;
    for (std::size_t k = 0; k < applied.size(); ++k) {
      const auto u = static_cast<std::size_t>(applied[k]->nid);
      right_next[k] += out_.begin[u];
      const RegressionTree& t = out_.tree;
      const auto l = static_cast<std::size_t>(t.left_children[u]);
      const auto r = static_cast<std::size_t>(t.right_children[u]);
      out_.begin[l] = out_.begin[u];
      out_.end[l] = out_.begin[r] = right_next[k];
      out_.end[r] = out_.end[u];
    }
    for (Chunk& ch : chunks) {
      ch.left_at = left_next[ch.node];
      ch.right_at = right_next[ch.node];
      left_next[ch.node] += ch.left;
      right_next[ch.node] += (ch.hi - ch.lo) - ch.left;
    }
    parallel_for(std::size_t{0}, chunks.size(), in_.threads, [&](std::size_t c) {
      const Chunk& ch = chunks[c];
      std::uint32_t* rows = out_.rows.data();
      std::copy(scratch_.begin() + ch.lo, scratch_.begin() + ch.lo + ch.left, rows + ch.left_at);
      // The right rows were written backwards: reverse them back to row order.
      std::reverse_copy(scratch_.begin() + ch.lo + ch.left, scratch_.begin() + ch.hi,
                        rows + ch.right_at);
    });
  }

  /// The two children of each parent as pending nodes: the child with fewer
  /// rows (over all ranks) histogrammed from its rows, the other by
  /// subtraction. The built histograms are all-reduced in one buffer.
  std::vector<Pending> children(std::vector<Pending*>& parents) {
    std::vector<Pending> kids(2 * parents.size());
    std::vector<HistogramJob> jobs;
    std::vector<std::size_t> small(parents.size());
    std::vector<std::int64_t> sizes(2 * parents.size());
    for (std::size_t k = 0; k < parents.size(); ++k) {
      const auto u = static_cast<std::size_t>(parents[k]->nid);
      const RegressionTree& t = out_.tree;
      sizes[2 * k] = range_size(t.left_children[u]);
      sizes[2 * k + 1] = range_size(t.right_children[u]);
    }
    const bool distributed = in_.comm != nullptr && in_.comm->size() > 1;
    if (distributed) in_.comm->all_reduce_sum(sizes.data(), sizes.size());
    for (std::size_t k = 0; k < parents.size(); ++k) {
      const auto u = static_cast<std::size_t>(parents[k]->nid);
      const RegressionTree& t = out_.tree;
      for (int side = 0; side < 2; ++side) {
        Pending& kid = kids[2 * k + static_cast<std::size_t>(side)];
        kid.nid = side == 0 ? t.left_children[u] : t.right_children[u];
        kid.depth = parents[k]->depth + 1;
        kid.total = side == 0 ? parents[k]->split.left : parents[k]->split.right;
        kid.hist = pool_.acquire();
      }
      small[k] = sizes[2 * k] <= sizes[2 * k + 1] ? 0 : 1;
      jobs.push_back(job(kids[2 * k + small[k]]));
    }
    build_histograms(*in_.bins, gpair_, jobs, in_.threads, pool_);
    if (distributed) {
      const std::size_t slots = in_.bins->slots;
      std::vector<GradStats> packed(slots * jobs.size());
      for (std::size_t j = 0; j < jobs.size(); ++j)
        std::copy(jobs[j].hist, jobs[j].hist + slots, packed.begin() + static_cast<std::ptrdiff_t>(j * slots));
      all_reduce(packed.data(), packed.size());
      for (std::size_t j = 0; j < jobs.size(); ++j)
        std::copy(packed.begin() + static_cast<std::ptrdiff_t>(j * slots),
                  packed.begin() + static_cast<std::ptrdiff_t>((j + 1) * slots), jobs[j].hist);
    }
    parallel_for(std::size_t{0}, parents.size(), in_.threads, [&](std::size_t k) {
      subtract_histogram(parents[k]->hist.data(), kids[2 * k + small[k]].hist.data(),
                         kids[2 * k + 1 - small[k]].hist.data(), in_.bins->slots);
    });
    for (Pending* parent : parents) pool_.release(parent->hist);
    return kids;
  }

  /// This rank's rows in node nid.
  std::int64_t range_size(std::int32_t nid) const {
    const auto u = static_cast<std::size_t>(nid);
    return std::int64_t{out_.end[u]} - std::int64_t{out_.begin[u]};
  }

  void grow_depthwise(std::vector<Pending> level) {
    int num_leaves = 1;
    while (!level.empty()) {
      std::vector<Pending*> applied, expand;
      for (Pending& p : level) {
        if (!valid(p, num_leaves)) continue;
        apply(p);
        applied.push_back(&p);
        ++num_leaves;
        if (child_valid(p.depth + 1, num_leaves)) expand.push_back(&p);
      }
      partition(applied);
      std::vector<Pending> next = children(expand);
      for (Pending& p : level) pool_.release(p.hist);
      evaluate(next);
      level = std::move(next);
    }
  }

  void grow_lossguide(std::vector<Pending> start) {
    // Max-heap on loss_chg, ties to the smaller node id (XGBoost's LossGuide).
    auto lower = [](const Pending& a, const Pending& b) {
      if (a.split.loss_chg == b.split.loss_chg) return a.nid > b.nid;
      return a.split.loss_chg < b.split.loss_chg;
    };
    std::vector<Pending> heap = std::move(start);
    int num_leaves = 1;
    while (!heap.empty()) {
      std::pop_heap(heap.begin(), heap.end(), lower);
      Pending top = std::move(heap.back());
      heap.pop_back();
      if (!valid(top, num_leaves)) {
        pool_.release(top.hist);
        break;
      }
      apply(top);
      ++num_leaves;
      partition({&top});
      if (!child_valid(top.depth + 1, num_leaves)) {
        pool_.release(top.hist);
        continue;
      }
      std::vector<Pending*> parent = {&top};
      std::vector<Pending> kids = children(parent);
      evaluate(kids);
      for (Pending& k : kids) {
        heap.push_back(std::move(k));
        std::push_heap(heap.begin(), heap.end(), lower);
      }
    }
    for (Pending& p : heap) pool_.release(p.hist);
  }

  const GrowInputs<Code>& in_;
  HistogramPool pool_;
  const QuantizedPair* gpair_ = nullptr;
  ColumnSampler* columns_ = nullptr;
  std::optional<SplitEvaluator> ev_;
  GrowResult out_;
  std::vector<std::uint32_t> scratch_;
};

}  // namespace detail
}  // namespace mlprim

#endif  // MLPRIM_ENSEMBLE_DETAIL_TREE_BUILDER_HPP
