"""ember-vision's plugin (entry point ``vision`` in the ``ember.plugins`` group): registers
the vision models with ``ember.hub`` and the vision ops (``vision::nms``, ...) with
``ember.extend.ops``. Hooks run once, when a registry is first read."""

from __future__ import annotations

import inspect
from typing import Any


def _op_functions() -> dict[str, Any]:
    from . import ops

    return {name: getattr(ops, name) for name in ops.__all__
            if inspect.isfunction(getattr(ops, name))}


def ember_register_models(registry: Any) -> None:
    """Every builder of ``ember.vision.models`` under its torchvision name, domain "vision"."""
    from .models._api import BUILTIN_MODELS, _get_enum_from_fn

    for name, builder in BUILTIN_MODELS.items():
        try:
            weights = _get_enum_from_fn(builder)
        except ValueError:  # a model without pre-trained weights (LeNet)
            weights = None
        registry.add(name, builder, domain="vision", weights=weights)


def ember_register_ops(registry: Any) -> None:
    """The functions of ``ember.vision.ops`` as ``vision::<name>``."""
    for name, fn in _op_functions().items():
        registry.add(f"vision::{name}", fn, domain="vision")


def ember_info() -> list[str]:
    from . import __version__
    from .models._api import BUILTIN_MODELS

    return [f"ember-vision {__version__}: {len(BUILTIN_MODELS)} models, "
            f"{len(_op_functions())} ops (vision::nms, vision::roi_align, ...)"]
