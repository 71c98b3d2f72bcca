"""The graph users print: ``linear`` and batched ``matmul`` record one node, yet
``grad_fn.next_functions`` shows PyTorch's chain (AddmmBackward0 over TBackward0 ...),
down to the AccumulateGrad of each leaf; display nodes compute their gradients when
called; the engine still runs the one fused node."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest

import ember
from ember.testing import assert_close


def _tree(fn: Any, out: list | None = None, depth: int = 0) -> list:
    """(depth, name, leaf shape) for every node reachable from ``fn``, depth first."""
    out = [] if out is None else out
    if fn is None:
        out.append((depth, None))
        return out
    leaf = tuple(fn.variable.shape) if fn.name().endswith("AccumulateGrad") else None
    out.append((depth, fn.name(), leaf))
    for nxt, _ in fn.next_functions:
        _tree(nxt, out, depth + 1)
    return out


def _operand(lib: Any, data: np.ndarray, transposed: bool, rg: bool) -> Any:
    """A tensor with ``data``'s values; ``transposed``: a non-contiguous view of a leaf."""
    if transposed:
        return lib.tensor(np.swapaxes(data, -1, -2).copy(), requires_grad=rg).transpose(-1, -2)
    return lib.tensor(data, requires_grad=rg)


_LINEAR_CASES = [
    (xs, nc, xrg, wrg, bshape)
    for xs in [(4,), (3, 4), (2, 3, 4), (2, 2, 3, 4), (1, 3, 4), (3, 1, 4)]
    for nc, xrg, wrg, bshape in itertools.product(
        [False, True], [True, False], [True, False], [(5,), (), (1,), (2, 3, 5), None])
    if not (nc and len(xs) < 2) and (xrg or wrg or bshape is not None)
]


@pytest.mark.parametrize("xs,nc,xrg,wrg,bshape", _LINEAR_CASES)
def test_linear_graph_like_pytorch(torch, xs, nc, xrg, wrg, bshape):
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal(xs), rng.standard_normal((5, 4))
    b = None if bshape is None else rng.standard_normal(bshape)
    results = []
    for lib in (torch, ember):
        args = (_operand(lib, x, nc, xrg), lib.tensor(w, requires_grad=wrg),
                None if b is None else lib.tensor(b, requires_grad=True))
        try:
            y = lib.nn.functional.linear(*args) if lib is torch else ember.ops.attention.linear(
                *args)
        except RuntimeError as e:  # a bias that broadcasts the output: PyTorch refuses
            results.append(type(e).__name__)
            continue
        results.append(_tree(y.grad_fn))
    assert results[1] == results[0]


_MATMUL_SHAPES = [(4,), (3, 4), (2, 3, 4), (2, 2, 3, 4), (1, 3, 4)]
_MATMUL_CASES = [
    (sa, sb, nca, ncb, arg, brg)
    for sa, sb in itertools.product(_MATMUL_SHAPES,
                                    [(4,), (4, 5), (2, 4, 5), (1, 4, 5), (2, 2, 4, 5)])
    for nca, ncb, arg, brg in itertools.product([False, True], [False, True], [True, False],
                                                [True, False])
    if not ((nca and len(sa) < 2) or (ncb and len(sb) < 2) or not (arg or brg))
]


@pytest.mark.parametrize("sa,sb,nca,ncb,arg,brg", _MATMUL_CASES)
def test_matmul_graph_like_pytorch(torch, sa, sb, nca, ncb, arg, brg):
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    trees = [_tree((_operand(lib, a, nca, arg) @ _operand(lib, b, ncb, brg)).grad_fn)
             for lib in (torch, ember)]
    assert trees[1] == trees[0]


def test_blitz_tutorial_graph_prints_pytorch_nodes(torch):
    """The 60-minute blitz walks loss.grad_fn -> Addmm -> AccumulateGrad."""
    nn = pytest.importorskip("ember.nn")
    names = []
    for lib_nn, lib in ((torch.nn, torch), (nn, ember)):
        net = lib_nn.Sequential(lib_nn.Linear(8, 6), lib_nn.ReLU(), lib_nn.Linear(6, 4))
        loss = lib_nn.MSELoss()(net(lib.randn(1, 8)), lib.randn(1, 4))
        first = loss.grad_fn.next_functions[0][0]
        second = first.next_functions[0][0]
        names.append([type(n).__name__ for n in (loss.grad_fn, first, second)])
        names.append(repr(second).split(" object")[0])
        names.append(tuple(second.variable.shape))
        names.append(_tree(loss.grad_fn))
    assert names[4:] == names[:4]


def test_display_nodes_are_stable_and_engine_unchanged():
    x = ember.randn(2, 3, 4, requires_grad=True)
    w = ember.randn(5, 4, requires_grad=True)
    b = ember.randn(5, requires_grad=True)
    y = ember.ops.attention.linear(x, w, b)
    addmm = y.grad_fn.next_functions[0][0]
    assert addmm is y.grad_fn.next_functions[0][0]  # built once
    assert addmm.next_functions[2][0].next_functions[0][0].variable is w
    assert addmm.next_functions[0][0].variable is b
    y.sum().backward()
    assert_close(b.grad, ember.full((5,), 6.0))
    assert_close(x.grad, w.sum(0).expand(2, 3, 4))


def test_called_display_nodes_pass_gradients(torch):
    rng = np.random.default_rng(2)
    x, w, b = rng.standard_normal((2, 3, 4)), rng.standard_normal((5, 4)), rng.standard_normal(5)
    g = rng.standard_normal((6, 5))
    outs = []
    for lib in (torch, ember):
        xt, wt, bt = (lib.tensor(v, requires_grad=True) for v in (x, w, b))
        y = lib.nn.functional.linear(xt, wt, bt) if lib is torch else \
            ember.ops.attention.linear(xt, wt, bt)
        addmm = y.grad_fn.next_functions[0][0]
        gb, gx2, gwt = addmm(lib.tensor(g))
        gview = addmm.next_functions[1][0](gx2)
        gt = addmm.next_functions[2][0](gwt)
        top = y.grad_fn(lib.tensor(g).reshape(2, 3, 5))
        outs.append([v.detach().numpy() for v in (gb, gx2, gwt, gview, gt, top)])
    for e, t in zip(outs[1], outs[0]):
        np.testing.assert_allclose(e, t, rtol=1e-12)


def test_matmul_display_node_gradients(torch):
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((2, 3, 4)), rng.standard_normal((4, 5))
    g = rng.standard_normal((6, 5))
    outs = []
    for lib in (torch, ember):
        at, bt = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
        mm = (at @ bt).grad_fn.next_functions[0][0]
        outs.append([v.detach().numpy() for v in mm(lib.tensor(g))])
    for e, t in zip(outs[1], outs[0]):
        np.testing.assert_allclose(e, t, rtol=1e-12)


def test_called_node_after_backward_raises_like_pytorch():
    x = ember.randn(3, 4, requires_grad=True)
    w = ember.randn(5, 4, requires_grad=True)
    y = ember.ops.attention.linear(x, w)
    y.sum().backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.grad_fn(ember.ones(3, 5))


def test_plain_node_call_and_accumulate_grad(torch):
    outs = []
    for lib in (torch, ember):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        w = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
        y = x * w
        gx, gw = y.grad_fn(lib.ones(3))
        single = x.exp().grad_fn(lib.ones(3))
        acc = y.grad_fn.next_functions[0][0]
        assert acc(lib.ones(3)) == ()
        with pytest.raises(TypeError, match="expected 1 arguments, got 2 instead"):
            x.exp().grad_fn(lib.ones(3), lib.ones(3))
        outs.append([gx.detach().numpy(), gw.detach().numpy(), single.detach().numpy(),
                     x.grad.numpy()])
    for e, t in zip(outs[1], outs[0]):
        np.testing.assert_allclose(e, t, rtol=1e-6)
