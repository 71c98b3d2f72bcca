"""``ember._C``: the few names of ``torch._C`` that Python code reaches for directly."""

from ._torch_function import DisableTorchFunctionSubclass, disabled_torch_function_impl

__all__ = ["_disabled_torch_function_impl", "DisableTorchFunctionSubclass",
           "DisableTorchFunction"]

_disabled_torch_function_impl = disabled_torch_function_impl
DisableTorchFunction = DisableTorchFunctionSubclass
