"""Argument helpers shared by layers: ``_single``, ``_pair``, ``_triple``, ``_ntuple``."""

from __future__ import annotations

import collections.abc
from itertools import repeat
from typing import Any

__all__ = ["_ntuple", "_single", "_pair", "_triple", "_quadruple", "_reverse_repeat_tuple",
           "_list_with_default", "consume_prefix_in_state_dict_if_present"]


def _ntuple(n: int, name: str = "parse") -> Any:
    def parse(x: Any) -> tuple:
        if isinstance(x, collections.abc.Iterable):
            return tuple(x)
        return tuple(repeat(x, n))

    parse.__name__ = name
    return parse


_single = _ntuple(1, "_single")
_pair = _ntuple(2, "_pair")
_triple = _ntuple(3, "_triple")
_quadruple = _ntuple(4, "_quadruple")


def _set_qualname(f: Any, qualname: str) -> None:
    """Name a function built inside a class factory as PyTorch's own method (``Conv2d.__init__``):
    Python's argument errors read the code object's name ("Conv2d.__init__() missing ...")."""
    f.__qualname__ = qualname
    if hasattr(f.__code__, "co_qualname"):  # Python 3.11+
        f.__code__ = f.__code__.replace(co_qualname=qualname)


def _reverse_repeat_tuple(t: tuple, n: int) -> tuple:
    """``(1, 2)`` with ``n=2`` gives ``(2, 2, 1, 1)``: F.pad's order from a layer's padding."""
    return tuple(x for x in reversed(t) for _ in range(n))


def _list_with_default(out_size: Any, defaults: list[int]) -> Any:
    """An adaptive pooling size with its ``None`` entries taken from ``defaults`` (the input's
    trailing sizes); an int comes back as it is, as in PyTorch."""
    if isinstance(out_size, int):
        return out_size
    if len(defaults) <= len(out_size):
        raise ValueError(f"Input dimension should be at least {len(out_size) + 1}")
    return [v if v is not None else d
            for v, d in zip(out_size, defaults[-len(out_size):])]


def consume_prefix_in_state_dict_if_present(state_dict: dict, prefix: str) -> None:
    """Strip ``prefix`` (e.g. ``"module."`` from a DataParallel checkpoint) from the keys of
    ``state_dict`` in place, and from its ``_metadata`` if it has one."""
    for key in list(state_dict.keys()):
        if key.startswith(prefix):
            state_dict[key[len(prefix):]] = state_dict.pop(key)
    metadata = getattr(state_dict, "_metadata", None)
    if metadata is not None:
        for key in list(metadata.keys()):
            if len(key) == 0:
                continue
            if key == prefix.replace(".", "") or key.startswith(prefix):
                metadata[key[len(prefix):]] = metadata.pop(key)
