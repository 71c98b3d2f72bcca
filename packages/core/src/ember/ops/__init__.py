"""Ember's ops, one module per family; each defines its ops with their derivatives
and attaches its Tensor methods on import."""

from __future__ import annotations

from . import (activation, arithmetic, attention, comparison, conv, conversion, creation,
               embedding, indexing, interpolation, linalg, loss, normalization, pointwise,
               pooling, reduction, sampling, shape)

FAMILIES = (arithmetic, creation, conversion, pointwise, comparison, reduction, shape, indexing,
            linalg, sampling, activation, conv, pooling, normalization, loss, embedding,
            attention, interpolation)

__all__: list[str] = []
for _m in FAMILIES:
    for _name in _m.__all__:
        globals()[_name] = getattr(_m, _name)
    __all__ += list(_m.__all__)
del _m, _name
