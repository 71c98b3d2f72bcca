"""The per-type kernels of transforms.v2.functional and KeyPoints support, against
torchvision 0.29: the public names and signatures match, a sample of image, video, mask and
bounding-box kernels give torchvision's values on the same inputs, every geometric
functional moves ``KeyPoints`` (float and integer, grouped) as torchvision does and updates
``canvas_size``, and ClampKeyPoints / SanitizeKeyPoints / SetClampingMode / get_keypoints
behave like torchvision's in pipelines."""

from __future__ import annotations

import inspect
import warnings
from typing import Any

import numpy as np
import pytest

import ember
import ember.vision.transforms.v2 as E2
import ember.vision.transforms.v2.functional as EF
from ember.testing import assert_close
from ember.vision import tv_tensors as EV

CANVAS = (30, 40)


def _points(shape: tuple[int, ...], dtype: str = "float32", seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.uniform(-3, 42, size=shape).astype(dtype)


def _pair(torch: Any, arr: np.ndarray, canvas: tuple[int, int] = CANVAS) -> tuple[Any, Any]:
    from torchvision import tv_tensors as TV

    return (EV.KeyPoints(ember.from_numpy(arr.copy()), canvas_size=canvas),
            TV.KeyPoints(torch.from_numpy(arr.copy()), canvas_size=canvas))


def _check_points(out: Any, expected: Any) -> None:
    assert isinstance(out, EV.KeyPoints)
    assert tuple(out.canvas_size) == tuple(expected.canvas_size)
    assert str(out.dtype).split(".")[-1] == str(expected.dtype).split(".")[-1]
    assert_close(out.as_subclass(ember.Tensor), expected.as_subclass(type(expected).__mro__[-3]),
                 atol=1e-4, rtol=1e-5)


# ---------------------------------------------------------------------------- names
def test_functional_exposes_every_public_name(tv: Any) -> None:
    import torchvision.transforms.v2.functional as TF

    names = {n for n in dir(TF) if not n.startswith("_")}
    missing = sorted(n for n in names if not hasattr(EF, n))
    assert missing == []


def test_kernel_signatures_match(tv: Any) -> None:
    import torchvision.transforms.v2.functional as TF

    checked = 0
    for name in dir(TF):
        if not (name.endswith(("_image", "_video", "_bounding_boxes", "_keypoints"))
                or name.startswith(("adjust_", "get_"))):
            continue
        ref = getattr(TF, name)
        if not callable(ref) or name.endswith("_pil"):
            continue
        got = list(inspect.signature(getattr(EF, name)).parameters)
        assert got == list(inspect.signature(ref).parameters), name
        checked += 1
    assert checked > 80


def test_transforms_and_tv_tensors_names(tv: Any) -> None:
    import torchvision.transforms.v2 as T2

    for name in ("ClampKeyPoints", "SanitizeKeyPoints", "SetClampingMode", "get_keypoints"):
        assert hasattr(E2, name), name
        assert (list(inspect.signature(getattr(E2, name)).parameters)
                == list(inspect.signature(getattr(T2, name)).parameters))
    assert hasattr(EV, "KeyPoints")


# ---------------------------------------------------------------------------- image / video / mask kernels
@pytest.mark.parametrize("name,args", [
    ("horizontal_flip_image", ()), ("vertical_flip_video", ()),
    ("resize_image", ([13, 17],)), ("resize_video", ([9, 11],)),
    ("crop_video", (2, 3, 10, 12)), ("center_crop_image", ([15, 50],)),
    ("resized_crop_image", (1, 2, 12, 14, [7, 9])), ("pad_video", ([1, 2, 3, 4],)),
    ("affine_video", (20.0, [2, 1], 1.1, [5.0, 3.0])), ("rotate_video", (33.0,)),
    ("perspective_image", ([[0, 0], [19, 0], [19, 15], [0, 15]],
                           [[1, 2], [18, 1], [17, 14], [2, 15]])),
    ("adjust_brightness_image", (1.3,)), ("adjust_hue_video", (0.2,)),
    ("adjust_contrast_video", (0.6,)), ("posterize_image", (3,)), ("solarize_video", (128,)),
    ("invert_image", ()), ("equalize_video", ()), ("autocontrast_image", ()),
    ("rgb_to_grayscale_image", (3,)), ("permute_channels_video", ([2, 0, 1],)),
    ("gaussian_blur_image", ([3, 5], [0.8, 1.2])),
])
def test_image_video_kernels_match(torch: Any, tv: Any, name: str, args: tuple) -> None:
    import torchvision.transforms.v2.functional as TF

    shape = (2, 3, 16, 20) if name.endswith("_video") else (3, 16, 20)
    arr = np.random.default_rng(3).integers(0, 256, shape, dtype=np.uint8)
    out = getattr(EF, name)(ember.from_numpy(arr.copy()), *args)
    expected = getattr(TF, name)(torch.from_numpy(arr.copy()), *args)
    assert type(out) is ember.Tensor
    assert tuple(out.shape) == tuple(expected.shape)
    diff = np.abs(out.numpy().astype(np.int32) - expected.numpy().astype(np.int32))
    assert diff.max() <= 1, name


@pytest.mark.parametrize("name,args", [
    ("resize_image", ([13, 17],)), ("normalize_video", ([0.5, 0.4, 0.3], [0.2, 0.3, 0.4])),
    ("adjust_gamma_image", (0.7, 1.2)), ("adjust_saturation_video", (0.4,)),
    ("adjust_sharpness_image", (1.7,)), ("elastic_video", None),
    ("erase_image", (2, 3, 4, 5, None)), ("to_dtype_video", (ember.float64,)),
])
def test_float_kernels_match(torch: Any, tv: Any, name: str, args: tuple | None) -> None:
    import torchvision.transforms.v2.functional as TF

    shape = (2, 3, 16, 20) if name.endswith("_video") else (3, 16, 20)
    arr = np.random.default_rng(4).random(shape).astype(np.float32)
    if name == "elastic_video":
        disp = np.random.default_rng(5).normal(size=(1, 16, 20, 2)).astype(np.float32) * 0.05
        e_args, t_args = (ember.from_numpy(disp),), (torch.from_numpy(disp),)
    elif name == "erase_image":
        v = np.random.default_rng(6).random((3, 4, 5)).astype(np.float32)
        e_args, t_args = (*args[:4], ember.from_numpy(v)), (*args[:4], torch.from_numpy(v))
    elif name == "to_dtype_video":
        e_args, t_args = args, (torch.float64,)
    else:
        e_args = t_args = args
    out = getattr(EF, name)(ember.from_numpy(arr.copy()), *e_args)
    expected = getattr(TF, name)(torch.from_numpy(arr.copy()), *t_args)
    assert_close(out, expected, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("name,args", [
    ("horizontal_flip_mask", ()), ("vertical_flip_mask", ()), ("crop_mask", (2, 3, 10, 12)),
    ("center_crop_mask", ([11, 25],)), ("resized_crop_mask", (1, 2, 12, 14, [21, 9])),
    ("resize_mask", ([7, 31],)), ("rotate_mask", (45.0,)),
])
@pytest.mark.parametrize("ndim", [2, 3])
def test_mask_kernels_match(torch: Any, tv: Any, name: str, args: tuple, ndim: int) -> None:
    import torchvision.transforms.v2.functional as TF

    shape = (16, 20) if ndim == 2 else (2, 16, 20)
    arr = np.random.default_rng(7).integers(0, 5, shape, dtype=np.uint8)
    out = getattr(EF, name)(ember.from_numpy(arr.copy()), *args)
    assert_close(out, getattr(TF, name)(torch.from_numpy(arr.copy()), *args))


# ---------------------------------------------------------------------------- bounding-box kernels
_BOXES = np.array([[2, 3, 15, 20], [10, 1, 38, 12], [0, 0, 40, 30], [30, 20, 45, 35]],
                  dtype=np.float32)


@pytest.mark.parametrize("format", ["XYXY", "XYWH", "CXCYWH"])
@pytest.mark.parametrize("name,args", [
    ("horizontal_flip_bounding_boxes", ("canvas",)),
    ("vertical_flip_bounding_boxes", ("canvas",)),
    ("crop_bounding_boxes", (3, 4, 20, 25)),
    ("center_crop_bounding_boxes", ("canvas", [18, 22])),
    ("resized_crop_bounding_boxes", (2, 3, 20, 20, [11, 13])),
    ("pad_bounding_boxes", ("canvas", [1, 2, 3, 4])),
    ("affine_bounding_boxes", ("canvas", 25.0, [2.0, 3.0], 1.1, [5.0, 2.0])),
    ("rotate_bounding_boxes", ("canvas", 30.0, True)),
    ("perspective_bounding_boxes", ("canvas", [[0, 0], [39, 0], [39, 29], [0, 29]],
                                    [[2, 3], [35, 1], [38, 27], [1, 25]])),
])
def test_bounding_box_kernels_match(torch: Any, tv: Any, format: str, name: str,
                                    args: tuple) -> None:
    import torchvision.transforms.v2.functional as TF
    from torchvision import tv_tensors as TV

    args = tuple(CANVAS if a == "canvas" else a for a in args)
    out = getattr(EF, name)(ember.from_numpy(_BOXES.copy()), EV.BoundingBoxFormat[format], *args)
    expected = getattr(TF, name)(torch.from_numpy(_BOXES.copy()), TV.BoundingBoxFormat[format],
                                 *args)
    if isinstance(expected, tuple):
        assert tuple(out[1]) == tuple(expected[1])
        out, expected = out[0], expected[0]
    assert_close(out, expected, atol=1e-4, rtol=1e-5)


def test_resize_bounding_boxes_kernel(torch: Any, tv: Any) -> None:
    import torchvision.transforms.v2.functional as TF

    out, canvas = EF.resize_bounding_boxes(ember.from_numpy(_BOXES.copy()), CANVAS, [20],
                                           max_size=25)
    exp, exp_canvas = TF.resize_bounding_boxes(torch.from_numpy(_BOXES.copy()), CANVAS, [20],
                                               max_size=25)
    assert tuple(canvas) == tuple(exp_canvas)
    assert_close(out, exp)


def test_meta_kernels(torch: Any, tv: Any) -> None:
    import torchvision.transforms.v2.functional as TF
    from torchvision import tv_tensors as TV

    video = np.zeros((4, 3, 7, 9), dtype=np.float32)
    for name in ("get_dimensions_video", "get_num_channels_video", "get_size_video",
                 "get_num_frames_video", "get_dimensions_image", "get_size_mask"):
        assert getattr(EF, name)(ember.from_numpy(video)) == getattr(TF, name)(
            torch.from_numpy(video)), name
    e_pts, t_pts = _pair(torch, _points((3, 2)))
    assert EF.get_size(e_pts) == TF.get_size(t_pts) == EF.get_size_keypoints(e_pts)
    boxes = EV.BoundingBoxes(_BOXES, format="XYXY", canvas_size=CANVAS)
    t_boxes = TV.BoundingBoxes(_BOXES, format="XYXY", canvas_size=CANVAS)
    assert EF.get_size_bounding_boxes(boxes) == TF.get_size_bounding_boxes(t_boxes)
    with pytest.warns(UserWarning, match="get_size"):
        assert EF.get_image_size(ember.from_numpy(video[0])) == [9, 7]
    with pytest.warns(UserWarning, match="to_image"):
        out = EF.to_tensor(np.full((5, 6, 3), 255, dtype=np.uint8))
    assert tuple(out.shape) == (3, 5, 6) and float(out.max()) == 1.0


# ---------------------------------------------------------------------------- KeyPoints
def test_keypoints_tv_tensor(torch: Any, tv: Any) -> None:
    from torchvision import tv_tensors as TV

    pts = EV.KeyPoints([[1.0, 2.0], [3.0, 4.0]], canvas_size=CANVAS)
    ref = TV.KeyPoints([[1.0, 2.0], [3.0, 4.0]], canvas_size=CANVAS)
    assert repr(pts) == repr(ref)
    assert tuple(EV.KeyPoints([5, 6], canvas_size=CANVAS).shape) == (1, 2)
    with pytest.raises(ValueError, match=r"shape \(\.\.\., 2\)"):
        EV.KeyPoints(ember.zeros(3, 3), canvas_size=CANVAS)
    assert isinstance(pts.clone(), EV.KeyPoints) and pts.clone().canvas_size == CANVAS
    assert type(pts + 1) is ember.Tensor  # ops unwrap, as torchvision's default return type


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
@pytest.mark.parametrize("shape", [(6, 2), (4, 3, 2), (2, 2, 2, 2)])
@pytest.mark.parametrize("name,args,kwargs", [
    ("horizontal_flip", (), {}), ("vertical_flip", (), {}),
    ("resize", ([17, 23],), {}), ("resize", (20,), {"max_size": 30}),
    ("crop", (3, 4, 20, 25), {}), ("center_crop", ([18, 50],), {}),
    ("resized_crop", (2, 3, 20, 20, [11, 13]), {}), ("pad", ([1, 2, 3, 4],), {}),
    ("pad", (3,), {"fill": 5}),
    ("affine", (30.0, [2, 3], 1.2, [10.0, 5.0]), {}),
    ("affine", (30, [2, 3], 0.8, 7), {"center": [4, 5]}),
    ("rotate", (37.0,), {}), ("rotate", (37.0,), {"expand": True}),
    ("rotate", (-100.0,), {"expand": True, "center": [3, 7]}),
    ("perspective", ([[0, 0], [39, 0], [39, 29], [0, 29]],
                     [[2, 3], [35, 1], [38, 27], [1, 25]]), {}),
])
def test_keypoints_functionals_match(torch: Any, tv: Any, dtype: str, shape: tuple, name: str,
                                     args: tuple, kwargs: dict) -> None:
    import torchvision.transforms.v2.functional as TF

    e, t = _pair(torch, _points(shape, dtype))
    _check_points(getattr(EF, name)(e, *args, **kwargs), getattr(TF, name)(t, *args, **kwargs))


@pytest.mark.parametrize("dtype", ["float32", "int64"])
def test_keypoints_elastic_matches(torch: Any, tv: Any, dtype: str) -> None:
    import torchvision.transforms.v2.functional as TF

    disp = np.random.default_rng(1).normal(size=(1, *CANVAS, 2)).astype(np.float32) * 0.1
    e, t = _pair(torch, _points((7, 2), dtype))
    _check_points(EF.elastic(e, ember.from_numpy(disp)), TF.elastic(t, torch.from_numpy(disp)))
    with pytest.raises(ValueError, match="displacement shape"):
        EF.elastic_keypoints(e.as_subclass(ember.Tensor), CANVAS, ember.zeros(1, 3, 3, 2))


def test_keypoint_kernels_on_plain_tensors(torch: Any, tv: Any) -> None:
    import torchvision.transforms.v2.functional as TF

    arr = _points((5, 2))
    e, t = ember.from_numpy(arr.copy()), torch.from_numpy(arr.copy())
    out, canvas = EF.rotate_keypoints(e, CANVAS, 20.0, expand=True)
    exp, exp_canvas = TF.rotate_keypoints(t, CANVAS, 20.0, expand=True)
    assert tuple(canvas) == tuple(exp_canvas)
    assert_close(out, exp, atol=1e-4, rtol=1e-5)
    out, canvas = EF.affine_keypoints(e, CANVAS, 10.0, [1.0, 2.0], 1.0, [0.0, 0.0])
    exp, exp_canvas = TF.affine_keypoints(t, CANVAS, 10.0, [1.0, 2.0], 1.0, [0.0, 0.0])
    assert tuple(canvas) == tuple(exp_canvas)
    assert_close(out, exp, atol=1e-4, rtol=1e-5)
    assert_close(EF.horizontal_flip_keypoints(e, CANVAS), TF.horizontal_flip_keypoints(t, CANVAS))
    with pytest.raises(ValueError, match="not supported with KeyPoints"):
        EF.pad_keypoints(e, CANVAS, [1], padding_mode="reflect")


@pytest.mark.parametrize("dtype", ["float32", "int64"])
def test_clamp_and_sanitize_keypoints(torch: Any, tv: Any, dtype: str) -> None:
    import torchvision.transforms.v2.functional as TF

    arr = _points((6, 3, 2), dtype, seed=2)
    arr[0] = [[1, 1], [5, 5], [39, 29]]
    arr[3] = [[0, 0], [2, 28], [10, 10]]
    e, t = _pair(torch, arr)
    _check_points(EF.clamp_keypoints(e), TF.clamp_keypoints(t))
    assert_close(EF.clamp_keypoints(e.as_subclass(ember.Tensor), canvas_size=CANVAS),
                 TF.clamp_keypoints(t.as_subclass(torch.Tensor), canvas_size=CANVAS))
    out, valid = EF.sanitize_keypoints(e)
    exp, exp_valid = TF.sanitize_keypoints(t)
    assert_close(valid, exp_valid)
    assert int(valid.sum()) >= 2
    _check_points(out, exp)
    flat_out, flat_valid = EF.sanitize_keypoints(ember.from_numpy(arr[:, 0].copy()), CANVAS)
    flat_exp, flat_exp_valid = TF.sanitize_keypoints(torch.from_numpy(arr[:, 0].copy()), CANVAS)
    assert_close(flat_valid, flat_exp_valid)
    assert_close(flat_out, flat_exp)
    with pytest.raises(ValueError, match="canvas_size"):
        EF.clamp_keypoints(ember.from_numpy(arr))
    with pytest.raises(ValueError, match="must not be passed"):
        EF.clamp_keypoints(e, canvas_size=CANVAS)
    with pytest.raises(ValueError, match="canvas_size must be None"):
        EF.sanitize_keypoints(e, canvas_size=CANVAS)


# ---------------------------------------------------------------------------- transforms
def _sample(torch: Any, seed: int = 0) -> tuple[dict, dict]:
    from torchvision import tv_tensors as TV

    rng = np.random.default_rng(seed)
    img = rng.integers(0, 256, (3, *CANVAS), dtype=np.uint8)
    pts = _points((4, 2), seed=seed)
    pts[1] = [5.0, 6.0]
    pts[2] = [20.0, 15.0]
    labels = np.arange(4)
    e = {"image": EV.Image(ember.from_numpy(img.copy())),
         "kp": EV.KeyPoints(ember.from_numpy(pts.copy()), canvas_size=CANVAS),
         "labels": ember.from_numpy(labels.copy())}
    t = {"image": TV.Image(torch.from_numpy(img.copy())),
         "kp": TV.KeyPoints(torch.from_numpy(pts.copy()), canvas_size=CANVAS),
         "labels": torch.from_numpy(labels.copy())}
    return e, t


@pytest.mark.parametrize("make", [
    lambda T: T.RandomHorizontalFlip(p=1.0), lambda T: T.Resize((17, 23)),
    lambda T: T.CenterCrop(20), lambda T: T.Pad([2, 3]),
    lambda T: T.ClampKeyPoints(),
    lambda T: T.Compose([T.Pad(4), T.CenterCrop(25), T.ClampKeyPoints()]),
    lambda T: T.ColorJitter(brightness=0.5),  # keypoints pass through color transforms
])
def test_keypoints_in_pipelines(torch: Any, tv: Any, make: Any) -> None:
    import torchvision.transforms.v2 as T2

    e, t = _sample(torch)
    torch.manual_seed(0)
    expected = make(T2)(t)
    ember.manual_seed(0)
    out = make(E2)(e)
    _check_points(out["kp"], expected["kp"])


@pytest.mark.parametrize("labels_getter", [None, "default", lambda s: s["labels"]])
def test_sanitize_keypoints_transform(torch: Any, tv: Any, labels_getter: Any) -> None:
    import torchvision.transforms.v2 as T2

    e, t = _sample(torch)
    out = E2.SanitizeKeyPoints(labels_getter=labels_getter)(e)
    expected = T2.SanitizeKeyPoints(labels_getter=labels_getter)(t)
    _check_points(out["kp"], expected["kp"])
    assert_close(out["labels"], expected["labels"])
    assert out["image"] is e["image"]


def test_sanitize_keypoints_errors(torch: Any, tv: Any) -> None:
    e, _ = _sample(torch)
    with pytest.raises(ValueError, match="No keypoints were found"):
        E2.SanitizeKeyPoints()({"image": e["image"]})
    with pytest.raises(ValueError, match="must match the number of labels"):
        E2.SanitizeKeyPoints(labels_getter=lambda s: ember.zeros(2))(e)
    with pytest.raises(ValueError, match="labels_getter"):
        E2.SanitizeKeyPoints(labels_getter=3)


def test_get_keypoints(torch: Any, tv: Any) -> None:
    e, _ = _sample(torch)
    assert E2.get_keypoints([e["image"], e["kp"]]) is e["kp"]
    with pytest.raises(ValueError, match="No keypoints"):
        E2.get_keypoints([e["image"]])


@pytest.mark.parametrize("mode", [None, "hard", "soft"])
def test_set_clamping_mode(torch: Any, tv: Any, mode: str | None) -> None:
    import torchvision.transforms.v2 as T2
    from torchvision import tv_tensors as TV

    boxes = np.array([[-5.0, 2.0, 50.0, 20.0]], dtype=np.float32)
    e = EV.BoundingBoxes(ember.from_numpy(boxes), format="XYXY", canvas_size=CANVAS)
    t = TV.BoundingBoxes(torch.from_numpy(boxes), format="XYXY", canvas_size=CANVAS)
    out = E2.Compose([E2.SetClampingMode(mode), E2.Pad(2)])(e)
    expected = T2.Compose([T2.SetClampingMode(mode), T2.Pad(2)])(t)
    assert out.clamping_mode == expected.clamping_mode == mode
    assert_close(out.as_subclass(ember.Tensor), expected.as_subclass(torch.Tensor))
    with pytest.raises(ValueError, match="clamping_mode must be soft, hard or None"):
        E2.SetClampingMode("auto")


def test_query_size_counts_keypoints(torch: Any) -> None:
    kp = EV.KeyPoints(ember.zeros(2, 2), canvas_size=(9, 11))
    assert E2.query_size([kp]) == (9, 11)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = E2.RandomCrop(5)(kp)
    assert out.canvas_size == (5, 5)
