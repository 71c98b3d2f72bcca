"""``ember.backends.openmp``: Ember's threads are its own (and OpenBLAS's), not OpenMP's."""

from __future__ import annotations


def is_available() -> bool:
    """Whether OpenMP is used: not by Ember."""
    return False
