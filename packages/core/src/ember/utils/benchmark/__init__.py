"""``ember.utils.benchmark``: PyTorch's benchmarking utilities for Ember programs.

``Timer`` times a statement (``timeit``, ``blocked_autorange``, ``adaptive_autorange``)
and returns a ``Measurement``; ``Compare`` prints many measurements as a table; ``Fuzzer``
generates randomized inputs to benchmark over.
"""

from .utils.common import (
           Measurement,
           TaskSpec,
           ordered_unique,
           select_unit,
           trim_sigfig,
           unit_to_english,
)
from .utils.compare import Colorize, Compare
from .utils.fuzzer import FuzzedParameter, FuzzedTensor, Fuzzer, ParameterAlias
from .utils.timer import Language, Timer, timer

__all__ = ["Timer", "timer", "Language", "Measurement", "TaskSpec", "Compare", "Colorize",
           "select_unit", "unit_to_english", "trim_sigfig", "ordered_unique", "Fuzzer",
           "FuzzedParameter", "FuzzedTensor", "ParameterAlias"]
