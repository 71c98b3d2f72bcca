"""Shared metadata of the pre-trained weights: ImageNet's 1000 category names (read from
``imagenet_categories.txt`` next to this file) and a constructor for ImageNet-1K entries."""

from __future__ import annotations

import math
from functools import partial
from pathlib import Path
from typing import Any

from ._api import Weights
from ._presets import ImageClassification, InterpolationMode

__all__ = ["_IMAGENET_CATEGORIES", "_imagenet", "_REF", "_TV", "_NAN", "_SWAG_LICENSE",
           "InterpolationMode"]

_IMAGENET_CATEGORIES: list[str] = (
    Path(__file__).with_name("imagenet_categories.txt").read_text(encoding="utf-8").splitlines())

_TV = "https://github.com/pytorch/vision/"
_REF = _TV + "tree/main/references/classification"
_SWAG_LICENSE = "https://github.com/facebookresearch/SWAG/blob/main/LICENSE"
_NAN = math.nan
_DOCS = {
    _REF: "These weights reproduce closely the results of the paper using a simple training "
          "recipe.",
    _TV + "issues/3995": "These weights improve upon the results of the original paper by "
                         "using TorchVision's new training recipe.",
    "https://github.com/facebookresearch/SWAG": "These weights are learnt via transfer learning "
                                                "from the SWAG weakly-supervised pre-training.",
}


def _imagenet(url: str, *, crop_size: int, num_params: int, min_size: tuple[int, int],
              acc: tuple[float, float], ops: float, file_size: float, recipe: str,
              resize_size: int | None = None, interpolation: Any = None,
              mean: tuple[float, ...] | None = None, std: tuple[float, ...] | None = None,
              license: str | None = None, categories: Any = _IMAGENET_CATEGORIES,
              docs: str | None = None) -> Weights:
    """One ImageNet-1K weights entry: its URL, its preset (only the arguments that differ
    from ImageClassification's defaults are bound, as torchvision does) and its meta."""
    preset: dict[str, Any] = {"crop_size": crop_size}
    for key, value in (("resize_size", resize_size), ("interpolation", interpolation),
                       ("mean", mean), ("std", std)):
        if value is not None:
            preset[key] = value
    meta: dict[str, Any] = {"categories": categories, "num_params": num_params,
                            "min_size": min_size, "recipe": recipe}
    if license is not None:
        meta["license"] = license
    meta["_metrics"] = {"ImageNet-1K": {"acc@1": acc[0], "acc@5": acc[1]}}
    meta["_ops"] = ops
    meta["_file_size"] = file_size
    if docs is None:
        docs = next((d for k, d in _DOCS.items() if recipe.startswith(k)),
                    "These weights were ported from the original implementation.")
    meta["_docs"] = docs
    return Weights(url=url, transforms=partial(ImageClassification, **preset), meta=meta)
