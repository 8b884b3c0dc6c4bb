// Everything in mlprim: includes every module's entry header (but
// mlprim/distributed.hpp, which needs MPI and the mlprim::distributed target).
#ifndef MLPRIM_MLPRIM_HPP
#define MLPRIM_MLPRIM_HPP

#include "mlprim/core.hpp"
#include "mlprim/neighbors.hpp"
#include "mlprim/optim.hpp"
#include "mlprim/attention.hpp"
#include "mlprim/ssm.hpp"
#include "mlprim/ensemble.hpp"
#include "mlprim/nn.hpp"

#endif  // MLPRIM_MLPRIM_HPP
