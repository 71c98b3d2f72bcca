"""Mixed-precision and dtype programs against PyTorch (lane L, session 26): autocast's cache of
the weights' low-precision casts (kept until the outermost region exits), matrix @ vector
dtype errors as PyTorch's addmv, the unsupported-dtype autocast warning listing the dtypes as
printed, and ``amp.autocast_mode.is_autocast_available``."""

from __future__ import annotations

import warnings

import pytest
from _programs import same_printed

import ember
import ember.nn.functional  # noqa: F401 - ember.nn.functional for the lib-generic calls

torch = pytest.importorskip("torch")


def _error(fn) -> tuple[str, str]:
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the type is compared
        return type(e).__name__, str(e)
    return "no error", ""


_MV_CASES = {
    "mat_f32_vec_f64": lambda L, x: x @ x[0].double(),
    "mat_f64_vec_f32": lambda L, x: x.double() @ x[0],
    "mat_f32_vec_f16": lambda L, x: x @ x[0].half(),
    "batch_f32_vec_f64": lambda L, x: x[None] @ x[0].double(),
    "matmul_f16_vec_f32": lambda L, x: L.matmul(x.half(), x[0]),
    "mv_f32_vec_f64": lambda L, x: L.mv(x, x[0].double()),
    "vec_f32_mat_f64": lambda L, x: x[0] @ x.t().double(),
}


@pytest.mark.parametrize("name", list(_MV_CASES))
def test_matrix_vector_dtype_error(name: str) -> None:
    """A matrix @ vector of two dtypes: PyTorch's mv is an addmv into the vector's dtype."""
    def run(L):
        return _error(lambda: _MV_CASES[name](L, L.ones(2, 3)))

    assert run(ember) == run(torch)


def _autocast_warnings(L, dtype_name: str) -> list[str]:
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        with L.autocast("cpu", dtype=getattr(L, dtype_name)):
            enabled = L.is_autocast_enabled("cpu")
    return [str(m.message) for m in w] + [enabled]


@pytest.mark.parametrize("dtype_name", ["float32", "float64"])
def test_autocast_unsupported_dtype_warning_lists_dtypes(dtype_name: str) -> None:
    """PyTorch builds the message from ``str(dtype)``: Ember's dtypes print as ember.*."""
    want = [m.replace("torch.", "ember.") if isinstance(m, str) else m
            for m in _autocast_warnings(torch, dtype_name)]
    assert _autocast_warnings(ember, dtype_name) == want


def test_autocast_mode_module_is_autocast_available() -> None:
    for name in ("cpu", "cuda"):
        assert ember.amp.autocast_mode.is_autocast_available(name) == \
            torch.amp.autocast_mode.is_autocast_available(name)


def _weight_cast_values(L) -> list:
    """A weight changed in place inside one autocast region: read through the cast cache."""
    lin = L.nn.Linear(2, 1, bias=False)
    x = L.ones(1, 2)
    out = []
    for mode in ["grad", "nograd", "inference", "nograd_then_grad", "grad_then_nograd",
                 "cache_off", "cleared", "new_region"]:
        with L.no_grad():
            lin.weight.fill_(1.0)
        with L.autocast("cpu", dtype=L.bfloat16, cache_enabled=mode != "cache_off"):
            ctx = L.inference_mode if mode == "inference" else L.no_grad
            with ctx() if mode in ("nograd", "inference", "nograd_then_grad") else _null():
                a = lin(x)
            with L.no_grad():
                lin.weight.fill_(2.0)
            if mode == "cleared":
                L.clear_autocast_cache()
            if mode == "new_region":
                continue
            with ctx() if mode in ("nograd", "inference", "grad_then_nograd") else _null():
                b = lin(x)
        out.append([mode, a.item(), b.item(), b.requires_grad, str(b.dtype)])
        if b.requires_grad:
            b.sum().backward()
            out.append(lin.weight.grad.tolist())
            lin.weight.grad = None
    with L.autocast("cpu", dtype=L.bfloat16):  # a new region casts the changed weight
        out.append(lin(x).item())
    return [str(v).replace("torch.", "ember.") for v in out]


class _null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return False


def test_autocast_weight_cast_cache() -> None:
    """PyTorch caches the low-precision cast of a float32 leaf that requires grad (made with
    grad on), reuses it until the outermost autocast exits; not in inference mode, not with
    ``cache_enabled=False``, and ``clear_autocast_cache`` forgets it."""
    assert _weight_cast_values(ember) == _weight_cast_values(torch)


_LOOP_INSIDE_AUTOCAST = """
import torch
import torch.nn as nn
torch.manual_seed(0)
model = nn.Linear(4, 1)
opt = torch.optim.SGD(model.parameters(), lr=0.5)
x = torch.randn(16, 4); y = torch.randn(16, 1)
with torch.autocast('cpu', dtype=torch.bfloat16):
    for step in range(4):
        opt.zero_grad()
        out = model(x)
        loss = nn.functional.mse_loss(out.float(), y)
        loss.backward()
        opt.step()
        print(step, f"{loss.item():.4f}", out[0].item())
print(model.weight)
with torch.autocast('cpu', dtype=torch.bfloat16):
    print(model(x)[:2])
"""

_NESTED_AUTOCAST = """
import torch
import torch.nn as nn
torch.manual_seed(0)
lin = nn.Linear(3, 2)
x = torch.randn(4, 3)
with torch.autocast('cpu', dtype=torch.bfloat16):
    with torch.autocast('cpu', dtype=torch.float16):
        print(lin(x).dtype)
    try:
        lin(x)
    except RuntimeError as e:
        print(type(e).__name__, e)
with torch.autocast('cpu', dtype=torch.bfloat16):
    y = lin(x)
    print(y.dtype, torch.einsum('ij,kj->ik', x, lin.weight).dtype)
    with torch.autocast('cpu', enabled=False):
        print(lin(x).dtype)
        try:
            nn.Linear(2, 2)(y)
        except RuntimeError as e:
            print(type(e).__name__, e)
y.float().sum().backward()
print(lin.weight.grad.dtype, lin.weight.grad)
"""


@pytest.mark.parametrize("src", [_LOOP_INSIDE_AUTOCAST, _NESTED_AUTOCAST],
                         ids=["loop_inside_autocast", "nested_autocast"])
def test_autocast_programs(src: str) -> None:
    """A training loop wholly inside autocast reads its first weights' casts (PyTorch's
    cache); an inner float16 region leaves float16 casts for the outer bfloat16 one."""
    same_printed(src)


_MIXED_STATE_CASES = [("Adam", {}), ("AdamW", {}), ("Adam", {"weight_decay": 0.1}),
                      ("Adam", {"amsgrad": True}), ("NAdam", {}),
                      ("NAdam", {"decoupled_weight_decay": True, "weight_decay": 0.1}),
                      ("RAdam", {"decoupled_weight_decay": True, "weight_decay": 0.1}),
                      ("Adamax", {}), ("RMSprop", {"momentum": 0.9}), ("SGD", {"momentum": 0.9})]


@pytest.mark.parametrize("name,kw", _MIXED_STATE_CASES)
def test_optimizer_step_after_model_double(name: str, kw: dict) -> None:
    """``model.double()`` after steps leaves float32 state: PyTorch's lerp-based steps raise
    (the step count bumped, a decoupled decay applied first); the others run."""
    def run(L):
        w = L.nn.Parameter(L.ones(2))
        opt = getattr(L.optim, name)([w], lr=0.1, **kw)
        w.grad = L.ones(2)
        opt.step()
        w.data = w.data.double()
        w.grad = L.ones(2).double()
        err = _error(opt.step)
        return [err, {k: v.tolist() for k, v in opt.state[w].items()}, w.tolist(), str(w.dtype)]

    assert run(ember) == [v.replace("torch.", "ember.") if isinstance(v, str) else v
                          for v in run(torch)]


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("nll", [False, True])
def test_half_class_loss_grad_bitwise(dtype: str, weighted: bool, reduction: str,
                                      nll: bool) -> None:
    """bfloat16/float16 cross_entropy and nll_loss gradients as PyTorch's: its nll backward
    rounds ``g / total_weight`` (the half total) and ``weight * that`` to the half type."""
    def grad(L):
        L.manual_seed(0)
        x = (L.randn(12, 3) * 2).to(getattr(L, dtype)).requires_grad_()
        y = L.randint(0, 3, (12,))
        y[1] = -100
        w = (L.rand(3) + 0.5).to(getattr(L, dtype)) if weighted else None
        f = L.nn.functional.nll_loss if nll else L.nn.functional.cross_entropy
        (f(x, y, weight=w, reduction=reduction) * 3).backward()
        return x.grad.float().tolist()

    assert grad(ember) == grad(torch)


_BF16_TRAINING = """
import torch
import torch.nn as nn
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3)).to(dtype=torch.bfloat16)
x = torch.randn(12, 4, dtype=torch.bfloat16)
y = torch.randint(0, 3, (12,))
opt = torch.optim.Adam(model.parameters(), lr=0.01)
for step in range(4):
    opt.zero_grad()
    out = model(x)
    loss = nn.functional.cross_entropy(out, y)
    loss.backward()
    opt.step()
    print(step, loss.dtype, loss.item(), out.argmax(1).tolist())
print(opt.state[model[0].weight]['exp_avg_sq'][0])
print(model[2].weight.grad)
"""


def test_bfloat16_training_program() -> None:
    same_printed(_BF16_TRAINING)
