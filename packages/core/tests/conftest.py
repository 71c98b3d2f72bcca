"""Shared fixtures: the PyTorch oracle (skipped when absent) and float64 gradcheck."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# the shared helper modules (_nn_check, _reduce_helpers, ...) import by name under
# --import-mode=importlib, which does not put the tests folder on sys.path by itself
sys.path.insert(0, str(Path(__file__).parent))

from ember.testing.oracle import torch_or_skip


@pytest.fixture
def torch():
    return torch_or_skip()


@pytest.fixture(autouse=True)
def _torch_validate_args_restored():
    """Some torch APIs (torch.cond, torch.compile) import torch._dynamo, which turns off
    torch.distributions' argument validation for the whole process; the distribution tests
    compare against torch's default, so every test leaves it as it found it."""
    torch = sys.modules.get("torch")
    # torch's own default (``__debug__``) when the test is the one that imports torch
    before = __debug__ if torch is None else torch.distributions.Distribution._validate_args
    yield
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.distributions.Distribution.set_default_validate_args(before)
