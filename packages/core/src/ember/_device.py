"""``ember.device``: where a tensor lives, parsed from strings as PyTorch does.

Devices are small value objects. The registry of backends (a higher layer)
installs ``_known_types`` so that an unknown device type is an error naming the
installed ones, without this module importing the registry.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["device"]

_DEVICE_TYPE = re.compile(r"[a-zA-Z_]+")  # PyTorch's device type: letters and underscores


def _default_validate(type: str) -> None:  # noqa: A002
    if type != "cpu":
        raise RuntimeError(f"Expected one of cpu device type at start of device string: {type}")


# Replaced by ember.backends.registry: raises RuntimeError for an unknown device type.
_validate_type: Callable[[str], None] = _default_validate


def _no_default(*args: object) -> None:
    raise RuntimeError("using ember.device as a context manager needs ember's backends loaded")


# Replaced by ember.backends.registry: set and restore the default device of factory calls.
_enter_default: Callable[..., None] = _no_default
_exit_default: Callable[..., None] = _no_default


class device:
    """A device type and an optional index: ``device("cuda:1")``, ``device("cpu")``."""

    __slots__ = ("type", "index", "_backend")
    __module__ = "ember"  # printed as ``<class 'ember.device'>``, as PyTorch's

    def __init__(self, type: str | device, index: int | None = None):  # noqa: A002
        if isinstance(type, device):
            if index is not None:
                raise ValueError("device(): an index cannot be given with a device object")
            self.type, self.index, self._backend = type.type, type.index, None
            return
        if isinstance(type, int) and not isinstance(type, bool):
            # PyTorch treats a bare ordinal as the accelerator's index
            type, index = "cuda", type
        if not isinstance(type, str):
            raise TypeError(f"device(): expected a string or device, got {type.__class__.__name__}")
        if ":" in type:
            if index is not None:
                raise RuntimeError(
                    f"type (string) must not include an index because index was passed "
                    f"explicitly: {type}")
            kind, _, idx = type.partition(":")
            if not idx.isdigit() or (len(idx) > 1 and idx[0] == "0"):
                raise RuntimeError(f"Invalid device string: '{type}'")
            type, index = kind, int(idx)
        if not type:
            raise RuntimeError("Device string must not be empty")
        if _DEVICE_TYPE.fullmatch(type) is None:
            raise RuntimeError(f"Invalid device string: '{type}'")
        _validate_type(type)
        if index is not None and index < 0:
            raise RuntimeError("Device index must not be negative")
        self.type, self.index, self._backend = type, index, None

    def __eq__(self, other: object) -> bool:
        # a device equals only a device (PyTorch: ``device("cpu") == "cpu"`` is False)
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __format__(self, spec: str) -> str:
        """``str(device)``; a spec refused, as PyTorch's C type does."""
        if spec:
            raise TypeError("unsupported format string passed to ember.device.__format__")
        return str(self)

    def __reduce__(self):
        return (device, (self.type, self.index))

    def __enter__(self) -> device:
        # ``with ember.device("cuda"):`` makes it the default device of factory calls
        _enter_default(self)
        return self

    def __exit__(self, *exc) -> None:
        _exit_default()
