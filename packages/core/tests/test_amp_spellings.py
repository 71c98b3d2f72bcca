"""ember.GradScaler at top level (torch.GradScaler), the deprecated per-device autocast
accessors' DeprecationWarnings, and the unsupported-dtype warning, all in PyTorch's words."""

from __future__ import annotations

import warnings

import pytest

import ember


def _warnings(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn()
    return [(w.category, str(w.message).split(" (Triggered internally")[0]) for w in caught]


def test_top_level_grad_scaler_is_amp_grad_scaler(torch):
    assert (ember.GradScaler is ember.amp.GradScaler) == (torch.GradScaler is torch.amp.GradScaler)
    s, t = ember.GradScaler("cpu", init_scale=8.0), torch.GradScaler("cpu", init_scale=8.0)
    assert s.get_scale() == t.get_scale()
    assert s.state_dict() == t.state_dict()


CALLS = {
    "is_autocast_cpu_enabled": lambda m: m.is_autocast_cpu_enabled(),
    "get_autocast_cpu_dtype": lambda m: m.get_autocast_cpu_dtype(),
    "set_autocast_cpu_enabled": lambda m: m.set_autocast_cpu_enabled(False),
    "set_autocast_cpu_dtype": lambda m: m.set_autocast_cpu_dtype(m.bfloat16),
    "get_autocast_gpu_dtype": lambda m: m.get_autocast_gpu_dtype(),
    "set_autocast_gpu_dtype": lambda m: m.set_autocast_gpu_dtype(m.float16),
    "cpu_float64": lambda m: m.autocast("cpu", dtype=m.float64),
}


@pytest.mark.parametrize("name", list(CALLS))
def test_autocast_spelling_warnings_match_torch(torch, name):
    got = _warnings(lambda: CALLS[name](ember))
    want = _warnings(lambda: CALLS[name](torch))
    # the unsupported-dtype message lists the dtypes as printed: Ember's as ember.bfloat16
    want = [(c, m.replace("of torch.bfloat16, torch.float16", "of ember.bfloat16, ember.float16"))
            for c, m in want]
    assert [(c, m.replace("torch.", "ember.", 0)) for c, m in got] == want
    assert got and got[0][0] in (DeprecationWarning, UserWarning)
