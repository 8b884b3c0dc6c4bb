// The data of one k-d tree, shared by KDTree and by each bucket of
// DynamicKDTree: the configuration every tree of a structure has in common
// (TreeConfig: metric, build parameters, dimension, periodic box) and the
// built tree (TreeCore: points in leaf order, the map from slots to the
// caller's indices, the nodes, the bounding box). Building, searching and
// serialising are free functions over it in tree_build.hpp,
// tree_search.hpp and tree_io.hpp.
#ifndef MLPRIM_NEIGHBORS_DETAIL_TREE_CORE_HPP
#define MLPRIM_NEIGHBORS_DETAIL_TREE_CORE_HPP

#include <cstddef>
#include <cstdint>
#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/neighbors/detail/distance.hpp"
#include "mlprim/neighbors/metrics.hpp"
#include "mlprim/neighbors/types.hpp"

namespace mlprim::detail {

/// What every tree of one search structure shares.
template <class Scalar, class Metric>
struct TreeConfig {
  static constexpr bool periodic = is_periodic<Metric>::value;
  /// How points and queries are passed: contiguous rows.
  using Points = Eigen::Ref<const RowMatrix<Scalar>>;

  Metric metric;
  KDTreeParams params;
  Index d = 0;
  std::vector<Scalar> period;  // periodic metrics: box size per dimension, else empty

  TreeConfig() = default;

  /// Checks d >= 1 (== Dim when fixed), the parameters and the periodic box.
  template <int Dim>
  static TreeConfig make(const char* fn, Index d, const KDTreeParams& params,
                         const Metric& metric) {
    if (d == 0)
      throw_invalid_argument(fn, "points.cols() = 0: points need at least one dimension");
    if (Dim != Eigen::Dynamic && d != Dim)
      throw_invalid_argument(fn, "points.cols() = ", d, " does not match Dim = ", Dim);
    check_positive(fn, "leaf_size", params.leaf_size);
    check_non_negative(fn, "num_threads", params.num_threads);
    TreeConfig config;
    config.metric = metric;
    config.params = params;
    config.d = d;
    config.period = periodic_box<Scalar>(fn, "metric.box", metric, d);
    return config;
  }

  /// A point must be finite and, along periodic dimensions, inside [0, L).
  void check_point(const char* fn, const Scalar* p, Index row, Index stride) const {
    detail::check_point(fn, "point", p, stride, d, row, period);
  }
  /// A query vector must have d coordinates.
  void check_dimension(const char* fn, Index size) const {
    if (size != d)
      throw_invalid_argument(fn, "the query has ", size, " coordinates, the tree's points ", d);
  }
};

/// A built tree.
template <class Scalar, int Dim, class Metric>
struct TreeCore {
  static_assert(Dim == Eigen::Dynamic || Dim >= 1, "mlprim::KDTree: Dim must be >= 1 or Dynamic");
  static constexpr bool periodic = is_periodic<Metric>::value;
  /// The largest fixed dimension a query's scratch keeps on the stack.
  static constexpr Index stack_dims = Dim == Eigen::Dynamic ? 64 : Dim;

  /// Internal node: dim >= 0 splits along dim with children `child` (left)
  /// and `child + 1` (right); low is the left points' largest coordinate
  /// along dim and high the right points' smallest. A leaf has dim = -count
  /// and holds slots [child, child + count).
  struct Node {
    std::int32_t dim;
    std::int32_t child;
    Scalar low, high;
  };

  TreeConfig<Scalar, Metric> config;
  Index n = 0;
  Vector<Scalar> data;              // n x d, row-major, in leaf order
  std::vector<std::int32_t> index;  // slot -> caller's row (or id)
  std::vector<Node> nodes;          // node 0 is the root; children in adjacent pairs
  std::vector<Scalar> lo, hi;       // bounding box of all points

  /// d, as a compile-time constant when Dim is fixed.
  Index dims() const {
    if constexpr (Dim != Eigen::Dynamic) return Dim;
    return config.d;
  }
  const Scalar* point(Index slot) const { return data.data() + slot * config.d; }
  Scalar* point(Index slot) { return data.data() + slot * config.d; }
  /// The caller's index (or id) of the point in `slot`.
  Index id(Index slot) const { return index[static_cast<std::size_t>(slot)]; }

  /// Bytes held: the point copy, the index map and the nodes.
  std::size_t memory_bytes() const {
    return static_cast<std::size_t>(data.size()) * sizeof(Scalar) +
           index.size() * sizeof(std::int32_t) + nodes.size() * sizeof(Node);
  }
};

}  // namespace mlprim::detail

#endif  // MLPRIM_NEIGHBORS_DETAIL_TREE_CORE_HPP
