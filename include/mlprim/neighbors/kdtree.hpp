// KDTree: exact and (1 + eps)-approximate k nearest neighbours, radius and
// box search over a static point set (Friedman, Bentley & Finkel 1977;
// sliding-midpoint splits of Maneewongvatana & Mount, "It's okay to be
// skinny, if your friends are fat", 1999; the incremental distance-to-cell
// bound of Arya & Mount, "Algorithms for fast vector quantization", 1993).
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
#include <cmath>
#include <cstdint>
#include <istream>
#include <limits>
#include <numeric>
#include <ostream>
#include <type_traits>
#include <utility>
#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/core/io.hpp"
#include "mlprim/core/parallel.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/neighbors/detail/distance.hpp"
#include "mlprim/neighbors/detail/nearest_set.hpp"
#include "mlprim/neighbors/metrics.hpp"

namespace mlprim {

/// How a node chooses its cut.
enum class SplitRule : std::uint8_t {
  /// Midpoint of the node's cell along its widest side, slid to the nearest
  /// point when one side would be empty (default; nanoflann's and SciPy's
  /// rule; robust on clustered data).
  sliding_midpoint = 0,
  /// Median of the points along the widest side of the cell (balanced depth).
  median = 1,
};

/// Build parameters. leaf_size 16 is SciPy's cKDTree default (nanoflann uses
/// 10): with each leaf's points contiguous, query speed is flat from 10 to
/// 32 and the build is a quarter faster at 16 than at 10 (bench/README.md).
struct KDTreeParams {
  Index leaf_size =
      16;  ///< points per leaf at most (identical points may share a bigger leaf), >= 1
  SplitRule split = SplitRule::sliding_midpoint;  ///< how nodes choose their cut
  int num_threads =
      0;  ///< threads for the build, over subtrees (0 = all); the tree is the same for any count
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

/// kNN results: row i holds query i's neighbours by increasing distance;
/// padding is index -1, distance +inf. Ties go to the smaller index, where a
/// tie means equal accumulated distances (the squared distance for L2, the
/// P-th power for Minkowski<P>): two neighbours whose reported distances
/// are equal after the square root (or P-th root) rounds may come in either
/// index order.
template <class Scalar>
struct KnnResult {
  IndexMatrix indices;          ///< m x k neighbour indices (ids for DynamicKDTree), -1 for padding
  RowMatrix<Scalar> distances;  ///< m x k distances, +inf for padding
};

/// One neighbour: the caller's row index and its distance.
template <class Scalar>
struct Neighbor {
  Index index;      ///< the caller's row index (or id)
  Scalar distance;  ///< its distance to the query
};

/// Radius query options.
struct RadiusOptions {
  /// By distance, then index (ties of accumulated distance, as KnnResult);
  /// otherwise in tree order.
  bool sorted = true;
  Index max_results = 0;  ///< 0: no limit; with sorted, the closest max_results
  int num_threads = 0;    ///< threads over queries in the batched form (0 = all)
};

/// Batched radius results in compressed layout: query i's neighbours are
/// entries offsets[i] .. offsets[i + 1] of indices and distances.
template <class Scalar>
struct RadiusResults {
  std::vector<Index> offsets;  ///< m + 1 offsets: query i owns entries [offsets[i], offsets[i + 1])
  std::vector<Index> indices;  ///< the neighbours' row indices (ids for DynamicKDTree)
  std::vector<Scalar> distances;  ///< their distances
};

template <class Scalar, int Dim, class Metric>
class DynamicKDTree;

namespace detail {

/// The checks of a kNN call shared by every search structure: queries of
/// dimension d with finite coordinates, ...
template <class Scalar>
void check_knn_queries(const char* fn, const Eigen::Ref<const RowMatrix<Scalar>>& queries, Index d) {
  if (queries.cols() != d)
    throw_invalid_argument(fn, "queries.cols() = ", queries.cols(),
                           " does not match the tree's dimension = ", d);
  for (Index i = 0; i < queries.rows(); ++i)
    if (!queries.row(i).allFinite())
      throw_invalid_argument(fn, "query row ", i, " has a non-finite coordinate");
}

/// ... 1 <= k <= the points available ...
inline void check_knn_k(const char* fn, Index k, Index available) {
  check_positive(fn, "k", k);
  check_at_most(fn, "k", k, available, "the number of points");
}

/// ... and valid options.
template <class Scalar>
void check_knn_options(const char* fn, const KnnOptions<Scalar>& o) {
  check_non_negative(fn, "eps", o.eps);
  check_finite(fn, "eps", o.eps);
  check_non_negative(fn, "max_distance", o.max_distance);
  check_non_negative(fn, "num_threads", o.num_threads);
}

}  // namespace detail

/// A k-d tree over the rows of an (n x d) matrix.
///
/// Scalar is float or double; Dim fixes d at compile time (unrolled distance
/// loops) or is Eigen::Dynamic; Metric is L2 (default), L1, Linf,
/// Minkowski<P> or Periodic<Base>. Memory: the points copy (n d scalars), the
/// index map (4 n bytes) and about 2 n / leaf_size nodes of 8 + 2 sizeof(Scalar)
/// bytes; memory_bytes() reports it. Up to 2^31 - 1 points.
template <class Scalar, int Dim = Eigen::Dynamic, class Metric = L2>
class KDTree {
  static_assert(std::is_floating_point_v<Scalar>, "mlprim::KDTree needs float or double points");
  static_assert(Dim == Eigen::Dynamic || Dim >= 1, "mlprim::KDTree: Dim must be >= 1 or Dynamic");
  static constexpr bool periodic = detail::is_periodic<Metric>::value;

 public:
  /// How points and queries are passed: contiguous rows (a column-major
  /// argument is copied by Eigen).
  using Points = Eigen::Ref<const RowMatrix<Scalar>>;

  /// Builds the tree over the rows of `points` (n x d; a column-major argument
  /// is copied by Eigen). O(n log n) expected, parallel over subtrees. n = 0 is
  /// allowed (every query with k > 0 then throws). Throws for d = 0, d != Dim,
  /// leaf_size < 1, n >= 2^31, a non-finite coordinate (naming its row), or,
  /// with Periodic, a box of the wrong size or a point outside [0, L).
  explicit KDTree(const Points& points, const KDTreeParams& params = {}, const Metric& metric = {})
      : KDTree("KDTree", points, nullptr, params, metric) {}

  /// Points in the tree.
  Index size() const { return n_; }
  /// Coordinates per point.
  Index dimension() const { return d_; }
  /// The metric (with its periodic box, if any).
  const Metric& metric() const { return metric_; }
  /// The build parameters.
  const KDTreeParams& params() const { return params_; }

  /// The k nearest points to each row of `queries` (m x d). Parallel over
  /// queries, which are visited in the order of the leaves they fall in (so
  /// neighbouring queries share cached nodes and points); row i of the
  /// result is always query i. O(m log n) expected for low d.
  KnnResult<Scalar> knn(const Points& queries, Index k,
                        const KnnOptions<Scalar>& options = {}) const {
    const char* fn = "KDTree::knn";
    check_queries(fn, queries);
    check_k(fn, k, n_);
    check_knn_options(fn, options);
    KnnResult<Scalar> out{IndexMatrix(queries.rows(), k), RowMatrix<Scalar>(queries.rows(), k)};
    parallel_for_chunks(Index{0}, queries.rows(), options.num_threads,
                        [&](Index lo, Index hi, int) {
                          Workspace work(d_);
                          for (Index q : leaf_order(queries, lo, hi, work))
                            knn_into(queries.row(q).data(), k, options, out.indices.row(q).data(),
                                     out.distances.row(q).data(), work);
                        });
    return out;
  }

  /// One query without allocating (for d <= 64 or a fixed Dim): writes k
  /// indices and distances, sorted, into the caller's buffers, padding with
  /// -1 / +inf; returns how many neighbours were found.
  Index knn(const Scalar* query, Index k, Index* indices, Scalar* distances,
            const KnnOptions<Scalar>& options = {}) const {
    const char* fn = "KDTree::knn";
    check_k(fn, k, n_);
    check_knn_options(fn, options);
    for (Index j = 0; j < d_; ++j)
      if (!std::isfinite(query[j]))
        throw_invalid_argument(fn, "the query has a non-finite coordinate");
    Workspace work(d_);
    return knn_into(query, k, options, indices, distances, work);
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
        knn_into(point(slot), wanted, options, idx.data(), dist.data(), work);
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
    Workspace work(d_);
    const Scalar* q = copy_query("KDTree::nearest", query, work);
    check_k("KDTree::nearest", 1, n_);
    knn_into(q, 1, {}, &index, &distance, work);
    return {index, distance};
  }

  /// Every point within distance r of the query (distance == r included).
  /// A vector type (row or column) is one query and gives a
  /// std::vector<Neighbor>; a matrix type holds one query per row and gives
  /// RadiusResults in compressed layout, computed in parallel.
  template <class Q>
  auto radius(const Eigen::MatrixBase<Q>& query, Scalar r,
              const RadiusOptions& options = {}) const {
    const char* fn = "KDTree::radius";
    if constexpr (Q::IsVectorAtCompileTime) {
      Workspace work(d_);
      const Scalar* q = copy_query(fn, query, work);
      check_radius(fn, r, options);
      std::vector<Neighbor<Scalar>> out;
      radius_into(q, r, options, out, work, all_alive);
      finish_radius(options, out);
      return out;
    } else {
      const Points queries = query.derived();
      check_queries(fn, queries);
      check_radius(fn, r, options);
      return gather_radius(
          queries.rows(), options,
          [&](Index i, std::vector<Neighbor<Scalar>>& found, Workspace& work) {
            radius_into(queries.row(i).data(), r, options, found, work, all_alive);
          },
          &queries);
    }
  }

  /// Indices of the points p with lower <= p <= upper in every dimension,
  /// ascending. With a Periodic metric the box is taken as is, in the
  /// points' [0, L) coordinates (no wrapping). Throws if lower_j > upper_j
  /// for some j or on NaN bounds.
  template <class L, class U>
  std::vector<Index> box(const Eigen::MatrixBase<L>& lower,
                         const Eigen::MatrixBase<U>& upper) const {
    std::vector<Index> out;
    box_into("KDTree::box", lower, upper, out, all_alive);
    std::sort(out.begin(), out.end());
    return out;
  }

  /// Bytes held: the point copy, the index map and the nodes.
  std::size_t memory_bytes() const {
    return static_cast<std::size_t>(data_.size()) * sizeof(Scalar) +
           index_.size() * sizeof(std::int32_t) + nodes_.size() * sizeof(Node);
  }

  /// Writes the tree (points, index map, nodes, parameters, metric) in the
  /// core versioned binary format.
  void save(std::ostream& out) const {
    io::BinaryWriter writer(out, "KDTree::save");
    writer.header(magic, format_version);
    write_payload(writer);
  }

  /// Reads a tree written by save() for the same Scalar, Dim and Metric.
  /// Validates everything before use (sizes, every index, the node
  /// structure and each node's split against its points); corrupt or
  /// truncated input throws std::runtime_error.
  static KDTree load(std::istream& in) {
    io::BinaryReader reader(in, "KDTree::load");
    reader.header(magic, format_version);
    KDTree tree;
    tree.read_payload(reader, "KDTree::load", -1);
    return tree;
  }

 private:
  friend class DynamicKDTree<Scalar, Dim, Metric>;
  static constexpr const char* magic = "MLPKDTRE";
  static constexpr std::uint32_t format_version = 1;

  /// Internal node: dim >= 0 splits along dim with children `child` (left)
  /// and `child + 1` (right); low is the left points' largest coordinate
  /// along dim and high the right points' smallest. A leaf has dim = -count
  /// and holds slots [child, child + count).
  struct Node {
    std::int32_t dim;
    std::int32_t child;
    Scalar low, high;
  };

  static constexpr Index stack_dims = Dim == Eigen::Dynamic ? 64 : Dim;

  /// Per-query scratch: the incremental bound's per-dimension terms, the
  /// current cell's interval (periodic metrics) and a copy of the query; on
  /// the stack for a fixed Dim or d <= 64, else on the heap.
  class Workspace {
   public:
    explicit Workspace(Index d) : d_(d) {
      if (d > stack_dims) heap_.resize(static_cast<std::size_t>(4 * d));
    }
    Workspace(const Workspace&) = delete;
    Workspace& operator=(const Workspace&) = delete;
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

  /// The liveness filter of a static tree: every point is live.
  struct AllAlive {
    constexpr bool operator()(Index) const { return true; }
  };
  static constexpr AllAlive all_alive{};

  KDTree() : n_(0), d_(0) {}

  /// Builds over `points`, reporting ids[i] for row i (the row index itself
  /// when ids is null).
  KDTree(const char* fn, const Points& points, const Index* ids, const KDTreeParams& params,
         const Metric& metric)
      : metric_(metric), params_(params), n_(points.rows()), d_(points.cols()) {
    if (d_ == 0)
      throw_invalid_argument(fn, "points.cols() = 0: points need at least one dimension");
    if (Dim != Eigen::Dynamic && d_ != Dim)
      throw_invalid_argument(fn, "points.cols() = ", d_, " does not match Dim = ", Dim);
    check_positive(fn, "leaf_size", params.leaf_size);
    check_non_negative(fn, "num_threads", params.num_threads);
    check_at_most(fn, "points.rows()", n_, Index{std::numeric_limits<std::int32_t>::max()},
                  "the supported number of points");
    set_period(fn, "metric.box");
    for (Index i = 0; i < n_; ++i) check_point(fn, points.row(i).data(), i, points.innerStride());
    data_.resize(n_ * d_);
    for (Index i = 0; i < n_; ++i)
      for (Index j = 0; j < d_; ++j) data_[i * d_ + j] = points(i, j);
    index_.resize(static_cast<std::size_t>(n_));
    for (Index i = 0; i < n_; ++i)
      index_[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(ids ? ids[i] : i);
    build();
  }

  Index dims() const {
    if constexpr (Dim != Eigen::Dynamic) return Dim;
    return d_;
  }
  const Scalar* point(Index slot) const { return data_.data() + slot * d_; }
  Scalar* point(Index slot) { return data_.data() + slot * d_; }

  // --- validation -------------------------------------------------------------
  /// Checks the periodic box (size d, finite, >= 0) and keeps it as Scalars.
  void set_period(const char* fn, const char* what) {
    period_ = detail::periodic_box<Scalar>(fn, what, metric_, d_);
  }
  /// A point must be finite and, along periodic dimensions, inside [0, L).
  void check_point(const char* fn, const Scalar* p, Index row, Index stride) const {
    detail::check_point(fn, "point", p, stride, d_, row, period_);
  }
  void check_dimension(const char* fn, Index d) const {
    if (d != d_)
      throw_invalid_argument(fn, "the query has ", d, " coordinates, the tree's points ", d_);
  }
  void check_queries(const char* fn, const Points& queries) const {
    detail::check_knn_queries<Scalar>(fn, queries, d_);
  }
  static void check_k(const char* fn, Index k, Index available) { detail::check_knn_k(fn, k, available); }
  static void check_knn_options(const char* fn, const KnnOptions<Scalar>& o) {
    detail::check_knn_options(fn, o);
  }
  static void check_radius(const char* fn, Scalar r, const RadiusOptions& o) {
    check_non_negative(fn, "r", r);
    check_non_negative(fn, "max_results", o.max_results);
    check_non_negative(fn, "num_threads", o.num_threads);
  }
  /// Copies a query vector into the workspace, checking its size and values.
  template <class Q>
  const Scalar* copy_query(const char* fn, const Eigen::MatrixBase<Q>& query,
                           Workspace& work) const {
    check_dimension(fn, query.size());
    Scalar* q = work.query();
    for (Index j = 0; j < d_; ++j) {
      q[j] = static_cast<Scalar>(query(j));
      if (!std::isfinite(q[j])) throw_invalid_argument(fn, "the query has a non-finite coordinate");
    }
    return q;
  }

  // --- build --------------------------------------------------------------------
  /// A subtree left for the parallel phase of the build.
  struct Task {
    std::int32_t node;
    Index begin, end, depth;
    std::vector<Scalar> lower, upper;  // the subtree's cell
  };

  /// Builds one subtree into `nodes` (ids local to it) with scratch of its own.
  class Builder {
   public:
    Builder(KDTree& tree, std::vector<Node>& nodes, Index max_depth)
        : tree_(tree),
          nodes_(nodes),
          max_depth_(max_depth),
          min_(static_cast<std::size_t>(tree.d_)),
          max_(static_cast<std::size_t>(tree.d_)) {}

    /// Fills node `id` for slots [begin, end) inside the cell [lower, upper];
    /// ranges of at most `grain` points become tasks when tasks is given.
    void grow(std::int32_t id, Index begin, Index end, Index depth, std::vector<Scalar>& lower,
              std::vector<Scalar>& upper, Index grain = 0, std::vector<Task>* tasks = nullptr) {
      if (tasks && end - begin <= grain) {
        tasks->push_back(Task{id, begin, end, depth, lower, upper});
        return;
      }
      Index dim, mid;
      Scalar cut, low, high;
      if (!choose_split(begin, end, depth, lower.data(), upper.data(), dim, cut, mid, low, high)) {
        nodes_[static_cast<std::size_t>(id)] =
            Node{static_cast<std::int32_t>(begin - end), static_cast<std::int32_t>(begin),
                 Scalar(0), Scalar(0)};
        return;
      }
      const auto child = static_cast<std::int32_t>(nodes_.size());
      nodes_.resize(nodes_.size() + 2);
      nodes_[static_cast<std::size_t>(id)] = Node{static_cast<std::int32_t>(dim), child, low, high};
      const auto j = static_cast<std::size_t>(dim);
      const Scalar saved_upper = upper[j], saved_lower = lower[j];
      upper[j] = cut;
      grow(child, begin, mid, depth + 1, lower, upper, grain, tasks);
      upper[j] = saved_upper;
      lower[j] = cut;
      grow(child + 1, mid, end, depth + 1, lower, upper, grain, tasks);
      lower[j] = saved_lower;
    }

   private:
    /// Picks the split of slots [begin, end): false for a leaf (few or
    /// identical points). Otherwise partitions the slots so that [begin, mid)
    /// are <= cut and [mid, end) >= cut along dim, both non-empty, with low
    /// the left side's largest coordinate along dim and high the right's
    /// smallest.
    bool choose_split(Index begin, Index end, Index depth, const Scalar* lower, const Scalar* upper,
                      Index& dim, Scalar& cut, Index& mid, Scalar& low, Scalar& high) {
      const Index count = end - begin;
      if (count <= tree_.params_.leaf_size) return false;
      const Index d = tree_.dims();
      tree_.extent(begin, end, min_.data(), max_.data());
      // The cell's widest side among dimensions where the points differ;
      // near-ties (within 1e-5) go to the larger spread of the points.
      Scalar widest = -1;
      for (Index j = 0; j < d; ++j)
        if (max_[static_cast<std::size_t>(j)] > min_[static_cast<std::size_t>(j)])
          widest = std::max(widest, upper[j] - lower[j]);
      if (widest < 0) return false;  // all points identical
      Scalar spread = -1;
      dim = -1;
      for (Index j = 0; j < d; ++j) {
        const Scalar s = max_[static_cast<std::size_t>(j)] - min_[static_cast<std::size_t>(j)];
        if (s > 0 && upper[j] - lower[j] >= (1 - Scalar(1e-5)) * widest && s > spread) {
          spread = s;
          dim = j;
        }
      }
      const Scalar lo = min_[static_cast<std::size_t>(dim)],
                   hi = max_[static_cast<std::size_t>(dim)];
      if (tree_.params_.split == SplitRule::median || depth >= max_depth_) {
        coords_.resize(static_cast<std::size_t>(count));
        for (Index s = begin; s < end; ++s)
          coords_[static_cast<std::size_t>(s - begin)] = tree_.point(s)[dim];
        auto middle = coords_.begin() + count / 2;
        std::nth_element(coords_.begin(), middle, coords_.end());
        cut = *middle;
      } else {
        cut = std::clamp(lower[dim] + (upper[dim] - lower[dim]) / 2, lo, hi);
      }
      // [begin, less) < cut <= [less, end): the cut itself when it lies
      // strictly inside the points' extent (each side then holds an extreme).
      const bool median = tree_.params_.split == SplitRule::median || depth >= max_depth_;
      Scalar below_max, above_min;
      const Index less = partition(
          begin, end, dim, [&](Scalar v) { return v < cut; }, below_max, above_min);
      const Index half = begin + count / 2;
      if (!median && cut > lo && cut < hi) {
        mid = less;
        low = below_max;
        high = above_min;
        return true;
      }
      // The cut sits on the smallest or largest point, or is the median: put
      // the points equal to it in [less, not_more) and split where the sides
      // come out closest to equal, keeping both non-empty.
      Scalar equal_max, above_min2 = above_min;
      Index not_more = end;
      if (cut != hi)
        not_more = partition(
            less, end, dim, [&](Scalar v) { return v <= cut; }, equal_max, above_min2);
      mid = less > half ? less : not_more < half ? not_more : half;
      low = mid > less ? cut : below_max;
      high = mid < not_more ? cut : above_min2;
      return true;
    }

    /// Moves the slots whose coordinate along dim satisfies pred to the
    /// front of [begin, end), carrying their index entries along; returns the
    /// first slot that does not, with the largest coordinate that does and
    /// the smallest that does not (-inf / +inf for an empty side).
    template <class Pred>
    Index partition(Index begin, Index end, Index dim, const Pred& pred, Scalar& in_max,
                    Scalar& out_min) {
      in_max = -std::numeric_limits<Scalar>::infinity();
      out_min = std::numeric_limits<Scalar>::infinity();
      Index i = begin, j = end - 1;
      for (;;) {
        for (; i <= j; ++i) {
          const Scalar v = tree_.point(i)[dim];
          if (!pred(v)) break;
          in_max = std::max(in_max, v);
        }
        for (; i < j; --j) {
          const Scalar v = tree_.point(j)[dim];
          if (pred(v)) break;
          out_min = std::min(out_min, v);
        }
        if (i >= j) {
          // Slot i (when in range) failed pred and was not yet counted.
          if (i < end) out_min = std::min(out_min, tree_.point(i)[dim]);
          return i;
        }
        std::swap_ranges(tree_.point(i), tree_.point(i) + tree_.dims(), tree_.point(j));
        std::swap(tree_.index_[static_cast<std::size_t>(i)],
                  tree_.index_[static_cast<std::size_t>(j)]);
        in_max = std::max(in_max, tree_.point(i)[dim]);
        out_min = std::min(out_min, tree_.point(j)[dim]);
        ++i;
        --j;
      }
    }

    KDTree& tree_;
    std::vector<Node>& nodes_;
    Index max_depth_;
    std::vector<Scalar> min_, max_, coords_;
  };

  /// The smallest and largest coordinates of slots [begin, end) in every
  /// dimension. Up to stack_dims dimensions they gather in local arrays,
  /// which the compiler keeps in registers (it cannot for the caller's
  /// storage, which the point pointer might alias).
  void extent(Index begin, Index end, Scalar* lo, Scalar* hi) const {
    auto scan = [&](Scalar* mn, Scalar* mx) {
      for (Index j = 0; j < dims(); ++j) {
        mn[j] = std::numeric_limits<Scalar>::infinity();
        mx[j] = -std::numeric_limits<Scalar>::infinity();
      }
      for (Index s = begin; s < end; ++s) {
        const Scalar* p = point(s);
        for (Index j = 0; j < dims(); ++j) {
          mn[j] = std::min(mn[j], p[j]);
          mx[j] = std::max(mx[j], p[j]);
        }
      }
    };
    if (dims() <= stack_dims) {
      Scalar mn[stack_dims], mx[stack_dims];
      scan(mn, mx);
      std::copy(mn, mn + dims(), lo);
      std::copy(mx, mx + dims(), hi);
    } else {
      scan(lo, hi);
    }
  }

  /// lo_ / hi_: the bounding box of all points.
  void compute_bounds() {
    lo_.resize(static_cast<std::size_t>(d_));
    hi_.resize(static_cast<std::size_t>(d_));
    extent(0, n_, lo_.data(), hi_.data());
  }

  /// The depth from which the build splits at the median of the points
  /// instead of the sliding midpoint: 24 + 2 floor(log2 n). Sliding-midpoint
  /// splits can peel one point at a time off skewed data (x_i = 2^-i); from
  /// here on every split halves the node.
  static Index median_split_depth(Index n) {
    Index depth = 24;
    for (Index m = n; m > 1; m /= 2) depth += 2;
    return depth;
  }

  /// The deepest node a build of n points makes, which load() enforces:
  /// median splits leave at most ceil(n / 2) points on each side, so past
  /// median_split_depth(n) a node is a leaf after at most ceil(log2 n) levels.
  static Index max_tree_depth(Index n) {
    Index halvings = 0;
    while ((Index{1} << halvings) < n) ++halvings;
    return median_split_depth(n) + halvings;
  }

  /// Reorders data_/index_ into leaf order and fills nodes_: the top levels
  /// serially, then the subtrees below them in parallel, spliced after.
  void build() {
    compute_bounds();
    if (n_ == 0) return;
    const Index max_depth = median_split_depth(n_);
    const Index threads = resolve_threads("KDTree", params_.num_threads);
    const Index grain = threads > 1 && n_ >= 65536 ? n_ / (4 * threads) : n_;
    nodes_.assign(1, Node{});
    std::vector<Task> tasks;
    {
      std::vector<Scalar> lower = lo_, upper = hi_;
      Builder(*this, nodes_, max_depth).grow(0, 0, n_, 0, lower, upper, grain, &tasks);
    }
    std::vector<std::vector<Node>> subtrees(tasks.size());
    parallel_for(std::size_t{0}, tasks.size(), static_cast<int>(threads), [&](std::size_t t) {
      Task& task = tasks[t];
      subtrees[t].assign(1, Node{});
      Builder(*this, subtrees[t], max_depth)
          .grow(0, task.begin, task.end, task.depth, task.lower, task.upper);
    });
    for (std::size_t t = 0; t < tasks.size(); ++t) {
      // Local id c > 0 lands at base + c - 1; local 0 replaces the task's node.
      const auto shift = static_cast<std::int32_t>(nodes_.size()) - 1;
      auto moved = [shift](Node node) {
        if (node.dim >= 0) node.child += shift;
        return node;
      };
      nodes_[static_cast<std::size_t>(tasks[t].node)] = moved(subtrees[t][0]);
      for (std::size_t i = 1; i < subtrees[t].size(); ++i) nodes_.push_back(moved(subtrees[t][i]));
    }
  }

  // --- search -------------------------------------------------------------------
  /// The query as searched: wrapped into the box for periodic metrics.
  const Scalar* prepare_query(const Scalar* q, Workspace& work) const {
    if constexpr (periodic) {
      Scalar* wrapped = work.query();
      for (Index j = 0; j < dims(); ++j)
        wrapped[j] = detail::wrap_into_box(q[j], period_[static_cast<std::size_t>(j)]);
      return wrapped;
    } else {
      (void)work;
      return q;
    }
  }

  /// Accumulated distance from q to the point in `slot`; past `bound` it may
  /// stop early with a value only known to exceed it.
  Scalar point_distance(const Scalar* q, Index slot, Scalar bound) const {
    return detail::point_distance<Dim>(metric_, q, point(slot), d_, period_.data(), bound);
  }

  /// Accumulated distance from q to the bounding box of all points, with
  /// each dimension's term in work.offsets() (and the box in lower/upper).
  Scalar root_bound(const Scalar* q, Workspace& work) const {
    Scalar acc = 0;
    Scalar* offsets = work.offsets();
    for (Index j = 0; j < dims(); ++j) {
      const auto u = static_cast<std::size_t>(j);
      Scalar L = 0;
      if constexpr (periodic) {
        L = period_[u];
        work.lower()[j] = lo_[u];
        work.upper()[j] = hi_[u];
      }
      offsets[j] = metric_.term(detail::ring_gap(q[j], lo_[u], hi_[u], L));
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
    const Node& node = nodes_[static_cast<std::size_t>(id)];
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
    if constexpr (!periodic) {
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
      const Scalar lo = lower[dim], hi = upper[dim], L = period_[static_cast<std::size_t>(dim)];
      const Scalar left_term = metric_.term(detail::ring_gap(value, lo, node.low, L));
      const Scalar right_term = metric_.term(detail::ring_gap(value, node.high, hi, L));
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

  /// Offers the tree's points within the set's bound to `set`, skipping ids
  /// for which alive(id) is false. q is already prepared. With all_alive the
  /// set receives slots (it must map them through index_); otherwise ids.
  template <class Alive>
  void search_knn(const Scalar* q, detail::NearestSet<Scalar>& set, Scalar factor, Workspace& work,
                  const Alive& alive) const {
    if (n_ == 0) return;
    const Scalar cell = root_bound(q, work);
    if (!(cell <= set.bound())) return;
    descend(
        0, q, cell, work, factor, [&] { return set.bound(); },
        [&](Index begin, Index end) {
          for (Index slot = begin; slot < end; ++slot) {
            if constexpr (std::is_same_v<Alive, AllAlive>) {
              set.offer(point_distance(q, slot, set.bound()), slot);
            } else {
              const Index id = index_[static_cast<std::size_t>(slot)];
              if (alive(id)) set.offer(point_distance(q, slot, set.bound()), id);
            }
          }
        });
  }

  /// Query rows [lo, hi) sorted by the first slot of the leaf that a greedy
  /// descent reaches (ties by row): an order along the tree's own layout, in
  /// which consecutive queries share cached nodes and points. Any order
  /// gives the same results.
  std::vector<Index> leaf_order(const Points& queries, Index lo, Index hi, Workspace& work) const {
    std::vector<std::pair<std::int32_t, Index>> keys;
    keys.reserve(static_cast<std::size_t>(hi - lo));
    for (Index q = lo; q < hi; ++q) {
      std::int32_t id = 0;
      if (!nodes_.empty()) {
        const Scalar* p = prepare_query(queries.row(q).data(), work);
        while (nodes_[static_cast<std::size_t>(id)].dim >= 0) {
          const Node& node = nodes_[static_cast<std::size_t>(id)];
          id = node.child + ((p[node.dim] - node.low) + (p[node.dim] - node.high) < 0 ? 0 : 1);
        }
        id = nodes_[static_cast<std::size_t>(id)].child;
      }
      keys.emplace_back(id, q);
    }
    std::sort(keys.begin(), keys.end());
    std::vector<Index> order(keys.size());
    for (std::size_t i = 0; i < keys.size(); ++i) order[i] = keys[i].second;
    return order;
  }

  /// The accumulated-space limit for max_distance.
  Scalar knn_limit(const KnnOptions<Scalar>& options) const {
    return std::isinf(options.max_distance) ? options.max_distance
                                            : metric_.from_distance(options.max_distance);
  }

  /// Sorts the set, converts to distances and pads to k; returns the count.
  Index finish_knn(detail::NearestSet<Scalar>& set, Index k, Index* indices,
                   Scalar* distances) const {
    set.finish();
    const Index found = set.count();
    for (Index i = 0; i < found; ++i) distances[i] = metric_.to_distance(distances[i]);
    for (Index i = found; i < k; ++i) {
      indices[i] = -1;
      distances[i] = std::numeric_limits<Scalar>::infinity();
    }
    return found;
  }

  Index knn_into(const Scalar* query, Index k, const KnnOptions<Scalar>& options, Index* indices,
                 Scalar* distances, Workspace& work) const {
    detail::NearestSet<Scalar> set(k, knn_limit(options), indices, distances, index_.data());
    search_knn(prepare_query(query, work), set, detail::search_eps_factor(metric_, options.eps),
               work, all_alive);
    return finish_knn(set, k, indices, distances);
  }

  /// Appends the points within r of the query (accumulated distances), up
  /// to max_results when unsorted; call finish_radius after.
  template <class Alive>
  void radius_into(const Scalar* query, Scalar r, const RadiusOptions& options,
                   std::vector<Neighbor<Scalar>>& out, Workspace& work, const Alive& alive) const {
    if (n_ == 0) return;
    const Scalar* q = prepare_query(query, work);
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
            const Index id = index_[static_cast<std::size_t>(slot)];
            if (!alive(id)) continue;
            const Scalar acc = point_distance(q, slot, limit);
            if (acc <= limit) out.push_back({id, acc});
          }
        });
  }

  /// Sorts (when asked), truncates to max_results and converts distances.
  void finish_radius(const RadiusOptions& options, std::vector<Neighbor<Scalar>>& out) const {
    if (options.sorted)
      std::sort(out.begin(), out.end(), [](const Neighbor<Scalar>& a, const Neighbor<Scalar>& b) {
        return a.distance < b.distance || (a.distance == b.distance && a.index < b.index);
      });
    if (options.max_results > 0 && static_cast<Index>(out.size()) > options.max_results)
      out.resize(static_cast<std::size_t>(options.max_results));
    for (auto& nb : out) nb.distance = metric_.to_distance(nb.distance);
  }

  /// Runs search(i, found, work) for each of m queries in parallel (each
  /// thread's share in leaf_order when `queries` are this tree's) and packs
  /// the finished results in compressed layout.
  template <class Search>
  RadiusResults<Scalar> gather_radius(Index m, const RadiusOptions& options, const Search& search,
                                      const Points* queries = nullptr) const {
    std::vector<std::vector<Neighbor<Scalar>>> per_query(static_cast<std::size_t>(m));
    parallel_for_chunks(Index{0}, m, options.num_threads, [&](Index lo, Index hi, int) {
      Workspace work(d_);
      std::vector<Index> order;
      if (queries) order = leaf_order(*queries, lo, hi, work);
      for (Index at = lo; at < hi; ++at) {
        const Index i = queries ? order[static_cast<std::size_t>(at - lo)] : at;
        auto& found = per_query[static_cast<std::size_t>(i)];
        search(i, found, work);
        finish_radius(options, found);
      }
    });
    RadiusResults<Scalar> out;
    out.offsets.assign(static_cast<std::size_t>(m) + 1, 0);
    for (std::size_t i = 0; i < per_query.size(); ++i)
      out.offsets[i + 1] = out.offsets[i] + static_cast<Index>(per_query[i].size());
    out.indices.resize(static_cast<std::size_t>(out.offsets.back()));
    out.distances.resize(out.indices.size());
    parallel_for(Index{0}, m, options.num_threads, [&](Index i) {
      auto at = static_cast<std::size_t>(out.offsets[static_cast<std::size_t>(i)]);
      for (const auto& nb : per_query[static_cast<std::size_t>(i)]) {
        out.indices[at] = nb.index;
        out.distances[at++] = nb.distance;
      }
    });
    return out;
  }

  /// Appends the live ids of the points inside [lower, upper] (unsorted).
  template <class L, class U, class Alive>
  void box_into(const char* fn, const Eigen::MatrixBase<L>& lower,
                const Eigen::MatrixBase<U>& upper, std::vector<Index>& out,
                const Alive& alive) const {
    check_dimension(fn, lower.size());
    check_dimension(fn, upper.size());
    for (Index j = 0; j < d_; ++j)
      if (!(lower(j) <= upper(j)))
        throw_invalid_argument(fn, "lower(", j, ") = ", lower(j), " exceeds upper(", j,
                               ") = ", upper(j));
    if (n_ == 0) return;
    const Vector<Scalar> lo = lower.derived().reshaped().template cast<Scalar>();
    const Vector<Scalar> hi = upper.derived().reshaped().template cast<Scalar>();
    box_node(0, lo.data(), hi.data(), out, alive);
  }

  template <class Alive>
  void box_node(std::int32_t id, const Scalar* lower, const Scalar* upper, std::vector<Index>& out,
                const Alive& alive) const {
    const Node& node = nodes_[static_cast<std::size_t>(id)];
    if (node.dim < 0) {
      for (Index slot = node.child; slot < Index{node.child} - node.dim; ++slot) {
        const Scalar* p = point(slot);
        bool inside = true;
        for (Index j = 0; j < dims() && inside; ++j) inside = p[j] >= lower[j] && p[j] <= upper[j];
        const Index index = index_[static_cast<std::size_t>(slot)];
        if (inside && alive(index)) out.push_back(index);
      }
      return;
    }
    if (lower[node.dim] <= node.low) box_node(node.child, lower, upper, out, alive);
    if (upper[node.dim] >= node.high) box_node(node.child + 1, lower, upper, out, alive);
  }

  // --- serialization ----------------------------------------------------------
  void write_payload(io::BinaryWriter& w) const {
    static_assert(sizeof(Metric::power) > 0,
                  "mlprim::KDTree::save: the metric needs a `power` tag");
    w.value(static_cast<std::uint8_t>(sizeof(Scalar)));
    w.value(static_cast<std::int32_t>(Dim));
    w.string(Metric::name);
    w.value(static_cast<std::int32_t>(Metric::power));
    w.value(periodic);
    if constexpr (periodic) w.vector(metric_.box);
    w.size(n_);
    w.size(d_);
    w.size(params_.leaf_size);
    w.value(static_cast<std::uint8_t>(params_.split));
    w.size(data_.size());
    w.array(data_.data(), static_cast<std::size_t>(data_.size()));
    w.vector(index_);
    std::vector<std::int32_t> dims(nodes_.size()), children(nodes_.size());
    std::vector<Scalar> lows(nodes_.size()), highs(nodes_.size());
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      dims[i] = nodes_[i].dim;
      children[i] = nodes_[i].child;
      lows[i] = nodes_[i].low;
      highs[i] = nodes_[i].high;
    }
    w.vector(dims);
    w.vector(children);
    w.vector(lows);
    w.vector(highs);
  }

  /// Reads and validates a payload. Ids must be a permutation of [0, n)
  /// when id_limit < 0, else distinct values in [0, id_limit).
  void read_payload(io::BinaryReader& r, const char* fn, std::int64_t id_limit) {
    auto corrupt = [fn](const auto&... parts) {
      throw_runtime_error(fn, parts..., " (corrupt stream?)");
    };
    const auto scalar_size = r.value<std::uint8_t>("scalar size");
    const auto dim = r.value<std::int32_t>("Dim");
    const std::string name = r.string("metric name", 64);
    const auto power = r.value<std::int32_t>("metric power");
    const bool is_periodic = r.value<bool>("periodic flag");
    if (scalar_size != sizeof(Scalar) || dim != Dim || name != Metric::name ||
        power != Metric::power || is_periodic != periodic)
      throw_runtime_error(fn, "the stream holds a tree of ", int{scalar_size},
                          "-byte scalars, Dim ", dim, ", metric ", name, "(", power,
                          is_periodic ? ", periodic" : "", "); this KDTree has ", sizeof(Scalar),
                          "-byte scalars, Dim ", Dim, ", metric ", Metric::name, "(", Metric::power,
                          periodic ? ", periodic" : "", ")");
    const std::uint64_t max_points =
        static_cast<std::uint64_t>(std::numeric_limits<std::int32_t>::max());
    if constexpr (periodic) metric_.box = r.vector<double>("metric box", 1u << 20);
    n_ = static_cast<Index>(r.size("number of points", max_points));
    d_ = static_cast<Index>(r.size("dimension", 1u << 20));
    if (d_ == 0 || (Dim != Eigen::Dynamic && d_ != Dim)) corrupt("dimension = ", d_, " is invalid");
    try {
      set_period(fn, "metric box");
    } catch (const std::invalid_argument& e) {
      corrupt(e.what());
    }
    params_.leaf_size = static_cast<Index>(r.size("leaf size", max_points));
    const auto split = r.value<std::uint8_t>("split rule");
    if (params_.leaf_size < 1 || split > 1)
      corrupt("leaf size ", params_.leaf_size, " or split rule ", int{split});
    params_.split = static_cast<SplitRule>(split);
    std::vector<Scalar> data = r.vector<Scalar>("points", max_points * (1u << 10));
    if (data.size() != static_cast<std::size_t>(n_ * d_))
      corrupt("points hold ", data.size(), " values, not ", n_, " x ", d_);
    data_ = Eigen::Map<const Vector<Scalar>>(data.data(), n_ * d_);
    for (Index s = 0; s < n_; ++s) {
      try {
        check_point(fn, point(s), s, 1);
      } catch (const std::invalid_argument& e) {
        corrupt(e.what());
      }
    }
    index_ = r.vector<std::int32_t>("index map", static_cast<std::uint64_t>(n_));
    if (static_cast<Index>(index_.size()) != n_)
      corrupt("index map holds ", index_.size(), " entries, not ", n_);
    const std::int64_t limit = id_limit < 0 ? n_ : id_limit;
    std::vector<bool> seen(static_cast<std::size_t>(limit));
    for (const Index id : index_) {
      if (id < 0 || id >= limit || seen[static_cast<std::size_t>(id)])
        corrupt("index ", id, " is out of range or repeated");
      seen[static_cast<std::size_t>(id)] = true;
    }
    const std::uint64_t max_nodes = 2 * static_cast<std::uint64_t>(n_);
    const auto dims = r.vector<std::int32_t>("node dimensions", max_nodes);
    const auto children = r.vector<std::int32_t>("node children", max_nodes);
    const auto lows = r.vector<Scalar>("node lows", max_nodes);
    const auto highs = r.vector<Scalar>("node highs", max_nodes);
    if (children.size() != dims.size() || lows.size() != dims.size() ||
        highs.size() != dims.size() || dims.empty() != (n_ == 0))
      corrupt("node arrays of sizes ", dims.size(), ", ", children.size(), ", ", lows.size(), ", ",
              highs.size());
    nodes_.resize(dims.size());
    for (std::size_t i = 0; i < dims.size(); ++i)
      nodes_[i] = Node{dims[i], children[i], lows[i], highs[i]};
    validate_nodes(fn);
    compute_bounds();
  }

  /// Checks that nodes_ is a tree rooted at 0 whose leaves tile the slots in
  /// order, no deeper than a build makes it, with every split's low <= high
  /// bounding its children's points; throws std::runtime_error otherwise.
  void validate_nodes(const char* fn) const {
    if (nodes_.empty()) return;
    auto corrupt = [fn](const auto&... parts) {
      throw_runtime_error(fn, parts..., " (corrupt stream?)");
    };
    const Index max_depth = max_tree_depth(n_);
    const auto count = static_cast<std::int32_t>(nodes_.size());
    std::vector<Index> begin(nodes_.size(), -1), end(nodes_.size(), -1);
    std::vector<bool> visited(nodes_.size());
    struct Frame {
      std::int32_t id;
      Index depth;
      bool children_done;
    };
    std::vector<Frame> stack{{0, 0, false}};
    Index next_slot = 0;
    while (!stack.empty()) {
      const Frame frame = stack.back();
      stack.pop_back();
      const auto u = static_cast<std::size_t>(frame.id);
      const Node& node = nodes_[u];
      if (frame.children_done) {  // both subtrees checked: check the split
        const auto l = static_cast<std::size_t>(node.child), r = l + 1;
        begin[u] = begin[l];
        end[u] = end[r];
        for (Index s = begin[l]; s < end[l]; ++s)
          if (!(point(s)[node.dim] <= node.low))
            corrupt("node ", frame.id, " low = ", node.low, " is below a left point");
        for (Index s = begin[r]; s < end[r]; ++s)
          if (!(point(s)[node.dim] >= node.high))
            corrupt("node ", frame.id, " high = ", node.high, " is above a right point");
        continue;
      }
      if (visited[u] || frame.depth > max_depth)
        corrupt("node ", frame.id, " is shared, cyclic or too deep");
      visited[u] = true;
      if (node.dim < 0) {
        const Index leaf_count = -Index{node.dim};
        if (node.child != next_slot || leaf_count > n_ - next_slot)
          corrupt("leaf ", frame.id, " holds slots ", node.child, " + ", leaf_count,
                  ", expected from ", next_slot);
        begin[u] = next_slot;
        next_slot += leaf_count;
        end[u] = next_slot;
        continue;
      }
      if (node.dim >= d_ || node.child <= frame.id || node.child >= count - 1)
        corrupt("node ", frame.id, " has dimension ", node.dim, " and children ", node.child);
      // The search's cell bounds take the cut between low and high: low > high
      // would let it bound a child that holds the query away from it (and prune).
      if (!(node.low <= node.high))
        corrupt("node ", frame.id, " has low = ", node.low, " above high = ", node.high);
      stack.push_back({frame.id, frame.depth, true});
      stack.push_back({node.child + 1, frame.depth + 1, false});
      stack.push_back({node.child, frame.depth + 1, false});
    }
    if (next_slot != n_ || std::find(visited.begin(), visited.end(), false) != visited.end())
      corrupt("the leaves cover ", next_slot, " of ", n_, " points or some nodes are unreachable");
  }

  Metric metric_;
  KDTreeParams params_;
  Index n_, d_;
  Vector<Scalar> data_;              // n x d, row-major, in leaf order
  std::vector<std::int32_t> index_;  // slot -> caller's row (or id)
  std::vector<Node> nodes_;          // node 0 is the root; children in adjacent pairs
  std::vector<Scalar> lo_, hi_;      // bounding box of all points
  std::vector<Scalar> period_;       // periodic metrics: box size per dimension
};

}  // namespace mlprim

#endif  // MLPRIM_NEIGHBORS_KDTREE_HPP
