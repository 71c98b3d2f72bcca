"""API-surface gaps found by diffing programs against PyTorch: arguments PyTorch accepts by
name (``t.lerp(end, weight=w)``, ``t.addcmul(tensor1=a, tensor2=b)``, ``t.view(dtype=...)``,
``t.view(size=...)``, ``t.expand(size=...)``, ``t.repeat(repeats=...)``,
``t.where(c, other=...)``, ``t.sum_to_size(size=...)``, ``t.swapaxes_(axis0=, axis1=)``,
``promote_types(type1=, type2=)``, ``concat(..., axis=)``,
``matrix_power``/``matrix_exp(input=)``),
PyTorch's TypeError where such a call fits no overload, and index_reduce's beta warning."""

import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(27)
A = RNG.standard_normal((2, 3)).astype(np.float32)
B = RNG.standard_normal((2, 3)).astype(np.float32)
C = RNG.standard_normal((2, 3)).astype(np.float32) + 3.0


def _outcome(fn):
    """A call's result (values, dtype, shape) or its error (type, first line)."""
    try:
        r = fn()
    except Exception as e:  # noqa: BLE001 - the error itself is the outcome compared
        return type(e).__name__, str(e).splitlines()[0].replace("torch", "ember")
    if isinstance(r, (torch.Tensor, ember.Tensor)):
        return "tensor", str(r.dtype).replace("torch", "ember"), tuple(r.shape), r.tolist()
    return "value", str(r).replace("torch", "ember")


def _same(program):
    want = _outcome(lambda: program(torch))
    got = _outcome(lambda: program(ember))
    assert got[:3] == want[:3], (got, want)
    if want[0] == "tensor":
        np.testing.assert_allclose(np.asarray(got[3]), np.asarray(want[3]), rtol=1e-6)
    else:
        assert got == want


_KEYWORD_METHODS = {
    "lerp_weight_kw": lambda L: L.tensor(A).lerp(L.tensor(B), weight=0.25),
    "lerp_both_kw": lambda L: L.tensor(A).lerp(end=L.tensor(B), weight=L.tensor(C)),
    "lerp__weight_kw": lambda L: L.tensor(A).lerp_(L.tensor(B), weight=0.5),
    "lerp_missing_weight": lambda L: L.tensor(A).lerp(L.tensor(B)),
    "lerp_only_weight": lambda L: L.tensor(A).lerp(weight=0.5),
    "addcmul_kw": lambda L: L.tensor(A).addcmul(tensor1=L.tensor(B), tensor2=L.tensor(C),
                                                value=2),
    "addcdiv_tensor2_kw": lambda L: L.tensor(A).addcdiv(L.tensor(B), tensor2=L.tensor(C)),
    "addcmul__tensor2_kw": lambda L: L.tensor(A).addcmul_(L.tensor(B), tensor2=L.tensor(C)),
    "addcdiv_missing": lambda L: L.tensor(A).addcdiv(L.tensor(B)),
    "addcmul_nothing": lambda L: L.tensor(A).addcmul(),
    "addcdiv_value_only_kw": lambda L: L.tensor(A).addcdiv(L.tensor(B), value=2),
    "addcmul_tensor2_only_kw": lambda L: L.tensor(A).addcmul(tensor2=L.tensor(B)),
    "addcmul_tensor1_twice": lambda L: L.tensor(A).addcmul(L.tensor(B), tensor1=L.tensor(B)),
    "addcmul__missing": lambda L: L.tensor(A).addcmul_(L.tensor(B)),
    "lerp__missing": lambda L: L.tensor(A).lerp_(L.tensor(B)),
    "lerp_end_twice": lambda L: L.tensor(A).lerp(L.tensor(B), end=L.tensor(B)),
    "lerp_kw_reversed_order": lambda L: L.tensor(A).lerp(weight=0.5, end=3),
    "lerp_positional": lambda L: L.tensor(A).lerp(L.tensor(B), 0.3),
    "addcmul_value_first": lambda L: L.tensor(A).addcmul(L.tensor(B), L.tensor(C), value=0.5),
}


@pytest.mark.parametrize("name", sorted(_KEYWORD_METHODS))
def test_ternary_methods_by_name(name):
    _same(_KEYWORD_METHODS[name])


def test_lerp_weight_kw_gradient():
    def run(L):
        x = L.tensor(A.astype(np.float64), requires_grad=True)
        e = L.tensor(B.astype(np.float64), requires_grad=True)
        y = x.lerp(e, weight=0.3)
        y.sum().backward()
        return y.grad_fn.name(), x.grad.numpy(), e.grad.numpy()

    got, want = run(ember), run(torch)
    assert got[0] == want[0]
    np.testing.assert_allclose(got[1], want[1], rtol=1e-12)
    np.testing.assert_allclose(got[2], want[2], rtol=1e-12)


_SHAPE_KW = {
    "view_size_kw": lambda L: L.tensor(A).view(size=(3, 2)),
    "view_dtype_kw": lambda L: L.tensor(A).view(dtype=L.int32),
    "view_nothing": lambda L: L.tensor(A).view(),
    "view_size_and_dtype": lambda L: L.tensor(A).view(size=(6,), dtype=L.int32),
    "view_positional": lambda L: L.tensor(A).view(-1),
    "expand_size_kw": lambda L: L.tensor(A[:1]).expand(size=(4, 3)),
    "expand_nothing": lambda L: L.tensor(A).expand(),
    "repeat_repeats_kw": lambda L: L.tensor(A).repeat(repeats=(2, 1)),
    "where_other_kw": lambda L: L.tensor(A).where(L.tensor(A) > 0, other=-1.0),
    "swapaxes__kw": lambda L: L.tensor(A).swapaxes_(axis0=0, axis1=1),
    "swapdims__kw": lambda L: L.tensor(A).swapdims_(dim0=1, dim1=0),
    "sum_to_size_size_kw": lambda L: L.tensor(A).sum_to_size(size=(1, 3)),
    "sum_to_size_nothing": lambda L: L.tensor(A).sum_to_size(),
    "sum_to_size_unknown_kw": lambda L: L.tensor(A).sum_to_size(3, foo=1),
    "sum_to_size_varargs": lambda L: L.tensor(A).sum_to_size(1, 3),
    "concat_axis": lambda L: L.concat((L.tensor(A), L.tensor(B)), axis=1),
    "concatenate_axis": lambda L: L.concatenate([L.tensor(A), L.tensor(B)], axis=0),
    "concat_tensors_dim_kw": lambda L: L.concat(tensors=(L.tensor(A), L.tensor(B)), dim=-1),
    "concatenate_unknown_kw": lambda L: L.concatenate((L.tensor(A),), foo=1),
    "matrix_power_input_kw": lambda L: L.matrix_power(input=L.tensor(A[:, :2]), n=3),
    "linalg_matrix_power_input_kw": lambda L: L.linalg.matrix_power(input=L.tensor(A[:, :2]), n=-1),
    "matrix_exp_input_kw": lambda L: L.matrix_exp(input=L.tensor(A[:, :2] / 4)),
    "linalg_matrix_exp_input_kw": lambda L: L.linalg.matrix_exp(input=L.tensor(A[:, :2] / 4)),
    "promote_types_kw": lambda L: L.promote_types(type1=L.int8, type2=L.float16),
    "promote_types_pos": lambda L: L.promote_types(L.uint8, L.int8),
}


@pytest.mark.parametrize("name", sorted(_SHAPE_KW))
def test_shape_arguments_by_name(name):
    _same(_SHAPE_KW[name])


def test_swapaxes__stays_a_view_of_self():
    for L in (torch, ember):
        t = L.tensor(A)
        r = t.swapaxes_(axis0=0, axis1=1)
        assert r is t and tuple(t.shape) == (3, 2) and t.stride() == (1, 3)


def _warnings_of(program):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        program()
    return [str(w.message).replace("torch", "ember") for w in caught]


def test_index_reduce_warns_beta_once():
    from ember.ops import creation

    creation._warned.discard("index_reduce")

    def run(L):
        x = L.ones(3)
        idx, src = L.tensor([0, 0, 2]), L.tensor([2.0, 3.0, 4.0])
        first = L.index_reduce(x, 0, idx, src, "prod")
        x.index_reduce_(0, idx, src, "amax", include_self=False)
        return first

    got = _warnings_of(lambda: run(ember))
    assert len(got) == 1
    assert got[0].startswith("index_reduce() is in beta and the API may change at any time.")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = run(torch).tolist()
    assert run(ember).tolist() == want
    assert not _warnings_of(lambda: run(ember))  # once per program, as TORCH_WARN_ONCE


def test_index_reduce_warning_points_at_the_caller():
    from ember.ops import creation

    creation._warned.discard("index_reduce")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ember.ones(2).index_reduce_(0, ember.tensor([1]), ember.tensor([5.0]), "mean")
    assert caught and caught[0].filename == __file__


def test_index_reduce_bad_reduce_does_not_warn():
    from ember.ops import creation

    creation._warned.discard("index_reduce")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(RuntimeError, match="Expected reduce to be one of"):
            ember.index_reduce(ember.ones(2), 0, ember.tensor([0]), ember.ones(1), "sum")
    assert not caught
