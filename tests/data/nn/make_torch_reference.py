#!/usr/bin/python3
# Reference numbers for the nn tests, from Debian's python3-torch (float64):
# every activation of torch.nn.functional and its derivative by autograd on
# a grid that covers the kinks, the thresholds and both tails; the gated
# units (F.glu, and a * f(b) written with torch operations for ReGLU, GEGLU,
# SwiGLU) and F.prelu with their autograd gradients. Tail values to 30
# digits from mpmath (which Debian's torch pulls in through sympy) for the
# functions whose direct formulas lose relative accuracy there. Run from
# this folder:
#   /usr/bin/python3 make_torch_reference.py > torch_reference.txt
import mpmath
import torch
import torch.nn.functional as F
from torch_blocks import block

torch.manual_seed(20261204)
torch.set_default_dtype(torch.float64)

print("# torch", torch.__version__, "mpmath", mpmath.__version__)
special = [0.0, 1e-8, -1e-8, 1e-3, -1e-3, -3.0, 3.0, 6.0, 2.5, -2.5, 19.9, 20.5, -20.5,
           25.0, -25.0, 30.0, -30.0, 40.0, -40.0]
x = torch.tensor(sorted(set(torch.linspace(-12, 12, 97).tolist() + special)))
block("x", x)

activations = {
    "heaviside": lambda t: torch.heaviside(t, torch.tensor(0.5)),
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": F.relu,
    "leaky_relu": lambda t: F.leaky_relu(t, 0.2),
    "relu6": F.relu6,
    "elu": lambda t: F.elu(t, 0.7),
    "selu": F.selu,
    "celu": lambda t: F.celu(t, 1.5),
    "gelu": F.gelu,
    "gelu_tanh": lambda t: F.gelu(t, approximate="tanh"),
    "silu": F.silu,
    "mish": F.mish,
    "softplus": F.softplus,
    "softplus_beta": lambda t: F.softplus(t, beta=2.0, threshold=10.0),
    "softsign": F.softsign,
    "hard_sigmoid": F.hardsigmoid,
    "hard_swish": F.hardswish,
}
for name, f in activations.items():
    t = x.clone().requires_grad_(True)
    y = f(t)
    block(name, y)
    if name != "heaviside":  # torch defines no gradient for the step
        y.sum().backward()
        block(name + "_derivative", t.grad)

# Tails at 30 digits.
# 120 digits, so that mpmath.diff resolves derivatives as small as 1e-69
# (tanh at -80) next to values that round to -1.
mpmath.mp.dps = 120
tail = [-80.0, -40.0, -25.0, -12.0, -8.0, -5.0, -2.0, -1e-3, -1e-7, 1e-7, 1e-3, 2.0, 5.0, 8.0,
        12.0, 25.0, 40.0]


def sig(v):
    return 1 / (1 + mpmath.exp(-v))


def cdf(v):
    return mpmath.erfc(-v / mpmath.sqrt(2)) / 2


def gelu_tanh(v):
    u = mpmath.sqrt(2 / mpmath.pi) * (v + mpmath.mpf("0.044715") * v ** 3)
    return v * (1 + mpmath.tanh(u)) / 2


exact = {
    "sigmoid": sig,
    "tanh": mpmath.tanh,
    "gelu": lambda v: v * cdf(v),
    "gelu_tanh": gelu_tanh,
    "silu": lambda v: v * sig(v),
    "mish": lambda v: v * mpmath.tanh(mpmath.log1p(mpmath.exp(v))),
    "softplus": lambda v: mpmath.log1p(mpmath.exp(v)),
    "elu": lambda v: v if v > 0 else mpmath.expm1(v),
}
block("tail_x", torch.tensor(tail))
for name, f in exact.items():
    vals = [f(mpmath.mpf(v)) for v in tail]
    ders = [mpmath.diff(f, mpmath.mpf(v)) for v in tail]
    print("tail_" + name, len(tail), 2)
    for v, d in zip(vals, ders):
        print(mpmath.nstr(v, 30, min_fixed=1, max_fixed=0), mpmath.nstr(d, 30, min_fixed=1, max_fixed=0))

# Gated units over the last dimension: x is 5 x 8, the halves a | b.
g = torch.randn(5, 8) * 3
w = torch.randn(5, 4)
gated = {
    "glu": lambda t: F.glu(t, dim=-1),
    "reglu": lambda t: t[:, :4] * F.relu(t[:, 4:]),
    "geglu": lambda t: t[:, :4] * F.gelu(t[:, 4:]),
    "geglu_tanh": lambda t: t[:, :4] * F.gelu(t[:, 4:], approximate="tanh"),
    "swiglu": lambda t: t[:, :4] * F.silu(t[:, 4:]),
}
block("gated_x", g)
block("gated_grad_out", w)
for name, f in gated.items():
    t = g.clone().requires_grad_(True)
    y = f(t)
    (y * w).sum().backward()
    block(name, y)
    block(name + "_grad", t.grad)

# PReLU on 6 samples x 3 channels, one weight per channel and one shared.
px = torch.randn(6, 3)
pg = torch.randn(6, 3)
block("prelu_x", px)
block("prelu_grad_out", pg)
for name, weight in [("prelu_channels", torch.tensor([0.25, -0.5, 1.5])),
                     ("prelu_shared", torch.tensor([0.1]))]:
    t = px.clone().requires_grad_(True)
    wt = weight.clone().requires_grad_(True)
    y = F.prelu(t, wt)
    (y * pg).sum().backward()
    block(name + "_weight", wt)
    block(name, y)
    block(name + "_grad_x", t.grad)
    block(name + "_grad_w", wt.grad)
