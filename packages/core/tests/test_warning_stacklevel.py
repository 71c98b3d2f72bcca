"""Ember's warnings name the user's line, past Ember's own frames (modules, Tensor methods)."""

from __future__ import annotations

import warnings

import pytest

import ember


@pytest.fixture
def fresh_once_flags():
    """PyTorch warns these once per process: let each test see its warning, then restore."""
    from ember.autograd import graph
    from ember.ops import conv

    saved = conv._warned_same[0], graph._warned_cycle[0]
    conv._warned_same[0] = graph._warned_cycle[0] = False
    yield
    conv._warned_same[0], graph._warned_cycle[0] = saved


def _warning_of(fn) -> warnings.WarningMessage:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn()
    assert len(caught) == 1, [str(w.message) for w in caught]
    return caught[0]


def test_conv_same_padding_warning_names_the_caller(fresh_once_flags: None) -> None:
    x, w = ember.ones(1, 1, 5, 5), ember.ones(1, 1, 2, 2)
    caught = _warning_of(lambda: ember.conv2d(x, w, padding="same"))
    assert caught.filename == __file__ and "zero-padded copy" in str(caught.message)


def test_conv_module_warning_names_the_caller(fresh_once_flags: None) -> None:
    nn = pytest.importorskip("ember.nn")
    layer = nn.Conv2d(1, 1, 2, padding="same")
    caught = _warning_of(lambda: layer(ember.ones(1, 1, 5, 5)))
    assert caught.filename == __file__


def test_cross_without_dim_warning_names_the_caller() -> None:
    a = ember.ones(3, 3)
    caught = _warning_of(lambda: ember.cross(a, a))
    assert caught.filename == __file__ and "linalg.cross" in str(caught.message)


def test_backward_create_graph_warning_names_the_caller(fresh_once_flags: None) -> None:
    p = ember.ones(2, requires_grad=True)
    caught = _warning_of(lambda: (p * p).sum().backward(create_graph=True))
    assert caught.filename == __file__ and "reference cycle" in str(caught.message)
