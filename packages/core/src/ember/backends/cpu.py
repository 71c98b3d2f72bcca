"""``ember.backends.cpu``: what the CPU offers."""

from __future__ import annotations


def get_cpu_capability() -> str:
    """The widest SIMD instruction set NumPy dispatches to here (PyTorch's names)."""
    import numpy as np

    features = getattr(np._core._multiarray_umath, "__cpu_features__", {})
    if features.get("AVX512F") and features.get("AVX512BW") and features.get("AVX512VL"):
        return "AVX512"
    if features.get("AVX2"):
        return "AVX2"
    return "DEFAULT"
