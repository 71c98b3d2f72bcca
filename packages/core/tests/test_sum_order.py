"""Float sums and means in PyTorch's CPU order (ops/_cascade_sum.py): the same bits as PyTorch,
checked against a loop-by-loop transcription of its kernel and, where installed, PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import ember

LANES = {np.float32: 8, np.float64: 4}


# ---------------------------------------------------------------- a slow reference
def _multi_row_sum(rows: list, dtype) -> np.ndarray:
    """PyTorch's multi_row_sum, loop by loop: ``rows`` are equal-length arrays."""
    size = len(rows)
    ceil_log2 = 1 if size <= 2 else (size - 1).bit_length()
    power = max(4, ceil_log2 // 4)
    step, mask = 1 << power, (1 << power) - 1
    w = len(rows[0]) if rows else 4
    acc = [np.zeros(w, dtype) for _ in range(4)]
    i = 0
    while i + step <= size:
        for _ in range(step):
            acc[0] = acc[0] + rows[i]
            i += 1
        for j in range(1, 4):
            acc[j] = acc[j] + acc[j - 1]
            acc[j - 1] = np.zeros(w, dtype)
            if i & (mask << (j * power)):
                break
    while i < size:
        acc[0] = acc[0] + rows[i]
        i += 1
    for j in range(1, 4):
        acc[0] = acc[0] + acc[j]
    return acc[0]


def _row_sum(elems: list, dtype) -> np.ndarray:
    """PyTorch's row_sum: elements (arrays of one or more lanes) in four interleaved sums."""
    k = len(elems) // 4
    w = len(elems[0])
    rows = [np.concatenate(elems[4 * i:4 * i + 4]) for i in range(k)]
    p = _multi_row_sum(rows, dtype) if rows else np.zeros(4 * w, dtype)
    parts = [p[q * w:(q + 1) * w] for q in range(4)]
    for e in elems[4 * k:]:
        parts[0] = parts[0] + e
    for q in range(1, 4):
        parts[0] = parts[0] + parts[q]
    return parts[0]


def _inner(x: np.ndarray) -> np.generic:
    dtype = x.dtype.type
    lanes = LANES[dtype]
    n = x.size
    if n < lanes:
        return (_row_sum([x[i:i + 1] for i in range(n)], dtype) if n else
                np.zeros(1, dtype))[0] + dtype(0)
    nv = n // lanes
    vec = _row_sum([x[i * lanes:(i + 1) * lanes] for i in range(nv)], dtype)
    acc = dtype(0)
    for v in x[nv * lanes:]:
        acc = acc + v
    for v in vec:
        acc = acc + v
    return acc


def _reference_sum(x: np.ndarray, threads: int) -> np.generic:
    """The full sum: chunks of one per thread from 32768 elements, added in thread order."""
    n = x.size
    if n < 32768 or threads == 1:
        return _inner(x)
    parts = min(threads, -(-n // 32768))
    chunk = -(-n // parts)
    buf = np.zeros(threads, x.dtype)
    for t in range(parts):
        buf[t] = _inner(x[t * chunk:(t + 1) * chunk])
    return _inner(buf)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [1, 3, 4, 5, 7, 8, 9, 15, 31, 33, 64, 100, 257, 511, 512, 513,
                               1000, 4100, 8193, 20000])
def test_full_sum_follows_the_kernel(dtype, n):
    x = np.random.default_rng(n).standard_normal(n).astype(dtype) * 7
    got = ember.tensor(x).sum().numpy()
    want = _reference_sum(x, ember.get_num_threads())
    assert got.dtype == dtype and got.tobytes() == np.asarray(want, dtype).tobytes()
    mean = ember.tensor(x).mean().numpy()
    assert mean.tobytes() == np.asarray(dtype(want) / dtype(n), dtype).tobytes()


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_large_sums_add_one_chunk_per_thread(threads):
    x = np.random.default_rng(5).standard_normal(70001).astype(np.float32)
    old = ember.get_num_threads()
    ember.set_num_threads(threads)
    try:
        got = ember.tensor(x).sum().numpy()
    finally:
        ember.set_num_threads(old)
    assert got.tobytes() == np.asarray(_reference_sum(x, threads)).tobytes()


def test_rows_follow_the_kernel_row_by_row():
    x = np.random.default_rng(2).standard_normal((9, 301)).astype(np.float32)
    got = ember.tensor(x).sum(-1).numpy()
    assert got.tobytes() == np.array([_inner(r) for r in x], np.float32).tobytes()


def test_signed_zeros_infinities_and_nans():
    assert str(ember.tensor([-0.0, -0.0]).sum()) == "tensor(0.)"
    assert str(ember.tensor([-0.0] * 20).sum(0)) == "tensor(0.)"
    assert str(ember.tensor([[-0.0, -0.0]] * 3).sum(0)) == "tensor([0., 0.])"
    assert np.isnan(ember.tensor([float("inf"), -float("inf"), 1.0] * 5).sum().item())
    assert ember.tensor([3e38] * 40).sum().item() == float("inf")


def test_other_layouts_keep_numpy_sums():
    x = np.random.default_rng(3).standard_normal((50, 40)).astype(np.float32)
    t = ember.tensor(x).t()  # not C-contiguous: NumPy's own order, still a correct sum
    np.testing.assert_allclose(t.sum().item(), x.sum(dtype=np.float64), rtol=1e-5)
    np.testing.assert_allclose(t.sum(0).numpy(), x.sum(1), rtol=1e-5)


# ---------------------------------------------------------------- PyTorch itself
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape, dim", [
    ((100,), None), ((37, 53), None), ((4, 8), -1), ((16, 70), 1), ((2, 3, 40), (1, 2)),
    ((5, 300), -1), ((40000,), None), ((300, 300), None), ((6, 2, 9), -1), ((1000, 1000), None),
    ((37, 19), 0), ((5, 3), 0), ((100, 33), 0), ((17, 100), 0), ((2000, 40), 0),
    ((3, 50, 40), 1), ((3, 50, 40), (0, 1)), ((4, 6, 5, 7), (1, 2)), ((16, 3, 8, 8), 0),
    ((64, 1000), 0), ((50000, 3), 0), ((7, 1), 0), ((4, 300, 17), 1), ((33, 65), 0)])
def test_sums_and_means_match_pytorch_bit_for_bit(dtype, shape, dim):
    torch = pytest.importorskip("torch")
    t = torch.randn(shape, generator=torch.Generator().manual_seed(len(shape) * 100 + shape[0]),
                    dtype=getattr(torch, dtype))
    e = ember.tensor(t.numpy())
    for op in ("sum", "mean"):
        for keepdim in (False, True):
            want = getattr(t, op)() if dim is None else getattr(t, op)(dim, keepdim=keepdim)
            got = getattr(e, op)() if dim is None else getattr(e, op)(dim, keepdim=keepdim)
            assert tuple(got.shape) == tuple(want.shape)
            assert got.numpy().tobytes() == want.numpy().tobytes(), (op, keepdim)


def test_losses_reducing_by_mean_match_pytorch_bit_for_bit():
    torch = pytest.importorskip("torch")
    pytest.importorskip("ember.nn")
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(37, 19, generator=g), torch.randn(37, 19, generator=g)
    ea, eb = ember.tensor(a.numpy()), ember.tensor(b.numpy())
    for name in ("mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"):
        want = getattr(torch.nn.functional, name)(a, b)
        got = getattr(ember.nn.functional, name)(ea, eb)
        assert got.item() == want.item(), name
    assert ((ea - eb) ** 2).mean().item() == ((a - b) ** 2).mean().item()


# ---------------------------------------------------------------- the 2-norm's order
def _reference_norm(x: np.ndarray) -> np.generic:
    """PyTorch's float32 last-dim 2-norm, loop by loop: squares of 8-element vectors added
    into one vector, its lanes one by one, then the leftover elements' squares."""
    f = np.float32
    nv = x.size // 8
    acc = np.zeros(8, f)
    for i in range(nv):
        v = x[8 * i:8 * i + 8]
        acc = acc + v * v
    total = f(0)
    for v in acc:
        total = total + v
    for v in x[8 * nv:]:
        total = total + v * v
    return np.sqrt(total)


@pytest.mark.parametrize("n", [1, 5, 8, 9, 23, 64, 100, 1001])
def test_two_norm_follows_the_kernel(n):
    x = np.random.default_rng(n).standard_normal(n).astype(np.float32) * 3
    want = np.asarray(_reference_norm(x)).tobytes()
    assert ember.tensor(x).norm().numpy().tobytes() == want
    assert ember.linalg.vector_norm(ember.tensor(x)).numpy().tobytes() == want
    rows = ember.tensor(np.stack([x, -x, x[::-1].copy()])).norm(dim=-1).numpy()
    assert rows.tobytes() == np.asarray([_reference_norm(r) for r in
                                         (x, -x, x[::-1].copy())]).tobytes()


def test_two_norm_agrees_with_pytorch_to_the_last_bit_nearly_always():
    # PyTorch's compiled kernel rounds a few sums differently (~2% of vectors here, under
    # 1 ulp); NumPy's pairwise order agreed on about two thirds
    torch = pytest.importorskip("torch")
    g = torch.Generator().manual_seed(0)
    same = 0
    for i in range(300):
        t = torch.randn(5 + i % 120, generator=g) * 3
        same += ember.tensor(t.numpy()).norm().item() == t.norm().item()
    assert same >= 285


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
@pytest.mark.parametrize("shape, dim", [((7,), None), ((10,), None), ((1000,), None),
                                        ((40000,), None), ((37, 19), 1), ((37, 19), 0),
                                        ((3, 50, 40), 1)])
def test_complex_sums_and_means_match_pytorch_bit_for_bit(dtype, shape, dim):
    torch = pytest.importorskip("torch")
    t = torch.randn(shape, generator=torch.Generator().manual_seed(shape[0]),
                    dtype=getattr(torch, dtype))
    e = ember.tensor(t.numpy())
    for op in ("sum", "mean"):
        want = getattr(t, op)() if dim is None else getattr(t, op)(dim)
        got = getattr(e, op)() if dim is None else getattr(e, op)(dim)
        assert str(got.dtype) == str(want.dtype).replace("torch", "ember")
        assert got.numpy().tobytes() == want.numpy().tobytes(), op


@pytest.mark.parametrize("shape, perm", [((20, 16, 3), (2, 0, 1)), ((5, 7), (1, 0)),
                                         ((3, 4, 5, 6), (0, 3, 1, 2)), ((64, 64, 3), (2, 0, 1))])
def test_full_sums_of_permuted_tensors_follow_memory_order(shape, perm):
    # an HWC image seen as CHW (ToTensor, permute): PyTorch sums it in memory order
    torch = pytest.importorskip("torch")
    base = torch.rand(shape, generator=torch.Generator().manual_seed(sum(shape)))
    e = ember.from_numpy(base.numpy()).permute(perm)
    for op in ("sum", "mean"):
        want = getattr(base.permute(perm), op)()
        assert getattr(e, op)().numpy().tobytes() == want.numpy().tobytes(), op
