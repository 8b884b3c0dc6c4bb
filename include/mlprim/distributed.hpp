// mlprim's distributed layer: the Communicator interface and its MPI
// implementation, data-parallel optimizer steps and sharded k-NN. Needs MPI:
// link the CMake target mlprim::distributed (made when find_package(MPI)
// succeeds). Nothing else in mlprim includes MPI.
#ifndef MLPRIM_DISTRIBUTED_HPP
#define MLPRIM_DISTRIBUTED_HPP

#include "mlprim/distributed/communicator.hpp"
#include "mlprim/distributed/gradients.hpp"
#include "mlprim/distributed/mpi_communicator.hpp"
#include "mlprim/distributed/sharded_knn.hpp"

#endif  // MLPRIM_DISTRIBUTED_HPP
