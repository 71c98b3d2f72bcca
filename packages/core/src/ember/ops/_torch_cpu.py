"""What PyTorch's CPU build computes differently from one processor to another, where Ember
follows it to the last bit.

PyTorch's x86 builds do their matrix products with Intel's MKL, which runs its fused
multiply-add kernels on Intel processors only; on others (AMD's) a product's terms are
multiplied and added one by one, each rounded. Where Ember reproduces PyTorch's rounding of
a small product (sampling grids, whose points must land on the same side of a pixel as
PyTorch's), it follows the processor it runs on.
"""

from __future__ import annotations

import functools

__all__ = ["GRAIN_SIZE", "mkl_fuses", "half_vector_width", "onednn_half"]

# at::internal::GRAIN_SIZE: below it PyTorch's parallel loops and reductions run on one thread
GRAIN_SIZE = 32768


@functools.cache
def mkl_fuses() -> bool:
    """Whether PyTorch's MKL products use fused multiply-adds on this processor (Intel's);
    assumed so where the vendor can't be read."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("vendor_id"):
                    return "GenuineIntel" in line
    except OSError:
        pass
    return True


@functools.cache
def _flags() -> frozenset:
    """The processor's feature flags (``/proc/cpuinfo``); empty where they can't be read."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    return frozenset(line.split())
    except OSError:
        pass
    return frozenset()


@functools.cache
def onednn_half() -> bool:
    """Whether PyTorch's CPU convolutions run float16 through oneDNN here, as they run bfloat16
    (its check: a processor with AVX512-FP16, Intel's since Sapphire Rapids); elsewhere they
    take PyTorch's own slow kernels, which word their errors and round otherwise."""
    return "avx512_fp16" in _flags()


@functools.cache
def half_vector_width() -> int:
    """Elements of float16/bfloat16 in one of PyTorch's CPU vectors: 32 where its kernels run
    AVX512 (the processor has AVX512 F/BW/VL/DQ), else 16 (AVX2)."""
    return 32 if {"avx512f", "avx512bw", "avx512vl", "avx512dq"} <= _flags() else 16
