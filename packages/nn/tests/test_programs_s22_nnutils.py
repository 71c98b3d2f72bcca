"""Session 22: ``torch.nn.utils`` programs run side by side with PyTorch (parametrize,
weight / spectral norm, pruning, RNN packing, gradient clipping, fusion, functional_call),
and the differences they exposed: the graph node weight norm's weight shows, the words
of pruning's importance-score shape errors, and ``functional_call`` with tied weights
under ``strict=True`` (the tied names count as given) and its argument errors.

Every test runs the same program through torch and Ember (same seeds: Ember's generator
draws PyTorch's numbers) and compares values, shapes, ``grad_fn`` names, state_dict keys or
error types and messages with torch's.
"""

from __future__ import annotations

import contextlib

import numpy as np
import pytest
from _programs import raises_same

import ember
import ember.nn as enn

torch = pytest.importorskip("torch")
pytest.importorskip("torch.nn.utils.prune")  # not imported by torch.nn.utils itself


def _np(t: object) -> np.ndarray:
    return t.detach().numpy()


def _name(t: object) -> str | None:
    return None if t.grad_fn is None else type(t.grad_fn).__name__


# ------------------------------------------------------------------ weight norm
_WN_CASES = [((4, 5), 0), ((4, 5), 1), ((4, 5), None), ((4, 5), -1), ((4, 5), -2),
             ((3, 2, 3, 3), 0), ((3, 2, 3, 3), 1), ((3, 2, 3, 3), 3), ((3, 2, 3, 3), None),
             ((3, 2, 3, 3), -2), ((3, 2, 3, 3), -3), ((3, 2, 3, 3), -4), ((4,), 0)]


def _wn_layer(nn: object, shape: tuple) -> object:
    """A layer whose weight has ``shape``."""
    if len(shape) == 4:
        return nn.Conv2d(shape[1], shape[0], shape[2])
    if len(shape) == 2:
        return nn.Linear(shape[1], shape[0])
    return nn.LayerNorm(shape[0])


@pytest.mark.parametrize("shape,dim", _WN_CASES)
@pytest.mark.parametrize("api", ["parametrizations", "hook"])
def test_weight_norm_grad_fn_values_and_grads(shape: tuple, dim: int | None, api: str) -> None:
    """PyTorch's fused weight-norm kernel serves dim 0 and the last dim: the weight then shows
    ``WeightNormInterfaceBackward0``, any other dim (or None) ``MulBackward0``; a negative dim
    other than -1 counts from the end (g keeps that dimension)."""
    mods = []
    for lib in (torch, ember):
        lib.manual_seed(0)
        layer = _wn_layer(lib.nn, shape)
        if api == "hook":
            with pytest.warns(FutureWarning):
                mods.append(lib.nn.utils.weight_norm(layer, dim=dim))
        else:
            mods.append(lib.nn.utils.parametrizations.weight_norm(layer, dim=dim))
    mt, me = mods
    assert list(me.state_dict()) == list(mt.state_dict())
    wt, we = mt.weight, me.weight
    assert _name(we) == _name(wt)
    np.testing.assert_allclose(_np(we), _np(wt), rtol=1e-6, atol=1e-6)
    g = np.random.RandomState(1).randn(*shape).astype("float32")
    wt.backward(torch.from_numpy(g))
    we.backward(ember.from_numpy(g))
    pt = dict(mt.named_parameters())
    for name, p in me.named_parameters():
        if pt[name].grad is not None:
            np.testing.assert_allclose(_np(p.grad), _np(pt[name].grad), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("api", ["parametrizations", "hook"])
def test_weight_norm_dim_out_of_range(api: str) -> None:
    """A dim past the weight's: PyTorch's IndexError (was wrapped around silently)."""
    def run(lib: object) -> None:
        layer = lib.nn.Linear(3, 4)
        if api == "hook":
            with pytest.warns(FutureWarning):
                lib.nn.utils.weight_norm(layer, dim=5)
        else:
            lib.nn.utils.parametrizations.weight_norm(layer, dim=5)
    raises_same(lambda: run(torch), lambda: run(ember))
    raises_same(lambda: torch.norm_except_dim(torch.ones(2, 3), 2, -3),
                 lambda: ember.norm_except_dim(ember.ones(2, 3), 2, -3))


def test_weight_norm_training_loop_matches_torch() -> None:
    """A small net with hook-based weight norm trained a few SGD steps: same loss, same g."""
    results = []
    for lib in (torch, ember):
        lib.manual_seed(0)
        nn = lib.nn
        with pytest.warns(FutureWarning):
            net = nn.Sequential(nn.utils.weight_norm(nn.Conv1d(2, 4, 3)), nn.ReLU(),
                                nn.Flatten(), nn.utils.weight_norm(nn.Linear(8, 1), dim=None))
        opt = lib.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
        x, y = lib.randn(5, 2, 4), lib.randn(5, 1)
        for _ in range(4):
            opt.zero_grad()
            loss = nn.functional.mse_loss(net(x), y)
            loss.backward()
            opt.step()
        results.append((loss, net[0].weight_g, net[3].weight_g, _name(net[0].weight)))
    (lt, g0t, g3t, nt), (le, g0e, g3e, ne) = results
    assert ne == nt == "WeightNormInterfaceBackward0"
    np.testing.assert_allclose(_np(le), _np(lt), rtol=1e-5)
    np.testing.assert_allclose(_np(g0e), _np(g0t), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(_np(g3e), _np(g3t), rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------ pruning
def test_prune_importance_scores_shape_error_names_shapes() -> None:
    """A wrong-shaped ``importance_scores``: PyTorch's AssertionError names both shapes."""
    raises_same(
        lambda: torch.nn.utils.prune.l1_unstructured(torch.nn.Linear(3, 2), "weight", 1,
                                                     importance_scores=torch.ones(3)),
        lambda: ember.nn.utils.prune.l1_unstructured(enn.Linear(3, 2), "weight", 1,
                                                     importance_scores=ember.ones(3)))
    raises_same(
        lambda: torch.nn.utils.prune.L1Unstructured(0.5).prune(
            torch.ones(2, 3), importance_scores=torch.ones(3)),
        lambda: ember.nn.utils.prune.L1Unstructured(0.5).prune(
            ember.ones(2, 3), importance_scores=ember.ones(3)))


def test_prune_method_prune_with_importance_scores() -> None:
    """``method.prune(t, importance_scores=...)``: the mask comes from the scores."""
    t = np.random.RandomState(0).randn(2, 3).astype("float32")
    s = np.arange(6, dtype="float32").reshape(2, 3)
    rt = torch.nn.utils.prune.L1Unstructured(0.5).prune(torch.from_numpy(t),
                                                        importance_scores=torch.from_numpy(s))
    re_ = ember.nn.utils.prune.L1Unstructured(0.5).prune(ember.from_numpy(t),
                                                         importance_scores=ember.from_numpy(s))
    np.testing.assert_array_equal(_np(re_), _np(rt))


# ------------------------------------------------------------------ functional_call
def _tied(nn: object, n: int) -> object:
    """``n`` bias-free linears applied in turn, all holding one weight."""
    class Tied(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layers = nn.ModuleList(nn.Linear(2, 2, bias=False) for _ in range(n))
            for layer in self.layers[1:]:
                layer.weight = self.layers[0].weight

        def forward(self, x: object) -> object:
            for layer in self.layers:
                x = layer(x)
            return x
    return Tied()


@pytest.mark.parametrize("given", [["layers.1.weight"], ["layers.0.weight"],
                                   ["layers.2.weight"]])
@pytest.mark.parametrize("stateless", [False, True])
def test_functional_call_strict_counts_tied_names_as_given(given: list, stateless: bool) -> None:
    """``strict=True`` with a value for one name of a tied weight: the other names are
    untied to it first, so no key is missing and the call runs on the given value."""
    outs = []
    for lib in (torch, ember):
        lib.manual_seed(0)
        model = _tied(lib.nn, 3)
        w = lib.eye(2) * 2
        call = (lib.nn.utils.stateless.functional_call if stateless
                else lib.func.functional_call)
        with pytest.warns(FutureWarning) if stateless else contextlib.nullcontext():
            outs.append(call(model, dict.fromkeys(given, w), (lib.ones(1, 2),), strict=True))
    np.testing.assert_array_equal(_np(outs[1]), _np(outs[0]))


def test_functional_call_tie_weights_errors_match_torch() -> None:
    """Two different values for one tied weight; strict without tying; bad dict arguments."""
    cases = [
        lambda lib, m, w: lib.func.functional_call(
            m, {"layers.0.weight": w, "layers.1.weight": w * 2}, (lib.ones(1, 2),)),
        lambda lib, m, w: lib.func.functional_call(
            m, {"layers.1.weight": w}, (lib.ones(1, 2),), tie_weights=False, strict=True),
        lambda lib, m, w: lib.func.functional_call(m, [{"layers.0.weight": w}, 3], ()),
        lambda lib, m, w: lib.func.functional_call(
            m, [{"layers.0.weight": w, "x": w}, {"x": w, "layers.0.weight": w}], ()),
    ]
    for case in cases:
        mt, me = _tied(torch.nn, 2), _tied(enn, 2)
        raises_same(lambda c=case, m=mt: c(torch, m, torch.eye(2)),
                     lambda c=case, m=me: c(ember, m, ember.eye(2)))
    with pytest.raises(ValueError, match="Expected parameter_and_buffer_dicts to be a dict"):
        ember.func.functional_call(_tied(enn, 2), ember.ones(2), ())


def test_functional_call_tie_weights_false_uses_each_value() -> None:
    """``tie_weights=False``: each name takes its own value; a name not given keeps the
    module's tensor."""
    outs = []
    for lib in (torch, ember):
        lib.manual_seed(0)
        model = _tied(lib.nn, 2)
        x = lib.ones(1, 2)
        outs.append((lib.func.functional_call(model, {"layers.0.weight": lib.eye(2) * 2,
                                                      "layers.1.weight": lib.eye(2) * 3},
                                              (x,), tie_weights=False),
                     lib.func.functional_call(model, {"layers.1.weight": lib.eye(2) * 3},
                                              (x,), tie_weights=False)))
    for e, t in zip(outs[1], outs[0]):
        np.testing.assert_allclose(_np(e), _np(t), rtol=1e-6)


# ------------------------------------------------------------------ gradient clipping
@pytest.mark.parametrize("foreach", [None, True, False])
@pytest.mark.parametrize("norm_type", ["inf", float("inf"), "-inf"])
@pytest.mark.parametrize("shapes", [[(0,)], [(2,), (0,)], [(0, 3)]])
def test_total_norm_of_empty_gradient_error_matches_torch(foreach: bool | None, norm_type: object,
                                                         shapes: list) -> None:
    """An inf norm over an empty gradient has no identity: PyTorch's foreach kernel (the
    default on CPU) words the error its own way, its -inf norm and foreach=False don't."""
    raises_same(
        lambda: torch.nn.utils.get_total_norm([torch.ones(s) for s in shapes], norm_type,
                                              foreach=foreach),
        lambda: ember.nn.utils.get_total_norm([ember.ones(s) for s in shapes], norm_type,
                                              foreach=foreach))

    def clip(lib: object) -> object:
        p = lib.nn.Parameter(lib.ones(shapes[-1]))
        p.grad = lib.ones(shapes[-1])
        return lib.nn.utils.clip_grad_norm_([p], 1.0, norm_type, foreach=foreach)
    raises_same(lambda: clip(torch), lambda: clip(ember))


# ------------------------------------------------------------------ RNN packing
@pytest.mark.parametrize("cls", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("packed", [True, False])
def test_rnn_float64_input_into_float32_model_error(cls: str, packed: bool) -> None:
    """Float64 data (a NumPy array) into a float32 RNN: PyTorch's LSTM skips its argument
    checks for a PackedSequence, so its matmul refuses the dtypes (RuntimeError); every
    other case gets the module's ValueError."""
    def run(lib: object) -> object:
        lib.manual_seed(0)
        model = getattr(lib.nn, cls)(2, 3)
        seqs = [lib.from_numpy(np.ones((n, 2))) for n in (3, 2)]
        x = (lib.nn.utils.rnn.pack_sequence(seqs) if packed
             else lib.nn.utils.rnn.pad_sequence(seqs))
        return model(x)
    with pytest.raises(Exception) as et:
        run(torch)
    with pytest.raises(Exception) as ee:
        run(ember)
    assert type(ee.value) is type(et.value)
    assert str(ee.value) == str(et.value).replace("torch.", "ember.")


def test_packed_lstm_float64_model_and_data_matches_torch() -> None:
    """The same data through a float64 LSTM: values and dtypes as PyTorch's."""
    outs = []
    for lib in (torch, ember):
        lib.manual_seed(0)
        lstm = lib.nn.LSTM(2, 3).double()
        seqs = [lib.from_numpy(np.random.RandomState(n).randn(n, 2)) for n in (2, 4, 3)]
        p = lib.nn.utils.rnn.pack_sequence(seqs, enforce_sorted=False)
        out, (h, c) = lstm(p)
        padded, lengths = lib.nn.utils.rnn.pad_packed_sequence(out, batch_first=True)
        outs.append((padded, h, c, lengths))
    for e, t in zip(outs[1], outs[0]):
        assert str(e.dtype).split(".")[1] == str(t.dtype).split(".")[1]
        np.testing.assert_allclose(_np(e), _np(t), rtol=1e-12, atol=1e-12)


def _tied_values_program(lib: object) -> list:
    """Pruning weights with equal magnitudes / norms (constant or periodic initialisation):
    the masks of each step."""
    prune = lib.nn.utils.prune
    nn = lib.nn
    m = nn.Linear(4, 3)
    nn.init.ones_(m.weight)
    nn.init.zeros_(m.bias)
    prune.l1_unstructured(m, "weight", 5)
    masks = [m.weight_mask.clone()]
    prune.l1_unstructured(m, "weight", 2)
    prune.l1_unstructured(m, "bias", 2)
    masks += [m.weight_mask.clone(), m.bias_mask.clone()]
    c = nn.Conv2d(2, 6, 2)
    nn.init.constant_(c.weight, 0.5)
    prune.ln_structured(c, "weight", 0.5, n=2, dim=0)
    prune.ln_structured(c, "weight", 1, n=1, dim=1)
    masks.append(c.weight_mask.clone())
    lin = nn.Linear(12, 12)
    with lib.no_grad():
        lin.weight.copy_(lib.arange(144.0).reshape(12, 12) % 3)
    prune.l1_unstructured(lin, "weight", 0.3)
    prune.ln_structured(lin, "weight", 5, n=1, dim=1)
    prune.global_unstructured([(lin, "bias"), (m, "bias")], prune.L1Unstructured, amount=4)
    masks += [lin.weight_mask, lin.bias_mask, m.bias_mask]
    for n in (0, 1, 2, "fro", float("inf"), -1):
        w = nn.Linear(4, 5)
        with lib.no_grad():
            w.weight.copy_(lib.arange(20.0).reshape(5, 4) % 2)
        prune.ln_structured(w, "weight", 2, n=n, dim=0)
        masks.append(w.weight_mask)
    return masks


def test_prune_ties_pick_the_entries_torch_picks() -> None:
    """Equal magnitudes (and equal channel norms, L0 included): the pruned entries are the
    ones PyTorch's topk chooses, not the first ones in memory order."""
    for mt, me in zip(_tied_values_program(torch), _tied_values_program(ember)):
        np.testing.assert_array_equal(_np(me), _np(mt))


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_random_unstructured_mask_matches_torch(dtype: str) -> None:
    """Seeded random pruning: the same draw and the same chosen entries as PyTorch."""
    masks = []
    for lib in (torch, ember):
        lib.manual_seed(3)
        m = lib.nn.Linear(5, 4).to(getattr(lib, dtype))
        lib.nn.utils.prune.random_unstructured(m, "weight", 0.45)
        masks.append(m.weight_mask)
    np.testing.assert_array_equal(_np(masks[1]), _np(masks[0]))


def _sparse_embedding_step(lib: object, norm_type: object, foreach: bool | None) -> tuple:
    """An Embedding(sparse=True) bag model: backward, clip its (sparse, uncoalesced)
    gradient, step SparseAdam."""
    lib.manual_seed(0)
    emb = lib.nn.Embedding(6, 3, sparse=True)
    lin = lib.nn.Linear(3, 1)
    opt = lib.optim.SparseAdam(list(emb.parameters()), lr=0.1)
    idx = lib.tensor([[1, 2, 1], [4, 1, 0]])
    lin(emb(idx).mean(1)).pow(2).sum().backward()
    total = lib.nn.utils.clip_grad_norm_(list(emb.parameters()) + list(lin.parameters()), 0.05,
                                         norm_type=norm_type, foreach=foreach)
    grad = emb.weight.grad.to_dense()
    opt.step()
    return total, grad, emb.weight


@pytest.mark.parametrize("norm_type", [2.0, 1, "inf", 0.5])
@pytest.mark.parametrize("foreach", [None, False])
def test_clip_grad_norm_of_sparse_embedding_gradient(norm_type: object,
                                                     foreach: bool | None) -> None:
    """A sparse gradient's norm is its coalesced values' norm (repeated indices summed), and
    clipping scales it in place, as PyTorch."""
    for e, t in zip(_sparse_embedding_step(ember, norm_type, foreach),
                    _sparse_embedding_step(torch, norm_type, foreach)):
        np.testing.assert_allclose(_np(e), _np(t), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("foreach", [None, True, False])
def test_clip_grad_value_of_sparse_gradient_refused(foreach: bool | None) -> None:
    """PyTorch has no sparse clamp: NotImplementedError naming the kernel its path calls."""
    def run(lib: object) -> None:
        emb = lib.nn.Embedding(5, 3, sparse=True)
        emb(lib.tensor([1, 2, 1])).sum().backward()
        lib.nn.utils.clip_grad_value_(emb.parameters(), 0.5, foreach=foreach)
    with pytest.raises(NotImplementedError) as et:
        run(torch)
    with pytest.raises(NotImplementedError) as ee:
        run(ember)
    assert str(et.value).startswith(str(ee.value))  # PyTorch goes on to list its backends
