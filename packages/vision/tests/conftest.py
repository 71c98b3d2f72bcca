"""Shared by the vision tests: their helper modules import by name under
--import-mode=importlib, and the oracle fixtures (PyTorch on one thread, torchvision) and
``no_init`` (Ember's weight initialisation skipped where a test overwrites the values)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

_FILLS = ("uniform_", "normal_", "trunc_normal_", "kaiming_uniform_", "kaiming_normal_",
          "xavier_uniform_", "xavier_normal_", "constant_", "zeros_", "ones_")


@pytest.fixture
def torch() -> Iterator[Any]:
    from ember.testing.oracle import torch_or_skip

    torch = torch_or_skip()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small workloads: PyTorch's thread pool only adds contention
    yield torch
    torch.set_num_threads(threads)


@pytest.fixture
def tv(torch: Any) -> Any:
    return pytest.importorskip("torchvision")


@pytest.fixture
def no_init(monkeypatch: pytest.MonkeyPatch) -> None:
    import ember.nn.init

    for name in _FILLS:
        monkeypatch.setattr(ember.nn.init, name, lambda t, *a, **k: t)


@pytest.fixture(autouse=True)
def _validate_args_restored():
    """Each test leaves the distributions' default argument validation as it found it."""
    from ember.testing.oracle import distribution_defaults_kept

    with distribution_defaults_kept():
        yield
