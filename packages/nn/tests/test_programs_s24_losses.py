"""Loss functions against PyTorch, second pass (lane T, session 24): weights that broadcast the
loss beyond the input, NaN probabilities, 0-dim operands, error order for integer logits, and a
seeded fuzz over dtypes, shapes and reductions."""

from __future__ import annotations

import random
import warnings

import numpy as np
import pytest

import ember
import ember.nn.functional  # noqa: F401 - ember.nn.functional for the lib-generic calls

torch = pytest.importorskip("torch")


def _name(dtype) -> str:
    return str(dtype).split(".")[-1]


def _np(t) -> np.ndarray:
    return t.detach().float().numpy() if _name(t.dtype) == "bfloat16" else t.detach().numpy()


def _run(lib, fn):
    """``fn(lib)`` -> (output, leaves), or the exception; with the warnings it raised."""
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        try:
            res = fn(lib)
        except Exception as e:  # noqa: BLE001 - the oracle compares exception types
            res = e
    return res, [str(x.message).replace("torch.", "ember.") for x in w]


def _compare(fn, rtol: float = 1e-6, atol: float = 1e-7) -> None:
    """Same result or same exception type; values, dtype, shape, node name, warnings, grads."""
    (t, tw), (e, ew) = _run(torch, fn), _run(ember, fn)
    assert ew == tw
    if isinstance(t, Exception):
        assert isinstance(e, type(t)), (e, t)
        return
    assert not isinstance(e, Exception), (e, t)
    (to, tl), (eo, el) = t, e
    assert tuple(eo.shape) == tuple(to.shape)
    assert _name(eo.dtype) == _name(to.dtype)
    if _name(to.dtype) in ("float16", "bfloat16"):
        rtol, atol = 1e-2, 1e-2
    np.testing.assert_allclose(_np(eo), _np(to), rtol=rtol, atol=atol, equal_nan=True)
    assert type(eo.grad_fn).__name__ == type(to.grad_fn).__name__
    if not to.requires_grad:
        return
    to.sum().backward()
    eo.sum().backward()
    for a, b in zip(tl, el):
        assert (a.grad is None) == (b.grad is None)
        if a.grad is not None:
            assert _name(b.grad.dtype) == _name(a.grad.dtype)
            half = _name(a.grad.dtype) in ("float16", "bfloat16")
            np.testing.assert_allclose(_np(b.grad), _np(a.grad), rtol=1e-2 if half else rtol,
                                       atol=1e-2 if half else atol)


def _raises_like(fn) -> None:
    """Both raise: the same exception type and message."""
    with pytest.raises(Exception) as te:
        fn(torch)
    with pytest.raises(Exception) as ee:
        fn(ember)
    assert issubclass(ee.type, te.type), (ee.value, te.value)
    assert str(ee.value) == str(te.value).replace("torch.", "ember.")


@pytest.mark.parametrize("fname,kw", [("binary_cross_entropy", "weight"),
                                      ("binary_cross_entropy_with_logits", "weight"),
                                      ("binary_cross_entropy_with_logits", "pos_weight")])
@pytest.mark.parametrize("wshape", [(3, 1, 4), (1, 1, 1), (5, 3, 4)])
@pytest.mark.parametrize("reduction", ["none", "mean"])
def test_bce_weight_broadcasting_beyond_input(fname, kw, wshape, reduction):
    """A weight that would grow the loss past the input's shape: PyTorch's out= error."""
    def call(lib):
        x = lib.full((3, 4), 0.3, requires_grad=True)
        t = lib.full((3, 4), 0.6)
        return getattr(lib.nn.functional, fname)(x, t, reduction=reduction,
                                                 **{kw: lib.ones(wshape)})

    _raises_like(call)


@pytest.mark.parametrize("fname,kw", [("binary_cross_entropy", "weight"),
                                      ("binary_cross_entropy_with_logits", "pos_weight")])
@pytest.mark.parametrize("wshape", [(4,), (3, 1), (1, 4), ()])
def test_bce_weight_broadcasting_within_input(fname, kw, wshape):
    """Weights of the class dim or a column still broadcast into the loss."""
    rng = np.random.default_rng(0)
    x, t, w = rng.uniform(0.05, 0.95, (3, 4)), rng.uniform(0, 1, (3, 4)), rng.uniform(0.5, 2,
                                                                                      wshape)

    def call(lib):
        xt = lib.tensor(x, requires_grad=True)
        return getattr(lib.nn.functional, fname)(xt, lib.tensor(t), **{kw: lib.tensor(w)}), [xt]

    _compare(call, 1e-12, 1e-12)


@pytest.mark.parametrize("bad", [float("nan"), 1.5, -0.1])
def test_bce_input_outside_unit_interval_or_nan(bad):
    """PyTorch's range check also refuses NaN probabilities (a diverged sigmoid)."""
    _raises_like(lambda lib: lib.nn.functional.binary_cross_entropy(
        lib.tensor([0.5, bad]), lib.tensor([1.0, 0.0])))


def test_cross_entropy_zero_dim_class_index_target():
    """Equal (0-dim) shapes mean class probabilities: PyTorch wants a float target."""
    _raises_like(lambda lib: lib.nn.functional.cross_entropy(lib.tensor(1.0), lib.tensor(0)))


@pytest.mark.parametrize("target", ["0.5", "[0]"])
def test_cross_entropy_zero_dim_input_other_targets(target):
    _raises_like(lambda lib: lib.nn.functional.cross_entropy(lib.tensor(1.0),
                                                             lib.tensor(eval(target))))


@pytest.mark.parametrize("fname", ["l1_loss", "mse_loss", "smooth_l1_loss", "huber_loss"])
@pytest.mark.parametrize("xdt,tdt,xshape,tshape", [
    ("float32", "float64", (3,), ()),        # a float64 0-dim target from numpy
    ("float64", "float32", (), (2, 1, 3)),
    ("bfloat16", "float16", (), (3, 1)),
    ("float32", "bfloat16", (), (1, 3)),
    ("float32", "float64", (2, 3), (2, 3)),  # equal shapes: no broadcasting
])
def test_regression_loss_zero_dim_operand_promotes_after_broadcast(fname, xdt, tdt, xshape,
                                                                   tshape):
    """PyTorch broadcasts input and target first, so a 0-dim operand of another float dtype
    promotes like a dimensioned one (float32 prediction, 0-dim float64 target: float64)."""
    rng = np.random.default_rng(5)
    x, t = rng.standard_normal(xshape), rng.standard_normal(tshape)

    def call(lib):  # PyTorch's huber backward refuses mixed dtypes (its bug): forward only
        xt = lib.tensor(x).to(getattr(lib, xdt)).requires_grad_(fname != "huber_loss")
        return getattr(lib.nn.functional, fname)(xt, lib.tensor(t).to(getattr(lib, tdt))), [xt]

    _compare(call, 1e-6, 1e-7)


@pytest.mark.parametrize("xdt", ["int64", "int8", "uint8", "bool"])
@pytest.mark.parametrize("tshape", [(2,), (2, 3)])
def test_cross_entropy_integer_logits_refused_before_batch_size(xdt, tshape):
    """PyTorch runs log_softmax before comparing batch sizes: NotImplementedError first."""
    def call(lib):
        x = lib.zeros((3, 3), dtype=getattr(lib, xdt))
        return lib.nn.functional.cross_entropy(x, lib.zeros(tshape, dtype=lib.float32))

    _raises_like(call)


@pytest.mark.parametrize("tshape", [(1, 3), (2, 1, 3)])
def test_soft_margin_bool_input_refused_before_shape(tshape):
    def call(lib):
        return lib.nn.functional.soft_margin_loss(lib.ones((3, 1), dtype=lib.bool),
                                                  lib.ones(tshape))

    _raises_like(call)


_DT = ["float16", "bfloat16", "float32", "float64"]
_EW = ["l1_loss", "mse_loss", "smooth_l1_loss", "huber_loss", "soft_margin_loss",
       "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div", "poisson_nll_loss",
       "hinge_embedding_loss", "margin_ranking_loss", "nll_loss", "cross_entropy"]


def _fuzz_case(seed: int):
    """A random loss call on random dtypes/shapes (0-dim, empty, broadcast) and kwargs."""
    r, rng = random.Random(seed), np.random.default_rng(seed)
    name = r.choice(_EW)
    dt, red = r.choice(_DT), r.choice(["none", "mean", "sum"])
    s = r.choice([(), (0,), (3,), (2, 3), (0, 3), (1, 4)])
    ts = r.choice([s, s, (), s[-1:]])
    x, y = rng.uniform(0.05, 0.95, s), rng.uniform(0.05, 0.95, ts)
    kw: dict = {"reduction": red}
    if r.random() < 0.15 and name != "huber_loss":
        kw = {"size_average": r.choice([True, False]), "reduce": r.choice([True, False, None])}
    arrs, tdt = [x, y], r.choice([dt, dt, "float32", "float64"])
    if name == "smooth_l1_loss":
        kw["beta"] = r.choice([0.0, 0.5, 1.0])
    elif name == "huber_loss":  # PyTorch's backward refuses mixed dtypes (its bug)
        kw["delta"], tdt = r.choice([0.5, 2.0]), dt
    elif name in ("binary_cross_entropy", "binary_cross_entropy_with_logits"):
        arrs[1], tdt = rng.uniform(0, 1, s), dt
        if r.random() < 0.4:
            kw["weight"] = rng.uniform(0.5, 2, r.choice([s[-1:], (1,) * len(s)]))
        if name.endswith("logits") and r.random() < 0.4:
            kw["pos_weight"] = rng.uniform(0.5, 2, s[-1:])
    elif name == "kl_div":
        kw["log_target"] = r.random() < 0.5
        if "reduction" in kw:
            kw["reduction"] = r.choice(["none", "mean", "sum", "batchmean"])
        arrs[0] = np.log(x)
    elif name == "poisson_nll_loss":
        kw.update(log_input=r.random() < 0.5, full=r.random() < 0.5, eps=r.choice([1e-8, 0.1]))
    elif name == "hinge_embedding_loss":
        arrs[1] = rng.choice([-1.0, 1.0], ts)
    elif name == "margin_ranking_loss":
        arrs = [x, rng.standard_normal(s), rng.choice([-1.0, 1.0], s)]
        kw["margin"] = r.choice([0.0, 0.3])
    elif name in ("nll_loss", "cross_entropy"):
        n, c = r.choice([1, 3]), r.choice([2, 4])
        extra = tuple(r.choice([1, 2]) for _ in range(r.choice([0, 1])))
        arrs, tdt = [rng.standard_normal((n, c) + extra), rng.integers(0, c, (n,) + extra)], None
        if r.random() < 0.3:
            kw["ignore_index"] = 1
        if r.random() < 0.3:
            kw["weight"] = rng.uniform(0.5, 2, c)
        if name == "cross_entropy" and r.random() < 0.3:
            kw["label_smoothing"] = 0.2
    tgrad = tdt is not None and name not in ("hinge_embedding_loss",) and r.random() < 0.3
    return name, arrs, dt, tdt, tgrad, kw


def test_seeded_loss_dtype_shape_fuzz():
    """Three hundred seeded calls across half/bfloat16/float/double, 0-dim and empty inputs,
    broadcast targets, weights and deprecated arguments."""
    for seed in range(300):
        name, arrs, dt, tdt, tgrad, kw = _fuzz_case(seed)

        def call(lib, name=name, arrs=arrs, dt=dt, tdt=tdt, tgrad=tgrad, kw=kw):
            ts = [lib.tensor(arrs[0]).to(getattr(lib, dt)).requires_grad_()]
            for a in arrs[1:]:
                t = lib.tensor(a)
                ts.append(t.to(getattr(lib, tdt)).requires_grad_(tgrad) if tdt else t)
            kw2 = {k: lib.tensor(v).to(getattr(lib, dt)) if isinstance(v, np.ndarray) else v
                   for k, v in kw.items()}
            return getattr(lib.nn.functional, name)(*ts, **kw2), ts

        try:
            _compare(call, 1e-5, 1e-6)
        except AssertionError as err:
            raise AssertionError(f"seed {seed}: {name} {dt}/{tdt} {kw}") from err


@pytest.mark.parametrize("reduction", ["sum", "mean", "batchmean", "none"])
@pytest.mark.parametrize("xshape,tshape", [((2, 3), ()), ((0,), ()), ((0, 3), (3,)),
                                           ((2, 3), (3,))])
def test_kl_div_log_target_broadcast_target_backward(reduction, xshape, tshape):
    """With log_target the input's derivative is ``-exp(target)``: of the target's (smaller)
    shape, it must still be expanded to the loss's before summing back."""
    rng = np.random.default_rng(7)
    x, t = rng.standard_normal(xshape), rng.standard_normal(tshape)

    def call(lib):
        xt, tt = lib.tensor(x, requires_grad=True), lib.tensor(t, requires_grad=True)
        return lib.nn.functional.kl_div(xt, tt, reduction=reduction, log_target=True), [xt, tt]

    _compare(call, 1e-12, 1e-12)


@pytest.mark.parametrize("fname", ["mse_loss", "l1_loss", "smooth_l1_loss"])
def test_size_warning_before_legacy_reduction_warning(fname):
    """PyTorch warns of the target size first, then of size_average/reduce."""
    def call(lib):
        x = lib.zeros(2, 3, requires_grad=True)
        return getattr(lib.nn.functional, fname)(x, lib.ones(3), size_average=True,
                                                 reduce=True), [x]

    _compare(call)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("rg", [(False, False, True), (True, False, True), (False, True, True)])
def test_cosine_embedding_target_requires_grad(reduction, rg):
    """The target only picks a branch: alone it leaves the loss without a graph."""
    rng = np.random.default_rng(8)
    arrs = [rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), np.array([1.0, -1.0, 1.0])]

    def call(lib):
        ts = [lib.tensor(a, requires_grad=r) for a, r in zip(arrs, rg)]
        return lib.nn.functional.cosine_embedding_loss(*ts, margin=0.1,
                                                       reduction=reduction), ts

    _compare(call, 1e-12, 1e-12)


def _mk(fname, shapes, **kw):
    """A call of ``fname`` on uniform tensors of ``shapes`` (for the error-message checks)."""
    def call(lib):
        ts = [lib.full(s, 0.5) for s in shapes]
        kw2 = {k: lib.ones(v) if isinstance(v, tuple) else v for k, v in kw.items()}
        return getattr(lib.nn.functional, fname)(*ts, **kw2)
    return call


@pytest.mark.parametrize("call", [
    _mk("kl_div", [(3, 4), (4, 3)]),
    _mk("poisson_nll_loss", [(3, 4), (4, 3)]),
    _mk("hinge_embedding_loss", [(3, 4), (4, 3)]),
    _mk("binary_cross_entropy_with_logits", [(3, 4), (3, 4)], pos_weight=(3,)),
    _mk("binary_cross_entropy_with_logits", [(3, 4), (3, 4)], weight=(3,)),
    _mk("binary_cross_entropy", [(3, 4), (3, 4)], weight=(3,)),
    _mk("binary_cross_entropy", [(3, 4), (3, 4)], weight=(2, 4)),
    _mk("binary_cross_entropy", [(3, 4), (3, 4)], weight=(3, 2)),
    _mk("triplet_margin_with_distance_loss", [(3, 4)] * 3, margin=-1.0),
    _mk("triplet_margin_with_distance_loss", [(3, 4)] * 3, margin=0.0),
], ids=["kl", "poisson", "hinge", "bcel_pw", "bcel_w", "bce_w", "bce_w2", "bce_w3", "tmd_neg",
        "tmd_0"])
def test_loss_shape_and_argument_messages(call):
    """Shape clashes name the operands in PyTorch's order ("a" is the op's first operand)."""
    _raises_like(call)


def test_multilabel_margin_target_out_of_range_message():
    _raises_like(lambda lib: lib.nn.functional.multilabel_margin_loss(
        lib.zeros(3, 4), lib.full((3, 4), 5)))


@pytest.mark.parametrize("xdt,tdt,wdt", [("float16", "int64", "float32"),
                                         ("bfloat16", "int64", "float64"),
                                         ("float16", "int32", "float32"),
                                         ("float32", "int32", "float64"),
                                         ("float32", "int64", "float64")])
def test_multi_margin_kernel_dtype_before_weight_dtype(xdt, tdt, wdt):
    """PyTorch's CPU kernel refuses half inputs, then an int target, before the weight dtype."""
    def call(lib):
        return lib.nn.functional.multi_margin_loss(
            lib.zeros(3, 4, dtype=getattr(lib, xdt)), lib.tensor([0, 1, 2]).to(getattr(lib, tdt)),
            weight=lib.ones(4, dtype=getattr(lib, wdt)))

    _raises_like(call)
