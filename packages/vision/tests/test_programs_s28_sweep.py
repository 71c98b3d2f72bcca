"""torchvision's API swept against ember.vision (session 28), compared with the oracle.

- ``transforms.v2.functional``: a functional's TypeError for an input type it has no kernel
  for lists the types in torchvision's registration order (``Image, Tensor, PIL...``); the
  meta functionals (``get_dimensions``, ``get_num_channels``, ``get_size``,
  ``get_num_frames``) refuse non-tensors the same way and 0-/1-D tensors with torchvision's
  TypeError; ``clamp_bounding_boxes`` / ``convert_bounding_box_format`` refuse what is
  neither a plain tensor nor boxes; the deprecated ``convert_image_dtype`` is the image
  kernel itself (a plain tensor out of an Image, a Mask scaled, a PIL image refused).
- ``transforms.ToPILImage``: the wrong-mode error names ``np.dtype`` as torchvision does.
- ``io``: ``decode_jpeg`` with an alpha mode, truncated PNG / JPEG / GIF / WebP bytes and
  non-WebP bytes given to ``decode_webp`` fail with torchvision's C++ check text.
- Guards: the public names of the swept modules, the repr of every default-constructed
  transform, signatures of the functionals, and weight enums (names, meta keys and values
  but ``_docs``, ``transforms()`` repr) stay as torchvision has them.
"""

from __future__ import annotations

import inspect
import io as pyio
from typing import Any

import numpy as np
import pytest
from _vision_helpers import raised

import ember
import ember.vision
import ember.vision.io as EIO
import ember.vision.transforms as ET
import ember.vision.transforms.v2 as E2
import ember.vision.transforms.v2.functional as EF2
from ember.vision import tv_tensors as EV

torch = pytest.importorskip("torch")
torchvision = pytest.importorskip("torchvision")
import torchvision.io as TIO  # noqa: E402
import torchvision.transforms as TT  # noqa: E402
import torchvision.transforms.v2 as T2  # noqa: E402
import torchvision.transforms.v2.functional as TF2  # noqa: E402
from PIL import Image  # noqa: E402
from torchvision import tv_tensors as TV  # noqa: E402


def _same_error(got: Any, want: Any) -> None:
    """The same exception type and message, read with torch's names as ember's."""
    g, w = raised(got), raised(want)
    assert g[0].__name__ == w[0].__name__
    assert g[1] == w[1].replace("torchvision.", "ember.vision.").replace("torch.", "ember.")


# --------------------------------------------------------------------------- v2 dispatch
_ONE_ARG = ["adjust_brightness", "adjust_contrast", "adjust_gamma", "adjust_hue",
            "adjust_saturation", "adjust_sharpness", "autocontrast", "equalize", "invert",
            "posterize", "solarize", "permute_channels", "gaussian_blur", "five_crop",
            "ten_crop", "erase", "gaussian_noise", "jpeg", "normalize", "to_dtype",
            "rgb_to_grayscale", "grayscale_to_rgb", "horizontal_flip", "vertical_flip", "pad",
            "resize", "affine", "center_crop", "crop", "elastic", "perspective",
            "resized_crop", "rotate", "uniform_temporal_subsample", "get_dimensions",
            "get_num_channels", "get_size", "get_num_frames"]


def _args(F: Any, name: str) -> list:
    params = list(inspect.signature(getattr(F, name)).parameters.values())[1:]
    return [None for p in params if p.default is inspect.Parameter.empty
            and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


@pytest.mark.parametrize("name", _ONE_ARG)
def test_v2_functional_refusal_lists_types_in_torchvisions_order(name: str) -> None:
    bad = np.zeros(3)
    _same_error(lambda: getattr(EF2, name)(bad, *_args(EF2, name)),
                lambda: getattr(TF2, name)(bad, *_args(TF2, name)))


def _typed(lib: Any, tv: Any) -> dict:
    return {"mask": tv.Mask(lib.zeros(2, 4, 5, dtype=lib.uint8)),
            "boxes": tv.BoundingBoxes(lib.tensor([[0, 0, 2, 2]]), format="XYXY",
                                      canvas_size=(4, 5)),
            "image": tv.Image(lib.zeros(3, 4, 5)),
            "1d": lib.zeros(3), "0d": lib.tensor(1.0), "list": [1, 2]}


@pytest.mark.parametrize("fn", ["get_dimensions", "get_num_channels", "get_size",
                                "get_num_frames", "rgb_to_grayscale"])
@pytest.mark.parametrize("kind", ["mask", "boxes", "image", "1d", "0d", "list"])
def test_v2_meta_functionals_refuse_like_torchvision(fn: str, kind: str) -> None:
    ours, theirs = _typed(ember, EV)[kind], _typed(torch, TV)[kind]
    try:
        want = getattr(TF2, fn)(theirs)
    except Exception:  # noqa: BLE001 - then ember raises the same
        _same_error(lambda: getattr(EF2, fn)(ours), lambda: getattr(TF2, fn)(theirs))
        return
    got = getattr(EF2, fn)(ours)
    if isinstance(want, torch.Tensor):
        assert type(got).__name__ == type(want).__name__
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    else:
        assert got == want


@pytest.mark.parametrize("kind", ["ndarray", "image"])
def test_v2_box_functionals_refuse_what_is_not_boxes(kind: str) -> None:
    def inputs(lib: Any, tv: Any) -> Any:
        return np.zeros(4) if kind == "ndarray" else tv.Image(lib.zeros(1, 4, 4))

    _same_error(lambda: EF2.clamp_bounding_boxes(inputs(ember, EV)),
                lambda: TF2.clamp_bounding_boxes(inputs(torch, TV)))
    _same_error(lambda: EF2.convert_bounding_box_format(inputs(ember, EV), new_format="XYXY"),
                lambda: TF2.convert_bounding_box_format(inputs(torch, TV), new_format="XYXY"))


def test_v2_convert_image_dtype_is_the_image_kernel() -> None:
    def run(lib: Any, tv: Any, F: Any) -> list:
        data = lib.arange(24, dtype=lib.uint8).reshape(2, 3, 4)
        out = []
        for x in (tv.Image(data), tv.Mask(data), data, tv.Video(data[None])):
            for dt in (lib.float32, lib.uint8, lib.int16):
                y = F.convert_image_dtype(x, dt)
                out.append((type(y).__name__, str(y.dtype).split(".")[-1], y.numpy().tolist()))
        return out

    assert run(ember, EV, EF2) == run(torch, TV, TF2)
    pil = Image.new("RGB", (4, 3))
    _same_error(lambda: EF2.convert_image_dtype(pil), lambda: TF2.convert_image_dtype(pil))
    _same_error(lambda: EF2.to_dtype(pil, ember.float32), lambda: TF2.to_dtype(pil, torch.float32))


# --------------------------------------------------------------------------- v1 errors
@pytest.mark.parametrize("dtype,mode", [("float32", "RGB"), ("uint8", "F"), ("int16", "L"),
                                        ("int32", "RGB")])
def test_to_pil_image_wrong_mode_error(dtype: str, mode: str) -> None:
    _same_error(lambda: ET.ToPILImage(mode=mode)(ember.zeros(1, 5, 5, dtype=getattr(ember, dtype))),
                lambda: TT.ToPILImage(mode=mode)(torch.zeros(1, 5, 5, dtype=getattr(torch, dtype))))


# --------------------------------------------------------------------------- io
def _encoded(lib: Any, fmt: str) -> Any:
    rng = np.random.default_rng(5)
    arr = rng.integers(0, 256, (20, 24, 3), dtype=np.uint8)
    buf = pyio.BytesIO()
    Image.fromarray(arr).save(buf, fmt)
    return lib.from_numpy(np.frombuffer(buf.getvalue(), dtype=np.uint8).copy())


@pytest.mark.parametrize("fmt,op,cuts", [
    ("PNG", "decode_png", [10, 33, 60, 100, -20, -12, -1]),
    ("JPEG", "decode_jpeg", [4, 20, 100, 300, -2]),
    ("WEBP", "decode_webp", [4, 12, 16, 30, -1]),
    ("GIF", "decode_gif", [4, 6, 13, 30, 100]),
])
def test_io_truncated_bytes_fail_with_torchvisions_check_text(fmt: str, op: str,
                                                             cuts: list) -> None:
    ours, theirs = _encoded(ember, fmt), _encoded(torch, fmt)
    for n in cuts:
        for fn in (op, "decode_image"):
            if fn == "decode_image" and n < 12:
                continue  # a signature too short for decode_image to recognise
            try:
                want = getattr(TIO, fn)(theirs[:n])
            except RuntimeError:
                _same_error(lambda: getattr(EIO, fn)(ours[:n]),  # noqa: B023
                            lambda: getattr(TIO, fn)(theirs[:n]))  # noqa: B023
                continue
            got = getattr(EIO, fn)(ours[:n])
            np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_io_decoders_refuse_other_formats_and_modes() -> None:
    png, jpg, gif = (_encoded(ember, f) for f in ("PNG", "JPEG", "GIF"))
    tpng, tjpg, tgif = (_encoded(torch, f) for f in ("PNG", "JPEG", "GIF"))
    junk = b"hello world, not an image at all"
    ej, tj = (lib.tensor(list(junk), dtype=lib.uint8) for lib in (ember, torch))
    _same_error(lambda: EIO.decode_webp(png), lambda: TIO.decode_webp(tpng))
    _same_error(lambda: EIO.decode_webp(jpg), lambda: TIO.decode_webp(tjpg))
    _same_error(lambda: EIO.decode_webp(ej), lambda: TIO.decode_webp(tj))
    _same_error(lambda: EIO.decode_gif(png), lambda: TIO.decode_gif(tpng))
    _same_error(lambda: EIO.decode_gif(ej), lambda: TIO.decode_gif(tj))
    for mode in ("RGB_ALPHA", "GRAY_ALPHA"):
        _same_error(lambda: EIO.decode_jpeg(jpg, mode=getattr(EIO.ImageReadMode, mode)),  # noqa: B023
                    lambda: TIO.decode_jpeg(tjpg, mode=getattr(TIO.ImageReadMode, mode)))  # noqa: B023
    np.testing.assert_array_equal(EIO.decode_gif(gif).numpy(), TIO.decode_gif(tgif).numpy())


# --------------------------------------------------------------------------- guards
_MODULES = ["transforms", "transforms.functional", "transforms.v2", "transforms.v2.functional",
            "ops", "io", "utils", "models", "tv_tensors"]
# torchvision names that are typing helpers, third-party re-exports or formats ember leaves
_NOT_OURS = {"Optional", "Union", "PILImage", "accimage", "FunctionType", "repeat",
             "PILLOW_VERSION_STRING", "decode_avif", "decode_heic", "torch"}


@pytest.mark.parametrize("mod", _MODULES)
def test_public_names_are_all_there(mod: str) -> None:
    import importlib

    theirs = importlib.import_module(f"torchvision.{mod}")
    ours = importlib.import_module(f"ember.vision.{mod}")
    missing = sorted(n for n in dir(theirs) if not n.startswith("_") and n not in _NOT_OURS
                     and not inspect.ismodule(getattr(theirs, n)) and not hasattr(ours, n))
    assert missing == []


def _parameters(fn: Any) -> list:
    return [(p.name, p.kind) for p in inspect.signature(fn).parameters.values()]


@pytest.mark.parametrize("mod", ["transforms.functional", "transforms.v2.functional", "ops",
                                 "io", "utils"])
def test_functional_parameters_match(mod: str) -> None:
    import importlib

    theirs = importlib.import_module(f"torchvision.{mod}")
    ours = importlib.import_module(f"ember.vision.{mod}")
    differ = []
    for n in dir(theirs):
        fn = getattr(theirs, n)
        if n.startswith("_") or not inspect.isfunction(fn) or not hasattr(ours, n):
            continue
        want = [p for p in _parameters(fn) if p[1] != inspect.Parameter.VAR_KEYWORD]
        got = [p for p in _parameters(getattr(ours, n)) if p[1] != inspect.Parameter.VAR_KEYWORD]
        if got != want:
            differ.append(n)
    assert differ == []


_REQUIRED = {"size": 8, "kernel_size": 3, "degrees": 10, "mean": [0.5], "std": [0.5],
             "transforms": [], "num_classes": 10, "padding": 2, "min_size": 4, "max_size": 8,
             "sharpness_factor": 2.0, "bits": 4, "threshold": 0.5, "dtype": None}


@pytest.mark.parametrize("v2", [False, True])
def test_default_transform_reprs(v2: bool) -> None:
    theirs, ours = (T2, E2) if v2 else (TT, ET)
    for n in dir(theirs):
        cls = getattr(theirs, n)
        if n.startswith("_") or not isinstance(cls, type) or n in (
                "InterpolationMode", "AutoAugmentPolicy", "LinearTransformation", "Lambda"):
            continue
        req = [p.name for p in inspect.signature(cls).parameters.values()
               if p.default is inspect.Parameter.empty
               and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        if not set(req) <= set(_REQUIRED):
            continue

        def build(lib: Any, mod: Any, cls_name: str = n, req: list = req) -> Any:
            kw = {k: (lib.float32 if k == "dtype" else _REQUIRED[k]) for k in req}
            return repr(getattr(mod, cls_name)(**kw))

        try:
            want = build(torch, theirs)
        except Exception:  # noqa: BLE001 - e.g. v2's empty containers
            _same_error(lambda: build(ember, ours), lambda: build(torch, theirs))  # noqa: B023
            continue
        assert build(ember, ours) == want.replace("torch.", "ember."), n


@pytest.mark.parametrize("name", ["resnet50", "vgg16_bn", "mobilenet_v3_small", "vit_b_16",
                                  "efficientnet_v2_s", "convnext_tiny", "regnet_y_400mf",
                                  "swin_v2_t", "inception_v3", "squeezenet1_1"])
def test_weight_enums_match(name: str) -> None:
    from torchvision import models as TM

    from ember.vision import models as EM

    tw, ew = TM.get_model_weights(name), EM.get_model_weights(name)
    assert ew.__name__ == tw.__name__ and [w.name for w in ew] == [w.name for w in tw]
    assert ew.DEFAULT.name == tw.DEFAULT.name
    for a, b in zip(tw, ew):
        assert (str(b), repr(b), b.url) == (str(a), repr(a), a.url)
        assert list(b.meta) == list(a.meta)
        for k in a.meta:
            if k != "_docs":  # prose, not data
                assert b.meta[k] == a.meta[k], (a, k)
        assert repr(b.transforms()) == repr(a.transforms())
    assert name in EM.list_models() and name in TM.list_models()


# --------------------------------------------------------------------------- box/point maps
_GEOMETRY = {
    "rotate": lambda F, x: F.rotate(x, 23.0, expand=True),
    "affine": lambda F, x: F.affine(x, angle=12.0, translate=[1.5, -2], scale=1.1,
                                    shear=[4.0, 2.0]),
    "perspective": lambda F, x: F.perspective(x, [[0, 0], [23, 0], [23, 19], [0, 19]],
                                              [[1, 2], [22, 0], [21, 18], [0, 17]]),
}


@pytest.mark.parametrize("op", list(_GEOMETRY))
@pytest.mark.parametrize("kind", ["keypoints", "boxes"])
def test_float32_points_map_bit_exact_for_every_count(op: str, kind: str) -> None:
    """PyTorch's matmul of N points by the transposed matrix rounds differently below and
    above 16 points: both regimes are reproduced."""
    rng = np.random.default_rng(28)
    for n in [2, 3, 5, 8, 12, 15, 16, 17, 24, 40, 100]:
        pts = (rng.random((n, 2)) * [24, 20]).astype(np.float32)
        boxes = np.sort(pts[: max(n // 2, 1) * 2].reshape(-1, 2, 2), axis=1).reshape(-1, 4)
        arr = pts if kind == "keypoints" else boxes

        def make(lib: Any, tv: Any, arr: np.ndarray = arr) -> Any:
            t = lib.from_numpy(arr.copy())
            if kind == "keypoints":
                return tv.KeyPoints(t, canvas_size=(20, 24))
            return tv.BoundingBoxes(t, format="XYXY", canvas_size=(20, 24))

        got = _GEOMETRY[op](EF2, make(ember, EV)).numpy()
        want = _GEOMETRY[op](TF2, make(torch, TV)).numpy()
        np.testing.assert_array_equal(got, want, err_msg=f"{n} points")
