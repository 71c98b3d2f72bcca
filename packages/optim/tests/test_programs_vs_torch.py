"""Whole PyTorch programs run twice, with ``torch`` and with ``ember`` as the library:
the same seed must give the same initial weights, shuffles, losses and final weights."""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.nn
import ember.optim
import ember.utils.data


def _mlp_sgd(lib, steps=15):
    lib.manual_seed(0)
    model = lib.nn.Sequential(lib.nn.Linear(10, 32), lib.nn.ReLU(), lib.nn.Linear(32, 3))
    opt = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    x, y = lib.randn(64, 10), lib.randint(0, 3, (64,))
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = lib.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses, [p.detach().numpy().copy() for p in model.parameters()]


def _cnn_adam_loader(lib):
    lib.manual_seed(1)
    data = lib.utils.data.TensorDataset(lib.randn(40, 1, 12, 12), lib.randint(0, 4, (40,)))
    loader = lib.utils.data.DataLoader(data, batch_size=8, shuffle=True)
    model = lib.nn.Sequential(
        lib.nn.Conv2d(1, 6, 3, bias=False), lib.nn.BatchNorm2d(6), lib.nn.ReLU(), lib.nn.MaxPool2d(2),
        lib.nn.Flatten(), lib.nn.Dropout(0.25), lib.nn.Linear(6 * 5 * 5, 4))
    opt = lib.optim.Adam(model.parameters(), lr=1e-2)
    sched = lib.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
    losses = []
    for _ in range(2):
        model.train()
        for xb, yb in loader:
            opt.zero_grad()
            loss = lib.nn.functional.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            sched.step()
            losses.append(loss.item())
    model.eval()
    with lib.no_grad():
        out = model(data.tensors[0][:5])
    return losses, [out.numpy().copy()] + [p.detach().numpy().copy() for p in model.parameters()]


def _lstm_sgd(lib):
    lib.manual_seed(2)
    emb = lib.nn.Embedding(20, 8)
    rnn = lib.nn.LSTM(8, 16, num_layers=2, batch_first=True)
    head = lib.nn.Linear(16, 20)
    params = list(emb.parameters()) + list(rnn.parameters()) + list(head.parameters())
    opt = lib.optim.SGD(params, lr=0.5)
    tokens = lib.randint(0, 20, (4, 7))
    losses = []
    for _ in range(5):
        opt.zero_grad()
        out, _ = rnn(emb(tokens[:, :-1]))
        logits = head(out)
        loss = lib.nn.functional.cross_entropy(logits.reshape(-1, 20), tokens[:, 1:].reshape(-1))
        loss.backward()
        lib.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        losses.append(loss.item())
    return losses, [p.detach().numpy().copy() for p in params]


def _transformer_adamw(lib):
    lib.manual_seed(3)
    layer = lib.nn.TransformerEncoderLayer(d_model=16, nhead=2, dim_feedforward=32,
                                           dropout=0.0, batch_first=True)
    enc = lib.nn.TransformerEncoder(layer, num_layers=2)
    opt = lib.optim.AdamW(enc.parameters(), lr=1e-3)
    x = lib.randn(3, 5, 16)
    mask = lib.nn.Transformer.generate_square_subsequent_mask(5)
    losses = []
    for _ in range(4):
        opt.zero_grad()
        loss = enc(x, mask=mask, is_causal=True).pow(2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses, [p.detach().numpy().copy() for p in enc.parameters()]


PROGRAMS = {"mlp_sgd": (_mlp_sgd, 1e-5), "cnn_adam_loader": (_cnn_adam_loader, 1e-4),
            "lstm_sgd": (_lstm_sgd, 1e-4), "transformer_adamw": (_transformer_adamw, 1e-4)}


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_program_matches_torch(name, torch):
    import torch.utils.data  # noqa: F401

    program, tol = PROGRAMS[name]
    e_losses, e_arrays = program(ember)
    t_losses, t_arrays = program(torch)
    np.testing.assert_allclose(e_losses, t_losses, rtol=tol, atol=tol)
    assert len(e_arrays) == len(t_arrays)
    for a, b in zip(e_arrays, t_arrays):
        np.testing.assert_allclose(a, b, rtol=tol * 10, atol=tol * 10)


def test_training_converges_without_torch():
    losses, _ = _mlp_sgd(ember, steps=100)
    assert losses[-1] < 0.2 * losses[0]
