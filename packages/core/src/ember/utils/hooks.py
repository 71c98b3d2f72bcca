"""``ember.utils.hooks``: the handle that hook registrations return."""

from ..autograd.graph import RemovableHandle

__all__ = ["RemovableHandle"]
