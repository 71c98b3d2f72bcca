"""Tensor methods and attributes as users call them, compared with PyTorch (session 24, found
by a differential fuzzer): a user's own attributes on a tensor (kept by copy, deepcopy and
pickle), ``new_*(size=...)``, ``repeat()``'s and ``new_full``'s argument errors, ``ravel`` of a
strided tensor, result layouts of expanded bool/half inputs, the complex-to-real cast warning."""

from __future__ import annotations

import copy
import pickle
import warnings
from typing import Any

import numpy as np
import pytest

import ember


def _np(t: Any) -> np.ndarray:
    t = t.detach()
    if str(t.dtype).endswith("bfloat16"):
        t = t.float()
    return np.asarray(t.numpy())


def same(a: Any, b: Any) -> None:
    """``a`` (PyTorch) and ``b`` (Ember): equal dtype, shape, strides and values."""
    assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]
    assert tuple(a.shape) == tuple(b.shape)
    assert a.stride() == b.stride()
    assert a.is_contiguous() == b.is_contiguous()
    if a.dtype.is_floating_point:  # a transcendental may round 1 ulp apart
        np.testing.assert_allclose(_np(b), _np(a), rtol=1e-6, atol=0)
    else:
        np.testing.assert_array_equal(_np(b), _np(a))


def outcome(fn: Any) -> Any:
    """What ``fn()`` gives: its value, or the exception's type name."""
    try:
        return fn()
    except Exception as e:  # noqa: BLE001 - the type is what we compare
        return type(e).__name__


# ------------------------------------------------------------------ a user's attributes
def test_user_attributes_on_a_tensor(torch):
    out = {}
    for L in (torch, ember):
        x = L.ones(2, 3).t()
        x.tag = "w"
        x.scale = 2.5
        out[L] = (x.tag, vars(x), copy.deepcopy(x).tag, copy.copy(x).scale,
                  pickle.loads(pickle.dumps(x)).tag, hasattr(x[0], "tag"),
                  hasattr(x.detach(), "tag"), hasattr(x.data, "tag"))
    assert out[torch] == out[ember]


def test_attributes_survive_a_pickle_with_the_values(torch):
    for L in (torch, ember):
        x = L.arange(6.0).reshape(2, 3)
        x.meta = {"k": 1}
        y = pickle.loads(pickle.dumps(x))
        assert y.meta == {"k": 1} and y.tolist() == x.tolist()
    plain = pickle.loads(pickle.dumps(ember.ones(2)))
    assert vars(plain) == {} and plain.tolist() == [1.0, 1.0]


def test_deepcopy_of_a_leaf_with_attributes_keeps_grad_and_attributes(torch):
    out = {}
    for L in (torch, ember):
        x = L.ones(2, requires_grad=True)
        x.sum().backward()
        x.note = [1, 2]
        y = copy.deepcopy(x)
        out[L] = (y.note, y.note is x.note, y.requires_grad, y.grad.tolist())
    assert out[torch] == out[ember]


def test_copy_copy_shares_memory_as_pytorch(torch):
    out = {}
    for L in (torch, ember):
        x = L.ones(3, 4).t()
        x.tag = 1
        y = copy.copy(x)
        y.add_(1)
        n = copy.copy(L.ones(2, requires_grad=True) * 2)
        out[L] = (x.tolist(), y.stride(), y.tag, y.data_ptr() == x.data_ptr(),
                  copy.copy(L.arange(5.0)[2:]).storage_offset(),
                  n.requires_grad, n.is_leaf, n.grad_fn)
    assert out[torch] == out[ember]


def test_copy_copy_of_a_subclass_and_a_parameter(torch):
    pytest.importorskip("ember.nn")
    out = {}
    for L in (torch, ember):
        class Tagged(L.Tensor):
            pass

        m = L.ones(2).as_subclass(Tagged)
        m.a = 1
        c = copy.copy(m)
        p = L.nn.Parameter(L.ones(2))
        p.foo = 2
        q = copy.copy(p)
        out[L] = (type(c).__name__, c.a, c.data_ptr() == m.data_ptr(), type(q).__name__,
                  q.requires_grad, q.foo, q.data_ptr() == p.data_ptr())
    assert out[torch] == out[ember]


def test_as_subclass_and_swap_tensors_keep_attributes_apart(torch):
    out = {}
    for L in (torch, ember):
        class Tagged(L.Tensor):
            pass

        x = L.ones(2)
        x.a = 1
        m = x.as_subclass(Tagged)
        m.b = 2
        a, b = L.ones(2), L.zeros(3)
        a.tag, b.tag = "a", "b"
        L.utils.swap_tensors(a, b)
        out[L] = (vars(x), vars(m), a.tag, b.tag, tuple(a.shape), tuple(b.shape))
    assert out[torch] == out[ember]


# ------------------------------------------------------------------ new_* and repeat arguments
NEW_PROGRAMS = {
    "new_ones_size_kw": lambda L, x: x.new_ones(size=(2, 3)),
    "new_zeros_size_kw": lambda L, x: x.new_zeros(size=[2]),
    "new_empty_size_kw": lambda L, x: x.new_empty(size=(0, 3)),
    "new_ones_size_kw_dtype": lambda L, x: x.new_ones(size=(2,), dtype=L.int64),
    "new_full_int_size": lambda L, x: x.new_full(2, 1.5),
    "new_full_tuple": lambda L, x: x.new_full((2,), 1.5),
    "repeat_no_args": lambda L, x: x.repeat(),
    "repeat_0d_no_args": lambda L, x: x.sum().repeat(),
    "new_zeros_no_args": lambda L, x: x.new_zeros(),
}


@pytest.mark.parametrize("name", sorted(NEW_PROGRAMS))
@pytest.mark.parametrize("dtype", ["float32", "int32", "bool"])
def test_new_and_repeat_arguments(torch, name, dtype):
    fn = NEW_PROGRAMS[name]
    got = {L: outcome(lambda L=L: fn(L, L.ones(2, dtype=getattr(L, dtype)))) for L in (torch, ember)}
    if isinstance(got[torch], str):
        assert got[ember] == got[torch]
    else:
        same(got[torch], got[ember])


# ------------------------------------------------------------------ ravel
RAVEL_INPUTS = {
    "strided_rows": lambda L: L.arange(8.0).reshape(4, 2)[::2],
    "strided_column": lambda L: L.arange(12.0).reshape(3, 4)[:, :1],
    "transposed": lambda L: L.arange(6.0).reshape(2, 3).t(),
    "expanded": lambda L: L.arange(3.0).reshape(1, 3).expand(2, 3),
    "contiguous": lambda L: L.arange(6.0).reshape(2, 3),
    "zero_dim": lambda L: L.tensor(2.0),
}


@pytest.mark.parametrize("name", sorted(RAVEL_INPUTS))
def test_ravel_is_contiguous_and_a_view_only_of_a_contiguous_input(torch, name):
    out = {}
    for L in (torch, ember):
        x = RAVEL_INPUTS[name](L)
        r = x.ravel()
        out[L] = (r, r.data_ptr() == x.data_ptr(), r.view(-1).shape)
    same(out[torch][0], out[ember][0])
    assert out[torch][1:] == out[ember][1:]


def test_ravel_gradient_and_node(torch):
    out = {}
    for L in (torch, ember):
        x = L.arange(12.0, dtype=L.float64).reshape(3, 4).requires_grad_()
        r = x[::2].ravel()
        (r * L.arange(8.0, dtype=L.float64)).sum().backward()
        out[L] = (type(r.grad_fn).__name__, x.grad.tolist())
    assert out[torch] == out[ember]


# ------------------------------------------------------------------ layouts of expanded inputs
EXPANDED_PROGRAMS = {
    "bool_plus_int": lambda L, e: e + 1,
    "bool_exp": lambda L, e: e.exp(),
    "bool_sign": lambda L, e: e.sign(),
    "bool_lshift": lambda L, e: e << 1,
    "bool_clamp": lambda L, e: e.clamp(min=0),
    "bool_long": lambda L, e: e.long(),
    "half_exp": lambda L, e: e.half().exp(),
    "bf16_lt": lambda L, e: e.bfloat16() < 0.5,
    "bf16_exp": lambda L, e: e.bfloat16().exp(),
    "bf16_sigmoid": lambda L, e: e.bfloat16().sigmoid(),
    "half_abs": lambda L, e: e.half().abs(),
    "int_times_float": lambda L, e: e.int() * 1.5,
    "half_div_number": lambda L, e: e.half() / 2,
    "bf16_mul_number": lambda L, e: e.bfloat16() * 3,
    "number_times_half": lambda L, e: 0.5 * e.half(),
}


@pytest.mark.parametrize("name", sorted(EXPANDED_PROGRAMS))
@pytest.mark.parametrize("where", ["row", "column"])
def test_results_of_expanded_inputs_are_contiguous(torch, name, where):
    out = {}
    for L in (torch, ember):
        base = L.tensor([[True, False, True, True]])
        e = base.expand(3, 4) if where == "row" else base.t().expand(4, 3)
        if name.startswith(("half", "bf16")):  # expanded in that dtype, not converted after
            e = base.to(L.float16 if name.startswith("half") else L.bfloat16)
            e = e.expand(3, 4) if where == "row" else e.t().expand(4, 3)
        r = EXPANDED_PROGRAMS[name](L, e)
        out[L] = r
        r.view(-1)  # a contiguous result views flat
    same(out[torch], out[ember])


# ------------------------------------------------------------------ the complex cast warning
def _fresh_warning(fn: Any) -> list:
    from ember.ops import conversion

    conversion._warned_imag[0] = False  # the warning is once per process, as PyTorch's
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        r = fn()
    conversion._warned_imag[0] = True
    return r, [(x.category, str(x.message)) for x in w]


def test_copy_of_complex_into_real_warns_as_pytorch(torch):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = torch.zeros(3).copy_(torch.tensor([1 + 2j, -3j, 4.5 + 0j]))
    got, w = _fresh_warning(
        lambda: ember.zeros(3).copy_(ember.tensor([1 + 2j, -3j, 4.5 + 0j])))
    same(want, got)
    assert w == [(UserWarning, "Casting complex values to real discards the imaginary part")]


def test_copy_of_complex_into_real_with_grad(torch):
    out = {}
    for L in (torch, ember):
        c = L.tensor([1 + 2j, -3j], requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y = L.zeros(2, dtype=L.float64).copy_(c)
        (y * L.tensor([2.0, 3.0], dtype=L.float64)).sum().backward()
        out[L] = (y.tolist(), type(y.grad_fn).__name__, c.grad.tolist())
    assert out[torch] == out[ember]


@pytest.mark.parametrize("to", ["float", "copy_", "long"])
def test_no_cast_warning_for_an_empty_complex_tensor(torch, to):
    fns = {"float": lambda: ember.ones(0, 2, dtype=ember.complex64).float(),
           "copy_": lambda: ember.zeros(0).copy_(ember.ones(0, dtype=ember.complex64)),
           "long": lambda: ember.ones(0, dtype=ember.complex128).long()}
    r, w = _fresh_warning(fns[to])
    assert w == [] and r.numel() == 0


# ------------------------------------------------------------------ casts of expanded, permuted inputs
def _expanded_permuted(L: Any, dtype: str, perm: tuple, dim: int) -> Any:
    t = L.arange(24.0).reshape(2, 3, 4) - 11.5
    t = t.to(getattr(L, dtype)).narrow(dim, 0, 1).expand(2, 3, 4)
    return t.permute(*perm)


CASTS = {
    "double": lambda L, x: x.double(),
    "half": lambda L, x: x.half(),
    "int": lambda L, x: x.int(),
    "bool": lambda L, x: x.bool(),
    "to_copy": lambda L, x: x.to(x.dtype, copy=True),
    "type_as": lambda L, x: x.type_as(L.zeros(1, dtype=L.float64)),
    "gt_plus_int": lambda L, x: (x > 0) + 1,
}


@pytest.mark.parametrize("name", sorted(CASTS))
@pytest.mark.parametrize("dtype", ["float32", "bfloat16", "int64"])
@pytest.mark.parametrize("perm,dim", [((2, 0, 1), 1), ((1, 2, 0), 0), ((0, 2, 1), 2),
                                      ((2, 1, 0), 1)])
def test_casts_of_expanded_permuted_inputs_keep_pytorch_layout(torch, name, dtype, perm, dim):
    out = {L: CASTS[name](L, _expanded_permuted(L, dtype, perm, dim)) for L in (torch, ember)}
    same(out[torch], out[ember])


# ------------------------------------------------------------------ view(dtype) checks
VIEW_DTYPE_PROGRAMS = {
    "offset_odd": lambda L: L.zeros(4, 4, dtype=L.int8)[:, 1:3].view(L.int16),
    "offset_flat": lambda L: L.zeros(4, dtype=L.int8)[1:3].view(L.int16),
    "offset_int32": lambda L: L.zeros(4, 6, dtype=L.uint8)[:, 2:].view(L.int32),
    "offset_int16_ok": lambda L: L.zeros(4, 6, dtype=L.uint8)[:, 2:].view(L.int16),
    "outer_stride_odd": lambda L: L.zeros(3, 3, dtype=L.int8)[:, :2].view(L.int16),
    "outer_stride_even": lambda L: L.zeros(3, 4, dtype=L.int8)[:, :2].view(L.int16),
    "last_stride": lambda L: L.zeros(3, 4, dtype=L.int8)[:, ::2].view(L.int16),
    "size_before_stride": lambda L: L.zeros(3, 6, dtype=L.int8)[:, ::2].view(L.int16),
    "expanded": lambda L: L.zeros(2, 4, dtype=L.int8).expand(3, 2, 4).view(L.int16),
    "shrink_offset": lambda L: L.zeros(3, 4, dtype=L.int16)[:, 1:3].view(L.int8),
    "float_as_int_rows": lambda L: L.ones(6, 4)[1:].view(L.int32),
    "double_as_half_rows": lambda L: L.ones(5, 2, dtype=L.float64)[1:].view(L.float16),
}


@pytest.mark.parametrize("name", sorted(VIEW_DTYPE_PROGRAMS))
def test_view_dtype_checks_as_pytorch(torch, name):
    def run(L: Any) -> Any:
        try:
            r = VIEW_DTYPE_PROGRAMS[name](L)
        except RuntimeError as e:
            return str(e).replace("torch.", "")
        return tuple(r.shape), r.stride(), r.storage_offset(), str(r.dtype).split(".")[-1]

    assert run(ember) == run(torch)


# ------------------------------------------------------------------ a seeded fuzz of the surface
_FUZZ_DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16",
                "float32", "float64", "complex64"]
_FUZZ_SHAPES = [(), (0,), (1,), (3,), (2, 3), (1, 4), (3, 0), (2, 1, 3)]
_FUZZ_OPS = {
    "tolist": lambda L, x, p: x.tolist(),
    "item": lambda L, x, p: x.item(),
    "int": lambda L, x, p: int(x),
    "float": lambda L, x, p: float(x),
    "bool": lambda L, x, p: bool(x),
    "index": lambda L, x, p: [10, 20, 30, 40][x],
    "len": lambda L, x, p: len(x),
    "iter": lambda L, x, p: list(x),
    "reversed": lambda L, x, p: reversed(x),
    "contains": lambda L, x, p: p["number"] in x,
    "eq_none": lambda L, x, p: x == None,  # noqa: E711 - the operator is what is compared
    "lt_number": lambda L, x, p: x < p["number"],
    "element_size": lambda L, x, p: (x.element_size(), x.itemsize, x.nbytes, x.numel()),
    "stride_dim": lambda L, x, p: x.stride(-1) if x.numel() else None,  # from_numpy of
    # an empty array: PyTorch's strides there are NumPy's, left alone
    "flags": lambda L, x, p: (x.is_floating_point(), x.is_complex(), x.is_signed(),
                              x.is_contiguous(), x.ndimension(), x.nelement()),
    "clone_preserve": lambda L, x, p: x.clone(memory_format=L.preserve_format),
    "contiguous": lambda L, x, p: x.contiguous(),
    "new_zeros": lambda L, x, p: x.new_zeros(2, dtype=p["other"]),
    "new_full": lambda L, x, p: x.new_full((2,), p["number"]),
    "new_tensor": lambda L, x, p: x.new_tensor([1.5, 2]),
    "type_as": lambda L, x, p: x.type_as(L.zeros(1, dtype=p["other"])),
    "to_dtype": lambda L, x, p: x.to(p["other"]),
    "to_other": lambda L, x, p: x.to(L.ones(1, dtype=p["other"]), copy=True),
    "to_kwargs": lambda L, x, p: x.to(device="cpu", dtype=p["other"], non_blocking=True),
    "view_dtype": lambda L, x, p: x.view(p["other"]),
    "T": lambda L, x, p: x.T,
    "mT": lambda L, x, p: x.mT,
    "mH": lambda L, x, p: x.mH,
    "repeat": lambda L, x, p: x.repeat(2, 1, 1),
    "expand": lambda L, x, p: x.expand(2, *x.shape),
    "expand_bad": lambda L, x, p: x.expand(5),
    "masked_fill": lambda L, x, p: x.masked_fill(L.ones(x.shape, dtype=L.bool), p["number"]),
    "ravel": lambda L, x, p: x.ravel(),
    "abs": lambda L, x, p: abs(x),
    "neg": lambda L, x, p: -x,
    "plus_int": lambda L, x, p: x + 1,
    "times_number": lambda L, x, p: x * p["number"],
    "sign": lambda L, x, p: x.sign(),
    "repr": lambda L, x, p: repr(x).replace("torch.", "ember."),
}


def _fuzz_tensor(L: Any, arr: np.ndarray, dtype: str, layout: str) -> Any:
    t = L.from_numpy(np.array(arr))
    if dtype in ("float16", "bfloat16", "float64"):
        t = t.to(getattr(L, dtype))
    if layout == "t" and t.dim() >= 2:
        t = t.transpose(0, 1)
    elif layout == "s" and t.dim() >= 1:
        t = t[::2]
    elif layout == "e" and t.dim() >= 1 and t.shape[0] == 1:
        t = t.expand(3, *t.shape[1:])
    return t


def _fuzz_seen(x: Any) -> Any:
    """What a user sees of a result: tensors by dtype, shape, strides (of dims that step) and
    values; other results as they are; exceptions by type."""
    if hasattr(x, "dtype") and hasattr(x, "stride"):
        st = tuple(s for n, s in zip(x.shape, x.stride()) if n > 1) if x.numel() else None
        v = x.detach().resolve_conj()
        v = v.float() if str(v.dtype).endswith("bfloat16") else v
        return ("T", str(x.dtype).split(".")[-1], tuple(x.shape), st, v.numpy().tolist())
    if isinstance(x, (list, tuple)):
        return [_fuzz_seen(i) for i in x]
    return x


def test_seeded_fuzz_of_the_tensor_surface(torch):
    rng = np.random.default_rng(24)
    names = sorted(_FUZZ_OPS)
    for _ in range(400):
        shape = _FUZZ_SHAPES[rng.integers(len(_FUZZ_SHAPES))]
        dtype = _FUZZ_DTYPES[rng.integers(len(_FUZZ_DTYPES))]
        if dtype == "bool":
            arr = rng.random(shape) > 0.5
        elif dtype.startswith(("int", "uint")):
            arr = rng.integers(0 if dtype == "uint8" else -9, 10, shape).astype(dtype)
        elif dtype == "complex64":
            arr = (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
        else:
            arr = rng.standard_normal(shape).astype(np.float32)
        layout = "ctse"[rng.integers(4)]
        other = _FUZZ_DTYPES[rng.integers(len(_FUZZ_DTYPES))]
        number = [0, 1, -2, 1.5, True][rng.integers(5)]
        name = names[rng.integers(len(names))]
        got = {}
        for L in (torch, ember):
            x = _fuzz_tensor(L, arr, dtype, layout)
            p = {"other": getattr(L, other), "number": number}
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    got[L] = _fuzz_seen(_FUZZ_OPS[name](L, x, p))
                except Exception as e:  # noqa: BLE001 - the type is what we compare
                    got[L] = type(e).__name__
        case = f"{name} {dtype} {shape} {layout} other={other} number={number}"
        if dtype in ("float16", "bfloat16") and isinstance(got[torch], tuple) and \
                got[torch][0] == "T" and isinstance(got[ember], tuple):
            assert got[torch][:4] == got[ember][:4], case
            np.testing.assert_allclose(np.asarray(got[ember][4], dtype=float),
                                       np.asarray(got[torch][4], dtype=float), rtol=1e-2,
                                       err_msg=case)
        else:
            assert got[torch] == got[ember], case


# ------------------------------------------------------------------ dim_order
DIM_ORDER_INPUTS = {
    "contiguous": lambda L: L.ones(2, 3, 4),
    "permuted": lambda L: L.ones(2, 3, 4).permute(2, 0, 1),
    "channels_last": lambda L: L.ones(2, 3, 4, 5).to(memory_format=L.channels_last),
    "transposed_size1": lambda L: L.ones(4, 1).t(),
    "size1_column_slice": lambda L: L.ones(3, 4)[:, :1],
    "sliced_permuted": lambda L: L.ones(4, 2, 3, 4).permute(0, 3, 1, 2)[:, ::2],
    "expanded": lambda L: L.ones(3, 1).expand(3, 4),
    "expanded_permuted": lambda L: L.ones(2, 1, 4).expand(2, 3, 4).permute(1, 2, 0),
    "permuted_5d": lambda L: L.ones(1, 2, 3, 3, 4).permute(0, 1, 4, 3, 2)[:, :, :, :, ::2],
    "zero_dim": lambda L: L.tensor(1.0),
}


@pytest.mark.parametrize("name", sorted(DIM_ORDER_INPUTS))
@pytest.mark.parametrize("check", [False, True, "formats"])
def test_dim_order_as_pytorch(torch, name, check):
    def run(L: Any) -> Any:
        x = DIM_ORDER_INPUTS[name](L)
        amb = [L.contiguous_format, L.channels_last] if check == "formats" else check
        return outcome(lambda: x.dim_order(ambiguity_check=amb))

    assert run(ember) == run(torch)


@pytest.mark.parametrize("bad", ["ILLEGAL", ["x"], 1])
def test_dim_order_refuses_other_ambiguity_checks(torch, bad):
    assert outcome(lambda: ember.ones(2, 3).dim_order(ambiguity_check=bad)) == \
        outcome(lambda: torch.ones(2, 3).dim_order(ambiguity_check=bad)) == "TypeError"
