"""Antialiased resize weights equal PyTorch's bit for bit (its CPU kernel's rounding:
``+ 0.5`` and ``* invscale`` in float64, fused multiply-adds in the bicubic filter,
sequential sums), so that rounded uint8 results and the weights presets match torchvision."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import ember
import ember.nn.functional as EFn
from ember.testing import assert_close


def _torch_weights(torch: Any, n_in: int, n_out: int, mode: str) -> np.ndarray:
    """The library's (n_out, n_in) weight matrix, read back by resizing one-hot rows."""
    eye = torch.eye(n_in, dtype=torch.float32)[:, None, None, :]
    fn = EFn.interpolate if torch is ember else torch.nn.functional.interpolate
    out = fn(eye, size=[1, n_out], mode=mode, antialias=True, align_corners=False)
    return out[:, 0, 0, :].numpy().T


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_aa_weights_bitwise(torch: Any, mode: str) -> None:
    sizes = [(n_in, n_out) for n_in in (1, 2, 3, 5, 7, 16, 27, 33, 41, 64, 301)
             for n_out in (1, 2, 3, 4, 9, 17, 32, 48, 224, 256)]
    bad = [(i, o) for i, o in sizes
           if not np.array_equal(_torch_weights(torch, i, o, mode),
                                 _torch_weights(ember, i, o, mode))]
    assert not bad


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("size", [[256], [224], [17, 29]])
def test_resize_float_matches_torchvision(tv: Any, torch: Any, mode: str, size: list) -> None:
    import torchvision.transforms.functional as TF

    import ember.vision.transforms.functional as F
    from ember.vision.transforms import InterpolationMode

    x = np.random.default_rng(1).random((2, 3, 301, 257), dtype=np.float32)
    got = F.resize(ember.from_numpy(x), size, interpolation=InterpolationMode(mode),
                   antialias=True)
    want = TF.resize(torch.from_numpy(x), size, interpolation=TF.InterpolationMode(mode),
                     antialias=True)
    assert_close(got, want, rtol=0, atol=2e-6)
