"""Shared fixtures: the PyTorch oracle (skipped when absent) and float64 gradcheck."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# the shared helper modules (_nn_check, _reduce_helpers, ...) import by name under
# --import-mode=importlib, which does not put the tests folder on sys.path by itself
sys.path.insert(0, str(Path(__file__).parent))

from ember.testing.oracle import distribution_defaults_kept, torch_or_skip


@pytest.fixture
def torch():
    return torch_or_skip()


@pytest.fixture(autouse=True)
def _validate_args_restored():
    """Each test leaves the distributions' default argument validation as it found it."""
    with distribution_defaults_kept():
        yield
