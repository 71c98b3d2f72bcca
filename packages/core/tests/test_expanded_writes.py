"""Writes into expanded tensors (several elements over one memory location), as PyTorch:
refused where the written elements share memory, except by the fills; allowed through a
view whose elements do not; advanced-index writes and the masked/index fills warn that
they are deprecated."""

from __future__ import annotations

import warnings

import pytest

import ember

CASES = ["x[0] = 5", "x[:, 0] = 5", "x[0, 1] = 5", "x[[0]] = 5", "x[0].add_(1)",
         "x[:, 0].fill_(2)", "x.copy_(L.ones(2, 3))", "x.index_fill_(1, L.tensor([0]), 3.)",
         "x[0].copy_(L.ones(3))", "x.clamp_(0, 1)", "x.T[0].add_(1)", "x[x > -1] = 1",
         "x.masked_fill_(x > -1, 2)", "x.add_(1)", "x.zero_()", "x.fill_(3)",
         "x[0, 1].fill_(7)", "x[0][1] = 4", "x[0] += 1", "x.mul_(2)", "x[:, 1:].zero_()",
         "x.relu_()", "x[0].relu_()", "x.index_put_((L.tensor([0]),), L.tensor(9.))",
         "x.scatter_(1, L.tensor([[0], [0]]), 4.)"]


def _outcome(lib, code):
    x = lib.zeros(1, 3).expand(2, 3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            exec(code, {"x": x, "L": lib})
        except RuntimeError as e:
            return "error", str(e), []
    return "ok", x.tolist(), sorted(str(w.message) for w in caught)


@pytest.mark.parametrize("code", CASES)
def test_writes_into_an_expanded_tensor_as_pytorch(torch, code):
    got, want = _outcome(ember, code), _outcome(torch, code)
    assert got[:2] == want[:2]
    assert [m.split(" (Triggered")[0] for m in want[2]] == got[2]


def test_read_only_memory_is_still_refused():
    import numpy as np

    a = np.zeros(3)
    a.setflags(write=False)
    with pytest.raises(RuntimeError, match="more than one element"):
        ember.from_numpy(a).expand(2, 3)[0].add_(1)
