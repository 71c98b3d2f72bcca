"""ember.finfo / ember.iinfo against torch.finfo / torch.iinfo."""

from __future__ import annotations

import numpy as np
import pytest

import ember


@pytest.mark.parametrize("name", ["float16", "bfloat16", "float32", "float64"])
def test_finfo_matches_pytorch(torch, name):
    got, ref = ember.finfo(getattr(ember, name)), torch.finfo(getattr(torch, name))
    for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution"):
        assert getattr(got, attr) == getattr(ref, attr), attr
    assert repr(got) == repr(ref).replace("torch.", "")
    assert ember.finfo().dtype == "float32"


@pytest.mark.parametrize("name", ["uint8", "int8", "int16", "int32", "int64"])
def test_iinfo_matches_pytorch(torch, name):
    got, ref = ember.iinfo(getattr(ember, name)), torch.iinfo(getattr(torch, name))
    assert (got.bits, got.min, got.max) == (ref.bits, ref.min, ref.max)
    assert repr(got) == repr(ref).replace("torch.", "")


@pytest.mark.parametrize("make", ["from_numpy", "tensor", "as_tensor"])
def test_big_endian_arrays_are_refused_as_pytorch(torch, make):
    a = np.ones(3, ">f4")
    with pytest.raises(ValueError) as want:
        getattr(torch, make)(a)
    with pytest.raises(ValueError) as got:
        getattr(ember, make)(a)
    assert str(got.value) == str(want.value)
    assert getattr(ember, make)(np.ones(3, "<f4")).dtype == ember.float32  # native order
