"""Whole PyTorch programs run in-process with ``torch`` and with ``ember``: their printed
output compared (an uncaught exception's type and message count as output)."""

from __future__ import annotations

import contextlib
import io


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
