"""Every scheduler's learning rates (and momenta) against PyTorch's, value for value."""

from __future__ import annotations

import copy
import math
import warnings

import numpy as np
import pytest

import ember
import ember.optim as optim
from ember.optim import lr_scheduler


def _modules(lib):
    return (optim, lr_scheduler) if lib is ember else (lib.optim, lib.optim.lr_scheduler)


def _optimizer(lib, name="SGD", ngroups=2, **kwargs):
    opt_mod, _ = _modules(lib)
    params = [lib.zeros(2, requires_grad=True) for _ in range(ngroups)]
    return getattr(opt_mod, name)([{"params": [p], "lr": 0.1 * (i + 1)}
                                   for i, p in enumerate(params)], **kwargs)


def _trace(opt):
    return [(g["lr"], g.get("momentum"), g.get("betas", (None,))[0]) for g in opt.param_groups]


def _run(lib, build, n=120, opt_name="SGD", opt_kwargs=None, metrics=None, round_trip_at=None):
    """The lr (and momentum) of every group after each step; optionally rebuilt from state."""
    opt_kwargs = opt_kwargs or {}
    opt = _optimizer(lib, opt_name, **opt_kwargs)
    _, sched_mod = _modules(lib)
    sched = build(sched_mod, opt)
    out = [_trace(opt)]
    for k in range(n):
        opt.step()
        sched.step(metrics[k]) if metrics is not None else sched.step()
        out.append(_trace(opt) + [tuple(sched.get_last_lr())])
        if k == round_trip_at:
            opt_state = copy.deepcopy(opt.state_dict())
            sched_state = copy.deepcopy(sched.state_dict())
            opt = _optimizer(lib, opt_name, **opt_kwargs)
            sched = build(sched_mod, opt)
            opt.load_state_dict(opt_state)
            sched.load_state_dict(sched_state)
    return out


def _decay(epoch):
    return 0.95 ** epoch


class _Scale:
    """A callable object: its __dict__ travels in the scheduler's state_dict."""

    def __init__(self, base):
        self.base = base

    def __call__(self, epoch):
        return self.base ** epoch


CONFIGS = {
    "LambdaLR": lambda m, o: m.LambdaLR(o, _decay),
    "LambdaLR-list": lambda m, o: m.LambdaLR(o, [_decay, _Scale(0.9)]),
    "MultiplicativeLR": lambda m, o: m.MultiplicativeLR(o, lambda e: 0.97),
    "MultiplicativeLR-list": lambda m, o: m.MultiplicativeLR(o, [lambda e: 0.9, _Scale(0.999)]),
    "StepLR": lambda m, o: m.StepLR(o, 7, 0.5),
    "StepLR-default": lambda m, o: m.StepLR(o, 30),
    "MultiStepLR": lambda m, o: m.MultiStepLR(o, [3, 10, 10, 50], 0.3),
    "ConstantLR": lambda m, o: m.ConstantLR(o, 0.3, 13),
    "ConstantLR-default": lambda m, o: m.ConstantLR(o),
    "LinearLR": lambda m, o: m.LinearLR(o, 0.1, 0.9, 37),
    "LinearLR-down": lambda m, o: m.LinearLR(o, 1.0, 0.05, 80),
    "ExponentialLR": lambda m, o: m.ExponentialLR(o, 0.97),
    "PolynomialLR": lambda m, o: m.PolynomialLR(o, 50, 2.0),
    "PolynomialLR-default": lambda m, o: m.PolynomialLR(o),
    "CosineAnnealingLR": lambda m, o: m.CosineAnnealingLR(o, 17, 0.001),
    "CosineAnnealingLR-long": lambda m, o: m.CosineAnnealingLR(o, 100),
    "CosineAnnealingWarmRestarts": lambda m, o: m.CosineAnnealingWarmRestarts(o, 5, 2, 0.01),
    "CosineAnnealingWarmRestarts-1": lambda m, o: m.CosineAnnealingWarmRestarts(o, 13),
    "CyclicLR-triangular2": lambda m, o: m.CyclicLR(o, 0.01, [0.1, 0.2], 7, 5, "triangular2"),
    "CyclicLR-exp_range": lambda m, o: m.CyclicLR(o, 0.01, 0.1, 6, mode="exp_range",
                                                  gamma=0.99),
    "CyclicLR-triangular": lambda m, o: m.CyclicLR(o, [0.01, 0.02], 0.1, 10,
                                                   base_momentum=0.7, max_momentum=0.95),
    "CyclicLR-scale_fn": lambda m, o: m.CyclicLR(o, 0.01, 0.1, 4, scale_fn=_Scale(0.98),
                                                 scale_mode="iterations"),
    "CyclicLR-no-momentum": lambda m, o: m.CyclicLR(o, 0.01, 0.1, 9, cycle_momentum=False),
    "OneCycleLR": lambda m, o: m.OneCycleLR(o, 0.5, total_steps=121),
    "OneCycleLR-three_phase": lambda m, o: m.OneCycleLR(o, [0.5, 1.0], total_steps=130,
                                                        three_phase=True,
                                                        anneal_strategy="linear"),
    "OneCycleLR-epochs": lambda m, o: m.OneCycleLR(o, 0.3, epochs=4, steps_per_epoch=31,
                                                   pct_start=0.25, div_factor=10.0,
                                                   final_div_factor=100.0),
    "SequentialLR": lambda m, o: m.SequentialLR(
        o, [m.LinearLR(o, 0.1, total_iters=10), m.CosineAnnealingLR(o, 40)], [10]),
    "SequentialLR-3": lambda m, o: m.SequentialLR(
        o, [m.ConstantLR(o, 0.5, 5), m.ExponentialLR(o, 0.9), m.StepLR(o, 10, 0.5)], [8, 40]),
    "ChainedScheduler": lambda m, o: m.ChainedScheduler([m.ExponentialLR(o, 0.98),
                                                         m.StepLR(o, 9, 0.7)]),
    "ChainedScheduler-opt": lambda m, o: m.ChainedScheduler(
        [m.ConstantLR(o, 0.1, 20), m.ExponentialLR(o, 0.99)], optimizer=o),
}
NEEDS_MOMENTUM = ("CyclicLR", "OneCycleLR")


def _options(name):
    return {"opt_kwargs": {"momentum": 0.9}} if name.startswith(NEEDS_MOMENTUM) else {}


@pytest.mark.parametrize("name", list(CONFIGS))
def test_lr_sequence_matches_torch(torch, name):
    build = CONFIGS[name]
    assert _run(ember, build, **_options(name)) == _run(torch, build, **_options(name))


@pytest.mark.parametrize("name", list(CONFIGS))
def test_state_dict_round_trip_midway(torch, name):
    build = CONFIGS[name]
    expected = _run(torch, build, **_options(name))
    assert _run(ember, build, round_trip_at=50, **_options(name)) == expected


@pytest.mark.parametrize("opt_name", ["Adam", "NAdam", "RAdam"])
def test_momentum_cycles_beta1(torch, opt_name):
    for build in (CONFIGS["OneCycleLR"], CONFIGS["CyclicLR-triangular"]):
        assert _run(ember, build, opt_name=opt_name) == _run(torch, build, opt_name=opt_name)


PLATEAU = [dict(), dict(mode="max", factor=0.5, patience=3, threshold=0.01,
                        threshold_mode="abs", cooldown=2, min_lr=[0.01, 0.02]),
           dict(patience=2, eps=0.05), dict(mode="max", threshold_mode="rel", patience=0),
           dict(threshold_mode="abs", threshold=0.1, cooldown=5, min_lr=0.003)]


@pytest.mark.parametrize("kwargs", PLATEAU)
def test_reduce_lr_on_plateau_matches_torch(torch, kwargs):
    rng = np.random.default_rng(0)
    metrics = list(np.cumsum(rng.standard_normal(200)) * 0.1 + 5)

    def build(m, o):
        return m.ReduceLROnPlateau(o, **kwargs)

    expected = _run(torch, build, n=200, metrics=metrics)
    assert _run(ember, build, n=200, metrics=metrics) == expected
    assert _run(ember, build, n=200, metrics=metrics, round_trip_at=90) == expected


def _epoch_run(lib, build, epochs):
    opt = _optimizer(lib)
    sched = build(_modules(lib)[1], opt)
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for e in epochs:
            opt.step()
            sched.step(e)
            out.append(tuple(sched.get_last_lr()))
    return out


def test_warm_restarts_fractional_epochs(torch):
    epochs = [e + i / 7 for e in range(40) for i in range(7)]
    for t0, t_mult in ((3, 2), (10, 1), (4, 3)):
        def build(m, o, t0=t0, t_mult=t_mult):
            return m.CosineAnnealingWarmRestarts(o, t0, t_mult, 0.001)
        assert _epoch_run(ember, build, epochs) == _epoch_run(torch, build, epochs)


@pytest.mark.parametrize("name", ["StepLR", "MultiStepLR", "ConstantLR", "LinearLR",
                                  "ExponentialLR", "PolynomialLR", "CosineAnnealingLR",
                                  "LambdaLR"])
def test_step_with_epoch_uses_closed_form(torch, name):
    epochs = [3, 4, 10, 2, 25, 26, 27, 60, 0, 13]
    build = CONFIGS[name]
    assert _epoch_run(ember, build, epochs) == _epoch_run(torch, build, epochs)


def _warnings_of(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn()
    return [str(w.message) for w in caught if issubclass(w.category, UserWarning)]


def test_step_before_optimizer_step_warns_like_torch(torch):
    def scenario(lib, call_optimizer_first, override=False):
        opt = _optimizer(lib)
        sched = _modules(lib)[1].StepLR(opt, 3)
        if override:
            opt.step = lambda *a, **k: None
        if call_optimizer_first:
            opt.step()
        return lambda: sched.step()

    for first, override in ((False, False), (True, False), (True, True)):
        got = _warnings_of(scenario(ember, first, override))
        expected = _warnings_of(scenario(torch, first, override))
        assert got == expected
        assert bool(got) == (not first or override)


def test_epoch_argument_and_get_lr_warn_like_torch(torch):
    def epoch_step(lib):
        opt = _optimizer(lib)
        sched = _modules(lib)[1].ExponentialLR(opt, 0.9)
        opt.step()
        return lambda: sched.step(3)

    def get_lr_outside(lib):
        opt = _optimizer(lib)
        sched = _modules(lib)[1].ExponentialLR(opt, 0.9)
        return sched.get_lr

    for scenario in (epoch_step, get_lr_outside):
        got, expected = _warnings_of(scenario(ember)), _warnings_of(scenario(torch))
        assert got == expected and got


def test_scheduler_attributes_and_state_dict_keys(torch):
    for name in ("StepLR", "CosineAnnealingLR", "CyclicLR-triangular", "OneCycleLR",
                 "LambdaLR-list", "SequentialLR", "CosineAnnealingWarmRestarts"):
        opts = _options(name).get("opt_kwargs", {})
        e = CONFIGS[name](lr_scheduler, _optimizer(ember, **opts))
        t = CONFIGS[name](torch.optim.lr_scheduler, _optimizer(torch, **opts))
        assert sorted(e.state_dict()) == sorted(t.state_dict()), name
        assert e.get_last_lr() == t.get_last_lr()
        assert e.last_epoch == t.last_epoch
        assert getattr(e, "base_lrs", None) == getattr(t, "base_lrs", None)
    assert issubclass(lr_scheduler._LRScheduler, lr_scheduler.LRScheduler)


BAD = [
    ("ConstantLR", dict(factor=2.0)), ("LinearLR", dict(start_factor=0)),
    ("LinearLR", dict(end_factor=1.5)), ("CosineAnnealingWarmRestarts", dict(T_0=0)),
    ("CosineAnnealingWarmRestarts", dict(T_0=3, T_mult=0)),
    ("CosineAnnealingWarmRestarts", dict(T_0=3, eta_min="x")),
    ("OneCycleLR", dict(max_lr=0.1)), ("OneCycleLR", dict(max_lr=0.1, total_steps=-3)),
    ("OneCycleLR", dict(max_lr=0.1, epochs=0, steps_per_epoch=3)),
    ("OneCycleLR", dict(max_lr=0.1, epochs=2, steps_per_epoch=0)),
    ("OneCycleLR", dict(max_lr=0.1, total_steps=10, pct_start=1.5)),
    ("OneCycleLR", dict(max_lr=0.1, total_steps=10, anneal_strategy="exp")),
    ("OneCycleLR", dict(max_lr=[0.1], total_steps=10)),
    ("CyclicLR", dict(base_lr=0.1, max_lr=1.0, mode="zigzag")),
    ("CyclicLR", dict(base_lr=[0.1, 0.2, 0.3], max_lr=1.0)),
    ("ReduceLROnPlateau", dict(factor=1.0)), ("ReduceLROnPlateau", dict(mode="up")),
    ("ReduceLROnPlateau", dict(threshold_mode="pct")),
    ("ReduceLROnPlateau", dict(min_lr=[0.1])),
    ("LambdaLR", dict(lr_lambda=[_decay])), ("MultiplicativeLR", dict(lr_lambda=[1, 2])),
    ("StepLR", dict(step_size=3, last_epoch=4)),
]


@pytest.mark.parametrize("name,kwargs", BAD, ids=[f"{n}-{i}" for i, (n, _) in enumerate(BAD)])
def test_bad_arguments_raise_as_torch(torch, name, kwargs):
    with pytest.raises(Exception) as expected:
        getattr(torch.optim.lr_scheduler, name)(_optimizer(torch), **kwargs)
    with pytest.raises(type(expected.value)) as got:
        getattr(lr_scheduler, name)(_optimizer(ember), **kwargs)
    assert str(got.value) == str(expected.value)


def test_container_and_usage_errors_match_torch(torch):
    def errors(lib):
        m = _modules(lib)[1]
        o1, o2 = _optimizer(lib), _optimizer(lib)
        cases = [
            lambda: m.SequentialLR(o1, [m.StepLR(o1, 2), m.StepLR(o1, 3)], [2, 4]),
            lambda: m.SequentialLR(o1, [], []),
            lambda: m.SequentialLR(o1, [m.StepLR(o2, 2), m.StepLR(o1, 3)], [2]),
            lambda: m.SequentialLR(o1, [m.ReduceLROnPlateau(o1), m.StepLR(o1, 3)], [2]),
            lambda: m.ChainedScheduler([]),
            lambda: m.ChainedScheduler([m.StepLR(o1, 2), m.StepLR(o2, 2)]),
            lambda: m.StepLR(object(), 2),
            lambda: m.CosineAnnealingWarmRestarts(o1, 3).step(-1),
        ]
        out = []
        for case in cases:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    case()
                out.append(None)
            except Exception as exc:  # noqa: BLE001 - comparing exception types and texts
                out.append((type(exc).__name__, str(exc).split(" has <")[0]))
        return out

    assert errors(ember) == errors(torch)


def test_one_cycle_past_total_steps_raises(torch):
    for lib in (ember, torch):
        opt = _optimizer(lib, momentum=0.9)
        sched = _modules(lib)[1].OneCycleLR(opt, 0.1, total_steps=5)
        for _ in range(5):
            opt.step()
            sched.step()
        with pytest.raises(ValueError, match="Tried to step 6 times"):
            sched.step()


def test_tensor_lr_is_updated_in_place():
    lr = ember.tensor(0.1, dtype=ember.float64)
    opt = optim.SGD([ember.zeros(2, requires_grad=True)], lr=lr)
    sched = lr_scheduler.ExponentialLR(opt, 0.5)
    opt.step()
    sched.step()
    assert opt.param_groups[0]["lr"] is lr
    assert math.isclose(lr.item(), 0.05)
