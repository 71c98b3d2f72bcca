"""Core differences from PyTorch found by running short programs side by side (session 19):
empty_strided's strides, Tensor.to's accepted call forms, factories without a size, the nuclear
norm's graph and norm's dtype= rule, contiguous reduction results of channels_last inputs, and
the mixed-dtype refusals of addmm/baddbmm/addmv/mv."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def _lib(name: str) -> Any:
    return torch if name == "torch" else ember


def outcome(fn: Any) -> Any:
    """``fn()``'s value, or its exception's type name (and message when ``msg``)."""
    try:
        return ("ok", fn())
    except Exception as e:  # noqa: BLE001 - the type is what is compared
        return (type(e).__name__, str(e).replace("torch", "ember"))


def both(fn: Any) -> tuple:
    return outcome(lambda: fn(torch)), outcome(lambda: fn(ember))


# ------------------------------------------------------------------ 1. empty_strided
@pytest.mark.parametrize("size,stride", [((2, 3), (1, 2)), ((2, 3), (4, 1)), ((2, 3), (3, 1)),
                                         ((0, 3), (3, 1)), ((), ()), ((2, 1, 3), (3, 100, 1)),
                                         ((2, 3), (0, 1)), ((2, 3, 4), (1, 2, 6))])
def test_empty_strided_has_the_requested_strides(size: tuple, stride: tuple) -> None:
    def run(T: Any) -> tuple:
        t = T.empty_strided(size, stride, dtype=T.float64, requires_grad=True)
        return (t.stride(), tuple(t.shape), t.is_contiguous(), t.untyped_storage().nbytes(),
                t.is_leaf, t.requires_grad, str(t.dtype).split(".")[-1])

    assert run(torch) == run(ember)


def test_empty_strided_writes_and_refusals() -> None:
    def fill(T: Any) -> tuple:
        t = T.empty_strided((2, 3), (1, 2))
        t.copy_(T.arange(6.0).reshape(2, 3))
        return t.tolist(), t.t().is_contiguous()

    assert fill(torch) == fill(ember)
    for args in [((2, 3), (1,)), ((2,), (-1,))]:
        (kt, mt), (ke, me) = both(lambda T, args=args: T.empty_strided(*args))
        assert (kt, mt) == (ke, me) and kt == "RuntimeError"


# ------------------------------------------------------------------ 2. Tensor.to call forms
def _x(T: Any) -> Any:
    return T.tensor(np.arange(6.0, dtype=np.float32).reshape(2, 3))


GOOD_TO = [
    lambda T, x: x.to("cpu", T.float64),
    lambda T, x: x.to(T.float64, True, True),
    lambda T, x: x.to("cpu", T.float64, False, True),
    lambda T, x: x.to(x.double()),
    lambda T, x: x.to(dtype=T.float64, device="cpu"),
    lambda T, x: x.to(T.float64, copy=True),
    lambda T, x: x.to(),
    lambda T, x: x.to(T.device("cpu")),
    lambda T, x: x.to(None),
    lambda T, x: x.to("cpu", None),
    lambda T, x: x.to(float),
    lambda T, x: x.to(T.float16, non_blocking=True),
    lambda T, x: x.to(x.long(), copy=True),
    lambda T, x: x.to(device="cpu", copy=True),
    lambda T, x: x.to(memory_format=T.contiguous_format),
]
BAD_TO = [
    lambda T, x: x.to("cpu", 5),
    lambda T, x: x.to(T.float64, T.float32),
    lambda T, x: x.to("cpu", "cpu"),
    lambda T, x: x.to(foo=1),
    lambda T, x: x.to(x, T.float64),
    lambda T, x: x.to(T.float64, "cpu"),
    lambda T, x: x.to("cpu", device="cpu"),
    lambda T, x: x.to(T.float64, dtype=T.float32),
    lambda T, x: x.to(T.float64, False, False, False),
]


@pytest.mark.parametrize("i", range(len(GOOD_TO)))
def test_to_accepted_forms(i: int) -> None:
    a, b = GOOD_TO[i](torch, _x(torch)), GOOD_TO[i](ember, _x(ember))
    assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]
    assert str(a.device) == str(b.device) and a.tolist() == b.tolist()
    assert a.stride() == b.stride()


@pytest.mark.parametrize("i", range(len(BAD_TO)))
def test_to_refused_forms_are_type_errors(i: int) -> None:
    (kt, _), (ke, me) = both(lambda T: BAD_TO[i](T, _x(T)))
    assert kt == ke == "TypeError"
    assert "invalid combination of arguments" in me


def test_to_refusal_names_what_it_got() -> None:
    with pytest.raises(TypeError, match=r"got \(str, int\)"):
        _x(ember).to("cpu", 5)


# ------------------------------------------------------------------ 3. factories without a size
@pytest.mark.parametrize("fn", ["randn", "rand", "zeros", "ones", "empty", "randint", "randperm",
                                "full", "eye", "arange", "linspace", "zeros_like", "tensor"])
def test_factory_without_size_is_a_type_error(fn: str) -> None:
    (kt, _), (ke, _) = both(lambda T: getattr(T, fn)())
    assert kt == ke == "TypeError"


@pytest.mark.parametrize("fn", ["randn", "rand", "zeros", "ones", "empty"])
def test_factory_size_forms(fn: str) -> None:
    for call in (lambda T: getattr(T, fn)(()), lambda T: getattr(T, fn)([]),
                 lambda T: getattr(T, fn)(size=(2, 3)), lambda T: getattr(T, fn)(2, 3),
                 lambda T: getattr(T, fn)((2, 3), dtype=T.float64)):
        a, b = call(torch), call(ember)
        assert tuple(a.shape) == tuple(b.shape)
        assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]
    (kt, _), (ke, _) = both(lambda T: getattr(T, fn)(2, size=(2,)))
    assert kt == ke == "TypeError"


# ------------------------------------------------------------------ 4. cat of nothing
@pytest.mark.parametrize("arg", [[], ()])
def test_cat_of_nothing(arg: Any) -> None:
    (kt, mt), (ke, me) = both(lambda T: T.cat(arg))
    assert kt == ke == "ValueError"
    assert me == "ember.cat(): expected a non-empty list of Tensors" == mt


# ------------------------------------------------------------------ 5. norm: 'nuc' and dtype=
NUC_CALLS = [
    lambda T, a, b: T.norm(a, "nuc"),
    lambda T, a, b: T.norm(a, "nuc", keepdim=True),
    lambda T, a, b: T.norm(b, "nuc", dim=(0, 2)),
    lambda T, a, b: T.norm(b, "nuc", dim=(2, 0), keepdim=True),
    lambda T, a, b: a.norm("nuc"),
    lambda T, a, b: T.norm(a.float(), "nuc", dtype=T.float64),
]


@pytest.mark.parametrize("i", range(len(NUC_CALLS)))
def test_nuclear_norm_graph_values_and_grads(i: int) -> None:
    rs = np.random.RandomState(i)
    an, bn = rs.randn(3, 4), rs.randn(2, 3, 4)
    out = []
    for T in (torch, ember):
        a, b = T.tensor(an, requires_grad=True), T.tensor(bn, requires_grad=True)
        r = NUC_CALLS[i](T, a, b)
        r.sum().backward()
        out.append((r, a.grad, b.grad))
    (rt, gat, gbt), (re, gae, gbe) = out
    assert rt.grad_fn.name() == re.grad_fn.name()
    assert tuple(rt.shape) == tuple(re.shape) and rt.stride() == re.stride()
    assert str(rt.dtype).split(".")[-1] == str(re.dtype).split(".")[-1]
    np.testing.assert_allclose(re.detach().numpy(), rt.detach().numpy(), rtol=1e-7)
    for gt, ge in ((gat, gae), (gbt, gbe)):
        assert (gt is None) == (ge is None)
        if gt is not None:
            np.testing.assert_allclose(ge.numpy(), gt.numpy(), rtol=1e-7, atol=1e-12)


NORM_DTYPE = [
    lambda T, a: T.norm(a, dtype=T.float32),
    lambda T, a: T.norm(a, p=2, dim=1, dtype=T.float32),
    lambda T, a: T.norm(a, p="fro", dtype=T.float32),
    lambda T, a: T.norm(a, p="nuc", dtype=T.float32),
    lambda T, a: a.norm(dtype=T.float16),
    lambda T, a: T.norm(a, dtype=T.complex128),
]


@pytest.mark.parametrize("i", range(len(NORM_DTYPE)))
def test_norm_refuses_a_narrowing_dtype(i: int) -> None:
    (kt, mt), (ke, me) = both(lambda T: NORM_DTYPE[i](T, T.ones(3, 4, dtype=T.float64)))
    assert kt == ke == "RuntimeError"
    assert mt == me


def test_norm_widening_dtype() -> None:
    x = np.random.RandomState(0).randn(3, 4).astype(np.float32)
    for p in (2, "fro", 1):
        a = torch.norm(torch.tensor(x), p=p, dtype=torch.float64)
        b = ember.norm(ember.tensor(x), p=p, dtype=ember.float64)
        assert b.dtype == ember.float64
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-12)


# ------------------------------------------------------------------ 6. reductions of permuted inputs
REDUCTIONS = {
    "sum-1": lambda T, y: y.sum(-1),
    "sum1": lambda T, y: y.sum(1),
    "mean2": lambda T, y: y.mean(2),
    "mean23k": lambda T, y: y.mean((2, 3), keepdim=True),
    "norm-1": lambda T, y: y.norm(dim=-1),
    "torch.norm": lambda T, y: T.norm(y, dim=2, keepdim=True),
    "amax-1": lambda T, y: y.amax(-1),
    "amin-1": lambda T, y: y.amin(-1),
    "sumk1": lambda T, y: y.sum(1, keepdim=True),
    "sumk3": lambda T, y: y.sum(3, keepdim=True),
    "max-1": lambda T, y: y.max(-1),
    "min2k": lambda T, y: y.min(2, keepdim=True),
    "argmax-1": lambda T, y: y.argmax(-1),
    "var-1": lambda T, y: y.var(-1),
    "std2": lambda T, y: y.std(2),
    "std_mean": lambda T, y: T.std_mean(y, -1),
    "prod-1": lambda T, y: y.prod(-1),
    "logsumexp": lambda T, y: y.logsumexp(-1),
    "all": lambda T, y: (y > 0).all(-1),
    "any": lambda T, y: (y > 0).any(2),
    "nansum": lambda T, y: y.nansum(-1),
    "count_nonzero": lambda T, y: (y > 0).count_nonzero(-1),
    "aminmax": lambda T, y: T.aminmax(y, dim=-1),
}


def _layouts(T: Any, arr: np.ndarray) -> list:
    y = T.tensor(arr)
    return [y.to(memory_format=T.channels_last), y.transpose(1, 3), y.permute(2, 0, 3, 1), y]


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reduction_of_permuted_input_is_contiguous(name: str) -> None:
    arr = np.random.RandomState(0).randn(2, 3, 4, 5).astype(np.float32)
    for yt, ye in zip(_layouts(torch, arr), _layouts(ember, arr)):
        rt, re = REDUCTIONS[name](torch, yt), REDUCTIONS[name](ember, ye)
        rts = rt if isinstance(rt, tuple) else (rt,)
        res = re if isinstance(re, tuple) else (re,)
        for a, b in zip(rts, res):
            assert (tuple(a.shape), a.stride(), a.is_contiguous()) == \
                (tuple(b.shape), b.stride(), b.is_contiguous())
            np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-5, atol=1e-6)


def test_reduction_of_permuted_input_backward() -> None:
    arr = np.random.RandomState(1).randn(2, 3, 4, 5)
    grads = []
    for T in (torch, ember):
        y = T.tensor(arr).to(memory_format=T.channels_last).requires_grad_()
        (y.sum(-1).norm(dim=1) * y.amax(-1).mean(1)).sum().backward()
        grads.append(y.grad.numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-10)


def test_reduction_out_keeps_the_callers_tensor() -> None:
    y = ember.randn(2, 3, 4, 5).to(memory_format=ember.channels_last)
    out = ember.empty(2, 3, 4)
    r = ember.sum(y, -1, out=out)
    assert r is out
    np.testing.assert_allclose(out.numpy(), y.numpy().sum(-1), rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------ 7. mixed dtypes in fused products
_F, _D, _L = "float32", "float64", "int64"


def _m(T: Any, dt: str, *s: int) -> Any:
    return T.ones(*s, dtype=getattr(T, dt))


FUSED = {
    "addmm": lambda T, a, b, c: T.addmm(_m(T, a, 2, 2), _m(T, b, 2, 2), _m(T, c, 2, 2)),
    "addmm_bcast": lambda T, a, b, c: T.addmm(_m(T, a, 2), _m(T, b, 2, 2), _m(T, c, 2, 2)),
    "baddbmm": lambda T, a, b, c: T.baddbmm(_m(T, a, 1, 2, 2), _m(T, b, 1, 2, 2),
                                            _m(T, c, 1, 2, 2)),
    "addbmm": lambda T, a, b, c: T.addbmm(_m(T, a, 2, 2), _m(T, b, 1, 2, 2), _m(T, c, 1, 2, 2)),
    "addmv": lambda T, a, b, c: T.addmv(_m(T, a, 2), _m(T, b, 2, 2), _m(T, c, 2)),
    "mv": lambda T, a, b, c: T.mv(_m(T, b, 2, 2), _m(T, c, 2)),
    "mm": lambda T, a, b, c: T.mm(_m(T, b, 2, 2), _m(T, c, 2, 2)),
    "bmm": lambda T, a, b, c: T.bmm(_m(T, b, 1, 2, 2), _m(T, c, 1, 2, 2)),
    "method_addmm": lambda T, a, b, c: _m(T, a, 2, 2).addmm(_m(T, b, 2, 2), _m(T, c, 2, 2)),
}
COMBOS = [(_F, _F, _D), (_F, _D, _F), (_D, _F, _F), (_D, _D, _F), (_L, _F, _F), (_F, _F, _L),
          (_D, _F, _D), (_F, _F, _F), (_D, _D, _D)]


@pytest.mark.parametrize("op", sorted(FUSED))
@pytest.mark.parametrize("combo", COMBOS)
def test_fused_products_refuse_mixed_dtypes(op: str, combo: tuple) -> None:
    (kt, vt), (ke, ve) = both(lambda T: FUSED[op](T, *combo))
    assert kt == ke
    if kt == "ok":
        assert str(vt.dtype).split(".")[-1] == str(ve.dtype).split(".")[-1]
        assert vt.tolist() == ve.tolist()
    else:
        assert vt == ve
