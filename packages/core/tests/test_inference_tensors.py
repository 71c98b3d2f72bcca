"""Tensors made under ``inference_mode`` are inference tensors, as in PyTorch: ``is_inference()``
(views too), no in-place update or ``requires_grad_`` outside the mode, never saved for
backward; each refusal in PyTorch's words."""

from __future__ import annotations

import pytest

import ember


def _attempts(lib):
    with lib.inference_mode():
        x = lib.ones(3)
        inside = x.is_inference(), x.view(3, 1).is_inference(), x.requires_grad
        x.add_(1)  # allowed inside the mode
        x[0] = 5.0
    w = lib.ones(3, requires_grad=True)
    cases = {
        "add_": lambda: x.add_(1),
        "mul_": lambda: x.mul_(2.0),
        "setitem": lambda: x.__setitem__(1, 3.0),
        "view_fill_": lambda: x[0].fill_(2),
        "zero_": lambda: x.zero_(),
        "copy_": lambda: x.copy_(lib.zeros(3)),
        "requires_grad_": lambda: x.requires_grad_(),
        "_version": lambda: x._version,
        "saved_by_mul": lambda: w * x,
        "saved_by_exp_mul": lambda: (w.exp() * x).sum(),
    }
    out = {"inside": inside, "outside": x.is_inference(), "values": x.tolist(),
           "clone": x.clone().is_inference(), "add_ok": (w + x).sum().item()}
    for name, fn in cases.items():
        try:
            fn()
            out[name] = "ok"
        except RuntimeError as e:
            out[name] = str(e)
    with lib.no_grad():
        out["no_grad"] = lib.ones(2).is_inference()
    with lib.inference_mode(False):
        out["mode_false"] = lib.ones(2).is_inference()
    return out


def test_inference_tensors_match_pytorch(torch):
    got, want = _attempts(ember), _attempts(torch)
    assert got == want


def test_inference_tensor_flags_without_torch():
    with ember.inference_mode():
        x = ember.ones(2)
    assert x.is_inference() and ember.is_inference(x)
    assert not ember.ones(2).is_inference()
    with pytest.raises(RuntimeError, match="Inplace update to inference tensor"):
        x.add_(1)
