// DynamicKDTree: a k-d tree that takes insertions and removals, by the
// logarithmic method (Bentley & Saxe, "Decomposable searching problems I:
// static-to-dynamic transformation", 1980): a forest of static KDTrees in
// buckets, bucket i holding at most 2^i points. An insertion carries the new
// points up through the occupied buckets like a binary counter, merging them
// into one rebuilt tree; a removal only marks the point, and merges drop
// marked points; once the removed points outnumber the live ones, the forest
// is rebuilt from the live points. Insertion costs O(log^2 n) amortised per
// point, removal O(1) amortised.
//
//   mlprim::DynamicKDTree<float, 3> tree(3);
//   const auto first = tree.insert(points);   // ids first, first + 1, ...
//   tree.remove(first + 7);
//   auto result = tree.knn(queries, 10);      // ids of live points
//
// Every query gives exactly what a KDTree built on the live points (in id
// order) would give, with ids in place of row indices.
#ifndef MLPRIM_NEIGHBORS_DYNAMIC_KDTREE_HPP
#define MLPRIM_NEIGHBORS_DYNAMIC_KDTREE_HPP

#include <algorithm>
#include <cstdint>
#include <istream>
#include <limits>
#include <utility>
#include <ostream>
#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/core/io.hpp"
#include "mlprim/core/parallel.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/neighbors/detail/checks.hpp"
#include "mlprim/neighbors/detail/finish.hpp"
#include "mlprim/neighbors/detail/nearest_set.hpp"
#include "mlprim/neighbors/detail/tree_build.hpp"
#include "mlprim/neighbors/detail/tree_core.hpp"
#include "mlprim/neighbors/detail/tree_io.hpp"
#include "mlprim/neighbors/detail/tree_search.hpp"
#include "mlprim/neighbors/metrics.hpp"
#include "mlprim/neighbors/types.hpp"

namespace mlprim {

/// A k-d tree over a changing point set; ids are given by insert() in
/// insertion order from 0 and never reused. Queries are const and
/// thread-safe (not concurrent with insert or remove). Same Scalar, Dim,
/// Metric and KDTreeParams as KDTree (params apply to every bucket's tree).
template <class Scalar, int Dim = Eigen::Dynamic, class Metric = L2>
class DynamicKDTree {
  static_assert(std::is_floating_point_v<Scalar>,
                "mlprim::DynamicKDTree needs float or double points");
  using Config = detail::TreeConfig<Scalar, Metric>;
  using Core = detail::TreeCore<Scalar, Dim, Metric>;
  using Search = detail::TreeSearch<Scalar, Dim, Metric>;
  using Workspace = detail::TreeWorkspace<Scalar, Dim>;

 public:
  /// How points and queries are passed: contiguous rows (see KDTree).
  using Points = Eigen::Ref<const RowMatrix<Scalar>>;

  /// An empty tree for points of `dimension` coordinates. Throws for
  /// dimension < 1, dimension != Dim, bad params or a bad periodic box.
  explicit DynamicKDTree(Index dimension, const KDTreeParams& params = {},
                         const Metric& metric = {})
      : config_(make_config(dimension, params, metric)) {}

  /// Live points.
  Index size() const { return live_; }
  /// Coordinates per point.
  Index dimension() const { return config_.d; }
  /// One past the largest id given so far.
  Index next_id() const { return static_cast<Index>(alive_.size()); }
  /// Whether id names a live point.
  bool contains(Index id) const {
    return id >= 0 && id < next_id() && alive_[static_cast<std::size_t>(id)];
  }

  /// Adds the rows of `points` (m x d), which get ids first .. first + m - 1;
  /// returns first. Throws (adding nothing) on a dimension mismatch or a
  /// non-finite coordinate (or one outside a periodic box).
  Index insert(const Points& points) {
    const char* fn = "DynamicKDTree::insert";
    if (points.cols() != dimension())
      throw_invalid_argument(fn, "points.cols() = ", points.cols(),
                             " does not match the tree's dimension = ", dimension());
    for (Index i = 0; i < points.rows(); ++i) config_.check_point(fn, points.row(i).data(), i, 1);
    const Index first = next_id();
    check_at_most(fn, "the number of ids", first + points.rows(),
                  Index{std::numeric_limits<std::int32_t>::max()},
                  "the supported number of points");
    std::vector<Index> ids(static_cast<std::size_t>(points.rows()));
    for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = first + static_cast<Index>(i);
    alive_.resize(alive_.size() + ids.size(), 1);
    live_ += points.rows();
    carry(RowMatrix<Scalar>(points), std::move(ids), 0);
    return first;
  }

  /// Removes the live point `id`; throws if there is none.
  void remove(Index id) {
    if (!contains(id))
      throw_invalid_argument("DynamicKDTree::remove", "id = ", id,
                             " is not a live point (ids given: 0 to ", next_id() - 1, ")");
    alive_[static_cast<std::size_t>(id)] = 0;
    --live_;
    if (stored() - live_ > live_) {  // more dead than live: rebuild from the live points
      auto [points, ids] = take_live(0, buckets_.size());
      carry(std::move(points), std::move(ids), 0);
    }
  }

  /// KDTree::knn over the live points, reporting ids (always the trees:
  /// options.method is ignored). k <= size().
  KnnResult<Scalar> knn(const Points& queries, Index k,
                        const KnnOptions<Scalar>& options = {}) const {
    const char* fn = "DynamicKDTree::knn";
    detail::check_knn_queries(fn, queries, dimension());
    detail::check_knn_k(fn, k, live_);
    detail::check_knn_options(fn, options);
    KnnResult<Scalar> out{IndexMatrix(queries.rows(), k), RowMatrix<Scalar>(queries.rows(), k)};
    parallel_for_chunks(Index{0}, queries.rows(), options.num_threads,
                        [&](Index lo, Index hi, int) {
                          Workspace work(dimension());
                          for (Index q = lo; q < hi; ++q)
                            knn_into(queries.row(q).data(), k, options, out.indices.row(q).data(),
                                     out.distances.row(q).data(), work);
                        });
    return out;
  }

  /// KDTree's single-query form over the live points.
  Index knn(const Scalar* query, Index k, Index* indices, Scalar* distances,
            const KnnOptions<Scalar>& options = {}) const {
    const char* fn = "DynamicKDTree::knn";
    detail::check_knn_k(fn, k, live_);
    detail::check_knn_options(fn, options);
    detail::check_query_values(fn, query, dimension());
    Workspace work(dimension());
    return knn_into(query, k, options, indices, distances, work);
  }

  /// The nearest live point: (id, distance). Throws when there is none.
  template <class Q>
  Neighbor<Scalar> nearest(const Eigen::MatrixBase<Q>& query) const {
    Neighbor<Scalar> out;
    Workspace work(dimension());
    const Scalar* q = detail::copy_query("DynamicKDTree::nearest", config_, query, work);
    detail::check_knn_k("DynamicKDTree::nearest", 1, live_);
    knn_into(q, 1, {}, &out.index, &out.distance, work);
    return out;
  }

  /// KDTree::radius over the live points, for one query vector.
  template <class Q, std::enable_if_t<Q::IsVectorAtCompileTime, int> = 0>
  std::vector<Neighbor<Scalar>> radius(const Eigen::MatrixBase<Q>& query, Scalar r,
                                       const RadiusOptions& options = {}) const {
    const char* fn = "DynamicKDTree::radius";
    Workspace work(dimension());
    const Scalar* q = detail::copy_query(fn, config_, query, work);
    detail::check_radius(fn, r, options);
    std::vector<Neighbor<Scalar>> out;
    radius_into(q, r, options, out, work);
    detail::finish_radius(config_.metric, options, out);
    return out;
  }

  /// KDTree::radius_batch over the live points.
  RadiusResults<Scalar> radius_batch(const Points& queries, Scalar r,
                                     const RadiusOptions& options = {}) const {
    const char* fn = "DynamicKDTree::radius_batch";
    detail::check_knn_queries(fn, queries, dimension());
    detail::check_radius(fn, r, options);
    return detail::gather_radius<Scalar>(
        queries.rows(), options.num_threads, [&](Index lo, Index hi, auto& per_query) {
          Workspace work(dimension());
          for (Index i = lo; i < hi; ++i) {
            auto& found = per_query[static_cast<std::size_t>(i)];
            radius_into(queries.row(i).data(), r, options, found, work);
            detail::finish_radius(config_.metric, options, found);
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

  /// Ids of the live points inside [lower, upper], ascending.
  template <class L, class U>
  std::vector<Index> box(const Eigen::MatrixBase<L>& lower,
                         const Eigen::MatrixBase<U>& upper) const {
    const auto [lo, hi] = detail::box_bounds("DynamicKDTree::box", config_, lower, upper);
    std::vector<Index> out;
    for (const Core& tree : buckets_) Search(tree).box(lo.data(), hi.data(), out, alive());
    std::sort(out.begin(), out.end());
    return out;
  }

  /// Bytes held by the buckets' trees and the liveness map.
  std::size_t memory_bytes() const {
    std::size_t bytes = alive_.size();
    for (const Core& tree : buckets_) bytes += tree.memory_bytes();
    return bytes;
  }

  /// Writes the forest (each bucket's tree and the liveness of every id).
  void save(std::ostream& out) const {
    io::BinaryWriter writer(out, "DynamicKDTree::save");
    writer.header(magic, format_version);
    detail::write_tree(empty_tree(), writer);
    writer.vector(alive_);
    writer.size(buckets_.size());
    for (const Core& tree : buckets_) detail::write_tree(tree, writer);
  }

  /// Reads what save() wrote, validating each tree, that ids are unique
  /// across buckets, that buckets respect their capacity, and that every
  /// live id is stored; corrupt input throws std::runtime_error.
  static DynamicKDTree load(std::istream& in) {
    const char* fn = "DynamicKDTree::load";
    io::BinaryReader reader(in, fn);
    reader.header(magic, format_version);
    DynamicKDTree tree;
    tree.config_ = detail::read_tree<Scalar, Dim, Metric>(reader, fn, 0).config;
    tree.alive_ = reader.vector<std::uint8_t>("liveness", std::numeric_limits<std::int32_t>::max());
    const auto buckets = reader.size("bucket count", 32);
    std::vector<bool> stored(tree.alive_.size());
    for (std::uint64_t b = 0; b < buckets; ++b) {
      Core bucket = detail::read_tree<Scalar, Dim, Metric>(
          reader, fn, static_cast<std::int64_t>(tree.alive_.size()));
      if (bucket.n > (Index{1} << b) || bucket.config.d != tree.dimension())
        throw_runtime_error(fn, "bucket ", b, " holds ", bucket.n, " points of dimension ",
                            bucket.config.d, " (corrupt stream?)");
      // Every bucket searches with the forest's metric: a bucket with another
      // periodic box would measure other distances than its neighbours.
      if (bucket.config.period != tree.config_.period ||
          bucket.config.params.leaf_size != tree.config_.params.leaf_size ||
          bucket.config.params.split != tree.config_.params.split)
        throw_runtime_error(fn, "bucket ", b,
                            " has another periodic box or build parameters than the forest "
                            "(corrupt stream?)");
      for (Index id : bucket.index) {
        if (stored[static_cast<std::size_t>(id)])
          throw_runtime_error(fn, "id ", id, " is stored twice (corrupt stream?)");
        stored[static_cast<std::size_t>(id)] = true;
      }
      tree.buckets_.push_back(std::move(bucket));
    }
    for (std::size_t id = 0; id < tree.alive_.size(); ++id) {
      if (tree.alive_[id] > 1 || (tree.alive_[id] && !stored[id]))
        throw_runtime_error(fn, "id ", id, " is live but not stored (corrupt stream?)");
      tree.live_ += tree.alive_[id];
    }
    return tree;
  }

 private:
  static constexpr const char* magic = "MLPDKDTR";
  static constexpr std::uint32_t format_version = 1;

  DynamicKDTree() = default;

  static Config make_config(Index dimension, const KDTreeParams& params, const Metric& metric) {
    check_positive("DynamicKDTree", "dimension", dimension);
    return Config::template make<Dim>("DynamicKDTree", dimension, params, metric);
  }

  /// A tree of no points with the forest's configuration (the stream's
  /// header record and what an emptied bucket becomes).
  Core empty_tree() const {
    Core core;
    core.config = config_;
    detail::compute_bounds(core);
    return core;
  }

  auto alive() const {
    return [this](Index id) { return alive_[static_cast<std::size_t>(id)] != 0; };
  }

  /// Points held by the buckets, live or not.
  Index stored() const {
    Index total = 0;
    for (const Core& tree : buckets_) total += tree.n;
    return total;
  }

  /// Empties buckets [first, last), returning their live points and ids.
  std::pair<RowMatrix<Scalar>, std::vector<Index>> take_live(std::size_t first, std::size_t last) {
    std::vector<std::pair<const Core*, Index>> slots;
    for (std::size_t b = first; b < last; ++b)
      for (Index s = 0; s < buckets_[b].n; ++s)
        if (alive()(buckets_[b].id(s))) slots.emplace_back(&buckets_[b], s);
    RowMatrix<Scalar> points(static_cast<Index>(slots.size()), dimension());
    std::vector<Index> ids(slots.size());
    for (std::size_t i = 0; i < slots.size(); ++i) {
      const auto& [tree, s] = slots[i];
      points.row(static_cast<Index>(i)) =
          Eigen::Map<const RowVector<Scalar>>(tree->point(s), dimension());
      ids[i] = tree->id(s);
    }
    for (std::size_t b = first; b < last; ++b) buckets_[b] = empty_tree();
    return {std::move(points), std::move(ids)};
  }

  /// Places points (with ids) in the first bucket from `from` on that is
  /// empty and large enough, merging every occupied bucket passed on the
  /// way (binary-counter carry).
  void carry(RowMatrix<Scalar> points, std::vector<Index> ids, std::size_t from) {
    for (std::size_t b = from;; ++b) {
      if (b == buckets_.size()) buckets_.push_back(empty_tree());
      if (buckets_[b].n == 0 && points.rows() <= (Index{1} << b)) {
        if (points.rows() > 0)
          buckets_[b] = detail::build_tree<Dim>("DynamicKDTree::insert", points, ids.data(), config_);
        return;
      }
      if (buckets_[b].n > 0) {
        auto [more, more_ids] = take_live(b, b + 1);
        RowMatrix<Scalar> merged(points.rows() + more.rows(), dimension());
        merged << points, more;
        points = std::move(merged);
        ids.insert(ids.end(), more_ids.begin(), more_ids.end());
      }
    }
  }

  Index knn_into(const Scalar* query, Index k, const KnnOptions<Scalar>& options, Index* indices,
                 Scalar* distances, Workspace& work) const {
    detail::NearestSet<Scalar> set(k, detail::knn_limit(config_.metric, options.max_distance),
                                   indices, distances);
    const Scalar* q = detail::prepare_query(config_, query, work);
    const Scalar factor = detail::search_eps_factor(config_.metric, options.eps);
    for (const Core& tree : buckets_) Search(tree).knn(q, set, factor, work, alive());
    return detail::finish_knn(config_.metric, set, k, distances, indices, distances);
  }

  void radius_into(const Scalar* q, Scalar r, const RadiusOptions& options,
                   std::vector<Neighbor<Scalar>>& found, Workspace& work) const {
    for (const Core& tree : buckets_) Search(tree).radius(q, r, options, found, work, alive());
  }

  Config config_;              // d, params, metric and periodic box of every bucket
  std::vector<Core> buckets_;  // bucket b holds at most 2^b points; empty ones hold none
  std::vector<std::uint8_t> alive_;  // by id
  Index live_ = 0;
};

}  // namespace mlprim

#endif  // MLPRIM_NEIGHBORS_DYNAMIC_KDTREE_HPP
