"""Autograd behaviour users observe, against PyTorch: a custom Function's node type and
repr, implicit gradients of complex outputs, ``once_differentiable`` refusing a second
derivative, the scalar-conversion warning, and vmap's unbatched outputs."""

from __future__ import annotations

import re
import warnings
from typing import Any

import numpy as np
import pytest

import ember


def _legendre(lib: Any) -> type:
    class LegendrePolynomial3(lib.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> Any:
            ctx.save_for_backward(x)
            return 0.5 * (5 * x ** 3 - 3 * x)

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            x, = ctx.saved_tensors
            return g * 1.5 * (5 * x ** 2 - 1)

    return LegendrePolynomial3


def test_custom_function_node_type_and_repr(torch):
    seen = []
    for lib in (torch, ember):
        y = _legendre(lib).apply(lib.randn(3, requires_grad=True))
        cls = type(y.grad_fn)
        r = re.sub(r"0x[0-9a-f]+", "ADDR", repr(y.grad_fn))
        seen.append((cls.__module__.split(".", 1)[1], cls.__qualname__, y.grad_fn.name(),
                     r.replace(lib.__name__ + ".", "LIB.")))
        assert cls.__module__ == f"{lib.__name__}.autograd.function"
    assert seen[1] == seen[0]


def test_autograd_function_module_is_an_attribute():
    assert ember.autograd.function.Function is ember.autograd.Function


_IMPLICIT = [
    lambda lib, z: (z * 2).sum().backward(),
    lambda lib, z: (z * 2).backward(),
    lambda lib, z: lib.autograd.backward((z * 2).sum()),
    lambda lib, z: lib.autograd.grad((z * 2).sum(), z),
    lambda lib, z: lib.autograd.grad(z * 2, z),
]


@pytest.mark.parametrize("case", range(len(_IMPLICIT)))
@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_implicit_grad_of_complex_output_refused(torch, case, dtype):
    msgs = []
    for lib in (torch, ember):
        z = lib.randn(3, dtype=getattr(lib, dtype), requires_grad=True)
        with pytest.raises(RuntimeError) as e:
            _IMPLICIT[case](lib, z)
        msgs.append(str(e.value).replace(lib.__name__ + ".", "LIB."))
    assert msgs[1] == msgs[0]


def test_implicit_grad_of_real_part_still_works(torch):
    z = ember.randn(3, dtype=ember.complex64, requires_grad=True)
    (z.real * 2).sum().backward()
    zt = torch.tensor(z.detach().numpy(), requires_grad=True)
    (zt.real * 2).sum().backward()
    np.testing.assert_allclose(z.grad.numpy(), zt.grad.numpy())


def _square(lib: Any) -> type:
    once = lib.autograd.function.once_differentiable

    class Square(lib.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> Any:
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @once
        def backward(ctx: Any, g: Any) -> Any:
            x, = ctx.saved_tensors
            return 2 * x * g

    return Square


def _names(fn: Any) -> list:
    if fn is None:
        return [None]
    return [fn.name(), [_names(n) for n, _ in fn.next_functions]]


def test_once_differentiable_refuses_second_derivative(torch):
    seen = []
    for lib in (torch, ember):
        sq = _square(lib)
        x = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
        # the incoming gradient requires grad: the result hangs off PyTorch's Error node
        g, = lib.autograd.grad((sq.apply(x) * x).sum(), x, create_graph=True)
        tree = _names(g.grad_fn)
        with pytest.raises(RuntimeError) as e:
            g.sum().backward()
        # a first derivative alone, and grad() to x (no path through the Error node), work
        g2, = lib.autograd.grad((sq.apply(x) * x).sum(), x, create_graph=True)
        second, = lib.autograd.grad(g2.sum(), x)
        plain, = lib.autograd.grad(sq.apply(x).sum(), x, create_graph=True)
        seen.append((tree, str(e.value), g.detach().numpy().tolist(),
                     second.numpy().tolist(), plain.requires_grad))
    assert seen[1] == seen[0]
    assert "trying to differentiate twice a function that was marked with " \
           "@once_differentiable" == seen[1][1]


def test_once_differentiable_error_node_through_grad_outputs(torch):
    seen = []
    for lib in (torch, ember):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        v = lib.ones(2, requires_grad=True)
        g, = lib.autograd.grad(_square(lib).apply(x), x, v, create_graph=True)
        assert re.match(r"<Error object at 0x", repr(g.grad_fn))
        with pytest.raises(RuntimeError, match="once_differentiable"):
            g.sum().backward()
        seen.append(g.grad_fn.name())
    assert seen[1] == seen[0]


_CONVERSIONS = {"float": "float(t)", "int": "int(t)", "item": "t.item()",
                "complex": "complex(t)", "bool": "bool(t)"}


def _torch_warnings(expr: str) -> list:
    """The warnings ``expr`` gives in a fresh PyTorch process (its warning fires once per
    process, so this test process may have spent it)."""
    import subprocess
    import sys

    code = ("import torch, warnings\nt = torch.tensor(2.5, requires_grad=True)\n"
            "with warnings.catch_warnings(record=True) as w:\n"
            "    warnings.simplefilter('always')\n"
            f"    {expr}\n"
            "print(repr([str(x.message).split(' (Triggered')[0] for x in w]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    return eval(out.strip().splitlines()[-1])


@pytest.mark.parametrize("name", list(_CONVERSIONS))
def test_scalar_conversion_warning(torch, monkeypatch, name):
    """float() and complex() of a tensor requiring grad warn once per process, with grad
    mode on; int(), bool() and item() do not (as PyTorch)."""
    import ember._tensor as et

    def warned(rg: bool = True, grad: bool = True) -> list:
        t = ember.tensor(2.5, requires_grad=rg)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            with ember.set_grad_enabled(grad):
                eval(_CONVERSIONS[name], {"t": t})
        return [str(x.message) for x in w]

    monkeypatch.setattr(et, "_warned_scalar", [False])
    assert warned(grad=False) == []
    assert warned(rg=False) == []
    assert warned() == _torch_warnings(_CONVERSIONS[name])
    assert warned() == []  # once per process


def test_scalar_conversion_warning_points_at_caller(monkeypatch):
    import ember._tensor as et

    monkeypatch.setattr(et, "_warned_scalar", [False])
    t = ember.tensor(1.5, requires_grad=True)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        float(t)
    assert w and w[0].filename == __file__


_VMAP_CASES = [
    ("mapped", lambda lib: lib.vmap(lambda a: a * 2, out_dims=None)),
    ("constant", lambda lib: lib.vmap(lambda a: lib.ones(2), out_dims=None)),
    ("tuple_constant", lambda lib: lib.vmap(lambda a: (a * 2, lib.ones(2)), out_dims=(0, None))),
    ("tuple_input", lambda lib: lib.vmap(lambda a: (a * 2, a), out_dims=(0, None))),
    ("unmapped_input", lambda lib: lib.vmap(lambda a, b: b, in_dims=(0, None), out_dims=None)),
]


@pytest.mark.parametrize("case", range(len(_VMAP_CASES)))
def test_vmap_out_dims_none(torch, case):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 2)), rng.standard_normal(2)
    seen = []
    for lib in (torch, ember):
        fn = _VMAP_CASES[case][1](lib)
        try:
            out = fn(lib.tensor(a), lib.tensor(b)) if case == 4 else fn(lib.tensor(a))
        except ValueError as e:
            seen.append(str(e))
            continue
        leaves = out if isinstance(out, tuple) else (out,)
        seen.append([v.numpy().tolist() for v in leaves])
    assert seen[1] == seen[0]
