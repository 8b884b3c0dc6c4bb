#!/usr/bin/python3
# Reference numbers from PyTorch (Debian's python3-torch) for the attention
# tests: softmax attention written with torch operations (Debian's torch 1.13
# predates F.scaled_dot_product_attention; this is its math backend's
# formula) with autograd gradients, and
# RoPE written with torch operations (the Hugging Face half-split layout and
# the interleaved GPT-J layout), and linear attention (elu+1 and TransNormer)
# with autograd gradients. Run from this folder:
#   /usr/bin/python3 make_torch_reference.py > torch_reference.txt
import math

import torch

torch.manual_seed(20261123)
torch.set_default_dtype(torch.float64)


def block(name, a):
    a = a.detach().reshape(a.shape[0], -1) if a.dim() > 1 else a.detach().reshape(-1, 1)
    print(name, a.shape[0], a.shape[1])
    for row in a.tolist():
        print(" ".join(repr(float(v)) for v in row))


print("# torch", torch.__version__)
# SDPA cases: (name, Nq, Nk, d, dv, is_causal, with attn_mask, scale)
for name, nq, nk, d, dv, causal, with_mask, scale in [
        ("sdpa_causal", 10, 10, 8, 6, True, False, None),
        ("sdpa_mask", 7, 12, 5, 3, False, True, 0.3)]:
    q = torch.randn(nq, d, requires_grad=True)
    k = torch.randn(nk, d, requires_grad=True)
    v = torch.randn(nk, dv, requires_grad=True)
    w = torch.randn(nq, dv)
    mask = None
    if with_mask:
        mask = torch.randn(nq, nk)
        mask[torch.rand(nq, nk) < 0.25] = -math.inf
        mask[:, 0] = 0.0  # keep every row partly visible (PyTorch gives NaN for fully masked rows)
    scores = (q @ k.T) * (scale if scale is not None else 1.0 / math.sqrt(d))
    if mask is not None:
        scores = scores + mask
    if causal:  # top-left, as PyTorch's is_causal
        scores = scores.masked_fill(torch.ones(nq, nk).triu(1).bool(), -math.inf)
    out = torch.softmax(scores, dim=-1) @ v
    (out * w).sum().backward()
    for part, value in [("q", q), ("k", k), ("v", v), ("w", w), ("out", out), ("dq", q.grad), ("dk", k.grad),
                        ("dv", v.grad)]:
        block(name + "_" + part, value)
    if mask is not None:
        block(name + "_bias", mask)

x = torch.randn(6, 8)
positions = torch.tensor([0, 1, 3, 7, 100, 1000], dtype=torch.float64)


def rope(x, positions, base, interleaved):
    d = x.shape[1]
    theta = base ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)
    angle = positions[:, None] * theta[None, :]
    cos, sin = torch.cos(angle), torch.sin(angle)
    if interleaved:
        x1, x2 = x[:, 0::2], x[:, 1::2]
        out = torch.empty_like(x)
        out[:, 0::2] = x1 * cos - x2 * sin
        out[:, 1::2] = x2 * cos + x1 * sin
        return out
    x1, x2 = x[:, : d // 2], x[:, d // 2:]
    return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], dim=1)


block("rope_x", x)
block("rope_positions", positions)
block("rope_half", rope(x, positions, 10000.0, False))
block("rope_interleaved", rope(x, positions, 500.0, True))

# Linear attention (Katharopoulos et al.): elu+1 features, causal through
# cumulative sums, normalised with eps = 1e-6; and a TransNormer variant
# (ReLU features, no normaliser, torch's layer_norm without affine weights).
for name, n, d, dv, causal, transnormer in [
        ("linear_causal", 12, 6, 5, True, False),
        ("linear_full", 9, 4, 3, False, False),
        ("linear_transnormer", 10, 5, 4, True, True)]:
    q = torch.randn(n, d, requires_grad=True)
    k = torch.randn(n, d, requires_grad=True)
    v = torch.randn(n, dv, requires_grad=True)
    w = torch.randn(n, dv)
    phi = torch.relu if transnormer else (lambda x: torch.nn.functional.elu(x) + 1)
    fq, fk = phi(q), phi(k)
    if causal:
        state = torch.cumsum(fk[:, :, None] * v[:, None, :], dim=0)  # S_t = sum_{j<=t} phi(k_j) v_j^T
        num = torch.einsum("nm,nmv->nv", fq, state)
        den = (fq * torch.cumsum(fk, dim=0)).sum(dim=1)
    else:
        num = fq @ (fk.T @ v)
        den = fq @ fk.sum(dim=0)
    out = torch.nn.functional.layer_norm(num, (dv,), eps=1e-5) if transnormer else num / (den + 1e-6)[:, None]
    (out * w).sum().backward()
    for part, value in [("q", q), ("k", k), ("v", v), ("w", w), ("out", out), ("dq", q.grad), ("dk", k.grad),
                        ("dv", v.grad)]:
        block(name + "_" + part, value)
