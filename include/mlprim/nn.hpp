// Neural-network layers as PyTorch computes them, forward and backward:
// elementwise activations with their derivatives, gated linear units and
// PReLU; nearest and bilinear upsampling, sub-pixel shuffles, transposed
// convolution, max pooling with indices and unpooling of images; receptive
// fields of layer stacks; vector quantisation (VQ-VAE); contrastive
// (InfoNCE, NT-Xent) and margin-softmax (ArcFace, CosFace, SphereFace)
// losses and soft classification metrics, with their gradients.
#ifndef MLPRIM_NN_HPP
#define MLPRIM_NN_HPP

#include "mlprim/core.hpp"
#include "mlprim/nn/activations.hpp"
#include "mlprim/nn/gated.hpp"
#include "mlprim/nn/contrastive.hpp"
#include "mlprim/nn/conv_transpose.hpp"
#include "mlprim/nn/image.hpp"
#include "mlprim/nn/margin_softmax.hpp"
#include "mlprim/nn/max_pool.hpp"
#include "mlprim/nn/pixel_shuffle.hpp"
#include "mlprim/nn/prelu.hpp"
#include "mlprim/nn/receptive_field.hpp"
#include "mlprim/nn/soft_metrics.hpp"
#include "mlprim/nn/upsample.hpp"
#include "mlprim/nn/vector_quantizer.hpp"

#endif  // MLPRIM_NN_HPP
