"""Whole PyTorch programs run in-process with ``torch`` and with ``ember``: their printed
output compared (an uncaught exception's type and message count as output)."""

from __future__ import annotations

import contextlib
import io
import re
import warnings


def printed(src: str, lib: str) -> str:
    """What ``src`` prints with ``torch`` spelled ``lib``; an exception's type and message last."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        try:
            exec(compile(src.replace("torch", lib), f"<{lib} program>", "exec"), {})  # noqa: S102
        except Exception as e:  # noqa: BLE001 (the program's own uncaught error is output too)
            print("UNCAUGHT", type(e).__name__, e)
    return buf.getvalue().replace("ember", "torch")


def same_output(src: str) -> None:
    assert printed(src, "ember") == printed(src, "torch")


def ember_repr(x) -> str:
    """``repr(x)`` with ``torch.`` read as ``ember.`` and object addresses blanked."""
    return re.sub(r" at 0x[0-9a-f]+", "", repr(x).replace("torch.", "ember."))


def same_repr(fn, torch) -> None:
    """``fn(lib)`` for ``torch`` and ``ember``: the same repr (``torch.`` read as ``ember.``,
    object addresses blanked), or the same error type and message."""
    import ember

    out = []
    for lib in (torch, ember):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out.append(ember_repr(fn(lib)))
        except Exception as e:  # noqa: BLE001 - the error is the observable
            out.append(f"{type(e).__name__}: {e}")
    assert out[1] == out[0]
