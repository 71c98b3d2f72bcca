"""Stochastic weight averaging and EMA of weights (``torch.optim.swa_utils``).

``AveragedModel`` keeps a running average (or any ``avg_fn``) of a model's parameters;
``SWALR`` anneals each group's rate to a constant SWA rate; ``update_bn`` recomputes
BatchNorm statistics for the averaged weights with one pass over the data.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Callable, Iterable
from copy import deepcopy
from typing import Any, Literal

import ember
from ember import Tensor
from ember.nn import Module
from ember.nn.modules.batchnorm import _BatchNorm

from .lr_scheduler import LRScheduler, _format_param
from .optimizer import Optimizer, _as_default_float, _bump, _lerp_

__all__ = ["AveragedModel", "update_bn", "SWALR", "get_ema_multi_avg_fn",
           "get_swa_multi_avg_fn", "get_ema_avg_fn", "get_swa_avg_fn"]

ParamList = tuple[Tensor, ...] | list[Tensor]


def _write(dst: Tensor, src: Any) -> None:
    """``dst.detach().copy_(src)`` on the arrays (a float into an integer buffer truncates)."""
    if isinstance(src, Tensor) and src.shape != dst.shape:
        # shapes of another model (or that do not broadcast): copy_'s own refusal
        with ember.no_grad():
            dst.detach().copy_(src)  # counts the write itself
        return
    dst._data[...] = src._data if isinstance(src, Tensor) else src
    _bump(dst)


def _is_float_or_complex(t: Tensor) -> bool:
    return t.is_floating_point() or t.is_complex()


def _lerp_all(averaged: ParamList, current: ParamList, weight: float) -> None:
    for a, c in zip(averaged, current, strict=True):
        xp = a._device._backend.xp
        _lerp_(xp, a._data, c._data, weight, xp.empty_like(a._data))
        _bump(a)


def get_ema_multi_avg_fn(decay: float = 0.999) -> Callable[[ParamList, ParamList, Any], None]:
    """An in-place exponential moving average over lists of tensors, for ``multi_avg_fn``."""
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in "
                         "[0,1] range.")

    def ema_update(ema_param_list: ParamList, current_param_list: ParamList, _: Any) -> None:
        if _is_float_or_complex(ema_param_list[0]):
            _lerp_all(ema_param_list, current_param_list, 1 - decay)
        else:
            for p_ema, p_model in zip(ema_param_list, current_param_list, strict=True):
                _write(p_ema, p_ema._data * decay + p_model._data * (1 - decay))

    return ema_update


def get_swa_multi_avg_fn() -> Callable[[ParamList, ParamList, Any], None]:
    """An in-place running (equal-weight) average over lists of tensors, for ``multi_avg_fn``."""

    def swa_update(averaged_param_list: ParamList, current_param_list: ParamList,
                   num_averaged: Tensor | int) -> None:
        n = num_averaged.item() if isinstance(num_averaged, Tensor) else num_averaged
        if _is_float_or_complex(averaged_param_list[0]):
            # PyTorch's weight 1 / (n + 1) is a tensor of the default dtype when n is a tensor
            weight = 1 / (n + 1)
            if isinstance(num_averaged, Tensor):
                weight = _as_default_float(weight)
            _lerp_all(averaged_param_list, current_param_list, weight)
        else:
            # PyTorch's integer path: addcdiv by a tensor count, add with a float alpha;
            # both refuse integer tensors (a BatchNorm's num_batches_tracked with use_buffers)
            for a, c in zip(averaged_param_list, current_param_list, strict=True):
                if isinstance(num_averaged, Tensor):
                    a.addcdiv_(c - a, num_averaged + 1)
                else:
                    a.add_(c - a, alpha=1.0 / (n + 1))

    return swa_update


def get_ema_avg_fn(decay: float = 0.999) -> Callable[[Tensor, Tensor, Any], Tensor]:
    """``decay * averaged + (1 - decay) * current``, for ``avg_fn``."""
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in "
                         "[0,1] range.")

    def ema_update(ema_param: Tensor, current_param: Tensor, num_averaged: Any) -> Tensor:
        with ember.no_grad():
            return decay * ema_param + (1 - decay) * current_param

    return ema_update


def get_swa_avg_fn() -> Callable[[Tensor, Tensor, Any], Tensor]:
    """``averaged + (current - averaged) / (num_averaged + 1)``, for ``avg_fn``."""

    def swa_update(averaged_param: Tensor, current_param: Tensor,
                   num_averaged: Tensor | int) -> Tensor:
        with ember.no_grad():
            return averaged_param + (current_param - averaged_param) / (num_averaged + 1)

    return swa_update


class AveragedModel(Module):
    """A copy of ``model`` whose parameters are the average of those it is updated with.

    ``n_averaged`` (a buffer, so it is in ``state_dict``) counts the updates. ``avg_fn``
    averages one tensor at a time, ``multi_avg_fn`` lists of tensors in place; by default an
    equal-weight running average. With ``use_buffers`` buffers are averaged too, otherwise
    they are copied from the model.
    """

    n_averaged: Tensor

    def __init__(self, model: Module, device: Any = None,
                 avg_fn: Callable[[Tensor, Tensor, Any], Tensor] | None = None,
                 multi_avg_fn: Callable[[ParamList, ParamList, Any], None] | None = None,
                 use_buffers: bool = False) -> None:
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", ember.tensor(0, dtype=ember.long, device=device))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.module(*args, **kwargs)

    def update_parameters(self, model: Module) -> None:
        """Fold ``model``'s current parameters (and buffers, with ``use_buffers``) in."""
        with ember.no_grad():
            self._update_parameters(model)

    def _update_parameters(self, model: Module) -> None:
        if self.use_buffers:
            self_param = itertools.chain(self.module.parameters(), self.module.buffers())
            model_param = itertools.chain(model.parameters(), model.buffers())
        else:
            self_param, model_param = self.parameters(), model.parameters()
        averaged: list[Tensor] = []
        current: list[Tensor] = []
        n = int(self.n_averaged.item())
        for p_averaged, p_model in zip(self_param, model_param):
            p_model_ = p_model.detach().to(p_averaged.device)
            averaged.append(p_averaged)
            current.append(p_model_)
            if n == 0:
                _write(p_averaged, p_model_)
        if n > 0:
            if self.multi_avg_fn is not None or self.avg_fn is None:
                for device, avg_group, cur_group in _group_by_device_and_dtype(averaged,
                                                                               current):
                    n_averaged = self.n_averaged.to(device)
                    if self.multi_avg_fn is not None:
                        self.multi_avg_fn(avg_group, cur_group, n_averaged)
                    elif device.type == "cuda":  # PyTorch's foreach path: a lerp
                        get_swa_multi_avg_fn()(avg_group, cur_group, n_averaged)
                    else:
                        swa = get_swa_avg_fn()
                        for a, c in zip(avg_group, cur_group, strict=True):
                            _write(a, swa(a.detach(), c, n_averaged))
            else:
                for a, c in zip(averaged, current, strict=True):
                    n_averaged = self.n_averaged.to(a.device)
                    _write(a, self.avg_fn(a.detach(), c, n_averaged))
        if not self.use_buffers:
            # buffers (BatchNorm's running statistics) follow the model
            for b_swa, b_model in zip(self.module.buffers(), model.buffers(), strict=True):
                _write(b_swa, b_model.detach().to(b_swa.device))
        self.n_averaged._data += 1
        _bump(self.n_averaged)


def _group_by_device_and_dtype(averaged: list[Tensor],
                               current: list[Tensor]) -> list[tuple[Any, list, list]]:
    """``(device, averaged, current)`` per (device, dtype) of the averaged tensors, in order."""
    groups: dict[Any, tuple[list, list]] = {}
    for a, c in zip(averaged, current, strict=True):
        avg_group, cur_group = groups.setdefault((a.device, a.dtype), ([], []))
        avg_group.append(a)
        cur_group.append(c)
    return [(key[0], a, c) for key, (a, c) in groups.items()]


def update_bn(loader: Iterable[Any], model: Module, device: Any = None) -> None:
    """Recompute every BatchNorm's running statistics with one pass of ``model`` over ``loader``.

    The statistics are reset and averaged cumulatively (``momentum=None``) over the batches;
    a batch that is a list or tuple contributes its first element.
    """
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    with ember.no_grad():
        for batch in loader:
            if isinstance(batch, (list, tuple)):
                batch = batch[0]
            if device is not None:
                batch = batch.to(device)
            model(batch)
    for bn_module in momenta:
        bn_module.momentum = momenta[bn_module]
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneal each group's rate to ``swa_lr`` over ``anneal_epochs`` (cos or linear), then hold."""

    def __init__(self, optimizer: Optimizer, swa_lr: float | list[float],
                 anneal_epochs: int = 10, anneal_strategy: Literal["cos", "linear"] = "cos",
                 last_epoch: int = -1) -> None:
        swa_lrs = _format_param("swa_lr", optimizer, swa_lr)
        for lr, group in zip(swa_lrs, optimizer.param_groups, strict=True):
            group["swa_lr"] = lr
        if anneal_strategy not in ["cos", "linear"]:
            raise ValueError("anneal_strategy must be one of 'cos' or 'linear', instead got "
                             f"{anneal_strategy}")
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t: float) -> float:
        return t

    @staticmethod
    def _cosine_anneal(t: float) -> float:
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr: float, swa_lr: float, alpha: float) -> float:
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self) -> list[Any]:
        if not self._get_lr_called_within_step:
            warnings.warn("To get the last learning rate computed by the scheduler, please use "
                          "`get_last_lr()`.", UserWarning, stacklevel=2)
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_t = max(0, min(1, (step - 1) / max(1, self.anneal_epochs)))
        prev_alpha = self.anneal_func(prev_t)
        prev_lrs = [self._get_initial_lr(group["lr"], group["swa_lr"], prev_alpha)
                    for group in self.optimizer.param_groups]
        t = max(0, min(1, step / max(1, self.anneal_epochs)))
        alpha = self.anneal_func(t)
        return [group["swa_lr"] * alpha + lr * (1 - alpha)
                for group, lr in zip(self.optimizer.param_groups, prev_lrs, strict=True)]

    def _set_anneal_func(self, anneal_strategy: str) -> None:
        self._anneal_strategy = anneal_strategy
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" else self._linear_anneal

    def state_dict(self) -> dict[str, Any]:
        return {key: value for key, value in self.__dict__.items()
                if key not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)
