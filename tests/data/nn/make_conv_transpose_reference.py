#!/usr/bin/python3
# Reference numbers for the transposed-convolution tests, from Debian's
# python3-torch (float64): F.conv_transpose2d over strides, paddings,
# output paddings, dilations and groups, with autograd gradients of
# sum(grad_out * y) for the input, the weight and the bias. Run from this
# folder:
#   /usr/bin/python3 make_conv_transpose_reference.py > conv_transpose_reference.txt
import torch
import torch.nn.functional as F
from torch_blocks import block

torch.manual_seed(20261204)
torch.set_default_dtype(torch.float64)

print("# torch", torch.__version__)
# name, N, C_in, H, W, C_out, kernel, stride, padding, output_padding, dilation, groups, bias
cases = [
    ("basic", 2, 4, 5, 6, 3, (3, 3), (2, 2), (1, 1), (1, 1), (1, 1), 1, True),
    ("mixed", 2, 3, 4, 5, 2, (3, 2), (2, 3), (0, 1), (1, 0), (1, 1), 1, True),
    ("dilated_groups", 3, 4, 4, 4, 6, (2, 3), (1, 1), (1, 0), (0, 0), (2, 2), 2, False),
    ("wide", 1, 2, 3, 4, 2, (1, 4), (3, 3), (0, 2), (2, 2), (1, 1), 1, True),
]
for name, n, cin, h, w, cout, k, s, p, a, d, g, with_bias in cases:
    x = torch.randn(n, cin, h, w, requires_grad=True)
    weight = torch.randn(cin, cout // g, k[0], k[1], requires_grad=True)
    bias = torch.randn(cout, requires_grad=True) if with_bias else None
    y = F.conv_transpose2d(x, weight, bias, stride=s, padding=p, output_padding=a, groups=g,
                           dilation=d)
    go = torch.randn(y.shape)
    (y * go).sum().backward()
    print("# %s output %s" % (name, tuple(y.shape)))
    block(name + "_x", x)
    block(name + "_weight", weight)
    if with_bias:
        block(name + "_bias", bias)
        block(name + "_grad_bias", bias.grad)
    block(name + "_y", y)
    block(name + "_grad_out", go)
    block(name + "_grad_x", x.grad)
    block(name + "_grad_weight", weight.grad)
