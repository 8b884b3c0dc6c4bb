// The public vocabulary of the neighbors module: build parameters, query
// options and result types shared by KDTree, DynamicKDTree,
// RandomizedKDForest and the brute force.
#ifndef MLPRIM_NEIGHBORS_TYPES_HPP
#define MLPRIM_NEIGHBORS_TYPES_HPP

#include <cstdint>
#include <limits>
#include <vector>

#include "mlprim/core/types.hpp"

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

/// Which exact search KDTree::knn runs. The results are identical whichever
/// runs (same indices, tie order, distances and padding); only the time
/// differs.
enum class KnnMethod : std::uint8_t {
  /// Chosen per call by a cost model (see KDTree::knn).
  Auto = 0,
  /// Branch-and-bound over the tree.
  Tree = 1,
  /// Every query against every point (GEMM-screened for L2).
  BruteForce = 2,
};

/// kNN query options.
template <class Scalar>
struct KnnOptions {
  /// 0 for exact results; > 0 returns neighbours whose i-th distance is at
  /// most (1 + eps) times the true i-th distance (tree search only: the
  /// brute force is always exact, and Auto takes the tree when eps > 0).
  Scalar eps = 0;
  /// Only neighbours at distance <= max_distance; missing ones are padded
  /// with index -1 and distance +inf.
  Scalar max_distance = std::numeric_limits<Scalar>::infinity();
  int num_threads = 0;  ///< threads over queries (0 = all)
  /// KDTree::knn over query rows: tree, brute force or the cost model's
  /// choice. DynamicKDTree and the single-query calls always use their trees.
  KnnMethod method = KnnMethod::Auto;
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
  KnnMethod method = KnnMethod::Tree;  ///< the method that ran (Tree or BruteForce)
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

}  // namespace mlprim

#endif  // MLPRIM_NEIGHBORS_TYPES_HPP
