"""``ember.nn.attention`` against ``torch.nn.attention``: the SDPBackend enum, ``sdpa_kernel``
as a context manager and decorator, its validation, and which selections refuse to run."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import ember
from ember.nn import attention as eattn
from ember.testing import assert_close


def test_public_names(torch: Any) -> None:
    import torch.nn.attention as tattn
    assert set(tattn.__all__) <= set(eattn.__all__)
    for name in tattn.__all__:
        assert hasattr(eattn, name), name
    assert eattn.WARN_FOR_UNFUSED_KERNELS is tattn.WARN_FOR_UNFUSED_KERNELS
    assert ember.nn.attention is eattn


def test_backend_enum(torch: Any) -> None:
    tb = torch.nn.attention.SDPBackend
    names = list(tb.__members__)
    assert list(eattn.SDPBackend.__members__) == names
    for name in names:
        e, t = getattr(eattn.SDPBackend, name), getattr(tb, name)
        assert int(e) == int(t) and e.name == t.name
        assert repr(e) == repr(t) and str(e) == str(t)
        assert eattn.SDPBackend(int(t)) is e
        assert hash(e) == hash(t)


@pytest.mark.parametrize("bad", ["math", (0,), None, 1])
def test_sdpa_kernel_rejects(torch: Any, bad: Any) -> None:
    # the check runs on entering, as in PyTorch
    for mod in (torch.nn.attention, eattn):
        cm = mod.sdpa_kernel(bad)
        with pytest.raises(AssertionError, match="Backend must be an instance of SDPBackend or "
                                                 f"a list of SDPBackend instances, got "
                                                 f"{type(bad).__name__}"):
            with cm:
                pass


def _sdpa(lib: Any, q: np.ndarray, **kw: Any) -> Any:
    t = lib.tensor(q)
    return lib.nn.functional.scaled_dot_product_attention(t, t, t, **kw)


@pytest.mark.parametrize("names", [["MATH"], ["FLASH_ATTENTION"], ["EFFICIENT_ATTENTION"],
                                   ["CUDNN_ATTENTION"], ["OVERRIDEABLE"], ["ERROR"], [],
                                   ["EFFICIENT_ATTENTION", "MATH"],
                                   ["FLASH_ATTENTION", "FLASH_ATTENTION"]])
@pytest.mark.parametrize("kw", [{}, {"dropout_p": 0.5}, {"is_causal": True}])
def test_selection_on_cpu(torch: Any, names: list, kw: dict) -> None:
    q = np.random.default_rng(0).standard_normal((1, 2, 3, 4)).astype(np.float32)
    results = []
    for mod, lib in ((torch.nn.attention, torch), (eattn, ember)):
        backends = [getattr(mod.SDPBackend, n) for n in names]
        with mod.sdpa_kernel(backends) as ctx:
            assert ctx == {}
            try:
                results.append(_sdpa(lib, q, **kw))
            except RuntimeError as err:
                results.append(str(err))
    e, t = results[1], results[0]
    if isinstance(t, str):
        assert e == t
    elif not kw.get("dropout_p"):
        assert_close(e, t)
    else:
        assert not isinstance(e, str)


def test_restored_after_exit_and_decorator(torch: Any) -> None:
    q = np.ones((1, 1, 2, 2), dtype=np.float32)
    B = eattn.SDPBackend

    @eattn.sdpa_kernel(B.EFFICIENT_ATTENTION)
    def refused() -> Any:
        return _sdpa(ember, q)

    with pytest.raises(RuntimeError, match="No viable backend"):
        refused()
    assert_close(_sdpa(ember, q), _sdpa(torch, q))  # every backend is back on
    with pytest.raises(ValueError):
        with eattn.sdpa_kernel([B.MATH], set_priority=True):
            raise ValueError("inside")
    assert eattn._current(with_priority=True)[:3] == [B.FLASH_ATTENTION,
                                                      B.EFFICIENT_ATTENTION, B.MATH]
    with eattn.sdpa_kernel([B.CUDNN_ATTENTION, B.MATH], set_priority=True):
        assert eattn._current(with_priority=True) == [B.CUDNN_ATTENTION, B.MATH]
    assert eattn._current() == [B.MATH, B.FLASH_ATTENTION, B.EFFICIENT_ATTENTION,
                                B.CUDNN_ATTENTION, B.OVERRIDEABLE]


def test_flash_impl_registry(torch: Any) -> None:
    assert eattn.current_flash_attention_impl() is None
    with pytest.raises(ValueError, match="Unknown flash attention impl 'nope'"):
        eattn.activate_flash_attention_impl("nope")
    removed = []

    class Handle:
        def remove(self) -> None:
            removed.append(True)

    eattn.register_flash_attention_impl("MINE", register_fn=Handle)
    try:
        assert "MINE" in eattn.list_flash_attention_impls()
        eattn.activate_flash_attention_impl("MINE")
        assert eattn.current_flash_attention_impl() == "MINE"
        eattn.restore_flash_attention_impl()
        assert removed == [True] and eattn.current_flash_attention_impl() is None
    finally:
        eattn._impls.pop("MINE", None)
