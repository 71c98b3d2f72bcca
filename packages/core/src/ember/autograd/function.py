"""``ember.autograd.Function``: user-defined ops with a custom backward.

Both of PyTorch's styles work: ``forward(ctx, *args)``, or ``forward(*args)`` with a
separate ``setup_context(ctx, inputs, output)``. Forward runs without recording;
one graph node (named ``<Class>Backward``) connects the outputs to the inputs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from .._tensor import Tensor, make
from . import forward_ad, grad_mode, graph
from .graph import Node

__all__ = ["Function", "FunctionCtx", "once_differentiable", "InplaceFunction",
           "NestedIOFunction"]



# how many of ``ember.func``'s transforms (grad, vjp, jvp, jacrev, vmap, ...) are running the
# user's function now: PyTorch refuses old-style Functions (forward(ctx, ...)) under them
transform_depth = [0]


def run_transformed(func: Callable, *args: Any, **kwargs: Any) -> Any:
    """``func(*args, **kwargs)`` as a transform of ``ember.func`` runs it."""
    transform_depth[0] += 1
    try:
        return func(*args, **kwargs)
    finally:
        transform_depth[0] -= 1

class FunctionCtx:
    """The ``ctx`` object: what forward leaves for backward."""

    def __init__(self) -> None:
        self._to_save: tuple = ()
        self._unpacked: tuple | None = None
        self._dirty: tuple = ()
        self._non_diff: tuple = ()
        self.materialize_grads = True
        self.needs_input_grad: tuple = ()
        self._node: Any = None

    def save_for_backward(self, *tensors: Tensor | None) -> None:
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(
                    f"save_for_backward can only save variables, but argument {i} is of type "
                    f"{type(t).__name__}")
        self._to_save = tensors

    save_for_forward = save_for_backward

    @property
    def saved_tensors(self) -> tuple:
        if self._unpacked is None:
            if self._node is not None and self._node._freed:
                self._node._unpack_saved(False)  # raises PyTorch's "backward a second time"
            return tuple(self._to_save)
        return self._unpacked

    def mark_dirty(self, *tensors: Tensor) -> None:
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors: Tensor) -> None:
        self._non_diff = tensors

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = bool(value)


class _FunctionNode(Node):
    """A custom Function's graph node; as in PyTorch it reads as the ``ctx`` its forward
    filled (``y.grad_fn.saved_tensors``, ``y.grad_fn.needs_input_grad``, attributes)."""

    __slots__ = ("_ctx",)
    _multi = True

    @property
    def saved_tensors(self) -> tuple:
        return tuple(self._unpack_saved(False))

    def __repr__(self) -> str:  # PyTorch's: <torch.autograd.function.XBackward object at ...>
        cls = type(self)
        return f"<{cls.__module__}.{cls.__qualname__} object at {hex(id(self))}>"

    def __getattr__(self, name: str) -> Any:  # only what the node itself lacks
        if name != "_ctx" and not name.startswith("__"):
            try:
                ctx = self._ctx
            except AttributeError:
                pass
            else:
                return getattr(ctx, name)
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")


class _FunctionMeta(type):
    def __init__(cls, name: str, bases: tuple, attrs: dict) -> None:
        super().__init__(name, bases, attrs)
        cls._backward_cls = type(f"{name}Backward", (_FunctionNode,),
                                 {"__slots__": (), "__module__": __name__})


class Function(metaclass=_FunctionMeta):
    """Subclass with static ``forward`` and ``backward``; call ``YourFunction.apply(...)``."""

    generate_vmap_rule = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        import warnings

        warnings.warn(
            f"{type(self)} should not be instantiated. Methods on autograd functions are all "
            "static, so you should invoke them on the class itself. Instantiating an autograd "
            "function will raise an error in a future version of PyTorch.", DeprecationWarning,
            stacklevel=2)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(
            "Legacy autograd function with non-static forward method is deprecated. Please use "
            "new-style autograd function with static forward method. (Example: "
            "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)")

    @staticmethod
    def forward(ctx: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            "You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple, output: Any) -> Any:
        return _SingleLevelFunction

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Any) -> Any:
        raise NotImplementedError(
            "You must implement either the backward or vjp method for your custom "
            "autograd.Function to use it with backward mode AD.")

    vjp = backward

    @staticmethod
    def jvp(ctx: Any, *grad_inputs: Any) -> Any:
        raise NotImplementedError("You must implement the jvp function for custom "
                                  "autograd.Function to use it with forward mode AD.")

    @staticmethod
    def vmap(info: Any, in_dims: Any, *args: Any) -> Any:
        raise NotImplementedError("To use autograd.Function with vmap, you must either override "
                                  "the vmap staticmethod or set generate_vmap_rule=True.")

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        ctx = FunctionCtx()
        custom_setup = cls.setup_context is not Function.setup_context
        if transform_depth[0] and not custom_setup:
            raise RuntimeError(
                "In order to use an autograd.Function with functorch transforms (vmap, grad, "
                "jvp, jacrev, ...), it must override the setup_context staticmethod. For more "
                "details, please see https://pytorch.org/docs/main/notes/extending.func.html")
        if custom_setup:  # PyTorch binds to forward's signature, defaults filled in
            args, kwargs = _bind_defaults(cls.forward, args, kwargs), {}
        elif kwargs:  # as PyTorch: keyword arguments bind to forward's positions (and count)
            import inspect

            bound = inspect.signature(cls.forward).bind(ctx, *args, **kwargs)
            args, kwargs = bound.args[1:], bound.kwargs
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._rg for a in args)
        with grad_mode.no_grad():
            if custom_setup:
                raw = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, raw)
            else:
                raw = cls.forward(ctx, *args, **kwargs)
        single = not isinstance(raw, tuple)
        outs = (raw,) if single else raw
        if forward_ad._current:
            if _jvp_only(cls):
                linked = None
                if (grad_mode.state.enabled and forward_ad._current[0].keeps_graph
                        and any(ctx.needs_input_grad)):
                    # on PyTorch's graph first: what jvp reads from ctx (its outputs) requires
                    # grad, and so do the tangents it makes of them
                    linked = _connect(cls, ctx, args, outs, single)
                    outs = (linked,) if single else linked
                duals = forward_ad.custom_jvp(cls, ctx, args, outs)
                if duals is not None:
                    return duals[0] if single else duals
                if linked is not None:
                    return linked
            elif cls.jvp is Function.jvp and any(
                    isinstance(a, Tensor) and forward_ad.unpack_dual(a).tangent is not None
                    for a in args):
                Function.jvp(ctx)  # PyTorch's refusal: a tangent reached a Function without jvp
        if not (grad_mode.state.enabled and any(ctx.needs_input_grad)):
            return raw
        return _connect(cls, ctx, args, outs, single)


class _SingleLevelFunction:
    pass


_SIGNATURES: dict = {}  # forward -> its inspect.Signature, read once per Function class


def _bind_defaults(forward: Any, args: tuple, kwargs: dict) -> tuple:
    """The arguments a setup_context-style ``forward`` receives, as PyTorch's
    ``_bind_default_args``: bound to its signature (its TypeError wording for missing or
    extra arguments) with the defaults applied, so ``setup_context`` sees every input;
    a keyword-only parameter is refused, as PyTorch's apply does."""
    sig = _SIGNATURES.get(forward)
    if sig is None:
        import inspect

        sig = _SIGNATURES[forward] = inspect.signature(forward)
    bound = sig.bind(*args, **kwargs)
    bound.apply_defaults()
    if bound.kwargs:
        raise TypeError(f"forward() got an unexpected keyword argument "
                        f"'{next(iter(bound.kwargs))}'")
    return bound.args


def _jvp_only(cls: type) -> bool:
    """Whether ``cls`` gives forward-mode derivatives (``jvp``) but no backward: its
    tangents must come from ``jvp``, not from Ember's vjp-of-vjp."""
    return (cls.jvp is not Function.jvp and cls.backward is Function.backward
            and cls.vjp is Function.vjp)


def _guarded_view(name: str, i: int, o: Tensor, outs: tuple, non_diff: set) -> Tensor:
    """Output ``i`` as a view whose in-place writes raise PyTorch's error: the one for a
    Function with several differentiable outputs, or the custom Function one."""
    from ..ops.shape import custom_function_view_guard, make_view, multi_view_guard

    n_diff = sum(1 for t in outs if isinstance(t, Tensor) and id(t) not in non_diff
                          and (t.is_floating_point() or t.is_complex()))
    guard = multi_view_guard if n_diff > 1 else custom_function_view_guard
    return make_view(o, o._data, guard(name, i))


def _connect(cls: type, ctx: FunctionCtx, args: tuple, outs: tuple, single: bool) -> Any:
    """Wrap the outputs and give them one node whose vjp calls ``cls.backward``."""
    dirty_ids = {id(t) for t in ctx._dirty}
    non_diff = {id(t) for t in ctx._non_diff}
    input_ids = {id(a) for a in args if isinstance(a, Tensor)}
    wrapped: list = []
    diff_outs: list = []  # the node's outputs: every output of forward, in order
    for i, o in enumerate(outs):
        if not isinstance(o, Tensor):
            wrapped.append(o)
            diff_outs.append(None)
            continue
        if id(o) in dirty_ids:
            if o._rg and o.grad_fn is None:
                raise RuntimeError(
                    "a leaf Variable that requires grad has been used in an in-place operation.")
            o._vc[0] += 1  # marking dirty bumps the version once more, as in PyTorch
            t = o
        elif id(o) in input_ids or o._base is not None:
            # an input returned as is, or a view made in forward: a view PyTorch refuses to
            # write in place (its graph is the Function's)
            t = _guarded_view(cls.__name__, i, o, outs, non_diff)
        else:
            t = o
        wrapped.append(t)
        diff_outs.append(t)
    if any(t is not None and id(t) not in non_diff and (t.is_floating_point() or t.is_complex())
           for t in diff_outs):
        # PyTorch's node has an edge per tensor argument only (numbers, None... have none)
        edges = tuple(a._edge() for a in args if isinstance(a, Tensor))
        node = cls._backward_cls(None, edges)
        ctx._node = node
        node._ctx = ctx
        saved = tuple(ctx._to_save)
        out_ids = {id(t): i for i, t in enumerate(diff_outs) if t is not None}
        if saved:
            items = []
            out_map = {}
            for i, s in enumerate(saved):
                if s is not None and id(s) in out_ids:
                    alias = make(s._data, s._device)
                    alias._vc = s._vc
                    items.append(alias)
                    out_map[i] = out_ids[id(s)]
                else:
                    items.append(s)
            node._saved = tuple(items)
            node._versions = tuple(s._vc[0] if isinstance(s, Tensor) else None for s in items)
            node._saved_out = out_map or None
            ctx._to_save = ()
            if graph._saved_hooks:
                graph._pack_saved(node)
        n_args = len(args)

        def vjp(gouts: tuple, *saved_t: Any) -> tuple:
            ctx._unpacked = tuple(saved_t)
            try:
                res = cls.backward(ctx, *gouts)
            finally:
                ctx._unpacked = None
            res = res if isinstance(res, tuple) else (res,)
            if len(res) != n_args:
                if len(res) > n_args and all(r is None for r in res[n_args:]):
                    res = res[:n_args]
                else:
                    raise RuntimeError(
                        f"function {cls.__name__}Backward returned an incorrect number of "
                        f"gradients (expected {n_args}, got {len(res)})")
            out = []
            for pos, (a, g) in enumerate(zip(args, res), 1):
                if not isinstance(a, Tensor):
                    if g is not None:
                        raise RuntimeError(
                            f"function {cls.__name__}Backward returned a gradient different "
                            f"than None at position {pos}, but the corresponding forward input "
                            "was not a Variable")
                    continue
                if g is not None and a._rg:
                    if not isinstance(g, Tensor):
                        raise RuntimeError(f"expected Variable or None (got {type(g).__name__})")
                    if g._data.shape != a._data.shape:
                        # PyTorch sums a gradient the input's shape broadcasts to; else it fails
                        if _broadcasts_to(a._data.shape, g._data.shape):
                            from ..ops._dispatch import sum_to

                            g = sum_to(g, a._data.shape)
                        else:
                            raise RuntimeError(
                                f"Function {cls.__name__}Backward returned an invalid gradient "
                                f"at index {len(out)} - got {list(g.shape)} but expected shape "
                                f"compatible with {list(a.shape)}")
                    out.append(g)
                else:
                    out.append(None)
            return tuple(out)

        node._vjp = vjp
        if ctx.materialize_grads:
            import functools as _ft

            from ..ops._dispatch import _zeros_meta

            node._meta = [None if t is None else
                          _ft.partial(_zeros_meta, t._data.shape, t._data.dtype, t._device)
                          for t in diff_outs]
        else:
            node._meta = [None] * len(diff_outs)  # missing output gradients stay None
        for nr, t in enumerate(diff_outs):
            if t is not None and id(t) not in non_diff and (t.is_floating_point() or
                                                            t.is_complex()):
                t.grad_fn = node
                t._out_nr = nr
                t._rg = True
    for t in wrapped:
        if isinstance(t, Tensor) and id(t) in non_diff:
            t._rg = False
    return wrapped[0] if single else tuple(wrapped)


def _broadcasts_to(shape: tuple, target: tuple) -> bool:
    """Whether ``shape`` expands to ``target`` (so a ``target``-shaped gradient sums back)."""
    if len(shape) > len(target):
        return False
    return all(s == t or s == 1 for s, t in zip(shape[::-1], target[::-1]))


_TWICE = ("trying to differentiate twice a function that was marked with "
          "@once_differentiable")


def once_differentiable(fn: Callable) -> Callable:
    """Mark a backward as not differentiable itself: it runs without recording, and when a
    higher-order graph is being built (an incoming gradient requires grad) its results hang
    off PyTorch's ``Error`` node, which raises if differentiated."""

    @functools.wraps(fn)
    def wrapper(ctx: Any, *args: Any) -> Any:
        with grad_mode.no_grad():
            outputs = fn(ctx, *args)
        if not grad_mode.state.enabled or not any(
                isinstance(a, Tensor) and a._rg for a in args):
            return outputs
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        tensors = [o for o in outs if isinstance(o, Tensor)]
        if not tensors:
            return outputs
        # each result becomes an alias of a fresh leaf, made by one Error node
        from ..ops._dispatch import record_multi

        def vjp(grads: tuple) -> tuple:
            raise RuntimeError(_TWICE)

        leaves = [t.detach().requires_grad_(True) for t in tensors]
        aliases = [make(t._data, t._device) for t in tensors]
        record_multi("Error", aliases, leaves, vjp)
        it = iter(aliases)
        wrapped = tuple(next(it) if isinstance(o, Tensor) else o for o in outs)
        return wrapped[0] if single else wrapped

    return wrapper


class InplaceFunction(Function):
    def __init__(self, inplace: bool = False) -> None:
        self.inplace = inplace


class NestedIOFunction(Function):
    pass
