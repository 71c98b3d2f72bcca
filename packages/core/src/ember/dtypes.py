"""Ember's dtypes and PyTorch's type-promotion rules.

A dtype wraps a NumPy dtype (bfloat16 comes from ``ml_dtypes`` on first use).
Promotion follows PyTorch, not NumPy: an integer tensor times a Python float is
the default float dtype, a 0-d tensor only widens a dimensioned tensor when it
is of a higher category, and float16 with bfloat16 meets at float32.
"""

from __future__ import annotations

import math as _math

import numpy as np

__all__ = [
    "dtype", "float16", "float32", "float64", "bfloat16", "half", "float", "double",
    "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "short",
    "int", "long", "bool", "complex64", "complex128", "cfloat", "cdouble",
    "get_default_dtype", "set_default_dtype", "promote_types", "can_cast", "finfo", "iinfo",
    "float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz",
    "quint8", "qint8", "qint32", "quint4x2", "quint2x4", "qscheme", "per_tensor_affine",
    "per_tensor_symmetric", "per_channel_affine", "per_channel_symmetric",
    "per_channel_affine_float_qparams",
]

_BOOL, _INT, _FLOAT, _COMPLEX = 0, 1, 2, 3


class dtype:
    """A tensor element type, named as in PyTorch (``ember.float32``)."""

    __slots__ = ("name", "_np", "_np_name", "category", "itemsize", "is_signed", "kind")
    __module__ = "ember"  # printed as ``<class 'ember.dtype'>``, as PyTorch's

    def __init__(self, name: str, np_name: str, category: int, itemsize: int, signed: bool):
        self.name = name
        self._np_name = np_name
        self._np = None if np_name in _ML_DTYPES or np_name == "quantized" else np.dtype(np_name)
        self.category = category
        self.itemsize = itemsize
        self.is_signed = signed
        #: NumPy's kind letter of this dtype ("b", "i", "u", "f", "c")
        self.kind = ("b", "i" if signed else "u", "f", "c")[category]

    @property
    def np(self) -> np.dtype:
        """The NumPy dtype arrays of this dtype have (bfloat16 and float8 load ml_dtypes)."""
        if self._np is None:
            if self._np_name == "quantized":
                raise RuntimeError("empty_strided not supported on quantized tensors yet see "
                                   "https://github.com/pytorch/pytorch/issues/74540")
            self._np = _load_bfloat16() if self._np_name == "bfloat16" else _load_ml(self)
        return self._np

    @property
    def is_floating_point(self) -> bool:
        return self.category == _FLOAT

    @property
    def is_complex(self) -> bool:
        return self.category == _COMPLEX

    def to_real(self) -> dtype:
        return {complex64: float32, complex128: float64}.get(self, self)

    def to_complex(self) -> dtype:
        """The complex dtype of this precision (complex64 for float32); integers have none."""
        if self.category < _FLOAT:
            raise RuntimeError(f"Unknown Complex ScalarType for {_c10_name(self)}")
        return {float64: complex128, complex128: complex128}.get(self, complex64)

    def __repr__(self) -> str:
        return f"ember.{self.name}"

    def __format__(self, spec: str) -> str:
        return _format_as_str(self, spec, "ember.dtype")

    def __reduce__(self):
        return (_dtype_by_name, (self.name,))


def _load_bfloat16() -> np.dtype:
    try:
        import ml_dtypes
    except ImportError as e:
        raise TypeError(
            "bfloat16 on NumPy needs the ml_dtypes package: pip install 'ember-core[bf16]'"
        ) from e
    npd = np.dtype(ml_dtypes.bfloat16)
    _BY_NP[npd] = bfloat16
    return npd


# the dtypes whose NumPy type comes from ml_dtypes, loaded on first use
_ML_DTYPES = ("bfloat16", "float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz")


def _load_ml(d: dtype) -> np.dtype:
    """The ml_dtypes type of a float8 dtype (registered so its arrays map back to ``d``)."""
    try:
        import ml_dtypes
    except ImportError as e:
        raise TypeError(f"{d.name} on NumPy needs the ml_dtypes package: "
                        "pip install 'ember-core[bf16]'") from e
    npd = np.dtype(getattr(ml_dtypes, d._np_name))
    _BY_NP[npd] = d
    return npd


bool = dtype("bool", "bool", _BOOL, 1, False)  # noqa: A001 - PyTorch's name
uint8 = dtype("uint8", "uint8", _INT, 1, False)
uint16 = dtype("uint16", "uint16", _INT, 2, False)
uint32 = dtype("uint32", "uint32", _INT, 4, False)
uint64 = dtype("uint64", "uint64", _INT, 8, False)
int8 = dtype("int8", "int8", _INT, 1, True)
int16 = dtype("int16", "int16", _INT, 2, True)
int32 = dtype("int32", "int32", _INT, 4, True)
int64 = dtype("int64", "int64", _INT, 8, True)
float16 = dtype("float16", "float16", _FLOAT, 2, True)
bfloat16 = dtype("bfloat16", "bfloat16", _FLOAT, 2, True)
float32 = dtype("float32", "float32", _FLOAT, 4, True)
float64 = dtype("float64", "float64", _FLOAT, 8, True)
complex64 = dtype("complex64", "complex64", _COMPLEX, 8, True)
complex128 = dtype("complex128", "complex128", _COMPLEX, 16, True)
half, float, double = float16, float32, float64  # noqa: A001
short, int, long = int16, int32, int64  # noqa: A001
cfloat, cdouble = complex64, complex128

ALL = (bool, uint8, uint16, uint32, uint64, int8, int16, int32, int64, float16, bfloat16,
       float32, float64, complex64, complex128)
# 8-bit floats (PyTorch's scaled-matmul storage types): stored, cast and printed, with no
# arithmetic and no promotion, as in PyTorch; kept out of ALL, which backends sweep
float8_e4m3fn = dtype("float8_e4m3fn", "float8_e4m3fn", _FLOAT, 1, True)
float8_e5m2 = dtype("float8_e5m2", "float8_e5m2", _FLOAT, 1, True)
float8_e4m3fnuz = dtype("float8_e4m3fnuz", "float8_e4m3fnuz", _FLOAT, 1, True)
float8_e5m2fnuz = dtype("float8_e5m2fnuz", "float8_e5m2fnuz", _FLOAT, 1, True)
FLOAT8 = (float8_e4m3fn, float8_e5m2, float8_e4m3fnuz, float8_e5m2fnuz)
# quantized dtypes: named, compared and printed (observers and fake quantization take them);
# there are no quantized tensors, so they map to no NumPy type (making one raises)
quint8 = dtype("quint8", "quantized", _INT, 1, False)
qint8 = dtype("qint8", "quantized", _INT, 1, True)
qint32 = dtype("qint32", "quantized", _INT, 4, True)
quint4x2 = dtype("quint4x2", "quantized", _INT, 1, False)
quint2x4 = dtype("quint2x4", "quantized", _INT, 1, False)
QUANTIZED = (quint8, qint8, qint32, quint4x2, quint2x4)
_QUANTIZED_STORAGE = {"quint8": "uint8", "qint8": "int8", "qint32": "int32",
                      "quint4x2": "uint8", "quint2x4": "uint8"}
_BY_NAME = {d.name: d for d in ALL + FLOAT8 + QUANTIZED}
_BY_NP: dict = {d._np: d for d in ALL if d._np is not None}
# the string names PyTorch accepts for a dtype
_BY_NAME.update(half=float16, float=float32, double=float64, short=int16, int=int32,
                long=int64, cfloat=complex64, cdouble=complex128)


# dtype objects of other array namespaces (the Array API's), filled by their backends; apart
# from NumPy's, since their hashes may equal NumPy's while comparing unequal (with a warning)
_BY_FOREIGN: dict = {}


def from_foreign_dtype(native) -> dtype:
    """The Ember dtype of a non-NumPy namespace's dtype object that a backend registered."""
    try:
        return _BY_FOREIGN[native]
    except KeyError:
        raise TypeError(f"Ember has no dtype for {native!r}") from None


def from_native_dtype(native) -> dtype:
    """The Ember dtype of any backend's dtype object: NumPy's, or one a backend registered."""
    if hasattr(native, "kind"):
        return from_numpy_dtype(native)
    return from_foreign_dtype(native)


def _dtype_by_name(name: str) -> dtype:
    return _BY_NAME[name]


def from_numpy_dtype(npd) -> dtype:
    """The Ember dtype of a NumPy dtype; TypeError for one Ember has no twin of."""
    d = _BY_NP.get(npd)
    if d is not None:
        return d
    npd = np.dtype(npd)
    d = _BY_NP.get(npd)
    if d is not None:
        return d
    if npd.name == "bfloat16":
        bfloat16.np  # noqa: B018 - registers the ml_dtypes type
        return bfloat16
    if npd.name in _ML_DTYPES:
        d = _BY_NAME[npd.name]
        d.np  # noqa: B018 - registers the ml_dtypes type
        return d
    if not npd.isnative and _BY_NP.get(npd.newbyteorder("=")) is not None:
        raise ValueError("given numpy array has byte order different from the native byte "
                         "order. Conversion between byte orders is currently not supported.")
    raise TypeError(
        f"can't convert np.ndarray of type numpy.{npd.type.__name__}. The only supported "
        "types are: float64, float32, float16, complex64, complex128, int64, int32, int16, int8, "
        "uint64, uint32, uint16, uint8, and bool."
    )


def to_dtype(d) -> dtype:
    """Accept an Ember dtype, a NumPy dtype/type or a PyTorch-style name."""
    if d.__class__ is dtype:
        return d
    if isinstance(d, str):
        try:
            return _BY_NAME[d.removeprefix("torch.").removeprefix("ember.")]
        except KeyError:
            raise TypeError(f"unknown dtype name {d!r}") from None
    if d is _py_float:
        return float64
    if d is _py_int:
        return int64
    if d is _py_bool:
        return bool
    if d is _py_complex:
        return complex128
    return from_numpy_dtype(d)


_py_float, _py_int, _py_bool, _py_complex = (
    type(1.0), type(1), type(True), type(1j))


_default = float32


def get_default_dtype() -> dtype:
    """The dtype of floating tensors made from Python floats (float32 to start)."""
    return _default


def set_default_dtype(d) -> None:
    """Set the default floating dtype; only float32, float64, float16 and bfloat16."""
    global _default
    d = to_dtype(d)
    if d.category != _FLOAT:
        raise TypeError("only floating-point types are supported as the default type")
    _default = d


def default_complex() -> dtype:
    return complex128 if _default is float64 else complex64


def promote_types(type1: dtype, type2: dtype) -> dtype:
    """PyTorch's promote_types: the smallest dtype both can be cast to safely."""
    a, b = to_dtype(type1), to_dtype(type2)
    if a is b:
        return a
    key = (a, b)
    r = _PROMO.get(key)
    if r is None:
        r = _PROMO[key] = _promote(a, b)
    return r


_PROMO: dict = {}


def _promote(a: dtype, b: dtype) -> dtype:
    if a in QUANTIZED or b in QUANTIZED:
        raise RuntimeError("promoteTypes with quantized numbers is not handled yet; figure out "
                           "what the correct rules should be, offending types: "
                           f"{_c10_name(a)} {_c10_name(b)}")
    if a.itemsize == 1 and a.category == _FLOAT or b.itemsize == 1 and b.category == _FLOAT:
        raise RuntimeError("Promotion for Float8 Types is not supported, attempted to promote "
                           f"{_c10_name(a)} and {_c10_name(b)}")
    if (a in _SHELL_UINTS or b in _SHELL_UINTS) and _FLOAT not in (a.category, b.category):
        raise RuntimeError("Promotion for uint16, uint32, uint64 types is not supported, "
                           f"attempted to promote {_c10_name(a)} and {_c10_name(b)}")
    if a.category < b.category:
        a, b = b, a
    if b is bool:
        return a
    if a.category == _INT:  # both integer
        return from_numpy_dtype(np.promote_types(a.np, b.np))
    if a.category == _FLOAT:
        if b.category == _INT:
            return a
        if {a, b} == {float16, bfloat16}:
            return float32
        return a if a.itemsize >= b.itemsize else b
    # a is complex
    if b.category == _COMPLEX:
        return a if a.itemsize >= b.itemsize else b
    if b is float64:
        return complex128
    return a


# PyTorch's "shell" unsigned dtypes: stored and cast, promoted only with floating types
_SHELL_UINTS = (uint16, uint32, uint64)


def _format_as_str(obj: object, spec: str, name: str) -> str:
    """``format(obj, spec)`` of a PyTorch C type (dtype, device, Size, finfo...): ``str(obj)``,
    and a spec refused naming the type with its module, as a C type's ``__format__`` does."""
    if spec:
        raise TypeError(f"unsupported format string passed to {name}.__format__")
    return str(obj)


class qscheme:
    """A quantization scheme (``ember.per_tensor_affine``, ...), compared by identity."""

    __slots__ = ("_name",)
    __module__ = "ember"

    def __new__(cls, *args: object, **kwargs: object) -> qscheme:
        raise TypeError("cannot create 'ember.qscheme' instances")  # as PyTorch's C type

    def __repr__(self) -> str:
        return f"ember.{self._name}"

    def __reduce__(self):
        return (_qscheme_by_name, (self._name,))


def _make_qscheme(name: str) -> qscheme:
    q = object.__new__(qscheme)
    q._name = name
    return q


per_tensor_affine = _make_qscheme("per_tensor_affine")
per_channel_affine = _make_qscheme("per_channel_affine")
per_tensor_symmetric = _make_qscheme("per_tensor_symmetric")
per_channel_symmetric = _make_qscheme("per_channel_symmetric")
per_channel_affine_float_qparams = _make_qscheme("per_channel_affine_float_qparams")


def _qscheme_by_name(name: str) -> qscheme:
    return globals()[name]


def _c10_name(d: dtype) -> str:
    """PyTorch's C++ name of a dtype (``Float``, ``Float8_e4m3fn``), as its messages say."""
    if d.name.startswith("float8"):
        return "F" + d.name[1:]
    return {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
            "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
            "bool": "Bool", "complex64": "ComplexFloat", "complex128": "ComplexDouble",
            "uint16": "UInt16", "uint32": "UInt32", "uint64": "UInt64", "quint8": "QUInt8",
            "qint8": "QInt8", "qint32": "QInt32", "quint4x2": "QUInt4x2",
            "quint2x4": "QUInt2x4"}.get(d.name, d.name.capitalize())


# the C++ type names PyTorch's messages give dtypes (``long int``, ``c10::Half``)
_CPP_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
              "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int",
              "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
              "bool": "bool", "uint16": "short unsigned int", "uint32": "unsigned int",
              "uint64": "long unsigned int", "complex64": "c10::complex<float>",
              "complex128": "c10::complex<double>"}


def _cpp_name(d: object) -> str:
    """PyTorch's C++ type name of a dtype (Ember's or NumPy's, or a name), as in its messages."""
    name = str(getattr(d, "name", d)).rsplit(".", 1)[-1]
    return _CPP_NAMES.get(name, name)


def can_cast(from_: dtype, to: dtype) -> bool:
    """PyTorch's can_cast: no cast to a lower category (float to int, complex to float)."""
    return to_dtype(from_).category <= to_dtype(to).category


def category(d: dtype) -> int:
    return d.category


_OMITTED = object()  # ``finfo()`` describes the default dtype, ``finfo(None)`` is an error


def _info_dtype(d: object, op: str) -> dtype:
    """The dtype ``finfo``/``iinfo`` describe: an Ember dtype or a Python number type only."""
    if d.__class__ is dtype:
        return d
    if d in (_py_float, _py_int, _py_bool, _py_complex):
        return to_dtype(d)
    raise TypeError(f"{op}(): argument 'type' (position 1) must be ember.dtype, not "
                    f"{d.__class__.__name__}")


class finfo:
    """Machine limits of a floating dtype, with PyTorch's attribute names."""

    __module__ = "ember"

    def __init__(self, type: dtype = _OMITTED):  # type: ignore[assignment]  # noqa: A002
        d = _info_dtype(type, "finfo") if type is not _OMITTED else _default
        if d.category not in (_FLOAT, _COMPLEX):
            raise TypeError("ember.finfo() requires a floating point input type. Use "
                            "ember.iinfo to handle 'ember.finfo'")
        if d._np_name in _ML_DTYPES:  # NumPy's finfo does not know ml_dtypes' types
            import ml_dtypes

            info = ml_dtypes.finfo(d.np)
        else:
            info = np.finfo(d.np)
        self.dtype = d.to_real().name  # PyTorch: a complex dtype's limits are its parts'
        self.bits = info.bits
        self.eps = _py_float(info.eps)
        self.max = _py_float(info.max)
        self.min = _py_float(info.min)
        self.tiny = self.smallest_normal = _py_float(info.tiny)
        self.resolution = 10.0 ** -_py_int(info.precision)  # PyTorch: a power of ten
        if d.itemsize == 1:  # the float8 types: PyTorch's own values
            self.resolution = 10.0 ** -_math.floor(-_math.log10(self.eps))
            if d.name == "float8_e5m2fnuz":
                self.eps = 0.125  # PyTorch reports 2**-3 (ml_dtypes 2**-2, the spacing at 1)

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.tiny:g}, tiny={self.tiny:g}, "
                f"dtype={self.dtype})")

    def __format__(self, spec: str) -> str:
        return _format_as_str(self, spec, "ember.finfo")

    def __getattr__(self, name: str) -> object:
        """Reached only for a missing attribute: PyTorch's message names ``torch.finfo``."""
        raise AttributeError(f"'ember.finfo' object has no attribute '{name}'")

    def __eq__(self, other: object) -> _py_bool:
        return isinstance(other, finfo) and vars(self) == vars(other)

    def __hash__(self) -> int:
        return hash((self.dtype, self.bits))


class iinfo:
    """Machine limits of an integer dtype, with PyTorch's attribute names."""

    __module__ = "ember"

    def __init__(self, type: dtype):  # noqa: A002
        d = _info_dtype(type, "iinfo")
        if d is bool:
            raise TypeError("ember.bool is not supported by ember.iinfo")
        if d.category != _INT:
            raise TypeError("ember.iinfo() requires an integer input type. Use ember.finfo to "
                            "handle 'ember.iinfo'")
        # a quantized dtype: the limits of its storage integer type, as PyTorch's
        info = np.iinfo(_QUANTIZED_STORAGE.get(d.name) or d.np)
        self.dtype = d.name
        self.bits = info.bits
        self.max = _py_int(info.max)
        self.min = _py_int(info.min)

    def __repr__(self) -> str:
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"

    def __format__(self, spec: str) -> str:
        return _format_as_str(self, spec, "ember.iinfo")

    def __getattr__(self, name: str) -> object:
        """Reached only for a missing attribute: PyTorch's message names ``torch.iinfo``."""
        raise AttributeError(f"'ember.iinfo' object has no attribute '{name}'")

    def __eq__(self, other: object) -> _py_bool:
        return isinstance(other, iinfo) and vars(self) == vars(other)

    def __hash__(self) -> int:
        return hash((self.dtype, self.bits))
