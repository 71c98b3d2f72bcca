"""``functional_call``: run a module with some parameters and buffers swapped for others
(PyTorch's deprecated spelling of ``ember.func.functional_call``, which does the work)."""

from __future__ import annotations

import warnings
from typing import Any

from ember.func.call import functional_call as _functional_call

__all__ = ["functional_call"]


def functional_call(module: Any, parameters_and_buffers: Any, args: Any = None,
                    kwargs: dict | None = None, *, tie_weights: bool = True,
                    strict: bool = False) -> Any:
    """``module(*args, **kwargs)`` with the named parameters and buffers replaced
    (deprecated, as in PyTorch: ``ember.func.functional_call`` is the same call)."""
    warnings.warn("`ember.nn.utils.stateless.functional_call` is deprecated as of PyTorch 2.0 "
                  "and will be removed in a future version of PyTorch. Please use "
                  "`ember.func.functional_call` instead which is a drop-in replacement.",
                  FutureWarning, stacklevel=2)
    return _functional_call(module, parameters_and_buffers, args, kwargs,
                            tie_weights=tie_weights, strict=strict)
