"""Entry point of the CPU backend (also registered statically by the registry)."""

from __future__ import annotations

from typing import Any


def ember_register_backends(registry: Any) -> None:
    from .backend import NumpyBackend

    registry.add("cpu", NumpyBackend, priority=0, name="numpy")
