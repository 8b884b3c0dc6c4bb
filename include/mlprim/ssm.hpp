// State-space models: HiPPO matrices and S4/S4D initialisations,
// discretisation, HiPPO-LegS online memory, convolution kernels and the
// convolutional and recurrent modes, parallel linear scans, Mamba's
// selective scan (forward, backward, decoding), its causal convolution and
// block, and Mamba-2's SSD scan.
#ifndef MLPRIM_SSM_HPP
#define MLPRIM_SSM_HPP

#include "mlprim/core.hpp"
#include "mlprim/ssm/hippo.hpp"
#include "mlprim/ssm/discretize.hpp"
#include "mlprim/ssm/hippo_memory.hpp"
#include "mlprim/ssm/kernel.hpp"
#include "mlprim/ssm/convolution.hpp"
#include "mlprim/ssm/recurrence.hpp"
#include "mlprim/ssm/linear_scan.hpp"
#include "mlprim/ssm/selective_scan.hpp"
#include "mlprim/ssm/selective_scan_backward.hpp"
#include "mlprim/ssm/state_update.hpp"
#include "mlprim/ssm/causal_conv1d.hpp"
#include "mlprim/ssm/ssd.hpp"
#include "mlprim/ssm/mamba_block.hpp"

#endif  // MLPRIM_SSM_HPP
