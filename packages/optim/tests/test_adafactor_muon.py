"""Adafactor and Muon against PyTorch's: steps, options, errors, state_dicts."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ember
import ember.optim as optim

TOL = {"float32": dict(rtol=1e-5, atol=2e-6), "float64": dict(rtol=1e-10, atol=1e-13)}
# scalars and vectors keep a full variance; matrices and batches of them row/column factors
ADAFACTOR_SHAPES = [(), (5,), (4, 3), (2, 3, 4), (1, 6), (7, 1), (2, 1, 3, 5)]
MUON_SHAPES = [(4, 3), (3, 5), (6, 6), (12, 4), (1, 7)]


class _Run:
    """The same optimizer on both libraries, stepped with the same random gradients."""

    def __init__(self, torch, name, shapes, kwargs, dtype, seed=0, groups=None):
        self.torch, self.shapes, self.dtype = torch, shapes, dtype
        self.rng = np.random.default_rng(seed)
        init = [self.rng.standard_normal(s).astype(dtype) for s in shapes]
        self.ep = [ember.tensor(a.copy(), requires_grad=True) for a in init]
        self.tp = [torch.tensor(a.copy(), requires_grad=True) for a in init]
        groups = groups or [{}]
        split = np.array_split(np.arange(len(shapes)), len(groups))
        self.eopt = getattr(optim, name)(
            [dict(params=[self.ep[i] for i in idx], **g) for idx, g in zip(split, groups)],
            **kwargs)
        self.topt = getattr(torch.optim, name)(
            [dict(params=[self.tp[i] for i in idx], **g) for idx, g in zip(split, groups)],
            **kwargs)

    def step(self, n, check=None):
        for k in range(n):
            for i, (e, t, s) in enumerate(zip(self.ep, self.tp, self.shapes)):
                skip = k % 7 == 3 and i == 1  # a parameter without a gradient is left alone
                g = (self.rng.standard_normal(s) * self.rng.uniform(0.1, 3)).astype(self.dtype)
                e.grad = None if skip else ember.tensor(g)
                t.grad = None if skip else self.torch.tensor(g)
            self.eopt.step()
            self.topt.step()
            if check is not None:
                for i, (e, t) in enumerate(zip(self.ep, self.tp)):
                    ember.testing.assert_close(e, t, msg=f"step {k}, parameter {i}:", **check)


ADAFACTOR_CASES = [
    ({}, None),
    (dict(lr=0.1, weight_decay=0.1, beta2_decay=-0.5, d=2.0, eps=(1e-4, 1e-2)), None),
    (dict(maximize=True, weight_decay=0.05, eps=(0.0, 1e-3)), None),
    (dict(lr=0.3), [dict(), dict(lr=0.05, weight_decay=0.2, d=1.5)]),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kwargs,groups", ADAFACTOR_CASES)
def test_adafactor_matches_torch(torch, kwargs, groups, dtype):
    _Run(torch, "Adafactor", ADAFACTOR_SHAPES, kwargs, dtype, groups=groups).step(
        25, check=TOL[dtype])


def test_adafactor_state_layout_matches_torch(torch):
    run = _Run(torch, "Adafactor", ADAFACTOR_SHAPES, dict(weight_decay=0.1), "float32")
    run.step(3)
    esd, tsd = run.eopt.state_dict(), run.topt.state_dict()
    assert esd["param_groups"] == tsd["param_groups"]
    for idx, tstate in tsd["state"].items():
        estate = esd["state"][idx]
        assert list(estate) == list(tstate)  # step, then row_var/col_var or variance
        for key, tval in tstate.items():
            assert tuple(estate[key].shape) == tuple(tval.shape), key
            ember.testing.assert_close(estate[key], tval, rtol=1e-5, atol=1e-7)


def test_adafactor_state_dict_round_trips_with_torch(torch):
    from _optim_helpers import to_ember_state, to_torch_state

    run = _Run(torch, "Adafactor", ADAFACTOR_SHAPES, dict(lr=0.05), "float64")
    run.step(5, check=TOL["float64"])
    fresh = optim.Adafactor(run.ep)
    fresh.load_state_dict(to_ember_state(torch, run.topt.state_dict()))
    back = torch.optim.Adafactor(run.tp)
    back.load_state_dict(to_torch_state(torch, run.eopt.state_dict()))
    run.eopt, run.topt = fresh, back
    run.step(10, check=TOL["float64"])


BAD_ADAFACTOR = [dict(lr=-1.0), dict(beta2_decay=0.1), dict(eps=(-1.0, 1e-3)),
                 dict(eps=(None, -1.0)), dict(d=0.5), dict(weight_decay=-0.1)]


@pytest.mark.parametrize("kwargs", BAD_ADAFACTOR)
def test_adafactor_bad_arguments_raise_like_torch(torch, kwargs):
    with pytest.raises(ValueError) as t_err:
        torch.optim.Adafactor([torch.zeros(2, requires_grad=True)], **kwargs)
    with pytest.raises(ValueError, match=str(t_err.value).replace("(", r"\(")):
        optim.Adafactor([ember.zeros(2, requires_grad=True)], **kwargs)


def test_adafactor_rejects_complex_like_torch(torch):
    for lib in (torch, ember):
        p = lib.zeros(2, dtype=lib.complex64, requires_grad=True)
        p.grad = lib.ones(2, dtype=lib.complex64)
        opt = lib.optim.Adafactor([p])
        with pytest.raises(RuntimeError, match="Adafactor does not support complex"):
            opt.step()


def test_new_optimizers_defaults_and_repr_match_torch(torch):
    for name, shape in (("Adafactor", (2,)), ("Muon", (2, 3))):
        e = getattr(optim, name)([ember.zeros(shape, requires_grad=True)])
        t = getattr(torch.optim, name)([torch.zeros(shape, requires_grad=True)])
        assert e.defaults == t.defaults, name
        assert repr(e) == repr(t), name


# ---------------------------------------------------------------- Muon
def _muon_atol(kwargs, shapes, steps):
    """PyTorch orthogonalizes in bfloat16 with float32 accumulation in a blocked kernel: now
    and then one entry of an update rounds to the neighbouring bfloat16 (2**-8 relative),
    so parameters may differ by that much times the adjusted learning rate, a few times."""
    lr = kwargs.get("lr", 1e-3)
    fn = kwargs.get("adjust_lr_fn")
    scale = max({None: math.sqrt(max(1, a / b)), "original": math.sqrt(max(1, a / b)),
                 "match_rms_adamw": 0.2 * math.sqrt(max(a, b)),
                 "spectral_unclamped": math.sqrt(a / b)}[fn] for a, b in shapes)
    return 4 * lr * scale * 2.0 ** -8


MUON_CASES = [
    {},
    dict(lr=0.02, nesterov=False, momentum=0.3),
    dict(lr=0.02, weight_decay=0.0, adjust_lr_fn="match_rms_adamw"),
    dict(lr=0.01, adjust_lr_fn="spectral_unclamped", ns_steps=3,
         ns_coefficients=(2.0, -1.5, 0.5)),
    dict(lr=0.02, adjust_lr_fn="original", momentum=0.0, eps=1e-3),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kwargs", MUON_CASES)
def test_muon_matches_torch(torch, kwargs, dtype):
    run = _Run(torch, "Muon", MUON_SHAPES, kwargs, dtype)
    run.step(25, check=dict(rtol=1e-5, atol=_muon_atol(kwargs, MUON_SHAPES, 25)))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_muon_first_steps_match_torch_to_float_precision(torch, dtype):
    # small matrices: PyTorch's bfloat16 kernels and Ember's emulation round alike
    run = _Run(torch, "Muon", [(4, 3), (3, 5), (2, 2)], dict(lr=0.05), dtype, seed=3)
    run.step(3, check=TOL[dtype])


def test_muon_state_dict_matches_and_loads(torch):
    from _optim_helpers import to_ember_state

    run = _Run(torch, "Muon", MUON_SHAPES, dict(lr=0.02), "float32")
    run.step(4, check=dict(rtol=1e-5, atol=_muon_atol({"lr": 0.02}, MUON_SHAPES, 4)))
    esd, tsd = run.eopt.state_dict(), run.topt.state_dict()
    assert esd["param_groups"] == tsd["param_groups"]
    assert sorted(esd["state"]) == sorted(tsd["state"])
    for idx, tstate in tsd["state"].items():
        assert list(esd["state"][idx]) == ["momentum_buffer"] == list(tstate)
        ember.testing.assert_close(esd["state"][idx]["momentum_buffer"],
                                   tstate["momentum_buffer"], rtol=1e-6, atol=1e-7)
    fresh = optim.Muon(run.ep, lr=0.02)
    fresh.load_state_dict(to_ember_state(torch, tsd))
    for p in run.ep:
        ember.testing.assert_close(fresh.state[p]["momentum_buffer"],
                                   run.eopt.state[p]["momentum_buffer"], rtol=1e-6, atol=1e-7)


BAD_MUON = [dict(lr=-1.0), dict(weight_decay=-0.1), dict(momentum=-0.5),
            dict(adjust_lr_fn="sqrt")]


@pytest.mark.parametrize("kwargs", BAD_MUON)
def test_muon_bad_arguments_raise_like_torch(torch, kwargs):
    with pytest.raises(ValueError) as t_err:
        torch.optim.Muon([torch.zeros(2, 2, requires_grad=True)], **kwargs)
    with pytest.raises(ValueError, match=str(t_err.value)):
        optim.Muon([ember.zeros(2, 2, requires_grad=True)], **kwargs)


@pytest.mark.parametrize("shape", [(3,), (2, 3, 4), ()])
def test_muon_accepts_only_2d_parameters(torch, shape):
    with pytest.raises(ValueError) as t_err:
        torch.optim.Muon([torch.zeros(shape, requires_grad=True)])
    with pytest.raises(ValueError) as e_err:
        optim.Muon([ember.zeros(shape, requires_grad=True)])
    assert str(e_err.value) == str(t_err.value).replace("torch.", "ember.")


@pytest.mark.parametrize("kwargs,message", [
    (dict(ns_steps=100), "Number of steps must be less than 100"),
    (dict(ns_coefficients=(1.0, 2.0)), "Coefficients must be a tuple of exactly 3 values"),
])
def test_muon_step_time_errors_match_torch(torch, kwargs, message):
    for lib in (torch, ember):
        p = lib.ones(2, 3, requires_grad=True)
        p.grad = lib.ones(2, 3)
        opt = lib.optim.Muon([p], **kwargs)
        with pytest.raises(ValueError, match=message):
            opt.step()


def test_newton_schulz_orthogonalizes():
    # five iterations bring every singular value near 1 (within PyTorch's bfloat16 band)
    from ember.optim.muon import _newton_schulz

    rng = np.random.default_rng(0)
    for shape in [(8, 5), (5, 8), (16, 16)]:
        out = _newton_schulz(np, rng.standard_normal(shape).astype(np.float32),
                             (3.4445, -4.775, 2.0315), 5, 1e-7)
        s = np.linalg.svd(out.astype(np.float64), compute_uv=False)
        assert out.shape == shape and s.min() > 0.5 and s.max() < 1.3
