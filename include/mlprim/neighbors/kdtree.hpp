// KDTree: exact and (1 + eps)-approximate k nearest neighbours, radius and
// box search over a static point set (Friedman, Bentley & Finkel 1977;
// sliding-midpoint splits and the incremental distance-to-cell bound of Arya &
// Mount, "Algorithms for fast vector quantization", 1993; Maneewongvatana &
// Mount 1999 for the sliding midpoint).
//
//   mlprim::KDTree<float, 3> tree(points);          // n x 3, one point per row
//   auto result = tree.knn(queries, 10);            // m x 10 indices and distances
//
// The tree owns a copy of the points, reordered so each leaf's points are
// contiguous, and reports the caller's row indices. Queries are const and
// thread-safe.
#ifndef MLPRIM_NEIGHBORS_KDTREE_HPP
#define MLPRIM_NEIGHBORS_KDTREE_HPP

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <type_traits>
#include <utility>
#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/core/parallel.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/neighbors/detail/nearest_set.hpp"
#include "mlprim/neighbors/metrics.hpp"

namespace mlprim {

/// How a node chooses its cut.
enum class SplitRule {
  sliding_midpoint,  ///< midpoint of the widest extent, slid to keep both sides non-empty (default)
  median,            ///< median along the widest extent (balanced depth)
};

/// Build parameters; leaf_size 10 is nanoflann's default (SciPy's cKDTree uses 16).
struct KDTreeParams {
  Index leaf_size = 10;  ///< points per leaf at most, >= 1
  SplitRule split = SplitRule::sliding_midpoint;
  int num_threads = 0;   ///< reserved for the parallel build (0 = all); the build is serial for now
};

/// kNN query options.
template <class Scalar>
struct KnnOptions {
  /// 0 for exact results; > 0 returns neighbours whose i-th distance is at
  /// most (1 + eps) times the true i-th distance.
  Scalar eps = 0;
  /// Only neighbours at distance <= max_distance; missing ones are padded
  /// with index -1 and distance +inf.
  Scalar max_distance = std::numeric_limits<Scalar>::infinity();
  int num_threads = 0;  ///< threads over queries (0 = all)
};

/// kNN results: row i holds query i's neighbours by increasing distance (ties
/// by the smaller index); padding is index -1, distance +inf.
template <class Scalar>
struct KnnResult {
  IndexMatrix indices;
  RowMatrix<Scalar> distances;
};

template <class Scalar>
struct Neighbor {
  Index index;
  Scalar distance;
};

/// Radius query options.
struct RadiusOptions {
  bool sorted = true;     ///< by distance, then index
  Index max_results = 0;  ///< 0: no limit; with sorted, the closest max_results
  int num_threads = 0;    ///< threads over queries in the batched form (0 = all)
};

/// Batched radius results in compressed layout: query i's neighbours are
/// entries offsets[i] .. offsets[i + 1] of indices and distances.
template <class Scalar>
struct RadiusResults {
  std::vector<Index> offsets;
  std::vector<Index> indices;
  std::vector<Scalar> distances;
};

template <class Scalar, int Dim = Eigen::Dynamic, class Metric = L2>
class KDTree {
  static_assert(std::is_floating_point_v<Scalar>, "mlprim::KDTree needs float or double points");
  static_assert(Dim == Eigen::Dynamic || Dim >= 1, "mlprim::KDTree: Dim must be >= 1 or Dynamic");

 public:
  using Points = Eigen::Ref<const RowMatrix<Scalar>>;

  /// Builds the tree over the rows of `points` (n x d; a column-major argument
  /// is copied by Eigen). O(n log n) expected. n = 0 is allowed (every query
  /// with k > 0 then throws). Throws for d = 0, d != Dim, leaf_size < 1, or a
  /// non-finite coordinate (naming its row).
  explicit KDTree(const Points& points, const KDTreeParams& params = {}, const Metric& metric = {})
      : metric_(metric), params_(params), n_(points.rows()), d_(points.cols()) {
    const char* fn = "KDTree";
    if (d_ == 0) throw_invalid_argument(fn, "points.cols() = 0: points need at least one dimension");
    if (Dim != Eigen::Dynamic && d_ != Dim)
      throw_invalid_argument(fn, "points.cols() = ", d_, " does not match Dim = ", Dim);
    check_positive(fn, "leaf_size", params.leaf_size);
    check_non_negative(fn, "num_threads", params.num_threads);
    for (Index i = 0; i < n_; ++i)
      if (!points.row(i).allFinite())
        throw_invalid_argument(fn, "point row ", i, " has a non-finite coordinate");
    build(points);
  }

  Index size() const { return n_; }
  Index dimension() const { return d_; }
  const Metric& metric() const { return metric_; }

  /// The k nearest points to each row of `queries` (m x d). Parallel over
  /// queries. O(m log n) expected for low d.
  KnnResult<Scalar> knn(const Points& queries, Index k, const KnnOptions<Scalar>& options = {}) const {
    const char* fn = "KDTree::knn";
    check_queries(fn, queries);
    check_k(fn, k);
    check_knn_options(fn, options);
    KnnResult<Scalar> out{IndexMatrix(queries.rows(), k), RowMatrix<Scalar>(queries.rows(), k)};
    parallel_for_chunks(Index{0}, queries.rows(), options.num_threads, [&](Index lo, Index hi, int) {
      Workspace work(d_);
      for (Index q = lo; q < hi; ++q)
        knn_into(queries.row(q).data(), k, options, out.indices.row(q).data(),
                 out.distances.row(q).data(), work.offsets());
    });
    return out;
  }

  /// One query without allocating (for d <= 64 or a fixed Dim): writes k
  /// indices and distances, sorted, into the caller's buffers, padding with
  /// -1 / +inf; returns how many neighbours were found.
  Index knn(const Scalar* query, Index k, Index* indices, Scalar* distances,
            const KnnOptions<Scalar>& options = {}) const {
    const char* fn = "KDTree::knn";
    check_k(fn, k);
    check_knn_options(fn, options);
    for (Index j = 0; j < d_; ++j)
      if (!std::isfinite(query[j])) throw_invalid_argument(fn, "the query has a non-finite coordinate");
    Workspace work(d_);
    return knn_into(query, k, options, indices, distances, work.offsets());
  }

  /// The k nearest neighbours of every point of the tree among the others
  /// (a k-NN graph) when exclude_self; with exclude_self = false each point is
  /// its own first neighbour (or ties with its duplicates). Row i is point i.
  KnnResult<Scalar> knn(Index k, bool exclude_self, const KnnOptions<Scalar>& options = {}) const {
    const char* fn = "KDTree::knn";
    check_knn_options(fn, options);
    check_positive(fn, "k", k);
    check_at_most(fn, "k", k, exclude_self ? n_ - 1 : n_,
                  exclude_self ? "the number of other points" : "the number of points");
    const Index wanted = exclude_self ? k + 1 : k;
    KnnResult<Scalar> out{IndexMatrix(n_, k), RowMatrix<Scalar>(n_, k)};
    parallel_for_chunks(Index{0}, n_, options.num_threads, [&](Index lo, Index hi, int) {
      Workspace work(d_);
      std::vector<Index> idx(static_cast<std::size_t>(wanted));
      std::vector<Scalar> dist(static_cast<std::size_t>(wanted));
      for (Index slot = lo; slot < hi; ++slot) {
        const Index self = index_[static_cast<std::size_t>(slot)];
        knn_into(point(slot), wanted, options, idx.data(), dist.data(), work.offsets());
        // Drop the point itself; if duplicates with smaller indices crowded it
        // out of the k + 1, the first k are all others already.
        Index written = 0;
        bool dropped = !exclude_self;
        for (Index j = 0; j < wanted && written < k; ++j) {
          if (!dropped && idx[static_cast<std::size_t>(j)] == self) {
            dropped = true;
            continue;
          }
          out.indices(self, written) = idx[static_cast<std::size_t>(j)];
          out.distances(self, written) = dist[static_cast<std::size_t>(j)];
          ++written;
        }
      }
    });
    return out;
  }

  /// The nearest point to a query vector (row or column): (index, distance).
  /// Throws on an empty tree.
  template <class Q>
  Neighbor<Scalar> nearest(const Eigen::MatrixBase<Q>& query) const {
    Index index;
    Scalar distance;
    QueryCopy q(*this, "KDTree::nearest", query);
    knn(q.data(), 1, &index, &distance);
    return {index, distance};
  }

  /// Every point within distance r of the query (distance == r included).
  /// A vector type (row or column) is one query and gives a
  /// std::vector<Neighbor>; a matrix type holds one query per row and gives
  /// RadiusResults in compressed layout, computed in parallel.
  template <class Q>
  auto radius(const Eigen::MatrixBase<Q>& query, Scalar r, const RadiusOptions& options = {}) const {
    if constexpr (Q::IsVectorAtCompileTime) {
      const char* fn = "KDTree::radius";
      QueryCopy q(*this, fn, query);
      check_radius(fn, r, options);
      Workspace work(d_);
      std::vector<Neighbor<Scalar>> out;
      radius_into(q.data(), r, options, out, work.offsets());
      return out;
    } else {
      return radius_batch(query.derived(), r, options);
    }
  }

 private:
  RadiusResults<Scalar> radius_batch(const Points& queries, Scalar r, const RadiusOptions& options) const {
    const char* fn = "KDTree::radius";
    check_queries(fn, queries);
    check_radius(fn, r, options);
    std::vector<std::vector<Neighbor<Scalar>>> per_query(static_cast<std::size_t>(queries.rows()));
    parallel_for_chunks(Index{0}, queries.rows(), options.num_threads, [&](Index lo, Index hi, int) {
      Workspace work(d_);
      for (Index q = lo; q < hi; ++q)
        radius_into(queries.row(q).data(), r, options, per_query[static_cast<std::size_t>(q)],
                    work.offsets());
    });
    RadiusResults<Scalar> out;
    out.offsets.assign(1, 0);
    for (const auto& found : per_query) {
      for (const auto& nb : found) {
        out.indices.push_back(nb.index);
        out.distances.push_back(nb.distance);
      }
      out.offsets.push_back(static_cast<Index>(out.indices.size()));
    }
    return out;
  }

 public:
  /// Indices of the points p with lower <= p <= upper in every dimension,
  /// ascending. Throws if lower_j > upper_j for some j or on NaN bounds.
  template <class L, class U>
  std::vector<Index> box(const Eigen::MatrixBase<L>& lower, const Eigen::MatrixBase<U>& upper) const {
    const char* fn = "KDTree::box";
    check_dimension(fn, lower.size());
    check_dimension(fn, upper.size());
    for (Index j = 0; j < d_; ++j)
      if (!(lower(j) <= upper(j)))
        throw_invalid_argument(fn, "lower(", j, ") = ", lower(j), " exceeds upper(", j, ") = ", upper(j));
    const Vector<Scalar> lo = lower.derived().reshaped(), hi = upper.derived().reshaped();
    std::vector<Index> out;
    if (n_ > 0) box_node(0, lo.data(), hi.data(), out);
    std::sort(out.begin(), out.end());
    return out;
  }

  /// Bytes held: the point copy, the index map and the nodes.
  std::size_t memory_bytes() const {
    return static_cast<std::size_t>(data_.size()) * sizeof(Scalar) + index_.size() * sizeof(Index) +
           nodes_.size() * sizeof(Node);
  }

 private:
  struct Node {
    Index begin, end;           // the node's points: slots [begin, end) of data_
    Index left = -1, right = -1;  // children; -1 for a leaf
    Index dim = 0;              // split dimension
    Scalar low = 0, high = 0;   // left child's max and right child's min along dim
  };

  static constexpr Index stack_dims = 64;

  /// Per-dimension offsets of the incremental bound: on the stack for a fixed
  /// Dim or d <= 64, else on the heap.
  class Workspace {
   public:
    explicit Workspace(Index d) {
      if (d > stack_dims) heap_.resize(static_cast<std::size_t>(d));
    }
    Scalar* offsets() { return heap_.empty() ? stack_.data() : heap_.data(); }

   private:
    std::array<Scalar, stack_dims> stack_{};
    std::vector<Scalar> heap_;
  };

  /// A query vector copied to contiguous storage (on the stack for d <= 64),
  /// its size and finiteness checked.
  class QueryCopy {
   public:
    template <class Q>
    QueryCopy(const KDTree& tree, const char* fn, const Eigen::MatrixBase<Q>& query) : work_(query.size()) {
      tree.check_dimension(fn, query.size());
      for (Index j = 0; j < query.size(); ++j) {
        work_.offsets()[j] = static_cast<Scalar>(query(j));
        if (!std::isfinite(work_.offsets()[j]))
          throw_invalid_argument(fn, "the query has a non-finite coordinate");
      }
    }
    const Scalar* data() { return work_.offsets(); }

   private:
    Workspace work_;
  };

  Index dims() const {
    if constexpr (Dim != Eigen::Dynamic) return Dim;
    return d_;
  }
  const Scalar* point(Index slot) const { return data_.data() + slot * d_; }

  // --- validation -------------------------------------------------------------
  void check_dimension(const char* fn, Index d) const {
    if (d != d_) throw_invalid_argument(fn, "the query has ", d, " coordinates, the tree's points ", d_);
  }
  void check_queries(const char* fn, const Points& queries) const {
    if (queries.cols() != d_)
      throw_invalid_argument(fn, "queries.cols() = ", queries.cols(),
                             " does not match the tree's dimension = ", d_);
    for (Index i = 0; i < queries.rows(); ++i)
      if (!queries.row(i).allFinite())
        throw_invalid_argument(fn, "query row ", i, " has a non-finite coordinate");
  }
  void check_k(const char* fn, Index k) const {
    check_positive(fn, "k", k);
    check_at_most(fn, "k", k, n_, "the number of points");
  }
  static void check_knn_options(const char* fn, const KnnOptions<Scalar>& o) {
    check_non_negative(fn, "eps", o.eps);
    check_finite(fn, "eps", o.eps);
    check_non_negative(fn, "max_distance", o.max_distance);
    check_non_negative(fn, "num_threads", o.num_threads);
  }
  static void check_radius(const char* fn, Scalar r, const RadiusOptions& o) {
    check_non_negative(fn, "r", r);
    check_non_negative(fn, "max_results", o.max_results);
    check_non_negative(fn, "num_threads", o.num_threads);
  }

  // --- build --------------------------------------------------------------------
  void build(const Points& points) {
    std::vector<Index> perm(static_cast<std::size_t>(n_));
    std::iota(perm.begin(), perm.end(), Index{0});
    lo_.assign(static_cast<std::size_t>(d_), std::numeric_limits<Scalar>::infinity());
    hi_.assign(static_cast<std::size_t>(d_), -std::numeric_limits<Scalar>::infinity());
    for (Index i = 0; i < n_; ++i)
      for (Index j = 0; j < d_; ++j) {
        lo_[static_cast<std::size_t>(j)] = std::min(lo_[static_cast<std::size_t>(j)], points(i, j));
        hi_[static_cast<std::size_t>(j)] = std::max(hi_[static_cast<std::size_t>(j)], points(i, j));
      }
    if (n_ > 0) {
      nodes_.reserve(static_cast<std::size_t>(2 * (n_ / params_.leaf_size) + 1));
      Index max_depth = 24;  // past this depth, median splits keep the tree O(log n) deep
      for (Index m = n_; m > 1; m /= 2) max_depth += 2;
      build_node(points, perm, 0, n_, 0, max_depth);
    }
    data_.resize(n_ * d_);
    for (Index slot = 0; slot < n_; ++slot)
      for (Index j = 0; j < d_; ++j) data_[slot * d_ + j] = points(perm[static_cast<std::size_t>(slot)], j);
    index_ = std::move(perm);
  }

  Index build_node(const Points& points, std::vector<Index>& perm, Index begin, Index end,
                   Index depth, Index max_depth) {
    const auto id = static_cast<Index>(nodes_.size());
    nodes_.push_back(Node{begin, end});
    if (end - begin <= params_.leaf_size) return id;
    // The widest extent of the node's points.
    Index dim = 0;
    Scalar lo = 0, hi = 0, widest = -1;
    for (Index j = 0; j < d_; ++j) {
      Scalar mn = std::numeric_limits<Scalar>::infinity(), mx = -mn;
      for (Index i = begin; i < end; ++i) {
        const Scalar v = points(perm[static_cast<std::size_t>(i)], j);
        mn = std::min(mn, v);
        mx = std::max(mx, v);
      }
      if (mx - mn > widest) {
        widest = mx - mn;
        dim = j;
        lo = mn;
        hi = mx;
      }
    }
    if (!(widest > 0)) return id;  // all points identical: one leaf
    auto coord = [&](Index i) { return points(perm[static_cast<std::size_t>(i)], dim); };
    auto first = perm.begin() + begin, last = perm.begin() + end;
    Index mid;
    if (params_.split == SplitRule::median || depth >= max_depth) {
      mid = begin + (end - begin) / 2;
      std::nth_element(first, perm.begin() + mid, last,
                       [&](Index a, Index b) { return points(a, dim) < points(b, dim); });
      // Points equal to the median may sit on both sides; that is allowed
      // (low <= high still holds), and both children are non-empty.
    } else {
      const Scalar cut = lo + (hi - lo) / 2;
      mid = begin + (std::partition(first, last, [&](Index a) { return points(a, dim) < cut; }) - first);
      if (mid == begin) {  // slide the cut down to the smallest coordinate
        auto smallest = std::min_element(first, last, [&](Index a, Index b) { return points(a, dim) < points(b, dim); });
        std::iter_swap(first, smallest);
        mid = begin + 1;
      } else if (mid == end) {  // slide it up to the largest
        auto largest = std::max_element(first, last, [&](Index a, Index b) { return points(a, dim) < points(b, dim); });
        std::iter_swap(last - 1, largest);
        mid = end - 1;
      }
    }
    Scalar low = -std::numeric_limits<Scalar>::infinity(), high = std::numeric_limits<Scalar>::infinity();
    for (Index i = begin; i < mid; ++i) low = std::max(low, coord(i));
    for (Index i = mid; i < end; ++i) high = std::min(high, coord(i));
    const Index left = build_node(points, perm, begin, mid, depth + 1, max_depth);
    const Index right = build_node(points, perm, mid, end, depth + 1, max_depth);
    Node& node = nodes_[static_cast<std::size_t>(id)];
    node.left = left;
    node.right = right;
    node.dim = dim;
    node.low = low;
    node.high = high;
    return id;
  }

  // --- search -------------------------------------------------------------------
  /// Accumulated distance from q to the point in `slot`, stopping early once
  /// it exceeds `bound` (the value is then only known to exceed it).
  Scalar point_distance(const Scalar* q, Index slot, Scalar bound) const {
    const Scalar* p = point(slot);
    Scalar acc = 0;
    const Index d = dims();
    for (Index j = 0; j < d; ++j) {
      acc = metric_.combine(acc, metric_.term(q[j] - p[j]));
      if constexpr (Dim == Eigen::Dynamic)
        if ((j & 3) == 3 && acc > bound) return acc;
    }
    return acc;
  }

  /// Accumulated distance from q to the bounding box of the whole tree, with
  /// each dimension's term written to offsets.
  Scalar root_bound(const Scalar* q, Scalar* offsets) const {
    Scalar acc = 0;
    for (Index j = 0; j < dims(); ++j) {
      const Scalar below = lo_[static_cast<std::size_t>(j)] - q[j];
      const Scalar above = q[j] - hi_[static_cast<std::size_t>(j)];
      offsets[j] = below > 0 ? metric_.term(below) : above > 0 ? metric_.term(above) : Scalar(0);
      acc = metric_.combine(acc, offsets[j]);
    }
    return acc;
  }

  /// Visits nodes nearest-first, calling visit_leaf(node) on leaves whose cell
  /// may hold a point within bound() * factor; `bound` is re-read after each
  /// leaf because the search narrows it.
  template <class Bound, class VisitLeaf>
  void descend(Index id, const Scalar* q, Scalar cell, Scalar* offsets, Scalar factor,
               const Bound& bound, const VisitLeaf& visit_leaf) const {
    const Node& node = nodes_[static_cast<std::size_t>(id)];
    if (node.left < 0) {
      visit_leaf(node);
      return;
    }
    const Scalar value = q[node.dim];
    const Scalar to_low = value - node.low, to_high = value - node.high;
    Index near_child, far_child;
    Scalar far_term;
    if (to_low + to_high < 0) {  // closer to the left child
      near_child = node.left;
      far_child = node.right;
      far_term = metric_.term(to_high);
    } else {
      near_child = node.right;
      far_child = node.left;
      far_term = metric_.term(to_low);
    }
    descend(near_child, q, cell, offsets, factor, bound, visit_leaf);
    const Scalar old = offsets[node.dim];
    // The far cell differs from this one only along node.dim (Arya & Mount).
    Scalar far_cell;
    if constexpr (Metric::sums)
      far_cell = cell - old + far_term;
    else
      far_cell = metric_.combine(cell, far_term);
    // A little slack so rounding in the incremental bound never prunes a tie.
    if (far_cell * factor <= bound() * (1 + 16 * std::numeric_limits<Scalar>::epsilon())) {
      offsets[node.dim] = far_term;
      descend(far_child, q, far_cell, offsets, factor, bound, visit_leaf);
      offsets[node.dim] = old;
    }
  }

  Index knn_into(const Scalar* q, Index k, const KnnOptions<Scalar>& options, Index* indices,
                 Scalar* distances, Scalar* offsets) const {
    const Scalar limit = std::isinf(options.max_distance) ? options.max_distance
                                                          : metric_.from_distance(options.max_distance);
    detail::NearestSet<Scalar> set(k, limit, indices, distances);
    if (n_ > 0) {
      const Scalar cell = root_bound(q, offsets);
      if (cell <= limit)
        descend(0, q, cell, offsets, metric_.eps_factor(options.eps), [&] { return set.bound(); },
                [&](const Node& leaf) {
                  for (Index slot = leaf.begin; slot < leaf.end; ++slot)
                    set.offer(point_distance(q, slot, set.bound()), index_[static_cast<std::size_t>(slot)]);
                });
    }
    set.finish();
    const Index found = set.count();
    for (Index i = 0; i < found; ++i) distances[i] = metric_.to_distance(distances[i]);
    for (Index i = found; i < k; ++i) {
      indices[i] = -1;
      distances[i] = std::numeric_limits<Scalar>::infinity();
    }
    return found;
  }

  void radius_into(const Scalar* q, Scalar r, const RadiusOptions& options,
                   std::vector<Neighbor<Scalar>>& out, Scalar* offsets) const {
    const Scalar limit = metric_.from_distance(r);
    out.clear();
    if (n_ == 0) return;
    const bool early_stop = !options.sorted && options.max_results > 0;
    const Scalar cell = root_bound(q, offsets);
    if (!(cell <= limit)) return;
    descend(0, q, cell, offsets, Scalar(1),
            [&] { return early_stop && static_cast<Index>(out.size()) >= options.max_results ? Scalar(-1) : limit; },
            [&](const Node& leaf) {
              for (Index slot = leaf.begin; slot < leaf.end; ++slot) {
                if (early_stop && static_cast<Index>(out.size()) >= options.max_results) return;
                const Scalar acc = point_distance(q, slot, limit);
                if (acc <= limit) out.push_back({index_[static_cast<std::size_t>(slot)], acc});
              }
            });
    if (options.sorted)
      std::sort(out.begin(), out.end(), [](const Neighbor<Scalar>& a, const Neighbor<Scalar>& b) {
        return a.distance < b.distance || (a.distance == b.distance && a.index < b.index);
      });
    if (options.max_results > 0 && static_cast<Index>(out.size()) > options.max_results)
      out.resize(static_cast<std::size_t>(options.max_results));
    for (auto& nb : out) nb.distance = metric_.to_distance(nb.distance);
  }

  void box_node(Index id, const Scalar* lower, const Scalar* upper, std::vector<Index>& out) const {
    const Node& node = nodes_[static_cast<std::size_t>(id)];
    if (node.left < 0) {
      for (Index slot = node.begin; slot < node.end; ++slot) {
        const Scalar* p = point(slot);
        bool inside = true;
        for (Index j = 0; j < dims() && inside; ++j) inside = p[j] >= lower[j] && p[j] <= upper[j];
        if (inside) out.push_back(index_[static_cast<std::size_t>(slot)]);
      }
      return;
    }
    if (lower[node.dim] <= node.low) box_node(node.left, lower, upper, out);
    if (upper[node.dim] >= node.high) box_node(node.right, lower, upper, out);
  }

  Metric metric_;
  KDTreeParams params_;
  Index n_, d_;
  Vector<Scalar> data_;        // n x d, row-major, in leaf order
  std::vector<Index> index_;   // slot -> caller's row
  std::vector<Node> nodes_;    // preorder; node 0 is the root
  std::vector<Scalar> lo_, hi_;  // bounding box of all points
};

}  // namespace mlprim

#endif  // MLPRIM_NEIGHBORS_KDTREE_HPP
