"""Shared fixtures: the PyTorch oracle (skipped when absent) and ``compare_layer``, which runs
one layer on Ember and on PyTorch with the same state and inputs and compares everything."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import ember
from ember.testing.oracle import distribution_defaults_kept, torch_or_skip

sys.path.insert(0, str(Path(__file__).parent))  # the helper module, under --import-mode=importlib
from _nn_compare import copy_state, run_pair  # noqa: E402


@pytest.fixture
def torch():
    return torch_or_skip()


@pytest.fixture(autouse=True)
def _validate_args_restored():
    """Each test leaves the distributions' default argument validation as it found it."""
    with distribution_defaults_kept():
        yield


@pytest.fixture
def compare_layer(torch: Any) -> Callable:
    """``compare_layer(make, inputs, ...)``: build ``make(torch.nn)`` and ``make(ember.nn)``,
    copy the state, and compare in train and eval mode (or only ``modes``)."""

    def run(make: Callable, inputs: Sequence[np.ndarray], *, dtype: str = "float32",
            modes: Sequence[bool] = (True, False), **kw: Any) -> tuple:
        tm, em = make(torch.nn), make(ember.nn)
        copy_state(tm, em)
        if dtype == "float64":
            tm.double()
            em.double()
        for mode in modes:
            tm.train(mode)
            em.train(mode)
            tm.zero_grad()
            em.zero_grad()
            run_pair(torch, tm, em, inputs, dtype=dtype, **kw)
        return tm, em

    return run
