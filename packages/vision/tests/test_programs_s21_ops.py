"""torchvision.ops programs run side by side (session 21): the cases where Ember's results
differed from torchvision 0.29, each checked against torchvision on the same inputs.

- ``nms`` puts NaN scores first, as torchvision's descending sort does.
- ``complete_box_iou_loss`` passes its ``eps`` only to the aspect-ratio weight (the DIoU
  part keeps the default), as torchvision does.
- RoI ops given no boxes return an empty output still in the input's graph (zero gradient).
- ``MultiScaleRoIAlign`` over several levels writes each level into a zero tensor
  (``IndexPutBackward0``) and gives levels without boxes a zero gradient.
- ``batched_nms`` of more than 1000 boxes on the CPU runs one NMS per category
  (torchvision's vanilla path) instead of shifting categories apart: tied scores come out
  in torchvision's order.
- ``nms`` of more than 1024 boxes computes IoUs row by row (same kept boxes, no n^2 matrix).
- ``box_iou`` of rotated boxes ('cxcywhr', 'xywhr', 'xyxyxyxy'): float32, the kernel's
  Graham scan replayed (so small boxes get its tolerance-driven IoU too), in the graph
  without a gradient (with torch's warning on backward).
- The box losses raise torchvision's IndexError when ``boxes2`` broadcasts ``boxes1``.
- RoI ops check their int arguments as torchvision's op schemas do; a one-element
  ``output_size`` is an IndexError there too.
- ``ops._utils.split_normalization_params``.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np
import pytest

import ember
import ember.vision.ops as EO

torch = pytest.importorskip("torch")
pytest.importorskip("torchvision")
import torchvision.ops as TO  # noqa: E402


def _pair(arr: np.ndarray) -> tuple[Any, Any]:
    return ember.from_numpy(arr.copy()), torch.from_numpy(arr.copy())


def _close(got: Any, want: Any, rtol: float | None = None) -> None:
    assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
    assert tuple(got.shape) == tuple(want.shape)
    w = want.detach().numpy()
    tol = rtol if rtol is not None else (1e-6 if w.dtype == np.float32 else 1e-12)
    np.testing.assert_allclose(got.detach().numpy(), w, rtol=tol, atol=tol)


def _boxes(n: int, seed: int, scale: float = 50.0, dtype: Any = np.float32) -> np.ndarray:
    r = np.random.RandomState(seed)
    xy = r.rand(n, 2) * scale
    wh = r.rand(n, 2) * scale * 0.6 + 1
    return np.concatenate([xy, xy + wh], 1).astype(dtype)


# ------------------------------------------------------------------ NMS
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nms_puts_nan_scores_first(dtype: Any) -> None:
    boxes = _boxes(8, 0, dtype=dtype)
    scores = np.array([0.1, np.nan, 0.3, 0.2, np.nan, 0.9, 0.4, np.nan], dtype=dtype)
    (eb, tb), (es, ts) = _pair(boxes), _pair(scores)
    for thr in (0.0, 0.3, 0.7):
        want = TO.nms(tb, ts, thr)
        got = EO.nms(eb, es, thr)
        assert got.dtype == ember.int64
        np.testing.assert_array_equal(got.numpy(), want.numpy())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [1024, 1025, 2500])
def test_nms_of_many_boxes(dtype: Any, n: int) -> None:
    # past 1024 boxes NMS computes IoUs row by row instead of as one matrix
    boxes = _boxes(n, 5, scale=400.0, dtype=dtype)
    boxes[:20:4] = [3, 3, 3, 3]  # empty boxes: 0/0 IoU never suppresses
    boxes[1:20:4] = [5, 5, 2, 2]  # inverted boxes: negative areas
    scores = np.random.RandomState(6).rand(n).astype(dtype)
    scores[7:40:9] = np.nan
    (eb, tb), (es, ts) = _pair(boxes), _pair(scores)
    for thr in (0.0, 0.3, 0.5, 0.9):
        np.testing.assert_array_equal(EO.nms(eb, es, thr).numpy(), TO.nms(tb, ts, thr).numpy())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [999, 1001, 3000])
def test_batched_nms_many_boxes_matches_torchvision(dtype: Any, n: int) -> None:
    boxes = _boxes(n, 3, scale=2000.0, dtype=dtype)
    scores = np.random.RandomState(4).permutation(n).astype(dtype) / n  # no ties
    idxs = np.random.RandomState(2).randint(0, 91, n)
    (eb, tb), (es, ts), (ei, ti) = _pair(boxes), _pair(scores), _pair(idxs)
    for thr in (0.3, 0.5, 0.7):
        want = TO.batched_nms(tb, ts, ti, thr)
        got = EO.batched_nms(eb, es, ei, thr)
        assert got.dtype == ember.int64
        np.testing.assert_array_equal(got.numpy(), want.numpy())


@pytest.mark.parametrize("n", [999, 1001, 3000])
def test_batched_nms_tied_scores_order(n: int) -> None:
    boxes = _boxes(n, 0, scale=500.0)
    scores = (np.round(np.random.RandomState(1).rand(n) * 5) / 5).astype(np.float32)
    idxs = np.random.RandomState(2).randint(0, 5, n)
    (eb, tb), (es, ts), (ei, ti) = _pair(boxes), _pair(scores), _pair(idxs)
    np.testing.assert_array_equal(EO.batched_nms(eb, es, ei, 0.3).numpy(),
                                  TO.batched_nms(tb, ts, ti, 0.3).numpy())


@pytest.mark.parametrize("scores_n,scores_dtype,idxs_n", [
    (1200, "float64", 1200), (1200, "float32", 10), (1200, "float32", 1300)])
def test_batched_nms_many_boxes_odd_arguments(scores_n: int, scores_dtype: str,
                                               idxs_n: int) -> None:
    boxes = _boxes(1200, 0)
    scores = np.random.RandomState(1).rand(scores_n).astype(scores_dtype)
    idxs = np.random.RandomState(2).randint(0, 3, idxs_n)
    (eb, tb), (es, ts), (ei, ti) = _pair(boxes), _pair(scores), _pair(idxs)
    try:
        want = TO.batched_nms(tb, ts, ti, 0.5)
    except (RuntimeError, IndexError) as err:
        with pytest.raises(type(err)):
            EO.batched_nms(eb, es, ei, 0.5)
        return
    np.testing.assert_array_equal(EO.batched_nms(eb, es, ei, 0.5).numpy(), want.numpy())


# ------------------------------------------------------------------ box losses
@pytest.mark.parametrize("eps", [1e-7, 0.1, 1.0])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_complete_box_iou_loss_eps(eps: float, reduction: str) -> None:
    b1 = np.array([[0, 0, 10, 10], [5, 5, 8, 9], [1, 1, 4, 2], [2, 3, 9, 4]], dtype=np.float64)
    b2 = np.array([[1, 2, 11, 12], [0, 0, 3, 3], [0, 0, 2, 2], [2, 2, 5, 9]], dtype=np.float64)
    (e1, t1), (e2, t2) = _pair(b1), _pair(b2)
    e1.requires_grad_()
    t1.requires_grad_()
    want = TO.complete_box_iou_loss(t1, t2, reduction=reduction, eps=eps)
    got = EO.complete_box_iou_loss(e1, e2, reduction=reduction, eps=eps)
    _close(got, want)
    want.sum().backward()
    got.sum().backward()
    _close(e1.grad, t1.grad)


@pytest.mark.parametrize("fn", ["generalized_box_iou_loss", "distance_box_iou_loss",
                                "complete_box_iou_loss"])
@pytest.mark.parametrize("shapes", [((1, 4), (3, 4)), ((4,), (3, 4)), ((2, 1, 4), (2, 3, 4)),
                                    ((3, 4), (1, 4)), ((4,), (4,))])
def test_box_losses_broadcasting_boxes1_is_an_index_error(fn: str, shapes: Any) -> None:
    s1, s2 = shapes
    b1 = np.random.RandomState(0).rand(*s1)
    b2 = np.random.RandomState(1).rand(*s2)
    b1[..., 2:] += 1
    b2[..., 2:] += 1
    (e1, t1), (e2, t2) = _pair(b1), _pair(b2)
    try:
        want = getattr(TO, fn)(t1, t2)
    except IndexError as err:
        with pytest.raises(IndexError) as got_err:
            getattr(EO, fn)(e1, e2)
        assert str(got_err.value) == str(err)
        return
    _close(getattr(EO, fn)(e1, e2), want)


# ------------------------------------------------------------------ RoI ops without boxes
@pytest.mark.parametrize("op,channels", [("roi_align", 4), ("roi_pool", 4),
                                         ("ps_roi_align", 8), ("ps_roi_pool", 8)])
@pytest.mark.parametrize("as_list", [False, True])
def test_roi_ops_without_boxes_stay_in_the_graph(op: str, channels: int, as_list: bool) -> None:
    x = np.random.RandomState(0).randn(2, channels, 8, 8)
    ex, tx = _pair(x)
    ex.requires_grad_()
    tx.requires_grad_()
    eb = [ember.zeros(0, 4, dtype=ember.float64)] if as_list else ember.zeros(
        0, 5, dtype=ember.float64)
    tb = [torch.zeros(0, 4, dtype=torch.float64)] if as_list else torch.zeros(
        0, 5, dtype=torch.float64)
    want = getattr(TO, op)(tx, tb, 2)
    got = getattr(EO, op)(ex, eb, 2)
    assert tuple(got.shape) == tuple(want.shape)
    assert got.requires_grad == want.requires_grad
    assert type(got.grad_fn).__name__ == type(want.grad_fn).__name__
    want.sum().backward()
    got.sum().backward()
    _close(ex.grad, tx.grad)
    with ember.no_grad():
        assert not getattr(EO, op)(ex, eb, 2).requires_grad
    assert not getattr(EO, op)(ex.detach(), eb, 2).requires_grad


# ------------------------------------------------------------------ MultiScaleRoIAlign
def _pyramid() -> OrderedDict:
    r = np.random.RandomState(0)
    return OrderedDict([("feat0", r.randn(2, 8, 32, 32).astype(np.float32)),
                        ("feat2", r.randn(2, 8, 16, 16).astype(np.float32)),
                        ("feat3", r.randn(2, 8, 8, 8).astype(np.float32))])


def _image_boxes(lib: Any) -> list[Any]:
    r = np.random.RandomState(1)
    out = []
    for n in (5, 3):
        xy = r.rand(n, 2) * 100
        wh = r.rand(n, 2) * 100 + 2
        out.append(lib.from_numpy(np.concatenate([xy, xy + wh], 1).astype(np.float32)))
    return out


@pytest.mark.parametrize("names", [["feat0", "feat2", "feat3"], ["feat0", "feat3"]])
@pytest.mark.parametrize("sampling_ratio", [2, -1])
def test_multiscale_roi_align_levels_and_gradients(names: list[str], sampling_ratio: int) -> None:
    feats = _pyramid()
    results = []
    for lib, ops in ((ember, EO), (torch, TO)):
        x = OrderedDict((k, lib.from_numpy(v.copy()).requires_grad_()) for k, v in feats.items())
        pooler = ops.MultiScaleRoIAlign(names, 3, sampling_ratio)
        out = pooler(x, _image_boxes(lib), [(128, 128), (128, 120)])
        out.backward(lib.from_numpy(np.random.RandomState(2).randn(*out.shape).astype(
            np.float32)))
        results.append((out, [v.grad for v in x.values()], pooler.scales))
    (got, got_grads, got_scales), (want, want_grads, want_scales) = results
    _close(got, want)
    assert type(got.grad_fn).__name__ == type(want.grad_fn).__name__
    assert got_scales == want_scales
    for g, w in zip(got_grads, want_grads):
        assert (g is None) == (w is None)
        if w is not None:
            _close(g, w)


# ------------------------------------------------------------------ rotated box IoU
def _rotated(n: int, seed: int, dtype: Any) -> np.ndarray:
    r = np.random.RandomState(seed)
    return np.concatenate([r.rand(n, 2) * 20, r.rand(n, 2) * 10 + 0.5,
                           r.rand(n, 1) * 360 - 180], 1).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("fmt", ["cxcywhr", "xywhr", "xyxyxyxy"])
@pytest.mark.parametrize("seed", [0, 1])
def test_box_iou_of_rotated_boxes(dtype: Any, fmt: str, seed: int) -> None:
    (e1, t1), (e2, t2) = _pair(_rotated(30, seed, dtype)), _pair(_rotated(25, seed + 10, dtype))
    if fmt == "xyxyxyxy":
        e1, e2 = (EO.box_convert(b, "cxcywhr", fmt) for b in (e1, e2))
        t1, t2 = (TO.box_convert(b, "cxcywhr", fmt) for b in (t1, t2))
    want = TO.box_iou(t1, t2, fmt=fmt)
    got = EO.box_iou(e1, e2, fmt=fmt)
    _close(got, want, rtol=1e-6 if dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_box_iou_of_rotated_special_boxes(dtype: Any) -> None:
    # identical, turned by 90 and 180 degrees, shifted, inside, zero width, disjoint
    boxes = np.array([[5, 5, 4, 2, 0], [5, 5, 4, 2, 90], [5, 5, 2, 4, 0], [7, 5, 4, 2, 0],
                      [5, 5, 1, 1, 45], [5, 5, 0, 3, 10], [50, 50, 3, 3, 0],
                      [5, 5, 4, 2, 180], [6, 5, 2, 2, 0], [9, 5, 4, 2, 0]], dtype=dtype)
    e, t = _pair(boxes)
    _close(EO.box_iou(e, e, fmt="cxcywhr"), TO.box_iou(t, t, fmt="cxcywhr"))
    empty_e, empty_t = _pair(np.zeros((0, 5), dtype=dtype))
    _close(EO.box_iou(empty_e, e, fmt="cxcywhr"), TO.box_iou(empty_t, t, fmt="cxcywhr"))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("scale", [0.3, 0.03, 0.01])
def test_box_iou_of_small_rotated_boxes(dtype: Any, scale: float) -> None:
    # normalized coordinates: the kernel's absolute tolerances (1e-5, 1e-6, 1e-8) decide
    # which corners count, so its IoU is not the exact geometric one
    r = np.random.RandomState(0)
    boxes = np.concatenate([r.rand(40, 2) * scale * 2, (r.rand(40, 2) * 0.8 + 0.2) * scale,
                            r.rand(40, 1) * 360], 1).astype(dtype)
    e, t = _pair(boxes)
    _close(EO.box_iou(e, e, fmt="cxcywhr"), TO.box_iou(t, t, fmt="cxcywhr"))
    tiny = np.array([[0, 0, 1e-3, 1e-3, 0], [0, 0, 1e-3, 1e-3, 45], [0, 0, 1e-6, 1e-6, 10],
                     [5e-4, 0, 1e-3, 1e-3, 0]], dtype=dtype)
    e, t = _pair(tiny)
    _close(EO.box_iou(e, e, fmt="cxcywhr"), TO.box_iou(t, t, fmt="cxcywhr"))


@pytest.mark.parametrize("shapes,dtypes", [
    (((2, 2, 5), (3, 5)), ("float32", "float32")),
    (((2, 5), (3, 4)), ("float32", "float32")),
    (((5,), (3, 5)), ("float32", "float32")),
    (((2, 5), (3, 5)), ("float32", "float64")),
    (((2, 5), (3, 5)), ("int64", "int64")),
])
def test_box_iou_of_rotated_boxes_errors(shapes: Any, dtypes: Any) -> None:
    args = [(ember.zeros(s, dtype=getattr(ember, d)), torch.zeros(s, dtype=getattr(torch, d)))
            for s, d in zip(shapes, dtypes)]
    with pytest.raises(RuntimeError) as want:
        TO.box_iou(args[0][1], args[1][1], fmt="cxcywhr")
    with pytest.raises(RuntimeError) as got:
        EO.box_iou(args[0][0], args[1][0], fmt="cxcywhr")
    assert str(want.value).endswith(str(got.value))


# ------------------------------------------------------------------ ops._utils
def test_split_normalization_params() -> None:
    import importlib

    splits = []
    for lib, ops in ((ember, "ember.vision.ops"), (torch, "torchvision.ops")):
        utils = importlib.import_module(ops + "._utils")
        nn = lib.nn
        model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Sequential(
            nn.GroupNorm(2, 4), nn.Conv2d(4, 2, 1)), nn.Flatten(), nn.LayerNorm(2))
        model[0].bias.requires_grad_(False)
        norm, other = utils.split_normalization_params(model)
        norm2, other2 = utils.split_normalization_params(model, [nn.Conv2d])
        splits.append([[tuple(p.shape) for p in group] for group in (norm, other, norm2, other2)])
        with pytest.raises(ValueError, match="is not a subclass of nn.Module"):
            utils.split_normalization_params(model, [int])
    assert splits[0] == splits[1]


# ------------------------------------------------------------------ RoI op arguments
@pytest.mark.parametrize("op,args", [
    ("roi_align", (2.0,)), ("roi_pool", (2.0,)), ("ps_roi_align", (2, 1.0, 1.0)),
    ("ps_roi_pool", ((2, 2.0),)), ("roi_align", (2, 1.0, 2.0)), ("roi_align", ((2, 2.5),)),
    ("roi_align", ((2,),)), ("roi_align", ([2],)), ("roi_pool", ((3,),)),
    ("roi_align", (np.int64(2), 1.0, np.int64(2))), ("roi_align", ([2, 3], 0.5, True)),
    ("ps_roi_align", ((2, np.int32(2)),)),
])
def test_roi_op_arguments_as_torchvision_takes_them(op: str, args: Any) -> None:
    x = np.random.RandomState(0).randn(2, 8, 8, 8).astype(np.float32)
    rois = np.array([[0, 1, 1, 5, 6], [1, 0, 2, 7, 7]], dtype=np.float32)
    (ex, tx), (er, tr) = _pair(x), _pair(rois)
    try:
        want = getattr(TO, op)(tx, tr, *args)
    except (RuntimeError, IndexError) as err:
        with pytest.raises(type(err)) as got:
            getattr(EO, op)(ex, er, *args)
        assert str(err).startswith(str(got.value))
        return
    _close(getattr(EO, op)(ex, er, *args), want)


@pytest.mark.parametrize("fmt", ["cxcywhr", "xywhr"])
def test_box_iou_of_rotated_boxes_in_the_graph_without_gradient(fmt: str) -> None:
    import warnings

    results = []
    for lib, ops in ((ember, EO), (torch, TO)):
        b1 = lib.tensor([[5, 5, 4, 2, 30.0]], requires_grad=True)
        b2 = lib.tensor([[5, 6, 3, 3, 0.0]], requires_grad=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = ops.box_iou(b1, b2, fmt=fmt)
            (out.sum() + (b1 * 2).sum()).backward()
        with lib.no_grad():
            quiet = ops.box_iou(b1, b2, fmt=fmt)
        results.append((out, type(out.grad_fn).__name__, b1.grad, b2.grad, quiet.requires_grad,
                        [str(w.message).split(":")[0] for w in caught
                         if issubclass(w.category, UserWarning)]))
    got, want = results
    _close(got[0], want[0])
    assert got[1] == want[1]
    _close(got[2], want[2])
    assert got[3] is None and want[3] is None
    assert got[4] == want[4]
    assert got[5] == want[5]
