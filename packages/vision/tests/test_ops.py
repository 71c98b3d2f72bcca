"""ember.vision.ops against torchvision.ops on random boxes and features: values, and
gradients where torchvision has them; finite differences for RoIAlign/RoIPool."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest

import ember
from ember.testing import assert_close
from ember.vision import ops


@pytest.fixture
def tvops(torch: Any) -> Any:
    return pytest.importorskip("torchvision.ops")


def _boxes(rng: np.random.Generator, n: int, size: float = 50.0,
           dtype: Any = np.float32) -> np.ndarray:
    xy = rng.random((n, 2)) * size
    wh = rng.random((n, 2)) * size / 2 + 0.5
    return np.concatenate([xy, xy + wh], 1).astype(dtype)


def _pair(torch: Any, a: np.ndarray, grad: bool = False) -> tuple[Any, Any]:
    return (ember.tensor(a, requires_grad=grad),
            torch.tensor(a, requires_grad=grad))


# ------------------------------------------------------------------ NMS
@pytest.mark.parametrize("n,threshold", [(0, 0.5), (1, 0.5), (300, 0.3), (300, 0.7),
                                         (64, 0.0), (64, 1.0)])
def test_nms_matches_torchvision(torch: Any, tvops: Any, n: int, threshold: float) -> None:
    rng = np.random.default_rng(n)
    b = _boxes(rng, n)
    s = rng.random(n).astype(np.float32)
    keep = ops.nms(ember.from_numpy(b), ember.from_numpy(s), threshold)
    assert keep.dtype == ember.int64
    assert_close(keep, tvops.nms(torch.from_numpy(b), torch.from_numpy(s), threshold))


def test_nms_ties_duplicates_and_degenerate_boxes(torch: Any, tvops: Any) -> None:
    rng = np.random.default_rng(1)
    b = _boxes(rng, 40, size=10.0, dtype=np.float64)
    b = np.concatenate([b, b[:10], np.array([[3, 3, 3, 3], [1, 1, 1, 5]], np.float64)])
    s = np.round(rng.random(len(b)), 1)  # many equal scores: the sort must be stable
    keep = ops.nms(ember.from_numpy(b), ember.from_numpy(s), 0.5)
    assert_close(keep, tvops.nms(torch.from_numpy(b), torch.from_numpy(s), 0.5))
    idx = rng.integers(0, 4, len(b))
    assert_close(ops.batched_nms(ember.from_numpy(b), ember.from_numpy(s), ember.from_numpy(idx),
                                 0.4),
                 tvops.batched_nms(torch.from_numpy(b), torch.from_numpy(s),
                                   torch.from_numpy(idx), 0.4))


def test_batched_nms_keeps_categories_apart(torch: Any, tvops: Any) -> None:
    rng = np.random.default_rng(2)
    b, s = _boxes(rng, 200), rng.random(200).astype(np.float32)
    idx = rng.integers(0, 6, 200)
    got = ops.batched_nms(ember.from_numpy(b), ember.from_numpy(s), ember.from_numpy(idx), 0.3)
    assert_close(got, tvops.batched_nms(torch.from_numpy(b), torch.from_numpy(s),
                                        torch.from_numpy(idx), 0.3))
    empty = ops.batched_nms(ember.zeros(0, 4), ember.zeros(0), ember.zeros(0, dtype=ember.int64),
                            0.5)
    assert empty.shape == (0,) and empty.dtype == ember.int64


def test_nms_checks_shapes() -> None:
    with pytest.raises(RuntimeError, match="boxes should be a 2d tensor, got 1D"):
        ops.nms(ember.zeros(4), ember.zeros(1), 0.5)
    with pytest.raises(RuntimeError, match="4 elements in dimension 1, got 3"):
        ops.nms(ember.zeros(2, 3), ember.zeros(2), 0.5)
    with pytest.raises(RuntimeError, match="same number of elements in dimension 0, got 2 and 3"):
        ops.nms(ember.zeros(2, 4), ember.zeros(3), 0.5)


# ------------------------------------------------------------------ box utilities
@pytest.mark.parametrize("fn", ["box_iou", "generalized_box_iou", "distance_box_iou",
                                "complete_box_iou"])
@pytest.mark.parametrize("batch", [(), (3,)])
def test_pairwise_ious_and_their_gradients(torch: Any, tvops: Any, fn: str,
                                           batch: tuple) -> None:
    rng = np.random.default_rng(3)
    a = _boxes(rng, int(np.prod(batch, dtype=int)) * 5, dtype=np.float64).reshape(*batch, 5, 4)
    b = _boxes(rng, int(np.prod(batch, dtype=int)) * 7, dtype=np.float64).reshape(*batch, 7, 4)
    ea, ta = _pair(torch, a, True)
    eb, tb = _pair(torch, b, True)
    out, expected = getattr(ops, fn)(ea, eb), getattr(tvops, fn)(ta, tb)
    assert_close(out, expected)
    w = rng.standard_normal(out.shape)
    (out * ember.from_numpy(w)).sum().backward()
    (expected * torch.from_numpy(w)).sum().backward()
    assert_close(ea.grad, ta.grad)
    assert_close(eb.grad, tb.grad)


@pytest.mark.parametrize("fmt", ["xyxy", "xywh", "cxcywh"])
def test_box_area_and_iou_in_other_formats(torch: Any, tvops: Any, fmt: str) -> None:
    rng = np.random.default_rng(4)
    a, b = _boxes(rng, 6), _boxes(rng, 4)
    assert_close(ops.box_area(ember.from_numpy(a), fmt=fmt),
                 tvops.box_area(torch.from_numpy(a), fmt=fmt))
    assert_close(ops.box_iou(ember.from_numpy(a), ember.from_numpy(b), fmt=fmt),
                 tvops.box_iou(torch.from_numpy(a), torch.from_numpy(b), fmt=fmt))
    ints = (a * 3).astype(np.int16)  # small integers are upcast, as in torchvision
    assert_close(ops.box_area(ember.from_numpy(ints)), tvops.box_area(torch.from_numpy(ints)))
    with pytest.raises(ValueError, match="Unsupported"):
        ops.box_area(ember.from_numpy(a), fmt="xyxyxyxy")


_FORMATS = {"xyxy": 4, "xywh": 4, "cxcywh": 4, "xywhr": 5, "cxcywhr": 5, "xyxyxyxy": 8}


def test_box_convert_every_supported_pair(torch: Any, tvops: Any) -> None:
    rng = np.random.default_rng(5)
    for fin, fout in itertools.product(_FORMATS, _FORMATS):
        if (_FORMATS[fin] == 4) != (_FORMATS[fout] == 4):
            with pytest.raises(NotImplementedError):
                ops.box_convert(ember.zeros(2, _FORMATS[fin]), fin, fout)
            continue
        x = rng.random((2, 3, _FORMATS[fin])).astype(np.float32) * 20 + 1
        assert_close(ops.box_convert(ember.from_numpy(x), fin, fout),
                     tvops.box_convert(torch.from_numpy(x), fin, fout), msg=f"{fin}->{fout}")
    xi = (rng.random((4, 5)) * 30).astype(np.int64)
    assert_close(ops.box_convert(ember.from_numpy(xi), "xywhr", "cxcywhr"),
                 tvops.box_convert(torch.from_numpy(xi), "xywhr", "cxcywhr"))
    with pytest.raises(ValueError, match="Unsupported Bounding Box Conversions"):
        ops.box_convert(ember.zeros(1, 4), "xyxy", "yxyx")


def test_clip_remove_small_and_masks_to_boxes(torch: Any, tvops: Any) -> None:
    rng = np.random.default_rng(6)
    b = (rng.random((2, 5, 4)) * 80 - 20).astype(np.float32)
    assert_close(ops.clip_boxes_to_image(ember.from_numpy(b), (30, 40)),
                 tvops.clip_boxes_to_image(torch.from_numpy(b), (30, 40)))
    sb = _boxes(rng, 30, size=8.0)
    assert_close(ops.remove_small_boxes(ember.from_numpy(sb), 2.5),
                 tvops.remove_small_boxes(torch.from_numpy(sb), 2.5))
    masks = rng.random((5, 12, 9)) > 0.9
    masks[2] = False  # an empty mask gives [0, 0, 0, 0]
    masks[3] = False
    masks[3, 4, 7] = True  # one pixel
    assert_close(ops.masks_to_boxes(ember.from_numpy(masks)),
                 tvops.masks_to_boxes(torch.from_numpy(masks)))
    assert ops.masks_to_boxes(ember.zeros(0, 3, 3)).shape == (0, 4)


# ------------------------------------------------------------------ RoIAlign and RoIPool
def _rois(rng: np.random.Generator, k: int, n: int, size: float) -> np.ndarray:
    b = _boxes(rng, k, size)
    b[0] = [-3.0, -2.0, size + 4, size + 3]  # partly outside the image
    return np.concatenate([rng.integers(0, n, (k, 1)), b], 1).astype(np.float32)


@pytest.mark.parametrize("sampling_ratio,aligned,scale", [(-1, False, 1.0), (0, True, 0.5),
                                                          (2, False, 0.5), (2, True, 1.0),
                                                          (3, True, 0.25)])
def test_roi_align_values_and_gradient(torch: Any, tvops: Any, sampling_ratio: int,
                                       aligned: bool, scale: float) -> None:
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 3, 14, 17)).astype(np.float32)
    rois = _rois(rng, 9, 2, 14 / scale)
    ex, tx = _pair(torch, x, True)
    out = ops.roi_align(ex, ember.from_numpy(rois), (4, 5), scale, sampling_ratio, aligned)
    expected = tvops.roi_align(tx, torch.from_numpy(rois), (4, 5), scale, sampling_ratio,
                               aligned)
    assert_close(out, expected, rtol=1e-5, atol=1e-6)
    assert out.is_contiguous()
    g = rng.standard_normal(out.shape).astype(np.float32)
    out.backward(ember.from_numpy(g))
    expected.backward(torch.from_numpy(g))
    assert_close(ex.grad, tx.grad, rtol=1e-5, atol=1e-5)


def test_roi_align_box_lists_module_and_empty(torch: Any, tvops: Any) -> None:
    rng = np.random.default_rng(8)
    x = rng.standard_normal((2, 4, 10, 10)).astype(np.float32)
    per_image = [_boxes(rng, 3, 10), _boxes(rng, 2, 10)]
    got = ops.RoIAlign(3, 1.0, 2, aligned=True)(ember.from_numpy(x),
                                                [ember.from_numpy(b) for b in per_image])
    assert_close(got, tvops.RoIAlign(3, 1.0, 2, aligned=True)(
        torch.from_numpy(x), [torch.from_numpy(b) for b in per_image]), rtol=1e-5, atol=1e-6)
    assert repr(ops.RoIAlign((3, 3), 0.5, 2)) == repr(tvops.RoIAlign((3, 3), 0.5, 2))
    empty = ops.roi_align(ember.from_numpy(x), ember.zeros(0, 5), 3)
    assert empty.shape == (0, 4, 3, 3)
    with pytest.raises(AssertionError, match=r"Tensor\[K, 5\]"):
        ops.roi_align(ember.from_numpy(x), ember.zeros(3, 4), 3)


def test_roi_align_and_roi_pool_gradcheck() -> None:
    rng = np.random.default_rng(9)
    x = ember.tensor(rng.standard_normal((1, 2, 6, 7)), requires_grad=True)
    rois = ember.tensor([[0, 0.3, 0.6, 4.2, 5.1], [0, 2.2, 1.1, 6.4, 3.3]], dtype=ember.float64)
    assert ember.autograd.gradcheck(lambda t: ops.roi_align(t, rois, 2, 1.0, 2, True), (x,))
    assert ember.autograd.gradcheck(lambda t: ops.roi_pool(t, rois, 2, 1.0), (x,))


@pytest.mark.parametrize("scale", [1.0, 0.5, 0.25])
def test_roi_pool_values_and_gradient(torch: Any, tvops: Any, scale: float) -> None:
    rng = np.random.default_rng(10)
    x = rng.standard_normal((2, 3, 12, 15)).astype(np.float32)
    rois = _rois(rng, 8, 2, 12 / scale)
    rois[1, 1:] = [2.0, 2.0, 2.0, 2.0]  # a one-pixel RoI: some bins are empty
    ex, tx = _pair(torch, x, True)
    out = ops.roi_pool(ex, ember.from_numpy(rois), (3, 4), scale)
    expected = tvops.roi_pool(tx, torch.from_numpy(rois), (3, 4), scale)
    assert_close(out, expected)
    g = rng.standard_normal(out.shape).astype(np.float32)
    out.backward(ember.from_numpy(g))
    expected.backward(torch.from_numpy(g))
    assert_close(ex.grad, tx.grad)
    assert repr(ops.RoIPool(3, 0.5)) == repr(tvops.RoIPool(3, 0.5))


# ------------------------------------------------------------------ losses
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_losses_values_and_gradients(torch: Any, tvops: Any, reduction: str) -> None:
    rng = np.random.default_rng(11)
    logits = rng.standard_normal((4, 6))
    targets = (rng.random((4, 6)) > 0.6).astype(np.float64)
    el, tl = _pair(torch, logits, True)
    for alpha, gamma in [(0.25, 2), (-1, 0.5)]:
        out = ops.sigmoid_focal_loss(el, ember.from_numpy(targets), alpha, gamma, reduction)
        expected = tvops.sigmoid_focal_loss(tl, torch.from_numpy(targets), alpha, gamma,
                                            reduction)
        assert_close(out, expected)
        out.sum().backward()
        expected.sum().backward()
        assert_close(el.grad, tl.grad)
    a = _boxes(rng, 7, dtype=np.float64)
    b = _boxes(rng, 7, dtype=np.float64)
    b[:3] = a[:3] + rng.random((3, 4))  # overlapping pairs, and disjoint ones
    for fn in ["generalized_box_iou_loss", "distance_box_iou_loss", "complete_box_iou_loss"]:
        ea, ta = _pair(torch, a, True)
        out = getattr(ops, fn)(ea, ember.from_numpy(b), reduction)
        expected = getattr(tvops, fn)(ta, torch.from_numpy(b), reduction)
        assert_close(out, expected, msg=fn)
        out.sum().backward()
        expected.sum().backward()
        assert_close(ea.grad, ta.grad, msg=fn)
    empty = ops.generalized_box_iou_loss(ember.zeros(0, 4), ember.zeros(0, 4), "mean")
    assert empty.item() == 0.0
    with pytest.raises(ValueError, match="Invalid Value for arg 'reduction'"):
        ops.sigmoid_focal_loss(el, ember.from_numpy(targets), reduction="max")


# ------------------------------------------------------------------ layers
def test_frozen_batch_norm_matches_torchvision(torch: Any, tvops: Any) -> None:
    rng = np.random.default_rng(12)
    tm = tvops.FrozenBatchNorm2d(5, eps=1e-3)
    em = ops.FrozenBatchNorm2d(5, eps=1e-3)
    state = {k: rng.random(5).astype(np.float32) + 0.5 for k in tm.state_dict()}
    tm.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    bn_state = {k: ember.from_numpy(v) for k, v in state.items()}
    bn_state["num_batches_tracked"] = ember.tensor(3)  # a BatchNorm2d checkpoint loads too
    em.load_state_dict(bn_state)
    x = rng.standard_normal((2, 5, 3, 4)).astype(np.float32)
    assert_close(em(ember.from_numpy(x)), tm(torch.from_numpy(x)))
    assert repr(em) == repr(tm) and list(em.state_dict()) == list(tm.state_dict())
    assert list(em.parameters()) == []


def test_building_blocks_have_torchvision_structure(torch: Any, tvops: Any) -> None:
    pairs = [
        (ops.Conv2dNormActivation(3, 8, 3, stride=2), tvops.Conv2dNormActivation(3, 8, 3, 2)),
        (ops.Conv2dNormActivation(3, 8, (3, 5), dilation=(1, 2), norm_layer=None),
         tvops.Conv2dNormActivation(3, 8, (3, 5), dilation=(1, 2), norm_layer=None)),
        (ops.Conv3dNormActivation(2, 4, 3), tvops.Conv3dNormActivation(2, 4, 3)),
        (ops.SqueezeExcitation(8, 2), tvops.SqueezeExcitation(8, 2)),
        (ops.MLP(6, [10, 4], norm_layer=ember.nn.LayerNorm, dropout=0.1),
         tvops.MLP(6, [10, 4], norm_layer=torch.nn.LayerNorm, dropout=0.1)),
    ]
    for em, tm in pairs:
        assert [(k, tuple(v.shape)) for k, v in em.state_dict().items()] == [
            (k, tuple(v.shape)) for k, v in tm.state_dict().items()]
        assert [type(m).__name__ for m in em.modules()] == [
            type(m).__name__ for m in tm.modules()]
    em, tm = pairs[1]
    assert em[0].padding == tm[0].padding and em[0].bias is not None


def test_squeeze_excitation_and_permute_forward(torch: Any, tvops: Any) -> None:
    torch.manual_seed(0)
    tm = tvops.SqueezeExcitation(6, 3)
    em = ops.SqueezeExcitation(6, 3)
    em.load_state_dict({k: ember.from_numpy(v.numpy()) for k, v in tm.state_dict().items()})
    x = np.random.default_rng(13).standard_normal((2, 6, 4, 5)).astype(np.float32)
    assert_close(em(ember.from_numpy(x)), tm(torch.from_numpy(x)))
    assert ops.Permute([0, 2, 3, 1])(ember.from_numpy(x)).shape == (2, 4, 5, 6)


def test_stochastic_depth() -> None:
    x = ember.ones(400, 3, 2)
    assert ops.stochastic_depth(x, 0.5, "row", training=False) is x
    ember.manual_seed(0)
    rows = ops.stochastic_depth(x, 0.25, "row")
    per_row = rows.reshape(400, -1)
    assert ((per_row == 0).all(1) | (per_row == 1 / 0.75).all(1)).all()
    assert 0.6 < float((per_row[:, 0] != 0).float().mean()) < 0.9
    whole = ops.stochastic_depth(x, 0.5, "batch")
    assert len(set(whole.reshape(-1).tolist())) == 1
    assert (ops.stochastic_depth(x, 1.0, "row") == 0).all()
    layer = ops.StochasticDepth(0.2, "row").eval()
    assert layer(x) is x and repr(layer) == "StochasticDepth(p=0.2, mode=row)"
    with pytest.raises(ValueError, match="drop probability has to be between 0 and 1"):
        ops.stochastic_depth(x, 1.5, "row")
    with pytest.raises(ValueError, match="mode has to be either 'batch' or 'row'"):
        ops.stochastic_depth(x, 0.5, "col")


def test_multi_scale_roi_align_matches_torchvision(torch: Any, tvops: Any) -> None:
    from collections import OrderedDict

    rng = np.random.default_rng(14)
    shapes = {"feat1": (2, 3, 32, 32), "feat2": (2, 3, 16, 16), "feat3": (2, 3, 8, 8)}
    feats = {k: rng.standard_normal(s).astype(np.float32) for k, s in shapes.items()}
    boxes = [_boxes(rng, 6, 120.0), _boxes(rng, 4, 60.0)]
    boxes[0][0] = [0, 0, 127, 127]  # a large box goes to the coarsest level
    sizes = [(128, 128), (120, 100)]
    for names in (["feat1", "feat3"], ["feat2"], ["feat1", "feat2", "feat3"]):
        ours = ops.MultiScaleRoIAlign(names, 3, 2)(
            OrderedDict((k, ember.from_numpy(v)) for k, v in feats.items()),
            [ember.from_numpy(b) for b in boxes], sizes)
        theirs = tvops.MultiScaleRoIAlign(names, 3, 2)(
            OrderedDict((k, torch.from_numpy(v)) for k, v in feats.items()),
            [torch.from_numpy(b) for b in boxes], sizes)
        assert_close(ours, theirs, rtol=1e-5, atol=1e-6)


def test_torchvision_assertion_and_kernel_errors():
    """torchvision asserts on box layouts and ViT sizes (AssertionError) and has no integer
    nms kernel (RuntimeError); the same types here."""
    import ember
    from ember.vision import models, ops

    with pytest.raises(AssertionError, match=r"Tensor\[K, 5\]"):
        ops.roi_align(ember.zeros(1, 1, 4, 4), ember.zeros(2, 4), 2)
    with pytest.raises(AssertionError, match="indivisible by patch size"):
        models.vit_b_16(image_size=33)
    with pytest.raises(RuntimeError, match="\"nms_kernel\" not implemented for 'Long'"):
        ops.nms(ember.tensor([[0, 0, 2, 2], [1, 1, 3, 3]]), ember.tensor([0.9, 0.8]), 0.5)
