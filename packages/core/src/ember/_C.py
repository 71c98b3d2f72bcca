"""``ember._C``: the few names of ``torch._C`` that Python code reaches for directly."""

from ._tensor import Tensor, _TensorMeta
from ._torch_function import DisableTorchFunctionSubclass, disabled_torch_function_impl

__all__ = ["_disabled_torch_function_impl", "DisableTorchFunctionSubclass",
           "DisableTorchFunction", "_TensorMeta", "TensorBase", "_TensorBase"]

_disabled_torch_function_impl = disabled_torch_function_impl
DisableTorchFunction = DisableTorchFunctionSubclass
# PyTorch's C base of Tensor: here Tensor itself, so ``isinstance(x, TensorBase)`` holds alike
TensorBase = _TensorBase = Tensor
