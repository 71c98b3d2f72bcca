"""Vision and generative-model user programs (session 25), each run with torchvision and
with ember.vision on the same seed and compared on everything they print.

- ``make_grid`` of a batch with more than 4 dims raises the error of torchvision's
  ``copy_`` of an image into its (C, H, W) grid cell (a broadcast size mismatch, or an
  output/broadcast shape mismatch).
- DCGAN, spatial-transformer and detection-ops programs print the same under a seed.
"""

from __future__ import annotations

from typing import Any

import pytest
from _vision_helpers import raised as _error
from _vision_helpers import same_program_output

import ember
import ember.vision.utils as EU

torch = pytest.importorskip("torch")
pytest.importorskip("torchvision")
import torchvision.utils as TU  # noqa: E402


@pytest.mark.parametrize("shape", [(2, 2, 3, 4, 5), (2, 1, 1, 3, 4), (2, 5, 2, 3, 4), (2, 2, 1, 1, 1),
                                   (3, 3, 4, 5, 6, 7)])
def test_make_grid_of_a_batch_over_4d_raises_the_copy_error(shape: tuple) -> None:
    got = _error(lambda: EU.make_grid(ember.zeros(*shape)))
    want = _error(lambda: TU.make_grid(torch.zeros(*shape)))
    assert got == want


DCGAN = """
import torch
import torch.nn as nn
import torch.optim as optim
import torchvision.utils as vutils
torch.manual_seed(999)
nc, nz, ngf, ndf = 3, 8, 4, 4
def weights_init(m):
    classname = m.__class__.__name__
    if classname.find('Conv') != -1:
        nn.init.normal_(m.weight.data, 0.0, 0.02)
    elif classname.find('BatchNorm') != -1:
        nn.init.normal_(m.weight.data, 1.0, 0.02)
        nn.init.constant_(m.bias.data, 0)
netG = nn.Sequential(
    nn.ConvTranspose2d(nz, ngf * 4, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),
    nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
    nn.ConvTranspose2d(ngf * 2, nc, 4, 2, 1, bias=False), nn.Tanh())
netD = nn.Sequential(
    nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
    nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2),
    nn.LeakyReLU(0.2, inplace=True), nn.Conv2d(ndf * 2, 1, 4, 1, 0, bias=False), nn.Sigmoid())
netG.apply(weights_init); netD.apply(weights_init)
print(netG); print(netD)
criterion = nn.BCELoss()
fixed_noise = torch.randn(4, nz, 1, 1)
optimizerD = optim.Adam(netD.parameters(), lr=0.0002, betas=(0.5, 0.999))
optimizerG = optim.Adam(netG.parameters(), lr=0.0002, betas=(0.5, 0.999))
data = torch.rand(8, nc, 16, 16) * 2 - 1
for i in range(2):
    netD.zero_grad()
    label = torch.full((8,), 1., dtype=torch.float)
    output = netD(data).view(-1)
    errD_real = criterion(output, label)
    errD_real.backward()
    D_x = output.mean().item()
    fake = netG(torch.randn(8, nz, 1, 1))
    label.fill_(0.)
    output = netD(fake.detach()).view(-1)
    errD_fake = criterion(output, label)
    errD_fake.backward()
    D_G_z1 = output.mean().item()
    errD = errD_real + errD_fake
    optimizerD.step()
    netG.zero_grad()
    label.fill_(1.)
    output = netD(fake).view(-1)
    errG = criterion(output, label)
    errG.backward()
    optimizerG.step()
    print('[%d/2] Loss_D: %.4f Loss_G: %.4f D(x): %.4f D(G(z)): %.4f / %.4f'
          % (i, errD.item(), errG.item(), D_x, D_G_z1, output.mean().item()))
with torch.no_grad():
    fake = netG(fixed_noise).detach().cpu()
grid = vutils.make_grid(fake, padding=2, normalize=True)
print(grid.shape, grid.dtype, grid[:, 0, :6])
print(type(errD.grad_fn).__name__, type(errG.grad_fn).__name__)
print(netG[1].running_var, netG[1].num_batches_tracked)
try:
    vutils.make_grid(torch.rand(2, 2, 3, 4, 5))
except Exception as e:
    print(type(e).__name__, e)
"""

STN = """
import torch
import torch.nn.functional as F
theta = torch.tensor([[[0.9, 0.1, 0.05], [-0.1, 1.1, 0.0]]], requires_grad=True)
img = torch.arange(16.).view(1, 1, 4, 4).requires_grad_()
for ac in (True, False):
    g = F.affine_grid(theta, (1, 1, 3, 3), align_corners=ac)
    print(g)
    for mode in ('bilinear', 'nearest', 'bicubic'):
        for pm in ('zeros', 'border', 'reflection'):
            print(ac, mode, pm, F.grid_sample(img, g, mode=mode, padding_mode=pm, align_corners=ac))
out = F.grid_sample(img, F.affine_grid(theta, (1, 1, 3, 3), align_corners=False), align_corners=False)
out.sum().backward()
print(theta.grad[0, :, 2], img.grad)  # the other entries cancel to float32 noise
"""

OPS = """
import torch
from torchvision.ops import nms, box_iou, roi_align, batched_nms, roi_pool, generalized_box_iou
boxes = torch.tensor([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30], [21, 19, 29, 31], [0, 0, 5, 5.]])
scores = torch.tensor([0.9, 0.8, 0.7, 0.95, 0.3])
print(nms(boxes, scores, 0.5), box_iou(boxes, boxes), generalized_box_iou(boxes[:2], boxes[2:]))
print(batched_nms(boxes, scores, torch.tensor([0, 1, 0, 0, 1]), 0.3))
feat = torch.arange(2 * 1 * 8 * 8, dtype=torch.float).view(2, 1, 8, 8)
rois = torch.tensor([[0, 0, 0, 4, 4], [1, 2, 2, 7, 7], [0, 1.5, 1.5, 3.5, 5.2]])
print(roi_align(feat, rois, output_size=(2, 2), spatial_scale=1.0, sampling_ratio=2))
print(roi_align(feat, rois, output_size=2, spatial_scale=0.5, sampling_ratio=-1, aligned=True))
print(roi_pool(feat, rois, output_size=(2, 2)))
"""


@pytest.mark.parametrize("src", [DCGAN, STN, OPS], ids=["dcgan", "stn", "ops"])
def test_program_prints_the_same(src: str, tmp_path: Any, monkeypatch: Any) -> None:
    same_program_output(src, tmp_path, monkeypatch)
