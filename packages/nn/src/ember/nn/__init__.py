"""``ember.nn``: PyTorch's torch.nn on Ember: modules, parameters, init and utilities."""

from . import attention, common_types, functional, grad, init, modules, parameter, utils
from .modules import *  # noqa: F403
from .modules import __all__ as _modules_all
from .parallel import DataParallel
from .parameter import Buffer, Parameter, UninitializedBuffer, UninitializedParameter


def factory_kwargs(kwargs: dict | None) -> dict:
    """``{"device": ..., "dtype": ...}`` (and memory_format) out of a layer's kwargs."""
    if kwargs is None:
        return {}
    simple = {"device", "dtype", "memory_format"}
    expected = simple | {"factory_kwargs"}
    if not kwargs.keys() <= expected:
        raise TypeError(f"unexpected kwargs {kwargs.keys() - expected}")
    r = dict(kwargs.get("factory_kwargs", {}))
    for k in simple:
        if k in kwargs:
            if k in r:
                raise TypeError(f"{k} specified twice, in **kwargs and in factory_kwargs")
            r[k] = kwargs[k]
    return r


__all__ = list(_modules_all) + ["Parameter", "Buffer", "UninitializedParameter",
                                "UninitializedBuffer", "DataParallel", "functional", "init",
                                "utils", "parameter", "modules", "factory_kwargs", "grad",
                                "common_types", "attention"]


def __getattr__(name: str):
    # PyTorch's deprecated aliases of ember.ao.nn.intrinsic / .qat, imported on first use
    # (ember.ao imports ember.nn)
    if name in ("intrinsic", "qat"):
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
