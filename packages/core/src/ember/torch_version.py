"""``ember.__version__``: a string that also compares as a version, as ``torch.__version__``
does (``ember.__version__ >= (0, 1)``, ``>= "0.1"``, against ``packaging.version.Version``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["TorchVersion"]


class TorchVersion(str):
    """A version string comparing as a version with strings, ``Version`` objects and tuples
    of numbers (``(1, 2)`` is ``"1.2"``); text that is no version compares as text."""

    __slots__ = ()

    def _convert_to_version(self, inp: Any) -> Any:
        from packaging.version import InvalidVersion, Version

        if isinstance(inp, Version):
            return inp
        if isinstance(inp, str):
            return Version(inp)
        if isinstance(inp, Iterable):
            return Version(".".join(str(item) for item in inp))
        raise InvalidVersion(inp)

    def _cmp_wrapper(self, cmp: Any, method: str) -> bool:
        from packaging.version import InvalidVersion, Version

        try:
            return getattr(Version(self), method)(self._convert_to_version(cmp))
        except InvalidVersion:
            return getattr(super(), method)(cmp)  # not a version: compared as text


for _method in ("__gt__", "__lt__", "__eq__", "__ge__", "__le__"):
    # set after the class is made, so that str's __hash__ stays (as PyTorch's)
    setattr(TorchVersion, _method,
            lambda x, y, method=_method: x._cmp_wrapper(y, method))
del _method
