"""Mixins shared by several distributions: a location-scale constructor, parameters given
as ``probs`` or ``logits`` (one of them, the other computed lazily), and views of a wrapped
categorical or relaxed base distribution. Each goes before ``Distribution`` (or its
subclass) in the bases, so that its properties take precedence."""

from __future__ import annotations

from typing import Any

from .._tensor import Size, Tensor
from .utils import _batch_shape_of, broadcast_all, lazy_property, logits_to_probs, probs_to_logits

_Number = (int, float)


class _LocMean:
    """``mean`` and ``mode`` both equal to ``loc``."""

    loc: Tensor

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc


class _LocVector(_LocMean):
    """A multivariate ``loc`` with ``_matrix_shape``, the batch shape of (event x event)
    matrices."""

    _batch_shape: Size
    _event_shape: Size

    def _matrix_shape(self) -> tuple:
        return tuple(self._batch_shape) + tuple(self._event_shape) * 2


class _LocScale(_LocMean):
    """``__init__(loc, scale)``: both broadcast together (batch shape ``()`` when both are
    numbers)."""

    def __init__(self, loc: Any, scale: Any, validate_args: bool | None = None) -> None:
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(_batch_shape_of(self.loc, loc, scale),  # type: ignore[call-arg]
                         validate_args=validate_args)


class _ProbsOrLogits:
    """A distribution given by ``probs`` or ``logits``, not both: the one given is stored
    (and as ``_param``), the other computed lazily. ``_is_binary`` picks log-odds (sigmoid)
    or log-probabilities over the last dim (softmax)."""

    _is_binary = True
    _param: Tensor

    def _init_probs_or_logits(self, probs: Any, logits: Any, *others: Any) -> tuple:
        """Store ``probs`` or ``logits`` broadcast with ``others`` (which come first in the
        broadcast); return whether the given one was a Python number, and the broadcast
        ``others``."""
        _check_probs_or_logits(probs, logits)
        given = probs if probs is not None else logits
        *rest, param = broadcast_all(*others, given)
        setattr(self, "probs" if probs is not None else "logits", param)
        self._param = param
        return isinstance(given, _Number), rest

    def _expand_probs_or_logits(self, new: Any, param_shape: Any) -> None:
        """Set ``new``'s ``probs``/``logits`` (those already computed) and ``_param`` to
        this distribution's, expanded to ``param_shape``."""
        if "probs" in self.__dict__:
            new.probs = self.probs.expand(param_shape)
            new._param = new.probs
        if "logits" in self.__dict__:
            new.logits = self.logits.expand(param_shape)
            new._param = new.logits

    @lazy_property
    def logits(self) -> Tensor:
        return probs_to_logits(self.probs, is_binary=self._is_binary)

    @lazy_property
    def probs(self) -> Tensor:
        return logits_to_probs(self.logits, is_binary=self._is_binary)


class _ProbsLogits(_ProbsOrLogits):
    """``_ProbsOrLogits`` with ``param_shape``, the shape of the given parameter."""

    @property
    def param_shape(self) -> Size:
        return self._param.size()


def _check_probs_or_logits(probs: Any, logits: Any) -> None:
    if (probs is None) == (logits is None):
        raise ValueError("Either `probs` or `logits` must be specified, but not both.")


class _CategoricalView:
    """A distribution over a wrapped ``Categorical`` (``_categorical``): its ``probs``,
    ``logits`` and ``param_shape``; the event shape is the number of categories."""

    _categorical: Any

    def _init_categorical(self, validate_args: bool | None) -> None:
        """``Distribution.__init__`` with ``_categorical``'s batch shape."""
        super().__init__(self._categorical.batch_shape,  # type: ignore[call-arg]
                         self._categorical.param_shape[-1:], validate_args=validate_args)

    def _expand_categorical(self, cls: type, batch_shape: Any, _instance: Any,
                            **attrs: Any) -> Any:
        """``expand`` with the categorical expanded and ``attrs`` copied over."""
        new = self._get_checked_instance(cls, _instance)  # type: ignore[attr-defined]
        batch_shape = Size(batch_shape)
        for name, value in attrs.items():
            setattr(new, name, value)
        new._categorical = self._categorical.expand(batch_shape)
        super(cls, new).__init__(batch_shape, self.event_shape,  # type: ignore[attr-defined]
                                 validate_args=False)
        new._validate_args = self._validate_args  # type: ignore[attr-defined]
        return new

    @property
    def probs(self) -> Tensor:
        return self._categorical.probs

    @property
    def logits(self) -> Tensor:
        return self._categorical.logits

    @property
    def param_shape(self) -> Size:
        return self._categorical.param_shape


class _RelaxedView:
    """``temperature``, ``logits`` and ``probs`` of the relaxed ``base_dist``."""

    base_dist: Any

    @property
    def temperature(self) -> Tensor:
        return self.base_dist.temperature

    @property
    def logits(self) -> Tensor:
        return self.base_dist.logits

    @property
    def probs(self) -> Tensor:
        return self.base_dist.probs
