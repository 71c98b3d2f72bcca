"""PyTorch's remaining low-level top-level names: the functional multi-layer RNNs
(``lstm``, ``gru``, ``rnn_tanh``, ``rnn_relu``: flat weight lists, as ``nn.LSTM`` calls
them), the sparse-by-dense products ``smm``/``dsmm``/``hspmm``/``sspaddmm``, and the names
PyTorch's CPU build refuses for a dense tensor: SyncBatchNorm's CUDA kernels
(``batch_norm_stats``, ...), ``native_norm`` (sparse only) and the quantized-tensor methods
(``int_repr``, ``q_scale``, ...; ``dequantize`` of a float tensor is the tensor itself)."""

from __future__ import annotations

from typing import Any

from .. import dtypes as _dt
from ._dispatch import Tensor, grad_state, methods, record, renamed

__all__ = ["lstm", "gru", "rnn_tanh", "rnn_relu", "smm", "dsmm", "hspmm", "sspaddmm",
           "native_norm", "slice_inverse", "batch_norm_stats", "batch_norm_elemt", "batch_norm_gather_stats",
           "batch_norm_gather_stats_with_counts", "batch_norm_backward_reduce",
           "batch_norm_backward_elemt", "int_repr", "q_scale", "q_zero_point",
           "q_per_channel_scales", "q_per_channel_zero_points", "q_per_channel_axis",
           "dequantize"]  # (torch.qscheme is the class; qscheme is a method only here)


def _coo(indices: Tensor, values: Tensor, size: tuple) -> Tensor:
    from .sparse_coo import sparse_coo_tensor

    return sparse_coo_tensor(indices, values, size, is_coalesced=False)


def _ops() -> Any:
    from .. import ops

    ops.load_all()
    return ops


def _not_here(op: str, t: Any) -> NotImplementedError:
    """PyTorch's dispatcher error for an op its build has no kernel for on ``t``'s backend."""
    dev = getattr(t, "device", None)
    backend = "CUDA" if getattr(dev, "type", "cpu") == "cuda" else "CPU"
    if getattr(t, "is_sparse", False):
        backend = "Sparse" + backend
    return NotImplementedError(
        f"Could not run '{op}' with arguments from the '{backend}' backend. This could be "
        "because the operator doesn't exist for this backend, or was omitted during the "
        "selective/custom build process (if using custom build).")


# ------------------------------------------------------------------ functional RNNs
def _rnn(mode: str, input: Tensor, hx: Any, params: Any, has_biases: bool, num_layers: int,
         dropout: float, train: bool, bidirectional: bool, batch_first: bool) -> tuple:
    o = _ops()
    lstm_mode = mode == "lstm"
    if lstm_mode:
        hx = tuple(hx)
        if len(hx) != 2:
            raise RuntimeError("lstm expects two hidden states")
        h0, c0 = hx
    else:
        h0, c0 = hx, None
    params = list(params)
    dirs = 2 if bidirectional else 1
    proj = lstm_mode and h0.shape[-1] != c0.shape[-1]
    stride = (4 if has_biases else 2) + (1 if proj else 0)
    if len(params) % stride and lstm_mode and input.dtype == _dt.float32:  # (oneDNN's check)
        raise RuntimeError(f"MatrixRef: ArrayRef size {len(params)} not divisible by stride "
                           f"{stride}")
    if bidirectional and (len(params) // stride) % 2:
        raise RuntimeError("Odd number of params or hiddens given to a bidirectional RNN")
    if len(params) != num_layers * dirs * stride:
        raise RuntimeError("got an incorrect number of RNN parameters")
    x = input.transpose(0, 1) if batch_first and input.dim() == 3 else input
    hs, cs = [], []
    for layer in range(num_layers):
        outs = []
        for d in range(dirs):
            k = layer * dirs + d
            w = params[k * stride:(k + 1) * stride]
            w_ih, w_hh = w[0], w[1]
            b_ih, b_hh = (w[2], w[3]) if has_biases else (None, None)
            w_hr = w[-1] if proj else None
            gi = o.matmul(x, w_ih.t())
            if b_ih is not None:
                gi = gi + b_ih
            h, c = h0[k], (c0[k] if lstm_mode else None)
            steps = range(x.shape[0] - 1, -1, -1) if d else range(x.shape[0])
            seq: list = [None] * x.shape[0]
            for t in steps:
                gh = o.matmul(h, w_hh.t())
                if b_hh is not None:
                    gh = gh + b_hh
                if lstm_mode:
                    i, f, g, oo = (gi[t] + gh).chunk(4, -1)
                    c = o.sigmoid(f) * c + o.sigmoid(i) * o.tanh(g)
                    h = o.sigmoid(oo) * o.tanh(c)
                    if w_hr is not None:
                        h = o.matmul(h, w_hr.t())
                elif mode == "gru":
                    r_i, z_i, n_i = gi[t].chunk(3, -1)
                    r_h, z_h, n_h = gh.chunk(3, -1)
                    r = o.sigmoid(r_i + r_h)
                    z = o.sigmoid(z_i + z_h)
                    n = o.tanh(n_i + r * n_h)
                    h = (1 - z) * n + z * h
                else:
                    h = (o.tanh if mode == "rnn_tanh" else o.relu)(gi[t] + gh)
                seq[t] = h
            outs.append(o.stack(seq, 0))
            hs.append(h)
            if lstm_mode:
                cs.append(c)
        x = outs[0] if dirs == 1 else o.cat(outs, -1)
        if dropout and train and layer < num_layers - 1:
            x = o.dropout(x, dropout, True)
    out = x.transpose(0, 1) if batch_first and input.dim() == 3 else x
    if lstm_mode:
        if (dirs == 1 and not proj and not (batch_first and input.dim() == 3)
                and input.dtype in (_dt.float32, _dt.bfloat16) and input.device.type == "cpu"
                and input.numel() > 0):  # PyTorch's CPU runs this LSTM with oneDNN
            out = renamed(out, "MkldnnRnnLayerBackward0")
        return out, o.stack(hs, 0), o.stack(cs, 0)
    return out, o.stack(hs, 0)


def lstm(input: Tensor, hx: Any, params: Any, has_biases: bool, num_layers: int,
         dropout: float, train: bool, bidirectional: bool,
         batch_first: bool) -> tuple[Tensor, Tensor, Tensor]:
    """A multi-layer LSTM over ``input`` with flat ``params`` (per layer and direction
    ``w_ih, w_hh[, b_ih, b_hh][, w_hr]``); returns ``(output, h_n, c_n)``."""
    return _rnn("lstm", input, hx, params, has_biases, num_layers, dropout, train,
                bidirectional, batch_first)


def gru(input: Tensor, hx: Tensor, params: Any, has_biases: bool, num_layers: int,
        dropout: float, train: bool, bidirectional: bool,
        batch_first: bool) -> tuple[Tensor, Tensor]:
    """A multi-layer GRU with flat ``params``; returns ``(output, h_n)``."""
    return _rnn("gru", input, hx, params, has_biases, num_layers, dropout, train,
                bidirectional, batch_first)


def rnn_tanh(input: Tensor, hx: Tensor, params: Any, has_biases: bool, num_layers: int,
             dropout: float, train: bool, bidirectional: bool,
             batch_first: bool) -> tuple[Tensor, Tensor]:
    """A multi-layer Elman RNN (tanh) with flat ``params``; returns ``(output, h_n)``."""
    return _rnn("rnn_tanh", input, hx, params, has_biases, num_layers, dropout, train,
                bidirectional, batch_first)


def rnn_relu(input: Tensor, hx: Tensor, params: Any, has_biases: bool, num_layers: int,
             dropout: float, train: bool, bidirectional: bool,
             batch_first: bool) -> tuple[Tensor, Tensor]:
    """A multi-layer Elman RNN (ReLU) with flat ``params``; returns ``(output, h_n)``."""
    return _rnn("rnn_relu", input, hx, params, has_biases, num_layers, dropout, train,
                bidirectional, batch_first)


# ------------------------------------------------------------------ sparse x dense products
def _sparse_rows(name: str, mat1: Tensor, mat2: Tensor) -> tuple[Any, Tensor]:
    """The distinct rows of sparse ``mat1`` holding entries, and those rows of mat1 @ mat2."""
    if not getattr(mat1, "is_sparse", False):
        raise _not_here(f"aten::{name}", mat1)
    if mat1.dtype != mat2.dtype:
        raise RuntimeError(f"expected scalar type {_type_name(mat1)} but found "
                           f"{_type_name(mat2)}")
    if mat2.shape[0] != mat1.shape[1]:
        raise RuntimeError(f"{name}: Argument #3: Expected dim 0 size {mat1.shape[1]}, got "
                           f"{mat2.shape[0]}")
    s = mat1.coalesce()
    rows = s.indices()[0].unique()
    return rows, s.to_dense().index_select(0, rows).matmul(mat2)


def _type_name(t: Tensor) -> str:
    return {"float32": "Float", "float64": "Double", "float16": "Half",
            "bfloat16": "BFloat16"}.get(str(t.dtype).split(".")[-1], str(t.dtype))


def hspmm(mat1: Tensor, mat2: Tensor, *, out: Any = None) -> Tensor:
    """Sparse COO ``mat1`` times dense ``mat2`` as a hybrid COO tensor: one sparse dim (the
    rows of mat1 holding entries), dense rows of the product as values."""
    rows, vals = _sparse_rows("hspmm", mat1, mat2)
    res = _coo(rows.unsqueeze(0), vals, (mat1.shape[0], mat2.shape[1]))
    return res if out is None else out.copy_(res)


def sspaddmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta: Any = 1, alpha: Any = 1,
             out: Any = None) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)`` with sparse ``input`` and ``mat1``, as an
    uncoalesced sparse COO tensor: input's entries, then every column of each row of mat1
    that holds entries."""
    o = _ops()
    if not getattr(input, "is_sparse", False):
        raise RuntimeError("tensor.sspaddmm(...) can only be called on sparse tensors")
    if not getattr(mat1, "is_sparse", False):
        raise RuntimeError("sspaddmm: expected 'mat1' to have sparse layout, got 'mat1' with "
                           "layout Strided")
    rows, vals = _sparse_rows("sspaddmm", mat1, mat2)
    n = mat2.shape[1]
    cols = o.arange(n, device=mat2.device).repeat(rows.shape[0])
    idx = o.stack([rows.repeat_interleave(n), cols], 0)
    size = (mat1.shape[0], n)
    if input._nnz():
        base = input.coalesce() if not input.is_coalesced() else input
        idx = o.cat([base.indices(), idx], 1)
        vals = o.cat([base.values() * beta, (vals * alpha).reshape(-1)], 0)
    else:
        vals = (vals * alpha).reshape(-1)
    res = _coo(idx, vals, size)
    return res if out is None else out.copy_(res)


def smm(input: Tensor, mat2: Tensor) -> Tensor:
    """Sparse ``input`` times dense ``mat2`` as a sparse COO tensor (``sspaddmm`` with an
    empty ``input``)."""
    o = _ops()
    empty = _coo(o.zeros(2, 0, dtype=_dt.int64, device=mat2.device),
                 o.zeros(0, dtype=mat2.dtype, device=mat2.device),
                 (input.shape[0], mat2.shape[-1]))
    return sspaddmm(empty, input, mat2, beta=0, alpha=1)


def dsmm(input: Tensor, mat2: Tensor) -> Tensor:
    """Sparse ``input`` times dense ``mat2``, dense result (``torch.sparse.mm``)."""
    return _ops().matmul(input, mat2) if not getattr(input, "is_sparse", False) \
        else input.to_dense().matmul(mat2)


# ------------------------------------------------------------------ slice_inverse
def slice_inverse(input: Tensor, src: Tensor, dim: int = 0, start: int | None = None,
                  end: int | None = None, step: int = 1) -> Tensor:
    """The inverse of ``src.slice(dim, start, end, step)`` for functionalization: a view of
    ``input``'s storage with ``src``'s sizes, strides and storage offset. Its gradient is the
    slice for ``input`` and the rest (the slice zeroed) for ``src``."""
    from ..autograd.grad_mode import no_grad
    from .shape_views import as_strided, slice_scatter

    with no_grad():
        out = as_strided(input, src.shape, src.stride(), src.storage_offset())
    if grad_state.enabled and (input._rg or src._rg):
        d = input._wrap_dim(dim, "slice_inverse")
        cut = (slice(None),) * d + (slice(start, end, step),)

        def vjp(g: Tensor) -> tuple:
            part = g[cut]
            return part, slice_scatter(g, part.new_zeros(part.shape), d, start, end, step)

        record("SliceInverseBackward0", out, (input, src), vjp)
    return out


# ------------------------------------------------------------------ CUDA/sparse-only kernels
def native_norm(input: Tensor, p: Any = 2, dim: Any = None, keepdim: bool = False,
                dtype: Any = None) -> Tensor:
    """The norm of a sparse tensor's values (PyTorch has no dense kernel for it)."""
    if not getattr(input, "is_sparse", False):
        op = "aten::native_norm" if dim is None else "aten::native_norm.ScalarOpt_dim_dtype"
        raise _not_here(op, input)
    vals = input.coalesce().values()
    if dim is None:
        from .linalg_norms import vector_norm

        return vector_norm(vals, 2 if p is None else p)
    return _ops().norm(input.to_dense(), 2 if p is None else p, dim, keepdim, dtype=dtype)


def _refusing(name: str, doc: str) -> Any:
    """PyTorch's ``aten::name`` where its CPU build has no kernel for a plain tensor: the op
    raises its NotImplementedError (``doc`` says why)."""
    def op(input: Tensor, *args: Any, **kwargs: Any) -> Any:
        raise _not_here(f"aten::{name}", input)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return op


def _cuda_only(name: str) -> Any:
    return _refusing(name, f"SyncBatchNorm's CUDA kernel ``{name}``: PyTorch's CPU build has "
                           "none, so a CPU tensor raises its NotImplementedError.")


batch_norm_stats = _cuda_only("batch_norm_stats")
batch_norm_elemt = _cuda_only("batch_norm_elemt")
batch_norm_gather_stats = _cuda_only("batch_norm_gather_stats")
batch_norm_gather_stats_with_counts = _cuda_only("batch_norm_gather_stats_with_counts")
batch_norm_backward_reduce = _cuda_only("batch_norm_backward_reduce")
batch_norm_backward_elemt = _cuda_only("batch_norm_backward_elemt")


# ------------------------------------------------------------------ quantized-tensor methods
def _quantized_only(name: str) -> Any:
    return _refusing(name, f"``{name}`` of a quantized tensor; Ember has none, so it raises "
                           "PyTorch's NotImplementedError for a non-quantized one.")


int_repr = _quantized_only("int_repr")
q_scale = _quantized_only("q_scale")
q_zero_point = _quantized_only("q_zero_point")
q_per_channel_scales = _quantized_only("q_per_channel_scales")
q_per_channel_zero_points = _quantized_only("q_per_channel_zero_points")
q_per_channel_axis = _quantized_only("q_per_channel_axis")
qscheme = _quantized_only("qscheme")


def dequantize(input: Any) -> Any:
    """A non-quantized tensor dequantizes to an alias of itself (a list of them is refused,
    as in PyTorch's CPU build)."""
    if isinstance(input, (list, tuple)):
        raise _not_here("aten::dequantize.tensors", input[0] if input else None)
    return input.view_as(input)


methods(int_repr=int_repr, q_scale=q_scale, q_zero_point=q_zero_point,
        q_per_channel_scales=q_per_channel_scales,
        q_per_channel_zero_points=q_per_channel_zero_points,
        q_per_channel_axis=q_per_channel_axis, qscheme=qscheme, dequantize=dequantize,
        slice_inverse=slice_inverse,
        smm=smm, sspaddmm=lambda self, mat1, mat2, *, beta=1, alpha=1, out=None:
        sspaddmm(self, mat1, mat2, beta=beta, alpha=alpha, out=out))
