"""What a benchmark measured: ``TaskSpec`` (what ran), ``Measurement`` (how long it took)
and the unit and significant-figure helpers that ``Timer`` and ``Compare`` print with.

The layout of ``repr(Measurement)`` is PyTorch's: the object line, the task summary, the
median (and IQR from four measurements on), the counts, and a warning when the spread is
large, so a program printing measurements prints the same shape of output on Ember.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import math
import textwrap
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from ...._runtime import get_num_threads, set_num_threads

__all__ = ["TaskSpec", "Measurement", "select_unit", "unit_to_english", "trim_sigfig",
           "ordered_unique", "set_torch_threads"]

_MAX_SIGNIFICANT_FIGURES = 4
_MIN_CONFIDENCE_INTERVAL = 25e-9  # seconds: a floor for the confidence interval
_IQR_WARN_THRESHOLD = 0.1
_IQR_GROSS_WARN_THRESHOLD = 0.25
_SKIP = "\0skip\0"


@dataclasses.dataclass(init=True, repr=False, eq=True, frozen=True)
class TaskSpec:
    """What a Timer runs and how it is labelled (everything but its globals)."""

    stmt: str
    setup: str
    global_setup: str = ""
    label: str | None = None
    sub_label: str | None = None
    description: str | None = None
    env: str | None = None
    num_threads: int = 1

    @property
    def title(self) -> str:
        """The label (or the statement) with the sub-label after a colon."""
        sub = f": {self.sub_label}" if self.sub_label else ""
        if self.label is not None:
            return self.label + sub
        if "\n" not in self.stmt:
            return self.stmt + sub
        paren = f" ({self.sub_label})" if self.sub_label else ""
        return f"stmt:{paren}\n" + textwrap.indent(self.stmt, "  ")

    def setup_str(self) -> str:
        if not self.setup or self.setup == "pass":
            return ""
        if "\n" in self.setup:
            return "setup:\n" + textwrap.indent(self.setup, "  ")
        return f"setup: {self.setup}"

    def summarize(self) -> str:
        """The task lines of a Measurement's repr: title, description, setup."""
        parts = [p for p in (self.title, self.description or "", self.setup_str()) if p]
        return "\n".join(p + "\n" if "\n" in p else p for p in parts)


_TASKSPEC_FIELDS = frozenset(f.name for f in dataclasses.fields(TaskSpec))


@dataclasses.dataclass(init=True, repr=False)
class Measurement:
    """The times of one or more runs of a statement: ``raw_times[i]`` is the time of a block
    of ``number_per_run`` executions. Picklable; statistics are per execution."""

    number_per_run: int
    raw_times: list[float]
    task_spec: TaskSpec
    metadata: dict[Any, Any] | None = None  # for the user's own payload

    def __post_init__(self) -> None:
        self._sorted_times: tuple[float, ...] = ()
        self._warnings: tuple[str, ...] = ()
        self._median = self._mean = self._p25 = self._p75 = -1.0

    def __getattr__(self, name: str) -> Any:
        # label, sub_label, stmt, ... read through to the task spec
        if name in _TASKSPEC_FIELDS:
            return getattr(self.task_spec, name)
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __getstate__(self) -> dict:
        return {"number_per_run": self.number_per_run, "raw_times": self.raw_times,
                "task_spec": self.task_spec, "metadata": self.metadata}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.__post_init__()

    @property
    def times(self) -> list[float]:
        """The time of one execution, per block."""
        return [t / self.number_per_run for t in self.raw_times]

    @property
    def median(self) -> float:
        self._lazy_init()
        return self._median

    @property
    def mean(self) -> float:
        self._lazy_init()
        return self._mean

    @property
    def iqr(self) -> float:
        self._lazy_init()
        return self._p75 - self._p25

    @property
    def significant_figures(self) -> int:
        """How many digits of the median the spread of the middle half of the times
        supports (1 to 4): ``Compare.trim_significant_figures`` prints that many."""
        self._lazy_init()
        n = len(self._sorted_times)
        middle = self._sorted_times[n // 4:math.ceil(3 * n / 4)]
        std = float(np.std(np.asarray(middle, dtype=np.float32))) if middle else 0.0
        ci = max(1.645 * std / math.sqrt(len(middle)) if middle else 0.0,
                 _MIN_CONFIDENCE_INTERVAL)
        figures = math.floor(float(np.log10(np.float32(self._median / ci))))
        return min(max(figures, 1), _MAX_SIGNIFICANT_FIGURES)

    @property
    def has_warnings(self) -> bool:
        self._lazy_init()
        return bool(self._warnings)

    def _lazy_init(self) -> None:
        if not self.raw_times or self._sorted_times:
            return
        self._sorted_times = tuple(sorted(self.times))
        arr = np.asarray(self._sorted_times, dtype=np.float64)
        self._p25, self._median, self._p75 = (float(q) for q in np.quantile(arr, (.25, .5, .75)))
        self._mean = float(arr.mean())
        if not self.meets_confidence(_IQR_GROSS_WARN_THRESHOLD):
            self._warn("This suggests significant environmental influence.")
        elif not self.meets_confidence(_IQR_WARN_THRESHOLD):
            self._warn("This could indicate system fluctuation.")

    def _warn(self, why: str) -> None:
        rel = self.iqr / self.median * 100
        self._warnings += (f"  WARNING: Interquartile range is {rel:.1f}% of the median "
                           f"measurement.\n           {why}",)

    def meets_confidence(self, threshold: float = _IQR_WARN_THRESHOLD) -> bool:
        """Whether the IQR is below ``threshold`` times the median."""
        return self.iqr / self.median < threshold

    @property
    def title(self) -> str:
        return self.task_spec.title

    @property
    def env(self) -> str | None:
        return self.task_spec.env

    @property
    def as_row_name(self) -> str:
        return self.sub_label or self.stmt or "[Unknown]"

    def __repr__(self) -> str:
        self._lazy_init()
        n = len(self._sorted_times)
        unit, scale = select_unit(self._median)
        many = n > 1
        threads = self.num_threads
        lines = [
            object.__repr__(self),
            self.task_spec.summarize(),
            f"  {'Median: ' if many else ''}{self._median / scale:.2f} {unit}",
            (f"  IQR:    {self.iqr / scale:.2f} {unit} ({self._p25 / scale:.2f} to "
             f"{self._p75 / scale:.2f})") if n >= 4 else _SKIP,
            f"  {n} measurement{'s' if many else ''}, {self.number_per_run} runs "
            f"{'per measurement,' if many else ','} {threads} thread{'s' if threads > 1 else ''}",
            "\n".join(self._warnings),
        ]
        text = "\n".join(line for line in lines if line != _SKIP).strip()
        return "\n".join(line for line in text.splitlines())

    @staticmethod
    def merge(measurements: Iterable[Measurement]) -> list[Measurement]:
        """One Measurement per task spec, its times per execution (``number_per_run=1``);
        metadata is dropped since it may differ between replicates."""
        groups: dict[TaskSpec, list[float]] = collections.defaultdict(list)
        for m in measurements:
            groups[m.task_spec].extend(m.times)
        return [Measurement(1, times, spec, None) for spec, times in groups.items()]


_UNITS = {-3: "ns", -2: "us", -1: "ms"}
_SCALES = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1}


def select_unit(t: float) -> tuple[str, float]:
    """The unit ("ns", "us", "ms" or "s") that shows ``t`` seconds with a few digits, and
    its size in seconds."""
    unit = _UNITS.get(int(np.log10(np.float32(t)) // 3), "s")
    return unit, _SCALES[unit]


def unit_to_english(u: str) -> str:
    return {"ns": "nanosecond", "us": "microsecond", "ms": "millisecond", "s": "second"}[u]


def trim_sigfig(x: float, n: int) -> float:
    """``x`` rounded to ``n`` significant figures (3.14159, 2 -> 3.1)."""
    if n != int(n):
        raise AssertionError("Number of significant figures must be an integer")
    magnitude = math.ceil(float(np.log10(np.float32(abs(x)))))
    scale = 10 ** (magnitude - n)
    return float(np.float32(np.round(np.float32(x / scale))) * scale)


def ordered_unique(elements: Iterable[Any]) -> list[Any]:
    """The distinct elements in their first order."""
    return list(dict.fromkeys(elements))


@contextlib.contextmanager
def set_torch_threads(n: int) -> Iterator[None]:
    """Run a block with ``ember.set_num_threads(n)``, restoring the prior count after
    (PyTorch's name, kept so that programs importing it run unchanged)."""
    prior = get_num_threads()
    try:
        set_num_threads(n)
        yield
    finally:
        set_num_threads(prior)
