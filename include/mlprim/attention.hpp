// mlprim attention: exact softmax attention (the materialised reference and
// FlashAttention-2 forward and backward), linear attention with its
// feature maps (elu+1, ReLU, Performer FAVOR+), FLASH's squared-ReLU and
// mixed-chunk attention and gated attention unit, rotary position
// embeddings, KV-cache decoding with tree attention, and the acceptance
// rules of speculative decoding.
#ifndef MLPRIM_ATTENTION_HPP
#define MLPRIM_ATTENTION_HPP

#include "mlprim/core.hpp"
#include "mlprim/attention/sparsity.hpp"
#include "mlprim/attention/sparse_patterns.hpp"
#include "mlprim/attention/options.hpp"
#include "mlprim/attention/shape.hpp"
#include "mlprim/attention/reference.hpp"
#include "mlprim/attention/flash.hpp"
#include "mlprim/attention/rotary.hpp"
#include "mlprim/attention/feature_maps.hpp"
#include "mlprim/attention/output_norm.hpp"
#include "mlprim/attention/linear.hpp"
#include "mlprim/attention/linear_state.hpp"
#include "mlprim/attention/performer.hpp"
#include "mlprim/attention/relu2.hpp"
#include "mlprim/attention/gau.hpp"
#include "mlprim/attention/batched.hpp"
#include "mlprim/attention/decode.hpp"
#include "mlprim/attention/tree_attention.hpp"
#include "mlprim/attention/speculative.hpp"

#endif  // MLPRIM_ATTENTION_HPP
