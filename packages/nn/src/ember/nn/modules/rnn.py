"""Recurrent layers: ``RNN``, ``LSTM``, ``GRU`` and their single-step cells.

Weights are named and laid out as PyTorch's (``weight_ih_l0``, ``weight_hh_l0``,
``bias_ih_l0``, ``bias_hh_l0``, ``weight_hr_l0``, ``*_reverse``), with gates in
PyTorch's order (i, f, g, o for LSTM; r, z, n for GRU). A layer's input
projection for all time steps is one matrix product; each step is then one
matrix product for all gates. Padded inputs run as packed sequences whose batch
never shrinks, so one loop serves both.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

import numpy as np

import ember
from ember import Tensor
from ember.ops._dispatch import renamed

from .. import functional as F
from .. import init
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from ._rnn_layer import fused_layer, supports_fused
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}
_HALVES = (ember.float16, ember.bfloat16)


def _affine(x: Tensor, w: Tensor, b: Tensor | None) -> Tensor:
    # as PyTorch's cells: one (autocast) linear; a half one adds its bias before rounding
    if x.dtype in _HALVES or ember.is_autocast_enabled(x.device.type):
        return F.linear(x, w, b)
    y = ember.matmul(x, w.t())
    return y if b is None else y + b


def _step(mode: str, gi: Tensor, h: Tensor, c: Tensor | None, w_hh: Tensor,
          b_hh: Tensor | None, w_hr: Tensor | None = None) -> tuple[Tensor, Tensor | None]:
    """One time step from the input projection ``gi`` and the previous state."""
    gh = _affine(h, w_hh, b_hh)
    if mode == "LSTM":
        i, f, g, o = (gi + gh).chunk(4, 1)
        c = ember.sigmoid(f) * c + ember.sigmoid(i) * ember.tanh(g)
        h = ember.sigmoid(o) * ember.tanh(c)
        if w_hr is not None:
            h = ember.matmul(h, w_hr.t())
        return h, c
    if mode == "GRU":
        r_i, z_i, n_i = gi.chunk(3, 1)
        r_h, z_h, n_h = gh.chunk(3, 1)
        r = ember.sigmoid(r_i + r_h)
        z = ember.sigmoid(z_i + z_h)
        n = ember.tanh(n_i + r * n_h)
        return n + z * (h - n), None
    pre = gi + gh
    return (ember.tanh(pre) if mode == "RNN_TANH" else ember.relu(pre)), None


def _run_direction(mode: str, gi: Tensor, batch_sizes: list[int], h0: Tensor, c0: Tensor | None,
                   w_hh: Tensor, b_hh: Tensor | None, w_hr: Tensor | None,
                   reverse: bool) -> tuple[Tensor, Tensor, Tensor | None]:
    """Run one direction of one layer over packed projections ``gi`` (rows in packed order)."""
    offsets = np.concatenate([[0], np.cumsum(batch_sizes)]).tolist()
    steps = len(batch_sizes)
    outs: list[Tensor] = [None] * steps  # type: ignore[list-item]
    if not reverse:
        h, c = h0, c0
        for t in range(steps):
            bs = batch_sizes[t]
            h_in = h if bs == h.shape[0] else h[:bs]
            c_in = None if c is None else (c if bs == c.shape[0] else c[:bs])
            h_new, c_new = _step(mode, gi[offsets[t]:offsets[t] + bs], h_in, c_in, w_hh, b_hh,
                                 w_hr)
            outs[t] = h_new
            # finished sequences keep their last state in the rows past bs
            h = h_new if bs == h.shape[0] else ember.cat([h_new, h[bs:]], 0)
            if c is not None:
                c = c_new if bs == c.shape[0] else ember.cat([c_new, c[bs:]], 0)
    else:
        h = c = None
        for t in range(steps - 1, -1, -1):
            bs = batch_sizes[t]
            prev = 0 if h is None else h.shape[0]
            # sequences that start at this step (from the end) take the initial state
            h_in = h if prev == bs else (h0[:bs] if h is None else ember.cat([h, h0[prev:bs]], 0))
            c_in = None
            if c0 is not None:
                c_in = c if prev == bs else (c0[:bs] if c is None
                                             else ember.cat([c, c0[prev:bs]], 0))
            h, c = _step(mode, gi[offsets[t]:offsets[t] + bs], h_in, c_in, w_hh, b_hh, w_hr)
            outs[t] = h
    return ember.cat(outs, 0), h, c


def _layer_by_ops(mode: str, batch_sizes: list[int], reverse: bool) -> Any:
    """One direction of one layer with Ember ops, step by step (the fused layer's reference,
    used for half precision and to differentiate under create_graph)."""
    def run(x: Tensor, h0: Tensor, c0: Tensor | None, w_ih: Tensor, w_hh: Tensor,
            b_ih: Tensor | None, b_hh: Tensor | None, w_hr: Tensor | None) -> tuple:
        gi = _affine(x, w_ih, b_ih)
        return _run_direction(mode, gi, batch_sizes, h0, c0, w_hh, b_hh, w_hr, reverse)

    return run


_PROJ_WARNED = [False]


def _warn_projections_once(layer: Any, input: Tensor) -> None:
    """PyTorch's warning, once a process, when its CPU LSTM would run oneDNN (a non-empty
    float32/bfloat16 padded input) but has projections and falls back."""
    if input.device.type != "cpu" or input.dtype not in (ember.float32, ember.bfloat16) \
            or input.numel() == 0:
        return
    _PROJ_WARNED[0] = True
    warnings.warn("LSTM with projections is not supported with oneDNN. Using default "
                  "implementation. (Triggered internally at "
                  "/__w/pytorch/pytorch/aten/src/ATen/native/RNN.cpp:1512.)", UserWarning,
                  stacklevel=3)


class RNNBase(Module):
    """The shared machinery of RNN, LSTM and GRU (PyTorch's ``RNNBase``)."""

    __constants__ = ["mode", "input_size", "hidden_size", "num_layers", "bias", "batch_first",
                     "dropout", "bidirectional", "proj_size"]

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        num_directions = 2 if bidirectional else 1
        if (not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1
                or isinstance(dropout, bool)):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", stacklevel=2)
        _check_sizes(bias, batch_first, input_size)
        if not isinstance(hidden_size, int):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable "
                             "projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        gate_size = _GATES[mode] * hidden_size
        real_hidden = proj_size if proj_size > 0 else hidden_size
        self._flat_weights_names: list[str] = []
        self._all_weights: list[list[str]] = []
        for layer in range(num_layers):
            for direction in range(num_directions):
                layer_input = input_size if layer == 0 else real_hidden * num_directions
                suffix = "_reverse" if direction == 1 else ""
                shapes = [("weight_ih", (gate_size, layer_input)),
                          ("weight_hh", (gate_size, real_hidden))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size > 0:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                names = []
                for base, shape in shapes:
                    name = f"{base}_l{layer}{suffix}"
                    setattr(self, name, Parameter(ember.empty(shape, device=device, dtype=dtype)))
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    @property
    def _flat_weights(self) -> list[Tensor | None]:
        return [getattr(self, n, None) for n in self._flat_weights_names]

    @property
    def all_weights(self) -> list[list[Parameter]]:
        return [[getattr(self, w) for w in weights] for weights in self._all_weights]

    def flatten_parameters(self) -> None:
        """A no-op kept for PyTorch compatibility (weights are never fused here)."""

    def _init_flat_weights(self) -> None:
        """A no-op: ``_flat_weights`` reads the attributes live (weight-drop wrappers that
        replace a weight call this in PyTorch)."""

    _update_flat_weights = _init_flat_weights

    def reset_parameters(self) -> None:
        """Every weight and bias uniform in ±1/sqrt(hidden_size)."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)

    # ---------------------------------------------------------------- checks
    def check_input(self, input: Tensor, batch_sizes: Tensor | None) -> None:
        w = self._flat_weights[0]
        if input.dtype != w.dtype:
            if batch_sizes is not None and self.mode == "LSTM":
                _check_mm_dtype(input, w, self.bias)  # PyTorch's packed LSTM leaves it to the kernel
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype "
                             f"({w.dtype}). Convert input: input.to({w.dtype}), or convert "
                             f"model: model.to({input.dtype})")
        expected_dim = 2 if batch_sizes is not None else 3
        if input.dim() != expected_dim:
            raise RuntimeError(f"input must have {expected_dim} dimensions, got {input.dim()}")
        if self.input_size != input.size(-1):
            raise RuntimeError("input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.size(-1)}")

    def get_expected_hidden_size(self, input: Tensor, batch_sizes: Tensor | None,
                                 size: int | None = None) -> tuple[int, int, int]:
        """(layers * directions, batch, hidden or ``size``) that ``hx`` must have."""
        if batch_sizes is not None:
            mini_batch = int(batch_sizes[0])
        else:
            mini_batch = input.size(0) if self.batch_first else input.size(1)
        num_directions = 2 if self.bidirectional else 1
        hidden = size if size is not None else (self.proj_size if self.proj_size > 0
                                                else self.hidden_size)
        return (self.num_layers * num_directions, mini_batch, hidden)

    def get_expected_cell_size(self, input: Tensor, batch_sizes: Tensor | None
                               ) -> tuple[int, int, int]:
        """The size an LSTM's cell state must have (``hidden_size`` wide, never projected)."""
        return self.get_expected_hidden_size(input, batch_sizes, self.hidden_size)

    def check_hidden_size(self, hx: Tensor, expected_hidden_size: tuple,
                          msg: str = "Expected hidden size {}, got {}") -> None:
        if tuple(hx.size()) != tuple(expected_hidden_size):
            raise RuntimeError(msg.format(expected_hidden_size, list(hx.size())))

    def check_forward_args(self, input: Tensor, hidden: Any, batch_sizes: Tensor | None) -> None:
        self.check_input(input, batch_sizes)
        if self.mode == "LSTM":
            self.check_hidden_size(hidden[0], self.get_expected_hidden_size(input, batch_sizes),
                                   "Expected hidden[0] size {}, got {}")
            self.check_hidden_size(hidden[1], self.get_expected_cell_size(input, batch_sizes),
                                   "Expected hidden[1] size {}, got {}")
        else:
            self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))
        if batch_sizes is None and input.size(1 if self.batch_first else 0) == 0:
            raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
        h, w = (hidden[0] if self.mode == "LSTM" else hidden), self._flat_weights[0]
        if self.mode == "LSTM" and batch_sizes is None and not (w.dtype == h.dtype
                                                                == hidden[1].dtype):
            self._check_onednn_state(input, h, hidden[1])
        # the hidden state meets weight_hh in a matmul: PyTorch refuses another dtype there
        _check_mm_dtype(h, w, self.bias)

    def _check_onednn_state(self, input: Tensor, h: Tensor, c: Tensor) -> None:
        """PyTorch's CPU oneDNN LSTM refuses a state of another dtype in oneDNN's words (a
        bfloat16 layer keeps a float32 cell state)."""
        if not self._mkldnn(input) or ember.is_autocast_enabled(input.device.type):
            return
        w = self._flat_weights[0]
        if any(t.dtype not in (ember.float32, ember.bfloat16, ember.float16) for t in (h, c)):
            raise RuntimeError("get_mkldnn_dtype: unsupported data type")
        if h.dtype != w.dtype or c.dtype not in (w.dtype, ember.float32):
            raise RuntimeError("could not create a primitive descriptor for the LSTM forward "
                               "propagation primitive. Run workload with environment variable "
                               "ONEDNN_VERBOSE=all to get additional diagnostic information.")

    def permute_hidden(self, hx: Any, permutation: Tensor | None) -> Any:
        if permutation is None:
            return hx
        if self.mode == "LSTM":
            return hx[0].index_select(1, permutation), hx[1].index_select(1, permutation)
        return hx.index_select(1, permutation)

    # ---------------------------------------------------------------- forward
    def _run(self, data: Tensor, batch_sizes: list[int], h0: Tensor,
             c0: Tensor | None) -> tuple[Tensor, Tensor, Tensor | None]:
        """All layers over packed ``data``; returns output data and final (h, c) stacks."""
        num_directions = 2 if self.bidirectional else 1
        hs, cs = [], []
        x = data
        cast = self._autocast_dtype(data)
        if cast is not None:  # the whole recurrence in the autocast dtype
            x, h0 = x.to(cast), h0.to(cast)
            c0 = None if c0 is None else c0.to(cast)
        for layer in range(self.num_layers):
            outs = []
            for direction in range(num_directions):
                k = layer * num_directions + direction
                names = self._all_weights[k]
                p = {n.split("_l")[0]: getattr(self, n) for n in names}
                if cast is not None:
                    p = {n: (w if w is None else w.to(cast)) for n, w in p.items()}
                args = (x, h0[k], None if c0 is None else c0[k], p["weight_ih"],
                        p["weight_hh"], p.get("bias_ih"), p.get("bias_hh"), p.get("weight_hr"))
                fallback = _layer_by_ops(self.mode, batch_sizes, direction == 1)
                if supports_fused(x):
                    out, h, c = fused_layer(self.mode, *args, batch_sizes, direction == 1,
                                            fallback)
                else:
                    out, h, c = fallback(*args)
                outs.append(out)
                hs.append(h)
                if c is not None:
                    cs.append(c)
            x = outs[0] if num_directions == 1 else ember.cat(outs, 1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        return x, ember.stack(hs, 0), (ember.stack(cs, 0) if cs else None)

    def _autocast_dtype(self, data: Tensor) -> Any:
        """The dtype PyTorch's autocast runs RNN/LSTM layers in (its fused kernels are on the
        lower-precision list; GRU is not, its matmuls cast one by one); None outside."""
        device = data.device.type
        if self.mode == "GRU" or not ember.is_autocast_enabled(device):
            return None
        dt = ember.get_autocast_dtype(device)
        return dt if data.is_floating_point() and data.dtype != dt else None

    def _mkldnn(self, out: Tensor) -> bool:
        """Whether PyTorch's CPU runs this layer with oneDNN (a non-empty float32 or bfloat16
        LSTM, no projections)."""
        return (self.mode == "LSTM" and self.proj_size == 0 and out.device.type == "cpu"
                and out.dtype in (ember.float32, ember.bfloat16) and out.numel() > 0)

    def _output_node(self, out: Tensor) -> str:
        """The graph node PyTorch's CPU kernels leave on a padded output: the steps stacked,
        the directions concatenated, or oneDNN's fused layer."""
        if self.bidirectional:
            return "CatBackward0"
        return "MkldnnRnnLayerBackward0" if self._mkldnn(out) else "StackBackward0"

    def forward(self, input: Any, hx: Any = None) -> tuple[Any, Any]:
        name = {"LSTM": "LSTM", "GRU": "GRU"}.get(self.mode, "RNN")
        lstm = self.mode == "LSTM"
        num_directions = 2 if self.bidirectional else 1
        real_hidden = self.proj_size if self.proj_size > 0 else self.hidden_size
        packed = isinstance(input, PackedSequence)
        batch_dim = 0 if self.batch_first else 1
        is_batched = True
        if packed:
            data, batch_sizes, sorted_indices, unsorted_indices = input
            max_batch = int(batch_sizes[0])
        else:
            suffix = " tensor instead" if name == "RNN" else " instead"
            if input.dim() not in (2, 3):
                raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D"
                                 f"{suffix}")
            is_batched = input.dim() == 3
            if not is_batched:
                input = input.unsqueeze(batch_dim)
                if hx is not None:
                    if lstm:
                        if hx[0].dim() != 2 or hx[1].dim() != 2:
                            raise RuntimeError(
                                "For unbatched 2-D input, hx and cx should also be 2-D but got "
                                f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
                        hx = (hx[0].unsqueeze(1), hx[1].unsqueeze(1))
                    else:
                        if hx.dim() != 2:
                            raise RuntimeError("For unbatched 2-D input, hx should also be 2-D "
                                               f"but got {hx.dim()}-D tensor")
                        hx = hx.unsqueeze(1)
            elif hx is not None:
                if lstm and (hx[0].dim() != 3 or hx[1].dim() != 3):
                    raise RuntimeError(
                        "For batched 3-D input, hx and cx should also be 3-D but got "
                        f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
                if not lstm and hx.dim() != 3:
                    raise RuntimeError(
                        f"For batched 3-D input, hx should also be 3-D but got {hx.dim()}-D tensor")
            max_batch = input.size(0) if self.batch_first else input.size(1)
            sorted_indices = unsorted_indices = None
            batch_sizes = None
        if hx is None:
            zeros = ember.zeros(self.num_layers * num_directions, max_batch, real_hidden,
                                dtype=(data if packed else input).dtype,
                                device=(data if packed else input).device)
            hx = (zeros, ember.zeros(self.num_layers * num_directions, max_batch,
                                     self.hidden_size, dtype=zeros.dtype,
                                     device=zeros.device)) if lstm else zeros
        else:
            hx = self.permute_hidden(hx, sorted_indices)
        if packed and lstm:  # PyTorch leaves a packed LSTM's checks to its kernel
            _packed_lstm_kernel_checks(self, data, hx, batch_sizes)
        self.check_forward_args(data if packed else input, hx, batch_sizes)
        if lstm and len(hx) != 2:  # PyTorch's kernel takes exactly an (h, c) pair
            raise RuntimeError("lstm expects two hidden states")
        h0, c0 = (hx[0], hx[1]) if lstm else (hx, None)
        if packed:
            sizes = [int(b) for b in np.asarray(batch_sizes.numpy()).tolist()]
            out, h, c = self._run(data, sizes, h0, c0)
            # PyTorch concatenates the steps' outputs; oneDNN's LSTM runs sequences of one
            # length as a padded batch, its packed data a view
            dense = self._mkldnn(out) and len(set(sizes)) == 1
            out = renamed(out.view(out.shape), "ViewBackward0" if dense else "CatBackward0")
            output: Any = PackedSequence(out, batch_sizes, sorted_indices, unsorted_indices)
        else:
            if self.proj_size > 0 and not _PROJ_WARNED[0]:
                _warn_projections_once(self, input)
            x = input.transpose(0, 1) if self.batch_first else input
            steps, batch = x.shape[0], x.shape[1]
            out, h, c = self._run(x.reshape(steps * batch, x.shape[2]), [batch] * steps, h0, c0)
            output = renamed(out.reshape(steps, batch, out.shape[-1]), self._output_node(out))
            if self.batch_first:  # PyTorch transposes RNN/GRU outputs in place
                output = renamed(output.transpose(0, 1),
                                 "TransposeBackward0" if lstm else "TransposeBackward1")
        hidden = (h, c) if lstm else h
        if not packed and not is_batched:
            output = output.squeeze(batch_dim)
            hidden = (h.squeeze(1), c.squeeze(1)) if lstm else h.squeeze(1)
        return output, self.permute_hidden(hidden, unsorted_indices)


class RNN(RNNBase):
    """Elman RNN: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (or relu)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' "
                             "or 'relu'.")
        super().__init__(mode, *args, **kwargs)


class LSTM(RNNBase):
    """Long short-term memory, with optional projections (``proj_size``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__("LSTM", *args, **kwargs)


class GRU(RNNBase):
    """Gated recurrent unit."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


def _check_sizes(bias: Any, batch_first: Any, input_size: Any) -> None:
    """PyTorch's type and range checks of the constructor's flags and ``input_size``."""
    if not isinstance(bias, bool):
        raise TypeError(f"bias should be of type bool, got: {type(bias).__name__}")
    if not isinstance(batch_first, bool):
        raise TypeError(f"batch_first should be of type bool, got: {type(batch_first).__name__}")
    if not isinstance(input_size, int):
        raise TypeError(f"input_size should be of type int, got: {type(input_size).__name__}")
    if input_size <= 0:
        raise ValueError("input_size must be greater than zero")


def _packed_lstm_kernel_checks(m: RNNBase, data: Tensor, hx: Any, batch_sizes: Tensor) -> None:
    """PyTorch's packed LSTM skips the module's checks: its kernel refuses a wrong state or
    input in its own words and order (parameters grouped by the state's widths, directions
    paired, layers counted, then the first step's matmuls and in-place gate sum)."""
    if len(hx) != 2:
        raise RuntimeError("lstm expects two hidden states")
    h, c = hx
    if h.dim() != 3 or c.dim() != 3:
        return  # left to the module's checks
    proj = h.size(2) != c.size(2)
    per = (5 if proj else 4) if m.bias else (3 if proj else 2)
    groups, states = len(m._flat_weights_names), h.size(0)
    if groups % per:
        raise RuntimeError("got an incorrect number of RNN parameters")
    groups //= per
    if m.bidirectional:
        if groups % 2 or states % 2:
            raise RuntimeError("Odd number of params or hiddens given to a bidirectional RNN")
        groups, states = groups // 2, states // 2
    if states != m.num_layers:
        raise RuntimeError("Expected more hidden states in stacked_rnn")
    if groups != m.num_layers:
        raise RuntimeError("Expected more weights in stacked_rnn")
    w_ih, w_hh = m.weight_ih_l0, m.weight_hh_l0
    _check_mm_dtype(data, w_ih, m.bias)
    for x, w in ((data, w_ih), (h[0], w_hh)):
        if x.dim() == 2 and x.size(1) != w.size(1):
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({x.size(0)}x"
                               f"{x.size(1)} and {w.size(1)}x{w.size(0)})")
    b0, bh = int(batch_sizes[0]), h.size(1)
    if bh != b0 and b0 != 1:  # the gates ``h @ w_hh.T`` summed in place with the input's
        if bh == 1:
            raise RuntimeError(f"output with shape [1, {w_hh.size(0)}] doesn't match the "
                               f"broadcast shape [{b0}, {w_hh.size(0)}]")
        raise RuntimeError(f"The size of tensor a ({bh}) must match the size of tensor b "
                           f"({b0}) at non-singleton dimension 0")
    gates = (b0 if b0 != 1 else bh, m.hidden_size)  # the forget gate times the cell state
    for dim in (1, 0):
        a, b = gates[dim], c.size(dim + 1)
        if a != b and 1 not in (a, b):
            raise RuntimeError(f"The size of tensor a ({a}) must match the size of tensor b "
                               f"({b}) at non-singleton dimension {dim}")


def _check_mm_dtype(x: Tensor, weight: Tensor, bias: bool = True) -> None:
    """Refuse ``x @ weight.T`` across dtypes, in the words of PyTorch's addmm (or its mm for a
    layer without bias); autocast regions cast the operands instead."""
    if x.dtype != weight.dtype and not (ember.is_autocast_enabled(x.device.type)
                                        or ember.is_autocast_enabled(weight.device.type)):
        if not bias:
            from ember.ops.linalg import _C_NAMES

            a, b = (_C_NAMES.get(t.dtype.name, t.dtype.name) for t in (x, weight))
            raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {a} != {b}")
        a, b = (ember.dtypes._c10_name(t.dtype) for t in (x, weight))
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {a} and {b}")


class RNNCellBase(Module):
    """The weights shared by the single-step cells."""

    __constants__ = ["input_size", "hidden_size", "bias"]

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(ember.empty((num_chunks * hidden_size, input_size),
                                               device=device, dtype=dtype))
        self.weight_hh = Parameter(ember.empty((num_chunks * hidden_size, hidden_size),
                                               device=device, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(ember.empty(num_chunks * hidden_size, device=device,
                                                 dtype=dtype))
            self.bias_hh = Parameter(ember.empty(num_chunks * hidden_size, device=device,
                                                 dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _prepare(self, name: str, input: Tensor) -> bool:
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        return input.dim() == 2

    def _check_hidden(self, input: Tensor, hx: Tensor, idx: int = 0) -> None:
        """PyTorch's cell checks, in its order: the input's feature size, then the hidden
        state's batch and feature sizes against the input."""
        if idx == 0 and input.size(-1) != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.size(-1)} "
                               f"expected {self.input_size}")
        if input.size(0) != hx.size(0):
            raise RuntimeError(f"Input batch size {input.size(0)} doesn't match hidden{idx} "
                               f"batch size {hx.size(0)}")
        if hx.size(1) != self.hidden_size:
            raise RuntimeError(f"hidden{idx} has inconsistent hidden_size: got {hx.size(1)}, "
                               f"expected {self.hidden_size}")

    def _cell(self, mode: str, input: Tensor, h: Tensor, c: Tensor | None) -> tuple:
        # the dtypes that meet the weights in a matmul, after the size checks: the input first
        _check_mm_dtype(input, self.weight_ih, self.bias)
        _check_mm_dtype(h, self.weight_hh, self.bias)
        gi = _affine(input, self.weight_ih, self.bias_ih)
        return _step(mode, gi, h, c, self.weight_hh, self.bias_hh)


class RNNCell(RNNCellBase):
    """One step of an Elman RNN."""

    __constants__ = ["input_size", "hidden_size", "bias", "nonlinearity"]

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        batched = self._prepare("RNNCell", input)
        if hx is not None and hx.dim() not in (1, 2):
            raise ValueError(f"RNNCell: Expected hidden to be 1D or 2D, got {hx.dim()}D instead")
        if not batched:
            input = input.unsqueeze(0)
        if hx is None:
            hx = ember.zeros(input.size(0), self.hidden_size, dtype=input.dtype,
                             device=input.device)
        elif not batched:
            hx = hx.unsqueeze(0)
        if self.nonlinearity not in ("tanh", "relu"):  # PyTorch refuses it before its kernel
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        self._check_hidden(input, hx)
        mode = "RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU"
        ret, _ = self._cell(mode, input, hx, None)
        return ret if batched else ret.squeeze(0)


class LSTMCell(RNNCellBase):
    """One step of an LSTM: returns ``(h', c')``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None
                ) -> tuple[Tensor, Tensor]:
        batched = self._prepare("LSTMCell", input)
        if hx is not None:
            for idx, value in enumerate(hx):
                if value.dim() not in (1, 2):
                    raise ValueError(f"LSTMCell: Expected hx[{idx}] to be 1D or 2D, got "
                                     f"{value.dim()}D instead")
        if batched and hx is not None:  # PyTorch's lstm_cell takes exactly an (h, c) pair
            if not isinstance(hx, (tuple, list)):
                raise TypeError("lstm_cell(): argument 'hx' (position 2) must be tuple of "
                                f"Tensors, not {type(hx).__name__}")
            if len(hx) != 2:
                raise RuntimeError("lstm_cell expects two hidden states")
        if not batched:
            input = input.unsqueeze(0)
        if hx is None:
            z = ember.zeros(input.size(0), self.hidden_size, dtype=input.dtype,
                            device=input.device)
            hx = (z, z)
        elif not batched:
            hx = (hx[0].unsqueeze(0), hx[1].unsqueeze(0))
        self._check_hidden(input, hx[0], 0)
        self._check_hidden(input, hx[1], 1)
        h, c = self._cell("LSTM", input, hx[0], hx[1])
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One step of a GRU."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        batched = self._prepare("GRUCell", input)
        if hx is not None and hx.dim() not in (1, 2):
            raise ValueError(f"GRUCell: Expected hidden to be 1D or 2D, got {hx.dim()}D instead")
        if not batched:
            input = input.unsqueeze(0)
        if hx is None:
            hx = ember.zeros(input.size(0), self.hidden_size, dtype=input.dtype,
                             device=input.device)
        elif not batched:
            hx = hx.unsqueeze(0)
        self._check_hidden(input, hx)
        ret, _ = self._cell("GRU", input, hx, None)
        return ret if batched else ret.squeeze(0)
