"""``functional_call``: run a module with some parameters and buffers swapped for others."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ember import Tensor

__all__ = ["functional_call"]


def _tied_groups(module: Any) -> list[list[str]]:
    """Names that refer to the same tensor (tied weights), in groups of two or more."""
    by_id: dict[int, list[str]] = {}
    for name, t in module.named_parameters(remove_duplicate=False):
        by_id.setdefault(id(t), []).append(name)
    for name, t in module.named_buffers(remove_duplicate=False):
        by_id.setdefault(id(t), []).append(name)
    return [names for names in by_id.values() if len(names) > 1]


def _owner(module: Any, name: str) -> tuple[Any, str]:
    prefix, _, attr = name.rpartition(".")
    return module.get_submodule(prefix), attr


def _swap(module: Any, name: str, value: Any) -> Any:
    mod, attr = _owner(module, name)
    for store in (mod._parameters, mod._buffers):
        if attr in store:
            old = store[attr]
            store[attr] = value
            return old
    old = getattr(mod, attr, None)
    object.__setattr__(mod, attr, value)
    return old


@contextlib.contextmanager
def _reparametrize_module(module: Any, tensors: dict[str, Tensor], tie_weights: bool = True,
                          strict: bool = False) -> Iterator[None]:
    tensors = dict(tensors)
    if tie_weights:
        for group in _tied_groups(module):
            given = [n for n in group if n in tensors]
            if len(given) > 1 and any(tensors[n] is not tensors[given[0]] for n in given):
                raise ValueError(f"functional_call got multiple values for keys {given}, which "
                                 "are tied. Consider using tie_weights=False")
            if given:
                for n in group:
                    tensors.setdefault(n, tensors[given[0]])
    if strict:
        known = ({n for n, _ in module.named_parameters(remove_duplicate=False)}
                 | {n for n, _ in module.named_buffers(remove_duplicate=False)})
        missing = sorted(known - set(tensors))
        unexpected = sorted(set(tensors) - known)
        msgs = []
        if unexpected:
            msgs.append("Unexpected key(s): {}.".format(", ".join(map(repr, unexpected))))
        if missing:
            msgs.append("Missing key(s): {}.".format(", ".join(map(repr, missing))))
        if msgs:
            raise RuntimeError(f"Error(s) in reparametrizing for {module._get_name()}:\n\t"
                               + "\n\t".join(msgs))
    originals = {}
    try:
        for name, value in tensors.items():
            originals[name] = _swap(module, name, value)
        yield
    finally:
        for name, value in originals.items():
            _swap(module, name, value)


def functional_call(module: Any, parameters_and_buffers: Any, args: Any = None,
                    kwargs: dict | None = None, *, tie_weights: bool = True,
                    strict: bool = False) -> Any:
    """``module(*args, **kwargs)`` with the named parameters and buffers replaced
    (deprecated, as in PyTorch: ``ember.func.functional_call`` is the same call)."""
    import warnings

    warnings.warn("`ember.nn.utils.stateless.functional_call` is deprecated as of PyTorch 2.0 "
                  "and will be removed in a future version of PyTorch. Please use "
                  "`ember.func.functional_call` instead which is a drop-in replacement.",
                  FutureWarning, stacklevel=2)
    parameter_and_buffer_dicts = parameters_and_buffers  # PyTorch's name; a list of dicts too
    if isinstance(parameter_and_buffer_dicts, Mapping):
        merged = dict(parameter_and_buffer_dicts)
    elif isinstance(parameter_and_buffer_dicts, Sequence):
        merged = {}
        for d in parameter_and_buffer_dicts:
            for k, v in d.items():
                if k in merged:
                    raise ValueError(f"{k} appeared in multiple dictionaries; behavior of "
                                     "functional call is ambiguous")
                merged[k] = v
    else:
        raise ValueError("Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of "
                         f"dicts, but got {type(parameter_and_buffer_dicts)}")
    if kwargs is None:
        kwargs = {}
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _reparametrize_module(module, merged, tie_weights=tie_weights, strict=strict):
        return module(*args, **kwargs)
