"""``functional_call`` and ``stack_module_state``: modules run on given parameters."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

_MISSING = object()


def _slot(module: Any, name: str) -> tuple[Any, str]:
    owner, _, leaf = name.rpartition(".")
    return (module.get_submodule(owner) if owner else module), leaf


@contextlib.contextmanager
def _swapped(module: Any, values: dict) -> Iterator[None]:
    """Parameters and buffers named in ``values`` replaced for the duration (any tensor)."""
    saved = []
    try:
        for name, value in values.items():
            sub, leaf = _slot(module, name)
            for store in ("_parameters", "_buffers"):
                d = getattr(sub, store, None)
                if d is not None and leaf in d:
                    saved.append((d, leaf, d[leaf]))
                    d[leaf] = value
                    break
            else:
                saved.append((sub, leaf, getattr(sub, leaf, _MISSING)))
                object.__setattr__(sub, leaf, value)
        yield
    finally:
        for owner, leaf, old in reversed(saved):
            if isinstance(owner, dict):
                owner[leaf] = old
            elif old is _MISSING:
                object.__delattr__(owner, leaf)
            else:
                object.__setattr__(owner, leaf, old)


def _named_tensors(module: Any) -> list:
    """Every ``(name, tensor)`` of ``module``'s parameters and buffers, tied ones under each
    of their names."""
    return (list(module.named_parameters(remove_duplicate=False))
            + list(module.named_buffers(remove_duplicate=False)))


def _untied(module: Any, values: dict) -> dict:
    """``values`` plus, for a tensor the module holds under several names (tied weights), each
    of its names mapped to the one value given for any of them, as PyTorch's tie_weights."""
    groups: dict[int, list[str]] = {}
    for name, t in _named_tensors(module):
        groups.setdefault(id(t), []).append(name)
    out = dict(values)
    for names in groups.values():
        given = [n for n in names if n in values]
        if len(names) < 2 or not given:
            continue
        if len({id(values[n]) for n in given}) > 1:
            raise ValueError(f"functional_call got multiple values for keys {sorted(names)}, "
                             "which are tied. Consider using tie_weights=False")
        for n in names:
            out[n] = values[given[0]]
    return out


def _check_keys(module: Any, values: dict) -> None:
    """``strict=True``: the given names must be exactly the module's (tied names included)."""
    expected = {n for n, _ in _named_tensors(module)}
    missing, unexpected = sorted(expected - set(values)), sorted(set(values) - expected)
    if missing or unexpected:
        parts = [f"{what} key(s): {', '.join(repr(k) for k in keys)}."
                 for what, keys in (("Unexpected", unexpected), ("Missing", missing)) if keys]
        raise RuntimeError(f"Error(s) in reparametrizing for {type(module).__name__}:\n\t"
                           + "\n\t".join(parts))


def _merged(dicts: Any) -> dict:
    """One name -> tensor dict from a dict or a list/tuple of dicts with distinct keys."""
    if isinstance(dicts, dict):
        return dict(dicts)
    if not isinstance(dicts, Sequence):
        raise ValueError("Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of "
                         f"dicts, but got {type(dicts)}")
    if not all(isinstance(d, dict) for d in dicts):
        raise ValueError("Expected all elements of parameter_and_buffer_dicts to be dictionaries")
    counts = Counter(k for d in dicts for k in d)
    repeated = [k for k, n in counts.items() if n > 1]
    if repeated:
        raise ValueError(f"{repeated} appeared in multiple dictionaries; behavior of functional "
                         "call is ambiguous")
    return {k: v for d in dicts for k, v in d.items()}


def functional_call(module: Any, parameter_and_buffer_dicts: Any, args: Any = None,
                    kwargs: dict | None = None, *, tie_weights: bool = True,
                    strict: bool = False) -> Any:
    """``module(*args, **kwargs)`` with its parameters/buffers replaced by the given tensors."""
    values = _merged(parameter_and_buffer_dicts)
    if tie_weights:  # a tensor shared by several names follows the one given for any of them
        values = _untied(module, values)
    if strict:
        _check_keys(module, values)
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _swapped(module, values):
        return module(*args, **(kwargs or {}))


def stack_module_state(models: Any) -> tuple[dict, dict]:
    """Parameters and buffers of identical modules, stacked along a new leading dimension."""
    models = list(models)
    if not models:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if not (all(m.training for m in models) or all(not m.training for m in models)):
        raise RuntimeError("stack_module_state: Expected all models to have the same training/"
                           "eval mode.")
    if any(type(m) is not type(models[0]) for m in models):
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")
    return (_stacked([dict(m.named_parameters()) for m in models]),
            _stacked([dict(m.named_buffers()) for m in models]))


def _stacked(dicts: list) -> dict:
    """Each entry stacked across the models: a new leaf that requires grad where they do."""
    from ..ops import stack

    out = {}
    for name in dicts[0]:
        tensors = [d[name] for d in dicts]
        rg = {t.requires_grad for t in tensors}
        if len(rg) > 1:
            raise RuntimeError(f"Expected {name} from each model to have the same "
                               ".requires_grad")
        out[name] = stack(tensors).detach().requires_grad_(rg.pop())
    return out
