"""Compute backends: the protocol, the registry, and the built-in NumPy and CuPy backends."""

from .base import Backend
from .registry import BackendRegistry, canonical_device, get_backend, registry

__all__ = ["Backend", "BackendRegistry", "canonical_device", "get_backend", "registry"]
