// Exact k-nearest-neighbour search over points spread across ranks: each
// rank keeps a KDTree of its own rows, and a query's global top-k is the
// merge of every shard's top-k (the k nearest of the union are among the
// union of each shard's k nearest).
#ifndef MLPRIM_DISTRIBUTED_SHARDED_KNN_HPP
#define MLPRIM_DISTRIBUTED_SHARDED_KNN_HPP

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/distributed/communicator.hpp"
#include "mlprim/distributed/detail/agree.hpp"
#include "mlprim/neighbors/kdtree.hpp"

namespace mlprim {

/// A k-d tree per rank over that rank's rows, searched together: global
/// index of local row i on rank r = (rows on ranks < r) + i, and knn
/// returns what one KDTree over the concatenated rows returns (same
/// indices, same tie rule: equal distances go to the smaller global index;
/// distances to rounding). Construction and knn are collective.
template <class Scalar, int Dim = Eigen::Dynamic, class Metric = L2>
class ShardedKNN {
 public:
  /// The points' matrix type (n x d, row-major or copied).
  using Points = Eigen::Ref<const RowMatrix<Scalar>>;

  /// Collective: builds this rank's tree over `local_points` (any number of
  /// rows, 0 included) and learns the other shards' sizes. Every rank must
  /// pass the same dimension, params and metric (dimension and params are
  /// checked: std::invalid_argument on every rank); a rank whose points are
  /// refused (a non-finite coordinate, ...) throws its KDTree error and
  /// the others std::runtime_error naming it. `comm` must outlive this.
  ShardedKNN(const Points& local_points, Communicator& comm, const KDTreeParams& params = {},
             const Metric& metric = {})
      : comm_(&comm) {
    constexpr const char* fn = "ShardedKNN";
    std::uint64_t signature = detail::fnv1a_value(static_cast<std::int64_t>(local_points.cols()));
    signature = detail::fnv1a_value(static_cast<std::int64_t>(params.leaf_size), signature);
    signature = detail::fnv1a_value(static_cast<int>(params.split), signature);
    detail::agree(comm, fn, "the points' dimension or the tree parameters", signature);
    detail::on_all_or_none(comm, fn, [&] { tree_.emplace(local_points, params, metric); });
    const std::int64_t mine = local_points.rows();
    const auto sizes = comm.all_gather(&mine, sizeof mine);
    for (std::size_t r = 0; r < sizes.size(); ++r) {
      std::int64_t n = 0;
      std::memcpy(&n, sizes[r].data(), sizeof n);
      if (static_cast<int>(r) < comm.rank()) offset_ += n;
      total_ += n;
    }
  }

  /// Points on all ranks.
  Index size() const { return total_; }
  /// Points on this rank.
  Index local_size() const { return tree_->size(); }
  /// Global index of this rank's first row.
  Index offset() const { return offset_; }
  /// Coordinates per point.
  Index dimension() const { return tree_->dimension(); }
  /// This rank's tree (local row indices).
  const KDTree<Scalar, Dim, Metric>& local_tree() const { return *tree_; }

  /// Collective: the k nearest of all ranks' points to each row of
  /// `queries` (m x d), every rank passing the same queries, k and options
  /// (checked: std::invalid_argument on every rank otherwise) and receiving
  /// the same result: m x k global indices and distances, padded with -1 /
  /// +inf beyond options.max_distance. Each rank searches its shard for
  /// min(k, local rows), the shards' lists are all-gathered (m k (8 +
  /// sizeof(Scalar)) bytes per rank) and merged by (distance, index). With
  /// options.eps > 0 every neighbour is within (1 + eps) of the true i-th
  /// distance, as for KDTree.
  KnnResult<Scalar> knn(const Points& queries, Index k, const KnnOptions<Scalar>& options = {}) const {
    constexpr const char* fn = "ShardedKNN::knn";
    std::uint64_t signature = detail::fnv1a_value(static_cast<std::int64_t>(queries.rows()));
    signature = detail::fnv1a_value(static_cast<std::int64_t>(queries.cols()), signature);
    signature = detail::fnv1a_value(static_cast<std::int64_t>(k), signature);
    signature = detail::fnv1a_value(options.eps, signature);
    signature = detail::fnv1a_value(options.max_distance, signature);
    for (Index i = 0; i < queries.rows(); ++i)
      signature = detail::fnv1a(queries.row(i).data(),
                                static_cast<std::size_t>(queries.cols()) * sizeof(Scalar), signature);
    detail::agree(*comm_, fn, "the queries, k or the options", signature);
    // The same arguments everywhere: these checks throw on every rank alike.
    // Checked here, not only by the local trees: a rank with no points
    // searches nothing and must refuse the same arguments.
    detail::check_knn_k(fn, k, total_);
    detail::check_knn_queries(fn, queries, dimension());
    detail::check_knn_options(fn, options);
    const Index m = queries.rows();
    const Index local_k = std::min<Index>(k, local_size());
    // Per query: local_k (global index, distance) pairs.
    struct Entry {
      std::int64_t index;
      Scalar distance;
    };
    std::vector<Entry> mine(static_cast<std::size_t>(m * local_k));
    if (local_k > 0) {
      const KnnResult<Scalar> local = tree_->knn(queries, local_k, options);
      for (Index q = 0; q < m; ++q)
        for (Index j = 0; j < local_k; ++j) {
          const Index i = local.indices(q, j);
          mine[static_cast<std::size_t>(q * local_k + j)] = {i < 0 ? -1 : offset_ + i, local.distances(q, j)};
        }
    }
    const auto blocks = comm_->all_gather(mine.data(), mine.size() * sizeof(Entry));
    KnnResult<Scalar> out{IndexMatrix::Constant(m, k, -1),
                          RowMatrix<Scalar>::Constant(m, k, std::numeric_limits<Scalar>::infinity())};
    std::vector<Entry> candidates;
    for (Index q = 0; q < m; ++q) {
      candidates.clear();
      for (const auto& block : blocks) {
        const Index kr = static_cast<Index>(block.size() / sizeof(Entry)) / std::max<Index>(m, 1);
        for (Index j = 0; j < kr; ++j) {
          Entry e;
          std::memcpy(&e, block.data() + static_cast<std::size_t>(q * kr + j) * sizeof(Entry), sizeof e);
          if (e.index >= 0) candidates.push_back(e);
        }
      }
      const Index keep = std::min<Index>(static_cast<Index>(candidates.size()), k);
      const auto first = candidates.begin();
      std::partial_sort(first, first + keep, candidates.end(), [](const Entry& a, const Entry& b) {
        return a.distance < b.distance || (a.distance == b.distance && a.index < b.index);
      });
      Index* indices = out.indices.row(q).data();
      Scalar* distances = out.distances.row(q).data();
      for (auto e = first; e != first + keep; ++e) {
        *indices++ = e->index;
        *distances++ = e->distance;
      }
    }
    return out;
  }

 private:
  Communicator* comm_;
  std::optional<KDTree<Scalar, Dim, Metric>> tree_;
  Index offset_ = 0, total_ = 0;
};

}  // namespace mlprim

#endif  // MLPRIM_DISTRIBUTED_SHARDED_KNN_HPP
