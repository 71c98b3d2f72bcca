"""``ember.utils``: data loading (``ember.utils.data``), activation checkpointing
(``ember.utils.checkpoint``), hook handles (``ember.utils.hooks``), DLPack capsules and the
old ``model_zoo.load_url``, each loaded on first use: ``ember.utils.data.DataLoader`` works
after a plain ``import ember``, as in PyTorch."""

from .._runtime import lazy_submodules

__getattr__ = lazy_submodules(__name__, ("data", "checkpoint", "hooks", "dlpack", "model_zoo",
                                          "deterministic", "_pytree"))
