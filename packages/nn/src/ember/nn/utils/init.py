"""``skip_init``: build a module without spending time (or random numbers) on initialising
its parameters and buffers."""

from __future__ import annotations

import inspect
from typing import Any

import ember

from ..modules.module import Module

__all__ = ["skip_init"]


def skip_init(module_cls: type, *args: Any, **kwargs: Any) -> Module:
    """Instantiate ``module_cls(*args, **kwargs)`` with its parameters left uninitialised.

    The module must accept a ``device`` argument, as in PyTorch. Ember builds it normally
    and restores the random generator afterwards, so that, as with PyTorch's ``skip_init``,
    no random numbers are consumed; the values are unspecified (use an init afterwards).
    """
    if not issubclass(module_cls, Module):  # a non-class: issubclass's TypeError, as PyTorch
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    final_device = kwargs.pop("device", "cpu")
    state = ember.get_rng_state()
    try:
        module = module_cls(*args, device=final_device, **kwargs)
    finally:
        ember.set_rng_state(state)
    return module
