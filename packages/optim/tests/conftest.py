"""Shared fixtures: the PyTorch oracle (skipped when absent)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# _optim_helpers imports by name under --import-mode=importlib
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
