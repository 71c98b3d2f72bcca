"""The module ``ember.compile(module)`` returns: PyTorch's ``OptimizedModule``.

Ember compiles nothing, but what ``torch.compile`` hands back is observable: the model sits
under ``_orig_mod`` (so ``state_dict`` keys and ``print(model)`` carry it), attribute reads
and writes reach the wrapped model, and ``training`` is the wrapped model's. Calling it runs
the wrapped model, eagerly.
"""

from __future__ import annotations

from typing import Any

from .module import Module

__all__ = ["OptimizedModule"]


class OptimizedModule(Module):
    """A compiled module's wrapper, attribute for attribute as PyTorch's."""

    # attributes of the wrapper itself; every other write goes to the wrapped module
    _own_attributes = frozenset({"_orig_mod", "_wrapper_ready", "forward", "__call__"})

    def __init__(self, mod: Module) -> None:
        object.__setattr__(self, "_orig_mod", mod)  # attribute access goes through it
        object.__setattr__(self, "_wrapper_ready", False)
        super().__init__()
        self._orig_mod = mod  # registered as the only child
        object.__setattr__(self, "_wrapper_ready", True)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self._orig_mod(*args, **kwargs)

    @property  # type: ignore[override]
    def training(self) -> bool:
        return self._orig_mod.training

    @training.setter
    def training(self, value: bool) -> None:
        # Module.__init__ sets the default; the mode is the wrapped module's own
        if self.__dict__.get("_wrapper_ready"):
            self._orig_mod.training = value

    def __getattr__(self, name: str) -> Any:
        d = self.__dict__
        modules = d.get("_modules")
        orig = modules["_orig_mod"] if modules and "_orig_mod" in modules else d.get("_orig_mod")
        if name == "_orig_mod":
            if orig is None:
                raise AttributeError("'OptimizedModule' object has no attribute '_orig_mod'")
            return orig
        if orig is None:
            raise AttributeError(f"'OptimizedModule' object has no attribute '{name}'")
        return getattr(orig, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self._own_attributes or hasattr(type(self), name):
            super().__setattr__(name, value)
        else:
            setattr(self._orig_mod, name, value)

    def __dir__(self) -> list[str]:
        mine = dir(self._orig_mod)
        return mine + [name for name in super().__dir__() if name not in mine]
