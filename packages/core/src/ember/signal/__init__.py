"""``ember.signal``: torch.signal's window functions (``ember.signal.windows``)."""

from . import windows

__all__ = ["windows"]
