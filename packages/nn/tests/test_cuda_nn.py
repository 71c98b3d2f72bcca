"""ember.nn on the CUDA backend: modules and functionals give the CPU's outputs and gradients.

Skipped where no GPU is usable (CI); they run on GPU machines.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.testing.conformance import assert_same_on_device

pytestmark = pytest.mark.skipif(not ember.cuda.is_available(), reason="no CUDA device")

RNG = np.random.default_rng(1)


def _x(*shape):
    return RNG.uniform(-2, 2, size=shape)


FUNCTIONALS = {
    "pad_reflect": (lambda m, x: m.nn.functional.pad(x, (1, 2, 2, 1), mode="reflect"),
                    [(1, 2, 4, 4)]),
    "pad_constant": (lambda m, x: m.nn.functional.pad(x, (1, 2), value=0.5), [(2, 3)]),
    "interpolate_bilinear": (lambda m, x: m.nn.functional.interpolate(
        x, scale_factor=2, mode="bilinear", align_corners=False), [(1, 2, 3, 3)]),
    "interpolate_nearest": (lambda m, x: m.nn.functional.interpolate(x, size=(5, 7)),
                            [(1, 2, 3, 3)]),
    "interpolate_bicubic_aa": (lambda m, x: m.nn.functional.interpolate(
        x, size=(3, 4), mode="bicubic", antialias=True), [(1, 2, 7, 9)]),
    "grid_sample": (lambda m, x, g: m.nn.functional.grid_sample(x, g.tanh(), align_corners=False),
                    [(1, 2, 4, 5), (1, 3, 3, 2)]),
    "sdpa_causal": (lambda m, q, k, v: m.nn.functional.scaled_dot_product_attention(
        q, k, v, is_causal=True), [(2, 4, 8), (2, 4, 8), (2, 4, 8)]),
    "gelu_silu_mish": (lambda m, x: (m.nn.functional.gelu(x, approximate="tanh"),
                                     m.nn.functional.silu(x), m.nn.functional.mish(x),
                                     m.nn.functional.softplus(x, beta=2)), [(3, 4)]),
    "cross_entropy_smooth": (lambda m, x: m.nn.functional.cross_entropy(
        x, m.tensor([0, 3, 1], device=x.device), label_smoothing=0.1), [(3, 4)]),
    "cross_entropy_probs": (lambda m, x, p: m.nn.functional.cross_entropy(x, p.softmax(1)),
                            [(3, 4), (3, 4)]),
    "nll_weight_ignore": (lambda m, x, w: m.nn.functional.nll_loss(
        x.log_softmax(1), m.tensor([0, 3, -100], device=x.device), weight=w.abs().detach()),
        [(3, 4), (4,)]),
    "losses": (lambda m, a, b: (m.nn.functional.mse_loss(a, b), m.nn.functional.l1_loss(a, b),
                                m.nn.functional.smooth_l1_loss(a, b, beta=0.5),
                                m.nn.functional.huber_loss(a, b),
                                m.nn.functional.binary_cross_entropy_with_logits(a, b.sigmoid()),
                                m.nn.functional.kl_div(a.log_softmax(1), b.softmax(1),
                                                       reduction="batchmean")), [(3, 4), (3, 4)]),
    "ctc_loss": (lambda m, x: m.nn.functional.ctc_loss(
        x.log_softmax(2), m.tensor([[1, 2, 2], [3, 1, 0]], device=x.device),
        m.tensor([6, 5]), m.tensor([3, 2])), [(6, 2, 4)]),
    "max_pool_indices": (lambda m, x: m.nn.functional.max_pool2d(x, 3, 2, 1,
                                                                 return_indices=True),
                         [(1, 2, 7, 7)]),
    "max_unpool": (lambda m, x: m.nn.functional.max_unpool2d(
        *m.nn.functional.max_pool2d(x, 2, return_indices=True), 2), [(1, 2, 4, 4)]),
    "adaptive_max_pool": (lambda m, x: m.nn.functional.adaptive_max_pool2d(x, 3), [(1, 2, 7, 5)]),
    "avg_pool3d": (lambda m, x: m.nn.functional.avg_pool3d(x, 2), [(1, 1, 4, 4, 4)]),
    "conv3d": (lambda m, x, w: m.nn.functional.conv3d(x, w, padding=1), [(1, 2, 4, 4, 4),
                                                                         (3, 2, 3, 3, 3)]),
    "unfold_fold": (lambda m, x: m.nn.functional.fold(m.nn.functional.unfold(x, 2), (4, 4), 2),
                    [(1, 2, 4, 4)]),
    "pixel_shuffle": (lambda m, x: m.nn.functional.pixel_shuffle(x, 2), [(1, 8, 3, 3)]),
    "normalize_cosine": (lambda m, a, b: (m.nn.functional.normalize(a, dim=1),
                                          m.nn.functional.cosine_similarity(a, b)),
                         [(3, 4), (3, 4)]),
    "instance_local_norm": (lambda m, x: (m.nn.functional.instance_norm(x),
                                          m.nn.functional.local_response_norm(x, 2)),
                            [(2, 3, 4, 4)]),
    "embedding_bag": (lambda m, w: m.nn.functional.embedding_bag(
        m.tensor([1, 2, 4, 0], device=w.device), w, m.tensor([0, 2], device=w.device),
        mode="max"), [(5, 3)]),
    "one_hot": (lambda m, x: m.nn.functional.one_hot(m.tensor([0, 2, 1], device=x.device), 4)
                + x.argmax(), [(2,)]),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONALS))
def test_functional_matches_cpu(name):
    fn, shapes = FUNCTIONALS[name]
    assert_same_on_device(fn, [_x(*s) for s in shapes], "cuda")


class _Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(8)
        self.pool = nn.MaxPool2d(2)
        self.drop = nn.Dropout(0.0)
        self.fc = nn.Linear(8 * 4 * 4, 5)

    def forward(self, x):
        return self.fc(self.drop(self.pool(F.relu(self.bn(self.conv(x))))).flatten(1))


MODELS = {
    "cnn": (_Block, (4, 3, 8, 8)),
    "mlp": (lambda: nn.Sequential(nn.Linear(6, 16), nn.GELU(), nn.LayerNorm(16),
                                  nn.Linear(16, 3)), (5, 6)),
    "lstm": (lambda: nn.LSTM(6, 8, num_layers=2, batch_first=True, bidirectional=True),
             (3, 5, 6)),
    "gru": (lambda: nn.GRU(6, 8), (5, 3, 6)),
    "rnn_tanh": (lambda: nn.RNN(6, 4, nonlinearity="tanh"), (5, 2, 6)),
    "transformer": (lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(
        16, 4, 32, dropout=0.0, batch_first=True), 2), (2, 7, 16)),
    "mha": (lambda: nn.MultiheadAttention(16, 2, batch_first=True), (2, 5, 16)),
    "conv_transpose_gn": (lambda: nn.Sequential(nn.ConvTranspose2d(3, 4, 3, stride=2),
                                                nn.GroupNorm(2, 4), nn.SiLU()), (2, 3, 5, 5)),
    "conv1d_bn1d": (lambda: nn.Sequential(nn.Conv1d(3, 4, 3), nn.BatchNorm1d(4),
                                          nn.AdaptiveAvgPool1d(2)), (2, 3, 9)),
}


def _first(out):
    return out[0] if isinstance(out, tuple) else out


@pytest.mark.parametrize("name", sorted(MODELS))
def test_module_matches_cpu(name):
    build, shape = MODELS[name]
    ember.manual_seed(0)
    cpu_model = build().double()
    gpu_model = copy.deepcopy(cpu_model).cuda()
    for p in gpu_model.parameters():
        assert p.device.type == "cuda" and p.is_leaf and isinstance(p, nn.Parameter)
    for b in gpu_model.buffers():
        assert b.device.type == "cuda"
    x = _x(*shape)
    args = (x, x, x) if name == "mha" else (x,)
    outs = []
    for model, dev in ((cpu_model, "cpu"), (gpu_model, "cuda")):
        inputs = [ember.tensor(a, device=dev) for a in args]
        out = _first(model(*inputs))
        (out * ember.linspace(0.5, 1.5, out.numel(), dtype=out.dtype, device=dev)
         .reshape(out.shape)).sum().backward()
        outs.append(out)
    assert outs[1].device.type == "cuda"
    np.testing.assert_allclose(outs[1].detach().cpu().numpy(), outs[0].detach().numpy(),
                               rtol=1e-9, atol=1e-9)
    for (n, pc), pg in zip(cpu_model.named_parameters(), gpu_model.parameters()):
        assert pg.grad.device.type == "cuda", n
        np.testing.assert_allclose(pg.grad.cpu().numpy(), pc.grad.numpy(), rtol=1e-8,
                                   atol=1e-9, err_msg=n)
    for (n, bc), bg in zip(cpu_model.named_buffers(), gpu_model.buffers()):
        np.testing.assert_allclose(bg.cpu().numpy(), bc.numpy(), rtol=1e-9, atol=1e-9,
                                   err_msg=n)


def test_state_dict_moves_between_devices(tmp_path):
    model = _Block().cuda()
    sd = model.state_dict()
    assert all(v.device.type == "cuda" for v in sd.values())
    path = tmp_path / "m.pt"
    ember.save(sd, path)
    cpu = _Block()
    cpu.load_state_dict(ember.load(path, map_location="cpu"))
    for k, v in cpu.state_dict().items():
        assert v.device.type == "cpu"
        np.testing.assert_array_equal(v.numpy(), sd[k].cpu().numpy())
    # loading CPU values into a CUDA model copies them onto its device
    model.load_state_dict(cpu.state_dict())
    assert next(model.parameters()).device.type == "cuda"


def test_training_loop_on_cuda_learns():
    ember.manual_seed(0)
    x = ember.randn(256, 10, device="cuda")
    w = ember.randn(10, 1, device="cuda")
    y = (x @ w > 0).float().squeeze(1).long()
    model = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 2)).to("cuda")
    opt_sgd = [p for p in model.parameters()]
    lr = 0.5
    loss0 = None
    for _ in range(100):
        loss = F.cross_entropy(model(x), y)
        if loss0 is None:
            loss0 = loss.item()
        model.zero_grad()
        loss.backward()
        with ember.no_grad():
            for p in opt_sgd:
                p -= lr * p.grad
    assert loss.item() < 0.3 * loss0
    assert loss.device.type == "cuda"
