// mlprim optim: optimizers with torch.optim's exact semantics and defaults,
// fused single-pass kernels over contiguous buffers.
#ifndef MLPRIM_OPTIM_HPP
#define MLPRIM_OPTIM_HPP

#include "mlprim/core.hpp"
#include "mlprim/optim/optimizer.hpp"
#include "mlprim/optim/sgd.hpp"
#include "mlprim/optim/adam.hpp"
#include "mlprim/optim/rmsprop.hpp"
#include "mlprim/optim/adagrad.hpp"
#include "mlprim/optim/adadelta.hpp"
#include "mlprim/optim/adamax.hpp"
#include "mlprim/optim/nadam.hpp"
#include "mlprim/optim/radam.hpp"
#include "mlprim/optim/lion.hpp"
#include "mlprim/optim/schedule.hpp"
#include "mlprim/optim/clip.hpp"
#include "mlprim/optim/grad_scaler.hpp"
#include "mlprim/optim/master_weights.hpp"
#include "mlprim/optim/minimize.hpp"
#include "mlprim/optim/stochastic_approximation.hpp"

#endif  // MLPRIM_OPTIM_HPP
