"""``ember.backends.mkl``: Ember's products run on the OpenBLAS that NumPy ships."""

from __future__ import annotations

VERBOSE_OFF = 0
VERBOSE_ON = 1


def is_available() -> bool:
    """Whether Intel MKL is used: not by Ember."""
    return False


class verbose:
    """PyTorch's MKL verbosity context: nothing to report in Ember."""

    def __init__(self, enable: int) -> None:
        self.enable = enable

    def __enter__(self) -> verbose:
        return self

    def __exit__(self, *exc: object) -> bool:
        return False
