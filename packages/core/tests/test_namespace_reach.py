"""PyTorch programs reach submodules as attributes after a plain ``import``:
``torch.utils.data.DataLoader``, ``torch.version.cuda``, ... (checked in a fresh process,
where nothing else has imported them yet)."""

from __future__ import annotations

import subprocess
import sys

import pytest

CHAINS = ["utils.data.DataLoader", "utils.data.TensorDataset", "utils.data.Dataset",
          "utils.data.distributed.DistributedSampler", "utils.data.dataloader.default_collate",
          "utils.checkpoint.checkpoint", "utils.hooks.RemovableHandle", "version.__version__",
          "version.cuda", "linalg.norm", "fft.fft", "special.erf", "autograd.grad",
          "autograd.functional.jacobian", "distributions.Normal", "testing.assert_close"]


@pytest.mark.parametrize("chain", CHAINS)
def test_attribute_chain_after_plain_import(chain):
    code = f"import ember\no = ember\nfor part in {chain!r}.split('.'):\n    o = getattr(o, part)\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr


def test_unknown_utils_attribute_raises_attribute_error():
    import ember

    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        ember.utils.nope  # noqa: B018


@pytest.mark.parametrize("module", ["ember.ops.normalization", "ember.ops.conv",
                                    "ember.ops._parallel", "ember.ops.linalg"])
def test_ops_module_imported_first(module):
    """A lazily loaded op family (or a private helper) imported before anything else: its
    relative imports of private helpers must not load every family while it is half made."""
    code = f"import {module}\nimport ember\nember.randn(2, 3).relu().sum()\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
