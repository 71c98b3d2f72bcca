"""Known differences from PyTorch left by earlier stretches, each checked against PyTorch:
``to(<scalar>)``, output layouts of permuted / channels-last inputs, einsum-family node names
and in-place error texts, chain_matmul's warning, topk/kthvalue among ties."""

import warnings

import numpy as np
import pytest
from _misc_helpers import outcomes

import ember

torch = pytest.importorskip("torch")


def _both(fn):
    """``fn(L)`` for ember and torch: (result, error) each."""
    return outcomes(fn, torch)


def _same_error(got, want):
    assert type(got) is type(want)
    assert str(got).replace("ember.", "torch.") == str(want)


# ------------------------------------------------------------------ 1. to(<python scalar>)
@pytest.mark.parametrize("args,kwargs", [
    ((5.0,), {}), ((0.0,), {}), ((-3.5,), {}), ((True,), {}), ((False,), {}), ((1.5j,), {}),
    ((5.0, True), {}), ((5.0,), {"copy": True}), ((5.0,), {"non_blocking": True}),
    ((5.0, False, True), {}), ((np.float32(2.0),), {}), ((np.float64(2.0),), {}),
    ((np.bool_(True),), {}), ((np.float16(1.0),), {}), ((float,), {}), ((bool,), {}),
    ((None, 5.0), {}), (("cpu", 5.0), {}), (("cpu", True), {}), ((5.0, 5.0), {}),
    ((), {"dtype": 5.0}), ((), {"dtype": True}), ((), {"device": 5.0}),
])
def test_to_reads_a_leading_scalar_as_pytorch(args, kwargs):
    (e, ee), (t, te) = _both(lambda L: L.arange(3).to(*args, **kwargs))
    if te is not None:
        _same_error(ee, te)
    else:
        assert ee is None
        assert str(e.dtype).replace("ember", "torch") == str(t.dtype)
        assert str(e.device) == str(t.device)


def test_module_to_reads_a_scalar_as_pytorch():
    nn = pytest.importorskip("ember.nn")
    m = nn.Linear(2, 2).to(5.0)
    assert m.weight.dtype is ember.float64
    assert torch.nn.Linear(2, 2).to(5.0).weight.dtype is torch.float64


# ------------------------------------------------------------------ 2. output layouts
_RNG = np.random.default_rng(0)
_A4 = _RNG.standard_normal((2, 3, 4, 5)).astype(np.float32)
_A3 = _RNG.standard_normal((2, 4, 5)).astype(np.float32)
_A2 = _RNG.standard_normal((4, 5)).astype(np.float32)


def _inputs(L):
    return {
        "channels_last": L.tensor(_A4).contiguous(memory_format=L.channels_last),
        "permuted": L.tensor(_A3).permute(0, 2, 1),
        "transposed": L.tensor(_A2).t(),
    }


_LAYOUT_OPS = {
    "cumsum": lambda L, x: L.cumsum(x, 1),
    "cumsum_last": lambda L, x: x.cumsum(-1),
    "cumprod": lambda L, x: L.cumprod(x, 1),
    "cummax": lambda L, x: L.cummax(x, 1)[1],
    "logcumsumexp": lambda L, x: L.logcumsumexp(x, 1),
    "pairwise_distance": lambda L, x: L.nn.functional.pairwise_distance(x, x + 1),
    "pairwise_distance_keepdim": lambda L, x: L.nn.functional.pairwise_distance(
        x, x + 1, keepdim=True),
    "vector_norm0": lambda L, x: L.linalg.vector_norm(x, dim=0),
    "vector_norm_last": lambda L, x: L.linalg.vector_norm(x, dim=-1),
    "norm_last": lambda L, x: x.norm(dim=-1),
    "median": lambda L, x: x.median(0)[1],
    "kthvalue": lambda L, x: x.kthvalue(1, -1)[0],
    "sort": lambda L, x: x.sort(0)[0],
    "sort_indices": lambda L, x: x.sort(-1, descending=True)[1],
    "argsort": lambda L, x: x.argsort(1),
    "msort": lambda L, x: L.msort(x),
    "flip": lambda L, x: x.flip(0),
    "fliplr": lambda L, x: L.fliplr(x),
    "roll_dim": lambda L, x: x.roll(1, -1),
    "roll_flat": lambda L, x: x.roll(1),
    "cat": lambda L, x: L.cat([x, x]),
    "cat_mixed": lambda L, x: L.cat([x, x.contiguous()]),
    "stack1": lambda L, x: L.stack([x, x], 1) if x.ndim < 4 else L.stack([x, x]),
    "hstack": lambda L, x: L.hstack([x, x]),
    "masked_fill": lambda L, x: x.masked_fill(x > 0, 1.0),
    "index_fill": lambda L, x: x.index_fill(1, L.tensor([0]), 1.0),
    "gather": lambda L, x: x.gather(0, L.zeros_like(x, dtype=L.int64)),
    "tril": lambda L, x: x.tril(),
    "repeat": lambda L, x: x.repeat(*(1,) * x.ndim),
    "layer_norm": lambda L, x: L.nn.functional.layer_norm(x, x.shape[-1:]),
    "sum0": lambda L, x: x.sum(0),
    "softmax": lambda L, x: x.softmax(1),
    "exp": lambda L, x: x.exp(),
    "add_scalar": lambda L, x: x + 1,
    "clone": lambda L, x: x.clone(),
    "nonzero": lambda L, x: (x > 0).nonzero(),
    "argwhere": lambda L, x: L.argwhere(x > 0),
    "quantile": lambda L, x: x.quantile(0.5, dim=-1),
    "quantile_many": lambda L, x: x.quantile(L.tensor([0.2, 0.5]), dim=-1),
    "logsigmoid": lambda L, x: L.nn.functional.logsigmoid(x),
    "one_hot": lambda L, x: L.nn.functional.one_hot((x > 0).long(), 2),
}


@pytest.mark.parametrize("kind", ["channels_last", "permuted", "transposed"])
@pytest.mark.parametrize("op", list(_LAYOUT_OPS))
def test_output_strides_follow_pytorch(op, kind):
    if op in ("layer_norm", "pairwise_distance", "pairwise_distance_keepdim", "logsigmoid",
              "one_hot"):
        pytest.importorskip("ember.nn")
    fn = _LAYOUT_OPS[op]
    e = fn(ember, _inputs(ember)[kind])
    t = fn(torch, _inputs(torch)[kind])
    assert e.stride() == t.stride()
    assert e.is_contiguous() == t.is_contiguous()
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("op", ["cumsum", "sort", "flip", "pairwise_distance", "roll_dim",
                                "quantile", "logsigmoid"])
def test_layout_changes_keep_gradients(op):
    if op in ("pairwise_distance", "logsigmoid"):
        pytest.importorskip("ember.nn")
    fn = _LAYOUT_OPS[op]
    grads = []
    for L in (ember, torch):
        x = L.tensor(_A4.astype(np.float64)).contiguous(memory_format=L.channels_last)
        x.requires_grad_(True)
        y = fn(L, x)
        (y * L.tensor(np.arange(y.numel(), dtype=np.float64).reshape(tuple(y.shape)))).sum() \
            .backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------ 3. node names, in-place texts
def _t(L, shape, seed):
    return L.tensor(np.random.default_rng(seed).standard_normal(shape)).requires_grad_(True)


_PRODUCTS = {
    "einsum_mm": (lambda L, a, b: L.einsum("ij,jk->ik", a, b), [(3, 4), (4, 5)]),
    "einsum_bmm": (lambda L, a, b: L.einsum("bij,bjk->bik", a, b), [(2, 3, 4), (2, 4, 5)]),
    "einsum_dot": (lambda L, a, b: L.einsum("i,i->", a, b), [(4,), (4,)]),
    "einsum_outer": (lambda L, a, b: L.einsum("i,j->ij", a, b), [(3,), (4,)]),
    "einsum_mul": (lambda L, a, b: L.einsum("ij,ij->ij", a, b), [(3, 4), (3, 4)]),
    "einsum_swapped": (lambda L, a, b: L.einsum("ik,kj->ji", a, b), [(3, 4), (4, 5)]),
    "einsum_bcast": (lambda L, a, b: L.einsum("ij,bjk->bik", a, b), [(3, 4), (2, 4, 5)]),
    "einsum_copying": (lambda L, a, b: L.einsum("ijk,kjl->il", a, b), [(2, 3, 4), (4, 3, 5)]),
    "einsum_alone": (lambda L, a, b: L.einsum("ij,kl->", a, b), [(3, 4), (5, 6)]),
    "einsum_heads": (lambda L, a, b: L.einsum("bhqd,bhkd->bhqk", a, b),
                     [(2, 2, 3, 4), (2, 2, 5, 4)]),
    "einsum_ellipsis": (lambda L, a, b: L.einsum("...ij,...jk->...ik", a, b),
                        [(2, 3, 4), (2, 4, 5)]),
    "tensordot": (lambda L, a, b: L.tensordot(a, b, 1), [(3, 4), (4, 5)]),
    "tensordot2": (lambda L, a, b: L.tensordot(a, b, 2), [(2, 3, 4), (3, 4, 5)]),
    "tensordot_dot": (lambda L, a, b: L.tensordot(a, b, 2), [(3, 4), (3, 4)]),
    "tensordot_outer": (lambda L, a, b: L.tensordot(a, b, 0), [(4,), (4,)]),
    "tensordot_copying": (lambda L, a, b: L.tensordot(a, b, ([2, 1], [1, 0])),
                          [(2, 3, 4), (3, 4, 5)]),
    "inner": (lambda L, a, b: L.inner(a, b), [(3, 4), (5, 4)]),
    "inner_vectors": (lambda L, a, b: L.inner(a, b), [(4,), (4,)]),
    "vdot": (lambda L, a, b: L.vdot(a, b), [(4,), (4,)]),
    "linear": (lambda L, a, b: L.nn.functional.linear(a, b), [(3, 4), (5, 4)]),
    "linear_1d": (lambda L, a, b: L.nn.functional.linear(a, b), [(4,), (5, 4)]),
    "linear_3d": (lambda L, a, b: L.nn.functional.linear(a, b), [(2, 3, 4), (5, 4)]),
    "linear_bias": (lambda L, a, b: L.nn.functional.linear(a, b, L.ones(5, dtype=L.float64)),
                    [(2, 3, 4), (5, 4)]),
    "sdpa_3d": (lambda L, a, b: L.nn.functional.scaled_dot_product_attention(a, b, b),
                [(2, 5, 8), (2, 6, 8)]),
}


@pytest.mark.parametrize("name", list(_PRODUCTS))
def test_product_node_names_as_pytorch(name):
    if "linear" in name or "sdpa" in name:
        pytest.importorskip("ember.nn")
    fn, shapes = _PRODUCTS[name]
    e = fn(ember, *[_t(ember, s, i) for i, s in enumerate(shapes)])
    t = fn(torch, *[_t(torch, s, i) for i, s in enumerate(shapes)])
    assert type(e.grad_fn).__name__ == type(t.grad_fn).__name__
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("eq,shapes", [
    ("ij->", [(3, 4)]), ("ij->ji", [(3, 4)]), ("ii->i", [(3, 3)]), ("ii", [(3, 3)]),
    ("ij->i", [(3, 4)]), ("ij,k->k", [(3, 4), (5,)]), ("ij,j->ij", [(3, 4), (4,)]),
    ("ij,jk,kl->il", [(3, 4), (4, 5), (5, 2)]), ("i,j,k->ijk", [(2,), (3,), (4,)]),
    ("ij,jk,l->ikl", [(3, 4), (4, 5), (2,)]),
])
def test_einsum_node_names_as_pytorch(eq, shapes):
    names = [type(L.einsum(eq, *[_t(L, s, i) for i, s in enumerate(shapes)]).grad_fn).__name__
             for L in (ember, torch)]
    assert names[0] == names[1]


@pytest.mark.parametrize("which", [0, 1])
@pytest.mark.parametrize("name", list(_PRODUCTS))
def test_inplace_change_of_an_operand_fails_as_pytorch(name, which):
    if "linear" in name or "sdpa" in name:
        pytest.importorskip("ember.nn")
    fn, shapes = _PRODUCTS[name]

    def run(L):
        ops = [_t(L, s, i) * 1 for i, s in enumerate(shapes)]
        y = fn(L, *ops)
        ops[which].add_(1)
        y.sum().backward()
        return True

    (_, ee), (_, te) = _both(run)
    if te is None:
        assert ee is None
    else:
        _same_error(ee, te)


def test_inplace_change_of_a_linear_weight_names_its_transposed_view():
    pytest.importorskip("ember.nn")

    def run(L):
        x, w = _t(L, (3, 4), 0), _t(L, (5, 4), 1)
        y = L.nn.functional.linear(x, w, _t(L, (5,), 2))
        with L.no_grad():
            w.add_(1)
        y.sum().backward()

    (_, ee), (_, te) = _both(run)
    _same_error(ee, te)


# ------------------------------------------------------------------ 4. chain_matmul's warning
def _torch_chain_warning() -> tuple:
    """PyTorch's chain_matmul warning, from a fresh process (its warn-once may have fired)."""
    import subprocess
    import sys

    code = ("import warnings, torch; x = torch.ones(2, 2)\n"
            "with warnings.catch_warnings(record=True) as w:\n"
            "    warnings.simplefilter('always'); torch.chain_matmul(x, x); "
            "torch.chain_matmul(x, x)\n"
            "print(len(w)); print(w[0].category.__name__); print(str(w[0].message))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    return int(out[0]), out[1], out[2]


def test_chain_matmul_warns_once_per_process(monkeypatch):
    from ember.ops import linalg as _linalg

    monkeypatch.setattr(_linalg, "_chain_warned", [])  # as in a fresh process
    x = ember.ones(2, 2)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        ember.chain_matmul(x, x)
        ember.chain_matmul(x, x, x)
    n, category, text = _torch_chain_warning()
    assert (len(w), w[0].category.__name__) == (n, category)
    assert str(w[0].message) == text.replace("torch.", "ember.")


# ------------------------------------------------------------------ 5. topk / kthvalue ties
# PyTorch's CPU topk runs libstdc++'s nth_element / partial_sort and kthvalue its own
# quickselect: among equal values the index it returns depends on that algorithm's swaps, not
# on a rule a vectorised kernel can follow (Ember returns the first in index order). Values,
# and indices that point at those values, are what both guarantee.
@pytest.mark.parametrize("n", [5, 16, 100, 1000])
@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize("sorted_", [True, False])
def test_topk_among_ties_gives_pytorchs_values(n, largest, sorted_):
    a = np.random.default_rng(n).integers(0, 3, (3, n)).astype(np.float32)
    k = max(1, n // 3)
    (ev, ei), (tv, ti) = (L.tensor(a).topk(k, 1, largest, sorted_) for L in (ember, torch))
    if sorted_:
        np.testing.assert_array_equal(ev.numpy(), tv.numpy())
    else:
        np.testing.assert_array_equal(np.sort(ev.numpy(), 1), np.sort(tv.numpy(), 1))
    np.testing.assert_array_equal(np.take_along_axis(a, ei.numpy(), 1), ev.numpy())
    assert ei.dtype is ember.int64 and ti.dtype is torch.int64


@pytest.mark.parametrize("n", [5, 31, 1000])
def test_kthvalue_among_ties_gives_pytorchs_value(n):
    a = np.random.default_rng(n).integers(0, 3, (3, n)).astype(np.float32)
    for k in (1, n // 2, n):
        (ev, ei), (tv, _) = (L.tensor(a).kthvalue(k, 1) for L in (ember, torch))
        np.testing.assert_array_equal(ev.numpy(), tv.numpy())
        np.testing.assert_array_equal(a[np.arange(3), ei.numpy()], ev.numpy())


def test_topk_without_ties_matches_pytorchs_indices():
    a = np.random.default_rng(7).permutation(60).reshape(3, 20).astype(np.float32)
    for largest in (True, False):
        (ev, ei), (tv, ti) = (L.tensor(a).topk(5, 1, largest) for L in (ember, torch))
        np.testing.assert_array_equal(ei.numpy(), ti.numpy())
        np.testing.assert_array_equal(ev.numpy(), tv.numpy())


@pytest.mark.parametrize("d", range(5))
@pytest.mark.parametrize("mix", [False, True])
def test_stack_of_channels_last_tensors_as_pytorch(d, mix):
    def run(L):
        x = L.tensor(_A4).contiguous(memory_format=L.channels_last)
        return L.stack([x, x.contiguous() if mix else x], d)

    e, t = run(ember), run(torch)
    assert e.stride() == t.stride()
    np.testing.assert_array_equal(e.numpy(), t.numpy())


@pytest.mark.parametrize("args", [(1, 0), (1, -1), (1, 1), ((1,), (0,)), (1, None)])
def test_roll_of_a_0d_tensor_as_pytorch(args):
    (e, ee), (t, te) = _both(lambda L: L.tensor(3.0).roll(*args))
    if te is not None:
        _same_error(ee, te)
    else:
        assert e.item() == t.item()


def test_sort_of_a_size_one_transposed_input_keeps_its_strides():
    (e, _), (t, _) = _both(lambda L: L.tensor(_A2[:1]).t().argsort(0))
    assert e.stride() == t.stride()


@pytest.mark.parametrize("make", [
    lambda L: L.tensor([[1.0, 0, 2], [0, 3, 0]]), lambda L: L.tensor([1.0, 0, 2]),
    lambda L: L.tensor(1.0), lambda L: L.ones(2, 3, 4),
])
def test_nonzero_is_the_transposed_buffer_as_pytorch(make):
    def run(L):
        n = make(L).nonzero()
        try:
            n.view(-1)
            viewable = True
        except RuntimeError:
            viewable = False
        return n.stride(), n.is_contiguous(), viewable, n.tolist()

    assert run(ember) == run(torch)
