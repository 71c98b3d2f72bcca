"""``LinearCrossEntropyOptions``: PyTorch's switch to its chunked ``linear_cross_entropy``.

Ember keeps the fields and their validation so that code passing options runs unchanged;
its ``linear_cross_entropy`` always takes the reference path, whose values and gradients
are those the chunked kernel approximates.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import ember

__all__ = ["LinearCrossEntropyOptions"]

_VALID_ACC_POLICIES = ("auto", "accurate", "compact")


@dataclasses.dataclass(slots=True, frozen=True)
class LinearCrossEntropyOptions:
    """How a chunked ``linear_cross_entropy`` would split the batch.

    Fields: ``allow_retain_graph`` (a second backward allowed), ``batch_chunk_size`` (rows
    per chunk, ``None`` for one chunk), ``chunking_method`` (``"auto"``, ``"aspect_ratio"``,
    ``"aspect_ratio:N"`` or ``None``), ``acc_policy`` (``"auto"``, ``"accurate"`` or
    ``"compact"``) and ``acc_dtype`` (the accumulation dtype, ``None`` to choose).
    """

    allow_retain_graph: bool = False
    batch_chunk_size: int | None = None
    chunking_method: str | None = "auto"
    acc_policy: str = "auto"
    acc_dtype: Any = None

    def __post_init__(self) -> None:
        if self.acc_policy not in _VALID_ACC_POLICIES:
            raise ValueError(f"invalid acc_policy: {self.acc_policy!r}; expected one of "
                             f"{', '.join(map(repr, _VALID_ACC_POLICIES))}")
        if self.chunking_method is not None and self.chunking_method != "auto":
            name, sep, factor = self.chunking_method.partition(":")
            factor = factor if sep else "1"
            if not (name == "aspect_ratio" and factor.isdigit() and int(factor) > 0):
                raise ValueError(f"invalid chunking_method: {self.chunking_method!r}")
        if not (self.batch_chunk_size is None
                or (isinstance(self.batch_chunk_size, int) and self.batch_chunk_size > 0)):
            raise ValueError(f"batch_chunk_size must be positive int or None, got "
                             f"{self.batch_chunk_size!r}")
        allowed = (ember.float16, ember.bfloat16, ember.float32, ember.float64)
        if self.acc_dtype is not None and self.acc_dtype not in allowed:
            raise ValueError(
                f"acc_dtype must be one of {{None, torch.float16, torch.bfloat16, "
                f"torch.float32, torch.float64}}, got {self.acc_dtype!r}. Pass "
                "acc_dtype=None to let the op pick automatically.")
