"""Helpers of the transform tests: the torch/torchvision oracle, images made once and given
to both libraries, seeded runs, and a comparison of results (tensors, PIL images, tuples,
dicts of tv_tensors) with a tolerance."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest
from PIL import Image

import ember

RNG_SEEDS = (0, 1, 2, 3, 7)


def oracle() -> tuple[Any, Any]:
    """(torch, torchvision), or skip; one intra-op thread keeps the many tiny ops fast."""
    from _vision_helpers import torchvision_or_skip

    tv = torchvision_or_skip()
    import torch
    import torchvision.transforms.v2  # noqa: F401 - a submodule the v2 tests reach as an attribute

    torch.set_num_threads(1)
    return torch, tv


def uint8_array(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def float_array(*shape: int, seed: int = 0, dtype: Any = np.float32) -> np.ndarray:
    return np.random.default_rng(seed).random(shape).astype(dtype)


def pil_image(h: int, w: int, mode: str = "RGB", seed: int = 0) -> Image.Image:
    channels = {"RGB": 3, "L": 1, "RGBA": 4}[mode]
    arr = uint8_array(h, w, channels, seed=seed)
    return Image.fromarray(arr[:, :, 0] if channels == 1 else arr)


def both(arr: np.ndarray) -> tuple[Any, Any]:
    """The same values as an ember tensor and a torch tensor (separate copies)."""
    import torch

    return ember.from_numpy(arr.copy()), torch.from_numpy(arr.copy())


def seed_all(seed: int) -> None:
    import torch

    ember.manual_seed(seed)
    torch.manual_seed(seed)
    random.seed(seed)


def to_numpy(x: Any) -> Any:
    if isinstance(x, Image.Image):
        return np.asarray(x), x.mode
    if hasattr(x, "canvas_size"):
        return x.detach().numpy() if hasattr(x, "detach") else x.numpy(), tuple(x.canvas_size)
    return x.detach().numpy(), None


def assert_same(ours: Any, theirs: Any, atol: float = 0.0, what: str = "") -> None:
    """Equal structure, types (by name), dtypes, shapes, metadata; values within ``atol``."""
    if isinstance(theirs, dict):
        assert set(ours) == set(theirs), what
        for k in theirs:
            assert_same(ours[k], theirs[k], atol, f"{what}[{k}]")
        return
    if isinstance(theirs, (tuple, list)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs), what
        for i, (a, b) in enumerate(zip(ours, theirs)):
            assert_same(a, b, atol, f"{what}[{i}]")
        return
    if isinstance(theirs, Image.Image):
        assert isinstance(ours, Image.Image), f"{what}: expected a PIL image, got {type(ours)}"
    else:
        assert type(ours).__name__.replace("Tensor", "") == type(theirs).__name__.replace(
            "Tensor", ""), f"{what}: {type(ours)} vs {type(theirs)}"
    (a, meta_a), (b, meta_b) = to_numpy(ours), to_numpy(theirs)
    assert meta_a == meta_b, f"{what}: {meta_a} != {meta_b}"
    assert a.dtype == b.dtype, f"{what}: dtype {a.dtype} != {b.dtype}"
    assert a.shape == b.shape, f"{what}: shape {a.shape} != {b.shape}"
    if a.size:
        diff = np.abs(a.astype(np.float64) - b.astype(np.float64)).max()
        assert diff <= atol, f"{what}: max difference {diff} > {atol}"


def run_seeded(make: Any, inputs: tuple[Any, Any], seeds: tuple = RNG_SEEDS,
               atol: float = 0.0) -> None:
    """``make(module)`` for ember's and torchvision's module, applied after the same seeds."""
    ours_module, theirs_module, ours_in, theirs_in = inputs
    for seed in seeds:
        seed_all(seed)
        ours = make(ours_module)(ours_in() if callable(ours_in) else ours_in)
        seed_all(seed)
        theirs = make(theirs_module)(theirs_in() if callable(theirs_in) else theirs_in)
        assert_same(ours, theirs, atol, f"seed {seed}")


@pytest.fixture
def torch_tv() -> tuple[Any, Any]:
    return oracle()
