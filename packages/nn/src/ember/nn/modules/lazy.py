"""``LazyModuleMixin``: modules whose parameter shapes are inferred from the first input.

Until the first forward, such a module holds ``UninitializedParameter`` /
``UninitializedBuffer`` placeholders. A forward pre-hook calls
``initialize_parameters(*args)``, which materializes them and resets them; then
the hooks are removed and the module becomes its ``cls_to_become`` (e.g.
``LazyLinear`` becomes ``Linear``). Loading a state_dict materializes them too.
"""

from __future__ import annotations

import itertools
from typing import Any

from ..parameter import is_lazy

__all__ = ["LazyModuleMixin"]


class LazyModuleMixin:
    """Mix in before a module class to infer its parameter shapes on the first call."""

    cls_to_become: type | None = None

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._load_hook = self._register_load_state_dict_pre_hook(self._lazy_load_hook)
        self._initialize_hook = self.register_forward_pre_hook(self._infer_parameters,
                                                               with_kwargs=True)

    def _lazy_load_hook(self: Any, state_dict: dict, prefix: str, local_metadata: dict,
                        strict: bool, missing_keys: list, unexpected_keys: list,
                        error_msgs: list) -> None:
        from ember.autograd import no_grad

        for name, param in itertools.chain(self._parameters.items(), self._buffers.items()):
            key = prefix + name
            if key in state_dict and param is not None and is_lazy(param):
                input_param = state_dict[key]
                if not is_lazy(input_param):
                    with no_grad():
                        param.materialize(tuple(input_param.shape))

    def _apply(self: Any, fn: Any, recurse: bool = True) -> Any:
        # ``.double()``/``.to()`` before the first forward must keep buffer placeholders lazy
        # (with the new dtype/device), as PyTorch's placeholders do
        lazy = {k: b for k, b in self._buffers.items() if is_lazy(b)}
        super()._apply(fn, recurse)
        for key, old in lazy.items():
            new = self._buffers[key]
            if new is not None and not is_lazy(new):
                self._buffers[key] = type(old)(old.requires_grad, new.device, new.dtype,
                                               getattr(old, "persistent", True))
        return self

    def initialize_parameters(self: Any, *args: Any, **kwargs: Any) -> None:
        """Materialize and reset the parameters from the first input's shape."""
        raise NotImplementedError(
            f"initialize_parameters is not implemented for {self.__class__.__name__}")

    def has_uninitialized_params(self: Any) -> bool:
        """Whether some parameter or buffer is still a placeholder."""
        for param in itertools.chain(self._parameters.values(), self._buffers.values()):
            if is_lazy(param):
                return True
        return False

    def _infer_parameters(self: Any, module: Any, args: tuple, kwargs: dict | None = None) -> None:
        module.initialize_parameters(*args, **(kwargs or {}))
        if module.has_uninitialized_params():
            raise RuntimeError(f"module {self._get_name()} has not been fully initialized")
        module._initialize_hook.remove()
        module._load_hook.remove()
        delattr(module, "_initialize_hook")
        delattr(module, "_load_hook")
        if module.cls_to_become is not None:
            module.__class__ = module.cls_to_become

    def _replicate_for_data_parallel(self: Any) -> Any:
        raise RuntimeError("Modules with uninitialized parameters can't be used with "
                           "`DataParallel`. Run a dummy forward pass to correctly initialize the "
                           "modules")
