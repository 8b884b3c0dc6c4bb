#!/usr/bin/python3
# Reference numbers for the upsampling tests, from Debian's python3-torch:
# F.interpolate (nearest, bilinear with align_corners false and true, by
# target size and by scale factor) and nn.PixelShuffle / nn.PixelUnshuffle
# with autograd gradients, in float64 and float32 (whose neighbour choices
# use float arithmetic). Run from this folder:
#   /usr/bin/python3 make_upsample_reference.py > upsample_reference.txt
import torch
import torch.nn.functional as F
from torch_blocks import block

torch.manual_seed(20261204)

print("# torch", torch.__version__)
# 2 images of 3 x 5 x 7; cases: (name, mode, size, scale_factor, align_corners)
cases = [
    ("nearest_size", "nearest", (11, 9), None, None),
    ("nearest_2x", "nearest", (10, 14), None, None),
    ("nearest_scale", "nearest", None, (1.7, 2.3), None),
    ("nearest_down", "nearest", (3, 4), None, None),
    ("bilinear_size", "bilinear", (11, 9), None, False),
    ("bilinear_size_corners", "bilinear", (11, 9), None, True),
    ("bilinear_scale", "bilinear", None, (1.7, 2.3), False),
    ("bilinear_scale_corners", "bilinear", None, (1.7, 2.3), True),
    ("bilinear_down", "bilinear", (3, 4), None, False),
]
for dtype, suffix in [(torch.float64, ""), (torch.float32, "_f32")]:
    x = torch.randn(2, 3, 5, 7, dtype=dtype)
    block("x" + suffix, x)
    for name, mode, size, scale, corners in cases:
        t = x.clone().requires_grad_(True)
        y = F.interpolate(t, size=size, scale_factor=scale, mode=mode, align_corners=corners)
        g = torch.randn(y.shape, dtype=dtype)
        (y * g).sum().backward()
        print("# %s output %s" % (name, tuple(y.shape)))
        block(name + suffix, y)
        block(name + suffix + "_grad_out", g)
        block(name + suffix + "_grad", t.grad)

# Pixel shuffle: 2 images of 8 x 3 x 4 with r = 2, and its inverse.
s = torch.randn(2, 8, 3, 4, dtype=torch.float64, requires_grad=True)
y = F.pixel_shuffle(s, 2)
g = torch.randn(y.shape, dtype=torch.float64)
(y * g).sum().backward()
block("shuffle_x", s)
block("shuffle", y)
block("shuffle_grad_out", g)
block("shuffle_grad", s.grad)
u = torch.randn(2, 2, 6, 9, dtype=torch.float64, requires_grad=True)
z = F.pixel_unshuffle(u, 3)
h = torch.randn(z.shape, dtype=torch.float64)
(z * h).sum().backward()
block("unshuffle_x", u)
block("unshuffle", z)
block("unshuffle_grad_out", h)
block("unshuffle_grad", u.grad)
