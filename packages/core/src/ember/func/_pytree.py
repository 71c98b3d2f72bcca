"""The pytree helpers ``ember.func``'s transforms use: those of ``ember.utils._pytree``
(``torch.utils._pytree``'s API), re-exported so both agree on what is a node."""

from __future__ import annotations

from ..utils._pytree import (
    TreeSpec,
    tree_flatten,
    tree_leaves,
    tree_map,
    tree_structure,
    tree_unflatten,
    treespec_pprint,
)

__all__ = ["TreeSpec", "tree_flatten", "tree_leaves", "tree_map", "tree_structure",
           "tree_unflatten", "treespec_pprint"]
