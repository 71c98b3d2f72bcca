"""``ember._assert``: an ``assert`` that symbolic tracing can record (torch._assert).

Models written for tracing (torchvision's ViT and Swin) check shapes with
``ember._assert(cond, msg)`` rather than ``if not cond: raise``: while ``ember.fx`` traces,
the function is replaced by one that records a ``call_function`` node (kept by dead-code
elimination), so the check runs when the traced graph runs instead of failing the trace.
"""

from __future__ import annotations

from typing import Any

__all__ = ["_assert"]


def _assert(condition: Any, message: str) -> None:
    """Raise ``AssertionError(message)`` when ``condition`` is false (a bool, or a
    one-element tensor); unlike the ``assert`` statement, it also runs under ``python -O``."""
    if not condition:
        raise AssertionError(message)
