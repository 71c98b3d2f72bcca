"""Eager-mode preparation for quantization: ``propagate_qconfig_`` (each submodule gets its
``qconfig``), ``prepare`` (observers after the layers, for calibration), ``prepare_qat``
(layers swapped for their ``ember.ao.nn.qat`` versions, fake-quantize modules after them) and
the module swapping behind ``convert``. Converting to quantized modules needs quantized
tensors, which Ember does not have: ``convert`` with its default mapping raises."""

from __future__ import annotations

import copy
import functools
import warnings
from typing import Any

from ember import nn

from ..nn import intrinsic as nni
from ..nn import qat as nnqat
from ..nn.intrinsic import qat as nniqat
from .fake_quantize import (
    FakeQuantizeBase,
    default_fixed_qparams_range_0to1_fake_quant,
    default_fixed_qparams_range_neg1to1_fake_quant,
)
from .observer import ObserverBase
from .stubs import DeQuantStub, QuantStub

__all__ = ["propagate_qconfig_", "prepare", "prepare_qat", "convert", "swap_module",
           "add_quant_dequant", "get_default_qat_module_mappings",
           "get_default_qconfig_propagation_list", "get_default_static_quant_module_mappings"]

DEFAULT_QAT_MODULE_MAPPINGS: dict = {
    nn.Conv2d: nnqat.Conv2d,
    nn.Conv3d: nnqat.Conv3d,
    nn.Linear: nnqat.Linear,
    nn.modules.linear.NonDynamicallyQuantizableLinear: nnqat.Linear,
    nni.ConvBn1d: nniqat.ConvBn1d,
    nni.ConvBn2d: nniqat.ConvBn2d,
    nni.ConvBn3d: nniqat.ConvBn3d,
    nni.ConvBnReLU1d: nniqat.ConvBnReLU1d,
    nni.ConvBnReLU2d: nniqat.ConvBnReLU2d,
    nni.ConvBnReLU3d: nniqat.ConvBnReLU3d,
    nni.ConvReLU2d: nniqat.ConvReLU2d,
    nni.ConvReLU3d: nniqat.ConvReLU3d,
    nni.LinearReLU: nniqat.LinearReLU,
}

# the float modules PyTorch's static quantization maps to quantized modules (which Ember
# lacks): the keys decide where observers go
_STATIC_QUANT_KEYS: tuple = (
    QuantStub, DeQuantStub, nn.BatchNorm2d, nn.BatchNorm3d, nn.Dropout, nn.Conv1d, nn.Conv2d,
    nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d, nn.ELU,
    nn.Embedding, nn.EmbeddingBag, nn.GroupNorm, nn.Hardswish, nn.InstanceNorm1d,
    nn.InstanceNorm2d, nn.InstanceNorm3d, nn.LayerNorm, nn.LeakyReLU,
    nn.modules.linear.NonDynamicallyQuantizableLinear, nn.Linear, nn.ReLU6, nn.PReLU,
    nni.BNReLU2d, nni.BNReLU3d, nni.ConvReLU1d, nni.ConvReLU2d, nni.ConvReLU3d,
    nni.LinearReLU, nniqat.ConvBn1d, nniqat.ConvBn2d, nniqat.ConvBn3d, nniqat.ConvBnReLU1d,
    nniqat.ConvBnReLU2d, nniqat.ConvBnReLU3d, nniqat.ConvReLU2d, nniqat.ConvReLU3d,
    nniqat.LinearReLU, nnqat.Linear, nnqat.Conv2d, nnqat.Conv3d)
_DYNAMIC_QUANT_KEYS: tuple = (nn.GRUCell, nn.Linear, nn.LSTM, nn.GRU, nn.LSTMCell,
                              nn.RNNCell, nni.LinearReLU, nn.EmbeddingBag, nn.Embedding)

_QUANTIZED_TENSORS = ("quantized modules need quantized tensors (quint8/qint8 storage and "
                      "quantized kernels), which Ember does not have")


_DEPRECATION_WARNING = (
    "ember.ao.quantization is deprecated and will be removed in 2.10. \n"
    "For migrations of users: \n"
    "1. Eager mode quantization (ember.ao.quantization.quantize, "
    "ember.ao.quantization.quantize_dynamic), please migrate to use torchao eager mode "
    "quantize_ API instead \n"
    "2. FX graph mode quantization (ember.ao.quantization.quantize_fx.prepare_fx,"
    "ember.ao.quantization.quantize_fx.convert_fx, please migrate to use torchao pt2e "
    "quantization API instead (prepare_pt2e, convert_pt2e) \n"
    "3. pt2e quantization has been migrated to torchao "
    "(https://github.com/pytorch/ao/tree/main/torchao/quantization/pt2e) \n"
    "see https://github.com/pytorch/ao/issues/2259 for more details")


def _deprecated(fn: Any) -> Any:
    """``fn`` warning (``DeprecationWarning``, at the caller) on each call, as PyTorch's
    eager-mode quantization entry points do."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        warnings.warn(_DEPRECATION_WARNING, DeprecationWarning, stacklevel=2)
        return fn(*args, **kwargs)
    wrapper.__deprecated__ = _DEPRECATION_WARNING  # type: ignore[attr-defined]
    return wrapper


def get_default_qat_module_mappings() -> dict:
    """Float (and fused) module classes to their QAT classes."""
    return dict(DEFAULT_QAT_MODULE_MAPPINGS)


def get_default_static_quant_module_mappings() -> dict:
    raise NotImplementedError(f"get_default_static_quant_module_mappings: {_QUANTIZED_TENSORS}")


def get_default_qconfig_propagation_list() -> set:
    """The module classes that get a ``qconfig`` (and an observer when they are leaves)."""
    return (set(_STATIC_QUANT_KEYS) | set(DEFAULT_QAT_MODULE_MAPPINGS)
            | set(_DYNAMIC_QUANT_KEYS) | {nn.Sequential})


def _propagate(module: nn.Module, qconfig_dict: dict, parent: Any, prefix: str,
               custom: dict | None) -> None:
    qconfig = qconfig_dict.get(type(module), parent)
    qconfig = qconfig_dict.get(prefix, qconfig)
    qconfig = getattr(module, "qconfig", qconfig)
    if qconfig is not None:
        # PyTorch builds each constructor once here, checking it takes factory_kwargs (to
        # put observers on the module's device); observer warnings are emitted as there
        for make in qconfig:
            try:
                make.with_args(factory_kwargs=None)()
            except (AttributeError, TypeError):
                pass
    module.qconfig = qconfig
    for name, child in module.named_children():
        skip = custom is not None and (
            name in custom.get("non_traceable_module_name", [])
            or type(child) in custom.get("non_traceable_module_class", []))
        if not skip:
            _propagate(child, qconfig_dict, qconfig, f"{prefix}.{name}" if prefix else name,
                       None)


def propagate_qconfig_(module: nn.Module, qconfig_dict: dict | None = None,
                       prepare_custom_config_dict: dict | None = None) -> None:
    """Sets ``qconfig`` on every submodule (in place): its own, else the one ``qconfig_dict``
    gives its type or qualified name, else its parent's."""
    _propagate(module, qconfig_dict or {}, None, "", prepare_custom_config_dict or {})


def _observer_forward_hook(self: nn.Module, input: Any, output: Any) -> Any:
    """Forward hook running the module's observer on its output."""
    return self.activation_post_process(output)


def _observer_forward_pre_hook(self: nn.Module, input: Any) -> Any:
    """Forward pre-hook running the module's observer on its input."""
    return self.activation_post_process(input[0])


def _activation_is_memoryless(qconfig: Any) -> bool:
    act = qconfig.activation()
    if isinstance(act, FakeQuantizeBase) and hasattr(act, "activation_post_process"):
        act = act.activation_post_process
    return getattr(act, "averaging_constant", None) == 1


# training-mode modules whose outputs get fixed-qparams fake quantization
DEFAULT_MODULE_TO_ACT_POST_PROCESS: dict = {
    nn.Hardsigmoid: default_fixed_qparams_range_0to1_fake_quant,
    nn.Sigmoid: default_fixed_qparams_range_0to1_fake_quant,
    nn.Softmax: default_fixed_qparams_range_0to1_fake_quant,
    nn.Tanh: default_fixed_qparams_range_neg1to1_fake_quant,
}


def _needs_observation(m: nn.Module) -> bool:
    return getattr(m, "qconfig", None) is not None


def _insert_observer(m: nn.Module, special: Any = None) -> None:
    if _needs_observation(m) and not isinstance(m, DeQuantStub):
        m.add_module("activation_post_process",
                     m.qconfig.activation() if special is None else special())
        if _activation_is_memoryless(m.qconfig):
            m.register_forward_pre_hook(_observer_forward_pre_hook, prepend=True)
        else:
            m.register_forward_hook(_observer_forward_hook, prepend=True)


def _add_observer_(module: nn.Module, propagation: set, non_leaf: set | None) -> None:
    for child in module.children():
        if type(child) is nn.Dropout:
            continue
        if isinstance(child, nni._FusedModule) or (non_leaf and type(child) in non_leaf):
            _insert_observer(child)
        elif child.training and type(child) in DEFAULT_MODULE_TO_ACT_POST_PROCESS:
            _insert_observer(child, DEFAULT_MODULE_TO_ACT_POST_PROCESS[type(child)])
        else:
            _add_observer_(child, propagation, non_leaf)
    if type(module) in propagation and not isinstance(module, nn.Sequential) and (
            not module._modules or hasattr(module, "weight_fake_quant")):
        _insert_observer(module)


@_deprecated
def prepare(model: nn.Module, inplace: bool = False, allow_list: set | None = None,
            observer_non_leaf_module_list: set | None = None,
            prepare_custom_config_dict: dict | None = None) -> nn.Module:
    """``model`` (a copy unless ``inplace``) with an ``activation_post_process`` observer
    (from each layer's ``qconfig``) run on the outputs of the quantizable layers."""
    if not inplace:
        model = copy.deepcopy(model)
    propagation = get_default_qconfig_propagation_list() if allow_list is None else allow_list
    propagate_qconfig_(model, qconfig_dict=None)
    if not any(getattr(m, "qconfig", None) for m in model.modules()):
        warnings.warn("None of the submodule got qconfig applied. Make sure you passed correct "
                      "configuration through `qconfig_dict` or by assigning the `.qconfig` "
                      "attribute directly on submodules", stacklevel=2)
    _add_observer_(model, propagation, observer_non_leaf_module_list)
    return model


@_deprecated
def prepare_qat(model: nn.Module, mapping: dict | None = None,
                inplace: bool = False) -> nn.Module:
    """``model`` (a copy unless ``inplace``, in training mode) with its layers swapped for
    their QAT versions (``mapping``: ``get_default_qat_module_mappings()``) and fake-quantize
    modules after them, from the ``qconfig`` set on the model or its submodules."""
    if not model.training:
        raise AssertionError("prepare_qat only works on models in training mode")
    if mapping is None:
        mapping = get_default_qat_module_mappings()
    if not inplace:
        model = copy.deepcopy(model)
    propagate_qconfig_(model, qconfig_dict=None)
    convert(model, mapping=mapping, inplace=True, remove_qconfig=False)
    prepare(model, observer_non_leaf_module_list=set(mapping.values()), inplace=True)
    return model


def swap_module(mod: nn.Module, mapping: dict, custom_module_class_mapping: dict | None = None,
                use_precomputed_fake_quant: bool = False) -> nn.Module:
    """``mapping[type(mod)].from_float(mod)`` when ``mod`` has a ``qconfig``, keeping its
    hooks other than the observers'; else ``mod``."""
    if getattr(mod, "qconfig", None) is None or type(mod) not in mapping:
        return mod
    new = mapping[type(mod)].from_float(mod, use_precomputed_fake_quant=use_precomputed_fake_quant)
    for hook in mod._forward_pre_hooks.values():
        if hook is not _observer_forward_pre_hook:
            new.register_forward_pre_hook(hook)
    for hook in mod._forward_hooks.values():
        if hook is not _observer_forward_hook:
            new.register_forward_hook(hook)
    return new


def _convert(module: nn.Module, mapping: dict) -> None:
    swapped = {}
    for name, child in module.named_children():
        if not isinstance(child, nni._FusedModule):
            _convert(child, mapping)
        swapped[name] = swap_module(child, mapping)
    for name, child in swapped.items():
        module._modules[name] = child


def _remove_activation_post_process(module: nn.Module) -> None:
    """Deletes the module's observer (or fake-quantize) child and the hooks running it."""
    if isinstance(getattr(module, "activation_post_process", None),
                  (ObserverBase, FakeQuantizeBase)):
        delattr(module, "activation_post_process")
    for hooks, hook in ((module._forward_pre_hooks, _observer_forward_pre_hook),
                        (module._forward_hooks, _observer_forward_hook)):
        for key in [k for k, fn in hooks.items() if fn is hook]:
            hooks.pop(key)


def _remove_qconfig(module: nn.Module) -> None:
    """Deletes ``qconfig`` and the observers throughout ``module``."""
    for child in module.children():
        _remove_qconfig(child)
    if hasattr(module, "qconfig"):
        del module.qconfig
    _remove_activation_post_process(module)


@_deprecated
def convert(module: nn.Module, mapping: dict | None = None, inplace: bool = False,
            remove_qconfig: bool = True, is_reference: bool = False,
            convert_custom_config_dict: dict | None = None,
            use_precomputed_fake_quant: bool = False) -> nn.Module:
    """Swaps the modules of ``module`` by ``mapping``; without one (the quantized modules of
    static quantization), raises ``NotImplementedError``: Ember has no quantized tensors."""
    if mapping is None:
        raise NotImplementedError(f"convert: {_QUANTIZED_TENSORS}; the QAT model's "
                                  "fake-quantize modules hold the scales and zero points")
    if not inplace:
        module = copy.deepcopy(module)
    _convert(module, mapping)
    if remove_qconfig:
        _remove_qconfig(module)
    return module


def add_quant_dequant(module: nn.Module) -> nn.Module:
    """Wraps the leaf modules that have a ``qconfig`` in ``QuantWrapper``s (in place)."""
    from .stubs import QuantWrapper

    if not module._modules and getattr(module, "qconfig", None):
        return QuantWrapper(module)
    for name, child in module.named_children():
        module._modules[name] = add_quant_dequant(child)
    return module

