"""LeNet-5 (LeCun et al., "Gradient-Based Learning Applied to Document Recognition"), the
classic digit classifier; Ember's addition (torchvision has no LeNet)."""

from __future__ import annotations

from typing import Any

from ember import Tensor, flatten, nn

from ._api import register_model
from ._utils import _load_weights

__all__ = ["LeNet", "lenet"]


class LeNet(nn.Module):
    """Two 5x5 convolutions (6 and 16 maps) with ReLU and 2x2 max-pooling, then linear layers
    of 120, 84 and ``num_classes`` units. Takes ``in_channels`` x 28 x 28 images (the first
    convolution pads by 2, so the maps are 28x28 as in the original 32x32 design); other
    sizes are pooled to 5x5 before the classifier."""

    def __init__(self, num_classes: int = 10, in_channels: int = 1) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, kernel_size=5, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=2, stride=2),
            nn.Conv2d(6, 16, kernel_size=5), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=2, stride=2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((5, 5))
        self.classifier = nn.Sequential(
            nn.Linear(16 * 5 * 5, 120), nn.ReLU(inplace=True),
            nn.Linear(120, 84), nn.ReLU(inplace=True),
            nn.Linear(84, num_classes),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(flatten(self.avgpool(self.features(x)), 1))


@register_model()
def lenet(*, weights: Any = None, progress: bool = True, **kwargs: Any) -> LeNet:
    """LeNet-5 for 28x28 digits. ``weights`` may be the path of a saved state dict."""
    from ._api import LocalWeights, WeightsEnum

    weights = None if weights is None else (
        weights if isinstance(weights, (LocalWeights, WeightsEnum)) else LocalWeights(weights))
    return _load_weights(LeNet(**kwargs), weights, progress)
