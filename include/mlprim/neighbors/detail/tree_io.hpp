// Serialising a TreeCore in the core versioned binary format, and loading
// one with full validation (sizes, every index, the node structure, the
// depth bound, each split against its points) so that a corrupt stream
// throws std::runtime_error instead of giving a tree that reads out of
// bounds or prunes wrongly.
#ifndef MLPRIM_NEIGHBORS_DETAIL_TREE_IO_HPP
#define MLPRIM_NEIGHBORS_DETAIL_TREE_IO_HPP

#include <algorithm>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/core/io.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/neighbors/detail/tree_build.hpp"
#include "mlprim/neighbors/detail/tree_core.hpp"
#include "mlprim/neighbors/detail/tree_layout.hpp"

namespace mlprim::detail {

/// Writes the tree: scalar size, Dim and metric tags, the periodic box,
/// n, d, build parameters, points, index map and node arrays.
template <class Scalar, int Dim, class Metric>
void write_tree(const TreeCore<Scalar, Dim, Metric>& core, io::BinaryWriter& w) {
  static_assert(sizeof(Metric::power) > 0, "mlprim::KDTree::save: the metric needs a `power` tag");
  constexpr bool periodic = is_periodic<Metric>::value;
  w.value(static_cast<std::uint8_t>(sizeof(Scalar)));
  w.value(static_cast<std::int32_t>(Dim));
  w.string(Metric::name);
  w.value(static_cast<std::int32_t>(Metric::power));
  w.value(periodic);
  if constexpr (periodic) w.vector(core.config.metric.box);
  w.size(core.n);
  w.size(core.config.d);
  w.size(core.config.params.leaf_size);
  w.value(static_cast<std::uint8_t>(core.config.params.split));
  w.size(static_cast<Index>(core.data.size()));
  w.array(core.data.data(), static_cast<std::size_t>(core.data.size()));
  w.vector(core.index);
  const auto& nodes = core.nodes;
  std::vector<std::int32_t> dims(nodes.size()), children(nodes.size());
  std::vector<Scalar> lows(nodes.size()), highs(nodes.size());
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    dims[i] = nodes[i].dim;
    children[i] = nodes[i].child;
    lows[i] = nodes[i].low;
    highs[i] = nodes[i].high;
  }
  w.vector(dims);
  w.vector(children);
  w.vector(lows);
  w.vector(highs);
}

/// Checks core.nodes against the shared layout (tree_layout.hpp) and every
/// split's low <= high bounding its children's points; throws
/// std::runtime_error otherwise.
template <class Scalar, int Dim, class Metric>
void validate_nodes(const TreeCore<Scalar, Dim, Metric>& core, const char* fn) {
  using Node = typename TreeCore<Scalar, Dim, Metric>::Node;
  auto corrupt = [fn](const auto&... parts) {
    throw_runtime_error(fn, parts..., " (corrupt stream?)");
  };
  validate_tree_layout(
      core.nodes, core.n, core.config.d, fn,
      [&](std::int32_t id, const Node& node) {
        // The search's cell bounds take the cut between low and high: low > high
        // would let it bound a child that holds the query away from it (and prune).
        if (!(node.low <= node.high))
          corrupt("node ", id, " has low = ", node.low, " above high = ", node.high);
      },
      [&](std::int32_t id, const Node& node, Index lb, Index le, Index rb, Index re) {
        for (Index s = lb; s < le; ++s)
          if (!(core.point(s)[node.dim] <= node.low))
            corrupt("node ", id, " low = ", node.low, " is below a left point");
        for (Index s = rb; s < re; ++s)
          if (!(core.point(s)[node.dim] >= node.high))
            corrupt("node ", id, " high = ", node.high, " is above a right point");
      });
}

/// Reads and validates what write_tree wrote. Ids must be a permutation of
/// [0, n) when id_limit < 0, else distinct values in [0, id_limit).
template <class Scalar, int Dim, class Metric>
TreeCore<Scalar, Dim, Metric> read_tree(io::BinaryReader& r, const char* fn,
                                        std::int64_t id_limit) {
  constexpr bool periodic = is_periodic<Metric>::value;
  auto corrupt = [fn](const auto&... parts) {
    throw_runtime_error(fn, parts..., " (corrupt stream?)");
  };
  TreeCore<Scalar, Dim, Metric> core;
  auto& config = core.config;
  const auto scalar_size = r.value<std::uint8_t>("scalar size");
  const auto dim = r.value<std::int32_t>("Dim");
  const std::string name = r.string("metric name", 64);
  const auto power = r.value<std::int32_t>("metric power");
  const bool is_periodic = r.value<bool>("periodic flag");
  if (scalar_size != sizeof(Scalar) || dim != Dim || name != Metric::name ||
      power != Metric::power || is_periodic != periodic)
    throw_runtime_error(fn, "the stream holds a tree of ", int{scalar_size}, "-byte scalars, Dim ",
                        dim, ", metric ", name, "(", power, is_periodic ? ", periodic" : "",
                        "); this KDTree has ", sizeof(Scalar), "-byte scalars, Dim ", Dim,
                        ", metric ", Metric::name, "(", Metric::power, periodic ? ", periodic" : "",
                        ")");
  const std::uint64_t max_points = static_cast<std::uint64_t>(std::numeric_limits<std::int32_t>::max());
  if constexpr (periodic) config.metric.box = r.vector<double>("metric box", 1u << 20);
  core.n = static_cast<Index>(r.size("number of points", max_points));
  config.d = static_cast<Index>(r.size("dimension", 1u << 20));
  const Index n = core.n, d = config.d;
  if (d == 0 || (Dim != Eigen::Dynamic && d != Dim)) corrupt("dimension = ", d, " is invalid");
  try {
    config.period = periodic_box<Scalar>(fn, "metric box", config.metric, d);
  } catch (const std::invalid_argument& e) {
    corrupt(e.what());
  }
  config.params.leaf_size = static_cast<Index>(r.size("leaf size", max_points));
  const auto split = r.value<std::uint8_t>("split rule");
  if (config.params.leaf_size < 1 || split > 1)
    corrupt("leaf size ", config.params.leaf_size, " or split rule ", int{split});
  config.params.split = static_cast<SplitRule>(split);
  std::vector<Scalar> data = r.vector<Scalar>("points", max_points * (1u << 10));
  if (data.size() != static_cast<std::size_t>(n * d))
    corrupt("points hold ", data.size(), " values, not ", n, " x ", d);
  core.data = Eigen::Map<const Vector<Scalar>>(data.data(), n * d);
  for (Index s = 0; s < n; ++s) {
    try {
      config.check_point(fn, core.point(s), s, 1);
    } catch (const std::invalid_argument& e) {
      corrupt(e.what());
    }
  }
  core.index = r.vector<std::int32_t>("index map", static_cast<std::uint64_t>(n));
  if (static_cast<Index>(core.index.size()) != n)
    corrupt("index map holds ", core.index.size(), " entries, not ", n);
  const std::int64_t limit = id_limit < 0 ? n : id_limit;
  std::vector<bool> seen(static_cast<std::size_t>(limit));
  for (const Index id : core.index) {
    if (id < 0 || id >= limit || seen[static_cast<std::size_t>(id)])
      corrupt("index ", id, " is out of range or repeated");
    seen[static_cast<std::size_t>(id)] = true;
  }
  const std::uint64_t max_nodes = 2 * static_cast<std::uint64_t>(n);
  const auto dims = r.vector<std::int32_t>("node dimensions", max_nodes);
  const auto children = r.vector<std::int32_t>("node children", max_nodes);
  const auto lows = r.vector<Scalar>("node lows", max_nodes);
  const auto highs = r.vector<Scalar>("node highs", max_nodes);
  if (children.size() != dims.size() || lows.size() != dims.size() ||
      highs.size() != dims.size() || dims.empty() != (n == 0))
    corrupt("node arrays of sizes ", dims.size(), ", ", children.size(), ", ", lows.size(), ", ",
            highs.size());
  core.nodes.resize(dims.size());
  for (std::size_t i = 0; i < dims.size(); ++i)
    core.nodes[i] = {dims[i], children[i], lows[i], highs[i]};
  validate_nodes(core, fn);
  compute_bounds(core);
  return core;
}

}  // namespace mlprim::detail

#endif  // MLPRIM_NEIGHBORS_DETAIL_TREE_IO_HPP
