"""``ember.autograd``: reverse-mode automatic differentiation with PyTorch's API.

Only the engine's lowest parts load with this package (the tensor imports them);
``backward``, ``grad``, ``Function``, ``gradcheck``, ``functional`` and the anomaly
mode load on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from .grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)

__all__ = ["backward", "grad", "Function", "gradcheck", "gradgradcheck", "no_grad",
           "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
           "is_inference_mode_enabled", "detect_anomaly", "set_detect_anomaly", "functional",
           "forward_ad", "graph", "Variable"]

_LAZY = {
    "backward": ("._api", "backward"),
    "grad": ("._api", "grad"),
    "Function": (".function", "Function"),
    "once_differentiable": (".function", "once_differentiable"),
    "FunctionCtx": (".function", "FunctionCtx"),
    "gradcheck": ("._gradcheck", "gradcheck"),
    "gradgradcheck": ("._gradcheck", "gradgradcheck"),
    "GradcheckError": ("._gradcheck", "GradcheckError"),
    "detect_anomaly": (".anomaly", "detect_anomaly"),
    "set_detect_anomaly": (".anomaly", "set_detect_anomaly"),
    "is_anomaly_enabled": (".anomaly", "is_anomaly_enabled"),
    "functional": (".functional", None),
    "forward_ad": (".forward_ad", None),
    "profiler": (".profiler", None),
    "function": (".function", None),
    "Variable": ("._variable", "Variable"),
}


def __getattr__(name: str) -> Any:
    spec = _LAZY.get(name)
    if spec is None:
        raise AttributeError(f"module 'ember.autograd' has no attribute '{name}'")
    module = importlib.import_module(spec[0], __name__)
    value = module if spec[1] is None else getattr(module, spec[1])
    globals()[name] = value
    return value
