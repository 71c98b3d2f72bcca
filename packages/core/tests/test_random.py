"""Random generators and samplers: PyTorch's CPU streams value for value, and the
other samplers by distribution and determinism."""

from __future__ import annotations

import pickle
import threading

import numpy as np
import pytest

import ember
from ember.testing import assert_close

SIZES = [1, 5, 15, 16, 17, 100, 1000]
FLOATS = ["float32", "float64"]


def _same(e, t, ulps: int = 0):
    """Equal values (and dtype) to PyTorch's; ``ulps`` allows last-bit differences."""
    a, b = e.numpy(), t.numpy()
    assert str(a.dtype) == str(t.dtype).replace("torch.", ""), (a.dtype, t.dtype)
    assert a.shape == b.shape
    if ulps == 0 or a.dtype.kind not in "f":
        np.testing.assert_array_equal(a, b)
    else:
        sp = np.spacing(np.abs(b).astype(b.dtype))
        assert (np.abs(a - b) <= ulps * sp).all()
        assert (a == b).mean() > 0.99


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("n", SIZES)
def test_rand_randn_streams(torch, n, dtype):
    for seed in (0, 1234):
        torch.manual_seed(seed)
        ember.manual_seed(seed)
        _same(ember.rand(n, dtype=getattr(ember, dtype)), torch.rand(n, dtype=getattr(torch, dtype)))
        _same(ember.randn(n, dtype=getattr(ember, dtype)),
              torch.randn(n, dtype=getattr(torch, dtype)), ulps=1)
        # the stream stays in step: a second draw matches too
        _same(ember.randn(3, 2, dtype=getattr(ember, dtype)),
              torch.randn(3, 2, dtype=getattr(torch, dtype)), ulps=1)
        _same(ember.rand(2, 3), torch.rand(2, 3))


@pytest.mark.parametrize("n", SIZES)
def test_randint_randperm_streams(torch, n):
    torch.manual_seed(7)
    ember.manual_seed(7)
    _same(ember.randint(0, 10, (n,)), torch.randint(0, 10, (n,)))
    _same(ember.randint(10, (n,)), torch.randint(10, (n,)))
    _same(ember.randint(-5, 2**40, (n,)), torch.randint(-5, 2**40, (n,)))  # 64-bit draws
    _same(ember.randint(3, 300, (n,), dtype=ember.int32), torch.randint(3, 300, (n,),
                                                                       dtype=torch.int32))
    _same(ember.randint(0, 2**33, (n,), dtype=ember.float64),
          torch.randint(0, 2**33, (n,), dtype=torch.float64))
    _same(ember.randperm(n), torch.randperm(n))
    _same(ember.randperm(n, dtype=ember.float32), torch.randperm(n, dtype=torch.float32))
    _same(ember.rand(4), torch.rand(4))


def test_randperm_large_and_edge(torch):
    for n in (0, 1, 2, 3, 100_000):
        torch.manual_seed(n)
        ember.manual_seed(n)
        _same(ember.randperm(n), torch.randperm(n))
    with pytest.raises(RuntimeError):
        ember.randperm(-1)


def test_mixed_sequence_and_generator(torch):
    for src in ("default", "generator"):
        tg = torch.Generator().manual_seed(42)
        eg = ember.Generator().manual_seed(42)
        torch.manual_seed(3)
        ember.manual_seed(3)
        kw_t = {"generator": tg} if src == "generator" else {}
        kw_e = {"generator": eg} if src == "generator" else {}
        for _ in range(2):
            _same(ember.rand(5, **kw_e), torch.rand(5, **kw_t))
            _same(ember.randn(3, **kw_e), torch.randn(3, **kw_t), ulps=1)  # leaves a cached value
            _same(ember.randn(1, dtype=ember.float64, **kw_e),
                  torch.randn(1, dtype=torch.float64, **kw_t))
            _same(ember.randint(0, 7, (6,), **kw_e), torch.randint(0, 7, (6,), **kw_t))
            _same(ember.randperm(9, **kw_e), torch.randperm(9, **kw_t))
            _same(ember.randn(33, **kw_e), torch.randn(33, **kw_t), ulps=1)
            _same(ember.rand(2, dtype=ember.float64, **kw_e),
                  torch.rand(2, dtype=torch.float64, **kw_t))


@pytest.mark.parametrize("dtype", FLOATS)
def test_inplace_streams(torch, dtype):
    td, ed = getattr(torch, dtype), getattr(ember, dtype)
    torch.manual_seed(11)
    ember.manual_seed(11)
    for n in (5, 17, 64):
        _same(ember.empty(n, dtype=ed).uniform_(-3.7, 11.3), torch.empty(n, dtype=td).uniform_(-3.7, 11.3))
        _same(ember.empty(n, dtype=ed).normal_(2.5, 3.5), torch.empty(n, dtype=td).normal_(2.5, 3.5),
              ulps=1)
        _same(ember.empty(n, dtype=ed).bernoulli_(0.3), torch.empty(n, dtype=td).bernoulli_(0.3))
        _same(ember.empty(n, dtype=ed).exponential_(2.0), torch.empty(n, dtype=td).exponential_(2.0),
              ulps=1)
        _same(ember.empty(n, dtype=ed).cauchy_(1.0, 2.0), torch.empty(n, dtype=td).cauchy_(1.0, 2.0),
              ulps=2)
        _same(ember.empty(n, dtype=ed).geometric_(0.3), torch.empty(n, dtype=td).geometric_(0.3))
        _same(ember.empty(n, dtype=ed).log_normal_(0.5, 0.7),
              torch.empty(n, dtype=td).log_normal_(0.5, 0.7), ulps=2)
        _same(ember.empty(n, dtype=ed).random_(3, 20), torch.empty(n, dtype=td).random_(3, 20))
        _same(ember.empty(n, dtype=ed).random_(), torch.empty(n, dtype=td).random_())


def test_random_integer_dtypes(torch):
    torch.manual_seed(5)
    ember.manual_seed(5)
    for name in ("int64", "int32", "int16", "int8", "uint8", "bool"):
        _same(ember.empty(7, dtype=getattr(ember, name)).random_(),
              torch.empty(7, dtype=getattr(torch, name)).random_())
    _same(ember.empty(7, dtype=ember.int64).random_(10), torch.empty(7, dtype=torch.int64).random_(10))
    _same(ember.empty(7, dtype=ember.int64).random_(-2**63, None),
          torch.empty(7, dtype=torch.int64).random_(-2**63, None))
    with pytest.raises(RuntimeError):
        ember.empty(3, dtype=ember.int64).random_(-5)  # one number is `to`
    _same(ember.empty(7, dtype=ember.int16).random_(5, None),
          torch.empty(7, dtype=torch.int16).random_(5, None))
    with pytest.raises(RuntimeError):
        ember.empty(3, dtype=ember.uint8).random_(0, 300)
    with pytest.raises(RuntimeError):
        ember.randint(5, 5, (2,))


def test_noncontiguous_fill_follows_memory_order(torch):
    torch.manual_seed(2)
    ember.manual_seed(2)
    t, e = torch.zeros(4, 6), ember.zeros(4, 6)
    t.t().uniform_()
    e.t().uniform_()
    _same(e, t)
    t, e = torch.zeros(3, 40), ember.zeros(3, 40)
    t.t().normal_()  # not contiguous: the scalar Box-Muller path
    e.t().normal_()
    _same(e, t, ulps=1)
    t, e = torch.zeros(5, 8), ember.zeros(5, 8)
    t[:, ::2].bernoulli_(0.5)
    e[:, ::2].bernoulli_(0.5)
    _same(e, t)
    x = torch.from_numpy(np.random.default_rng(0).random((6, 5), dtype=np.float32)).t()
    _same(ember.randn_like(ember.from_numpy(x.numpy())), torch.randn_like(x), ulps=1)
    _same(ember.rand_like(ember.from_numpy(x.numpy())), torch.rand_like(x))


def test_other_dtypes_streams(torch):
    torch.manual_seed(9)
    ember.manual_seed(9)
    _same(ember.rand(20, dtype=ember.float16), torch.rand(20, dtype=torch.float16))
    _same(ember.empty(20, dtype=ember.float16).uniform_(-2, 3),
          torch.empty(20, dtype=torch.float16).uniform_(-2, 3))
    _same(ember.rand(5), torch.rand(5))


def test_normal_overloads(torch):
    torch.manual_seed(4)
    ember.manual_seed(4)
    m = torch.arange(20.0).reshape(4, 5)
    s = torch.linspace(0.1, 2.0, 20).reshape(4, 5)
    em, es = ember.tensor(m.numpy()), ember.tensor(s.numpy())
    _same(ember.normal(em, es), torch.normal(m, s), ulps=1)
    _same(ember.normal(em, 2.0), torch.normal(m, 2.0), ulps=1)
    _same(ember.normal(1.5, es), torch.normal(1.5, s), ulps=1)
    _same(ember.normal(1.5, 2.0, size=(3, 7)), torch.normal(1.5, 2.0, size=(3, 7)), ulps=1)
    _same(ember.normal(em[0], es), torch.normal(m[0], s), ulps=1)  # broadcasting
    with pytest.raises(RuntimeError):
        ember.normal(em, -1.0)
    # PyTorch's derivative of a sample w.r.t. mean and std is zero (derivatives.yaml)
    mm = ember.tensor(m.numpy(), requires_grad=True)
    ss = ember.tensor(s.numpy(), requires_grad=True)
    ember.manual_seed(0)
    out = ember.normal(mm, ss)
    out.sum().backward()
    tm, ts = m.clone().requires_grad_(), s.clone().requires_grad_()
    torch.normal(tm, ts).sum().backward()
    assert_close(mm.grad, ember.tensor(tm.grad.numpy()))
    assert_close(ss.grad, ember.tensor(ts.grad.numpy()))


def test_bernoulli_tensor_p_and_multinomial(torch):
    torch.manual_seed(8)
    ember.manual_seed(8)
    rng = np.random.default_rng(0)
    for dt in ("float32", "float64"):
        p = torch.from_numpy(rng.random((4, 9)).astype(dt))
        ep = ember.tensor(p.numpy())
        _same(ember.bernoulli(ep), torch.bernoulli(p))
        _same(ember.bernoulli(ep, 0.25), torch.bernoulli(p, 0.25))
        _same(ember.zeros(4, 9).bernoulli_(ep), torch.zeros(4, 9).bernoulli_(p))
    w = torch.from_numpy(rng.random((3, 10), dtype=np.float32))
    ew = ember.tensor(w.numpy())
    _same(ember.multinomial(ew, 1), torch.multinomial(w, 1))
    _same(ember.multinomial(ew, 4), torch.multinomial(w, 4))
    _same(ember.multinomial(ew, 25, replacement=True), torch.multinomial(w, 25, replacement=True))
    _same(ember.multinomial(ew[0], 6, True), torch.multinomial(w[0], 6, True))
    with pytest.raises(RuntimeError):
        ember.multinomial(ew, 11)
    with pytest.raises(RuntimeError):
        ember.multinomial(ember.tensor([0.0, 0.0]), 1)


def test_multinomial_distribution():
    ember.manual_seed(0)
    p = ember.tensor([0.1, 0.2, 0.7])
    draws = ember.multinomial(p, 20000, replacement=True).numpy()
    freq = np.bincount(draws, minlength=3) / draws.size
    np.testing.assert_allclose(freq, [0.1, 0.2, 0.7], atol=0.015)
    # without replacement: distinct indices
    s = ember.multinomial(ember.ones(50), 50).numpy()
    assert sorted(s.tolist()) == list(range(50))


def _ks(sample: np.ndarray, cdf) -> float:
    x = np.sort(sample)
    n = x.size
    f = cdf(x)
    return max(np.max(np.arange(1, n + 1) / n - f), np.max(f - np.arange(n) / n))


def test_distributions_ks():
    stats = pytest.importorskip("scipy.stats")

    ember.manual_seed(123)
    n = 20000
    crit = 1.95 / np.sqrt(n)  # 0.1% level
    assert _ks(ember.rand(n, dtype=ember.float64).numpy(), stats.uniform.cdf) < crit
    assert _ks(ember.randn(n, dtype=ember.float64).numpy(), stats.norm.cdf) < crit
    assert _ks(ember.empty(n, dtype=ember.float64).exponential_(2.0).numpy(),
               stats.expon(scale=0.5).cdf) < crit
    assert _ks(ember.empty(n, dtype=ember.float64).cauchy_(1.0, 2.0).numpy(),
               stats.cauchy(1.0, 2.0).cdf) < crit
    assert _ks(ember.empty(n, dtype=ember.float64).log_normal_(0.2, 0.5).numpy(),
               stats.lognorm(0.5, scale=np.exp(0.2)).cdf) < crit
    g = ember.empty(n).geometric_(0.3).numpy()
    assert abs(g.mean() - 1 / 0.3) < 0.1 and g.min() >= 1
    lam = ember.full((n,), 4.0)
    ps = ember.poisson(lam).numpy()
    assert abs(ps.mean() - 4.0) < 0.1 and abs(ps.var() - 4.0) < 0.25
    assert ember.poisson(lam).dtype == ember.float32


def test_poisson_deterministic():
    lam = ember.rand(50) * 10
    ember.manual_seed(1)
    a = ember.poisson(lam)
    ember.manual_seed(1)
    b = ember.poisson(lam)
    assert_close(a, b)
    g1, g2 = ember.Generator().manual_seed(5), ember.Generator().manual_seed(5)
    assert_close(ember.poisson(lam, g1), ember.poisson(lam, g2))


def test_state_roundtrip_and_torch_exchange(torch):
    torch.manual_seed(21)
    ember.manual_seed(21)
    st_t, st_e = torch.get_rng_state(), ember.get_rng_state()
    assert st_e.dtype == ember.uint8 and tuple(st_e.shape) == (5056,)
    np.testing.assert_array_equal(st_e.numpy(), st_t.numpy())  # same bytes as PyTorch
    ember.rand(10)
    ember.randn(3)  # leaves a cached Box-Muller value
    torch.rand(10)
    torch.randn(3)
    np.testing.assert_array_equal(ember.get_rng_state().numpy(), torch.get_rng_state().numpy())
    saved = ember.get_rng_state()
    a = ember.randn(5)
    ember.set_rng_state(saved)
    assert_close(ember.randn(5), a)
    # a state from PyTorch continues PyTorch's stream
    torch.manual_seed(99)
    torch.randn(1)
    ember.set_rng_state(ember.tensor(torch.get_rng_state().numpy()))
    _same(ember.randn(4), torch.randn(4), ulps=1)
    g = ember.Generator()
    g.set_state(ember.get_rng_state())
    _same(ember.rand(3, generator=g), torch.rand(3))
    with pytest.raises(RuntimeError):
        ember.set_rng_state(ember.zeros(10, dtype=ember.uint8))


def test_generator_api(torch):
    g = ember.Generator()
    assert g.initial_seed() == torch.Generator().initial_seed()
    assert g.device == ember.device("cpu")
    assert g.manual_seed(5) is g and g.initial_seed() == 5
    ember.manual_seed(-1)
    assert ember.initial_seed() == 2**64 - 1
    with pytest.raises(ValueError):
        ember.manual_seed(2**64)
    s = g.seed()
    assert g.initial_seed() == s and 0 <= s < 2**64
    g.manual_seed(3)
    h = pickle.loads(pickle.dumps(g))
    assert h.initial_seed() == 3
    assert_close(ember.rand(4, generator=h), ember.rand(4, generator=g))
    c = g.clone_state()
    assert_close(ember.rand(4, generator=c), ember.rand(4, generator=g))


def test_fork_rng():
    ember.manual_seed(0)
    with ember.random.fork_rng():
        ember.rand(100)
    a = ember.rand(3)
    ember.manual_seed(0)
    assert_close(a, ember.rand(3))


def test_factory_options():
    x = ember.rand(2, 3, dtype=ember.float64, requires_grad=True)
    assert x.requires_grad and x.dtype == ember.float64 and tuple(x.shape) == (2, 3)
    assert tuple(ember.rand((4, 2)).shape) == (4, 2)
    assert tuple(ember.randn(size=(3,)).shape) == (3,)
    assert ember.randint(0, 5, (3,)).dtype == ember.int64
    assert tuple(ember.randint_like(ember.zeros(2, 2), 7).shape) == (2, 2)
    assert ember.randint_like(ember.zeros(2, 2), 7).dtype == ember.float32
    assert ember.rand(0).numel() == 0 and ember.rand(()).ndim == 0
    with pytest.raises(RuntimeError):
        ember.rand(3, dtype=ember.int64)
    with pytest.raises(RuntimeError):
        ember.randn(3, dtype=ember.int32)
    leaf = ember.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError):
        leaf.uniform_()
    with ember.no_grad():
        leaf.uniform_()  # what nn.init does
    assert (leaf.detach().numpy() > 0).any()


def test_randint_like_stream(torch):
    torch.manual_seed(6)
    ember.manual_seed(6)
    _same(ember.randint_like(ember.zeros(3, 4, dtype=ember.int64), 3, 9),
          torch.randint_like(torch.zeros(3, 4, dtype=torch.int64), 3, 9))
    _same(ember.rand_like(ember.zeros(17, dtype=ember.float64)),
          torch.rand_like(torch.zeros(17, dtype=torch.float64)))


def test_default_generator_is_thread_safe():
    ember.manual_seed(0)
    expected = np.sort(ember.rand(8 * 2000, dtype=ember.float64).numpy())
    ember.manual_seed(0)
    out: list = []

    def work() -> None:
        for _ in range(20):
            out.append(ember.rand(100, dtype=ember.float64).numpy())

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    got = np.sort(np.concatenate(out))
    np.testing.assert_array_equal(got, expected)  # every value drawn exactly once


def test_single_draw_fast_paths_follow_pytorchs_stream(torch):
    # one-element uniform_ and small randint take shortcuts; the numbers must not change
    for seed in range(20):
        ember.manual_seed(seed)
        torch.manual_seed(seed)
        for lo, hi in ((0.0, 1.0), (0.08, 1.0), (-0.2876820724517809, 0.2876820724517809)):
            assert ember.empty(1).uniform_(lo, hi).item() == torch.empty(1).uniform_(lo, hi).item()
        for lo, hi, n in ((0, 10, 1), (-5, 5, 3), (0, 2 ** 40, 2)):
            assert ember.randint(lo, hi, (n,)).tolist() == torch.randint(lo, hi, (n,)).tolist()
        assert ember.rand(1).item() == torch.rand(1).item()
    t = ember.empty(1)
    v = t._version
    t.uniform_()
    assert t._version == v + 1


@pytest.mark.parametrize("case", ["dropout", "dropout_", "bernoulli", "bernoulli p", "bernoulli_"])
def test_seeded_masks_on_transposed_inputs_match_pytorch(torch, case):
    """Dropout draws into ``empty_like(input)`` (a dense input's memory order), ``bernoulli``
    into a contiguous result (logical order), ``bernoulli_`` into the tensor itself."""
    pytest.importorskip("ember.nn")
    out = []
    for lib in (ember, torch):
        F = lib.nn.functional
        x = lib.full((5, 7), 0.5).t()
        lib.manual_seed(3)
        if case == "dropout":
            out.append(F.dropout(x, 0.4))
        elif case == "dropout_":
            out.append(F.dropout(x.clone().t().contiguous().t(), 0.4, inplace=True))
        elif case == "bernoulli":
            out.append(lib.bernoulli(x))
        elif case == "bernoulli p":
            out.append(lib.bernoulli(x, 0.3))
        else:
            out.append(x.clone().t().contiguous().t().bernoulli_(0.3))
    assert_close(out[0], out[1])


@pytest.mark.parametrize("threads", [1, 2])
def test_large_float32_normal_is_pytorch_bit_for_bit_on_any_thread_count(torch, threads):
    """Millions of values go through the transform in cache-sized runs split over the op
    threads: still PyTorch's numbers exactly, with a partial last block of 16."""
    n = (1 << 21) + 7
    before = ember.get_num_threads()
    ember.set_num_threads(threads)
    try:
        ember.manual_seed(5)
        e = ember.empty(n).normal_(0.5, 2.0)
    finally:
        ember.set_num_threads(before)
    torch.manual_seed(5)
    np.testing.assert_array_equal(e.numpy(), torch.empty(n).normal_(0.5, 2.0).numpy())
