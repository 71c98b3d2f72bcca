"""``torch.autograd.graph``'s saved-tensor hooks against PyTorch: ``saved_tensors_hooks``
(pack when an op saves, unpack when backward needs it; innermost pair wins; custom Functions
too), ``save_on_cpu``, ``disable_saved_tensors_hooks``, and double backward through
packed saved outputs."""

from __future__ import annotations

from typing import Any

import pytest
from _autograd_records import catch, val

import ember


def T(lib: Any, data: Any, rg: bool = True) -> Any:
    return lib.tensor(data, dtype=lib.float64, requires_grad=rg)


def saved_hooks(L):
    packed = []

    def pack(t):
        packed.append(tuple(t.shape))
        return t * 1
    unpacked = []

    def unpack(t):
        unpacked.append(tuple(t.shape))
        return t
    x = T(L, [1.0, 2.0])
    with L.autograd.graph.saved_tensors_hooks(pack, unpack):
        y = (x * x).exp().sum()
    y.backward()
    return sorted(packed), sorted(unpacked), val(x.grad)


def saved_hooks_modify(L):
    x = T(L, [1.0, 2.0])
    with L.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t * 0 + 1):
        y = (x * x).sum()
    y.backward()
    return val(x.grad)


def save_on_cpu(L):
    x = T(L, [1.0, 2.0])
    with L.autograd.graph.save_on_cpu(pin_memory=False):
        y = (x * x).exp().sum()
    y.backward()
    return val(x.grad)


def disable_saved_hooks(L):
    x = T(L, [1.0, 2.0])
    r = []
    with L.autograd.graph.disable_saved_tensors_hooks("no hooks here"):
        def f():
            with L.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
                pass
        r.append(catch(L, f))
        r.append(val((x * 2).sum()))
    return r


def saved_hooks_custom_fn(L):
    packed = []

    class Sq(L.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * a

        @staticmethod
        def backward(ctx, g):
            a, = ctx.saved_tensors
            return 2 * a * g
    x = T(L, [1.0, 2.0])
    with L.autograd.graph.saved_tensors_hooks(lambda t: packed.append(1) or t, lambda t: t):
        y = Sq.apply(x)
    y.sum().backward()
    return len(packed), val(x.grad)


def double_backward_through_packed_outputs(L: Any) -> Any:
    x = T(L, [0.5, 1.0])
    n = []
    with L.autograd.graph.saved_tensors_hooks(lambda t: n.append(1) or t.clone(), lambda t: t):
        y = x.exp().sigmoid()
        a, b = y.split(1)
        w = (a * b * x).sum()
    g, = L.autograd.grad(w, x, create_graph=True)
    return len(n), val(g), val(L.autograd.grad(g.sum(), x))


def innermost_hooks_win_and_graph_frees(L: Any) -> Any:
    x = T(L, [0.5, 1.0])
    with L.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
        with L.autograd.graph.saved_tensors_hooks(lambda t: "inner",
                                                  lambda t: x.detach() * 0 + 5):
            z = (x * x).sum()
    z.backward()
    r = [val(x.grad)]
    with L.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
        z = x.exp().sum()
    z.backward(retain_graph=True)
    z.backward()
    r.append(catch(L, z.backward)[:2])
    return r


_SCENARIOS = [saved_hooks, saved_hooks_modify, save_on_cpu, disable_saved_hooks,
              saved_hooks_custom_fn, double_backward_through_packed_outputs,
              innermost_hooks_win_and_graph_frees]


@pytest.mark.parametrize("scenario", _SCENARIOS, ids=[f.__name__ for f in _SCENARIOS])
def test_saved_tensors_hooks_match_torch(torch, scenario):
    assert repr(scenario(ember)) == repr(scenario(torch))
