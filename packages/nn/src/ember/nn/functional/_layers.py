"""Activations, normalization, dropout, embedding, linear and attention: PyTorch's
``torch.nn.functional`` signatures over Ember's core kernels (losses are in ``_losses``)."""

from __future__ import annotations

import importlib
import warnings
from typing import Any

import ember
from ember import Tensor
from ember.ops import activation as _act
from ember.ops import attention as _att
from ember.ops import normalization as _norm
from ember.ops._dispatch import renamed
from ember.ops.linalg import _C_NAMES, _tname
from ember.ops.pointwise_unary import not_tensor

from ..attention._flags import check_sdpa_backend
from ._attention import multi_head_attention_forward
from ._losses import *  # noqa: F403
from ._losses import __all__ as _losses_all

_emb = importlib.import_module("ember.ops.embedding")  # the attribute is the op itself

__all__ = [
    "relu", "relu_", "relu6", "leaky_relu", "leaky_relu_", "prelu", "rrelu", "rrelu_", "elu",
    "elu_", "selu", "selu_", "celu", "celu_", "gelu", "silu", "mish", "sigmoid", "hardsigmoid",
    "tanh", "hardtanh", "hardtanh_", "hardswish", "softplus", "softsign", "softshrink",
    "hardshrink", "tanhshrink", "threshold", "threshold_", "glu", "logsigmoid", "softmax",
    "log_softmax", "softmin", "gumbel_softmax",
    "batch_norm", "layer_norm", "group_norm", "instance_norm", "rms_norm", "local_response_norm",
    "normalize",
    "dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout",
    "embedding", "embedding_bag", "one_hot",
    "linear", "bilinear", "scaled_dot_product_attention", "multi_head_attention_forward",
    "cosine_similarity", "pairwise_distance", "pdist",
] + list(_losses_all)


def _refuse_non_tensor(op: str, x: Any, arg: str = "input", pos: int = 1) -> None:
    """Raise PyTorch's TypeError when ``x`` (a NumPy array, a list passed to a model) is not a
    tensor; called only once the op failed, so the fast path pays nothing."""
    if not isinstance(x, Tensor):
        raise not_tensor(op, x, pos, arg) from None


# ------------------------------------------------------------------ activations
def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """``max(input, 0)``."""
    try:
        return _act.relu(input, inplace)
    except AttributeError:
        _refuse_non_tensor("relu", input)
        raise


def relu_(input: Tensor) -> Tensor:
    return _act.relu(input, True)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """``min(max(input, 0), 6)``."""
    return _act.relu6(input, inplace)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    return _act.leaky_relu(input, negative_slope, inplace)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return _act.leaky_relu(input, negative_slope, True)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    return _act.prelu(input, weight)  # checks the dtypes after autocast's casts


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False) -> Tensor:
    return _act.rrelu(input, lower, upper, training, inplace)


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
           training: bool = False) -> Tensor:
    return _act.rrelu(input, lower, upper, training, True)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    return _act.elu(input, alpha, inplace)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return _act.elu(input, alpha, True)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    return _act.selu(input, inplace)


def selu_(input: Tensor) -> Tensor:
    return _act.selu(input, True)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    return _act.celu(input, alpha, inplace)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return _act.celu(input, alpha, True)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    try:
        return _act.gelu(input, approximate)
    except AttributeError:
        _refuse_non_tensor("gelu", input)
        raise


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    return _act.silu(input, inplace)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    return _act.mish(input, inplace)


def sigmoid(input: Tensor) -> Tensor:
    return ember.sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    return ember.tanh(input)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    return _act.hardsigmoid(input, inplace)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    return _act.hardtanh(input, min_val, max_val, inplace)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return _act.hardtanh(input, min_val, max_val, True)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    return _act.hardswish(input, inplace)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    return _act.softplus(input, beta, threshold)


def softsign(input: Tensor) -> Tensor:
    return _act.softsign(input)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    return _act.softshrink(input, lambd)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    return _act.hardshrink(input, lambd)


def tanhshrink(input: Tensor) -> Tensor:
    return _act.tanhshrink(input)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    return _act.threshold(input, threshold, value, inplace)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    return _act.threshold(input, threshold, value, True)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    return _act.glu(input, dim)


def logsigmoid(input: Tensor) -> Tensor:
    return _act.logsigmoid(input)


def _softmax_dim(name: str, ndim: int, stacklevel: int) -> int:
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  "to include dim=X as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: Any = None) -> Tensor:
    """``exp(input) / sum(exp(input))`` along ``dim``."""
    if dim is None:
        dim = _softmax_dim("softmax", input.dim(), _stacklevel)
    return _method_call(ember.softmax, "softmax", input, dim, dtype)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: Any = None) -> Tensor:
    """``softmax(-input)``."""
    if dim is None:
        dim = _softmax_dim("softmin", input.dim(), _stacklevel)
    return ember.softmax(-input, dim, dtype=dtype)  # negated in the input's own dtype


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype: Any = None) -> Tensor:
    """``log(softmax(input))`` computed stably."""
    if dim is None:
        dim = _softmax_dim("log_softmax", input.dim(), _stacklevel)
    return _method_call(ember.log_softmax, "log_softmax", input, dim, dtype)


def _method_call(fn: Any, name: str, input: Any, dim: int, dtype: Any) -> Tensor:
    """``fn(input, dim, dtype=dtype)``; a non-tensor ``input`` fails as PyTorch's call of
    ``input.<name>()`` does (Python's AttributeError for the missing method)."""
    try:
        return fn(input, dim, dtype=dtype)
    except TypeError:
        if not isinstance(input, Tensor):
            getattr(input, name)
        raise


def gumbel_softmax(logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10,
                   dim: int = -1) -> Tensor:
    """Samples from the Gumbel-softmax distribution; ``hard`` gives one-hot straight-through."""
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    # drawn in logical order whatever the layout, as PyTorch's legacy_contiguous_format
    dense = ember.contiguous_format
    gumbels = -ember.empty_like(logits, memory_format=dense).exponential_().log()
    y_soft = ((logits + gumbels) / tau).softmax(dim)
    if not hard:
        return y_soft
    index = y_soft.max(dim, keepdim=True)[1]
    y_hard = ember.zeros_like(logits, memory_format=dense).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft


# ------------------------------------------------------------------ normalization
def _verify_batch_size(size: Any) -> None:
    n = 1
    for i, s in enumerate(size):
        if i != 1:
            n *= s
    if n == 1:
        # shown as given: batch_norm passes the input's Size, group_norm a list
        raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                         f"{size}")


def _check_mixed_dtype(input: Tensor, *params: Tensor | None, op: str | None = None) -> None:
    """PyTorch's CPU normalization kernels take parameters of the input's dtype, or float32
    parameters with a float16/bfloat16 input; anything else is refused (a non-float input to
    ``op`` by its dtype dispatch, as not implemented)."""
    dt = input.dtype
    if input.device.type != "cpu" or all(p is None or p.dtype == dt for p in params):
        return
    if op is not None and not dt.is_floating_point:
        from ember.ops._inplace import _type_name

        raise NotImplementedError(f'"{op}" not implemented for '
                                  f"'{_type_name(str(dt).rsplit('.', 1)[-1])}'")
    if any(p is not None and p.dtype != ember.float32 for p in params):
        raise RuntimeError("mixed dtype (CPU): expect parameter to have scalar type of Float")
    if dt not in (ember.float16, ember.bfloat16):
        raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Batch normalization; running statistics are updated in place when training."""
    if training:
        _verify_batch_size(input.size())
        if eps <= 0.0:
            raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    elif eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    _check_mixed_dtype(input, weight, bias, running_mean, running_var, op="batch_norm")
    return _norm.batch_norm(input, weight, bias, running_mean, running_var, training, momentum,
                            eps)


def instance_norm(input: Tensor, running_mean: Tensor | None = None,
                  running_var: Tensor | None = None, weight: Tensor | None = None,
                  bias: Tensor | None = None, use_input_stats: bool = True, momentum: float = 0.1,
                  eps: float = 1e-5) -> Tensor:
    """Normalization over the spatial dims of each sample and channel."""
    if use_input_stats:
        size = input.size()
        n = 1
        for s in size[2:]:
            n *= s
        if n == 1:
            raise ValueError(f"Expected more than 1 spatial element when training, got input "
                             f"size {ember.Size(size)}")
    if (weight is not None or bias is not None) and input.dim() >= 2 \
            and not input.shape[0] * input.shape[1]:  # PyTorch's repeat of them per sample
        raise IndexError("select(): index 0 out of range for tensor of size [0] at dimension 0")
    _check_mixed_dtype(input, weight, bias, running_mean, running_var, op="batch_norm")
    if input.dim() >= 2:
        _check_instance_norm_sizes(input, running_mean, running_var, weight, bias)
    return _norm.instance_norm(input, weight, bias, running_mean, running_var, use_input_stats,
                               momentum, eps)


def _check_instance_norm_sizes(input: Tensor, *stats: Tensor | None) -> None:
    """PyTorch runs instance norm as a batch norm over ``N*C`` channels, so a mismatched
    statistic or affine tensor is reported with both counts multiplied by the batch size."""
    n, c = input.shape[0], input.shape[1]
    for name, t in zip(("running_mean", "running_var", "weight", "bias"), stats):
        if t is not None and t.numel() != c:
            raise RuntimeError(f"{name} should contain {n * c} elements not {n * t.numel()}")


def layer_norm(input: Tensor, normalized_shape: Any, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    try:
        _check_mixed_dtype(input, weight, bias)
    except AttributeError:
        _refuse_non_tensor("layer_norm", input)
        raise
    return _norm.layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received "
                           f"{input.dim()}")
    _check_mixed_dtype(input, weight, bias)
    size = input.size()
    _verify_batch_size([size[0] * size[1] // num_groups, num_groups] + list(size[2:]))
    return _norm.group_norm(input, num_groups, weight, bias, eps)


def rms_norm(input: Tensor, normalized_shape: Any, weight: Tensor | None = None,
             eps: float | None = None) -> Tensor:
    return _norm.rms_norm(input, normalized_shape, weight, eps)


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0) -> Tensor:
    if input.dim() < 3:  # PyTorch's message, wide gap included
        raise ValueError(f"Expected 3D or higher dimensionality {' ' * 25}input (got "
                         f"{input.dim()} dimensions)")
    if input.numel() == 0:  # PyTorch hands back the input itself
        return input
    if input.dim() > 4 and not input.is_contiguous():
        # PyTorch views the squares (laid out as the input) as (N, 1, C, D, -1): a layout
        # whose trailing dims do not merge is its view error
        sizes = input.size()
        input.mul(input).view(sizes[0], 1, sizes[1], sizes[2], -1)
    if size <= 0:  # PyTorch pools squares over a window of ``size`` channels
        got = f"kH: {size} kW: 1" if input.dim() == 3 else f"kT: {size} kH: 1 kW: 1"
        raise RuntimeError(f"kernel size should be greater than zero, but got {got}")
    if input.dtype in (ember.float16, ember.bfloat16) and input.device.type == "cpu":
        if input.dim() > 3:  # PyTorch's CPU 3-D average pool has no half kernel
            raise NotImplementedError(
                f'"avg_pool3d_out_frame" not implemented for \'{_tname(input)}\'')
        # PyTorch's composite, each step rounded to the half type as its kernels round it
        div = ember.nn.functional.pad((input * input).unsqueeze(1),
                                      (0, 0, size // 2, (size - 1) // 2))
        div = ember.nn.functional.avg_pool2d(div, (size, 1), stride=1).squeeze(1)
        return input / div.mul(alpha).add(k).pow(beta)
    if not input.is_floating_point():
        return _integer_local_response_norm(input, size, alpha, beta, k)
    return _norm.local_response_norm(input, size, alpha, beta, k)


def _integer_local_response_norm(input: Tensor, size: int, alpha: float, beta: float,
                                 k: float) -> Tensor:
    """PyTorch's composite on non-float inputs: its channel average is an average pool, which
    exists for int64 only (a truncating integer mean, then float maths in the default
    dtype); every other such dtype is the pool's not-implemented error."""
    if input.dtype != ember.int64:
        kernel = "avg_pool2d" if input.dim() == 3 else "avg_pool3d_out_frame"
        raise NotImplementedError(
            f'"{kernel}" not implemented for \'{_tname(input)}\'')
    sq = (input * input).movedim(1, -1)
    window = ember.nn.functional.pad(sq, (size // 2, (size - 1) // 2)).unfold(-1, size, 1).sum(-1)
    div = window.div(size, rounding_mode="trunc").movedim(-1, 1)
    return input / div.mul(alpha).add(k).pow(beta)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12,
              out: Tensor | None = None) -> Tensor:
    """``input / max(norm(input, p, dim), eps)``."""
    from ember.ops.distance import pnorm

    if isinstance(dim, (tuple, list)):  # PyTorch's ``input.norm`` takes several dims too
        norm = input.norm(p, dim, keepdim=True)
    elif input.is_floating_point():
        try:
            norm = pnorm(input, p, dim, keepdim=True)
        except ValueError:  # an empty dim and +-inf: vector_norm raises PyTorch's error
            norm = ember.linalg.vector_norm(input, p, dim, keepdim=True)
    else:  # complex (a real norm), or refused as linalg.vector_norm refuses integers and bool
        norm = ember.linalg.vector_norm(input, p, dim, keepdim=True)
    denom = norm.clamp_min(eps).expand_as(input)
    if out is None:
        return input / denom
    return ember.div(input, denom, out=out)


# ------------------------------------------------------------------ dropout
def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def dropout(input: Tensor, p: float = 0.5, training: bool = True,
            inplace: bool = False) -> Tensor:
    """Zero elements with probability ``p`` and scale the rest by ``1 / (1 - p)``."""
    _check_p(p)
    try:
        return ember.dropout_(input, p, training) if inplace else ember.dropout(input, p,
                                                                                 training)
    except AttributeError:
        _refuse_non_tensor("dropout", input)
        raise


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                  inplace: bool = False) -> Tensor:
    _check_p(p)
    return ember.alpha_dropout_(input, p, training) if inplace else ember.alpha_dropout(
        input, p, training)


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                          inplace: bool = False) -> Tensor:
    _check_p(p)
    return ember.feature_alpha_dropout_(input, p, training) if inplace else \
        ember.feature_alpha_dropout(input, p, training)


def _feature_dropout(input: Tensor, p: float, training: bool, inplace: bool,
                     batched: bool) -> Tensor:
    if not batched:
        input = input.unsqueeze_(0) if inplace else input.unsqueeze(0)
    r = ember.feature_dropout_(input, p, training) if inplace else ember.feature_dropout(
        input, p, training)
    if not batched:
        r = r.squeeze_(0) if inplace else r.squeeze(0)
    return r


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, L) or (C, L) inputs."""
    _check_p(p)
    nd = input.dim()
    if nd not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {nd}D input. Note that "
            "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial "
            "dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D "
            "inputs).")
    return _feature_dropout(input, p, training, inplace, nd == 3)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, H, W) or (C, H, W) inputs."""
    _check_p(p)
    nd = input.dim()
    if nd not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {nd}-D input to dropout2d, which is deprecated and will "
            "result in an error in a future release. To retain the behavior and silence this "
            "warning, please use dropout instead. Note that dropout2d exists to provide "
            "channel-wise dropout on inputs with 2 spatial dimensions, a channel dimension, and "
            "an optional batch dimension (i.e. 3D or 4D inputs).", stacklevel=2)
    if nd == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C is "
            "the channel dim. This behavior will change in a future release to interpret the "
            "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2)
    return _feature_dropout(input, p, training, inplace, True)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) inputs."""
    _check_p(p)
    nd = input.dim()
    if nd not in (4, 5):
        warnings.warn(
            f"dropout3d: Received a {nd}-D input to dropout3d, which is deprecated and will "
            "result in an error in a future release. To retain the behavior and silence this "
            "warning, please use dropout instead. Note that dropout3d exists to provide "
            "channel-wise dropout on inputs with 3 spatial dimensions, a channel dimension, and "
            "an optional batch dimension (i.e. 4D or 5D inputs).", stacklevel=2)
    return _feature_dropout(input, p, training, inplace, nd == 5)


# ------------------------------------------------------------------ embedding
def _padding_idx(padding_idx: int | None, n: int) -> int:
    if padding_idx is None:
        return -1
    if padding_idx > 0:
        assert padding_idx < n, "Padding_idx must be within num_embeddings"
    elif padding_idx < 0:
        assert padding_idx >= -n, "Padding_idx must be within num_embeddings"
        padding_idx = n + padding_idx
    return padding_idx


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight`` at ``input``; ``max_norm`` renormalises those rows in place."""
    _refuse_non_tensor("embedding", input, "indices", 2)  # NumPy indices would pass silently
    padding_idx = _padding_idx(padding_idx, weight.size(0))
    if max_norm is not None:
        with ember.no_grad():
            _emb.embedding_renorm_(weight, input, max_norm, norm_type)
    return _emb.embedding(weight, input, padding_idx, scale_grad_by_freq, sparse)


def _bag_index_types(input: Tensor, offsets: Tensor | None) -> tuple:
    """PyTorch promotes the indices and offsets (for a 2-D input an ``arange`` of its dtype)
    to a common type, then takes it only if it is Long or Int: ``uint8`` indices with int64
    offsets work, and are cast here."""
    if offsets is None:
        if input.dtype == ember.bool:
            raise NotImplementedError("\"arange_cpu\" not implemented for 'Bool'")
        dt = input.dtype
    else:
        dt = ember.promote_types(input.dtype, offsets.dtype)
    if dt not in (ember.int64, ember.int32):
        from ember.autograd.graph import _legacy_type

        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar "
            f"types: Long, Int; but got {_legacy_type(input.to(dt))} instead (while checking "
            "arguments for embedding_bag)")
    return input.to(dt), None if offsets is None else offsets.to(dt)


def embedding_bag(input: Tensor, weight: Tensor, offsets: Tensor | None = None,
                  max_norm: float | None = None, norm_type: float = 2,
                  scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights: Tensor | None = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> Tensor:
    """Sums, means or maxima over bags of embeddings (bags by ``offsets`` or rows of 2-D input)."""
    if per_sample_weights is not None and input.size() != per_sample_weights.size():
        raise ValueError(
            f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, "
            f"then it must have the same shape as the input ({input.shape})")
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension "
                         f"{weight.dim()}")
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError(
                "if input is 2D, then offsets has to be None, as input is treated is a "
                "mini-batch of fixed length sequences. However, found offsets of type "
                f"{type(offsets)}")
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension "
                         f"{input.dim()}")
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if mode == "max" and sparse:
        raise ValueError("max mode does not support sparse weights")
    if input.dtype not in (ember.int64, ember.int32) or (
            offsets is not None and offsets.dtype not in (ember.int64, ember.int32)):
        input, offsets = _bag_index_types(input, offsets)
    if input.dim() == 2 and input.size(1) == 0:  # PyTorch's offsets: arange with step 0
        raise RuntimeError("step must be nonzero")
    if include_last_offset and input.dim() == 1 and offsets.numel() == 0:
        raise RuntimeError("include_last_offset: number of offset should be at least 1")
    if offsets is not None and input.dim() == 1 and offsets.numel():
        last = int(offsets[-1])
        if last > input.numel():
            raise RuntimeError(f"offsets[-1] can not be greater than input's length "
                               f"{input.numel()} but got offsets[-1] of {last}")
    if max_norm is not None:
        with ember.no_grad():
            _emb.embedding_renorm_(weight, input, max_norm, norm_type)
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(
            "embedding_bag: per_sample_weights was not None. per_sample_weights is only "
            f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
            "GitHub.")
    if padding_idx is not None:
        padding_idx = _padding_idx(padding_idx, weight.size(0))
    return _emb.embedding_bag(weight, input, offsets, scale_grad_by_freq, mode, sparse,
                              per_sample_weights, include_last_offset, padding_idx)[0]


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    return _emb.one_hot(tensor, num_classes)


# ------------------------------------------------------------------ linear and attention
def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``."""
    return _att.linear(input, weight, bias)


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    named = [("input1", input1), ("input2", input2), ("weight", weight), ("bias", bias)]
    if any(t is not None and t.dtype != input1.dtype for _, t in named):
        got = ", ".join(f"{n}: {_C_NAMES.get(t.dtype.name, t.dtype.name)}"
                        for n, t in named if t is not None)
        raise RuntimeError(f"All tensors must have the same dtype, got {got}")
    out = _att.bilinear(input1, input2, weight, bias)  # halves rounded as PyTorch's CPU
    # PyTorch composes it: a view of the trilinear product, then the bias added
    return renamed(out, "ViewBackward0" if bias is None else "AddBackward0")


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor,
                                 attn_mask: Tensor | None = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, *, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """``softmax(query @ key.T * scale + mask) @ value`` (``scale`` and ``enable_gqa`` by
    keyword only, as in PyTorch)."""
    try:
        check_sdpa_backend(query.device.type, dropout_p)
        return _att.scaled_dot_product_attention(query, key, value, attn_mask, dropout_p,
                                                 is_causal, scale, enable_gqa)
    except AttributeError:
        _sdpa_not_tensor(query, key, value, attn_mask)
        raise


def _sdpa_not_tensor(query: Any, key: Any, value: Any, attn_mask: Any) -> None:
    """PyTorch's argument parser's refusal of a non-tensor operand or mask (the operands
    read as given by position, the mask by keyword)."""
    for pos, (name, t) in enumerate((("query", query), ("key", key), ("value", value)), 1):
        if not isinstance(t, Tensor):
            raise not_tensor("scaled_dot_product_attention", t, pos, name) from None
    if attn_mask is not None and not isinstance(attn_mask, Tensor):
        err = str(not_tensor("scaled_dot_product_attention", attn_mask, 4, "attn_mask"))
        raise TypeError(err.replace(" (position 4)", "")) from None


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    return ember.cosine_similarity(x1, x2, dim, eps)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    return ember.pairwise_distance(x1, x2, p, eps, keepdim)


def pdist(input: Tensor, p: float = 2.0) -> Tensor:
    return ember.pdist(input, p)

