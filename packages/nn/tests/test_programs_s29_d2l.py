"""Session 29, lane DL: short versions of the PyTorch code of "Dive into Deep Learning"
(d2l.ai, with what the d2l package provides written inline) and of Karpathy's makemore /
"Neural Networks: Zero to Hero" notebooks, run with ``torch`` and with ``ember``.

Covered: linear regression from scratch (manual SGD under ``no_grad``, ``grad.zero_()``) and
concise; softmax regression from scratch (cross-entropy by indexing and by ``gather``,
accuracy); MLP; weight decay; dropout from scratch; LeNet with BatchNorm from scratch (moving
averages); ResNet / DenseNet / GoogLeNet / NiN blocks; RNN from scratch (one-hot, gradient
clipping by hand, perplexity) and GRU/LSTM concise; seq2seq with masked softmax cross-entropy;
attention scoring (``sequence_mask``/``masked_softmax``, additive, scaled dot-product),
multi-head attention, positional encoding, a Transformer encoder block; makemore's bigram
counts and sampling with a Generator, the neural bigram, the MLP with embeddings ``C[X]`` and
the learning-rate search, BatchNorm by hand with running statistics, the manual backprop
exercise ("becoming a backprop ninja", whose exact/approximate flags depend on the order of
PyTorch's tanh gradient), and the WaveNet with FlattenConsecutive and BatchNorm1d over 3-D
inputs.

Both libraries draw the same numbers from the same seeds, so the programs start from the same
weights. What a program prints is collected as values and compared: ints, strings, shapes and
dtypes exactly, floats to rtol 1e-6 (float32 programs) or, for training loops whose float32
rounding of NumPy's ``exp``/``tanh`` (last-bit differences, project policy) would grow step
by step, in float64 to rtol 1e-9.

Fix guarded here: the gradients of ``tanh`` (``g * (1 - r*r)`` with ``1 - r*r`` rounded once)
and ``sigmoid`` (``g * (1 - r) * r`` left to right) in PyTorch's kernel order.
"""

from __future__ import annotations

import numpy as np
import pytest
from _programs import plain, same

import ember

torch = pytest.importorskip("torch")


def _outputs(src: str, lib: str) -> list:
    """What ``src`` (a PyTorch program) prints, as plain values, with ``torch`` spelled
    ``lib``."""
    out: list = []

    def collect(*args: object, **_: object) -> None:  # dtypes and devices as their text
        out.append(plain([str(a) if type(a).__name__ in ("dtype", "device") else a
                          for a in args]))

    exec(compile(src.replace("torch", lib), f"<{lib} program>", "exec"),  # noqa: S102
         {"print": collect, "__name__": "__program__"})
    return out


def _same_program(src: str, f64: bool = False) -> None:
    """``src`` prints the same under PyTorch and Ember: float32 to rtol 1e-6; with ``f64``,
    both libraries' default dtype float64 and rtol 1e-9."""
    old_t, old_e = torch.get_default_dtype(), ember.get_default_dtype()
    if f64:
        torch.set_default_dtype(torch.float64)
        ember.set_default_dtype(ember.float64)
    try:
        want = _outputs(src, "torch")
        got = _outputs(src, "ember")
    finally:
        torch.set_default_dtype(old_t)
        ember.set_default_dtype(old_e)
    assert len(got) == len(want)
    rtol, atol = (1e-9, 1e-12) if f64 else (1e-6, 1e-7)
    for i, (g, w) in enumerate(zip(got, want)):
        same(g, w, rtol, atol, f"print #{i}")


# ------------------------------------------------------------------ the fix: kernel order
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_tanh_backward_is_pytorchs_kernel(dtype):
    x = np.random.RandomState(0).randn(4099).astype(dtype) * 2
    g = np.random.RandomState(1).randn(4099).astype(dtype)
    t = ember.tensor(x, requires_grad=True)
    y = ember.tanh(t)
    y.backward(ember.tensor(g))
    want = torch.ops.aten.tanh_backward(torch.tensor(g), torch.tensor(y.detach().numpy()))
    np.testing.assert_array_equal(t.grad.numpy(), want.numpy())
    # nn.Tanh and the method take the same path
    m = ember.tensor(x, requires_grad=True)
    ember.nn.Tanh()(m).backward(ember.tensor(g))
    np.testing.assert_array_equal(m.grad.numpy(), want.numpy())


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigmoid_backward_is_pytorchs_kernel(dtype):
    x = np.random.RandomState(2).randn(4099).astype(dtype) * 3
    g = np.random.RandomState(3).randn(4099).astype(dtype)
    t = ember.tensor(x, requires_grad=True)
    y = t.sigmoid()
    y.backward(ember.tensor(g))
    want = torch.ops.aten.sigmoid_backward(torch.tensor(g), torch.tensor(y.detach().numpy()))
    np.testing.assert_array_equal(t.grad.numpy(), want.numpy())


def test_tanh_sigmoid_double_backward_still_differentiable():
    for lib in (torch, ember):
        x = lib.tensor([-1.5, -0.2, 0.0, 0.7, 2.0], dtype=lib.float64, requires_grad=True)
        out = []
        for f in (lib.tanh, lib.sigmoid):
            (g,) = lib.autograd.grad(f(x).sum(), x, create_graph=True)
            out.append((type(g.grad_fn).__name__, lib.autograd.grad(g.sum(), x)[0]))
        if lib is torch:
            want = [(n, v.numpy()) for n, v in out]
        else:
            for (n, v), (wn, wv) in zip(out, want):
                assert n == wn
                np.testing.assert_allclose(v.numpy(), wv, rtol=1e-12, atol=1e-15)


_NINJA = """
import torch
import torch.nn.functional as F
torch.manual_seed(42)
vocab_size, block_size, n_embd, n_hidden, n = 27, 3, 10, 64, 32
Xtr = torch.randint(0, vocab_size, (500, block_size)); Ytr = torch.randint(0, vocab_size, (500,))
def cmp(s, dt, t):
    ex = torch.all(dt == t.grad).item()
    app = torch.allclose(dt, t.grad)
    maxdiff = (dt - t.grad).abs().max().item()
    print(f'{s:15s} | exact: {str(ex):5s} | approximate: {str(app):5s}', maxdiff < 1e-8)
g = torch.Generator().manual_seed(2147483647)
C  = torch.randn((vocab_size, n_embd), generator=g)
W1 = torch.randn((n_embd * block_size, n_hidden), generator=g) * (5/3)/((n_embd * block_size)**0.5)
b1 = torch.randn(n_hidden, generator=g) * 0.1
W2 = torch.randn((n_hidden, vocab_size), generator=g) * 0.1
b2 = torch.randn(vocab_size, generator=g) * 0.1
bngain = torch.randn((1, n_hidden))*0.1 + 1.0; bnbias = torch.randn((1, n_hidden))*0.1
parameters = [C, W1, b1, W2, b2, bngain, bnbias]
print(sum(p.nelement() for p in parameters))
for p in parameters: p.requires_grad = True
ix = torch.randint(0, Xtr.shape[0], (n,), generator=g)
Xb, Yb = Xtr[ix], Ytr[ix]
emb = C[Xb]; embcat = emb.view(emb.shape[0], -1)
hprebn = embcat @ W1 + b1
bnmeani = 1/n*hprebn.sum(0, keepdim=True)
bndiff = hprebn - bnmeani
bndiff2 = bndiff**2
bnvar = 1/(n-1)*(bndiff2).sum(0, keepdim=True)
bnvar_inv = (bnvar + 1e-5)**-0.5
bnraw = bndiff * bnvar_inv
hpreact = bngain * bnraw + bnbias
h = torch.tanh(hpreact)
logits = h @ W2 + b2
logit_maxes = logits.max(1, keepdim=True).values
norm_logits = logits - logit_maxes
counts = norm_logits.exp()
counts_sum = counts.sum(1, keepdims=True)
counts_sum_inv = counts_sum**-1
probs = counts * counts_sum_inv
logprobs = probs.log()
loss = -logprobs[range(n), Yb].mean()
for p in parameters: p.grad = None
for t in [logprobs, probs, counts, counts_sum, counts_sum_inv, norm_logits, logit_maxes, logits,
          h, hpreact, bnraw, bnvar_inv, bnvar, bndiff2, bndiff, hprebn, bnmeani, embcat, emb]:
    t.retain_grad()
loss.backward()
print(loss.item())
dlogprobs = torch.zeros_like(logprobs); dlogprobs[range(n), Yb] = -1.0/n
dprobs = (1.0 / probs) * dlogprobs
dcounts_sum_inv = (counts * dprobs).sum(1, keepdim=True)
dcounts = counts_sum_inv * dprobs
dcounts_sum = (-counts_sum**-2) * dcounts_sum_inv
dcounts += torch.ones_like(counts) * dcounts_sum
dnorm_logits = counts * dcounts
dlogits = dnorm_logits.clone()
dlogit_maxes = (-dnorm_logits).sum(1, keepdim=True)
dlogits += F.one_hot(logits.max(1).indices, num_classes=logits.shape[1]) * dlogit_maxes
dh = dlogits @ W2.T; dW2 = h.T @ dlogits; db2 = dlogits.sum(0)
dhpreact = (1.0 - h**2) * dh
dbngain = (bnraw * dhpreact).sum(0, keepdim=True); dbnraw = bngain * dhpreact
dbnbias = dhpreact.sum(0, keepdim=True)
for name, d, t in [('logprobs', dlogprobs, logprobs), ('probs', dprobs, probs),
                   ('counts_sum_inv', dcounts_sum_inv, counts_sum_inv),
                   ('counts_sum', dcounts_sum, counts_sum), ('counts', dcounts, counts),
                   ('norm_logits', dnorm_logits, norm_logits), ('logit_maxes', dlogit_maxes, logit_maxes),
                   ('logits', dlogits, logits), ('h', dh, h), ('W2', dW2, W2), ('b2', db2, b2),
                   ('hpreact', dhpreact, hpreact)]:
    cmp(name, d, t)
loss_fast = F.cross_entropy(logits, Yb)
print(loss_fast.item(), 'diff small:', abs((loss_fast - loss).item()) < 1e-6)
dlogits = F.softmax(logits, 1); dlogits[range(n), Yb] -= 1; dlogits /= n
cmp('logits', dlogits, logits)
hpreact_fast = bngain * (hprebn - hprebn.mean(0, keepdim=True)) / torch.sqrt(hprebn.var(0, keepdim=True, unbiased=True) + 1e-5) + bnbias
print('max diff small:', (hpreact_fast - hpreact).abs().max().item() < 1e-6)
"""


def test_backprop_ninja_exact_flags():
    """The manual ``dhpreact = (1 - h**2) * dh`` is not bit-equal to autograd's in PyTorch
    (its tanh gradient rounds ``1 - h*h`` once): the notebook's exact/approximate flags."""
    _same_program(_NINJA)


# ------------------------------------------------------------------ d2l: basics
_LINREG = """
import random
import torch
from torch import nn
from torch.utils import data
torch.manual_seed(0); random.seed(0)
def synthetic_data(w, b, num_examples):
    X = torch.normal(0, 1, (num_examples, len(w)))
    y = torch.matmul(X, w) + b
    y += torch.normal(0, 0.01, y.shape)
    return X, y.reshape((-1, 1))
true_w = torch.tensor([2, -3.4]); true_b = 4.2
features, labels = synthetic_data(true_w, true_b, 100)
print('features:', features[0], 'label:', labels[0])
def data_iter(batch_size, features, labels):
    num_examples = len(features)
    indices = list(range(num_examples))
    random.shuffle(indices)
    for i in range(0, num_examples, batch_size):
        batch_indices = torch.tensor(indices[i: min(i + batch_size, num_examples)])
        yield features[batch_indices], labels[batch_indices]
w = torch.normal(0, 0.01, size=(2, 1), requires_grad=True)
b = torch.zeros(1, requires_grad=True)
def linreg(X, w, b): return torch.matmul(X, w) + b
def squared_loss(y_hat, y): return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2
def sgd(params, lr, batch_size):
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()
for epoch in range(3):
    for X, y in data_iter(10, features, labels):
        l = squared_loss(linreg(X, w, b), y)
        l.sum().backward()
        sgd([w, b], 0.03, 10)
    with torch.no_grad():
        train_l = squared_loss(linreg(features, w, b), labels)
        print(f'epoch {epoch + 1}', float(train_l.mean()))
print(true_w - w.reshape(true_w.shape), true_b - b, w.grad, b.grad, w.requires_grad, b.is_leaf)
it = data.DataLoader(data.TensorDataset(features, labels), 10, shuffle=True)
print(next(iter(it)))
net = nn.Sequential(nn.Linear(2, 1))
net[0].weight.data.normal_(0, 0.01); net[0].bias.data.fill_(0)
loss = nn.MSELoss(); trainer = torch.optim.SGD(net.parameters(), lr=0.03)
for epoch in range(3):
    for X, y in it:
        l = loss(net(X), y); trainer.zero_grad(); l.backward(); trainer.step()
    print(epoch, loss(net(features), labels))
print(net[0].weight.data, net[0].bias.data, nn.HuberLoss()(net(features), labels))
"""

_SOFTMAX = """
import torch
from torch import nn
torch.manual_seed(1)
X = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
print(X.sum(0, keepdim=True), X.sum(1, keepdim=True))
def softmax(X):
    X_exp = torch.exp(X)
    return X_exp / X_exp.sum(1, keepdim=True)
X_prob = softmax(torch.normal(0, 1, (2, 5))); print(X_prob, X_prob.sum(1))
W = torch.normal(0, 0.01, size=(20, 4), requires_grad=True)
b = torch.zeros(4, requires_grad=True)
def net(X): return softmax(torch.matmul(X.reshape((-1, W.shape[0])), W) + b)
y = torch.tensor([0, 2]); y_hat = torch.tensor([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]])
print(y_hat[[0, 1], y])
def cross_entropy(y_hat, y): return - torch.log(y_hat[range(len(y_hat)), y])
print(cross_entropy(y_hat, y))
def accuracy(y_hat, y):
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(axis=1)
    cmp = y_hat.type(y.dtype) == y
    return float(cmp.type(y.dtype).sum())
print(accuracy(y_hat, y) / len(y))
Xs = torch.randn(64, 4, 5); ys = torch.randint(0, 4, (64,))
def gather_ce(y_hat, y): return -torch.log(y_hat.gather(1, y.unsqueeze(1))).squeeze(1)
for epoch in range(4):
    tot = [0.0, 0.0, 0]
    for i in range(0, 64, 16):
        Xb, yb = Xs[i:i+16], ys[i:i+16]
        y_hat = net(Xb); l = gather_ce(y_hat, yb)
        l.sum().backward()
        with torch.no_grad():
            for p in [W, b]:
                p -= 0.1 * p.grad / 16; p.grad.zero_()
        tot = [tot[0] + float(l.sum()), tot[1] + accuracy(y_hat, yb), tot[2] + yb.numel()]
    print(epoch, tot[0] / tot[2], tot[1] / tot[2])
preds = net(Xs[:6]).argmax(axis=1)
print(W[:2], b, preds, preds.dtype, (preds == ys[:6]).float().mean().item())
net2 = nn.Sequential(nn.Flatten(), nn.Linear(20, 4))
def init_weights(m):
    if type(m) == nn.Linear: nn.init.normal_(m.weight, std=0.01)
net2.apply(init_weights)
loss = nn.CrossEntropyLoss(reduction='none')
tr = torch.optim.SGD(net2.parameters(), lr=0.1)
for e in range(3):
    l = loss(net2(Xs), ys); tr.zero_grad(); l.mean().backward(); tr.step()
    print(l.mean().item(), l[:3])
"""

_MLP_WD_DROPOUT = """
import torch
from torch import nn
torch.manual_seed(2)
x = torch.arange(-8.0, 8.0, 0.5, requires_grad=True)
y = torch.relu(x); y.backward(torch.ones_like(x), retain_graph=True); print(y, x.grad)
x.grad.data.zero_(); y = torch.sigmoid(x); y.backward(torch.ones_like(x)); print(x.grad)
x.grad.data.zero_(); y = torch.tanh(x); y.backward(torch.ones_like(x)); print(x.grad)
W1 = nn.Parameter(torch.randn(16, 8, requires_grad=True) * 0.01)
b1 = nn.Parameter(torch.zeros(8, requires_grad=True))
W2 = nn.Parameter(torch.randn(8, 3, requires_grad=True) * 0.01)
b2 = nn.Parameter(torch.zeros(3, requires_grad=True))
def relu(X): return torch.max(X, torch.zeros_like(X))
def net(X): return relu(X.reshape((-1, 16)) @ W1 + b1) @ W2 + b2
loss = nn.CrossEntropyLoss(reduction='none')
X = torch.randn(32, 4, 4); y = torch.randint(0, 3, (32,))
updater = torch.optim.SGD([W1, b1, W2, b2], lr=0.5)
for e in range(10):
    l = loss(net(X), y); updater.zero_grad(); l.mean().backward(); updater.step()
print(l.mean(), W1.grad[0], b2)
Xw = torch.normal(0, 1, (20, 50)); yw = Xw @ (torch.ones((50, 1)) * 0.01) + 0.05
def train(lambd):
    w = torch.normal(0, 1, size=(50, 1), requires_grad=True); b = torch.zeros(1, requires_grad=True)
    for epoch in range(10):
        for i in range(0, 20, 5):
            l = (Xw[i:i+5] @ w + b - yw[i:i+5]) ** 2 / 2 + lambd * (torch.sum(w.pow(2)) / 2)
            l.sum().backward()
            with torch.no_grad():
                for p in [w, b]:
                    p -= 0.003 * p.grad / 5; p.grad.zero_()
    print(lambd, torch.norm(w).item())
train(0); train(3)
net = nn.Sequential(nn.Linear(50, 1))
trainer = torch.optim.SGD([{"params": net[0].weight, 'weight_decay': 3}, {"params": net[0].bias}], lr=0.003)
for epoch in range(10):
    trainer.zero_grad(); l = nn.MSELoss()(net(Xw), yw); l.backward(); trainer.step()
print(net[0].weight.norm().item(), [g['weight_decay'] for g in trainer.param_groups])
def dropout_layer(X, dropout):
    assert 0 <= dropout <= 1
    if dropout == 1: return torch.zeros_like(X)
    if dropout == 0: return X
    mask = (torch.rand(X.shape) > dropout).float()
    return mask * X / (1.0 - dropout)
X = torch.arange(16, dtype=torch.float32).reshape((2, 8))
print(dropout_layer(X, 0.), dropout_layer(X, 0.5), dropout_layer(X, 1.))
net2 = nn.Sequential(nn.Flatten(), nn.Linear(16, 12), nn.ReLU(), nn.Dropout(0.2), nn.Linear(12, 8),
                     nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 3))
Xs = torch.randn(20, 16); ys = torch.randint(0, 3, (20,))
tr = torch.optim.SGD(net2.parameters(), lr=0.5)
for e in range(4):
    l = nn.CrossEntropyLoss()(net2(Xs), ys); tr.zero_grad(); l.backward(); tr.step(); print(l)
net2.eval(); print(net2(Xs)[:2], str(net2))
"""


def test_d2l_linear_regression():
    _same_program(_LINREG, f64=True)


def test_d2l_softmax_regression_from_scratch():
    _same_program(_SOFTMAX, f64=True)


def test_d2l_mlp_weight_decay_dropout():
    _same_program(_MLP_WD_DROPOUT, f64=True)


def test_d2l_mlp_activation_gradients_float32():
    """The chapter's plots of relu/sigmoid/tanh and their gradients, in float32."""
    _same_program(_MLP_WD_DROPOUT.split("W1 = ")[0])


# ------------------------------------------------------------------ d2l: convolutions
_CNN = """
import torch
from torch import nn
from torch.nn import functional as F
torch.manual_seed(8)
def batch_norm(X, gamma, beta, moving_mean, moving_var, eps, momentum):
    if not torch.is_grad_enabled():
        X_hat = (X - moving_mean) / torch.sqrt(moving_var + eps)
    else:
        if len(X.shape) == 2:
            mean = X.mean(dim=0); var = ((X - mean) ** 2).mean(dim=0)
        else:
            mean = X.mean(dim=(0, 2, 3), keepdim=True)
            var = ((X - mean) ** 2).mean(dim=(0, 2, 3), keepdim=True)
        X_hat = (X - mean) / torch.sqrt(var + eps)
        moving_mean = momentum * moving_mean + (1.0 - momentum) * mean
        moving_var = momentum * moving_var + (1.0 - momentum) * var
    Y = gamma * X_hat + beta
    return Y, moving_mean.data, moving_var.data
class BatchNorm(nn.Module):
    def __init__(self, num_features, num_dims):
        super().__init__()
        shape = (1, num_features) if num_dims == 2 else (1, num_features, 1, 1)
        self.gamma = nn.Parameter(torch.ones(shape)); self.beta = nn.Parameter(torch.zeros(shape))
        self.moving_mean = torch.zeros(shape); self.moving_var = torch.ones(shape)
    def forward(self, X):
        if self.moving_mean.device != X.device:
            self.moving_mean = self.moving_mean.to(X.device); self.moving_var = self.moving_var.to(X.device)
        Y, self.moving_mean, self.moving_var = batch_norm(
            X, self.gamma, self.beta, self.moving_mean, self.moving_var, eps=1e-5, momentum=0.9)
        return Y
net = nn.Sequential(
    nn.Conv2d(1, 6, kernel_size=5), BatchNorm(6, num_dims=4), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
    nn.Conv2d(6, 16, kernel_size=5), BatchNorm(16, num_dims=4), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
    nn.Flatten(), nn.Linear(16*4*4, 120), BatchNorm(120, num_dims=2), nn.Sigmoid(),
    nn.Linear(120, 84), BatchNorm(84, num_dims=2), nn.Sigmoid(), nn.Linear(84, 10))
X = torch.rand(size=(1, 1, 28, 28))
for layer in net:
    X = layer(X) if not isinstance(layer, BatchNorm) else X
    print(layer.__class__.__name__, 'output shape:', X.shape)
Xs = torch.rand(8, 1, 28, 28); ys = torch.randint(0, 10, (8,))
opt = torch.optim.SGD(net.parameters(), lr=1.0); loss = nn.CrossEntropyLoss()
for e in range(3):
    l = loss(net(Xs), ys); opt.zero_grad(); l.backward(); opt.step(); print(l)
print(net[1].gamma.reshape((-1,)), net[1].beta.reshape((-1,)))
print(net[1].moving_mean.reshape(-1), net[1].moving_var.reshape(-1))
with torch.no_grad(): print(net(Xs[:2]))
class Residual(nn.Module):
    def __init__(self, input_channels, num_channels, use_1x1conv=False, strides=1):
        super().__init__()
        self.conv1 = nn.Conv2d(input_channels, num_channels, kernel_size=3, padding=1, stride=strides)
        self.conv2 = nn.Conv2d(num_channels, num_channels, kernel_size=3, padding=1)
        self.conv3 = nn.Conv2d(input_channels, num_channels, kernel_size=1, stride=strides) if use_1x1conv else None
        self.bn1 = nn.BatchNorm2d(num_channels); self.bn2 = nn.BatchNorm2d(num_channels)
    def forward(self, X):
        Y = F.relu(self.bn1(self.conv1(X))); Y = self.bn2(self.conv2(Y))
        if self.conv3: X = self.conv3(X)
        Y += X
        return F.relu(Y)
X = torch.rand(4, 3, 6, 6)
print(Residual(3, 3)(X).shape, Residual(3, 6, use_1x1conv=True, strides=2)(X).shape)
b1 = nn.Sequential(nn.Conv2d(1, 8, kernel_size=7, stride=2, padding=3), nn.BatchNorm2d(8), nn.ReLU(),
                   nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
net = nn.Sequential(b1, Residual(8, 8), Residual(8, 16, use_1x1conv=True, strides=2),
                    nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(16, 10))
opt = torch.optim.SGD(net.parameters(), lr=0.05); Xs = torch.rand(4, 1, 32, 32); ys = torch.tensor([0, 1, 2, 3])
for e in range(3):
    l = F.cross_entropy(net(Xs), ys); opt.zero_grad(); l.backward(); opt.step(); print(l)
print(net[0][1].running_mean, net[0][1].running_var, net[0][1].num_batches_tracked)
def conv_block(input_channels, num_channels):
    return nn.Sequential(nn.BatchNorm2d(input_channels), nn.ReLU(),
                         nn.Conv2d(input_channels, num_channels, kernel_size=3, padding=1))
class DenseBlock(nn.Module):
    def __init__(self, num_convs, input_channels, num_channels):
        super().__init__()
        self.net = nn.Sequential(*[conv_block(num_channels * i + input_channels, num_channels) for i in range(num_convs)])
    def forward(self, X):
        for blk in self.net:
            X = torch.cat((X, blk(X)), dim=1)
        return X
Y = DenseBlock(2, 3, 10)(torch.randn(4, 3, 8, 8)); print(Y.shape)
blk = nn.Sequential(nn.BatchNorm2d(23), nn.ReLU(), nn.Conv2d(23, 10, kernel_size=1), nn.AvgPool2d(kernel_size=2, stride=2))
print(blk(Y).shape, blk(Y).sum())
class Inception(nn.Module):
    def __init__(self, in_channels, c1, c2, c3, c4):
        super().__init__()
        self.p1_1 = nn.Conv2d(in_channels, c1, kernel_size=1)
        self.p2_1 = nn.Conv2d(in_channels, c2[0], kernel_size=1); self.p2_2 = nn.Conv2d(c2[0], c2[1], kernel_size=3, padding=1)
        self.p3_1 = nn.Conv2d(in_channels, c3[0], kernel_size=1); self.p3_2 = nn.Conv2d(c3[0], c3[1], kernel_size=5, padding=2)
        self.p4_1 = nn.MaxPool2d(kernel_size=3, stride=1, padding=1); self.p4_2 = nn.Conv2d(in_channels, c4, kernel_size=1)
    def forward(self, x):
        p1 = F.relu(self.p1_1(x)); p2 = F.relu(self.p2_2(F.relu(self.p2_1(x))))
        p3 = F.relu(self.p3_2(F.relu(self.p3_1(x)))); p4 = F.relu(self.p4_2(self.p4_1(x)))
        return torch.cat((p1, p2, p3, p4), dim=1)
Y = Inception(8, 4, (4, 8), (2, 4), 4)(torch.randn(2, 8, 12, 12)); print(Y.shape, Y.mean())
nin = nn.Sequential(nn.Conv2d(1, 8, 5, 2, 0), nn.ReLU(), nn.Conv2d(8, 8, kernel_size=1), nn.ReLU(),
                    nn.MaxPool2d(3, stride=2), nn.Dropout(0.5), nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten())
nin.eval(); print(nin(torch.rand(size=(2, 1, 32, 32))))
"""


def test_d2l_batchnorm_from_scratch_and_modern_cnn_blocks():
    _same_program(_CNN, f64=True)


# ------------------------------------------------------------------ d2l: sequences
_RNN = """
import math
import torch
from torch import nn
from torch.nn import functional as F
torch.manual_seed(10)
print(F.one_hot(torch.tensor([0, 2]), 28), F.one_hot(torch.arange(10).reshape((2, 5)).T, 28).shape)
vocab_size, num_hiddens = 12, 16
def get_params(vocab_size, num_hiddens):
    def normal(shape): return torch.randn(size=shape) * 0.01
    params = [normal((vocab_size, num_hiddens)), normal((num_hiddens, num_hiddens)), torch.zeros(num_hiddens),
              normal((num_hiddens, vocab_size)), torch.zeros(vocab_size)]
    for param in params: param.requires_grad_(True)
    return params
def rnn(inputs, state, params):
    W_xh, W_hh, b_h, W_hq, b_q = params
    H, = state; outputs = []
    for X in inputs:
        H = torch.tanh(torch.mm(X, W_xh) + torch.mm(H, W_hh) + b_h)
        outputs.append(torch.mm(H, W_hq) + b_q)
    return torch.cat(outputs, dim=0), (H,)
params = get_params(vocab_size, num_hiddens)
def net(X, state): return rnn(F.one_hot(X.T, vocab_size).type(torch.get_default_dtype()), state, params)
def predict(prefix, num_preds):
    state = (torch.zeros((1, num_hiddens)),); outputs = [prefix[0]]
    get_input = lambda: torch.tensor([outputs[-1]]).reshape((1, 1))
    for y in prefix[1:]:
        _, state = net(get_input(), state); outputs.append(y)
    for _ in range(num_preds):
        y, state = net(get_input(), state); outputs.append(int(y.argmax(dim=1).reshape(1)))
    return outputs
print(predict([1, 2, 3], 10))
def grad_clipping(params, theta):
    norm = torch.sqrt(sum(torch.sum((p.grad ** 2)) for p in params))
    if norm > theta:
        for param in params: param.grad[:] *= theta / norm
    return norm
corpus = torch.randint(0, vocab_size, (200,))
def seq_iter(corpus, batch_size, num_steps):
    num_tokens = ((len(corpus) - 4) // batch_size) * batch_size
    Xs = corpus[3: 3 + num_tokens].reshape(batch_size, -1); Ys = corpus[4: 4 + num_tokens].reshape(batch_size, -1)
    for i in range(0, num_steps * (Xs.shape[1] // num_steps), num_steps):
        yield Xs[:, i: i + num_steps], Ys[:, i: i + num_steps]
loss = nn.CrossEntropyLoss()
for epoch in range(3):
    state = None; tot, n = 0.0, 0
    for X, Y in seq_iter(corpus, 4, 5):
        if state is None: state = (torch.zeros((4, num_hiddens)),)
        else:
            for s in state: s.detach_()
        y = Y.T.reshape(-1); y_hat, state = net(X, state)
        l = loss(y_hat, y.long()).mean(); l.backward(); nrm = grad_clipping(params, 1)
        with torch.no_grad():
            for p in params: p -= 1 * p.grad; p.grad.zero_()
        tot += l * y.numel(); n += y.numel()
    print('perplexity', math.exp(tot / n), float(nrm))
print(predict([1, 2], 5))
class RNNModel(nn.Module):
    def __init__(self, rnn_layer, vocab_size):
        super().__init__()
        self.rnn = rnn_layer; self.vocab_size = vocab_size; self.num_hiddens = self.rnn.hidden_size
        self.num_directions = 2 if self.rnn.bidirectional else 1
        self.linear = nn.Linear(self.num_hiddens * self.num_directions, self.vocab_size)
    def forward(self, inputs, state):
        X = F.one_hot(inputs.T.long(), self.vocab_size).to(torch.get_default_dtype())
        Y, state = self.rnn(X, state)
        return self.linear(Y.reshape((-1, Y.shape[-1]))), state
    def begin_state(self, batch_size=1):
        z = torch.zeros((self.num_directions * self.rnn.num_layers, batch_size, self.num_hiddens))
        return (z, z.clone()) if isinstance(self.rnn, nn.LSTM) else z
for layer in [nn.RNN(vocab_size, num_hiddens), nn.GRU(vocab_size, num_hiddens), nn.LSTM(vocab_size, num_hiddens),
              nn.LSTM(vocab_size, num_hiddens, num_layers=2), nn.GRU(vocab_size, num_hiddens, bidirectional=True)]:
    model = RNNModel(layer, vocab_size); upd = torch.optim.SGD(model.parameters(), 1)
    for epoch in range(2):
        state = None
        for X, Y in seq_iter(corpus, 4, 5):
            if state is None: state = model.begin_state(batch_size=X.shape[0])
            elif not isinstance(state, tuple): state.detach_()
            else:
                for s in state: s.detach_()
            y_hat, state = model(X, state)
            l = loss(y_hat, Y.T.reshape(-1)).mean(); upd.zero_grad(); l.backward()
            nrm = grad_clipping([p for p in model.parameters()], 1); upd.step()
        print(type(layer).__name__, l.item(), nrm.item())
print(str(model))
"""

_SEQ2SEQ = """
import torch
from torch import nn
torch.manual_seed(11)
class Seq2SeqEncoder(nn.Module):
    def __init__(self, vocab_size, embed_size, num_hiddens, num_layers, dropout=0):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = nn.GRU(embed_size, num_hiddens, num_layers, dropout=dropout)
    def forward(self, X, *args):
        return self.rnn(self.embedding(X).permute(1, 0, 2))
class Seq2SeqDecoder(nn.Module):
    def __init__(self, vocab_size, embed_size, num_hiddens, num_layers, dropout=0):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = nn.GRU(embed_size + num_hiddens, num_hiddens, num_layers, dropout=dropout)
        self.dense = nn.Linear(num_hiddens, vocab_size)
    def init_state(self, enc_outputs, *args): return enc_outputs[1]
    def forward(self, X, state):
        X = self.embedding(X).permute(1, 0, 2)
        context = state[-1].repeat(X.shape[0], 1, 1)
        output, state = self.rnn(torch.cat((X, context), 2), state)
        return self.dense(output).permute(1, 0, 2), state
def sequence_mask(X, valid_len, value=0):
    maxlen = X.size(1)
    mask = torch.arange((maxlen), dtype=torch.float32, device=X.device)[None, :] < valid_len[:, None]
    X[~mask] = value
    return X
print(sequence_mask(torch.tensor([[1, 2, 3], [4, 5, 6]]), torch.tensor([1, 2])))
print(sequence_mask(torch.ones(2, 3, 4), torch.tensor([1, 2]), value=-1))
class MaskedSoftmaxCELoss(nn.CrossEntropyLoss):
    def forward(self, pred, label, valid_len):
        weights = sequence_mask(torch.ones_like(label), valid_len)
        self.reduction = 'none'
        unweighted_loss = super(MaskedSoftmaxCELoss, self).forward(pred.permute(0, 2, 1), label)
        return (unweighted_loss * weights).mean(dim=1)
loss = MaskedSoftmaxCELoss()
print(loss(torch.ones(3, 4, 10), torch.ones((3, 4), dtype=torch.long), torch.tensor([4, 2, 0])))
class EncoderDecoder(nn.Module):
    def __init__(self, encoder, decoder):
        super().__init__(); self.encoder = encoder; self.decoder = decoder
    def forward(self, enc_X, dec_X, *args):
        return self.decoder(dec_X, self.decoder.init_state(self.encoder(enc_X, *args), *args))
net = EncoderDecoder(Seq2SeqEncoder(12, 8, 16, 2, 0.1), Seq2SeqDecoder(12, 8, 16, 2, 0.1))
def xavier_init_weights(m):
    if type(m) == nn.Linear: nn.init.xavier_uniform_(m.weight)
    if type(m) == nn.GRU:
        for param in m._flat_weights_names:
            if "weight" in param: nn.init.xavier_uniform_(m._parameters[param])
net.apply(xavier_init_weights)
optimizer = torch.optim.Adam(net.parameters(), lr=0.005)
src = torch.randint(3, 12, (6, 5)); tgt = torch.randint(3, 12, (6, 5))
src_vl = torch.tensor([5, 4, 3, 5, 2, 5]); Y_vl = torch.tensor([5, 5, 3, 2, 4, 1])
for epoch in range(4):
    optimizer.zero_grad()
    dec_input = torch.cat([torch.tensor([1] * tgt.shape[0]).reshape(-1, 1), tgt[:, :-1]], 1)
    Y_hat, _ = net(src, dec_input, src_vl)
    l = loss(Y_hat, tgt, Y_vl); l.sum().backward()
    nn.utils.clip_grad_norm_(net.parameters(), 1)
    optimizer.step(); print(l.sum() / Y_vl.sum(), l)
net.eval()
enc_outputs = net.encoder(torch.unsqueeze(torch.tensor([4, 5, 6], dtype=torch.long), dim=0), torch.tensor([3]))
dec_state = net.decoder.init_state(enc_outputs, torch.tensor([3]))
dec_X = torch.unsqueeze(torch.tensor([1], dtype=torch.long), dim=0); out = []
for _ in range(6):
    Y, dec_state = net.decoder(dec_X, dec_state); dec_X = Y.argmax(dim=2)
    out.append(dec_X.squeeze(dim=0).type(torch.int32).item())
print(out)
"""


def test_d2l_rnn_from_scratch_and_concise():
    _same_program(_RNN, f64=True)


def test_d2l_seq2seq_masked_cross_entropy():
    _same_program(_SEQ2SEQ, f64=True)


# ------------------------------------------------------------------ d2l: attention
_ATTENTION = """
import math
import torch
from torch import nn
torch.manual_seed(12)
def sequence_mask(X, valid_len, value=0):
    maxlen = X.size(1)
    mask = torch.arange((maxlen), dtype=torch.float32, device=X.device)[None, :] < valid_len[:, None]
    X[~mask] = value
    return X
def masked_softmax(X, valid_lens):
    if valid_lens is None: return nn.functional.softmax(X, dim=-1)
    shape = X.shape
    if valid_lens.dim() == 1: valid_lens = torch.repeat_interleave(valid_lens, shape[1])
    else: valid_lens = valid_lens.reshape(-1)
    X = sequence_mask(X.reshape(-1, shape[-1]), valid_lens, value=-1e6)
    return nn.functional.softmax(X.reshape(shape), dim=-1)
print(masked_softmax(torch.rand(2, 2, 4), torch.tensor([2, 3])))
print(masked_softmax(torch.rand(2, 2, 4), torch.tensor([[1, 3], [2, 4]])))
class AdditiveAttention(nn.Module):
    def __init__(self, key_size, query_size, num_hiddens, dropout):
        super().__init__()
        self.W_k = nn.Linear(key_size, num_hiddens, bias=False); self.W_q = nn.Linear(query_size, num_hiddens, bias=False)
        self.w_v = nn.Linear(num_hiddens, 1, bias=False); self.dropout = nn.Dropout(dropout)
    def forward(self, queries, keys, values, valid_lens):
        queries, keys = self.W_q(queries), self.W_k(keys)
        features = torch.tanh(queries.unsqueeze(2) + keys.unsqueeze(1))
        scores = self.w_v(features).squeeze(-1)
        self.attention_weights = masked_softmax(scores, valid_lens)
        return torch.bmm(self.dropout(self.attention_weights), values)
queries, keys = torch.normal(0, 1, (2, 1, 20)), torch.ones((2, 10, 2))
values = torch.arange(40.0).reshape(1, 10, 4).repeat(2, 1, 1)
valid_lens = torch.tensor([2, 6])
attention = AdditiveAttention(2, 20, 8, 0.1); attention.eval()
print(attention(queries, keys, values, valid_lens), attention.attention_weights)
class DotProductAttention(nn.Module):
    def __init__(self, dropout): super().__init__(); self.dropout = nn.Dropout(dropout)
    def forward(self, queries, keys, values, valid_lens=None):
        scores = torch.bmm(queries, keys.transpose(1, 2)) / math.sqrt(queries.shape[-1])
        self.attention_weights = masked_softmax(scores, valid_lens)
        return torch.bmm(self.dropout(self.attention_weights), values)
attention = DotProductAttention(dropout=0.5); attention.eval()
print(attention(torch.normal(0, 1, (2, 1, 2)), keys, values, valid_lens))
def transpose_qkv(X, num_heads):
    X = X.reshape(X.shape[0], X.shape[1], num_heads, -1).permute(0, 2, 1, 3)
    return X.reshape(-1, X.shape[2], X.shape[3])
def transpose_output(X, num_heads):
    X = X.reshape(-1, num_heads, X.shape[1], X.shape[2]).permute(0, 2, 1, 3)
    return X.reshape(X.shape[0], X.shape[1], -1)
class MultiHeadAttention(nn.Module):
    def __init__(self, num_hiddens, num_heads, dropout, bias=False):
        super().__init__()
        self.num_heads = num_heads; self.attention = DotProductAttention(dropout)
        self.W_q = nn.LazyLinear(num_hiddens, bias=bias); self.W_k = nn.LazyLinear(num_hiddens, bias=bias)
        self.W_v = nn.LazyLinear(num_hiddens, bias=bias); self.W_o = nn.LazyLinear(num_hiddens, bias=bias)
    def forward(self, queries, keys, values, valid_lens):
        queries = transpose_qkv(self.W_q(queries), self.num_heads)
        keys = transpose_qkv(self.W_k(keys), self.num_heads); values = transpose_qkv(self.W_v(values), self.num_heads)
        if valid_lens is not None: valid_lens = torch.repeat_interleave(valid_lens, repeats=self.num_heads, dim=0)
        return self.W_o(transpose_output(self.attention(queries, keys, values, valid_lens), self.num_heads))
class PositionalEncoding(nn.Module):
    def __init__(self, num_hiddens, dropout, max_len=1000):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.P = torch.zeros((1, max_len, num_hiddens))
        X = torch.arange(max_len).reshape(-1, 1) / torch.pow(
            10000, torch.arange(0, num_hiddens, 2) / num_hiddens)
        self.P[:, :, 0::2] = torch.sin(X); self.P[:, :, 1::2] = torch.cos(X)
    def forward(self, X): return self.dropout(X + self.P[:, :X.shape[1], :].to(X.device))
pe = PositionalEncoding(32, 0); pe.eval()
print(pe(torch.zeros((1, 60, 32))).shape, pe.P[0, :5, 6:10].T, pe.P[0, 50, :8])
class PositionWiseFFN(nn.Module):
    def __init__(self, ffn_num_hiddens, ffn_num_outputs):
        super().__init__()
        self.dense1 = nn.LazyLinear(ffn_num_hiddens); self.relu = nn.ReLU(); self.dense2 = nn.LazyLinear(ffn_num_outputs)
    def forward(self, X): return self.dense2(self.relu(self.dense1(X)))
class AddNorm(nn.Module):
    def __init__(self, norm_shape, dropout):
        super().__init__(); self.dropout = nn.Dropout(dropout); self.ln = nn.LayerNorm(norm_shape)
    def forward(self, X, Y): return self.ln(self.dropout(Y) + X)
ln = nn.LayerNorm(2); bn = nn.BatchNorm1d(2); X = torch.tensor([[1.0, 2], [2, 3]])
print('layer norm:', ln(X), 'batch norm:', bn(X))
class EncoderBlock(nn.Module):
    def __init__(self, num_hiddens, ffn_num_hiddens, num_heads, dropout, use_bias=False):
        super().__init__()
        self.attention = MultiHeadAttention(num_hiddens, num_heads, dropout, use_bias)
        self.addnorm1 = AddNorm(num_hiddens, dropout)
        self.ffn = PositionWiseFFN(ffn_num_hiddens, num_hiddens); self.addnorm2 = AddNorm(num_hiddens, dropout)
    def forward(self, X, valid_lens):
        Y = self.addnorm1(X, self.attention(X, X, X, valid_lens))
        return self.addnorm2(Y, self.ffn(Y))
class TransformerEncoder(nn.Module):
    def __init__(self, vocab_size, num_hiddens, ffn_num_hiddens, num_heads, num_blks, dropout):
        super().__init__()
        self.num_hiddens = num_hiddens
        self.embedding = nn.Embedding(vocab_size, num_hiddens); self.pos_encoding = PositionalEncoding(num_hiddens, dropout)
        self.blks = nn.Sequential()
        for i in range(num_blks): self.blks.add_module("block" + str(i), EncoderBlock(num_hiddens, ffn_num_hiddens, num_heads, dropout))
    def forward(self, X, valid_lens):
        X = self.pos_encoding(self.embedding(X) * math.sqrt(self.num_hiddens))
        self.attention_weights = [None] * len(self.blks)
        for i, blk in enumerate(self.blks):
            X = blk(X, valid_lens); self.attention_weights[i] = blk.attention.attention.attention_weights
        return X
enc = TransformerEncoder(200, 24, 48, 8, 2, 0.5); enc.eval()
out = enc(torch.ones((2, 10), dtype=torch.long), torch.tensor([3, 2]))
print(out.shape, out[0, 0, :4], enc.attention_weights[1].shape, enc.attention_weights[0][0, 0])
enc.train(); opt = torch.optim.Adam(enc.parameters(), lr=1e-3)
tok = torch.randint(0, 200, (4, 10))
for i in range(3):
    o = enc(tok, torch.tensor([10, 7, 5, 3])); l = o.pow(2).mean(); opt.zero_grad(); l.backward(); opt.step(); print(l)
print(str(enc.blks[0]))
"""


def test_d2l_attention_multihead_positional_transformer():
    _same_program(_ATTENTION, f64=True)


# ------------------------------------------------------------------ makemore
_WORDS = """
import random
random.seed(42)
chars_all = 'abcdefghijklmnopqrstuvwxyz'
words = [''.join(random.choice(chars_all[:random.randint(5, 26)]) for _ in range(random.randint(2, 8)))
         for _ in range(300)]
chars = sorted(list(set(''.join(words))))
stoi = {s: i + 1 for i, s in enumerate(chars)}; stoi['.'] = 0
itos = {i: s for s, i in stoi.items()}
"""

_BIGRAM = _WORDS + """
import torch
import torch.nn.functional as F
N = torch.zeros((27, 27), dtype=torch.int32)
for w in words:
    chs = ['.'] + list(w) + ['.']
    for ch1, ch2 in zip(chs, chs[1:]):
        N[stoi[ch1], stoi[ch2]] += 1
print(N[0], N.dtype, N.sum(), N[3, 5].item(), N.max(), N.argmax())
p = N[0].float(); p = p / p.sum(); print(p)
g = torch.Generator().manual_seed(2147483647)
ix = torch.multinomial(p, num_samples=1, replacement=True, generator=g).item(); print(itos[ix])
p = torch.rand(3, generator=g); p = p / p.sum(); print(p)
print(torch.multinomial(p, num_samples=100, replacement=True, generator=g))
P = (N+1).float()
P /= P.sum(1, keepdims=True)
print(P.sum(1)[:3], P[0, :4], P.shape, P.sum(1, keepdim=True).shape, P.dtype)
g = torch.Generator().manual_seed(2147483647)
for i in range(5):
    out = []; ix = 0
    while True:
        ix = torch.multinomial(P[ix], num_samples=1, replacement=True, generator=g).item()
        out.append(itos[ix])
        if ix == 0: break
    print(''.join(out))
log_likelihood = 0.0; n = 0
for w in words:
    chs = ['.'] + list(w) + ['.']
    for ch1, ch2 in zip(chs, chs[1:]):
        prob = P[stoi[ch1], stoi[ch2]]; logprob = torch.log(prob)
        log_likelihood += logprob; n += 1
        if n < 4: print(f'{ch1}{ch2}: {prob:.4f} {logprob:.4f}')
nll = -log_likelihood; print(log_likelihood, nll, nll / n)
xs, ys = [], []
for w in words:
    chs = ['.'] + list(w) + ['.']
    for ch1, ch2 in zip(chs, chs[1:]):
        xs.append(stoi[ch1]); ys.append(stoi[ch2])
xs = torch.tensor(xs); ys = torch.tensor(ys); num = xs.nelement()
print('number of examples: ', num, xs.dtype, xs[:5], ys[:5])
xenc = F.one_hot(xs, num_classes=27).float(); print(xenc.shape, xenc.dtype)
"""

_NEURAL_BIGRAM = _BIGRAM + """
g = torch.Generator().manual_seed(2147483647)
W = torch.randn((27, 27), generator=g, requires_grad=True)
for k in range(10):
    xenc = F.one_hot(xs, num_classes=27).to(W.dtype)
    logits = xenc @ W
    counts = logits.exp(); probs = counts / counts.sum(1, keepdims=True)
    loss = -probs[torch.arange(num), ys].log().mean() + 0.01*(W**2).mean()
    print(loss.item())
    W.grad = None; loss.backward(); W.data += -50 * W.grad
g = torch.Generator().manual_seed(2147483647)
for i in range(5):
    out = []; ix = 0
    while True:
        xenc = F.one_hot(torch.tensor([ix]), num_classes=27).to(W.dtype)
        counts = (xenc @ W).exp(); p = counts / counts.sum(1, keepdims=True)
        ix = torch.multinomial(p, num_samples=1, replacement=True, generator=g).item()
        out.append(itos[ix])
        if ix == 0: break
    print(''.join(out))
"""


def test_makemore_bigram_counts_and_sampling():
    _same_program(_BIGRAM)


def test_makemore_neural_bigram():
    _same_program(_NEURAL_BIGRAM, f64=True)


_MLP_MAKEMORE = _WORDS + """
import torch
import torch.nn.functional as F
torch.manual_seed(42)
block_size = 3
def build_dataset(words):
    X, Y = [], []
    for w in words:
        context = [0] * block_size
        for ch in w + '.':
            ix = stoi[ch]; X.append(context); Y.append(ix); context = context[1:] + [ix]
    X = torch.tensor(X); Y = torch.tensor(Y); print(X.shape, Y.shape)
    return X, Y
random.shuffle(words)
n1 = int(0.8*len(words)); n2 = int(0.9*len(words))
Xtr, Ytr = build_dataset(words[:n1]); Xdev, Ydev = build_dataset(words[n1:n2])
C = torch.randn((27, 2)); print(C[5], F.one_hot(torch.tensor(5), num_classes=27).to(C.dtype) @ C)
print(C[[5, 6, 7]], C[torch.tensor([5, 6, 7, 7, 7])], C[Xtr[:32]].shape)
emb = C[Xtr[:32]]
print(torch.cat([emb[:, 0, :], emb[:, 1, :], emb[:, 2, :]], 1).shape, torch.cat(torch.unbind(emb, 1), 1).shape)
a = torch.arange(18); print(a.view(2, 9), a.view(3, 3, 2)[0], a.view(9, 2).is_contiguous())
g = torch.Generator().manual_seed(2147483647)
C = torch.randn((27, 10), generator=g); W1 = torch.randn((30, 200), generator=g); b1 = torch.randn(200, generator=g)
W2 = torch.randn((200, 27), generator=g); b2 = torch.randn(27, generator=g)
parameters = [C, W1, b1, W2, b2]
print(sum(p.nelement() for p in parameters))
for p in parameters: p.requires_grad = True
lre = torch.linspace(-3, 0, 1000); lrs = 10**lre; print(lre[:3], lrs[:3], lrs[-3:], lrs[500])
lri = []; lossi = []
for i in range(40):
    ix = torch.randint(0, Xtr.shape[0], (32,))
    emb = C[Xtr[ix]]
    h = torch.tanh(emb.view(-1, 30) @ W1 + b1)
    logits = h @ W2 + b2
    loss = F.cross_entropy(logits, Ytr[ix])
    for p in parameters: p.grad = None
    loss.backward()
    lr = lrs[i * 10]
    for p in parameters: p.data += -lr * p.grad
    lri.append(lre[i * 10]); lossi.append(loss.log10().item())
print(lossi, torch.tensor(lri)[:4])
emb = C[Xdev]; h = torch.tanh(emb.view(-1, 30) @ W1 + b1); logits = h @ W2 + b2
counts = logits.exp(); prob = counts / counts.sum(1, keepdims=True)
print(F.cross_entropy(logits, Ydev), -prob[torch.arange(Xdev.shape[0]), Ydev].log().mean())
g = torch.Generator().manual_seed(2147483647 + 10)
for _ in range(5):
    out = []; context = [0] * block_size
    while True:
        h = torch.tanh(C[torch.tensor([context])].view(1, -1) @ W1 + b1)
        probs = F.softmax(h @ W2 + b2, dim=1)
        ix = torch.multinomial(probs, num_samples=1, generator=g).item()
        context = context[1:] + [ix]; out.append(ix)
        if ix == 0 or len(out) > 12: break
    print(''.join(itos[i] for i in out))
"""


def test_makemore_mlp_embeddings_and_lr_search():
    _same_program(_MLP_MAKEMORE, f64=True)


_BN_MAKEMORE = _WORDS + """
import torch
import torch.nn.functional as F
torch.manual_seed(42)
block_size, n_embd, n_hidden, vocab_size = 3, 10, 50, 27
X, Y = [], []
for w in words:
    context = [0] * block_size
    for ch in w + '.':
        ix = stoi[ch]; X.append(context); Y.append(ix); context = context[1:] + [ix]
Xtr, Ytr = torch.tensor(X), torch.tensor(Y)
g = torch.Generator().manual_seed(2147483647)
C  = torch.randn((vocab_size, n_embd), generator=g)
W1 = torch.randn((n_embd * block_size, n_hidden), generator=g) * (5/3)/((n_embd * block_size)**0.5)
W2 = torch.randn((n_hidden, vocab_size), generator=g) * 0.01
b2 = torch.randn(vocab_size, generator=g) * 0
bngain = torch.ones((1, n_hidden)); bnbias = torch.zeros((1, n_hidden))
bnmean_running = torch.zeros((1, n_hidden)); bnstd_running = torch.ones((1, n_hidden))
parameters = [C, W1, W2, b2, bngain, bnbias]
for p in parameters: p.requires_grad = True
print(torch.randn(1000).std(), (torch.randn(1000, 10) @ (torch.randn(10, 200) / 10**0.5)).std())
for i in range(30):
    ix = torch.randint(0, Xtr.shape[0], (32,), generator=g)
    emb = C[Xtr[ix]]; embcat = emb.view(emb.shape[0], -1)
    hpreact = embcat @ W1
    bnmeani = hpreact.mean(0, keepdim=True); bnstdi = hpreact.std(0, keepdim=True)
    hpreact = bngain * (hpreact - bnmeani) / bnstdi + bnbias
    with torch.no_grad():
        bnmean_running = 0.999 * bnmean_running + 0.001 * bnmeani
        bnstd_running = 0.999 * bnstd_running + 0.001 * bnstdi
    h = torch.tanh(hpreact)
    loss = F.cross_entropy(h @ W2 + b2, Ytr[ix])
    for p in parameters: p.grad = None
    loss.backward()
    for p in parameters: p.data += -0.1 * p.grad
    if i % 10 == 0: print(i, loss.item())
print(h.shape, (h.abs() > 0.97).float().mean(), hpreact.std(), bnmean_running[0, :5], bnstd_running[0, :5])
@torch.no_grad()
def split_loss():
    emb = C[Xtr]; hpreact = emb.view(emb.shape[0], -1) @ W1
    hpreact = bngain * (hpreact - bnmean_running) / bnstd_running + bnbias
    print(F.cross_entropy(torch.tanh(hpreact) @ W2 + b2, Ytr).item())
split_loss()
class Linear:
    def __init__(self, fan_in, fan_out, bias=True):
        self.weight = torch.randn((fan_in, fan_out), generator=g) / fan_in**0.5
        self.bias = torch.zeros(fan_out) if bias else None
    def __call__(self, x):
        self.out = x @ self.weight
        if self.bias is not None: self.out += self.bias
        return self.out
    def parameters(self): return [self.weight] + ([] if self.bias is None else [self.bias])
class BatchNorm1d:
    def __init__(self, dim, eps=1e-5, momentum=0.1):
        self.eps = eps; self.momentum = momentum; self.training = True
        self.gamma = torch.ones(dim); self.beta = torch.zeros(dim)
        self.running_mean = torch.zeros(dim); self.running_var = torch.ones(dim)
    def __call__(self, x):
        if self.training: xmean = x.mean(0, keepdim=True); xvar = x.var(0, keepdim=True)
        else: xmean = self.running_mean; xvar = self.running_var
        self.out = self.gamma * ((x - xmean) / torch.sqrt(xvar + self.eps)) + self.beta
        if self.training:
            with torch.no_grad():
                self.running_mean = (1 - self.momentum) * self.running_mean + self.momentum * xmean
                self.running_var = (1 - self.momentum) * self.running_var + self.momentum * xvar
        return self.out
    def parameters(self): return [self.gamma, self.beta]
class Tanh:
    def __call__(self, x): self.out = torch.tanh(x); return self.out
    def parameters(self): return []
C = torch.randn((vocab_size, n_embd), generator=g)
layers = [Linear(n_embd * block_size, n_hidden, bias=False), BatchNorm1d(n_hidden), Tanh(),
          Linear(n_hidden, vocab_size, bias=False), BatchNorm1d(vocab_size)]
with torch.no_grad():
    layers[-1].gamma *= 0.1
    for layer in layers[:-1]:
        if isinstance(layer, Linear): layer.weight *= 5/3
parameters = [C] + [p for layer in layers for p in layer.parameters()]
for p in parameters: p.requires_grad = True
ud = []
for i in range(10):
    ix = torch.randint(0, Xtr.shape[0], (32,), generator=g)
    x = C[Xtr[ix]].view(32, -1)
    for layer in layers: x = layer(x)
    loss = F.cross_entropy(x, Ytr[ix])
    for layer in layers: layer.out.retain_grad()
    for p in parameters: p.grad = None
    loss.backward()
    for p in parameters: p.data += -0.1 * p.grad
    with torch.no_grad(): ud.append([((0.1*p.grad).std() / p.data.std()).log10().item() for p in parameters])
print(loss.item(), ud[-1])
t = layers[2].out
print(t.mean(), t.std(), (t.abs() > 0.97).float().mean()*100, t.grad.mean(), t.grad.std())
hy, hx = torch.histogram(t, density=True); print(hy, hx)
for p in parameters:
    if p.ndim == 2: print(tuple(p.shape), p.grad.mean(), p.grad.std(), p.grad.std() / p.std())
print(layers[1].running_mean[:5], layers[4].running_var[:5])
"""


def test_makemore_batchnorm_by_hand():
    _same_program(_BN_MAKEMORE, f64=True)


_WAVENET = _WORDS + """
import torch
import torch.nn as nn
import torch.nn.functional as F
block_size, vocab_size = 8, 27
X, Y = [], []
for w in words:
    context = [0] * block_size
    for ch in w + '.':
        ix = stoi[ch]; X.append(context); Y.append(ix); context = context[1:] + [ix]
Xtr, Ytr = torch.tensor(X), torch.tensor(Y)
for x, y in zip(Xtr[:5], Ytr[:5]): print(''.join(itos[ix.item()] for ix in x), '-->', itos[y.item()])
class Linear:
    def __init__(self, fan_in, fan_out, bias=True):
        self.weight = torch.randn((fan_in, fan_out)) / fan_in**0.5
        self.bias = torch.zeros(fan_out) if bias else None
    def __call__(self, x):
        self.out = x @ self.weight
        if self.bias is not None: self.out += self.bias
        return self.out
    def parameters(self): return [self.weight] + ([] if self.bias is None else [self.bias])
class BatchNorm1d:
    def __init__(self, dim, eps=1e-5, momentum=0.1):
        self.eps = eps; self.momentum = momentum; self.training = True
        self.gamma = torch.ones(dim); self.beta = torch.zeros(dim)
        self.running_mean = torch.zeros(dim); self.running_var = torch.ones(dim)
    def __call__(self, x):
        if self.training:
            dim = 0 if x.ndim == 2 else (0, 1)
            xmean = x.mean(dim, keepdim=True); xvar = x.var(dim, keepdim=True)
        else:
            xmean = self.running_mean; xvar = self.running_var
        self.out = self.gamma * ((x - xmean) / torch.sqrt(xvar + self.eps)) + self.beta
        if self.training:
            with torch.no_grad():
                self.running_mean = (1 - self.momentum) * self.running_mean + self.momentum * xmean
                self.running_var = (1 - self.momentum) * self.running_var + self.momentum * xvar
        return self.out
    def parameters(self): return [self.gamma, self.beta]
class Tanh:
    def __call__(self, x): self.out = torch.tanh(x); return self.out
    def parameters(self): return []
class Embedding:
    def __init__(self, num_embeddings, embedding_dim): self.weight = torch.randn((num_embeddings, embedding_dim))
    def __call__(self, IX): self.out = self.weight[IX]; return self.out
    def parameters(self): return [self.weight]
class FlattenConsecutive:
    def __init__(self, n): self.n = n
    def __call__(self, x):
        B, T, C = x.shape
        x = x.view(B, T//self.n, C*self.n)
        if x.shape[1] == 1: x = x.squeeze(1)
        self.out = x
        return self.out
    def parameters(self): return []
class Sequential:
    def __init__(self, layers): self.layers = layers
    def __call__(self, x):
        for layer in self.layers: x = layer(x)
        self.out = x
        return self.out
    def parameters(self): return [p for layer in self.layers for p in layer.parameters()]
torch.manual_seed(42)
n_embd = 8; n_hidden = 32
model = Sequential([
  Embedding(vocab_size, n_embd),
  FlattenConsecutive(2), Linear(n_embd * 2, n_hidden, bias=False), BatchNorm1d(n_hidden), Tanh(),
  FlattenConsecutive(2), Linear(n_hidden*2, n_hidden, bias=False), BatchNorm1d(n_hidden), Tanh(),
  FlattenConsecutive(2), Linear(n_hidden*2, n_hidden, bias=False), BatchNorm1d(n_hidden), Tanh(),
  Linear(n_hidden, vocab_size)])
with torch.no_grad(): model.layers[-1].weight *= 0.1
parameters = model.parameters()
print(sum(p.nelement() for p in parameters))
for p in parameters: p.requires_grad = True
ix = torch.randint(0, Xtr.shape[0], (4,)); Xb = Xtr[ix]
logits = model(Xb); print(Xb.shape, Xb)
for layer in model.layers: print(layer.__class__.__name__, ':', tuple(layer.out.shape))
e = torch.randn(4, 8, 10)
print((e.view(4, 4, 20) == torch.cat([e[:, ::2, :], e[:, 1::2, :]], dim=2)).all(), model.layers[3].running_mean.shape)
for i in range(20):
    ix = torch.randint(0, Xtr.shape[0], (32,))
    loss = F.cross_entropy(model(Xtr[ix]), Ytr[ix])
    for p in parameters: p.grad = None
    loss.backward()
    for p in parameters: p.data += -0.1 * p.grad
    if i % 5 == 0: print(i, loss.item())
for layer in model.layers: layer.training = False
with torch.no_grad(): print(F.cross_entropy(model(Xtr), Ytr).item())
for _ in range(3):
    out = []; context = [0] * block_size
    while True:
        probs = F.softmax(model(torch.tensor([context])), dim=1)
        ix = torch.multinomial(probs, num_samples=1).item()
        context = context[1:] + [ix]; out.append(ix)
        if ix == 0 or len(out) > 10: break
    print(''.join(itos[i] for i in out))
class FC(nn.Module):
    def __init__(self, n): super().__init__(); self.n = n
    def forward(self, x):
        B, T, C = x.shape; x = x.reshape(B, T//self.n, C*self.n)
        return x.squeeze(1) if x.shape[1] == 1 else x
class BN(nn.BatchNorm1d):
    def forward(self, x):
        if x.ndim == 3: return super().forward(x.transpose(1, 2)).transpose(1, 2)
        return super().forward(x)
net = nn.Sequential(nn.Embedding(vocab_size, n_embd), FC(2), nn.Linear(16, n_hidden, bias=False), BN(n_hidden), nn.Tanh(),
                    FC(2), nn.Linear(64, n_hidden, bias=False), BN(n_hidden), nn.Tanh(),
                    FC(2), nn.Linear(64, n_hidden, bias=False), BN(n_hidden), nn.Tanh(), nn.Linear(n_hidden, vocab_size))
opt = torch.optim.SGD(net.parameters(), lr=0.1)
for i in range(5):
    ix = torch.randint(0, Xtr.shape[0], (32,)); l = F.cross_entropy(net(Xtr[ix]), Ytr[ix])
    opt.zero_grad(); l.backward(); opt.step(); print(l.item())
print(net[3].running_mean[:4], net[3].running_var[:4], net[3].num_batches_tracked)
bn = nn.BatchNorm1d(5); print(bn(torch.randn(4, 5, 3)).shape, bn.running_mean)
try:
    FlattenConsecutive(2)(torch.randn(4, 8, 6).transpose(1, 2))
except RuntimeError as err:
    print(type(err).__name__, str(err))
"""


def test_makemore_wavenet():
    _same_program(_WAVENET, f64=True)
