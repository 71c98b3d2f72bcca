"""Complex gradients follow PyTorch's convention (the conjugate Wirtinger derivative): a
product's gradient takes the other factor's conjugate. First and second order, against
PyTorch, for the ops whose backward is written as other products (einsum, tensordot,
inner, linear, cross, cumprod, and the convolutions in test_conv)."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.testing import assert_close

RNG = np.random.default_rng(5)


def _c(*shape):
    return RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)


CASES = {
    "einsum": (lambda L, a, b: L.einsum("ij,jk->ik", a, b), [(3, 4), (4, 5)]),
    "einsum3": (lambda L, a, b, c: L.einsum("ij,jk,k->i", a, b, c), [(3, 4), (4, 5), (5,)]),
    "tensordot": (lambda L, a, b: L.tensordot(a, b, dims=1), [(3, 4), (4, 5)]),
    "inner": (lambda L, a, b: L.inner(a, b), [(4,), (4,)]),
    "linear": (lambda L, a, w, b: L.nn.functional.linear(a, w, b), [(2, 3, 4), (5, 4), (5,)]),
    "linear_vector": (lambda L, a, w: L.nn.functional.linear(a, w), [(3, 4), (4,)]),
    "cross": (lambda L, a, b: L.linalg.cross(a, b), [(2, 3), (2, 3)]),
    "cumprod": (lambda L, a: L.cumprod(a, 1), [(3, 4)]),
}


@pytest.mark.parametrize("name", sorted(CASES) + ["cumprod_with_zeros"])
def test_complex_gradients_match_pytorch(torch, name):
    f, shapes = CASES["cumprod" if name == "cumprod_with_zeros" else name]
    arrays = [_c(*s) for s in shapes]
    if name == "cumprod_with_zeros":
        arrays[0][0, 1] = arrays[0][1, 2] = arrays[0][1, 3] = 0
    out = []
    for lib in (ember, torch):
        if name.startswith("linear") and lib is ember:
            pytest.importorskip("ember.nn")
        ts = [lib.tensor(a, requires_grad=True) for a in arrays]
        y = f(lib, *ts)
        gy = lib.tensor(np.full(tuple(y.shape), 0.3 - 0.7j))
        grads = lib.autograd.grad(y, ts, gy, create_graph=True)
        total = sum((g * g.conj()).real.sum() for g in grads)
        second = lib.autograd.grad(total, ts, allow_unused=True)
        out.append([y.detach()] + [g.detach() for g in grads] + list(second))
    for a, b in zip(*out):
        if b is None:
            assert a is None
        else:
            assert_close(a, b.resolve_conj(), rtol=1e-9, atol=1e-10)


PARTS = {
    "complex_of_parts": lambda L, a: L.complex(a.real * 2, a.imag),
    "polar_of_abs_angle": lambda L, a: L.polar(a.abs(), a.angle()),
    "polar_of_parts": lambda L, a: L.polar(a.real.abs(), a.imag),
    "abs_times_complex": lambda L, a: a.abs() * (1 + 2j),
    "angle_times_1j": lambda L, a: a.angle() * 1j,
    "mixed": lambda L, a: L.complex(a.real * a.imag.cos(), a.real),
    "view_as_real_times_complex": lambda L, a: L.view_as_real(a) * (1 + 2j),
}


@pytest.mark.parametrize("name", sorted(PARTS))
def test_real_parts_take_the_real_part_of_a_complex_gradient(torch, name):
    """A real result (real, imag, abs, angle of a complex tensor) that meets a complex factor
    on the way back gets a complex gradient; PyTorch hands on only its real part."""
    a = _c(5)
    grads = []
    for lib in (ember, torch):
        t = lib.tensor(a, requires_grad=True)
        y = PARTS[name](lib, t)
        (g,) = lib.autograd.grad(y, t, lib.tensor(np.full(tuple(y.shape), 0.3 - 0.7j)))
        grads.append(g)
    assert_close(grads[0], grads[1], rtol=1e-10, atol=1e-12)
