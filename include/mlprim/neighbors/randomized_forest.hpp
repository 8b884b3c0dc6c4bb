// RandomizedKDForest: approximate (and, with an unlimited budget, exact) k
// nearest neighbours in high dimension by a forest of randomized k-d trees
// searched best-bin-first (Silpa-Anan & Hartley, "Optimised KD-trees for
// fast image descriptor matching", CVPR 2008; the index FLANN calls
// KDTreeIndex). Built for descriptor matching: float or std::uint8_t points
// (SIFT's 128-byte descriptors), byte distances exact in 32-bit integers.
//
//   mlprim::RandomizedKDForest<std::uint8_t> forest(train, mlprim::KDForestParams{});
//   auto result = forest.knn(queries, 2, mlprim::ForestSearchOptions<float>{.checks = 128});
//
// Queries are const and thread-safe. Results are KnnResult like KDTree's:
// the same tie order (smaller index first), padding and distances.
#ifndef MLPRIM_NEIGHBORS_RANDOMIZED_FOREST_HPP
#define MLPRIM_NEIGHBORS_RANDOMIZED_FOREST_HPP

#include <cmath>
#include <cstdint>
#include <istream>
#include <limits>
#include <ostream>
#include <type_traits>
#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/core/io.hpp"
#include "mlprim/core/parallel.hpp"
#include "mlprim/core/random.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/neighbors/detail/checks.hpp"
#include "mlprim/neighbors/detail/finish.hpp"
#include "mlprim/neighbors/detail/forest_search.hpp"
#include "mlprim/neighbors/detail/forest_tree.hpp"
#include "mlprim/neighbors/detail/nearest_set.hpp"
#include "mlprim/neighbors/metrics.hpp"
#include "mlprim/neighbors/types.hpp"

namespace mlprim {

/// Build parameters of a RandomizedKDForest (defaults: FLANN's
/// KDTreeIndexParams trees = 4 and its 5 top-variance dimensions). Named
/// KDForestParams because mlprim::ForestParams configures the ensemble
/// module's random forests.
struct KDForestParams {
  int num_trees = 4;     ///< randomized trees, >= 1 (more: better recall per check, more memory)
  Index leaf_size = 8;   ///< points per leaf at most (identical points may share a bigger leaf), >= 1
  Index top_dims = 5;    ///< the split dimension is drawn among this many of highest variance, 1..d (set it <= d below 5-D)
  std::uint64_t seed = 0;  ///< the random dimension choices; the same seed gives the same forest
  int num_threads = 0;   ///< threads for the build, over trees (0 = all); the forest is the same for any count
};

/// Query options of a RandomizedKDForest (Scalar: its distance type).
template <class Scalar>
struct ForestSearchOptions {
  /// Points examined before the search stops (FLANN's `checks`, default
  /// 32); the search goes on past it until k are found. 0: no limit, the
  /// exact answer.
  Index checks = 32;
  /// Branches whose distance bound times (1 + eps) exceeds the k-th best are
  /// skipped (0: only those that cannot help).
  Scalar eps = 0;
  /// Only neighbours at distance <= max_distance; missing ones are padded.
  Scalar max_distance = std::numeric_limits<Scalar>::infinity();
  int num_threads = 0;  ///< threads over queries (0 = all)
};

/// A forest of randomized k-d trees over the rows of an (n x d) matrix.
///
/// Scalar: float, double or std::uint8_t (distances then float, accumulated
/// exactly in 32-bit integers, d < 33025). Metric: L2 (default) or L1.
/// Memory: the points once (n d sizeof(Scalar)) plus per tree a 4-byte
/// index per point and about 2 n / leaf_size nodes of 8 + sizeof(cut)
/// bytes; memory_bytes() and bytes_per_point() report it. Up to 2^31 - 1
/// points.
template <class Scalar, class Metric = L2>
class RandomizedKDForest {
  static_assert(std::is_floating_point_v<Scalar> || std::is_same_v<Scalar, std::uint8_t>,
                "mlprim::RandomizedKDForest needs float, double or std::uint8_t points");
  static_assert(std::is_same_v<Metric, L2> || std::is_same_v<Metric, L1>,
                "mlprim::RandomizedKDForest supports the L2 and L1 metrics");
  using Tree = detail::ForestTree<Scalar>;
  using Acc = detail::ForestAcc<Scalar>;

 public:
  /// The distance type: float for bytes, Scalar otherwise.
  using Distance = detail::ForestCut<Scalar>;
  /// How points and queries are passed: contiguous rows (a column-major
  /// argument is copied by Eigen). A query matrix of another scalar type
  /// does not compile.
  using Points = Eigen::Ref<const RowMatrix<Scalar>>;
  /// The point type.
  using value_type = Scalar;
  /// The reported distance type.
  using distance_type = Distance;
  /// What knn takes besides queries and k.
  using SearchOptions = ForestSearchOptions<Distance>;

  /// Builds params.num_trees trees over the rows of `points` (n x d), in
  /// parallel over trees; tree t draws its dimensions from
  /// Rng::stream(seed, t). Throws for d = 0, num_trees < 1, leaf_size < 1,
  /// top_dims outside [1, d], n >= 2^31, a non-finite coordinate (naming
  /// its row), or byte descriptors with d >= 33025.
  RandomizedKDForest(const Points& points, const KDForestParams& params = {})
      : params_(params), points_(points) {
    const char* fn = "RandomizedKDForest";
    check_params(fn, params, points_.cols());
    check_at_most(fn, "points.rows()", points_.rows(), Index{std::numeric_limits<std::int32_t>::max()},
                  "the supported number of points");
    if constexpr (std::is_floating_point_v<Scalar>)
      for (Index i = 0; i < points_.rows(); ++i)
        if (!points_.row(i).allFinite())
          throw_invalid_argument(fn, "point row ", i, " has a non-finite coordinate");
    trees_.resize(static_cast<std::size_t>(params.num_trees));
    parallel_for(std::size_t{0}, trees_.size(), params.num_threads, [&](std::size_t t) {
      Rng rng = Rng::stream(params_.seed, t);
      trees_[t] = detail::build_forest_tree(points_.data(), size(), dimension(), params_.leaf_size,
                                            params_.top_dims, rng);
    });
  }

  /// Points in the forest.
  Index size() const { return points_.rows(); }
  /// Coordinates per point.
  Index dimension() const { return points_.cols(); }
  /// The build parameters.
  const KDForestParams& params() const { return params_; }
  /// The metric.
  Metric metric() const { return {}; }
  /// The points as given (n x d).
  const RowMatrix<Scalar>& points() const { return points_; }

  /// The k nearest points to each row of `queries` (m x d) by best-bin-first
  /// search with options.checks points examined per query (0: exact).
  /// Parallel over queries; the result does not depend on the thread count.
  KnnResult<Distance> knn(const Points& queries, Index k, const SearchOptions& options = {}) const {
    const char* fn = "RandomizedKDForest::knn";
    detail::check_knn_queries(fn, queries, dimension());
    detail::check_knn_k(fn, k, size());
    check_options(fn, options);
    const Index m = queries.rows();
    KnnResult<Distance> out{IndexMatrix(m, k), RowMatrix<Distance>(m, k)};
    const Metric metric;
    const Acc limit = accumulated_limit(options.max_distance);
    const Distance factor = detail::search_eps_factor(metric, options.eps);
    parallel_for_chunks(Index{0}, m, options.num_threads, [&](Index lo, Index hi, int) {
      detail::ForestWorkspace<Scalar> work(size(), dimension());
      std::vector<Acc> acc(static_cast<std::size_t>(k));
      for (Index q = lo; q < hi; ++q) {
        Index* indices = out.indices.row(q).data();
        detail::NearestSet<Acc> set(k, limit, indices, acc.data());
        detail::forest_knn(trees_, points_.data(), dimension(), metric, queries.row(q).data(), set,
                           options.checks, factor, work);
        detail::finish_knn(metric, set, k, acc.data(), indices, out.distances.row(q).data());
      }
    });
    out.method = KnnMethod::Tree;
    return out;
  }

  /// Bytes held: the points, each tree's index permutation and nodes.
  std::size_t memory_bytes() const {
    std::size_t bytes = static_cast<std::size_t>(points_.size()) * sizeof(Scalar);
    for (const Tree& tree : trees_)
      bytes += tree.order.size() * sizeof(std::int32_t) + tree.nodes.size() * sizeof(typename Tree::Node);
    return bytes;
  }
  /// memory_bytes() / size().
  double bytes_per_point() const {
    return size() == 0 ? 0.0 : static_cast<double>(memory_bytes()) / static_cast<double>(size());
  }

  /// Writes the forest (parameters, points, every tree) in the core
  /// versioned binary format.
  void save(std::ostream& out) const {
    io::BinaryWriter w(out, "RandomizedKDForest::save");
    w.header(magic, format_version);
    w.value(scalar_tag());
    w.string(Metric::name);
    w.value(static_cast<std::int32_t>(params_.num_trees));
    w.size(params_.leaf_size);
    w.size(params_.top_dims);
    w.value(params_.seed);
    w.size(size());
    w.size(dimension());
    w.size(points_.size());
    w.array(points_.data(), static_cast<std::size_t>(points_.size()));
    for (const Tree& tree : trees_) {
      w.vector(tree.order);
      std::vector<std::int32_t> dims, children;
      std::vector<Distance> cuts;
      for (const auto& node : tree.nodes) {
        dims.push_back(node.dim);
        children.push_back(node.child);
        cuts.push_back(node.cut);
      }
      w.vector(dims);
      w.vector(children);
      w.vector(cuts);
    }
  }

  /// Reads a forest written by save() for the same Scalar and Metric,
  /// validating everything before use (parameters, sizes, every point, each
  /// tree's permutation, structure, depth and splits); corrupt or truncated
  /// input throws std::runtime_error.
  static RandomizedKDForest load(std::istream& in) {
    const char* fn = "RandomizedKDForest::load";
    io::BinaryReader r(in, fn);
    r.header(magic, format_version);
    auto corrupt = [fn](const auto&... parts) { throw_runtime_error(fn, parts..., " (corrupt stream?)"); };
    const auto tag = r.value<std::uint8_t>("scalar tag");
    const std::string name = r.string("metric name", 64);
    if (tag != scalar_tag() || name != Metric::name)
      throw_runtime_error(fn, "the stream holds a forest of scalar tag ", int{tag}, " and metric ", name,
                          "; this RandomizedKDForest has tag ", int{scalar_tag()}, " and metric ",
                          Metric::name);
    KDForestParams params;
    params.num_trees = r.value<std::int32_t>("tree count");
    params.leaf_size = static_cast<Index>(r.size("leaf size", std::numeric_limits<std::int32_t>::max()));
    params.top_dims = static_cast<Index>(r.size("top dimensions", 1u << 20));
    params.seed = r.value<std::uint64_t>("seed");
    const auto max_points = static_cast<std::uint64_t>(std::numeric_limits<std::int32_t>::max());
    const auto n = static_cast<Index>(r.size("number of points", max_points));
    const auto d = static_cast<Index>(r.size("dimension", 1u << 20));
    if (params.num_trees > 1024) corrupt("tree count ", params.num_trees);
    try {
      check_params(fn, params, d);
    } catch (const std::invalid_argument& e) {
      corrupt(e.what());
    }
    // Read as a vector, which allocates only as the data arrive.
    const std::vector<Scalar> values = r.vector<Scalar>("points", std::uint64_t{1} << 40);
    if (values.size() != static_cast<std::size_t>(n) * static_cast<std::size_t>(d))
      corrupt("points hold ", values.size(), " values, not ", n, " x ", d);
    RowMatrix<Scalar> points = Eigen::Map<const RowMatrix<Scalar>>(values.data(), n, d);
    if constexpr (std::is_floating_point_v<Scalar>)
      if (!points.allFinite()) corrupt("a point has a non-finite coordinate");
    RandomizedKDForest forest(Unbuilt{}, std::move(points), params);
    const auto max_nodes = 2 * static_cast<std::uint64_t>(n);
    for (Tree& tree : forest.trees_) {
      tree.order = r.vector<std::int32_t>("tree order", static_cast<std::uint64_t>(n));
      const auto dims = r.vector<std::int32_t>("node dimensions", max_nodes);
      const auto children = r.vector<std::int32_t>("node children", max_nodes);
      const auto cuts = r.vector<Distance>("node cuts", max_nodes);
      if (children.size() != dims.size() || cuts.size() != dims.size())
        corrupt("node arrays of sizes ", dims.size(), ", ", children.size(), ", ", cuts.size());
      tree.nodes.resize(dims.size());
      for (std::size_t i = 0; i < dims.size(); ++i) tree.nodes[i] = {dims[i], children[i], cuts[i]};
      detail::validate_forest_tree(tree, forest.points_.data(), n, d, fn);
    }
    return forest;
  }

 private:
  static constexpr const char* magic = "MLPRKDFR";
  static constexpr std::uint32_t format_version = 1;

  struct Unbuilt {};
  /// A forest over `points` with params and no trees yet (load fills them).
  RandomizedKDForest(Unbuilt, RowMatrix<Scalar> points, const KDForestParams& params)
      : params_(params), points_(std::move(points)), trees_(static_cast<std::size_t>(params.num_trees)) {}

  static std::uint8_t scalar_tag() {
    return static_cast<std::uint8_t>(sizeof(Scalar) | (std::is_integral_v<Scalar> ? 0x80 : 0));
  }

  static void check_params(const char* fn, const KDForestParams& p, Index d) {
    if (d == 0) throw_invalid_argument(fn, "points.cols() = 0: points need at least one dimension");
    check_positive(fn, "num_trees", p.num_trees);
    check_positive(fn, "leaf_size", p.leaf_size);
    check_positive(fn, "top_dims", p.top_dims);
    check_at_most(fn, "top_dims", p.top_dims, d, "the dimension");
    check_non_negative(fn, "num_threads", p.num_threads);
    if constexpr (std::is_integral_v<Scalar>)
      check_at_most(fn, "points.cols()", d, Index{33024}, "the largest byte dimension with exact 32-bit distances");
  }

  static void check_options(const char* fn, const SearchOptions& o) {
    check_non_negative(fn, "checks", o.checks);
    check_non_negative(fn, "eps", o.eps);
    check_finite(fn, "eps", o.eps);
    check_non_negative(fn, "max_distance", o.max_distance);
    check_non_negative(fn, "num_threads", o.num_threads);
  }

  /// max_distance in accumulated space: for bytes the largest integer not
  /// above it (distances are integers there).
  static Acc accumulated_limit(Distance max_distance) {
    const Distance limit = detail::knn_limit(Metric{}, max_distance);
    if constexpr (std::is_integral_v<Scalar>) {
      if (!(limit < static_cast<Distance>(std::numeric_limits<std::int32_t>::max())))
        return std::numeric_limits<std::int32_t>::max();
      return static_cast<std::int32_t>(std::floor(limit));
    } else {
      return limit;
    }
  }

  KDForestParams params_;
  RowMatrix<Scalar> points_;
  std::vector<Tree> trees_;
};

}  // namespace mlprim

#endif  // MLPRIM_NEIGHBORS_RANDOMIZED_FOREST_HPP
