"""Convolution modules: constructor checks, padding modes, output_size of transposed
convolutions, reprs and lazy forms."""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.nn as nn


def test_constructor_checks():
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="out_channels must be divisible by groups"):
        nn.Conv2d(4, 3, 3, groups=2)
    with pytest.raises(ValueError, match="groups must be a positive integer"):
        nn.Conv1d(4, 4, 3, groups=0)
    with pytest.raises(ValueError, match="Invalid padding string 'full'"):
        nn.Conv2d(1, 1, 3, padding="full")
    with pytest.raises(ValueError, match="not supported for strided convolutions"):
        nn.Conv2d(1, 1, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(1, 1, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match='Only "zeros" padding mode'):
        nn.ConvTranspose2d(1, 1, 3, padding_mode="reflect")


def test_shapes_and_keys(torch):
    for make in (lambda n: n.Conv1d(2, 4, 3), lambda n: n.Conv2d(2, 4, (3, 1), groups=2),
                 lambda n: n.Conv3d(2, 4, 2, bias=False), lambda n: n.ConvTranspose1d(2, 4, 3),
                 lambda n: n.ConvTranspose2d(2, 4, 3, groups=2),
                 lambda n: n.ConvTranspose3d(2, 4, 2)):
        e, t = make(nn), make(torch.nn)
        assert [(k, tuple(v.shape)) for k, v in e.state_dict().items()] == \
               [(k, tuple(v.shape)) for k, v in t.state_dict().items()]
        assert repr(e) == repr(t)


def test_same_padding_even_kernel(compare_layer):
    x = np.random.default_rng(0).standard_normal((1, 2, 6, 7))
    compare_layer(lambda n: n.Conv2d(2, 3, (4, 2), padding="same", dilation=(1, 2)), [x])
    compare_layer(lambda n: n.Conv1d(2, 3, 4, padding="same", padding_mode="circular"),
                  [x[:, :, 0]])


def test_conv_transpose_output_size(torch):
    e = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
    t = torch.nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    x = np.random.default_rng(1).standard_normal((1, 2, 4, 4)).astype("float32")
    eo = e(ember.tensor(x), output_size=[8, 8])
    to = t(torch.tensor(x), output_size=[8, 8])
    np.testing.assert_allclose(eo.detach().numpy(), to.detach().numpy(), rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="requested an output size of"):
        e(ember.tensor(x), output_size=[12, 12])


def test_lazy_conv_input_check():
    with pytest.raises(RuntimeError, match="Expected 3D \\(unbatched\\) or 4D \\(batched\\)"):
        nn.LazyConv2d(4, 3)(ember.ones(5, 5))
