"""``torch._dynamo.exc``: the errors ``compile`` raises before running anything."""

from __future__ import annotations

from typing import Any


class TorchDynamoException(RuntimeError):
    """Base of the compiler's errors (a RuntimeError, as PyTorch's)."""


class InvalidBackend(TorchDynamoException):
    """``compile(backend=...)`` names no registered backend."""

    def __init__(self, name: str) -> None:
        super().__init__(f"Invalid backend: {name!r}. See `ember._dynamo.list_backends()` "
                         "for available backends.")


class Unsupported(TorchDynamoException):
    """What the compiler cannot trace (never raised: Ember traces nothing)."""


class BackendCompilerFailed(TorchDynamoException):
    """A backend failed to compile (never raised: Ember compiles nothing)."""


def lookup_backend(backend: Any) -> Any:
    """``backend`` when it is a callable or a registered name; else InvalidBackend."""
    from . import BACKENDS

    if backend is None or callable(backend):
        return backend
    if not isinstance(backend, str) or backend not in BACKENDS:
        raise InvalidBackend(backend)
    return backend
