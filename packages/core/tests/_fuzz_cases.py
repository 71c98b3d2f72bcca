"""Shared by the differential-fuzzing regression tests (test_op_fuzz_s17*.py): run cases on
PyTorch and Ember and compare, and collect the warnings a call raises."""

from __future__ import annotations

import re
import warnings
from typing import Any

import ember
from ember.testing.sweep import Case, run_cases


def check_cases(torch: Any, *cases: Case) -> None:
    """Every case gives the same result, exception and warnings on both libraries."""
    bad = run_cases(list(cases), torch, ember)
    assert not bad, "\n".join(bad)


def warnings_of(fn: Any, m: Any) -> list[tuple[str, str]]:
    """The warnings ``fn(m)`` raises (category, text without PyTorch's "Triggered" note)."""
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        try:
            fn(m)
        except Exception:  # noqa: BLE001 - only the warnings matter here
            pass
    return sorted({(w.category.__name__, re.sub(r" \(Triggered internally.*", "",
                                                str(w.message))) for w in got})
