"""Schedulers resumed with ``last_epoch``, rates changed by hand mid-run, and plateau edge cases,
against PyTorch over 100+ steps."""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.optim as optim  # noqa: F401 - ember.optim.lr_scheduler below


def _opt(lib, momentum=0.9):
    groups = [{"params": [lib.zeros(2, requires_grad=True)], "lr": lr} for lr in (0.1, 0.03)]
    return lib.optim.SGD(groups, momentum=momentum)


def _assert_same(got, expected):
    """Row for row: numbers to 1e-12 (PyTorch's own formulas give the same bits), texts equal."""
    assert len(got) == len(expected)
    for k, (g, e) in enumerate(zip(got, expected)):
        if isinstance(e, str):
            assert g == e, k
        else:
            np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-15, err_msg=f"row {k}")


def _lrs(opt):
    return [float(g["lr"]) for g in opt.param_groups]


RESUMABLE = {
    "StepLR": lambda m, o, e: m.StepLR(o, 4, 0.5, last_epoch=e),
    "MultiStepLR": lambda m, o, e: m.MultiStepLR(o, [5, 12, 40], 0.3, last_epoch=e),
    "ExponentialLR": lambda m, o, e: m.ExponentialLR(o, 0.97, last_epoch=e),
    "CosineAnnealingLR": lambda m, o, e: m.CosineAnnealingLR(o, 30, 0.001, last_epoch=e),
    "LinearLR": lambda m, o, e: m.LinearLR(o, 0.2, 1.0, 20, last_epoch=e),
    "PolynomialLR": lambda m, o, e: m.PolynomialLR(o, 60, 1.5, last_epoch=e),
    "LambdaLR": lambda m, o, e: m.LambdaLR(o, lambda k: 0.98 ** k, last_epoch=e),
    "CosineAnnealingWarmRestarts": lambda m, o, e: m.CosineAnnealingWarmRestarts(
        o, 6, 2, 0.001, last_epoch=e),
    "OneCycleLR": lambda m, o, e: m.OneCycleLR(o, 0.5, total_steps=140, last_epoch=e),
    "CyclicLR": lambda m, o, e: m.CyclicLR(o, 0.01, 0.1, 5, last_epoch=e),
}


def _resumed(lib, build, stop=9, n=110):
    """Train ``stop + 1`` steps, rebuild optimizer and scheduler from the optimizer's state with
    ``last_epoch=stop``, and go on for ``n`` steps."""
    mod = lib.optim.lr_scheduler
    opt = _opt(lib)
    sched = build(mod, opt, -1)
    for _ in range(stop + 1):
        opt.step()
        sched.step()
    resumed = _opt(lib)
    resumed.load_state_dict(opt.state_dict())
    sched = build(mod, resumed, stop)
    out = [_lrs(resumed), list(map(float, sched.get_last_lr()))]
    for _ in range(n):
        resumed.step()
        sched.step()
        out.append(_lrs(resumed) + [float(g["momentum"]) for g in resumed.param_groups])
    return out


@pytest.mark.parametrize("name", list(RESUMABLE))
def test_last_epoch_resume_matches_torch(torch, name):
    _assert_same(_resumed(ember, RESUMABLE[name]), _resumed(torch, RESUMABLE[name]))


def _manual_change(lib, build, at=(13, 47)):
    opt = _opt(lib)
    sched = build(lib.optim.lr_scheduler, opt)
    out = []
    for k in range(120):
        opt.step()
        sched.step()
        if k in at:  # a user halves the rates by hand; chainable forms carry on from there
            for g in opt.param_groups:
                g["lr"] = g["lr"] * 0.5
        out.append(_lrs(opt) + list(map(float, sched.get_last_lr())))
    return out


@pytest.mark.parametrize("build", [
    lambda m, o: m.CosineAnnealingLR(o, 20, 0.0),
    lambda m, o: m.CosineAnnealingLR(o, 35, 0.005),
    lambda m, o: m.ExponentialLR(o, 0.99),
    lambda m, o: m.MultiplicativeLR(o, lambda k: 0.99),
    lambda m, o: m.LinearLR(o, 0.3, 1.0, 60),
    lambda m, o: m.PolynomialLR(o, 100, 2.0),
], ids=["cos20", "cos35", "exp", "mult", "linear", "poly"])
def test_manual_lr_change_follows_recursive_form_like_torch(torch, build):
    _assert_same(_manual_change(ember, build), _manual_change(torch, build))


def test_chained_scheduler_rejects_reduce_on_plateau_like_torch(torch):
    errors = []
    for lib in (torch, ember):
        m, o = lib.optim.lr_scheduler, _opt(lib)
        with pytest.raises(ValueError) as err:
            m.ChainedScheduler([m.ConstantLR(o), m.ReduceLROnPlateau(o)])
        errors.append(str(err.value))
    assert errors[0] == errors[1]


def _plateau(lib, kwargs, add_group):
    opt = lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=0.1)
    sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
    if add_group:
        opt.add_param_group({"params": [lib.zeros(1, requires_grad=True)], "lr": 0.5})
    out = []
    for k in range(105):
        opt.step()
        metric = 1.0 / (1 + k % 13)
        try:
            sched.step(lib.tensor(metric) if k % 2 else metric)
        except RuntimeError as exc:
            return out + [str(exc)]
        out.append(_lrs(opt) + [sched.num_bad_epochs, sched.cooldown_counter,
                                float(sched.best)])
    return out


@pytest.mark.parametrize("kwargs,add_group", [
    (dict(patience=0, min_lr=0.004, eps=1e-3), False),
    (dict(patience=0, min_lr=0.004, eps=1e-3), True),
    (dict(patience=1, min_lr=[0.01]), True),
    (dict(mode="max", patience=2, cooldown=3, threshold=0.1, threshold_mode="abs"), False),
])
def test_reduce_on_plateau_edges_match_torch(torch, kwargs, add_group):
    _assert_same(_plateau(ember, kwargs, add_group), _plateau(torch, kwargs, add_group))
