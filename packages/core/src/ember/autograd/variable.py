"""``ember.autograd.variable``: the legacy module of ``Variable`` (old code imports it from
here)."""

from ._variable import Variable

__all__ = ["Variable"]
