"""FFT, complex and sparse programs against PyTorch (lane O, session 26): sparse ``mv``,
the sparse-dense product's errors, ``sparse_coo_tensor(size)``, ``view_as_real`` of a
conjugate view, ``gradcheck`` of complex inputs, and whole programs run with both
libraries, their printed output compared."""

from __future__ import annotations

import contextlib
import io
import re
import warnings

import pytest
from _program_output import ember_repr as R
from _program_output import same_repr

import ember
import ember.sparse  # noqa: F401 - routes ember.mm/mv to sparse kernels (installed on import)

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore")


def same(fn):
    same_repr(fn, torch)


def _spm(lib, dtype=None):
    return lib.tensor([[1.0, 0, 2], [0, 3, 0]], dtype=dtype).to_sparse()


# ---------------------------------------------------------------- sparse mv
@pytest.mark.parametrize("fn", [
    lambda lib: lib.mv(_spm(lib), lib.tensor([1.0, 2.0, 3.0])),
    lambda lib: _spm(lib).mv(lib.ones(3)),
    lambda lib: _spm(lib).to_sparse_csr().mv(lib.ones(3)),
    lambda lib: lib.mv(_spm(lib).to_sparse_csr(), lib.ones(3)),
    lambda lib: lib.mv(_spm(lib, lib.float64), lib.arange(3.0, dtype=lib.float64)),
    lambda lib: lib.mv(lib.ones(3, 3), lib.ones(3).to_sparse()),
    lambda lib: lib.mv(_spm(lib), lib.ones(2)),
    lambda lib: lib.mv(_spm(lib), lib.ones(3, dtype=lib.float64)),
    lambda lib: lib.mv(_spm(lib), lib.ones(3, 1)),
])
def test_sparse_mv(fn):
    same(fn)


def test_sparse_mv_gradients():
    got = []
    for lib in (torch, ember):
        a = _spm(lib).requires_grad_()
        x = lib.tensor([1.0, -2.0, 0.5], requires_grad=True)
        y = lib.mv(a, x)
        (y * lib.tensor([2.0, 3.0])).sum().backward()
        got.append((R(y), R(a.grad), R(x.grad)))
    assert got[1] == got[0]


@pytest.mark.parametrize("order", ["sparse_then_dense", "dense_then_sparse", "sparse_twice"])
def test_sparse_grad_accumulation_mixes_layouts(order):
    """A sparse .grad given a dense gradient becomes dense (and the other way, dense stays)."""
    got = []
    for lib in (torch, ember):
        s = lib.sparse_coo_tensor(lib.tensor([[0, 1, 2], [2, 0, 1]]),
                                  lib.tensor([0.5, -1.0, 2.0]), (3, 3)).requires_grad_()
        d = lib.arange(12.0).reshape(3, 4) / 7
        steps = {"sparse_then_dense": ("s", "d"), "dense_then_sparse": ("d", "s", "s"),
                 "sparse_twice": ("s", "s")}[order]
        for k in steps:
            (lib.sparse.mm(s, d) if k == "s" else s @ d).sum().backward()
        got.append(R(s.grad))
    assert got[1] == got[0]


# ---------------------------------------------------------------- sparse @ dense errors
@pytest.mark.parametrize("op", ["sparse.mm", "mm", "matmul", "@", "method"])
@pytest.mark.parametrize("other", [
    lambda lib: lib.ones(4, 2), lambda lib: lib.ones(3, 2, dtype=lib.float64),
    lambda lib: lib.ones(3, 2, dtype=lib.int64), lambda lib: lib.ones(3)])
def test_sparse_dense_product_errors(op, other):
    def fn(lib):
        a, b = _spm(lib), other(lib)
        return {"sparse.mm": lambda: lib.sparse.mm(a, b), "mm": lambda: lib.mm(a, b),
                "matmul": lambda: lib.matmul(a, b), "@": lambda: a @ b,
                "method": lambda: a.mm(b)}[op]()
    same(fn)


def test_sparse_int_times_float_error():
    same(lambda lib: lib.sparse.mm(_spm(lib).long(), lib.ones(3, 2)))
    same(lambda lib: lib.sparse.mm(_spm(lib).double(), lib.ones(3, 2)))


# ---------------------------------------------------------------- sparse_coo_tensor(size)
@pytest.mark.parametrize("fn", [
    lambda lib: lib.sparse_coo_tensor([2, 3]),
    lambda lib: lib.sparse_coo_tensor((2, 3), dtype=lib.float64),
    lambda lib: lib.sparse_coo_tensor(size=(2,), requires_grad=True),
    lambda lib: lib.sparse_coo_tensor(lib.Size([4])).to_dense(),
    lambda lib: lib.sparse_coo_tensor(size=(2, 2)).is_coalesced(),
    lambda lib: (lambda s: (s.sparse_dim(), s.dense_dim(), s._nnz()))(
        lib.sparse_coo_tensor([3, 1, 2])),
])
def test_sparse_coo_tensor_from_size(fn):
    same(fn)


@pytest.mark.parametrize("fn", [
    lambda lib: _spm(lib).numpy(),
    lambda lib: _spm(lib).reshape(6),
    lambda lib: _spm(lib).reshape(3, 2),
])
def test_sparse_refusals(fn):
    same(fn)


def test_sparse_view_refusal():
    """PyTorch's dispatcher message, up to its list of backends (Ember's is the first part)."""
    got = []
    for lib in (torch, ember):
        with pytest.raises(NotImplementedError) as e:
            _spm(lib).view(6)
        got.append(str(e.value).split(" If you are a Facebook")[0])
    assert got[1] == got[0]


# ---------------------------------------------------------------- view_as_real and conj
def test_view_as_real_refuses_a_conjugate_view():
    same(lambda lib: lib.view_as_real(lib.tensor([1 + 2j, 3 - 1j]).conj()))
    same(lambda lib: lib.view_as_real(lib.tensor([1 + 2j, 3 - 1j]).conj().resolve_conj()))


@pytest.mark.parametrize("fn", [
    lambda lib, r: (lib.fft.ihfftn(r).is_conj(), lib.fft.ihfft2(r).is_conj(),
                    lib.fft.ihfft(r).is_conj()),
    lambda lib, r: lib.view_as_real(lib.fft.ihfftn(r)),
    lambda lib, r: lib.view_as_real(lib.fft.ihfft2(r, norm="ortho")),
    lambda lib, r: lib.view_as_real(lib.fft.ihfft(r)),
])
def test_ihfftn_resolves_its_conjugate(fn):
    same(lambda lib: fn(lib, lib.arange(15.0, dtype=lib.float64).reshape(3, 5).sin()))


def test_view_as_complex_backward_of_a_conjugate_grad():
    got = []
    for lib in (torch, ember):
        x = lib.tensor([[1.0, 2.0], [3.0, -4.0]], requires_grad=True)
        z = lib.view_as_complex(x)
        (z.conj() * lib.tensor([1 + 1j, 2 - 1j])).abs().sum().backward()
        got.append(R(x.grad))
    assert got[1] == got[0]


# ---------------------------------------------------------------- gradcheck of complex inputs
class _Bad:
    @staticmethod
    def make(lib):
        class Bad(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * x

            @staticmethod
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return g * x * 2  # the conjugate is missing

        return Bad


@pytest.mark.parametrize("case", [
    lambda lib, u, v: lib.autograd.gradcheck(lambda t: lib.exp(t).abs(), (u,)),
    lambda lib, u, v: lib.autograd.gradcheck(lambda t: t * t.conj(), (u,)),
    lambda lib, u, v: lib.autograd.gradcheck(lambda t, r: (t * r).sin(), (u, v)),
    lambda lib, u, v: lib.autograd.gradcheck(lib.fft.fft, (u,)),
    lambda lib, u, v: lib.autograd.gradcheck(lambda t: t.conj(), (u,)),
    lambda lib, u, v: lib.autograd.gradcheck(lambda t: lib.fft.irfft(t, n=4), (u,)),
    lambda lib, u, v: lib.autograd.gradgradcheck(lambda t: (t * t).abs(), (u,)),
    lambda lib, u, v: lib.autograd.gradcheck(_Bad.make(lib).apply, (u,),
                                             raise_exception=False),
    lambda lib, u, v: (lib.autograd.gradcheck(lambda t: t.abs(), (u,)), u.grad,
                       u.requires_grad, u.dtype),
])
def test_gradcheck_of_complex_inputs(case):
    def fn(lib):
        u = lib.tensor([0.3 + 0.4j, -1.2 + 0.1j, 0.7 - 0.9j], dtype=lib.complex128,
                       requires_grad=True)
        v = lib.tensor([0.5, -1.5, 2.0], dtype=lib.float64, requires_grad=True)
        return case(lib, u, v)
    same(fn)


# ---------------------------------------------------------------- whole programs
def _run(src: str, lib) -> str:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(src, {"torch": lib, "__name__": "__prog__"})  # noqa: S102 - the program under test
    return re.sub(r" at 0x[0-9a-f]+", "", buf.getvalue().replace("torch", "ember"))


PROGRAMS = {
    "sparse_matvec": """
A = torch.sparse_coo_tensor(torch.tensor([[0, 0, 1, 2], [0, 2, 1, 0]]),
                            torch.tensor([1., 2., 3., 4.]), (3, 3))
torch.manual_seed(0)
x = torch.randn(3, requires_grad=True)
print(A)
y = torch.mv(A, x)
print(y)
y.pow(2).sum().backward()
print(x.grad)
for b in [torch.ones(4, 2), torch.ones(3, 2, dtype=torch.float64)]:
    try:
        torch.sparse.mm(A, b)
    except Exception as e:
        print(type(e).__name__, e)
print(torch.sparse_coo_tensor([2, 2]))
""",
    "gcn_steps": """
torch.manual_seed(0)
N, D = 5, 3
adj = (torch.rand(N, N) > 0.6).float().to_sparse()
print(adj._nnz(), torch.sparse.sum(adj, dim=1).to_dense())
X = torch.randn(N, D)
W = torch.randn(D, 2, requires_grad=True)
y = torch.tensor([0, 1, 0, 1, 1])
for step in range(3):
    h = torch.sparse.mm(adj, X @ W)
    loss = (h.log_softmax(1).gather(1, y[:, None])).mean().neg()
    W.grad = None
    loss.backward()
    with torch.no_grad():
        W -= 0.1 * W.grad
    print(step, f"{loss.item():.4f}")
print(h.grad_fn)
""",
    "complex_params": """
torch.manual_seed(0)
w = torch.randn(3, dtype=torch.cfloat, requires_grad=True)
loss = (w.abs() ** 2).sum()
loss.backward()
print(loss, w.grad, torch.allclose(w.grad, 2 * w.detach()))
u = torch.randn(3, dtype=torch.cdouble, requires_grad=True)
print(torch.autograd.gradcheck(lambda t: torch.exp(t).abs(), (u,)))
c = u.detach().conj()
try:
    torch.view_as_real(c)
except Exception as e:
    print(type(e).__name__, e)
print(torch.view_as_real(c.resolve_conj()))
""",
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_whole_program(name):
    src = PROGRAMS[name]
    assert _run(src, ember) == _run(src, torch)
