"""Session 25: sequence and NLP programs (recurrent layers, packed sequences, embeddings,
attention) run whole under PyTorch and under Ember; each difference found is pinned here by a
test that computes PyTorch's answer on the same inputs."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def _outcome(fn: Any) -> str:
    """``fn()``'s exception as ``"Type: message"`` (or ``"ok"``)."""
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the type is what is compared
        return f"{type(e).__name__}: {e}"
    return "ok"


# ---------------------------------------------------------------------- EmbeddingBag mean
def test_embedding_bag_mean_divides_each_bag_sum() -> None:
    """A bag's mean is its sum divided by its size (exact for integer rows), not a sum of
    rows each scaled by ``1/size``: ``print`` shows ``7.`` rather than ``7.0000``."""
    def prog(lib: Any) -> tuple:
        w = lib.arange(12.).view(4, 3).requires_grad_()
        bag = lib.nn.EmbeddingBag.from_pretrained(w, mode="mean", freeze=False)
        out = bag(lib.tensor([0, 1, 2, 3]), lib.tensor([0, 1, 1]))
        (out * lib.tensor([[1., 2., 3.]])).sum().backward()
        return str(out).replace("ember", "torch"), out.detach().numpy(), bag.weight.grad.numpy()

    e, t = prog(ember), prog(torch)
    assert e[0] == t[0]
    np.testing.assert_array_equal(e[1], t[1])
    np.testing.assert_allclose(e[2], t[2], rtol=1e-6, atol=0)


# ---------------------------------------------------------------------- packed LSTM state
_PACKED_CASES = [
    # (bidirectional, proj_size, input features, h shape, c shape)
    (True, 0, 4, (2, 3, 6), (2, 3, 6)),   # the states of one direction only
    (False, 0, 5, None, None),            # input features other than input_size
    (True, 0, 5, (4, 3, 6), (4, 3, 6)),
    (False, 0, 4, (2, 3, 3), (2, 3, 3)),  # a state too narrow
    (False, 0, 4, (2, 3, 2), (2, 3, 6)),  # widths differ: read as projections
    (False, 3, 4, (2, 3, 6), (2, 3, 6)),  # a projected LSTM given full-width states
    (True, 3, 4, (4, 3, 6), (4, 3, 6)),
    (False, 3, 4, (2, 3, 2), (2, 3, 6)),
    (False, 0, 4, (2, 2, 6), (2, 3, 6)),  # batch of h too small
    (False, 3, 4, (2, 3, 3), (2, 3, 5)),  # cell state too narrow
    (False, 0, 4, (2, 3, 6), (2, 3, 6)),  # right: runs
]


@pytest.mark.parametrize("bi,proj,feat,hs,cs", _PACKED_CASES)
def test_packed_lstm_refuses_states_in_kernel_words(bi: bool, proj: int, feat: int,
                                                   hs: Any, cs: Any) -> None:
    """PyTorch's LSTM skips its module checks for packed input: its kernel refuses a wrong
    state or input width in its own words (parameter grouping, layer count, matmul shapes)."""
    x = np.random.default_rng(0).standard_normal((3, 5, feat)).astype(np.float32)

    def prog(lib: Any) -> str:
        lib.manual_seed(0)
        m = lib.nn.LSTM(4, 6, num_layers=2, bidirectional=bi, batch_first=True, proj_size=proj)
        p = lib.nn.utils.rnn.pack_padded_sequence(lib.tensor(x), [5, 3, 2], batch_first=True)
        hx = None if hs is None else (lib.zeros(hs), lib.zeros(cs))
        return _outcome(lambda: m(p, hx))

    assert prog(ember) == prog(torch)


# ---------------------------------------------------------------------- rnn utils errors
@pytest.mark.parametrize("call", [
    lambda lib: lib.nn.utils.rnn.pad_sequence([[1, 2], [3]]),
    lambda lib: lib.nn.utils.rnn.pad_sequence([lib.ones(2), 3]),
    lambda lib: lib.nn.utils.rnn.PackedSequence(lib.ones(3)),
    lambda lib: lib.nn.utils.rnn.PackedSequence((lib.ones(3),)),
])
def test_rnn_utils_refuse_non_tensors_as_torch(call: Any) -> None:
    """``pad_sequence`` of a list of lists is refused by PyTorch's argument parser (a
    TypeError naming the element); ``PackedSequence(data)`` without batch sizes by its
    AssertionError."""
    assert _outcome(lambda: call(ember)) == _outcome(lambda: call(torch))


# ---------------------------------------------------------------------- whole programs
def _char_rnn(L: Any) -> list:
    """The name-classification tutorial: a hand-written RNN cell, one-hot letters, NLLLoss
    and manual SGD through ``p.data.add_``."""
    letters = "abcdefghijklmnopqrstuvwxyz"

    def line_tensor(line: str) -> Any:
        t = L.torch.zeros(len(line), 1, len(letters))
        for i, ch in enumerate(line):
            t[i][0][letters.find(ch)] = 1
        return t

    class RNN(L.nn.Module):
        def __init__(self, n_in: int, n_hidden: int, n_out: int) -> None:
            super().__init__()
            self.hidden_size = n_hidden
            self.i2h = L.nn.Linear(n_in + n_hidden, n_hidden)
            self.i2o = L.nn.Linear(n_in + n_hidden, n_out)
            self.softmax = L.nn.LogSoftmax(dim=1)

        def forward(self, x: Any, hidden: Any) -> tuple:
            combined = L.torch.cat((x, hidden), 1)
            return self.softmax(self.i2o(combined)), self.i2h(combined)

    L.torch.manual_seed(0)
    rnn = RNN(len(letters), 12, 3)
    crit = L.nn.NLLLoss()
    printed: list = [str(rnn)]
    for it, (name, c) in enumerate([("albert", 0), ("satoshi", 1), ("nguyen", 2)] * 2):
        lt = line_tensor(name)
        hidden = L.torch.zeros(1, 12)
        rnn.zero_grad()
        for i in range(lt.size()[0]):
            output, hidden = rnn(lt[i], hidden)
        loss = crit(output, L.torch.tensor([c], dtype=L.torch.long))
        loss.backward()
        for p in rnn.parameters():
            p.data.add_(p.grad.data, alpha=-0.005)
        printed += [it, f"{loss.item():.4f}", output.topk(1)[1][0].item(), output,
                    output.grad_fn.name()]
    return printed


def _text_classifier(L: Any) -> list:
    """The EmbeddingBag text-classification tutorial: offsets by ``cumsum``, mean bags,
    gradient clipping in the loop."""
    L.torch.manual_seed(0)
    model = L.nn.Sequential()
    bag = L.nn.EmbeddingBag(12, 6, mode="mean")
    fc = L.nn.Linear(6, 3)
    bag.weight.data.uniform_(-0.5, 0.5)
    opt = L.optim.SGD(list(bag.parameters()) + list(fc.parameters()), lr=5)
    batches = [([[1, 2, 3], [4, 5], [6, 7, 8, 9]], [0, 1, 2]), ([[10, 11], [1, 5, 9]], [2, 0])]
    printed: list = [str(bag), str(model)]
    for step in range(3):
        for seqs, labels in batches:
            text = L.torch.cat([L.torch.tensor(s) for s in seqs])
            offsets = L.torch.tensor([0] + [len(s) for s in seqs[:-1]]).cumsum(dim=0)
            out = fc(bag(text, offsets))
            loss = L.F.cross_entropy(out, L.torch.tensor(labels))
            opt.zero_grad()
            loss.backward()
            norm = L.nn.utils.clip_grad_norm_(list(bag.parameters()) + list(fc.parameters()), 0.1)
            opt.step()
            printed += [step, offsets.tolist(), f"{loss.item():.4f}", norm, out.argmax(1)]
    printed.append(bag(L.torch.tensor([0, 1, 2, 3]), L.torch.tensor([0, 1, 1])))
    return printed


@pytest.mark.parametrize("program", [_char_rnn, _text_classifier])
def test_whole_program_prints_as_torch(program: Any) -> None:
    from _programs import run

    run(program, torch)
