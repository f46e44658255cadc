#!/usr/bin/python3
"""Writes PyTorch reference trajectories for Strata's optimizers and LR schedulers: tests/golden/optim/optim.bin.

Run by hand with Debian's python3-torch (the suite itself never needs torch):
    /usr/bin/python3 tests/golden/make_golden_optim.py

(The file lives in a subfolder: every tests/golden/*.bin is an op-table file for tests/ops/golden_test.cpp.)

Optimizer records: each configuration starts from the same two float32 parameters, (3, 4) and (4,), and takes
10 steps with stored per-step gradients (a missing gradient means "grad is None": the parameter is skipped);
the parameters after every step are stored. Scheduler records: the lr (and momentum/beta1) of each of two
parameter groups after construction and after each of 25 steps.

Format (little-endian), read by tests/optim/golden_optim_test.cpp:
  "STRATAOP" u32 version=1
  u32 n_optim, then per record:
    str name, str optimizer ("SGD", "RMSprop", "Adam", "AdamW"), u32 n_groups, per group: opts, u32 n_params;
    u32 n_params, n_params x tensor (initial values), u32 n_steps, per step: n_params x tensor (gradients,
    dtype 255 = none), n_params x tensor (parameters after the step)
  u32 n_sched, then per record:
    str name, str scheduler, opts (its arguments), str optimizer, opts (the optimizer's options beyond lr),
    u32 n_groups, n_groups x f64 (initial lr of each group),
    u32 n_steps, n_steps x f64 (metric passed to step; ReduceLROnPlateau only),
    (n_steps + 1) x n_groups x f64 (lr), (n_steps + 1) x n_groups x f64 (momentum or beta1; 0 if none)
  str: u32 length + bytes; opts: u32 count, count x (str key, f64 value); tensor: as make_golden.pack_tensor.
"""
import hashlib
import os
import struct
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_golden import pack_tensor  # noqa: E402


def pstr(s):
    return struct.pack("<I", len(s)) + s.encode()


def popts(opts):
    return struct.pack("<I", len(opts)) + b"".join(pstr(k) + struct.pack("<d", float(v)) for k, v in opts.items())


def torch_kwargs(kind, opts):
    """Strata's flat option names -> PyTorch's constructor arguments."""
    kw = dict(opts)
    if "beta1" in kw or "beta2" in kw:
        kw["betas"] = (kw.pop("beta1", 0.9), kw.pop("beta2", 0.999))
    for flag in ("nesterov", "amsgrad", "centered"):
        if flag in kw:
            kw[flag] = bool(kw[flag])
    return kw


OPTIMS = []  # (name, kind, [(group opts, [param indices])])


def optim(name, kind, *groups):
    if len(groups) == 1 and isinstance(groups[0], dict):
        groups = [(groups[0], [0, 1])]
    OPTIMS.append((name, kind, list(groups)))


optim("sgd.plain", "SGD", {"lr": 0.1})
optim("sgd.momentum", "SGD", {"lr": 0.1, "momentum": 0.9})
optim("sgd.nesterov", "SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": 1})
optim("sgd.weight_decay", "SGD", {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.01})
optim("sgd.dampening", "SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.3})
optim("sgd.groups", "SGD", ({"lr": 0.1, "momentum": 0.9}, [0]), ({"lr": 0.01, "weight_decay": 0.1}, [1]))
optim("rmsprop.plain", "RMSprop", {"lr": 0.01})
optim("rmsprop.centered", "RMSprop", {"lr": 0.01, "centered": 1, "alpha": 0.9})
optim("rmsprop.momentum", "RMSprop", {"lr": 0.01, "momentum": 0.9, "weight_decay": 0.01})
optim("rmsprop.centered_momentum", "RMSprop", {"lr": 0.005, "momentum": 0.5, "centered": 1, "eps": 1e-6})
optim("adam.plain", "Adam", {"lr": 0.01})
optim("adam.amsgrad", "Adam", {"lr": 0.01, "amsgrad": 1})
optim("adam.weight_decay", "Adam", {"lr": 0.01, "weight_decay": 0.1})
optim("adam.betas_eps", "Adam", {"lr": 0.02, "beta1": 0.8, "beta2": 0.99, "eps": 1e-4})
optim("adam.groups", "Adam", ({"lr": 0.01}, [0]), ({"lr": 0.001, "amsgrad": 1, "weight_decay": 0.05}, [1]))
optim("adamw.plain", "AdamW", {"lr": 0.01, "weight_decay": 0.1})
optim("adamw.amsgrad", "AdamW", {"lr": 0.01, "weight_decay": 0.1, "amsgrad": 1, "beta1": 0.8, "beta2": 0.99})
optim("adamw.default_decay", "AdamW", {"lr": 0.003})

SHAPES = [(3, 4), (4,)]
STEPS = 10


def record_optim(name, kind, groups):
    seed = int(hashlib.sha1(name.encode()).hexdigest()[:8], 16)
    gen = torch.Generator().manual_seed(seed)
    init = [torch.randn(s, generator=gen) for s in SHAPES]
    params = [x.clone().requires_grad_(True) for x in init]
    cls = getattr(torch.optim, kind)
    torch_groups = [dict(params=[params[i] for i in idx], **torch_kwargs(kind, o)) for o, idx in groups]
    opt = cls(torch_groups, foreach=False)
    body = pstr(name) + pstr(kind) + struct.pack("<I", len(groups))
    body += b"".join(popts(o) + struct.pack("<I", len(idx)) for o, idx in groups)
    order = [i for _, idx in groups for i in idx]  # parameter order as the optimizer sees it
    body += struct.pack("<I", len(order)) + b"".join(pack_tensor(init[i]) for i in order)
    body += struct.pack("<I", STEPS)
    for step in range(STEPS):
        # Gradients of varying scale (so amsgrad's running max matters); parameter 1 has none at step 4.
        scale = [1.0, 3.0, 0.3][step % 3]
        grads = [torch.randn(s, generator=gen) * scale for s in SHAPES]
        if step == 4:
            grads[1] = None
        for p, g in zip(params, grads):
            p.grad = None if g is None else g.clone()
        opt.step()
        body += b"".join(pack_tensor(grads[i]) for i in order)
        body += b"".join(pack_tensor(params[i]) for i in order)
    return body


SCHEDS = []  # (name, scheduler, args, optimizer kind, optimizer opts, metrics)


def sched(name, kind, args, optimizer="SGD", opt_opts=None, metrics=None):
    SCHEDS.append((name, kind, args, optimizer, opt_opts or {}, metrics))


SCHED_STEPS = 25
BASE_LRS = [0.1, 0.02]
sched("step", "StepLR", {"step_size": 7, "gamma": 0.5})
sched("multistep", "MultiStepLR", {"milestone.0": 3, "milestone.1": 8, "milestone.2": 8, "milestone.3": 15,
                                   "gamma": 0.5})
sched("exponential", "ExponentialLR", {"gamma": 0.9})
sched("cosine.tmax10", "CosineAnnealingLR", {"T_max": 10, "eta_min": 0.001})
sched("cosine.tmax7", "CosineAnnealingLR", {"T_max": 7, "eta_min": 0.0})
sched("linear.warmup", "LinearLR", {"start_factor": 0.25, "end_factor": 1.0, "total_iters": 8})
sched("linear.decay", "LinearLR", {"start_factor": 1.0, "end_factor": 0.1, "total_iters": 10})
sched("onecycle.cos", "OneCycleLR", {"max_lr": 0.5, "total_steps": 25, "pct_start": 0.3}, "SGD", {"momentum": 0.9})
sched("onecycle.linear", "OneCycleLR", {"max_lr": 0.5, "total_steps": 30, "pct_start": 0.25, "anneal_linear": 1,
                                        "div_factor": 10, "final_div_factor": 100}, "SGD", {"momentum": 0.9})
sched("onecycle.adam", "OneCycleLR", {"max_lr": 0.01, "total_steps": 25, "cycle_momentum": 1, "base_momentum": 0.8,
                                      "max_momentum": 0.9}, "Adam")
sched("onecycle.three_phase", "OneCycleLR", {"max_lr": 0.3, "total_steps": 26, "three_phase": 1,
                                             "cycle_momentum": 0}, "SGD")
sched("plateau.min", "ReduceLROnPlateau", {"mode_max": 0, "factor": 0.5, "patience": 2, "threshold": 0.01,
                                           "cooldown": 1, "min_lr": 0.004},
      metrics=[1.0, 0.9, 0.8, 0.795, 0.8, 0.85, 0.7, 0.7, 0.7, 0.7, 0.69, 0.71, 0.72, 0.6, 0.6, 0.6, 0.6, 0.6,
               0.6, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5])
sched("plateau.max_abs", "ReduceLROnPlateau", {"mode_max": 1, "factor": 0.1, "patience": 1, "threshold": 0.05,
                                               "threshold_abs": 1, "cooldown": 0, "min_lr": 0.0},
      metrics=[0.1, 0.2, 0.22, 0.3, 0.3, 0.34, 0.4, 0.41, 0.42, 0.5, 0.5, 0.5, 0.5, 0.6, 0.6, 0.6, 0.7, 0.7,
               0.72, 0.73, 0.8, 0.8, 0.8, 0.8, 0.8])


def make_scheduler(kind, a, opt):
    S = torch.optim.lr_scheduler
    if kind == "StepLR":
        return S.StepLR(opt, step_size=int(a["step_size"]), gamma=a["gamma"])
    if kind == "MultiStepLR":
        ms = [int(v) for k, v in sorted(a.items()) if k.startswith("milestone.")]
        return S.MultiStepLR(opt, milestones=ms, gamma=a["gamma"])
    if kind == "ExponentialLR":
        return S.ExponentialLR(opt, gamma=a["gamma"])
    if kind == "CosineAnnealingLR":
        return S.CosineAnnealingLR(opt, T_max=int(a["T_max"]), eta_min=a["eta_min"])
    if kind == "LinearLR":
        return S.LinearLR(opt, start_factor=a["start_factor"], end_factor=a["end_factor"],
                          total_iters=int(a["total_iters"]))
    if kind == "OneCycleLR":
        return S.OneCycleLR(opt, max_lr=a["max_lr"], total_steps=int(a["total_steps"]),
                            pct_start=a.get("pct_start", 0.3),
                            anneal_strategy="linear" if a.get("anneal_linear", 0) else "cos",
                            cycle_momentum=bool(a.get("cycle_momentum", 1)),
                            base_momentum=a.get("base_momentum", 0.85), max_momentum=a.get("max_momentum", 0.95),
                            div_factor=a.get("div_factor", 25.0), final_div_factor=a.get("final_div_factor", 1e4),
                            three_phase=bool(a.get("three_phase", 0)))
    if kind == "ReduceLROnPlateau":
        return S.ReduceLROnPlateau(opt, mode="max" if a["mode_max"] else "min", factor=a["factor"],
                                   patience=int(a["patience"]), threshold=a["threshold"],
                                   threshold_mode="abs" if a.get("threshold_abs", 0) else "rel",
                                   cooldown=int(a["cooldown"]), min_lr=a["min_lr"])
    raise ValueError(kind)


def momentum_of(group):
    if "betas" in group:
        return group["betas"][0]
    return group.get("momentum", 0.0)


def record_sched(name, kind, args, optimizer, opt_opts, metrics):
    ps = [torch.zeros(2, requires_grad=True), torch.zeros(3, requires_grad=True)]
    cls = getattr(torch.optim, optimizer)
    opt = cls([dict(params=[p], lr=lr) for p, lr in zip(ps, BASE_LRS)], **torch_kwargs(optimizer, opt_opts))
    s = make_scheduler(kind, args, opt)
    steps = SCHED_STEPS
    metrics = metrics or [0.0] * steps
    assert len(metrics) == steps
    lrs = [[g["lr"] for g in opt.param_groups]]
    moms = [[momentum_of(g) for g in opt.param_groups]]
    for k in range(steps):
        opt.step()
        if kind == "ReduceLROnPlateau":
            s.step(metrics[k])
        else:
            s.step()
        lrs.append([g["lr"] for g in opt.param_groups])
        moms.append([momentum_of(g) for g in opt.param_groups])
    body = pstr(name) + pstr(kind) + popts(args) + pstr(optimizer) + popts(opt_opts)
    body += struct.pack("<I", len(BASE_LRS)) + b"".join(struct.pack("<d", v) for v in BASE_LRS)
    body += struct.pack("<I", steps) + b"".join(struct.pack("<d", v) for v in metrics)
    body += b"".join(struct.pack("<d", v) for row in lrs for v in row)
    body += b"".join(struct.pack("<d", v) for row in moms for v in row)
    return body


if __name__ == "__main__":
    torch.set_num_threads(1)
    data = b"STRATAOP" + struct.pack("<I", 1)
    data += struct.pack("<I", len(OPTIMS)) + b"".join(record_optim(*o) for o in OPTIMS)
    data += struct.pack("<I", len(SCHEDS)) + b"".join(record_sched(*s) for s in SCHEDS)
    os.makedirs(os.path.join(HERE, "optim"), exist_ok=True)
    path = os.path.join(HERE, "optim", "optim.bin")
    with open(path + ".tmp", "wb") as f:
        f.write(data)
    os.replace(path + ".tmp", path)
    print(f"{path}: {len(OPTIMS)} optimizer and {len(SCHEDS)} scheduler records, {len(data)} bytes")
