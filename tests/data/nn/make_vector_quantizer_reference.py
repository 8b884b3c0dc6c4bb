#!/usr/bin/python3
# Reference numbers for the VectorQuantizer tests, from Debian's python3-torch
# (float64), written as a VQ-VAE layer is in PyTorch: nearest codes by
# argmin of torch.cdist, the straight-through output x + (e - x).detach(),
# loss = F.mse_loss(e, x.detach()) + beta F.mse_loss(x, e.detach()), and the
# autograd gradients of sum(grad_out * quantized_st) + loss with respect to
# x and the codebook. Then one EMA step (Sonnet's VectorQuantizerEMA
# update with Laplace smoothing) from counts N = 1, sums m = codebook.
# Run from this folder:
#   /usr/bin/python3 make_vector_quantizer_reference.py > vector_quantizer_reference.txt
import torch
import torch.nn.functional as F
from torch_blocks import block

torch.manual_seed(20261205)
torch.set_default_dtype(torch.float64)

print("# torch", torch.__version__)
n, K, D, beta = 37, 9, 5, 0.3
x = torch.randn(n, D)
codebook = torch.randn(K, D)
grad_out = torch.randn(n, D)
block("x", x)
block("codebook", codebook)
block("grad_out", grad_out)

xt = x.clone().requires_grad_(True)
et = codebook.clone().requires_grad_(True)
indices = torch.cdist(xt.detach(), et.detach()).argmin(dim=1)
e = et[indices]
quantized = xt + (e - xt).detach()
codebook_loss = F.mse_loss(e, xt.detach())
commitment_loss = F.mse_loss(xt, e.detach())
loss = codebook_loss + beta * commitment_loss
((quantized * grad_out).sum() + loss).backward()
counts = torch.bincount(indices, minlength=K).double()
p = counts / n
perplexity = torch.exp(-(p[p > 0] * p[p > 0].log()).sum())
block("indices", indices)
block("quantized", quantized)
block("losses", torch.stack([codebook_loss, commitment_loss, loss, perplexity]))
block("grad_x", xt.grad)
block("grad_codebook", et.grad)

# One EMA step.
decay, eps = 0.9, 1e-5
one_hot = F.one_hot(indices, K).double()
N = decay * torch.ones(K) + (1 - decay) * one_hot.sum(0)
m = decay * codebook + (1 - decay) * one_hot.t() @ x
total = N.sum()
smoothed = (N + eps) / (total + K * eps) * total
block("ema_counts", N)
block("ema_sums", m)
block("ema_codebook", m / smoothed[:, None])
