"""Shape ops against PyTorch: values, dtypes, errors and gradients (also by finite differences)."""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pytest
from _shape_helpers import arr, check, check_error, gradcheck

import ember

# each case: (id, f(m, *inputs) for m in {ember, torch}, inputs)
CASES = [
    ("view", lambda m, x: x.view(4, 3), [arr(3, 4)]),
    ("view_infer", lambda m, x: x.view(-1, 2), [arr(3, 4)]),
    ("view_0d", lambda m, x: x.view(1, 1), [arr()]),
    ("view_empty", lambda m, x: x.view(0, 5), [arr(5, 0)]),
    ("reshape_t", lambda m, x: x.t().reshape(12), [arr(3, 4)]),
    ("reshape_fn", lambda m, x: m.reshape(x, (2, -1)), [arr(3, 4)]),
    ("view_as", lambda m, x, y: x.view_as(y), [arr(3, 4), arr(12)]),
    ("reshape_as", lambda m, x, y: x.t().reshape_as(y), [arr(3, 4), arr(2, 6)]),
    ("flatten", lambda m, x: x.flatten(), [arr(2, 3, 4)]),
    ("flatten_mid", lambda m, x: m.flatten(x, 1, 2), [arr(2, 3, 4, 5)]),
    ("flatten_0d", lambda m, x: x.flatten(), [arr()]),
    ("flatten_t", lambda m, x: x.transpose(0, 2).flatten(0, 1), [arr(2, 3, 4)]),
    ("unflatten", lambda m, x: x.unflatten(1, (2, -1)), [arr(3, 4)]),
    ("ravel", lambda m, x: m.ravel(x.t()), [arr(3, 4)]),
    ("squeeze", lambda m, x: x.squeeze(), [arr(1, 3, 1, 2)]),
    ("squeeze_dim", lambda m, x: x.squeeze(2), [arr(1, 3, 1, 2)]),
    ("squeeze_noop", lambda m, x: m.squeeze(x, 1), [arr(1, 3, 1, 2)]),
    ("squeeze_tuple", lambda m, x: x.squeeze((0, 2, 3)), [arr(1, 3, 1, 2)]),
    ("squeeze_0d", lambda m, x: x.squeeze(0), [arr()]),
    ("unsqueeze", lambda m, x: x.unsqueeze(1), [arr(3, 4)]),
    ("unsqueeze_neg", lambda m, x: m.unsqueeze(x, -1), [arr(3, 4)]),
    ("unsqueeze_0d", lambda m, x: x.unsqueeze(0), [arr()]),
    ("transpose", lambda m, x: x.transpose(0, 2), [arr(2, 3, 4)]),
    ("swapaxes", lambda m, x: m.swapaxes(x, -1, 0), [arr(2, 3, 4)]),
    ("swapdims", lambda m, x: x.swapdims(1, 1), [arr(2, 3)]),
    ("permute", lambda m, x: x.permute(2, 0, 1), [arr(2, 3, 4)]),
    ("permute_tuple", lambda m, x: m.permute(x, (1, -1, 0)), [arr(2, 3, 4)]),
    ("t", lambda m, x: x.t(), [arr(2, 3)]),
    ("t_1d", lambda m, x: m.t(x), [arr(3)]),
    ("T", lambda m, x: x.T, [arr(2, 3)]),
    ("mT", lambda m, x: x.mT, [arr(2, 3, 4)]),
    ("mH_real", lambda m, x: x.mH, [arr(2, 3, 4)]),
    ("adjoint", lambda m, x: m.adjoint(x), [arr(2, 3, 4)]),
    ("movedim", lambda m, x: m.movedim(x, 0, -1), [arr(2, 3, 4)]),
    ("movedim_many", lambda m, x: x.movedim((0, 1), (2, 0)), [arr(2, 3, 4)]),
    ("moveaxis", lambda m, x: m.moveaxis(x, [2], [0]), [arr(2, 3, 4)]),
    ("narrow", lambda m, x: x.narrow(1, 1, 2), [arr(3, 4)]),
    ("narrow_neg", lambda m, x: m.narrow(x, -1, -3, 2), [arr(3, 4)]),
    ("narrow_t", lambda m, x: x.t().narrow(0, 1, 2), [arr(3, 4)]),
    ("select", lambda m, x: x.select(1, -1), [arr(3, 4)]),
    ("select_1d", lambda m, x: m.select(x, 0, 2), [arr(4)]),
    ("unbind", lambda m, x: x.unbind(1), [arr(3, 4)]),
    ("unbind_fn", lambda m, x: m.unbind(x), [arr(3, 2)]),
    ("split", lambda m, x: x.split(2), [arr(5, 3)]),
    ("split_sizes", lambda m, x: m.split(x, [1, 0, 3], 1), [arr(2, 4)]),
    ("split_empty", lambda m, x: x.split(2), [arr(0, 3)]),
    ("chunk", lambda m, x: x.chunk(3, 1), [arr(2, 7)]),
    ("chunk_fewer", lambda m, x: m.chunk(x, 4), [arr(6)]),
    ("chunk_empty", lambda m, x: x.chunk(2), [arr(0, 3)]),
    ("tensor_split", lambda m, x: x.tensor_split(3), [arr(7, 2)]),
    ("tensor_split_idx", lambda m, x: m.tensor_split(x, [1, 7, 3]), [arr(5)]),
    ("hsplit", lambda m, x: m.hsplit(x, 2), [arr(3, 4)]),
    ("hsplit_idx", lambda m, x: m.hsplit(x, [1]), [arr(5)]),
    ("vsplit", lambda m, x: m.vsplit(x, [1, 2]), [arr(3, 4)]),
    ("dsplit", lambda m, x: m.dsplit(x, 2), [arr(2, 3, 4)]),
    ("expand", lambda m, x: x.expand(2, 3, 4), [arr(3, 1)]),
    ("expand_keep", lambda m, x: x.expand(-1, 4), [arr(3, 1)]),
    ("expand_as", lambda m, x, y: x.expand_as(y), [arr(1, 4), arr(3, 4)]),
    ("broadcast_to", lambda m, x: m.broadcast_to(x, (2, 3)), [arr(3)]),
    ("broadcast_tensors", lambda m, x, y: m.broadcast_tensors(x, y), [arr(3, 1), arr(4)]),
    ("atleast_1d", lambda m, x: m.atleast_1d(x), [arr()]),
    ("atleast_2d", lambda m, x, y: m.atleast_2d(x, y), [arr(3), arr(2, 2)]),
    ("atleast_3d", lambda m, x, y, z: m.atleast_3d([x, y, z]), [arr(), arr(3), arr(2, 3)]),
    ("unfold", lambda m, x: x.unfold(1, 3, 2), [arr(2, 7)]),
    ("unfold_overlap", lambda m, x: x.unfold(0, 2, 1), [arr(5)]),
    ("unfold_t", lambda m, x: x.t().unfold(0, 2, 1), [arr(3, 4)]),
    ("diagonal", lambda m, x: x.diagonal(), [arr(3, 4)]),
    ("diagonal_off", lambda m, x: m.diagonal(x, 1), [arr(3, 4)]),
    ("diagonal_neg", lambda m, x: x.diagonal(-2), [arr(4, 3)]),
    ("diagonal_dims", lambda m, x: x.diagonal(0, 2, 0), [arr(3, 2, 4)]),
    ("diagonal_empty", lambda m, x: x.diagonal(5), [arr(3, 4)]),
    ("as_strided", lambda m, x: m.as_strided(x, (2, 2), (1, 2), 1), [arr(3, 4)]),
    ("as_strided_overlap", lambda m, x: x.as_strided((3, 3), (1, 1)), [arr(6)]),
    ("slice_scatter", lambda m, x, s: m.slice_scatter(x, s, 1, 1, None, 2), [arr(3, 4), arr(3, 2)]),
    ("select_scatter", lambda m, x, s: x.select_scatter(s, 0, -1), [arr(3, 4), arr(4)]),
    ("diagonal_scatter", lambda m, x, s: m.diagonal_scatter(x, s, 1), [arr(3, 4), arr(3)]),
]

JOIN_CASES = [
    ("cat", lambda m, x, y: m.cat([x, y]), [arr(2, 3), arr(1, 3)]),
    ("cat_dim", lambda m, x, y: m.cat((x, y), dim=-1), [arr(2, 3), arr(2, 1)]),
    ("cat_legacy_empty", lambda m, x, y: m.cat([x, y], 1), [arr(0), arr(2, 3)]),
    ("cat_empty_rows", lambda m, x, y: m.cat([x, y]), [arr(0, 3), arr(2, 3)]),
    ("cat_promote", lambda m, x, y: m.cat([x, y]), [arr(2, dtype="int64"), arr(3)]),
    ("cat_promote_int", lambda m, x, y: m.concat([x, y]),
     [arr(2, dtype="int32"), arr(3, dtype="uint8")]),
    ("concatenate", lambda m, x, y: m.concatenate([x.t(), y], 0), [arr(3, 2), arr(1, 3)]),
    ("cat_all_empty", lambda m, x, y: m.cat([x, y]), [arr(0), arr(0)]),
    ("stack", lambda m, x, y: m.stack([x, y]), [arr(2, 3), arr(2, 3)]),
    ("stack_last", lambda m, x, y: m.stack((x, y), -1), [arr(2, 3), arr(2, 3, dtype="float32")]),
    ("stack_0d", lambda m, x, y: m.stack([x, y]), [arr(), arr()]),
    ("hstack", lambda m, x, y: m.hstack([x, y]), [arr(2, 3), arr(2, 1)]),
    ("hstack_1d", lambda m, x, y: m.hstack([x, y]), [arr(2), arr(3)]),
    ("vstack", lambda m, x, y: m.vstack([x, y]), [arr(3), arr(2, 3)]),
    ("row_stack", lambda m, x, y: m.row_stack([x, y]), [arr(3), arr(3)]),
    ("dstack", lambda m, x, y: m.dstack([x, y]), [arr(3), arr(1, 3)]),
    ("column_stack", lambda m, x, y, z: m.column_stack([x, y, z]), [arr(3), arr(3, 2), arr(3)]),
    ("flip", lambda m, x: m.flip(x, [0, 2]), [arr(2, 3, 4)]),
    ("flip_method", lambda m, x: x.flip(-1), [arr(2, 3)]),
    ("flip_t", lambda m, x: x.t().flip(0), [arr(2, 3)]),
    ("fliplr", lambda m, x: m.fliplr(x), [arr(2, 3)]),
    ("flipud", lambda m, x: m.flipud(x), [arr(2, 3)]),
    ("rot90", lambda m, x: m.rot90(x), [arr(2, 3)]),
    ("rot90_k2", lambda m, x: x.rot90(2, [1, 2]), [arr(2, 3, 4)]),
    ("rot90_k3", lambda m, x: m.rot90(x, -1, [0, 1]), [arr(2, 3)]),
    ("rot90_k0", lambda m, x: m.rot90(x, 4), [arr(2, 3)]),
    ("roll", lambda m, x: m.roll(x, 2), [arr(3, 4)]),
    ("roll_dims", lambda m, x: x.roll((1, -1), (0, 1)), [arr(3, 4)]),
    ("roll_dim", lambda m, x: m.roll(x, 5, 1), [arr(3, 4)]),
    ("repeat", lambda m, x: x.repeat(2, 3), [arr(2, 3)]),
    ("repeat_lead", lambda m, x: x.repeat(2, 1, 2), [arr(2, 3)]),
    ("repeat_0d", lambda m, x: x.repeat(3), [arr()]),
    ("repeat_zero", lambda m, x: x.repeat(0, 2), [arr(2, 3)]),
    ("tile", lambda m, x: m.tile(x, (2,)), [arr(2, 3)]),
    ("tile_more", lambda m, x: x.tile((2, 1, 2)), [arr(3)]),
    ("repeat_interleave", lambda m, x: x.repeat_interleave(2), [arr(2, 3)]),
    ("repeat_interleave_dim", lambda m, x: m.repeat_interleave(x, 3, dim=1), [arr(2, 3)]),
    ("repeat_interleave_t", lambda m, x, r: x.repeat_interleave(r, dim=0),
     [arr(3, 2), np.array([1, 0, 2])]),
    ("repeat_interleave_idx", lambda m, r: m.repeat_interleave(r), [np.array([2, 0, 3])]),
    ("meshgrid_ij", lambda m, x, y: m.meshgrid(x, y, indexing="ij"), [arr(3), arr(2)]),
    ("meshgrid_xy", lambda m, x, y, z: m.meshgrid([x, y, z], indexing="xy"),
     [arr(3), arr(2), arr(4)]),
    ("cartesian_prod", lambda m, x, y: m.cartesian_prod(x, y), [arr(3), arr(2)]),
    ("cartesian_prod_1", lambda m, x: m.cartesian_prod(x), [arr(3)]),
    ("combinations", lambda m, x: m.combinations(x), [arr(4)]),
    ("combinations_r3", lambda m, x: m.combinations(x, 3, with_replacement=True), [arr(3)]),
    ("combinations_none", lambda m, x: m.combinations(x, 3), [arr(2)]),
    ("combinations_r0", lambda m, x: m.combinations(x, 0), [arr(2)]),
    ("diag_vec", lambda m, x: m.diag(x), [arr(3)]),
    ("diag_vec_off", lambda m, x: m.diag(x, -1), [arr(3)]),
    ("diag_mat", lambda m, x: x.diag(1), [arr(3, 4)]),
    ("diag_embed", lambda m, x: m.diag_embed(x), [arr(2, 3)]),
    ("diag_embed_dims", lambda m, x: m.diag_embed(x, 1, 0, 2), [arr(2, 3)]),
    ("diagflat", lambda m, x: m.diagflat(x, -1), [arr(2, 2)]),
    ("tril", lambda m, x: m.tril(x), [arr(3, 4)]),
    ("tril_k", lambda m, x: x.tril(-1), [arr(2, 3, 4)]),
    ("triu", lambda m, x: m.triu(x, 1), [arr(4, 3)]),
    ("triu_t", lambda m, x: x.t().triu(), [arr(4, 3)]),
    ("trace", lambda m, x: m.trace(x), [arr(3, 4)]),
    ("trace_int", lambda m, x: x.trace(), [arr(3, 3, dtype="int32")]),
]


def _ids(cases: list) -> list:
    return [c[0] for c in cases]


@pytest.mark.parametrize("case", CASES + JOIN_CASES, ids=_ids(CASES + JOIN_CASES))
def test_against_torch(case, torch):
    _, f, inputs = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(functools.partial(f, ember), functools.partial(f, torch), *inputs, torch=torch)


@pytest.mark.parametrize("dtype", ["float32", "int64", "bool", "complex64", "float16"])
def test_dtypes(dtype, torch):
    x = arr(2, 3, 4, dtype=dtype)
    for f in (lambda m, t: t.permute(2, 0, 1), lambda m, t: m.cat([t, t], 1),
              lambda m, t: m.stack([t, t]), lambda m, t: t.flip(0), lambda m, t: t.roll(1, 2),
              lambda m, t: t.repeat(1, 2, 1), lambda m, t: t.diagonal(0, 1, 2),
              lambda m, t: t.unfold(2, 2, 1), lambda m, t: t.tril(), lambda m, t: t[:, 1:, ::2],
              lambda m, t: t.split(1, 1), lambda m, t: m.diag_embed(t)):
        check(functools.partial(f, ember), functools.partial(f, torch), x, torch=torch,
              grad=False)


def test_mH_complex(torch):
    x = arr(2, 3, dtype="complex128")
    check(lambda t: t.mH, lambda t: t.mH.resolve_conj(), x, torch=torch, grad=False)
    check(lambda t: t.H, lambda t: t.H.resolve_conj(), x, torch=torch, grad=False)
    check(lambda t: ember.adjoint(t), lambda t: torch.adjoint(t).resolve_conj(), x,
          torch=torch, grad=False)


def test_as_strided_scatter(torch):
    # forward only: PyTorch 2.14's gradient for ``input`` keeps the written positions instead
    # of zeroing them (finite differences below agree with Ember's)
    def f(m, x, s):
        return m.as_strided_scatter(x, s, (2, 2), (1, 2), 1)

    check(functools.partial(f, ember), functools.partial(f, torch), arr(3, 4), arr(2, 2),
          torch=torch, grad=False)
    gradcheck(lambda x, s: ember.as_strided_scatter(x, s, (2, 2), (1, 2), 1), arr(3, 4),
              arr(2, 2))


def test_T_warns_for_3d(torch, monkeypatch):
    from ember.ops import creation

    monkeypatch.setattr(creation, "_warned", set())  # PyTorch warns once per program
    x = ember.zeros(2, 3, 4)
    with pytest.warns(UserWarning, match="x.T"):
        assert x.T.shape == (4, 3, 2)


def test_broadcast_shapes(torch):
    assert ember.broadcast_shapes((2, 1), (3,), 1) == torch.broadcast_shapes((2, 1), (3,), 1)
    assert ember.broadcast_shapes() == torch.broadcast_shapes()
    check_error(lambda: ember.broadcast_shapes((2, 3), (4,)),
                lambda: torch.broadcast_shapes((2, 3), (4,)))


def test_meshgrid_warns_without_indexing(torch):
    from ember.ops._deprecated_overload import _warned

    _warned.discard("meshgrid")  # the warning is given once per process, as PyTorch's
    with pytest.warns(UserWarning, match="indexing"):
        a, b = ember.meshgrid(ember.arange(2), ember.arange(3))
    assert a.shape == (2, 3) and b.shape == (2, 3)


def test_join_results_have_their_own_memory():
    x = ember.zeros(2, 3)
    for r in (ember.cat([x, x]), ember.stack([x]), x.flip(0), x.roll(1), x.repeat(1, 1),
              ember.tril(x)):
        r[0, 0] = 5.0
        assert x[0, 0].item() == 0.0


def test_cat_out(torch):
    a, b = arr(2, 3), arr(1, 3)
    out = ember.empty(3, 3, dtype=ember.float64)
    r = ember.cat([ember.tensor(a), ember.tensor(b)], out=out)
    assert r is out
    ember.testing.assert_close(out, torch.cat([torch.tensor(a), torch.tensor(b)]))


def test_tril_triu_inplace(torch):
    x = arr(3, 4)
    check(lambda t: t.clone().tril_(1), lambda t: t.clone().tril_(1), x, torch=torch)
    check(lambda t: (t * 2).triu_(-1), lambda t: (t * 2).triu_(-1), x, torch=torch)


ERRORS = [
    lambda m, x: x.view(5),
    lambda m, x: x.view(-1, -1),
    lambda m, x: x.reshape(5, -1),
    lambda m, x: x.expand(2),
    lambda m, x: x.expand(3, 5),
    lambda m, x: x.flatten(1, 0),
    lambda m, x: x.unflatten(1, (3, 3)),
    lambda m, x: x.permute(1, 0, 2),
    lambda m, x: x.permute(1, 1),
    lambda m, x: x.movedim((0, 1), (0,)),
    lambda m, x: x.movedim((0, 0), (0, 1)),
    lambda m, x: x.narrow(0, 5, 1),
    lambda m, x: x.narrow(0, 2, 3),
    lambda m, x: x.select(-1, 7),
    lambda m, x: x.select(1, -9),
    lambda m, x: m.tensor(1.0).select(0, 0),
    lambda m, x: m.tensor(1.0).narrow(0, 0, 1),
    lambda m, x: x.unfold(1, 5, 1),
    lambda m, x: x.unfold(1, 2, 0),
    lambda m, x: x.split(0),
    lambda m, x: x.split(-1),
    lambda m, x: x.split([1, 1]),
    lambda m, x: x.chunk(0),
    lambda m, x: m.tensor(1.0).chunk(1),
    lambda m, x: x.tensor_split(0),
    lambda m, x: m.hsplit(x, 3),
    lambda m, x: m.vsplit(x[0], 3),
    lambda m, x: m.dsplit(x, 3),
    lambda m, x: x.as_strided((3, 4), (-1, 1)),
    lambda m, x: x.as_strided((4, 4), (4, 1)),
    lambda m, x: x.diagonal(0, 1, 1),
    lambda m, x: x.t().view(12),
    lambda m, x: x[0].mT,
    lambda m, x: x[0].mH,
    lambda m, x: x[0].H,
    lambda m, x: x[0].adjoint(),
    lambda m, x: m.zeros(2, 2, 2).H,
    lambda m, x: m.zeros(2, 2, 2).t(),
    lambda m, x: m.cat([]),
    lambda m, x: m.cat([x, x[0]]),
    lambda m, x: m.cat([x, x[:, :2]]),
    lambda m, x: m.cat([x[0, 0], x[0, 0]]),
    lambda m, x: m.stack([x, x[:2]]),
    lambda m, x: m.stack([]),
    lambda m, x: x.repeat(2),
    lambda m, x: x.rot90(1, [0]),
    lambda m, x: x.rot90(1, [0, 0]),
    lambda m, x: x[0].rot90(),
    lambda m, x: x.repeat_interleave(m.tensor([1, 2, 3, 4, 5]), dim=0),
    lambda m, x: x.roll((1, 2), 0),
    lambda m, x: m.fliplr(x[0]),
    lambda m, x: m.flipud(x[0, 0]),
    lambda m, x: m.combinations(x),
    lambda m, x: m.cartesian_prod(x),
    lambda m, x: x.tril() if x.ndim < 2 else x[0].tril(),
    lambda m, x: m.trace(x[0]),
    lambda m, x: m.diag(m.zeros(2, 2, 2)),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors_match_torch(i, torch):
    f = ERRORS[i]
    x = arr(3, 4)
    check_error(lambda: f(ember, ember.tensor(x)), lambda: f(torch, torch.tensor(x)))


def test_dim_errors(torch):
    x = arr(3, 4)
    for f in (lambda m, t: t.transpose(0, 2), lambda m, t: t.squeeze(3),
              lambda m, t: t.unsqueeze(3), lambda m, t: m.cat([t, t], 2),
              lambda m, t: t.diagonal(0, 0, 2)):
        check_error(lambda f=f: f(ember, ember.tensor(x)), lambda f=f: f(torch, torch.tensor(x)),
                    exact=False)


def test_grad_fn_names(torch):
    x = ember.ones(2, 3, requires_grad=True) * 1
    t = torch.ones(2, 3, requires_grad=True) * 1
    for f in (lambda v: v.T, lambda v: v.mT, lambda v: v.t(), lambda v: v.transpose(0, 1),
              lambda v: v.permute(1, 0), lambda v: v.squeeze(), lambda v: v.unsqueeze(0),
              lambda v: v.flatten(), lambda v: v.narrow(0, 0, 1), lambda v: v.select(0, 1),
              lambda v: v.diagonal(), lambda v: v.unfold(0, 1, 1), lambda v: v.expand(2, 2, 3),
              lambda v: v.as_strided((2,), (1,)), lambda v: v.split(1)[0],
              lambda v: v.split([1, 1])[1], lambda v: v.unbind()[0], lambda v: v.flip(0),
              lambda v: v.roll(1), lambda v: v.repeat(2, 1), lambda v: v.rot90(),
              lambda v: v.tril(), lambda v: v.reshape(3, 2)):
        assert f(x).grad_fn.name() == type(f(t).grad_fn).__name__


# ------------------------------------------------------------------ finite differences
GRADCHECK = [
    (lambda x: x.t().reshape(6), [arr(2, 3)]),
    (lambda x: x.permute(2, 0, 1).flatten(1), [arr(2, 3, 2)]),
    (lambda x: x.unfold(1, 2, 1), [arr(2, 4)]),
    (lambda x: x.diagonal(1), [arr(3, 3)]),
    (lambda x: x.as_strided((2, 2), (1, 1), 1), [arr(5)]),
    (lambda x: x.split([1, 2], 1), [arr(2, 3)]),
    (lambda x: x.unbind(0), [arr(2, 3)]),
    (lambda x: x.expand(2, 3, 2), [arr(3, 1)]),
    (lambda x, y: ember.cat([x, y], 1), [arr(2, 1), arr(2, 3)]),
    (lambda x, y: ember.stack([x, y], 1), [arr(2, 3), arr(2, 3)]),
    (lambda x: x.flip(0).roll(1, 1), [arr(2, 3)]),
    (lambda x: x.rot90(1), [arr(2, 3)]),
    (lambda x: x.repeat(2, 1, 2), [arr(2, 3)]),
    (lambda x: x.repeat_interleave(ember.tensor([2, 0, 1]), dim=1), [arr(2, 3)]),
    (lambda x: ember.diag_embed(x, 1), [arr(2, 2)]),
    (lambda x: ember.diag(x), [arr(3)]),
    (lambda x: x.triu(1), [arr(3, 3)]),
    (lambda x: ember.trace(x), [arr(3, 2)]),
    (lambda x, y: ember.meshgrid(x, y, indexing="xy"), [arr(2), arr(3)]),
    (lambda x: ember.combinations(x, 2), [arr(3)]),
    (lambda x: x.squeeze(1).unsqueeze(0).movedim(0, 1), [arr(2, 1, 3)]),
    (lambda x, s: ember.slice_scatter(x, s, 1, 0, 3, 2), [arr(2, 3), arr(2, 2)]),
    (lambda x, s: ember.diagonal_scatter(x, s, -1), [arr(3, 3), arr(2)]),
]


@pytest.mark.parametrize("i", range(len(GRADCHECK)))
def test_gradcheck(i):
    fn, inputs = GRADCHECK[i]
    gradcheck(fn, *inputs)


def test_double_backward_through_views():
    x = ember.tensor(arr(3, 3), requires_grad=True)
    y = (x.diagonal() ** 2).sum() + (x.unfold(0, 2, 1) ** 2).sum()
    (g,) = ember.autograd.grad(y, x, create_graph=True)
    g.sum().backward()
    assert x.grad is not None
    assert ember.autograd.gradgradcheck(lambda t: t.t().diagonal(1) ** 2,
                                        (ember.tensor(arr(3, 3), requires_grad=True),))
