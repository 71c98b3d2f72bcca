"""Tensor-algebra programs (einsum, tensordot, products, linalg) against PyTorch: the
differences a whole-program diff found: matrix_norm's dim errors, einsum's sublist
letters (implicit output order, range error), tensordot's int-dims mismatch message and
addbmm/baddbmm's refusals of batches that are not 3-D."""

import contextlib
import io

import pytest

import ember

torch = pytest.importorskip("torch")


def _outcome(fn, lib):
    """``fn(lib)``'s shape (or value) and error, with the library's name neutralised."""
    try:
        r = fn(lib)
        return ("ok", tuple(r.shape) if hasattr(r, "shape") else r)
    except Exception as e:  # noqa: BLE001 - the error is the result compared
        return (type(e).__name__, str(e).replace("ember", "torch"))


def _same(fn):
    assert _outcome(fn, ember) == _outcome(fn, torch)


# ------------------------------------------------------------------ 1. matrix_norm's dims
@pytest.mark.parametrize("dim", [0, (0,), [1], (0, 1, 2), (), (0, 0), (1, -2), (-1, 2)])
@pytest.mark.parametrize("how", ["norm_fro", "matrix_norm", "matrix_norm_2", "norm_nuc"])
def test_matrix_norm_dim_errors(dim, how):
    if how.startswith("matrix_norm") and isinstance(dim, int):
        pytest.skip("PyTorch's argument parser refuses an int here (TypeError)")

    def fn(L):
        A = L.ones(2, 3, 4)
        if how == "norm_fro":
            return L.linalg.norm(A, ord="fro", dim=dim)
        if how == "norm_nuc":
            return L.linalg.norm(A, ord="nuc", dim=dim)
        if how == "matrix_norm":
            return L.linalg.matrix_norm(A, dim=dim)
        return L.linalg.matrix_norm(A, ord=2, dim=dim)

    _same(fn)


# ------------------------------------------------------------------ 2. einsum sublists
_SUBLISTS = {
    "implicit_order": lambda L, x: L.einsum(x, [30, 0]),
    "implicit_pair": lambda L, x: L.einsum(x, [0, 1], L.ones(3, 4), [1, 40]),
    "implicit_upper_first": lambda L, x: L.einsum(x, [27, 1], L.ones(3, 4), [1, 0]),
    "explicit": lambda L, x: L.einsum(x, [0, 1], L.ones(3, 4), [1, 2], [2, 0]),
    "ellipsis": lambda L, x: L.einsum(L.ones(2, 3, 4), [..., 1], L.ones(4), [1], [...]),
    "too_big": lambda L, x: L.einsum(x, [0, 60], x, [60, 0]),
    "negative": lambda L, x: L.einsum(x, [0, -1]),
    "bad_output": lambda L, x: L.einsum(x, [0, 1], [99]),
    "tensor_as_output": lambda L, x: L.einsum(x, [0, 1], x),
}


@pytest.mark.parametrize("case", sorted(_SUBLISTS))
def test_einsum_sublist(case):
    f = _SUBLISTS[case]
    (ge, we) = [_outcome(lambda L: f(L, L.arange(6.0).reshape(2, 3)), L) for L in (ember, torch)]
    assert ge == we
    if ge[0] == "ok":  # the values too
        x = [L.arange(6.0).reshape(2, 3) for L in (ember, torch)]
        got, want = f(ember, x[0]), f(torch, x[1])
        assert got.tolist() == want.tolist()


# ------------------------------------------------------------------ 3. tensordot's message
@pytest.mark.parametrize("sa,sb,dims", [
    ((2, 3), (4, 5), 1),
    ((2, 3, 4), (3, 5, 6), 2),
    ((2, 3, 4), (3, 4, 6), ([1, 2], [1, 0])),
    ((2, 3, 4), (4, 5), ([-1], [1])),
    ((2, 3, 4), (5, 4), ([2, -3], [1, 0])),
    ((2, 3, 4), (3, 4), ([-2, -1], [1, 0])),
    ((2, 3, 4), (5, 4), ([2], [-2])),
    ((2, 3, 4), (5, 4), (2, -2)),  # PyTorch's parser: lists of ints, not ints (TypeError)
    ((2, 3, 4), (5, 4), ([2], 0)),
    ((2, 3, 4), (4, 4), [[2], [0]]),
])
def test_tensordot_mismatch_message(sa, sb, dims):
    _same(lambda L: L.tensordot(L.ones(*sa), L.ones(*sb), dims=dims))


# ------------------------------------------------------------------ 4. addbmm/baddbmm ranks
_BATCHES = [((2, 2, 3), (2, 3)), ((2, 3), (2, 3, 2)), ((2, 3), (3, 2)), ((2, 2, 3), (2, 3, 2, 1)),
            ((2, 2, 3, 1), (2, 3, 2)), ((2,), (2, 3, 2)), ((2, 2, 3), (2,)),
            ((2, 3, 3), (2, 3, 2, 1)), ((2, 2, 3, 3), (2, 3, 2, 1)), ((2, 2, 3), (2, 3, 2))]


@pytest.mark.parametrize("op,inp", [("addbmm", (2, 2)), ("addbmm", (3, 2)),
                                    ("baddbmm", (2, 2, 2)), ("baddbmm", (2, 3, 2))])
@pytest.mark.parametrize("b1,b2", _BATCHES)
def test_batched_add_products_refuse_ranks(op, inp, b1, b2):
    _same(lambda L: getattr(L, op)(L.zeros(*inp), L.zeros(*b1), L.zeros(*b2)))


def test_tensor_baddbmm_method_refuses_rank():
    _same(lambda L: L.zeros(2, 2, 2).baddbmm(L.zeros(2, 2, 3), L.zeros(2, 3)))


# ------------------------------------------------------------------ 5. whole programs
def _run(src: str, lib) -> str:
    if lib is ember:
        src = src.replace("torch", "ember")
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(compile(src, "<program>", "exec"), {})  # noqa: S102 - the program under test
    return buf.getvalue().replace("torch", "ember")


_PROGRAMS = {
    "einsum_patterns": '''
import torch
torch.manual_seed(0)
a = torch.randn(3, 3); b = torch.randn(3, 4)
print(torch.einsum('ii', a), torch.einsum('ii->i', a), torch.einsum('ij->ji', a))
print(torch.einsum('ij,jk->ik', a, b), torch.einsum('i,j->ij', a[0], b[0]))
x = torch.randn(2, 3, 4); y = torch.randn(2, 4, 5)
print(torch.einsum('bij,bjk->bik', x, y).shape, torch.einsum('...ij,...jk', x, y).sum())
print(torch.einsum(a, [0, 1], b, [1, 2]), torch.einsum(a, [0, 1], b, [1, 2], [2, 0]))
print(torch.einsum(a, [40, 1], b, [1, 2]).shape)
v = torch.randn(3)
print(torch.einsum('i,ij,j->', v, a, v))
for f in (lambda: torch.einsum(a, [0, 60]), lambda: torch.tensordot(a, b.T, dims=1)):
    try:
        f()
    except Exception as e:
        print(type(e).__name__, e)
''',
    "fused_products": '''
import torch
torch.manual_seed(4)
M = torch.randn(2, 4)
b1 = torch.randn(3, 2, 5); b2 = torch.randn(3, 5, 4)
print(torch.baddbmm(torch.randn(3, 2, 4), b1, b2, beta=0.5, alpha=2.0))
print(torch.addbmm(M, b1, b2, beta=0.1, alpha=0.3))
m1 = torch.randn(2, 3); m2 = torch.randn(3, 4)
print(torch.addmm(torch.full((2, 4), float('nan')), m1, m2, beta=0))
print(torch.addr(torch.full((2, 3), float('nan')), torch.randn(2), torch.randn(3), beta=0))
for f in (lambda: torch.addbmm(M, b1, b2[0]), lambda: torch.baddbmm(M, b1[0], b2)):
    try:
        f()
    except Exception as e:
        print(type(e).__name__, e)
''',
    "linalg_norms": '''
import torch
torch.manual_seed(9)
A = torch.randn(3, 4)
for o in [None, 'fro', 'nuc', 1, -1, 2, -2, float('inf'), -float('inf')]:
    print(o, f"{torch.linalg.norm(A, ord=o).item():.4f}")
print(torch.linalg.norm(torch.randn(2, 3, 4), dim=(1, 2)))
for d in [0, (0, 0), (1, -1)]:
    try:
        torch.linalg.norm(A, ord='fro', dim=d)
    except Exception as e:
        print(type(e).__name__, e)
''',
}


@pytest.mark.parametrize("name", sorted(_PROGRAMS))
def test_whole_program(name):
    src = _PROGRAMS[name]
    assert _run(src, ember) == _run(src, torch)


# ------------------------------------------------------------------ 6. vecdot's dtypes
@pytest.mark.parametrize("dx,dy", [("float32", "int32"), ("int32", "float32"), ("float64", "float32"),
                                   ("float32", "complex64"), ("float16", "float16"),
                                   ("int64", "int64"), ("float32", "float32")])
def test_vecdot_refuses_mixed_dtypes(dx, dy):
    _same(lambda L: L.linalg.vecdot(L.ones(2, 3, dtype=getattr(L, dx)),
                                    L.ones(3, dtype=getattr(L, dy))))


def test_vecdot_mixed_dtype_before_shape():
    _same(lambda L: L.linalg.vecdot(L.ones(2), L.ones(3, dtype=L.float64)))


# ------------------------------------------------------------------ 7. chain_matmul's checks
_CHAINS = [((2, 2), (2,)), ((2,), (2, 2)), ((2, 2), (2, 2, 2)), ((2, 2), (3, 2)),
           ((2, 2), (2, 2), (2,)), ((2, 3), (3, 4), (5, 2)), ((2,),), ((2, 3), (3, 4), (4, 2))]


@pytest.mark.filterwarnings("ignore:.*chain_matmul is deprecated")
@pytest.mark.parametrize("shapes", _CHAINS)
def test_chain_matmul_checks(shapes):
    _same(lambda L: L.chain_matmul(*[L.ones(*s) for s in shapes]))


@pytest.mark.filterwarnings("ignore:.*chain_matmul is deprecated")
def test_chain_matmul_mixed_dtypes():
    _same(lambda L: L.chain_matmul(L.ones(2, 2), L.ones(2, 2, dtype=L.float64)))


# ------------------------------------------------------------------ 8. solve_triangular, eigvals
_TRI = [((3, 3), (4, 2), True), ((3, 3), (3, 4), False), ((3, 3), (4, 3), False),
        ((3, 3), (2, 3, 3), False), ((3, 4), (3, 4), True), ((3, 3), (3,), True),
        ((2, 3, 3), (4, 3, 4), True), ((3, 3), (3, 2), True)]


@pytest.mark.parametrize("sa,sb,left", _TRI)
def test_solve_triangular_shape_errors(sa, sb, left):
    def fn(L):
        L.manual_seed(0)
        A = L.randn(*sa) + 3 * L.eye(sa[-2], sa[-1])
        return L.linalg.solve_triangular(A, L.randn(*sb), upper=True, left=left)

    _same(fn)


@pytest.mark.parametrize("shape", [(2, 3), (3,), (2, 2, 3)])
def test_eigvals_names_itself_in_shape_errors(shape):
    _same(lambda L: L.linalg.eigvals(L.ones(*shape)))


def test_eigvals_integer_refusal_unchanged():
    _same(lambda L: L.linalg.eigvals(L.ones(3, 3, dtype=L.int32)))


# ------------------------------------------------------------------ 9. norms' dtype= argument
@pytest.mark.parametrize("src,dst", [("float32", "int64"), ("float32", "bool"), ("complex64", "int32"),
                                     ("float64", "float32"), ("complex64", "float32"),
                                     ("float32", "complex64"), ("int32", "int64"),
                                     ("float16", "bfloat16"), ("float32", "float64")])
@pytest.mark.parametrize("how", ["vector_norm", "matrix_norm", "norm", "norm_ord1"])
def test_norm_dtype_argument(src, dst, how):
    def fn(L):
        A = L.ones(3, 3, dtype=getattr(L, src))
        dt = getattr(L, dst)
        if how == "norm_ord1":
            return L.linalg.norm(A, ord=1, dtype=dt)
        return getattr(L.linalg, how)(A, dtype=dt)

    _same(fn)


# ------------------------------------------------------------------ 10. solve's check order
@pytest.mark.parametrize("sa,da,sb,db", [
    ((2, 2), "float16", (2, 2), "float32"), ((2, 3), "float16", (2, 2), "float32"),
    ((2,), "float16", (2, 2), "float32"), ((2, 2), "int32", (2, 2), "float32"),
    ((2, 2), "float16", (2, 2), "float16"), ((2, 2), "bfloat16", (2, 2), "float32"),
    ((2, 3), "float32", (2, 2), "float64"), ((2,), "int32", (2, 2), "float64"),
    ((2, 3), "int32", (2, 2), "float64"), ((2, 2), "bool", (2, 2), "float32"),
    ((2, 2), "float32", (2, 2), "int32"),
])
@pytest.mark.parametrize("op", ["solve", "solve_ex"])
def test_solve_checks_dtypes_first(sa, da, sb, db, op):
    _same(lambda L: getattr(L.linalg, op)(L.eye(*sa[-1:]).expand(*sa).to(getattr(L, da))
                                          if len(sa) == 2 and sa[0] == sa[1]
                                          else L.ones(*sa, dtype=getattr(L, da)),
                                          L.ones(*sb, dtype=getattr(L, db))))


# ------------------------------------------------------------------ 11. lu_solve's warning
def test_lu_solve_deprecation_warns_once():
    import warnings

    from ember.ops import linalg_lu

    linalg_lu._lu_solve_warned.clear()
    msgs = []
    for L in (ember, torch):
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            L.lu_solve(L.eye(2), *L.linalg.lu_factor(L.eye(2)))
            L.lu_solve(L.eye(2), *L.linalg.lu_factor(L.eye(2)))
        msgs.append([(w.category, str(w.message).replace("ember", "torch")) for w in rec
                     if "lu_solve" in str(w.message)])
    if not msgs[1]:
        pytest.skip("PyTorch's once-per-process warning was given earlier in this process")
    assert msgs[0] == msgs[1]
