"""Module hook plumbing: removable handles, the global hook tables, and ``BackwardHook``.

Full backward hooks see the gradients of a module's inputs and outputs. They are
implemented as PyTorch does: for each call, the tensors going in and the tensors
coming out are passed through one identity graph node each; a pre-hook on the
node of the outputs sees ``grad_output``, one on the node of the inputs sees
``grad_input``, and either may replace what flows on.
"""

from __future__ import annotations

import itertools
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from ember import Tensor
from ember.autograd import grad_mode
from ember.ops._dispatch import make, record_multi

__all__ = ["RemovableHandle", "BackwardHook", "register_module_forward_pre_hook",
           "register_module_forward_hook", "register_module_full_backward_pre_hook",
           "register_module_full_backward_hook", "register_module_backward_hook",
           "register_module_buffer_registration_hook",
           "register_module_module_registration_hook",
           "register_module_parameter_registration_hook"]


class RemovableHandle:
    """A handle whose ``remove()`` takes a hook out of the dicts it was added to."""

    _next_id = itertools.count()

    def __init__(self, hooks_dict: Any, *, extra_dict: Any = None) -> None:
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = next(RemovableHandle._next_id)
        extras = extra_dict if isinstance(extra_dict, (list, tuple)) else (
            [extra_dict] if extra_dict is not None else [])
        self.extra_dict_ref = tuple(weakref.ref(d) for d in extras)

    def remove(self) -> None:
        for ref in (self.hooks_dict_ref, *self.extra_dict_ref):
            d = ref()
            if d is not None and self.id in d:
                del d[self.id]

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()

    def __getstate__(self) -> tuple:
        return (self.hooks_dict_ref(), self.id)

    def __setstate__(self, state: tuple) -> None:
        self.hooks_dict_ref = weakref.ref(state[0] if state[0] is not None else OrderedDict())
        self.id = state[1]
        RemovableHandle._next_id = itertools.count(max(next(RemovableHandle._next_id), self.id + 1))
        self.extra_dict_ref = ()


def _add(store: OrderedDict, hook: Callable, prepend: bool = False,
         extra: Any = None) -> RemovableHandle:
    handle = RemovableHandle(store, extra_dict=extra)
    store[handle.id] = hook
    if prepend:
        store.move_to_end(handle.id, last=False)
    return handle


# global hooks, run for every module (PyTorch's torch.nn.modules.module.register_module_*)
_global_buffer_registration_hooks: OrderedDict = OrderedDict()
_global_module_registration_hooks: OrderedDict = OrderedDict()
_global_parameter_registration_hooks: OrderedDict = OrderedDict()
_global_backward_pre_hooks: OrderedDict = OrderedDict()
_global_backward_hooks: OrderedDict = OrderedDict()
_global_is_full_backward_hook: bool | None = None
_global_forward_pre_hooks: OrderedDict = OrderedDict()
_global_forward_hooks: OrderedDict = OrderedDict()
_global_forward_hooks_always_called: OrderedDict = OrderedDict()
_global_forward_hooks_with_kwargs: OrderedDict = OrderedDict()


def register_module_buffer_registration_hook(hook: Callable) -> RemovableHandle:
    """``hook(module, name, buffer)`` on every ``register_buffer``; may return a new buffer."""
    return _add(_global_buffer_registration_hooks, hook)


def register_module_module_registration_hook(hook: Callable) -> RemovableHandle:
    """``hook(module, name, submodule)`` on every submodule registration."""
    return _add(_global_module_registration_hooks, hook)


def register_module_parameter_registration_hook(hook: Callable) -> RemovableHandle:
    """``hook(module, name, param)`` on every ``register_parameter``."""
    return _add(_global_parameter_registration_hooks, hook)


def register_module_forward_pre_hook(hook: Callable) -> RemovableHandle:
    """``hook(module, args)`` before every module's forward."""
    return _add(_global_forward_pre_hooks, hook)


def register_module_forward_hook(hook: Callable, *, with_kwargs: bool = False,
                                 always_call: bool = False) -> RemovableHandle:
    """``hook(module, args, output)`` after every module's forward."""
    handle = _add(_global_forward_hooks, hook,
                  extra=[_global_forward_hooks_always_called, _global_forward_hooks_with_kwargs])
    if always_call:
        _global_forward_hooks_always_called[handle.id] = True
    if with_kwargs:
        _global_forward_hooks_with_kwargs[handle.id] = True
    return handle


def register_module_backward_hook(hook: Callable) -> RemovableHandle:
    """Deprecated: use ``register_module_full_backward_hook``."""
    global _global_is_full_backward_hook
    if _global_is_full_backward_hook is True:
        raise RuntimeError("Cannot use both regular backward hooks and full backward hooks as a "
                           "global Module hook. Please use only one of them.")
    _global_is_full_backward_hook = False
    return _add(_global_backward_hooks, hook)


def register_module_full_backward_pre_hook(hook: Callable) -> RemovableHandle:
    """``hook(module, grad_output)`` before every module's input gradients are computed."""
    return _add(_global_backward_pre_hooks, hook)


def register_module_full_backward_hook(hook: Callable) -> RemovableHandle:
    """``hook(module, grad_input, grad_output)`` once every module's input gradients exist."""
    global _global_is_full_backward_hook
    if _global_is_full_backward_hook is False:
        raise RuntimeError("Cannot use both regular backward hooks and full backward hooks as a "
                           "global Module hook. Please use only one of them.")
    _global_is_full_backward_hook = True
    return _add(_global_backward_hooks, hook)


def _tensor_slots(value: Any) -> tuple[list[int], list[Tensor]]:
    """Positions and tensors of a forward's arguments or result (a tensor or a flat tuple)."""
    items = (value,) if isinstance(value, Tensor) else tuple(value)
    idx = [i for i, v in enumerate(items) if isinstance(v, Tensor)]
    return idx, [items[i] for i in idx]


def _identity(tensors: list[Tensor]) -> list[Tensor]:
    """The same tensors through one identity node (the one the hooks are attached to)."""
    outs = []
    for t in tensors:
        o = make(t._data, t._device)
        o._vc = t._vc
        outs.append(o)
    return list(record_multi("BackwardHookFunctionBackward", outs, tensors,
                             lambda grads: tuple(grads)))


class BackwardHook:
    """Runs a module's full backward (pre-)hooks for one forward call."""

    def __init__(self, module: Any, user_hooks: list, user_pre_hooks: list) -> None:
        self.module = module
        self.user_hooks = user_hooks
        self.user_pre_hooks = user_pre_hooks
        self.grad_outputs: tuple | None = None
        self.n_inputs = 0
        self.input_live: list[int] | None = None

    def _route(self, value: Any, on_grads: Callable) -> Any:
        """Pass the tensors of ``value`` that require grad through an identity node."""
        single = isinstance(value, Tensor)
        if not single and not isinstance(value, (tuple, list)):
            return value, 0, None
        idx, tensors = _tensor_slots(value)
        live = [k for k, t in enumerate(tensors) if t.requires_grad]
        if not live or not grad_mode.state.enabled:
            return value, len(tensors), None
        routed = _identity([tensors[k] for k in live])
        n = len(tensors)

        def prehook(grads: tuple) -> tuple | None:
            full = [None] * n
            for k, g in zip(live, grads):
                full[k] = g
            res = on_grads(tuple(full))
            if res is None:
                return None
            return tuple(res[k] for k in live)

        routed[0].grad_fn.register_prehook(prehook)
        if single:
            return routed[0], n, live
        items = list(value)
        for k, r in zip(live, routed):
            items[idx[k]] = r
        return (items if isinstance(value, list) else tuple(items)), n, live

    def setup_input_hook(self, args: tuple) -> tuple:
        new_args, self.n_inputs, self.input_live = self._route(args, self._on_grad_input)
        return new_args

    def setup_output_hook(self, result: Any) -> Any:
        new_result, _, _ = self._route(result, self._on_grad_output)
        return new_result

    def _check(self, res: Any, expected: int, what: str) -> tuple:
        if not isinstance(res, (tuple, list)):
            res = (res,)
        if len(res) != expected:
            raise RuntimeError(f"Backward {what} hook returned an invalid number of grad_"
                               f"{'output' if what == 'pre' else 'input'}, got {len(res)}, but "
                               f"expected {expected}")
        return tuple(res)

    def _on_grad_output(self, grad_output: tuple) -> tuple | None:
        changed = False
        for hook in self.user_pre_hooks:
            res = hook(self.module, grad_output)
            if res is not None:
                grad_output = self._check(res, len(grad_output), "pre")
                changed = True
        self.grad_outputs = grad_output
        if self.input_live is None:  # no input requires grad: the input hook never fires
            grad_inputs = (None,) * self.n_inputs
            for hook in self.user_hooks:
                res = hook(self.module, grad_inputs, self.grad_outputs)
                if res is not None and not all(r is None for r in res):
                    raise RuntimeError(
                        "Backward hook for Modules where no input requires gradient should "
                        "always return None or None for all gradients.")
            self.grad_outputs = None
        return grad_output if changed else None

    def _on_grad_input(self, grad_input: tuple) -> tuple | None:
        changed = False
        for hook in self.user_hooks:
            res = hook(self.module, grad_input, self.grad_outputs)
            if res is not None:
                grad_input = self._check(res, len(grad_input), "")
                changed = True
        self.grad_outputs = None
        return grad_input if changed else None
