#!/usr/bin/python3
# Reference numbers for the max-pooling tests, from Debian's python3-torch
# (float64): F.max_pool2d with return_indices over kernels, strides,
# paddings, dilations and ceil_mode, on small integers so that ties are
# common (the first maximum in scan order wins); the autograd gradient of
# sum(grad_out * y); F.max_unpool2d of the pooled values to the input size
# and to the default size, with its gradient. Run from this folder:
#   /usr/bin/python3 make_max_pool_reference.py > max_pool_reference.txt
import torch
import torch.nn.functional as F
from torch_blocks import block

torch.manual_seed(20261204)
torch.set_default_dtype(torch.float64)

print("# torch", torch.__version__)
# name, C, H, W, kernel, stride, padding, dilation, ceil_mode
cases = [
    ("basic", 3, 6, 8, (2, 2), (2, 2), (0, 0), (1, 1), False),
    ("overlap", 2, 7, 9, (3, 3), (2, 2), (1, 1), (1, 1), False),
    ("ceil", 2, 7, 8, (3, 2), (2, 3), (1, 0), (1, 1), True),
    ("dilated", 2, 9, 10, (3, 2), (1, 2), (1, 1), (2, 3), False),
    ("dilated_ceil", 1, 4, 5, (3, 2), (2, 2), (0, 1), (2, 2), True),
    ("rect", 2, 5, 11, (1, 4), (1, 3), (0, 2), (1, 1), True),
]
for name, C, H, W, kernel, stride, padding, dilation, ceil in cases:
    x = torch.randint(0, 5, (2, C, H, W)).double() + 0.25 * torch.randint(0, 2, (2, C, H, W))
    t = x.clone().requires_grad_(True)
    y, idx = F.max_pool2d(t, kernel, stride, padding, dilation, ceil, return_indices=True)
    g = torch.randn(y.shape)
    (y * g).sum().backward()
    print("# %s output %s" % (name, tuple(y.shape)))
    block(name + "_x", x)
    block(name + "_y", y)
    block(name + "_indices", idx)
    block(name + "_grad_out", g)
    block(name + "_grad", t.grad)
    # Unpooling back to the input's size, and to the default size when the
    # indices fit in it.
    default = [(y.shape[2 + a] - 1) * stride[a] - 2 * padding[a] + kernel[a] for a in (0, 1)]
    for suffix, size in [("_unpool", (H, W)), ("_unpool_default", None)]:
        if size is None and idx.max().item() >= default[0] * default[1]:
            continue
        try:
            v = y.detach().clone().requires_grad_(True)
            u = F.max_unpool2d(v, idx, kernel, stride, padding, size)
        except (ValueError, RuntimeError):
            continue
        h = torch.randn(u.shape)
        (u * h).sum().backward()
        print("# %s output %s" % (name + suffix, tuple(u.shape)))
        block(name + suffix, u)
        block(name + suffix + "_grad_out", h)
        block(name + suffix + "_grad", v.grad)
