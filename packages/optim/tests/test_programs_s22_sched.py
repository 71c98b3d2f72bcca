"""User programs with learning-rate schedulers, SWA and optimizer state run with ``torch`` and
with ``ember``: every observable (rates each step, momenta, state_dict keys and values, warnings,
error types and texts) must be PyTorch's. Rates are compared exactly."""

from __future__ import annotations

import copy
import inspect
import math
import warnings
from typing import Any

import numpy as np
import pytest

import ember
import ember.nn
import ember.optim
import ember.optim.lr_scheduler
import ember.optim.swa_utils


def _plain(v: Any) -> Any:
    """A value made comparable across libraries: tensors as (dtype, shape, values), NaN as a
    marker, and the Python type of every scalar (a NumPy float is not a float)."""
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
    return v


def _record(program, lib) -> tuple[list, list]:
    """What ``program(lib, log)`` logs, its exception (type and text) and its warnings."""
    log: list = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            program(lib, lambda *a: log.append(_plain(a)))
        except Exception as e:  # noqa: BLE001 - the error is part of what is compared
            log.append(("raised", type(e).__name__, str(e)))
    return log, [(w.category.__name__, str(w.message)) for w in caught]


def _same_as_torch(torch, program) -> None:
    t_log, t_warn = _record(program, torch)
    e_log, e_warn = _record(program, ember)
    assert len(e_log) == len(t_log), (e_log[len(t_log):][:2], t_log[len(e_log):][:2])
    for i, (e, t) in enumerate(zip(e_log, t_log)):
        assert e == t, f"entry {i}"
    assert e_warn == t_warn


def _model_and_optimizer(lib, opt: str = "SGD", **kw):
    """Two parameter groups with different rates, as in fine-tuning programs."""
    lib.manual_seed(0)
    m = lib.nn.Linear(3, 2)
    kw.setdefault("lr", 0.1)
    if opt == "SGD":
        kw.setdefault("momentum", 0.9)
    groups = [{"params": [m.weight]}, {"params": [m.bias], "lr": 0.5}]
    return m, getattr(lib.optim, opt)(groups, **kw)


def _momenta(opt) -> list:
    return [g.get("momentum", g.get("betas")) for g in opt.param_groups]


def _step(sched, i: int) -> None:
    if type(sched).__name__ == "ReduceLROnPlateau":
        sched.step([1.0, 0.9, 0.95, 0.96, 0.97, 0.5, 0.5, 0.5, 0.49, 0.6][i % 10])
    else:
        sched.step()


SCHEDULES = {
    "StepLR": lambda ls, o: ls.StepLR(o, step_size=7, gamma=0.3),
    "MultiStepLR": lambda ls, o: ls.MultiStepLR(o, milestones=[3, 10, 10, 25], gamma=0.5),
    "ConstantLR": lambda ls, o: ls.ConstantLR(o, factor=0.25, total_iters=6),
    "LinearLR": lambda ls, o: ls.LinearLR(o, start_factor=0.1, end_factor=0.9, total_iters=13),
    "ExponentialLR": lambda ls, o: ls.ExponentialLR(o, gamma=0.93),
    "PolynomialLR": lambda ls, o: ls.PolynomialLR(o, total_iters=17, power=2.5),
    "CosineAnnealingLR": lambda ls, o: ls.CosineAnnealingLR(o, T_max=9, eta_min=0.001),
    "CosineAnnealingLR_float_T": lambda ls, o: ls.CosineAnnealingLR(o, T_max=3.5, eta_min=0.01),
    "WarmRestarts": lambda ls, o: ls.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2,
                                                                 eta_min=0.01),
    "CyclicLR": lambda ls, o: ls.CyclicLR(o, 0.01, [0.1, 0.2], step_size_up=4,
                                          step_size_down=7),
    "CyclicLR_tri2": lambda ls, o: ls.CyclicLR(o, 0.01, 0.1, step_size_up=3,
                                               mode="triangular2"),
    "CyclicLR_exp": lambda ls, o: ls.CyclicLR(o, 0.01, 0.1, step_size_up=3, mode="exp_range",
                                              gamma=0.97),
    "CyclicLR_float_sizes": lambda ls, o: ls.CyclicLR(o, 0.01, 0.1, step_size_up=2.5,
                                                      step_size_down=1),
    "CyclicLR_no_momentum": lambda ls, o: ls.CyclicLR(o, 0.01, 0.1, step_size_up=5,
                                                      cycle_momentum=False),
    "OneCycleLR": lambda ls, o: ls.OneCycleLR(o, [0.3, 1.0], total_steps=45),
    "OneCycleLR_three_linear": lambda ls, o: ls.OneCycleLR(
        o, 0.3, epochs=5, steps_per_epoch=9, three_phase=True, anneal_strategy="linear"),
    "LambdaLR": lambda ls, o: ls.LambdaLR(o, lambda e: 0.95 ** e),
    "MultiplicativeLR": lambda ls, o: ls.MultiplicativeLR(o, lambda e: 0.97),
    "ReduceLROnPlateau_min_rel": lambda ls, o: ls.ReduceLROnPlateau(
        o, factor=0.5, patience=2, threshold=0.01, cooldown=1, min_lr=[0.001, 0.02], eps=1e-4),
    "ReduceLROnPlateau_max_abs": lambda ls, o: ls.ReduceLROnPlateau(
        o, mode="max", factor=0.5, patience=1, threshold=0.01, threshold_mode="abs"),
    "SequentialLR": lambda ls, o: ls.SequentialLR(
        o, [ls.LinearLR(o, 0.1, total_iters=5), ls.ExponentialLR(o, 0.9),
            ls.CosineAnnealingLR(o, T_max=8)], milestones=[5, 20]),
    "ChainedScheduler": lambda ls, o: ls.ChainedScheduler(
        [ls.ConstantLR(o, 0.5, total_iters=4), ls.ExponentialLR(o, 0.9), ls.StepLR(o, 5)]),
}


def _state_values(sd: dict) -> dict:
    return {k: v for k, v in sd.items() if not callable(v) and k != "_schedulers"}


@pytest.mark.parametrize("opt", ["SGD", "Adam"])
@pytest.mark.parametrize("name", list(SCHEDULES))
def test_forty_steps_match_torch(torch, name, opt):
    """Rates, group rates, momenta (SGD momentum or Adam's beta1) and the state_dict."""
    def program(lib, log):
        _, o = _model_and_optimizer(lib, opt)
        s = SCHEDULES[name](lib.optim.lr_scheduler, o)
        log(s.get_last_lr(), [g["lr"] for g in o.param_groups], _momenta(o))
        for i in range(40):
            o.step()
            _step(s, i)
            log(s.get_last_lr(), [g["lr"] for g in o.param_groups], _momenta(o))
        log(sorted(s.state_dict()), _state_values(s.state_dict()))
        log([sorted(g) for g in o.param_groups])
    _same_as_torch(torch, program)


def _to_ember(v: Any, torch) -> Any:
    if isinstance(v, dict):
        return {k: _to_ember(x, torch) for k, x in v.items()}
    if isinstance(v, list):
        return [_to_ember(x, torch) for x in v]
    if isinstance(v, torch.Tensor):
        return ember.tensor(v.detach().numpy().copy())
    return v


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_torch_state_dict_loads_and_resumes(torch, name):
    """A state_dict saved by PyTorch after 13 steps, loaded into a fresh Ember scheduler (and
    the optimizer's rates): the next 22 rates are PyTorch's, with no warning."""
    _, to = _model_and_optimizer(torch)
    ts = SCHEDULES[name](torch.optim.lr_scheduler, to)
    for i in range(13):
        to.step()
        _step(ts, i)
    _, eo = _model_and_optimizer(ember)
    es = SCHEDULES[name](ember.optim.lr_scheduler, eo)
    assert sorted(es.state_dict()) == sorted(ts.state_dict())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        es.load_state_dict(copy.deepcopy(_to_ember(ts.state_dict(), torch)))
        for eg, tg in zip(eo.param_groups, to.param_groups):
            eg["lr"] = tg["lr"]
            for key in ("momentum", "betas"):
                if key in eg:
                    eg[key] = tg[key]
        for i in range(13, 35):
            to.step()
            _step(ts, i)
            eo.step()
            _step(es, i)
            assert es.get_last_lr() == ts.get_last_lr(), i


def _cyclic_on_adam_tensor_lr(lib, log):
    w = lib.ones(3, requires_grad=True)
    o = lib.optim.Adam([w], lr=lib.tensor(0.01))
    s = lib.optim.lr_scheduler.CyclicLR(o, 0.001, 0.01, step_size_up=3)
    for _ in range(6):
        o.step()
        s.step()
        log(s.get_last_lr(), o.param_groups[0]["lr"], o.param_groups[0]["betas"])


def _one_cycle_tensor_lr_and_betas(lib, log):
    w = lib.ones(3, requires_grad=True)
    o = lib.optim.Adam([w], lr=lib.tensor(0.01), betas=(lib.tensor(0.9), lib.tensor(0.99)))
    s = lib.optim.lr_scheduler.OneCycleLR(o, 0.01, total_steps=8)
    log(o.param_groups[0]["initial_lr"], o.param_groups[0]["lr"])
    for _ in range(4):
        w.grad = lib.ones(3)
        o.step()
        s.step()
        log(s.get_last_lr(), o.param_groups[0]["betas"], w)


def _user_subclass(lib, log):
    class Warmup(lib.optim.lr_scheduler.LRScheduler):
        def __init__(self, opt, warm, last_epoch=-1):
            self.warm = warm
            super().__init__(opt, last_epoch)

        def get_lr(self):
            return [b * min(1.0, (self.last_epoch + 1) / self.warm) for b in self.base_lrs]

    _, o = _model_and_optimizer(lib)
    s = Warmup(o, 5)
    for _ in range(8):
        o.step()
        s.step()
        log(s.get_last_lr())
    log(s.state_dict())
    log(s.get_lr())  # outside step: PyTorch's warning


def _two_independent_schedulers(lib, log):
    _, o = _model_and_optimizer(lib, "AdamW", lr=1e-3)
    ls = lib.optim.lr_scheduler
    warm, cos = ls.LinearLR(o, start_factor=0.01, total_iters=10), ls.CosineAnnealingLR(o, 30)
    for _ in range(40):
        o.step()
        warm.step()
        cos.step()
        log(warm.get_last_lr(), cos.get_last_lr())


def _warm_restarts_fractional(lib, log):
    _, o = _model_and_optimizer(lib)
    s = lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.001)
    for epoch in range(6):
        for i in range(7):
            o.step()
            s.step(epoch + i / 7)
            log(s.get_last_lr(), s.T_cur, s.T_i, s.last_epoch)
    for e in [0.5, 100.25, 2, 0]:
        s.step(e)
        log(s.get_last_lr(), s.T_cur, s.T_i, s.last_epoch)
    s.step(-1)


def _initial_lr_set(lib, log):
    lib.manual_seed(0)
    m = lib.nn.Linear(3, 2)
    o = lib.optim.SGD([{"params": m.parameters(), "initial_lr": 0.2}], lr=0.1)
    s = lib.optim.lr_scheduler.StepLR(o, 2, gamma=0.5)
    log(s.get_last_lr(), s.base_lrs)
    for name, kw in [("CosineAnnealingLR", dict(T_max=5)), ("LinearLR", {}),
                     ("PolynomialLR", {}), ("MultiStepLR", dict(milestones=[2, 4]))]:
        s = getattr(lib.optim.lr_scheduler, name)(o, last_epoch=3, **kw)
        log(name, s.get_last_lr(), s.last_epoch)
        for _ in range(4):
            o.step()
            s.step()
            log(s.get_last_lr())
    _, o = _model_and_optimizer(lib)
    lib.optim.lr_scheduler.StepLR(o, 2, last_epoch=3)  # no initial_lr: KeyError


def _step_order_and_epoch_warnings(lib, log):
    _, o = _model_and_optimizer(lib)
    s = lib.optim.lr_scheduler.StepLR(o, 3, 0.5)
    s.step()  # before optimizer.step()
    for e in range(5):
        o.step()
        s.step(e)  # deprecated epoch argument: closed form
        log(s.get_last_lr())
    r = lib.optim.lr_scheduler.ReduceLROnPlateau(o, patience=0)
    r.step(lib.tensor(1.0), 7)
    log(r.last_epoch, r.get_last_lr())
    _, o = _model_and_optimizer(lib)
    s = lib.optim.lr_scheduler.ExponentialLR(o, 0.5)
    o.step = lambda closure=None: None  # overridden after the scheduler was built
    o.step()
    s.step()


def _plateau_metrics(lib, log):
    w = lib.ones(3, requires_grad=True)
    o = lib.optim.SGD([w], lr=0.1)
    s = lib.optim.lr_scheduler.ReduceLROnPlateau(o, patience=1, eps=0.05, factor=0.5)
    for m in [lib.tensor([2.0]), np.float32(1.5), np.array(1.0), float("nan")] + [1.0] * 8:
        o.step()
        s.step(m)
        log(s.get_last_lr(), s.best, s.num_bad_epochs)
    o.add_param_group({"params": [lib.ones(2, requires_grad=True)], "lr": 3.0})
    for _ in range(3):
        s.step(1.0)
    log(s.get_last_lr(), s.min_lrs, s.state_dict())
    s.step(lib.tensor([1.0, 2.0]))


PROGRAMS = [_cyclic_on_adam_tensor_lr, _one_cycle_tensor_lr_and_betas, _user_subclass,
            _two_independent_schedulers, _warm_restarts_fractional, _initial_lr_set,
            _step_order_and_epoch_warnings, _plateau_metrics]


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.__name__.strip("_"))
def test_scheduler_program_matches_torch(torch, program):
    _same_as_torch(torch, program)


SCHEDULER_REQUIRED = {
    "LambdaLR": dict(lr_lambda=lambda e: 1.0), "MultiplicativeLR": dict(lr_lambda=lambda e: 0.9),
    "StepLR": dict(step_size=2), "MultiStepLR": dict(milestones=[2]),
    "ExponentialLR": dict(gamma=0.9), "CosineAnnealingLR": dict(T_max=5),
    "CyclicLR": dict(base_lr=0.01, max_lr=0.1), "CosineAnnealingWarmRestarts": dict(T_0=3),
    "OneCycleLR": dict(max_lr=0.1, total_steps=10), "ConstantLR": {}, "LinearLR": {},
    "PolynomialLR": {}, "ReduceLROnPlateau": {}, "SWALR": dict(swa_lr=0.05)}


def _bad_values(default: Any) -> list:
    if isinstance(default, bool):
        return ["x", None]
    if isinstance(default, (int, float)):
        return [-1.0, -1, 0, 0.0, 1, 1.5, 2, float("nan"), float("inf"), "a", None, [0.1]]
    if isinstance(default, str):
        return ["bogus", None]
    if isinstance(default, list):
        return [[], [3, 1], "a", None, [0.1, 0.2]]
    return [-1, 0, 1.5, "a", 5]


@pytest.mark.parametrize("name", list(SCHEDULER_REQUIRED))
def test_scheduler_argument_sweep_matches_torch(torch, name):
    """Every argument set to odd values: PyTorch's error (type and text) or its four rates."""
    def program(lib, log):
        mod = lib.optim.swa_utils if name == "SWALR" else lib.optim.lr_scheduler
        signature = inspect.signature(getattr(mod, name).__init__)
        for arg, p in signature.parameters.items():
            if arg in ("self", "optimizer", "lr_lambda"):
                continue
            for bad in _bad_values(SCHEDULER_REQUIRED[name].get(arg, p.default)):
                o = lib.optim.SGD([lib.ones(3, requires_grad=True)], lr=0.1, momentum=0.9)
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        s = getattr(mod, name)(o, **{**SCHEDULER_REQUIRED[name], arg: bad})
                        rates = [s.get_last_lr()]
                        for i in range(4):
                            o.step()
                            _step(s, i)
                            rates.append(s.get_last_lr())
                    log(arg, repr(bad), rates)
                except Exception as e:  # noqa: BLE001
                    log(arg, repr(bad), type(e).__name__, str(e))
    _same_as_torch(torch, program)


def _swa_program(kind: str, use_buffers: bool, strategy: str):
    def program(lib, log):
        lib.manual_seed(0)
        rng = np.random.default_rng(0)
        m = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4), lib.nn.ReLU(),
                              lib.nn.Linear(4, 2))
        with lib.no_grad():
            for p in m.parameters():
                p.copy_(lib.tensor(rng.standard_normal(tuple(p.shape)).astype("float32")))
        su = lib.optim.swa_utils
        kw = {"ema": dict(multi_avg_fn=su.get_ema_multi_avg_fn(0.9)),
              "ema_one": dict(avg_fn=su.get_ema_avg_fn(0.8)),
              "swa_multi": dict(multi_avg_fn=su.get_swa_multi_avg_fn()),
              "custom": dict(avg_fn=lambda a, c, n: 0.5 * a + 0.5 * c)}.get(kind, {})
        avg = su.AveragedModel(m, use_buffers=use_buffers, **kw)
        log(list(avg.state_dict()))
        o = lib.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
        s = su.SWALR(o, swa_lr=0.05, anneal_epochs=5, anneal_strategy=strategy)
        X = rng.standard_normal((40, 3)).astype("float32")
        Y = rng.standard_normal((40, 2)).astype("float32")
        loader = [(lib.tensor(X[i:i + 10]), lib.tensor(Y[i:i + 10])) for i in range(0, 40, 10)]
        for epoch in range(8):
            for x, y in loader:
                o.zero_grad()
                lib.nn.functional.mse_loss(m(x), y).backward()
                o.step()
            avg.update_parameters(m)
            s.step()
            log(epoch, s.get_last_lr(), avg.n_averaged)
        rounded = {k: np.round(v.numpy().astype("float64"), 4).tolist()
                   for k, v in avg.state_dict().items()}
        su.update_bn(loader, avg)
        log(rounded, np.round(avg.module[1].running_var.numpy(), 4).tolist())
        log(avg.training, avg.module[1].momentum, sorted(s.state_dict()))
    return program


@pytest.mark.parametrize("kind,use_buffers,strategy", [
    ("swa", False, "cos"), ("ema", False, "cos"), ("ema_one", False, "linear"),
    ("swa_multi", False, "cos"), ("custom", False, "cos"), ("ema", True, "cos"),
    ("swa", True, "linear")])
def test_swa_training_program_matches_torch(torch, kind, use_buffers, strategy):
    """SWA/EMA of a BatchNorm net with SWALR, then update_bn (values to 4 decimals: the
    training steps are float32)."""
    _same_as_torch(torch, _swa_program(kind, use_buffers, strategy))


OPTIMIZER_ARGS = ["SGD", "Adam", "AdamW", "Adamax", "Adadelta", "Adagrad", "ASGD", "NAdam",
                  "RAdam", "RMSprop", "Rprop", "LBFGS", "SparseAdam", "Adafactor", "Muon"]


@pytest.mark.parametrize("name", OPTIMIZER_ARGS)
def test_optimizer_argument_sweep_matches_torch(torch, name):
    """Odd hyper-parameters: PyTorch's ValueError/TypeError texts, or no error where PyTorch
    lets them through (SGD's NaN momentum; SparseAdam refuses a zero lr or eps)."""
    def program(lib, log):
        signature = inspect.signature(getattr(torch.optim, name).__init__)
        for arg, p in signature.parameters.items():
            d = p.default
            if arg in ("self", "params") or isinstance(d, bool):
                continue
            if d is None:
                bads = ["x"]
            elif isinstance(d, (int, float)):
                bads = [-1.0, -1, float("nan"), 2.0, "a", 0, 0.0, 1.0, float("inf")]
            elif isinstance(d, tuple):
                bads = [(-0.1, 0.9), (0.9, 1.0), (1.0, 0.5), (0.5,), 0.5]
            else:
                bads = ["bogus"]
            for bad in bads:
                kw = {arg: bad}
                if name == "SGD" and arg != "lr":
                    kw["lr"] = 0.1
                try:
                    getattr(lib.optim, name)([lib.ones(3, requires_grad=True)], **kw)
                    log(arg, repr(bad), "ok")
                except Exception as e:  # noqa: BLE001
                    log(arg, repr(bad), type(e).__name__,
                        str(e).replace("torch", "X").replace("ember", "X"))
    _same_as_torch(torch, program)


OPTIMIZERS = [("SGD", dict(momentum=0.9, nesterov=True)), ("SGD", {}), ("Adam", {}),
              ("Adam", dict(amsgrad=True)), ("AdamW", dict(amsgrad=True)), ("Adamax", {}),
              ("Adadelta", {}), ("Adagrad", dict(lr_decay=0.01)), ("ASGD", dict(t0=1)),
              ("NAdam", dict(decoupled_weight_decay=True)), ("RAdam", {}),
              ("RMSprop", dict(momentum=0.5, centered=True)), ("Rprop", {}), ("Adafactor", {}),
              ("LBFGS", dict(line_search_fn="strong_wolfe", history_size=3))]


@pytest.mark.parametrize("name,kw", OPTIMIZERS, ids=lambda v: str(v))
def test_optimizer_state_keys_and_torch_state_dict_load(torch, name, kw):
    """state_dict()['state'] keys/dtypes/shapes after three steps (one parameter never gets a
    gradient), then PyTorch's state_dict loaded into Ember and three more steps."""
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((4, 3)), rng.standard_normal(4), rng.standard_normal(2)]
    x = rng.standard_normal((5, 3))

    def run(lib, params, opt):
        xs = lib.tensor(x)

        def closure():
            opt.zero_grad()
            loss = ((xs @ params[0].T + params[1]) ** 2).mean()
            loss.backward()
            return loss
        for _ in range(3):
            opt.step(closure)

    def make(lib, params):
        return getattr(lib.optim, name)(params, **({"lr": 0.1} if name == "SGD" else {}), **kw)

    def layout(sd):
        return {k: {kk: ("list", len(vv)) if isinstance(vv, list) else
                    (type(vv).__name__, str(getattr(vv, "dtype", "")).split(".")[-1],
                     tuple(getattr(vv, "shape", ()))) for kk, vv in v.items()}
                for k, v in sd["state"].items()}

    tp = [torch.tensor(a, requires_grad=True) for a in arrays]
    to = make(torch, tp)
    run(torch, tp, to)
    ep = [ember.tensor(a, requires_grad=True) for a in arrays]
    eo = make(ember, ep)
    run(ember, ep, eo)
    assert layout(eo.state_dict()) == layout(to.state_dict())
    assert eo.state_dict()["param_groups"] == to.state_dict()["param_groups"]
    # both resume from PyTorch's checkpoint (loading casts the state to the parameters' dtype)
    ep = [ember.tensor(p.detach().numpy().copy(), requires_grad=True) for p in tp]
    eo = make(ember, ep)
    eo.load_state_dict(_to_ember(to.state_dict(), torch))
    tp2 = [torch.tensor(p.detach().numpy().copy(), requires_grad=True) for p in tp]
    to2 = make(torch, tp2)
    to2.load_state_dict(to.state_dict())
    assert layout(eo.state_dict()) == layout(to2.state_dict())
    run(torch, tp2, to2)
    run(ember, ep, eo)
    assert layout(eo.state_dict()) == layout(to2.state_dict())
    for e, t in zip(ep, tp2):
        np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-10,
                                   atol=1e-12)


def _param_group_program(lib, log):
    a, b = lib.zeros(3, requires_grad=True), lib.zeros(2, requires_grad=True)
    o = lib.optim.SGD([a], lr=0.1, momentum=0.9)
    for group in [{"params": [a]}, {"params": {b}}, {"params": [b, b]},
                  {"params": [lib.zeros(2)]}, {"params": [b * 2]}, {"params": []},
                  {"params": [b], "lr": 0.5, "extra": 3}]:
        try:
            o.add_param_group(group)
            log("ok", [sorted(g) for g in o.param_groups])
        except Exception as e:  # noqa: BLE001
            log(type(e).__name__, str(e))
    a.grad = lib.ones(3)
    o.step()
    (a * a).sum().backward(create_graph=False)
    g = a.grad
    o.zero_grad(set_to_none=False)
    log(a.grad, a.grad is g, a.grad.requires_grad, o.state_dict()["state"])
    o.zero_grad()
    log(a.grad is None)


def test_add_param_group_and_zero_grad_match_torch(torch):
    _same_as_torch(torch, _param_group_program)


def _integer_buffers_program(lib, log):
    """``use_buffers=True`` averages BatchNorm's integer ``num_batches_tracked`` too: the
    default running average truncates it, EMA lerps it, and ``get_swa_multi_avg_fn`` fails
    on it as PyTorch's ``addcdiv`` does (the count is a tensor)."""
    bn = lib.nn.BatchNorm1d(2)
    su = lib.optim.swa_utils
    ema = su.AveragedModel(bn, multi_avg_fn=su.get_ema_multi_avg_fn(0.5), use_buffers=True)
    swa = su.AveragedModel(bn, use_buffers=True)
    multi = su.AveragedModel(bn, multi_avg_fn=su.get_swa_multi_avg_fn(), use_buffers=True)
    for i in range(4):
        bn(lib.tensor(np.random.default_rng(i).standard_normal((4, 2)).astype("float32")))
        ema.update_parameters(bn)
        swa.update_parameters(bn)
        log(ema.module.num_batches_tracked, swa.module.num_batches_tracked,
            np.round(ema.module.running_mean.numpy(), 5).tolist())
        multi.update_parameters(bn)
        log(multi.module.num_batches_tracked)


def test_averaging_integer_buffers_matches_torch(torch):
    _same_as_torch(torch, _integer_buffers_program)


def _load_casts_program(lib, log):
    """Loading casts state tensors to the parameter's dtype; ``step`` stays as saved, except
    in fused or capturable groups (float32); a plain-number step becomes a tensor."""
    w = lib.ones(3, requires_grad=True)
    for kw in [dict(fused=True), dict(capturable=True), {}]:
        o = lib.optim.Adam([w], **kw)
        sd = {"state": {0: {"step": lib.tensor(3.0, dtype=lib.float64),
                            "exp_avg": lib.zeros(3, dtype=lib.float64),
                            "exp_avg_sq": lib.zeros(3, dtype=lib.float16)}},
              "param_groups": o.state_dict()["param_groups"]}
        o.load_state_dict(sd)
        log(kw, {k: str(v.dtype).split(".")[-1] for k, v in o.state[w].items()})
        sd["state"][0]["step"] = 3
        o.load_state_dict(sd)
        log(kw, {k: str(v.dtype).split(".")[-1] for k, v in o.state[w].items()})
    o = lib.optim.SGD([w], lr=0.1, momentum=0.9, fused=True)
    o.load_state_dict({"state": {0: {"momentum_buffer": lib.zeros(3, dtype=lib.float64)}},
                       "param_groups": o.state_dict()["param_groups"]})
    log({k: str(v.dtype).split(".")[-1] for k, v in o.state[w].items()})


def test_load_state_dict_casts_as_torch(torch):
    _same_as_torch(torch, _load_casts_program)


def _other_width_program(lib, log):
    """Updating an average from a model of another width fails with copy_'s RuntimeError."""
    small = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.BatchNorm1d(2))
    wide = lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.BatchNorm1d(3))
    for use_buffers in (False, True):
        avg = lib.optim.swa_utils.AveragedModel(small, use_buffers=use_buffers)
        try:
            avg.update_parameters(wide)
        except Exception as e:  # noqa: BLE001
            log(use_buffers, type(e).__name__, str(e))


def test_averaging_a_model_of_another_width_raises_as_torch(torch):
    _same_as_torch(torch, _other_width_program)
