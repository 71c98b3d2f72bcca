"""``Optimizer``: parameter groups, per-parameter state, state_dict in PyTorch's layout, hooks.

Updates run on the parameters' arrays in place, under no_grad; each write moves
the tensor's version counter on, as an in-place op does.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import copy_context
from copy import deepcopy
from functools import wraps
from itertools import accumulate, chain, count
from typing import Any

import numpy as np

import ember
from ember import Tensor
from ember._runtime import usable_cpus
from ember._tensor import make as _make
from ember.autograd.graph import RemovableHandle
from ember.ops import _torch_cpu
from ember.ops._fma import axpy as _axpy
from ember.ops._fma import fma as _fma

__all__ = ["Optimizer", "required"]


class _RequiredParameter:
    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()
_global_pre_hooks: OrderedDict = OrderedDict()
_global_post_hooks: OrderedDict = OrderedDict()


# PyTorch's one handle class, whose ids count on from every other hook's (tensor, module)
_Handle = RemovableHandle


def register_optimizer_step_pre_hook(hook: Callable) -> _Handle:
    h = _Handle(_global_pre_hooks)
    _global_pre_hooks[h.id] = hook
    return h


def register_optimizer_step_post_hook(hook: Callable) -> _Handle:
    h = _Handle(_global_post_hooks)
    _global_post_hooks[h.id] = hook
    return h


def _with_step_hooks(step: Callable) -> Callable:
    """``step`` running the global and the optimizer's pre-hooks before, post-hooks after."""

    @wraps(step)
    def hooked_step(*args: Any, **kwargs: Any) -> Any:
        self = args[0]  # the hooks see step's arguments with ``self`` first, as in PyTorch
        for hook in chain(_global_pre_hooks.values(), self._optimizer_step_pre_hooks.values()):
            result = hook(self, args, kwargs)
            if result is not None:
                if isinstance(result, tuple) and len(result) == 2:
                    args, kwargs = result
                else:
                    raise RuntimeError(f"{step} must return None or a tuple of (new_args, "
                                       f"new_kwargs), but got {result}.")
        out = step(*args, **kwargs)
        for hook in chain(self._optimizer_step_post_hooks.values(), _global_post_hooks.values()):
            hook(self, args, kwargs)
        return out

    hooked_step.hooked = True  # type: ignore[attr-defined]
    return hooked_step


class Optimizer:
    """Base class: holds ``param_groups`` (dicts of options with their ``params``) and ``state``."""

    def __init__(self, params: Any, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self._optimizer_step_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_step_post_hooks: OrderedDict = OrderedDict()
        self._optimizer_state_dict_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_state_dict_post_hooks: OrderedDict = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_load_state_dict_post_hooks: OrderedDict = OrderedDict()
        self._patch_step_function()
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {ember.typename(params)}")
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    def __getstate__(self) -> dict:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    #: options an older pickle may lack, filled in by ``__setstate__`` (each subclass's own)
    _group_defaults: dict = {}
    #: state entries that older pickles kept as plain numbers (made 0-d tensors on load)
    _step_keys: tuple[str, ...] | None = None

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        for name in ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks",
                     "_optimizer_state_dict_pre_hooks", "_optimizer_state_dict_post_hooks",
                     "_optimizer_load_state_dict_pre_hooks",
                     "_optimizer_load_state_dict_post_hooks"):
            self.__dict__.setdefault(name, OrderedDict())
        for group in self.param_groups:
            for key, value in self._group_defaults.items():
                group.setdefault(key, value)
        if self._step_keys is not None:
            _steps_to_tensors(self, self._step_keys)

    def __repr__(self) -> str:
        s = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            s += "\n"
            s += f"Parameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    s += f"    {key}: {group[key]}\n"
        s += ")"
        return s

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (missing ones take the defaults)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        else:
            param_group["params"] = list(params)
        # named parameters, ``(name, tensor)`` pairs, keep their names under "param_names"
        tensors, names = [], []
        for p in param_group["params"]:
            if isinstance(p, tuple):
                names.append(p[0])
                tensors.append(p[1])
            else:
                tensors.append(p)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError("all optimizer params should be with/without names. Some param "
                                 "names are missing")
            param_group["param_names"] = names
        for p in param_group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + ember.typename(p))
            if not self.defaults.get("differentiable", None) and not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            param_group.setdefault(name, default)
        params = param_group["params"]
        if len(params) != len({id(p) for p in params}):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in "
                          "future, this will cause an error; see "
                          "github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        for group in self.param_groups:
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {which} to the optimizer")
        seen = {id(p) for group in self.param_groups for p in group["params"]}
        if any(id(p) in seen for p in param_group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # ------------------------------------------------------------------ gradients
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's gradient (to None by default)."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    if set_to_none:
                        p.grad = None
                    else:
                        if p.grad.grad_fn is not None:
                            p.grad.detach_()
                        else:
                            p.grad.requires_grad_(False)
                        p.grad._data[...] = 0
                        _bump(p.grad)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient (``_update`` per group)."""
        if type(self)._update is Optimizer._update:
            raise NotImplementedError
        return self._run_step(closure, self._update)

    def _update(self, group: dict) -> None:
        """A subclass's update of one parameter group, in place and without grad."""
        raise NotImplementedError

    def _state_of(self, p: Tensor, *args: Any) -> dict:
        """``p``'s state, filled by the subclass's ``_new_state(p, *args)`` (a dict, in
        PyTorch's key order) on its first step."""
        state = self.state[p]
        if len(state) == 0:
            state.update(self._new_state(p, *args))
        return state

    def _new_state(self, p: Tensor, *args: Any) -> dict:
        raise NotImplementedError

    @staticmethod
    def _dense_grads(group: dict, sparse_error: str) -> Iterator[Tensor]:
        """The parameters of ``group`` that have a gradient, for optimizers without a sparse
        update: a sparse gradient raises PyTorch's RuntimeError ``sparse_error``."""
        for p in group["params"]:
            if p.grad is None:
                continue
            if p.grad.is_sparse:
                raise RuntimeError(sparse_error)
            yield p

    def _patch_step_function(self) -> None:
        """Wrap this class's ``step`` (once) so that every call runs the step hooks."""
        cls = self.__class__
        if not getattr(cls.step, "hooked", False):
            cls.step = _with_step_hooks(cls.step)  # type: ignore[method-assign]

    def _run_step(self, closure: Callable[[], Any] | None, update: Callable[[dict], None]) -> Any:
        """Evaluate ``closure`` with grad, then run ``update`` on every group without grad."""
        loss = None
        if closure is not None:
            with ember.enable_grad():
                loss = closure()
        for group in self.param_groups:
            self._check_step_flags(group)
        # differentiable groups of optimizers that can record their step run in tensor ops
        recorded = getattr(self, "_update_differentiable", None)
        # PyTorch's kernels never warn: a float16 ``v + eps`` that rounds to 0 divides quietly
        with np.errstate(all="ignore"), ember.no_grad(), _batched():
            for group in self.param_groups:
                if recorded is None or not group.get("differentiable"):
                    try:
                        update(group)
                    except ValueError as exc:
                        _raise_state_shape_error(self.state, group, exc)
        if recorded is not None:
            with ember.enable_grad():
                for group in self.param_groups:
                    if group.get("differentiable"):
                        recorded(group)
        return loss

    #: what PyTorch's capturable check names (None: the optimizer has no ``capturable``)
    _capturable_what: str | None = "params and state_steps"
    _capturable_devices: tuple[str, ...] = ("cuda", "xpu", "hpu", "privateuseone", "xla")
    #: what PyTorch's multi-tensor (``foreach``) step names, where its text differs
    _capturable_foreach_what: str | None = None
    #: whether PyTorch's multi-tensor step leaves "xla" out of its device list
    _capturable_foreach_no_xla = False
    #: whether PyTorch's multi-tensor (``foreach``) step refuses ``differentiable`` groups
    _foreach_refuses_grad = False

    def _check_step_flags(self, group: dict) -> None:
        """PyTorch's step-time errors for ``capturable`` and ``differentiable`` groups.

        ``capturable`` steps need parameters on a graph-capturing device (not the CPU);
        a ``differentiable`` step runs with grad enabled, so its in-place update of a leaf
        that requires grad fails as any in-place op on such a leaf does.
        """
        if group.get("fused"):
            self._check_fused_dtype(group)
        capturable = group.get("capturable") and not group.get("fused")
        if not (capturable or group.get("differentiable")):
            return
        if group.get("differentiable") and group.get("foreach") and self._foreach_refuses_grad:
            raise AssertionError("_foreach ops don't support autograd")
        for p in group["params"]:
            if p.grad is None:
                continue
            if capturable and self._capturable_what is not None and \
                    p.device.type not in self._capturable_devices:
                self._raise_capturable(group)
            if group.get("differentiable") and p.is_leaf and p.requires_grad:
                raise RuntimeError("a leaf Variable that requires grad is being used in an "
                                   "in-place operation.")

    #: PyTorch's fused step checks the dtype of the first parameter it steps only (SGD,
    #: Adagrad), or of each parameter whose state it creates (Adam, AdamW)
    _fused_check_once = True

    def _check_fused_dtype(self, group: dict) -> None:
        """PyTorch's RuntimeError for a fused step over a parameter that is not floating point;
        then what its fused kernel refuses (see ``_fused_kernel_error``)."""
        for p in group["params"]:
            if p.grad is None:
                continue
            if self._fused_check_once:
                if not getattr(self, "_need_device_dtype_check_for_fused", True):
                    break
            elif self.state.get(p):
                continue
            if not p.is_floating_point():
                raise RuntimeError(
                    "`fused=True` requires all the params to be floating point Tensors of "
                    "supported devices: ['mps', 'cuda', 'xpu', 'hpu', 'cpu', 'mtia', "
                    f"'privateuseone'] but {p.dtype} and {p.device.type}")
            if self._fused_check_once:
                self._need_device_dtype_check_for_fused = False
                break
        for p in group["params"]:
            if p.grad is not None and (p.is_complex() or p.grad.is_sparse):
                error = self._fused_kernel_error(p)
                if error is not None:
                    raise error

    def _fused_kernel_error(self, p: Tensor) -> Exception | None:
        """The error of PyTorch's fused kernel for a complex parameter or a sparse gradient
        that passed the dtype check (None: the optimizer handles it elsewhere)."""
        return None

    def _raise_capturable(self, group: dict) -> None:
        """PyTorch's capturable-device AssertionError, in the words of its single- or
        multi-tensor step (they differ in the list of devices and, for NAdam, a comma)."""
        what, devices = self._capturable_what, list(self._capturable_devices)
        if group.get("foreach"):
            what = self._capturable_foreach_what or what
            if self._capturable_foreach_no_xla:
                devices = [d for d in devices if d != "xla"]
        raise AssertionError(
            f"If capturable=True, {what} must be on supported devices: {devices}.")

    def register_step_pre_hook(self, hook: Callable) -> _Handle:
        h = _Handle(self._optimizer_step_pre_hooks)
        self._optimizer_step_pre_hooks[h.id] = hook
        return h

    def register_step_post_hook(self, hook: Callable) -> _Handle:
        h = _Handle(self._optimizer_step_post_hooks)
        self._optimizer_step_post_hooks[h.id] = hook
        return h

    def register_state_dict_pre_hook(self, hook: Callable, prepend: bool = False) -> _Handle:
        h = _Handle(self._optimizer_state_dict_pre_hooks)
        self._optimizer_state_dict_pre_hooks[h.id] = hook
        if prepend:
            self._optimizer_state_dict_pre_hooks.move_to_end(h.id, last=False)
        return h

    def register_state_dict_post_hook(self, hook: Callable, prepend: bool = False) -> _Handle:
        h = _Handle(self._optimizer_state_dict_post_hooks)
        self._optimizer_state_dict_post_hooks[h.id] = hook
        if prepend:
            self._optimizer_state_dict_post_hooks.move_to_end(h.id, last=False)
        return h

    def register_load_state_dict_pre_hook(self, hook: Callable, prepend: bool = False) -> _Handle:
        h = _Handle(self._optimizer_load_state_dict_pre_hooks)
        self._optimizer_load_state_dict_pre_hooks[h.id] = hook
        if prepend:
            self._optimizer_load_state_dict_pre_hooks.move_to_end(h.id, last=False)
        return h

    def register_load_state_dict_post_hook(self, hook: Callable,
                                           prepend: bool = False) -> _Handle:
        h = _Handle(self._optimizer_load_state_dict_post_hooks)
        self._optimizer_load_state_dict_post_hooks[h.id] = hook
        if prepend:
            self._optimizer_load_state_dict_post_hooks.move_to_end(h.id, last=False)
        return h

    # ------------------------------------------------------------------ state_dict
    def state_dict(self) -> dict[str, Any]:
        """``{'state': {index: {...}}, 'param_groups': [{..., 'params': [indices]}]}``."""
        for hook in self._optimizer_state_dict_pre_hooks.values():
            hook(self)
        mapping: dict[int, int] = {}
        start = 0

        def pack_group(group: dict) -> dict:
            nonlocal start
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                mapping.setdefault(id(p), i)
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            start += len(packed["params"])
            return packed

        groups = [pack_group(g) for g in self.param_groups]
        state = {(mapping[id(k)] if isinstance(k, Tensor) else k): v
                 for k, v in self.state.items()}
        sd = {"state": state, "param_groups": groups}
        for hook in self._optimizer_state_dict_post_hooks.values():
            r = hook(self, sd)
            if r is not None:
                sd = r
        return sd

    @staticmethod
    def _process_value_according_to_param_policy(param: Tensor, value: Any, key: Any,
                                                 group: dict | None = None) -> Any:
        """A loaded state tensor on ``param``'s device and dtype; ``step`` is kept, except
        in a fused or capturable group, where it becomes float32 (PyTorch's policy)."""
        if key == "step":
            if group is not None and (group.get("fused") or group.get("capturable")):
                return value.to(dtype=ember.float32, device=param.device)
            return value
        if param.is_floating_point():
            return value.to(dtype=param.dtype, device=param.device)
        return value.to(device=param.device)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load state saved by ``state_dict()`` (this optimizer's, or PyTorch's)."""
        state_dict = dict(state_dict)
        for hook in self._optimizer_load_state_dict_pre_hooks.values():
            r = hook(self, state_dict)
            if r is not None:
                state_dict = r
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        param_lens = (len(g["params"]) for g in groups)
        saved_lens = (len(g["params"]) for g in saved_groups)
        if any(p_len != s_len for p_len, s_len in zip(param_lens, saved_lens)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match "
                             "the size of optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))
        # the saved group of each saved index: its fused/capturable flags cast ``step``
        group_of = {i: g for g in saved_groups for i in g["params"]}

        def cast(param: Tensor, value: Any, group: dict, key: Any = None) -> Any:
            if isinstance(value, Tensor):
                return self._process_value_according_to_param_policy(param, value, key, group)
            if isinstance(value, dict):
                return {k: cast(param, v, group, k) for k, v in value.items()}
            if isinstance(value, (list, tuple)) and not isinstance(value, str):
                return type(value)(cast(param, v, group, key) for v in value)
            return value

        state: defaultdict = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = cast(param, v, group_of[k])
            else:
                state[k] = v

        def update_group(group: dict, new_group: dict) -> dict:
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            return new_group

        self.__setstate__({"state": state, "param_groups": [
            update_group(g, ng) for g, ng in zip(groups, saved_groups)]})
        for hook in self._optimizer_load_state_dict_post_hooks.values():
            hook(self)


def _raise_state_shape_error(state: dict, group: dict, exc: ValueError) -> None:
    """A state tensor of another shape than its gradient (a checkpoint of another model
    loaded): PyTorch's in-place updates raise a RuntimeError, naming the state as tensor
    ``a``, the gradient as ``b`` and the last dimension that differs; where they broadcast,
    the in-place output (the state, else the parameter) is the one that cannot hold it."""
    for p in group["params"]:
        if p.grad is None:
            continue
        for value in state.get(p, {}).values():
            if not isinstance(value, Tensor) or value.dim() == 0:
                continue
            a, b = tuple(value.shape), tuple(p.grad.shape)
            try:
                shape = np.broadcast_shapes(a, b)
                if a != b and (a != shape or b != shape):
                    out = list(a if a != shape else b)
                    raise RuntimeError(f"output with shape {out} doesn't match the broadcast "
                                       f"shape {list(shape)}") from None
            except ValueError:
                n = max(len(a), len(b))
                a1, b1 = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
                dim = max(i for i in range(n) if a1[i] != b1[i] and 1 not in (a1[i], b1[i]))
                raise RuntimeError(
                    f"The size of tensor a ({a1[dim]}) must match the size of tensor b "
                    f"({b1[dim]}) at non-singleton dimension {dim}") from None
    raise exc


def _refused(value: Any, negative_only: bool, strict: bool) -> bool:
    """PyTorch's argument tests: ``not 0.0 <= value``; SGD's ``value < 0.0`` (``negative_only``,
    which lets NaN through); SparseAdam's ``not 0.0 < value`` (``strict``)."""
    if negative_only:
        return value < 0.0
    return not 0.0 < value if strict else not 0.0 <= value


def _check_lr(lr: Any, negative_only: bool = False, strict: bool = False) -> None:
    """PyTorch's learning-rate test (see ``_refused``), compared as is: an lr tensor that
    requires grad is not converted to a number (nor warned about)."""
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if _refused(lr, negative_only, strict):
        raise ValueError(f"Invalid learning rate: {lr}")


def _check_fused(fused: bool | None, foreach: bool | None, differentiable: bool) -> None:
    """The option clashes PyTorch's fused optimizers (SGD, Adam, AdamW, Adagrad) reject."""
    if fused:
        if differentiable:
            raise RuntimeError("`fused` does not support `differentiable`")
        if foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")


def _check_betas(betas: tuple) -> None:
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")


def _check(name: str, value: float, negative_only: bool = False, strict: bool = False) -> None:
    if _refused(value, negative_only, strict):
        raise ValueError(f"Invalid {name} value: {value}")


def _scalar_dtype() -> Any:
    """PyTorch's ``_get_scalar_dtype()``: float64 under a float64 default dtype, else float32."""
    return ember.float64 if ember.get_default_dtype() == ember.float64 else ember.float32


def _adam_moments(p: Tensor, state: dict, group: dict) -> tuple:
    """The start of a recorded Adam-family step (NAdam, RAdam), as PyTorch's single-tensor
    code: ``(param, grad, exp_avg, exp_avg_sq, step)`` as real views after ``maximize``, the
    step count and the decoupled or L2 weight decay."""
    lr, wd = group["lr"], group["weight_decay"]
    grad = -p.grad if group["maximize"] else p.grad
    param, grad, exp_avg, exp_avg_sq = (
        _real_view(t) for t in (p, grad, state["exp_avg"], state["exp_avg_sq"]))
    state["step"] += 1
    if wd != 0:
        if group["decoupled_weight_decay"]:
            param.mul_(1 - lr * wd)
        else:
            grad = grad.add(param, alpha=wd)
    return param, grad, exp_avg, exp_avg_sq, float(state["step"]._data)


def _real_view(t: Tensor) -> Tensor:
    """``torch.view_as_real`` of a complex tensor (recorded steps update its real pairs)."""
    return ember.view_as_real(t) if t.is_complex() else t


def _scalar_step() -> Tensor:
    """PyTorch keeps ``state['step']`` as a float32 0-d tensor."""
    return ember.tensor(0.0, dtype=_scalar_dtype())


def _scalar_state(value: float) -> Tensor:
    """A 0-d state tensor (``step``, ``mu_product``, ``eta``) of PyTorch's scalar dtype."""
    return ember.tensor(float(value), dtype=_scalar_dtype())


def _as_default_float(value: float) -> float:
    """``value`` rounded as ``torch.as_tensor(value)`` stores it (the default dtype)."""
    return float(np.asarray(value, dtype=ember.get_default_dtype().np))


def _steps_to_tensors(opt: Optimizer, keys: tuple[str, ...] = ("step",)) -> None:
    """After loading: state numbers saved as plain floats become float32 0-d tensors.

    A non-empty state without ``step`` raises KeyError, as in PyTorch (another class's state).
    """
    for group in opt.param_groups:
        for p in group["params"]:
            p_state = opt.state.get(p, [])
            if len(p_state) != 0:
                for key in keys:
                    if not isinstance(p_state[key], Tensor):
                        p_state[key] = _scalar_state(p_state[key])


def _pow(base: Any, exponent: float) -> Any:
    """``base ** exponent`` as PyTorch's pow of a tensor ``base`` computes it.

    For a NumPy scalar (a tensor hyper-parameter, see ``_hyper``) PyTorch's kernel turns the
    exponents 2, 3, 0.5, -0.5, -1 and -2 into products, square roots and reciprocals.
    """
    if not isinstance(base, np.floating):
        return base ** exponent
    if exponent == 2:
        return base * base
    if exponent == 3:
        return base * base * base
    if exponent == 0.5:
        return np.sqrt(base)
    if exponent == -0.5:
        return 1 / np.sqrt(base)
    if exponent == -1:
        return 1 / base
    if exponent == -2:
        return 1 / (base * base)
    return base ** exponent


def _bump(*tensors: Tensor) -> None:
    """An in-place update of a tensor's array moves its version counter on."""
    for t in tensors:
        t._vc[0] += 1


def _wrap(arr: Any, like: Tensor) -> Tensor:
    """A state tensor on ``like``'s device over an array the optimizer made."""
    return _make(arr, like._device)


def _zeros_like(p: Tensor) -> Tensor:
    return _make(p._device._backend.xp.zeros_like(p._data), p._device)


def _full_like(p: Tensor, value: float) -> Tensor:
    """``full_like(p, value)``; a complex ``p`` gets ``value + value*1j`` as PyTorch's optimizers do."""
    fill = complex(value, value) if p.is_complex() else value
    return _make(p._device._backend.xp.full_like(p._data, fill), p._device)


def _value(x: Any) -> float:
    return x.item() if isinstance(x, Tensor) else x


def _number(value: Any, op: str, arg: str) -> Any:
    """A Scalar argument as PyTorch's parser takes it: a 0-d tensor's value, but a tensor that
    requires grad is refused (a differentiable step with such an lr where PyTorch's is)."""
    if isinstance(value, Tensor) and value.requires_grad:
        raise TypeError(f"{op}(): argument '{arg}' must be Number, not Tensor")
    return _value(value)


def _hyper(x: Any) -> Any:
    """A hyper-parameter as PyTorch's step computes with it.

    A float32/float64 tensor (``lr=torch.tensor(0.01)``) stays in its dtype: arithmetic with
    Python numbers is the tensor's (``lr / bias_correction`` rounds to float32), so it becomes
    a NumPy scalar of that dtype, which NumPy's promotion (NEP 50) treats the same way.
    """
    if isinstance(x, Tensor):
        dtype = x._data.dtype
        return dtype.type(x.item()) if dtype.kind == "f" and dtype.itemsize >= 4 else x.item()
    return x


def _real(a: Any) -> Any:
    """``view_as_real`` of a complex array (a trailing axis of 2); real arrays unchanged."""
    if a.dtype.kind == "c":
        return a[..., None].view(a.real.dtype)
    return a


# bytes per array block: the few arrays of an update stay in L2. Blocks run on several
# threads are twice as long: each NumPy call takes and gives back the GIL, and threads that
# wait on each other for it between short calls go slower than one thread
_BLOCK_BYTES = 1 << 18
_MAX_THREADS = 8  # past a few threads the GIL, held between NumPy's loops, is the limit
_pool: list = [None, 0, 0]  # the worker threads' executor, how many, the process that made it
_local = threading.local()  # per thread: ``batch`` (a step's pending updates), scratch blocks


def _executor(workers: int) -> ThreadPoolExecutor:
    """The persistent pool of ``workers`` threads (made again after a fork or a new count)."""
    pool, size, pid = _pool
    if pool is None or size != workers or pid != os.getpid():
        if pool is not None and pid == os.getpid():
            pool.shutdown(wait=False)
        pool = ThreadPoolExecutor(workers, thread_name_prefix="ember-optim")
        _pool[:] = [pool, workers, os.getpid()]
    return pool


def _scratch(dtype: Any, count: int, size: int) -> list:
    """``count`` scratch blocks of ``size`` elements of ``dtype``, the calling thread's own."""
    cache = _local.__dict__.setdefault("scratch", {})
    have, blocks = cache.get(dtype, (0, []))
    if have < size or len(blocks) < count:
        size, count = max(have, size), max(len(blocks), count)
        blocks = [np.empty(size, dtype=dtype) for _ in range(count)]
        cache[dtype] = (size, blocks)
    return blocks


class _Update:
    """One pending ``kernel`` call over contiguous ``arrays`` (flat), in blocks of ``block``."""

    __slots__ = ("kernel", "arrays", "nscratch", "xp", "scalars", "block", "nblocks")

    def __init__(self, kernel: Callable[..., None], arrays: list, nscratch: int, xp: Any,
                 scalars: dict, block: int) -> None:
        self.kernel, self.arrays, self.nscratch, self.xp = kernel, arrays, nscratch, xp
        self.scalars, self.block = scalars, block
        self.nblocks = -(-arrays[0].size // block)

    def run(self, index: int) -> None:
        """Apply the kernel to block ``index``."""
        start = index * self.block
        stop = min(start + self.block, self.arrays[0].size)
        scratch = _scratch(self.arrays[0].dtype, self.nscratch, self.block)
        self.kernel(*(a[start:stop] for a in self.arrays),
                    *(s[:stop - start] for s in scratch[:self.nscratch]), xp=self.xp,
                    **self.scalars)


def _roots(arrays: tuple) -> set:
    """The buffers under ``arrays``: updates that share one must not run side by side."""
    out = set()
    for a in arrays:
        while isinstance(a.base, np.ndarray):
            a = a.base
        out.add(id(a if a.base is None else a.base))
    return out


class _Batch:
    """The blocked NumPy updates of one ``step()``, run at its end on the thread pool."""

    def __init__(self) -> None:
        self.updates: list[_Update] = []
        self.roots: set = set()

    def add(self, update: _Update | None, roots: set) -> None:
        """Queue ``update`` (None: one about to run now) after the queued ones it overlaps."""
        if not self.roots.isdisjoint(roots):  # the same parameter twice, or shared storage
            self.run()
        if update is not None:
            self.updates.append(update)
            self.roots |= roots

    def run(self) -> None:
        updates, self.updates, self.roots = self.updates, [], set()
        if updates:
            _run_updates(updates)


def _run_updates(updates: list[_Update]) -> None:
    """Run every block of ``updates`` on the calling thread and the pool's workers.

    The blocks are independent and NumPy lets go of the GIL inside its loops; the threads
    take blocks in turn from a shared counter. Every element goes through the same
    operations whichever thread runs it, so the numbers do not depend on the thread count.
    """
    ends = list(accumulate(u.nblocks for u in updates))
    total = ends[-1]
    workers = min(ember.get_num_threads(), usable_cpus(), _MAX_THREADS, total // 2) - 1
    if workers <= 0:
        for u in updates:
            for i in range(u.nblocks):
                u.run(i)
        return
    blocks, lock = count(), threading.Lock()

    def work() -> None:
        k = 0  # the update that holds block ``index`` (blocks are claimed in order)
        while True:
            with lock:
                index = next(blocks)
            if index >= total:
                return
            while ends[k] <= index:
                k += 1
            updates[k].run(index - (ends[k - 1] if k else 0))

    pool = _executor(workers)
    # the workers run in copies of the caller's context: NumPy's error state is a context var
    jobs = [pool.submit(copy_context().run, work) for _ in range(workers)]
    try:
        work()
    finally:
        for job in jobs:
            job.result()


@contextmanager
def _batched() -> Any:
    """Collect the blocked updates ``_elementwise`` is given, and run them together on exit."""
    if getattr(_local, "batch", None) is not None or ember.get_num_threads() <= 1:
        yield
        return
    _local.batch = batch = _Batch()
    try:
        yield
    finally:
        _local.batch = None
        batch.run()


_BETAS = frozenset(("beta1", "beta2"))


def _elementwise(kernel: Callable[..., None], arrays: tuple, nscratch: int, xp: Any,
                 **scalars: Any) -> None:
    """Run ``kernel(*arrays, *scratch, xp=xp, **scalars)``, an elementwise in-place update,
    over cache-sized blocks.

    NumPy makes one pass over memory per operation; on blocks that fit in the cache the dozen
    operations of an update cost about one pass. ``arrays[0]`` gives the scratch dtype. Small,
    non-contiguous or non-NumPy arrays get one call over the whole arrays. With more than one
    thread (``ember.set_num_threads``) the blocks run on a thread pool too; inside ``step()``
    (``_batched``) they wait for the end of the step and run together, so an update must not
    read what an earlier one of the same step writes.
    """
    first = arrays[0]
    if first.dtype == np.float16:
        # PyTorch multiplies half by numbers in float32 (its opmath type); NumPy would round
        # a Python float to float16 first (bfloat16's loops already widen it)
        # a beta stays a Python float: PyTorch's ``1 - beta`` is computed in double first
        scalars = {k: np.float32(v) if v.__class__ is float and k not in _BETAS else v
                   for k, v in scalars.items()}
    if not all(isinstance(a, np.ndarray) for a in arrays):
        kernel(*arrays, *(xp.empty_like(first) for _ in range(nscratch)), xp=xp, **scalars)
        return
    batch = getattr(_local, "batch", None)
    threaded = batch is not None or ember.get_num_threads() > 1
    block = (_BLOCK_BYTES << threaded) // first.itemsize
    if first.size <= 2 * block or not all(a.flags.c_contiguous for a in arrays):
        if batch is not None and batch.updates:
            batch.add(None, _roots(arrays))
        kernel(*arrays, *(np.empty_like(first) for _ in range(nscratch)), xp=xp, **scalars)
        return
    update = _Update(kernel, [a.reshape(-1) for a in arrays], nscratch, xp, scalars, block)
    if batch is not None:
        batch.add(update, _roots(arrays))
    else:
        _run_updates([update])


def _fused_scalar_tail(dtype: np.dtype, n: int) -> int:
    """How many last elements of an ``n``-element float32/float64 tensor PyTorch's fused CPU
    kernels (SGD, Adam) run through their scalar loop, where the compiler fuses the other
    product of ``a * b + c * d`` than in the vector loop: on AVX512 builds the vector loop
    takes 64 bytes at a time and the compiler vectorizes the remainder 32 bytes at a time,
    leaving ``n % 16 % 8`` (float32) or ``n % 8 % 4`` (float64). Elsewhere (AVX2 builds) 0:
    Ember's order is kept."""
    if dtype.kind != "f" or dtype.itemsize < 4 or _torch_cpu.half_vector_width() != 32:
        return 0
    width = 64 // dtype.itemsize
    return n % width % (width // 2)


def _elementwise_fused(kernel: Callable[..., None], arrays: tuple, nscratch: int, xp: Any,
                       tail: bool = False, **scalars: Any) -> None:
    """``_elementwise`` for a ``fused=True`` group: PyTorch's fused kernels load float16/
    bfloat16 ``arrays`` (parameter, gradient, state) as float32, compute the whole update in
    float32 and store each once; other dtypes take the plain path. With ``tail`` the kernel
    takes ``scalar_tail=True`` for the elements PyTorch's kernel runs in scalar code
    (``_fused_scalar_tail``)."""
    if arrays[0].dtype.itemsize != 2:
        k = _fused_scalar_tail(arrays[0].dtype, arrays[0].size) if tail else 0
        if k and all(a.__class__ is np.ndarray and a.flags.c_contiguous for a in arrays):
            flat = [a.reshape(-1) for a in arrays]
            if k < flat[0].size:
                _elementwise(kernel, tuple(a[:-k] for a in flat), nscratch, xp, **scalars)
            ends = tuple(a[-k:] for a in flat)
            kernel(*ends, *(np.empty_like(ends[0]) for _ in range(nscratch)), xp=xp,
                   scalar_tail=True, **scalars)
            return
        _elementwise(kernel, arrays, nscratch, xp, **scalars)
        return
    wide = tuple(a.astype(xp.float32) for a in arrays)
    _elementwise(kernel, wide, nscratch, xp, **scalars)
    for i, (a, w) in enumerate(zip(arrays, wide, strict=True)):
        if i != 1:  # the gradient is only read
            xp.copyto(a, w, casting="unsafe")


def _fma_(xp: Any, a: Any, b: Any, c: Any, out: Any) -> Any:
    """``out = a * b + c`` rounded once, as PyTorch's kernels (built with FMA) compute it.

    ``b`` may be a number (rounded to ``out``'s dtype first, PyTorch's opmath scalar): then
    BLAS's axpy does it; otherwise float32 blocks are widened into two float64 scratch
    blocks of the calling thread.
    """
    if out.dtype.itemsize == 2:
        return _fma_half(xp, a, b, c, out)
    if b.__class__ is not np.ndarray and a is not out:
        if c is not out:
            xp.copyto(out, c)
            c = out
        if _axpy(out, b, a):
            return out
    scratch = None
    if out.dtype == np.float32 and out.__class__ is np.ndarray and (
            b.__class__ is not np.ndarray or b.shape == out.shape):
        n = out.size
        scratch = [s[:n].reshape(out.shape) for s in _scratch(np.dtype(np.float64), 2, n)[:2]]
    return _fma(a, b, c, out.dtype, out=out, xp=xp, scratch=scratch)


def _fma_half(xp: Any, a: Any, b: Any, c: Any, out: Any) -> Any:
    """``out = a * b + c`` for float16/bfloat16 as PyTorch's ``add_(alpha=)``: a number ``b``
    rounded to the half dtype, the sum fused in float32 (exact product and sum in float64,
    rounded to float32) and then rounded to half."""
    f32, f64 = np.float32, np.float64
    scalar = b.__class__ is not np.ndarray
    b = f64(out.dtype.type(f32(b))) if scalar else b.astype(f64)
    res = np.asarray((a.astype(f64) * b + c.astype(f64)).astype(f32))  # 0-d: an array
    tail = out.size % _HALF_CHUNK if scalar and a.__class__ is np.ndarray else 0
    if tail and out.flags.c_contiguous and a.flags.c_contiguous:
        # PyTorch's kernel runs 32-element vector chunks fused; the tail goes through its scalar
        # loop, where ``alpha * other`` is rounded to the half dtype before the add
        prod = (a.reshape(-1)[-tail:].astype(f64) * b).astype(f32).astype(out.dtype)
        c_t = np.asarray(c, dtype=f64).reshape(-1)[-tail:] if np.ndim(c) else f64(c)
        res.reshape(-1)[-tail:] = (prod.astype(f64) + c_t).astype(f32)
    xp.copyto(out, res, casting="unsafe")
    return out


_HALF_CHUNK = 32  # elements of float16/bfloat16 PyTorch's CPU add kernel handles vectorized


def _add_(xp: Any, a: Any, b: Any, alpha: float) -> None:
    """``a.add_(b, alpha=alpha)``: ``a + alpha * b`` with one rounding."""
    if alpha == 1:
        a += b
    elif not _axpy(a, alpha, b):
        _fma_(xp, b, alpha, a, a)


def _effective_grad(xp: Any, g: Any, x: Any, maximize: bool, wd: float, out: Any) -> Any:
    """The gradient step uses: ``-grad`` when maximizing, plus ``weight_decay * param``.

    Computed into ``out`` (``g`` itself is returned when nothing changes it).
    """
    if maximize:
        xp.negative(g, out=out)
        g = out
    if wd != 0:
        return _fma_(xp, x, wd, g, out)  # grad.add(param, alpha=weight_decay)
    return g


def _adam_moments_(xp: Any, x: Any, g: Any, m: Any, v: Any, gbuf: Any, tmp: Any,
                   maximize: bool, decay: Any, wd: float, beta1: float, beta2: float,
                   scalar_tail: bool = False) -> Any:
    """The Adam family's common start of a step, in PyTorch's order: ``x`` decayed (decoupled
    weight decay), the effective gradient, ``m.lerp_(g, 1 - beta1)`` and
    ``v.mul_(beta2).addcmul_(g, g, value=1 - beta2)``; the gradient used is returned.
    ``scalar_tail``: fused Adam's scalar loop, ``v * beta2`` fused with the rounded
    ``(1 - beta2) * g * g``."""
    if decay is not None:
        x *= decay
    g = _effective_grad(xp, g, x, maximize, wd, gbuf)
    _lerp_(xp, m, g, 1 - beta1, tmp)
    if scalar_tail:
        xp.multiply(g, 1 - beta2, out=tmp)
        tmp *= g
        _fma_(xp, v.copy(), beta2, tmp, v)
        return g
    v *= np.float32(beta2) if v.dtype == np.float16 else beta2  # float16: opmath float32
    _addcmul_(xp, v, g, g, 1 - beta2, tmp)
    return g


def _lerp_(xp: Any, a: Any, b: Any, weight: float, tmp: Any) -> None:
    """``a.lerp_(b, weight)`` with PyTorch's two formulas (split at ``|weight| < 0.5``), fused."""
    if a.dtype.itemsize == 2:  # half: PyTorch's lerp runs in float32, rounded once
        a32 = a.astype(np.float32)
        _lerp_(xp, a32, b.astype(np.float32), weight, xp.empty_like(a32))
        xp.copyto(a, a32, casting="unsafe")
        return
    xp.subtract(b, a, out=tmp)
    w = a.dtype.type(weight) if a.dtype.kind == "f" else weight
    if abs(w) < 0.5:
        _fma_(xp, tmp, w, a, a)
    else:
        _fma_(xp, tmp, -(1 - w), b, a)


def _addcmul_(xp: Any, a: Any, t1: Any, t2: Any, value: float, tmp: Any) -> None:
    """``a.addcmul_(t1, t2, value=value)``: ``a + (value * t1) * t2``, the last multiply-add
    rounded once as PyTorch's kernel (built with FMA) does it."""
    if a.dtype.itemsize == 2:  # half: in float32 (PyTorch's opmath), rounded once
        f = np.float32
        xp.copyto(a, a.astype(f) + t1.astype(f) * f(value) * t2.astype(f), casting="unsafe")
        return
    if value == 1:
        _fma_(xp, t1, t2, a, a)
        return
    xp.multiply(t1, value, out=tmp)
    _fma_(xp, tmp, t2, a, a)


def _addcdiv_(xp: Any, a: Any, t1: Any, t2: Any, value: float, tmp: Any) -> None:
    """``a.addcdiv_(t1, t2, value=value)``: ``a + (value * t1) / t2`` (no FMA in PyTorch's)."""
    if a.dtype.itemsize == 2:  # half: in float32 (PyTorch's opmath), rounded once
        f = np.float32
        xp.copyto(a, a.astype(f) + t1.astype(f) * f(value) / t2.astype(f), casting="unsafe")
        return
    xp.multiply(t1, value, out=tmp)
    tmp /= t2
    a += tmp
