// The communicator of all ranks of the test run, made by main() after
// MPI_Init and freed before MPI_Finalize.
#ifndef MLPRIM_TESTS_DISTRIBUTED_WORLD_HPP
#define MLPRIM_TESTS_DISTRIBUTED_WORLD_HPP

#include <mlprim/distributed.hpp>

namespace mlprim::test {

/// Every rank of this run (mpiexec -n N).
MpiCommunicator& world();

}  // namespace mlprim::test

#endif  // MLPRIM_TESTS_DISTRIBUTED_WORLD_HPP
