"""``ember.export``: PyTorch's ``torch.export`` entry points, refused clearly.

Ember runs programs eagerly and records no ATen-level graph, so ``export`` (and ``save``/
``load`` of exported programs) raise ``ember._dynamo.exc.Unsupported``, a RuntimeError as
PyTorch's export failures are, saying what to use instead. ``Dim`` builds the dynamic-shape
specs that programs pass to ``export``, so that the refusal comes from ``export`` itself.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Dim", "ExportedProgram", "export", "load", "save"]


class ExportedProgram:
    """What ``torch.export.export`` returns; Ember never makes one."""


class _Dim:
    """A named dynamic dimension (``Dim("batch", min=1, max=64)``)."""

    def __init__(self, name: str, *, min: int | None = None,  # noqa: A002 - PyTorch's names
                 max: int | None = None) -> None:  # noqa: A002
        self.__name__, self.min, self.max = name, min, max

    def __repr__(self) -> str:
        return f"Dim('{self.__name__}', min={self.min}, max={self.max})"


def Dim(name: str, *, min: int | None = None, max: int | None = None) -> Any:  # noqa: N802, A002
    """A dynamic dimension spec for ``export``'s ``dynamic_shapes``."""
    return _Dim(name, min=min, max=max)


Dim.AUTO = Dim.DYNAMIC = Dim.STATIC = None  # type: ignore[attr-defined]


def _refuse(what: str) -> None:
    from ._dynamo.exc import Unsupported

    raise Unsupported(f"ember.export.{what}: Ember runs programs eagerly and records no "
                      "exported graph; run the module itself, trace it with "
                      "ember.fx.symbolic_trace, or export from PyTorch after loading its "
                      "state_dict there")


def export(mod: Any, args: tuple = (), kwargs: dict | None = None, *,
           dynamic_shapes: Any = None, strict: bool = False,
           preserve_module_call_signature: tuple = ()) -> ExportedProgram:
    """PyTorch's export; refused (see the module's docstring)."""
    _refuse("export")
    raise AssertionError  # unreachable


def save(ep: Any, f: Any, **kwargs: Any) -> None:
    _refuse("save")


def load(f: Any, **kwargs: Any) -> ExportedProgram:
    _refuse("load")
    raise AssertionError  # unreachable
