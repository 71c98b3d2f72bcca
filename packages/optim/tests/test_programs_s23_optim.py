"""Optimizers fuzzed against PyTorch: lr tensors in multi-tensor and Adafactor/Muon steps,
the capturable and fused step errors in PyTorch's words, and a seeded differential sweep of
every optimizer's options (groups with their own options, parameters without a gradient,
complex parameters, lr tensors) compared step for step with their state_dict and repr."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember
import ember.optim


def _run(lib, name: str, group_opts: list, kw: dict, init: list, grads: list,
         lr_tensor: bool = False) -> dict:
    """``len(grads)`` steps of ``name`` on parameters made from ``init`` (a list per group);
    a gradient array that is None leaves that parameter without a gradient for that step."""
    params = [[lib.tensor(a.copy(), requires_grad=True) for a in g] for g in init]

    def lr_of(opts: dict) -> dict:
        opts = dict(opts)
        if lr_tensor and "lr" in opts:
            opts["lr"] = lib.tensor(opts["lr"])
        return opts

    groups = [dict(params=p, **lr_of(o)) for p, o in zip(params, group_opts)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        opt = getattr(lib.optim, name)(groups, **lr_of(kw))
        traj = []
        for step in grads:
            for ps, gs in zip(params, step):
                for p, g in zip(ps, gs):
                    p.grad = None if g is None else lib.tensor(g)
            opt.step()
            traj.append([p.detach().numpy().copy() for p in sum(params, [])])
    sd = opt.state_dict()
    state = {i: {k: (str(v.dtype).split(".")[-1], tuple(v.shape), v.detach().numpy().copy())
                 if hasattr(v, "shape") else v for k, v in s.items()}
             for i, s in sd["state"].items()}
    groups = [{k: (str(v.dtype).split(".")[-1], float(v)) if hasattr(v, "shape") else v
               for k, v in g.items()} for g in sd["param_groups"]]
    return dict(traj=traj, state=state, groups=groups,
                repr=repr(opt).replace("torch.", "ember."))


def _assert_same(e, t, path: str = "", rtol: float = 1e-12, atol: float = 1e-14) -> None:
    """Ember's nested result equals PyTorch's: arrays within tolerance, the rest exactly."""
    if isinstance(t, dict):
        assert list(e) == list(t), f"{path}: keys {list(e)} vs {list(t)}"
        for k in t:
            _assert_same(e[k], t[k], f"{path}.{k}", rtol, atol)
    elif isinstance(t, (list, tuple)):
        assert len(e) == len(t), f"{path}: length {len(e)} vs {len(t)}"
        for i, (a, b) in enumerate(zip(e, t)):
            _assert_same(a, b, f"{path}[{i}]", rtol, atol)
    elif isinstance(t, np.ndarray):
        assert e.dtype == t.dtype and e.shape == t.shape, path
        if t.dtype in (np.float32, np.complex64) and rtol:  # float32 state (ASGD's eta)
            rtol, atol = max(rtol, 1e-6), max(atol, 1e-7)
        np.testing.assert_allclose(e, t, rtol=rtol, atol=atol, err_msg=path)
    else:
        assert e == t, f"{path}: {e!r} vs {t!r}"


def _data(seed: int, shapes: list, steps: int = 5, dtype: str = "float64",
          is_complex: bool = False):
    rng = np.random.default_rng(seed)

    def arr(s):
        a = rng.standard_normal(s)
        if is_complex:
            a = a + 1j * rng.standard_normal(s)
            return a.astype("complex128" if dtype == "float64" else "complex64")
        return a.astype(dtype)

    init = [[arr(s) for s in g] for g in shapes]
    grads = [[[arr(s) for s in g] for g in shapes] for _ in range(steps)]
    return init, grads


# an lr tensor (float32, as ``torch.tensor(0.01)``) on float64 parameters: PyTorch's
# multi-tensor NAdam/Adamax/RAdam steps and fused Adam kernel take its value as a Python
# float; Adafactor's and Muon's steps keep it a 0-d tensor (float32 step sizes and
# weight-decay factors), as RAdam's decoupled weight decay does
LR_TENSOR = [
    ("Adafactor", [{}], dict(lr=0.01)),
    ("Adafactor", [{"lr": 0.01}, {}], dict(foreach=True, weight_decay=0.1)),
    ("Adafactor", [{"lr": 0.1}], dict(maximize=True, weight_decay=0.1, d=1.0)),
    ("NAdam", [{}], dict(lr=0.1, foreach=True)),
    ("NAdam", [{}], dict(lr=0.1, foreach=True, weight_decay=0.1, decoupled_weight_decay=True)),
    ("NAdam", [{}], dict(lr=0.1, foreach=False, weight_decay=0.1, decoupled_weight_decay=True)),
    ("Adamax", [{"lr": 0.002}], dict(foreach=True, maximize=True)),
    ("Adamax", [{}], dict(lr=0.1, foreach=False)),
    ("RAdam", [{}], dict(lr=0.1, weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", [{}], dict(lr=0.1, foreach=True, weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", [{"lr": 0.01}], dict(foreach=True, betas=(0.5, 0.8), maximize=True)),
    ("Adam", [{}], dict(lr=0.01, fused=True, weight_decay=0.1, amsgrad=True)),
    ("AdamW", [{"lr": 0.05}, {}], dict(lr=0.01, fused=True, weight_decay=0.1)),
    ("Muon", [{"lr": 0.02}], dict(weight_decay=0.1)),
    ("Muon", [{"lr": 0.001, "adjust_lr_fn": "match_rms_adamw"}, {}], dict(momentum=0.5)),
]


@pytest.mark.parametrize("name,groups,kw", LR_TENSOR)
def test_lr_tensor_steps(torch, name, groups, kw):
    shapes = [[(4, 3), (3, 2)], [(2, 3)]][:len(groups)]
    init, grads = _data(1, shapes)
    t = _run(torch, name, groups, kw, init, grads, lr_tensor=True)
    e = _run(ember, name, groups, kw, init, grads, lr_tensor=True)
    _assert_same(e, t, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("kw", [dict(lr=0.1, foreach=True), dict(lr=0.01, foreach=True,
                                                                 weight_decay=0.1)])
def test_radam_foreach_float32_nearly_bitwise(torch, kw):
    """PyTorch's multi-tensor RAdam (reciprocal of the scaled denominator, one-rounding
    ``addcmul_``) on float32, past and below the vector widths: bit for bit but for the odd
    element where PyTorch's vectorised sqrt is one ulp off (the two-rounding emulation left
    about one element in ten a bit apart): under 1% of the elements differ."""
    init, grads = _data(3, [[(1000,), (12,), (7, 9)]], steps=6, dtype="float32")
    t = _run(torch, "RAdam", [{}], kw, init, grads)
    e = _run(ember, "RAdam", [{}], kw, init, grads)
    _assert_same(e["traj"], t["traj"], "traj", rtol=1e-6, atol=1e-7)
    for step, (es, ts) in enumerate(zip(e["traj"], t["traj"])):
        differ = sum(int((a != b).sum()) for a, b in zip(es, ts))
        assert differ <= 10, f"step {step}: {differ} of 1075 elements differ"


@pytest.mark.parametrize("kw", [dict(lr=0.1, lambd=0.01, alpha=0.75),
                                dict(lr=0.05, lambd=0.01, alpha=0.75, t0=2.0, weight_decay=0.1),
                                dict(lr=0.1, lambd=0.01, alpha=0.75, maximize=True)])
def test_asgd_foreach_eta(torch, kw):
    """PyTorch's multi-tensor ASGD takes ``lr / step_term`` as ``step_term.reciprocal() * lr``
    in float32: eta, mu and the parameters equal PyTorch's step for step."""
    init, grads = _data(4, [[(4, 3), (5,)]], steps=8)
    kw = dict(kw, foreach=True)
    t = _run(torch, "ASGD", [{}], kw, init, grads)
    e = _run(ember, "ASGD", [{}], kw, init, grads)
    _assert_same(e, t, rtol=0, atol=0)


def test_lr_tensor_complex_adamax_foreach(torch):
    init, grads = _data(2, [[(4, 3), (5,)]], is_complex=True)
    kw = dict(lr=0.05, foreach=True, weight_decay=0.1)
    t = _run(torch, "Adamax", [{}], kw, init, grads, lr_tensor=True)
    e = _run(ember, "Adamax", [{}], kw, init, grads, lr_tensor=True)
    _assert_same(e, t, rtol=1e-13, atol=1e-15)


def _error(fn):
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - the type is what is compared
        return type(exc), str(exc).replace("torch.", "ember.")
    return None


@pytest.mark.parametrize("name", ["Adam", "AdamW", "Adamax", "NAdam", "RAdam", "ASGD",
                                  "RMSprop", "Rprop", "Adadelta"])
@pytest.mark.parametrize("foreach", [False, True])
def test_capturable_on_cpu_error_text(torch, name, foreach):
    """The single- and multi-tensor steps name their own device lists (and NAdam's texts
    differ by a comma)."""
    def program(lib):
        p = lib.zeros(3, requires_grad=True)
        opt = getattr(lib.optim, name)([p], lr=0.1, capturable=True, foreach=foreach)
        p.grad = lib.ones(3)
        opt.step()

    expected = _error(lambda: program(torch))
    assert expected is not None
    assert _error(lambda: program(ember)) == expected


@pytest.mark.parametrize("name", ["SGD", "Adagrad", "Adam", "AdamW"])
@pytest.mark.parametrize("order", ["complex_first", "real_first"])
def test_fused_complex_parameter(torch, name, order):
    """A fused step refuses a complex parameter as PyTorch's: SGD and Adagrad check the first
    parameter they step only (then their fused kernels refuse it), Adam each one whose state
    it creates."""
    def program(lib):
        a = lib.zeros(3, dtype=lib.complex64, requires_grad=True)
        b = lib.zeros(3, requires_grad=True)
        params = [a, b] if order == "complex_first" else [b, a]
        opt = getattr(lib.optim, name)(params, lr=0.1, fused=True)
        for _ in range(2):
            for p in params:
                p.grad = lib.ones_like(p)
            opt.step()
        return [p.detach().numpy().copy() for p in params]

    expected = _error(lambda: program(torch))
    assert expected is not None
    assert _error(lambda: program(ember)) == expected


@pytest.mark.parametrize("name,momentum", [("SGD", 0), ("SGD", 0.9), ("Adagrad", 0)])
def test_fused_sparse_gradient(torch, name, momentum):
    def program(lib):
        emb = lib.nn.Embedding(5, 3, sparse=True, dtype=lib.float64)
        kw = dict(momentum=momentum) if name == "SGD" else {}
        opt = getattr(lib.optim, name)(emb.parameters(), lr=0.1, fused=True, **kw)
        emb(lib.tensor([1, 2])).sum().backward()
        opt.step()

    pytest.importorskip("ember.nn")
    expected = _error(lambda: program(torch))
    assert expected is not None
    assert _error(lambda: program(ember)) == expected


# the sweep: each optimizer's options from its signature, drawn per case
SPACE = {
    "SGD": dict(lr=[0.1, 0.01], momentum=[0, 0.9], dampening=[0, 0.3], weight_decay=[0, 0.1],
                maximize=[False, True], foreach=[None, True, False]),
    "Adam": dict(lr=[1e-2], betas=[(0.9, 0.999), (0.5, 0.8)], eps=[1e-8, 1e-3],
                 weight_decay=[0, 0.1], amsgrad=[False, True], foreach=[None, False],
                 maximize=[False, True], decoupled_weight_decay=[False, True]),
    "AdamW": dict(lr=[1e-2], betas=[(0.5, 0.8)], weight_decay=[0.01, 0.1], amsgrad=[False, True],
                  maximize=[False, True], fused=[None, True]),
    "Adamax": dict(lr=[2e-3, 0.1], betas=[(0.5, 0.8)], eps=[1e-8, 1e-3], weight_decay=[0, 0.1],
                   foreach=[None, True, False], maximize=[False, True]),
    "NAdam": dict(lr=[2e-3, 0.1], betas=[(0.5, 0.8)], weight_decay=[0, 0.1],
                  momentum_decay=[0.004, 0.1], decoupled_weight_decay=[False, True],
                  foreach=[None, True, False], maximize=[False, True]),
    "RAdam": dict(lr=[1e-3, 0.1], betas=[(0.5, 0.8)], weight_decay=[0, 0.1],
                  decoupled_weight_decay=[False, True], foreach=[None, True, False],
                  maximize=[False, True]),
    "Adagrad": dict(lr=[0.01, 0.1], lr_decay=[0, 0.1], weight_decay=[0, 0.1],
                    initial_accumulator_value=[0, 0.1], eps=[1e-10, 1e-3],
                    foreach=[None, True, False], maximize=[False, True]),
    "Adadelta": dict(lr=[1.0, 0.5], rho=[0.9, 0.5], eps=[1e-6, 1e-3], weight_decay=[0, 0.1],
                     foreach=[None, True, False], maximize=[False, True]),
    "Adafactor": dict(lr=[0.01, 0.1], beta2_decay=[-0.8, -0.5], eps=[(None, 1e-3), (1e-30, 1e-2)],
                      weight_decay=[0.0, 0.1], foreach=[None, True, False], maximize=[False, True]),
    "RMSprop": dict(alpha=[0.99, 0.5], eps=[1e-8, 1e-3], weight_decay=[0, 0.1], momentum=[0, 0.5],
                    centered=[False, True], foreach=[None, True, False], maximize=[False, True]),
    "Rprop": dict(lr=[0.01, 0.1], etas=[(0.5, 1.2), (0.3, 1.5)], step_sizes=[(1e-6, 50), (1e-3, 0.2)],
                  foreach=[None, True, False], maximize=[False, True]),
    "ASGD": dict(lr=[0.01, 0.1], lambd=[1e-4, 0.01], alpha=[0.75, 0.5], t0=[1e6, 2.0],
                 weight_decay=[0, 0.1], foreach=[None, True, False], maximize=[False, True]),
    "Muon": dict(lr=[1e-3, 0.02], weight_decay=[0.1, 0.0], momentum=[0.95, 0.5],
                 nesterov=[True, False], ns_steps=[5, 3], adjust_lr_fn=[None, "match_rms_adamw"]),
}
GROUP_ONLY = ("foreach", "fused")


def _case(seed: int):
    rng = np.random.default_rng(seed)
    name = list(SPACE)[seed % len(SPACE)]
    space = SPACE[name]

    def pick(skip=()):
        return {k: v[rng.integers(len(v))] for k, v in space.items()
                if k not in skip and rng.random() < 0.5}

    ngroups = int(rng.integers(1, 3))
    kw = pick()
    groups = [pick(GROUP_ONLY) if rng.random() < 0.5 else {} for _ in range(ngroups)]
    is_complex = name not in ("Muon", "Adafactor") and "fused" not in kw and rng.random() < 0.2
    lr_tensor = rng.random() < 0.25 and not (name in ("Adam", "AdamW") and kw.get("foreach"))
    shapes = [[(4, 3), (5,), ()], [(2, 3)]][:ngroups]
    if name == "Muon":
        shapes = [[(4, 3)], [(2, 3)]][:ngroups]
    init, grads = _data(seed + 100, shapes, steps=4, is_complex=is_complex)
    grads[1][0][0] = None  # a parameter without a gradient for one step
    return name, groups, kw, init, grads, lr_tensor


def test_seeded_sweep(torch):
    for seed in range(80):
        name, groups, kw, init, grads, lr_tensor = _case(seed)
        t = _run(torch, name, groups, kw, init, grads, lr_tensor)
        e = _run(ember, name, groups, kw, init, grads, lr_tensor)
        _assert_same(e, t, f"seed {seed} {name} {kw} {groups}", rtol=1e-10, atol=1e-12)
