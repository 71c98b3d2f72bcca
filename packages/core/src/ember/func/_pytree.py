"""Nested tuples, lists, dicts and namedtuples of leaves, flattened and rebuilt."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _is_node(x: Any) -> bool:
    return isinstance(x, (tuple, list, dict))


def tree_flatten(tree: Any) -> tuple[list, Any]:
    """The leaves in order, and a spec to rebuild the structure from new leaves."""
    if isinstance(tree, dict):
        keys = list(tree)
        parts = [tree_flatten(tree[k]) for k in keys]
        return [x for lv, _ in parts for x in lv], ("dict", type(tree), keys,
                                                    [s for _, s in parts])
    if isinstance(tree, (tuple, list)):
        parts = [tree_flatten(v) for v in tree]
        return [x for lv, _ in parts for x in lv], ("seq", type(tree), None,
                                                    [s for _, s in parts])
    return [tree], None


def _count(spec: Any) -> int:
    return 1 if spec is None else sum(_count(s) for s in spec[3])


def tree_unflatten(leaves: list, spec: Any) -> Any:
    """The structure described by ``spec`` holding ``leaves``."""
    if spec is None:
        return leaves[0]
    kind, cls, keys, children = spec
    out, i = [], 0
    for child in children:
        n = _count(child)
        out.append(tree_unflatten(leaves[i:i + n], child))
        i += n
    if kind == "dict":
        return cls(zip(keys, out)) if cls is not dict else dict(zip(keys, out))
    if hasattr(cls, "_fields"):  # namedtuple
        return cls(*out)
    return cls(out)


def tree_map(fn: Callable, tree: Any) -> Any:
    leaves, spec = tree_flatten(tree)
    return tree_unflatten([fn(x) for x in leaves], spec)
