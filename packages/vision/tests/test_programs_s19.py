"""torchvision programs run side by side (session 19): the cases where Ember's results
differed from torchvision 0.29, each checked against torchvision on the same inputs.

- the RoI and deformable-convolution ops name their graph node as torchvision's custom
  ops do (``GeneratedBackwardFor_torchvision_roi_align_defaultBackward``), not after the
  last Ember op that composed them;
- tv_tensors live in torchvision's private modules (``type(boxes)`` prints
  ``<class '...tv_tensors._bounding_boxes.BoundingBoxes'>``), and a short video raises
  torchvision's bare ``ValueError``;
- v2's normalize checks as v2 does (messages, ``std`` as given); Compose and RandomApply
  refuse a non-sequence with their own messages.
"""

from __future__ import annotations

import copy
import pickle
from typing import Any

import numpy as np
import pytest

import ember
import ember.nn as enn
import ember.vision.ops as EO
import ember.vision.transforms.v2 as E2
import ember.vision.transforms.v2.functional as EF2
from ember.vision import tv_tensors as etv

torch = pytest.importorskip("torch")
tv = pytest.importorskip("torchvision")
import torchvision.ops as TO  # noqa: E402
import torchvision.transforms.v2 as T2  # noqa: E402
import torchvision.transforms.v2.functional as TF2  # noqa: E402
from torchvision import tv_tensors as ttv  # noqa: E402


def _pair(arr: np.ndarray) -> tuple[Any, Any]:
    return ember.from_numpy(arr.copy()), torch.from_numpy(arr.copy())


def _error(fn: Any) -> tuple[str, str]:
    try:
        fn()
    except Exception as e:  # noqa: BLE001 (the type and message are what is compared)
        return type(e).__name__, str(e)
    return "", ""


# ------------------------------------------------------------------------- graph nodes
def _rois_program(lib: Any, ops: Any, x: Any, boxes: list, off: Any, w: Any, b: Any) -> list:
    """Each op's output node name and the input's gradient through it."""
    out = []
    for fn in (lambda: ops.roi_align(x, boxes, 2, 0.5, 2), lambda: ops.roi_pool(x, boxes, 2, 0.5),
               lambda: ops.ps_roi_align(x, boxes, 2, 0.5, 2),
               lambda: ops.ps_roi_pool(x, boxes, 2, 0.5),
               lambda: ops.deform_conv2d(x, off, w), lambda: ops.deform_conv2d(x, off, w, b)):
        x.grad = None
        y = fn()
        name = type(y.grad_fn).__name__
        (y * y).sum().backward()
        out.append((name, x.grad.numpy().copy()))
    return out


def test_roi_and_deform_ops_name_their_nodes_as_torchvision() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 8, 10, 12)).astype(np.float32)
    boxes = [np.array([[1, 2, 8, 9], [0, 0, 11, 9]], np.float32),
             np.array([[3, 3, 6, 8.5]], np.float32)]
    off = (rng.standard_normal((2, 18, 8, 10)) * 0.5).astype(np.float32)
    w = rng.standard_normal((4, 8, 3, 3)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    ours = _rois_program(ember, EO, ember.from_numpy(x).requires_grad_(),
                         [ember.from_numpy(v) for v in boxes], ember.from_numpy(off),
                         ember.from_numpy(w), ember.from_numpy(b))
    theirs = _rois_program(torch, TO, torch.from_numpy(x).requires_grad_(),
                           [torch.from_numpy(v) for v in boxes], torch.from_numpy(off),
                           torch.from_numpy(w), torch.from_numpy(b))
    for (name, grad), (t_name, t_grad) in zip(ours, theirs):
        assert name == t_name
        np.testing.assert_allclose(grad, t_grad, rtol=1e-4, atol=1e-4)


def test_deform_conv2d_module_node_and_weight_grad() -> None:
    """DeformConv2d: the weight's gradient still flows through the renamed node."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1, 4, 6, 6)).astype(np.float32)
    off = (rng.standard_normal((1, 18, 6, 6)) * 0.3).astype(np.float32)
    ours, theirs = EO.DeformConv2d(4, 2, 3, padding=1), TO.DeformConv2d(4, 2, 3, padding=1)
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(ours.weight.detach().numpy()))
        theirs.bias.copy_(torch.from_numpy(ours.bias.detach().numpy()))
    y = ours(ember.from_numpy(x), ember.from_numpy(off))
    ty = theirs(torch.from_numpy(x), torch.from_numpy(off))
    assert type(y.grad_fn).__name__ == type(ty.grad_fn).__name__
    y.sum().backward()
    ty.sum().backward()
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-4,
                               atol=1e-4)
    assert isinstance(ours, enn.Module)


# ---------------------------------------------------------------------------- tv_tensors
def _tv_objects(lib: Any, tvt: Any) -> list:
    return [tvt.BoundingBoxes([[1, 2, 10, 12]], format="XYXY", canvas_size=(30, 40)),
            tvt.Image(lib.zeros(3, 2, 2)), tvt.Mask(lib.zeros(2, 2)),
            tvt.Video(lib.zeros(1, 3, 2, 2)), tvt.KeyPoints([[1.0, 2.0]], canvas_size=(3, 3))]


def _printed(cls: type) -> str:
    return str(cls).replace("ember.vision", "torchvision")


def test_tv_tensor_classes_print_as_torchvision_and_pickle() -> None:
    for ours, theirs in zip(_tv_objects(ember, etv), _tv_objects(torch, ttv)):
        assert _printed(type(ours)) == str(type(theirs))
        assert _printed(type(ours).__mro__[1]) == str(type(theirs).__mro__[1])
        for copied in (pickle.loads(pickle.dumps(ours)), copy.deepcopy(ours)):
            assert type(copied) is type(ours)
            np.testing.assert_array_equal(copied.numpy(), ours.numpy())
    boxes = pickle.loads(pickle.dumps(_tv_objects(ember, etv)[0]))
    assert (boxes.format, boxes.canvas_size) == (etv.BoundingBoxFormat.XYXY, (30, 40))
    assert _printed(etv.BoundingBoxFormat) == str(ttv.BoundingBoxFormat)
    assert etv.set_return_type.__module__.replace("ember.vision", "torchvision") == \
        ttv.set_return_type.__module__


def test_set_return_type_still_keeps_the_type() -> None:
    ours = _tv_objects(ember, etv)[0]
    with etv.set_return_type("TVTensor"):
        kept = ours + 1
        assert type(kept) is etv.BoundingBoxes and kept.canvas_size == (30, 40)
        assert type(_tv_objects(ember, etv)[1].flip(-1)) is etv.Image
    assert type(ours + 1) is ember.Tensor


def test_short_video_raises_the_bare_value_error() -> None:
    assert _error(lambda: etv.Video(ember.zeros(3, 4, 4))) == \
        _error(lambda: ttv.Video(torch.zeros(3, 4, 4)))


# ------------------------------------------------------------------------- v2 messages
def _normalize_cases(lib: Any, t2: Any, f2: Any, tvt: Any, x: Any) -> list:
    return [lambda: t2.Normalize([0.5], [0.0])(x), lambda: f2.normalize(x, [0.5] * 3, [1, 0, 1]),
            lambda: f2.normalize(x[0], [0.5], [1.0]),
            lambda: f2.normalize((x * 255).to(lib.uint8), [0.5], [1.0]),
            lambda: f2.normalize_image(x[0], [0.5], [1.0]),
            lambda: f2.normalize(tvt.Video(x[None]), [0.5], [0.0]),
            lambda: f2.normalize(x, 0.5, 0)]


def test_v2_normalize_checks_as_v2() -> None:
    arr = np.random.default_rng(2).random((3, 4, 4), dtype=np.float32)
    e, t = _pair(arr)
    for ours, theirs in zip(_normalize_cases(ember, E2, EF2, etv, e),
                            _normalize_cases(torch, T2, TF2, ttv, t)):
        got, want = _error(ours), _error(theirs)
        assert want[0], "each case raises in torchvision"
        assert got == (want[0], want[1].replace("torch.", "ember."))
    np.testing.assert_array_equal(EF2.normalize(e, [0.5, 0.4, 0.3], [0.2, 0.3, 0.4]).numpy(),
                                  TF2.normalize(t, [0.5, 0.4, 0.3], [0.2, 0.3, 0.4]).numpy())


def test_container_type_errors() -> None:
    for name in ("Compose", "RandomApply", "RandomChoice", "RandomOrder"):
        got = _error(lambda n=name: getattr(E2, n)(E2.RandomHorizontalFlip()))
        want = _error(lambda n=name: getattr(T2, n)(T2.RandomHorizontalFlip()))
        assert got == want
    # RandomApply takes an nn.ModuleList, Compose does not
    assert _error(lambda: E2.Compose(enn.ModuleList([E2.RandomHorizontalFlip()]))) == \
        _error(lambda: T2.Compose(torch.nn.ModuleList([T2.RandomHorizontalFlip()])))
    assert _error(lambda: E2.RandomApply(enn.ModuleList([E2.RandomHorizontalFlip()]))) == \
        _error(lambda: T2.RandomApply(torch.nn.ModuleList([T2.RandomHorizontalFlip()])))


# -------------------------------------------------------------------- kernels per type
def _grayscale_cases(lib: Any, t2: Any, f2: Any, tvt: Any, vid: Any, vid1: Any) -> list:
    return [lambda: t2.Grayscale()(vid), lambda: t2.Grayscale(3)(vid),
            lambda: t2.RandomGrayscale(1.0)(vid), lambda: t2.RGB()(vid1),
            lambda: f2.rgb_to_grayscale(vid), lambda: f2.grayscale_to_rgb(vid1),
            lambda: f2.gaussian_noise(tvt.Mask(lib.ones(2, 3))),
            lambda: f2.jpeg(tvt.BoundingBoxes([[1, 1, 4, 4]], format="XYXY", canvas_size=(8, 8)), 50),
            lambda: f2.rgb_to_grayscale_image(vid.as_subclass(lib.Tensor))]


def test_videos_pass_through_grayscale_and_functionals_refuse_unknown_types() -> None:
    """torchvision has no video kernel for the grayscale conversions: the transforms pass a
    video through unchanged, and every functional refuses a TVTensor it has no kernel for."""
    rng = np.random.default_rng(3)
    vid = rng.integers(0, 256, (2, 3, 5, 6), dtype=np.uint8)
    vid1 = rng.integers(0, 256, (2, 1, 5, 6), dtype=np.uint8)
    ours = _grayscale_cases(ember, E2, EF2, etv, etv.Video(ember.from_numpy(vid)),
                            etv.Video(ember.from_numpy(vid1)))
    theirs = _grayscale_cases(torch, T2, TF2, ttv, ttv.Video(torch.from_numpy(vid)),
                              ttv.Video(torch.from_numpy(vid1)))
    for o, t in zip(ours, theirs):
        try:
            want = t()
        except TypeError:
            with pytest.raises(TypeError, match="supports inputs of type"):
                o()
            continue
        got = o()
        assert type(got).__name__ == type(want).__name__
        np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_to_dtype_converts_key_points() -> None:
    ours = etv.KeyPoints([[1, 2], [3, 4]], canvas_size=(5, 5))
    theirs = ttv.KeyPoints([[1, 2], [3, 4]], canvas_size=(5, 5))
    for o, t in ((EF2.to_dtype(ours, ember.float64), TF2.to_dtype(theirs, torch.float64)),
                 (E2.ToDtype({etv.KeyPoints: ember.float32, "others": None})(ours),
                  T2.ToDtype({ttv.KeyPoints: torch.float32, "others": None})(theirs)),
                 (E2.ToDtype(ember.float32)(ours), T2.ToDtype(torch.float32)(theirs))):
        assert type(o).__name__ == type(t).__name__ and o.canvas_size == t.canvas_size
        assert str(o.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        assert o.tolist() == t.tolist()


def test_linear_transformation_has_no_child_module() -> None:
    arr = np.arange(12, dtype=np.float32).reshape(3, 2, 2)
    e, t = _pair(arr)
    ours = E2.LinearTransformation(ember.eye(12) * 2, ember.ones(12))
    theirs = T2.LinearTransformation(torch.eye(12) * 2, torch.ones(12))
    assert repr(ours) == repr(theirs)
    assert list(dict(ours.named_modules())) == list(dict(theirs.named_modules()))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    np.testing.assert_array_equal(ours(e).numpy(), theirs(t).numpy())
    np.testing.assert_array_equal(copy.deepcopy(ours)(e).numpy(), theirs(t).numpy())


# ------------------------------------------------------------------ rotated boxes
def _rotated_data() -> np.ndarray:
    """Rotated boxes (CXCYWHR) inside, across and outside a 40 x 50 canvas, some upright."""
    rng = np.random.default_rng(7)
    n = 40
    data = np.stack([rng.random(n) * 70 - 10, rng.random(n) * 60 - 10, rng.random(n) * 30 + 1,
                     rng.random(n) * 20 + 1, rng.random(n) * 360 - 180], -1)
    data[:4, 4], data[4:7, 4] = 0, 90
    return data


def _rotated_program(lib: Any, f2: Any, tvt: Any, data: Any, disp: Any, mode: Any,
                     fmt: str) -> dict:
    boxes = tvt.BoundingBoxes(data, format="CXCYWHR", canvas_size=(40, 50), clamping_mode=mode)
    b = f2.convert_bounding_box_format(boxes, new_format=fmt)
    corners = [[0, 0], [49, 0], [49, 39], [0, 39]], [[2, 1], [45, 3], [47, 36], [1, 38]]
    outs = {"convert": b, "clamp": f2.clamp_bounding_boxes(b), "crop": f2.crop(b, 5, -3, 30, 40),
            "pad": f2.pad(b, [3, 4, 5, 6]), "resize": f2.resize(b, [25, 70]),
            "center_crop": f2.center_crop(b, [30, 60]),
            "resized_crop": f2.resized_crop(b, 3, 4, 30, 35, [20, 25]),
            "affine": f2.affine(b, 25.0, [3, -2], 1.1, [5.0, 2.0]),
            "rotate": f2.rotate(b, 33.0, expand=True),
            "perspective": f2.perspective(b, *corners), "elastic": f2.elastic(b, disp),
            "hflip": f2.horizontal_flip(b),
            "sanitize": f2.sanitize_bounding_boxes(b, min_size=3, min_area=20)[1]}
    return {k: (v.numpy(), tuple(getattr(v, "canvas_size", ()))) for k, v in outs.items()}


@pytest.mark.parametrize("mode", ["soft", "hard", None])
@pytest.mark.parametrize("fmt", ["CXCYWHR", "XYWHR", "XYXYXYXY"])
def test_rotated_boxes_through_the_geometric_kernels(mode: Any, fmt: str) -> None:
    """Rotated boxes move, square up and clamp (soft and hard) as torchvision's. In float64:
    the remaining differences are the last bits of sin/cos/atan2."""
    data = _rotated_data()
    disp = np.random.default_rng(8).random((1, 40, 50, 2)) * 0.1 - 0.05
    ours = _rotated_program(ember, EF2, etv, ember.from_numpy(data), ember.from_numpy(disp),
                            mode, fmt)
    theirs = _rotated_program(torch, TF2, ttv, torch.from_numpy(data), torch.from_numpy(disp),
                              mode, fmt)
    for key, (got, size) in ours.items():
        want, want_size = theirs[key]
        assert size == want_size, key
        assert got.dtype == want.dtype and got.shape == want.shape, key
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-9, err_msg=key)


def test_rotated_boxes_through_transforms_float32() -> None:
    """The same through the v2 transforms on float32 boxes with an image (seeded draws);
    float32 sin/cos/atan2 differ from PyTorch's in the last bit, which the degrees and
    the clamping's intersections amplify to about 1e-3."""
    img = np.random.default_rng(9).integers(0, 256, (3, 40, 50), dtype=np.uint8)
    data = _rotated_data().astype(np.float32)
    ours_t = [E2.RandomRotation(30), E2.RandomAffine(20, (0.1, 0.1), (0.8, 1.2)),
              E2.Resize((20, 30)), E2.RandomCrop(30), E2.RandomPerspective(p=1.0),
              E2.ClampBoundingBoxes("hard"),
              E2.SanitizeBoundingBoxes(labels_getter=None)]
    theirs_t = [T2.RandomRotation(30), T2.RandomAffine(20, (0.1, 0.1), (0.8, 1.2)),
                T2.Resize((20, 30)), T2.RandomCrop(30), T2.RandomPerspective(p=1.0),
                T2.ClampBoundingBoxes("hard"),
                T2.SanitizeBoundingBoxes(labels_getter=None)]
    for fmt in ("XYWHR", "XYXYXYXY"):
        e_boxes = EF2.convert_bounding_box_format(etv.BoundingBoxes(
            ember.from_numpy(data), format="CXCYWHR", canvas_size=(40, 50)), new_format=fmt)
        t_boxes = TF2.convert_bounding_box_format(ttv.BoundingBoxes(
            torch.from_numpy(data), format="CXCYWHR", canvas_size=(40, 50)), new_format=fmt)
        for o, t in zip(ours_t, theirs_t):
            ember.manual_seed(2)
            torch.manual_seed(2)
            got = o(etv.Image(ember.from_numpy(img)), e_boxes)[1]
            want = t(ttv.Image(torch.from_numpy(img)), t_boxes)[1]
            assert tuple(got.canvas_size) == tuple(want.canvas_size) and got.format.name == fmt
            np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-4, atol=2e-3,
                                       err_msg=type(o).__name__)


def test_v2_elastic_builds_its_grid_in_the_float_type() -> None:
    """float64 images, key points and boxes move on a float64 grid; a uint8 image on a float32
    one (a float64 displacement is rounded to float32 first), as in torchvision."""
    rng = np.random.default_rng(10)
    img = rng.random((3, 20, 24))
    u8 = rng.integers(0, 256, (3, 20, 24), dtype=np.uint8)
    disp = rng.standard_normal((1, 20, 24, 2)) * 0.05
    pts = np.array([[3.5, 4.2], [10.0, 15.7]])
    box = np.array([[3.5, 4.2, 10.1, 15.7]])

    def program(lib: Any, f2: Any, tvt: Any) -> list:
        d = lib.from_numpy(disp)
        return [f2.elastic(lib.from_numpy(img), d), f2.elastic(lib.from_numpy(u8), d),
                f2.elastic(tvt.KeyPoints(lib.from_numpy(pts), canvas_size=(20, 24)), d),
                f2.elastic(tvt.BoundingBoxes(lib.from_numpy(box), format="XYXY",
                                             canvas_size=(20, 24)), d)]

    for got, want in zip(program(ember, EF2, etv), program(torch, TF2, ttv)):
        assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
        np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_meta_functionals_refuse_boxes_points_and_masks() -> None:
    def program(lib: Any, f2: Any, tvt: Any) -> list:
        inputs = [tvt.BoundingBoxes([[1, 2, 10, 12]], format="XYXY", canvas_size=(30, 40)),
                  tvt.KeyPoints([[1, 2]], canvas_size=(30, 40)), tvt.Mask(lib.zeros(30, 40)),
                  tvt.Image(lib.zeros(3, 4, 5)), tvt.Video(lib.zeros(2, 3, 4, 5)),
                  lib.zeros(2, 3, 4, 5)]
        out = []
        for x in inputs:
            for f in (f2.get_dimensions, f2.get_num_channels, f2.get_num_frames, f2.get_size):
                try:
                    out.append(f(x))
                except Exception as e:  # noqa: BLE001 (the type is what is compared)
                    out.append(type(e).__name__)
        return out

    assert program(ember, EF2, etv) == program(torch, TF2, ttv)


def _nms_call(lib: Any, ops: Any, fn: str, arr: np.ndarray, scores: np.ndarray,
              box_dtype: str, score_dtype: str) -> Any:
    b = lib.from_numpy(arr).to(getattr(lib, box_dtype))
    s = lib.from_numpy(scores).to(getattr(lib, score_dtype))
    args = (b, s, lib.zeros(len(scores), dtype=lib.int64)) if fn == "batched_nms" else (b, s)
    return getattr(ops, fn)(*args, 0.5)


def test_nms_refuses_half_boxes_and_mismatched_scores() -> None:
    cases = [("float16", "float16", 0), ("float32", "float64", 0), ("int64", "float32", 0),
             ("bfloat16", "bfloat16", 3), ("float32", "float64", 3), ("float64", "float64", 3)]
    rng = np.random.default_rng(11)
    for box_dtype, score_dtype, n in cases:
        xy = rng.random((n, 2)) * 10
        arr = np.concatenate([xy, xy + rng.random((n, 2)) * 5 + 1], 1)
        scores = rng.random(n)
        for fn in ("nms", "batched_nms"):
            args = (fn, arr, scores, box_dtype, score_dtype)
            try:
                want = _nms_call(torch, TO, *args).tolist()
            except RuntimeError as e:
                with pytest.raises(RuntimeError) as got:
                    _nms_call(ember, EO, *args)
                assert str(e).endswith(str(got.value))  # torchvision prefixes its C++ source
                continue
            assert _nms_call(ember, EO, *args).tolist() == want


def test_v2_resize_and_permute_show_a_view_node() -> None:
    """v2 resizes and permutes a reshaped batch, then reshapes back: PyTorch shows a view's
    node, and the gradients flow as torchvision's."""
    arr = np.random.default_rng(12).random((3, 10, 12)).astype(np.float32)

    def program(lib: Any, f2: Any, mode: Any) -> list:
        out = []
        for fn in (lambda x: f2.resize(x, [5, 6]), lambda x: f2.resize(x, [5, 6], antialias=False),
                   lambda x: f2.resize(x, [7, 9], interpolation=mode.NEAREST),
                   lambda x: f2.resize(x, [7, 9], interpolation=mode.BICUBIC),
                   lambda x: f2.resized_crop(x, 1, 1, 5, 5, [4, 4]),
                   lambda x: f2.permute_channels(x, [2, 0, 1])):
            x = lib.from_numpy(arr.copy()).requires_grad_()
            y = fn(x)
            (y * y).sum().backward()
            out.append((type(y.grad_fn).__name__, x.grad.numpy()))
        return out

    for (name, grad), (t_name, t_grad) in zip(program(ember, EF2, E2.InterpolationMode),
                                              program(torch, TF2, T2.InterpolationMode)):
        assert name == t_name
        np.testing.assert_allclose(grad, t_grad, rtol=1e-5, atol=1e-6)
