"""Shape and join ops checked against PyTorch (session 24, lane R): differences found by a
differential fuzzer over cat/stack/split/chunk/repeat_interleave/expand/narrow/diag and
friends (error types on 0-dim inputs and odd arguments, views and strides of results)."""

from __future__ import annotations

import random
import warnings
from typing import Any

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def _form(v: Any) -> Any:
    """A comparable form: tensors as (dtype, shape, stride, contiguous, values, grad_fn)."""
    if hasattr(v, "grad_fn") and hasattr(v, "detach"):
        node = None if v.grad_fn is None else type(v.grad_fn).__name__
        t = v.detach()
        if str(t.dtype).endswith("bfloat16"):
            t = t.float()
        return ("tensor", str(v.dtype).split(".")[-1], tuple(v.shape), tuple(v.stride()),
                v.is_contiguous(), t.numpy().tolist(), node)
    if isinstance(v, (list, tuple)):
        return [_form(x) for x in v]
    if type(v).__name__ == "Size":
        return ("size", tuple(v))
    return v


def _run(lib: Any, fn: Any) -> Any:
    """``fn(lib)`` in compared form, or the type name of what it raised."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return _form(fn(lib))
        except Exception as e:  # noqa: BLE001 - the error type is the result compared
            return ("error", type(e).__name__)


def _same(fn: Any) -> None:
    assert _run(ember, fn) == _run(torch, fn)


CASES = {
    # 0-dim inputs: PyTorch's errors
    "split_0d": lambda L: L.split(L.tensor(1.), 1),
    "split_0d_list": lambda L: L.tensor(1.).split([1], 0),
    "chunk_list": lambda L: L.chunk(L.arange(4.), [1]),
    "chunk_float": lambda L: L.chunk(L.arange(4.), 2.0),
    "chunk_0d_list": lambda L: L.chunk(L.tensor(1.), [2]),
    "chunk_tensor_count": lambda L: L.chunk(L.arange(5.), L.tensor(2)),
    "ri_0d_dim0": lambda L: L.tensor(1.).repeat_interleave(2, 0),
    "ri_0d_dim_neg": lambda L: L.tensor(1.).repeat_interleave(2, -1),
    "ri_0d_tensor_dim": lambda L: L.tensor(1.).repeat_interleave(L.tensor([2]), 0),
    "ri_0d_no_dim": lambda L: L.tensor(1.).repeat_interleave(2),
    "unflatten_0d": lambda L: L.tensor(1.).unflatten(0, (1, -1)),
    "unflatten_0d_neg": lambda L: L.tensor(1.).unflatten(-1, (1, -1)),
    "unflatten_0d_oob": lambda L: L.tensor(1.).unflatten(3, (1, -1)),
    # odd arguments
    "expand_nothing": lambda L: L.tensor(1.).expand(),
    "expand_nothing_1d": lambda L: L.ones(2).expand(),
    "narrow_float_tensor_start": lambda L: L.arange(5).narrow(0, L.tensor(1.), 2),
    "narrow_1d_tensor_start": lambda L: L.arange(5).narrow(0, L.tensor([1]), 2),
    "narrow_bool_tensor_start": lambda L: L.arange(5).narrow(0, L.tensor(True), 2),
    "narrow_float_start": lambda L: L.arange(5).narrow(0, 1.0, 2),
    "narrow_float_length": lambda L: L.arange(5).narrow(0, 1, 2.0),
    "narrow_int_tensor_start": lambda L: L.arange(5).narrow(0, L.tensor(-2), 2),
    "narrow_numpy_start": lambda L: L.arange(5).narrow(0, np.int64(1), 2),
    "split_method_kw": lambda L: L.arange(6).split(split_size=4),
    "split_method_kw_dim": lambda L: L.arange(6).reshape(2, 3).split(split_size=2, dim=1),
    "split_fn_kw": lambda L: L.split(L.arange(6), split_size_or_sections=[2, 4]),
    "broadcast_shapes_neg": lambda L: L.broadcast_shapes((-1,), (3,)),
    "broadcast_shapes_neg_alone": lambda L: L.broadcast_shapes((2, -1)),
    "broadcast_shapes_neg_mismatch": lambda L: L.broadcast_shapes((2, 3), (-1, 3)),
    "atleast_1d_int": lambda L: L.atleast_1d(3),
    "atleast_3d_float": lambda L: L.atleast_3d(2.5),
    # layouts: views and strides users observe
    "diag_one_element_of_transposed": lambda L: L.diag(L.arange(8.).reshape(2, 4).mT, 1),
    "diag_of_transposed_grad": lambda L: L.diag(
        L.arange(8.).reshape(2, 4).requires_grad_().mT, 1),
    "expand_new_leading_ones": lambda L: L.zeros(3, 1).expand(1, 1, 3, 2),
    "expand_new_leading_one": lambda L: L.zeros(3, 1).expand(1, 3, 1),
    "expand_strided_leading_one": lambda L: L.zeros(4)[::2].expand(1, 1, 2),
    "expand_0d_to_ones": lambda L: L.tensor(1.).expand(1, 1),
    "broadcast_tensors_leading_one": lambda L: L.broadcast_tensors(
        L.zeros(1, 1, 4), L.zeros(1, 1, 1, 4)),
    "broadcast_tensors_strided": lambda L: L.broadcast_tensors(
        L.zeros(3, 8)[:, ::2], L.zeros(1, 1, 3, 4)),
    "broadcast_to_leading_one": lambda L: L.broadcast_to(L.arange(6.).reshape(2, 3), (1, 2, 3)),
    "ri_int_graph": lambda L: L.arange(6.).reshape(2, 3).requires_grad_().repeat_interleave(2, 0),
    "ri_int_no_dim": lambda L: L.arange(6.).reshape(2, 3).repeat_interleave(3),
    "ri_int_output_size": lambda L: L.arange(6.).reshape(2, 3).repeat_interleave(
        2, 1, output_size=6),
    "ri_int_output_size_bad": lambda L: L.arange(6.).repeat_interleave(2, output_size=3),
    "ri_int_empty": lambda L: L.ones(2, 0).repeat_interleave(2, 1),
    "ri_zero": lambda L: L.ones(0, 2).repeat_interleave(0, 1),
    "ri_tensor_one": lambda L: L.arange(3.).requires_grad_().repeat_interleave(L.tensor([2]), 0),
    # Tensor.tile takes varargs; torch.tile refuses a lone number
    "tile_method_varargs": lambda L: L.arange(3.).tile(2, 1, 2),
    "tile_method_int": lambda L: L.arange(3.).tile(2),
    "tile_method_size": lambda L: L.arange(3.).tile(L.Size([2, 1])),
    "tile_method_kw": lambda L: L.arange(3.).tile(dims=(2,)),
    "tile_method_kw_int": lambda L: L.arange(3.).tile(dims=2),
    "tile_method_none": lambda L: L.arange(3.).tile(),
    "tile_method_0d_tensor": lambda L: L.arange(3.).tile(L.tensor(2)),
    "tile_fn_int": lambda L: L.tile(L.arange(3.), 2),
    "tile_fn_tuple": lambda L: L.tile(L.arange(6.).reshape(2, 3), (2,)),
    "tile_grad": lambda L: L.arange(3.).requires_grad_().tile(2, 2),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch(name: str) -> None:
    _same(CASES[name])


def _base_info(lib: Any, fn: Any) -> tuple:
    """Whether the result is a view, its base's shape and node, and the gradient it passes."""
    a = lib.arange(6., dtype=lib.float64).reshape(2, 3).requires_grad_()
    r = fn(lib, a)
    base = r._base
    w = lib.arange(r.numel(), dtype=lib.float64).reshape(r.shape)
    (g,) = lib.autograd.grad((r * w).sum(), a)
    return (base is not None, None if base is None else tuple(base.shape),
            None if base is None else type(base.grad_fn).__name__,
            [type(n[0]).__name__ for n in r.grad_fn.next_functions], g.numpy().tolist())


@pytest.mark.parametrize("fn", [
    lambda L, a: a.repeat_interleave(2, 0),
    lambda L, a: a.repeat_interleave(3, -1),
    lambda L, a: a.repeat_interleave(2),
    lambda L, a: a.mT.repeat_interleave(2, 1),
])
def test_repeat_interleave_int_is_view_of_clone(fn: Any) -> None:
    """A number of repeats: PyTorch's result views a contiguous clone of the expanded input."""
    assert _base_info(ember, fn) == _base_info(torch, fn)


_DTS = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32",
        "float64", "complex64"]


def _make(lib: Any, arr: np.ndarray, dt: str, lay: str) -> Any:
    t = lib.tensor(arr.astype(np.float32) if dt == "bfloat16" else arr).to(getattr(lib, dt))
    if lay == "T":
        return t.mT
    if lay == "step":
        return t[..., ::2]
    return t


def _fuzz_case(rng: random.Random, nrng: np.random.RandomState) -> tuple:
    """One random case: an op, its input array/dtype/layout and arguments."""
    nd = rng.randint(0, 3)
    shape = tuple(rng.choice([0, 1, 2, 3]) for _ in range(nd))
    dt = rng.choice(_DTS)
    lay = rng.choice(["c", "T", "step"]) if nd >= 2 else rng.choice(["c", "step"]) if nd else "c"
    src = shape[:-2] + shape[-2:][::-1] if lay == "T" else (
        shape[:-1] + (shape[-1] * 2,) if lay == "step" else shape)
    arr = np.asarray(nrng.randn(*src) * 3)
    arr = arr > 0 if dt == "bool" else np.abs(arr).astype(np.int64) if dt == "uint8" else (
        arr.astype(np.int64) if dt.startswith("int") else arr)
    d = rng.randint(-nd, nd - 1) if nd else rng.choice([0, -1])
    k = rng.randint(0, 4)
    op = rng.choice(["split", "split_list", "chunk", "tensor_split", "unflatten", "narrow",
                     "ri", "ri_t", "expand", "diag", "unbind", "roll", "flip", "rot90"])
    return op, arr, dt, lay, d, k


def _fuzz_apply(L: Any, case: tuple) -> Any:
    op, arr, dt, lay, d, k = case
    t = _make(L, arr, dt, lay)
    n = t.shape[d] if t.dim() else 1
    if op == "split":
        return t.split(k, d)
    if op == "split_list":
        return t.split([k, max(n - k, 0)], d)
    if op == "chunk":
        return t.chunk(k, d)
    if op == "tensor_split":
        return L.tensor_split(t, L.tensor([1, k]), d)
    if op == "unflatten":
        return t.unflatten(d, (1, -1))
    if op == "narrow":
        return t.narrow(d, L.tensor(k - 2), 1)
    if op == "ri":
        return t.repeat_interleave(k, d)
    if op == "ri_t":
        return t.repeat_interleave(L.tensor([k]), d)
    if op == "expand":
        return t.expand((1, 2) + tuple(t.shape))
    if op == "diag":
        return L.diag(t, k - 2)
    if op == "unbind":
        return t.unbind(d)
    if op == "roll":
        return t.roll(k - 2, d)
    if op == "flip":
        return t.flip(d)
    return t.rot90(k - 2, (0, -1)) if t.dim() >= 2 else t.rot90(k)


def test_seeded_fuzz_matches_torch() -> None:
    """A few hundred random shape-op cases (0-dim, size-0/1 dims, strided inputs, all dtypes):
    values, dtypes, shapes, non-trivial strides and error types as PyTorch's."""
    rng, nrng = random.Random(24), np.random.RandomState(24)
    bad = []
    for _ in range(300):
        case = _fuzz_case(rng, nrng)
        want = _run(torch, lambda L, c=case: _fuzz_apply(L, c))
        got = _run(ember, lambda L, c=case: _fuzz_apply(L, c))
        if _strip_unit_strides(got) != _strip_unit_strides(want):
            bad.append((case[0], case[1].shape, case[2], case[3], case[4], case[5]))
    assert not bad, bad[:5]


def _strip_unit_strides(v: Any) -> Any:
    """Strides of size-0/1 dims blanked (they never step through memory; PyTorch and NumPy
    choose them differently after some reshapes)."""
    if isinstance(v, tuple) and v and v[0] == "tensor":
        shape, st = v[2], v[3]
        st = () if 0 in shape else tuple(s if n > 1 else None for n, s in zip(shape, st))
        return v[:3] + (st,) + v[4:]
    if isinstance(v, list):
        return [_strip_unit_strides(x) for x in v]
    return v
