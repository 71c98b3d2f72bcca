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
