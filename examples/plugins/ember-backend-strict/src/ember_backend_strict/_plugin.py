"""Entry point of the ``strict`` backend: registers it without importing array_api_strict."""

from __future__ import annotations

from typing import Any


def _factory() -> Any:
    from .backend import StrictBackend  # array_api_strict is imported on first use only

    return StrictBackend()


def ember_register_backends(registry: Any) -> None:
    """Called by Ember's backend registry the first time device type ``strict`` is used."""
    registry.add("strict", _factory, priority=0, name="array-api-strict")
