"""``fuse_modules``/``fuse_modules_qat``: replace sequences of named submodules (conv, bn,
relu; linear, bn; linear, relu; bn, relu) with one fused module (BatchNorm folded into the
weights in eval mode; a fused ``ember.ao.nn.intrinsic`` container for QAT) followed by
``nn.Identity`` placeholders."""

from __future__ import annotations

import copy
from typing import Any

from ember import nn
from ember.nn.utils.fusion import fuse_conv_bn_eval, fuse_linear_bn_eval

from ..nn import intrinsic as nni

__all__ = ["fuse_modules", "fuse_modules_qat", "fuse_known_modules", "fuse_conv_bn",
           "fuse_conv_bn_relu", "fuse_linear_bn", "get_fuser_method"]

_CONV_BN = {nn.Conv1d: nni.ConvBn1d, nn.Conv2d: nni.ConvBn2d, nn.Conv3d: nni.ConvBn3d}
_CONV_BN_RELU = {nn.Conv1d: nni.ConvBnReLU1d, nn.Conv2d: nni.ConvBnReLU2d,
                 nn.Conv3d: nni.ConvBnReLU3d}
_CONV_RELU = {nn.Conv1d: nni.ConvReLU1d, nn.Conv2d: nni.ConvReLU2d, nn.Conv3d: nni.ConvReLU3d}


def _check_qat_bn(conv: Any, bn: Any) -> None:
    if bn.num_features != conv.out_channels:
        raise AssertionError("Output channel of Conv2d must match num_features of BatchNorm2d.")
    if not bn.affine:
        raise AssertionError("Only support fusing BatchNorm2d with affine set to True")
    if not bn.track_running_stats:
        raise AssertionError(
            "Only support fusing BatchNorm2d with tracking_running_stats set to True")


def fuse_conv_bn(is_qat: bool, conv: Any, bn: Any) -> Any:
    """Conv + BatchNorm: a ``ConvBn*d`` for QAT, else the conv with the BatchNorm folded in."""
    if conv.training != bn.training:
        raise AssertionError("Conv and BN both must be in the same mode (train or eval).")
    if not is_qat:
        return fuse_conv_bn_eval(conv, bn)
    _check_qat_bn(conv, bn)
    fused = _CONV_BN.get(type(conv))
    if fused is None:
        raise NotImplementedError(f"Cannot fuse train modules: {(conv, bn)}")
    return fused(conv, bn)


def fuse_conv_bn_relu(is_qat: bool, conv: Any, bn: Any, relu: Any) -> Any:
    """Conv + BatchNorm + ReLU: a ``ConvBnReLU*d`` for QAT, else a ``ConvReLU*d`` of the
    folded conv."""
    if not conv.training == bn.training == relu.training:
        raise AssertionError("Conv and BN both must be in the same mode (train or eval).")
    if is_qat:
        _check_qat_bn(conv, bn)
        fused = _CONV_BN_RELU.get(type(conv))
        if fused is None:
            raise NotImplementedError(f"Cannot fuse train modules: {(conv, bn, relu)}")
        return fused(conv, bn, relu)
    fused = _CONV_RELU.get(type(conv))
    if fused is None:
        raise NotImplementedError(f"Cannot fuse eval modules: {(conv, bn, relu)}")
    return fused(fuse_conv_bn_eval(conv, bn), relu)


def fuse_linear_bn(is_qat: bool, linear: Any, bn: Any) -> Any:
    """Linear + BatchNorm1d: a ``LinearBn1d`` for QAT, else the folded linear layer."""
    if linear.training != bn.training:
        raise AssertionError("Linear and BN both must be in the same mode (train or eval).")
    if not is_qat:
        return fuse_linear_bn_eval(linear, bn)
    if bn.num_features != linear.out_features:
        raise AssertionError("Output features of Linear must match num_features of BatchNorm1d")
    if not bn.affine:
        raise AssertionError("Only support fusing BatchNorm1d with affine set to True")
    if not bn.track_running_stats:
        raise AssertionError(
            "Only support fusing BatchNorm1d with tracking_running_stats set to True")
    return nni.LinearBn1d(linear, bn)


def _pair_of(fused: type) -> Any:
    def fuse(is_qat: bool, a: Any, b: Any) -> Any:
        return fused(a, b)
    return fuse


_OP_LIST_TO_FUSER_METHOD: dict = {
    (nn.Conv1d, nn.BatchNorm1d): fuse_conv_bn,
    (nn.Conv1d, nn.BatchNorm1d, nn.ReLU): fuse_conv_bn_relu,
    (nn.Conv2d, nn.BatchNorm2d): fuse_conv_bn,
    (nn.Conv2d, nn.BatchNorm2d, nn.ReLU): fuse_conv_bn_relu,
    (nn.Conv3d, nn.BatchNorm3d): fuse_conv_bn,
    (nn.Conv3d, nn.BatchNorm3d, nn.ReLU): fuse_conv_bn_relu,
    (nn.Conv1d, nn.ReLU): _pair_of(nni.ConvReLU1d),
    (nn.Conv2d, nn.ReLU): _pair_of(nni.ConvReLU2d),
    (nn.Conv3d, nn.ReLU): _pair_of(nni.ConvReLU3d),
    (nn.Linear, nn.BatchNorm1d): fuse_linear_bn,
    (nn.Linear, nn.ReLU): _pair_of(nni.LinearReLU),
    (nn.BatchNorm2d, nn.ReLU): _pair_of(nni.BNReLU2d),
    (nn.BatchNorm3d, nn.ReLU): _pair_of(nni.BNReLU3d),
}


def get_fuser_method(op_list: tuple, additional_fuser_method_mapping: dict | None = None) -> Any:
    """The function fusing modules of the types ``op_list``."""
    method = {**_OP_LIST_TO_FUSER_METHOD, **(additional_fuser_method_mapping or {})}.get(op_list)
    if method is None:
        raise AssertionError(f"did not find fuser method for: {op_list} ")
    return method


def fuse_known_modules(mod_list: list, is_qat: bool,
                       additional_fuser_method_mapping: dict | None = None) -> list:
    """The fused module followed by ``nn.Identity`` placeholders for ``mod_list``; the first
    module's forward pre-hooks and the last one's forward hooks move to the fused module."""
    types = tuple(type(m) for m in mod_list)
    fuser = get_fuser_method(types, additional_fuser_method_mapping)
    fused = fuser(is_qat, *mod_list)
    for hook in mod_list[0]._forward_pre_hooks.values():
        fused.register_forward_pre_hook(hook)
    mod_list[0]._forward_pre_hooks.clear()
    for hook in mod_list[-1]._forward_hooks.values():
        fused.register_forward_hook(hook)
    mod_list[-1]._forward_hooks.clear()
    new_mods = [fused]
    for _ in mod_list[1:]:
        identity = nn.Identity()
        identity.training = mod_list[0].training
        new_mods.append(identity)
    return new_mods


def _get_module(model: nn.Module, key: str) -> nn.Module:
    for name in key.split("."):
        model = getattr(model, name)
    return model


def _set_module(model: nn.Module, key: str, module: nn.Module) -> None:
    *path, last = key.split(".")
    for name in path:
        model = getattr(model, name)
    setattr(model, last, module)


def _fuse(model: nn.Module, modules_to_fuse: list, is_qat: bool, inplace: bool,
          fuser_func: Any, fuse_custom_config_dict: dict | None) -> nn.Module:
    if not inplace:
        model = copy.deepcopy(model)
    extra = (fuse_custom_config_dict or {}).get("additional_fuser_method_mapping", {})
    groups = ([modules_to_fuse] if all(isinstance(m, str) for m in modules_to_fuse)
              else modules_to_fuse)
    for keys in groups:
        new_mods = fuser_func([_get_module(model, k) for k in keys], is_qat, extra)
        for key, mod in zip(keys, new_mods):
            _set_module(model, key, mod)
    return model


def fuse_modules(model: nn.Module, modules_to_fuse: list, inplace: bool = False,
                 fuser_func: Any = fuse_known_modules,
                 fuse_custom_config_dict: dict | None = None) -> nn.Module:
    """Fuses each list of submodule names of ``model`` (a copy unless ``inplace``) for
    post-training quantization: the modules must be in eval mode to fold BatchNorms."""
    return _fuse(model, modules_to_fuse, False, inplace, fuser_func, fuse_custom_config_dict)


def fuse_modules_qat(model: nn.Module, modules_to_fuse: list, inplace: bool = False,
                     fuser_func: Any = fuse_known_modules,
                     fuse_custom_config_dict: dict | None = None) -> nn.Module:
    """``fuse_modules`` for quantization-aware training: conv+bn(+relu) become ``ConvBn*d``
    (``ConvBnReLU*d``) containers that ``prepare_qat`` swaps for their QAT versions."""
    return _fuse(model, modules_to_fuse, True, inplace, fuser_func, fuse_custom_config_dict)
