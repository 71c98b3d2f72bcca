"""Top-level names of PyTorch's that are build facts or global switches: the ``has_*`` flags,
``set_anomaly_enabled``, ``init_num_threads``, ``is_vulkan_available``, and the legacy storage
classes (``FloatStorage``, ...). ``ember/__init__`` reaches them lazily."""

from __future__ import annotations

from typing import Any

__all__ = ["has_lapack", "has_mkl", "has_openmp", "has_spectral", "set_anomaly_enabled",
           "init_num_threads", "is_vulkan_available", "compiled_with_cxx11_abi"]

#: linear algebra runs on NumPy's LAPACK (OpenBLAS's) and CuPy's cuSOLVER
has_lapack = True
#: Ember's products and FFTs do not use Intel MKL (``ember.backends.mkl.is_available()``)
has_mkl = False
#: Ember's threads are its own, not OpenMP's (``ember.backends.openmp.is_available()``)
has_openmp = False
#: the FFT family (``ember.fft``, ``stft``) is there
has_spectral = True


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    """Turn autograd's anomaly detection on or off for good (``detect_anomaly`` scoped)."""
    from .autograd.graph import _anomaly

    _anomaly[0] = bool(enabled)
    _anomaly[1] = bool(check_nan)  # as PyTorch: switching off resets it too


def init_num_threads() -> None:
    """Nothing to initialise: Ember's worker threads start on first use."""


def compiled_with_cxx11_abi() -> bool:
    """True, as PyTorch's wheels answer (Ember has no C++ ABI of its own to report)."""
    return True


def is_vulkan_available() -> bool:
    """False: Ember has no Vulkan backend."""
    return False


_LEGACY_NAMES = {"FloatStorage": "float32", "DoubleStorage": "float64",
                 "HalfStorage": "float16", "BFloat16Storage": "bfloat16",
                 "LongStorage": "int64", "IntStorage": "int32", "ShortStorage": "int16",
                 "CharStorage": "int8", "ByteStorage": "uint8", "BoolStorage": "bool",
                 "ComplexFloatStorage": "complex64", "ComplexDoubleStorage": "complex128"}


def __getattr__(name: str) -> Any:
    if name == "Storage":  # PyTorch's alias of the float32 legacy class
        name = "FloatStorage"
    if name in _LEGACY_NAMES:
        from . import dtypes as _dt
        from .ops.api_gaps import legacy_storage_class

        cls = globals()[name] = legacy_storage_class(_dt.to_dtype(_LEGACY_NAMES[name]))
        return cls
    raise AttributeError(f"module '{__name__}' has no attribute '{name}'")
