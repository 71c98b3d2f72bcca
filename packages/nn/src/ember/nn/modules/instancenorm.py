"""Instance normalization: ``InstanceNorm1d/2d/3d``."""

from __future__ import annotations

import warnings
from typing import Any

from ember import Tensor

from .. import functional as F
from .batchnorm import _NormBase
from .utils import _set_qualname

__all__ = ["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"]


class _InstanceNorm(_NormBase):
    _no_batch_dim = 2

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1,
                 affine: bool = False, track_running_stats: bool = False, device: Any = None,
                 dtype: Any = None, *, bias: bool = True) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype,
                         bias=bias)

    def _check_input_dim(self, input: Tensor) -> None:
        n = self._no_batch_dim
        if input.dim() not in (n, n + 1):
            raise ValueError(f"expected {n}D or {n + 1}D input (got {input.dim()}D input)")

    def _apply_instance_norm(self, input: Tensor) -> Tensor:
        return F.instance_norm(input, self.running_mean, self.running_var, self.weight,
                               self.bias, self.training or not self.track_running_stats,
                               self.momentum if self.momentum is not None else 0.0, self.eps)

    def _load_from_state_dict(self, state_dict: dict, prefix: str, local_metadata: dict,
                              strict: bool, missing_keys: list, unexpected_keys: list,
                              error_msgs: list) -> None:
        """As PyTorch: a checkpoint without version metadata (saved before 0.4.0) that holds
        running stats for a module that tracks none is an error naming them, and the keys
        are dropped (so they are not reported as unexpected too)."""
        if local_metadata.get("version", None) is None and not self.track_running_stats:
            keys = [prefix + n for n in ("running_mean", "running_var")
                    if prefix + n in state_dict]
            if keys:
                klass = type(self).__name__
                names = " and ".join(f'"{k}"' for k in keys)
                error_msgs.append(
                    f"Unexpected running stats buffer(s) {names} for {klass} with "
                    "track_running_stats=False. If state_dict is a checkpoint saved before "
                    f"0.4.0, this may be expected because {klass} does not track running "
                    "stats by default since 0.4.0. Please remove these keys from state_dict. "
                    "If the running stats are actually needed, instead set "
                    f"track_running_stats=True in {klass} to enable them. See the "
                    f"documentation of {klass} for details.")
                for key in keys:
                    state_dict.pop(key)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        feature_dim = input.dim() - self._no_batch_dim
        if input.size(feature_dim) != self.num_features:
            if self.affine:
                raise ValueError(
                    f"expected input's size at dim={feature_dim} to match num_features "
                    f"({self.num_features}), but got: {input.size(feature_dim)}.")
            warnings.warn(
                f"input's size at dim={feature_dim} does not match num_features. You can "
                "silence this warning by not passing in num_features, which is not used "
                "because affine=False", stacklevel=2)
        if input.dim() == self._no_batch_dim:
            return self._apply_instance_norm(input.unsqueeze(0)).squeeze(0)
        return self._apply_instance_norm(input)


class InstanceNorm1d(_InstanceNorm):
    """Instance normalization over (N, C, L) or (C, L) inputs."""

    _no_batch_dim = 2


class InstanceNorm2d(_InstanceNorm):
    """Instance normalization over (N, C, H, W) or (C, H, W) inputs."""

    _no_batch_dim = 3


class InstanceNorm3d(_InstanceNorm):
    """Instance normalization over (N, C, D, H, W) or (C, D, H, W) inputs."""

    _no_batch_dim = 4


def _lazy_instance_norm(base: type) -> type:
    from .batchnorm import _LazyNormBase

    class LazyInstanceNorm(_LazyNormBase, _InstanceNorm):
        cls_to_become = base
        _no_batch_dim = base._no_batch_dim

        def __init__(self, eps: float = 1e-5, momentum: float = 0.1, affine: bool = True,
                     track_running_stats: bool = True, device: Any = None,
                     dtype: Any = None, *, bias: bool = True) -> None:
            super().__init__(eps, momentum, affine, track_running_stats, device, dtype,
                             bias=bias)

        # num_features is read from ``input.shape[1]`` even for an unbatched input, as
        # PyTorch's _LazyNormBase does (its forward then warns or raises about the mismatch)

    LazyInstanceNorm.__name__ = LazyInstanceNorm.__qualname__ = "Lazy" + base.__name__
    _set_qualname(LazyInstanceNorm.__init__, "_LazyNormBase.__init__")  # PyTorch's inherited one
    LazyInstanceNorm.__module__ = __name__
    LazyInstanceNorm.__doc__ = f"``{base.__name__}`` with num_features inferred on first call."
    return LazyInstanceNorm


LazyInstanceNorm1d = _lazy_instance_norm(InstanceNorm1d)
LazyInstanceNorm2d = _lazy_instance_norm(InstanceNorm2d)
LazyInstanceNorm3d = _lazy_instance_norm(InstanceNorm3d)
__all__ += ["LazyInstanceNorm1d", "LazyInstanceNorm2d", "LazyInstanceNorm3d"]
