"""``ember.__future__``: PyTorch's switches for how ``nn.Module`` conversions treat parameters.

``set_overwrite_module_params_on_conversion(True)`` makes ``module.to()``/``.double()``/...
put new ``Parameter`` objects on the module instead of changing the existing ones' data;
``set_swap_module_params_on_conversion(True)`` keeps the objects and swaps their contents
(what Ember's default ``.data`` assignment already shows for plain tensors).
"""

from __future__ import annotations

__all__ = ["set_overwrite_module_params_on_conversion", "get_overwrite_module_params_on_conversion",
           "set_swap_module_params_on_conversion", "get_swap_module_params_on_conversion"]

_overwrite_module_params_on_conversion: bool = False
_swap_module_params_on_conversion: bool = False


def set_overwrite_module_params_on_conversion(value: bool) -> None:
    """Whether module conversions assign new ``Parameter`` objects (default ``False``)."""
    global _overwrite_module_params_on_conversion
    _overwrite_module_params_on_conversion = value


def get_overwrite_module_params_on_conversion() -> bool:
    """The value set by ``set_overwrite_module_params_on_conversion``."""
    return _overwrite_module_params_on_conversion


def set_swap_module_params_on_conversion(value: bool) -> None:
    """Whether module conversions and ``load_state_dict`` swap parameters' contents in place."""
    global _swap_module_params_on_conversion
    _swap_module_params_on_conversion = value


def get_swap_module_params_on_conversion() -> bool:
    """The value set by ``set_swap_module_params_on_conversion``."""
    return _swap_module_params_on_conversion
