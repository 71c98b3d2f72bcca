"""Pre-trained weights (``Weights``, ``WeightsEnum``) and the model registry
(``register_model``, ``list_models``, ``get_model``, ``get_model_weights``, ``get_weight``).

Named weights load through ``ember.hub.load_state_dict_from_url`` into
``ember.hub.get_dir()/checkpoints``. Ember's addition: every builder's ``weights=`` also
accepts the path of a local checkpoint (a PyTorch ``.pth``/``.pt`` or a ``.safetensors``).
"""

from __future__ import annotations

import fnmatch
import importlib
import inspect
import os
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum
from functools import partial
from types import ModuleType
from typing import Any

__all__ = ["WeightsEnum", "Weights", "LocalWeights", "get_model", "get_model_builder",
           "get_model_weights", "get_weight", "list_models", "register_model"]

_CHECKPOINT_SUFFIXES = (".pth", ".pt", ".pkl", ".bin", ".ckpt", ".safetensors", ".tar")


@dataclass
class Weights:
    """A set of pre-trained weights: where to get them (``url``), how to prepare inputs for
    them (``transforms``, a constructor of the preset) and what they are (``meta``)."""

    url: str
    transforms: Callable
    meta: dict[str, Any]

    def __eq__(self, other: Any) -> bool:
        # partials compare by identity, which breaks copy/deepcopy/pickle of enum members
        if not isinstance(other, Weights):
            return NotImplemented
        if self.url != other.url or self.meta != other.meta:
            return False
        a, b = self.transforms, other.transforms
        if isinstance(a, partial) and isinstance(b, partial):
            return a.func == b.func and a.args == b.args and a.keywords == b.keywords
        return a == b


class LocalWeights:
    """A checkpoint file given to a builder as ``weights="path/to/file"`` (Ember's addition)."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = os.fspath(path)
        self.url = self.path
        self.meta: dict[str, Any] = {}
        self.transforms = None

    def get_state_dict(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """The state dict in the file (unwrapping a ``{"state_dict": ...}`` or
        ``{"model": ...}`` training checkpoint)."""
        if not os.path.isfile(self.path):
            raise FileNotFoundError(f"weights file {self.path!r} does not exist")
        if self.path.endswith(".safetensors"):
            from ember.serialization import load_file

            return load_file(self.path)
        import ember

        obj = ember.load(self.path, map_location="cpu")
        if isinstance(obj, dict) and not any(isinstance(v, ember.Tensor) for v in obj.values()):
            for key in ("state_dict", "model_state_dict", "model"):
                if isinstance(obj.get(key), dict):
                    return obj[key]
        return obj

    def __repr__(self) -> str:
        return f"LocalWeights({self.path!r})"


def _looks_like_path(s: str) -> bool:
    return (os.sep in s or "/" in s or s.lower().endswith(_CHECKPOINT_SUFFIXES)
            or os.path.isfile(s))


class WeightsEnum(Enum):
    """Base class of every model's weights enum; each member's value is a :class:`Weights`."""

    @classmethod
    def verify(cls, obj: Any) -> Any:
        """``obj`` as a member of this enum: a member, its name (``"IMAGENET1K_V1"``,
        ``"DEFAULT"``, ``"ResNet18_Weights.DEFAULT"``) or None; a path to a checkpoint file
        gives a :class:`LocalWeights`."""
        if obj is None or isinstance(obj, LocalWeights):
            return obj
        if isinstance(obj, os.PathLike):
            return LocalWeights(obj)
        if type(obj) is str:
            name = obj.replace(cls.__name__ + ".", "")
            if name in cls.__members__:
                return cls[name]
            if _looks_like_path(obj):
                return LocalWeights(obj)
            return cls[name]  # KeyError, as torchvision raises
        if not isinstance(obj, cls):
            raise TypeError(f"Invalid Weight class provided; expected {cls.__name__} but "
                            f"received {obj.__class__.__name__}.")
        return obj

    def get_state_dict(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Load the weights from the hub cache, downloading them there first if needed."""
        from ember.hub import load_state_dict_from_url

        return load_state_dict_from_url(self.url, *args, **kwargs)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}.{self._name_}"

    @property
    def url(self) -> str:
        return self.value.url

    @property
    def transforms(self) -> Callable:
        return self.value.transforms

    @property
    def meta(self) -> dict[str, Any]:
        meta = self.value.meta
        order = _meta_order(self.__class__.__name__, "license" in meta)
        if order is not None and list(meta)[:len(order)] != order:
            moved = {k: meta.pop(k) for k in order if k in meta}
            rest = dict(meta)
            meta.clear()
            meta.update(moved)
            meta.update(rest)  # the dict itself stays: users may hold it
        return meta


# the order torchvision's meta dicts list their leading keys in, per family of weights
_META_ORDERS: tuple[tuple[tuple[str, ...], bool | None, list[str]], ...] = (
    (("AlexNet", "GoogLeNet", "Inception_V3", "MobileNet_V2"), None,
     ["num_params", "min_size", "categories", "recipe"]),
    (("ConvNeXt", "DenseNet", "VGG"), None,
     ["min_size", "categories", "recipe", "_docs", "num_params"]),
    (("EfficientNet",), None, ["categories", "min_size", "recipe", "num_params"]),
    (("MNASNet", "ShuffleNet"), None, ["min_size", "categories", "recipe", "num_params"]),
    (("SqueezeNet",), None, ["categories", "recipe", "_docs", "min_size", "num_params"]),
    (("ViT",), True, ["categories", "recipe", "license", "num_params", "min_size"]),
    (("MaxVit", "Swin", "ViT"), None, ["categories", "num_params", "min_size", "recipe"]),
    (("RegNet",), True, ["min_size", "categories", "recipe", "license", "num_params"]),
    (("MobileNet_V3", "RegNet", "ResNe", "Wide_ResNet"), None,
     ["min_size", "categories", "num_params", "recipe"]),
)


def _meta_order(enum_name: str, has_license: bool) -> list[str] | None:
    for prefixes, license_, order in _META_ORDERS:
        if enum_name.startswith(prefixes) and license_ in (None, has_license):
            return order
    return None


def get_weight(name: str) -> WeightsEnum:
    """The weights enum member named like ``"ResNet50_Weights.IMAGENET1K_V1"``."""
    try:
        enum_name, value_name = name.split(".")
    except ValueError:
        raise ValueError(f"Invalid weight name provided: '{name}'.") from None
    models = importlib.import_module(__name__.rsplit(".", 1)[0])
    found = getattr(models, enum_name, None)
    if not (isinstance(found, type) and issubclass(found, WeightsEnum)):
        raise ValueError(f"The weight enum '{enum_name}' for the specific method couldn't be "
                         f"retrieved.")
    return found[value_name]


def get_model_weights(name: Callable | str) -> type[WeightsEnum]:
    """The weights enum class of a model builder (given itself or its registered name)."""
    fn = get_model_builder(name) if isinstance(name, str) else name
    return _get_enum_from_fn(fn)


def _get_enum_from_fn(fn: Callable) -> type[WeightsEnum]:
    sig = inspect.signature(fn)
    if "weights" not in sig.parameters:
        raise ValueError("The method is missing the 'weights' argument.")
    ann = sig.parameters["weights"].annotation
    if isinstance(ann, str):  # postponed annotations: resolve in the builder's module
        ann = typing.get_type_hints(fn).get("weights", ann)
    for t in (ann, *typing.get_args(ann)):
        if isinstance(t, type) and issubclass(t, WeightsEnum):
            return t
    raise ValueError("The WeightsEnum class for the specific method couldn't be retrieved. "
                     "Make sure the typing info is correct.")


BUILTIN_MODELS: dict[str, Callable[..., Any]] = {}


def register_model(name: str | None = None) -> Callable[[Callable], Callable]:
    """Decorator that registers a model builder under ``name`` (default: its own name)."""
    def wrapper(fn: Callable) -> Callable:
        key = name if name is not None else fn.__name__
        if key in BUILTIN_MODELS:
            raise ValueError(f"An entry is already registered under the name '{key}'.")
        BUILTIN_MODELS[key] = fn
        return fn

    return wrapper


def list_models(module: ModuleType | None = None, include: Iterable[str] | str | None = None,
                exclude: Iterable[str] | str | None = None) -> list[str]:
    """Sorted names of the registered models, optionally of one package (``module``) and
    filtered by fnmatch patterns: the union of ``include``, minus any of ``exclude``."""
    names = {k for k, v in BUILTIN_MODELS.items()
             if module is None or v.__module__.rsplit(".", 1)[0] == module.__name__}
    chosen = names
    if include:
        chosen = set()
        for pattern in [include] if isinstance(include, str) else include:
            chosen |= set(fnmatch.filter(names, pattern))
    if exclude:
        for pattern in [exclude] if isinstance(exclude, str) else exclude:
            chosen -= set(fnmatch.filter(names, pattern))
    return sorted(chosen)


def get_model_builder(name: str) -> Callable[..., Any]:
    """The builder registered under ``name``."""
    try:
        return BUILTIN_MODELS[name.lower()]
    except KeyError:
        raise ValueError(f"Unknown model {name.lower()}") from None


def get_model(name: str, **config: Any) -> Any:
    """Build the model registered under ``name`` with ``config`` as keyword arguments."""
    return get_model_builder(name)(**config)
