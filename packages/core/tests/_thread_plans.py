"""Forcing one way of splitting a convolution over the op threads, for the kernel tests."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import ember
from ember.ops import _conv_kernels as kernels


@contextlib.contextmanager
def forced_split(monkeypatch: Any, settings: dict, threads: int = 3) -> Iterator[None]:
    """The kernel module's thresholds set to ``settings``, on ``threads`` op threads (3 by
    default: an uneven split of the blocks and channels)."""
    for name, value in settings.items():
        monkeypatch.setattr(kernels, name, value)
    before = ember.get_num_threads()
    ember.set_num_threads(threads)
    try:
        yield
    finally:
        ember.set_num_threads(before)
