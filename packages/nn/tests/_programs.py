"""Whole programs written once against a namespace ``L`` of a library's modules (``L.torch``,
``L.nn``, ``L.F``, ``L.optim``, ``L.data``), run under PyTorch and under Ember: what each
printed is compared, exactly for ints, strings, shapes and dtypes, to a tolerance for floats."""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any

import numpy as np

import ember


def namespace(lib: Any) -> SimpleNamespace:
    """The modules a program imports, from PyTorch or from Ember."""
    if lib is not ember:
        return SimpleNamespace(torch=lib, nn=lib.nn, F=lib.nn.functional, optim=lib.optim,
                               data=lib.utils.data)
    return SimpleNamespace(torch=ember, nn=ember.nn, F=ember.nn.functional, optim=ember.optim,
                           data=ember.utils.data)


def plain(v: object) -> object:
    """A printed value as plain Python/NumPy data (tensors to float64 arrays; strings such as
    ``ember.Size``, ``ember.float32`` spelled as PyTorch's)."""
    if hasattr(v, "detach") and hasattr(v, "dtype"):  # a tensor of either library
        v = v.detach()
        if str(v.dtype).split(".")[-1] in ("bfloat16", "float16"):
            v = v.float()
        return np.asarray(v.numpy(), dtype=np.float64 if v.is_floating_point() else None)
    if isinstance(v, str):
        return v.replace("ember.", "torch.")
    if isinstance(v, (list, tuple)):
        return [plain(a) for a in v]
    if isinstance(v, dict):
        return {k: plain(a) for k, a in v.items()}
    return v


def same(e: object, t: object, rtol: float, atol: float, where: str = "") -> None:
    """Ember's printed value ``e`` equals PyTorch's ``t``: exactly for ints, strings, shapes,
    dtypes; to ``rtol``/``atol`` for floats."""
    if isinstance(t, np.ndarray):
        assert isinstance(e, np.ndarray), where
        assert e.shape == t.shape and e.dtype == t.dtype, where
        np.testing.assert_allclose(e, t, rtol=rtol, atol=atol, err_msg=where)
    elif isinstance(t, float):
        assert isinstance(e, float), where
        assert math.isclose(e, t, rel_tol=rtol, abs_tol=atol), (where, e, t)
    elif isinstance(t, list):
        assert isinstance(e, list) and len(e) == len(t), where
        for i, (a, b) in enumerate(zip(e, t)):
            same(a, b, rtol, atol, f"{where}[{i}]")
    elif isinstance(t, dict):
        assert isinstance(e, dict) and list(e) == list(t), where
        for k in t:
            same(e[k], t[k], rtol, atol, f"{where}[{k!r}]")
    else:
        assert e == t, (where, e, t)


def run(program: Any, torch: Any, rtol: float = 2e-5, atol: float = 1e-6) -> None:
    """Runs ``program(L)`` with both libraries and compares what it printed."""
    expected = plain(program(namespace(torch)))
    got = plain(program(namespace(ember)))
    same(got, expected, rtol, atol)


def run64(program: Any, torch: Any) -> None:
    """``run`` with float64 as both libraries' default dtype (LBFGS and long sums amplify
    float32 rounding differences of summation order)."""
    old_t, old_e = torch.get_default_dtype(), ember.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    ember.set_default_dtype(ember.float64)
    try:
        run(program, torch, rtol=1e-9, atol=1e-12)
    finally:
        torch.set_default_dtype(old_t)
        ember.set_default_dtype(old_e)


def raises_same(fn_t: Any, fn_e: Any, size_as_ember: bool = True) -> None:
    """Both raise: the same exception type and message (with ``size_as_ember``, PyTorch's
    ``torch.Size`` read as ``ember.Size``)."""
    import pytest

    with pytest.raises(Exception) as et:
        fn_t()
    with pytest.raises(Exception) as ee:
        fn_e()
    assert type(ee.value) is type(et.value)
    want = str(et.value)
    assert str(ee.value) == (want.replace("torch.Size", "ember.Size") if size_as_ember else want)


def printed_source(src: str) -> str:
    """What the program text ``src`` prints when executed, object addresses blanked."""
    import contextlib
    import io
    import re

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(compile(src, "<program>", "exec"), {"__name__": "__program__"})  # noqa: S102
    return re.sub(r" at 0x[0-9a-f]+", " at 0x?", buf.getvalue())


def same_printed(src: str) -> None:
    """The PyTorch program text ``src`` prints the same as it does with its imports rewritten
    to Ember (``torchvision`` as ``ember.vision``, ``torch`` as ``ember``; PyTorch's output
    read the same way)."""
    def ember_text(text: str) -> str:
        return text.replace("torchvision", "ember.vision").replace("torch", "ember")

    assert printed_source(ember_text(src)) == ember_text(printed_source(src))
