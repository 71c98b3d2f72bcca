"""Anomaly detection: name the forward op behind a backward that produced NaN."""

from __future__ import annotations

from typing import Any

from .graph import _anomaly

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled",
           "is_anomaly_check_nan_enabled"]


def is_anomaly_enabled() -> bool:
    return _anomaly[0]


def is_anomaly_check_nan_enabled() -> bool:
    return _anomaly[1]


class detect_anomaly:
    """Context manager: record where each op ran; a NaN from backward raises naming it."""

    def __init__(self, check_nan: bool = True) -> None:
        import warnings

        self.check_nan = check_nan
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime "
                      "and should only be enabled for debugging.", stacklevel=2)

    def __enter__(self) -> None:
        self._prev = tuple(_anomaly)
        _anomaly[0], _anomaly[1] = True, self.check_nan

    def __exit__(self, *exc: Any) -> None:
        _anomaly[0], _anomaly[1] = self._prev

    def __call__(self, fn: Any) -> Any:
        import functools

        @functools.wraps(fn)
        def wrapper(*a: Any, **k: Any) -> Any:
            with self.clone():
                return fn(*a, **k)

        return wrapper

    def clone(self) -> detect_anomaly:
        """A fresh mode with the same settings, made without a second warning."""
        new = object.__new__(detect_anomaly)
        new.check_nan = self.check_nan
        return new


class set_detect_anomaly:
    """Turn anomaly detection on or off (at once; as a context it restores the old mode)."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self._prev = tuple(_anomaly)
        _anomaly[0], _anomaly[1] = bool(mode), check_nan

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: Any) -> None:
        _anomaly[0], _anomaly[1] = self._prev
