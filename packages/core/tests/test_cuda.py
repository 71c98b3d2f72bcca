"""The CUDA backend (CuPy) against the CPU backend: values, dtypes, shapes and gradients.

Every case runs the same PyTorch-API function on CPU tensors and on CUDA tensors made from
the same arrays. These tests skip where no GPU is usable (CI); they run on GPU machines.
"""

from __future__ import annotations

import io
import pickle

import numpy as np
import pytest

import ember
from ember.testing.conformance import assert_same_on_device

pytestmark = pytest.mark.skipif(not ember.cuda.is_available(), reason="no CUDA device")

RNG = np.random.default_rng(0)


def _arr(shape, dtype="float64", lo=-2.0, hi=2.0):
    if dtype.startswith("int"):
        return RNG.integers(-5, 6, size=shape).astype(dtype)
    if dtype == "bool":
        return RNG.random(shape) > 0.5
    return RNG.uniform(lo, hi, size=shape).astype(dtype)


def check(fn, arrays, rtol=1e-9, atol=1e-9):
    assert_same_on_device(fn, arrays, "cuda", rtol=rtol, atol=atol)


S = (3, 4)
CASES = {
    # pointwise and arithmetic
    "add_broadcast": (lambda m, a, b: a + b, [S, (4,)]),
    "sub_alpha": (lambda m, a, b: m.sub(a, b, alpha=2), [S, S]),
    "mul_div": (lambda m, a, b: a * b / (b.abs() + 1), [S, S]),
    "pow": (lambda m, a: (a.abs() + 0.5) ** 1.7, [S]),
    "exp_log": (lambda m, a: m.log1p(a.exp()), [S]),
    "trig": (lambda m, a: m.sin(a) + m.cos(a) + m.atan2(a, a + 3), [S]),
    "erf_lgamma": (lambda m, a: m.erf(a) + m.special.erfinv(a / 3) + m.lgamma(a.abs() + 1), [S]),
    "clamp": (lambda m, a: a.clamp(-1, 0.5), [S]),
    "where": (lambda m, a, b: m.where(a > 0, a, b), [S, S]),
    "lerp": (lambda m, a, b: m.lerp(a, b, 0.3), [S, S]),
    "addcmul": (lambda m, a, b: m.addcmul(a, a, b, value=0.5), [S, S]),
    "remainder": (lambda m, a: m.remainder(a, 0.7) + m.fmod(a, 0.7), [S]),
    "int_ops": (lambda m, a: (a * 3 // 2, a % 3, a.bitwise_and(6)), [((5,), "int64")]),
    "sign_round": (lambda m, a: (m.sign(a), m.round(a, decimals=1), m.floor(a)), [S]),
    "nan_to_num": (lambda m, a: m.nan_to_num(m.log(a)), [S]),
    # reductions
    "sum_mean": (lambda m, a: (a.sum(), a.mean(1), a.sum((0, 1), keepdim=True)), [S]),
    "var_std": (lambda m, a: (a.var(0), a.std(1, correction=0)), [S]),
    "max_min_dim": (lambda m, a: (*a.max(1), *a.min(0)), [S]),
    "amax_argmax": (lambda m, a: (a.amax(1), a.argmax(), a.argmin(0)), [S]),
    "prod_norm": (lambda m, a: (a.prod(1), a.norm(), m.linalg.vector_norm(a, 3, dim=1)), [S]),
    "logsumexp": (lambda m, a: m.logsumexp(a, 1), [S]),
    "cumsum_cumprod": (lambda m, a: (a.cumsum(1), a.cumprod(0), m.cummax(a, 1)[0]), [S]),
    "sort_topk": (lambda m, a: (*a.sort(1), *a.topk(2, 1)), [S]),
    "median_mode": (lambda m, a: (a.median(), *a.median(1)), [S]),
    "all_any": (lambda m, a: ((a > 0).all(), (a > 0).any(1)), [S]),
    "unique": (lambda m, a: m.unique(a, return_counts=True), [((12,), "int64")]),
    # shape and indexing
    "views": (lambda m, a: (a.t().contiguous(), a.view(2, 6), a.permute(1, 0)[1:, ::2],
                            a.unsqueeze(0).expand(2, 3, 4)), [S]),
    "cat_stack_split": (lambda m, a, b: (m.cat([a, b]), m.stack([a, b], 1), *a.split(2, 1),
                                         *m.chunk(b, 3)), [S, S]),
    "flip_roll": (lambda m, a: (a.flip(0), a.roll(1, 1), m.rot90(a), a.tril(), a.triu(1)), [S]),
    "repeat_tile": (lambda m, a: (a.repeat(2, 1), a.repeat_interleave(2, 0)), [S]),
    "getitem_adv": (lambda m, a: (a[[0, 2]], a[:, [1, 3]], a[a > 0], a[1, None, ...]), [S]),
    "index_select_gather": (lambda m, a: (a.index_select(1, m.tensor([0, 2], device=a.device)),
                                          a.gather(1, m.tensor([[0], [3], [1]],
                                                               device=a.device))), [S]),
    "scatter_add": (lambda m, a: m.zeros(3, 5, dtype=a.dtype, device=a.device).scatter_add(
        1, m.tensor([[0, 1, 1, 4]] * 3, device=a.device), a), [S]),
    "index_add": (lambda m, a: m.zeros(4, 4, dtype=a.dtype, device=a.device).index_add(
        0, m.tensor([0, 2, 2], device=a.device), a), [S]),
    "index_put_accumulate": (lambda m, a: m.zeros(5, dtype=a.dtype, device=a.device).index_put(
        (m.tensor([0, 0, 3], device=a.device),), a[0, :3], accumulate=True), [S]),
    "masked": (lambda m, a: (a.masked_fill(a > 0, 0.5), a.masked_select(a < 0)), [S]),
    "nonzero": (lambda m, a: (m.nonzero(a > 0), m.argwhere(a < 0)), [S]),
    "take_put": (lambda m, a: m.take(a, m.tensor([0, 5, 11], device=a.device)), [S]),
    "searchsorted": (lambda m, a: m.searchsorted(m.arange(5.0, device=a.device, dtype=a.dtype),
                                                 a), [S]),
    "diag_trace": (lambda m, a: (m.diagonal(a), a.trace(), m.diag(a[0])), [S]),
    "unfold": (lambda m, a: a.unfold(1, 2, 1), [S]),
    "einsum": (lambda m, a, b: m.einsum("ij,kj->ik", a, b), [S, (5, 4)]),
    # linear algebra
    "matmul_batched": (lambda m, a, b: a @ b, [(2, 3, 4), (4, 5)]),
    "bmm_addmm": (lambda m, a, b, c: (m.bmm(a, b), m.addmm(c, a[0], b[0], beta=0.5)),
                  [(2, 3, 4), (2, 4, 5), (3, 5)]),
    "outer_dot": (lambda m, a, b: (m.outer(a, b), m.dot(a, b)), [(4,), (4,)]),
    "inv_det": (lambda m, a: (m.linalg.inv(a + 4 * m.eye(3, dtype=a.dtype, device=a.device)),
                              m.linalg.det(a)), [(3, 3)]),
    "solve_cholesky": (lambda m, a, b: (
        m.linalg.solve(a @ a.mT + m.eye(3, dtype=a.dtype, device=a.device), b),
        m.linalg.cholesky(a @ a.mT + m.eye(3, dtype=a.dtype, device=a.device))), [(3, 3), (3, 2)]),
    "qr_svdvals_eigh": (lambda m, a: (m.linalg.qr(a)[1].abs(), m.linalg.svdvals(a),
                                      m.linalg.eigvalsh(a + a.mT)), [(4, 4)]),
    "norms": (lambda m, a: (m.linalg.matrix_norm(a), m.linalg.norm(a, 2, dim=1)), [S]),
    # nn kernels (core ops)
    "softmax": (lambda m, a: (m.softmax(a, 1), m.log_softmax(a, 0)), [S]),
    "activations": (lambda m, a: (m.relu(a), m.sigmoid(a), m.tanh(a), m.selu(a)), [S]),
    "conv2d": (lambda m, x, w, b: m.conv2d(x, w, b, stride=2, padding=1),
               [(2, 3, 7, 7), (4, 3, 3, 3), (4,)]),
    "conv2d_groups_dilation": (lambda m, x, w: m.conv2d(x, w, padding="same", dilation=2,
                                                        groups=2), [(1, 4, 6, 6), (4, 2, 3, 3)]),
    "conv1d": (lambda m, x, w: m.conv1d(x, w, stride=1), [(2, 3, 9), (5, 3, 4)]),
    "conv_transpose2d": (lambda m, x, w: m.conv_transpose2d(x, w, stride=2, padding=1,
                                                            output_padding=1),
                         [(2, 3, 4, 4), (3, 2, 3, 3)]),
    "max_pool2d": (lambda m, x: m.max_pool2d(x, 2), [(2, 3, 6, 6)]),
    "avg_pool2d": (lambda m, x: m.avg_pool2d(x, 3, stride=2, padding=1), [(2, 3, 7, 7)]),
    "adaptive_avg_pool2d": (lambda m, x: m.adaptive_avg_pool2d(x, (2, 3)), [(2, 3, 7, 7)]),
    "batch_norm": (lambda m, x, w, b: m.batch_norm(x, w, b, None, None, True, 0.1, 1e-5, False), [(4, 3, 5, 5),
                                                                                (3,), (3,)]),
    "layer_norm": (lambda m, x, w, b: m.layer_norm(x, (4,), w, b), [S, (4,), (4,)]),
    "group_norm": (lambda m, x: m.group_norm(x, 2), [(2, 4, 3, 3)]),
    "embedding": (lambda m, w: m.embedding(w, m.tensor([[1, 3], [3, 0]], device=w.device)),
                  [(5, 4)]),
    "dropout_eval": (lambda m, a: m.dropout(a, 0.5, False), [S]),
    "fft": (lambda m, a: (m.fft.rfft(a).abs(), m.fft.fft(a, dim=0).real), [S]),
    # more linear algebra, special functions, scans and complex numbers
    "svd_pinv_lstsq": (lambda m, a, b: (m.linalg.svd(a)[1], m.linalg.pinv(a),
                                        m.linalg.lstsq(a, b).solution), [(5, 3), (5, 2)]),
    "eig_slogdet_matrix_exp": (lambda m, a: (m.linalg.eigvals(a).abs(), *m.linalg.slogdet(a),
                                             m.linalg.matrix_exp(a / 4)), [(3, 3)]),
    "lu_solve_triangular": (lambda m, a, b: (
        m.linalg.lu_factor(a + 4 * m.eye(3, dtype=a.dtype, device=a.device))[0],
        m.linalg.solve_triangular(a.triu() + 3 * m.eye(3, dtype=a.dtype, device=a.device), b,
                                  upper=True)), [(3, 3), (3, 2)]),
    "cross_kron_cdist": (lambda m, a, b: (m.linalg.cross(a[:, :3], b[:, :3]), m.kron(a, b),
                                          m.cdist(a, b)), [S, S]),
    "special": (lambda m, a: (m.special.digamma(a.abs() + 1), m.special.i0(a),
                              m.special.log_ndtr(a), m.special.xlogy(a.abs(), a.abs() + 1),
                              m.special.entr(a.abs())), [S]),
    "scans": (lambda m, a: (m.logcumsumexp(a, 1), m.cummin(a, 0)[1], a.cumsum(0).diff(dim=1)),
              [S]),
    "histc_bincount": (lambda m, a: (m.histc(a, 5, -2, 2), m.bincount(
        (a.abs() * 2).long().flatten())), [S]),
    "complex": (lambda m, a, b: (m.complex(a, b).abs(), (m.complex(a, b) ** 2).angle(),
                                 m.view_as_real(m.polar(a.abs(), b))), [S, S]),
    "kthvalue_quantile": (lambda m, a: (*m.kthvalue(a, 2, 1), m.quantile(a, 0.3, dim=1),
                                        m.nanmean(a)), [S]),
    "argsort_stable": (lambda m, a: m.argsort(m.round(a), dim=1, stable=True),
                       [((4, 6), "int64")]),
    "tensordot_cov": (lambda m, a, b: (m.tensordot(a, b, dims=([1], [1])), m.cov(a),
                                       m.corrcoef(b)), [S, S]),
    "meshgrid_cartesian": (lambda m, a, b: (*m.meshgrid(a, b, indexing="ij"),
                                            m.cartesian_prod(a, b)), [(3,), (2,)]),
    "clone_inplace_chain": (lambda m, a: a.clone().mul_(2).add_(1).clamp_(max=2).sqrt_()
                            if a.is_floating_point() else a, [S]),
    # float32 and half
    "float32_chain": (lambda m, a: (a.float() * 2).exp().sum(1), [S]),
    "half_add": (lambda m, a: (a.half() + 1).float(), [S]),
    "type_promotion": (lambda m, a, b: (a * 2.5, a + b, a / 2), [((4,), "int64"), ((4,),
                                                                                  "float64")]),
}


def _shapes(spec):
    return [_arr(*(s if isinstance(s[0], tuple) else (s,))) for s in spec]


@pytest.mark.parametrize("name", sorted(CASES))
def test_op_matches_cpu(name):
    fn, spec = CASES[name]
    rtol = 1e-5 if "float32" in name or "half" in name else 1e-9
    check(fn, _shapes(spec), rtol=rtol, atol=rtol)


def test_placement_and_transfer():
    a = ember.arange(6.0).reshape(2, 3)
    g = a.cuda()
    assert g.device == ember.device("cuda", 0) and g.is_cuda and not a.is_cuda
    assert str(g.device) == "cuda:0" and "device='cuda:0'" in repr(g)
    assert g.to("cpu").device.type == "cpu" and g.cpu().tolist() == a.tolist()
    assert ember.zeros(2, device="cuda").device.type == "cuda"
    assert g.sum().item() == 15.0 and g[1, 2].item() == 5.0
    assert g.tolist() == a.tolist() and float(g.sum()) == 15.0
    h = ember.ones(3, device="cuda:0", dtype=ember.float16)
    assert h.dtype == ember.float16 and h.device.index == 0
    assert ember.tensor([1, 2], device="cuda").to(a).device.type == "cpu"
    assert a.to(g).device.type == "cuda"
    assert g.new_zeros(2).device.type == "cuda" and ember.zeros_like(g).device.type == "cuda"
    with pytest.raises(TypeError, match="cuda"):
        g.numpy()


def test_mixing_devices_raises_like_pytorch():
    a, b = ember.ones(3), ember.ones(3, device="cuda")
    with pytest.raises(RuntimeError, match="same device"):
        a + b
    # a CPU 0-d tensor mixes with CUDA tensors, as in PyTorch
    assert (b * ember.tensor(2.0)).device.type == "cuda"


def test_creation_and_random_on_device():
    ember.manual_seed(0)
    for t in (ember.randn(4, 5, device="cuda"), ember.rand(3, device="cuda"),
              ember.randint(0, 5, (6,), device="cuda"), ember.randperm(7, device="cuda"),
              ember.empty(2, device="cuda").normal_(), ember.arange(5, device="cuda"),
              ember.linspace(0, 1, 5, device="cuda"), ember.eye(3, device="cuda"),
              ember.full((2,), 3.0, device="cuda")):
        assert t.device.type == "cuda"
    p = ember.rand(1000, device="cuda")
    assert 0 <= p.min().item() and p.max().item() < 1
    assert ember.randperm(50, device="cuda").sort()[0].tolist() == list(range(50))
    x = ember.ones(10000, device="cuda")
    keep = ember.dropout(x, 0.5, True)
    frac = (keep == 0).float().mean().item()
    assert 0.45 < frac < 0.55 and keep.device.type == "cuda"


def test_autograd_inplace_and_views_on_device():
    x = ember.randn(4, 3, device="cuda", dtype=ember.float64, requires_grad=True)
    y = x * 2
    y[1:3].mul_(3)
    y.t()[0].add_(1)
    y.sum().backward()
    expected = np.full((4, 3), 2.0)
    expected[1:3] *= 3
    np.testing.assert_allclose(x.grad.cpu().numpy(), expected)
    z = ember.zeros(3, device="cuda", requires_grad=True)
    (z.exp() * ember.arange(3.0, device="cuda")).sum().backward()
    assert z.grad.device.type == "cuda" and z.grad.tolist() == [0.0, 1.0, 2.0]


def test_gradcheck_on_device():
    x = ember.randn(3, 4, device="cuda", dtype=ember.float64, requires_grad=True)
    w = ember.randn(4, 2, device="cuda", dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(lambda a, b: (a @ b).tanh().sum(0), (x, w))


def test_save_and_load_cuda_tensors(tmp_path):
    g = ember.arange(6.0, device="cuda").reshape(2, 3)
    path = tmp_path / "t.pt"
    ember.save({"g": g, "view": g[1]}, path)
    back = ember.load(path)
    assert back["g"].device.type == "cuda" and back["g"].tolist() == g.tolist()
    cpu = ember.load(path, map_location="cpu")
    assert cpu["g"].device.type == "cpu" and cpu["view"].tolist() == [3.0, 4.0, 5.0]
    buf = io.BytesIO()
    ember.save(g, buf)
    buf.seek(0)
    assert ember.load(buf, map_location="cuda:0").device.type == "cuda"
    assert pickle.loads(pickle.dumps(g)).device.type == "cuda"


def test_dlpack_roundtrip():
    g = ember.arange(4.0, device="cuda")
    h = ember.from_dlpack(g)
    assert h.device.type == "cuda" and h.tolist() == [0.0, 1.0, 2.0, 3.0]


def test_torch_cuda_interop(torch):
    if not torch.cuda.is_available():
        pytest.skip("PyTorch without CUDA")
    tt = torch.arange(5.0, device="cuda")
    et = ember.from_dlpack(tt)
    assert et.device.type == "cuda" and et.tolist() == tt.tolist()
    back = torch.from_dlpack(ember.arange(3.0, device="cuda") * 2)
    assert back.is_cuda and back.tolist() == [0.0, 2.0, 4.0]


def test_torch_loads_ember_cuda_checkpoint(torch, tmp_path):
    if not torch.cuda.is_available():
        pytest.skip("PyTorch without CUDA")
    path = tmp_path / "c.pt"
    ember.save({"w": ember.ones(2, 2, device="cuda")}, path)
    got = torch.load(path)
    assert got["w"].is_cuda and got["w"].sum().item() == 4.0
    torch.save({"w": torch.full((3,), 2.0, device="cuda")}, path)
    back = ember.load(path)
    assert back["w"].device.type == "cuda" and back["w"].tolist() == [2.0] * 3


def test_cuda_module_api():
    assert ember.cuda.device_count() >= 1 and ember.cuda.current_device() == 0
    assert isinstance(ember.cuda.get_device_name(0), str)
    x = ember.ones(1 << 20, device="cuda")
    assert ember.cuda.memory_allocated() >= x.numel() * 4
    ember.cuda.synchronize()
    start, end = ember.cuda.Event(enable_timing=True), ember.cuda.Event(enable_timing=True)
    start.record()
    (x * 2).sum()
    end.record()
    end.synchronize()
    assert start.elapsed_time(end) >= 0
    ember.cuda.manual_seed_all(0)


def test_sampling_ops_on_device():
    ember.manual_seed(0)
    probs = ember.tensor([[0.1, 0.0, 0.9], [0.5, 0.5, 0.0]], device="cuda")
    draws = ember.multinomial(probs, 200, replacement=True)
    assert draws.device.type == "cuda" and draws.shape == (2, 200)
    assert not (draws[0] == 1).any() and not (draws[1] == 2).any()
    assert ember.multinomial(probs, 2).shape == (2, 2)
    b = ember.bernoulli(ember.full((4000,), 0.25, device="cuda"))
    assert b.device.type == "cuda" and 0.2 < b.mean().item() < 0.3
    n = ember.normal(ember.zeros(4000, device="cuda"), 2.0)
    assert n.device.type == "cuda" and 1.8 < n.std().item() < 2.2
    p = ember.empty(3000, device="cuda").uniform_(2, 3).exponential_()
    assert p.device.type == "cuda" and (p > 0).all()


def test_pin_memory_and_dataloader():
    from ember.utils.data import DataLoader, TensorDataset

    x = ember.arange(12.0).reshape(6, 2)
    assert x.pin_memory().is_pinned()
    loader = DataLoader(TensorDataset(x, ember.arange(6)), batch_size=4, pin_memory=True)
    batches = list(loader)
    assert batches[0][0].is_pinned() and batches[0][0].device.type == "cpu"
    assert batches[0][0].cuda(non_blocking=True).device.type == "cuda"


def test_autocast_and_grad_scaler_on_cuda():
    import ember.optim

    x0 = ember.randn(4, 3)
    with ember.autocast("cuda"):
        g = x0.cuda()
        assert (g @ g.T).dtype == ember.float16 and (g @ g.T).device.type == "cuda"
        assert (x0 @ x0.T).dtype == ember.float32  # CUDA autocast leaves CPU ops alone
    runs = []
    for dev in ("cpu", "cuda"):
        x = x0.to(dev)
        w = ember.linspace(-1, 1, 6, device=dev).reshape(3, 2).requires_grad_()
        scaler = ember.amp.GradScaler(dev)
        opt = ember.optim.SGD([w], lr=0.1)
        scales = []
        for _ in range(5):
            opt.zero_grad()
            with ember.autocast(dev, dtype=ember.float16):
                loss = (x @ w).float().sum()
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            scales.append(scaler.get_scale())
        assert w.grad.device.type == dev
        runs.append((scales, w.detach().cpu().numpy()))
    assert runs[0][0] == runs[1][0] and runs[0][0][0] < 65536.0  # early steps overflowed
    np.testing.assert_allclose(runs[1][1], runs[0][1], rtol=1e-3, atol=1e-3)
