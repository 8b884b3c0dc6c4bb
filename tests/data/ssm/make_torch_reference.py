#!/usr/bin/python3
# Reference numbers from PyTorch (Debian's python3-torch) for the selective
# scan tests: Mamba's reference formula (selective_scan_ref in
# state-spaces/mamba, mamba_ssm/ops/selective_scan_interface.py) written
# out with torch operations in the layout of that function (batch, channels,
# length), with autograd gradients. Two extensions are spelled out beside
# the formula: an initial state (the reference starts from zeros) and packed
# variable-length batches (each sequence run on its own and concatenated).
# Run from this folder:
#   /usr/bin/python3 make_torch_reference.py > torch_reference.txt
import torch
import torch.nn.functional as F

torch.manual_seed(20261202)
torch.set_default_dtype(torch.float64)


def block(name, a):
    a = a.detach()
    if a.is_complex():
        block(name + "_re", a.real)
        block(name + "_im", a.imag)
        return
    a = a.reshape(a.shape[0], -1) if a.dim() > 1 else a.reshape(-1, 1)
    print(name, a.shape[0], a.shape[1])
    for row in a.tolist():
        print(" ".join(repr(float(v)) for v in row))


def selective_scan(u, delta, A, B, C, D=None, z=None, delta_bias=None, delta_softplus=False,
                   x0=None):
    """u, delta, z: (dim, L); A: (dim, N); B, C: (dim, N) time-invariant, (N, L) varying or
    (G, N, L) grouped; returns (out (dim, L), last state (dim, N))."""
    if delta_bias is not None:
        delta = delta + delta_bias[:, None]
    if delta_softplus:
        delta = F.softplus(delta)
    dim, N = A.shape
    deltaA = torch.exp(torch.einsum("dl,dn->dln", delta, A))
    if B.dim() == 2 and B.shape[0] == dim and not (B.shape[1] == u.shape[1]):
        deltaB_u = torch.einsum("dl,dn,dl->dln", delta, B, u)
        b_invariant = True
    elif B.dim() == 2:
        deltaB_u = torch.einsum("dl,nl,dl->dln", delta, B, u)
        b_invariant = False
    else:
        Bg = B.repeat_interleave(dim // B.shape[0], dim=0)
        deltaB_u = torch.einsum("dl,dnl,dl->dln", delta, Bg, u)
        b_invariant = False
    if C.dim() == 3:
        C = C.repeat_interleave(dim // C.shape[0], dim=0)
    x = torch.zeros(dim, N, dtype=deltaA.dtype) if x0 is None else x0
    ys = []
    for i in range(u.shape[1]):
        x = deltaA[:, i] * x + deltaB_u[:, i]
        if C.dim() == 2 and C.shape[0] == dim and C.shape[1] == N and C.shape[1] != u.shape[1]:
            y = torch.einsum("dn,dn->d", x, C)
        elif C.dim() == 2:
            y = torch.einsum("dn,n->d", x, C[:, i])
        else:
            y = torch.einsum("dn,dn->d", x, C[:, :, i])
        if y.is_complex():
            y = y.real * 2
        ys.append(y)
    y = torch.stack(ys, dim=1)
    out = y if D is None else y + u * D[:, None]
    if z is not None:
        out = out * F.silu(z)
    return out, x


print("# torch", torch.__version__)
L, dim, N = 12, 6, 4
# Every case stores its inputs in mlprim's layout (one time step per row): u,
# delta, z as L x dim; B, C as L x (G N) or dim x N.
cases = [
    # name, groups (0 = time-invariant B and C), D, z, delta_bias, softplus, x0
    ("plain", 1, False, False, False, False, False),
    ("full", 1, True, True, True, True, True),
    ("grouped", 2, True, True, False, True, False),
    ("invariant", 0, True, False, True, True, False),
]
for name, groups, with_D, with_z, with_bias, softplus, with_x0 in cases:
    u = torch.randn(dim, L, requires_grad=True)
    delta = (0.5 * torch.rand(dim, L) + 0.05).requires_grad_()
    A = (-torch.rand(dim, N) - 0.5).requires_grad_()
    if groups == 0:
        B = torch.randn(dim, N, requires_grad=True)
        C = torch.randn(dim, N, requires_grad=True)
    elif groups == 1:
        B = torch.randn(N, L, requires_grad=True)
        C = torch.randn(N, L, requires_grad=True)
    else:
        B = torch.randn(groups, N, L, requires_grad=True)
        C = torch.randn(groups, N, L, requires_grad=True)
    D = torch.randn(dim, requires_grad=True) if with_D else None
    z = torch.randn(dim, L, requires_grad=True) if with_z else None
    bias = torch.randn(dim, requires_grad=True) if with_bias else None
    x0 = torch.randn(dim, N, requires_grad=True) if with_x0 else None
    out, last = selective_scan(u, delta, A, B, C, D, z, bias, softplus, x0)
    w = torch.randn(dim, L)
    (out * w).sum().backward()

    def rows(t):  # to mlprim's layout
        if t.dim() == 2 and t.shape[1] == L:
            return t.T
        if t.dim() == 3:  # (G, N, L) -> L x (G N)
            return t.permute(2, 0, 1).reshape(L, -1)
        return t

    for part, value in [("u", u), ("delta", delta), ("A", A), ("B", B), ("C", C), ("w", w)]:
        block(name + "_" + part, rows(value))
        if value.grad is not None:
            block(name + "_d" + part, rows(value.grad))
    for part, value in [("D", D), ("z", z), ("bias", bias), ("x0", x0)]:
        if value is not None:
            block(name + "_" + part, rows(value))
            block(name + "_d" + part, rows(value.grad))
    block(name + "_out", rows(out))
    block(name + "_last", last)

# Complex A with varying complex B and C (S4D-style), D and z.
u = torch.randn(dim, L)
delta = 0.5 * torch.rand(dim, L) + 0.05
A = torch.complex(-torch.rand(dim, N) - 0.5, torch.randn(dim, N))
B = torch.complex(torch.randn(N, L), torch.randn(N, L))
C = torch.complex(torch.randn(N, L), torch.randn(N, L))
D = torch.randn(dim)
z = torch.randn(dim, L)
out, last = selective_scan(u, delta, A, B, C, D, z, None, False, None)
for part, value in [("u", u.T), ("delta", delta.T), ("A", A), ("B", B.T), ("C", C.T), ("D", D),
                    ("z", z.T), ("out", out.T), ("last", last)]:
    block("complex_" + part, value)

# A packed batch of three sequences (lengths 5, 0, 7), each from its own state.
lengths = [5, 0, 7]
u = torch.randn(dim, sum(lengths))
delta = 0.5 * torch.rand(dim, sum(lengths)) + 0.05
A = -torch.rand(dim, N) - 0.5
B = torch.randn(N, sum(lengths))
C = torch.randn(N, sum(lengths))
x0 = torch.randn(len(lengths) * dim, N)
outs, lasts, start = [], [], 0
for s, length in enumerate(lengths):
    seq = slice(start, start + length)
    state = x0[s * dim:(s + 1) * dim]
    if length > 0:
        o, state = selective_scan(u[:, seq], delta[:, seq], A, B[:, seq], C[:, seq], x0=state)
        outs.append(o)
    lasts.append(state)
    start += length
for part, value in [("u", u.T), ("delta", delta.T), ("A", A), ("B", B.T), ("C", C.T),
                    ("x0", x0), ("out", torch.cat(outs, dim=1).T), ("last", torch.cat(lasts))]:
    block("varlen_" + part, value)
