"""Indexing against PyTorch: getitem/setitem with basic, integer and boolean indices,
index_put, gather/scatter, index_*, masked_*, take/put, and the search ops."""

from __future__ import annotations

import array
import collections
import functools
import warnings

import numpy as np
import pytest
from _shape_helpers import arr, check, check_error, gradcheck

import ember

I = np.array  # noqa: E741  (index arrays read better short)


def _idx(m, a):
    """An index array as a tensor of module ``m``."""
    return m.tensor(a)


GET = [
    ("int", lambda m, x: x[1]),
    ("neg_int", lambda m, x: x[-1, -2]),
    ("all_ints", lambda m, x: x[1, 2, 3]),
    ("slice", lambda m, x: x[1:, ::2]),
    ("slice_neg_bounds", lambda m, x: x[-2:-1, :-1, 1:100]),
    ("empty_slice", lambda m, x: x[2:1]),
    ("none", lambda m, x: x[None, :, None]),
    ("ellipsis", lambda m, x: x[..., 1]),
    ("ellipsis_mid", lambda m, x: x[0, ..., None, 1]),
    ("full", lambda m, x: x[:]),
    ("alias", lambda m, x: x[...]),
    ("list", lambda m, x: x[[0, 1, 0]]),
    ("empty_list", lambda m, x: x[[]]),
    ("tensor", lambda m, x: x[_idx(m, I([[0, 1], [1, 1]]))]),
    ("tensor_neg", lambda m, x: x[:, _idx(m, I([-1, 0, -3]))]),
    ("two_tensors", lambda m, x: x[_idx(m, I([0, 1])), _idx(m, I([2, 0]))]),
    ("broadcast_tensors", lambda m, x: x[_idx(m, I([[0], [1]])), :, _idx(m, I([0, 3, 1]))]),
    ("separated", lambda m, x: x[_idx(m, I([0, 1])), :, _idx(m, I([1, 2]))]),
    ("int_and_tensor_split", lambda m, x: x[:, 0, _idx(m, I([1, 2]))]),
    ("int_before_tensor", lambda m, x: x[1, :, _idx(m, I([1, 2, 0]))]),
    ("tensor_none", lambda m, x: x[_idx(m, I([0, 1])), None, _idx(m, I([0, 1]))]),
    ("none_tensor", lambda m, x: x[:, None, _idx(m, I([0, 1]))]),
    ("mask", lambda m, x: x[_idx(m, arr(2, 3, dtype="bool"))]),
    ("mask_partial", lambda m, x: x[:, _idx(m, I([True, False, True]))]),
    ("mask_last", lambda m, x: x[..., _idx(m, arr(3, 4, dtype="bool", seed=3))]),
    ("mask_and_tensor", lambda m, x: x[_idx(m, I([True, False])), :, _idx(m, I([1]))]),
    ("mask_all_false", lambda m, x: x[_idx(m, np.zeros((2, 3), bool))]),
    ("py_true", lambda m, x: x[True]),
    ("py_false", lambda m, x: x[False]),
    ("int_true", lambda m, x: x[0, True]),
    ("list_true", lambda m, x: x[[0, 1], True]),
    ("tensor_0d_int", lambda m, x: x[_idx(m, I(1))]),
    ("tensor_0d_bool", lambda m, x: x[_idx(m, I(True))]),
    ("tuple_of_lists", lambda m, x: x[[0, 1], [2, 0]]),
    ("numpy_index", lambda m, x: x[I([1, 0])]),
    ("numpy_int", lambda m, x: x[np.int64(1), np.int32(2)]),
    ("slice_tensor_bounds", lambda m, x: x[_idx(m, I(1)):]),
    ("transposed", lambda m, x: x.transpose(0, 2)[1:, _idx(m, I([0, 0, 2]))]),
    ("repeated", lambda m, x: x[_idx(m, I([1, 1, 0, 1]))]),
    ("repeated_2d", lambda m, x: x[_idx(m, I([1, 1])), _idx(m, I([2, 2]))]),
    # the nll of "What is torch.nn really?": input[range(n), target]
    ("range_and_tensor", lambda m, x: x[range(2), _idx(m, I([2, 0]))]),
    ("range", lambda m, x: x[:, range(1, 3)]),
    ("empty_range", lambda m, x: x[range(0)]),
    ("deque", lambda m, x: x[collections.deque([1, 0]), 1:]),
    ("array_module", lambda m, x: x[array.array("l", [1, 1])]),
]


@pytest.mark.parametrize("case", GET, ids=[c[0] for c in GET])
def test_getitem(case, torch):
    f = case[1]
    check(functools.partial(f, ember), functools.partial(f, torch), arr(2, 3, 4), torch=torch)


def test_getitem_nontuple_sequence_warns(torch):
    x = arr(3, 4)
    with pytest.warns(UserWarning, match="non-tuple sequence"):
        r = ember.tensor(x)[[[0, 1], [1, 2]]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ember.testing.assert_close(r, torch.tensor(x)[[[0, 1], [1, 2]]])


@pytest.mark.parametrize("dtype", ["int64", "bool", "float16", "complex64", "uint8"])
def test_getitem_dtypes(dtype, torch):
    x = arr(2, 3, 4, dtype=dtype)
    for _, f in GET:
        check(functools.partial(f, ember), functools.partial(f, torch), x, torch=torch,
              grad=False)


def test_getitem_0d_and_empty(torch):
    for x in (arr(), arr(0, 3)):
        for f in (lambda m, t: t[None], lambda m, t: t[...], lambda m, t: t[True],
                  lambda m, t: t[..., None]):
            check(functools.partial(f, ember), functools.partial(f, torch), x, torch=torch)
    check(lambda t: t[ember.tensor([], dtype=ember.int64)],
          lambda t: t[torch.tensor([], dtype=torch.int64)], arr(0, 3), torch=torch)


GET_ERRORS = [
    lambda m, x: x[5],
    lambda m, x: x[-4],
    lambda m, x: x[:, 7],
    lambda m, x: x[0, :, 7],
    lambda m, x: x[m.tensor([5])],
    lambda m, x: x[:, :, m.tensor([9])],
    lambda m, x: x[m.tensor([0, 1]), m.tensor([0, 5])],
    lambda m, x: x[m.tensor([0, 1]), :, m.tensor([0, 9])],
    lambda m, x: x[0, 0, 0, 0],
    lambda m, x: x[m.tensor([True, False])],
    lambda m, x: x[::-1],
    lambda m, x: x[:, ::0],
    lambda m, x: x[1.5],
    lambda m, x: x[m.tensor([1.0])],
    lambda m, x: x[m.tensor([0, 1]), m.tensor([0, 1, 2])],
    lambda m, x: x[0][0][0][0],
]


@pytest.mark.parametrize("i", range(len(GET_ERRORS)))
def test_getitem_errors(i, torch):
    f = GET_ERRORS[i]
    x = arr(3, 4, 5)
    check_error(lambda: f(ember, ember.tensor(x)), lambda: f(torch, torch.tensor(x)))


def _set(key_fn, value_fn):
    def f(m, x, v):
        y = x * 1
        y[key_fn(m)] = value_fn(m, v)
        return y
    return f


SET = [
    ("int_scalar", lambda m: 1, lambda m, v: 5.0),
    ("slice_tensor", lambda m: (slice(None), slice(1, 3)), lambda m, v: v[:, :2]),
    ("broadcast_row", lambda m: slice(0, 2), lambda m, v: v[0]),
    ("leading_ones", lambda m: 0, lambda m, v: v[:1]),
    ("ellipsis", lambda m: (Ellipsis, 0), lambda m, v: v[:, 0]),
    ("list", lambda m: [0, 2], lambda m, v: v[:2]),
    ("tensor_2d", lambda m: (m.tensor([0, 2]), m.tensor([1, 3])), lambda m, v: v[0, :2]),
    ("mask", lambda m: m.tensor(arr(3, 4, dtype="bool")), lambda m, v: 0.5),
    ("mask_rows", lambda m: m.tensor([True, False, True]), lambda m, v: v[:2]),
    ("none", lambda m: (None, 1), lambda m, v: v[1]),
    ("range", lambda m: (range(1, 3), range(2)), lambda m, v: v[0, :2]),
    ("all", lambda m: Ellipsis, lambda m, v: v),
]


@pytest.mark.parametrize("case", SET, ids=[c[0] for c in SET])
def test_setitem(case, torch):
    f = _set(case[1], case[2])
    # both the written tensor's history and the value get gradients
    check(functools.partial(f, ember), functools.partial(f, torch), arr(3, 4), arr(3, 4, seed=5),
          torch=torch)


def test_setitem_into_3d(torch):
    f = _set(lambda m: (slice(None), m.tensor([0, 2])), lambda m, v: v)
    check(functools.partial(f, ember), functools.partial(f, torch), arr(2, 3, 4), arr(2, 2, 4),
          torch=torch)
    f = _set(lambda m: (m.tensor([0, 1]), slice(None), m.tensor([1, 0])), lambda m, v: v[0, :, 0])
    check(functools.partial(f, ember), functools.partial(f, torch), arr(2, 3, 4), arr(2, 3, 4),
          torch=torch)


@pytest.mark.parametrize("dtype", ["int64", "bool", "float32", "uint8", "float64", "int32",
                                   "float16"])
def test_setitem_casts_value(dtype, torch):
    mask = arr(3, 4, dtype="bool")
    for key in (1, (slice(None), 0), [0, 2], "mask"):
        # a complex number with an imaginary part is refused by real tensors (bool takes it)
        for val in (3.7, 1, True, arr(4, dtype="float64"), np.array(2.5), 2 + 0j, 1 - 2j):
            te = ember.tensor(arr(3, 4, dtype=dtype))
            tt = torch.tensor(arr(3, 4, dtype=dtype))
            ke, kt = (ember.tensor(mask), torch.tensor(mask)) if key == "mask" else (key, key)
            if isinstance(val, np.ndarray):
                v = val[:1] if val.ndim and key in ((slice(None), 0), "mask") else val
                ve, vt = ember.tensor(v), torch.tensor(v)
            else:
                ve = vt = val
            try:  # PyTorch refuses other dtypes for integer-tensor indices
                tt[kt] = vt
            except RuntimeError:
                check_error(functools.partial(te.__setitem__, ke, ve),
                            functools.partial(tt.__setitem__, kt, vt))
                continue
            te[ke] = ve
            ember.testing.assert_close(te, tt)


def test_setitem_bumps_version_and_writes_in_place():
    x = ember.zeros(3, 4)
    v0, ptr = x._version, x.data_ptr()
    x[0] = 1.0
    x[[1, 2], [0, 0]] = 2.0
    x[x > 1.5] = 3.0
    assert x._version == v0 + 3 and x.data_ptr() == ptr
    assert x.sum().item() == 4 + 6


def test_setitem_value_requires_grad(torch):
    def f(m, v):
        y = m.zeros(3, 4, dtype=m.float64)
        y[1:, m.tensor([0, 2])] = v
        return y
    check(functools.partial(f, ember), functools.partial(f, torch), arr(2, 2), torch=torch)
    e = ember.zeros(3)
    v = ember.tensor(2.0, requires_grad=True)
    e[1] = v
    assert e.grad_fn.name() == "torch::autograd::CopySlices"
    (e * 3).sum().backward()
    assert v.grad.item() == 3.0


def test_setitem_grad_fn_names(torch):
    x = ember.ones(3, requires_grad=True) * 1
    x[[0, 1]] = 5.0
    assert x.grad_fn.name() == "IndexPutBackward0"
    x[0:2] = 3.0
    assert x.grad_fn.name() == "torch::autograd::CopySlices"


SET_ERRORS = [
    lambda m, x: x.__setitem__(slice(0, 2), m.ones(3)),
    lambda m, x: x.__setitem__([0, 1], m.ones(3)),
    lambda m, x: x.__setitem__(0, [1, 2]),
    lambda m, x: x.__setitem__(5, 1.0),
    lambda m, x: x.__setitem__((slice(None), m.tensor([7])), 1.0),
    lambda m, x: x.__setitem__(slice(None, None, -1), 1.0),
    lambda m, x: x.requires_grad_().__setitem__(0, 1.0),
    lambda m, x: x.requires_grad_().__setitem__([0], 1.0),
    lambda m, x: x.index_put_((m.tensor([0]),), m.ones(1, dtype=m.float32)),
    lambda m, x: m.zeros(3).expand(2, 3).__setitem__((slice(None), 0), 1.0),
]


@pytest.mark.parametrize("i", range(len(SET_ERRORS)))
def test_setitem_errors(i, torch):
    f = SET_ERRORS[i]
    x = arr(3)
    check_error(lambda: f(ember, ember.tensor(x)), lambda: f(torch, torch.tensor(x)))


@pytest.mark.parametrize("accumulate", [False, True])
def test_index_put(accumulate, torch):
    def f(m, x, v):
        return (x * 1).index_put((m.tensor([0, 2, 0]), m.tensor([1, 1, 1])), v, accumulate)

    def g(m, x, v):
        return (x * 1).index_put_((m.tensor([[0], [1]]),), v[:2, None, :], accumulate=accumulate)

    vals = arr(3)
    if not accumulate:  # duplicate writes are unordered in PyTorch: keep them equal
        vals = np.full(3, 1.5)
    check(functools.partial(f, ember), functools.partial(f, torch), arr(3, 4), vals, torch=torch)
    check(functools.partial(g, ember), functools.partial(g, torch), arr(3, 4), arr(3, 4),
          torch=torch)
    x = ember.zeros(3)
    x.index_put_((ember.tensor([0, 0, 2]),), ember.tensor([1.0, 2.0, 3.0]), accumulate=True)
    assert x.tolist() == [3.0, 0.0, 3.0]


# ------------------------------------------------------------------ gather / scatter family
IDX2 = I([[0, 2, 0, 1], [1, 1, 0, 2]])  # duplicates along dim 0 of a (3, 4) tensor
IDX1 = I([2, 0, 2, 1])

OPS = [
    ("gather", lambda m, x: m.gather(x, 0, m.tensor(IDX2)), [arr(3, 4)]),
    ("gather_small", lambda m, x: x.gather(1, m.tensor(I([[1], [0]]))), [arr(3, 4)]),
    ("gather_t", lambda m, x: x.t().gather(1, m.tensor(IDX2.T)), [arr(3, 4)]),
    ("gather_0d", lambda m, x: x.gather(0, m.tensor(I(0))), [arr()]),
    ("scatter", lambda m, x, s: x.scatter(1, m.tensor(I([[2, 0], [1, 3]])), s),
     [arr(3, 4), arr(2, 2)]),
    ("scatter_value", lambda m, x: m.scatter(x, 0, m.tensor(IDX2), 2.5), [arr(3, 4)]),
    ("scatter_add", lambda m, x, s: m.scatter_add(x, 0, m.tensor(IDX2), s),
     [arr(3, 4), arr(2, 4)]),
    ("scatter_add_dim1", lambda m, x, s: x.scatter_add(1, m.tensor(IDX2[:, :3]), s),
     [arr(2, 3), arr(2, 3)]),
    ("index_select", lambda m, x: m.index_select(x, 1, m.tensor(IDX1)), [arr(3, 4)]),
    ("index_select_0d", lambda m, x: x.index_select(0, m.tensor(I(1))), [arr(3)]),
    ("index_add", lambda m, x, s: x.index_add(0, m.tensor(IDX1), s, alpha=2.0),
     [arr(3, 2), arr(4, 2)]),
    ("index_add_dim1", lambda m, x, s: m.index_add(x, 1, m.tensor(IDX1[:2]), s),
     [arr(3, 4), arr(3, 2)]),
    ("index_copy", lambda m, x, s: x.index_copy(1, m.tensor(I([3, 0])), s),
     [arr(3, 4), arr(3, 2)]),
    ("index_fill", lambda m, x: x.index_fill(1, m.tensor(IDX1), -1.0), [arr(3, 4)]),
    ("index_fill_tensor", lambda m, x, v: m.index_fill(x, 0, m.tensor(I([1])), v),
     [arr(3, 4), arr()]),
    ("masked_fill", lambda m, x: x.masked_fill(m.tensor(arr(3, 4, dtype="bool")), 0.5),
     [arr(3, 4)]),
    ("masked_fill_bcast", lambda m, x, v: m.masked_fill(x, m.tensor(I([True, False, True,
                                                                       False])), v),
     [arr(3, 4), arr()]),
    ("masked_fill_grow", lambda m, x: x.masked_fill(m.tensor(arr(2, 3, 4, dtype="bool")), 1.0),
     [arr(3, 4)]),
    ("masked_select", lambda m, x: m.masked_select(x, m.tensor(arr(3, 4, dtype="bool"))),
     [arr(3, 4)]),
    ("masked_select_bcast", lambda m, x: x.masked_select(m.tensor(arr(2, 1, 4, dtype="bool"))),
     [arr(3, 4)]),
    ("masked_scatter", lambda m, x, s: x.masked_scatter(m.tensor(arr(3, 4, dtype="bool")), s),
     [arr(3, 4), arr(4, 4)]),
    ("take", lambda m, x: m.take(x, m.tensor(I([[0, -1], [5, 5]]))), [arr(3, 4)]),
    ("take_t", lambda m, x: x.t().take(m.tensor(I([1, 2, 11]))), [arr(3, 4)]),
    ("take_along_dim", lambda m, x: m.take_along_dim(x, m.tensor(IDX2), 0), [arr(3, 4)]),
    ("take_along_dim_bcast", lambda m, x: x.take_along_dim(m.tensor(I([[1], [0]])), 1),
     [arr(1, 4)]),
    ("take_along_dim_none", lambda m, x: m.take_along_dim(x, m.tensor(I([3, 0, 3]))),
     [arr(3, 4)]),
    ("put", lambda m, x, s: m.put(x, m.tensor(I([0, 5, -1])), s), [arr(3, 4), arr(3)]),
    ("put_accumulate", lambda m, x, s: (x * 1).put_(m.tensor(I([[0, 5], [0, 5]])), s, True),
     [arr(3, 4), arr(2, 2)]),
]

# PyTorch has no gradient for these (a larger src, scatter's reduce=): forward only
FORWARD_ONLY = [
    ("scatter_big_src", lambda m, x, s: x.scatter(1, m.tensor(I([[2, 0], [1, 3]])), s),
     [arr(3, 4), arr(2, 3)]),
    ("scatter_add_big_src", lambda m, x, s: m.scatter_add(x, 0, m.tensor(IDX2), s),
     [arr(3, 4), arr(3, 5)]),
    ("scatter_reduce_big_src", lambda m, x, s: x.scatter_reduce(0, m.tensor(IDX2), s, "amin"),
     [arr(3, 4), arr(3, 5)]),
    ("scatter_reduce_add", lambda m, x, s: x.scatter(0, m.tensor(IDX2), s, reduce="add"),
     [arr(3, 4), arr(2, 4)]),
    ("scatter_reduce_mul", lambda m, x: x.scatter(0, m.tensor(IDX2), 1.5, reduce="multiply"),
     [arr(3, 4)]),
]

REDUCES = [(r, s) for r in ("sum", "prod", "mean", "amax", "amin") for s in (True, False)]


@pytest.mark.parametrize("case", OPS, ids=[c[0] for c in OPS])
def test_index_ops(case, torch):
    _, f, inputs = case
    check(functools.partial(f, ember), functools.partial(f, torch), *inputs, torch=torch)


@pytest.mark.filterwarnings("ignore:The reduce argument")
@pytest.mark.parametrize("case", FORWARD_ONLY, ids=[c[0] for c in FORWARD_ONLY])
def test_index_ops_forward(case, torch):
    _, f, inputs = case
    check(functools.partial(f, ember), functools.partial(f, torch), *inputs, torch=torch,
          grad=False)


def test_scatter_reduce_argument_is_deprecated(monkeypatch):
    from ember.ops import indexing_scatter

    monkeypatch.setattr(indexing_scatter, "_warned_reduce", False)  # PyTorch warns once
    with pytest.warns(UserWarning, match="reduce argument of torch.scatter"):
        ember.zeros(3).scatter(0, ember.tensor([0]), ember.ones(1), reduce="add")


@pytest.mark.parametrize("reduce,include_self", REDUCES)
def test_scatter_reduce(reduce, include_self, torch):
    src = arr(2, 4, seed=2)
    src[0, 0] = src[1, 1] = 0.0  # zeros exercise prod's gradient
    x = arr(3, 4)
    x[2, 3] = 0.0
    if reduce in ("amax", "amin"):  # ties split the gradient
        src[1, 0] = src[0, 0]

    def f(m, x, s):
        return x.scatter_reduce(0, m.tensor(IDX2), s, reduce, include_self=include_self)
    check(functools.partial(f, ember), functools.partial(f, torch), x, src, torch=torch)


def test_scatter_reduce_int_mean(torch):
    def f(m, x, s):
        return m.scatter_reduce(x, 0, m.tensor(IDX2), s, "mean")
    check(functools.partial(f, ember), functools.partial(f, torch), arr(3, 4, dtype="int64"),
          arr(2, 4, dtype="int64"), torch=torch)


@pytest.mark.parametrize("name", ["scatter_", "scatter_add_", "index_add_", "index_copy_",
                                  "index_fill_", "masked_fill_", "masked_scatter_", "put_"])
def test_inplace_forms(name, torch):
    m_args = {
        "scatter_": lambda m, s: (0, m.tensor(IDX2[:1, :2]), s[:1, :2]),
        "scatter_add_": lambda m, s: (0, m.tensor(IDX2), s[:2]),
        "index_add_": lambda m, s: (0, m.tensor(IDX1[:3]), s[:3]),
        "index_copy_": lambda m, s: (1, m.tensor(I([2, 0])), s[:3, :2]),
        "index_fill_": lambda m, s: (1, m.tensor(I([2, 0])), 7.0),
        "masked_fill_": lambda m, s: (m.tensor(arr(3, 4, dtype="bool")), -2.0),
        "masked_scatter_": lambda m, s: (m.tensor(arr(3, 4, dtype="bool")), s),
        "put_": lambda m, s: (m.tensor(I([1, 7])), s[0, :2]),
    }[name]

    def f(m, x, s):
        y = x * 1
        v0 = y._version
        r = getattr(y, name)(*m_args(m, s))
        assert r is y and y._version > v0
        return y
    check(functools.partial(f, ember), functools.partial(f, torch), arr(3, 4), arr(4, 4, seed=4),
          torch=torch)


INDEX_ERRORS = [
    lambda m, x: x.gather(0, m.tensor([0])),
    lambda m, x: x.gather(0, m.tensor([[5]])),
    lambda m, x: x.gather(0, m.zeros(1, 5, dtype=m.long)),
    lambda m, x: x.scatter(0, m.tensor([[0, 1]]), m.zeros(1, 2, dtype=m.float64)),
    lambda m, x: x.scatter(0, m.zeros(1, 5, dtype=m.long), m.zeros(1, 5)),
    lambda m, x: x.scatter(0, m.tensor([[0, 1]]), m.zeros(1, 1)),
    lambda m, x: x.scatter(0, m.tensor([[0, 1]]), 1.0, reduce="max"),
    lambda m, x: x.index_select(0, m.tensor([3])),
    lambda m, x: x.index_select(0, m.tensor([[0]])),
    lambda m, x: x.index_select(0, m.tensor([0.0])),
    lambda m, x: x.index_add(0, m.tensor([0, 1]), m.zeros(1, 4)),
    lambda m, x: x.index_add(0, m.tensor([0]), m.zeros(1, 4, dtype=m.float64)),
    lambda m, x: x.index_add(0, m.tensor([7]), m.zeros(1, 4)),
    lambda m, x: x.index_copy(0, m.tensor([0, 1]), m.zeros(1, 4)),
    lambda m, x: x.index_copy(0, m.tensor([7]), m.zeros(1, 4)),
    lambda m, x: x.index_fill(0, m.tensor([7]), 1),
    lambda m, x: x.index_fill(0, m.tensor([0]), m.ones(2)),
    lambda m, x: x.masked_fill(m.zeros(3, 4), 1),
    lambda m, x: x.masked_fill(m.zeros(3, 4, dtype=m.uint8), 1),
    lambda m, x: x.masked_fill(m.zeros(4, dtype=m.bool), m.ones(2)),
    lambda m, x: x.masked_select(m.zeros(4)),
    lambda m, x: x.masked_scatter(m.ones(4, dtype=m.bool), m.zeros(2)),
    lambda m, x: x.masked_scatter(m.ones(4, dtype=m.bool), m.zeros(20, dtype=m.float64)),
    lambda m, x: x.masked_scatter(m.ones(4), m.zeros(20)),
    lambda m, x: x.take(m.tensor([12])),
    lambda m, x: x.take(m.tensor([1], dtype=m.int32)),
    lambda m, x: x.put_(m.tensor([12]), m.zeros(1)),
    lambda m, x: x.put_(m.tensor([1]), m.zeros(2)),
    lambda m, x: x.put_(m.tensor([1]), m.zeros(1, dtype=m.float64)),
    lambda m, x: m.take_along_dim(x, m.tensor([0]), 0),
]


@pytest.mark.parametrize("i", range(len(INDEX_ERRORS)))
def test_index_op_errors(i, torch):
    f = INDEX_ERRORS[i]
    x = np.zeros((3, 4), np.float32)
    check_error(lambda: f(ember, ember.tensor(x)), lambda: f(torch, torch.tensor(x)))


def test_inplace_broadcast_error(torch):
    x = np.zeros((3, 4), np.float32)
    f = lambda m, t: t.masked_fill_(m.ones(2, 3, 4, dtype=m.bool), 1)  # noqa: E731
    check_error(lambda: f(ember, ember.tensor(x)), lambda: f(torch, torch.tensor(x)),
                exact=False)


GRADCHECK = [
    (lambda x: x[ember.tensor([1, 1, 0])][:, ember.tensor([2, 0, 2])], [arr(3, 4)]),
    (lambda x: x[ember.tensor([[True, False, True, True]] * 3)], [arr(3, 4)]),
    (lambda x: x[1:, None, ::2][0], [arr(3, 4)]),
    (lambda x, v: _put(x, v), [arr(3, 4), arr(2)]),
    (lambda x: x.gather(1, ember.tensor(IDX2[:, :3])), [arr(2, 3)]),
    (lambda x, s: x.scatter_add(0, ember.tensor(IDX2), s), [arr(3, 4), arr(2, 4)]),
    (lambda x, s: x.scatter(1, ember.tensor(I([[2, 0], [1, 3]])), s), [arr(3, 4), arr(2, 3)]),
    (lambda x, s: x.scatter_add(1, ember.tensor(I([[2, 0], [1, 3]])), s),
     [arr(3, 4), arr(2, 3)]),
    (lambda x, s: x.index_add(0, ember.tensor(IDX1), s, alpha=-0.5), [arr(3, 2), arr(4, 2)]),
    (lambda x, s: x.index_copy(0, ember.tensor(I([2, 0])), s), [arr(3, 2), arr(2, 2)]),
    (lambda x: x.index_select(1, ember.tensor(IDX1)), [arr(2, 3)]),
    (lambda x, v: x.index_fill(1, ember.tensor(I([0])), v), [arr(2, 3), arr()]),
    (lambda x, v: x.masked_fill(ember.tensor(arr(3, dtype="bool")), v), [arr(2, 3), arr()]),
    (lambda x: x.masked_select(ember.tensor(arr(2, 3, dtype="bool"))), [arr(2, 3)]),
    (lambda x, s: x.masked_scatter(ember.tensor(arr(2, 3, dtype="bool")), s),
     [arr(2, 3), arr(7)]),
    (lambda x: x.take(ember.tensor(I([0, 0, 5]))), [arr(2, 3)]),
    (lambda x, s: x.put(ember.tensor(I([1, 1])), s, accumulate=True), [arr(2, 3), arr(2)]),
    (lambda x, s: x.index_put((ember.tensor([0, 0]),), s, accumulate=True),
     [arr(2, 3), arr(2, 3)]),
    (lambda x, s: x.scatter_reduce(0, ember.tensor(IDX2), s, "prod", include_self=False),
     [arr(3, 4), arr(2, 4)]),
    (lambda x, s: x.scatter_reduce(0, ember.tensor(IDX2), s, "mean"), [arr(3, 4), arr(2, 4)]),
    (lambda x, s: x.scatter_reduce(0, ember.tensor(IDX2), s, "amax"), [arr(3, 4), arr(2, 4)]),
]


def _put(x, v):
    y = x * 1
    y[ember.tensor([0, 2]), 1:3] = v
    return y


@pytest.mark.parametrize("i", range(len(GRADCHECK)))
def test_gradcheck(i):
    fn, inputs = GRADCHECK[i]
    gradcheck(fn, *inputs)


def test_double_backward_through_indexing():
    assert ember.autograd.gradgradcheck(
        lambda t: t[ember.tensor([0, 0, 1])] ** 2, (ember.tensor(arr(3, 2), requires_grad=True),))
    assert ember.autograd.gradgradcheck(
        lambda t: t.gather(0, ember.tensor(IDX2[:, :2])) ** 2,
        (ember.tensor(arr(3, 2), requires_grad=True),))


# ------------------------------------------------------------------ search and count
SEARCH = [
    ("nonzero", lambda m, x: m.nonzero(x), [arr(3, 4, dtype="int64")]),
    ("nonzero_tuple", lambda m, x: x.nonzero(as_tuple=True), [arr(3, 4, dtype="bool")]),
    ("nonzero_0d", lambda m, x: m.nonzero(x), [np.array(3.0)]),
    ("nonzero_0d_tuple", lambda m, x: m.nonzero(x, as_tuple=True), [np.array(0.0)]),
    ("nonzero_empty", lambda m, x: m.nonzero(x), [np.zeros((0, 2))]),
    ("argwhere", lambda m, x: m.argwhere(x), [arr(2, 3, 2, dtype="bool")]),
    ("searchsorted", lambda m, s, v: m.searchsorted(s, v),
     [np.array([1.0, 2.0, 2.0, 5.0]), np.array([[0.0, 2.0], [2.5, 9.0]])]),
    ("searchsorted_right", lambda m, s, v: m.searchsorted(s, v, right=True),
     [np.array([1.0, 2.0, 2.0, 5.0]), np.array([0.0, 2.0, 5.0])]),
    ("searchsorted_side", lambda m, s, v: m.searchsorted(s, v, side="right", out_int32=True),
     [np.array([1, 2, 2, 5]), np.array([2, 6])]),
    ("searchsorted_scalar", lambda m, s: m.searchsorted(s, 2), [np.array([1, 2, 3])]),
    ("searchsorted_nd", lambda m, s, v: m.searchsorted(s, v),
     [np.sort(arr(2, 3, 5), -1), arr(2, 3, 4, seed=1)]),
    ("searchsorted_nd_right", lambda m, s, v: m.searchsorted(s, v, right=True),
     [np.array([[1, 2, 2, 4], [0, 0, 3, 3]]), np.array([[2, 0, 5], [0, 3, -1]])]),
    ("searchsorted_nan", lambda m, s, v: m.searchsorted(s, v),
     [np.array([1.0, 2.0, np.nan]), np.array([np.nan, 1.5, 3.0])]),
    ("searchsorted_sorter", lambda m, s, v: m.searchsorted(s, v, sorter=m.argsort(s)),
     [np.array([3.0, 1.0, 2.0]), np.array([2.5, 0.0])]),
    ("bucketize", lambda m, v, b: m.bucketize(v, b), [arr(3, 4), np.array([-1.0, 0.0, 1.0])]),
    ("bucketize_right", lambda m, v, b: m.bucketize(v, b, right=True, out_int32=True),
     [np.array([[1, 2], [3, 0]]), np.array([1, 3])]),
    ("bincount", lambda m, x: m.bincount(x), [np.array([0, 3, 3, 1])]),
    ("bincount_minlength", lambda m, x: x.bincount(minlength=7), [np.array([0, 3, 3, 1])]),
    ("bincount_w32", lambda m, x, w: m.bincount(x, w),
     [np.array([0, 2, 2]), np.array([0.5, 1.0, 2.0], np.float32)]),
    ("bincount_w64", lambda m, x, w: m.bincount(x, w),
     [np.array([0, 2, 2]), np.array([0.5, 1.0, 2.0])]),
    ("bincount_wint", lambda m, x, w: m.bincount(x, w),
     [np.array([0, 2, 2]), np.array([1, 2, 3])]),
    ("bincount_empty", lambda m, x: m.bincount(x, minlength=3), [np.zeros(0, np.int64)]),
    ("histc", lambda m, x: m.histc(x, 7), [arr(50, dtype="float32")]),
    ("histc_range", lambda m, x: x.histc(4, -1, 1), [arr(50)]),
    ("histc_const", lambda m, x: m.histc(x, 3), [np.ones(5)]),
]


@pytest.mark.parametrize("case", SEARCH, ids=[c[0] for c in SEARCH])
def test_search_ops(case, torch):
    _, f, inputs = case
    check(functools.partial(f, ember), functools.partial(f, torch), *inputs, torch=torch,
          grad=False)


SEARCH_ERRORS = [
    lambda m: m.searchsorted(m.tensor([1, 2]), m.tensor([1]), side="left", right=True),
    lambda m: m.searchsorted(m.zeros(2, 3), m.zeros(3, 1)),
    lambda m: m.bucketize(m.tensor([1]), m.zeros(2, 2)),
    lambda m: m.bincount(m.tensor([-1, 2])),
    lambda m: m.bincount(m.zeros(2, 2, dtype=m.int64)),
    lambda m: m.histc(m.tensor([1, 2]), 3),
    lambda m: m.histc(m.tensor([1.0, 2.0]), 3, 2, 1),
]


@pytest.mark.parametrize("i", range(len(SEARCH_ERRORS)))
def test_search_errors(i, torch):
    f = SEARCH_ERRORS[i]
    check_error(lambda: f(ember), lambda: f(torch))
