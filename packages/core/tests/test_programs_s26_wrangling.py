"""Tensor wrangling programs (session 26, lane J): data-munging scripts run with torch and
with Ember (imports rewritten), comparing printed output, error types and messages."""

from __future__ import annotations

import contextlib
import io
import re
import warnings

import pytest

import ember

torch = pytest.importorskip("torch")


def _run(src: str, lib: str) -> str:
    """``src`` (written against torch) run with ``lib``'s imports; its stdout, torch's name
    written as ember's."""
    if lib == "ember":
        src = re.sub(r"\btorch\b", "ember", src)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(src, f"<{lib}>", "exec"), {"__name__": "__main__"})
    return re.sub(r"\btorch\b", "ember", buf.getvalue())


def _same_output(src: str) -> None:
    assert _run(src, "ember") == _run(src, "torch")


def _error(lib, fn):
    try:
        fn(lib)
    except Exception as e:  # noqa: BLE001 - the error itself is compared
        return type(e).__name__, str(e).replace("torch.", "ember.")
    return None


def _same_error(fn) -> None:
    got, want = _error(ember, fn), _error(torch, fn)
    assert want is not None and got == want


# ------------------------------------------------------------------ fixed differences
def test_scatter_reduce_argument_warning_text():
    """The deprecation warning of ``scatter(..., reduce=)`` with a tensor src ends with
    PyTorch's "(Triggered internally at ...)" note, as its other C++ warnings do."""
    from ember.ops import indexing_scatter

    def msgs(lib):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            lib.zeros(2, 4).scatter_(1, lib.tensor([[2], [3]]), lib.tensor([[1.2], [3.4]]),
                                     reduce="add")
        return [str(x.message).replace("torch.", "ember.") for x in w]

    indexing_scatter._warned_reduce = False
    got = msgs(ember)
    want = msgs(torch)
    if want:  # torch warns once per process: another test may have had it already
        assert got == want
    else:
        assert got and got[0].endswith("TensorAdvancedIndexing.cpp:225.)")


@pytest.mark.parametrize("case", [
    lambda t: t.lerp(t.zeros(3), t.ones(3), t.ones(2)),
    lambda t: t.lerp(t.zeros(3), t.ones(2), t.ones(3)),
    lambda t: t.addcmul(t.ones(2), t.ones(3), t.ones(3)),
    lambda t: t.addcdiv(t.ones(3), t.ones(3), t.ones(2, 1, 4)),
    lambda t: t.addcmul(t.ones(3, 1), t.ones(1, 4), t.ones(2, 1, 5)),
    lambda t: t.clamp(t.ones(3), t.ones(3), t.ones(2)),
    lambda t: t.clamp(t.ones(3), max=t.ones(2)),
    lambda t: t.clamp(t.ones(3, 1), t.ones(4), t.ones(2, 1, 5)),
])
def test_three_operand_broadcast_error_sizes(case):
    """Three-operand ops name the sizes PyTorch does: the earlier operands' broadcast shape
    against the operand that refuses it (not the first two operands, which may agree)."""
    got, want = _error(ember, case), _error(torch, case)
    assert got[0] == want[0] == "RuntimeError"
    assert want[1] in got[1]  # Ember names the op before PyTorch's text, shapes after it


@pytest.mark.parametrize("case", [
    lambda t: t.flip(t.ones(3), 0),
    lambda t: t.flip(t.ones(3), True),
    lambda t: t.flip(t.ones(3), dims=0),
    lambda t: t.ones(3).flip(dims=0),
    lambda t: t.flip(t.ones(2, 2), 0, 1),
])
def test_flip_function_refuses_int_dims(case):
    _same_error(case)


def test_flip_method_and_sequence_forms_still_work():
    for fn in (lambda t: t.arange(4.).reshape(2, 2).flip(0, 1),
               lambda t: t.arange(4.).reshape(2, 2).flip([1]),
               lambda t: t.flip(t.arange(4.).reshape(2, 2), dims=[0]),
               lambda t: t.flip(t.arange(4.).reshape(2, 2), (0, 1))):
        assert fn(ember).tolist() == fn(torch).tolist()


@pytest.mark.parametrize("name", ["hstack", "vstack", "dstack", "column_stack", "row_stack"])
def test_stacking_functions_refuse_empty_list(name):
    _same_error(lambda t: getattr(t, name)([]))


@pytest.mark.parametrize("case", [
    lambda t: t.ones(3).repeat(-1),
    lambda t: t.ones(2, 3).repeat(1, -2),
    lambda t: t.ones(2).repeat(0, -1),
    lambda t: t.tile(t.ones(3), (-1,)),
    lambda t: t.tile(t.ones(2, 3), (2, -1)),
])
def test_negative_repeat_names_first_negative_size(case):
    _same_error(case)


def test_negative_repeat_of_empty_dim_is_empty():
    for fn in (lambda t: t.zeros(0).repeat(-1), lambda t: t.zeros(0, 2).repeat(-1, 1),
               lambda t: t.zeros(0, 2).tile((-1, 1))):
        assert tuple(fn(ember).shape) == tuple(fn(torch).shape)


@pytest.mark.parametrize("case", [
    lambda t: t.atleast_1d(1),
    lambda t: t.atleast_2d(2.5),
    lambda t: t.atleast_3d(None),
    lambda t: t.atleast_2d([1, 2]),
    lambda t: t.atleast_3d((1,)),
    lambda t: t.atleast_1d((t.ones(1), 2)),
    lambda t: t.atleast_1d(t.ones(1), 2),
])
def test_atleast_refuses_non_tensors(case):
    _same_error(case)


@pytest.mark.parametrize("kw", [dict(rtol=-1), dict(rtol=-1.0), dict(atol=-0.5),
                                dict(rtol=-2, atol=-3), dict(atol=-1e-9)])
@pytest.mark.parametrize("name", ["isclose", "allclose"])
def test_negative_tolerance_message(name, kw):
    """PyTorch's text (no op name before it), the tolerance written as C++ writes a double."""
    _same_error(lambda t: getattr(t, name)(t.ones(2), t.ones(2), **kw))


def _warning_texts(lib, fn) -> list:
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        try:
            fn(lib)
        except Exception:  # noqa: BLE001 - only the warnings are compared
            pass
    return [(x.category.__name__, str(x.message).replace("torch.", "ember.")) for x in w]


@pytest.mark.parametrize("key", [[0, slice(None)], [None, 0], [0, None], [[0, 1], [1, 2]],
                                 [0, ...], [slice(0, 2), [0, 1]], [True, slice(None)]],
                         ids=str)
def test_list_key_warning_text(key):
    """The deprecation of a list key indexing like a tuple, with PyTorch's source line (it
    differs as the list's first tuple-like item is a sequence/slice or None/Ellipsis)."""
    fn = lambda t: t.zeros(3, 4)[key]  # noqa: E731
    want = _warning_texts(torch, fn)
    assert want and _warning_texts(ember, fn) == want


def test_uint8_index_warning_text():
    fn = lambda t: t.zeros(3, 4)[t.tensor([1, 0, 1], dtype=t.uint8)]  # noqa: E731
    want = _warning_texts(torch, fn)
    assert want and _warning_texts(ember, fn) == want


@pytest.mark.parametrize("key", [(..., ...), (..., 0, ...), (0, ..., ...), (..., None, ...),
                                 (..., [0, 1], ...), (0, ..., 1, ...)], ids=str)
def test_second_ellipsis_stands_for_no_dims(key):
    """PyTorch takes a key with several ellipses (the first expands, the others cover no
    dims) for reading and writing, where NumPy refuses it."""
    def fn(t):
        x = t.arange(24).reshape(2, 3, 4)
        r = x[key]
        x[key] = -1
        return tuple(r.shape), r.tolist(), x.tolist()

    assert fn(ember) == fn(torch)


# ------------------------------------------------------------------ whole programs
GNN = '''
import torch
torch.manual_seed(1)
edge_index = torch.tensor([[0, 1, 1, 2, 3, 3], [1, 0, 2, 1, 0, 2]])
x = torch.randn(4, 3)
src, dst = edge_index
msg = x[src]
agg = torch.zeros(4, 3).index_add_(0, dst, msg)
print(agg)
agg2 = torch.zeros(4, 3).scatter_add_(0, dst.unsqueeze(1).expand(-1, 3), msg)
print(torch.allclose(agg, agg2))
deg = torch.bincount(dst, minlength=4).float()
print(agg / deg.clamp(min=1).unsqueeze(1))
idx = dst[:, None].expand(-1, 3)
print(torch.zeros(4, 3).scatter_reduce(0, idx, msg, reduce='amax', include_self=False))
print(torch.full((4, 3), float('inf')).scatter_reduce(0, idx, msg, 'amin'))
print(torch.zeros(4, 3).scatter_reduce(0, idx, msg, 'mean', include_self=False))
adj = torch.zeros(4, 4)
adj[src, dst] = 1
print(adj, adj.sum(1), adj.nonzero().t())
x.requires_grad_(True)
out = torch.zeros(4, 3).index_add(0, dst, x[src] * 2)
out.sum().backward()
print(x.grad, out.grad_fn.name())
'''

GROUPING = '''
import torch
keys = torch.tensor([3, 1, 3, 2, 1, 3])
vals = torch.tensor([10., 20., 30., 40., 50., 60.])
u, inv, cnt = torch.unique(keys, return_inverse=True, return_counts=True)
print(u, inv, cnt)
sums = torch.zeros(len(u)).index_add_(0, inv, vals)
print(sums, sums / cnt)
print(torch.zeros(len(u)).scatter_reduce_(0, inv, vals, 'amax', include_self=False))
print(torch.ones(len(u)).scatter_reduce(0, inv, vals, 'prod'))
first = torch.full((len(u),), len(keys)).scatter_reduce(0, inv, torch.arange(len(keys)), 'amin')
print(first, keys[first])
order = torch.argsort(keys, stable=True)
sk = keys[order]
print(order, sk, torch.unique_consecutive(sk, return_counts=True))
rows = torch.tensor([[1, 2], [1, 2], [3, 4], [1, 3]])
print(torch.unique(rows, dim=0, return_inverse=True))
print(torch.split(vals[order], cnt.tolist()))
print(torch.isin(keys, torch.tensor([1, 2]), invert=True))
'''

ERRORS = '''
import torch
x = torch.arange(6.).reshape(2, 3)
for f in [lambda: torch.hstack([]), lambda: torch.flip(x, 0), lambda: torch.tile(x, (2, -1)),
          lambda: torch.atleast_2d([1, 2]), lambda: x.gather(1, torch.tensor([[7]])),
          lambda: x.index_select(0, torch.tensor([0.])), lambda: torch.take(x, torch.tensor([6])),
          lambda: torch.bincount(torch.tensor([-1, 2])), lambda: torch.kthvalue(x, 4),
          lambda: torch.einsum('ij,jk->ik', x, x), lambda: torch.stack([x, x[0]])]:
    try:
        print(f())
    except Exception as e:
        print(type(e).__name__, e)
'''


@pytest.mark.parametrize("src", [GNN, GROUPING, ERRORS], ids=["gnn", "grouping", "errors"])
def test_whole_program(src):
    _same_output(src)
