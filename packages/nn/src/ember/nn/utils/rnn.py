"""Variable-length sequences: ``PackedSequence``, packing, padding and their inverses.

A packed sequence stores the time steps of a batch sorted by decreasing length:
``data`` holds, for each step ``t``, the ``batch_sizes[t]`` sequences still
running. Packing and padding are one gather each (``index_select`` with an index
map built on the host), so gradients flow through them.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np

import ember
from ember import Tensor
from ember.ops._dispatch import renamed
from ember.ops.shape_join import _elements_checked

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence",
           "pad_packed_sequence", "pad_sequence", "unpad_sequence", "pack_sequence",
           "unpack_sequence"]


def _host_ints(t: Any) -> np.ndarray:
    if isinstance(t, Tensor):
        return np.asarray(t.detach().cpu().numpy(), dtype=np.int64)
    return np.asarray(t, dtype=np.int64)


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The permutation that undoes ``permutation``."""
    if permutation is None:
        return None
    inv = np.argsort(_host_ints(permutation), kind="stable")
    return ember.tensor(inv, dtype=ember.int64, device=permutation.device)


class PackedSequence(namedtuple("PackedSequence",
                                ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """The packed form of a batch of variable-length sequences (see ``pack_padded_sequence``)."""

    __slots__ = ()

    def __new__(cls, data: Tensor, batch_sizes: Tensor | None = None,
                sorted_indices: Tensor | None = None,
                unsorted_indices: Tensor | None = None) -> PackedSequence:
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is not None:
            if batch_sizes.device.type != "cpu":
                raise ValueError(
                    "batch_sizes should always be on CPU. Instances of PackedSequence should "
                    "never be created manually. They should be instantiated by functions like "
                    "pack_sequence and pack_padded_sequences in nn.utils.rnn. "
                    "https://pytorch.org/docs/stable/nn.html#torch.nn.utils.rnn.pack_sequence")
            return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)
        if not isinstance(data, (list, tuple)) or len(data) != 2:
            raise AssertionError("Expected data to be a list or tuple of length 2")
        return super().__new__(cls, data[0], data[1], sorted_indices, unsorted_indices)

    def _map(self, fn: Any) -> PackedSequence:
        data = fn(self.data)
        if data is self.data:
            return self
        sorted_indices = self.sorted_indices
        unsorted_indices = self.unsorted_indices
        if sorted_indices is not None:
            sorted_indices = sorted_indices.to(data.device)
            unsorted_indices = unsorted_indices.to(data.device)
        return type(self)(data, self.batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args: Any, **kwargs: Any) -> PackedSequence:
        return self._map(lambda d: d.to(*args, **kwargs))

    def cuda(self, *args: Any, **kwargs: Any) -> PackedSequence:
        return self._map(lambda d: d.cuda(*args, **kwargs))

    def cpu(self, *args: Any, **kwargs: Any) -> PackedSequence:
        return self._map(lambda d: d.cpu(*args, **kwargs))

    def double(self) -> PackedSequence:
        return self._map(lambda d: d.double())

    def float(self) -> PackedSequence:
        return self._map(lambda d: d.float())

    def half(self) -> PackedSequence:
        return self._map(lambda d: d.half())

    def long(self) -> PackedSequence:
        return self._map(lambda d: d.long())

    def int(self) -> PackedSequence:
        return self._map(lambda d: d.int())

    def short(self) -> PackedSequence:
        return self._map(lambda d: d.short())

    def char(self) -> PackedSequence:
        return self._map(lambda d: d.char())

    def byte(self) -> PackedSequence:
        return self._map(lambda d: d.byte())

    def pin_memory(self) -> PackedSequence:
        return self

    @property
    def is_cuda(self) -> bool:
        return self.data.is_cuda

    def is_pinned(self) -> bool:
        return False


def _packed_index(lengths: np.ndarray, total: int) -> np.ndarray:
    """Rows of a time-major (total*B) flattening that a pack keeps, in packed order."""
    mask = np.arange(total)[:, None] < lengths[None, :]
    return np.flatnonzero(mask.ravel())


def pack_padded_sequence(input: Tensor, lengths: Any, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded (T, B, *) (or (B, T, *)) batch whose sequences have ``lengths``."""
    lens = _host_ints(lengths)
    if lens.ndim != 1:  # PyTorch's words: its sort, or its own check, meets the 2-D lengths
        if not enforce_sorted:
            raise IndexError("index_select(): Index is supposed to be a vector")
        raise RuntimeError(f"'lengths' argument should be a 1D CPU int64 tensor, but got "
                           f"{lens.ndim}D cpu Long tensor")
    sorted_indices = None
    batch_dim = 0 if batch_first else 1
    if enforce_sorted:
        if lens.size > 1 and np.any(lens[:-1] < lens[1:]):
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                "pack_sequence to sidestep this requirement if you do not need ONNX "
                "exportability.")
    else:
        # PyTorch's (unstable) sort: its order among equal lengths is std::sort's
        _, order = ember.sort(ember.tensor(lens, dtype=ember.int64), descending=True)
        lens = lens[order.numpy()]
        sorted_indices = order.to(input.device)
        input = input.index_select(batch_dim, sorted_indices)
    if input.numel() == 0:
        raise RuntimeError("Cannot pack empty tensors.")
    if input.requires_grad and input.is_complex() and ember.is_grad_enabled():
        raise RuntimeError("_pack_padded_sequence does not support automatic differentiation "
                           "for outputs with complex dtype.")
    if lens.size != input.size(batch_dim):
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{lens.size} (batch_size={input.size(batch_dim)})")
    if lens.size and lens.min() <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element "
                           "in 'lengths' that is <= 0")
    if batch_first:
        input = input.transpose(0, 1)
    steps, batch = input.shape[0], input.shape[1]
    batch_sizes = (np.arange(int(lens.max()) if lens.size else 0)[:, None] < lens[None, :]).sum(1)
    # a length past the padded steps: PyTorch's kernel slices the steps (clamped to the
    # input's), so its data stops at the last step while ``batch_sizes`` counts them all
    idx = ember.tensor(_packed_index(np.minimum(lens, steps), steps), dtype=ember.int64,
                       device=input.device)
    data = renamed(input.reshape((steps * batch,) + tuple(input.shape[2:])).index_select(0, idx),
                   "PackPaddedSequenceBackward0")
    return PackedSequence(data, ember.tensor(batch_sizes, dtype=ember.int64), sorted_indices,
                          None)


def _lengths_of(batch_sizes: np.ndarray) -> np.ndarray:
    batch = int(batch_sizes[0]) if batch_sizes.size else 0
    return (batch_sizes[:, None] > np.arange(batch)[None, :]).sum(0)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Tensor, Tensor]:
    """The padded batch and the lengths of a ``PackedSequence`` (inverse of packing)."""
    bs = _host_ints(sequence.batch_sizes)
    max_len = bs.size
    if total_length is not None:
        if total_length < max_len:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in "
                f"input, but got total_length={total_length} and max sequence length being "
                f"{max_len}")
        max_len = total_length
    lens = _lengths_of(bs)
    batch = lens.size
    data = sequence.data
    rest = tuple(data.shape[1:])
    # each padded slot reads its packed row, or the extra padding row at the end
    gather = np.full(max_len * batch, data.shape[0], dtype=np.int64)
    gather[_packed_index(lens, max_len)] = np.arange(data.shape[0])
    pad_row = ember.full((1,) + rest, padding_value, dtype=data.dtype, device=data.device)
    ext = ember.cat([data, pad_row], 0)
    # PyTorch copies the steps into a padded buffer (a CopySlices node)
    out = renamed(ext[ember.tensor(gather.reshape(max_len, batch), device=data.device)],
                  "CopySlices")
    if batch_first:
        out = out.transpose(0, 1)
    lengths = ember.tensor(lens, dtype=ember.int64)
    if sequence.unsorted_indices is not None:
        out = out.index_select(0 if batch_first else 1, sequence.unsorted_indices)
        lengths = ember.tensor(lens[_host_ints(sequence.unsorted_indices)], dtype=ember.int64)
    return out, lengths


def pad_sequence(sequences: Tensor | list[Tensor], batch_first: bool = False,
                 padding_value: float = 0.0, padding_side: str = "right") -> Tensor:
    """Stack sequences of different lengths into one (T, B, *) tensor, padded."""
    if isinstance(sequences, Tensor):
        sequences = list(sequences.unbind(0))
    sequences = list(sequences)
    _elements_checked(sequences)  # PyTorch's argument parser: a TypeError naming the element
    if not sequences:  # checked before padding_side, as PyTorch's kernel does
        raise RuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise RuntimeError(
            f"Expected padding_side to be one of left or right, but got {padding_side}.")
    if any(s.dim() == 0 for s in sequences):  # PyTorch's slice of the missing time dimension
        raise RuntimeError("ArrayRef: invalid slice, N = 1; size = 0")
    lens = np.asarray([s.size(0) for s in sequences], dtype=np.int64)
    max_len = int(lens.max()) if lens.size else 0
    first = sequences[0]
    rest = tuple(first.shape[1:])
    for s in sequences[1:]:
        if tuple(s.shape[1:]) != rest:  # PyTorch copies each into the padded slot: its words
            dim = next((i for i, (a, b) in enumerate(zip(rest, s.shape[1:])) if a != b), 0)
            want = rest[dim] if dim < len(rest) else 1
            got = s.shape[1 + dim] if dim + 1 < s.dim() else 1
            raise RuntimeError(f"The size of tensor a ({want}) must match the size of tensor b "
                               f"({got}) at non-singleton dimension {dim + 1}")
    sequences = [s if s.dtype == first.dtype else s.to(first.dtype) for s in sequences]
    total = int(lens.sum())
    if first.dtype == ember.uint8 and padding_value < 0:  # PyTorch's checked Scalar conversion
        raise RuntimeError("value cannot be converted to type uint8_t without overflow")
    pad_row = ember.full((1,) + rest, padding_value, dtype=first.dtype, device=first.device)
    ext = ember.cat(list(sequences) + [pad_row], 0)
    starts = np.concatenate([[0], np.cumsum(lens)[:-1]])
    t = np.arange(max_len)[:, None]
    if padding_side == "right":
        valid = t < lens[None, :]
        src = starts[None, :] + t
    else:
        shift = max_len - lens[None, :]
        valid = t >= shift
        src = starts[None, :] + t - shift
    gather = np.where(valid, src, total).astype(np.int64)  # (T, B): time-major
    if batch_first:
        gather = np.ascontiguousarray(gather.T)
    # one contiguous gather; PyTorch copies each sequence into its slot (a CopySlices node)
    return renamed(ext[ember.tensor(gather, device=first.device)], "CopySlices")


def unpad_sequence(padded_sequences: Tensor, lengths: Tensor,
                   batch_first: bool = False) -> list[Tensor]:
    """The list of unpadded sequences of a padded batch.

    As PyTorch's, a time-major batch is transposed in place (the caller's tensor is left
    batch-first) and each sequence is taken through a boolean mask (a copy).
    """
    if not batch_first:
        padded_sequences.transpose_(0, 1)
    idx = ember.arange(padded_sequences.shape[1], device=lengths.device)
    return [seq[idx < length] for seq, length in zip(padded_sequences, lengths, strict=True)]


def pack_sequence(sequences: list[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of variable-length sequences."""
    lengths = ember.tensor([v.size(0) for v in sequences], dtype=ember.int64)
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The list of sequences in a ``PackedSequence``."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)

