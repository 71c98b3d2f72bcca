"""``ember.quasirandom.SobolEngine`` against ``torch.quasirandom.SobolEngine``: the direction
numbers for all 21201 dimensions, plain and seeded-scrambled draws bit for bit, and the
engine's bookkeeping (draw_base2, fast_forward, reset, out=, dtype)."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.quasirandom import SobolEngine, _direction_numbers


def test_direction_numbers_match_torch_for_every_dimension(torch):
    state = torch.zeros(21201, 30, dtype=torch.long)
    torch._sobol_engine_initialize_state_(state, 21201)
    np.testing.assert_array_equal(_direction_numbers(21201), state.numpy())


def _pair(torch, d, scramble, seed):
    return SobolEngine(d, scramble, seed), torch.quasirandom.SobolEngine(d, scramble, seed)


@pytest.mark.parametrize("d", [1, 2, 7, 40])
@pytest.mark.parametrize("scramble,seed", [(False, None), (True, 0), (True, 1234)])
def test_draws_match_torch_exactly(torch, d, scramble, seed):
    e, t = _pair(torch, d, scramble, seed)
    np.testing.assert_array_equal(e.sobolstate.numpy(), t.sobolstate.numpy())
    np.testing.assert_array_equal(e.shift.numpy(), t.shift.numpy())
    for n in (1, 5, 0, 17, 3):
        a, b = e.draw(n), t.draw(n)
        assert a.dtype is ember.float32 and a.shape == tuple(b.shape)
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    np.testing.assert_array_equal(e.quasi.numpy(), t.quasi.numpy())
    assert e.num_generated == t.num_generated


@pytest.mark.parametrize("scramble,seed", [(False, None), (True, 9)])
def test_float64_fast_forward_reset(torch, scramble, seed):
    e, t = _pair(torch, 5, scramble, seed)
    # the first point is computed at construction in the default dtype, as in PyTorch
    np.testing.assert_array_equal(e.draw(3, dtype=ember.float64).numpy(),
                                  t.draw(3, dtype=torch.float64).numpy())
    e.fast_forward(10)
    t.fast_forward(10)
    np.testing.assert_array_equal(e.draw(4, dtype=ember.float64).numpy(),
                                  t.draw(4, dtype=torch.float64).numpy())
    e.reset().fast_forward(1)
    t.reset().fast_forward(1)
    np.testing.assert_array_equal(e.draw(6).numpy(), t.draw(6).numpy())
    e.reset()
    t.reset()
    np.testing.assert_array_equal(e.draw_base2(3).numpy(), t.draw_base2(3).numpy())
    np.testing.assert_array_equal(e.draw_base2(3).numpy(), t.draw_base2(3).numpy())


def test_unseeded_scramble_uses_the_global_generator(torch):
    ember.manual_seed(77)
    torch.manual_seed(77)
    e, t = _pair(torch, 3, True, None)
    np.testing.assert_array_equal(e.draw(8).numpy(), t.draw(8).numpy())
    # and advances it as torch's does
    np.testing.assert_array_equal(ember.rand(4).numpy(), torch.rand(4).numpy())


def test_many_dimensions_scrambled(torch):
    e, t = _pair(torch, 1111, True, 3)
    np.testing.assert_array_equal(e.draw(16).numpy(), t.draw(16).numpy())


def test_out_errors_and_repr(torch):
    e, t = _pair(torch, 2, True, 3)
    out = ember.empty(0)
    assert e.draw(4, out=out) is out and out.shape == (4, 2)
    np.testing.assert_array_equal(out.numpy(), t.draw(4).numpy())
    assert repr(e) == repr(t)
    assert repr(SobolEngine(4)) == repr(torch.quasirandom.SobolEngine(4))
    for d in (0, 21202):
        with pytest.raises(ValueError) as te:
            torch.quasirandom.SobolEngine(d)
        with pytest.raises(ValueError, match=r"\[1, 21201\]") as ee:
            SobolEngine(d)
        assert str(ee.value) == str(te.value)
    e, t = _pair(torch, 2, False, None)
    e.draw(3)
    t.draw(3)
    with pytest.raises(ValueError) as te:
        t.draw_base2(1)
    with pytest.raises(ValueError) as ee:
        e.draw_base2(1)
    assert str(ee.value) == str(te.value)
    with pytest.raises(NotImplementedError, match="not implemented for 'Half'"):
        SobolEngine(2).draw(3, dtype=ember.float16)
    with pytest.raises(ValueError, match="n must be non-negative, but got -1"):
        SobolEngine(2).draw(0)


def test_reachable_as_attribute():
    assert ember.quasirandom.SobolEngine is SobolEngine
    pts = SobolEngine(3).draw_base2(4)
    # unscrambled Sobol points: each 1-D projection of 2**m points is a permutation of the grid
    grid = np.sort(pts.numpy(), axis=0) * 16
    np.testing.assert_array_equal(grid, np.tile(np.arange(16.0)[:, None], (1, 3)))
