"""PyTorch-style ``repr`` of tensors: ``tensor([1., 2.], requires_grad=True)``."""

from __future__ import annotations

from typing import Any

import numpy as np

PRINT_OPTS = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80,
              "sci_mode": None}


def set_printoptions(precision: int | None = None, threshold: int | None = None,
                     edgeitems: int | None = None, linewidth: int | None = None,
                     profile: str | None = None, sci_mode: bool | None = None) -> None:
    """Set how tensors print (PyTorch's options and profiles)."""
    if profile == "default":
        PRINT_OPTS.update(precision=4, threshold=1000, edgeitems=3, linewidth=80)
    elif profile == "short":
        PRINT_OPTS.update(precision=2, threshold=1000, edgeitems=2, linewidth=80)
    elif profile == "full":
        PRINT_OPTS.update(precision=4, threshold=2**63 - 1, edgeitems=3, linewidth=80)
    for k, v in (("precision", precision), ("threshold", threshold), ("edgeitems", edgeitems),
                 ("linewidth", linewidth)):
        if v is not None:
            PRINT_OPTS[k] = v
    PRINT_OPTS["sci_mode"] = sci_mode


def _float_formatter(values: np.ndarray) -> Any:
    prec = PRINT_OPTS["precision"]
    finite = values[np.isfinite(values)]
    nonzero = np.abs(finite[finite != 0])
    int_mode = finite.size == 0 or bool(np.all(finite == np.ceil(finite)))
    sci = PRINT_OPTS["sci_mode"]
    if sci is None and nonzero.size:
        mx, mn = float(nonzero.max()), float(nonzero.min())
        sci = mx / mn > 1000.0 or mx > 1.0e8 or (not int_mode and mn < 1.0e-4)
    if int_mode and not sci:
        def fmt(v: float) -> str:
            if not np.isfinite(v):
                return str(v).replace("inf", "inf")
            return f"{v:.0f}."
    elif sci:
        def fmt(v: float) -> str:
            return f"{v:.{prec}e}" if np.isfinite(v) else str(v)
    else:
        def fmt(v: float) -> str:
            return f"{v:.{prec}f}" if np.isfinite(v) else str(v)
    return fmt


def _formatter(arr: np.ndarray) -> Any:
    kind = arr.dtype.kind
    if kind == "b":
        return lambda v: "True" if v else "False"
    if kind in "iu":
        return lambda v: str(int(v))
    if kind == "c":
        rf = _float_formatter(arr.real.astype(np.float64).ravel())
        imf = _float_formatter(arr.imag.astype(np.float64).ravel())

        def cfmt(v: complex) -> str:
            im = imf(abs(v.imag))
            return f"{rf(v.real)}{'-' if v.imag < 0 else '+'}{im}j"

        return cfmt
    return _float_formatter(arr.astype(np.float64).ravel())


def _summarize(arr: np.ndarray) -> bool:
    return arr.size > PRINT_OPTS["threshold"]


def _format_array(arr: np.ndarray, fmt: Any, indent: int, summarize: bool,
                  width: int = 0) -> str:
    edge = PRINT_OPTS["edgeitems"]
    if arr.ndim == 0:
        return fmt(arr.item())
    if arr.ndim == 1:
        if summarize and arr.shape[0] > 2 * edge:
            items = [fmt(v) for v in arr[:edge].tolist()] + [" ..."] + \
                    [fmt(v) for v in arr[-edge:].tolist()]
        else:
            items = [fmt(v) for v in arr.tolist()]
        items = [s if s == " ..." else s.rjust(width) for s in items]
        per_line = max(1, (PRINT_OPTS["linewidth"] - indent) // (width + 2))
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    n = arr.shape[0]
    if summarize and n > 2 * edge:
        idx = list(range(edge)) + [None] + list(range(n - edge, n))
    else:
        idx = list(range(n))
    parts = ["..." if i is None else _format_array(arr[i], fmt, indent + 1, summarize, width)
             for i in idx]
    sep = "," + "\n" * (arr.ndim - 1) + " " * (indent + 1)
    return "[" + sep.join(parts) + "]"


def tensor_repr(t: Any) -> str:
    arr = t._host()
    dtype = t.dtype
    if dtype.name == "bfloat16":
        arr = arr.astype(np.float32)
    suffix = []
    if t._device.type != "cpu":
        suffix.append(f"device='{t._device}'")
    defaults = ("float32", "int64", "bool", "complex64")
    from .dtypes import get_default_dtype

    if arr.size == 0:
        body = "[]"
        if arr.ndim != 1:
            suffix.append(f"size={tuple(arr.shape)}")
        if dtype.name not in ("float32", "int64") or dtype is not get_default_dtype() and \
                dtype.name == "float32":
            suffix.append(f"dtype=ember.{dtype.name}")
    else:
        summarize = _summarize(arr)
        shown = arr
        if summarize:
            edge = PRINT_OPTS["edgeitems"]
            sl = tuple(np.r_[0:min(edge, s), max(s - edge, edge):s] if s > 2 * edge else
                       slice(None) for s in arr.shape)
            shown = arr
            for ax, s in enumerate(sl):
                if not isinstance(s, slice):
                    shown = np.take(shown, s, axis=ax)
        fmt = _formatter(shown)
        flat = shown.ravel()
        width = max((len(fmt(v)) for v in flat.tolist()), default=0)
        body = _format_array(arr, fmt, len("tensor("), summarize, width)
        dflt = get_default_dtype().name
        if dtype.name not in (dflt, "int64", "bool") and not (
                dtype.name == "complex64" and dflt == "float32") and not (
                dtype.name == "complex128" and dflt == "float64"):
            suffix.append(f"dtype=ember.{dtype.name}")
    del defaults
    if t.grad_fn is not None:
        suffix.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._rg:
        suffix.append("requires_grad=True")
    out = f"tensor({body}"
    for item in suffix:  # PyTorch wraps a suffix that would pass the line width
        last = out.rsplit("\n", 1)[-1]
        if len(last) + len(item) + 2 > PRINT_OPTS["linewidth"]:
            out += ",\n       " + item
        else:
            out += ", " + item
    return out + ")"
