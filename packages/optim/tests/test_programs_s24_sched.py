"""Schedulers and optimizers fuzzed against PyTorch (session 24): OneCycleLR's momentum lists
checked in PyTorch's order, half-precision steps rounded as PyTorch's float32 ("opmath")
kernels round them and silent as they are, Adafactor on bfloat16, a checkpoint of another
model's shapes failing at the step with PyTorch's RuntimeError, and a seeded sweep of every
scheduler (random options, optimizers, epoch arguments, state_dict round trips, groups added
late) whose rates, momenta, state_dicts, warnings and errors are PyTorch's."""

from __future__ import annotations

import copy
import math
import warnings
from typing import Any

import numpy as np
import pytest

import ember
import ember.optim
import ember.optim.lr_scheduler

pytest.importorskip("ember.nn")


def _plain(v: Any) -> Any:
    """A value comparable across libraries: tensors as (dtype, shape, values), NaN as a
    marker, the Python type of every number; callables as a marker."""
    if hasattr(v, "detach") and hasattr(v, "shape"):
        return ("T", str(v.dtype).split(".")[-1], tuple(v.shape), v.detach().numpy().tolist())
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return type(v).__name__, [_plain(x) for x in v]
    if isinstance(v, float) and math.isnan(v):
        return "nan"
    if isinstance(v, (int, float, bool, np.generic)):
        return type(v).__name__, v
    return "callable" if callable(v) else v


def _record(program, lib, *args) -> tuple[list, list]:
    """What ``program(lib, log, *args)`` logs, its exception (type, text) and its warnings."""
    log: list = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            program(lib, lambda *a: log.append(_plain(a)), *args)
        except Exception as e:  # noqa: BLE001 - the error is part of what is compared
            log.append(("raised", type(e).__name__, str(e).replace("torch", "X")
                        .replace("ember", "X")))
    return log, [(w.category.__name__, str(w.message).replace("torch", "X")
                  .replace("ember", "X")) for w in caught]


def _same_as_torch(torch, program, *args) -> None:
    t_log, t_warn = _record(program, torch, *args)
    e_log, e_warn = _record(program, ember, *args)
    assert len(e_log) == len(t_log), (e_log[len(t_log):][:2], t_log[len(e_log):][:2])
    for i, (e, t) in enumerate(zip(e_log, t_log)):
        assert e == t, f"entry {i}"
    assert e_warn == t_warn


def _sgd(lib, ngroups: int = 1):
    ps = [lib.nn.Parameter(lib.ones(2)) for _ in range(ngroups)]
    return lib.optim.SGD([{"params": [p]} for p in ps], lr=0.1, momentum=0.9)


# --- momentum lists of the wrong length: OneCycleLR names max_momentum first ------------

def _momentum_lists(lib, log):
    ls = lib.optim.lr_scheduler
    for name, kw in [("OneCycleLR", dict(max_lr=0.1, total_steps=10)),
                     ("CyclicLR", dict(base_lr=0.01, max_lr=0.1))]:
        for moms in [dict(base_momentum=[0.8] * 3, max_momentum=[0.9] * 3),
                     dict(base_momentum=[0.8] * 3), dict(max_momentum=[0.9, 0.95, 0.99])]:
            try:
                getattr(ls, name)(_sgd(lib, 2), **kw, **moms)
                log(name, "ok")
            except ValueError as e:
                log(name, str(e))


def test_momentum_list_lengths_checked_in_torch_order(torch):
    _same_as_torch(torch, _momentum_lists)


# --- half precision: PyTorch's opmath rounding, and no NumPy warnings --------------------

HALF = [("SGD", dict(momentum=0.9)), ("SGD", dict(momentum=0.9, nesterov=True)),
        ("SGD", dict(momentum=0.9, foreach=True)),  # _foreach_mul_ rounds the momentum
        ("SGD", {}), ("Adam", {}), ("Adam", dict(amsgrad=True, weight_decay=0.1)),
        ("AdamW", {}), ("NAdam", {}), ("RAdam", {}), ("Adamax", {}), ("RMSprop", {}),
        ("RMSprop", dict(centered=True, momentum=0.5)), ("Adagrad", {}), ("Adadelta", {}),
        ("ASGD", {}), ("Rprop", {})]


def _half_run(lib, name: str, kw: dict, dtype: str, steps: int = 3) -> np.ndarray:
    rng = np.random.default_rng(1)
    a, grads = rng.standard_normal((20, 16)), rng.standard_normal((steps, 20, 16))
    p = lib.tensor(a, dtype=getattr(lib, dtype)).requires_grad_()
    opt = getattr(lib.optim, name)([p], lr=0.01, **kw)
    for g in grads:
        p.grad = lib.tensor(g, dtype=getattr(lib, dtype))
        opt.step()
    return p.detach().double().numpy()


@pytest.mark.parametrize("name,kw", HALF, ids=lambda v: str(v))
def test_bfloat16_steps_round_as_torch(torch, name, kw):
    """bfloat16 parameters: add_(alpha=) with the number rounded to bfloat16 and the sum in
    float32, lerp_/addcmul_/addcdiv_ in float32, each stored once: PyTorch's parameters bit
    for bit. 320 elements, a multiple of PyTorch's vector width: its scalar loop over a
    remainder rounds ``alpha * b`` to bfloat16 before adding (the odd element an ulp off)."""
    e = _half_run(ember, name, kw, "bfloat16")
    t = _half_run(torch, name, kw, "bfloat16")
    np.testing.assert_array_equal(e, t)


@pytest.mark.parametrize("name,kw", HALF, ids=lambda v: str(v))
def test_float16_steps_round_as_torch(torch, name, kw):
    """float16: numbers multiply in float32 as PyTorch's (NumPy would round 0.999 to float16
    first); within an ulp of PyTorch (its float16 sqrt and division differ in the odd last
    bit), NaN where PyTorch has NaN."""
    e = _half_run(ember, name, kw, "float16")
    t = _half_run(torch, name, kw, "float16")
    np.testing.assert_allclose(e, t, rtol=2 ** -10, atol=2 ** -14, equal_nan=True)


FUSED = [("Adam", {}), ("Adam", dict(amsgrad=True, weight_decay=0.1, maximize=True)),
         ("AdamW", {}), ("Adagrad", dict(lr_decay=0.01)), ("SGD", dict(momentum=0.9)),
         ("SGD", dict(momentum=0.9, nesterov=True, weight_decay=0.1)), ("SGD", {})]


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
@pytest.mark.parametrize("name,kw", FUSED, ids=lambda v: str(v))
def test_fused_half_steps_compute_in_float32(torch, name, kw, dtype):
    """``fused=True``: PyTorch's fused kernels load half as float32, run the whole update in
    float32 and store the parameter and state once each: bit for bit."""
    e = _half_run(ember, name, dict(kw, fused=True), dtype)
    t = _half_run(torch, name, dict(kw, fused=True), dtype)
    np.testing.assert_array_equal(e, t)


def test_float16_adam_with_vanishing_gradients_is_silent(torch):
    """float16 ``v + eps`` rounds to 0 for tiny gradients: the step divides by zero as
    PyTorch's does, with no NumPy RuntimeWarning."""
    def program(lib, log):
        rng = np.random.default_rng(0)
        p = lib.tensor(rng.standard_normal(50), dtype=lib.float16).requires_grad_()
        opt = lib.optim.AdamW([p], lr=0.01)
        for _ in range(2):
            p.grad = lib.tensor(rng.standard_normal(50) * 1e-4, dtype=lib.float16)
            opt.step()
        log(str(p.dtype).split(".")[-1], bool(p.isfinite().all()))
    _same_as_torch(torch, program)


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
@pytest.mark.parametrize("shape", [(20, 16), (2, 8, 16), (64,)])
def test_adafactor_half_steps_equal_torch(torch, dtype, shape):
    """eps1=None is the parameter dtype's machine epsilon, bfloat16's included (NumPy's
    finfo refused it); norms and means accumulate in float32 and round to the dtype, rsqrt
    rounds once, as PyTorch's: its parameters bit for bit."""
    def run(lib):
        rng = np.random.default_rng(2)
        p = lib.tensor(rng.standard_normal(shape), dtype=getattr(lib, dtype)).requires_grad_()
        opt = lib.optim.Adafactor([p], lr=0.01, weight_decay=0.1)
        for _ in range(3):
            p.grad = lib.tensor(rng.standard_normal(shape), dtype=getattr(lib, dtype))
            opt.step()
        return p.detach().double().numpy()
    np.testing.assert_array_equal(run(ember), run(torch))


def test_adafactor_empty_parameter_raises_as_torch(torch):
    def program(lib, log):
        q, p = lib.ones(3, requires_grad=True), lib.zeros(0, requires_grad=True)
        opt = lib.optim.Adafactor([q, p])
        q.grad, p.grad = lib.ones(3), lib.zeros(0)
        opt.step()
    _same_as_torch(torch, program)


# --- a checkpoint of another model: the step fails with PyTorch's RuntimeError -----------

STATE_SHAPES = [("SGD", ("momentum_buffer",), dict(momentum=0.9), (3, 4)),
                ("SGD", ("momentum_buffer",), dict(momentum=0.9, foreach=True), (3,)),
                ("Adam", ("exp_avg",), {}, (5,)), ("Adam", ("exp_avg",), {}, (2, 4, 3)),
                ("Adam", ("exp_avg", "exp_avg_sq"), {}, (3, 4)),
                ("AdamW", ("exp_avg",), dict(amsgrad=True), (2, 3)),
                ("Adagrad", ("sum",), {}, (3, 4)), ("RMSprop", ("square_avg",), {}, (3, 4)),
                ("NAdam", ("exp_avg",), {}, (4, 1))]


@pytest.mark.parametrize("name,keys,kw,shape", STATE_SHAPES, ids=lambda v: str(v))
def test_state_of_another_shape_fails_at_step_as_torch(torch, name, keys, kw, shape):
    def program(lib, log):
        w = lib.nn.Parameter(lib.ones(4, 3))
        opt = getattr(lib.optim, name)([w], lr=0.1, **kw)
        w.grad = lib.ones(4, 3)
        opt.step()
        sd = opt.state_dict()
        state = {k: lib.zeros(shape) if k in keys else v for k, v in sd["state"][0].items()}
        opt.load_state_dict({"state": {0: state}, "param_groups": sd["param_groups"]})
        log("loaded")
        opt.step()
        log(w)
    _same_as_torch(torch, program)


# --- the seeded scheduler sweep ------------------------------------------------------------

_NO_CHAIN = ("ReduceLROnPlateau", "OneCycleLR", "CyclicLR")
SIMPLE = ["StepLR", "MultiStepLR", "ConstantLR", "LinearLR", "ExponentialLR", "PolynomialLR",
          "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "CyclicLR", "OneCycleLR",
          "LambdaLR", "MultiplicativeLR", "ReduceLROnPlateau"]
OPTIONS = {
    "StepLR": dict(step_size=[1, 2, 3], gamma=[0.1, 0.5, 1.0]),
    "MultiStepLR": dict(milestones=[[2, 5], [1, 1, 4], [], [6, 2]], gamma=[0.1, 0.5]),
    "ConstantLR": dict(factor=[0.1, 0.5, 1.0], total_iters=[0, 1, 3]),
    "LinearLR": dict(start_factor=[0.1, 1.0], end_factor=[1.0, 0.0, 0.2], total_iters=[1, 5]),
    "ExponentialLR": dict(gamma=[0.9, 0.5, 1.0]),
    "PolynomialLR": dict(total_iters=[1, 3, 10], power=[1.0, 0.5, 3.7]),
    "CosineAnnealingLR": dict(T_max=[1, 3, 10, 2.5], eta_min=[0.0, 0.01]),
    "CosineAnnealingWarmRestarts": dict(T_0=[1, 2, 5], T_mult=[1, 2, 3], eta_min=[0.0, 1e-3]),
    "CyclicLR": dict(step_size_up=[1, 2, 4], step_size_down=[None, 1, 3],
                     mode=["triangular", "triangular2", "exp_range"], gamma=[0.9, 0.99],
                     cycle_momentum=[True, False], base_momentum=[0.8, "list"],
                     max_momentum=[0.9, "list"], scale_mode=["cycle", "iterations"]),
    "OneCycleLR": dict(pct_start=[0.3, 0.1, 0.5], anneal_strategy=["cos", "linear"],
                       cycle_momentum=[True, False], base_momentum=[0.85, "list"],
                       max_momentum=[0.95, "list"], div_factor=[25.0, 10, 1.0],
                       final_div_factor=[1e4, 100], three_phase=[True, False]),
    "ReduceLROnPlateau": dict(mode=["min", "max"], factor=[0.1, 0.5], patience=[0, 1, 2],
                              threshold=[1e-4, 0.1, 0.0], threshold_mode=["rel", "abs"],
                              cooldown=[0, 1, 2], min_lr=[0, 0.01, "list"], eps=[1e-8, 0.01]),
    "LambdaLR": dict(k=[0, 1, 2]), "MultiplicativeLR": dict(k=[0, 1]),
}
REQUIRED = {"CyclicLR": dict(base_lr=0.001, max_lr=0.1), "OneCycleLR": dict(max_lr=0.1)}
LIST_VALUES = {"base_momentum": [0.7, 0.75, 0.8], "max_momentum": [0.9, 0.95, 0.99],
               "min_lr": [0.001, 0.02, 0.05]}


def _options(rng: np.random.Generator, name: str, ngroups: int) -> dict:
    kw = dict(REQUIRED.get(name, {}))
    for k, values in OPTIONS[name].items():
        if rng.random() < 0.5 or (name == "StepLR" and k == "step_size") \
                or (name == "ExponentialLR" and k == "gamma") \
                or (name == "CosineAnnealingLR" and k == "T_max") \
                or (name == "CosineAnnealingWarmRestarts" and k == "T_0") or name.endswith("LR") \
                and k == "k":
            v = values[rng.integers(len(values))]
            if v == "list":  # one value per group, now and then one too many
                v = LIST_VALUES[k][:ngroups + int(rng.random() < 0.1)]
            kw[k] = v
    if name == "OneCycleLR":
        kw["total_steps"] = int(rng.choice([10, 20, 40]))
    return [name, kw]


def _case(seed: int) -> dict:
    rng = np.random.default_rng(seed)
    ngroups = int(rng.integers(1, 4))
    opt = ["SGD", "SGD", "Adam", "AdamW", "RMSprop", "NAdam", "Adagrad"][seed % 7]
    okw = dict(lr=float(rng.choice([0.1, 0.01, 1.0])))
    if opt in ("SGD", "RMSprop") and rng.random() < 0.7:
        okw["momentum"] = 0.9
    groups = [{"lr": 0.5} if rng.random() < 0.4 else {} for _ in range(ngroups)]
    name = (SIMPLE + ["SequentialLR", "ChainedScheduler"])[seed % 15]
    if name in ("SequentialLR", "ChainedScheduler"):
        chainable = [s for s in SIMPLE if s not in _NO_CHAIN]
        subs = [_options(rng, chainable[rng.integers(len(chainable))], ngroups)
                for _ in range(int(rng.integers(1, 4)))]
        milestones = sorted(int(x) for x in rng.integers(1, 12, size=len(subs) - 1))
        sched = [name, dict(subs=subs, milestones=milestones)]
    else:
        sched = _options(rng, name, ngroups)
    steps = int(rng.integers(1, 25))
    acts = list(rng.choice(["plain"] * 8 + ["epoch", "reload", "noopt", "getlr", "addgroup"],
                           size=steps))
    metrics = [float(x) for x in rng.choice([1.0, 0.9, 0.95, 0.5, 0.49, 2.0], size=7)]
    return dict(ngroups=ngroups, opt=opt, okw=okw, groups=groups, sched=sched, acts=acts,
                metrics=metrics)


def _make(lib, case: dict) -> tuple:
    ps = [lib.nn.Parameter(lib.ones(3)) for _ in range(case["ngroups"])]
    groups = [dict(params=[p], **g) for p, g in zip(ps, case["groups"])]
    opt = getattr(lib.optim, case["opt"])(groups, **case["okw"])
    return ps, opt, _scheduler(lib, opt, case["sched"], case["ngroups"])


def _scheduler(lib, opt, spec: list, ngroups: int):
    ls = lib.optim.lr_scheduler
    name, kw = spec[0], dict(spec[1])
    if name == "SequentialLR":
        subs = [_scheduler(lib, opt, s, ngroups) for s in kw["subs"]]
        return ls.SequentialLR(opt, subs, milestones=kw["milestones"])
    if name == "ChainedScheduler":
        return ls.ChainedScheduler([_scheduler(lib, opt, s, ngroups) for s in kw["subs"]])
    if name == "LambdaLR":
        k = kw.pop("k", 0)
        kw["lr_lambda"] = ((lambda e: 0.9 ** e) if k == 0 else
                           [(lambda e, i=i: 1.0 / (1 + i + e)) for i in range(ngroups)]
                           if k == 1 else (lambda e: max(0.0, 1 - e / 10)))
    if name == "MultiplicativeLR":
        k = kw.pop("k", 0)
        kw["lr_lambda"] = (lambda e: 0.95) if k == 0 else (lambda e: 1.0 if e < 3 else 0.5)
    return getattr(ls, name)(opt, **kw)


def _sweep_program(lib, log, case: dict) -> None:
    ps, opt, s = _make(lib, case)
    plateau = type(s).__name__ == "ReduceLROnPlateau"

    def snapshot():
        log(s.get_last_lr(), [g["lr"] for g in opt.param_groups],
            [g.get("momentum", g.get("betas")) for g in opt.param_groups], s.last_epoch)

    snapshot()
    for i, act in enumerate(case["acts"]):
        if act != "noopt":
            for p in ps:
                p.grad = lib.ones(3)
            opt.step()
        metric = case["metrics"][i % len(case["metrics"])]
        if plateau:
            s.step(metric, i + 1) if act == "epoch" else s.step(metric)
        else:
            s.step(i + 0.5 * (i % 2)) if act == "epoch" else s.step()
        snapshot()
        if act == "reload":
            sd = s.state_dict()
            log(sorted(sd), {k: v for k, v in sd.items() if k != "_schedulers"})
            _, _, s2 = _make(lib, case)
            s2.load_state_dict(copy.deepcopy(sd))
            log(s2.get_last_lr(), s2.last_epoch)
        elif act == "getlr":
            log(getattr(s, "base_lrs", None), getattr(s, "_step_count", None))
            log(s.get_lr())
        elif act == "addgroup":
            q = lib.nn.Parameter(lib.ones(3))
            ps.append(q)
            opt.add_param_group({"params": [q], "lr": 0.3})
            log([sorted(g) for g in opt.param_groups])
    sd = s.state_dict()
    log(sorted(sd), {k: v for k, v in sd.items() if k != "_schedulers"})


def test_seeded_scheduler_sweep(torch):
    """250 random scheduler programs: every logged value, warning and error is PyTorch's
    (rates compared exactly)."""
    for seed in range(250):
        case = _case(seed)
        t_log, t_warn = _record(_sweep_program, torch, case)
        e_log, e_warn = _record(_sweep_program, ember, case)
        assert e_log == t_log, (seed, case["sched"])
        assert e_warn == t_warn, (seed, case["sched"])
