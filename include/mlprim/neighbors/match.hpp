// Descriptor matching: Lowe's ratio test on the two nearest neighbours
// ("Distinctive image features from scale-invariant keypoints", IJCV 2004,
// section 7.1) with an optional mutual-nearest cross-check, over any index
// of the module (KDTree, RandomizedKDForest).
//
//   mlprim::RandomizedKDForest<std::uint8_t> forest(train);
//   auto matches = mlprim::match_descriptors(forest, queries, mlprim::MatchOptions{});
#ifndef MLPRIM_NEIGHBORS_MATCH_HPP
#define MLPRIM_NEIGHBORS_MATCH_HPP

#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/core/types.hpp"
#include "mlprim/neighbors/kdtree.hpp"
#include "mlprim/neighbors/randomized_forest.hpp"

namespace mlprim {

/// Options of match_descriptors.
struct MatchOptions {
  /// Keep a query's nearest train descriptor when d1 < ratio * d2 (d1, d2
  /// the two nearest distances; Lowe's 0.8), in (0, 1].
  double ratio = 0.8;
  /// Also require the match to be mutual: the train descriptor's nearest
  /// query is this query (searched in an index of the queries built like
  /// the train index).
  bool cross_check = false;
};

/// One match: query row, train row and their distance.
template <class Distance>
struct DescriptorMatch {
  Index query;        ///< row of the queries
  Index train;        ///< row of the index's points
  Distance distance;  ///< their distance
};

namespace detail {

/// An index of the same kind and parameters as `like` over other points.
template <class Scalar, int Dim, class Metric>
KDTree<Scalar, Dim, Metric> index_like(const KDTree<Scalar, Dim, Metric>& like,
                                       const Eigen::Ref<const RowMatrix<Scalar>>& points) {
  return KDTree<Scalar, Dim, Metric>(points, like.params(), like.metric());
}
template <class Scalar, class Metric>
RandomizedKDForest<Scalar, Metric> index_like(const RandomizedKDForest<Scalar, Metric>& like,
                                              const Eigen::Ref<const RowMatrix<Scalar>>& points) {
  return RandomizedKDForest<Scalar, Metric>(points, like.params());
}

}  // namespace detail

/// Matches each row of `queries` to the index's points by the ratio test
/// (and the cross-check when asked), searching with `search` (the index's
/// own options type: KnnOptions for KDTree, ForestSearchOptions for the
/// forest, whose budget then applies to both directions). Returns the
/// matches by increasing query row. The index needs at least 2 points.
template <class IndexT>
std::vector<DescriptorMatch<typename IndexT::distance_type>> match_descriptors(
    const IndexT& index, const Eigen::Ref<const RowMatrix<typename IndexT::value_type>>& queries,
    const MatchOptions& options = {}, const typename IndexT::SearchOptions& search = {}) {
  using Distance = typename IndexT::distance_type;
  const char* fn = "match_descriptors";
  if (!(options.ratio > 0 && options.ratio <= 1))
    throw_invalid_argument(fn, "ratio = ", options.ratio, " must be in (0, 1]");
  if (index.size() < 2)
    throw_invalid_argument(fn, "the index holds ", index.size(),
                           " points; the ratio test needs at least 2");
  const auto nearest = index.knn(queries, 2, search);
  std::vector<DescriptorMatch<Distance>> matches;
  for (Index q = 0; q < queries.rows(); ++q) {
    const Distance d1 = nearest.distances(q, 0), d2 = nearest.distances(q, 1);
    if (nearest.indices(q, 0) >= 0 && static_cast<double>(d1) < options.ratio * static_cast<double>(d2))
      matches.push_back({q, nearest.indices(q, 0), d1});
  }
  if (!options.cross_check || matches.empty()) return matches;
  // The matched train rows, searched among the queries.
  const auto& train = index.points();
  RowMatrix<typename IndexT::value_type> rows(static_cast<Index>(matches.size()), index.dimension());
  for (std::size_t i = 0; i < matches.size(); ++i) rows.row(static_cast<Index>(i)) = train.row(matches[i].train);
  const auto back = detail::index_like(index, queries).knn(rows, 1, search);
  std::vector<DescriptorMatch<Distance>> mutual;
  for (std::size_t i = 0; i < matches.size(); ++i)
    if (back.indices(static_cast<Index>(i), 0) == matches[i].query) mutual.push_back(matches[i]);
  return mutual;
}

}  // namespace mlprim

#endif  // MLPRIM_NEIGHBORS_MATCH_HPP
