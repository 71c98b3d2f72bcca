"""``ember.utils``: data loading (``ember.utils.data``), activation checkpointing
(``ember.utils.checkpoint``) and hook handles (``ember.utils.hooks``), each loaded on first
use: ``ember.utils.data.DataLoader`` works after a plain ``import ember``, as in PyTorch."""

from .._runtime import lazy_submodules

__getattr__ = lazy_submodules(__name__, ("data", "checkpoint", "hooks"))
