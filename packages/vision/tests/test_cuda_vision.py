"""ember.vision on the CUDA backend: models, ops and tensor transforms give the CPU's numbers.

Skipped where no GPU is usable (CI); they run on GPU machines.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

import ember
from ember.vision import models, ops
from ember.vision.transforms import v2

pytestmark = pytest.mark.skipif(not ember.cuda.is_available(), reason="no CUDA device")


@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v3_small", "vit_tiny"])
def test_model_forward_backward_matches_cpu(name):
    ember.manual_seed(0)
    if name == "vit_tiny":
        cpu = models.VisionTransformer(image_size=32, patch_size=8, num_layers=2, num_heads=2,
                                       hidden_dim=16, mlp_dim=32, num_classes=5)
    else:
        cpu = models.get_model(name, num_classes=5)
    cpu = cpu.double().eval()
    gpu = copy.deepcopy(cpu).cuda()
    x = np.random.default_rng(0).standard_normal((2, 3, 32, 32))
    outs = []
    for model, dev in ((cpu, "cpu"), (gpu, "cuda")):
        out = model(ember.tensor(x, device=dev))
        out.sum().backward()
        outs.append(out)
    np.testing.assert_allclose(outs[1].detach().cpu().numpy(), outs[0].detach().numpy(),
                               rtol=1e-8, atol=1e-9)
    for (n, pc), pg in zip(cpu.named_parameters(), gpu.parameters()):
        np.testing.assert_allclose(pg.grad.cpu().numpy(), pc.grad.numpy(), rtol=1e-7,
                                   atol=1e-9, err_msg=n)


def test_detection_ops_match_cpu():
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 20, (30, 2))
    boxes = np.concatenate([xy, xy + rng.uniform(1, 10, (30, 2))], 1)
    scores = rng.random(30)
    feats = rng.standard_normal((1, 2, 16, 16))
    rois = np.array([[0, 1.0, 1.0, 9.0, 12.0], [0, 3.5, 2.0, 15.0, 8.0]])
    res = []
    for dev in ("cpu", "cuda"):
        b, s = ember.tensor(boxes, device=dev), ember.tensor(scores, device=dev)
        keep = ops.nms(b, s, 0.5)
        iou = ops.box_iou(b, b)
        f = ember.tensor(feats, device=dev, requires_grad=True)
        pooled = ops.roi_align(f, ember.tensor(rois, device=dev), (3, 3), 0.5, 2, aligned=True)
        pooled.sum().backward()
        assert keep.device.type == dev and pooled.device.type == dev
        res.append([keep.cpu().numpy(), iou.cpu().numpy(), pooled.detach().cpu().numpy(),
                    f.grad.cpu().numpy()])
    for got, ref in zip(res[1], res[0]):
        np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-9)


def test_tensor_transforms_on_cuda_match_cpu():
    # float images: every step computes the same arithmetic on both devices
    img = np.random.default_rng(0).integers(0, 256, (3, 40, 48), dtype=np.uint8)
    pipeline = v2.Compose([v2.ToDtype(ember.float32, scale=True),
                           v2.RandomResizedCrop(24, antialias=True), v2.RandomHorizontalFlip(),
                           v2.ColorJitter(0.3, 0.3, 0.3, 0.1),
                           v2.Normalize([0.5] * 3, [0.25] * 3), v2.RandomErasing(1.0)])
    res = []
    for dev in ("cpu", "cuda"):
        ember.manual_seed(3)
        out = pipeline(ember.tensor(img, device=dev))
        assert out.device.type == dev and out.dtype == ember.float32
        res.append(out.cpu().numpy())
    np.testing.assert_allclose(res[1], res[0], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_uint8_resize_on_cuda_goes_through_float(mode):
    # as in PyTorch, CUDA resizes uint8 through float32 (the CPU uses integer weights, which
    # differ from the float path by up to 5 levels for bicubic, in torchvision too)
    from ember.vision.transforms import _functional_tensor as F_t

    img = ember.tensor(np.random.default_rng(1).integers(0, 256, (2, 3, 37, 45), dtype=np.uint8))
    interp = v2.InterpolationMode(mode)
    got = v2.functional.resize(img.cuda(), [20, 29], interp, antialias=True).cpu().numpy()
    ref = F_t.resize(img, (20, 29), mode, antialias=True, v2=True).numpy()
    assert got.dtype == np.uint8 and got.shape == (2, 3, 20, 29)
    assert np.abs(got.astype(int) - ref.astype(int)).max() <= 1
