"""DropBlock ("DropBlock: A regularization method for convolutional networks"): zero whole
square (cubic) blocks of feature maps, then rescale to keep the mean.

Block centres are Bernoulli draws over the positions where a full block fits; a stride-1 max
pool grows each centre into its block. The draws use Ember's generator, which follows
PyTorch's CPU stream, so a seeded run drops the same blocks as torchvision."""

from __future__ import annotations

import math

import ember
from ember import Tensor, fx, nn
from ember.nn import functional as F

__all__ = ["drop_block2d", "drop_block3d", "DropBlock2d", "DropBlock3d"]


def _drop_block(input: Tensor, p: float, block_size: int, inplace: bool, eps: float,
                training: bool, dims: int) -> Tensor:
    """DropBlock over the last ``dims`` axes of an ``(N, C, *spatial)`` input."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"drop probability has to be between 0 and 1, but got {p}.")
    if input.ndim != dims + 2:
        raise ValueError(f"input should be {dims + 2} dimensional. Got {input.ndim} dimensions.")
    if not training or p == 0.0:
        return input
    spatial = tuple(input.shape[2:])
    block_size = min(block_size, *spatial)
    if block_size % 2 == 0:
        raise ValueError(f"block size should be odd. Got {block_size} which is even.")
    fits = [s - block_size + 1 for s in spatial]
    gamma = p * math.prod(spatial) / (block_size ** dims * math.prod(fits))
    centres = ember.empty((*input.shape[:2], *fits), dtype=input.dtype, device=input.device)
    centres.bernoulli_(gamma)
    half = block_size // 2
    centres = F.pad(centres, [half] * (2 * dims), value=0)  # back to the input's size
    pool = F.max_pool2d if dims == 2 else F.max_pool3d
    keep = 1 - pool(centres, kernel_size=block_size, stride=1, padding=half)
    scale = keep.numel() / (eps + keep.sum())
    if inplace:
        return input.mul_(keep).mul_(scale)
    return input * keep * scale


def drop_block2d(input: Tensor, p: float, block_size: int, inplace: bool = False,
                 eps: float = 1e-06, training: bool = True) -> Tensor:
    """DropBlock of an ``(N, C, H, W)`` input: each element lies in a dropped
    ``block_size`` x ``block_size`` block with probability about ``p``; the kept ones are
    scaled by ``numel / (eps + kept)``. Identity when ``p == 0`` or not ``training``."""
    return _drop_block(input, p, block_size, inplace, eps, training, 2)


# one call_function node when traced with ember.fx, as torchvision registers it
fx.wrap("drop_block2d")


def drop_block3d(input: Tensor, p: float, block_size: int, inplace: bool = False,
                 eps: float = 1e-06, training: bool = True) -> Tensor:
    """DropBlock of an ``(N, C, D, H, W)`` input with cubic blocks (see :func:`drop_block2d`)."""
    return _drop_block(input, p, block_size, inplace, eps, training, 3)


fx.wrap("drop_block3d")


class DropBlock2d(nn.Module):
    """Module form of :func:`drop_block2d`; active only in training mode."""

    def __init__(self, p: float, block_size: int, inplace: bool = False,
                 eps: float = 1e-06) -> None:
        super().__init__()
        self.p = p
        self.block_size = block_size
        self.inplace = inplace
        self.eps = eps

    def forward(self, input: Tensor) -> Tensor:
        return drop_block2d(input, self.p, self.block_size, self.inplace, self.eps,
                            self.training)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(p={self.p}, block_size={self.block_size}, "
                f"inplace={self.inplace})")


class DropBlock3d(DropBlock2d):
    """Module form of :func:`drop_block3d`; active only in training mode."""

    def forward(self, input: Tensor) -> Tensor:
        return drop_block3d(input, self.p, self.block_size, self.inplace, self.eps,
                            self.training)
