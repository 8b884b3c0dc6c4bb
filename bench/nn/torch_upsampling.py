#!/usr/bin/python3
# The peer of bench_nn_upsampling: the same calls in Debian's PyTorch on the
# CPU, float32, one feature map: F.interpolate of [1, 64, 256, 256] by 2
# (bilinear, align_corners False) and F.conv_transpose2d 64 -> 64, 3 x 3,
# stride 2, padding 1, output_padding 1 of [1, 64, 128, 128] with a bias;
# each backward is torch.autograd.grad of sum(grad_out * y) (for the
# transposed convolution: input, weight and bias). Prints the median time
# of 7 calls on 1 and 2 threads, in ms.
#   /usr/bin/python3 bench/nn/torch_upsampling.py
import statistics
import time

import torch
import torch.nn.functional as F


def median_ms(fn):
    fn()
    times = []
    for _ in range(7):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)


torch.manual_seed(0)
x = torch.randn(1, 64, 256, 256, requires_grad=True)
gx = torch.randn(1, 64, 512, 512)
c = torch.randn(1, 64, 128, 128, requires_grad=True)
w = torch.randn(64, 64, 3, 3, requires_grad=True)
b = torch.linspace(-1, 1, 64).requires_grad_(True)
gc = torch.randn(1, 64, 256, 256)


def bilinear():
    return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)


def conv():
    return F.conv_transpose2d(c, w, b, stride=2, padding=1, output_padding=1)


print("# torch", torch.__version__)
for threads in (1, 2):
    torch.set_num_threads(threads)
    with torch.no_grad():
        fwd_b = median_ms(bilinear)
        fwd_c = median_ms(conv)
    y, z = bilinear(), conv()
    bwd_b = median_ms(lambda: torch.autograd.grad(y, x, gx, retain_graph=True))
    bwd_c = median_ms(lambda: torch.autograd.grad(z, (c, w, b), gc, retain_graph=True))
    print(f"torch:bilinear_2x/threads:{threads} {fwd_b:.2f} ms")
    print(f"torch:bilinear_2x_backward/threads:{threads} {bwd_b:.2f} ms")
    print(f"torch:conv_transpose/threads:{threads} {fwd_c:.2f} ms")
    print(f"torch:conv_transpose_backward/threads:{threads} {bwd_c:.2f} ms")
