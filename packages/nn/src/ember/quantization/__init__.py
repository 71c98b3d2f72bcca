"""``ember.quantization``: the older name of ``ember.ao.quantization`` (as
``torch.quantization``), the same objects."""

from __future__ import annotations

from ember.ao.quantization import *  # noqa: F403
from ember.ao.quantization import __all__  # noqa: F401
