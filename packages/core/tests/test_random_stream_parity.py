"""Random streams against PyTorch, bit for bit: the same program under the same seed must
draw the same numbers in Ember and in PyTorch (float16/bfloat16/float32/float64 and integer
dtypes, non-contiguous outputs, interleaved draws from the global and explicit generators).

Each test runs one small program twice, once with ``torch`` and once with ``ember`` as the
library, and compares every value exactly (NaNs and the sign of zero included).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import ember

FLOATS = ["float16", "bfloat16", "float32", "float64"]


def _np(x):
    if isinstance(x, (list, tuple)):
        return [_np(v) for v in x]
    if isinstance(x, dict):
        return {k: _np(v) for k, v in x.items()}
    if hasattr(x, "detach"):
        x = x.detach()
        if str(x.dtype).split(".")[-1] in ("float16", "bfloat16"):
            x = x.float()
        return np.asarray(x.cpu().numpy() if hasattr(x, "cpu") else x.numpy())
    return np.asarray(x)


def _equal(a, b, where="out"):
    if isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _equal(x, y, f"{where}[{i}]")
        return
    if isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            _equal(a[k], b[k], f"{where}[{k}]")
        return
    assert a.shape == b.shape, (where, a.shape, b.shape)
    if a.dtype.kind == "f" or b.dtype.kind == "f":
        a64, b64 = a.astype(np.float64), b.astype(np.float64)
        bad = ~((a64 == b64) & (np.signbit(a64) == np.signbit(b64))
                | (np.isnan(a64) & np.isnan(b64)))
        assert not bad.any(), (where, int(bad.sum()), a64[bad][:4], b64[bad][:4])
    else:
        np.testing.assert_array_equal(a, b, err_msg=where)


def _same(torch, program, seeds=(0, 7)):
    """Run ``program(lib)`` after ``lib.manual_seed(seed)`` in both libraries; compare."""
    for seed in seeds:
        torch.manual_seed(seed)
        want = _np(program(torch))
        ember.manual_seed(seed)
        got = _np(program(ember))
        _equal(got, want, f"seed={seed}")


def _layout(lib, n, dtype, layout):
    dt = getattr(lib, dtype)
    if layout == "contiguous":
        return lib.empty(n, dtype=dt)
    if layout == "transposed":
        return lib.empty(3, n, dtype=dt).t()
    if layout == "strided":
        return lib.empty(2 * n, dtype=dt)[::2]
    return lib.empty(n, 4, dtype=dt)[:, 1:3]  # a column slice


# ---------------------------------------------------------------------- in-place samplers
FILLS = [("exponential_", ()), ("exponential_", (0.37,)), ("geometric_", (0.3,)),
         ("cauchy_", ()), ("cauchy_", (0.3, 0.7)), ("log_normal_", ()),
         ("log_normal_", (0.3, 0.7)), ("uniform_", ()), ("uniform_", (-3.0, 5.5)),
         ("uniform_", (-1e-3, 7.3)), ("normal_", ()), ("normal_", (0.1, 0.3)),
         ("bernoulli_", ()), ("bernoulli_", (0.3,)), ("random_", ()), ("random_", (10,)),
         ("random_", (-5, 100))]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("op,args", FILLS, ids=[f"{o}{a}" for o, a in FILLS])
def test_inplace_fill_streams(torch, op, args, dtype):
    def program(lib):
        out = []
        for n in (1, 7, 15, 16, 17, 33, 100, 1000):
            t = lib.empty(n, dtype=getattr(lib, dtype))
            getattr(t, op)(*args)
            out.append(t.clone())
        out.append(lib.rand(3))  # the stream position after them
        return out

    _same(torch, program)


@pytest.mark.parametrize("layout", ["transposed", "strided", "column"])
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("op,args", FILLS[::2], ids=[f"{o}{a}" for o, a in FILLS[::2]])
def test_inplace_fill_non_contiguous(torch, op, args, dtype, layout):
    def program(lib):
        out = []
        for n in (7, 16, 17, 100):
            t = _layout(lib, n, dtype, layout)
            getattr(t, op)(*args)
            out.append(t.clone())
        return out

    _same(torch, program)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_libm_transforms_on_large_tensors(torch, dtype):
    """exp/log/log1p/tan of the serial kernels are the C library's, for any size."""
    def program(lib):
        out = []
        for op, args in (("exponential_", ()), ("log_normal_", (0.3, 0.7)),
                         ("cauchy_", (0.3, 0.7)), ("geometric_", (1e-5,)), ("normal_", ())):
            t = lib.empty(4099, dtype=getattr(lib, dtype))
            out.append(getattr(t, op)(*args))
            out.append(getattr(lib.empty(3, 700, dtype=getattr(lib, dtype)).t(), op)(*args))
        return out

    _same(torch, program, seeds=(0,))


@pytest.mark.parametrize("dtype", FLOATS)
def test_uniform_value_rounding_to_to_wraps_to_from(torch, dtype):
    # seed 0 draws three 24-bit values within 64 of 2**24 in its first 1.7M draws: float32
    # rounds them to 101, which PyTorch maps back to 100; 16-bit floats do this often
    g = ember.Generator().manual_seed(0)
    near_one = np.flatnonzero((g.random_u32(1_700_000) & 0xFFFFFF) >= 2**24 - 64)
    assert near_one.size >= 3
    n = int(near_one[2]) + 1 if dtype == "float32" else 5000

    def program(lib):
        return [lib.empty(n, dtype=getattr(lib, dtype)).uniform_(100.0, 101.0),
                lib.empty(5000, dtype=getattr(lib, dtype)).uniform_(-1e-3, 7.302)]

    _same(torch, program, seeds=(0,))


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_normal_half_blocks(torch, dtype):
    """16-bit normal_ on 16+ contiguous values: float32 blocks of 16, the last one straight
    after the others and written over the last 16 values."""
    def program(lib):
        dt = getattr(lib, dtype)
        return [lib.randn(n, dtype=dt) for n in (15, 16, 17, 31, 33, 100, 4099)] + [
            lib.empty(50, dtype=dt).normal_(0.1, 0.3), lib.randn(40, dtype=dt)[::2],
            lib.randn_like(lib.zeros(3, 20, dtype=dt).t())]

    _same(torch, program)


# ---------------------------------------------------------------------- integers
INT_DTYPES = ["int64", "int32", "int16", "int8", "uint8", "bool"]
RANGES = [(None, None), (0, 2), (3, None), (-5, 5), (0, 200), (0, 2**28 - 1), (0, 2**28),
          (5, 2**30 + 7), (-(2**27), 2**27), (0, 2**40), (-(2**63), None)]


def _random_program(dtype, lo, hi):
    def program(lib):
        t = lib.empty(3, 33, dtype=getattr(lib, dtype))
        if lo is None:
            return [t.random_(), lib.rand(2)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return [t.random_(lo, hi) if hi is not None else t.random_(lo, None),
                    t.t().random_(lo, hi) if hi is not None else t.t().random_(lo, None),
                    lib.rand(2)]
    return program


@pytest.mark.parametrize("dtype", INT_DTYPES + FLOATS)
@pytest.mark.parametrize("lo,hi", RANGES)
def test_random_ranges(torch, dtype, lo, hi):
    program = _random_program(dtype, lo, hi)
    try:
        torch.manual_seed(0)
        program(torch)
    except (RuntimeError, NotImplementedError) as e:
        with pytest.raises(type(e)) as info:
            program(ember)
        assert str(info.value) == str(e).split("\n")[0]
        return
    _same(torch, program)


def test_random_float_out_of_exact_range_warns(torch):
    t = ember.empty(3)
    with pytest.warns(UserWarning, match=r"to - 1 is out of bounds \[-\(2\^24\), 2\^24\]"):
        t.random_(0, 2**40)


@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "uint8", "float32", "float64"])
def test_randint_and_like(torch, dtype):
    def program(lib):
        dt = getattr(lib, dtype)
        out = [lib.randint(0, 7, (n,), dtype=dt) for n in (1, 17, 100)]
        out.append(lib.randint(-3 if dtype != "uint8" else 3, 120, (5, 4), dtype=dt))
        if dtype in ("int64", "int32", "float64"):
            out.append(lib.randint(0, 2**29, (9,), dtype=dt))
        out.append(lib.randint_like(lib.zeros(3, 20, dtype=dt).t(), 2))
        out.append(lib.randint(0, 5, (4,), generator=lib.Generator().manual_seed(3)))
        return out

    _same(torch, program)


@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "uint8", "float16", "bfloat16",
                                   "float32", "float64"])
def test_randperm(torch, dtype):
    def program(lib):
        dt = getattr(lib, dtype)
        out = [lib.randperm(n, dtype=dt) for n in (1, 10, 200)]
        out.append(lib.randperm(100_000 if dtype in ("int64", "int32", "float32", "float64")
                                else 255, dtype=dt))
        return out + [lib.randperm(30, generator=lib.Generator().manual_seed(5)), lib.rand(2)]

    _same(torch, program, seeds=(0,))


@pytest.mark.parametrize("n,dtype", [(129, "int8"), (32769, "int16"), (257, "uint8"),
                                     (3000, "float16"), (2**24 + 3, "float32"), (3, "bool")])
def test_randperm_limits(torch, n, dtype):
    with pytest.raises((RuntimeError, NotImplementedError)) as want:
        torch.randperm(n, dtype=getattr(torch, dtype))
    with pytest.raises(want.type, match=None) as got:
        ember.randperm(n, dtype=getattr(ember, dtype))
    assert str(got.value) == str(want.value).split("\n")[0]


# ---------------------------------------------------------------------- functional forms
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_functional_samplers(torch, dtype):
    def program(lib):
        dt = getattr(lib, dtype)
        p = lib.linspace(0.05, 0.95, 60, dtype=dt).reshape(20, 3)
        g = lib.Generator().manual_seed(11)
        return [
            lib.bernoulli(p), lib.bernoulli(p.t()), lib.bernoulli(p, 0.4),
            lib.bernoulli(p, generator=g), lib.empty(3, 20, dtype=dt).t().bernoulli_(p),
            lib.empty(4, 20, 3, dtype=dt).bernoulli_(p[:, :1]),
            lib.poisson(lib.linspace(0, 40, 60, dtype=dt).reshape(20, 3).t()),
            lib.binomial(lib.full((20, 3), 30.0, dtype=dt), p),
            lib.normal(lib.zeros(20, 1, dtype=dt), lib.ones(1, 3, dtype=dt)),
            lib.normal(lib.arange(17, dtype=dt), 0.3), lib.normal(1.0, lib.ones(17, dtype=dt)),
            lib.normal(2.0, 3.0, (33,), dtype=dt),
            lib.rand_like(lib.zeros(3, 20, dtype=dt).t()),
            lib.randn_like(lib.zeros(2, 3, 4, 17, dtype=dt).contiguous(
                memory_format=lib.channels_last)),
            lib._standard_gamma(lib.linspace(0.01, 20, 200, dtype=dt)),
            lib._sample_dirichlet(lib.linspace(0.01, 5, 90, dtype=dt).reshape(30, 3)),
            lib.rand(2),
        ]

    _same(torch, program)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_multinomial(torch, dtype):
    def program(lib):
        dt = getattr(lib, dtype)
        w1, w2 = lib.rand(5000, dtype=dt), lib.rand(4, 100, dtype=dt)
        return [lib.multinomial(w1, 1), lib.multinomial(w1, 3), lib.multinomial(w1, 50, True),
                lib.multinomial(w2, 1, True), lib.multinomial(w2, 7), lib.multinomial(w2, 9, True),
                lib.multinomial(lib.rand(6, 4, dtype=dt).t(), 3),  # drawn in memory order
                lib.multinomial(w2, 2, generator=lib.Generator().manual_seed(9)), lib.rand(2)]

    _same(torch, program)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_factory_out_fills_in_place(torch, dtype):
    """``out=`` of matching shape is filled in its own memory order, through to its base."""
    def program(lib):
        dt = getattr(lib, dtype)
        bases = [lib.zeros(20, 3, dtype=dt) for _ in range(4)]
        lib.rand(3, 20, out=bases[0].t())
        lib.randn(3, 20, out=bases[1].t())
        lib.normal(0.5, 0.3, (3, 20), out=bases[2].t())
        lib.randint(0, 9, (3, 20), out=bases[3].t())
        return bases

    _same(torch, program)


def test_randn_complex(torch):
    def program(lib):
        return [lib.view_as_real(lib.randn(n, dtype=lib.complex64)) for n in (3, 8, 20)] + [
            lib.view_as_real(lib.rand(7, dtype=lib.complex128))]

    _same(torch, program)


# ---------------------------------------------------------------------- generators
def test_generator_interleaving_and_state(torch):
    def program(lib):
        g = lib.Generator().manual_seed(1)
        out = [lib.get_rng_state(), g.get_state(), np.asarray(g.initial_seed())]
        for _ in range(3):
            out += [lib.rand(2), lib.randn(3, generator=g), lib.randint(0, 10, (4,), generator=g),
                    lib.randn(17), lib.rand(1, generator=g),
                    lib.multinomial(lib.ones(5), 3, generator=g), lib.randn(1)]
            out += [lib.get_rng_state(), g.get_state()]
        s = lib.get_rng_state()
        a = [lib.randn(5), lib.rand(3)]
        lib.set_rng_state(s)
        out += a + [lib.randn(5), lib.rand(3)]
        with lib.random.fork_rng():
            out.append(lib.rand(3))
        out.append(lib.rand(3))
        out.append(lib.rand(2, generator=lib.Generator().manual_seed(2**63 + 5)))
        return out

    _same(torch, program)


def test_state_exchange_with_torch(torch):
    torch.manual_seed(3)
    torch.rand(5), torch.randn(3)  # leaves a cached normal in the state
    ember.set_rng_state(ember.tensor(torch.get_rng_state().numpy()))
    _equal(_np(ember.randn(40)), _np(torch.randn(40)))
    ember.manual_seed(4)
    ember.rand(5), ember.randn(1, dtype=ember.float64)
    torch.set_rng_state(torch.from_numpy(np.array(ember.get_rng_state().numpy())))
    _equal(_np(ember.randn(1, dtype=ember.float64)), _np(torch.randn(1, dtype=torch.float64)))
    _equal(_np(ember.rand(9)), _np(torch.rand(9)))


# ---------------------------------------------------------------------- distributions
DISTS = {
    "Gamma": lambda D, t: D.Gamma(t([0.5, 1.0, 3.0, 20.0]), t([1.0, 2.0, 0.5, 1.0])),
    "Beta": lambda D, t: D.Beta(t([0.5, 2.0, 3.0]), t([0.7, 2.0, 9.0])),
    "Dirichlet": lambda D, t: D.Dirichlet(t([[0.5, 2.0, 3.0], [1.0, 1.0, 1.0]])),
    "Chi2": lambda D, t: D.Chi2(t([1.0, 4.0, 10.5])),
    "StudentT": lambda D, t: D.StudentT(t([1.0, 4.0, 10.5]), t([0.0, 1.0, -2.0])),
    "Poisson": lambda D, t: D.Poisson(t([0.5, 4.0, 30.0])),
    "Binomial": lambda D, t: D.Binomial(t([10.0, 50.0, 200.0]), t([0.2, 0.5, 0.9])),
    "Geometric": lambda D, t: D.Geometric(t([0.2, 0.5, 0.9])),
    "Exponential": lambda D, t: D.Exponential(t([0.2, 1.0, 3.3])),
    "Cauchy": lambda D, t: D.Cauchy(t([0.0, 1.0, -3.3]), t([1.0, 0.3, 2.0])),
    "Normal": lambda D, t: D.Normal(t([0.0, 1.0, -3.3] * 7), t([1.0, 0.3, 2.0] * 7)),
    "Categorical": lambda D, t: D.Categorical(t([[0.1, 0.2, 0.3, 0.4], [1.0, 0.0, 0.5, 2.0]])),
    "OneHotCategorical": lambda D, t: D.OneHotCategorical(t([0.1, 0.2, 0.3, 0.4])),
    "Multinomial": lambda D, t: D.Multinomial(10, t([0.1, 0.2, 0.3, 0.4])),
    "Uniform": lambda D, t: D.Uniform(t([0.0, -1.0, 3.0]), t([1.0, 1.0, 7.5])),
    "Bernoulli": lambda D, t: D.Bernoulli(t([0.1, 0.5, 0.9])),
    "HalfNormal": lambda D, t: D.HalfNormal(t([0.1, 0.5, 0.9])),
    "FisherSnedecor": lambda D, t: D.FisherSnedecor(t([1.0, 4.0]), t([3.0, 10.0])),
    "NegativeBinomial": lambda D, t: D.NegativeBinomial(t([3.0, 10.0]), t([0.3, 0.7])),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(DISTS))
def test_distribution_samples(torch, name, dtype):
    def program(lib):
        d = DISTS[name](lib.distributions, lambda v: lib.tensor(v, dtype=getattr(lib, dtype)))
        out = [d.sample(), d.sample((5,)), d.sample((3, 17))]
        if d.has_rsample:
            out.append(d.rsample((4,)))
        return out + [lib.rand(2)]

    _same(torch, program)


# ---------------------------------------------------------------------- data
def test_samplers_and_loader_order(torch):
    def program(lib):
        U = lib.utils.data
        d = list(range(37))
        g = lib.Generator().manual_seed(42)
        out = [list(U.RandomSampler(d)), list(U.RandomSampler(d, replacement=True)),
               list(U.RandomSampler(d, num_samples=80)), list(U.RandomSampler(d, generator=g)),
               list(U.SubsetRandomSampler(d[::3])),
               list(U.WeightedRandomSampler([i % 5 + 1.0 for i in d], 50)),
               list(U.WeightedRandomSampler([i % 5 + 1.0 for i in d], 20, replacement=False))]
        out += [list(p.indices) for p in U.random_split(d, [0.3, 0.3, 0.4])]
        out += [list(p.indices) for p in U.random_split(d, [30, 7], generator=g)]
        loader = U.DataLoader(U.TensorDataset(lib.arange(37)), batch_size=5, shuffle=True)
        for _ in range(3):
            out.append(lib.cat([b[0] for b in loader]))
        loader = U.DataLoader(U.TensorDataset(lib.arange(37)), batch_size=4, shuffle=True,
                              generator=lib.Generator().manual_seed(5), drop_last=True)
        for _ in range(2):
            out.append(lib.cat([b[0] for b in loader]))
        return [np.asarray(v) if isinstance(v, list) else v for v in out] + [lib.rand(2)]

    _same(torch, program)


# ---------------------------------------------------------------------- nn
@pytest.mark.parametrize("p", [0.3, 0.55])
@pytest.mark.parametrize("dtype", FLOATS)
def test_dropout_and_rrelu(torch, dtype, p):
    pytest.importorskip("ember.nn")

    def program(lib):
        F = lib.nn.functional
        x = lib.tensor(np.linspace(-2, 2, 120).reshape(2, 3, 4, 5)).to(getattr(lib, dtype))
        y, z = x.clone(), x.clone()
        F.dropout(y, p, True, inplace=True)
        F.alpha_dropout(z, p, True, inplace=True)
        out = [F.dropout(x, p, True), F.alpha_dropout(x, p, True), F.dropout2d(x, p, True),
               F.dropout3d(x, p, True), F.feature_alpha_dropout(x, p, True),
               F.dropout1d(x[0], p, True), y, z, F.dropout(x.permute(3, 2, 1, 0), p, True)]
        if dtype in ("float32", "float64"):
            r = lib.linspace(-3, 3, 33, dtype=getattr(lib, dtype))
            m = lib.nn.RReLU()
            m.train()
            out += [m(r), F.rrelu(r, 0.1, 0.3, training=True)]
        return out

    _same(torch, program)


INITS = [
    ("uniform_", lambda init, t: init.uniform_(t, -2, 3)), ("normal_", lambda init, t: init.normal_(t, 1, .3)),
    ("xavier_uniform_", lambda init, t: init.xavier_uniform_(t)),
    ("xavier_normal_", lambda init, t: init.xavier_normal_(t, gain=1.7)),
    ("kaiming_uniform_", lambda init, t: init.kaiming_uniform_(t, a=math.sqrt(5))),
    ("kaiming_normal_", lambda init, t: init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu")),
    ("trunc_normal_", lambda init, t: init.trunc_normal_(t, 0.5, 0.2, -1.0, 1.0)),
    ("sparse_", lambda init, t: init.sparse_(t.view(t.shape[0], -1), 0.3)),
]


@pytest.mark.parametrize("shape", [(16, 8), (17, 3), (6, 4, 3, 3)])
@pytest.mark.parametrize("name", [n for n, _ in INITS])
def test_init(torch, name, shape):
    pytest.importorskip("ember.nn")
    call = dict(INITS)[name]

    def program(lib):
        t = lib.empty(*shape)
        call(lib.nn.init, t)
        return [t, lib.rand(2)]

    _same(torch, program)


LAYERS = {
    "Linear": lambda nn: nn.Linear(17, 16), "Bilinear": lambda nn: nn.Bilinear(4, 5, 3),
    "Conv2d": lambda nn: nn.Conv2d(4, 8, (3, 2), groups=2),
    "ConvTranspose3d": lambda nn: nn.ConvTranspose3d(2, 3, 2),
    "Embedding": lambda nn: nn.Embedding(10, 4, padding_idx=2),
    "EmbeddingBag": lambda nn: nn.EmbeddingBag(10, 4),
    "LSTM": lambda nn: nn.LSTM(4, 6, 2, proj_size=3, bidirectional=True),
    "GRUCell": lambda nn: nn.GRUCell(4, 5),
    "MultiheadAttention": lambda nn: nn.MultiheadAttention(8, 2, kdim=5, vdim=3,
                                                           add_bias_kv=True),
    "Transformer": lambda nn: nn.Transformer(8, 2, 1, 1, 16),
    "PReLU": lambda nn: nn.PReLU(3), "GroupNorm": lambda nn: nn.GroupNorm(2, 4),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_default_layer_init(torch, name):
    pytest.importorskip("ember.nn")

    def program(lib):
        sd = dict(LAYERS[name](lib.nn).state_dict())
        sd["after"] = lib.rand(3)
        return sd

    _same(torch, program)
