"""Compute backends: the protocol, the registry, and the built-in NumPy and CuPy backends;
and PyTorch's ``torch.backends.<library>`` switch modules (``cudnn``, ``mkldnn``, ...)."""

from . import cpu, cuda, cudnn, mha, mkl, mkldnn, mps, openmp, opt_einsum
from .base import Backend
from .registry import BackendRegistry, canonical_device, get_backend, registry

__all__ = ["Backend", "BackendRegistry", "canonical_device", "get_backend", "registry", "cpu",
           "cuda", "cudnn", "mha", "mkl", "mkldnn", "mps", "openmp", "opt_einsum"]
