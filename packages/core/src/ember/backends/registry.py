"""The backend registry: device type -> Backend, chosen by priority.

The built-in backends are registered statically, so they work from a plain
PYTHONPATH; others come from the ``ember.backends`` entry points, loaded one
device type at a time on first use. ``EMBER_BACKEND_<TYPE>`` picks a backend by
name when several claim one device type.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .. import _device
from .._device import device
from ..plugins.manager import BACKENDS_GROUP, plugin_manager
from .base import Backend

__all__ = ["BackendRegistry", "registry", "get_backend", "canonical_device"]


@dataclass
class BackendEntry:
    device_type: str
    factory: Callable[[], Backend]
    priority: int
    name: str
    instance: Backend | None = None
    error: str | None = None


class BackendRegistry:
    """What ``ember_register_backends(registry)`` hooks add to."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._entries: dict[str, list[BackendEntry]] = {}
        self._chosen: dict[str, Backend] = {}
        self._devices: dict[tuple[str, int | None], device] = {}

    def add(self, device_type: str, factory: Callable[[], Backend], priority: int = 0,
            name: str | None = None) -> None:
        """Offer a backend for ``device_type``; the highest priority wins."""
        if not isinstance(device_type, str) or not device_type.isidentifier():
            raise ValueError(f"backend device type must be an identifier, got {device_type!r}")
        name = name or getattr(factory, "__name__", repr(factory))
        with self._lock:
            entries = self._entries.setdefault(device_type, [])
            if any(e.name == name for e in entries):
                return
            entries.append(BackendEntry(device_type, factory, priority, name))

    def entries(self, device_type: str) -> list[BackendEntry]:
        return list(self._entries.get(device_type, []))

    def device_types(self) -> list[str]:
        return list(self._entries)

    def _discover(self, device_type: str) -> None:
        if device_type == "cpu":
            return
        if device_type == "cuda" and not self._entries.get("cuda"):
            from .cupy._plugin import cupy_usable

            if cupy_usable():  # the built-in CUDA backend, without installed metadata
                self.add("cuda", _cupy_factory, priority=0, name="cupy")
        for module in plugin_manager.load_backend(device_type):
            if hasattr(module, "ember_register_backends"):
                module.ember_register_backends(self)

    def get(self, device_type: str) -> Backend:
        """The backend serving ``device_type``, created on first use."""
        b = self._chosen.get(device_type)
        if b is not None:
            return b
        with self._lock:
            if device_type in self._chosen:
                return self._chosen[device_type]
            self._discover(device_type)
            entries = self._entries.get(device_type)
            if not entries:
                broken = plugin_manager.broken_for(BACKENDS_GROUP, device_type)
                if broken:
                    raise RuntimeError(
                        f"the backend plugin for device type '{device_type}' "
                        f"({broken[0].value}) failed to load: {broken[0].error}")
                if device_type == "cuda":
                    raise RuntimeError(
                        "Torch not compiled with CUDA enabled: no CUDA device is available to "
                        "Ember (install CuPy with pip install 'ember-core[cuda]' on a machine "
                        "with an NVIDIA GPU)")
                raise _no_backend(device_type)
            entry = self._pick(device_type, entries)
            try:
                backend = entry.factory()
            except Exception as e:
                raise RuntimeError(
                    f"backend '{entry.name}' for device type '{device_type}' failed to start: "
                    f"{type(e).__name__}: {e}") from e
            if not backend.type:
                backend.type = device_type
            if not backend.numpy_like:
                backend._dtype_tables()  # registers its dtype objects with ember.dtypes
            entry.instance = backend
            self._chosen[device_type] = backend
            return backend

    def _pick(self, device_type: str, entries: list[BackendEntry]) -> BackendEntry:
        want = os.environ.get(f"EMBER_BACKEND_{device_type.upper()}")
        if want:
            for e in entries:
                if e.name == want:
                    return e
            raise RuntimeError(
                f"EMBER_BACKEND_{device_type.upper()}={want!r} names no backend for "
                f"'{device_type}'; installed: {', '.join(e.name for e in entries)}")
        ranked = sorted(entries, key=lambda e: -e.priority)
        if len(ranked) > 1:
            top = ranked[0]
            if ranked[1].priority == top.priority:
                warnings.warn(
                    f"backends {', '.join(e.name for e in ranked)} all claim device type "
                    f"'{device_type}' with priority {top.priority}; using '{top.name}'. Set "
                    f"EMBER_BACKEND_{device_type.upper()} to choose one.", RuntimeWarning,
                    stacklevel=3)
        return ranked[0]

    def is_known(self, device_type: str) -> bool:
        if device_type in self._entries:
            return True
        with self._lock:
            self._discover(device_type)
        return device_type in self._entries or bool(
            plugin_manager.broken_for(BACKENDS_GROUP, device_type))

    def canonical(self, dev: device) -> device:
        """The shared device object for ``dev`` (index filled in), bound to its backend."""
        key = (dev.type, dev.index)
        d = self._devices.get(key)
        if d is not None:
            return d
        if dev.type in ("cpu", "meta") and dev.index is not None:
            # PyTorch's CPU and meta tensors have no index: "cpu:0" places on "cpu"
            d = self._devices[key] = self.canonical(device(dev.type))
            return d
        backend = self.get(dev.type)
        index = dev.index
        if dev.type not in ("cpu", "meta"):  # (a meta device has no index, as in PyTorch)
            if index is None:
                index = 0
            count = backend.device_count()
            if index >= count:
                raise RuntimeError(
                    f"{dev.type}:{index} is not available: {backend.type} has {count} device(s)")
        d = object.__new__(device)
        d.type, d.index, d._backend = dev.type, index, backend
        self._devices[key] = d
        self._devices[(dev.type, index)] = d
        return d


registry = BackendRegistry()


def _numpy_factory() -> Backend:
    from .numpy.backend import NumpyBackend

    return NumpyBackend()


def _cupy_factory() -> Backend:
    from .cupy.backend import CupyBackend

    return CupyBackend()


def _meta_factory() -> Backend:
    from .meta import MetaBackend

    return MetaBackend()


registry.add("cpu", _numpy_factory, priority=0, name="numpy")
registry.add("meta", _meta_factory, priority=0, name="meta")


# PyTorch's device types, in the order its message lists them: each is a valid device here
# (``device("xpu")``), and a tensor on one without a backend is refused at creation
_TORCH_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve",
                "fpga", "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia",
                "privateuseone")


def _validate_type(device_type: str) -> None:
    if device_type in _TORCH_TYPES or device_type in registry._entries:
        return
    if not registry.is_known(device_type):
        extra = sorted(set(registry.device_types()) - set(_TORCH_TYPES))
        raise RuntimeError(
            f"Expected one of {', '.join(_TORCH_TYPES + tuple(extra))} device type at start of "
            f"device string: {device_type}")


def _no_backend(device_type: str) -> Exception:
    """PyTorch's refusal of a tensor on a device type this build does not serve."""
    if device_type == "xpu":
        return AssertionError("Torch not compiled with XPU enabled")
    if device_type == "mtia":
        from ..mtia import _NOT_COMPILED

        return AssertionError(_NOT_COMPILED)
    return NotImplementedError(
        f"no backend is registered for device type '{device_type}': Ember runs on cpu, cuda "
        f"(with CuPy) and meta, and on device types that installed backend plugins register")


_device._validate_type = _validate_type

CPU: device = registry.canonical(device("cpu"))

# The device that factory calls without ``device=`` use; None: unset (the CPU).
_default_device: device | None = None
_default_stack: list[device | None] = []


def set_default_device(dev: Any) -> None:
    """Make ``dev`` the default device of factory calls (None: back to the CPU). A device
    that cannot be used here (no GPU) is refused at its first use, as in PyTorch."""
    global _default_device
    if dev is None:
        _default_device = None
        return
    d = dev if isinstance(dev, device) else device(dev)
    try:
        d = registry.canonical(d)
    except RuntimeError:
        pass  # kept unbound: canonical_device raises at the first use
    _default_device = d


def default_device() -> device | None:
    """The device set by ``set_default_device`` (or ``with device``), or None when unset."""
    return _default_device


def _enter_default(dev: device) -> None:
    _default_stack.append(_default_device)
    set_default_device(dev)


def _exit_default() -> None:
    global _default_device
    _default_device = _default_stack.pop() if _default_stack else None


_device._enter_default = _enter_default
_device._exit_default = _exit_default


def get_backend(device_type: str) -> Backend:
    return registry.get(device_type)


def canonical_device(dev: Any) -> device:
    """Canonical bound device for a device, string, int or None (the default device:
    the CPU unless ``ember.set_default_device`` or ``with ember.device(...)`` chose one)."""
    if dev is None:
        dev = _default_device
        if dev is None:
            return CPU
    if dev.__class__ is device and dev._backend is not None:
        return dev
    if not isinstance(dev, device):
        dev = device(dev)
    return registry.canonical(dev)
