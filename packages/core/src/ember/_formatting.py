"""PyTorch-style ``repr`` of tensors: ``tensor([1., 2.], requires_grad=True)``."""

from __future__ import annotations

import contextlib
import dataclasses
import math
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np


@dataclasses.dataclass
class __PrinterOptions:  # PyTorch's name, shown by its repr
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


PRINT_OPTS = __PrinterOptions()
_PROFILES = {"default": (4, 1000, 3, 80), "short": (2, 1000, 2, 80), "full": (4, math.inf, 3, 80)}


def set_printoptions(precision: int | None = None, threshold: float | None = None,
                     edgeitems: int | None = None, linewidth: int | None = None,
                     profile: str | None = None, sci_mode: bool | None = None) -> None:
    """Set how tensors print (PyTorch's options and profiles; an unknown profile is ignored)."""
    if profile in _PROFILES:
        (PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems,
         PRINT_OPTS.linewidth) = _PROFILES[profile]
    for k, v in (("precision", precision), ("threshold", threshold), ("edgeitems", edgeitems),
                 ("linewidth", linewidth)):
        if v is not None:
            setattr(PRINT_OPTS, k, v)
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict[str, Any]:
    """The current print options, as keyword arguments for ``set_printoptions``."""
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs: Any) -> Iterator[None]:
    """Print with these options inside the block, then restore the previous ones."""
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


class _Formatter:
    """Formats the elements of one array (or of the real or imaginary parts of a complex one)
    to a common width, as PyTorch does: the width, the integer look (``2.``) and scientific
    notation are decided by the nonzero finite values only, so zeros, infinities and NaN
    neither widen the columns nor change the mode."""

    __slots__ = ("floating", "int_mode", "sci_mode", "max_width")

    def __init__(self, values: np.ndarray) -> None:
        self.floating = values.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        prec = PRINT_OPTS.precision
        if not self.floating:
            self.max_width = max((len(_plain(v)) for v in values.tolist()), default=1)
        else:
            vals = values[np.isfinite(values) & (values != 0)]
            if vals.size:
                mags = np.abs(vals)
                mx, mn = float(mags.max()), float(mags.min())
                self.int_mode = bool(np.all(vals == np.ceil(vals)))
                # set_printoptions(sci_mode=...) sizes the columns too; it has no say where no
                # value is finite and nonzero (those print as in the default mode)
                forced = PRINT_OPTS.sci_mode
                self.sci_mode = (mx / mn > 1000.0 or mx > 1.0e8 or mn < 1.0e-4) \
                    if forced is None else bool(forced)
                if self.sci_mode:
                    text = f"{{:.{prec}e}}".format
                else:
                    text = ("{:.0f}." if self.int_mode else f"{{:.{prec}f}}").format
                self.max_width = max(len(text(v)) for v in vals.tolist())

    def format(self, v: Any) -> str:
        if not self.floating:
            text = _plain(v)
        elif self.sci_mode:
            text = f"{v:.{PRINT_OPTS.precision}e}"
        elif self.int_mode:
            text = f"{v:.0f}" + ("." if np.isfinite(v) else "")
        else:
            text = f"{v:.{PRINT_OPTS.precision}f}"
        return text.rjust(self.max_width)


def _plain(v: Any) -> str:
    return str(bool(v)) if isinstance(v, (bool, np.bool_)) else str(v)


class _ComplexFormatter:
    """A real and an imaginary part each formatted by its own ``_Formatter``: ``1.+2.j``."""

    __slots__ = ("re", "im", "max_width")

    def __init__(self, values: np.ndarray) -> None:
        self.re = _Formatter(values.real.astype(np.float64))
        self.im = _Formatter(values.imag.astype(np.float64))
        self.max_width = self.re.max_width + self.im.max_width + 1  # and the "j"

    def format(self, v: complex) -> str:
        im = (self.im.format(v.imag) + "j").lstrip()
        return self.re.format(v.real) + (im if im[0] in "+-" else "+" + im)


def _formatter(arr: np.ndarray) -> Any:
    if arr.dtype.kind == "c":
        return _ComplexFormatter(arr.ravel())
    if arr.dtype.kind == "f":
        return _Formatter(arr.astype(np.float64).ravel())
    return _Formatter(arr.ravel())


def _summarize(arr: np.ndarray) -> bool:
    return arr.size > PRINT_OPTS.threshold


def _format_array(arr: np.ndarray, fmt: Any, indent: int, summarize: bool) -> str:
    edge = PRINT_OPTS.edgeitems
    if arr.ndim == 0:
        return fmt.format(arr.item())
    if arr.ndim == 1:
        if summarize and not edge:  # edgeitems=0 shows no element at all
            items = ["..."]
        elif summarize and arr.shape[0] > 2 * edge:
            items = [fmt.format(v) for v in arr[:edge].tolist()] + [" ..."] + \
                    [fmt.format(v) for v in arr[-edge:].tolist()]
        else:
            items = [fmt.format(v) for v in arr.tolist()]
        per_line = max(1, (PRINT_OPTS.linewidth - indent) // (fmt.max_width + 2))
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    n = arr.shape[0]
    if summarize and n > 2 * edge:
        idx = list(range(edge)) + [None] + list(range(n - edge, n))
    else:
        idx = list(range(n))
    parts = ["..." if i is None else _format_array(arr[i], fmt, indent + 1, summarize)
             for i in idx]
    sep = "," + "\n" * (arr.ndim - 1) + " " * (indent + 1)
    return "[" + sep.join(parts) + "]"


def _add_suffixes(text: str, suffixes: list, indent: int, force_newline: bool = False) -> str:
    """Append ``, suffix`` items, each on a new line when it would pass the line width
    (counted as PyTorch counts the first line: two more than its length); with
    ``force_newline`` the first one always starts a new line (sparse tensors)."""
    last = len(text) - text.rfind("\n") + 1
    for item in suffixes:
        if force_newline or last + len(item) + 2 > PRINT_OPTS.linewidth:
            text += ",\n" + " " * indent + item
            last = indent + len(item)
            force_newline = False
        else:
            text += ", " + item
            last += len(item) + 2
    return text + ")"


def tensor_repr(t: Any, contents: str | None = None) -> str:
    """``tensor(...)``; a subclass other than a parameter prints its own name as the prefix
    (and indents by it), and a subclass of a parameter is wrapped in ``Parameter(...)``,
    as PyTorch does. ``contents`` (``__repr__(tensor_contents=...)``) replaces the values."""
    cls = type(t)
    if cls.__dict__.get("_plain_repr", False):
        return _tensor_repr(t, "tensor(", contents)
    text = _tensor_repr(t, f"{cls.__name__}(", contents)
    if any(c.__name__ == "Parameter" and c.__module__ == "ember.nn.parameter"
           for c in cls.__mro__[1:]):
        return f"Parameter({text})"
    return text


def _tensor_repr(t: Any, prefix: str, contents: str | None = None) -> str:
    dtype, dflt = t.dtype.name, _default_dtype_name()
    suffix = _device_suffix(t)
    if t._device.type == "meta":  # no data to show: PyTorch prints the size instead
        body = "..." if contents is None else contents
        suffix.append(f"size={tuple(t._data.shape)}")
        if dtype != dflt:
            suffix.append(f"dtype=ember.{dtype}")
        return _add_suffixes(prefix + body, suffix + _autograd_suffix(t), len(prefix))
    arr = _host_array(t)
    body = _body(arr, len(prefix)) if contents is None else contents
    if arr.size == 0:
        if arr.ndim != 1:
            suffix.append(f"size={tuple(arr.shape)}")
        if dtype != dflt:  # no element shows the dtype: always named
            suffix.append(f"dtype=ember.{dtype}")
    else:
        if not PRINT_OPTS.edgeitems:  # nothing of the edges shows: the size tells
            suffix.append(f"size={tuple(arr.shape)}")
        suffix += _dtype_suffix(dtype, dflt)
    return _add_suffixes(prefix + body, suffix + _autograd_suffix(t), len(prefix))


def sparse_coo_repr(t: Any, indices: Any, values: Any) -> str:
    """A sparse COO tensor as PyTorch prints it: its (dense) ``indices`` and ``values`` each
    as a ``tensor(...)`` indented under the other, then the suffixes from a new line."""
    indent = len("tensor(")
    dtype = t.dtype.name
    parts = []
    for name, part in (("indices", indices), ("values", values)):
        head = f"{name}=tensor("
        arr = _host_array(part)
        text = head + _body(arr, indent + len(head))
        if arr.size == 0:
            text += f", size={tuple(arr.shape)}"
        parts.append(text + ")")
    suffix = _device_suffix(t) + [f"size={tuple(t.shape)}", f"nnz={values.shape[0]}"]
    suffix += _dtype_suffix(dtype, _default_dtype_name())
    suffix.append("layout=ember.sparse_coo")
    body = "tensor(" + (",\n" + " " * indent).join(parts)
    return _add_suffixes(body, suffix + _grad_suffix(t), indent, force_newline=True)


def _body(arr: np.ndarray, indent: int) -> str:
    """The bracketed values, continuation lines indented by ``indent``."""
    if arr.size == 0:
        return "[]"
    summarize = _summarize(arr)
    shown = arr
    if summarize:  # only the printed edges decide the format
        edge = PRINT_OPTS.edgeitems
        for ax, s in enumerate(arr.shape):
            if s > 2 * edge:
                shown = np.take(shown, np.r_[0:edge, s - edge:s], axis=ax)
    return _format_array(arr, _formatter(shown), indent, summarize)


def _host_array(t: Any) -> np.ndarray:
    arr = t._host()
    name = t.dtype.name
    if name == "bfloat16" or name.startswith("float8"):  # ml_dtypes' kind is "V"
        arr = arr.astype(np.float32)
    return arr


def _default_dtype_name() -> str:
    from .dtypes import get_default_dtype

    return get_default_dtype().name


def _dtype_suffix(dtype: str, dflt: str) -> list:
    """``dtype=...`` unless the values show it: the default dtype, its complex partner,
    int64 and bool go unnamed."""
    cdflt = "complex128" if dflt == "float64" else "complex64"
    return [] if dtype in (dflt, cdflt, "int64", "bool") else [f"dtype=ember.{dtype}"]


def _device_suffix(t: Any) -> list:
    return [f"device='{t._device}'"] if t._device.type != "cpu" else []


def _autograd_suffix(t: Any) -> list:
    """``grad_fn=``/``requires_grad=`` and, inside a forward-AD level, ``tangent=``; the
    reverse-mode graph Ember's dual tensors carry for their tangents alone stays unshown."""
    # looked up, not imported (a higher layer): never loaded means no level is open
    forward_ad = sys.modules.get("ember.autograd.forward_ad")
    if forward_ad is None or not forward_ad._current:
        return _grad_suffix(t)
    tangent = forward_ad.unpack_dual(t).tangent
    if tangent is None:
        return _grad_suffix(t)
    level = forward_ad._current[:]
    forward_ad._current.clear()  # the tangent prints as a plain tensor
    try:
        shown = f"tangent={tangent}"
    finally:
        forward_ad._current[:] = level
    return (_grad_suffix(t) if level[0].keeps_graph else []) + [shown]


def _grad_suffix(t: Any) -> list:
    if t.grad_fn is not None:
        if t._base is not None:  # a view whose base changed in place shows its replayed node
            t._refresh_view()
        return [f"grad_fn=<{type(t.grad_fn).__name__}>"]  # (CopySlices' name() is long)
    return ["requires_grad=True"] if t._rg else []
