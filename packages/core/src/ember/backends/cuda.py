"""``ember.backends.cuda``: PyTorch's CUDA switches (TF32, cuFFT plan cache, attention kernels).

Ember's CUDA backend is CuPy's; these switches are kept and reported as a PyTorch build
without CUDA reports them. The attention switches are the ones ``nn.attention.sdpa_kernel``
sets: turning every kernel off makes ``scaled_dot_product_attention`` refuse, as in PyTorch.
"""

from __future__ import annotations

import contextlib
import enum
import warnings
from collections.abc import Iterator

__all__ = ["is_built", "matmul", "cufft_plan_cache", "preferred_linalg_library",
           "preferred_blas_library", "flash_sdp_enabled", "enable_flash_sdp",
           "mem_efficient_sdp_enabled", "enable_mem_efficient_sdp", "math_sdp_enabled",
           "enable_math_sdp", "cudnn_sdp_enabled", "enable_cudnn_sdp",
           "fp16_bf16_reduction_math_sdp_allowed", "allow_fp16_bf16_reduction_math_sdp",
           "sdp_kernel"]

# SDPBackend value -> switched on (MATH=0, FLASH=1, EFFICIENT=2, CUDNN=3, OVERRIDEABLE=4)
_sdp_enabled: dict[int, bool] = {0: True, 1: True, 2: True, 3: True, 4: True}
_fp16_bf16_reduction_math = False


def is_built() -> bool:
    """Whether this build supports CUDA through PyTorch's own kernels: no."""
    return False


class _Matmul:
    """``matmul.allow_tf32`` and the reduced-precision reduction switches."""

    def __init__(self) -> None:
        self.allow_fp16_reduced_precision_reduction = True
        self.allow_bf16_reduced_precision_reduction = True
        self.allow_fp16_accumulation = False

    @property
    def allow_tf32(self) -> bool:
        """TF32 matmuls: the float32 matmul precision is below "highest" (one switch, as
        ``set_float32_matmul_precision`` and this flag share it in PyTorch)."""
        from .._runtime import get_float32_matmul_precision

        return get_float32_matmul_precision() != "highest"

    @allow_tf32.setter
    def allow_tf32(self, value: bool) -> None:
        from .._runtime import set_float32_matmul_precision

        set_float32_matmul_precision("high" if value else "highest")

    def __repr__(self) -> str:
        return "<ember.backends.cuda.matmul>"


matmul = _Matmul()


class _PlanCache:
    """A cuFFT plan cache that holds nothing (Ember plans no cuFFT transforms itself)."""

    def __init__(self) -> None:
        self.max_size = 4096

    @property
    def size(self) -> int:
        return 0

    def clear(self) -> None:
        """Nothing is cached."""

    def __getitem__(self, device: object) -> _PlanCache:
        return self


cufft_plan_cache = _PlanCache()


class _LinalgBackend(enum.Enum):
    Default = 0
    Cusolver = 1
    Magma = 2


class _BlasBackend(enum.Enum):
    Default = 0
    Cublas = 1
    Cublaslt = 2
    Ck = 3


_linalg = [_LinalgBackend.Default]
_blas = [_BlasBackend.Cublas]


def preferred_linalg_library(backend: str | _LinalgBackend | None = None) -> _LinalgBackend:
    """Get (and with ``backend``, set) the preferred CUDA linear-algebra library."""
    if backend is not None:
        _linalg[0] = _choose(_LinalgBackend, backend)
    return _linalg[0]


def preferred_blas_library(backend: str | _BlasBackend | None = None) -> _BlasBackend:
    """Get (and with ``backend``, set) the preferred CUDA BLAS library."""
    if backend is not None:
        _blas[0] = _choose(_BlasBackend, backend)
    return _blas[0]


def _choose(kind: type, backend: object) -> object:
    if isinstance(backend, kind):
        return backend
    if isinstance(backend, str):
        for member in kind:
            if member.name.lower() == backend.lower():
                return member
        names = ", ".join(m.name.lower() for m in kind)
        raise RuntimeError(f"Unknown input value. Choose from: {names}.")
    raise RuntimeError("Unknown input value type.")


def _switch(backend: int, on: bool) -> None:
    _sdp_enabled[backend] = bool(on)


def flash_sdp_enabled() -> bool:
    return _sdp_enabled[1]


def enable_flash_sdp(enabled: bool) -> None:
    _switch(1, enabled)


def mem_efficient_sdp_enabled() -> bool:
    return _sdp_enabled[2]


def enable_mem_efficient_sdp(enabled: bool) -> None:
    _switch(2, enabled)


def math_sdp_enabled() -> bool:
    return _sdp_enabled[0]


def enable_math_sdp(enabled: bool) -> None:
    _switch(0, enabled)


def cudnn_sdp_enabled() -> bool:
    return _sdp_enabled[3]


def enable_cudnn_sdp(enabled: bool) -> None:
    _switch(3, enabled)


def fp16_bf16_reduction_math_sdp_allowed() -> bool:
    return _fp16_bf16_reduction_math


def allow_fp16_bf16_reduction_math_sdp(enabled: bool) -> None:
    global _fp16_bf16_reduction_math
    _fp16_bf16_reduction_math = bool(enabled)


@contextlib.contextmanager
def sdp_kernel(enable_flash: bool = True, enable_math: bool = True,
               enable_mem_efficient: bool = True, enable_cudnn: bool = True) -> Iterator[None]:
    """The attention kernels allowed in a ``with`` block (deprecated in PyTorch for
    ``nn.attention.sdpa_kernel``, with the same warning)."""
    warnings.warn(
        "`torch.backends.cuda.sdp_kernel()` is deprecated. In the future, this context "
        "manager will be removed. Please see `torch.nn.attention.sdpa_kernel()` for the new "
        "context manager, with updated signature.", FutureWarning, stacklevel=3)
    old = dict(_sdp_enabled)
    _sdp_enabled.update({0: enable_math, 1: enable_flash, 2: enable_mem_efficient,
                         3: enable_cudnn})
    try:
        yield
    finally:
        _sdp_enabled.update(old)
