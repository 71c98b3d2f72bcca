"""Differences from PyTorch found in the s26 session by the lead (oracle tests)."""

from __future__ import annotations

import pytest

import ember

torch = pytest.importorskip("torch")


def _outcome(fn):
    try:
        return tuple(fn().shape)
    except Exception as e:  # the type and text a user would print
        return type(e).__name__, str(e)


@pytest.mark.parametrize("shape, sizes", [
    ((2, 3), (4, 5)),          # both dims mismatch: PyTorch names the last one
    ((2, 3), (-1, 4, 5)),      # a leading -1 and a mismatch: the mismatch, checked first
    ((2, 3), (3, -1, -1)),
    ((2, 1), (2, 5)),
    ((2, 3), (-1, 2, 3)),      # a leading -1 alone
])
def test_expand_checks_dims_from_the_last(shape, sizes):
    got = _outcome(lambda: ember.zeros(shape).expand(*sizes))
    want = _outcome(lambda: torch.zeros(shape).expand(*sizes))
    assert got == want
