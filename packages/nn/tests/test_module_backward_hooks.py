"""Full backward hooks and pre-hooks of ``Module`` against PyTorch: what ``grad_input`` and
``grad_output`` hold for several inputs and outputs, and replacing gradients from a hook."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import ember
from ember.testing import assert_close


def _two(nn: Any) -> Any:
    class Two(nn.Module):
        def forward(self, a, b, c=None):
            return a * b * 2, a + b, 3

    return Two()


def _lin(nn: Any, lib: Any, w: np.ndarray, bias: np.ndarray) -> Any:
    class Lin(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.l = nn.Linear(3, 2)

        def forward(self, x, y):
            return self.l(x) + y

    m = Lin()
    m.l.load_state_dict({"weight": lib.tensor(w), "bias": lib.tensor(bias)})
    return m


def _record(log: list) -> Any:
    def hook(m, gi, go):
        log.append(("gi", [None if g is None else g.detach().numpy().copy() for g in gi]))
        log.append(("go", [None if g is None else g.detach().numpy().copy() for g in go]))
    return hook


def _same_logs(e: list, t: list) -> None:
    assert len(e) == len(t)
    for (ek, ev), (tk, tv) in zip(e, t):
        assert ek == tk and len(ev) == len(tv), (ek, len(ev), len(tv))
        for a, b in zip(ev, tv):
            assert (a is None) == (b is None)
            if a is not None:
                np.testing.assert_allclose(a, b, rtol=1e-6)


def _run_two(lib: Any, b_grad: bool, use: tuple, third: Any) -> tuple[list, Any, Any]:
    log: list = []
    m = _two(lib.nn)
    m.register_full_backward_hook(_record(log))
    m.register_full_backward_pre_hook(lambda mod, go: log.append(
        ("pre", [None if g is None else g.numpy().copy() for g in go])))
    a = lib.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    b = lib.tensor(np.full((2, 3), 5.0), requires_grad=b_grad)
    out = m(a, b, third) if third is not None else m(a, b)
    sum(out[i].sum() for i in use).backward()
    return log, a.grad, b.grad


@pytest.mark.parametrize("b_grad", [False, True])
@pytest.mark.parametrize("use", [(0, 1), (0,), (1,)])
@pytest.mark.parametrize("third", [None, "tensor", 2.0])
def test_full_hook_inputs_outputs(torch: Any, b_grad: bool, use: tuple, third: Any) -> None:
    # grad_input: zeros for tensors no gradient reached, None for non-tensors;
    # grad_output: one entry per output, None for non-tensor or unused outputs
    t3 = torch.ones(1) if third == "tensor" else third
    e3 = ember.ones(1) if third == "tensor" else third
    tlog, ta, tb = _run_two(torch, b_grad, use, t3)
    elog, ea, eb = _run_two(ember, b_grad, use, e3)
    _same_logs(elog, tlog)
    assert_close(ea, ta)
    assert (eb is None) == (tb is None)
    if tb is not None:
        assert_close(eb, tb)


def _lin_case(lib: Any, hooks: dict, x_grad: bool = True) -> tuple:
    rng = np.random.default_rng(0)
    w = rng.standard_normal((2, 3), dtype=np.float32)
    bias = rng.standard_normal(2, dtype=np.float32)
    m = _lin(lib.nn, lib, w, bias)
    for kind, fns in hooks.items():
        for fn in fns:
            getattr(m, kind)(fn)
    x = lib.tensor(rng.standard_normal((4, 3), dtype=np.float32), requires_grad=x_grad)
    y = lib.tensor(rng.standard_normal((4, 2), dtype=np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("always" if x_grad is False else "ignore")
        (m(x, y) * lib.tensor(rng.standard_normal((4, 2), dtype=np.float32))).sum().backward()
    return x.grad, m.l.weight.grad, m.l.bias.grad


def _replace_input(m, gi, go):
    return tuple(None if g is None else g * 10 for g in gi)


def _replace_output(m, go):
    return (go[0] * 3,)


@pytest.mark.parametrize("hooks", [
    {"register_full_backward_hook": [_replace_input]},
    {"register_full_backward_pre_hook": [_replace_output]},
    {"register_full_backward_pre_hook": [_replace_output],
     "register_full_backward_hook": [_replace_input, _replace_input]},
])
def test_hook_replaces_gradients(torch: Any, hooks: dict) -> None:
    e = _lin_case(ember, hooks)
    t = _lin_case(torch, hooks)
    for eg, tg in zip(e, t):
        assert_close(eg, tg)


def test_no_input_requires_grad(torch: Any) -> None:
    # the hook fires from the outputs with grad_input all None, and warns
    for lib in (torch, ember):
        log: list = []
        with pytest.warns(UserWarning, match="no inputs require gradients"):
            _lin_case(lib, {"register_full_backward_hook": [_record(log)]}, x_grad=False)
        assert log[0][1] == [None, None]
        with pytest.raises(RuntimeError, match="should always return None"):
            _lin_case(lib, {"register_full_backward_hook": [
                lambda m, gi, go, lib=lib: (lib.ones(4, 3), None)]}, x_grad=False)


def test_wrong_number_of_grads(torch: Any) -> None:
    for lib in (torch, ember):
        with pytest.raises(RuntimeError, match="invalid number of grad_input, got 1, but "
                                               "expected 2"):
            _lin_case(lib, {"register_full_backward_hook": [lambda m, gi, go: (gi[0],)]})
        with pytest.raises(RuntimeError, match="invalid number of grad_output, got 2, but "
                                               "expected 1"):
            _lin_case(lib, {"register_full_backward_pre_hook": [lambda m, go: (go[0], go[0])]})


def test_sequential_hooks_order(torch: Any) -> None:
    def run(lib: Any) -> list:
        log: list = []
        lib.manual_seed(0)
        s = lib.nn.Sequential(lib.nn.Linear(3, 3), lib.nn.ReLU(), lib.nn.Linear(3, 1))
        for i, mod in enumerate(s):
            mod.register_full_backward_hook(
                lambda m, gi, go, i=i: log.append((i, [None if g is None else tuple(g.shape)
                                                       for g in gi],
                                                   [tuple(g.shape) for g in go])))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            s(lib.ones(2, 3)).sum().backward()
        return log

    assert run(ember) == run(torch)


def test_list_output_fires_no_hook(torch: Any) -> None:
    # only a tuple counts as several outputs: a list result has no tensor to hook
    for lib in (torch, ember):
        class ListOut(lib.nn.Module):
            def forward(self, x):
                return [x * 2]

        calls: list = []
        m = ListOut()
        m.register_full_backward_hook(lambda m, gi, go, calls=calls: calls.append(1))
        x = lib.ones(3, requires_grad=True)
        with pytest.warns(UserWarning, match="module output should be a Tensor or a tuple"):
            out = m(x)
        out[0].sum().backward()
        assert calls == []
