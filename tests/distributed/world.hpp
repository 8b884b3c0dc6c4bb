// The communicator of all ranks of the test run, made by main() after
// MPI_Init and freed before MPI_Finalize.
#ifndef MLPRIM_TESTS_DISTRIBUTED_WORLD_HPP
#define MLPRIM_TESTS_DISTRIBUTED_WORLD_HPP

#include <mlprim/distributed.hpp>

namespace mlprim::test {

/// Every rank of this run (mpiexec -n N).
MpiCommunicator& world();

/// Uneven shards of n rows over P ranks: rank r's share is proportional to
/// r + 1, except that with three or more ranks rank 1's shard is empty;
/// rank r gets rows [cut(r), cut(r + 1)).
inline Index cut(int r, int P, Index n) {
  auto weight = [P](int s) { return (P >= 3 && s == 1) ? 0 : s + 1; };
  Index below = 0, total = 0;
  for (int s = 0; s < P; ++s) {
    total += weight(s);
    if (s < r) below += weight(s);
  }
  return n * below / total;
}

/// Rank r's rows of `all` (a matrix or vector) under cut().
template <class M>
M shard_of(const M& all, int r, int P) {
  const Index n = all.rows(), lo = cut(r, P, n), hi = cut(r + 1, P, n);
  return all.middleRows(lo, hi - lo);
}

}  // namespace mlprim::test

#endif  // MLPRIM_TESTS_DISTRIBUTED_WORLD_HPP
