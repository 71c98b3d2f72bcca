"""``ember.utils.dlpack``: tensors to and from DLPack capsules, as ``torch.utils.dlpack``."""

from __future__ import annotations

from ..ops.creation import from_dlpack, to_dlpack

__all__ = ["from_dlpack", "to_dlpack"]
