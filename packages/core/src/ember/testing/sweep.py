"""A differential sweep against PyTorch: run one call on ``torch`` and on ``ember`` with the same
inputs and report every observable difference (success or failure, exception type and
message, result type, dtype, shape, values).

A case is ``Case(id, fn, args, kwargs)`` where ``fn(m, *args, **kwargs)`` is written against the
PyTorch API (``m`` is ``torch`` or ``ember``); ``args`` and ``kwargs`` hold plain Python values
and placeholders: ``T(dtype, shape, kind)`` for a tensor (the same values on both sides) and
``D(name)`` for a dtype. Used by the dtype sweep tests of ember-core and ember-nn.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["ALL_DTYPES", "Case", "D", "T", "run_case", "run_cases"]

ALL_DTYPES = ("bool", "uint8", "int32", "int64", "float16", "bfloat16", "float32", "float64",
              "complex64")


@dataclass(frozen=True)
class T:
    """A tensor placeholder: ``kind`` picks the values (distinct where the dtype allows).

    kinds: ``pos`` (positive), ``sym`` (both signs; integers include 0), ``unit`` (in (0, 1);
    integers 0/1), ``idx<k>`` (integers in [0, k)), ``big`` (large magnitudes), ``nc`` suffix
    for a non-contiguous (transposed) layout of the same values.
    """
    dtype: str
    shape: tuple = (3, 3)
    kind: str = "pos"
    seed: int = 0

    def values(self) -> np.ndarray:
        n = int(np.prod(self.shape)) if self.shape else 1
        perm = np.random.default_rng(n * 7 + self.seed).permutation(n).astype(np.float64)
        kind = self.kind.removesuffix("nc")
        floating = self.dtype.startswith(("float", "bfloat", "complex"))
        if kind.startswith("idx"):
            v = perm % int(kind[3:])
        elif kind == "sym":
            v = 0.35 * (perm - (n - 1) / 2) + 0.1 if floating else perm - n // 2
        elif kind == "unit":
            v = (perm + 1) / (n + 1) * 0.9 if floating else perm % 2
        elif kind == "big":
            v = 97.5 * (perm + 1) if floating else (perm + 1) * 1000003
        else:
            v = 0.25 + 0.3 * perm if floating else perm + 1
        if self.dtype == "bool":
            v = perm % 2 == 0
        elif self.dtype == "uint8":
            v = np.abs(v) % 256
        elif self.dtype.startswith("complex"):
            v = v + 0.5j * v[::-1]
        return v.reshape(self.shape)


@dataclass(frozen=True)
class D:
    """A dtype placeholder: ``torch.<name>`` on one side, ``ember.<name>`` on the other."""
    name: str


@dataclass(frozen=True)
class Case:
    id: str
    fn: Callable[..., Any]
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    check_message: bool = True
    rtol: float | None = None


def _make(torch: Any, ember: Any, spec: Any) -> tuple[Any, Any]:
    if isinstance(spec, T):
        v = spec.values()
        tdt = getattr(torch, spec.dtype)
        t = torch.tensor(v).to(tdt)
        e = ember.tensor(t.float().numpy() if spec.dtype == "bfloat16" else t.numpy())
        e = e.to(getattr(ember, spec.dtype))
        if spec.kind.endswith("nc") and t.ndim >= 2:
            t, e = t.mT.contiguous().mT, e.mT.contiguous().mT
        return t, e
    if isinstance(spec, D):
        return getattr(torch, spec.name), getattr(ember, spec.name)
    if isinstance(spec, (list, tuple)) and any(isinstance(s, (T, D)) for s in spec):
        pairs = [_make(torch, ember, s) for s in spec]
        return type(spec)(p[0] for p in pairs), type(spec)(p[1] for p in pairs)
    return spec, spec


def _call(fn: Callable, m: Any, args: tuple, kwargs: dict) -> tuple[bool, Any]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return True, fn(m, *args, **kwargs)
    except Exception as e:  # noqa: BLE001 - the exception is the observation
        return False, e


_TOL = {"float16": 2e-3, "bfloat16": 2e-2, "complex32": 2e-3, "float32": 2e-5,
        "complex64": 2e-5, "float64": 1e-9, "complex128": 1e-9}


def same_message(torch_message: str, ember_message: str) -> bool:
    """Ember's message is PyTorch's text, or PyTorch's text after the op's name ("op: ...")."""
    t, e = _norm_msg(torch_message), _norm_msg(ember_message)
    if e == t:
        return True
    head = e[:len(e) - len(t)]
    return e.endswith(t) and head.endswith(": ") and " " not in head[:-2].strip()


def _norm_msg(s: str) -> str:
    s = s.split("\n")[0].strip()
    return re.sub(r"0x[0-9a-f]+", "0x", s)


def compare(t: Any, e: Any, torch: Any, ember: Any, where: str = "", rtol: float | None = None
            ) -> list[str]:
    """Differences between a torch result ``t`` and an Ember result ``e``."""
    if isinstance(t, torch.Tensor):
        if not isinstance(e, ember.Tensor):
            return [f"{where}type: torch Tensor, ember {type(e).__name__}"]
        tdt = str(t.dtype).removeprefix("torch.")
        if tdt != e.dtype.name:
            return [f"{where}dtype: torch {tdt}, ember {e.dtype.name}"]
        if tuple(t.shape) != tuple(e.shape):
            return [f"{where}shape: torch {tuple(t.shape)}, ember {tuple(e.shape)}"]
        tv = t.detach().cpu().resolve_conj().resolve_neg()
        tv = (tv.float() if tdt == "bfloat16" else tv).numpy()
        ev = np.asarray(e.detach().cpu().numpy() if tdt != "bfloat16" else
                        e.detach().float().cpu().numpy())
        if tv.dtype.kind in "biu":
            ok = np.array_equal(tv, ev)
        else:
            tol = rtol if rtol is not None else _TOL.get(tdt, 1e-6)
            ok = np.allclose(ev, tv, rtol=tol, atol=tol, equal_nan=True)
        if not ok:
            return [f"{where}values differ: torch {tv.ravel()[:6]}, ember {ev.ravel()[:6]}"]
        return []
    if isinstance(t, (tuple, list)):
        if not isinstance(e, (tuple, list)) or len(t) != len(e):
            return [f"{where}structure: torch {type(t).__name__}[{len(t)}], ember "
                    f"{type(e).__name__}"]
        out: list[str] = []
        for i, (a, b) in enumerate(zip(t, e)):
            out += compare(a, b, torch, ember, f"{where}[{i}] ", rtol)
        return out
    if isinstance(t, torch.dtype):
        return [] if str(t).removeprefix("torch.") == getattr(e, "name", None) else [
            f"{where}dtype object: torch {t}, ember {e}"]
    if isinstance(t, (bool, int, float, complex)):
        if type(t) is not type(e):
            return [f"{where}python type: torch {type(t).__name__}, ember {type(e).__name__}"]
        if t != e and not (isinstance(t, float) and (np.isnan(t) and np.isnan(e)
                                                     or np.isclose(t, e, rtol=1e-5))):
            return [f"{where}value: torch {t!r}, ember {e!r}"]
        return []
    if t is None:
        return [] if e is None else [f"{where}torch None, ember {type(e).__name__}"]
    return []


def run_case(case: Case, torch: Any, ember: Any) -> list[str]:
    """The differences between PyTorch and Ember on one case (an empty list when equal)."""
    targs, eargs = zip(*(_make(torch, ember, a) for a in case.args)) if case.args else ((), ())
    tkw = {k: _make(torch, ember, v)[0] for k, v in case.kwargs.items()}
    ekw = {k: _make(torch, ember, v)[1] for k, v in case.kwargs.items()}
    tok, tr = _call(case.fn, torch, targs, tkw)
    eok, er = _call(case.fn, ember, eargs, ekw)
    head = f"{case.id}: "
    if tok != eok:
        if tok:
            return [head + f"torch ok, ember raised {type(er).__name__}: {_norm_msg(str(er))}"]
        return [head + f"torch raised {type(tr).__name__}: {_norm_msg(str(tr))}, ember ok"]
    if not tok:
        if type(tr) is not type(er):
            return [head + f"exception type: torch {type(tr).__name__}({_norm_msg(str(tr))}), "
                           f"ember {type(er).__name__}({_norm_msg(str(er))})"]
        # argument-parser TypeErrors word their messages differently: the type is what counts
        if case.check_message and not isinstance(tr, TypeError) and \
                not same_message(str(tr), str(er)):
            return [head + f"message: torch {_norm_msg(str(tr))!r}, ember "
                           f"{_norm_msg(str(er))!r}"]
        return []
    return [head + d for d in compare(tr, er, torch, ember, rtol=case.rtol)]


def run_cases(cases: Iterable[Case], torch: Any, ember: Any) -> list[str]:
    out: list[str] = []
    for c in cases:
        out += run_case(c, torch, ember)
    return out
