"""Benchmark workloads. Each module here registers its own with `tools.bench.harness`;
adding a workload is adding one small module (see pointwise.py for the shape)."""

import importlib
import pkgutil


def load_all() -> None:
    """Import every module of this package, which registers its workloads."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
