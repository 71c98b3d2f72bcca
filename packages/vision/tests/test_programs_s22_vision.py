"""torchvision user programs run side by side (session 22), each checked against
torchvision 0.29 on the same inputs.

- ``make_grid(normalize=True)`` of an integer batch raises PyTorch's error for the in-place
  op that fails: float bounds fail in ``clamp_`` (C++ type name), int bounds pass it unless
  they overflow the dtype and then fail in ``div_`` (ScalarType name; bool fails on the Long
  scalar).
- ``draw_bounding_boxes`` of a 1-D box raises the IndexError of ``boxes[:, 0]``.
- The "transforms v2 getting started" detection pipeline, an ImageFolder + DataLoader v2
  pipeline and a frozen-backbone fine-tuning loop give torchvision's results under a seed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _vision_helpers import raised as _error

import ember
import ember.vision.transforms.v2 as EV2
import ember.vision.utils as EU
from ember.vision import datasets as ED
from ember.vision import models as EM
from ember.vision import tv_tensors as ETV

torch = pytest.importorskip("torch")
tv = pytest.importorskip("torchvision")
import torchvision.transforms.v2 as TV2  # noqa: E402
import torchvision.utils as TU  # noqa: E402
from torchvision import datasets as TD  # noqa: E402
from torchvision import models as TM  # noqa: E402
from torchvision import tv_tensors as TTV  # noqa: E402


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int32", "int64", "bool"])
@pytest.mark.parametrize("value_range", [None, (0, 1), (0, 255), (-1, 300), (0.0, 1), (0, 1.0)])
def test_make_grid_normalize_of_integer_images_errors(dtype: str, value_range: Any) -> None:
    got = _error(lambda: EU.make_grid(ember.ones(2, 3, 4, 4, dtype=getattr(ember, dtype)),
                                      normalize=True, value_range=value_range))
    want = _error(lambda: TU.make_grid(torch.ones(2, 3, 4, 4, dtype=getattr(torch, dtype)),
                                       normalize=True, value_range=value_range))
    assert got == want


def test_draw_bounding_boxes_of_a_1d_box() -> None:
    img = np.zeros((3, 10, 10), dtype=np.uint8)
    box = np.array([1.0, 1, 5, 5], dtype=np.float32)
    got = _error(lambda: EU.draw_bounding_boxes(ember.from_numpy(img), ember.from_numpy(box)))
    want = _error(lambda: TU.draw_bounding_boxes(torch.from_numpy(img), torch.from_numpy(box)))
    assert got == want


def _detection_sample(lib: Any, tvt: Any) -> dict:
    h, w = 96, 128
    rs = np.random.RandomState(0)
    img = rs.randint(0, 256, (3, h, w), dtype=np.uint8)
    xy = rs.randint(0, 80, (5, 2)).astype(np.float32)
    boxes = np.concatenate([xy, xy + rs.randint(4, 40, (5, 2))], 1).astype(np.float32)
    masks = np.zeros((5, h, w), dtype=np.uint8)
    for i, (x0, y0, x1, y1) in enumerate(boxes.astype(int)):
        masks[i, y0:y1, x0:x1] = 1
    return {"image": tvt.Image(lib.from_numpy(img)),
            "boxes": tvt.BoundingBoxes(lib.from_numpy(boxes), format="XYXY", canvas_size=(h, w)),
            "masks": tvt.Mask(lib.from_numpy(masks)), "labels": lib.arange(5)}


def _pipeline(lib: Any, v2: Any, tvt: Any) -> Any:
    return v2.Compose([
        v2.ToImage(), v2.RandomPhotometricDistort(p=1),
        v2.RandomZoomOut(fill={tvt.Image: (123, 117, 104), "others": 0}), v2.RandomIoUCrop(),
        v2.RandomHorizontalFlip(p=1), v2.SanitizeBoundingBoxes(),
        v2.ToDtype(lib.float32, scale=True),
        v2.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])])


@pytest.mark.parametrize("seed", [0, 3, 7])
def test_getting_started_detection_pipeline_under_a_seed(seed: int) -> None:
    tp, ep = _pipeline(torch, TV2, TTV), _pipeline(ember, EV2, ETV)
    assert repr(ep) == repr(tp)
    torch.manual_seed(seed)
    want = tp(_detection_sample(torch, TTV))
    ember.manual_seed(seed)
    got = ep(_detection_sample(ember, ETV))
    assert list(got) == list(want)
    for key in want:
        assert type(got[key]).__name__ == type(want[key]).__name__
        assert str(got[key].dtype).split(".")[-1] == str(want[key].dtype).split(".")[-1]
        np.testing.assert_allclose(got[key].numpy(), want[key].numpy(), rtol=1e-6, atol=1e-5)
    assert got["boxes"].canvas_size == want["boxes"].canvas_size


def _image_tree(root: Path) -> None:
    from PIL import Image

    rs = np.random.RandomState(0)
    for cls in ("dog", "cat", "bird"):
        (root / cls).mkdir()
        for i, ext in enumerate((".png", ".jpg", ".png", ".txt")):
            if ext == ".txt":
                (root / cls / "notes.txt").write_text("not an image")
                continue
            Image.fromarray(rs.randint(0, 256, (20 + 3 * i, 24, 3), dtype=np.uint8)).save(
                root / cls / f"img{i}{ext}")


def test_image_folder_dataloader_v2_pipeline(tmp_path: Path) -> None:
    _image_tree(tmp_path)

    def batches(lib: Any, datasets: Any, v2: Any) -> list:
        tf = v2.Compose([v2.ToImage(), v2.RandomResizedCrop(16), v2.RandomHorizontalFlip(),
                         v2.ToDtype(lib.float32, scale=True)])
        ds = datasets.ImageFolder(str(tmp_path), transform=tf)
        assert (ds.classes, ds.class_to_idx, len(ds)) == (
            ["bird", "cat", "dog"], {"bird": 0, "cat": 1, "dog": 2}, 9)
        lib.manual_seed(0)
        loader = lib.utils.data.DataLoader(ds, batch_size=4, shuffle=True)
        return [(type(x).__name__, x.numpy(), y.numpy()) for x, y in loader]

    want = batches(torch, TD, TV2)
    got = batches(ember, ED, EV2)
    assert len(got) == len(want)
    for (gt, gx, gy), (wt, wx, wy) in zip(got, want):
        assert gt == wt
        np.testing.assert_array_equal(gy, wy)
        np.testing.assert_allclose(gx, wx, rtol=1e-6, atol=1e-6)


def test_fine_tuning_a_frozen_resnet_head_in_float64() -> None:
    x = np.random.RandomState(0).rand(4, 3, 16, 16)
    y = np.array([0, 1, 2, 0])

    def run(lib: Any, models: Any) -> tuple:
        lib.manual_seed(0)
        model = models.resnet18().double()
        model.requires_grad_(False)
        model.fc = lib.nn.Linear(model.fc.in_features, 3).double()
        opt = lib.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.01,
                            momentum=0.9)
        losses = []
        for _ in range(3):
            opt.zero_grad()
            loss = lib.nn.functional.cross_entropy(model(lib.from_numpy(x)), lib.from_numpy(y))
            loss.backward()
            opt.step()
            losses.append(loss.item())
        trainable = [n for n, p in model.named_parameters() if p.requires_grad]
        return (losses, trainable, model.conv1.weight.grad is None,
                model.fc.weight.detach().numpy(), model.bn1.running_mean.numpy())

    got, want = run(ember, EM), run(torch, TM)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-12)
    assert got[1:3] == want[1:3] == (["fc.weight", "fc.bias"], True)
    np.testing.assert_allclose(got[3], want[3], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got[4], want[4], rtol=1e-10, atol=1e-12)


def test_sbd_without_its_split_file_is_a_file_not_found_error(tmp_path: Path) -> None:
    got = _error(lambda: ED.SBDataset(str(tmp_path)))[0]
    want = _error(lambda: TD.SBDataset(str(tmp_path)))[0]
    assert got is want is FileNotFoundError


def _custom_tv_tensor(tvt: Any) -> type:
    return type("MyTVTensor", (tvt.TVTensor,), {})


def test_custom_tv_tensor_built_from_a_tensor_keeps_its_type() -> None:
    got = _custom_tv_tensor(ETV)(ember.zeros(2))
    want = _custom_tv_tensor(TTV)(torch.zeros(2))
    assert type(got).__name__ == type(want).__name__ == "MyTVTensor"
    assert repr(got) == repr(want)
    assert repr(ETV.TVTensor(ember.zeros(1))) == repr(TTV.TVTensor(torch.zeros(1)))


def _register_errors(lib: Any, f2: Any, tvt: Any) -> list:
    """What register_kernel raises (type, and the message with the namespaces dropped) for
    each misuse, after one valid registration by name."""
    cls = _custom_tv_tensor(tvt)
    f2.register_kernel("vertical_flip", cls)(lambda inpt: inpt * 0)
    out = [type(f2.vertical_flip(lib.ones(2).as_subclass(cls))).__name__]
    for functional, typ in [("vertical_flip", cls), (f2.vertical_flip, cls), ("nope", cls),
                            ("_get_kernel", cls), (len, cls), (f2.horizontal_flip, lib.Tensor),
                            (f2.horizontal_flip, tvt.Image), (f2.horizontal_flip, tvt.TVTensor),
                            (f2.horizontal_flip, tvt.BoundingBoxes)]:
        with pytest.raises(ValueError) as info:
            f2.register_kernel(functional, typ)
        msg = str(info.value).split(" in ")[0].split(" from the ")[0].split(", but got")[0]
        out.append(msg.split(" at 0x")[0])
    return out


def test_register_kernel_checks_as_torchvision() -> None:
    import torchvision.transforms.v2.functional as TF2

    import ember.vision.transforms.v2.functional as EF2

    got = _register_errors(ember, EF2, ETV)
    want = _register_errors(torch, TF2, TTV)
    assert got[0] == want[0] == "Tensor"
    assert [m.replace("ember.vision", "torchvision") for m in got] == want


@pytest.mark.parametrize("mode", ["I", "F", "I;16"])
def test_to_tensor_of_a_wide_pil_image_copies_it(mode: str) -> None:
    import warnings

    import torchvision.transforms.functional as TF
    from PIL import Image

    import ember.vision.transforms.functional as EF

    a = np.random.RandomState(0).randint(0, 256, (6, 8)).astype(np.uint16) * 200
    pic = Image.fromarray(a).convert(mode) if mode != "I;16" else Image.fromarray(a)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "non-writable NumPy array" warning
        got = EF.to_tensor(pic)
    want = TF.to_tensor(pic)
    assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
    np.testing.assert_array_equal(got.numpy(), want.numpy())


_NORMALIZE_CASES = [((3, 4, 5), [0.5] * 2, [0.5] * 2, False), ((3, 4, 5), [0.5] * 3, [0.5] * 2, False),
                    ((1, 4, 5), [0.5] * 3, [0.5] * 3, False), ((1, 4, 5), [0.5], [0.5] * 3, False),
                    ((3, 4, 5), [0.5] * 2, [0.5] * 2, True), ((1, 4, 5), [0.5] * 3, [0.5] * 3, True),
                    ((2, 3, 4, 5), [0.5] * 2, [0.5] * 2, False),
                    ((3, 4, 5), [0.5, 0.1, 0.2], [0.3, 0.2, 0.7], False)]


@pytest.mark.parametrize("shape,mean,std,inplace", _NORMALIZE_CASES)
@pytest.mark.parametrize("v2", [False, True])
def test_normalize_with_channels_that_do_not_fit(shape: Any, mean: Any, std: Any, inplace: bool,
                                                 v2: bool) -> None:
    """v1 subtracts in place from a clone (a mean that widens the image fails), v2 out of
    place: the results, or PyTorch's RuntimeError, as torchvision."""
    import torchvision.transforms.functional as TF
    import torchvision.transforms.v2.functional as TF2

    import ember.vision.transforms.functional as EF
    import ember.vision.transforms.v2.functional as EF2

    a = np.random.RandomState(0).rand(*shape).astype(np.float32)
    ef, tf = (EF2.normalize, TF2.normalize) if v2 else (EF.normalize, TF.normalize)
    try:
        want = tf(torch.from_numpy(a.copy()), mean, std, inplace=inplace)
    except RuntimeError:
        with pytest.raises(RuntimeError, match="must match the size|doesn't match the broadcast"):
            ef(ember.from_numpy(a.copy()), mean, std, inplace=inplace)
        return
    got = ef(ember.from_numpy(a.copy()), mean, std, inplace=inplace)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6, atol=1e-6)


def _passthrough_warnings(lib: Any, v2: Any, tvt: Any) -> list:
    import warnings

    img = tvt.Image(lib.zeros(3, 20, 24, dtype=lib.uint8))
    kp = tvt.KeyPoints(lib.tensor([[2.0, 3]]), canvas_size=(20, 24))
    bb = tvt.BoundingBoxes(lib.tensor([[2.0, 3, 5, 6]]), format="XYXY", canvas_size=(20, 24))
    mask = tvt.Mask(lib.ones(20, 24, dtype=lib.uint8))
    out = []
    for t, args in [(v2.RandomErasing(p=1), (img, kp, bb, mask)), (v2.RandomErasing(p=0), (img, bb)),
                    (v2.FiveCrop(10), (img, kp)), (v2.TenCrop(10), (img, kp))]:
        lib.manual_seed(0)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            t(*args)
        out.append([(w.category, str(w.message)) for w in caught])
    return out


def test_transforms_warn_when_passing_boxes_points_and_masks_through() -> None:
    assert _passthrough_warnings(ember, EV2, ETV) == _passthrough_warnings(torch, TV2, TTV)


def test_to_dtype_warns_about_plain_tensors_next_to_images() -> None:
    import warnings

    def caught(lib: Any, v2: Any, tvt: Any) -> list:
        with warnings.catch_warnings(record=True) as got:
            warnings.simplefilter("always")
            v2.ToDtype({lib.Tensor: lib.float32, tvt.Image: lib.float32})
            v2.ToDtype({tvt.Image: lib.float32, "others": None})
        return [(w.category, str(w.message).replace("ember.", "torch.")) for w in got]

    want = caught(torch, TV2, TTV)
    assert len(want) == 1
    assert caught(ember, EV2, ETV) == want
