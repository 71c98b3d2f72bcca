"""Compute backends: the protocol, the registry, and the built-in NumPy and CuPy backends."""

from .base import Backend
from .flags import cuda_flags as cuda
from .flags import cudnn, mkldnn, mps, opt_einsum
from .registry import BackendRegistry, canonical_device, get_backend, registry

__all__ = ["Backend", "BackendRegistry", "canonical_device", "get_backend", "registry", "cudnn",
           "mps", "mkldnn", "cuda", "opt_einsum"]
