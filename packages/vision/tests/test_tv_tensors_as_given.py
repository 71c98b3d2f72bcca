"""tv_tensors keep their metadata as the caller gave it, as torchvision's do: the detection
finetuning tutorial builds ``BoundingBoxes(..., canvas_size=F.get_size(img))``, a list, and
its repr and ``canvas_size`` show that list until a transform computes a new size."""

from __future__ import annotations

from typing import Any

import pytest

import ember
from ember.testing import assert_close
from ember.vision import tv_tensors
from ember.vision.transforms import v2


@pytest.mark.parametrize("canvas_size", [[60, 80], (60, 80)])
def test_bounding_boxes_canvas_size_as_given(tv: Any, torch: Any, canvas_size: Any):
    from torchvision import tv_tensors as ttv
    from torchvision.transforms import v2 as tv2

    data = [[14.0, 38.0, 28.0, 51.0], [25.0, 1.0, 39.0, 16.0]]
    t = ttv.BoundingBoxes(torch.tensor(data), format="XYXY", canvas_size=canvas_size)
    e = tv_tensors.BoundingBoxes(ember.tensor(data), format="XYXY", canvas_size=canvas_size)
    assert repr(e.canvas_size) == repr(t.canvas_size)
    assert repr(e) == repr(t)
    tf, ef = tv2.RandomHorizontalFlip(1.0)(t), v2.RandomHorizontalFlip(1.0)(e)
    assert repr(ef.canvas_size) == repr(tf.canvas_size)
    assert_close(ef, tf)
    tr, er = tv2.Resize(30)(t), v2.Resize(30)(e)
    assert repr(er.canvas_size) == repr(tr.canvas_size)
    assert_close(er, tr)


def test_get_size_list_into_boxes(tv: Any, torch: Any):
    from torchvision import tv_tensors as ttv
    from torchvision.transforms.v2 import functional as TF

    from ember.vision.transforms.v2 import functional as EF

    t_img = ttv.Image(torch.zeros(3, 12, 20, dtype=torch.uint8))
    e_img = tv_tensors.Image(ember.zeros(3, 12, 20, dtype=ember.uint8))
    assert EF.get_size(e_img) == TF.get_size(t_img)
    t = ttv.BoundingBoxes([[1, 2, 5, 6]], format="XYXY", canvas_size=TF.get_size(t_img))
    e = tv_tensors.BoundingBoxes([[1, 2, 5, 6]], format="XYXY", canvas_size=EF.get_size(e_img))
    assert repr(e) == repr(t)
