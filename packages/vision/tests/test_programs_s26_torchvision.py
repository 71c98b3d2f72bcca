"""torchvision user programs (session 26), each run with torchvision and with ember.vision
on the same seed and compared on everything they print.

- ``ember.vision.io`` errors carry torchvision's C++ check text: ``op, <source>:<line>,
  message`` (``validate_encoded_data`` for the decoders' byte checks).
- Transform pipelines, tv_tensors and detection ops print the same under a seed.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from _vision_helpers import raised as _error
from _vision_helpers import same_program_output

import ember
import ember.vision.io as EIO
import ember.vision.ops as EO
import ember.vision.transforms as ET
import ember.vision.transforms.v2 as E2

torch = pytest.importorskip("torch")
pytest.importorskip("torchvision")
import torchvision.io as TIO  # noqa: E402
import torchvision.ops as TO  # noqa: E402
import torchvision.transforms as TT  # noqa: E402
import torchvision.transforms.v2 as T2  # noqa: E402


def _io_cases(lib: Any, io_mod: Any, d: str) -> dict:
    """Calls that torchvision's image io refuses, built for one library."""
    u = lib.zeros(3, 4, 4, dtype=lib.uint8)
    junk = lib.tensor(list(b"hello world not an image"), dtype=lib.uint8)
    return {
        "png float": lambda: io_mod.encode_png(u.float()),
        "png 2d": lambda: io_mod.encode_png(u[0]),
        "png 4d": lambda: io_mod.encode_png(u[None]),
        "png 2ch": lambda: io_mod.encode_png(u[:2]),
        "png level": lambda: io_mod.encode_png(u, compression_level=10),
        "jpeg float": lambda: io_mod.encode_jpeg(u.float()),
        "jpeg 2d": lambda: io_mod.encode_jpeg(u[0]),
        "jpeg 4ch": lambda: io_mod.encode_jpeg(lib.zeros(4, 4, 4, dtype=lib.uint8)),
        "write_png float": lambda: io_mod.write_png(u.float(), os.path.join(d, "w.png")),
        "read missing": lambda: io_mod.read_file(os.path.join(d, "nope.png")),
        "read_image missing": lambda: io_mod.read_image(os.path.join(d, "nope.png")),
        "read empty": lambda: io_mod.read_file(os.path.join(d, "empty.png")),
        "decode_image junk": lambda: io_mod.decode_image(junk),
        "decode_image empty": lambda: io_mod.decode_image(lib.zeros(0, dtype=lib.uint8)),
        "decode_image 2d": lambda: io_mod.decode_image(lib.zeros(2, 3, dtype=lib.uint8)),
        "decode_png junk": lambda: io_mod.decode_png(junk),
        "decode_png short": lambda: io_mod.decode_png(lib.tensor([1, 2], dtype=lib.uint8)),
        "decode_jpeg junk": lambda: io_mod.decode_jpeg(junk),
        "decode_png float": lambda: io_mod.decode_png(lib.zeros(10)),
        "decode_gif long": lambda: io_mod.decode_gif(lib.zeros(10, dtype=lib.int64)),
        "decode_webp 2d": lambda: io_mod.decode_webp(lib.zeros(2, 10, dtype=lib.uint8)),
        "decode_jpeg empty": lambda: io_mod.decode_jpeg(lib.zeros(0, dtype=lib.uint8)),
        "write_file float": lambda: io_mod.write_file(os.path.join(d, "w"), lib.zeros(3)),
        "write_file 2d": lambda: io_mod.write_file(os.path.join(d, "w"),
                                                   lib.zeros(2, 3, dtype=lib.uint8)),
    }


def test_io_errors_carry_torchvisions_check_text(tmp_path: Any) -> None:
    d = str(tmp_path)
    open(os.path.join(d, "empty.png"), "wb").close()
    got_cases, want_cases = _io_cases(ember, EIO, d), _io_cases(torch, TIO, d)
    for name, fn in got_cases.items():
        got, want = _error(fn), _error(want_cases[name])
        assert got == (want[0], want[1].replace("torch.uint8", "ember.uint8")), name


IO_ERRORS = """
import torch, os
from torchvision.io import read_image, write_png, encode_png, decode_png, ImageReadMode
x = torch.randint(0, 256, (1, 5, 6), dtype=torch.uint8)
y = decode_png(encode_png(x))
print(torch.equal(x, y), y.shape)
for bad in [torch.rand(3, 4, 4), torch.zeros(2, 4, 4, dtype=torch.uint8)]:
    try:
        write_png(bad, 'z.png')
    except RuntimeError as e:
        print(type(e).__name__, e)
try:
    read_image(os.path.join('missing', 'nope.png'))
except RuntimeError as e:
    print(type(e).__name__, e)
"""


def test_program_io_errors(tmp_path: Any, monkeypatch: Any) -> None:
    same_program_output(IO_ERRORS, tmp_path, monkeypatch)


def _nms_cases(lib: Any, ops: Any) -> list:
    b = lib.tensor([[0., 0., 10., 10.], [1., 1., 11., 11.]])
    s = lib.tensor([0.9, 0.8])
    return [lambda: ops.nms(b[0], s, 0.5), lambda: ops.nms(b[:, :3], s, 0.5),
            lambda: ops.nms(b, s[None], 0.5), lambda: ops.nms(b, lib.ones(3), 0.5),
            lambda: ops.nms(b.long(), s, 0.5), lambda: ops.nms(b.int(), s, 0.5),
            lambda: ops.nms(b.half(), s.half(), 0.5), lambda: ops.nms(b.double(), s, 0.5),
            lambda: ops.batched_nms(b, s.double(), lib.tensor([0, 0]), 0.5)]


def test_nms_errors_carry_torchvisions_kernel_check_text() -> None:
    for got, want in zip(_nms_cases(ember, EO), _nms_cases(torch, TO)):
        assert _error(got) == _error(want)


def _pool_cases(lib: Any, ops: Any) -> list:
    x = lib.ones(1, 4, 4, 4)
    rois = [lib.tensor([[0., 0., 3., 3.]])]
    return [lambda: ops.roi_align(x, rois, 2.5), lambda: ops.roi_align(x, rois, (2, 2.0)),
            lambda: ops.roi_align(x, rois, 2, sampling_ratio=1.5),
            lambda: ops.roi_pool(x, rois, 2.5), lambda: ops.roi_pool(x, rois, (1, 1.0)),
            lambda: ops.ps_roi_align(x, rois, 1.5), lambda: ops.ps_roi_pool(x, rois, 1.5),
            lambda: ops.ps_roi_align(x, rois, 2, sampling_ratio=0.5)]


def test_pooled_size_of_a_float_fails_as_the_schema_cast() -> None:
    for got, want in zip(_pool_cases(ember, EO), _pool_cases(torch, TO)):
        assert _error(got) == _error(want)


def test_transform_messages_keep_torchvision_text() -> None:
    # (PyTorch's literal 'torch' wording is kept in messages, as elsewhere in Ember)
    cases = [(lambda T, lib: T.Normalize([0.5], [0.5])(lib.rand(2)), False),
             (lambda T, lib: T.functional.rotate(lib.rand(3), 30.0), False),
             (lambda T, lib: T.functional.resize(lib.rand(4), [2, 2]), False),
             (lambda T, lib: T.ToDtype("float32"), True),
             (lambda T, lib: T.ToDtype({T.Identity: lib.float32})(lib.rand(2)), True)]
    for fn, v2 in cases:
        got = _error(lambda fn=fn, v2=v2: fn(E2 if v2 else ET, ember))
        want = _error(lambda fn=fn, v2=v2: fn(T2 if v2 else TT, torch))
        assert got == (want[0], want[1].replace("<class 'torch.", "<class 'ember."))


V2_DETECTION = """
import torch
from torchvision.transforms import v2
from torchvision import tv_tensors
torch.manual_seed(0)
img = torch.randint(0, 256, (3, 32, 48), dtype=torch.uint8)
boxes = tv_tensors.BoundingBoxes([[2, 3, 20, 25], [10, 10, 40, 30], [0, 0, 1, 1]], format="XYXY", canvas_size=(32, 48))
labels = torch.tensor([1, 2, 3])
print(boxes)
tf = v2.Compose([v2.RandomHorizontalFlip(p=1.0), v2.Resize((16, 24)), v2.ToDtype(torch.float32, scale=True)])
print(tf)
out_img, out_boxes, out_labels = tf(img, boxes, labels)
print(type(out_img).__name__, out_img.shape, out_img.dtype)
print(out_boxes, out_labels)
sample = {"image": tv_tensors.Image(img), "boxes": boxes, "labels": labels}
crop = v2.Compose([v2.RandomIoUCrop(), v2.SanitizeBoundingBoxes()]) if False else v2.Compose([v2.RandomCrop((20, 20)), v2.SanitizeBoundingBoxes(min_size=2)])
res = crop(sample)
print(res["boxes"], res["labels"])
m = tv_tensors.Mask(torch.zeros(32, 48, dtype=torch.uint8))
m[5:10, 5:20] = 1
f = v2.RandomVerticalFlip(p=1.0)(m)
print(type(f).__name__, f.sum(), f[22:27, 5].tolist())
print(v2.functional.horizontal_flip(boxes))
print(v2.ConvertBoundingBoxFormat("CXCYWH")(boxes))
"""


OPS_FPN = """
import torch
from collections import OrderedDict
from torchvision import ops
torch.manual_seed(0)
fpn = ops.FeaturePyramidNetwork([4, 8], 6)
print(fpn)
feats = OrderedDict(a=torch.randn(1, 4, 16, 16), b=torch.randn(1, 8, 8, 8))
out = fpn(feats)
for k, v in out.items():
    print(k, v.shape, f"{v.mean():.4f}")
ms = ops.MultiScaleRoIAlign(['a', 'b'], 3, 2)
print(ms)
boxes = [torch.tensor([[0., 0., 10., 10.], [4., 4., 30., 30.]])]
r = ms(out, boxes, [(64, 64)])
print(r.shape, f"{r.sum():.4f}")
m = torch.zeros(2, 10, 10); m[0, 2:5, 3:7] = 1; m[1, 6:9, 0:2] = 1
print(ops.masks_to_boxes(m))
a = torch.tensor([[0., 0., 4., 4.], [1., 1., 5., 6.]]); b = torch.tensor([[2., 2., 6., 6.], [0., 0., 4., 4.]])
print(ops.complete_box_iou(a, b)); print(ops.distance_box_iou(a, b))
print(ops.generalized_box_iou_loss(a, b, reduction='sum'), ops.complete_box_iou_loss(a, b), ops.distance_box_iou_loss(a, b, reduction='mean'))
x = torch.randn(1, 8, 6, 6)
print(ops.ps_roi_align(x, torch.tensor([[0, 0., 0., 4., 4.]]), 2).shape)
print(ops.ps_roi_pool(x, torch.tensor([[0, 0., 0., 4., 4.]]), 2))
off = torch.zeros(1, 18, 4, 4); w = torch.randn(2, 8, 3, 3)
print(ops.deform_conv2d(x, off, w).shape, torch.allclose(ops.deform_conv2d(x, off, w), torch.nn.functional.conv2d(x, w), atol=1e-5))
"""


FUNCTIONAL_V1 = """
import torch
from torchvision import transforms as T
from torchvision.transforms import functional as F
from PIL import Image
import numpy as np
torch.manual_seed(0)
g = Image.fromarray((np.arange(10*12) * 2 % 256).astype(np.uint8).reshape(10, 12), mode='L')
t = T.ToTensor()(g)
print(t.shape, t.dtype, t[0, 0, :4])
print(T.PILToTensor()(g).shape)
rgba = Image.fromarray(np.full((4, 4, 4), 200, np.uint8), mode='RGBA')
print(T.ToTensor()(rgba).shape)
print(F.to_tensor(np.zeros((3, 3, 2), np.float32)).shape)
print(F.to_tensor(np.arange(12, dtype=np.uint8).reshape(2, 2, 3))[:, 0, 0])
p = F.to_pil_image(torch.rand(1, 4, 4)); print(p.mode, p.size)
p = F.to_pil_image(torch.rand(3, 4, 4)); print(p.mode)
p = F.to_pil_image((torch.rand(4, 4) * 255).byte()); print(p.mode)
print(np.asarray(F.to_pil_image(torch.tensor([[[0.5, 1.0]]]))))
print(F.normalize(torch.ones(3, 2, 2), [0.5] * 3, [0.25] * 3)[0])
print(F.hflip(torch.arange(6.).reshape(1, 2, 3)), F.vflip(torch.arange(6.).reshape(1, 2, 3)))
print(F.center_crop(torch.arange(16.).reshape(1, 4, 4), [2, 2]))
print(F.pad(torch.arange(4.).reshape(1, 2, 2), [1, 1], padding_mode='symmetric'))
print(F.affine(torch.arange(16.).reshape(1, 4, 4), angle=90, translate=[0, 0], scale=1.0, shear=[0.0]))
print(F.rgb_to_grayscale(torch.rand(3, 2, 2)))
print(F.erase(torch.ones(1, 3, 3), 0, 0, 2, 2, torch.zeros(1)))
try:
    F.to_pil_image(torch.rand(5, 4, 4))
except Exception as e:
    print(type(e).__name__, e)
try:
    F.normalize(torch.ones(2, 2), [0.5], [0.5])
except Exception as e:
    print(type(e).__name__, e)
"""


@pytest.mark.parametrize("src", [V2_DETECTION, OPS_FPN, FUNCTIONAL_V1],
                         ids=["v2_detection", "ops_fpn", "functional_v1"])
def test_programs_print_the_same(src: str, tmp_path: Any, monkeypatch: Any) -> None:
    same_program_output(src, tmp_path, monkeypatch)
