"""torchvision.ops, io and utils fuzzed side by side (session 24): the cases where Ember's
results differed from torchvision 0.29, each checked against torchvision on the same inputs,
and one seeded differential fuzz over the box ops.

- ``nms``/``batched_nms`` of float32 boxes compare each IoU with the threshold as a double
  (torchvision's kernel), not rounded to float32: IoUs at the threshold agree.
- Rotated ``box_convert`` of integer boxes computes in the boxes' dtype where torchvision's
  does (uint8/int8 differences and squares wrap), then rounds back.
- ``ops._box_convert`` and ``ops.boxes`` hold torchvision's private ``_box_*`` conversions.
- ``roi_align(aligned=True)`` with adaptive sampling of a RoI inverted along one axis raises
  the CPU kernel's ValueError.
- ``io.read_file`` of an empty file is a RuntimeError.
- Decoded one-channel images have torchvision's strides ``(1, W, 1)`` (the channel axis had
  NumPy's stride 0); ``draw_bounding_boxes``/``draw_keypoints`` return channels-last views
  (strides ``(1, W * C, C)``, not contiguous) as torchvision does.
- ``utils.make_grid`` of a 1-D tensor is the IndexError of ``size(2)``, of a 5-D batch a
  RuntimeError.
- ``make_grid(normalize=True, value_range=...)`` of float16/bfloat16 images subtracts the low
  bound rounded to the image's dtype, as PyTorch's ``sub_`` of a scalar does (bit-equal).
- ``make_grid``/``save_image`` of complex images raise PyTorch's NotImplementedError.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import ember
import ember.vision.io as EIO
import ember.vision.ops as EO
import ember.vision.utils as EU

torch = pytest.importorskip("torch")
pytest.importorskip("torchvision")
import torchvision.io as TIO  # noqa: E402
import torchvision.ops as TO  # noqa: E402
import torchvision.utils as TU  # noqa: E402


def _same(got: Any, want: Any, tol: float | None = None) -> None:
    """Same dtype, shape and values (exact for integers, tight for floats)."""
    assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
    assert tuple(got.shape) == tuple(want.shape)
    g, w = got.detach().numpy(), want.detach().numpy()
    if w.dtype.kind in "biu":
        np.testing.assert_array_equal(g, w)
    else:
        t = tol if tol is not None else (1e-6 if w.dtype == np.float32 else 1e-12)
        np.testing.assert_allclose(g, w, rtol=t, atol=t)


def _error_type(fn: Any) -> type:
    with pytest.raises(Exception) as info:
        fn()
    return type(info.value)


_WIDTH = {"xyxy": 4, "xywh": 4, "cxcywh": 4, "xywhr": 5, "cxcywhr": 5, "xyxyxyxy": 8}
_ROTATED = ["xywhr", "cxcywhr", "xyxyxyxy"]


def _rotated_boxes(fmt: str, n: int, seed: int, dtype: str) -> np.ndarray:
    r = np.random.RandomState(seed)
    a = np.round(r.rand(n, _WIDTH[fmt]) * 30)
    if _WIDTH[fmt] == 5:
        a[:, 4] = np.round(r.rand(n) * 360 - 180)
    if dtype in ("uint8", "int8"):
        a = np.abs(a) % 100
    return a.astype(dtype)


# ------------------------------------------------------------------ rotated box formats
@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "int64"])
@pytest.mark.parametrize("in_fmt", _ROTATED)
@pytest.mark.parametrize("out_fmt", _ROTATED)
def test_box_convert_of_integer_rotated_boxes(dtype: str, in_fmt: str, out_fmt: str) -> None:
    a = _rotated_boxes(in_fmt, 6, 1, dtype)
    got = EO.box_convert(ember.from_numpy(a.copy()), in_fmt, out_fmt)
    _same(got, TO.box_convert(torch.from_numpy(a.copy()), in_fmt, out_fmt))


def test_private_box_conversions_as_torchvision_names_them() -> None:
    import torchvision.ops._box_convert as TB
    import torchvision.ops.boxes as TBX

    import ember.vision.ops._box_convert as EB
    import ember.vision.ops.boxes as EBX

    names = [n for n in vars(TB) if n.startswith("_box_")]
    assert len(names) == 8
    for name in names:
        width = 8 if name.startswith("_box_xyxyxyxy") else 5 if "r_" in name else 4
        a = np.random.RandomState(0).rand(3, width) * 20
        for dtype in ("float32", "int64", "uint8"):
            x = a.astype(dtype)
            want = getattr(TB, name)(torch.from_numpy(x.copy()))
            _same(getattr(EB, name)(ember.from_numpy(x.copy())), want, 1e-5)
            if hasattr(TBX, name):
                assert getattr(EBX, name) is getattr(EB, name)


# ------------------------------------------------------------------ NMS
@pytest.mark.parametrize("iou_threshold", [1 / 3, 0.6, 0.2, 0.5, 0.7])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_nms_of_boxes_with_iou_at_the_threshold(iou_threshold: float, dtype: Any,
                                                seed: int) -> None:
    r = np.random.RandomState(seed)
    xy = r.randint(0, 6, (60, 2))
    b = np.concatenate([xy, xy + r.randint(1, 5, (60, 2))], 1).astype(dtype)
    scores = (r.randint(0, 4, 60) / 4.0).astype(dtype)
    idxs = r.randint(0, 2, 60)
    want = TO.nms(torch.from_numpy(b), torch.from_numpy(scores), iou_threshold)
    _same(EO.nms(ember.from_numpy(b), ember.from_numpy(scores), iou_threshold), want)
    want = TO.batched_nms(torch.from_numpy(b), torch.from_numpy(scores), torch.from_numpy(idxs),
                          iou_threshold)
    got = EO.batched_nms(ember.from_numpy(b), ember.from_numpy(scores), ember.from_numpy(idxs),
                         iou_threshold)
    _same(got, want)


def test_nms_drops_a_float32_box_whose_iou_rounds_above_the_threshold() -> None:
    # IoU 1/3 rounds up in float32 (0.33333334): torchvision compares it with the double 1/3
    b = np.array([[0, 0, 2, 1], [1, 0, 3, 1]], dtype=np.float32)
    s = np.array([1.0, 0.5], dtype=np.float32)
    want = TO.nms(torch.from_numpy(b), torch.from_numpy(s), 1 / 3)
    _same(EO.nms(ember.from_numpy(b), ember.from_numpy(s), 1 / 3), want)
    assert want.tolist() == [0]


# ------------------------------------------------------------------ roi_align
@pytest.mark.parametrize("box", [[0, 1, 5, 3, 1.0], [0, 5, 1, 1, 3.0], [0, 5, 5, 1, 1.0],
                                 [0, 1, 1, 5, 6.0]])
@pytest.mark.parametrize("sampling_ratio", [-1, 0, 2])
@pytest.mark.parametrize("aligned", [False, True])
def test_roi_align_of_inverted_boxes(box: list[float], sampling_ratio: int,
                                     aligned: bool) -> None:
    x = np.random.RandomState(0).randn(1, 2, 8, 8).astype(np.float32)
    rois = np.array([box], dtype=np.float32)

    def run(lib: Any, ops: Any) -> Any:
        return ops.roi_align(lib.from_numpy(x.copy()), lib.from_numpy(rois.copy()), 2,
                             sampling_ratio=sampling_ratio, aligned=aligned)

    try:
        want = run(torch, TO)
    except Exception as e:  # noqa: BLE001 -- the kernel's own error type is the oracle
        with pytest.raises(type(e), match="roi_align"):
            run(ember, EO)
        return
    _same(run(ember, EO), want)


# ------------------------------------------------------------------ io
def test_read_file_of_an_empty_file(tmp_path: Any) -> None:
    path = tmp_path / "empty.bin"
    path.write_bytes(b"")
    want = _error_type(lambda: TIO.read_file(str(path)))
    with pytest.raises(want, match="read_file"):
        EIO.read_file(str(path))
    with pytest.raises(want):
        EIO.read_image(str(path))


@pytest.mark.parametrize("mode", ["UNCHANGED", "GRAY", "GRAY_ALPHA", "RGB"])
@pytest.mark.parametrize("pil_mode", ["L", "I;16", "RGB", "LA"])
def test_decoded_images_have_torchvision_strides(tmp_path: Any, mode: str, pil_mode: str) -> None:
    from PIL import Image

    r = np.random.RandomState(0)
    planes = {"L": (5, 6), "I;16": (5, 6), "RGB": (5, 6, 3), "LA": (5, 6, 2)}[pil_mode]
    arr = r.randint(0, 65535 if pil_mode == "I;16" else 256, planes)
    arr = arr.astype(np.uint16 if pil_mode == "I;16" else np.uint8)
    path = str(tmp_path / "img.png")
    (Image.fromarray(arr) if pil_mode == "I;16" else Image.fromarray(arr, pil_mode)).save(path)
    want = TIO.read_image(path, getattr(TIO.ImageReadMode, mode))
    got = EIO.read_image(path, getattr(EIO.ImageReadMode, mode))
    _same(got, want)
    assert got.stride() == want.stride()
    assert got.is_contiguous() == want.is_contiguous()


@pytest.mark.parametrize("dtype", ["uint8", "float32", "float64"])
@pytest.mark.parametrize("channels", [1, 3])
def test_drawn_images_are_channels_last_views_as_in_torchvision(dtype: str,
                                                                channels: int) -> None:
    r = np.random.RandomState(0)
    img = r.randint(0, 256, (channels, 20, 30)).astype(np.uint8)
    boxes = np.array([[1, 2, 10, 12], [5, 5, 25, 18]], dtype=np.float32)

    def image(lib: Any) -> Any:
        t = lib.from_numpy(img.copy())
        return t if dtype == "uint8" else t.to(getattr(lib, dtype)) / 255

    pairs = [
        (EU.draw_bounding_boxes(image(ember), ember.from_numpy(boxes), fill=True),
         TU.draw_bounding_boxes(image(torch), torch.from_numpy(boxes), fill=True)),
    ]
    if channels == 3:  # draw_keypoints takes RGB images only
        points = boxes.reshape(1, 4, 2)
        pairs.append((EU.draw_keypoints(image(ember), ember.from_numpy(points.copy()),
                                        connectivity=[(0, 1)]),
                      TU.draw_keypoints(image(torch), torch.from_numpy(points.copy()),
                                        connectivity=[(0, 1)])))
    for got, want in pairs:
        _same(got, want)
        assert got.stride() == want.stride()
        assert got.is_contiguous() == want.is_contiguous()
        got[0, 0, 0] = 1  # writable


# ------------------------------------------------------------------ utils
@pytest.mark.parametrize("shape", [(4,), (2, 1, 3, 4, 4), (2, 3, 4, 4, 1)])
def test_make_grid_of_batches_that_are_not_4d(shape: tuple[int, ...]) -> None:
    want = _error_type(lambda: TU.make_grid(torch.ones(shape)))
    with pytest.raises(want):
        EU.make_grid(ember.ones(shape))


@pytest.mark.parametrize("shape", [(1,), (1, 1, 1, 1, 1)])
def test_make_grid_of_one_image_returns_it(shape: tuple[int, ...]) -> None:
    _same(EU.make_grid(ember.ones(shape)), TU.make_grid(torch.ones(shape)))


@pytest.mark.parametrize("dtype", ["bfloat16", "float16", "float32", "float64"])
@pytest.mark.parametrize("value_range", [(0.1, 0.6), (-0.33, 1.7), None])
@pytest.mark.parametrize("scale_each", [False, True])
def test_make_grid_normalize_of_half_images_with_a_value_range(dtype: str, value_range: Any,
                                                               scale_each: bool) -> None:
    img = np.random.RandomState(0).rand(3, 10, 12)
    a = np.stack([img, img * 0.5, img * 3 - 1])
    want = TU.make_grid(torch.from_numpy(a).to(getattr(torch, dtype)), normalize=True,
                        value_range=value_range, scale_each=scale_each)
    got = EU.make_grid(ember.from_numpy(a).to(getattr(ember, dtype)), normalize=True,
                       value_range=value_range, scale_each=scale_each)
    assert str(got.dtype) == str(want.dtype).replace("torch", "ember")
    np.testing.assert_array_equal(got.double().numpy(), want.double().numpy())


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
@pytest.mark.parametrize("kwargs", [{"normalize": True}, {"normalize": True, "value_range": (0, 1)},
                                    {}])
def test_save_image_of_complex_images(dtype: str, kwargs: dict) -> None:
    import io

    def run(lib: Any, utils: Any) -> Any:
        return utils.save_image(lib.ones(2, 3, 4, 4, dtype=getattr(lib, dtype)), io.BytesIO(),
                                format="png", **kwargs)

    with pytest.raises(Exception) as info:
        run(torch, TU)
    with pytest.raises(type(info.value), match=str(info.value).replace('"', '.')):
        run(ember, EU)


# ------------------------------------------------------------------ seeded fuzz
def _fuzz_case(r: np.random.RandomState) -> tuple[str, Any]:
    """One random box-op call: (name, f(lib, ops) -> result)."""
    dtype = ["float32", "float64", "int32", "int64", "uint8"][r.randint(5)]
    n, m = int(r.choice([0, 1, 3, 6])), int(r.choice([0, 1, 4]))

    def boxes(k: int) -> np.ndarray:
        xy = r.rand(k, 2) * 40
        b = np.concatenate([xy, xy + r.rand(k, 2) * 20], 1)
        return b.astype(dtype) if dtype.startswith("float") else np.round(b).astype(dtype)

    b1, b2 = boxes(n), boxes(m)
    scores = np.round(r.rand(n) * 3) / 3
    idxs = r.randint(0, 3, n)
    fmts = ("xyxy", "xywh", "cxcywh")
    fi, fo = fmts[r.randint(3)], fmts[r.randint(3)]
    kind = r.randint(7)
    thr = float(r.choice([0.0, 0.3, 0.5, 1.0]))
    size = (int(r.randint(1, 40)), int(r.randint(1, 40)))

    def t(lib: Any, a: np.ndarray, dt: str | None = None) -> Any:
        x = lib.from_numpy(a.copy())
        return x if dt is None else x.to(getattr(lib, dt))

    calls = [
        ("box_iou", lambda lib, ops: ops.box_iou(t(lib, b1), t(lib, b2))),
        ("generalized_box_iou", lambda lib, ops: ops.generalized_box_iou(t(lib, b1), t(lib, b2))),
        ("box_convert", lambda lib, ops: ops.box_convert(t(lib, b1), fi, fo)),
        ("clip_boxes_to_image", lambda lib, ops: ops.clip_boxes_to_image(t(lib, b1), size)),
        ("remove_small_boxes", lambda lib, ops: ops.remove_small_boxes(t(lib, b1), 5.0)),
        ("nms", lambda lib, ops: ops.nms(t(lib, b1), t(lib, scores, dtype), thr)),
        ("batched_nms", lambda lib, ops: ops.batched_nms(
            t(lib, b1), t(lib, scores, dtype), t(lib, idxs), thr)),
    ]
    return calls[kind]


def test_seeded_fuzz_of_box_ops() -> None:
    r = np.random.RandomState(24)
    for case in range(300):
        name, fn = _fuzz_case(r)
        try:
            want = fn(torch, TO)
        except Exception as e:  # noqa: BLE001 -- torchvision's error type is the oracle
            with pytest.raises(type(e)):
                fn(ember, EO)
            continue
        got = fn(ember, EO)
        try:
            _same(got, want, 1e-5)
        except AssertionError as e:
            raise AssertionError(f"case {case}: {name}") from e
