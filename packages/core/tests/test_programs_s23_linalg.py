"""Products, einsum and ``ember.linalg`` against PyTorch, found by a differential fuzzer:
integer add*-products' float scalars, addr's scalar refusals, tensordot's size-1 contracted
dims, einsum's summed ellipsis, low-precision refusals of vander and the svd norms."""

import numpy as np
import pytest
from _misc_helpers import outcomes

import ember

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(23)


def _np(t):
    t = t.detach().resolve_conj()
    return (t.float() if str(t.dtype).endswith("bfloat16") else t).numpy()


def _same(got, want, rtol=1e-12, atol=1e-12):
    assert str(got.dtype).replace("ember.", "torch.") == str(want.dtype)
    assert tuple(got.shape) == tuple(want.shape)
    a, b = _np(got), _np(want)
    if a.dtype.kind in "fc":
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True)
    else:
        np.testing.assert_array_equal(a, b)


def _same_outcome(fn, rtol=1e-12, atol=1e-12):
    (got, ge), (want, we) = outcomes(fn, torch)
    if we is not None or ge is not None:
        assert we is not None and ge is not None, (ge, we)
        assert type(ge).__name__ == type(we).__name__, (ge, we)
        msg = str(ge).replace("ember.", "torch.")
        assert msg == str(we) or msg.endswith(": " + str(we))  # (Ember names the op)
        return
    _same(got, want, rtol, atol)


def _t(L, a):
    return L.from_numpy(np.array(a))


def _ints(*shape, dtype="int64"):
    return RNG.integers(-3, 5, shape).astype(dtype)


# ------------------------------------------------------------------ 1. integer add*-products
_FUSED = {
    "addmm": lambda: (_ints(2, 4), _ints(2, 3), _ints(3, 4)),
    "addmv": lambda: (_ints(2), _ints(2, 3), _ints(3)),
    "addbmm": lambda: (_ints(2, 4), _ints(3, 2, 3), _ints(3, 3, 4)),
    "baddbmm": lambda: (_ints(1, 4), _ints(3, 2, 3), _ints(3, 3, 4)),
}


@pytest.mark.parametrize("op", sorted(_FUSED))
@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "int8", "uint8"])
@pytest.mark.parametrize("beta,alpha", [(0.5, 2.5), (1.9, 0.9), (0.0, -1.5), (1, 2.0)])
def test_integer_products_truncate_float_scalars_and_keep_the_dtype(op, dtype, beta, alpha):
    args = [a.astype(dtype) for a in _FUSED[op]()]
    _same_outcome(lambda L: getattr(L, op)(*[_t(L, a) for a in args], beta=beta, alpha=alpha))


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "uint8", "float16",
                                   "bfloat16"])
@pytest.mark.parametrize("which", ["beta", "alpha"])
def test_complex_scalars_of_real_products_are_refused(dtype, which):
    c, a, b = _FUSED["addmm"]()

    def t(L, x):
        return _t(L, x).to(getattr(L, dtype))

    _same_outcome(lambda L: L.addmm(t(L, c), t(L, a), t(L, b), **{which: 1j}))
    _same_outcome(lambda L: L.addmv(t(L, c[:, 0]), t(L, a), t(L, b[:, 0]), **{which: 2j}))
    _same_outcome(lambda L: L.baddbmm(t(L, c), t(L, a[None]), t(L, b[None]), **{which: 2j}))


@pytest.mark.parametrize("dtype", ["int64", "int16", "uint8", "bool", "float32"])
@pytest.mark.parametrize("kw", [dict(alpha=2.0), dict(beta=0.0), dict(alpha=2.0, beta=1j),
                                dict(alpha=True), dict(beta=False), dict(alpha=2, beta=1),
                                dict(alpha=1j)])
def test_addr_refuses_scalars_of_another_kind_as_pytorch(dtype, kw):
    m, u, v = _ints(3, 2), _ints(3), _ints(2)
    m, u, v = (x.astype(dtype) for x in (m, u, v))
    _same_outcome(lambda L: L.addr(_t(L, m), _t(L, u), _t(L, v), **kw))


def test_addmm_of_floats_with_float_scalars_and_nan_input_at_beta_zero():
    c = np.full((2, 2), np.nan)
    a, b = RNG.standard_normal((2, 3)), RNG.standard_normal((3, 2))
    _same_outcome(lambda L: L.addmm(_t(L, c), _t(L, a), _t(L, b), beta=0.0, alpha=0.5))
    _same_outcome(lambda L: L.addmm(_t(L, c), _t(L, a), _t(L, b), beta=0, alpha=True))


# ------------------------------------------------------------------ 2. inner / tensordot
def test_inner_checks_the_last_dims_before_the_dtypes():
    _same_outcome(lambda L: L.inner(L.ones(2, 3, dtype=L.bool), L.ones(2, 4, dtype=L.bool)))
    _same_outcome(lambda L: L.inner(L.ones(2, 3), L.ones(2, 4, dtype=L.int64)))
    _same_outcome(lambda L: L.inner(L.ones(2, 3), L.ones(2, 3, dtype=L.int64)))


@pytest.mark.parametrize("sa,sb,dims", [
    ((3, 1), (2, 4), ([1], [0])),
    ((2,), (1,), ([0], [0])),
    ((1,), (3, 2, 1), ([0], [0])),
    ((2, 3, 1), (1, 3, 4), ([1, 2], [1, 0])),
    ((1, 1), (2, 3), 2),
    ((2, 3), (3, 1, 5), ([1, 0], [0, 1])),
])
def test_tensordot_sums_a_dim_contracted_against_size_one(sa, sb, dims):
    a, b = RNG.standard_normal(sa), RNG.standard_normal(sb)
    res = []
    for L in (ember, torch):
        x, y = L.tensor(a, requires_grad=True), L.tensor(b, requires_grad=True)
        r = L.tensordot(x, y, dims=dims)
        w = L.tensor(np.cos(np.arange(r.numel())).reshape(tuple(r.shape)))
        res.append((r, *L.autograd.grad((r * w).sum(), (x, y))))
    for got, want in zip(*res):
        _same(got, want)


@pytest.mark.parametrize("dims", [([1, 1], [0, 2]), ([1, 2], [2, 2]), ([-1, 2], [0, 1]),
                                  ([1, 1, 0], [0, 0]), ([0, 1], [0, 3])])
def test_tensordot_refuses_repeated_dims_as_pytorch(dims):
    a, b = RNG.standard_normal((3, 3, 3)), RNG.standard_normal((3, 3, 3))
    _same_outcome(lambda L: L.tensordot(_t(L, a), _t(L, b), dims=dims))


def test_tensordot_still_refuses_mismatched_sizes():
    a, b = RNG.standard_normal((2, 3)), RNG.standard_normal((2, 2))
    _same_outcome(lambda L: L.tensordot(_t(L, a), _t(L, b), dims=([1], [0])))


# ------------------------------------------------------------------ 3. einsum
@pytest.mark.parametrize("eq,shapes", [
    ("...->", [(2, 3)]),
    ("b...->b", [(2, 3, 4)]),
    ("...ij,...jk->ik", [(2, 3, 4), (1, 4, 5)]),
    ("i...,i->i", [(3, 2), (3,)]),
    ("...i,...i->", [(2, 3), (3,)]),
    ("a...c,e->e", [(3, 1, 2), (2,)]),
    ("AA...,...->A", [(3, 3, 2), (2,)]),
    ("...a, e -> a", [(1, 2, 2), (3,)]),
])
def test_einsum_sums_an_ellipsis_the_output_leaves_out(eq, shapes):
    arrs = [RNG.standard_normal(s) for s in shapes]
    res = []
    for L in (ember, torch):
        ts = [L.tensor(a, requires_grad=True) for a in arrs]
        r = L.einsum(eq, *ts)
        w = L.tensor(np.cos(np.arange(r.numel())).reshape(tuple(r.shape)))
        res.append((r, type(r.grad_fn).__name__, L.autograd.grad((r * w).sum(), ts)))
    (r, name, grads), (rt, name_t, grads_t) = res
    _same(r, rt)
    assert name == name_t
    for g, gt in zip(grads, grads_t):
        _same(g, gt)


def test_einsum_summed_ellipsis_in_list_and_sublist_forms():
    a, b = RNG.standard_normal((2, 3, 4)), RNG.standard_normal((4,))
    _same_outcome(lambda L: L.einsum("...j,j->", [_t(L, a), _t(L, b)]))
    _same_outcome(lambda L: L.einsum(_t(L, a), [Ellipsis, 1], _t(L, b), [1], [1]))


@pytest.mark.parametrize("eq", ["ab,b->,a", "ab,->,", "a...,b->,...", "ab, b -> a,b", "ab->a.b",
                                "ab,b->a.", "ab,b->..a"])
def test_einsum_errors_of_a_comma_or_dot_in_the_output(eq):
    a, b = RNG.standard_normal((2, 3)), RNG.standard_normal((3,))
    ops = (a,) if eq.count(",") == 0 else (a, b[0] if ",-" in eq else b)
    _same_outcome(lambda L: L.einsum(eq, *[_t(L, x) for x in ops]))


# ------------------------------------------------------------------ 4. low-precision refusals
@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "bool", "uint8", "int16"])
def test_vander_refuses_low_precision_and_bool_inputs(dtype):
    _same_outcome(lambda L: L.linalg.vander(L.tensor([1, 2, 3]).to(getattr(L, dtype))))
    _same_outcome(lambda L: L.linalg.vander(L.tensor([1, 2]).to(getattr(L, dtype)), N=1))


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("ord_", [2, -2, "nuc", 1, "fro", float("inf")])
def test_svd_matrix_norms_refuse_low_precision_inputs(dtype, ord_):
    a = RNG.standard_normal((2, 3, 3))
    _same_outcome(lambda L: L.linalg.matrix_norm(_t(L, a).to(getattr(L, dtype)), ord=ord_),
                  rtol=1e-2, atol=1e-2)
    _same_outcome(lambda L: L.linalg.norm(_t(L, a).to(getattr(L, dtype)), ord=ord_,
                                          dim=(1, 2)), rtol=1e-2, atol=1e-2)
    _same_outcome(lambda L: L.linalg.matrix_norm(_t(L, a).to(getattr(L, dtype)), ord=ord_,
                                                 dim=(0, 5)))
    _same_outcome(lambda L: L.linalg.matrix_norm(_t(L, a[0, 0]).to(getattr(L, dtype)),
                                                 ord=ord_))


def test_svd_matrix_norm_of_half_input_refused_even_with_a_wider_dtype():
    _same_outcome(lambda L: L.linalg.matrix_norm(L.ones(2, 2, dtype=L.float16), ord=2,
                                                 dtype=L.float32))


# ------------------------------------------------------------------ 5. seeded fuzz
def _fuzz_einsum_case(rng):
    letters = "abcdAB"
    sizes = {c: int(rng.choice([1, 2, 3])) for c in letters}
    ell = tuple(int(rng.choice([1, 2])) for _ in range(rng.integers(0, 3)))
    subs, arrs = [], []
    for _ in range(int(rng.choice([1, 2, 2, 3]))):
        s = "".join(rng.choice(list(letters), int(rng.integers(0, 4))))
        shape = [sizes[c] for c in s]
        if rng.random() < 0.3:
            p = int(rng.integers(0, len(s) + 1))
            e = ell[int(rng.integers(0, len(ell) + 1)):]
            s, shape = s[:p] + "..." + s[p:], shape[:p] + list(e) + shape[p:]
        subs.append(s)
        arrs.append(rng.standard_normal(tuple(shape)))
    eq = ",".join(subs)
    if rng.random() < 0.5:
        out = [c for c in sorted(set(eq) - set(".,")) if rng.random() < 0.5]
        if "..." in eq and rng.random() < 0.6:
            out.insert(int(rng.integers(0, len(out) + 1)), "...")
        eq += "->" + "".join(out)
    return eq, arrs


def test_fuzz_einsum_and_matmul_against_pytorch():
    rng = np.random.default_rng(2323)
    for _ in range(150):
        eq, arrs = _fuzz_einsum_case(rng)
        _same_outcome(lambda L, eq=eq, arrs=arrs: L.einsum(eq, *[_t(L, a) for a in arrs]),
                      rtol=1e-10, atol=1e-10)
    for _ in range(150):
        ra, rb = (int(r) for r in rng.integers(1, 5, 2))
        n, k, m = (int(x) for x in rng.integers(0, 4, 3))
        ba = tuple(int(x) for x in rng.choice([1, 2, 3], max(ra - 2, 0)))
        bb = tuple(int(x) for x in rng.choice([1, 2, 3], max(rb - 2, 0)))
        a = rng.standard_normal((k,) if ra == 1 else ba + (n, k))
        b = rng.standard_normal((k,) if rb == 1 else bb + (k, m))
        _same_outcome(lambda L, a=a, b=b: L.matmul(_t(L, a), _t(L, b)))


# ------------------------------------------------------------------ 6. input-shape errors
@pytest.mark.parametrize("beta", [1, 0.5, 0])
@pytest.mark.parametrize("op,shapes", [
    ("addmm", [(3, 2), (2, 3), (3, 2)]),
    ("addmm", [(3,), (2, 3), (3, 2)]),
    ("addmm", [(2, 2, 2), (2, 3), (3, 2)]),
    ("addmm", [(1, 2), (2, 3), (3, 2)]),
    ("addmv", [(3,), (2, 3), (3,)]),
    ("addmv", [(1,), (2, 3), (3,)]),
    ("addr", [(3, 3), (2,), (3,)]),
    ("baddbmm", [(3, 2, 2), (2, 2, 3), (2, 3, 2)]),
    ("addbmm", [(3, 3), (2, 2, 3), (2, 3, 2)]),
])
def test_products_refuse_an_input_that_does_not_expand_as_pytorch(op, shapes, beta):
    arrs = [RNG.standard_normal(s) for s in shapes]
    _same_outcome(lambda L: getattr(L, op)(*[_t(L, a) for a in arrs], beta=beta))


def test_lu_without_pivoting_and_svd_driver_on_cpu_are_refused_as_pytorch():
    a = RNG.standard_normal((3, 3))
    for fn in ("lu", "lu_factor", "lu_factor_ex"):
        _same_outcome(lambda L, fn=fn: getattr(L.linalg, fn)(_t(L, a), pivot=False))
    _same_outcome(lambda L: L.linalg.svd(_t(L, a), driver="gesvd"))
    _same_outcome(lambda L: L.linalg.svdvals(_t(L, a), driver="gesvdj"))
    _same_outcome(lambda L: L.linalg.svd(_t(L, a).long(), driver="gesvd"))
    _same_outcome(lambda L: L.linalg.svdvals(_t(L, a)))
