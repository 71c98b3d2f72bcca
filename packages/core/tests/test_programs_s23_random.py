"""Seeded randomness against PyTorch (session 23, lane P): programs found by a differential
fuzzer to draw different numbers, or to fail differently, in Ember than in PyTorch.

Each test runs the same expression with ``torch`` and with ``ember`` as ``T`` under the same
seed and compares values exactly, dtypes, shapes and, for failures, the exception type and
message.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

import ember


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def _np(x):
    if isinstance(x, (list, tuple)):
        return [_np(v) for v in x]
    if hasattr(x, "detach"):
        x = x.detach()
        dt = str(x.dtype).split(".")[-1]
        if dt == "bfloat16":
            x = x.float()
        return (dt, tuple(x.shape), np.array(x.numpy()))
    return x


def _same(a, b):
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, tuple):
        return (isinstance(b, tuple) and a[:2] == b[:2]
                and np.array_equal(a[2], b[2], equal_nan=a[2].dtype.kind in "fc"))
    return a == b


def _run(T, seed, expr):
    T.manual_seed(seed)
    G = T.Generator().manual_seed(99)
    try:
        return "ok", _np(eval(expr, {"T": T, "G": G, "np": np}))
    except Exception as e:  # noqa: BLE001  (the type and message are compared)
        return "err", type(e).__name__, str(e).replace("torch", "ember")


def _check(torch, seed, expr, message=True):
    want, got = _run(torch, seed, expr), _run(ember, seed, expr)
    assert want[0] == got[0], (expr, want, got)
    if want[0] == "ok":
        assert _same(want[1], got[1]), (expr, want, got)
    else:
        assert want[1] == got[1], (expr, want, got)
        if message:
            assert want[2] == got[2], (expr, want, got)


@pytest.mark.parametrize("expr", [
    "T.randn_like(T.zeros((2, 17, 1), dtype=T.float64))",
    "T.randn_like(T.zeros((5, 7, 1), dtype=T.bfloat16))",
    "T.randn_like(T.zeros((16, 1)))",
    "T.randn_like(T.zeros(1, 20).t())",
    "T.randn_like(T.zeros(20, 1, dtype=T.float16))",
    "T.randn_like(T.zeros(1, 3, 1, 9), generator=G)",
    "[T.randn_like(T.zeros(4, 5, 1)), T.randn(3)]",
])
def test_randn_like_of_a_tensor_with_size_one_dims_takes_the_vectorised_path(torch, expr):
    # a dense result with a size-1 dim is contiguous in PyTorch's sense: normal_fill's path
    _check(torch, -12345, expr)
    _check(torch, 0, expr)


@pytest.mark.parametrize("expr", [
    "T.multinomial(T.rand(3, 100, dtype=T.bfloat16), 55, False)",
    "T.multinomial(T.rand(2, 40, dtype=T.float16), 30)",
    "T.multinomial(T.tensor([0., 1., 0., 3., 0., 0.]), 5)",
    "T.multinomial(T.tensor([[0., 1., 0., 0.], [2., 0., 0., 0.]]), 3)",
    "T.multinomial(T.ones(200, dtype=T.bfloat16), 3)",
])
def test_multinomial_without_replacement_breaks_ties_as_pytorchs_topk(torch, expr):
    for seed in (0, 1, 7):
        _check(torch, seed, expr)


@pytest.mark.parametrize("expr", [
    "T.normal(T.zeros(3), T.ones(4))",
    "T.normal(T.zeros(2, 3), T.ones(4, 1))",
    "T.multinomial(T.rand(3), 2, out=T.empty(2))",
    "T.multinomial(T.rand(3), 2, out=T.empty(2, dtype=T.int32))",
    "T.randint(0, 2**63, (2,))",
    "T.randint(2**63, (2,))",
    "T.randint(-2**63 - 1, 0, (2,))",
    "T.bernoulli(T.tensor([1, 0]))",
    "T.bernoulli(T.tensor([True, False]))",
    "T.bernoulli(T.tensor([1, 0], dtype=T.uint8))",
    "T.zeros(2).bernoulli_(T.tensor([1, 0]))",
    "T.zeros(2).bernoulli_(T.tensor([1j, 0]))",
    "T.Generator().manual_seed(1.5)",
    "T.Generator().manual_seed('3')",
    "T.Generator().manual_seed(None)",
    "T.Generator().manual_seed(True)",
    "T.Generator().manual_seed(T.tensor(3))",
    "T.Generator().manual_seed(np.float64(3))",
    "T.Generator().manual_seed(np.int64(3))",
    "T.manual_seed('x')",
    "T.manual_seed(None)",
])
def test_errors_match_pytorch(torch, expr):
    _check(torch, 0, expr)


@pytest.mark.parametrize("expr", [
    "T.randint(-2**63, 2**63 - 1, (3,))",
    "T.zeros(2, dtype=T.int64).bernoulli_(T.tensor([1., 0.]))",
    "T.zeros(3, dtype=T.bool).bernoulli_(T.full((3,), 0.5))",
    "T.bernoulli(T.tensor([1, 0]), 0.5)",
    "[T.manual_seed(1.5).initial_seed(), T.rand(3)]",
    "[T.manual_seed('7').initial_seed(), T.rand(3)]",
    "[T.manual_seed(np.int64(5)).initial_seed(), T.rand(3)]",
    "[T.manual_seed(T.tensor(9)).initial_seed(), T.rand(3)]",
    "[T.manual_seed(-2**63).initial_seed(), T.randn(3)]",
    "(lambda g: [g.manual_seed(-1).initial_seed(), T.rand(3, generator=g)])(T.Generator())",
    "T.multinomial(T.rand(3), 2, out=T.empty(2, dtype=T.int64))",
    "T.normal(T.zeros(4, 1), T.ones(1, 3))",
])
def test_accepted_forms_draw_as_pytorch(torch, expr):
    _check(torch, 3, expr)


@pytest.mark.parametrize("expr", [
    "T.empty(2, dtype=T.float64).uniform_(0, 1e309)",
    "T.empty(2).uniform_(-3.5e38, 0)",
    "T.empty(2).uniform_(0, float('inf'))",
    "T.empty(2).uniform_(float('nan'), 1)",
    "T.empty(2, dtype=T.bfloat16).uniform_(0, 3.5e38)",
    "T.empty(2, dtype=T.float16).uniform_(-70000, 0)",
    "T.empty(2, dtype=T.float16).uniform_(-40000, 40000)",
    "T.empty(2, dtype=T.float64).uniform_(-1e308, 1e308)",
    "T.empty(2, dtype=T.complex64).uniform_(-3e38, 3e38)",
    "T.empty(2, dtype=T.complex64).uniform_(0, 1e39)",
    "T.empty(2).uniform_(2, 1)",
    "T.empty(5, dtype=T.int64).cauchy_()",
    "T.empty(5, dtype=T.uint8).cauchy_()",
    "T.empty(5, dtype=T.int16).cauchy_()",
    "T.empty(5, dtype=T.bool).cauchy_()",
    "T.empty(5, dtype=T.complex64).cauchy_()",
    "T.empty(5, dtype=T.bool).geometric_(0.5)",
    "T.empty(5, dtype=T.complex128).geometric_(0.5)",
    "T.Generator().get_offset()",
    "T.Generator().set_offset(3)",
])
def test_sampler_argument_errors_match_pytorch(torch, expr):
    _check(torch, 0, expr)


@pytest.mark.parametrize("expr", [
    "T.empty(5).normal_(0, float('inf'))",
    "T.empty(20).normal_(0, float('inf'))",
    "T.empty(5, dtype=T.float64).normal_(0, float('inf'))",
    "T.empty(20, dtype=T.float64).normal_(float('-inf'), 1)",
    "T.empty(5).normal_(float('inf'), 1)",
    "T.normal(0., float('inf'), (3,))",
    "T.empty(3).log_normal_(0, float('inf'))",
    "T.empty(3).cauchy_(0, float('inf'))",
    "T.empty(3).cauchy_(float('inf'), 1)",
    "T.empty(5, dtype=T.float64).normal_(0, 1e308)",
    "T.empty(3, dtype=T.float64).uniform_(-1e300, 1e300)",
    "T.empty(4, dtype=T.float64).uniform_(-1e308, 7e307)",
    "T.empty(2, dtype=T.float16).uniform_(-65504, 0)",
    "T.empty(5, dtype=T.uint8).geometric_(0.5)",
])
def test_infinite_and_huge_parameters_draw_as_pytorch(torch, expr):
    # the float64 kernels' emulated FMA made NaNs where a parameter is infinite or huge
    _check(torch, 0, expr)
    _check(torch, 5, expr)


@pytest.mark.parametrize("expr", [
    "T.nn.init.sparse_(T.empty(6, 4), 0.5, generator=G)",
    "[T.nn.init.sparse_(T.empty(5, 3), 0.4, std=0.5, generator=G), T.rand(2), T.rand(2, generator=G)]",
    "T.nn.init.sparse_(T.empty(6, 4), 0.5)",
])
def test_sparse_init_permutes_rows_with_the_default_generator(torch, expr):
    # PyTorch passes generator= to normal_ only; its randperm calls use the default stream
    pytest.importorskip("ember.nn")
    _check(torch, 0, expr)
    _check(torch, 11, expr)


@pytest.mark.parametrize("expr", [
    "T.empty(3).random_(2, to=5)",
    "T.empty(4, dtype=T.int64).random_(-3, to=3)",
    "T.empty(3).random_(to=5)",
    "T.empty(3).random_(5)",
    "T.empty(3, dtype=T.uint8).random_(**{'from': 2, 'to': 9})",
    "T.empty(5, dtype=T.complex64).random_()",
    "T.empty(5, dtype=T.complex64).random_(0, 5)",
    "T.empty(5, dtype=T.complex128).random_(5)",
    "T.empty(5, dtype=T.complex64).random_(1, None)",
    "T.randperm(5, dtype=T.complex64)",
    "T.randperm(0, dtype=T.complex128)",
])
def test_random_forms_and_complex_refusals_match_pytorch(torch, expr):
    _check(torch, 0, expr)


@pytest.mark.parametrize("expr", [
    "T.normal(T.zeros(3), 1., out=T.empty(5))",
    "T.normal(T.zeros(3), 1., out=T.empty(0))",
    "T.normal(T.zeros(2, 3), 1., out=T.empty(3, 2))",
    "T.normal(T.zeros(3), 1., out=T.empty(4, 1))",
    "T.normal(T.zeros(3), 1., out=T.empty(1))",
    "T.normal(T.zeros(3), 1., out=T.empty(3, dtype=T.float64))",
    "T.normal(T.zeros(3), T.ones(3), out=T.empty(3, dtype=T.float64))",
    "T.normal(T.rand(3, 1), T.rand(1, 4), out=T.empty(3, 4, dtype=T.float64))",
    "T.normal(T.full((20,), 0.1), T.full((20,), 0.7, dtype=T.float64), out=T.empty(20, dtype=T.float16))",
    "T.normal(0.1, T.full((20,), 0.7), out=T.empty(20, dtype=T.bfloat16))",
    "T.normal(T.full((3,), 0.1, dtype=T.float64), 0.3, out=T.empty(3))",
    "T.normal(T.full((3,), 0.1), T.full((3,), 0.1, dtype=T.float64))",
    "T.normal(0.1, T.full((3,), 0.3, dtype=T.float64))",
])
def test_normal_draws_into_the_out_dtype_and_shape_as_pytorch(torch, expr):
    _check(torch, 0, expr)


@pytest.mark.parametrize("expr", [
    "(lambda m: (T.normal(m, 1.).sum().backward(), m.grad)[1])(T.zeros(3, requires_grad=True))",
    "(lambda s: (T.normal(2., s).sum().backward(), s.grad)[1])(T.ones(3, requires_grad=True))",
    "(lambda m, s: (T.normal(m, s).sum().backward(), m.grad, s.grad)[1:])"
    "(T.zeros(2, 3, requires_grad=True), T.ones(3, requires_grad=True))",
    "[T.normal(T.zeros(3, requires_grad=True), T.ones(3)).grad_fn.name()]",
    "[T.normal(0., T.ones(3, dtype=T.float64, requires_grad=True)).grad_fn.name()]",
])
def test_normal_sample_has_a_zero_gradient_as_in_pytorch(torch, expr):
    _check(torch, 0, expr)


def _fuzz_case(r):
    n = r.choice([1, 2, 15, 16, 17, 33, 256, 257])
    d = r.choice(["float16", "bfloat16", "float32", "float64"])
    shape = r.choice([(n,), (n, 1), (1, n), (2, n, 1), (n, 1, 1)])
    base = r.choice([f"T.zeros({shape}, dtype=T.{d})", f"T.zeros({shape[::-1]}, dtype=T.{d}).t()"
                     if len(shape) == 2 else f"T.zeros({shape}, dtype=T.{d})"])
    k = r.randint(1, n)
    return r.choice([
        f"T.randn_like({base})", f"T.rand_like({base})", f"T.randint_like({base}, -3, 9)",
        f"(lambda x: (x.normal_(), x)[1])({base})", f"T.normal({base}, 2.)",
        f"T.normal(1., T.ones_like({base}))", f"T.bernoulli(T.full_like({base}, 0.5))",
        f"T.multinomial(T.rand(2, {n}, dtype=T.{d}), {k})",
        f"T.multinomial(T.rand({n}, dtype=T.{d}), {k}, True)",
        f"[T.randn({n}, dtype=T.{d}), T.randint(0, 5, ({n},)), T.randperm({n})]",
    ])


def test_seeded_fuzz(torch):
    r = random.Random(2323)
    for _ in range(200):
        seed = r.choice([0, 1, 42, -1, -12345, 2**63 - 1, 2**64 - 1])
        _check(torch, seed, _fuzz_case(r))
