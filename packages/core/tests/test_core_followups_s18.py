"""Small core mismatches found by this stretch's sweeps, each checked against PyTorch."""

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def _same_repr(e, t):
    assert repr(e) == repr(t).replace("torch.", "ember.")


@pytest.mark.parametrize("make", [
    lambda L: L.tensor([[0.0, 1.5], [2.0, 0.0]]).to_sparse(),
    lambda L: L.tensor([[0, 1], [2, 0]]).to_sparse(),
    lambda L: L.zeros(0, 3).to_sparse(1),
    lambda L: L.arange(24.0).reshape(2, 3, 4).to_sparse(1),
    lambda L: L.tensor([[0.0, 1.5], [2.0, 0.0]], dtype=L.float64).to_sparse().requires_grad_(),
])
def test_sparse_coo_repr(make):
    _same_repr(make(ember), make(torch))


def test_finfo_of_a_non_float_dtype_is_a_type_error():
    for name in ("int64", "bool", "uint8"):
        with pytest.raises(TypeError) as want:
            torch.finfo(getattr(torch, name))
        with pytest.raises(TypeError) as got:
            ember.finfo(getattr(ember, name))
        assert str(got.value) == str(want.value).replace("torch.", "ember.")
    assert ember.finfo(ember.complex64).eps == torch.finfo(torch.complex64).eps


@pytest.mark.parametrize("mean_dt,std_dt", [("float32", "float64"), ("float64", "float32"),
                                            (None, "float64"), ("float32", None)])
def test_normal_takes_the_mean_dtype(mean_dt, std_dt):
    def run(L):
        L.manual_seed(3)
        mean = 0.5 if mean_dt is None else L.zeros(4, dtype=getattr(L, mean_dt),
                                                   requires_grad=True)
        std = 2.0 if std_dt is None else L.ones(4, dtype=getattr(L, std_dt),
                                                requires_grad=True)
        out = L.normal(mean, std)
        out.sum().backward()
        grads = [a.grad.dtype for a in (mean, std) if not isinstance(a, float)]
        return out, grads

    (e, eg), (t, tg) = run(ember), run(torch)
    assert str(e.dtype).split(".")[1] == str(t.dtype).split(".")[1]
    assert [str(g).split(".")[1] for g in eg] == [str(g).split(".")[1] for g in tg]
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-6)


_NAMED = {
    "diag": lambda L, x, y: L.diag(x),
    "diagonal_copy": lambda L, x, y: L.diagonal_copy(x),
    "t_copy": lambda L, x, y: L.t_copy(x),
    "permute_copy": lambda L, x, y: L.permute_copy(x, (1, 0)),
    "expand_copy": lambda L, x, y: L.expand_copy(x[:1], (2, 3)),
    "select_copy": lambda L, x, y: L.select_copy(x, 0, 1),
    "unbind_copy": lambda L, x, y: L.unbind_copy(x)[0],
    "alias_copy": lambda L, x, y: L.alias_copy(x),
    "narrow_copy": lambda L, x, y: L.narrow_copy(x, 0, 0, 2),
    "ldexp": lambda L, x, y: L.ldexp(x, L.tensor(2)),
    "renorm": lambda L, x, y: L.renorm(x, 2, 0, 1.0),
    "dist": lambda L, x, y: L.dist(x, y, 3),
    "repeat_interleave": lambda L, x, y: L.repeat_interleave(x, 2, dim=1),
    "repeat_interleave_tensor": lambda L, x, y: L.repeat_interleave(x, L.tensor([1, 2, 1]), 0),
    "slice_scatter": lambda L, x, y: L.slice_scatter(x, y[:1], 0, 0, 1),
    "select_scatter": lambda L, x, y: L.select_scatter(x, y[0], 0, 0),
    "diagonal_scatter": lambda L, x, y: L.diagonal_scatter(x, y[0]),
    "quantile": lambda L, x, y: L.quantile(x, 0.3, dim=1, keepdim=True),
    "nanquantile": lambda L, x, y: L.nanquantile(x, 0.3),
    "trapezoid": lambda L, x, y: L.trapezoid(x, dx=0.5),
    "trapezoid_x": lambda L, x, y: L.trapezoid(x, y),
    "normal_mean": lambda L, x, y: L.normal(x, 1.0),
    "normal_std": lambda L, x, y: L.normal(0.0, y.exp()),
    "normal_both": lambda L, x, y: L.normal(x, y.exp()),
}


@pytest.mark.parametrize("name", sorted(_NAMED))
def test_graph_nodes_carry_pytorchs_names(name):
    # what print(tensor) shows as grad_fn=<...> for ops Ember composes of others
    got = []
    for L in (ember, torch):
        g = np.random.default_rng(0)
        x = L.tensor(g.standard_normal((3, 3)), requires_grad=True)
        y = L.tensor(g.standard_normal((3, 3)), requires_grad=True)
        out = _NAMED[name](L, x, y)
        out.sum().backward()  # the renamed node still differentiates
        got.append((type(out.grad_fn).__name__, x.grad is None, y.grad is None))
    assert got[0] == got[1]


@pytest.mark.parametrize("name,fn", [
    ("chain_matmul1", lambda L, x, v: L.chain_matmul(x)),
    ("chain_matmul3", lambda L, x, v: L.chain_matmul(x, x, x)),
    ("multi_dot", lambda L, x, v: L.linalg.multi_dot([x, x])),
    ("multi_dot_vectors", lambda L, x, v: L.linalg.multi_dot([v, x, x, v])),
    ("lstsq", lambda L, x, v: L.linalg.lstsq(x, x).solution),
    ("lstsq_vector", lambda L, x, v: L.linalg.lstsq(x, v).solution),
])
def test_product_nodes_carry_pytorchs_names(name, fn):
    import warnings

    got = []
    for L in (ember, torch):
        g = np.random.default_rng(1)
        x = L.tensor(g.standard_normal((3, 3)), requires_grad=True)
        v = L.tensor(g.standard_normal(3), requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = fn(L, x, v)
        got.append((type(out.grad_fn).__name__, out is x))
        out.sum().backward()
    assert got[0] == got[1]


def test_chain_matmul_warns_once_as_pytorch():
    import subprocess
    import sys

    code = ("import warnings; warnings.simplefilter('always'); import {m} as L; x = L.ones(2, 2)\n"
            "with warnings.catch_warnings(record=True) as w:\n"
            "    warnings.simplefilter('always'); L.chain_matmul(x, x); L.chain_matmul(x, x)\n"
            "print(len(w), type(w[0].message).__name__, str(w[0].message).split(' (')[0])")
    out = [subprocess.run([sys.executable, "-c", code.format(m=m)], capture_output=True,
                          text=True, check=True).stdout for m in ("ember", "torch")]
    assert out[0] == out[1].replace("torch.", "ember.")


@pytest.mark.parametrize("make", [
    lambda L: L.tensor([1, "a"]), lambda L: L.tensor([1, None]), lambda L: L.tensor(None),
    lambda L: L.tensor(["a"]), lambda L: L.tensor([[1], [None]]), lambda L: L.tensor("a"),
    lambda L: L.tensor([object()]),
    lambda L: L.cat([L.ones(2), np.ones(2)]), lambda L: L.cat([1.0]),
    lambda L: L.stack([np.ones(2)]), lambda L: L.stack([L.ones(1), [1]]),
    lambda L: L.multinomial(L.tensor([], dtype=L.float64), 1, True),
    lambda L: L.multinomial(L.zeros(2, 0), 1),
])
def test_bad_data_raises_as_pytorch(make):
    with pytest.raises(Exception) as want:
        make(torch)
    with pytest.raises(Exception) as got:
        make(ember)
    assert (type(got.value), str(got.value)) == (type(want.value), str(want.value))
