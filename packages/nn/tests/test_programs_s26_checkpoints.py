"""Session 26, lane E: whole programs on checkpoints and serialization (``save``/``load``,
``state_dict`` round trips, ``copy.deepcopy``/``pickle`` of tensors and models), diffed
against PyTorch. Each test is a difference found that way; every expected value, error type
and message comes from torch at test time."""

from __future__ import annotations

import copy
import io

import pytest
from _programs import raises_same, run

import ember

torch = pytest.importorskip("torch")


# ------------------------------------------------------------------ deepcopy keeps storages
def _views_after_deepcopy(L: object, order: str) -> list:
    """Views deep-copied together still share one storage, and keep their offsets and strides
    (PyTorch copies the storage, memoised, and views it again)."""
    x = L.torch.arange(12.).reshape(3, 4)
    if order == "base_first":
        a, b, c = copy.deepcopy([x, x[1], x.t()])
    else:
        b, c, a = copy.deepcopy((x[1], x.t(), x))
    a[1, 0] = 100.
    return [b, c, b.storage_offset(), c.stride(), a.storage_offset(),
            b.untyped_storage().nbytes()]


@pytest.mark.parametrize("order", ["base_first", "views_first"])
def test_deepcopy_views_share_storage(order: str) -> None:
    """(was: each view deep-copied on its own: a write to the base not seen, offset 0)"""
    run(lambda L: _views_after_deepcopy(L, order), torch)


def test_deepcopy_single_view_keeps_offset_and_storage() -> None:
    """A view deep-copied alone brings its whole storage along, as in PyTorch: the storage's
    full size, the view's offset and strides (was: a compact copy, offset 0)."""
    def program(L: object) -> list:
        x = L.torch.arange(6.).reshape(2, 3)
        row, col = copy.deepcopy(x[1]), copy.deepcopy(x[:, 1])
        return [row, row.storage_offset(), row.untyped_storage().nbytes(), col, col.stride(),
                col.storage_offset(), col.untyped_storage().nbytes()]
    run(program, torch)


def test_deepcopy_dict_of_state_and_views() -> None:
    """A dict holding a weight and a view of it: zeroing the copy's weight zeroes the view."""
    def program(L: object) -> list:
        L.torch.manual_seed(0)
        w = L.torch.randn(2, 3, requires_grad=True)
        d = copy.deepcopy({"w": w, "first": w.detach()[0], "n": 3})
        with L.torch.no_grad():
            d["w"].zero_()
        return [d["first"], d["w"].requires_grad, d["w"].is_leaf, d["n"]]
    run(program, torch)


def test_deepcopy_permuted_and_grad_still_copied() -> None:
    """The old path's cases still hold: a permuted tensor keeps its strides, a grad is copied,
    the copy is independent of the original."""
    def program(L: object) -> list:
        x = L.torch.arange(6.).reshape(2, 3).t().requires_grad_()
        x.sum().backward()
        y = copy.deepcopy(x)
        with L.torch.no_grad():
            y.add_(1)
        return [x, y, y.stride(), y.grad, y.grad is x.grad, y.requires_grad]
    run(program, torch)


# ------------------------------------------------------------------ empty checkpoint files
@pytest.mark.parametrize("weights_only", [None, True, False])
def test_load_empty_file_eoferror(weights_only: bool | None) -> None:
    """An empty file: PyTorch's EOFError, without a message from the weights-only unpickler
    and 'Ran out of input' from pickle's (was Ember's own message)."""
    raises_same(lambda: torch.load(io.BytesIO(b""), weights_only=weights_only),
                lambda: ember.load(io.BytesIO(b""), weights_only=weights_only))


def test_load_empty_path_eoferror(tmp_path: object) -> None:
    f = tmp_path / "empty.pt"
    f.write_bytes(b"")
    raises_same(lambda: torch.load(f), lambda: ember.load(f))


# ------------------------------------------------------------------ serialization.skip_data
def test_skip_data_save_and_load(tmp_path: object) -> None:
    """``serialization.skip_data`` (was missing): a save inside it writes the records without
    their bytes (loaded as zeros), a legacy save is refused with PyTorch's message, a load
    inside it gives tensors of the checkpoint's shapes and dtypes."""
    def program(L: object) -> list:
        L.torch.manual_seed(0)
        m = L.nn.Linear(2, 2)
        skipped, full = tmp_path / f"skip_{L.torch.__name__}.pt", tmp_path / "full.pt"
        out = []
        with L.torch.serialization.skip_data():
            L.torch.save(m.state_dict(), skipped)
            try:
                L.torch.save(m.state_dict(), tmp_path / "leg.pt",
                             _use_new_zipfile_serialization=False)
            except RuntimeError as e:
                out.append(str(e))
        out += list(L.torch.load(skipped).values())
        L.torch.save(m.state_dict(), full)
        with L.torch.serialization.skip_data():
            sd = L.torch.load(full)
        out += [[tuple(v.shape), str(v.dtype)] for v in sd.values()]
        return out + [list(L.torch.load(full).values()), (tmp_path / "leg.pt").exists()]
    run(program, torch)
