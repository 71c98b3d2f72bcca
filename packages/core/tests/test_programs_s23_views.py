"""Shape, view and indexing ops checked against PyTorch (session 23, lane C): the layout of
advanced-indexing results, layouts of rot90/index_put/put/masked_scatter, bfloat16 strided
views, and edge-case errors found by a differential fuzzer."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import ember


def _result(v: Any) -> Any:
    """A comparable form: tensors as (dtype, shape, stride, contiguous, values, grad_fn)."""
    if hasattr(v, "grad_fn") and hasattr(v, "detach"):
        node = None if v.grad_fn is None else type(v.grad_fn).__name__
        t = v.detach()
        if hasattr(t, "resolve_conj"):
            t = t.resolve_conj()
        if str(t.dtype).endswith("bfloat16"):
            t = t.float()
        return ("tensor", str(v.dtype).split(".")[-1], tuple(v.shape), tuple(v.stride()),
                v.is_contiguous(), t.numpy().tolist(), node)
    if isinstance(v, (list, tuple)):
        return [_result(x) for x in v]
    return v


def run(lib: Any, code: str) -> dict:
    """Runs ``code`` with ``torch`` bound to ``lib``; its ``out`` dict in compared form, and
    ``error``: the type of what it raised."""
    out: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            exec(code, {"torch": lib, "np": np, "out": out})
        except Exception as e:  # noqa: BLE001 - the error type is the result compared
            out["error"] = type(e).__name__
    return {k: _result(v) for k, v in out.items()}


def check(torch: Any, code: str) -> None:
    expected, got = run(torch, code), run(ember, code)
    assert got == expected


# ------------------------------------------------------------------ advanced-index layouts
_LAYOUT = {
    "col_index": "x = torch.arange(12.).reshape(3, 4)\nout['y'] = x[:, torch.tensor([0, 2, 2])]",
    "ellipsis_last": "x = torch.arange(24.).reshape(2, 3, 4)\n"
                     "out['y'] = x[..., torch.tensor([0, -1, 0])]",
    "middle": "x = torch.arange(60.).reshape(3, 4, 5)\nout['y'] = x[:, torch.tensor([0, 3])]",
    "middle_transposed": "x = torch.arange(60.).reshape(5, 4, 3).permute(2, 1, 0)\n"
                         "out['y'] = x[:, torch.tensor([0, 3, 1])]",
    "front_transposed": "x = torch.arange(60.).reshape(5, 4, 3).permute(2, 1, 0)\n"
                        "out['y'] = x[torch.tensor([0, 2, 2])]",
    "bool_scalar_expanded": "x = torch.arange(15.).reshape(1, 3, 5).expand(3, 3, 5)\n"
                            "out['y'] = x[True]",
    "size1_dim_strides": "x = torch.zeros(1000).as_strided((1, 2, 3, 3), (100, 3, 1, 6))\n"
                         "out['y'] = x[:, torch.tensor([0, 1, 1])]",
    "size1_indexed_dim": "x = torch.zeros(1000).as_strided((2, 1, 3, 1), (1, 6, 2, 6))\n"
                         "out['a'] = x[:, torch.tensor([0, -1])]\n"
                         "out['b'] = x[torch.tensor([[0], [1]]), :, torch.tensor([0, 2])]\n"
                         "out['c'] = x[:, torch.tensor([[0], [0]]), :, torch.tensor([0, 0])]",
    "separated": "x = torch.arange(60.).reshape(3, 4, 5)\n"
                 "out['y'] = x[torch.tensor([[0], [1]]), :, torch.tensor([0, 2])]",
    "mask_middle": "x = torch.arange(120.).reshape(4, 5, 6)\n"
                   "out['a'] = x[:, torch.tensor([True, False, True, True, False])]\n"
                   "out['b'] = x[:, torch.arange(30).reshape(5, 6) % 4 == 0]",
    "permuted_2d_index": "x = torch.arange(120.).reshape(4, 5, 6).permute(2, 0, 1)\n"
                         "out['a'] = x[:, torch.tensor([[1, 2], [3, 0]])]\n"
                         "out['b'] = x[torch.tensor([[1, 2], [3, 0]]).t()]",
    "int_then_index": "x = torch.arange(60.).reshape(3, 4, 5)\nout['y'] = x[1, :, torch.tensor([4, 0])]",
    "slice_step_index": "x = torch.arange(60.).reshape(3, 4, 5)\n"
                        "out['y'] = x[::2, torch.tensor([1, 1]), 1:]",
    "none_and_index": "x = torch.arange(12.).reshape(3, 4)\n"
                      "out['y'] = x[None, :, torch.tensor([[0, 1]])]",
}


@pytest.mark.parametrize("case", sorted(_LAYOUT))
def test_advanced_index_result_layout(torch, case):
    check(torch, _LAYOUT[case])


def test_column_gather_then_view(torch):
    """``x[:, idx]`` is contiguous in PyTorch, so ``.view(-1)`` works on it."""
    check(torch, "x = torch.arange(12.).reshape(3, 4)\n"
                 "y = x[:, torch.tensor([0, 2])]\nout['v'] = y.view(-1)\n"
                 "out['c'] = y.is_contiguous()")


def test_advanced_index_result_is_a_copy_with_gradient(torch):
    check(torch, "x = torch.arange(12., requires_grad=True)\n"
                 "y = x.reshape(3, 4)[:, torch.tensor([1, 1, 3])]\n"
                 "y.sum().backward()\nout['y'] = y\nout['g'] = x.grad")


# ------------------------------------------------------------------ copies' layouts
@pytest.mark.parametrize("k", [-1, 0, 1, 2, 3, 4])
@pytest.mark.parametrize("make", ["x = torch.arange(60.).reshape(3, 5, 4).transpose(0, 2)",
                                  "x = torch.arange(6.).reshape(1, 2, 3).expand(4, 2, 3)",
                                  "x = torch.arange(12.).reshape(3, 4)[:, ::2]"])
def test_rot90_layout(torch, make, k):
    check(torch, f"{make}\nout['a'] = torch.rot90(x, {k}, [0, 1])\n"
                 f"out['b'] = torch.rot90(x, {k}, [2, -3])")


def test_out_of_place_index_put_and_put_keep_layout(torch):
    check(torch, "x = torch.arange(12.).reshape(4, 3).t()\n"
                 "out['a'] = x.index_put((torch.tensor([0, 2]),), torch.tensor(-1.))\n"
                 "out['b'] = x.put(torch.tensor([1, 5]), torch.tensor([7., 8.]))\n"
                 "out['c'] = torch.index_put(x, (torch.tensor([1]),), torch.ones(4), "
                 "accumulate=True)")


def test_masked_scatter_result_is_contiguous(torch):
    check(torch, "x = torch.arange(12.).reshape(4, 3).t()\n"
                 "out['a'] = x.masked_scatter(x > 4, torch.zeros(12))\n"
                 "out['b'] = x.masked_scatter(torch.tensor([True, False, True, False]), "
                 "-torch.arange(12.))")


# ------------------------------------------------------------------ bfloat16 strided views
@pytest.mark.parametrize("op", ["x.diagonal(0, 1, 2)", "x.unfold(1, 3, 2)",
                                "torch.as_strided(x, (2, 2), (1, 2))", "x.diagonal(1, -1, 1)"])
def test_bfloat16_views_of_expanded_tensors(torch, op):
    check(torch, "x = torch.arange(25.).reshape(1, 5, 5).to(torch.bfloat16).expand(3, 5, 5)\n"
                 f"y = {op}\nout['y'] = y\nout['f'] = y.float()\nout['c'] = y.contiguous()")


# ------------------------------------------------------------------ errors and edge cases
@pytest.mark.parametrize("code", [
    "torch.as_strided(torch.zeros(2, 2, 0), (2, 2), (1, 2), 0)",
    "torch.zeros(0).as_strided((1,), (1,))",
    "torch.zeros(2, 0).as_strided((), ())",
])
def test_as_strided_over_empty_storage_is_refused(torch, code):
    check(torch, f"out['y'] = {code}")


def test_as_strided_of_empty_storage_to_empty_is_fine(torch):
    check(torch, "out['y'] = torch.zeros(2, 0).as_strided((3, 0), (1, 1))")


@pytest.mark.parametrize("shape,mask", [((4, 0), (0,)), ((4, 3), (0,)), ((4, 0), (4, 1)),
                                        ((0, 3), (1,)), ((2, 3), (2, 0))])
def test_mask_shape_mismatch_with_empty_parts(torch, shape, mask):
    check(torch, f"x = torch.zeros{shape}\nout['y'] = x[torch.ones({mask}, dtype=torch.bool)]")
    check(torch, f"x = torch.zeros{shape}\nx[torch.ones({mask}, dtype=torch.bool)] = 1.\n"
                 "out['x'] = x")
    check(torch, f"x = torch.zeros{shape}\n"
                 f"out['y'] = x[:, torch.ones({mask}[1:], dtype=torch.bool)]")


def test_empty_matching_masks_still_select(torch):
    check(torch, "x = torch.zeros(0, 3)\nout['a'] = x[torch.ones(0, dtype=torch.bool)]\n"
                 "out['b'] = x[torch.ones(0, 3, dtype=torch.bool)]\n"
                 "out['c'] = x[False]\nout['d'] = torch.zeros(3)[torch.tensor([], dtype=torch.long)]")


@pytest.mark.parametrize("value", ["1j", "0j", "2 + 0j", "0.5j"])
def test_complex_fill_of_bool_tensor_is_nonzero_ness(torch, value):
    check(torch, "x = torch.tensor([True, False, True])\n"
                 f"out['a'] = x.masked_fill(~x, {value})\n"
                 f"y = x.clone(); y[torch.tensor([1])] = {value}; out['b'] = y\n"
                 f"y = x.clone(); y[1] = {value}; out['c'] = y\n"
                 f"y = x.clone(); y[1:] = {value}; out['d'] = y")


def test_matrix_transposes_of_0d_tensors(torch):
    check(torch, "x = torch.tensor(2.5, requires_grad=True)\n"
                 "out['mT'] = x.mT\nout['mH'] = x.mH\nout['T'] = x.T\n"
                 "out['same'] = [x.mT is x, x.mH is x]\n"
                 "z = torch.tensor(1 + 2j)\nout['zmH'] = z.mH\nout['zH'] = z.H")
    check(torch, "out['y'] = torch.ones(3).mT")


def test_movedim_of_0d_tensor(torch):
    check(torch, "x = torch.tensor(2.5, requires_grad=True)\n"
                 "out['a'] = torch.movedim(x, 0, -1)\nout['b'] = torch.moveaxis(x, (0,), (0,))\n"
                 "out['c'] = x.movedim(-1, 0) * 2")
    check(torch, "out['y'] = torch.movedim(torch.tensor(1.), 1, 0)")


@pytest.mark.parametrize("dims", ["()", "(0, 0)", "(-1, 0)", "(0, -1)", "(1, -1)", "(0, 1)",
                                  "(-2, 0)", "(1, 1)"])
def test_flatten_of_0d_tensor_checks_dims(torch, dims):
    check(torch, f"out['y'] = torch.tensor(3.).flatten(*{dims})")


@pytest.mark.parametrize("call", ["x.roll(2, 3)", "x.roll((1, 2), (0, 9))", "x.roll(1, (0, 9))",
                                  "x.roll(1, -5)", "x.roll(1)", "torch.roll(x, 3, 1)"])
def test_roll_of_empty_tensor(torch, call):
    check(torch, f"x = torch.zeros(0, 5, requires_grad=True)\nout['y'] = {call}")


@pytest.mark.parametrize("shape,dim,idx", [((4, 0, 4), 2, [1, -3]), ((4, 0, 4), 0, [7]),
                                           ((4, 0, 4), 1, [7]), ((4, 0, 4), -1, [7]),
                                           ((0,), 0, [0]), ((0,), 0, [-1]), ((0, 3), 0, [0]),
                                           ((0, 3), 1, [3]), ((2, 3, 4), 2, [-1]),
                                           ((2, 3, 4), 1, [5]), ((3,), 0, [3])])
def test_index_select_out_of_range_error_types(torch, shape, dim, idx):
    check(torch, f"out['y'] = torch.zeros{shape}.index_select({dim}, torch.tensor({idx}))")


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_complex(torch, reduce, include_self):
    check(torch, "x = torch.tensor([1 + 1j, 2, 3j])\n"
                 f"out['y'] = x.scatter_reduce(0, torch.tensor([0, 0, 1]), x, '{reduce}', "
                 f"include_self={include_self})")
    check(torch, "x = torch.zeros(2, 0, 2, dtype=torch.complex64)\n"
                 f"out['y'] = x.scatter_reduce(1, torch.zeros(2, 0, 2, dtype=torch.long), x, "
                 f"'{reduce}', include_self={include_self})")


# ------------------------------------------------------------------ seeded fuzz: index layouts
def _fuzz_case(rng: np.random.Generator) -> str:
    nd = int(rng.integers(1, 5))
    shape = [int(rng.choice([1, 2, 3, 4])) for _ in range(nd)]
    n = int(np.prod(shape))
    lines = [f"x = torch.arange({n}.).reshape({shape})"]
    kind = rng.integers(0, 3)
    if kind == 1 and nd > 1:
        p = [int(v) for v in rng.permutation(nd)]
        lines.append(f"x = x.permute({p})")
    elif kind == 2:
        lines.append("x = x[::2]")
    lines.append("sh = list(x.shape)")
    key = []
    for d in range(nd):
        r = rng.random()
        if r < 0.35:
            k = int(rng.integers(1, 4))
            key.append(f"torch.tensor({[int(v) for v in rng.integers(0, 1000, k)]}) % sh[{d}]")
        elif r < 0.45:
            key.append(f"torch.tensor([[0], [1]]) % sh[{d}]")
        elif r < 0.55:
            key.append("0")
        elif r < 0.65:
            key.append("-2:")
        else:
            key.append(":")
    if not any(k.startswith("torch") for k in key):  # (basic keys are another test's)
        key[int(rng.integers(0, nd))] = f"torch.tensor([{int(rng.integers(0, 5))}]) % sh[0]"
        key = key[:1] if key[0].startswith("torch") else key
    if rng.random() < 0.2:
        key.insert(int(rng.integers(0, len(key) + 1)), "None")
    lines.append(f"out['y'] = x[{', '.join(key)}]")
    return "\n".join(lines)


def test_fuzz_advanced_index_layouts(torch):
    rng = np.random.default_rng(2323)
    for _ in range(300):
        code = _fuzz_case(rng)
        expected, got = run(torch, code), run(ember, code)
        assert got == expected, code


# ------------------------------------------------------------------ reshape's graph node
@pytest.mark.parametrize("call", ["x.reshape(12)", "x.t().reshape(4, 3)", "x[:, ::2].reshape(6)",
                                  "x[:1].expand(3, 4).reshape(3, 4)",
                                  "x[:1].expand(3, 4).reshape(12)", "x.t().reshape(2, 2, 3)",
                                  "x[:, 1].reshape(-1)", "x.unsqueeze(0).reshape(3, 4)",
                                  "x.t().unsqueeze(0).flatten(0, 1)", "x.t().reshape_as(x.t())",
                                  "x[:, :1].flatten()"])
def test_reshape_node_of_a_strided_view(torch, call):
    """A reshape that can view a non-contiguous input is PyTorch's ``_reshape_alias``."""
    check(torch, "x = torch.arange(12.).reshape(3, 4).requires_grad_()\n"
                 f"y = {call}\nout['y'] = y\n(y * y).sum().backward()\nout['g'] = x.grad")


@pytest.mark.parametrize("call", ["x.repeat_interleave(2)", "x.repeat_interleave(2, dim=0)",
                                  "x.repeat_interleave(torch.tensor(2))",
                                  "x.repeat_interleave(torch.tensor(1))",
                                  "x.repeat_interleave(torch.tensor([2]), dim=1)",
                                  "torch.repeat_interleave(x, torch.tensor([2]), dim=0, "
                                  "output_size=4)",
                                  "x.repeat_interleave(torch.tensor([1, 2]), dim=0)"])
def test_repeat_interleave_node(torch, call):
    check(torch, "x = torch.arange(6.).reshape(2, 3).requires_grad_()\n"
                 f"y = {call}\nout['y'] = y\n(y * y).sum().backward()\nout['g'] = x.grad")
