// The node layout every tree of the neighbors module shares, and the check
// of a loaded tree against it. An internal node has dim >= 0 and children
// `child` (left) and `child + 1` (right); a leaf has dim = -count and holds
// slots [child, child + count). Node types differ only in what a split
// stores (KDTree: low and high; the randomized forest: one cut).
#ifndef MLPRIM_NEIGHBORS_DETAIL_TREE_LAYOUT_HPP
#define MLPRIM_NEIGHBORS_DETAIL_TREE_LAYOUT_HPP

#include <algorithm>
#include <cstdint>
#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/neighbors/detail/tree_build.hpp"

namespace mlprim::detail {

/// Checks that `nodes` is a tree rooted at 0 whose leaves tile slots
/// [0, n) in depth-first order, no deeper than max_tree_depth(n), with split
/// dimensions below d and children after their parent. check_node(id, node)
/// vets each internal node's stored split before its children are visited;
/// check_split(id, node, left_begin, left_end, right_begin, right_end) checks
/// it against its subtrees' slots once both are known. Any failure throws
/// std::runtime_error naming fn (the callbacks throw their own).
template <class Node, class CheckNode, class CheckSplit>
void validate_tree_layout(const std::vector<Node>& nodes, Index n, Index d, const char* fn,
                          const CheckNode& check_node, const CheckSplit& check_split) {
  if (nodes.empty()) return;
  auto corrupt = [fn](const auto&... parts) {
    throw_runtime_error(fn, parts..., " (corrupt stream?)");
  };
  const Index max_depth = max_tree_depth(n);
  const auto count = static_cast<std::int32_t>(nodes.size());
  std::vector<Index> begin(nodes.size(), -1), end(nodes.size(), -1);
  std::vector<bool> visited(nodes.size());
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
    const Node& node = nodes[u];
    if (frame.children_done) {  // both subtrees checked: check the split
      const auto l = static_cast<std::size_t>(node.child), r = l + 1;
      begin[u] = begin[l];
      end[u] = end[r];
      check_split(frame.id, node, begin[l], end[l], begin[r], end[r]);
      continue;
    }
    if (visited[u] || frame.depth > max_depth)
      corrupt("node ", frame.id, " is shared, cyclic or too deep");
    visited[u] = true;
    if (node.dim < 0) {
      const Index leaf_count = -Index{node.dim};
      if (node.child != next_slot || leaf_count > n - next_slot)
        corrupt("leaf ", frame.id, " holds slots ", node.child, " + ", leaf_count,
                ", expected from ", next_slot);
      begin[u] = next_slot;
      next_slot += leaf_count;
      end[u] = next_slot;
      continue;
    }
    if (node.dim >= d || node.child <= frame.id || node.child >= count - 1)
      corrupt("node ", frame.id, " has dimension ", node.dim, " and children ", node.child);
    check_node(frame.id, node);
    stack.push_back({frame.id, frame.depth, true});
    stack.push_back({node.child + 1, frame.depth + 1, false});
    stack.push_back({node.child, frame.depth + 1, false});
  }
  if (next_slot != n || std::find(visited.begin(), visited.end(), false) != visited.end())
    corrupt("the leaves cover ", next_slot, " of ", n, " points or some nodes are unreachable");
}

}  // namespace mlprim::detail

#endif  // MLPRIM_NEIGHBORS_DETAIL_TREE_LAYOUT_HPP
