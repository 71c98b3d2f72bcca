"""Helpers the model builders share."""

from __future__ import annotations

import warnings
from collections import OrderedDict
from typing import Any

from ember import nn

from ._api import WeightsEnum

__all__ = ["IntermediateLayerGetter", "_make_divisible", "_ovewrite_named_param",
           "_ovewrite_value_param", "_verify", "_apply_weights_config", "_load_weights"]


class IntermediateLayerGetter(nn.ModuleDict):
    """The direct children of ``model`` up to the last one named in ``return_layers``, run
    in order; ``forward`` returns an OrderedDict {new name: output} of the named ones.

    Only children registered in the order they run work (as in torchvision): the model's
    own ``forward`` is not used."""

    _version = 2

    def __init__(self, model: nn.Module, return_layers: dict[str, str]) -> None:
        children = [name for name, _ in model.named_children()]
        if not set(return_layers).issubset(children):
            raise ValueError("return_layers are not present in model")
        remaining = set(return_layers)
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        for name, module in model.named_children():
            layers[name] = module
            remaining.discard(name)
            if not remaining:
                break
        super().__init__(layers)
        self.return_layers = return_layers

    def forward(self, x: Any) -> OrderedDict[str, Any]:
        out: OrderedDict[str, Any] = OrderedDict()
        for name, module in self.items():
            x = module(x)
            if name in self.return_layers:
                out[self.return_layers[name]] = x
        return out


def _make_divisible(v: float, divisor: int, min_value: int | None = None) -> int:
    """Round ``v`` to a multiple of ``divisor`` (at least ``min_value``), never going more
    than 10% below it (MobileNet's channel rule)."""
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def _ovewrite_named_param(kwargs: dict[str, Any], param: str, new_value: Any) -> None:
    if param in kwargs:
        if kwargs[param] != new_value:
            raise ValueError(f"The parameter '{param}' expected value {new_value} but got "
                             f"{kwargs[param]} instead.")
    else:
        kwargs[param] = new_value


def _ovewrite_value_param(param: str, actual: Any, expected: Any) -> Any:
    if actual is not None and actual != expected:
        raise ValueError(f"The parameter '{param}' expected value {expected} but got {actual} "
                         f"instead.")
    return expected


def _apply_weights_config(weights: Any, kwargs: dict[str, Any]) -> None:
    """Named weights fix ``num_classes`` to their number of categories."""
    if isinstance(weights, WeightsEnum) and weights.meta.get("categories") is not None:
        _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))


def _load_weights(model: Any, weights: Any, progress: bool) -> Any:
    """Load ``weights`` (an enum member or a local checkpoint) into ``model``, strictly."""
    if weights is not None:
        model.load_state_dict(weights.get_state_dict(progress=progress, check_hash=True))
    return model


def _verify(enum: type[WeightsEnum], weights: Any, kwargs: dict[str, Any]) -> Any:
    """``enum.verify(weights)``, also accepting torchvision's deprecated ``pretrained=True``
    (the enum's IMAGENET1K_V1, else its DEFAULT) and ``pretrained=False`` in ``kwargs``."""
    if "pretrained" in kwargs:
        pretrained = kwargs.pop("pretrained")
        warnings.warn("The parameter 'pretrained' is deprecated since 0.13 and may be removed in "
                      "the future, please use 'weights' instead.", UserWarning, stacklevel=3)
        if weights is not None:
            raise ValueError("The parameter 'pretrained' is deprecated and can't be used "
                             "together with 'weights'.")
        if pretrained:
            weights = enum.__members__.get("IMAGENET1K_V1", enum.DEFAULT)
        warnings.warn("Arguments other than a weight enum or `None` for 'weights' are deprecated "
                      "since 0.13 and may be removed in the future. The current behavior is "
                      f"equivalent to passing `weights={weights!r}`.", UserWarning, stacklevel=3)
    return enum.verify(weights)
