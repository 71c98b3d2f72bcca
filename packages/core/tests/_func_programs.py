"""Comparing a program's results between PyTorch and Ember: tensors by dtype name, shape,
requires_grad and values (within ``tol``), containers element by element, errors by type
and text. ``program(lib)`` runs against either library."""

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def _plain(x):
    """A comparable form of a result: arrays with dtype name, shape and requires_grad."""
    if isinstance(x, (torch.Tensor, ember.Tensor)):
        return ("T", str(x.dtype).split(".")[-1], tuple(x.shape), x.requires_grad,
                x.detach().numpy())
    if isinstance(x, (tuple, list)):
        return type(x).__name__, [_plain(a) for a in x]
    if isinstance(x, dict):
        return "dict", {k: _plain(v) for k, v in x.items()}
    return x


def _outcome(fn, lib):
    try:
        return _plain(fn(lib))
    except Exception as e:  # noqa: BLE001 - the comparison is the point
        return type(e).__name__, str(e).replace("torch.", "ember.")


def _same(a, b, tol):
    if isinstance(a, tuple) and a and a[0] == "T":
        assert b[0] == "T" and a[1:4] == b[1:4], (a[:4], b[:4])
        np.testing.assert_allclose(b[4], a[4], rtol=tol, atol=tol)
    elif isinstance(a, tuple) and len(a) == 2 and a[0] in ("tuple", "list"):
        assert a[0] == b[0] and len(a[1]) == len(b[1]), (a, b)
        for x, y in zip(a[1], b[1]):
            _same(x, y, tol)
    elif isinstance(a, tuple) and len(a) == 2 and a[0] == "dict":
        assert list(a[1]) == list(b[1])
        for k in a[1]:
            _same(a[1][k], b[1][k], tol)
    else:
        assert a == b


def check(program, tol):
    """``program(torch)`` and ``program(ember)`` give the same results (or the same error)."""
    _same(_outcome(program, torch), _outcome(program, ember), tol)
