"""Shared fixtures: the PyTorch oracle (skipped when absent)."""

from __future__ import annotations

import pytest

from ember.testing.oracle import torch_or_skip


@pytest.fixture
def torch():
    return torch_or_skip()
