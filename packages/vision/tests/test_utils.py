"""ember.vision.utils against torchvision.utils on the same inputs: make_grid exactly,
save_image, and the drawing functions (box pixels and mask blending also checked
numerically on their own)."""

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
from ember.vision import utils as eu  # noqa: E402

RNG = np.random.default_rng(0)


@pytest.fixture
def tvu() -> Any:
    return torchvision_or_skip().utils


def _pair(arr: np.ndarray) -> tuple[ember.Tensor, Any]:
    import torch

    return ember.from_numpy(arr.copy()), torch.from_numpy(arr.copy())


def _same(ours: ember.Tensor, theirs: Any) -> None:
    a, b = ours.numpy(), theirs.numpy()
    assert a.dtype == b.dtype and a.shape == b.shape
    np.testing.assert_array_equal(a, b)


GRID_KWARGS = [{}, {"nrow": 3, "padding": 1}, {"padding": 0, "pad_value": 0.7, "nrow": 2},
               {"normalize": True}, {"normalize": True, "scale_each": True},
               {"normalize": True, "value_range": (-1, 2)},
               {"normalize": True, "value_range": (-1.5, 0.5), "scale_each": True}]


@pytest.mark.parametrize("shape", [(5, 3, 7, 9), (1, 3, 4, 4), (8, 1, 5, 5), (11, 2, 3, 3),
                                   (3, 4, 6), (1, 6, 6), (6, 6)])
@pytest.mark.parametrize("kwargs", GRID_KWARGS)
def test_make_grid_matches_torchvision(tvu, shape: tuple, kwargs: dict) -> None:
    x = (RNG.standard_normal(shape) * 3).astype(np.float32)
    ours, theirs = _pair(x)
    _same(eu.make_grid(ours, **kwargs), tvu.make_grid(theirs, **kwargs))
    np.testing.assert_array_equal(ours.numpy(), x)  # the input is left as it was


def test_make_grid_dtypes_and_lists(tvu) -> None:
    u = RNG.integers(0, 256, (5, 3, 6, 7), dtype=np.uint8)
    ours, theirs = _pair(u)
    _same(eu.make_grid(ours, pad_value=255, nrow=4), tvu.make_grid(theirs, pad_value=255, nrow=4))
    x64 = RNG.random((3, 3, 4, 4)) * 5 - 1
    ours, theirs = _pair(x64)
    _same(eu.make_grid(ours, normalize=True), tvu.make_grid(theirs, normalize=True))
    images = RNG.random((4, 3, 5, 5)).astype(np.float32)
    _same(eu.make_grid([ember.from_numpy(i) for i in images], nrow=3),
          tvu.make_grid([_pair(i)[1] for i in images], nrow=3))
    # a grid holds every image at its place, padding elsewhere
    grid = eu.make_grid(ember.from_numpy(images), nrow=3, padding=2, pad_value=-1).numpy()
    assert grid.shape == (3, 2 * 7 + 2, 3 * 7 + 2)
    np.testing.assert_array_equal(grid[:, 9:14, 2:7], images[3])
    assert (grid[:, 9:14, 9:14] == -1).all()


def test_make_grid_errors() -> None:
    with pytest.raises(TypeError, match="tensor or list of tensors expected"):
        eu.make_grid(np.zeros((2, 3, 4, 4)))
    with pytest.raises(TypeError, match="list containing"):
        eu.make_grid([ember.zeros(3, 4, 4), np.zeros((3, 4, 4))])
    with pytest.raises(TypeError, match="value_range has to be a tuple"):
        eu.make_grid(ember.zeros(2, 3, 4, 4), normalize=True, value_range=[0, 1])


def test_save_image_matches_torchvision(tvu, tmp_path: Path) -> None:
    for x in (RNG.random((4, 3, 9, 9)).astype(np.float32), RNG.random((3, 8, 8)),
              RNG.random((1, 7, 7)).astype(np.float32) * 1.4 - 0.2):
        ours, theirs = _pair(x)
        a, b = io.BytesIO(), io.BytesIO()
        eu.save_image(ours, a, format="png", nrow=3)
        tvu.save_image(theirs, b, format="png", nrow=3)
        np.testing.assert_array_equal(np.asarray(Image.open(a)), np.asarray(Image.open(b)))
    eu.save_image(ours, tmp_path / "x.png", normalize=True)
    tvu.save_image(theirs, tmp_path / "y.png", normalize=True)
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "x.png")),
                                  np.asarray(Image.open(tmp_path / "y.png")))
    # rounding: 0.5 / 255 rounds up, just below rounds down
    eu.save_image(ember.tensor([[[0.5 / 255, 0.49 / 255, 1.2, -0.3]]]), tmp_path / "r.png")
    assert np.asarray(Image.open(tmp_path / "r.png"))[0, :, 0].tolist() == [1, 0, 255, 0]


IMAGE = RNG.integers(0, 256, (3, 60, 80), dtype=np.uint8)
BOXES = np.array([[5, 5, 30, 40], [10.7, 20.2, 70.9, 55.5], [0, 0, 79, 59]], dtype=np.float32)
BOX_KWARGS = [{}, {"colors": "red"}, {"colors": ["red", (0, 255, 0), "#0000ff"], "width": 3},
              {"fill": True}, {"labels": ["a", "bb", "ccc"]},
              {"labels": ["a", "bb", "ccc"], "fill_labels": True, "label_colors": "white"},
              {"labels": ["p", "q", "r"], "label_background_colors": "yellow",
               "fill_labels": True}]


@pytest.mark.parametrize("kwargs", BOX_KWARGS)
def test_draw_bounding_boxes_matches_torchvision(tvu, kwargs: dict) -> None:
    image, timage = _pair(IMAGE)
    boxes, tboxes = _pair(BOXES)
    _same(eu.draw_bounding_boxes(image, boxes, **kwargs),
          tvu.draw_bounding_boxes(timage, tboxes, **kwargs))
    fimage, tfimage = _pair(IMAGE.astype(np.float32) / 255)
    _same(eu.draw_bounding_boxes(fimage, boxes, **kwargs),
          tvu.draw_bounding_boxes(tfimage, tboxes, **kwargs))
    grey, tgrey = _pair(IMAGE[:1])
    _same(eu.draw_bounding_boxes(grey, boxes, **kwargs),
          tvu.draw_bounding_boxes(tgrey, tboxes, **kwargs))


def test_draw_rotated_boxes_matches_torchvision(tvu) -> None:
    quads = np.array([[10, 10, 50, 15, 45, 40, 5, 35], [60, 5, 75, 20, 60, 35, 45, 20]],
                     dtype=np.float32)
    for fill in (False, True):
        _same(eu.draw_bounding_boxes(_pair(IMAGE)[0], _pair(quads)[0], fill=fill, width=2),
              tvu.draw_bounding_boxes(_pair(IMAGE)[1], _pair(quads)[1], fill=fill, width=2))


def test_draw_bounding_boxes_pixels() -> None:
    image = ember.zeros(3, 20, 30, dtype=ember.uint8)
    out = eu.draw_bounding_boxes(image, ember.tensor([[2.0, 3.0, 12.9, 15.0]]), colors="red",
                                 width=1).numpy()
    edge = np.zeros((20, 30), bool)
    edge[3, 2:13] = edge[15, 2:13] = edge[3:16, 2] = edge[3:16, 12] = True
    np.testing.assert_array_equal(out[0] == 255, edge)
    assert (out[1:] == 0).all()
    filled = eu.draw_bounding_boxes(image, ember.tensor([[2, 3, 12, 15]]), colors=(0, 0, 200),
                                    fill=True).numpy()
    assert filled[2, 9, 7] == round(200 * 100 / 255)  # alpha 100 over black
    assert filled[2, 3, 2] == 200


def test_draw_bounding_boxes_errors() -> None:
    image = ember.zeros(3, 10, 10, dtype=ember.uint8)
    box = ember.tensor([[1, 1, 5, 5]])
    with pytest.raises(ValueError, match="xmin, ymin, xmax, ymax"):
        eu.draw_bounding_boxes(image, ember.tensor([[5, 1, 1, 5]]))
    with pytest.raises(ValueError, match="individual images"):
        eu.draw_bounding_boxes(ember.zeros(1, 3, 10, 10, dtype=ember.uint8), box)
    with pytest.raises(ValueError, match="grayscale and RGB"):
        eu.draw_bounding_boxes(ember.zeros(2, 10, 10, dtype=ember.uint8), box)
    with pytest.raises(ValueError, match="uint8 or float"):
        eu.draw_bounding_boxes(ember.zeros(3, 10, 10, dtype=ember.int32), box)
    with pytest.raises(TypeError, match="Tensor expected"):
        eu.draw_bounding_boxes(np.zeros((3, 10, 10), np.uint8), box)
    with pytest.raises(ValueError, match="labels"):
        eu.draw_bounding_boxes(image, box, labels=["a", "b"])
    with pytest.raises(ValueError, match="Number of colors"):
        eu.draw_bounding_boxes(image, ember.tensor([[1, 1, 5, 5], [2, 2, 3, 3]]), colors=["red"])
    with pytest.warns(UserWarning, match="No box was drawn"):
        assert eu.draw_bounding_boxes(image, ember.zeros(0, 4)) is image
    with pytest.warns(UserWarning, match="font_size"):
        eu.draw_bounding_boxes(image, box, labels=["a"], font_size=20)


MASKS = RNG.random((4, 60, 80)) > 0.6


@pytest.mark.parametrize("kwargs", [{}, {"alpha": 0.3}, {"colors": "blue"},
                                    {"colors": ["red", "green", (1, 2, 3), "#123456"],
                                     "alpha": 0.55}])
def test_draw_segmentation_masks_matches_torchvision(tvu, kwargs: dict) -> None:
    masks, tmasks = _pair(MASKS)
    for arr in (IMAGE, IMAGE.astype(np.float32) / 255, IMAGE / 255.0):
        image, timage = _pair(arr)
        _same(eu.draw_segmentation_masks(image, masks, **kwargs),
              tvu.draw_segmentation_masks(timage, tmasks, **kwargs))
    _same(eu.draw_segmentation_masks(_pair(IMAGE)[0], masks[2], **kwargs),
          tvu.draw_segmentation_masks(_pair(IMAGE)[1], tmasks[2], **kwargs))


def test_draw_segmentation_masks_blending() -> None:
    masks = np.zeros((2, 4, 5), bool)
    masks[0, :2] = True
    masks[1, 1:3] = True  # row 1 is covered twice: black
    out = eu.draw_segmentation_masks(ember.from_numpy(IMAGE[:, :4, :5].copy()),
                                     ember.from_numpy(masks), alpha=0.25,
                                     colors=[(200, 0, 0), (0, 100, 0)]).numpy()
    img = IMAGE[:, :4, :5].astype(np.float32)
    painted = img.copy()
    painted[:, 0] = np.array([200, 0, 0], np.float32)[:, None]
    painted[:, 1] = 0
    painted[:, 2] = np.array([0, 100, 0], np.float32)[:, None]
    expected = (img * np.float32(0.75) + painted * np.float32(0.25)).astype(np.uint8)
    np.testing.assert_array_equal(out, expected)
    with pytest.raises(ValueError, match="dtype bool"):
        eu.draw_segmentation_masks(ember.from_numpy(IMAGE), ember.zeros(60, 80))
    with pytest.raises(ValueError, match="same height and width"):
        eu.draw_segmentation_masks(ember.from_numpy(IMAGE), ember.zeros(1, 6, 8, dtype=ember.bool))
    with pytest.raises(ValueError, match="RGB image"):
        eu.draw_segmentation_masks(ember.from_numpy(IMAGE[:1]), ember.from_numpy(MASKS[:, :1]))


def test_draw_keypoints_matches_torchvision(tvu) -> None:
    keypoints = (RNG.random((2, 5, 2)) * [80, 60]).astype(np.float32)
    visibility = np.array([[1, 0, 1, 1, 1], [1, 1, 1, 0, 1]], dtype=bool)
    image, timage = _pair(IMAGE)
    kp, tkp = _pair(keypoints)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for kwargs in ({}, {"connectivity": [(0, 1), (1, 2), (3, 4)], "colors": "red",
                            "radius": 3}, {"connectivity": [(0, 1)], "width": 1}):
            _same(eu.draw_keypoints(image, kp, **kwargs), tvu.draw_keypoints(timage, tkp, **kwargs))
        vis, tvis = _pair(visibility)
        fimage, tfimage = _pair(IMAGE.astype(np.float32) / 255)
        _same(eu.draw_keypoints(fimage, kp, connectivity=[(0, 1), (2, 3)], visibility=vis),
              tvu.draw_keypoints(tfimage, tkp, connectivity=[(0, 1), (2, 3)], visibility=tvis))
    with pytest.raises(ValueError, match="num_instances, K, 2"):
        eu.draw_keypoints(image, ember.zeros(5, 2))
