"""Session 29, lane NS: PyTorch names Ember lacked, compared with torch.

Covers: ``grid_sampler``/``grid_sampler_2d``/``grid_sampler_3d``/``affine_grid_generator``
reachable on ``ember`` after ``ember.nn`` loaded first; the functional multi-layer RNNs
``lstm``/``gru``/``rnn_tanh``/``rnn_relu`` (outputs, projections, batch_first, unbatched,
errors, float64 gradients); ``smm``/``hspmm``/``sspaddmm``/``dsmm`` and ``Tensor.smm``/
``Tensor.sspaddmm`` on sparse COO operands; ``native_norm`` (sparse only); SyncBatchNorm's
CUDA-only kernels and the quantized-tensor methods raising PyTorch's CPU NotImplementedError;
``dequantize`` of a float tensor.
"""

import subprocess
import sys
import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def _err(lib, f):
    try:
        f(lib)
    except Exception as e:  # noqa: BLE001
        return type(e).__name__, str(e).split(" If you are")[0]
    return None


def _same_err(f):
    a, b = _err(torch, f), _err(ember, f)
    assert a is not None and a == b


def test_grid_names_after_nn_import():
    code = ("import ember, ember.nn; print(ember.grid_sampler.__name__, "
            "ember.affine_grid_generator.__name__, ember.grid_sampler_2d.__name__)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       env={"PYTHONPATH": ":".join(sys.path)})
    assert r.stdout.split() == ["grid_sampler", "affine_grid_generator", "grid_sampler_2d"]


def test_grid_sampler_matches():
    rng = np.random.default_rng(0)
    x, g = rng.standard_normal((1, 2, 4, 5)), rng.uniform(-1, 1, (1, 3, 3, 2))
    a = torch.grid_sampler(torch.tensor(x), torch.tensor(g), 0, 1, False)
    b = ember.grid_sampler(ember.tensor(x), ember.tensor(g), 0, 1, False)
    np.testing.assert_array_equal(a.numpy(), b.numpy())


def _params(lib, rng, gates, layers, dirs, bias=True, proj=0, H=4, In=3):
    p = []
    for layer in range(layers):
        for _ in range(dirs):
            inp = In if layer == 0 else (proj or H) * dirs
            shapes = [(gates * H, inp), (gates * H, proj or H)]
            if bias:
                shapes += [(gates * H,), (gates * H,)]
            if proj:
                shapes.append((proj, H))
            p += [lib.tensor(rng.standard_normal(s)) for s in shapes]
    return p


CASES = [
    ("lstm", 4, 2, 2, True, 0, (5, 2, 3), False),
    ("lstm", 4, 1, 1, True, 0, (2, 5, 3), True),
    ("lstm", 4, 1, 1, True, 2, (5, 2, 3), False),
    ("gru", 3, 2, 1, True, 0, (5, 2, 3), False),
    ("rnn_tanh", 1, 1, 2, False, 0, (5, 2, 3), False),
    ("rnn_relu", 1, 1, 1, True, 0, (5, 3), False),
]


def _run_rnn(lib, case, grad=False):
    name, gates, layers, dirs, bias, proj, xs, bf = case
    rng = np.random.default_rng(1)
    x = lib.tensor(rng.standard_normal(xs))
    p = _params(lib, rng, gates, layers, dirs, bias, proj)
    batch = () if len(xs) == 2 else (xs[0] if bf else xs[1],)
    h = lib.tensor(rng.standard_normal((layers * dirs, *batch, proj or 4)))
    c = lib.tensor(rng.standard_normal((layers * dirs, *batch, 4)))
    if grad:
        x.requires_grad_()
        for w in p:
            w.requires_grad_()
    out = getattr(lib, name)(x, (h, c) if name == "lstm" else h, p, bias, layers, 0.0, False,
                             dirs == 2, bf)
    if not grad:
        return [t.detach().numpy() for t in out]
    sum(o.pow(2).sum() for o in out).backward()
    return [x.grad.numpy()] + [w.grad.numpy() for w in p]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_functional_rnn_outputs(case):
    a, b = _run_rnn(torch, case), _run_rnn(ember, case)
    assert [t.shape for t in a] == [t.shape for t in b]
    for u, v in zip(a, b):
        np.testing.assert_allclose(v, u, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CASES[2:4], ids=["lstm_proj", "gru"])
def test_functional_rnn_grads(case):
    for u, v in zip(_run_rnn(torch, case, True), _run_rnn(ember, case, True)):
        np.testing.assert_allclose(v, u, rtol=1e-10, atol=1e-12)


def test_functional_rnn_errors():
    def p(lib, n, gates=4):
        return [lib.zeros(gates * 4, 3 if i % 4 == 0 else 4) if i % 4 < 2 else
                lib.zeros(gates * 4) for i in range(n)]

    x = (5, 2, 3)
    _same_err(lambda t: t.lstm(t.zeros(*x), (t.zeros(4, 2, 4),), p(t, 16), True, 2, 0.0,
                               False, True, False))
    _same_err(lambda t: t.lstm(t.zeros(*x, dtype=t.float64), (t.zeros(4, 2, 4),) * 2,
                               p(t, 3), True, 2, 0.0, False, True, False))
    _same_err(lambda t: t.gru(t.zeros(*x), t.zeros(2, 2, 4), p(t, 4, 3), True, 1, 0.0, False,
                              True, False))


def _sparse(lib):
    s = lib.sparse_coo_tensor(lib.tensor([[1, 0, 1], [2, 0, 2]]), lib.tensor([3., 4., 5.]),
                              (3, 3))
    S = lib.sparse_coo_tensor(lib.tensor([[0, 1], [0, 1]]), lib.tensor([1., 2.]), (3, 2))
    return s, S, lib.arange(6.).reshape(3, 2)


def _coo(t):
    return (t.layout == getattr(type(t), "layout", None) or str(t.layout).split(".")[-1],
            t._indices().tolist(), t._values().tolist(), tuple(t.shape), t.is_coalesced())


@pytest.mark.parametrize("op", ["smm", "tsmm", "hspmm", "sspaddmm", "tsspaddmm"])
def test_sparse_products(op):
    def run(lib):
        s, S, d = _sparse(lib)
        return {"smm": lambda: lib.smm(s, d), "tsmm": lambda: s.smm(d),
                "hspmm": lambda: lib.hspmm(s, d),
                "sspaddmm": lambda: lib.sspaddmm(S, s, d, beta=2, alpha=3),
                "tsspaddmm": lambda: S.sspaddmm(s, d)}[op]()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a, b = run(torch), run(ember)
    assert b.is_sparse and a.is_sparse
    assert _coo(a)[1:] == _coo(b)[1:]


def test_dsmm_and_native_norm():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (s, _, d), (es, _, ed) = _sparse(torch), _sparse(ember)
    np.testing.assert_array_equal(torch.dsmm(s, d).numpy(), ember.dsmm(es, ed).numpy())
    for p in (2, 3):
        assert torch.native_norm(s, p).item() == pytest.approx(ember.native_norm(es, p).item(),
                                                               rel=1e-6)


def test_sparse_product_errors():
    def d(lib):
        return lib.zeros(3, 2)

    _same_err(lambda t: t.hspmm(d(t), d(t)))
    _same_err(lambda t: t.hspmm(_sparse(t)[0], d(t)[:2]))
    _same_err(lambda t: t.hspmm(_sparse(t)[0], d(t).double()))
    _same_err(lambda t: t.sspaddmm(_sparse(t)[1], _sparse(t)[0].to_dense(), d(t)))


@pytest.mark.parametrize("name", ["batch_norm_stats", "batch_norm_elemt",
                                  "batch_norm_gather_stats",
                                  "batch_norm_gather_stats_with_counts",
                                  "batch_norm_backward_reduce", "batch_norm_backward_elemt",
                                  "native_norm"])
def test_cuda_only_kernels_refuse_cpu(name):
    args = {"batch_norm_stats": lambda t, x, m: (x, 1e-5),
            "batch_norm_elemt": lambda t, x, m: (x, None, None, m, m, 1e-5),
            "batch_norm_gather_stats": lambda t, x, m: (x, m[None], m[None], None, None, 0.1,
                                                        1e-5, 7),
            "batch_norm_gather_stats_with_counts": lambda t, x, m: (
                x, m[None], m[None], None, None, 0.1, 1e-5, t.tensor([3.])),
            "batch_norm_backward_reduce": lambda t, x, m: (x, x, m, m, None, True, True, True),
            "batch_norm_backward_elemt": lambda t, x, m: (x, x, m, m, None, m, m,
                                                          t.tensor([3])),
            "native_norm": lambda t, x, m: (x,)}[name]
    _same_err(lambda t: getattr(t, name)(*args(t, t.ones(2, 3, 4), t.zeros(3))))


@pytest.mark.parametrize("name", ["int_repr", "q_scale", "q_zero_point", "q_per_channel_scales",
                                  "q_per_channel_zero_points", "q_per_channel_axis", "qscheme"])
def test_quantized_methods_refuse_float(name):
    _same_err(lambda t: getattr(t.ones(2), name)())
    if name != "qscheme":
        _same_err(lambda t: getattr(t, name)(t.ones(2)))


def test_dequantize_float():
    for lib in (torch, ember):
        x = lib.ones(3, requires_grad=True)
        y = x.dequantize()
        assert y.requires_grad and y.dtype == x.dtype
        assert lib.dequantize(x).tolist() == [1.0, 1.0, 1.0]
    _same_err(lambda t: t.dequantize([t.ones(2)]))


def test_functional_rnn_node_names():
    def names(lib, dt, name, gates, dirs, bf):
        p = []
        for _ in range(dirs):
            p += [lib.ones(gates * 4, 3, dtype=dt, requires_grad=True),
                  lib.ones(gates * 4, 4, dtype=dt), lib.ones(gates * 4, dtype=dt),
                  lib.ones(gates * 4, dtype=dt)]
        h = lib.zeros(dirs, 2 if bf else 5, 4, dtype=dt)
        out = getattr(lib, name)(lib.ones(2, 5, 3, dtype=dt), (h, h) if name == "lstm" else h,
                                 p, True, 1, 0.0, False, dirs == 2, bf)
        return [type(o.grad_fn).__name__ for o in out]

    for dt in ("float64", "float32"):
        for case in [("lstm", 4, 1, False), ("lstm", 4, 2, True), ("gru", 3, 1, False),
                     ("rnn_tanh", 1, 2, False)]:
            assert (names(torch, getattr(torch, dt), *case)
                    == names(ember, getattr(ember, dt), *case))


def test_slice_inverse():
    def run(lib):
        b = lib.arange(24., dtype=lib.float64, requires_grad=True)
        x = (b * 1).view(6, 4)[1:4]
        src = lib.zeros(6, 4, dtype=lib.float64, requires_grad=True)
        r = x.slice_inverse(src, 0, 1, 4, 1)
        r.backward(lib.arange(24., dtype=lib.float64).reshape(6, 4))
        y = lib.arange(12.).reshape(3, 4)
        r2 = lib.slice_inverse(y, lib.zeros(3, 2), dim=1, start=0, end=2)
        return (r.tolist(), tuple(r.stride()), r.storage_offset(), type(r.grad_fn).__name__,
                b.grad.tolist(), src.grad.tolist(), r2.tolist(), tuple(r2.stride()))

    assert run(torch) == run(ember)
    _same_err(lambda t: t.arange(12.).reshape(3, 4).slice_inverse(t.zeros(6, 4), 0, 1, 3, 1))
