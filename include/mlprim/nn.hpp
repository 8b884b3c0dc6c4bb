// Neural-network layers as PyTorch computes them, forward and backward:
// elementwise activations with their derivatives, gated linear units and
// PReLU.
#ifndef MLPRIM_NN_HPP
#define MLPRIM_NN_HPP

#include "mlprim/core.hpp"
#include "mlprim/nn/activations.hpp"
#include "mlprim/nn/gated.hpp"
#include "mlprim/nn/prelu.hpp"

#endif  // MLPRIM_NN_HPP
