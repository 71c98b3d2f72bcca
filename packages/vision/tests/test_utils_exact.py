"""``ember.vision.utils`` to the bit against torchvision: ``flow_to_image``, half-precision
images (every in-place step rounded to the image's dtype), the gallery's drawing calls and
PyTorch's error messages."""

from __future__ import annotations

import io
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

sys.path.insert(0, str(Path(__file__).parent))  # the helper module, under --import-mode=importlib
from _vision_helpers import torchvision_or_skip  # noqa: E402

import ember  # noqa: E402
from ember.testing import assert_close  # noqa: E402
from ember.vision import utils as eu  # noqa: E402

RNG = np.random.default_rng(11)
IMAGE = RNG.integers(0, 256, (3, 40, 50), dtype=np.uint8)
BOXES = np.array([[2, 3, 30, 20], [10.6, 5.2, 45.9, 38.5]], dtype=np.float32)
MASKS = RNG.random((2, 40, 50)) > 0.5


@pytest.fixture
def tv() -> Any:
    return torchvision_or_skip()


def _both(arr: np.ndarray, dtype: str | None = None) -> tuple[ember.Tensor, Any]:
    import torch

    e, t = ember.from_numpy(arr.copy()), torch.from_numpy(arr.copy())
    if dtype is not None:
        e, t = e.to(getattr(ember, dtype)), t.to(getattr(torch, dtype))
    return e, t


def test_colorwheel(tv) -> None:
    assert_close(eu._make_colorwheel(), tv.utils._make_colorwheel(), rtol=0, atol=0)


@pytest.mark.parametrize("shape", [(2, 6, 7), (3, 2, 5, 4)])
def test_flow_to_image_axis_directions_exact(tv, shape) -> None:
    # directions along the axes and diagonals, where atan2 is exact in every library
    dirs = np.array([[1, 0], [0, 1], [-1, 0], [0, -1], [1, 1], [-1, 1], [1, -1], [-1, -1]],
                    dtype=np.float32)
    pick = dirs[RNG.integers(0, len(dirs), shape[:-3] + shape[-2:])]
    scale = RNG.random(shape[:-3] + shape[-2:]).astype(np.float32)[..., None] * 4
    flow = np.moveaxis(pick * scale, -1, -3).astype(np.float32)
    e, t = _both(flow)
    assert_close(eu.flow_to_image(e), tv.utils.flow_to_image(t), rtol=0, atol=0)


@pytest.mark.parametrize("spread", [1e-3, 1.0, 30.0])
def test_flow_to_image_random(tv, spread) -> None:
    flow = (RNG.standard_normal((2, 2, 33, 29)) * spread).astype(np.float32)
    e, t = _both(flow)
    ours, theirs = eu.flow_to_image(e), tv.utils.flow_to_image(t)
    assert ours.dtype == ember.uint8 and tuple(ours.shape) == tuple(theirs.shape)
    # PyTorch's vectorised atan2 and sqrt (SLEEF) are not correctly rounded: a last-bit
    # difference may move floor(255 * colour) by one, rarely
    diff = np.abs(ours.numpy().astype(int) - theirs.numpy().astype(int))
    assert diff.max() <= 1 and (diff > 0).mean() < 1e-3
    single = eu.flow_to_image(e[0])  # normalised by its own longest vector
    assert tuple(single.shape) == (3, 33, 29)
    diff = np.abs(single.numpy().astype(int) - tv.utils.flow_to_image(t[0]).numpy())
    assert diff.max() <= 1 and (diff > 0).mean() < 1e-3


def test_flow_to_image_errors() -> None:
    with pytest.raises(ValueError, match="Flow should be of dtype"):
        eu.flow_to_image(ember.zeros(2, 3, 3, dtype=ember.float64))
    with pytest.raises(ValueError, match=r"shape \(2, H, W\) or \(N, 2, H, W\)"):
        eu.flow_to_image(ember.zeros(1, 3, 3, 3))


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("kwargs", [{"normalize": True}, {"normalize": True, "scale_each": True},
                                    {"normalize": True, "value_range": (-0.5, 0.8)}, {}])
def test_make_grid_half_types(tv, dtype, kwargs) -> None:
    x = (RNG.random((5, 3, 9, 11)) * 4 - 1).astype(np.float32)
    e, t = _both(x, dtype)
    assert_close(eu.make_grid(e, **kwargs), tv.utils.make_grid(t, **kwargs), rtol=0, atol=0)


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
def test_save_image_half_types(tv, dtype) -> None:
    x = RNG.random((4, 3, 9, 11)).astype(np.float32) * 1.2 - 0.1
    e, t = _both(x, dtype)
    out = []
    for utils, img in ((eu, e), (tv.utils, t)):
        buf = io.BytesIO()
        utils.save_image(img, buf, format="png", nrow=3)
        buf.seek(0)
        out.append(np.asarray(Image.open(buf)))
    np.testing.assert_array_equal(out[0], out[1])


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float64"])
def test_drawing_on_float_images(tv, dtype) -> None:
    img = (IMAGE / 255).astype(np.float32)
    e, t = _both(img, dtype)
    (eb, tb), (em, tm) = _both(BOXES), _both(MASKS)
    assert_close(eu.draw_bounding_boxes(e, eb, colors=["red", (0, 255, 0)], fill=True),
                 tv.utils.draw_bounding_boxes(t, tb, colors=["red", (0, 255, 0)], fill=True),
                 rtol=0, atol=0)
    assert_close(eu.draw_segmentation_masks(e, em, alpha=0.3),
                 tv.utils.draw_segmentation_masks(t, tm, alpha=0.3), rtol=0, atol=0)
    kp = np.array([[[5, 5], [20, 30], [40, 10]]], dtype=np.float32)
    ek, tk = _both(kp)
    assert_close(eu.draw_keypoints(e, ek, connectivity=[(0, 1), (1, 2)], colors="blue"),
                 tv.utils.draw_keypoints(t, tk, connectivity=[(0, 1), (1, 2)], colors="blue"),
                 rtol=0, atol=0)


def test_gallery_visualization_calls(tv) -> None:
    """The "Visualization utilities" example's calls, on a stand-in image."""
    (e, t), (eb, tb) = _both(IMAGE), _both(BOXES)
    calls = [
        lambda U, i, b: U.draw_bounding_boxes(i, b, colors=["blue", "yellow"], width=5),
        lambda U, i, b: U.draw_bounding_boxes(i, b, labels=["dog", "cat"], width=4,
                                              label_colors="white", fill_labels=True),
        lambda U, i, b: U.make_grid([i, i, i], nrow=2, padding=3),
    ]
    for call in calls:
        assert_close(call(eu, e, eb), call(tv.utils, t, tb), rtol=0, atol=0)
    (em, tm) = _both(MASKS)
    for kwargs in ({"alpha": 0.7}, {"alpha": 0.6, "colors": "blue"},
                   {"alpha": 0.9, "colors": ["#FF00FF", (20, 200, 20)]}):
        assert_close(eu.draw_segmentation_masks(e, em, **kwargs),
                     tv.utils.draw_segmentation_masks(t, tm, **kwargs), rtol=0, atol=0)


@pytest.mark.parametrize("dtype", ["uint8", "int16", "int32", "int64", "bool"])
def test_integer_images_errors_match(tv, dtype) -> None:
    x = RNG.integers(0, 2, (2, 3, 4, 4)).astype(dtype)
    e, t = _both(x)
    for call in (lambda U, a: U.make_grid(a, normalize=True),
                 lambda U, a: U.save_image(a, io.BytesIO(), format="png")):
        with pytest.raises(RuntimeError) as theirs:
            call(tv.utils, t)
        with pytest.raises(RuntimeError) as ours:
            call(eu, e)
        assert str(ours.value) == str(theirs.value)


def test_keypoint_visibility_shape_message(tv) -> None:
    kp = np.zeros((2, 4, 2), dtype=np.float32)
    vis = np.ones((2, 3), dtype=bool)
    (e, t), (ek, tk), (ev, tvis) = _both(IMAGE), _both(kp), _both(vis)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError) as theirs:
            tv.utils.draw_keypoints(t, tk, visibility=tvis)
        with pytest.raises(ValueError) as ours:
            eu.draw_keypoints(e, ek, visibility=ev)
    assert str(ours.value) == str(theirs.value).replace("torch.", "ember.")
