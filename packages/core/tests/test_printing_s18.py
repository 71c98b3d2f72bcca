"""Tensor printing against PyTorch on a broad seeded set of cases: every dtype, 0-d to 4-d and
empty shapes, summarized tensors, scientific notation, nan/inf/-0.0, the print options
(edgeitems=0 included), default dtype float64, autograd suffixes, subclasses, meta tensors,
return types, containers, ``item``/``tolist``/``format``, ``Size``, dtypes and devices."""

from __future__ import annotations

import numpy as np
import pytest

import ember

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32",
          "float64", "complex64", "complex128"]
SHAPES = [(), (0,), (0, 3), (3, 0), (2, 0, 4), (1,), (5,), (3, 4), (2, 3, 4), (2, 2, 2, 3),
          (7, 1), (1, 7), (30,), (12, 9), (1100,), (40, 40), (3, 400), (11, 5, 21)]
OPTIONS = [{}, {"precision": 2}, {"precision": 7}, {"precision": 0}, {"sci_mode": True},
           {"sci_mode": False}, {"threshold": 5}, {"threshold": 20, "edgeitems": 1},
           {"threshold": 5, "edgeitems": 0}, {"edgeitems": 0}, {"linewidth": 30},
           {"linewidth": 200}, {"profile": "short"}, {"profile": "full"}, {"edgeitems": 5},
           {"linewidth": 1}, {"profile": "short", "sci_mode": False},
           {"precision": 1, "sci_mode": True}]


def _values(rng: np.random.Generator, n: int) -> np.ndarray:
    """Floats of one of several kinds that steer the fixed/integer/scientific choice."""
    kind = int(rng.integers(0, 12))
    if kind == 0:
        return rng.standard_normal(n)
    if kind == 1:
        return rng.standard_normal(n) * 10.0 ** int(rng.integers(-12, 12))
    if kind == 2:
        return rng.integers(-1000, 1000, n).astype(float)
    if kind == 3:
        return 10.0 ** rng.uniform(-10, 10, n) * rng.choice([-1, 1], n)
    if kind == 4:  # specials among ordinary values
        return rng.choice([0.0, -0.0, np.nan, np.inf, -np.inf, 1.0, -2.5, 0.125], n)
    if kind == 5:
        return rng.integers(-2**40, 2**40, n).astype(float)
    if kind == 6:  # the edges of the scientific switch
        return rng.choice([1e8, 1e8 + 1, 99999999.0, 1e-4, 9.9e-5, 1000.0, 1.0, 0.001], n)
    if kind == 7:  # past float16/float32 range, subnormals
        return rng.choice([65504.0, 65520.0, 1e5, 6e-8, 1e-7, 3e38, 1e39, 1e-45], n)
    if kind == 8:  # halfway cases of rounding
        return rng.choice([0.00005, 0.00015, 0.99995, 9.99995, 0.5, 1.5, 2.5], n)
    if kind == 9:
        return rng.integers(-5, 5, n) * 10.0 ** int(rng.integers(-6, 10))
    if kind == 10:
        return np.zeros(n)
    return np.round(rng.standard_normal(n) * 100, int(rng.integers(0, 4)))


def _pair(torch, rng: np.random.Generator, name: str, shape: tuple):
    n = int(np.prod(shape))
    if name == "bool":
        t = torch.tensor(rng.integers(0, 2, n).astype(bool).reshape(shape))
    elif name in ("uint8", "int8", "int16", "int32", "int64"):
        info = np.iinfo(name)
        w = int(rng.choice([10, 1000, int(info.max)]))
        vals = rng.integers(max(int(info.min), -w), min(int(info.max), w), n, endpoint=True)
        t = torch.tensor(vals.astype(name).reshape(shape))
    else:
        v = _values(rng, n)
        with np.errstate(all="ignore"):  # inf * 1j makes nan parts, as wanted
            if name.startswith("complex"):
                v = v + 1j * _values(rng, n)
            t = torch.tensor(v.reshape(shape)).to(getattr(torch, name))
    if t.dtype == torch.bfloat16:  # NumPy has no bfloat16: the same values through float32
        return t, ember.tensor(t.float().numpy()).to(ember.bfloat16)
    return t, ember.tensor(t.numpy())


def _same(t_text: str, e_text: str) -> None:
    assert e_text == t_text.replace("torch.", "ember."), t_text


@pytest.fixture
def reset(torch):
    yield
    for m in (ember, torch):
        m.set_printoptions(profile="default", sci_mode=None)
        m.set_default_dtype(m.float32)


def _set(torch, opts: dict, default: str = "float32") -> None:
    for m in (ember, torch):
        m.set_printoptions(profile="default", sci_mode=None)
        m.set_printoptions(**opts)
        m.set_default_dtype(getattr(m, default))


@pytest.mark.parametrize("seed", range(8))
def test_random_tensors_print_like_torch(torch, reset, seed):
    rng = np.random.default_rng(1800 + seed)
    for _ in range(60):
        name = DTYPES[int(rng.integers(len(DTYPES)))]
        shape = SHAPES[int(rng.integers(len(SHAPES)))]
        opts = OPTIONS[int(rng.integers(len(OPTIONS)))] if rng.random() < 0.5 else {}
        if opts.get("profile") == "full" and np.prod(shape) > 1000:
            opts = {}
        _set(torch, opts, "float64" if rng.random() < 0.15 else "float32")
        t, e = _pair(torch, rng, name, shape)
        if t.dtype.is_floating_point and name != "bfloat16" and rng.random() < 0.25:
            t.requires_grad_(True)
            e.requires_grad_(True)
        elif t.dim() >= 2 and rng.random() < 0.2:  # a non-contiguous view
            t, e = t.transpose(0, -1), e.transpose(0, -1)
        elif t.dim() >= 1 and t.shape[0] > 2 and rng.random() < 0.2:
            t, e = t[::2], e[::2]
        _same(repr(t), repr(e))
        _same(str(t), str(e))


@pytest.mark.parametrize("opts", [{"threshold": 5, "edgeitems": 0}, {"edgeitems": 0}],
                         ids=["summarized", "whole"])
def test_edgeitems_zero_prints_the_size(torch, reset, opts):
    _set(torch, opts)
    for make in (lambda m: m.arange(1100), lambda m: m.ones(40, 40), lambda m: m.tensor([-1.5]),
                 lambda m: m.tensor(3), lambda m: m.zeros(2, 3, 4, dtype=m.int8),
                 lambda m: m.zeros(0, 3), lambda m: m.tensor([1 + 2j, 3j])):
        _same(repr(make(torch)), repr(make(ember)))


GRAD_OPS = [
    lambda m, x: x + 1, lambda m, x: 1 - x, lambda m, x: x * x, lambda m, x: 2 / x,
    lambda m, x: -x, lambda m, x: x ** 2, lambda m, x: x.exp(), lambda m, x: x.sum(),
    lambda m, x: x.mean(1), lambda m, x: x @ x.T, lambda m, x: x.T, lambda m, x: x.view(3, 2),
    lambda m, x: x[0], lambda m, x: x[:, 1:], lambda m, x: x.relu(), lambda m, x: x.sigmoid(),
    lambda m, x: x.softmax(-1), lambda m, x: x.max(), lambda m, x: x.max(0)[0],
    lambda m, x: x.clamp(0, 1), lambda m, x: x.unsqueeze(0), lambda m, x: m.cat([x, x]),
    lambda m, x: m.stack([x, x]), lambda m, x: x.to(m.float64), lambda m, x: x.clone(),
    lambda m, x: x.norm(), lambda m, x: x.std(), lambda m, x: m.where(x > 0, x, 0.0),
    lambda m, x: x.flatten(), lambda m, x: x.cumsum(0), lambda m, x: x.abs().sqrt(),
    lambda m, x: x.detach(), lambda m, x: x.clone().mul_(2), lambda m, x: x.permute(1, 0),
]


def _rg(m):
    return m.tensor([[1.5, -2.0, 3.25], [0.5, 4.0, -1.0]], requires_grad=True)


@pytest.mark.parametrize("i", range(len(GRAD_OPS)))
def test_grad_fn_suffix_matches_torch(torch, reset, i):
    _same(repr(GRAD_OPS[i](torch, _rg(torch))), repr(GRAD_OPS[i](ember, _rg(ember))))
    _set(torch, {"linewidth": 20})  # the suffix moves to its own line
    _same(repr(GRAD_OPS[i](torch, _rg(torch))), repr(GRAD_OPS[i](ember, _rg(ember))))


def test_autograd_states_print_like_torch(torch, reset):
    def cases(m):
        x = _rg(m)
        y = x * 2
        out = []
        with m.no_grad():
            out += [repr(y), repr(x), repr(x * 2)]
        (y * y).sum().backward()
        out += [repr(x.grad), repr(x.data), repr(y.detach()), repr(m.tensor(1.0, requires_grad=True)),
                repr(m.tensor([], requires_grad=True)),
                repr(m.zeros(0, 3, dtype=m.float64, requires_grad=True) * 2)]
        return out

    for a, b in zip(cases(torch), cases(ember), strict=True):
        _same(a, b)


def test_meta_tensors_print_like_torch(torch, reset):
    def cases(m):
        return [repr(m.empty(2, 3, device="meta")),
                repr(m.empty(0, device="meta", dtype=m.int64)),
                repr(m.empty((), device="meta", requires_grad=True) * 2),
                repr(m.empty(4, 5, device="meta", dtype=m.float64, requires_grad=True))]

    for opts in ({}, {"linewidth": 20}):
        _set(torch, opts)
        for a, b in zip(cases(torch), cases(ember), strict=True):
            _same(a, b)


def test_subclasses_print_like_torch(torch, reset):
    nn = pytest.importorskip("ember.nn")

    def cases(m, parameter):
        class MyParam(parameter):
            pass

        class MyT(m.Tensor):
            pass

        return [repr(parameter(m.tensor([1.0, 2.0]))), str(parameter(m.zeros(2, 3))),
                repr(parameter(m.ones(2), requires_grad=False)),
                repr(parameter(m.tensor([1.0], dtype=m.float64))),
                repr(parameter(m.tensor(1.5))), repr(MyParam(m.tensor([1.0, 2.0]))),
                repr(m.tensor([[1.0, 2.0], [3.0, 4.0]]).as_subclass(MyT))]

    for a, b in zip(cases(torch, torch.nn.Parameter), cases(ember, nn.Parameter), strict=True):
        _same(a, b)


def test_state_dict_prints_like_torch(torch, reset):
    pytest.importorskip("ember.nn")

    def cases(m):
        net = m.nn.Sequential(m.nn.Linear(3, 2), m.nn.ReLU(), m.nn.Linear(2, 1),
                              m.nn.BatchNorm1d(1))
        with m.no_grad():
            for p in net.parameters():
                p.copy_(m.arange(p.numel(), dtype=m.float32).view(p.shape) / 7)
        return [str(net.state_dict()), str(dict(net.named_parameters())),
                str(list(net.parameters()))]

    for a, b in zip(cases(torch), cases(ember), strict=True):
        _same(a, b)


def test_return_types_and_containers_print_like_torch(torch, reset):
    def cases(m):
        x = m.tensor([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]])
        v, i = m.tensor([1.0, 2.0]), m.arange(3)
        return [repr(m.max(x, 0)), str(m.min(x, 1)), repr(x.sort()), repr(x.topk(2)),
                repr(m.median(x, 1)), repr(x.kthvalue(1, 1)), repr(m.aminmax(x)),
                repr(x.max(1, keepdim=True)), repr(m.max(x.requires_grad_(), 0)),
                repr(m.linalg.slogdet(m.eye(2))), repr([v, i]), str((v,)),
                repr({"a": v, "b": [i, {"c": m.tensor(2.5)}]}), repr(x.unbind(1))]

    for a, b in zip(cases(torch), cases(ember), strict=True):
        _same(a, b)


def test_python_values_print_like_torch(torch, reset):
    def cases(m):
        scalars = [m.tensor(0.1), m.tensor(1 / 3, dtype=m.float64), m.tensor(3),
                   m.tensor(True), m.tensor(2.5, dtype=m.float16), m.tensor(1e20),
                   m.tensor(0.1, dtype=m.bfloat16), m.tensor(1 + 2j), m.tensor(-0.0),
                   m.tensor(float("nan")), m.tensor(7, dtype=m.uint8), m.tensor(16777217.0)]
        lists = [m.tensor([0.1, 1 / 3]), m.arange(4).view(2, 2), m.tensor([True, False]),
                 m.tensor([0.1], dtype=m.float16), m.tensor([1 + 1j, 0.5j]), m.zeros(0, 2)]
        a = m.tensor(3.14159265)
        return ([repr(s.item()) for s in scalars] + [repr(t.tolist()) for t in lists]
                + [f"{a:.3f}", f"{a:.2e}", f"{a}", format(a), f"{a:10.4f}",
                   f"{m.tensor(5):04d}", f"{m.tensor([1.0, 2.0])}", "%.2f" % m.tensor(1.234),  # noqa: UP031
                   "%d" % m.tensor(7), f"{m.tensor(True)}"])  # noqa: UP031

    for a, b in zip(cases(torch), cases(ember), strict=True):
        _same(a, b)


def test_sizes_dtypes_devices_print_like_torch(torch, reset):
    def cases(m):
        x = m.zeros(2, 3, 4)
        out = [repr(x.shape), str(x.shape), repr(x.size()), repr(m.Size([2, 3])),
               repr(m.zeros(()).shape), repr(x.shape[1:]), str(x.shape + (5,)), repr(m.Size([])),
               repr(m.device("cpu")), str(m.device("cpu")), repr(x.device),
               repr(m.device("cuda", 0)), repr(m.device("cuda:1")), repr(x.layout),
               repr(m.finfo(m.float32)), repr(m.iinfo(m.int32)), repr(m.finfo(m.bfloat16))]
        for n in ["float32", "float", "double", "half", "bfloat16", "long", "int", "short",
                  "int8", "uint8", "bool", "cfloat", "complex128"]:
            out += [repr(getattr(m, n)), str(getattr(m, n))]
        return out

    for a, b in zip(cases(torch), cases(ember), strict=True):
        _same(a, b)


@pytest.mark.parametrize("opts", [{}, {"linewidth": 40}, {"threshold": 10}, {"precision": 2}],
                         ids=["default", "narrow", "summarized", "precision"])
def test_sparse_coo_repr_matches_torch(torch, reset, opts):
    from ember._formatting import sparse_coo_repr

    _set(torch, opts)
    rng = np.random.default_rng(18)
    for shape, name, sparse_dim, rg in [((2, 2), "float32", 2, False), ((10, 10), "float32", 2, True),
                                        ((3, 4, 5), "float64", 1, False), ((50,), "int64", 1, False),
                                        ((0, 3), "float32", 2, False), ((4, 60), "int32", 2, False),
                                        ((6, 6), "bool", 2, False), ((6, 6), "complex64", 2, False),
                                        ((5, 3), "float16", 1, True)]:
        n = int(np.prod(shape))
        v = rng.standard_normal(n) * (rng.random(n) < 0.4)
        t = torch.tensor(v.reshape(shape)).to(getattr(torch, name))
        ts = t.to_sparse(sparse_dim)
        es = ember.tensor(t.numpy()).to_sparse(sparse_dim)
        if rg:
            ts, es = ts.requires_grad_(), es.requires_grad_()
        if rg:
            ts, es = ts * 2, es * 2
        _same(repr(ts), sparse_coo_repr(es, es._indices(), es._values()))
