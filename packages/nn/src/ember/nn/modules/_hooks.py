"""Module hook plumbing: removable handles, the global hook tables, and ``BackwardHook``.

Full backward hooks see the gradients of a module's inputs and outputs. They are
implemented as PyTorch does: for each call, the tensors going in and the tensors
coming out are passed through one identity graph node each; a pre-hook on the
node of the outputs sees ``grad_output``, one on the node of the inputs sees
``grad_input``, and either may replace what flows on.
"""

from __future__ import annotations

import warnings
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from ember import Tensor
from ember._stacklevel import user_stacklevel
from ember.autograd import grad_mode
from ember.autograd.graph import RemovableHandle as _CoreHandle
from ember.ops._dispatch import make, record_multi
from ember.ops.shape import custom_function_view_guard, make_view

__all__ = ["RemovableHandle", "BackwardHook", "warn_non_full_backward_hook",
           "register_module_forward_pre_hook", "register_module_forward_hook",
           "register_module_full_backward_pre_hook", "register_module_full_backward_hook",
           "register_module_backward_hook",
           "register_module_buffer_registration_hook",
           "register_module_module_registration_hook",
           "register_module_parameter_registration_hook"]


class RemovableHandle(_CoreHandle):
    """A handle whose ``remove()`` takes a hook out of the dicts it was added to (a subclass of
    ``ember.utils.hooks.RemovableHandle``, as module hooks return PyTorch's one handle class)."""

    __module__ = "ember.utils.hooks"

    def __init__(self, hooks_dict: Any, *, extra_dict: Any = None) -> None:
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = _CoreHandle.next_id  # the count tensor hooks share
        _CoreHandle.next_id += 1
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
        _CoreHandle.next_id = max(_CoreHandle.next_id, self.id + 1)
        self.extra_dict_ref = ()

    def __reduce__(self) -> tuple:
        # pickled by a function here: the name it shows, ember.utils.hooks.RemovableHandle, is
        # the core class (a lazy module, which keeps its hook handles, must pickle)
        return (_restore_handle, (self.__getstate__(),))


def _restore_handle(state: tuple) -> RemovableHandle:
    handle = RemovableHandle.__new__(RemovableHandle)
    handle.__setstate__(state)
    return handle


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


def _identity(tensors: list[Tensor]) -> list[Tensor]:
    """The same tensors through one identity node (the one the hooks are attached to): views
    of them that refuse in-place writes, as PyTorch's ``BackwardHookFunction`` outputs."""
    outs = [make_view(t, t._data, custom_function_view_guard("BackwardHookFunction", i))
            for i, t in enumerate(tensors)]
    return list(record_multi("BackwardHookFunctionBackward", outs, tensors,
                             lambda grads: tuple(grads)))


def _zeros_like(t: Tensor) -> Tensor:
    return make(t._device._backend.xp.zeros(t._data.shape, dtype=t._data.dtype), t._device)


class BackwardHook:
    """Runs a module's full backward (pre-)hooks for one forward call.

    As in PyTorch: ``grad_input`` has one entry per positional argument (None for
    non-tensors, zeros for tensors no gradient reached); ``grad_output`` one per output (a
    tuple's items, else the one result), None where no gradient came; the hooks fire only
    when a gradient passes through the module's outputs.
    """

    def __init__(self, module: Any, user_hooks: list, user_pre_hooks: list) -> None:
        self.module = module
        self.user_hooks = user_hooks
        self.user_pre_hooks = user_pre_hooks
        self.grad_outputs: tuple | None = None
        self.n_inputs = self.n_outputs = -1
        self.input_index: list[int] | None = None
        self.output_index: list[int] | None = None

    @staticmethod
    def _route(values: tuple) -> tuple[tuple, list[int] | None, list[int], Any]:
        """Pass the tensors of ``values`` that require grad through one identity node: the
        new values, the tensors' positions (None: no hook), the routed ones among them, and
        the node."""
        idx = [i for i, v in enumerate(values) if isinstance(v, Tensor)]
        live = [k for k, i in enumerate(idx) if values[i].requires_grad]
        if not live or not grad_mode.state.enabled:
            return values, None, [], None
        routed = _identity([values[idx[k]] for k in live])
        items = list(values)
        for k, r in zip(live, routed):
            items[idx[k]] = r
        new = tuple(items) if type(values) is tuple else type(values)(*items)
        return new, idx, live, routed[0].grad_fn

    def setup_input_hook(self, args: tuple) -> tuple:
        new_args, self.input_index, live, node = self._route(args)
        self.n_inputs = len(args)
        if node is not None:
            tensors = [args[i] for i in self.input_index]
            def hook(gins: tuple, gouts: tuple) -> tuple | None:  # PyTorch's hook's name
                return self._on_grad_input(tensors, live, gins)

            node.register_hook(hook)
        return new_args

    def setup_output_hook(self, result: Any) -> Any:
        single = not isinstance(result, tuple)
        if single and not isinstance(result, Tensor):
            warnings.warn("For backward hooks to be called, module output should be a Tensor or "
                          f"a tuple of Tensors but received {type(result)}", stacklevel=3)
        values = (result,) if single else result
        new, self.output_index, live, node = self._route(values)
        self.n_outputs = len(values)
        if node is not None:
            def hook(grads: tuple) -> tuple:  # named as PyTorch's, for its errors
                return self._on_grad_output(live, grads)

            node.register_prehook(hook)
        return new[0] if single else new

    @staticmethod
    def _pack(index: list[int], values: Any, size: int) -> tuple:
        full = [None] * size
        for i, v in zip(index, values):
            full[i] = v
        return tuple(full)

    def _on_grad_output(self, live: list[int], grads: tuple) -> tuple:
        assert self.output_index is not None
        per_tensor = [None] * len(self.output_index)
        for k, g in zip(live, grads):
            per_tensor[k] = g
        self.grad_outputs = self._pack(self.output_index, per_tensor, self.n_outputs)
        for hook in self.user_pre_hooks:
            res = hook(self.module, self.grad_outputs)
            if res is None:
                continue
            if len(res) != len(self.grad_outputs):
                raise RuntimeError("Backward pre hook returned an invalid number of grad_output, "
                                   f"got {len(res)}, but expected {len(self.grad_outputs)}")
            self.grad_outputs = tuple(res)
        grad_outputs = self.grad_outputs
        if self.input_index is None:  # no input requires grad: the input hook never fires
            if self.user_hooks:
                warnings.warn(
                    "Full backward hook is firing when gradients are computed with respect to "
                    "module outputs since no inputs require gradients. See https://docs.pytorch."
                    "org/docs/main/generated/torch.nn.Module.html#torch.nn.Module.register_full_"
                    "backward_hook for more details.", stacklevel=user_stacklevel())
                grad_inputs = (None,) * self.n_inputs
                for hook in self.user_hooks:
                    res = hook(self.module, grad_inputs, grad_outputs)
                    if res is not None and not (isinstance(res, tuple)
                                                and all(r is None for r in res)):
                        raise RuntimeError(
                            "Backward hook for Modules where no input requires gradient should "
                            "always return None or None for all gradients.")
            self.grad_outputs = None
        return tuple(grad_outputs[self.output_index[k]] for k in live)

    def _on_grad_input(self, tensors: list[Tensor], live: list[int], gins: tuple) -> tuple | None:
        if self.grad_outputs is None:  # the gradient did not come through the outputs
            return None
        assert self.input_index is not None
        per_tensor = [_zeros_like(t) for t in tensors]  # PyTorch materialises absent grads
        for k, g in zip(live, gins):
            if g is not None:
                per_tensor[k] = g
        res = self._pack(self.input_index, per_tensor, self.n_inputs)
        for hook in self.user_hooks:
            out = hook(self.module, res, self.grad_outputs)
            if out is None:
                continue
            if len(out) != len(res):
                raise RuntimeError("Backward hook returned an invalid number of grad_input, "
                                   f"got {len(out)}, but expected {len(res)}")
            res = out
        self.grad_outputs = None
        return tuple(res[self.input_index[k]] for k in live)


_NON_FULL_WORDS = "is deprecated and will be removed in future versions. This hook will be missing "


def warn_non_full_backward_hook(inputs: Any, result: Any, grad_fn: Any) -> None:
    """PyTorch's FutureWarning when a module's (non-full) ``register_backward_hook`` hook
    will not see what its forward's inputs and outputs are: nearly always."""
    def warn(msg: str) -> None:
        warnings.warn(msg, FutureWarning, stacklevel=4)

    tail = "Please use register_full_backward_hook to get the documented behavior."
    result = (result,) if isinstance(result, Tensor) else result
    if not (isinstance(result, tuple) and all(isinstance(r, Tensor) for r in result)):
        return warn("Using non-full backward hooks on a Module that does not return a single "
                    "Tensor or a tuple of Tensors " + _NON_FULL_WORDS + "some of the "
                    "grad_output. " + tail)
    inputs = (inputs,) if isinstance(inputs, Tensor) else inputs
    if not (isinstance(inputs, tuple) and all(isinstance(i, Tensor) for i in inputs)):
        return warn("Using non-full backward hooks on a Module that does not take as input a "
                    "single Tensor or a tuple of Tensors " + _NON_FULL_WORDS + "some of the "
                    "grad_input. " + tail)
    out_fns = {id(r.grad_fn) for r in result if r.grad_fn is not None}
    if not out_fns or (len(out_fns) == 1 and id(grad_fn) not in out_fns):
        return warn("Using a non-full backward hook when outputs are nested in python data "
                    "structure " + _NON_FULL_WORDS + "some grad_output.")
    if len(out_fns) > 1:
        return warn("Using a non-full backward hook when outputs are generated by different "
                    "autograd Nodes " + _NON_FULL_WORDS + "some grad_output. " + tail)
    in_fns = {id(i.grad_fn) for i in inputs if i.grad_fn is not None}
    if in_fns != {id(n) for n, _ in grad_fn.next_functions}:
        warn("Using a non-full backward hook when the forward contains multiple autograd Nodes "
             + _NON_FULL_WORDS + "some grad_input. " + tail)
