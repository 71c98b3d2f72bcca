"""``ember.utils``: data loading (``ember.utils.data``), activation checkpointing
(``ember.utils.checkpoint``) and hook handles (``ember.utils.hooks``), each loaded on first
use: ``ember.utils.data.DataLoader`` works after a plain ``import ember``, as in PyTorch."""

import importlib as _importlib

_SUBMODULES = ("data", "checkpoint", "hooks")


def __getattr__(name: str):
    if name in _SUBMODULES:
        module = _importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'ember.utils' has no attribute '{name}'")
