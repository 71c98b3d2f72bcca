"""RoIAlign on degenerate boxes against torchvision: empty and inverted boxes (zero or negative
width/height, where the adaptive sampling grid has no samples) give torchvision's values and
gradients, with no NaN and no NumPy warning."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import ember
from ember.testing import assert_close
from ember.vision import ops

# (image, x1, y1, x2, y2): empty at the origin, empty inside, a normal box, an inverted box,
# a box empty along x only, and one empty along y only
_ROIS = np.array([[0, 0, 0, 0, 0], [1, 2, 2, 2, 2], [0, 1, 1, 5, 6], [1, 3, 3, 2, 2],
                  [0, 4, 4, 4, 4.5], [1, 1.5, 6, 7, 6]])


@pytest.fixture
def tvops(torch: Any) -> Any:
    return pytest.importorskip("torchvision.ops")


@pytest.mark.parametrize("aligned", [True, False])
@pytest.mark.parametrize("sampling_ratio", [-1, 0, 2])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_roi_align_empty_boxes(torch: Any, tvops: Any, aligned: bool, sampling_ratio: int,
                               dtype: str) -> None:
    x = np.random.default_rng(0).standard_normal((2, 3, 8, 9)).astype(dtype)
    rois = _ROIS.astype(dtype)
    ex = ember.tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # NumPy's "invalid value" warnings included
        out = ops.roi_align(ex, ember.tensor(rois), (2, 3), 0.9, sampling_ratio, aligned)
        expected = tvops.roi_align(tx, torch.tensor(rois), (2, 3), 0.9, sampling_ratio,
                                   aligned)
        assert not np.isnan(out.detach().numpy()).any()
        assert_close(out, expected)
        up = np.random.default_rng(1).standard_normal(tuple(expected.shape)).astype(dtype)
        out.backward(ember.tensor(up))
        expected.backward(torch.tensor(up))
    assert not np.isnan(ex.grad.numpy()).any()
    assert_close(ex.grad, tx.grad)


def test_roi_align_only_empty_boxes_are_zero(torch: Any, tvops: Any) -> None:
    x = np.random.default_rng(2).standard_normal((1, 2, 5, 5)).astype("float32")
    rois = np.array([[0, 0, 0, 0, 0], [0, 3, 1, 3, 1]], dtype="float32")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = ops.roi_align(ember.tensor(x), ember.tensor(rois), 2, aligned=True)
    expected = tvops.roi_align(torch.tensor(x), torch.tensor(rois), 2, aligned=True)
    assert_close(out, expected)
    assert not np.any(out.numpy())
