"""Vision transform pipeline throughput: RandomResizedCrop(224) + RandomHorizontalFlip +
ToTensor + Normalize on 32 random 256x256 RGB PIL images, ember.vision against torchvision
(the per-call time covers the 32 images)."""

import numpy as np

from tools.bench.harness import register

N_IMAGES, SIZE = 32, 256
MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def _images():
    from PIL import Image

    rng = np.random.default_rng(0)
    return [Image.fromarray(rng.integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8))
            for _ in range(N_IMAGES)]


def _pipeline(lib, transforms):
    images = _images()
    pipeline = transforms.Compose([
        transforms.RandomResizedCrop(224),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
        transforms.Normalize(MEAN, STD),
    ])
    lib.manual_seed(0)

    def run():
        for image in images:
            pipeline(image)

    return run


def _ember():
    import ember
    import ember.vision.transforms as transforms

    return _pipeline(ember, transforms)


def _torch():
    import torch
    import torchvision.transforms as transforms

    return _pipeline(torch, transforms)


register("vision_transforms_rrc_flip_totensor_normalize", ember=_ember, torch=_torch)
