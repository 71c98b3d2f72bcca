"""Ember: PyTorch's API on NumPy (CPU) and CuPy (CUDA)."""

from pkgutil import extend_path

__path__ = extend_path(__path__, __name__)

import builtins as _builtins  # noqa: E402
import importlib as _importlib  # noqa: E402
import math as _math  # noqa: E402
import sys as _sys  # noqa: E402
import warnings as _warnings  # noqa: E402

# PyTorch gives inf and nan silently; NumPy's floating-point warnings from Ember's own
# modules would leak to users, so they are filtered by module (no per-op errstate cost).
_warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"ember(\.|$)")

from . import dtypes as _dtypes  # noqa: E402
from ._device import device  # noqa: E402
from ._formatting import set_printoptions  # noqa: E402
from ._tensor import (Size, Tensor, channels_last, channels_last_3d,  # noqa: E402
                      contiguous_format, layout, memory_format, preserve_format, strided)
from .autograd import (enable_grad, inference_mode, is_grad_enabled,  # noqa: E402
                       is_inference_mode_enabled, no_grad, set_grad_enabled)
from .dtypes import (bfloat16, bool, cdouble, cfloat, complex64, complex128,  # noqa: E402
                     double, finfo, float, float16, float32, float64, get_default_dtype, half,
                     iinfo, int, int8, int16, int32, int64, long, promote_types,
                     set_default_dtype, short, uint8, uint16, uint32, uint64, can_cast)
from .dtypes import dtype  # noqa: E402
from .ops import *  # noqa: E402,F403
from .ops import __all__ as _ops_all  # noqa: E402
from .ops._dispatch import result_type  # noqa: E402
from .autograd import _api as _autograd_api  # noqa: E402,F401  (attaches Tensor.backward)
from .random import (Generator, default_generator, get_rng_state, initial_seed,  # noqa: E402
                     manual_seed, seed,
                     set_rng_state)

from ._runtime import (are_deterministic_algorithms_enabled, compile,  # noqa: E402
                       get_float32_matmul_precision, get_num_interop_threads, get_num_threads,
                       is_deterministic_algorithms_warn_only_enabled,
                       set_float32_matmul_precision, set_num_interop_threads, set_num_threads,
                       use_deterministic_algorithms)

from .torch_version import TorchVersion as _TorchVersion  # noqa: E402

__version__ = _TorchVersion("0.1.0")
inf = _math.inf
nan = _math.nan
pi = _math.pi
e = _math.e
newaxis = None

# sibling distributions, reachable as attributes; the package to install when absent
_SIBLINGS = {"nn": "ember-nn", "optim": "ember-optim", "vision": "ember-vision",
             "text": "ember-text", "audio": "ember-audio", "distributed": "ember-distributed",
             "fx": "ember-nn", "ao": "ember-nn", "quantization": "ember-nn"}
# core submodules loaded on first attribute access (kept out of `import ember`)
_LAZY_CORE = ("linalg", "special", "fft", "utils", "serialization", "hub", "cuda", "testing",
              "backends", "plugins", "extend", "cli", "random", "autograd", "return_types",
              "amp", "multiprocessing", "jit", "distributions", "func", "version", "cpu",
              "compiler", "onnx", "storage", "accelerator", "profiler", "signal",
              "quasirandom", "sparse", "xpu", "mps", "mtia", "functional", "overrides",
              "_dynamo", "_C", "__future__", "_tensor_str", "export")


class _MissingSibling:
    """A meta-path finder of last resort: ``import ember.nn`` without ember-nn says what to install."""

    @staticmethod
    def find_spec(fullname: str, path: object = None, target: object = None) -> None:
        parts = fullname.split(".")
        # only the sibling package itself: a missing submodule of an installed one is a
        # plain ModuleNotFoundError
        if len(parts) == 2 and parts[0] == "ember" and parts[1] in _SIBLINGS:
            dist = _SIBLINGS[parts[1]]
            raise ModuleNotFoundError(
                f"No module named '{fullname}': ember.{parts[1]} is in the distribution "
                f"'{dist}', which is not installed. Install it with: pip install {dist}",
                name=fullname)
        return None


if not _builtins.any(type(f).__name__ == "_MissingSibling" for f in _sys.meta_path):
    _sys.meta_path.append(_MissingSibling)


# functions whose modules load on first use
_LAZY_ATTRS = {"save": ("serialization", "save"), "load": ("serialization", "load"),
               "get_model": ("hub", "get_model"), "list_models": ("hub", "list_models"),
               "vmap": ("func", "vmap"),
               "sparse_coo": ("sparse", "sparse_coo"),
               "sparse_coo_tensor": ("sparse", "sparse_coo_tensor"),
               **{_n: ("sparse", _n) for _n in (
                   "sparse_csr", "sparse_csc", "sparse_bsr", "sparse_bsc", "sparse_csr_tensor",
                   "sparse_csc_tensor", "sparse_bsr_tensor", "sparse_bsc_tensor",
                   "sparse_compressed_tensor")},
               "spmm": ("sparse", "spmm"),
               "GradScaler": ("amp", "GradScaler"),
               "is_anomaly_enabled": ("autograd.anomaly", "is_anomaly_enabled"),
               "is_anomaly_check_nan_enabled": ("autograd.anomaly",
                                                "is_anomaly_check_nan_enabled"),
               "UntypedStorage": ("_storage", "UntypedStorage"),
               "_assert": ("_assert", "_assert"),  # traceable assert (torch._assert)
               "TypedStorage": ("_storage", "TypedStorage"),
               **{_n: ("_toplevel_extras", _n) for _n in (
                   "has_lapack", "has_mkl", "has_openmp", "has_spectral", "set_anomaly_enabled",
                   "init_num_threads", "is_vulkan_available", "compiled_with_cxx11_abi",
                   "Storage", "FloatStorage", "DoubleStorage",
                   "HalfStorage", "BFloat16Storage", "LongStorage", "IntStorage",
                   "ShortStorage", "CharStorage", "ByteStorage", "BoolStorage",
                   "ComplexFloatStorage", "ComplexDoubleStorage")},
               **{_n: ("dtypes", _n) for _n in (
                   "float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz",
                   "quint8", "qint8", "qint32", "quint4x2", "quint2x4", "qscheme",
                   "per_tensor_affine", "per_tensor_symmetric", "per_channel_affine",
                   "per_channel_symmetric", "per_channel_affine_float_qparams")}}


def __getattr__(name: str):
    if name in _LAZY_ATTRS:
        module, attr = _LAZY_ATTRS[name]
        value = getattr(_importlib.import_module(f"{__name__}.{module}"), attr)
        globals()[name] = value
        return value
    if name in _SIBLINGS or name in _LAZY_CORE:
        module = _importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    if not name.startswith("__"):
        from . import ops as _ops

        _ops.load_all()  # the lazily loaded op families (linalg, nn kernels, ...)
        if name in _ops.__all__:
            value = globals()[name] = getattr(_ops, name)
            return value
        if name.startswith("_foreach_"):  # torch._foreach_* list ops
            _foreach = _importlib.import_module(f"{__name__}._foreach")
            if name in _foreach.__all__:
                value = globals()[name] = getattr(_foreach, name)
                return value
    raise AttributeError(f"module 'ember' has no attribute '{name}'")


def is_tensor(obj: object) -> bool:
    """Whether ``obj`` is an Ember tensor."""
    return isinstance(obj, Tensor)


def is_floating_point(input: Tensor) -> bool:
    return input.is_floating_point()


def is_complex(input: Tensor) -> bool:
    return input.is_complex()


def numel(input: Tensor) -> int:
    return input.numel()


def typename(obj: object) -> str:
    return obj.type() if isinstance(obj, Tensor) else type(obj).__name__
