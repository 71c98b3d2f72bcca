"""PyTorch as a test-only oracle.

``torch_or_skip()`` gives the ``torch`` module, or skips the test where PyTorch is not
installed; with ``EMBER_REQUIRE_ORACLE=1`` (CI) a missing oracle fails instead.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np

_torch: Any = None
_tried = False


def _load_torch() -> Any:
    global _torch, _tried
    if not _tried:
        _tried = True
        try:
            import torch

            _torch = torch
        except ImportError:
            if os.environ.get("EMBER_REQUIRE_ORACLE") == "1":
                raise RuntimeError(
                    "EMBER_REQUIRE_ORACLE=1 but PyTorch (the test oracle) is not installed: "
                    "pip install torch==2.14.1 torchvision==0.29.1") from None
    return _torch


def torch_or_skip() -> Any:
    """The ``torch`` module, or ``pytest.skip`` where it is absent."""
    t = _load_torch()
    if t is None:
        import pytest

        pytest.skip("PyTorch oracle not installed")
    return t


@contextlib.contextmanager
def distribution_defaults_kept() -> Iterator[None]:
    """Run a test leaving torch's and Ember's default ``validate_args`` of distributions as
    it found them: ``torch.compile`` (any use of torch._dynamo) turns validation off for the
    whole process, and ``ember.compile`` does as PyTorch's, so one test's compile would change
    what a later test's distributions raise."""
    import ember.distributions as ed

    torch = sys.modules.get("torch")
    # torch's own default (``__debug__``) when the test is the one that imports torch
    before = __debug__ if torch is None else torch.distributions.Distribution._validate_args
    ours = ed.Distribution._validate_args
    try:
        yield
    finally:
        ed.Distribution.set_default_validate_args(ours)
        torch = sys.modules.get("torch")
        if torch is not None:
            torch.distributions.Distribution.set_default_validate_args(before)


def requires_torch(fn: Any) -> Any:
    """Decorator: skip (or, under EMBER_REQUIRE_ORACLE=1, fail) without PyTorch."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        torch_or_skip()
        return fn(*args, **kwargs)

    return wrapper


def to_torch(t: Any, requires_grad: bool | None = None) -> Any:
    """The same values as a torch tensor (CPU), keeping dtype and requires_grad."""
    torch = torch_or_skip()
    if isinstance(t, (list, tuple)):
        return type(t)(to_torch(x, requires_grad) for x in t)
    from .._tensor import Tensor

    if not isinstance(t, Tensor):
        return t
    arr = np.array(t.detach()._host(), copy=True)
    if t.dtype.name == "bfloat16":
        out = torch.from_numpy(arr.astype(np.float32)).to(torch.bfloat16)
    else:
        out = torch.from_numpy(arr)
    rg = t.requires_grad if requires_grad is None else requires_grad
    if rg:
        out.requires_grad_(True)
    return out


def from_torch(t: Any) -> Any:
    """An Ember tensor with the values of a torch tensor."""
    import ember

    if t.dtype.is_floating_point and t.dtype.itemsize == 2 and str(t.dtype) == "torch.bfloat16":
        return ember.tensor(t.detach().float().numpy()).to(ember.bfloat16)
    return ember.tensor(t.detach().cpu().numpy())


def _default_tol(dtype_name: str) -> tuple[float, float]:
    return {"float16": (1e-3, 1e-3), "bfloat16": (1.6e-2, 1e-2), "float32": (1.3e-6, 1e-5),
            "complex64": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7),
            "complex128": (1e-7, 1e-7)}.get(dtype_name, (0.0, 0.0))


def assert_close(actual: Any, expected: Any, *, allow_subclasses: bool = True,
                 rtol: float | None = None, atol: float | None = None,
                 equal_nan: bool | None = None, check_device: bool = True,
                 check_dtype: bool = True, check_layout: bool = True, check_stride: bool = False,
                 msg: Any = None) -> None:
    """``torch.testing.assert_close``: Ember tensors, numbers and their (nested) containers
    compare as PyTorch compares them (NaNs equal only with ``equal_nan``). An Ember tensor
    against a PyTorch tensor, a NumPy array or plain data (the test suite's oracle checks)
    compares values, shape and dtype, NaNs equal unless ``equal_nan=False``."""
    from ._compare import compare

    def lenient(a: Any, e: Any) -> None:
        _oracle_close(a, e, rtol=rtol, atol=atol, check_dtype=check_dtype,
                      equal_nan=True if equal_nan is None else equal_nan,
                      msg=msg if isinstance(msg, str) else "")

    compare(actual, expected, rtol=rtol, atol=atol, equal_nan=bool(equal_nan),
            check_device=check_device, check_dtype=check_dtype, check_stride=check_stride,
            msg=msg, fallback=lenient, allow_subclasses=allow_subclasses)


_ALLCLOSE_TOLS = {"float16": (1e-3, 1e-3), "float32": (1e-4, 1e-5), "float64": (1e-5, 1e-8)}


def assert_allclose(actual: Any, expected: Any, rtol: float | None = None,
                    atol: float | None = None, equal_nan: bool = True, msg: str = "") -> None:
    """Deprecated ``torch.testing.assert_allclose``: ``assert_close`` with its older, looser
    per-dtype tolerances, NaNs equal and dtypes free to differ."""
    import warnings

    import ember

    warnings.warn("`ember.testing.assert_allclose()` is deprecated since 1.12 and will be "
                  "removed in a future release. Please use `ember.testing.assert_close()` "
                  "instead. You can find detailed upgrade instructions in "
                  "https://github.com/pytorch/pytorch/issues/61844.", FutureWarning,
                  stacklevel=2)
    if not isinstance(actual, ember.Tensor):
        actual = ember.tensor(actual)
    if not isinstance(expected, ember.Tensor):
        expected = ember.tensor(expected, dtype=actual.dtype)
    if rtol is None and atol is None:
        ra, aa = _ALLCLOSE_TOLS.get(actual.dtype.name, (0.0, 0.0))
        re_, ae = _ALLCLOSE_TOLS.get(expected.dtype.name, (0.0, 0.0))
        rtol, atol = max(ra, re_), max(aa, ae)
    assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan,
                 check_device=True, check_dtype=False, check_stride=False, msg=msg or None)


def _oracle_close(actual: Any, expected: Any, *, rtol: float | None, atol: float | None,
                  check_dtype: bool, equal_nan: bool, msg: str) -> None:
    """Values, shape and dtype of an Ember tensor against a tensor, array or number."""
    from .._tensor import Tensor

    a = actual.detach()._host() if isinstance(actual, Tensor) else np.asarray(actual)
    if hasattr(expected, "detach") and not isinstance(expected, Tensor):  # a torch tensor
        e_dtype = str(expected.dtype).replace("torch.", "")
        e = expected.detach().cpu().resolve_conj().resolve_neg()
        e = (e.float() if e_dtype == "bfloat16" else e).numpy()
    elif isinstance(expected, Tensor):
        e_dtype = expected.dtype.name
        e = expected.detach()._host()
    else:
        e = np.asarray(expected)
        e_dtype = str(e.dtype)
    a_dtype = actual.dtype.name if isinstance(actual, Tensor) else str(a.dtype)
    if check_dtype and a_dtype != e_dtype:
        raise AssertionError(f"{msg} dtype mismatch: ember {a_dtype} vs expected {e_dtype}")
    if tuple(a.shape) != tuple(e.shape):
        raise AssertionError(f"{msg} shape mismatch: ember {tuple(a.shape)} vs expected "
                             f"{tuple(e.shape)}")
    if a_dtype == "bfloat16":
        a = a.astype(np.float32)
    r0, a0 = _default_tol(a_dtype)
    rtol = r0 if rtol is None else rtol
    atol = a0 if atol is None else atol
    if a.dtype.kind in "biuSU" and e.dtype.kind in "biuSU":
        if not np.array_equal(a, e):
            bad = np.argwhere(a != e)
            raise AssertionError(f"{msg} values differ at {len(bad)} positions, first "
                                 f"{tuple(bad[0])}: {a[tuple(bad[0])]} vs {e[tuple(bad[0])]}")
        return
    np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan, err_msg=msg)


def assert_same_as_torch(actual: Any, expected: Any, **kw: Any) -> None:
    """``assert_close`` for (nested tuples of) results against PyTorch's."""
    if isinstance(expected, (tuple, list)):
        assert isinstance(actual, (tuple, list)) and len(actual) == len(expected), (
            f"structure differs: {type(actual)} vs {type(expected)}")
        for a, e in zip(actual, expected):
            assert_same_as_torch(a, e, **kw)
        return
    assert_close(actual, expected, **kw)
