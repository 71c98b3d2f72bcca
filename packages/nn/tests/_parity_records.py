"""Run one program on PyTorch and on Ember and compare what it recorded.

A program is ``prog(m, rec)``: ``m`` is ``torch`` or ``ember``; it appends ``(name, value)``
records. Strings must be equal after spelling 'torch' as 'ember' (as Ember names itself in
dtypes, sizes and type names); warnings raised while it runs are a record too.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

import ember


class _Values:
    """A tensor's dtype, shape and values, compared with a float tolerance."""

    def __init__(self, t: Any) -> None:
        t = t.detach().cpu()
        self.dtype = str(t.dtype).split(".")[-1]
        self.shape = tuple(t.shape)
        self.values = np.asarray(t.float().tolist() if self.dtype == "bfloat16" else t.tolist())

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, _Values) and (self.dtype, self.shape) == (other.dtype, other.shape)
                and np.allclose(self.values, other.values, rtol=1e-5, atol=1e-6, equal_nan=True))

    def __repr__(self) -> str:
        return f"<{self.dtype} {self.shape} {self.values.ravel()[:6]}>"


def norm(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("torch", "ember")
    if hasattr(value, "detach") and hasattr(value, "dtype") and hasattr(value, "tolist"):
        return _Values(value)
    if isinstance(value, (list, tuple)):
        return type(value)(norm(v) for v in value)
    if isinstance(value, dict):
        return {norm(k): norm(v) for k, v in value.items()}
    return value


def records(prog: Any, m: Any) -> list:
    rec: list = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        prog(m, rec)
    rec.append(("warnings", sorted({norm(f"{w.category.__name__}: {w.message}") for w in caught})))
    return norm(rec)


def check(prog: Any, torch: Any) -> None:
    expected, got = records(prog, torch), records(prog, ember)
    assert [k for k, _ in got] == [k for k, _ in expected]
    for (key, want), (_, have) in zip(expected, got):
        assert have == want, key


def attempt(rec: list, name: str, fn: Any) -> None:
    try:
        rec.append((name, fn()))
    except Exception as e:  # noqa: BLE001 - the exception type and text are the record
        rec.append((name, f"{type(e).__name__}: {e}"))
