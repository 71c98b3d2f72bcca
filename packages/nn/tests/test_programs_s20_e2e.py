"""Session 20: whole training programs (the official tutorials' shapes) run under PyTorch and
under Ember with the same seeds, comparing every number a user would print.

Each program is written once against a namespace ``L`` holding the library's modules
(``L.torch``, ``L.nn``, ``L.F``, ``L.optim``, ``L.data``) and returns what it printed: loss
per step, accuracies, learning rates, final weights and predictions. Ember draws the same
random numbers as PyTorch for the same seed, so the two runs must agree to float32 rounding.
"""

from __future__ import annotations

import io
import math
from types import SimpleNamespace

import numpy as np
import pytest
from _programs import namespace as _lib
from _programs import plain as _plain
from _programs import run
from _programs import same as _same

import ember
import ember.nn
import ember.nn.functional

torch = pytest.importorskip("torch")
pytest.importorskip("ember.optim")
import ember.optim  # noqa: E402
import ember.optim.lr_scheduler  # noqa: E402
import ember.utils.data  # noqa: E402


def _run(program: object, rtol: float = 2e-5, atol: float = 1e-6) -> None:
    """Runs ``program(L)`` with both libraries and compares what it printed."""
    run(program, torch, rtol, atol)


def _dtype(L: SimpleNamespace, t: object) -> str:
    return str(t.dtype).split(".")[-1]


# ---------------------------------------------------------------- quickstart (FashionMNIST shape)
def quickstart(L: SimpleNamespace) -> list:
    nn = L.nn
    L.torch.manual_seed(0)
    X, y = L.torch.rand(96, 1, 28, 28), L.torch.randint(0, 10, (96,))
    Xt, yt = L.torch.rand(40, 1, 28, 28), L.torch.randint(0, 10, (40,))
    train = L.data.DataLoader(L.data.TensorDataset(X, y), batch_size=32, shuffle=True)
    test = L.data.DataLoader(L.data.TensorDataset(Xt, yt), batch_size=16)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 64),
                          nn.ReLU(), nn.Linear(64, 10))
    loss_fn = nn.CrossEntropyLoss()
    opt = L.optim.SGD(model.parameters(), lr=0.1)
    out = [len(train), len(test), list(next(iter(test))[0].shape), _dtype(L, yt)]
    for _ in range(2):
        model.train()
        for xb, yb in train:
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            opt.zero_grad()
            out.append(loss.item())
        model.eval()
        test_loss, correct = 0.0, 0.0
        with L.torch.no_grad():
            for xb, yb in test:
                pred = model(xb)
                test_loss += loss_fn(pred, yb).item()
                correct += (pred.argmax(1) == yb).type(L.torch.float).sum().item()
        out += [test_loss / len(test), correct / len(test.dataset)]
    out += [model[1].weight.grad is None, list(model.state_dict()), model(Xt[:3])]
    return out


def test_quickstart_matches_torch() -> None:
    _run(quickstart)


# ---------------------------------------------------------------- CIFAR-10 style CNN
def cifar_cnn(L: SimpleNamespace) -> list:
    nn, F = L.nn, L.F
    L.torch.manual_seed(1)

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(3, 6, 5)
            self.pool = nn.MaxPool2d(2, 2)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 32)
            self.fc2 = nn.Linear(32, 10)

        def forward(self, x: object) -> object:
            x = self.pool(F.relu(self.conv1(x)))
            x = self.pool(F.relu(self.conv2(x)))
            return self.fc2(F.relu(self.fc1(L.torch.flatten(x, 1))))

    net = Net()
    opt = L.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    data, labels = L.torch.randn(16, 3, 32, 32), L.torch.randint(0, 10, (16,))
    loader = L.data.DataLoader(L.data.TensorDataset(data, labels), batch_size=4, shuffle=True)
    out = []
    for _ in range(2):
        for xb, yb in loader:
            opt.zero_grad()
            loss = nn.CrossEntropyLoss()(net(xb), yb)
            loss.backward()
            opt.step()
            out.append(loss.item())
    with L.torch.no_grad():
        outputs = net(data)
        _, predicted = L.torch.max(outputs, 1)
    out += [predicted, (predicted == labels).sum().item(), outputs[:2], net.conv1.weight[0, 0]]
    return out


def test_cifar_cnn_matches_torch() -> None:
    _run(cifar_cnn)


# ---------------------------------------------------------------- transfer learning (resnet18)
def transfer(L: SimpleNamespace, models: object, sd: dict) -> list:
    nn = L.nn
    L.torch.manual_seed(0)
    model = models.resnet18()
    msg = model.load_state_dict(sd)
    for p in model.parameters():
        p.requires_grad = False
    model.fc = nn.Linear(model.fc.in_features, 2)
    opt = L.optim.SGD(model.fc.parameters(), lr=0.001, momentum=0.9)
    sched = L.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.1)
    x, y = L.torch.randn(4, 3, 32, 32), L.torch.randint(0, 2, (4,))
    out = [str(msg)]
    for _ in range(3):
        for phase in ("train", "val"):
            model.train(phase == "train")
            opt.zero_grad()
            with L.torch.set_grad_enabled(phase == "train"):
                logits = model(x)
                _, preds = L.torch.max(logits, 1)
                loss = nn.CrossEntropyLoss()(logits, y)
                if phase == "train":
                    loss.backward()
                    opt.step()
                    sched.step()
            acc = L.torch.sum(preds == y).double() / 4
            out += [loss.item(), acc.item(), _dtype(L, acc), sched.get_last_lr()]
    out += [model.layer1[0].bn1.running_mean[:4], model.bn1.num_batches_tracked,
            sum(p.numel() for p in model.parameters() if p.requires_grad), sched.state_dict()]
    return out


def test_transfer_learning_resnet18_matches_torch() -> None:
    tv = pytest.importorskip("torchvision")
    emodels = pytest.importorskip("ember.vision.models")
    torch.manual_seed(0)
    sd = tv.models.resnet18().state_dict()  # "pretrained" weights, shared by both runs
    esd = {k: ember.tensor(v.numpy()) for k, v in sd.items()}
    expected = _plain(transfer(_lib(torch), tv.models, sd))
    got = _plain(transfer(_lib(ember), emodels, esd))
    _same(got, expected, 2e-5, 1e-6)


# ---------------------------------------------------------------- char-RNN (GRU + Embedding)
def char_rnn(L: SimpleNamespace) -> list:
    nn = L.nn
    L.torch.manual_seed(0)
    text = "hello world, this is a tiny corpus for a char rnn. " * 3
    chars = sorted(set(text))

    def encode(s: str) -> object:
        return L.torch.tensor([chars.index(c) for c in s], dtype=L.torch.long)

    class CharRNN(nn.Module):
        def __init__(self, n: int, h: int) -> None:
            super().__init__()
            self.encoder = nn.Embedding(n, h)
            self.gru = nn.GRU(h, h, 2, batch_first=True, dropout=0.1)
            self.decoder = nn.Linear(h, n)

        def forward(self, x: object, hidden: object) -> tuple:
            out, hidden = self.gru(self.encoder(x), hidden)
            return self.decoder(out), hidden

    model = CharRNN(len(chars), 16)
    opt = L.optim.Adam(model.parameters(), lr=0.01)
    out = []
    for _ in range(6):
        starts = L.torch.randint(0, len(text) - 13, (4,)).tolist()
        inp = L.torch.stack([encode(text[s:s + 12]) for s in starts])
        tgt = L.torch.stack([encode(text[s + 1:s + 13]) for s in starts])
        opt.zero_grad()
        logits, _ = model(inp, L.torch.zeros(2, 4, 16))
        loss = nn.CrossEntropyLoss()(logits.reshape(-1, len(chars)), tgt.reshape(-1))
        loss.backward()
        out.append(nn.utils.clip_grad_norm_(model.parameters(), 1.0))
        opt.step()
        out.append(loss.item())
    model.eval()
    generated, hidden = "h", L.torch.zeros(2, 1, 16)
    with L.torch.no_grad():
        logits, hidden = model(encode("h").unsqueeze(0), hidden)
        for _ in range(10):
            idx = L.torch.multinomial(logits[0, -1].div(0.8).exp(), 1)[0]
            generated += chars[idx]
            logits, hidden = model(encode(chars[idx]).unsqueeze(0), hidden)
    return out + [generated, hidden, list(model.state_dict())]


def test_char_rnn_gru_matches_torch() -> None:
    _run(char_rnn)


# ---------------------------------------------------------------- seq2seq with attention
def seq2seq(L: SimpleNamespace) -> list:
    nn, F, T = L.nn, L.F, L.torch
    T.manual_seed(3)
    H, steps = 12, 5

    class Attn(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.Wa, self.Ua, self.Va = nn.Linear(H, H), nn.Linear(H, H), nn.Linear(H, 1)

        def forward(self, q: object, keys: object) -> tuple:
            scores = self.Va(T.tanh(self.Wa(q) + self.Ua(keys))).squeeze(2).unsqueeze(1)
            w = F.softmax(scores, dim=-1)
            return T.bmm(w, keys), w

    emb_e, enc = nn.Embedding(10, H), nn.GRU(H, H, batch_first=True)
    emb_d, attn = nn.Embedding(8, H), Attn()
    dec, proj = nn.GRU(2 * H, H, batch_first=True), nn.Linear(H, 8)
    mods = nn.ModuleList([emb_e, enc, emb_d, attn, dec, proj])
    opt = L.optim.Adam(mods.parameters(), lr=0.01)
    src, tgt = T.randint(2, 10, (4, steps)), T.randint(2, 8, (4, steps))

    def run(teacher: bool) -> tuple:
        keys, hidden = enc(F.dropout(emb_e(src), 0.1, mods.training))
        inp = T.zeros(4, 1, dtype=T.long)
        outs, ws = [], []
        for i in range(steps):
            ctx, w = attn(hidden.permute(1, 0, 2), keys)
            o, hidden = dec(T.cat((emb_d(inp), ctx), dim=2), hidden)
            outs.append(proj(o))
            ws.append(w)
            inp = tgt[:, i].unsqueeze(1) if teacher else outs[-1].topk(1)[1].squeeze(-1).detach()
        return F.log_softmax(T.cat(outs, dim=1), dim=-1), T.cat(ws, dim=1)

    out = []
    for _ in range(5):
        opt.zero_grad()
        logp, _ = run(True)
        loss = nn.NLLLoss()(logp.view(-1, 8), tgt.view(-1))
        loss.backward()
        opt.step()
        out += [loss.item(), loss.grad_fn.name()]
    mods.eval()
    with T.no_grad():
        logp, w = run(False)
    return out + [logp.topk(1)[1].squeeze(), w.sum(-1), w[0]]


def test_seq2seq_attention_matches_torch() -> None:
    _run(seq2seq)


# ---------------------------------------------------------------- Transformer language model
def transformer_lm(L: SimpleNamespace) -> list:
    nn, T = L.nn, L.torch
    T.manual_seed(0)
    ntok, d = 30, 16

    class LM(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            pos = T.arange(50).unsqueeze(1)
            div = T.exp(T.arange(0, d, 2) * (-math.log(10000.0) / d))
            pe = T.zeros(50, 1, d)
            pe[:, 0, 0::2] = T.sin(pos * div)
            pe[:, 0, 1::2] = T.cos(pos * div)
            self.register_buffer("pe", pe)
            layer = nn.TransformerEncoderLayer(d, 2, 32, 0.1)
            self.encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
            self.embedding = nn.Embedding(ntok, d)
            self.linear = nn.Linear(d, ntok)
            self.embedding.weight.data.uniform_(-0.1, 0.1)
            self.linear.bias.data.zero_()

        def forward(self, src: object) -> object:
            x = self.embedding(src) * math.sqrt(d) + self.pe[:src.size(0)]
            mask = nn.Transformer.generate_square_subsequent_mask(len(src))
            return self.linear(self.encoder(x, mask))

    model = LM()
    data = T.randint(0, ntok, (84,)).view(4, 21).t().contiguous()
    opt = L.optim.SGD(model.parameters(), lr=1.0)
    sched = L.optim.lr_scheduler.StepLR(opt, 1.0, gamma=0.95)
    out = [nn.Transformer.generate_square_subsequent_mask(3)]
    for _ in range(2):
        model.train()
        for i in range(0, 20, 10):
            src, tgt = data[i:i + 10], data[i + 1:i + 11].reshape(-1)
            loss = nn.CrossEntropyLoss()(model(src).view(-1, ntok), tgt)
            opt.zero_grad()
            loss.backward()
            out.append(nn.utils.clip_grad_norm_(model.parameters(), 0.5))
            opt.step()
            out += [loss.item(), math.exp(loss.item())]
        sched.step()
        out.append(sched.get_last_lr())
    model.eval()
    with T.no_grad():
        out.append(model(data[:10])[-1, 0])
    return out + [list(model.state_dict())[:9]]


def test_transformer_lm_matches_torch() -> None:
    _run(transformer_lm)


# ---------------------------------------------------------------- VAE
def vae(L: SimpleNamespace) -> list:
    nn, F, T = L.nn, L.F, L.torch
    T.manual_seed(1)
    enc, mu_l, lv_l = nn.Linear(64, 32), nn.Linear(32, 4), nn.Linear(32, 4)
    dec = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 64), nn.Sigmoid())
    mods = nn.ModuleList([enc, mu_l, lv_l, dec])
    opt = L.optim.Adam(mods.parameters(), lr=1e-3)
    loader = L.data.DataLoader(T.rand(32, 1, 8, 8), batch_size=8, shuffle=True)
    out = []
    for _ in range(2):
        for x in loader:
            h = F.relu(enc(x.view(-1, 64)))
            mu, logvar = mu_l(h), lv_l(h)
            std = T.exp(0.5 * logvar)
            z = mu + T.randn_like(std) * std
            recon = dec(z)
            bce = F.binary_cross_entropy(recon, x.view(-1, 64), reduction="sum")
            kld = -0.5 * T.sum(1 + logvar - mu.pow(2) - logvar.exp())
            loss = bce + kld
            opt.zero_grad()
            loss.backward()
            opt.step()
            out += [loss.item() / len(x), bce.item(), kld.item()]
    with T.no_grad():
        out.append(dec(T.randn(2, 4))[:, :5])
    return out + [opt.state_dict()["state"][0]["step"], mu.grad_fn.name()]


def test_vae_matches_torch() -> None:
    _run(vae)


# ---------------------------------------------------------------- DCGAN step
def dcgan(L: SimpleNamespace) -> list:
    nn, T = L.nn, L.torch
    T.manual_seed(999)

    def init(m: object) -> None:
        name = m.__class__.__name__
        if "Conv" in name:
            nn.init.normal_(m.weight.data, 0.0, 0.02)
        elif "BatchNorm" in name:
            nn.init.normal_(m.weight.data, 1.0, 0.02)
            nn.init.constant_(m.bias.data, 0)

    G = nn.Sequential(nn.ConvTranspose2d(8, 16, 4, 1, 0, bias=False), nn.BatchNorm2d(16),
                      nn.ReLU(True), nn.ConvTranspose2d(16, 3, 4, 2, 1, bias=False), nn.Tanh())
    D = nn.Sequential(nn.Conv2d(3, 8, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
                      nn.Conv2d(8, 1, 4, 1, 0, bias=False), nn.Sigmoid())
    G.apply(init)
    D.apply(init)
    crit = nn.BCELoss()
    optD = L.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optG = L.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    loader = L.data.DataLoader(T.rand(16, 3, 8, 8) * 2 - 1, batch_size=8, shuffle=True)
    out = []
    for real in loader:
        D.zero_grad()
        label = T.full((real.size(0),), 1.0, dtype=T.float)
        err_real = crit(D(real).view(-1), label)
        err_real.backward()
        fake = G(T.randn(real.size(0), 8, 1, 1))
        label.fill_(0.0)
        output = D(fake.detach()).view(-1)
        err_fake = crit(output, label)
        err_fake.backward()
        optD.step()
        G.zero_grad()
        label.fill_(1.0)
        err_g = crit(D(fake).view(-1), label)
        err_g.backward()
        optG.step()
        out += [(err_real + err_fake).item(), err_g.item(), output.mean().item(),
                err_g.grad_fn.name()]
    return out + [G[1].running_var[:4], G[1].num_batches_tracked, fake[0, 0, :2, :3]]


def test_dcgan_step_matches_torch() -> None:
    _run(dcgan)


# ---------------------------------------------------------------- autoencoder, Adam + weight decay
def autoencoder(L: SimpleNamespace) -> list:
    nn, T = L.nn, L.torch
    T.manual_seed(7)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, stride=2, padding=1), nn.ReLU(), nn.Flatten(),
                          nn.Linear(4 * 7 * 7, 8), nn.Linear(8, 4 * 7 * 7),
                          nn.Unflatten(1, (4, 7, 7)),
                          nn.ConvTranspose2d(4, 1, 3, stride=2, padding=1, output_padding=1),
                          nn.Sigmoid())
    opt = L.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-5)
    opt2 = L.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-2, amsgrad=True)
    X = T.rand(24, 1, 14, 14)
    loader = L.data.DataLoader(X, batch_size=8, shuffle=True, drop_last=True)
    out = []
    for epoch in range(3):
        o = opt if epoch < 2 else opt2
        for img in loader:
            loss = nn.MSELoss()(model(img), img)
            o.zero_grad()
            loss.backward()
            o.step()
            out.append(loss.item())
    with T.no_grad():
        out.append(nn.functional.mse_loss(model(X), X, reduction="none").mean(dim=(1, 2, 3)))
    st = opt2.state_dict()["state"][0]
    return out + [list(st), st["max_exp_avg_sq"].flatten()[:3],
                  list(opt.state_dict()["param_groups"][0])]


def test_autoencoder_adam_weight_decay_matches_torch() -> None:
    _run(autoencoder)


# ---------------------------------------------------------------- regression with LBFGS
def lbfgs(L: SimpleNamespace) -> list:
    nn, T = L.nn, L.torch
    T.manual_seed(0)
    x = T.linspace(-2, 2, 30, dtype=T.float64).unsqueeze(1)
    y = 3 * x ** 3 - 2 * x + 0.5 + 0.1 * T.randn(30, 1, dtype=T.float64)
    model = nn.Sequential(nn.Linear(1, 8), nn.Tanh(), nn.Linear(8, 1)).double()
    opt = L.optim.LBFGS(model.parameters(), lr=1, max_iter=5, history_size=3,
                        line_search_fn="strong_wolfe")
    out = []
    for _ in range(3):
        def closure() -> object:
            opt.zero_grad()
            loss = nn.MSELoss()(model(x), y)
            loss.backward()
            return loss
        loss = opt.step(closure)
        st = opt.state[opt._params[0]]
        out += [loss.item(), st["n_iter"], st["func_evals"], len(st["old_dirs"])]
    return out + [model(T.tensor([[0.0], [1.0]], dtype=T.float64))]


def test_lbfgs_regression_matches_torch() -> None:
    # float64: the strong-Wolfe search amplifies float32 rounding differences step by step
    _run(lbfgs, rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------- gradient accumulation + clipping
def accumulation(L: SimpleNamespace) -> list:
    nn, T = L.nn, L.torch
    T.manual_seed(5)
    model = nn.Sequential(nn.Linear(10, 32), nn.BatchNorm1d(32), nn.GELU(), nn.Dropout(0.2),
                          nn.Linear(32, 3))
    opt = L.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True,
                      weight_decay=1e-4)
    crit = nn.CrossEntropyLoss(label_smoothing=0.1)
    X, Y = T.randn(32, 10), T.randint(0, 3, (32,))
    loader = L.data.DataLoader(L.data.TensorDataset(X, Y), batch_size=4, shuffle=True)
    out = []
    for i, (xb, yb) in enumerate(loader):
        loss = crit(model(xb), yb) / 4
        loss.backward()
        if (i + 1) % 4 == 0:
            total = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
            nn.utils.clip_grad_value_(model.parameters(), clip_value=0.05)
            opt.step()
            opt.zero_grad()
            out += [loss.item() * 4, total, _dtype(L, total)]
    model.eval()
    with T.no_grad():
        p = model(X).softmax(-1)
    return out + [p[:3], model[1].running_var[:4],
                  nn.utils.parameters_to_vector(model.parameters())[:5]]


def test_gradient_accumulation_clipping_matches_torch() -> None:
    _run(accumulation)


# ---------------------------------------------------------------- mixed precision on CPU
def autocast_bf16(L: SimpleNamespace) -> list:
    nn, T = L.nn, L.torch
    T.manual_seed(2)
    model = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.LayerNorm(32), nn.Linear(32, 4))
    conv = nn.Conv2d(3, 4, 3)
    opt = L.optim.SGD(list(model.parameters()) + list(conv.parameters()), lr=0.05)
    X, Y, img = T.randn(32, 16), T.randint(0, 4, (32,)), T.randn(2, 3, 8, 8)
    out = []
    for _ in range(4):
        opt.zero_grad()
        with T.autocast(device_type="cpu", dtype=T.bfloat16):
            logits = model(X)
            c = conv(img)
            loss = nn.CrossEntropyLoss()(logits, Y)
        out += [_dtype(L, logits), _dtype(L, c), _dtype(L, loss), loss.item()]
        (loss + c.float().mean()).backward()
        opt.step()
    return out + [logits, c[0, 0, 0], model[2].weight, model[2].bias, _dtype(L, model[2].weight)]


def test_autocast_bfloat16_training_matches_torch() -> None:
    # bfloat16 results agree bit for bit: one bfloat16 ulp would be a relative 4e-3
    _run(autocast_bf16, rtol=1e-5)


def test_layer_norm_half_input_float32_weight_grads_match_torch() -> None:
    """Autocast's layer norm (bfloat16/float16 input, float32 weight): PyTorch sums the
    weight and bias gradients in per-thread buffers of the input's dtype."""
    for dt in ("bfloat16", "float16"):
        for shape, ns in (((7, 5), (5,)), ((3, 4, 6), (6,)), ((33, 64), (64,))):
            torch.manual_seed(2)
            tl = torch.nn.LayerNorm(ns)
            x = torch.randn(*shape).to(getattr(torch, dt))
            g = torch.randn(*shape).to(getattr(torch, dt))
            el = ember.nn.LayerNorm(ns)
            ex = ember.tensor(x.float().numpy()).to(getattr(ember, dt)).requires_grad_()
            tx = x.clone().requires_grad_()
            ty, ey = tl(tx), el(ex)
            ty.backward(g)
            ey.backward(ember.tensor(g.float().numpy()).to(getattr(ember, dt)))
            assert str(ey.dtype) == str(ty.dtype).replace("torch", "ember")
            assert el.weight.grad.dtype == ember.float32
            for e, t in ((ey, ty), (ex.grad, tx.grad), (el.weight.grad, tl.weight.grad),
                         (el.bias.grad, tl.bias.grad)):
                np.testing.assert_array_equal(_plain(e), _plain(t))


# ---------------------------------------------------------------- Dataset, random_split, sampler
def datasets(L: SimpleNamespace) -> list:
    T, D = L.torch, L.data
    T.manual_seed(42)

    class MyDataset(D.Dataset):
        def __init__(self, n: int) -> None:
            self.x, self.y = T.randn(n, 5), (T.rand(n) < 0.2).long()

        def __len__(self) -> int:
            return len(self.x)

        def __getitem__(self, i: int) -> dict:
            return {"x": self.x[i], "y": self.y[i], "idx": i}

    ds = MyDataset(40)
    train, val = D.random_split(ds, [0.8, 0.2], generator=T.Generator().manual_seed(0))
    a, b, c = D.random_split(range(10), [3, 3, 4])
    labels = T.stack([ds[i]["y"] for i in train.indices])
    counts = T.bincount(labels)
    sampler = D.WeightedRandomSampler((1.0 / counts.float())[labels], num_samples=len(labels),
                                      replacement=True)
    model = L.nn.Linear(5, 2)
    opt = L.optim.Adam(model.parameters(), lr=0.01)
    out = [len(train), len(val), list(train.indices), list(a), list(b), list(c), counts]
    for batch in D.DataLoader(train, batch_size=8, sampler=sampler):
        loss = L.F.cross_entropy(model(batch["x"]), batch["y"])
        opt.zero_grad()
        loss.backward()
        opt.step()
        out += [batch["idx"], batch["y"].sum().item(), loss.item()]
    out += [b["idx"] for b in D.DataLoader(val, batch_size=4)]
    g = T.Generator().manual_seed(3)
    loader = D.DataLoader(D.Subset(ds, list(range(10))), batch_size=3, shuffle=True,
                          generator=g, drop_last=True)
    out += [[b["idx"].tolist() for b in loader], len(loader)]
    return out + [list(D.WeightedRandomSampler([0.1, 0.9, 0.4, 0.7], 6,
                                               generator=T.Generator().manual_seed(1)))]


def test_dataset_random_split_weighted_sampler_matches_torch() -> None:
    _run(datasets)


# ---------------------------------------------------------------- checkpoint and resume
def checkpoint(L: SimpleNamespace) -> list:
    nn, T = L.nn, L.torch

    def make() -> tuple:
        T.manual_seed(0)
        model = nn.Sequential(nn.Linear(6, 16), nn.LayerNorm(16), nn.ReLU(), nn.Linear(16, 2))
        opt = L.optim.AdamW(model.parameters(), lr=0.01, weight_decay=0.05)
        return model, opt, L.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.05, total_steps=12)

    g = T.Generator().manual_seed(1)
    X, Y = T.randn(48, 6, generator=g), T.randint(0, 2, (48,), generator=g)

    def run(model: object, opt: object, sched: object, start: int, stop: int) -> list:
        res = []
        for _ in range(start, stop):
            idx = T.randperm(48)[:4]
            loss = L.F.cross_entropy(model(X[idx]), Y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            res += [loss.item(), sched.get_last_lr()[0]]
        return res

    model, opt, sched = make()
    out = run(model, opt, sched, 0, 6)
    buf = io.BytesIO()
    T.save({"epoch": 6, "model": model.state_dict(), "opt": opt.state_dict(),
            "sched": sched.state_dict(), "rng": T.get_rng_state()}, buf)
    tail = run(model, opt, sched, 6, 12)
    buf.seek(0)
    ck = T.load(buf, weights_only=True)
    model2, opt2, sched2 = make()
    out.append(str(model2.load_state_dict(ck["model"])))
    opt2.load_state_dict(ck["opt"])
    sched2.load_state_dict(ck["sched"])
    T.set_rng_state(ck["rng"])
    tail2 = run(model2, opt2, sched2, 6, 12)
    assert tail2 == tail  # resuming gives the same numbers, bit for bit
    same = all(T.equal(a, b) for a, b in zip(model.parameters(), model2.parameters()))
    return out + tail2 + [same, sorted(ck["sched"]), list(ck["opt"]["param_groups"][0]),
                          ck["opt"]["state"][0]["step"], _dtype(L, ck["rng"])]


def test_checkpoint_resume_matches_torch() -> None:
    _run(checkpoint)


# ---------------------------------------------------------------- early stopping on a plateau
def plateau(L: SimpleNamespace) -> list:
    nn, T = L.nn, L.torch
    T.manual_seed(4)
    w = T.randn(8, 1)
    X, Xv = T.randn(60, 8), T.randn(20, 8)
    Y, Yv = X @ w + 0.3 * T.randn(60, 1), Xv @ w + 0.3 * T.randn(20, 1)
    model = nn.Sequential(nn.Linear(8, 16), nn.SiLU(), nn.Linear(16, 1))
    opt = L.optim.RMSprop(model.parameters(), lr=0.02, momentum=0.5)
    sched = L.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=1,
                                                   threshold=1e-2, min_lr=1e-3)
    loader = L.data.DataLoader(L.data.TensorDataset(X, Y), batch_size=20, shuffle=True)
    best, bad, out = float("inf"), 0, []
    for epoch in range(25):
        model.train()
        for xb, yb in loader:
            loss = L.F.mse_loss(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        with T.no_grad():
            val = L.F.mse_loss(model(Xv), Yv).item()
        sched.step(val)
        out += [loss.item(), val, opt.param_groups[0]["lr"], sched.num_bad_epochs]
        if val < best - 1e-3:
            best, bad = val, 0
        else:
            bad += 1
            if bad >= 4:
                out.append(("early stop", epoch))
                break
    return out + [sched.state_dict()["best"], list(sched.state_dict()), model(Xv[:3])]


def test_early_stopping_reduce_lr_on_plateau_matches_torch() -> None:
    _run(plateau)


@pytest.mark.parametrize("dt", ["bfloat16", "float16"])
@pytest.mark.parametrize("layer", ["BatchNorm2d", "GroupNorm", "InstanceNorm2d", "BatchNorm1d"])
def test_norm_half_input_float32_bias_grad_matches_torch(dt: str, layer: str) -> None:
    """A half-precision input with float32 affine parameters (a conv's output under autocast):
    PyTorch sums the bias gradient in float32 and keeps it there (no half rounding)."""
    args = {"GroupNorm": (3, 6), "InstanceNorm2d": (6,), "BatchNorm2d": (6,),
            "BatchNorm1d": (6,)}[layer]
    kw = {"affine": True} if layer == "InstanceNorm2d" else {}
    shape = (5, 6) if layer == "BatchNorm1d" else (4, 6, 5, 3)
    torch.manual_seed(2)
    tl, el = getattr(torch.nn, layer)(*args, **kw), getattr(ember.nn, layer)(*args, **kw)
    x = torch.randn(*shape).to(getattr(torch, dt))
    g = torch.randn(*shape).to(getattr(torch, dt))
    tx = x.clone().requires_grad_()
    ex = ember.tensor(x.float().numpy()).to(getattr(ember, dt)).requires_grad_()
    tl(tx).backward(g)
    el(ex).backward(ember.tensor(g.float().numpy()).to(getattr(ember, dt)))
    assert el.bias.grad.dtype == ember.float32
    # a float32 sum of the same half values (summation order: float32 rounding only)
    np.testing.assert_allclose(_plain(el.bias.grad), _plain(tl.bias.grad), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(_plain(el.weight.grad), _plain(tl.weight.grad), rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_array_equal(_plain(ex.grad), _plain(tx.grad))


@pytest.mark.parametrize("dt", ["bfloat16", "float16"])
@pytest.mark.parametrize("op", ["tanh", "sigmoid", "silu", "elu"])
def test_half_activation_backward_rounds_once_as_torch(dt: str, op: str) -> None:
    """PyTorch's float16/bfloat16 backward kernels of these activations compute in float32 and
    round once (float16 sigmoid: rounded on the way, as its kernel does): bit for bit."""
    fns = {"tanh": lambda L, x: L.torch.tanh(x), "sigmoid": lambda L, x: L.torch.sigmoid(x),
           "silu": lambda L, x: L.F.silu(x), "elu": lambda L, x: L.F.elu(x)}
    torch.manual_seed(0)
    x = (torch.randn(2048) * 3).to(getattr(torch, dt))
    g = torch.randn(2048).to(getattr(torch, dt))
    res = []
    for L in (_lib(torch), _lib(ember)):
        xi = L.torch.tensor(x.float().numpy()).to(getattr(L.torch, dt)).requires_grad_()
        fns[op](L, xi).backward(L.torch.tensor(g.float().numpy()).to(getattr(L.torch, dt)))
        res.append(_plain(xi.grad))
    np.testing.assert_array_equal(res[1], res[0])


def autocast_cnn(L: SimpleNamespace) -> list:
    nn, T = L.nn, L.torch
    T.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Conv2d(8, 8, 3, padding=1), nn.GroupNorm(2, 8),
                          nn.SiLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 5))
    opt = L.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    X, Y = T.randn(8, 3, 16, 16), T.randint(0, 5, (8,))
    with T.autocast("cpu", dtype=T.bfloat16):
        loss = nn.functional.cross_entropy(model(X), Y)
    opt.zero_grad()
    loss.backward()
    grads = [p.grad for p in model.parameters()]
    out = [_dtype(L, g) for g in grads] + [loss.item()]
    opt.step()
    with T.autocast("cpu", dtype=T.bfloat16):
        out.append(nn.functional.cross_entropy(model(X), Y).item())
    # the biases after a normalization layer, the linear layer's: sums of identical values
    return out + [grads[2], grads[3], grads[6], grads[7], grads[8], grads[9]]


def test_autocast_cnn_batch_group_norm_matches_torch() -> None:
    _run(autocast_cnn, rtol=1e-5, atol=1e-6)
