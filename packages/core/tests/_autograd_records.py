"""What the autograd parity tests record of a run, to compare Ember's with PyTorch's:
tensors as values, dtype and graph flags; exceptions as type and message (library names and
addresses normalized away)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np


def val(t: Any) -> Any:
    """A comparable summary: tensors by values, dtype and graph flags."""
    if t is None:
        return None
    if isinstance(t, (tuple, list)):
        return type(t).__name__, [val(x) for x in t]
    if hasattr(t, "detach"):
        return ("T", np.round(t.detach().numpy().astype(np.float64), 10).tolist(),
                str(t.dtype).split(".")[-1], t.requires_grad, t.grad_fn is not None)
    return t


def norm_msg(s: Any, lib: Any) -> str:
    s = str(s).replace("torch", "LIB").replace("ember", "LIB")
    return re.sub(r"0x[0-9a-f]+", "ADDR", s)


def catch(lib: Any, f: Callable, *a: Any, limit: int | None = None, **k: Any) -> tuple:
    """``("ok", val(result))``, or ``("raise", type, message)`` (its first ``limit`` chars)."""
    try:
        return ("ok", val(f(*a, **k)))
    except Exception as e:  # noqa: BLE001 - the exception is what is compared
        return ("raise", type(e).__name__, norm_msg(e, lib)[:limit])
