"""``ember.special``: special functions, as in ``torch.special``.

All of them are Ember ops with derivatives, computed with NumPy-only kernels
(``ember/ops/_special_kernels.py``); SciPy is not needed.
"""

from __future__ import annotations

from typing import Any

from ._tensor import Tensor
from .ops import pointwise_binary as _binary
from .ops import pointwise_unary as _unary
from .ops import reduction as _reduction
from .ops import special_ops as _special
from .ops._dispatch import renamed as _renamed
from .ops.softmax import log_softmax as _log_softmax
from .ops.softmax import softmax as _softmax

__all__ = ["erf", "erfc", "erfcx", "erfinv", "expit", "logit", "xlogy", "xlog1py", "gammaln",
           "digamma", "psi", "polygamma", "multigammaln", "i0", "i0e", "i1", "i1e",
           "log_softmax", "softmax", "logsumexp", "ndtr", "ndtri", "log_ndtr", "sinc", "entr",
           "round", "expm1", "exp2", "log1p", "zeta"]

erf = _special.erf
erfc = _special.erfc
erfcx = _special.erfcx
erfinv = _special.erfinv
gammaln = _special.lgamma
digamma = psi = _special.digamma
polygamma = _special.polygamma
i0 = _special.i0
i0e = _special.i0e
i1 = _special.i1
i1e = _special.i1e
ndtr = _special.ndtr
ndtri = _special.ndtri
log_ndtr = _special.log_ndtr
entr = _special.entr
xlog1py = _special.xlog1py
zeta = _special.zeta
expit = _unary.sigmoid
logit = _unary.logit
sinc = _unary.sinc
expm1 = _unary.expm1
exp2 = _unary.exp2
log1p = _unary.log1p
xlogy = _binary.xlogy
logsumexp = _reduction.logsumexp


def round(input: Tensor, *, decimals: int = 0, out: Tensor | None = None) -> Tensor:  # noqa: A001
    """Rounds half to even (floating inputs only, as ``torch.special.round``)."""
    if isinstance(input, Tensor) and input._data.dtype.kind in "biu":
        raise _unary.not_implemented("round_vml_cpu", input._data.dtype)
    res = _unary.round(input, decimals=decimals, out=out)
    # PyTorch's special.round always calls round.decimals, whose graph node is RoundBackward1
    return _renamed(res, "RoundBackward1") if out is None else res


def multigammaln(input: Tensor, p: int, *, out: Tensor | None = None) -> Tensor:
    """The multivariate log-gamma function of dimension ``p``."""
    if not isinstance(input, Tensor):
        raise _unary.not_tensor("special_multigammaln", input)
    return _special.mvlgamma(input, p, out=out)


def softmax(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``dim``."""
    return _softmax(input, dim, dtype=dtype)


def log_softmax(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """``x - logsumexp(x)`` along ``dim``."""
    return _log_softmax(input, dim, dtype=dtype)


from .ops import special_bessel as _bessel  # noqa: E402
from .ops import special_gamma as _gamma  # noqa: E402

gammainc = _gamma.gammainc
gammaincc = _gamma.gammaincc
for _name in _bessel.SPECIAL_ONLY:
    globals()[_name] = getattr(_bessel, _name)
del _name
__all__ += ["gammainc", "gammaincc"] + list(_bessel.SPECIAL_ONLY)
