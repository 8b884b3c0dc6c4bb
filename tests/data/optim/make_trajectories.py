#!/usr/bin/python3
"""Reference trajectories for tests/optim/: torch.optim (Debian's python3-torch,
1.13) on a fixed quadratic-plus-noise objective.

Objective: f(p) = sum_i a_i (p_i - c_i)^2 / 2 + noise_t . p, so the gradient at
step t is g = a * (p - c) + noise[t], computed in the parameter's dtype from
the optimizer's own current p (a trajectory that drifts changes its gradients).
Each case runs 200 steps in float32 and float64; the file stores the inputs
(a, c, p0, noise in float64) and the parameter after every step.

Format (read by tests/optim/trajectory_data.hpp): blocks of
    <name> <rows> <cols>
followed by rows * cols numbers, each printed with repr() of the Python float
(exact for float64 and, for float32 values, exact after rounding to float).
Run: /usr/bin/python3 tests/data/optim/make_trajectories.py > tests/data/optim/trajectories.txt
"""
import torch

STEPS, N = 200, 7

# name -> (optimizer class, options); the C++ test builds the same cases.
CASES = {
    "sgd": (torch.optim.SGD, dict(lr=0.05)),
    "sgd_momentum": (torch.optim.SGD, dict(lr=0.05, momentum=0.9)),
    "sgd_nesterov": (torch.optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True)),
    "sgd_dampening_wd": (torch.optim.SGD, dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    "sgd_maximize": (torch.optim.SGD, dict(lr=0.01, momentum=0.5, maximize=True)),
    "adam": (torch.optim.Adam, dict(lr=0.01)),
    "adam_amsgrad": (torch.optim.Adam, dict(lr=0.01, amsgrad=True)),
    "adam_wd": (torch.optim.Adam, dict(lr=0.01, weight_decay=0.1)),
    "adam_betas_eps": (torch.optim.Adam, dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6)),
    "adam_maximize": (torch.optim.Adam, dict(lr=0.01, maximize=True)),
    "adamw": (torch.optim.AdamW, dict(lr=0.01)),
    "adamw_amsgrad_wd": (torch.optim.AdamW, dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
    "adamw_maximize": (torch.optim.AdamW, dict(lr=0.01, maximize=True)),
    "rmsprop": (torch.optim.RMSprop, dict(lr=0.01)),
    "rmsprop_centered": (torch.optim.RMSprop, dict(lr=0.01, centered=True)),
    "rmsprop_momentum": (torch.optim.RMSprop, dict(lr=0.01, momentum=0.9)),
    "rmsprop_centered_momentum_wd": (torch.optim.RMSprop, dict(lr=0.01, centered=True, momentum=0.5, weight_decay=0.01)),
    "rmsprop_maximize": (torch.optim.RMSprop, dict(lr=0.001, maximize=True)),
    "adagrad": (torch.optim.Adagrad, dict(lr=0.1)),
    "adagrad_decay_init_wd": (torch.optim.Adagrad, dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1, weight_decay=0.01)),
    "adagrad_maximize": (torch.optim.Adagrad, dict(lr=0.01, maximize=True)),
    "adadelta": (torch.optim.Adadelta, dict(lr=1.0)),
    "adadelta_rho_wd": (torch.optim.Adadelta, dict(lr=1.0, rho=0.95, eps=1e-5, weight_decay=0.01)),
    "adadelta_maximize": (torch.optim.Adadelta, dict(lr=0.5, maximize=True)),
    "adamax": (torch.optim.Adamax, dict(lr=0.01)),
    "adamax_wd": (torch.optim.Adamax, dict(lr=0.01, weight_decay=0.01)),
    "adamax_maximize": (torch.optim.Adamax, dict(lr=0.01, maximize=True)),
    "nadam": (torch.optim.NAdam, dict(lr=0.01)),
    "nadam_decay_wd": (torch.optim.NAdam, dict(lr=0.01, momentum_decay=1e-2, weight_decay=0.01)),
    "radam": (torch.optim.RAdam, dict(lr=0.01)),
    "radam_wd": (torch.optim.RAdam, dict(lr=0.01, weight_decay=0.01)),
}


def emit(name, rows):
    rows = [list(r) for r in rows]
    print(name, len(rows), len(rows[0]))
    for r in rows:
        print(" ".join(repr(float(x)) for x in r))


def main():
    gen = torch.Generator().manual_seed(20261121)
    a = torch.rand(N, generator=gen, dtype=torch.float64) * 1.5 + 0.5
    c = torch.randn(N, generator=gen, dtype=torch.float64)
    p0 = torch.randn(N, generator=gen, dtype=torch.float64)
    noise = torch.randn(STEPS, N, generator=gen, dtype=torch.float64) * 0.1
    print("# torch", torch.__version__)
    emit("a", [a.tolist()])
    emit("c", [c.tolist()])
    emit("p0", [p0.tolist()])
    emit("noise", noise.tolist())
    for name, (cls, options) in CASES.items():
        for dtype, tag in ((torch.float32, "f32"), (torch.float64, "f64")):
            p = p0.to(dtype).clone().requires_grad_(True)
            opt = cls([p], foreach=False, **options)
            av, cv, nv = a.to(dtype), c.to(dtype), noise.to(dtype)
            rows = []
            for t in range(STEPS):
                with torch.no_grad():
                    p.grad = av * (p - cv) + nv[t]
                opt.step()
                rows.append(p.detach().tolist())
            emit(f"{name}_{tag}", rows)


if __name__ == "__main__":
    main()
