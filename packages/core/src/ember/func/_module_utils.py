"""``functionalize`` and ``replace_all_batch_norm_modules_``: torch.func's helpers that
prepare code for function transforms."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

_REMOVE = ("mutations", "mutations_and_views")


def functionalize(func: Callable, *, remove: str = "mutations") -> Callable:
    """``func`` with mutations removed. Ember runs eagerly and traces nothing, so the
    result is ``func`` itself behind a wrapper: inputs mutated by ``func`` are still updated
    afterwards and the outputs are the same, which is all a caller of PyTorch's version
    observes."""
    if remove not in _REMOVE:
        raise RuntimeError(
            f"functionalize(f, remove='mutations'): received invalid argument for remove="
            f"{remove}. Valid options are:\n     remove='mutations': all inplace and out= "
            "operators will be removed from the program, and replaced with their out-of-place "
            "equivalents.\n     remove='mutations_and_views': In addition to the above, all "
            "aliasing operators {view} will be replaced with their non-aliasing counterparts, "
            "{view}_copy.\n")

    @functools.wraps(func)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    return wrapped


def _is_batch_norm(module: Any) -> bool:
    nn = sys.modules.get("ember.nn")  # a Module exists only once ember.nn is imported
    return nn is not None and isinstance(module, nn.modules.batchnorm._BatchNorm)


def replace_all_batch_norm_modules_(root: Any) -> Any:
    """Stop every BatchNorm module in ``root`` (``root`` included) from tracking running
    statistics, in place: ``running_mean``, ``running_var`` and ``num_batches_tracked``
    become None and ``track_running_stats`` False, so that ``vmap`` over a model does not
    write batched statistics into shared buffers. Returns ``root``."""
    for module in root.modules():
        if _is_batch_norm(module) and module.track_running_stats:
            module.running_mean = None
            module.running_var = None
            module.num_batches_tracked = None
            module.track_running_stats = False
    return root
