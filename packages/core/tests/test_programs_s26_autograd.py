"""Autograd programs run with PyTorch and with Ember (whole programs, diffed): the leaf
gradient ``backward(create_graph=True)`` leaves (a CopyBackwards copy in the leaf's layout;
a retained one a CloneBackward0 clone), the full text of the non-leaf ``.grad`` and
create_graph warnings, one id count for every hook handle (tensor, node, module,
optimizer), ``_saved_dim`` of sum/mean as given, ``_saved_result`` of relu, std/var
gradients in PyTorch's rounding order, in-place writes to view outputs of a custom Function
refused, and forward-mode AD refused through a custom Function without ``jvp``."""

from __future__ import annotations

import inspect
import subprocess
import sys
import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")
pytest.importorskip("ember.nn")  # the programs use nn


def _run(program, lib):
    try:
        return program(lib)
    except Exception as e:  # noqa: BLE001 - the comparison is the point
        return "<error>", type(e).__name__, str(e).replace("torch", "ember")


def _plain(v):
    if isinstance(v, (torch.Tensor, ember.Tensor)):
        return ("T", str(v.dtype).split(".")[-1], tuple(v.shape), v.detach().numpy().tolist())
    if isinstance(v, (tuple, list)):
        return [_plain(a) for a in v]
    return v


def _check(program):
    assert _plain(_run(program, ember)) == _plain(_run(program, torch))


# ---------------------------------------------------- leaf gradients under create_graph
def _create_graph_grads(lib):
    out = []
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    (x ** 3).sum().backward(create_graph=True)
    out += [x.grad, x.grad.grad_fn.name(), type(x.grad.grad_fn.next_functions[1][0]).__name__]
    (x ** 2).sum().backward(create_graph=True)  # accumulated: grad + new
    out += [x.grad, x.grad.grad_fn.name()]
    y = lib.tensor([1.0, 2.0], requires_grad=True)
    (y * 2).sum().backward(create_graph=True)  # a gradient free of y: no graph
    out += [y.grad, y.grad.grad_fn is None, y.grad.requires_grad]
    w = lib.ones(2, 3, requires_grad=True)
    (w.t() ** 2).sum().backward(create_graph=True)  # copied into the leaf's layout
    out += [w.grad, w.grad.stride(), w.grad.grad_fn.name()]
    z = lib.tensor([1.0, 2.0], requires_grad=True)
    h = z * 3
    h.retain_grad()
    (h ** 2).sum().backward(create_graph=True)
    out += [h.grad, h.grad.grad_fn.name()]
    (h ** 2).sum().backward(create_graph=True)
    out += [h.grad, h.grad.grad_fn.name()]
    g = z.grad
    z.grad = None
    g.sum().backward()  # the copy is differentiable
    out += [z.grad]
    return out


def test_create_graph_leaf_grad_is_a_copy():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _check(_create_graph_grads)


# ------------------------------------------------------------------ warnings' full text
def _warn_texts(lib):
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        x = lib.ones(2, requires_grad=True)
        (x * x).sum().backward(create_graph=True)
        (x * 2).grad  # noqa: B018 - the access warns
    return [f"{w.category.__name__} {w.message}" for w in rec]


_WARN_PROGRAM = f"""
import warnings
import torch
{inspect.getsource(_warn_texts)}
print(repr(_warn_texts(torch)))
"""


def test_warnings_carry_pytorchs_trigger_suffix(monkeypatch):
    from ember.autograd import graph

    # PyTorch gives the create_graph warning once per process: it runs in a fresh one
    expected = eval(subprocess.run([sys.executable, "-c", _WARN_PROGRAM], capture_output=True,
                                   text=True, check=True).stdout)
    assert len(expected) == 2 and "Triggered internally" in expected[0]
    monkeypatch.setattr(graph, "_warned_cycle", [False])
    assert _warn_texts(ember) == expected


# ------------------------------------------------------------ one count of hook handles
def _handle_ids(lib):
    nn = lib.nn
    m = nn.Linear(2, 2)
    ids = [m.register_forward_hook(lambda *a: None).id,
           m.register_full_backward_hook(lambda *a: None).id]
    x = lib.ones(1, 2)
    m(x).sum().backward()  # the output's hook takes an id
    t = lib.ones(2, requires_grad=True)
    ids.append(t.register_hook(lambda g: g).id)
    x.requires_grad_()
    out = m(x)  # input's and output's hooks
    ids.append(t.register_hook(lambda g: g).id)
    out.sum().backward()
    with lib.no_grad():
        m(x)  # none
    ids.append(m.register_full_backward_pre_hook(lambda *a: None).id)
    m(x)
    ids.append(t.register_post_accumulate_grad_hook(lambda p: None).id)
    y = t * 2
    ids += [y.grad_fn.register_hook(lambda *a: None).id,
            y.grad_fn.register_prehook(lambda *a: None).id]
    opt = lib.optim.SGD([t], lr=0.1)
    ids.append(opt.register_step_pre_hook(lambda *a: None).id)
    ids.append(m.register_forward_pre_hook(lambda *a: None).id)
    ids.append(m.register_state_dict_pre_hook(lambda *a: None).id)
    first = ids[0]
    return [i - first for i in ids], [k - first for k in m._backward_pre_hooks]


def test_hook_handle_ids_share_one_count():
    pytest.importorskip("ember.optim")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _check(_handle_ids)


# ------------------------------------------------------------------- saved attributes
def _saved_dims(lib):
    x = lib.ones(2, 3, 4, requires_grad=True)
    out = []
    for d in (0, -1, (0, 2), (-1, 0), [1], ()):
        out += [x.sum(d).grad_fn._saved_dim, x.mean(d).grad_fn._saved_dim,
                x.sum(d, keepdim=True).grad_fn._saved_dim]
    out += [x.sum(1, dtype=lib.float64).grad_fn._saved_dim,
            sorted(n for n in dir(x.sum(0).grad_fn) if n.startswith("_saved_"))]
    return out


def test_sum_mean_saved_dim_as_given():
    _check(_saved_dims)


def _relu_result(lib):
    x = lib.tensor([-1.0, 2.0, 0.5], requires_grad=True)
    y = lib.relu(x)
    r = y.grad_fn._saved_result
    out = [r, r.grad_fn.name(), (x * 1).relu_().grad_fn._saved_result]
    y.sum().backward()
    return out + [_run(lambda lib: y.grad_fn._saved_result, lib)]


def test_relu_saved_result():
    _check(_relu_result)


# ------------------------------------------------------ std/var gradients, rounding order
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_std_var_backward_bits(dtype):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((5, 7)).astype(dtype)
    cases = [lambda t: t.std(), lambda t: t.std(0), lambda t: t.std(1, keepdim=True),
             lambda t: t.var(), lambda t: t.var(1, correction=0),
             lambda t: t.std(dim=(0, 1), correction=2)]
    for f in cases:
        grads = []
        for lib in (torch, ember):
            x = lib.tensor(a, requires_grad=True)
            y = f(x)
            y.backward(lib.ones_like(y) * 0.75)
            grads.append(x.grad.numpy())
        np.testing.assert_array_equal(grads[1], grads[0])


# ------------------------------------------------------ custom Functions' view outputs
def _view_outputs(lib):
    Function = lib.autograd.Function

    class V1(Function):
        @staticmethod
        def forward(ctx, x):
            return (x * 2).view(-1)

        @staticmethod
        def backward(ctx, g):
            return g.view(2, 2) * 2

    class V2(Function):
        @staticmethod
        def forward(ctx, x):
            return x[0], x.view(-1)

        @staticmethod
        def backward(ctx, g, h):
            return h.view(2, 2)

    class V3(Function):
        @staticmethod
        def forward(ctx, x):
            return x.view(-1), x * 2

        @staticmethod
        def backward(ctx, g, h):
            return g.view(2, 2) + h

    class V4(Function):
        @staticmethod
        def forward(ctx, x):
            i = lib.arange(2)
            ctx.mark_non_differentiable(i)
            return x.view(-1), i.view(2)

        @staticmethod
        def backward(ctx, g, h):
            return g.view(2, 2)

    a = lib.ones(2, 2, requires_grad=True)
    progs = [lambda lib: V1.apply(a).mul_(2), lambda lib: V2.apply(a)[1].mul_(2),
             lambda lib: V2.apply(a)[0].mul_(2), lambda lib: V3.apply(a)[0].mul_(2),
             lambda lib: V4.apply(a)[0].mul_(2), lambda lib: V1.apply(a.detach()).mul_(2)]
    out = [_run(p, lib) for p in progs]
    with lib.no_grad():
        out.append(V1.apply(a).mul_(2))
    v = V1.apply(a)
    out += [v._base is not None, v.grad_fn.name()]
    v.sum().backward()
    return out + [a.grad]


def test_custom_function_view_outputs_refuse_inplace():
    _check(_view_outputs)


# --------------------------------------------------- forward AD through a custom Function
def _forward_ad_no_jvp(lib):
    fwad = lib.autograd.forward_ad

    class Sq(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 2

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return 2 * x * g

    x = lib.tensor([1.0, 2.0])
    with fwad.dual_level():
        out = [_run(lambda lib: Sq.apply(fwad.make_dual(x, lib.ones(2))), lib)]
        out.append(Sq.apply(x))  # no tangent: the Function runs
    out.append(_run(lambda lib: lib.autograd.Function.jvp(None), lib))
    out.append(_run(lambda lib: lib.autograd.Function.vmap(None, None), lib))
    out.append(lib.autograd.Function.generate_vmap_rule)
    return out


def test_forward_ad_through_function_without_jvp():
    _check(_forward_ad_no_jvp)
