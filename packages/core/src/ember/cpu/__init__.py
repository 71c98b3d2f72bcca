"""``ember.cpu``: PyTorch's ``torch.cpu``, the device-module API for the CPU (always there,
one device, nothing to synchronize), so device-generic code runs unchanged."""

from __future__ import annotations

from typing import Any

from . import amp

__all__ = ["is_available", "is_initialized", "device_count", "current_device", "set_device",
           "synchronize", "Stream", "Event", "current_stream", "stream", "StreamContext", "amp"]


def is_available() -> bool:
    return True


def is_initialized() -> bool:
    return True


def device_count() -> int:
    return 1


def current_device() -> str:
    return "cpu"


def set_device(device: Any) -> None:
    """Nothing to select: there is one CPU device."""


def synchronize(device: Any = None) -> None:
    """Nothing to wait for: CPU ops finish before they return."""


class Stream:
    """The CPU's stream: every op on it has finished when it returns."""

    def __init__(self, priority: int = -1) -> None:
        self.priority = priority

    def wait_stream(self, stream: Any) -> None:
        pass

    def synchronize(self) -> None:
        pass

    def query(self) -> bool:
        return True


class Event:
    """The CPU's event: recorded work is always complete."""

    def record(self, stream: Any = None) -> None:
        pass

    def wait(self, stream: Any = None) -> None:
        pass

    def synchronize(self) -> None:
        pass

    def query(self) -> bool:
        return True


_stream = Stream()


def current_stream(device: Any = None) -> Stream:
    return _stream


class StreamContext:
    """``with stream(s):``, a no-op on the CPU."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> None:
        return None


def stream(stream: Any) -> StreamContext:
    return StreamContext(stream)
