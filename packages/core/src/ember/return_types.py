"""``ember.return_types``: the named tuples that ops with several results return.

Like ``torch.return_types``: each type is a tuple subclass (so ``values, indices =
ember.max(x, 0)`` unpacks) whose fields are also attributes (``.values``, ``.indices``).
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any

__all__ = [
    "max", "min", "sort", "topk", "kthvalue", "mode", "median", "nanmedian", "cummax", "cummin",
    "aminmax", "frexp", "histogram", "histogramdd", "geqrf", "slogdet", "qr", "svd",
    "triangular_solve", "lu_unpack", "linalg_slogdet", "linalg_qr", "linalg_svd", "linalg_eig",
    "linalg_eigh", "linalg_lu", "linalg_lu_factor", "linalg_lu_factor_ex", "linalg_cholesky_ex",
    "linalg_inv_ex", "linalg_solve_ex", "linalg_ldl_factor", "linalg_ldl_factor_ex",
    "linalg_lstsq", "linalg_polar", "max_pool1d_with_indices", "max_pool2d_with_indices",
]


class _ReturnType(tuple):
    """Base of the result types: a fixed-length tuple with named fields."""

    __slots__ = ()
    # Not ``_fields``: PyTorch's struct sequences are no namedtuples, and code that tests
    # ``hasattr(x, "_fields")`` (collate, user tree maps) must take them for plain tuples.
    _field_names: tuple[str, ...] = ()
    n_fields = 0
    n_sequence_fields = 0
    n_unnamed_fields = 0

    def __new__(cls, sequence: Any = (), dict: Any = None) -> _ReturnType:  # noqa: A002
        items = tuple(sequence)
        if len(items) != len(cls._field_names):
            raise TypeError(
                f"ember.return_types.{cls.__name__}() takes a {len(cls._field_names)}-sequence "
                f"({len(items)}-sequence given)")
        return tuple.__new__(cls, items)

    def __repr__(self) -> str:
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._field_names, self))
        return f"ember.return_types.{type(self).__name__}(\n{body})"

    def __format__(self, spec: str) -> str:
        from .dtypes import _format_as_str

        return _format_as_str(self, spec, f"ember.return_types.{type(self).__name__}")

    def __reduce__(self) -> tuple:
        return (type(self), (tuple(self),))

    def __getattr__(self, name: str) -> Any:
        """Reached only for a missing attribute (``r.value``): PyTorch's message."""
        raise AttributeError(
            f"'ember.return_types.{type(self).__name__}' object has no attribute '{name}'")


def _define(name: str, *fields: str) -> type:
    ns: dict[str, Any] = {"__slots__": (), "_field_names": fields, "__match_args__": fields,
                          "n_fields": len(fields),
                          "n_sequence_fields": len(fields), "__module__": __name__,
                          "__qualname__": name}
    for i, f in enumerate(fields):
        ns[f] = property(itemgetter(i), doc=f"Field {i}: {f}")
    return type(name, (_ReturnType,), ns)


_VI = ("values", "indices")
max = _define("max", *_VI)  # noqa: A001
min = _define("min", *_VI)  # noqa: A001
sort = _define("sort", *_VI)
topk = _define("topk", *_VI)
kthvalue = _define("kthvalue", *_VI)
mode = _define("mode", *_VI)
median = _define("median", *_VI)
nanmedian = _define("nanmedian", *_VI)
cummax = _define("cummax", *_VI)
cummin = _define("cummin", *_VI)
aminmax = _define("aminmax", "min", "max")
frexp = _define("frexp", "mantissa", "exponent")
histogram = _define("histogram", "hist", "bin_edges")
histogramdd = _define("histogramdd", "hist", "bin_edges")
geqrf = _define("geqrf", "a", "tau")
slogdet = _define("slogdet", "sign", "logabsdet")
qr = _define("qr", "Q", "R")
svd = _define("svd", "U", "S", "V")
triangular_solve = _define("triangular_solve", "solution", "cloned_coefficient")
lu_unpack = _define("lu_unpack", "P", "L", "U")
linalg_slogdet = _define("linalg_slogdet", "sign", "logabsdet")
linalg_qr = _define("linalg_qr", "Q", "R")
linalg_svd = _define("linalg_svd", "U", "S", "Vh")
linalg_eig = _define("linalg_eig", "eigenvalues", "eigenvectors")
linalg_eigh = _define("linalg_eigh", "eigenvalues", "eigenvectors")
linalg_lu = _define("linalg_lu", "P", "L", "U")
linalg_lu_factor = _define("linalg_lu_factor", "LU", "pivots")
linalg_lu_factor_ex = _define("linalg_lu_factor_ex", "LU", "pivots", "info")
linalg_cholesky_ex = _define("linalg_cholesky_ex", "L", "info")
linalg_inv_ex = _define("linalg_inv_ex", "inverse", "info")
linalg_solve_ex = _define("linalg_solve_ex", "result", "info")
linalg_ldl_factor = _define("linalg_ldl_factor", "LD", "pivots")
linalg_ldl_factor_ex = _define("linalg_ldl_factor_ex", "LD", "pivots", "info")
linalg_polar = _define("linalg_polar", "U", "H")
linalg_lstsq = _define("linalg_lstsq", "solution", "residuals", "rank", "singular_values")
max_pool1d_with_indices = _define("max_pool1d_with_indices", "output", "indices")
max_pool2d_with_indices = _define("max_pool2d_with_indices", "output", "indices")

# An ``out=`` call's result is ``<op>_out`` (``torch.return_types.max_out``), same fields.
_OUT_OF = ("max", "min", "sort", "topk", "kthvalue", "mode", "median", "nanmedian", "cummax",
           "cummin", "aminmax", "frexp", "histogram", "geqrf", "slogdet", "svd",
           "triangular_solve", "lu_unpack", "linalg_slogdet", "linalg_qr", "linalg_svd",
           "linalg_eig", "linalg_eigh", "linalg_lu", "linalg_lu_factor", "linalg_lu_factor_ex",
           "linalg_cholesky_ex", "linalg_inv_ex", "linalg_solve_ex", "linalg_ldl_factor",
           "linalg_ldl_factor_ex", "linalg_lstsq", "linalg_polar")
globals().update({n + "_out": _define(n + "_out", *globals()[n]._field_names) for n in _OUT_OF})
__all__ += [n + "_out" for n in _OUT_OF]


def out_type(cls: type) -> type:
    """The type PyTorch gives a result of ``cls`` written to ``out=`` tensors."""
    return globals().get(cls.__name__ + "_out", cls)
