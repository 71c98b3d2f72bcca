"""v2 functionals that degrade images the way real data is degraded: additive Gaussian noise
and a JPEG round trip (torchvision.transforms.v2.functional ``gaussian_noise``, ``jpeg``),
and the uniform temporal subsampling of videos (``uniform_temporal_subsample``).

Images and videos (plain tensors, ``Image``, ``Video``) go to the tensor kernels, PIL images
to Pillow where torchvision has a PIL kernel; masks and bounding boxes pass through."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image as _PIL

import ember
from ember import Tensor

from ... import tv_tensors
from ...io import decode_jpeg, encode_jpeg
from ...tv_tensors import Video
from .functional import _dispatch, _register

__all__ = ["gaussian_noise", "gaussian_noise_image", "gaussian_noise_video", "jpeg",
           "jpeg_image", "jpeg_video", "uniform_temporal_subsample",
           "uniform_temporal_subsample_video"]


def gaussian_noise(inpt: Tensor, mean: float = 0.0, sigma: float = 0.1,
                   clip: bool = True) -> Tensor:
    """See :class:`~ember.vision.transforms.v2.GaussianNoise`."""
    return _dispatch(gaussian_noise, inpt, mean=mean, sigma=sigma, clip=clip)


def gaussian_noise_image(image: Tensor, mean: float = 0.0, sigma: float = 0.1,
                         clip: bool = True) -> Tensor:
    """``image + N(mean, sigma)`` per element, on the float scale ``[0, 1]`` (so ``uint8``
    noise is drawn in float32 at 255 times the scale and truncated to integers); clipped to
    the dtype's range when ``clip``."""
    if sigma < 0:
        raise ValueError(f"sigma shouldn't be negative. Got {sigma}")
    if image.is_floating_point():
        out = image + (mean + ember.randn_like(image) * sigma)
        return ember.clamp(out, 0, 1) if clip else out
    if image.dtype == ember.uint8:
        noise = ((mean * 255) + ember.randn_like(image, dtype=ember.float32) * (sigma * 255))
        out = image + noise.to(ember.int16)
        if clip:
            out = ember.clamp(out, 0, 255)
        return out.to(ember.uint8)
    raise ValueError(f"Input tensor is expected to be in uint8 or float dtype, got "
                     f"dtype={image.dtype}")


def gaussian_noise_video(video: Tensor, mean: float = 0.0, sigma: float = 0.1,
                         clip: bool = True) -> Tensor:
    return gaussian_noise_image(video, mean=mean, sigma=sigma, clip=clip)


def _gaussian_noise_pil(image: Any, mean: float = 0.0, sigma: float = 0.1,
                        clip: bool = True) -> Any:
    raise ValueError("Gaussian Noise is not implemented for PIL images.")


_register(gaussian_noise, Tensor, tv_tensors.Image)(gaussian_noise_image)
_register(gaussian_noise, Video)(gaussian_noise_video)
_register(gaussian_noise, _PIL.Image)(_gaussian_noise_pil)


def jpeg(image: Tensor, quality: int) -> Tensor:
    """See :class:`~ember.vision.transforms.v2.JPEG`."""
    return _dispatch(jpeg, image, quality=quality)


def jpeg_image(image: Tensor, quality: int) -> Tensor:
    """Each ``(1 or 3, H, W)`` ``uint8`` image of ``image`` ``(..., C, H, W)`` encoded as JPEG
    at ``quality`` and decoded again (through Pillow's libjpeg, as torchvision's)."""
    shape = image.shape
    images = image.reshape((-1,) + tuple(shape[-3:]))
    if images.shape[0] == 0:
        return images.reshape(shape).clone()
    decoded = [decode_jpeg(encode_jpeg(one, quality=quality)) for one in images.unbind(0)]
    return ember.stack(decoded, dim=0).view(shape)


def jpeg_video(video: Tensor, quality: int) -> Tensor:
    return jpeg_image(video, quality=quality)


def _jpeg_image_pil(image: Any, quality: int) -> Any:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    return _PIL.open(buffer).copy()  # a plain Image, not a JpegImageFile


_register(jpeg, Tensor, tv_tensors.Image)(jpeg_image)
_register(jpeg, Video)(jpeg_video)
_register(jpeg, _PIL.Image)(_jpeg_image_pil)


def uniform_temporal_subsample(inpt: Tensor, num_samples: int) -> Tensor:
    """See :class:`~ember.vision.transforms.v2.UniformTemporalSubsample`."""
    return _dispatch(uniform_temporal_subsample, inpt, num_samples=num_samples)


def uniform_temporal_subsample_video(video: Tensor, num_samples: int) -> Tensor:
    """``num_samples`` frames of ``video`` ``(..., T, C, H, W)`` evenly spaced from the first
    to the last (float32 ``linspace`` truncated, so frames repeat when ``num_samples > T``)."""
    last = video.shape[-4] - 1
    indices = ember.linspace(0, last, num_samples, device=video.device).long()
    return ember.index_select(video, -4, indices)


_register(uniform_temporal_subsample, Tensor, Video)(uniform_temporal_subsample_video)
