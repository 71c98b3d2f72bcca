"""v2 transforms over the functionals of :mod:`._functional_augment`: Gaussian noise, a JPEG
round trip at a random quality, and uniform temporal subsampling of videos
(torchvision.transforms.v2 ``GaussianNoise``, ``JPEG``, ``UniformTemporalSubsample``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ember
from ember import Tensor

from .._transform_args import _check_sequence_input
from . import functional as F
from ._transform import Transform

__all__ = ["GaussianNoise", "JPEG", "UniformTemporalSubsample"]


class GaussianNoise(Transform):
    """Add ``N(mean, sigma)`` noise to images and videos (float in ``[0, 1]`` or ``uint8``,
    the parameters on the float scale), clipped to the dtype's range when ``clip``; every
    element gets its own draw. PIL images are not supported."""

    def __init__(self, mean: float = 0.0, sigma: float = 0.1, clip: bool = True) -> None:
        super().__init__()
        self.mean = mean
        self.sigma = sigma
        self.clip = clip

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(F.gaussian_noise, inpt, mean=self.mean, sigma=self.sigma,
                                 clip=self.clip)


class JPEG(Transform):
    """JPEG-compress and decompress images (``uint8`` tensors ``(..., 1 or 3, H, W)`` or PIL)
    at ``quality`` (1 to 100), or at a quality drawn uniformly from ``(min, max)`` per call."""

    def __init__(self, quality: int | Sequence[int]) -> None:
        super().__init__()
        if isinstance(quality, int):
            if isinstance(quality, bool):
                raise TypeError("quality can't be bool")
            quality = [quality, quality]
        else:
            _check_sequence_input(quality, "quality", req_sizes=(2,))
        if not (1 <= quality[0] <= quality[1] <= 100 and isinstance(quality[0], int)
                and isinstance(quality[1], int)):
            raise ValueError(f"quality must be an integer from 1 to 100, got quality ={quality}")
        self.quality = quality

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        quality = ember.randint(self.quality[0], self.quality[1] + 1, ()).item()
        return dict(quality=quality)

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(F.jpeg, inpt, quality=params["quality"])


class UniformTemporalSubsample(Transform):
    """Keep ``num_samples`` evenly spaced frames of videos ``(..., T, C, H, W)`` (repeating
    frames, nearest-neighbour style, when ``num_samples > T``)."""

    _transformed_types = (Tensor,)

    def __init__(self, num_samples: int) -> None:
        super().__init__()
        self.num_samples = num_samples

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(F.uniform_temporal_subsample, inpt, self.num_samples)
