"""``Timer``: time a Python statement the way ``torch.utils.benchmark.Timer`` does.

It runs ``stmt`` through the standard library's ``timeit`` (so the statement is compiled
once and looped without call overhead), with Ember's thread count set to ``num_threads``,
waits for queued GPU work before each clock reading, and returns ``Measurement`` objects.
"""

from __future__ import annotations

import enum
import sys
import textwrap
import timeit as _timeit
from collections.abc import Callable
from typing import Any, NoReturn

import numpy as np

from . import common

__all__ = ["Timer", "timer", "Language"]

_INT32_MAX = 2**31 - 1


def timer() -> float:
    """The clock Timer reads: ``timeit.default_timer`` after the GPU's queued work is done
    (only where CUDA is in use: the check costs nothing on a CPU-only program)."""
    if "cupy" in sys.modules:
        from .... import cuda

        if cuda.is_available():
            cuda.synchronize()
    return _timeit.default_timer()


class Language(enum.Enum):
    PYTHON = 0
    CPP = 1


def _clean(code: str) -> str:
    code = textwrap.dedent(code)
    return (code[1:] if code[:1] == "\n" else code).rstrip()


class Timer:
    """Time ``stmt`` after running ``setup`` once, with ``globals`` as its namespace
    (``ember`` is added as ``ember`` and ``torch`` unless given). ``label``, ``sub_label``,
    ``description`` and ``env`` name the measurement for ``Compare``.
    """

    _timer_cls: type = _timeit.Timer

    def __init__(self, stmt: str = "pass", setup: str = "pass", global_setup: str = "",
                 timer: Callable[[], float] = timer, globals: dict[str, Any] | None = None,
                 label: str | None = None, sub_label: str | None = None,
                 description: str | None = None, env: str | None = None,
                 num_threads: int = 1, language: Language | str = Language.PYTHON) -> None:
        if not isinstance(stmt, str):
            raise ValueError("Currently only a `str` stmt is supported.")
        if language in (Language.CPP, "cpp", "c++"):
            raise NotImplementedError("ember.utils.benchmark.Timer times Python statements "
                                      "only: Ember has no C++ front end")
        if language not in (Language.PYTHON, "py", "python"):
            raise ValueError(f"Invalid language `{language}`.")
        if global_setup:
            raise ValueError(f"global_setup is C++ only, got `{global_setup}`. Most likely "
                             "this code can simply be moved to `setup`.")
        import ember

        self._globals = dict(globals or {})
        self._globals.setdefault("ember", ember)
        self._globals.setdefault("torch", ember)  # statements written for PyTorch
        self._language = Language.PYTHON
        stmt, setup = _clean(stmt), _clean(setup)
        self._timer = self._timer_cls(stmt=stmt, setup=setup, timer=timer,
                                      globals=self._globals)
        self._task_spec = common.TaskSpec(stmt=stmt, setup=setup, global_setup=global_setup,
                                          label=label, sub_label=sub_label,
                                          description=description, env=env,
                                          num_threads=num_threads)

    def _timeit(self, number: int) -> float:
        return max(self._timer.timeit(number), 1e-9)

    def timeit(self, number: int = 1000000) -> common.Measurement:
        """One measurement of ``number`` executions, after a short warm-up."""
        with common.set_torch_threads(self._task_spec.num_threads):
            self._timeit(number=max(int(number // 100), 2))
            return common.Measurement(number_per_run=number,
                                      raw_times=[self._timeit(number=number)],
                                      task_spec=self._task_spec)

    def repeat(self, repeat: int = -1, number: int = -1) -> None:
        raise NotImplementedError("See `Timer.blocked_autorange.`")

    def autorange(self, callback: Callable[[int, float], NoReturn] | None = None) -> None:
        raise NotImplementedError("See `Timer.blocked_autorange.`")

    def _loop(self, number: int, stop: Callable[[list[float]], bool], min_run_time: float,
              max_run_time: float | None = None,
              callback: Callable[[int, float], Any] | None = None) -> list[float]:
        """Time blocks of ``number`` executions until ``min_run_time`` has passed and
        ``stop`` agrees (or ``max_run_time`` has passed)."""
        total, times, can_stop = 0.0, [], False
        with common.set_torch_threads(self._task_spec.num_threads):
            while total < min_run_time or not can_stop:
                spent = self._timeit(number)
                times.append(spent)
                total += spent
                if callback:
                    callback(number, spent)
                can_stop = stop(times)
                if max_run_time and total > max_run_time:
                    break
        return times

    def _estimate_block_size(self, min_run_time: float) -> int:
        """The smallest power of ten of executions whose time dwarfs the timer's overhead."""
        with common.set_torch_threads(self._task_spec.num_threads):
            overhead = float(np.median([self._timeit(0) for _ in range(5)]))
            number = 1
            while True:
                taken = self._timeit(number)
                if overhead / taken <= 1e-4 and taken >= min_run_time / 1000:
                    break
                if taken > min_run_time or number * 10 > _INT32_MAX:
                    break
                number *= 10
        return number

    def blocked_autorange(self, callback: Callable[[int, float], Any] | None = None,
                          min_run_time: float = 0.2) -> common.Measurement:
        """Blocks of executions (sized so the timer's overhead is negligible) until at
        least ``min_run_time`` seconds have been measured."""
        number = self._estimate_block_size(min_run_time)
        times = self._loop(number, lambda times: True, min_run_time, callback=callback)
        return common.Measurement(number_per_run=number, raw_times=times,
                                  task_spec=self._task_spec)

    def adaptive_autorange(self, threshold: float = 0.1, *, min_run_time: float = 0.01,
                           max_run_time: float = 10.0,
                           callback: Callable[[int, float], Any] | None = None
                           ) -> common.Measurement:
        """Blocks of executions until the IQR falls below ``threshold`` times the median
        (with at least four blocks), or ``max_run_time`` seconds have been measured."""
        number = self._estimate_block_size(min_run_time=0.05)

        def stop(times: list[float]) -> bool:
            return len(times) > 3 and common.Measurement(
                number, times, self._task_spec).meets_confidence(threshold=threshold)

        times = self._loop(number, stop, min_run_time, max_run_time, callback=callback)
        return common.Measurement(number_per_run=number, raw_times=times,
                                  task_spec=self._task_spec)

    def collect_callgrind(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise NotImplementedError("collect_callgrind counts the instructions of PyTorch's C++ "
                                  "kernels; Ember has none to count (use blocked_autorange)")
