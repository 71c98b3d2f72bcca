"""``ctc_loss`` / ``CTCLoss`` against PyTorch: ``zero_infinity`` on infeasible samples, every
reduction, blank index, padded and concatenated targets, lengths as tensors or tuples."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import ember
from ember.testing import assert_close

_T, _N, _C = 6, 3, 5
# sample 1 cannot be aligned: six repeated labels need eleven frames
_TARGETS = np.array([[1, 2, 3, 0, 0, 0], [1, 1, 1, 1, 1, 1], [2, 2, 0, 0, 0, 0]])
_TL, _IL = [3, 6, 2], [6, 5, 6]


def _run(lib: Any, lp: np.ndarray, form: str, blank: int, module: bool, **kw: Any) -> tuple:
    x = lib.tensor(lp, requires_grad=True)
    targets = _TARGETS if blank == 0 else np.where(_TARGETS > 0, _TARGETS - 1, 0)
    if form == "1d":
        tg = lib.tensor(np.concatenate([targets[i, :_TL[i]] for i in range(_N)]))
    else:
        tg = lib.tensor(targets)
    if form in ("2d", "1d"):
        il, tl = lib.tensor(_IL), lib.tensor(_TL)
    else:
        il, tl = tuple(_IL), tuple(_TL)
    lsm = x.log_softmax(2)
    if module:
        out = lib.nn.CTCLoss(blank=blank, **kw)(lsm, tg, il, tl)
    else:
        out = lib.nn.functional.ctc_loss(lsm, tg, il, tl, blank=blank, **kw)
    (out * lib.tensor(np.linspace(0.5, 1.5, out.numel()).reshape(out.shape)
                      .astype(lp.dtype))).sum().backward()
    return out, x.grad


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("form", ["2d", "1d", "tuple"])
@pytest.mark.parametrize("blank", [0, 4])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_zero_infinity_infeasible(torch: Any, reduction: str, form: str, blank: int,
                                  dtype: Any) -> None:
    lp = np.random.default_rng(0).standard_normal((_T, _N, _C)).astype(dtype)
    kw = dict(reduction=reduction, zero_infinity=True)
    e_out, e_grad = _run(ember, lp, form, blank, module=form == "tuple", **kw)
    t_out, t_grad = _run(torch, lp, form, blank, module=form == "tuple", **kw)
    assert_close(e_out, t_out)
    assert np.isfinite(e_grad.numpy()).all()
    assert (e_grad.numpy()[:, 1] == 0).all()  # the infeasible sample gets no gradient
    assert_close(e_grad, t_grad)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_infeasible_loss_is_inf(torch: Any, reduction: str) -> None:
    lp = np.random.default_rng(1).standard_normal((_T, _N, _C)).astype(np.float32)
    for lib_out in (_run(ember, lp, "2d", 0, False, reduction=reduction)[0],
                    _run(torch, lp, "2d", 0, False, reduction=reduction)[0]):
        assert np.isinf(lib_out.detach().numpy()).any()


def test_zero_target_length_and_unbatched(torch: Any) -> None:
    rng = np.random.default_rng(2)
    lp = rng.standard_normal((6, 2, 5))
    res = []
    for lib in (ember, torch):
        x = lib.tensor(lp, requires_grad=True)
        out = lib.nn.functional.ctc_loss(x.log_softmax(2), lib.tensor([[1, 2], [0, 0]]),
                                         (6, 4), (2, 0), reduction="sum")
        out.backward()
        x1 = lib.tensor(lp[:, 0], requires_grad=True)
        out1 = lib.nn.functional.ctc_loss(x1.log_softmax(1), lib.tensor([1, 2]),
                                          lib.tensor(6), lib.tensor(2))
        out1.backward()
        res.append((out, x.grad, out1, x1.grad))
    for e, t in zip(*res):
        assert_close(e, t)
