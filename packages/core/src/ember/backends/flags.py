"""PyTorch's ``torch.backends.<name>`` flag objects that programs set (``cudnn.benchmark``).

Ember has no cuDNN; the flags are accepted and kept so programs that set them run.
"""

from __future__ import annotations

from typing import Any

__all__ = ["cudnn", "mps", "mkldnn", "cuda_flags", "opt_einsum"]


class _Flags:
    def __init__(self, name: str, available: bool, **flags: Any) -> None:
        self.__dict__.update(flags)
        self._name = name
        self._available = available

    def is_available(self) -> bool:
        return self._available

    def is_built(self) -> bool:
        return self._available

    def version(self) -> None:
        return None

    def __repr__(self) -> str:
        return f"<ember.backends.{self._name} flags>"


class _Matmul:
    allow_tf32 = False
    allow_fp16_reduced_precision_reduction = True
    allow_bf16_reduced_precision_reduction = True


cudnn = _Flags("cudnn", False, enabled=True, benchmark=False, deterministic=False,
               allow_tf32=True)
mps = _Flags("mps", False)
mkldnn = _Flags("mkldnn", False, enabled=True)
opt_einsum = _Flags("opt_einsum", True, enabled=True, strategy="auto")
cuda_flags = _Flags("cuda", False, matmul=_Matmul())
