"""Time the same workload on Ember, PyTorch and NumPy in one process, interleaved.

A workload registers a setup function per implementation; a setup builds inputs
and returns a zero-argument callable, which the harness times. Implementations
run in turn within each round (ember, torch, numpy, ember, torch, numpy, ...), so
that drift in the machine's speed (turbo, other load) hits all of them alike.
"""

from __future__ import annotations

import importlib
import importlib.util
import itertools
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

IMPLEMENTATIONS = ("ember", "torch", "numpy")
Setup = Callable[[], Callable[[], object]]


@dataclass
class Workload:
    """A named benchmark: one setup per implementation, and how to time it."""

    name: str
    setups: dict[str, Setup]
    number: int | None = None  # calls per timing; None chooses it so a timing lasts ~target
    repeat: int | None = None  # rounds; None uses the command line's --repeat
    self_timed: bool = False  # the callable returns its own duration in seconds
    statistic: str = "median"  # of the per-call times over rounds: "median" or "min"


@dataclass
class Result:
    """Per-call seconds of each implementation that ran, and errors of those that did not."""

    workload: Workload
    seconds: dict[str, float] = field(default_factory=dict)
    number: dict[str, int] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        """Ember's time over PyTorch's (below 1: Ember is faster)."""
        if "ember" in self.seconds and "torch" in self.seconds:
            return self.seconds["ember"] / self.seconds["torch"]
        return None

    def to_json(self) -> dict[str, object]:
        return {
            "workload": self.workload.name,
            "us": {impl: s * 1e6 for impl, s in self.seconds.items()},
            "ratio_ember_torch": self.ratio,
            "statistic": self.workload.statistic,
            "number": self.number,
            "errors": self.errors,
        }


REGISTRY: dict[str, Workload] = {}


def register(
    name: str,
    *,
    ember: Setup,
    torch: Setup | None = None,
    numpy: Setup | None = None,
    **options: object,
) -> Workload:
    """Register a workload; `options` are Workload's timing fields (number, repeat, ...)."""
    if name in REGISTRY:
        raise ValueError(f"benchmark workload {name!r} is registered twice")
    setups = {"ember": ember, "torch": torch, "numpy": numpy}
    setups = {impl: setup for impl, setup in setups.items() if setup is not None}
    REGISTRY[name] = workload = Workload(name, setups, **options)  # type: ignore[arg-type]
    return workload


def register_same(
    name: str,
    build: Callable[[object], Callable[[], object]],
    *,
    numpy: Setup | None = None,
    **options: object,
) -> Workload:
    """Register a workload written once against PyTorch's API: `build(ember)`, `build(torch)`."""
    return register(
        name,
        ember=lambda: build(importlib.import_module("ember")),
        torch=lambda: build(importlib.import_module("torch")),
        numpy=numpy,
        **options,
    )


def torch_available() -> bool:
    return importlib.util.find_spec("torch") is not None


def _time(fn: Callable[[], object], number: int) -> float:
    """Seconds for `number` calls of `fn`."""
    start = time.perf_counter()
    for _ in itertools.repeat(None, number):
        fn()
    return time.perf_counter() - start


def _autorange(fn: Callable[[], object], target: float) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50, ... calls that take at least `target` seconds."""
    for power in itertools.count():
        for step in (1, 2, 5):
            number = step * 10**power
            if _time(fn, number) >= target:
                return number
    raise AssertionError("unreachable")


def run(workload: Workload, repeat: int, target: float, skip: set[str]) -> Result:
    """Time every implementation of `workload` not in `skip`, interleaved over the rounds."""
    result = Result(workload)
    fns: dict[str, Callable[[], object]] = {}
    for impl, setup in workload.setups.items():
        if impl in skip:
            continue
        try:
            fn = setup()
            if not workload.self_timed:
                fn()  # warm-up: first-call costs (lazy imports, caches) are not what we time
                result.number[impl] = workload.number or _autorange(fn, target)
            fns[impl] = fn
        except Exception as error:  # a broken implementation is reported, not fatal
            result.errors[impl] = f"{type(error).__name__}: {error}"

    samples: dict[str, list[float]] = {impl: [] for impl in fns}
    for _ in range(workload.repeat or repeat):
        for impl, fn in list(fns.items()):
            try:
                if workload.self_timed:
                    samples[impl].append(float(fn()))  # type: ignore[arg-type]
                else:
                    number = result.number[impl]
                    samples[impl].append(_time(fn, number) / number)
            except Exception as error:
                result.errors[impl] = f"{type(error).__name__}: {error}"
                del fns[impl], samples[impl]
    reduce = min if workload.statistic == "min" else statistics.median
    result.seconds = {impl: reduce(times) for impl, times in samples.items() if times}
    return result
