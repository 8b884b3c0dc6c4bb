#!/usr/bin/python3
# The peer of bench_ssm_ssm's selective_scan_fwd: Mamba's reference formula
# (selective_scan_ref, mamba_ssm/ops/selective_scan_interface.py) in PyTorch
# on the CPU (Debian's python3-torch), float32, the same problem: L = 2048,
# Dm = 1536, N = 16, batch 1, varying B and C, D, z, delta_bias, softplus.
# Prints the median time of 5 calls on 1 and 2 threads, in ms.
#   /usr/bin/python3 bench/ssm/torch_selective_scan.py
import statistics
import time

import torch
import torch.nn.functional as F


def selective_scan_ref(u, delta, A, B, C, D, z, delta_bias):
    delta = F.softplus(delta + delta_bias[..., None])
    deltaA = torch.exp(torch.einsum("bdl,dn->bdln", delta, A))
    deltaB_u = torch.einsum("bdl,bnl,bdl->bdln", delta, B, u)
    x = A.new_zeros((u.shape[0], A.shape[0], A.shape[1]))
    ys = []
    for i in range(u.shape[2]):
        x = deltaA[:, :, i] * x + deltaB_u[:, :, i]
        ys.append(torch.einsum("bdn,bn->bd", x, C[:, :, i]))
    y = torch.stack(ys, dim=2)
    return (y + u * D[:, None]) * F.silu(z)


torch.manual_seed(0)
batch, dim, n, L = 1, 1536, 16, 2048
u = torch.rand(batch, dim, L) * 2 - 1
delta = torch.rand(batch, dim, L) * 2 - 4
A = -(torch.rand(dim, n) * 15 + 1)
B = torch.rand(batch, n, L) * 2 - 1
C = torch.rand(batch, n, L) * 2 - 1
z = torch.rand(batch, dim, L) * 2 - 1
D = torch.rand(dim) * 2 - 1
bias = torch.rand(dim) - 0.5
print("# torch", torch.__version__)
for threads in (1, 2):
    torch.set_num_threads(threads)
    with torch.no_grad():
        selective_scan_ref(u, delta, A, B, C, D, z, bias)
        times = []
        for _ in range(5):
            start = time.perf_counter()
            selective_scan_ref(u, delta, A, B, C, D, z, bias)
            times.append(time.perf_counter() - start)
    print(f"torch reference formula, threads {threads}: {1e3 * statistics.median(times):.1f} ms")
