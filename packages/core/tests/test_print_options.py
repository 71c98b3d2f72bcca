"""``set_printoptions`` against PyTorch: precision, sci_mode, threshold, edgeitems, linewidth,
the three profiles, and the repr of every dtype under them."""

from __future__ import annotations

import pytest

import ember

INF, NAN = float("inf"), float("nan")
VALUES = [  # (lib -> tensor)
    lambda m: m.tensor([1.0, 2.5, -3.25]), lambda m: m.tensor([1e8, 1.0]),
    lambda m: m.tensor([1e-8, 1.0]), lambda m: m.tensor([1.0, 2.0, 300.0]),
    lambda m: m.tensor([INF, NAN, 1.5]), lambda m: m.arange(0, 2000, dtype=m.float32),
    lambda m: m.linspace(-3, 3, 24).reshape(4, 6), lambda m: m.arange(24.0).view(2, 3, 4),
    lambda m: m.arange(20), lambda m: m.tensor([1.0 / 3, 2e-5], dtype=m.float64),
    lambda m: m.tensor([1 / 3 + 2j, 1e-5j]), lambda m: m.tensor([-0.0, 0.0, 7.0]),
    lambda m: m.arange(3000).view(30, 100), lambda m: m.tensor(1e-9),
    lambda m: m.tensor([[1.5, 2.0]], dtype=m.float16), lambda m: m.ones(7, requires_grad=True),
]
OPTIONS = [
    {}, {"precision": 2}, {"precision": 6}, {"sci_mode": True}, {"sci_mode": False},
    {"threshold": 5}, {"threshold": 5, "edgeitems": 1}, {"linewidth": 30},
    {"profile": "short"}, {"profile": "full"}, {"precision": 10, "sci_mode": False},
    {"profile": "short", "sci_mode": True},
]
DTYPES = ["float16", "bfloat16", "float32", "float64", "uint8", "int8", "int16", "int32",
          "int64", "bool", "complex64", "complex128"]


@pytest.fixture
def reset(torch):
    yield
    for m in (ember, torch):
        m.set_printoptions(profile="default", sci_mode=None)


def _same(torch, make):
    e, t = make(ember), make(torch)
    assert repr(e) == repr(t).replace("torch.", "ember."), repr(t)
    assert str(e) == str(t).replace("torch.", "ember.")


@pytest.mark.parametrize("opts", OPTIONS, ids=[str(o) for o in OPTIONS])
def test_print_options_match_torch(torch, reset, opts):
    for m in (ember, torch):
        m.set_printoptions(**opts)
    for make in VALUES:
        if opts.get("profile") == "full" and make is VALUES[12]:
            continue  # 3000 numbers in full: slow to compare, no new rule
        _same(torch, make)


@pytest.mark.parametrize("opts", [{}, {"profile": "short"}, {"sci_mode": True}],
                         ids=["default", "short", "sci"])
@pytest.mark.parametrize("name", DTYPES)
def test_every_dtype_prints_like_torch(torch, reset, opts, name):
    for m in (ember, torch):
        m.set_printoptions(**opts)
    for make in (lambda m: m.tensor([0, 1, 2]).to(getattr(m, name)),
                 lambda m: m.tensor(1).to(getattr(m, name)),
                 lambda m: m.zeros(0, 2, dtype=getattr(m, name)),
                 lambda m: m.tensor([1.5, -2.25, 100.125]).to(getattr(m, name))
                 if name not in ("uint8", "bool") else m.tensor([1, 200]).to(getattr(m, name))):
        _same(torch, make)


def test_options_persist_until_reset(torch, reset):
    for m in (ember, torch):
        m.set_printoptions(precision=1)
        m.set_printoptions(linewidth=40)  # other options keep precision=1; sci_mode resets
    _same(torch, lambda m: m.linspace(0, 1, 12))
    for m in (ember, torch):
        m.set_printoptions(sci_mode=True)
        m.set_printoptions(edgeitems=2)
    _same(torch, lambda m: m.tensor([1.5, 2.5]))
