"""AlexNet ("One weird trick for parallelizing convolutional neural networks" variant)."""

from __future__ import annotations

from typing import Any

from ember import Tensor, flatten, nn

from ._api import WeightsEnum, register_model
from ._meta import _REF, _imagenet
from ._utils import _apply_weights_config, _load_weights, _verify

__all__ = ["AlexNet", "AlexNet_Weights", "alexnet"]


class AlexNet(nn.Module):
    """Five convolutions with max-pooling, a 6x6 adaptive average pool and three linear layers
    with dropout."""

    def __init__(self, num_classes: int = 1000, dropout: float = 0.5) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(64, 192, kernel_size=5, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(192, 384, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True),
            nn.Dropout(p=dropout), nn.Linear(4096, 4096), nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(flatten(self.avgpool(self.features(x)), 1))


class AlexNet_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/alexnet-owt-7be5be79.pth", crop_size=224,
        num_params=61100840, min_size=(63, 63), acc=(56.522, 79.066), ops=0.714, file_size=233.087,
        recipe=_REF + "#alexnet-and-vgg")
    DEFAULT = IMAGENET1K_V1


@register_model()
def alexnet(*, weights: AlexNet_Weights | None = None, progress: bool = True,
            **kwargs: Any) -> AlexNet:
    """AlexNet from "One weird trick for parallelizing convolutional neural networks"."""
    weights = _verify(AlexNet_Weights, weights, kwargs)
    _apply_weights_config(weights, kwargs)
    return _load_weights(AlexNet(**kwargs), weights, progress)
