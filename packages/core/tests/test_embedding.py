"""Embedding kernels against PyTorch: embedding (padding_idx, scale_grad_by_freq,
renormalisation), embedding_bag (sum/mean/max, offsets, per-sample weights, padding), one_hot."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from _nn_check import check, gradcheck, rand, randn

import ember
from ember.testing import assert_close

E = importlib.import_module("ember.ops.embedding")  # ember.ops.embedding is the op


def _idx(*shape: int, n: int = 10) -> np.ndarray:
    return np.asarray(np.random.default_rng(2).integers(0, n, size=shape), dtype="int64")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 2), ()])
def test_embedding(torch, dtype, shape):
    w = randn(10, 3, dtype=dtype)
    i = _idx(*shape)
    check(torch, lambda w: E.embedding(w, ember.tensor(i)),
          lambda w: torch.embedding(w, torch.tensor(i)), [w])


@pytest.mark.parametrize("padding_idx,freq", [(2, False), (-1, True), (3, True)])
def test_embedding_options(torch, padding_idx, freq):
    w = randn(6, 4)
    i = np.array([[0, 2, 3, 2], [3, 3, 5, 1]], dtype="int64")
    check(torch, lambda w: E.embedding(w, ember.tensor(i), padding_idx, freq),
          lambda w: torch.embedding(w, torch.tensor(i), padding_idx, freq), [w])


def test_embedding_int32_indices_and_wide_rows(torch):
    w = randn(7, 100)
    i = _idx(30, n=7).astype("int32")
    check(torch, lambda w: E.embedding(w, ember.tensor(i)),
          lambda w: torch.embedding(w, torch.tensor(i)), [w])


def test_embedding_double_backward_and_gradcheck():
    i = ember.tensor(np.array([0, 1, 1, 3]))
    gradcheck(lambda w: E.embedding(w, i), randn(4, 2))
    w = ember.tensor(randn(4, 2), requires_grad=True)
    g = ember.ones(4, 2, dtype=ember.float64, requires_grad=True)
    (gw,) = ember.autograd.grad(E.embedding(w, i), w, g, create_graph=True)
    (gg,) = ember.autograd.grad((gw * gw).sum(), g)
    assert_close(gg, 2 * E.embedding(gw.detach(), i))


def test_embedding_errors():
    w = ember.randn(5, 2)
    with pytest.raises(IndexError, match="index out of range in self"):
        E.embedding(w, ember.tensor([5]))
    with pytest.raises(RuntimeError, match="'indices' to have one of the following scalar "
                                           "types: Long, Int"):
        E.embedding(w, ember.tensor([1.0]))


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
def test_embedding_renorm(torch, norm_type):
    w = randn(6, 3) * 3
    i = np.array([0, 2, 2, 5], dtype="int64")
    we, wt = ember.tensor(w), torch.tensor(w)
    E.embedding_renorm_(we, ember.tensor(i), 1.5, norm_type)
    torch.embedding_renorm_(wt, torch.tensor(i), 1.5, norm_type)
    assert_close(we, wt)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_embedding_bag_offsets(torch, mode, dtype):
    w = randn(10, 4, dtype=dtype)
    i = _idx(9)
    offs = np.array([0, 2, 2, 7], dtype="int64")  # one empty bag
    m = {"sum": 0, "mean": 1, "max": 2}[mode]
    check(torch, lambda w: E.embedding_bag(w, ember.tensor(i), ember.tensor(offs), False, m)[0],
          lambda w: torch.nn.functional.embedding_bag(torch.tensor(i), w, torch.tensor(offs),
                                                      mode=mode), [w])
    last = np.array([0, 2, 2, 7, 9], dtype="int64")
    check(torch, lambda w: E.embedding_bag(w, ember.tensor(i), ember.tensor(last), False, m,
                                           include_last_offset=True)[0],
          lambda w: torch.nn.functional.embedding_bag(torch.tensor(i), w, torch.tensor(last),
                                                      mode=mode, include_last_offset=True), [w])


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_2d_and_padding(torch, mode):
    w = randn(10, 3)
    i = _idx(4, 5)
    i[0, :] = 1
    m = {"sum": 0, "mean": 1, "max": 2}[mode]
    check(torch, lambda w: E.embedding_bag(w, ember.tensor(i), None, False, m)[0],
          lambda w: torch.nn.functional.embedding_bag(torch.tensor(i), w, mode=mode), [w])
    check(torch, lambda w: E.embedding_bag(w, ember.tensor(i), None, False, m,
                                           padding_idx=1)[0],
          lambda w: torch.nn.functional.embedding_bag(torch.tensor(i), w, mode=mode,
                                                      padding_idx=1), [w])


def test_embedding_bag_per_sample_weights(torch):
    w = randn(10, 3)
    i = _idx(7)
    offs = np.array([0, 3, 4], dtype="int64")
    psw = rand(7)
    check(torch, lambda w, p: E.embedding_bag(w, ember.tensor(i), ember.tensor(offs), False, 0,
                                              per_sample_weights=p)[0],
          lambda w, p: torch.nn.functional.embedding_bag(torch.tensor(i), w, torch.tensor(offs),
                                                         mode="sum", per_sample_weights=p),
          [w, psw])
    check(torch, lambda w: E.embedding_bag(w, ember.tensor(i), ember.tensor(offs), True, 1)[0],
          lambda w: torch.nn.functional.embedding_bag(torch.tensor(i), w, torch.tensor(offs),
                                                      scale_grad_by_freq=True, mode="mean"), [w])


def test_embedding_bag_gradcheck():
    i, offs = ember.tensor(np.array([1, 2, 1, 0, 3])), ember.tensor(np.array([0, 2]))
    gradcheck(lambda w: E.embedding_bag(w, i, offs, False, 1)[0], randn(4, 2))
    gradcheck(lambda w, p: E.embedding_bag(w, i, offs, False, 0, per_sample_weights=p)[0],
              randn(4, 2), rand(5))


def test_one_hot(torch):
    t = np.array([[0, 3], [2, 1]], dtype="int64")
    assert_close(E.one_hot(ember.tensor(t)), torch.nn.functional.one_hot(torch.tensor(t)))
    assert_close(E.one_hot(ember.tensor(t), 6),
                 torch.nn.functional.one_hot(torch.tensor(t), 6))
    assert_close(E.one_hot(ember.zeros(0, dtype=ember.int64), 3),
                 torch.nn.functional.one_hot(torch.zeros(0, dtype=torch.int64), 3))
    with pytest.raises(RuntimeError, match="Class values must be smaller than num_classes."):
        E.one_hot(ember.tensor([5]), 3)
    with pytest.raises(RuntimeError, match="Class values must be non-negative."):
        E.one_hot(ember.tensor([-1]), 3)
    with pytest.raises(RuntimeError, match="one_hot is only applicable to index tensor"):
        E.one_hot(ember.tensor([1.0]), 3)
