// Exact SHAP values of one tree's output for one row, in polynomial time
// (Lundberg, Erion et al. 2020, "From local explanations to global
// understanding with explainable AI for trees", Algorithm 2: TreeSHAP).
#ifndef MLPRIM_ENSEMBLE_DETAIL_TREE_SHAP_HPP
#define MLPRIM_ENSEMBLE_DETAIL_TREE_SHAP_HPP

#include <cmath>
#include <cstdint>
#include <vector>

#include "mlprim/ensemble/tree.hpp"

namespace mlprim {
namespace detail {

/// One feature on the decision path: the fraction of "zero" paths (feature
/// absent: the covers' share) and "one" paths (feature present: 1 if the row
/// follows the branch) flowing through, and the permutation weight.
struct ShapPathElement {
  std::int32_t feature = -1;
  double zero = 0, one = 0, weight = 0;
};

/// Scratch for tree_shap, reused across rows (one per thread).
struct TreeShapWorkspace {
  std::vector<ShapPathElement> path;
};

/// Appends a feature with fractions (zero, one) to the path path[0, len)
/// and updates the weights of all subset sizes (the paper's EXTEND).
inline void shap_extend(ShapPathElement* path, int len, double zero, double one,
                        std::int32_t feature) {
  path[len] = {feature, zero, one, len == 0 ? 1.0 : 0.0};
  for (int i = len - 1; i >= 0; --i) {
    path[i + 1].weight += one * path[i].weight * (i + 1) / (len + 1);
    path[i].weight = zero * path[i].weight * (len - i) / (len + 1);
  }
}

/// Removes element `at` of path[0, len), undoing its extension (UNWIND).
inline void shap_unwind(ShapPathElement* path, int len, int at) {
  const double one = path[at].one, zero = path[at].zero;
  double next = path[len - 1].weight;
  for (int j = len - 2; j >= 0; --j) {
    if (one != 0) {
      const double kept = path[j].weight;
      path[j].weight = next * len / ((j + 1) * one);
      next = kept - path[j].weight * zero * (len - (j + 1)) / len;
    } else {
      path[j].weight = path[j].weight * len / (zero * (len - (j + 1)));
    }
  }
  for (int j = at; j < len - 1; ++j) {
    path[j].feature = path[j + 1].feature;
    path[j].zero = path[j + 1].zero;
    path[j].one = path[j + 1].one;
  }
}

/// Sum of the weights path[0, len) would have after unwinding element `at`,
/// without changing the path.
inline double shap_unwound_sum(const ShapPathElement* path, int len, int at) {
  const double one = path[at].one, zero = path[at].zero;
  double next = path[len - 1].weight, total = 0;
  for (int j = len - 2; j >= 0; --j) {
    if (one != 0) {
      const double w = next * len / ((j + 1) * one);
      total += w;
      next = path[j].weight - w * zero * (len - (j + 1)) / len;
    } else if (zero != 0) {
      total += path[j].weight * len / (zero * (len - (j + 1)));
    }
  }
  return total;
}

/// Cover-weighted mean of the leaves below node i (the tree's expectation).
inline double shap_node_mean(const RegressionTree& t, std::int32_t i) {
  const auto u = static_cast<std::size_t>(i);
  if (t.left_children[u] < 0) return t.split_conditions[u];
  const std::int32_t l = t.left_children[u], r = t.right_children[u];
  const double cl = t.sum_hessian[static_cast<std::size_t>(l)];
  const double cr = t.sum_hessian[static_cast<std::size_t>(r)];
  const double c = cl + cr;
  if (!(c > 0)) return 0.5 * (shap_node_mean(t, l) + shap_node_mean(t, r));
  return (cl * shap_node_mean(t, l) + cr * shap_node_mean(t, r)) / c;
}

inline void shap_recurse(const RegressionTree& t, const float* row, double* phi,
                         ShapPathElement* path, int len, std::int32_t node, double zero, double one,
                         std::int32_t feature) {
  shap_extend(path, len, zero, one, feature);
  ++len;
  const auto u = static_cast<std::size_t>(node);
  if (t.left_children[u] < 0) {
    const double value = t.split_conditions[u];
    for (int i = 1; i < len; ++i)
      phi[path[i].feature] += shap_unwound_sum(path, len, i) * (path[i].one - path[i].zero) * value;
    return;
  }
  const std::int32_t split = t.split_indices[u];
  const bool left = t.goes_left(u, row[split]);
  const std::int32_t hot = left ? t.left_children[u] : t.right_children[u];
  const std::int32_t cold = left ? t.right_children[u] : t.left_children[u];
  double in_zero = 1, in_one = 1;
  for (int k = 1; k < len; ++k)
    if (path[k].feature == split) {
      in_zero = path[k].zero;
      in_one = path[k].one;
      shap_unwind(path, len, k);
      --len;
      break;
    }
  const double cover = t.sum_hessian[u];
  auto share = [&](std::int32_t c) {
    return cover > 0 ? t.sum_hessian[static_cast<std::size_t>(c)] / cover : 0.0;
  };
  ShapPathElement* next = path + len;
  std::copy(path, path + len, next);
  shap_recurse(t, row, phi, next, len, hot, in_zero * share(hot), in_one, split);
  std::copy(path, path + len, next);
  shap_recurse(t, row, phi, next, len, cold, in_zero * share(cold), 0.0, split);
}

/// Adds tree t's SHAP values for `row` (floats, NaN = missing) to phi[0, p)
/// and its expected value (cover-weighted mean leaf) to phi[p]; then
/// sum(phi) grows by exactly the row's leaf value. O(leaves * depth^2).
inline void tree_shap(const RegressionTree& t, const float* row, double* phi, Index p,
                      TreeShapWorkspace& ws) {
  phi[p] += shap_node_mean(t, 0);
  int depth = 0;
  {
    std::vector<std::pair<std::int32_t, int>> stack = {{0, 0}};
    while (!stack.empty()) {
      const auto [i, d] = stack.back();
      stack.pop_back();
      depth = std::max(depth, d);
      const auto u = static_cast<std::size_t>(i);
      if (t.left_children[u] >= 0) {
        stack.push_back({t.left_children[u], d + 1});
        stack.push_back({t.right_children[u], d + 1});
      }
    }
  }
  const auto need = static_cast<std::size_t>((depth + 2) * (depth + 3) / 2);
  if (ws.path.size() < need) ws.path.resize(need);
  shap_recurse(t, row, phi, ws.path.data(), 0, 0, 1.0, 1.0, -1);
}

}  // namespace detail
}  // namespace mlprim

#endif  // MLPRIM_ENSEMBLE_DETAIL_TREE_SHAP_HPP
