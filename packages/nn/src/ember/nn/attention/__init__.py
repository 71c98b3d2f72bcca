"""``ember.nn.attention``: PyTorch's torch.nn.attention, the choice of attention backend.

Ember computes ``scaled_dot_product_attention`` with one math kernel on every device;
``sdpa_kernel`` records the selection (and refuses calls that PyTorch would refuse when
every usable backend is off) so that programs written for PyTorch run unchanged.
"""

from __future__ import annotations

import contextlib
import enum
import logging
from collections.abc import Callable, Iterator

from . import _flags, bias  # noqa: F401 - bias: torch.nn.attention.bias

__all__ = ["SDPBackend", "sdpa_kernel", "WARN_FOR_UNFUSED_KERNELS",
           "register_flash_attention_impl", "activate_flash_attention_impl",
           "list_flash_attention_impls", "current_flash_attention_impl",
           "restore_flash_attention_impl"]

# PyTorch warns about unfused kernels when a program sets this; Ember has none to warn about.
WARN_FOR_UNFUSED_KERNELS = False

_logger = logging.getLogger(__name__)


class SDPBackend(enum.Enum):
    """The backends of ``scaled_dot_product_attention``, with PyTorch's names and values."""

    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4

    def __int__(self) -> int:
        return self.value

    def __index__(self) -> int:
        return self.value

    def __hash__(self) -> int:
        return hash(self.value)

    def __str__(self) -> str:
        return f"SDPBackend.{self.name}"


def _current(with_priority: bool = False) -> list[SDPBackend]:
    on = [SDPBackend(v) for v, flag in _flags.enabled.items() if flag]
    if with_priority:
        on.sort(key=lambda b: _flags.priority.index(b.value))
    return on


def _select(backends: list[SDPBackend], set_priority: bool) -> None:
    chosen = {b.value for b in backends if isinstance(b, SDPBackend)}
    for v in _flags.enabled:
        _flags.enabled[v] = v in chosen
    if set_priority:
        order = [int(b) for b in backends]
        order += [v for v in _flags.priority if v not in order]
        _flags.priority[:] = order


@contextlib.contextmanager
def sdpa_kernel(backends: list[SDPBackend] | SDPBackend,
                set_priority: bool = False) -> Iterator[dict]:
    """Context manager (or decorator) that enables only ``backends`` for attention.

    With ``set_priority=True`` the order of ``backends`` is their order of preference. The
    previous selection comes back on exit.
    """
    if not isinstance(backends, (list, SDPBackend)):
        raise AssertionError("Backend must be an instance of SDPBackend or a list of SDPBackend "
                             f"instances, got {type(backends).__name__}")
    chosen = [backends] if isinstance(backends, SDPBackend) else list(dict.fromkeys(backends))
    previous = _current(with_priority=set_priority)
    previous_order = list(_flags.priority)
    try:
        _select(chosen, set_priority)
        yield {}
    finally:
        _select(previous, False)
        _flags.priority[:] = previous_order


# Flash-attention implementation registry: providers register, users activate by name.
_impls: dict[str, Callable] = {}
_active: tuple[str, object] | None = None


def register_flash_attention_impl(impl: str, *, register_fn: Callable) -> None:
    """Register ``register_fn``, called by ``activate_flash_attention_impl(impl)``."""
    _impls[impl] = register_fn


def activate_flash_attention_impl(impl: str) -> None:
    """Activate a registered flash-attention implementation (ValueError when unknown)."""
    global _active
    restore_flash_attention_impl(_raise_warn=False)
    fn = _impls.get(impl)
    if fn is None:
        raise ValueError(f"Unknown flash attention impl '{impl}'. "
                         f"Available implementations: {list_flash_attention_impls()}")
    handle = fn()
    if handle is not None:
        _active = (impl, handle)


def list_flash_attention_impls() -> list[str]:
    """Names of the registered flash-attention implementations, sorted."""
    return sorted(_impls)


def current_flash_attention_impl() -> str | None:
    """The active implementation's name, or None for the default."""
    return None if _active is None else _active[0]


def restore_flash_attention_impl(_raise_warn: bool = True) -> None:
    """Go back to the default implementation, removing the active one's handle."""
    global _active
    if _active is not None:
        _active[1].remove()
    elif _raise_warn:
        _logger.warning("Trying to restore default FA2 impl when no custom impl was activated")
    _active = None
