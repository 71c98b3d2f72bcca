"""The half-Cauchy distribution."""

from __future__ import annotations

import math
from typing import Any

import ember

from .._tensor import Tensor
from ._half import _Half
from .cauchy import Cauchy

__all__ = ["HalfCauchy"]


class HalfCauchy(_Half):
    """``|X|`` for ``X ~ Cauchy(0, scale)``."""

    _base_cls = Cauchy

    def expand(self, batch_shape: Any, _instance: Any = None) -> HalfCauchy:
        new = self._get_checked_instance(HalfCauchy, _instance)
        return super().expand(batch_shape, _instance=new)

    @property
    def mean(self) -> Tensor:
        return ember.full(self._extended_shape(), math.inf, dtype=self.scale.dtype,
                          device=self.scale.device)

    @property
    def variance(self) -> Tensor:
        return self.base_dist.variance

    def _as_value(self, value: Any) -> Tensor:
        return ember.as_tensor(value, dtype=self.base_dist.scale.dtype,
                               device=self.base_dist.scale.device)
