"""``ember.backends.mps``: Apple's Metal backend, which Ember does not have."""

from __future__ import annotations


def is_available() -> bool:
    """Whether the MPS device can be used: never in Ember."""
    return False


def is_built() -> bool:
    """Whether this build has MPS support: no."""
    return False


def is_macos_or_newer(major: int, minor: int) -> bool:
    """Only meaningful with MPS: False, as PyTorch answers without it."""
    return False


def is_macos13_or_newer(minor: int = 0) -> bool:
    return False
