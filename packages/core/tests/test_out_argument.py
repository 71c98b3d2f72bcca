"""``out=``: factories, linear algebra, FFTs and the ops that lacked it write their result into
the given tensor (resized when needed) and return it, as PyTorch; with a graph, PyTorch's
refusal. NumPy scalars as factory arguments keep PyTorch's dtypes."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember
from ember.testing import assert_close

A = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]])

CASES = {  # name -> (call(lib, out), out factory(lib))
    "arange": (lambda m, o: m.arange(4, out=o), lambda m: m.empty(2)),
    "linspace": (lambda m, o: m.linspace(0, 1, 3, out=o), lambda m: m.zeros(5, dtype=m.int64)),
    "logspace": (lambda m, o: m.logspace(0, 2, 3, out=o), lambda m: m.empty(3)),
    "zeros": (lambda m, o: m.zeros(2, 3, out=o), lambda m: m.ones(6)),
    "ones": (lambda m, o: m.ones(2, out=o), lambda m: m.empty(2, dtype=m.int32)),
    "full": (lambda m, o: m.full((2, 2), 7.0, out=o), lambda m: m.empty(4)),
    "eye": (lambda m, o: m.eye(3, out=o), lambda m: m.empty(3, 3)),
    "inv": (lambda m, o: m.linalg.inv(m.tensor(A), out=o), lambda m: m.empty(3, 3, dtype=m.float64)),
    "det": (lambda m, o: m.linalg.det(m.tensor(A), out=o), lambda m: m.empty((), dtype=m.float64)),
    "solve": (lambda m, o: m.linalg.solve(m.tensor(A), m.tensor(A[:, :1]), out=o),
              lambda m: m.empty(3, 1, dtype=m.float64)),
    "vector_norm": (lambda m, o: m.linalg.vector_norm(m.tensor(A), out=o),
                    lambda m: m.empty((), dtype=m.float64)),
    "cholesky": (lambda m, o: m.linalg.cholesky(m.tensor(A), out=o),
                 lambda m: m.empty(3, 3, dtype=m.float64)),
    "eigvalsh": (lambda m, o: m.linalg.eigvalsh(m.tensor(A), out=o),
                 lambda m: m.empty(3, dtype=m.float64)),
    "fft": (lambda m, o: m.fft.fft(m.tensor(A[0]), out=o), lambda m: m.empty(3, dtype=m.complex128)),
    "fftfreq": (lambda m, o: m.fft.fftfreq(4, out=o), lambda m: m.empty(4)),
    "argmax": (lambda m, o: m.argmax(m.tensor(A), dim=1, out=o), lambda m: m.empty(0, dtype=m.int64)),
    "tril": (lambda m, o: m.tril(m.tensor(A), out=o), lambda m: m.empty(3, 3, dtype=m.float64)),
    "diag": (lambda m, o: m.diag(m.tensor(A), out=o), lambda m: m.empty(3, dtype=m.float64)),
    "take": (lambda m, o: m.take(m.tensor(A), m.tensor([0, 4]), out=o),
             lambda m: m.empty(2, dtype=m.float64)),
    "masked_select": (lambda m, o: m.masked_select(m.tensor(A), m.tensor(A) > 1, out=o),
                      lambda m: m.empty(0, dtype=m.float64)),
    "diff": (lambda m, o: m.diff(m.tensor(A), out=o), lambda m: m.empty(3, 2, dtype=m.float64)),
    "cummax": (lambda m, o: m.cummax(m.tensor(A), 0, out=o),
               lambda m: (m.empty(3, 3, dtype=m.float64), m.empty(3, 3, dtype=m.int64))),
    "complex": (lambda m, o: m.complex(m.tensor(A), m.tensor(A), out=o),
                lambda m: m.empty(3, 3, dtype=m.complex128)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_out_is_written_and_returned(torch, name):
    call, make_out = CASES[name]
    results = []
    for lib in (ember, torch):
        out = make_out(lib)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PyTorch warns when it resizes a non-empty out
            res = call(lib, out)
        if isinstance(out, tuple):
            assert all(r is o for r, o in zip(res, out))
        else:
            assert res is out
        results.append(out)
    if isinstance(results[0], tuple):
        for a, b in zip(*results):
            assert_close(a, b)
    else:
        assert_close(results[0], results[1])


def test_out_refuses_a_graph(torch):
    msgs = []
    for lib in (ember, torch):
        a = lib.tensor(A, requires_grad=True)
        with pytest.raises(RuntimeError, match="functions with out=... arguments don't support") \
                as info:
            lib.linalg.inv(a, out=lib.empty(3, 3, dtype=lib.float64))
        msgs.append(str(info.value))
    assert msgs[0].split(":", 1)[1] == msgs[1].split(":", 1)[1]


@pytest.mark.parametrize("call", [
    lambda m: m.arange(np.int64(5)), lambda m: m.arange(0, np.int64(5)),
    lambda m: m.arange(np.float32(2.5)), lambda m: m.full((2,), np.int64(1)),
    lambda m: m.full((2,), np.float32(1.5)), lambda m: m.full((2,), np.bool_(True)),
    lambda m: m.arange(1, 2.5, 0.5, dtype=m.int64), lambda m: m.arange(0.5, 3.7, 0.7, dtype=m.int32),
])
def test_numpy_scalars_and_integer_steps_in_factories(torch, call):
    assert_close(call(ember), call(torch))
