// mlprim neighbors: k-d trees (static and dynamic) for nearest-neighbour,
// radius and box search, and the brute-force search they are checked against.
#ifndef MLPRIM_NEIGHBORS_HPP
#define MLPRIM_NEIGHBORS_HPP

#include "mlprim/core.hpp"
#include "mlprim/neighbors/types.hpp"
#include "mlprim/neighbors/metrics.hpp"
#include "mlprim/neighbors/kdtree.hpp"
#include "mlprim/neighbors/dynamic_kdtree.hpp"
#include "mlprim/neighbors/bruteforce.hpp"
#include "mlprim/neighbors/randomized_forest.hpp"
#include "mlprim/neighbors/match.hpp"

#endif  // MLPRIM_NEIGHBORS_HPP
