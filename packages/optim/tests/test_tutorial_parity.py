"""SparseAdam with a sparse embedding, the word2vec-tutorial pattern, compared with PyTorch:
per-step losses, the embedding after training and the optimizer's state_dict."""

from __future__ import annotations

import pytest

import ember
from ember.testing import assert_close


def _train(lib, maximize: bool = False, padding_idx: int | None = None) -> tuple:
    lib.manual_seed(1)
    emb = lib.nn.Embedding(12, 4, sparse=True, padding_idx=padding_idx)
    head = lib.nn.Linear(4, 1)
    opt = lib.optim.SparseAdam(list(emb.parameters()), lr=0.05, betas=(0.8, 0.95),
                               maximize=maximize)
    dense = lib.optim.Adam(head.parameters(), lr=0.05)
    batches = [[[1, 2, 2], [5, 1, 9]], [[3, 3, 0], [7, 8, 1]], [[1, 2, 11], [4, 4, 4]]]
    losses = []
    for ids in batches * 2:
        opt.zero_grad()
        dense.zero_grad()
        loss = head(emb(lib.tensor(ids))).pow(2).mean()
        loss.backward()
        opt.step()
        dense.step()
        losses.append(loss.item())
    return losses, emb.weight.detach(), opt.state_dict()


@pytest.mark.parametrize("maximize", [False, True])
@pytest.mark.parametrize("padding_idx", [None, 0])
def test_sparse_adam_trains_like_pytorch(torch, maximize, padding_idx):
    le, we, se = _train(ember, maximize, padding_idx)
    lt, wt, st = _train(torch, maximize, padding_idx)
    assert le == pytest.approx(lt, rel=1e-5)
    assert_close(we, wt, rtol=1e-5, atol=1e-6)
    assert se["param_groups"] == st["param_groups"]
    for i, s in st["state"].items():
        assert se["state"][i]["step"] == s["step"]
        assert_close(se["state"][i]["exp_avg"], s["exp_avg"], rtol=1e-5, atol=1e-7)
        assert_close(se["state"][i]["exp_avg_sq"], s["exp_avg_sq"], rtol=1e-5, atol=1e-7)


def test_sparse_adam_checks_like_pytorch(torch):
    for kwargs in ({"lr": -1.0}, {"eps": -1.0}, {"betas": (1.0, 0.9)}, {"betas": (0.9, 1.0)}):
        with pytest.raises(ValueError) as te:
            torch.optim.SparseAdam([torch.nn.Parameter(torch.zeros(2))], **kwargs)
        with pytest.raises(ValueError, match=str(te.value).replace("(", r"\(").replace(")", r"\)")):
            ember.optim.SparseAdam([ember.nn.Parameter(ember.zeros(2))], **kwargs)
