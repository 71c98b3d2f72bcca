"""Casts into float8_e4m3fn saturate at +-448 as PyTorch's do (the format has no infinity)."""

from __future__ import annotations

import numpy as np
import pytest

import ember

pytest.importorskip("ml_dtypes")


@pytest.mark.parametrize("src", ["float32", "float64", "int64"])
def test_e4m3fn_saturates(torch, src):
    vals = [1000.0, -1e6, 3.3, 0.0, 447.0, -449.0, 60000.0]
    if src != "int64":
        vals += [float("inf"), float("-inf"), float("nan")]
    e = ember.tensor(vals, dtype=getattr(ember, src)).to(ember.float8_e4m3fn)
    t = torch.tensor(vals, dtype=getattr(torch, src)).to(torch.float8_e4m3fn)
    np.testing.assert_array_equal(e.view(ember.uint8).numpy(), t.view(torch.uint8).numpy())
