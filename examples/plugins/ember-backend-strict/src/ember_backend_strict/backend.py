"""The ``strict`` backend: Ember's ops over ``array_api_strict``, a strict Array-API namespace.

array_api_strict has the standard's functions only (no ``ufunc.at``, no stride tricks, no
``ndarray.reshape``/``.astype``/``.copy``, no ``dtype.kind``) and dtype objects of its own,
so it shows which parts of Ember need nothing but the Array API: creation, elementwise
arithmetic and comparisons, reductions, matmul, shape and view ops, indexing and autograd
through all of them. What needs more is declared below, by op name, and reported by the
conformance suite (``pytest --ember-backend=strict``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ember.backends import Backend

# Ops that use NumPy beyond the Array API (stride tricks, ufunc.at, np.pad, special
# functions) or array methods the Array API lacks, by PyTorch's names.
UNSUPPORTED_OPS = frozenset({
    # strided views: windows and arbitrary strides need NumPy's stride tricks
    "as_strided", "as_strided_scatter", "unfold", "diagonal", "diag", "diag_embed",
    "diagonal_scatter", "trace", "tril", "triu",
    # activations, softmax and the nn kernels written against NumPy
    "relu", "relu6", "gelu", "silu", "mish", "elu", "selu", "celu", "leaky_relu", "prelu",
    "rrelu", "glu", "softplus", "softsign", "hardtanh", "hardsigmoid", "hardswish",
    "hardshrink", "softshrink", "tanhshrink", "threshold", "logsigmoid", "softmax",
    "log_softmax", "softmin", "linear", "bilinear", "embedding", "embedding_bag", "one_hot",
    "dropout", "layer_norm", "batch_norm", "group_norm", "instance_norm", "rms_norm",
    "scaled_dot_product_attention", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
    "conv_transpose2d", "conv_transpose3d", "max_pool1d", "max_pool2d", "max_pool3d",
    "avg_pool1d", "avg_pool2d", "avg_pool3d", "adaptive_avg_pool2d", "adaptive_max_pool2d",
    "interpolate", "grid_sample", "mse_loss", "l1_loss", "smooth_l1_loss",
    "cross_entropy", "nll_loss", "binary_cross_entropy", "kl_div", "ctc_loss",
    # sorting and order statistics
    "sort", "argsort", "msort", "topk", "kthvalue", "median", "nanmedian", "mode",
    "quantile", "nanquantile", "unique", "unique_consecutive",
    # scans beyond cumsum/cumprod
    "cummax", "cummin", "logcumsumexp", "diff",
    # linear algebra beyond matmul
    "einsum", "tensordot", "inverse", "det", "slogdet", "svd", "svdvals", "cholesky", "qr",
    "eigh", "solve", "lstsq", "pinv", "matrix_norm", "vector_norm", "cdist",
    # gathering and scattering beyond gather/index_select/index_add/index_put
    "masked_select", "masked_scatter", "index_copy", "index_fill", "scatter",
    "scatter_reduce", "take", "searchsorted", "bucketize", "bincount", "histc",
    # pointwise functions the Array API lacks, and complex views
    "fmod", "atan2", "lerp", "erf", "erfc", "erfinv", "lgamma", "digamma", "polygamma",
    "xlogy", "nan_to_num", "bitwise_not", "bitwise_left_shift", "bitwise_right_shift",
    "view_as_real", "view_as_complex",
    # random sampling beyond rand/randn/randint/randperm/multinomial
    "bernoulli",
    # fft
    "fft", "ifft", "rfft", "irfft", "fft2", "fftn",
})

# the Array API has no half precision; complex ops are not verified on this backend
SUPPORTED_DTYPES = frozenset({"bool", "uint8", "uint16", "uint32", "uint64", "int8", "int16",
                              "int32", "int64", "float32", "float64"})


class StrictBackend(Backend):
    """Device type ``strict``: one device, host memory, arrays from ``array_api_strict``."""

    type = "strict"
    numpy_like = False
    # slicing, reshape, permute_dims and expand_dims give views that write through to
    # their base (array_api_strict wraps NumPy arrays): Ember's views alias here too
    aliases = True
    unsupported_ops = UNSUPPORTED_OPS
    kernels: dict = {}

    def __init__(self) -> None:
        super().__init__()
        import array_api_strict

        self.xp = array_api_strict
        self.ndarray = type(array_api_strict.asarray(0))

    def supported_dtypes(self) -> frozenset[str]:
        return SUPPORTED_DTYPES

    def asarray(self, obj: Any, dtype: Any = None, index: int | None = None) -> Any:
        # a copy: the source is host memory that its owner keeps using
        return self.xp.asarray(obj, dtype=dtype, copy=True)

    def to_numpy(self, arr: Any) -> np.ndarray:
        return np.from_dlpack(arr, copy=True)

    def from_dlpack(self, obj: Any) -> Any:
        return self.xp.from_dlpack(obj)
