"""Entry point of the CUDA backend; registers only where CuPy imports and a GPU is usable."""

from __future__ import annotations

from typing import Any


def cupy_usable() -> bool:
    """Whether CuPy imports and sees a GPU; never raises."""
    try:
        import cupy

        return bool(cupy.cuda.is_available())
    except Exception:
        return False


def ember_register_backends(registry: Any) -> None:
    from importlib.util import find_spec

    if find_spec("cupy") is None:
        return
    from .backend import CupyBackend

    registry.add("cuda", CupyBackend, priority=0, name="cupy")
