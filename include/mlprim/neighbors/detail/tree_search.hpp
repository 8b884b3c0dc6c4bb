// Searching a TreeCore: nearest-first branch and bound with the incremental
// distance-to-cell bound of Arya & Mount ("Algorithms for fast vector
// quantization", 1993) for kNN and radius queries, box queries, and the
// leaf order in which batched queries are visited.
#ifndef MLPRIM_NEIGHBORS_DETAIL_TREE_SEARCH_HPP
#define MLPRIM_NEIGHBORS_DETAIL_TREE_SEARCH_HPP

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/neighbors/detail/distance.hpp"
#include "mlprim/neighbors/detail/finish.hpp"
#include "mlprim/neighbors/detail/nearest_set.hpp"
#include "mlprim/neighbors/detail/tree_core.hpp"
#include "mlprim/neighbors/metrics.hpp"

namespace mlprim::detail {

/// Per-query scratch: the incremental bound's per-dimension terms, the
/// current cell's interval (periodic metrics) and a copy of the query; on
/// the stack for a fixed Dim or d <= 64, else on the heap.
template <class Scalar, int Dim>
class TreeWorkspace {
  static constexpr Index stack_dims = Dim == Eigen::Dynamic ? 64 : Dim;

 public:
  explicit TreeWorkspace(Index d) : d_(d) {
    if (d > stack_dims) heap_.resize(static_cast<std::size_t>(4 * d));
  }
  TreeWorkspace(const TreeWorkspace&) = delete;
  TreeWorkspace& operator=(const TreeWorkspace&) = delete;
  Scalar* offsets() { return base(); }
  Scalar* lower() { return base() + d_; }
  Scalar* upper() { return base() + 2 * d_; }
  Scalar* query() { return base() + 3 * d_; }

 private:
  Scalar* base() { return heap_.empty() ? stack_ : heap_.data(); }
  Index d_;
  Scalar stack_[4 * stack_dims];
  std::vector<Scalar> heap_;
};

/// What a search examined: points whose distance it computed and leaves it
/// opened, and the coordinates the distance kernel read (the cost model of
/// KDTree's Auto method reads them). Once
/// `points` reaches `cap` the search gives up (its result is then
/// incomplete).
struct SearchStats {
  Index coordinates = 0;
  Index points = 0;
  Index leaves = 0;
  Index cap = std::numeric_limits<Index>::max();
  bool capped() const { return points >= cap; }
};

/// The liveness filter of a static tree: every point is live.
struct AllAlive {
  constexpr bool operator()(Index) const { return true; }
};

/// Copies a query vector into the workspace, checking its size and values.
template <class Scalar, class Metric, int Dim, class Q>
const Scalar* copy_query(const char* fn, const TreeConfig<Scalar, Metric>& config,
                         const Eigen::MatrixBase<Q>& query, TreeWorkspace<Scalar, Dim>& work) {
  config.check_dimension(fn, query.size());
  Scalar* q = work.query();
  for (Index j = 0; j < config.d; ++j) q[j] = static_cast<Scalar>(query(j));
  check_query_values(fn, q, config.d);
  return q;
}

/// The query as searched: wrapped into the box for periodic metrics.
template <class Scalar, class Metric, int Dim>
const Scalar* prepare_query(const TreeConfig<Scalar, Metric>& config, const Scalar* q,
                            TreeWorkspace<Scalar, Dim>& work) {
  if constexpr (is_periodic<Metric>::value) {
    Scalar* wrapped = work.query();
    for (Index j = 0; j < config.d; ++j)
      wrapped[j] = wrap_into_box(q[j], config.period[static_cast<std::size_t>(j)]);
    return wrapped;
  } else {
    (void)config;
    (void)work;
    return q;
  }
}

/// Branch-and-bound over one TreeCore. SearchDim fixes the dimension of the
/// loops and the distance kernel at compile time (a core of Dim = Dynamic
/// may be searched with the SearchDim of its actual d; the arithmetic, and
/// so every result, is the same).
template <class Scalar, int Dim, class Metric, int SearchDim = Dim>
class TreeSearch {
 public:
  using Core = TreeCore<Scalar, Dim, Metric>;
  using Workspace = TreeWorkspace<Scalar, Dim>;

  explicit TreeSearch(const Core& core) : core_(core), metric_(core.config.metric) {}

  /// Offers the tree's points within the set's bound to `set`, skipping ids
  /// for which alive(id) is false. q is already prepared. With AllAlive the
  /// set receives slots (it must map them through core.index); otherwise ids.
  template <class Alive>
  void knn(const Scalar* q, NearestSet<Scalar>& set, Scalar factor, Workspace& work,
           const Alive& alive, SearchStats* stats = nullptr) const {
    if (core_.n == 0) return;
    const Scalar cell = root_bound(q, work);
    if (!(cell <= set.bound())) return;
    auto bound = [&] { return stats && stats->capped() ? Scalar(-1) : set.bound(); };
    descend(0, q, cell, work, factor, bound, [&](Index begin, Index end) {
      if (stats) {
        if (stats->capped()) return;
        stats->points += end - begin;
        ++stats->leaves;
      }
      // Most points lose to the current k-th: test them against a copy
      // of the bound and call offer (which also breaks ties) only for
      // the rest.
      Scalar worst = set.bound();
      for (Index slot = begin; slot < end; ++slot) {
        Index id = slot;
        if constexpr (!std::is_same_v<Alive, AllAlive>) {
          id = core_.id(slot);
          if (!alive(id)) continue;
        }
        const Scalar dist = point_distance(q, slot, worst, stats);
        if (dist <= worst) {
          set.offer(dist, id);
          worst = set.bound();
        }
      }
    });
  }

  /// The k nearest points of the whole tree to `query` (unprepared) into the
  /// caller's buffers, finished and padded; returns how many were found.
  Index knn_into(const Scalar* query, Index k, const KnnOptions<Scalar>& options, Index* indices,
                 Scalar* distances, Workspace& work, SearchStats* stats = nullptr) const {
    NearestSet<Scalar> set(k, knn_limit(metric_, options.max_distance), indices, distances,
                           core_.index.data());
    knn(prepare_query(core_.config, query, work), set, search_eps_factor(metric_, options.eps),
        work, AllAlive{}, stats);
    return finish_knn(metric_, set, k, distances, indices, distances);
  }

  /// Appends the live points within r of the query (accumulated distances),
  /// up to max_results when unsorted; finish_radius converts them after.
  template <class Alive>
  void radius(const Scalar* query, Scalar r, const RadiusOptions& options,
              std::vector<Neighbor<Scalar>>& out, Workspace& work, const Alive& alive) const {
    if (core_.n == 0) return;
    const Scalar* q = prepare_query(core_.config, query, work);
    const Scalar limit = metric_.from_distance(r);
    auto full = [&] {
      return !options.sorted && options.max_results > 0 &&
             static_cast<Index>(out.size()) >= options.max_results;
    };
    const Scalar cell = root_bound(q, work);
    if (!(cell <= limit)) return;
    descend(
        0, q, cell, work, Scalar(1), [&] { return full() ? Scalar(-1) : limit; },
        [&](Index begin, Index end) {
          for (Index slot = begin; slot < end && !full(); ++slot) {
            const Index id = core_.id(slot);
            if (!alive(id)) continue;
            const Scalar acc = point_distance(q, slot, limit);
            if (acc <= limit) out.push_back({id, acc});
          }
        });
  }

  /// Appends the live ids of the points inside [lower, upper] (unsorted);
  /// the box has d entries with lower <= upper (checked by box_bounds).
  template <class Alive>
  void box(const Scalar* lower, const Scalar* upper, std::vector<Index>& out,
           const Alive& alive) const {
    if (core_.n > 0) box_node(0, lower, upper, out, alive);
  }

  /// Query rows rows[lo..hi) (rows lo..hi when rows is null) sorted by the
  /// first slot of the leaf that a greedy descent reaches (ties by row): an
  /// order along the tree's own layout, in which consecutive queries share
  /// cached nodes and points. Any order gives the same results.
  std::vector<Index> leaf_order(const Eigen::Ref<const RowMatrix<Scalar>>& queries,
                                const Index* rows, Index lo, Index hi, Workspace& work) const {
    std::vector<std::pair<std::int32_t, Index>> keys;
    keys.reserve(static_cast<std::size_t>(hi - lo));
    const auto& nodes = core_.nodes;
    for (Index at = lo; at < hi; ++at) {
      const Index q = rows ? rows[at] : at;
      std::int32_t id = 0;
      if (!nodes.empty()) {
        const Scalar* p = prepare_query(core_.config, queries.row(q).data(), work);
        while (nodes[static_cast<std::size_t>(id)].dim >= 0) {
          const auto& node = nodes[static_cast<std::size_t>(id)];
          id = node.child + ((p[node.dim] - node.low) + (p[node.dim] - node.high) < 0 ? 0 : 1);
        }
        id = nodes[static_cast<std::size_t>(id)].child;
      }
      keys.emplace_back(id, q);
    }
    std::sort(keys.begin(), keys.end());
    std::vector<Index> order(keys.size());
    for (std::size_t i = 0; i < keys.size(); ++i) order[i] = keys[i].second;
    return order;
  }

 private:
  Index dims() const {
    if constexpr (SearchDim != Eigen::Dynamic) return SearchDim;
    return core_.dims();
  }

  /// Accumulated distance from q to the point in `slot`; past `bound` it may
  /// stop early with a value only known to exceed it.
  Scalar point_distance(const Scalar* q, Index slot, Scalar bound,
                        SearchStats* stats = nullptr) const {
    return detail::point_distance<SearchDim>(metric_, q, core_.point(slot), core_.config.d,
                                       core_.config.period.data(), bound,
                                       stats ? &stats->coordinates : nullptr);
  }

  /// Accumulated distance from q to the bounding box of all points, with
  /// each dimension's term in work.offsets() (and the box in lower/upper).
  Scalar root_bound(const Scalar* q, Workspace& work) const {
    Scalar acc = 0;
    Scalar* offsets = work.offsets();
    for (Index j = 0; j < dims(); ++j) {
      const auto u = static_cast<std::size_t>(j);
      Scalar L = 0;
      if constexpr (Core::periodic) {
        L = core_.config.period[u];
        work.lower()[j] = core_.lo[u];
        work.upper()[j] = core_.hi[u];
      }
      offsets[j] = metric_.term(ring_gap(q[j], core_.lo[u], core_.hi[u], L));
      acc = metric_.combine(acc, offsets[j]);
    }
    return acc;
  }

  /// The bound for a child whose term along the split dimension replaces
  /// `old` (Arya & Mount's incremental update; a max for Linf, valid since
  /// the child lies inside the parent).
  Scalar child_bound(Scalar cell, Scalar old, Scalar term) const {
    if constexpr (Metric::sums)
      return cell - old + term;
    else
      return metric_.combine(cell, term);
  }

  /// Visits nodes nearest-first, calling visit_leaf(begin, end) on leaves
  /// whose cell may hold a point within bound() / factor; `bound` is re-read
  /// after each leaf because the search narrows it.
  template <class Bound, class VisitLeaf>
  void descend(std::int32_t id, const Scalar* q, Scalar cell, Workspace& work, Scalar factor,
               const Bound& bound, const VisitLeaf& visit_leaf) const {
    const auto& node = core_.nodes[static_cast<std::size_t>(id)];
    if (node.dim < 0) {
      visit_leaf(Index{node.child}, Index{node.child} - node.dim);
      return;
    }
    // A little slack so rounding in the incremental bound never prunes a tie.
    auto may_hold = [&](Scalar c) {
      return c * factor <= bound() * (1 + 16 * std::numeric_limits<Scalar>::epsilon());
    };
    const Index dim = node.dim;
    const Scalar value = q[dim];
    Scalar* offsets = work.offsets();
    const Scalar old = offsets[dim];
    if constexpr (!Core::periodic) {
      // The far cell differs from this one only along dim (Arya & Mount).
      const Scalar to_low = value - node.low, to_high = value - node.high;
      const bool left_first = to_low + to_high < 0;
      descend(node.child + (left_first ? 0 : 1), q, cell, work, factor, bound, visit_leaf);
      const Scalar far_term = metric_.term(left_first ? to_high : to_low);
      const Scalar far_cell = child_bound(cell, old, far_term);
      if (may_hold(far_cell)) {
        offsets[dim] = far_term;
        descend(node.child + (left_first ? 1 : 0), q, far_cell, work, factor, bound, visit_leaf);
        offsets[dim] = old;
      }
    } else {
      // On a ring the near side is not known from the cut alone: bound both
      // children by the gap to their own interval along dim.
      Scalar* lower = work.lower();
      Scalar* upper = work.upper();
      const Scalar lo = lower[dim], hi = upper[dim],
                   L = core_.config.period[static_cast<std::size_t>(dim)];
      const Scalar left_term = metric_.term(ring_gap(value, lo, node.low, L));
      const Scalar right_term = metric_.term(ring_gap(value, node.high, hi, L));
      const bool left_first = left_term < right_term ||
                              (left_term == right_term && value - node.low + value - node.high < 0);
      for (const bool left : {left_first, !left_first}) {
        const Scalar term = left ? left_term : right_term;
        const Scalar child_cell = child_bound(cell, old, term);
        if (!may_hold(child_cell)) continue;
        offsets[dim] = term;
        (left ? upper[dim] : lower[dim]) = left ? node.low : node.high;
        descend(node.child + (left ? 0 : 1), q, child_cell, work, factor, bound, visit_leaf);
        offsets[dim] = old;
        lower[dim] = lo;
        upper[dim] = hi;
      }
    }
  }

  template <class Alive>
  void box_node(std::int32_t id, const Scalar* lower, const Scalar* upper, std::vector<Index>& out,
                const Alive& alive) const {
    const auto& node = core_.nodes[static_cast<std::size_t>(id)];
    if (node.dim < 0) {
      for (Index slot = node.child; slot < Index{node.child} - node.dim; ++slot) {
        const Scalar* p = core_.point(slot);
        bool inside = true;
        for (Index j = 0; j < dims() && inside; ++j)
          inside = p[j] >= lower[j] && p[j] <= upper[j];
        const Index index = core_.id(slot);
        if (inside && alive(index)) out.push_back(index);
      }
      return;
    }
    if (lower[node.dim] <= node.low) box_node(node.child, lower, upper, out, alive);
    if (upper[node.dim] >= node.high) box_node(node.child + 1, lower, upper, out, alive);
  }

  const Core& core_;
  const Metric& metric_;
};

/// Calls f(search) with a TreeSearch over `core` whose SearchDim is its
/// actual dimension when Dim is Dynamic and d is 2 to 8 (unrolled loops
/// where they pay most), else with the plain TreeSearch.
template <class Scalar, int Dim, class Metric, class F>
void with_tree_search(const TreeCore<Scalar, Dim, Metric>& core, F&& f) {
  if constexpr (Dim == Eigen::Dynamic && !is_periodic<Metric>::value) {
    switch (core.config.d) {
      case 2: return f(TreeSearch<Scalar, Dim, Metric, 2>(core));
      case 3: return f(TreeSearch<Scalar, Dim, Metric, 3>(core));
      case 4: return f(TreeSearch<Scalar, Dim, Metric, 4>(core));
      case 5: return f(TreeSearch<Scalar, Dim, Metric, 5>(core));
      case 6: return f(TreeSearch<Scalar, Dim, Metric, 6>(core));
      case 7: return f(TreeSearch<Scalar, Dim, Metric, 7>(core));
      case 8: return f(TreeSearch<Scalar, Dim, Metric, 8>(core));
      default: break;
    }
  }
  f(TreeSearch<Scalar, Dim, Metric>(core));
}

/// The box [lower, upper] of a box query as Scalars: d entries each, with
/// lower_j <= upper_j (NaN fails); throws naming fn.
template <class Scalar, class Metric, class L, class U>
std::pair<Vector<Scalar>, Vector<Scalar>> box_bounds(const char* fn,
                                                     const TreeConfig<Scalar, Metric>& config,
                                                     const Eigen::MatrixBase<L>& lower,
                                                     const Eigen::MatrixBase<U>& upper) {
  config.check_dimension(fn, lower.size());
  config.check_dimension(fn, upper.size());
  for (Index j = 0; j < config.d; ++j)
    if (!(lower(j) <= upper(j)))
      throw_invalid_argument(fn, "lower(", j, ") = ", lower(j), " exceeds upper(", j,
                             ") = ", upper(j));
  return {lower.derived().reshaped().template cast<Scalar>(),
          upper.derived().reshaped().template cast<Scalar>()};
}

}  // namespace mlprim::detail

#endif  // MLPRIM_NEIGHBORS_DETAIL_TREE_SEARCH_HPP
