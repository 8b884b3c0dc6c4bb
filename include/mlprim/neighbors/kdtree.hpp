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
// thread-safe. The parts live in neighbors/detail/tree_*.hpp.
#ifndef MLPRIM_NEIGHBORS_KDTREE_HPP
#define MLPRIM_NEIGHBORS_KDTREE_HPP

#include <algorithm>
#include <cstdint>
#include <istream>
#include <ostream>
#include <type_traits>
#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/core/io.hpp"
#include "mlprim/core/parallel.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/neighbors/detail/brute_force.hpp"
#include "mlprim/neighbors/detail/checks.hpp"
#include "mlprim/neighbors/detail/finish.hpp"
#include "mlprim/neighbors/detail/method_choice.hpp"
#include "mlprim/neighbors/detail/tree_build.hpp"
#include "mlprim/neighbors/detail/tree_core.hpp"
#include "mlprim/neighbors/detail/tree_io.hpp"
#include "mlprim/neighbors/detail/tree_search.hpp"
#include "mlprim/neighbors/metrics.hpp"
#include "mlprim/neighbors/types.hpp"

namespace mlprim {

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
  using Core = detail::TreeCore<Scalar, Dim, Metric>;
  using Search = detail::TreeSearch<Scalar, Dim, Metric>;
  using Workspace = detail::TreeWorkspace<Scalar, Dim>;

 public:
  /// How points and queries are passed: contiguous rows (a column-major
  /// argument is copied by Eigen).
  using Points = Eigen::Ref<const RowMatrix<Scalar>>;
  /// The point type (what queries must be).
  using value_type = Scalar;
  /// The reported distance type.
  using distance_type = Scalar;
  /// What knn takes besides queries and k.
  using SearchOptions = KnnOptions<Scalar>;

  /// Builds the tree over the rows of `points` (n x d; a column-major argument
  /// is copied by Eigen). O(n log n) expected, parallel over subtrees. n = 0 is
  /// allowed (every query with k > 0 then throws). Throws for d = 0, d != Dim,
  /// leaf_size < 1, n >= 2^31, a non-finite coordinate (naming its row), or,
  /// with Periodic, a box of the wrong size or a point outside [0, L).
  explicit KDTree(const Points& points, const KDTreeParams& params = {}, const Metric& metric = {})
      : core_(detail::build_tree<Dim>(
            "KDTree", points, nullptr,
            detail::TreeConfig<Scalar, Metric>::template make<Dim>("KDTree", points.cols(), params,
                                                                   metric))) {}

  /// Points in the tree.
  Index size() const { return core_.n; }
  /// Coordinates per point.
  Index dimension() const { return core_.config.d; }
  /// The metric (with its periodic box, if any).
  const Metric& metric() const { return core_.config.metric; }
  /// The build parameters.
  const KDTreeParams& params() const { return core_.config.params; }
  /// The points as given (n x d, row i = the caller's row i); a copy.
  RowMatrix<Scalar> points() const {
    RowMatrix<Scalar> out(size(), dimension());
    for (Index s = 0; s < size(); ++s)
      out.row(core_.id(s)) = Eigen::Map<const RowVector<Scalar>>(core_.point(s), dimension());
    return out;
  }

  /// The k nearest points to each row of `queries` (m x d); row i of the
  /// result is always query i, and result.method says which search ran.
  ///
  /// options.method: Tree visits the queries in the order of the leaves they
  /// fall in (neighbouring queries share cached nodes and points), O(log n)
  /// per query for low d; BruteForce scans every point (GEMM-screened for L2,
  /// detail/brute_force.hpp), O(n d) per query. Auto (the default) answers a
  /// probe of up to 32 evenly spaced queries with the tree, counting the
  /// points and leaves it examines, then answers the rest by the method whose
  /// predicted time is lower (detail/method_choice.hpp: the cost model, its
  /// constants from bench/neighbors and the measured crossover); up to 64
  /// queries always take the tree. Both methods give identical results;
  /// eps > 0 always takes the tree.
  KnnResult<Scalar> knn(const Points& queries, Index k,
                        const KnnOptions<Scalar>& options = {}) const {
    const char* fn = "KDTree::knn";
    detail::check_knn_queries(fn, queries, dimension());
    detail::check_knn_k(fn, k, size());
    detail::check_knn_options(fn, options);
    const Index m = queries.rows();
    KnnResult<Scalar> out{IndexMatrix(m, k), RowMatrix<Scalar>(m, k)};
    std::vector<Index> rows(static_cast<std::size_t>(m));
    for (Index i = 0; i < m; ++i) rows[static_cast<std::size_t>(i)] = i;
    KnnMethod method = options.eps > 0 ? KnnMethod::Tree : options.method;
    if (method == KnnMethod::Auto) {
      const auto probe = detail::probe_rows(m);
      const Index cap = detail::probe_cap<Metric>(size(), dimension(), params().leaf_size);
      detail::SearchStats stats;
      std::vector<Index> answered;
      Workspace work(dimension());
      for (const Index q : probe) {
        stats.cap = stats.points + cap;
        knn_row(queries, q, k, options, out, work, &stats);
        if (!stats.capped()) answered.push_back(q);
      }
      method = detail::choose_knn_method<Metric>(size(), dimension(), probe.size(), stats);
      rows = detail::rows_without(m, answered);
    }
    out.method = method;
    if (method == KnnMethod::BruteForce)
      brute_force(queries, rows, k, options, out);
    else
      tree_search(queries, rows, k, options, out);
    return out;
  }

  /// One query without allocating (for d <= 64 or a fixed Dim): writes k
  /// indices and distances, sorted, into the caller's buffers, padding with
  /// -1 / +inf; returns how many neighbours were found. Always the tree.
  Index knn(const Scalar* query, Index k, Index* indices, Scalar* distances,
            const KnnOptions<Scalar>& options = {}) const {
    const char* fn = "KDTree::knn";
    detail::check_knn_k(fn, k, size());
    detail::check_knn_options(fn, options);
    detail::check_query_values(fn, query, dimension());
    Workspace work(dimension());
    return Search(core_).knn_into(query, k, options, indices, distances, work);
  }

  /// The k-NN graph: the k nearest neighbours of every point of the tree
  /// among the others (never itself; its duplicates do count). Row i is
  /// point i. Always the tree.
  KnnResult<Scalar> knn_graph(Index k, const KnnOptions<Scalar>& options = {}) const {
    return neighbours_of_points("KDTree::knn_graph", k, true, options);
  }

  /// The earlier form of knn_graph: with exclude_self = false each point is
  /// its own first neighbour (or ties with its duplicates), as
  /// knn(points(), k).
  [[deprecated("use knn_graph(k, options), or knn(points(), k) to include each point")]]
  KnnResult<Scalar> knn(Index k, bool exclude_self, const KnnOptions<Scalar>& options = {}) const {
    return neighbours_of_points("KDTree::knn", k, exclude_self, options);
  }

  /// The nearest point to a query vector (row or column): (index, distance).
  /// Throws on an empty tree.
  template <class Q>
  Neighbor<Scalar> nearest(const Eigen::MatrixBase<Q>& query) const {
    Index index;
    Scalar distance;
    Workspace work(dimension());
    const Scalar* q = detail::copy_query("KDTree::nearest", core_.config, query, work);
    detail::check_knn_k("KDTree::nearest", 1, size());
    Search(core_).knn_into(q, 1, {}, &index, &distance, work);
    return {index, distance};
  }

  /// Every point within distance r of one query vector (row or column;
  /// distance == r included). Tree search only.
  template <class Q, std::enable_if_t<Q::IsVectorAtCompileTime, int> = 0>
  std::vector<Neighbor<Scalar>> radius(const Eigen::MatrixBase<Q>& query, Scalar r,
                                       const RadiusOptions& options = {}) const {
    const char* fn = "KDTree::radius";
    Workspace work(dimension());
    const Scalar* q = detail::copy_query(fn, core_.config, query, work);
    detail::check_radius(fn, r, options);
    std::vector<Neighbor<Scalar>> out;
    Search(core_).radius(q, r, options, out, work, detail::AllAlive{});
    detail::finish_radius(metric(), options, out);
    return out;
  }

  /// radius() for every row of `queries` (m x d), in parallel, in
  /// compressed layout. Tree search only.
  RadiusResults<Scalar> radius_batch(const Points& queries, Scalar r,
                                     const RadiusOptions& options = {}) const {
    const char* fn = "KDTree::radius_batch";
    detail::check_knn_queries(fn, queries, dimension());
    detail::check_radius(fn, r, options);
    const Search search(core_);
    return detail::gather_radius<Scalar>(
        queries.rows(), options.num_threads, [&](Index lo, Index hi, auto& per_query) {
          Workspace work(dimension());
          for (const Index i : search.leaf_order(queries, nullptr, lo, hi, work)) {
            auto& found = per_query[static_cast<std::size_t>(i)];
            search.radius(queries.row(i).data(), r, options, found, work, detail::AllAlive{});
            detail::finish_radius(metric(), options, found);
          }
        });
  }

  /// The earlier batched form of radius, for a matrix of queries.
  template <class Q, std::enable_if_t<!Q::IsVectorAtCompileTime, int> = 0>
  [[deprecated("use radius_batch(queries, r, options)")]]
  RadiusResults<Scalar> radius(const Eigen::MatrixBase<Q>& queries, Scalar r,
                               const RadiusOptions& options = {}) const {
    return radius_batch(queries.derived(), r, options);
  }

  /// Indices of the points p with lower <= p <= upper in every dimension,
  /// ascending. With a Periodic metric the box is taken as is, in the
  /// points' [0, L) coordinates (no wrapping). Throws if lower_j > upper_j
  /// for some j or on NaN bounds.
  template <class L, class U>
  std::vector<Index> box(const Eigen::MatrixBase<L>& lower,
                         const Eigen::MatrixBase<U>& upper) const {
    const auto [lo, hi] = detail::box_bounds("KDTree::box", core_.config, lower, upper);
    std::vector<Index> out;
    Search(core_).box(lo.data(), hi.data(), out, detail::AllAlive{});
    std::sort(out.begin(), out.end());
    return out;
  }

  /// Bytes held: the point copy, the index map and the nodes.
  std::size_t memory_bytes() const { return core_.memory_bytes(); }

  /// Writes the tree (points, index map, nodes, parameters, metric) in the
  /// core versioned binary format.
  void save(std::ostream& out) const {
    io::BinaryWriter writer(out, "KDTree::save");
    writer.header(magic, format_version);
    detail::write_tree(core_, writer);
  }

  /// Reads a tree written by save() for the same Scalar, Dim and Metric.
  /// Validates everything before use (sizes, every index, the node
  /// structure and each node's split against its points); corrupt or
  /// truncated input throws std::runtime_error.
  static KDTree load(std::istream& in) {
    io::BinaryReader reader(in, "KDTree::load");
    reader.header(magic, format_version);
    return KDTree(detail::read_tree<Scalar, Dim, Metric>(reader, "KDTree::load", -1));
  }

 private:
  static constexpr const char* magic = "MLPKDTRE";
  static constexpr std::uint32_t format_version = 1;

  explicit KDTree(Core core) : core_(std::move(core)) {}

  /// Query row q by the tree into row q of out.
  void knn_row(const Points& queries, Index q, Index k, const KnnOptions<Scalar>& options,
               KnnResult<Scalar>& out, Workspace& work, detail::SearchStats* stats) const {
    Search(core_).knn_into(queries.row(q).data(), k, options, out.indices.row(q).data(),
                           out.distances.row(q).data(), work, stats);
  }

  /// The listed rows by the tree, each thread's share in leaf order.
  void tree_search(const Points& queries, const std::vector<Index>& rows, Index k,
                   const KnnOptions<Scalar>& options, KnnResult<Scalar>& out) const {
    detail::with_tree_search(core_, [&](const auto& search) {
      parallel_for_chunks(Index{0}, static_cast<Index>(rows.size()), options.num_threads,
                          [&](Index lo, Index hi, int) {
                            Workspace work(dimension());
                            for (Index q : search.leaf_order(queries, rows.data(), lo, hi, work))
                              search.knn_into(queries.row(q).data(), k, options,
                                              out.indices.row(q).data(),
                                              out.distances.row(q).data(), work);
                          });
    });
  }

  /// The listed rows by brute force over the tree's own point copy.
  void brute_force(const Points& queries, const std::vector<Index>& rows, Index k,
                   const KnnOptions<Scalar>& options, KnnResult<Scalar>& out) const {
    const int threads = resolve_threads("KDTree::knn", options.num_threads);
    const detail::PointRows<Scalar> points{core_.data.data(), size(), dimension(),
                                           core_.index.data()};
    const Scalar limit = detail::knn_limit(metric(), options.max_distance);
    if constexpr (Core::periodic) {
      RowMatrix<Scalar> wrapped = queries;
      for (Index i = 0; i < wrapped.rows(); ++i)
        for (Index j = 0; j < dimension(); ++j)
          wrapped(i, j) =
              detail::wrap_into_box(wrapped(i, j), core_.config.period[static_cast<std::size_t>(j)]);
      detail::brute_force_knn(metric(), points, core_.config.period.data(), wrapped, rows.data(),
                              static_cast<Index>(rows.size()), k, limit, threads, out);
    } else {
      detail::brute_force_knn(metric(), points, core_.config.period.data(), queries, rows.data(),
                              static_cast<Index>(rows.size()), k, limit, threads, out);
    }
  }

  /// knn_graph (exclude_self) or every point's k nearest including itself.
  KnnResult<Scalar> neighbours_of_points(const char* fn, Index k, bool exclude_self,
                                         const KnnOptions<Scalar>& options) const {
    detail::check_knn_options(fn, options);
    check_positive(fn, "k", k);
    const Index n = size();
    check_at_most(fn, "k", k, exclude_self ? n - 1 : n,
                  exclude_self ? "the number of other points" : "the number of points");
    const Index wanted = exclude_self ? k + 1 : k;
    KnnResult<Scalar> out{IndexMatrix(n, k), RowMatrix<Scalar>(n, k)};
    const Search search(core_);
    parallel_for_chunks(Index{0}, n, options.num_threads, [&](Index lo, Index hi, int) {
      Workspace work(dimension());
      std::vector<Index> idx(static_cast<std::size_t>(wanted));
      std::vector<Scalar> dist(static_cast<std::size_t>(wanted));
      for (Index slot = lo; slot < hi; ++slot) {
        const Index self = core_.id(slot);
        search.knn_into(core_.point(slot), wanted, options, idx.data(), dist.data(), work);
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

  Core core_;
};

}  // namespace mlprim

#endif  // MLPRIM_NEIGHBORS_KDTREE_HPP
