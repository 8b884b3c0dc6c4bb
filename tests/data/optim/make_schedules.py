#!/usr/bin/python3
"""Reference learning rates (and OneCycle momenta) from torch.optim.lr_scheduler
(Debian's python3-torch, 1.13), and clip_grad_norm_ results, for tests/optim/.

Schedules: an SGD optimizer with lr 0.1 (momentum 0.9 so OneCycleLR can cycle
it); row t is the lr after t calls of scheduler.step() (row 0: before any).
clip_grad_norm_: three gradients of sizes 5, 17 and 64 drawn from a seeded
normal, clipped with several max_norm / norm_type pairs in float32 and
float64; each block holds the total norm followed by the clipped gradients.
Format: see tests/reference_data.hpp.
Run: /usr/bin/python3 tests/data/optim/make_schedules.py > tests/data/optim/schedules.txt
"""
import math

import torch
from torch.optim import lr_scheduler as S

STEPS = 1000


def emit(name, rows):
    rows = [list(r) for r in rows]
    print(name, len(rows), len(rows[0]))
    for r in rows:
        print(" ".join(repr(float(x)) for x in r))


def run(name, make, momentum=False):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1, momentum=0.9)
    sched = make(opt)
    rows = []
    for t in range(STEPS):
        g = opt.param_groups[0]
        rows.append([g["lr"], g["momentum"]] if momentum else [g["lr"]])
        opt.step()
        sched.step()
    emit(name, rows)


def main():
    print("# torch", torch.__version__)
    run("step", lambda o: S.StepLR(o, step_size=30, gamma=0.5))
    run("multistep", lambda o: S.MultiStepLR(o, milestones=[100, 250, 600], gamma=0.3))
    run("exponential", lambda o: S.ExponentialLR(o, gamma=0.995))
    run("cosine", lambda o: S.CosineAnnealingLR(o, T_max=300, eta_min=0.001))
    run("warm_restarts", lambda o: S.CosineAnnealingWarmRestarts(o, T_0=50, T_mult=2, eta_min=0.001))
    run("warm_restarts_constant", lambda o: S.CosineAnnealingWarmRestarts(o, T_0=70))
    run("linear", lambda o: S.LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=100))
    run("linear_default", lambda o: S.LinearLR(o))
    run("onecycle_cos", lambda o: S.OneCycleLR(o, max_lr=1.0, total_steps=STEPS), momentum=True)
    run("onecycle_linear_three_phase",
        lambda o: S.OneCycleLR(o, max_lr=0.5, total_steps=STEPS, pct_start=0.25,
                               anneal_strategy="linear", three_phase=True, div_factor=10.0,
                               final_div_factor=100.0), momentum=True)

    def sequential(o):
        warmup = S.LinearLR(o, start_factor=0.01, end_factor=1.0, total_iters=100)
        decay = S.CosineAnnealingLR(o, T_max=900, eta_min=0.0)
        return S.SequentialLR(o, [warmup, decay], milestones=[100])
    run("sequential", sequential)

    gen = torch.Generator().manual_seed(7)
    grads = [torch.randn(n, generator=gen, dtype=torch.float64) for n in (5, 17, 64)]
    emit("clip_input", [torch.cat(grads).tolist()])
    for max_norm, norm_type, tag in ((1.0, 2.0, "l2"), (3.0, 1.0, "l1"), (0.5, math.inf, "inf"),
                                     (2.0, 3.5, "p3_5"), (100.0, 2.0, "no_clip")):
        for dtype, dtag in ((torch.float32, "f32"), (torch.float64, "f64")):
            ps = [torch.zeros_like(g, dtype=dtype, requires_grad=True) for g in grads]
            for p, g in zip(ps, grads):
                p.grad = g.to(dtype).clone()
            total = torch.nn.utils.clip_grad_norm_(ps, max_norm, norm_type)
            emit(f"clip_{tag}_{dtag}", [[total.item()] + torch.cat([p.grad for p in ps]).tolist()])


if __name__ == "__main__":
    main()
