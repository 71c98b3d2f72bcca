"""Users' nn.Module API programs against PyTorch (stretch 24, lane W): buffer/parameter/module
registration and their name checks, get_/set_submodule, named_* iteration with duplicates,
attribute assignment and deletion, container editing (Sequential, ModuleList, ModuleDict,
ParameterList, ParameterDict) and their reprs, train/eval, zero_grad, apply, conversions,
load_state_dict (strict, assign, overrides, hooks), forward hooks (kwargs, always_call,
prepend, global), deepcopy and pickling; plus a seeded fuzz of container and attribute edits."""

# ruff: noqa: B023 - each lambda is called at once, inside its loop step

from __future__ import annotations

import collections
import copy
import io
import pickle
import random
import warnings

import numpy as np
import pytest

import ember


def _outcome(fn):
    """What a call does, spelled for both libraries: its result, or its error type and text."""
    try:
        return ("ok", fn())
    except Exception as e:  # noqa: BLE001 - the type is what we compare
        return (type(e).__name__, str(e).replace("torch", "ember"))


def _same(torch, program, *args):
    """``program(L, *args)`` gives the same outcome (values, reprs, errors) in both libraries."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = _outcome(lambda: program(torch, *args))
        e = _outcome(lambda: program(ember, *args))
    assert str(e) == str(t).replace("torch", "ember")


# ------------------------------------------------------------------------- fixed here
def test_mixin_methods_are_named_as_module_methods(torch):
    """A wrong keyword to ``state_dict``/``load_state_dict`` names ``Module.<method>``."""

    def program(L):
        m = L.nn.Linear(1, 1)
        return [
            _outcome(lambda: m.state_dict(destination={}, prefix="x.", extra=1)),
            _outcome(lambda: m.load_state_dict(m.state_dict(), bogus=True)),
            _outcome(lambda: m.register_state_dict_pre_hook()),
            L.nn.Module.state_dict.__qualname__,
        ]

    _same(torch, program)


@pytest.mark.parametrize("target", ["three", "float", "int", "np_float64", "none_type", "str"])
def test_type_with_a_target_that_is_no_dtype(torch, target):
    """``Module.type`` / ``Tensor.type`` refuse ints and Python/NumPy types as PyTorch does."""

    targets = {
        "three": 3,
        "float": float,
        "int": int,
        "np_float64": np.float64,
        "none_type": type(None),
        "str": "float",
    }

    def program(L):
        return [
            _outcome(lambda: str(L.nn.Linear(1, 1).type(targets[target]).weight.dtype)),
            _outcome(lambda: str(L.ones(2).type(targets[target]).dtype)),
        ]

    _same(torch, program)


def test_type_with_dtypes_and_tensor_types_still_converts(torch):
    def program(L):
        t = L.ones(2)
        return [
            str(t.type(L.float64).dtype),
            str(t.type(L.IntTensor).dtype),
            str(t.type("torch.ShortTensor").dtype),
            str(L.nn.Linear(1, 1).type(L.float64).bias.dtype),
        ]

    _same(torch, program)


# ------------------------------------------------------------------- user programs
_PROGRAMS = {}


def _program(fn):
    _PROGRAMS[fn.__name__] = fn
    return fn


def _pk_build(L):
    return L.nn.Sequential(L.nn.Linear(2, 2), L.nn.BatchNorm1d(2))


@_program
def buf_errors(L):
    m = L.nn.Module()
    out = []
    out.append(_outcome(lambda: m.register_buffer("a.b", L.zeros(1))))
    out.append(_outcome(lambda: m.register_buffer("", L.zeros(1))))
    out.append(_outcome(lambda: m.register_buffer(3, L.zeros(1))))
    out.append(_outcome(lambda: m.register_buffer("x", 3)))
    out.append(_outcome(lambda: m.register_buffer("x", [1.0])))
    m.foo = 1
    out.append(_outcome(lambda: m.register_buffer("foo", L.zeros(1))))
    m.register_parameter("p", L.nn.Parameter(L.zeros(1)))
    out.append(_outcome(lambda: m.register_buffer("p", L.zeros(1))))
    m.register_buffer("n", None)
    out.append(repr(m.n))
    out.append(list(m.state_dict()))
    m.register_buffer("np_", L.ones(2), persistent=False)
    out.append(list(m.state_dict()))
    out.append([n for n, _ in m.named_buffers()])
    out.append(_outcome(lambda: m.register_buffer("training", L.zeros(1))))
    return out


@_program
def param_errors(L):
    m = L.nn.Module()
    out = []
    out.append(_outcome(lambda: m.register_parameter("a.b", L.nn.Parameter(L.zeros(1)))))
    out.append(_outcome(lambda: m.register_parameter("", None)))
    out.append(_outcome(lambda: m.register_parameter(1, None)))
    out.append(_outcome(lambda: m.register_parameter("t", L.zeros(1))))
    m.register_buffer("b", L.zeros(1))
    out.append(_outcome(lambda: m.register_parameter("b", L.nn.Parameter(L.zeros(1)))))
    m.x = 5
    out.append(_outcome(lambda: m.register_parameter("x", None)))
    m.register_parameter("nn_", None)
    out.append([n for n, _ in m.named_parameters()])
    out.append(list(m.state_dict()))
    out.append(_outcome(lambda: setattr(m, "b", L.nn.Parameter(L.zeros(1)))))
    out.append(_outcome(lambda: setattr(m, "nn_", L.zeros(1))))
    out.append(_outcome(lambda: setattr(m, "nn_", 3)))
    m.register_parameter("w", L.nn.Parameter(L.zeros(1)))
    out.append(_outcome(lambda: setattr(m, "w", L.zeros(1))))
    out.append(_outcome(lambda: setattr(m, "w", None)))
    out.append(repr(m.w))
    out.append(_outcome(lambda: m.register_parameter("nonleaf", L.nn.Parameter(L.ones(2)) * 2)))
    return out


@_program
def add_module_checks(L):
    m = L.nn.Module()
    out = []
    out.append(_outcome(lambda: m.add_module("a.b", L.nn.ReLU())))
    out.append(_outcome(lambda: m.add_module("", L.nn.ReLU())))
    out.append(_outcome(lambda: m.add_module(1, L.nn.ReLU())))
    out.append(_outcome(lambda: m.add_module("x", 3)))
    out.append(_outcome(lambda: m.add_module("x", None)))
    out.append(_outcome(lambda: m.register_module("y", L.nn.Tanh())))
    m.attr = 1
    out.append(_outcome(lambda: m.add_module("attr", L.nn.ReLU())))
    out.append(_outcome(lambda: m.add_module("training", L.nn.ReLU())))
    out.append(repr(m))
    out.append(list(m._modules))
    return out


@_program
def set_submodule(L):
    m = L.nn.Sequential(L.nn.Linear(2, 2), L.nn.Sequential(L.nn.ReLU()))
    out = []
    out.append(_outcome(lambda: m.set_submodule("1.0", L.nn.Tanh())))
    out.append(repr(m))
    out.append(_outcome(lambda: m.set_submodule("1.5", L.nn.Tanh())))
    out.append(_outcome(lambda: m.set_submodule("1.5", L.nn.Tanh(), strict=True)))
    out.append(_outcome(lambda: m.set_submodule("2.0", L.nn.Tanh())))
    out.append(_outcome(lambda: m.set_submodule("0.weight", L.nn.Tanh())))
    out.append(_outcome(lambda: m.set_submodule("0", 3)))
    out.append(_outcome(lambda: m.set_submodule("", L.nn.Tanh())))
    out.append(repr(m))
    return out


@_program
def named_modules_dups(L):
    lin = L.nn.Linear(2, 2)
    m = L.nn.Sequential(lin, lin, L.nn.Sequential(lin))
    out = []
    out.append([n for n, _ in m.named_modules()])
    out.append([n for n, _ in m.named_modules(remove_duplicate=False)])
    out.append([n for n, _ in m.named_modules(prefix="model")])
    out.append([n for n, _ in m.named_modules(memo=None, prefix="m", remove_duplicate=False)])
    out.append([n for n, _ in m.named_parameters()])
    out.append([n for n, _ in m.named_parameters(remove_duplicate=False)])
    out.append([n for n, _ in m.named_parameters(recurse=False)])
    out.append([n for n, _ in m[0].named_parameters(recurse=False, prefix="x")])
    out.append(len(list(m.parameters())))
    out.append(list(m.state_dict()))
    out.append([n for n, _ in m.named_children()])
    out.append(len(list(m.children())))
    out.append(len(list(m.modules())))
    return out


@_program
def children_order(L):
    class M(L.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = L.nn.ReLU()
            self.b = L.nn.Tanh()
            self.c = L.nn.Sigmoid()

    m = M()
    out = []
    del m.b
    out.append([n for n, _ in m.named_children()])
    m.b = L.nn.Tanh()
    out.append([n for n, _ in m.named_children()])
    m.a = L.nn.GELU()
    out.append([n for n, _ in m.named_children()])
    out.append(repr(m))
    out.append(_outcome(lambda: delattr(m, "zz")))
    m.a = None
    out.append(repr(m))
    out.append([n for n, _ in m.named_children()])
    out.append(_outcome(lambda: setattr(m, "c", 3)))
    out.append(_outcome(lambda: setattr(m, "c", L.zeros(1))))
    out.append(_outcome(lambda: setattr(m, "c", L.nn.Parameter(L.zeros(1)))))
    out.append(_outcome(lambda: m.zz))
    return out


@_program
def param_over_buffer(L):
    m = L.nn.BatchNorm1d(2)
    out = []
    out.append(_outcome(lambda: setattr(m, "running_mean", L.nn.Parameter(L.zeros(2)))))
    out.append(_outcome(lambda: setattr(m, "running_mean", 3)))
    out.append(_outcome(lambda: setattr(m, "running_mean", L.ones(2))))
    out.append(m.running_mean.tolist())
    out.append(_outcome(lambda: setattr(m, "running_mean", None)))
    out.append(list(m.state_dict()))
    out.append(_outcome(lambda: setattr(m, "weight", L.nn.ReLU())))
    del m.running_var
    out.append(list(m.state_dict()))
    out.append(_outcome(lambda: m.running_var))
    del m.weight
    out.append(list(m.state_dict()))
    return out


@_program
def seq_slicing(L):
    s = L.nn.Sequential(L.nn.Linear(1, 2), L.nn.ReLU(), L.nn.Linear(2, 3), L.nn.Tanh())
    out = [repr(s[1:3]), type(s[1:3]).__name__, repr(s[::2]), repr(s[-1]), repr(s[5:]), len(s)]
    out.append(_outcome(lambda: s[4]))
    out.append(_outcome(lambda: s[-5]))
    out.append(_outcome(lambda: s["a"]))
    del s[1]
    out.append(repr(s))
    del s[::2]
    out.append(repr(s))
    s2 = L.nn.Sequential(L.nn.ReLU())
    s3 = s2 + L.nn.Sequential(L.nn.Tanh())
    out.append(repr(s3))
    s2 += L.nn.Sequential(L.nn.GELU())
    out.append(repr(s2))
    out.append(_outcome(lambda: s2 + L.nn.ModuleList([L.nn.ReLU()])))
    out.append(repr(s2 * 2))
    out.append(_outcome(lambda: s2 * 0))
    out.append(_outcome(lambda: repr(s2 * -1)))
    s2.append(L.nn.SiLU())
    s2.insert(0, L.nn.ELU())
    s2.extend([L.nn.ReLU6()])
    out.append(repr(s2))
    out.append(repr(s2.pop(1)))
    out.append(repr(s2))
    out.append(_outcome(lambda: s2.insert(10, L.nn.ReLU())))
    out.append(repr(L.nn.Sequential()))
    out.append(repr(L.nn.ModuleList()))
    out.append(repr(L.nn.ModuleDict()))
    out.append(repr(L.nn.ParameterList()))
    out.append(repr(L.nn.ParameterDict()))
    s[0] = L.nn.Hardtanh()
    out.append(repr(s))
    out.append(_outcome(lambda: s.__setitem__(5, L.nn.ReLU())))
    return out


@_program
def modulelist_ops(L):
    ml = L.nn.ModuleList([L.nn.ReLU(), L.nn.Tanh()])
    out = []
    ml.insert(1, L.nn.GELU())
    out.append(repr(ml))
    ml.insert(-1, L.nn.SiLU())
    out.append(repr(ml))
    ml.insert(100, L.nn.ELU())
    out.append(repr(ml))
    ml.extend([L.nn.Sigmoid()])
    out.append(repr(ml))
    out.append(repr(ml.pop(0)))
    out.append(repr(ml))
    out.append(repr(ml.pop())) if hasattr(ml, "pop") else None
    del ml[0]
    out.append(repr(ml))
    out.append(list(ml._modules))
    del ml[::2]
    out.append(repr(ml))
    out.append(list(ml._modules))
    ml += [L.nn.ReLU()]
    out.append(repr(ml))
    out.append(repr(ml + L.nn.ModuleList([L.nn.Tanh()])))
    out.append(type(ml[0:1]).__name__)
    out.append(_outcome(lambda: ml.extend(L.nn.ReLU())))
    out.append(_outcome(lambda: ml.append(3)))
    out.append(_outcome(lambda: ml[10]))
    out.append(_outcome(lambda: ml.pop(10)))
    out.append(_outcome(lambda: ml(L.zeros(1))))
    r = [L.nn.ReLU()] * 3
    out.append(repr(L.nn.ModuleList(r)))
    out.append(repr(L.nn.ModuleList([L.nn.Linear(2, 2) for _ in range(3)] + [L.nn.ReLU()])))
    return out


@_program
def moduledict_ops(L):
    d = L.nn.ModuleDict({"b": L.nn.ReLU(), "a": L.nn.Tanh()})
    out = []
    d.update({"c": L.nn.GELU(), "a": L.nn.SiLU()})
    out.append(repr(d))
    out.append(list(d.keys()))
    d.update([("z", L.nn.ELU())])
    out.append(list(d))
    out.append(repr(d.pop("b")))
    out.append(list(d.keys()))
    out.append(_outcome(lambda: d.pop("nope")))
    out.append(_outcome(lambda: d["nope"]))
    out.append(_outcome(lambda: d.update(3)))
    out.append(_outcome(lambda: d.update([("a",)])))
    out.append(_outcome(lambda: d.update([L.nn.ReLU()])))
    out.append("a" in d)
    out.append(len(d))
    out.append([type(v).__name__ for v in d.values()])
    out.append([k for k, v in d.items()])
    d["q"] = L.nn.ReLU()
    del d["a"]
    out.append(list(d))
    d.clear()
    out.append(repr(d))
    out.append(_outcome(lambda: d.__setitem__("x.y", L.nn.ReLU())))
    out.append(_outcome(lambda: d.__setitem__(1, L.nn.ReLU())))
    out.append(_outcome(lambda: L.nn.ModuleDict({"training": L.nn.ReLU()})))
    return out


@_program
def paramlist_reprs(L):
    L.manual_seed(0)
    out = []
    pl = L.nn.ParameterList(
        [L.nn.Parameter(L.zeros(2, 3)), L.nn.Parameter(L.zeros(1, dtype=L.float64)), L.zeros(3)]
    )
    out.append(repr(pl))
    pl.append(L.nn.Parameter(L.zeros(2), requires_grad=False))
    out.append(repr(pl))
    pl.append(3)
    out.append(repr(pl))
    pl.extend([L.ones(1)])
    out.append(repr(pl))
    out.append(len(pl))
    out.append([n for n, _ in pl.named_parameters()])
    out.append(type(pl[1:3]).__name__)
    out.append(_outcome(lambda: pl[10]))
    pd = L.nn.ParameterDict({"b": L.nn.Parameter(L.zeros(2)), "a": L.zeros(1, 1)})
    out.append(repr(pd))
    pd["c"] = "hello"
    out.append(repr(pd))
    pd.update({"d": L.nn.Parameter(L.zeros(2, dtype=L.float16))})
    out.append(repr(pd))
    out.append(list(pd.keys()))
    out.append(repr(pd.pop("b"))[:9])
    out.append(list(pd))
    out.append(_outcome(lambda: pd["nope"]))
    out.append(list(pd.state_dict()))
    out.append(repr(L.nn.Sequential(L.nn.Linear(1, 1), pl, pd)))
    out.append(pd.get("zz", 5))
    out.append(_outcome(lambda: pd.setdefault("e", L.zeros(1)).shape))
    out.append(list(pd.fromkeys(["x", "y"]).keys()) if hasattr(pd, "fromkeys") else None)
    out.append(repr(pd | L.nn.ParameterDict({"z": L.zeros(1)})))
    out.append(list(reversed(pd)))
    out.append(repr(pd.copy()))
    return out


@_program
def train_eval(L):
    m = L.nn.Sequential(L.nn.Dropout(), L.nn.BatchNorm1d(2))
    out = []
    out.append(m.train() is m)
    out.append(m.eval() is m)
    out.append([x.training for x in m.modules()])
    out.append(_outcome(lambda: m.train("yes")))
    out.append(_outcome(lambda: m.train(1)))
    out.append(_outcome(lambda: m.train(None)))
    out.append(m.train(False) is m)
    out.append(m.requires_grad_(False) is m)
    out.append([p.requires_grad for p in m.parameters()])
    out.append(_outcome(lambda: m.requires_grad_(1)))
    out.append(m.requires_grad_() is m)
    out.append([p.requires_grad for p in m.parameters()])
    out.append(m.zero_grad() is None)
    return out


@_program
def zero_grad(L):
    L.manual_seed(0)
    m = L.nn.Linear(2, 1)
    out = []
    m(L.ones(3, 2)).sum().backward()
    m.zero_grad(set_to_none=False)
    out.append([p.grad.tolist() for p in m.parameters()])
    out.append([p.grad.requires_grad for p in m.parameters()])
    m.zero_grad()
    out.append([p.grad for p in m.parameters()])
    m.zero_grad(False)
    out.append([p.grad for p in m.parameters()])
    return out


@_program
def apply_order(L):
    m = L.nn.Sequential(L.nn.Linear(1, 1), L.nn.Sequential(L.nn.ReLU(), L.nn.Tanh()))
    names = []
    r = m.apply(lambda x: names.append(type(x).__name__))
    return [names, r is m]


@_program
def to_dtypes(L):
    m = L.nn.BatchNorm1d(2)
    out = []
    m.register_buffer("ib", L.arange(3))
    m.register_buffer("cb", L.zeros(2, dtype=L.complex64))
    m.to(L.float64)
    out.append([(n, str(t.dtype)) for n, t in m.state_dict().items()])
    m.to("cpu", L.float16, non_blocking=True)
    out.append([(n, str(t.dtype)) for n, t in m.state_dict().items()])
    m.to(dtype=L.bfloat16)
    out.append([(n, str(t.dtype)) for n, t in m.state_dict().items()])
    m.half()
    m.float()
    out.append([(n, str(t.dtype)) for n, t in m.state_dict().items()])
    out.append(_outcome(lambda: m.to(L.int32)))
    out.append(_outcome(lambda: m.to(L.complex64)))
    out.append([(n, str(t.dtype)) for n, t in m.state_dict().items()])
    out.append(m.to(memory_format=L.channels_last) is m)
    c = L.nn.Conv2d(2, 2, 3).to(memory_format=L.channels_last)
    out.append([p.is_contiguous() for p in c.parameters()])
    out.append(c.weight.stride())
    out.append(_outcome(lambda: m.to(L.zeros(1, dtype=L.float64))))
    out.append(str(m.weight.dtype))
    out.append(m.type(L.float64) is m)
    out.append(str(m.weight.dtype))
    out.append(str(m.ib.dtype))
    out.append(_outcome(lambda: m.to("cpu", "float")))
    return out


@_program
def incompatible_keys(L):
    m = L.nn.Linear(2, 2)
    out = []
    r = m.load_state_dict({"weight": L.zeros(2, 2), "extra": L.zeros(1)}, strict=False)
    out.append(repr(r))
    out.append(r.missing_keys)
    out.append(r.unexpected_keys)
    out.append(type(r).__name__)
    out.append(list(r))
    out.append(r == (["bias"], ["extra"]))
    r2 = m.load_state_dict(m.state_dict())
    out.append(repr(r2))
    out.append(str(r2))
    out.append(_outcome(lambda: m.load_state_dict({"weight": L.zeros(2, 2)})))
    out.append(_outcome(lambda: m.load_state_dict({"weight": L.zeros(3, 2), "bias": L.zeros(2)})))
    out.append(
        _outcome(
            lambda: m.load_state_dict(
                {"weight": L.zeros(3, 2), "bias": L.zeros(2), "u": L.zeros(1)}
            )
        )
    )
    out.append(_outcome(lambda: m.load_state_dict([1, 2])))
    out.append(
        _outcome(
            lambda: m.load_state_dict({"weight": [[1.0, 2.0], [3.0, 4.0]], "bias": L.zeros(2)})
        )
    )
    out.append(_outcome(lambda: m.load_state_dict({"weight": 3, "bias": L.zeros(2)})))
    return out


@_program
def assign_true(L):
    m = L.nn.Linear(2, 2)
    out = []
    sd = {"weight": L.ones(2, 2, dtype=L.float64), "bias": L.zeros(2)}
    m.load_state_dict(sd, assign=True)
    out.append(type(m.weight).__name__)
    out.append(str(m.weight.dtype))
    out.append(m.weight.requires_grad)
    out.append(m.weight is sd["weight"])
    m2 = L.nn.Linear(2, 2)
    w = L.nn.Parameter(L.ones(2, 2), requires_grad=False)
    m2.load_state_dict({"weight": w, "bias": L.zeros(2)}, assign=True)
    out.append(m2.weight.requires_grad)
    out.append(m2.weight is w)
    bn = L.nn.BatchNorm1d(2)
    bn.load_state_dict(
        {k: v.double() if v.is_floating_point() else v for k, v in bn.state_dict().items()},
        assign=True,
    )
    out.append([(n, str(t.dtype)) for n, t in bn.state_dict().items()])
    m3 = L.nn.Linear(2, 2)
    out.append(
        _outcome(
            lambda: m3.load_state_dict({"weight": L.ones(3, 2), "bias": L.zeros(2)}, assign=True)
        )
    )
    return out


@_program
def state_dict_opts(L):
    m = L.nn.Sequential(L.nn.Linear(1, 1), L.nn.BatchNorm1d(1))
    out = []
    sd = m.state_dict(prefix="model.")
    out.append(list(sd))
    out.append(dict(sd._metadata))
    kv = m.state_dict(keep_vars=True)
    out.append([type(v).__name__ for v in kv.values()])
    out.append([v.requires_grad for v in kv.values()])
    sd2 = m.state_dict()
    out.append([type(v).__name__ for v in sd2.values()])
    out.append([v.requires_grad for v in sd2.values()])
    d = {}
    r = m.state_dict(d, "p.")
    out.append(r is d)
    out.append(list(d))
    out.append(type(sd2).__name__)
    out.append(
        _outcome(lambda: m.state_dict(destination={}, prefix="x.", keep_vars=False, extra=1))
    )
    return out


@_program
def load_override(L):
    calls = []

    class M(L.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = L.nn.Parameter(L.zeros(2))
            self.sub = L.nn.Linear(1, 1)

        def _load_from_state_dict(
            self,
            state_dict,
            prefix,
            local_metadata,
            strict,
            missing_keys,
            unexpected_keys,
            error_msgs,
        ):
            calls.append((prefix, sorted(local_metadata), strict))
            if prefix + "old_w" in state_dict:
                state_dict[prefix + "w"] = state_dict.pop(prefix + "old_w")
            super()._load_from_state_dict(
                state_dict,
                prefix,
                local_metadata,
                strict,
                missing_keys,
                unexpected_keys,
                error_msgs,
            )

    m = M()
    sd = m.state_dict()
    out = []
    sd["old_w"] = L.ones(2)
    del sd["w"]
    out.append(repr(m.load_state_dict(sd)))
    out.append(m.w.tolist())
    out.append(calls)
    outer = L.nn.Sequential(M())
    calls.clear()
    sd = outer.state_dict()
    out.append(repr(outer.load_state_dict(sd, strict=False)))
    out.append(calls)
    return out


@_program
def load_post_hooks(L):
    m = L.nn.Sequential(L.nn.Linear(1, 1))
    out = []
    seen = []

    def hook(mod, keys):
        seen.append((type(mod).__name__, list(keys.missing_keys), list(keys.unexpected_keys)))
        keys.missing_keys.clear()

    h = m.register_load_state_dict_post_hook(hook)
    h2 = m[0].register_load_state_dict_post_hook(
        lambda mod, k: seen.append(("inner", list(k.missing_keys)))
    )
    out.append(repr(m.load_state_dict({"0.weight": L.zeros(1, 1)})))
    out.append(seen)
    h.remove()
    h2.remove()
    seen.clear()
    out.append(_outcome(lambda: repr(m.load_state_dict({"0.weight": L.zeros(1, 1)}))))
    out.append(type(h).__name__)
    pre = []
    m.register_load_state_dict_pre_hook(lambda *a: pre.append(len(a)))
    m.load_state_dict(m.state_dict())
    out.append(pre)
    return out


@_program
def state_dict_pre_hook(L):
    m = L.nn.Sequential(L.nn.Linear(1, 1))
    seen = []
    m.register_state_dict_pre_hook(
        lambda mod, prefix, keep_vars: seen.append((type(mod).__name__, prefix, keep_vars))
    )
    m[0].register_state_dict_pre_hook(
        lambda mod, prefix, keep_vars: seen.append(("in", prefix, keep_vars))
    )
    m.state_dict(prefix="a.", keep_vars=True)
    m.state_dict()
    post = []
    m.register_state_dict_post_hook(
        lambda mod, sd, prefix, local_metadata: post.append(
            (prefix, list(sd), sorted(local_metadata))
        )
    )
    m.state_dict()
    return [seen, post]


@_program
def fwd_hooks(L):
    L.manual_seed(0)
    m = L.nn.Linear(2, 2)
    log = []
    out = []
    m.register_forward_pre_hook(lambda mod, args: log.append("pre1"))
    m.register_forward_pre_hook(lambda mod, args: log.append("pre0"), prepend=True)
    m.register_forward_pre_hook(
        lambda mod, args, kwargs: (log.append(("prek", len(args), sorted(kwargs))), None)[1],
        with_kwargs=True,
    )
    m.register_forward_hook(lambda mod, args, outp: log.append("post1"))
    m.register_forward_hook(lambda mod, args, outp: log.append("post0"), prepend=True)
    m.register_forward_hook(
        lambda mod, args, kwargs, outp: log.append(("postk", sorted(kwargs))), with_kwargs=True
    )
    m.register_forward_hook(lambda mod, args, outp: log.append("always"), always_call=True)
    m(L.ones(1, 2))
    out.append(log[:])
    log.clear()
    m.register_forward_pre_hook(lambda mod, args, kwargs: (args, {**kwargs}), with_kwargs=True)
    m(input=L.ones(1, 2))
    out.append(log[:])
    return out


@_program
def always_call(L):
    class Boom(L.nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    m = Boom()
    log = []
    m.register_forward_hook(lambda mod, a, o: log.append("normal"))
    m.register_forward_hook(lambda mod, a, o: log.append(("always", o)), always_call=True)
    r = _outcome(lambda: m(L.ones(1)))
    return [r, log]


@_program
def global_hooks(L):
    log = []
    mm = L.nn.modules.module
    h1 = mm.register_module_forward_hook(
        lambda mod, a, o: log.append(("gpost", type(mod).__name__))
    )
    h2 = mm.register_module_forward_pre_hook(
        lambda mod, a: log.append(("gpre", type(mod).__name__))
    )
    try:
        m = L.nn.Sequential(L.nn.Linear(1, 1), L.nn.ReLU())
        m.register_forward_hook(lambda mod, a, o: log.append("local"))
        m(L.ones(1, 1))
    finally:
        h1.remove()
        h2.remove()
    m(L.ones(1, 1))
    return [log, type(h1).__name__]


@_program
def deepcopy_hooks(L):
    log = []
    m = L.nn.Linear(1, 1)
    m.register_forward_hook(lambda mod, a, o: log.append(id(mod) == id(m)))
    m2 = copy.deepcopy(m)
    m2(L.ones(1, 1))
    m(L.ones(1, 1))
    return [
        log,
        len(m2._forward_hooks),
        m2.weight is m.weight,
        m2.weight.data_ptr() == m.weight.data_ptr(),
    ]


@_program
def pickling(L):
    L.manual_seed(0)
    m = _pk_build(L)
    m.eval()
    b = pickle.dumps(m)
    m2 = pickle.loads(b)
    return [
        repr(m2),
        [(k, v.tolist()) for k, v in m2.state_dict().items()]
        == [(k, v.tolist()) for k, v in m.state_dict().items()],
        m2.training,
        type(m2[0].weight).__name__,
        m2[0].weight.requires_grad,
    ]


@_program
def get_extra_state(L):
    class M(L.nn.Module):
        def __init__(self):
            super().__init__()
            self.v = 1
            self.lin = L.nn.Linear(1, 1)

        def get_extra_state(self):
            return {"v": self.v}

        def set_extra_state(self, s):
            self.v = s["v"]

    m = M()
    sd = m.state_dict()
    out = [list(sd)]
    sd["_extra_state"] = {"v": 7}
    m.load_state_dict(sd)
    out.append(m.v)
    del sd["_extra_state"]
    out.append(_outcome(lambda: m.load_state_dict(sd)))
    outer = L.nn.Sequential(m)
    out.append(list(outer.state_dict()))
    return out


@_program
def deepcopy_stuff(L):
    L.manual_seed(0)
    m = L.nn.Sequential(L.nn.Linear(2, 2), L.nn.BatchNorm1d(2))
    m[0].weight.grad = L.ones(2, 2)
    m.register_buffer("nb", L.zeros(1), persistent=False)
    m2 = copy.deepcopy(m)
    out = [
        repr(m2),
        m2[0].weight.grad.tolist(),
        list(m2.state_dict()),
        [n for n, _ in m2.named_buffers()],
        type(m2[0].weight).__name__,
        m2[0].weight.requires_grad,
    ]
    lin = L.nn.Linear(1, 1)
    s = L.nn.Sequential(lin, lin)
    s2 = copy.deepcopy(s)
    out.append(s2[0] is s2[1])
    out.append(len(list(s2.parameters())))
    a = L.nn.Linear(2, 2)
    b = L.nn.Linear(2, 2)
    b.weight = a.weight
    s3 = copy.deepcopy(L.nn.Sequential(a, b))
    out.append(s3[0].weight is s3[1].weight)
    x = L.nn.Parameter(L.ones(2))
    y = x * 2
    mm = L.nn.Module()
    mm.register_buffer("nl", y)
    out.append(_outcome(lambda: copy.deepcopy(mm) and "ok"))
    return out


@_program
def hooks_kwargs_forms(L):
    class M(L.nn.Module):
        def forward(self, x, scale=1.0, *, shift=0.0):
            return x * scale + shift

    m = M()
    out = []
    h = m.register_forward_pre_hook(lambda mod, a, kw: (a, {**kw, "shift": 10.0}), with_kwargs=True)
    out.append(m(L.ones(1), 2.0).tolist())
    h.remove()
    h = m.register_forward_pre_hook(lambda mod, a, kw: a, with_kwargs=True)
    out.append(_outcome(lambda: m(L.ones(1)).tolist()))
    h.remove()
    h = m.register_forward_pre_hook(lambda mod, a, kw: (a,), with_kwargs=True)
    out.append(_outcome(lambda: m(L.ones(1)).tolist()))
    h.remove()
    h = m.register_forward_pre_hook(lambda mod, a: (L.ones(1) * 3, 2.0))
    out.append(_outcome(lambda: m(L.ones(1)).tolist()))
    h.remove()
    h = m.register_forward_pre_hook(lambda mod, a: L.ones(1) * 3)
    out.append(_outcome(lambda: m(L.ones(1), scale=5.0).tolist()))
    h.remove()
    h = m.register_forward_hook(lambda mod, a, kw, o: o + kw.get("shift", 0), with_kwargs=True)
    out.append(_outcome(lambda: m(L.ones(1), shift=1.0).tolist()))
    h.remove()
    h = m.register_forward_hook(lambda mod, a, o: None)
    out.append(_outcome(lambda: m(L.ones(1)).tolist()))
    h.remove()
    out.append(_outcome(lambda: m.register_forward_hook(lambda *a: None, bogus=1)))
    return out


@_program
def always_call_hook_error(L):
    log = []
    m = L.nn.Linear(1, 1)

    def bad(mod, a, o):
        raise RuntimeError("hook bad")

    m.register_forward_hook(bad)
    m.register_forward_hook(lambda mod, a, o: log.append("always"), always_call=True)
    out = [_outcome(lambda: m(L.ones(1, 1)).shape), log]
    m2 = L.nn.Linear(1, 1)
    m2.register_forward_pre_hook(lambda mod, a: (_ for _ in ()).throw(ValueError("pre bad")))
    m2.register_forward_hook(lambda mod, a, o: log.append(("always2", o)), always_call=True)
    out.append(_outcome(lambda: m2(L.ones(1, 1)).shape))
    out.append(log)
    return out


@_program
def global_hooks_more(L):
    mm = L.nn.modules.module
    log = []
    h = mm.register_module_forward_hook(
        lambda mod, a, o: log.append(type(mod).__name__), always_call=True
    )

    class Boom(L.nn.Module):
        def forward(self, x):
            raise ValueError("b")

    try:
        r = _outcome(lambda: Boom()(1))
    finally:
        h.remove()
    out = [r, log]
    h = mm.register_module_forward_hook(
        lambda mod, a, o: o * 0 if isinstance(mod, L.nn.ReLU) else None
    )
    try:
        out.append(L.nn.Sequential(L.nn.Linear(1, 1), L.nn.ReLU())(L.ones(1, 1)).tolist())
    finally:
        h.remove()
    log2 = []
    h = mm.register_module_buffer_registration_hook(
        lambda mod, name, buf: log2.append((type(mod).__name__, name))
    )
    try:
        L.nn.BatchNorm1d(2)
    finally:
        h.remove()
    h = mm.register_module_module_registration_hook(
        lambda mod, name, sub: log2.append((type(mod).__name__, name, type(sub).__name__))
    )
    try:
        L.nn.Sequential(L.nn.ReLU())
    finally:
        h.remove()
    h = mm.register_module_parameter_registration_hook(
        lambda mod, name, p: log2.append((type(mod).__name__, name))
    )
    try:
        L.nn.Linear(1, 1, bias=False)
    finally:
        h.remove()
    out.append(log2)
    return out


@_program
def incompat_repr_forms(L):
    m = L.nn.Sequential(L.nn.Linear(1, 1), L.nn.BatchNorm1d(1))
    sd = m.state_dict()
    out = []
    for mod in [
        lambda d: d.pop("0.bias"),
        lambda d: d.update({"2.weight": L.zeros(1)}),
        lambda d: d.pop("1.num_batches_tracked"),
        lambda d: None,
    ]:
        d = dict(sd)
        mod(d)
        r = m.load_state_dict(d, strict=False)
        out.append((repr(r), str(r), r._fields, r._asdict() if hasattr(r, "_asdict") else None))
    out.append(_outcome(lambda: m.load_state_dict(collections.OrderedDict(sd), strict=True)))
    out.append(
        _outcome(
            lambda: (
                m.load_state_dict({**sd, "1.running_mean": L.zeros(1, dtype=L.float64)})
                and str(m[1].running_mean.dtype)
            )
        )
    )
    out.append(
        _outcome(
            lambda: (
                m.load_state_dict({**sd, "1.num_batches_tracked": L.tensor(5.7)})
                and m[1].num_batches_tracked.item()
            )
        )
    )
    out.append(
        _outcome(
            lambda: (
                m.load_state_dict({**sd, "0.weight": L.ones(1, 1, dtype=L.int64)})
                and str(m[0].weight.dtype)
            )
        )
    )
    out.append(_outcome(lambda: m.load_state_dict({**sd, "0.weight": L.ones(1)})))
    out.append(_outcome(lambda: m.load_state_dict({**sd, "0.weight": L.ones(1)}, strict=False)))
    return out


@_program
def to_misc(L):
    m = L.nn.Linear(2, 2)
    out = []
    out.append(m.to() is m)
    out.append(_outcome(lambda: m.to("cpu") is m))
    out.append(_outcome(lambda: m.to(L.device("cpu")) is m))
    out.append(_outcome(lambda: L.nn.Linear(1, 1).to("meta").weight.device.type))
    out.append(_outcome(lambda: m.to(device="cpu", dtype=L.float64).weight.dtype))
    out.append(_outcome(lambda: m.to(3.0)))
    out.append(_outcome(lambda: m.to("nonsense")))
    out.append(_outcome(lambda: m.cpu() is m))
    out.append(_outcome(lambda: m.share_memory() is m))
    out.append(_outcome(lambda: m.float().weight.dtype))
    w = m.weight
    m.double()
    out.append(m.weight is w)
    out.append(type(m.weight).__name__)
    m.weight.grad = L.ones(2, 2, dtype=L.float64)
    m.float()
    out.append(str(m.weight.grad.dtype))
    return out


@_program
def no_super_init(L):
    class M(L.nn.Module):
        def __init__(self):
            self.l = L.nn.Linear(1, 1)

    class N(L.nn.Module):
        def __init__(self):
            self.p = L.nn.Parameter(L.ones(1))

    class Obj(L.nn.Module):
        def __init__(self):
            self.register_buffer("b", L.ones(1))

    class Q(L.nn.Module):
        def __init__(self):
            self.x = 1
            super().__init__()

    out = [
        _outcome(lambda: M()),
        _outcome(lambda: N()),
        _outcome(lambda: Obj()),
        _outcome(lambda: Q().x),
    ]
    out.append(_outcome(lambda: L.nn.Module(foo=1)))
    out.append(_outcome(lambda: L.nn.Module(1)))

    class R(L.nn.Module):
        def __init__(self):
            super().__init__(3)

    out.append(_outcome(lambda: R()))
    return out


@_program
def type_method(L):
    m = L.nn.Linear(1, 1)
    out = []
    out.append(_outcome(lambda: str(m.type(L.float64).weight.dtype)))
    out.append(
        _outcome(
            lambda: str(m.type("torch.DoubleTensor".replace("torch", L.__name__)).weight.dtype)
        )
    )
    out.append(_outcome(lambda: m.type(3)))
    return out


@_program
def forward_override_instance(L):
    m = L.nn.Linear(1, 1)
    log = []
    m.register_forward_hook(lambda mod, a, o: log.append("hook"))
    m.forward = lambda x: x * 0 + 7
    out = [m(L.ones(1, 1)).tolist(), log, "forward" in m.__dict__]
    del m.forward
    out.append(tuple(m(L.ones(1, 1)).shape))
    return out


@_program
def metadata(L):
    m = L.nn.Sequential(L.nn.BatchNorm1d(1), L.nn.LayerNorm(1), L.nn.Linear(1, 1))
    sd = m.state_dict()
    out = [dict(sd._metadata), type(sd._metadata).__name__]
    d = collections.OrderedDict()
    m.state_dict(destination=d)
    out.append(hasattr(d, "_metadata"))
    out.append(dict(getattr(d, "_metadata", {})))
    sd2 = dict(sd)
    out.append(repr(m.load_state_dict(sd2)))
    sd3 = collections.OrderedDict(sd)
    sd3._metadata = {"0": {"version": 1}}
    out.append(repr(m.load_state_dict(sd3, strict=False)))
    return out


@_program
def container_init_errors(L):
    out = [
        _outcome(lambda: L.nn.Sequential(3)),
        _outcome(lambda: L.nn.Sequential([L.nn.ReLU()])),
        _outcome(lambda: L.nn.ModuleList(L.nn.ReLU())),
        _outcome(lambda: L.nn.ModuleList([3])),
        _outcome(lambda: L.nn.ModuleDict([L.nn.ReLU()])),
        _outcome(lambda: L.nn.ModuleDict({"a": 3})),
        _outcome(lambda: repr(L.nn.ParameterList([3, "x"]))),
        _outcome(lambda: L.nn.ParameterDict([1])),
        _outcome(lambda: repr(L.nn.Sequential(collections.OrderedDict([("a.b", L.nn.ReLU())])))),
        _outcome(lambda: repr(L.nn.Sequential(None))),
    ]
    return out


@_program
def set_submodule_more(L):
    m = L.nn.Sequential(L.nn.ModuleList([L.nn.ReLU()]), L.nn.ModuleDict({"a": L.nn.ReLU()}))
    out = [
        _outcome(lambda: m.set_submodule("0.0", L.nn.Tanh())),
        _outcome(lambda: m.set_submodule("1.a", L.nn.Tanh())),
        _outcome(lambda: m.set_submodule("1.b", L.nn.Tanh())),
        _outcome(lambda: m.set_submodule("1.b", L.nn.Tanh(), strict=True)),
        _outcome(lambda: m.set_submodule("0.5", L.nn.Tanh())),
        repr(m),
    ]
    m.x = 3
    out.append(_outcome(lambda: m.set_submodule("x", L.nn.Tanh())))
    out.append(_outcome(lambda: m.set_submodule("x.y", L.nn.Tanh())))
    out.append(_outcome(lambda: m.set_submodule("0", None)))
    return out


@_program
def save_load(L):
    L.manual_seed(0)
    m = L.nn.Sequential(L.nn.Linear(2, 2), L.nn.BatchNorm1d(2))
    buf = io.BytesIO()
    L.save(m.state_dict(), buf)
    buf.seek(0)
    sd = L.load(buf)
    out = [
        type(sd).__name__,
        list(sd),
        [str(v.dtype) for v in sd.values()],
        dict(getattr(sd, "_metadata", {})),
    ]
    out.append(repr(m.load_state_dict(sd)))
    buf = io.BytesIO()
    L.save(m, buf)
    buf.seek(0)
    m2 = L.load(buf, weights_only=False)
    out.append(repr(m2))
    buf.seek(0)
    out.append(_outcome(lambda: type(L.load(buf)).__name__))
    return out


@_program
def plist_to(L):
    pl = L.nn.ParameterList([L.nn.Parameter(L.ones(1)), L.ones(2), 3])
    pl.double()
    out = [[type(p).__name__ + str(getattr(p, "dtype", "")) for p in pl]]
    pd = L.nn.ParameterDict(
        {"a": L.nn.Parameter(L.ones(1)), "b": L.ones(1, dtype=L.int64), "c": "x"}
    )
    pd.half()
    out.append([(k, type(v).__name__, str(getattr(v, "dtype", ""))) for k, v in pd.items()])
    out.append(repr(pd))
    out.append([n for n, _ in pd.named_parameters()])
    out.append([p.requires_grad for p in pd.parameters()])
    return out


@_program
def modules_iteration_modify(L):
    s = L.nn.Sequential(L.nn.Linear(1, 1), L.nn.ReLU(), L.nn.Linear(1, 1))
    for name, mod in list(s.named_children()):
        if isinstance(mod, L.nn.ReLU):
            setattr(s, name, L.nn.GELU())
    out = [repr(s)]
    s.add_module("3", L.nn.Tanh())
    out.append(repr(s))
    out.append(len(s))
    s._modules.pop("1")
    out.append(repr(s))
    out.append(_outcome(lambda: repr(s[2])))
    out.append(_outcome(lambda: len(s)))
    return out


@_program
def buffers_after_to_empty(L):
    m = L.nn.BatchNorm1d(2, device="meta")
    out = [str(m.num_batches_tracked.dtype), m.running_mean.device.type]
    m.to_empty(device="cpu")
    out.append(
        [(k, str(v.dtype), v.device.type, tuple(v.shape)) for k, v in m.state_dict().items()]
    )
    out.append(_outcome(lambda: m.to_empty()))
    out.append(_outcome(lambda: m.to_empty(device="cpu", recurse=False) is m))
    return out


@_program
def global_kwargs(L):
    mm = L.nn.modules.module
    log = []
    out = [
        _outcome(
            lambda: mm.register_module_forward_hook(
                lambda m, a, kw, o: log.append(sorted(kw)), with_kwargs=True
            ).remove()
        )
    ]
    h = mm.register_module_forward_pre_hook(
        lambda m, a: (a[0] * 2,) if isinstance(m, L.nn.Identity) else None
    )
    try:
        out.append(L.nn.Identity()(L.ones(1)).tolist())
    finally:
        h.remove()
    g = mm.register_module_full_backward_hook(lambda m, gi, go: log.append(type(m).__name__))
    try:
        x = L.ones(1, 1, requires_grad=True)
        L.nn.Linear(1, 1)(x).sum().backward()
    finally:
        g.remove()
    out.append(log)
    return out


@_program
def seq_od_slicing(L):
    s = L.nn.Sequential(
        collections.OrderedDict([("a", L.nn.ReLU()), ("b", L.nn.Tanh()), ("c", L.nn.GELU())])
    )
    out = [repr(s[1:]), repr(s[np.int64(1)]), _outcome(lambda: repr(s["b"]))]
    s.append(L.nn.SiLU())
    out.append(repr(s))
    del s[0]
    out.append(repr(s))
    out.append(list(s._modules))
    s.insert(1, L.nn.ELU())
    out.append(list(s._modules))
    out.append(s.b.__class__.__name__)
    out.append(repr(L.nn.ModuleList([L.nn.ReLU()])[np.int64(0)]))
    return out


@_program
def none_child(L):
    m = L.nn.Module()
    m.a = L.nn.ReLU()
    m.register_module("b", None)
    m.c = L.nn.Tanh()
    out = [
        [n for n, _ in m.named_modules()],
        [n for n, _ in m.named_children()],
        repr(m),
        list(m._modules),
        _outcome(lambda: type(m.get_submodule("b")).__name__),
        _outcome(lambda: m.get_submodule("b.x")),
    ]
    out.append(_outcome(lambda: m.set_submodule("b", L.nn.ReLU())))
    out.append(repr(m))
    out.append(repr(copy.deepcopy(m)))
    out.append(repr(m.get_submodule("")) == repr(m))
    return out


@_program
def pdict_more(L):
    pd = L.nn.ParameterDict({"b": L.ones(1), "a": L.ones(2)})
    other = L.nn.ParameterDict({"c": L.ones(3)})
    pd.update(other)
    out = [list(pd)]
    out.append(_outcome(lambda: list((pd | {"z": L.ones(1)}).keys())))
    out.append(_outcome(lambda: list((pd | other).keys())))
    pd2 = copy.deepcopy(pd)
    out.append(repr(pd2))
    out.append(_outcome(lambda: pd.__setitem__(3, L.ones(1))))
    out.append(_outcome(lambda: pd.update(collections.OrderedDict([("y", L.ones(1))])) or list(pd)))
    out.append(_outcome(lambda: list(pd.popitem()[:1])))
    out.append(list(pd))
    out.append(_outcome(lambda: pd.get("a").shape))
    out.append(_outcome(lambda: pd.values().__class__.__name__))
    return out


@_program
def modulelist_iadd_ret(L):
    ml = L.nn.ModuleList([L.nn.ReLU()])
    r = ml.__iadd__([L.nn.Tanh()])
    out = [r is ml, repr(ml)]
    r = ml.extend(L.nn.ModuleList([L.nn.GELU()]))
    out.append(r is ml)
    r = ml.append(L.nn.ELU())
    out.append(r is ml)
    s = L.nn.Sequential()
    out.append(s.append(L.nn.ReLU()) is s)
    out.append(s.extend([L.nn.ReLU()]) is s)
    out.append(s.insert(0, L.nn.Tanh()) is s)
    out.append(_outcome(lambda: s.insert(0, 3)))
    out.append(_outcome(lambda: s.append(3)))
    out.append(_outcome(lambda: s.extend(3)))
    return out


@_program
def register_module_bad_types(L):
    m = L.nn.Module()
    return [
        _outcome(lambda: m.register_module("a", L.ones(1))),
        _outcome(lambda: m.add_module("a", L.nn.Parameter(L.ones(1)))),
        _outcome(lambda: m.register_buffer("b", L.nn.ReLU())),
        _outcome(lambda: m.register_parameter("p", L.nn.ReLU())),
        _outcome(lambda: m.register_buffer("b", np.ones(1))),
        _outcome(lambda: m.register_buffer("b", L.ones(1), True)),
    ]


@_program
def state_dict_nested_prefix(L):
    inner = L.nn.Sequential(L.nn.Linear(1, 1))
    outer = L.nn.ModuleDict({"enc": inner, "dec": L.nn.ModuleList([L.nn.BatchNorm1d(1)])})
    sd = outer.state_dict(prefix="model.")
    out = [list(sd), sorted(sd._metadata)]
    out.append(repr(outer.load_state_dict({k[6:]: v for k, v in sd.items()})))
    out.append(_outcome(lambda: outer.load_state_dict(sd)))
    return out


@_program
def plist_dtype_reprs(L):
    out = []
    for dt in [
        "float32",
        "float64",
        "float16",
        "bfloat16",
        "complex64",
        "int64",
        "uint8",
        "bool",
        "int8",
    ]:
        for shape in [(), (0,), (1,), (2, 3)]:
            t = L.zeros(shape, dtype=getattr(L, dt))
            pl = (
                L.nn.ParameterList([t])
                if dt.startswith(("float", "bfloat", "complex"))
                else L.nn.ParameterList()
            )
            if not len(pl):
                pl.append(L.nn.Parameter(t, requires_grad=False))
            out.append(repr(pl))
            pd = L.nn.ParameterDict({"x": pl[0]})
            out.append(repr(pd))
    pl = L.nn.ParameterList([L.nn.Parameter(L.zeros(2, device="meta"))])
    out.append(repr(pl))
    out.append(
        repr(L.nn.ParameterList([L.zeros(2).to_sparse()]))
        if hasattr(L.zeros(2), "to_sparse")
        else None
    )
    return out


@_program
def param_reprs(L):
    out = []
    for dt in ["float32", "float64", "float16", "bfloat16", "complex64"]:
        for shape in [(), (0,), (2,), (2, 2)]:
            p = L.nn.Parameter(L.ones(shape, dtype=getattr(L, dt)))
            out.append(repr(p))
            out.append(str(p))
    out.append(repr(L.nn.Parameter(L.ones(2), requires_grad=False)))
    out.append(repr(L.nn.Buffer(L.ones(2))) if hasattr(L.nn, "Buffer") else None)
    out.append(repr(L.nn.Parameter(L.ones(2, device="meta"))))
    out.append(repr(L.nn.UninitializedParameter()))
    out.append(repr(L.nn.UninitializedBuffer()))
    return out


@_program
def buffer_class(L):
    m = L.nn.Module()
    m.b = L.nn.Buffer(L.ones(2))
    m.c = L.nn.Buffer(L.ones(1), persistent=False)
    out = [list(m.state_dict()), [n for n, _ in m.named_buffers()], type(m.b).__name__]
    out.append(_outcome(lambda: setattr(m, "b", L.nn.Buffer(L.zeros(3)))))
    out.append(m.b.tolist())
    out.append(_outcome(lambda: L.nn.Buffer(3)))
    out.append(isinstance(L.nn.Buffer(L.ones(1)), L.Tensor))
    return out


@_program
def load_pre_hook_args(L):
    m = L.nn.Sequential(L.nn.Linear(1, 1))
    log = []

    def hook(module, sd, prefix, local_metadata, strict, missing, unexpected, errors):
        log.append(
            (
                type(module).__name__,
                prefix,
                sorted(local_metadata),
                strict,
                list(missing),
                list(unexpected),
                list(errors),
                sorted(sd),
            )
        )
        if prefix + "w_old" in sd:
            sd[prefix + "weight"] = sd.pop(prefix + "w_old")

    m[0].register_load_state_dict_pre_hook(hook)
    m.register_load_state_dict_pre_hook(hook)
    r = m.load_state_dict({"0.w_old": L.ones(1, 1), "0.bias": L.zeros(1)}, strict=False)
    out = [repr(r), log, m[0].weight.tolist()]
    log.clear()
    m2 = L.nn.Linear(1, 1)
    m2._register_load_state_dict_pre_hook(
        lambda sd, prefix, *a: log.append(("nomod", prefix, len(a)))
    )
    m2._register_load_state_dict_pre_hook(
        lambda mod, sd, prefix, *a: log.append(("mod", type(mod).__name__, len(a))),
        with_module=True,
    )
    m2.load_state_dict(m2.state_dict())
    out.append(log)
    return out


@_program
def hook_raising(L):
    m = L.nn.Linear(1, 1)
    m.register_load_state_dict_post_hook(lambda mod, k: 1 / 0)
    out = [_outcome(lambda: m.load_state_dict(m.state_dict()))]
    n = L.nn.Linear(1, 1)
    n.register_state_dict_pre_hook(lambda *a: 3)
    out.append(_outcome(lambda: list(n.state_dict())))
    o = L.nn.Linear(1, 1)
    o.register_state_dict_post_hook(lambda mod, sd, p, lm: {"x": 1})
    out.append(_outcome(lambda: list(o.state_dict())))
    return out


@_program
def forward_missing(L):
    class M(L.nn.Module):
        pass

    out = [
        _outcome(lambda: M()(1)),
        _outcome(lambda: M().forward(1)),
        M()._get_name(),
        L.nn.Linear(1, 2).extra_repr(),
        L.nn.Sequential().extra_repr(),
        _outcome(lambda: L.nn.Module()._get_name()),
    ]
    return out


@_program
def custom_getstate(L):
    class M(L.nn.Module):
        def __init__(self):
            super().__init__()
            self.l = L.nn.Linear(1, 1)
            self.cache = {"x": 1}

        def __getstate__(self):
            st = (
                super().__getstate__() if hasattr(super(), "__getstate__") else self.__dict__.copy()
            )
            st = dict(st)
            st["cache"] = None
            return st

    m = M()
    m2 = copy.deepcopy(m)
    return [m2.cache, repr(m2), list(m2.state_dict())]


@_program
def named_params_shared_across(L):
    lin = L.nn.Linear(1, 1)
    a = L.nn.Sequential(lin)
    b = L.nn.Sequential(a, lin, L.nn.Sequential(lin))
    out = [
        [n for n, _ in b.named_parameters()],
        [n for n, _ in b.named_parameters(remove_duplicate=False)],
        [n for n, _ in b.named_modules()],
        [n for n, _ in b.named_modules(remove_duplicate=False)],
        list(b.state_dict()),
        [n for n, _ in b.named_buffers(remove_duplicate=False)],
    ]
    bn = L.nn.BatchNorm1d(1)
    c = L.nn.Sequential(bn, bn)
    out += [
        [n for n, _ in c.named_buffers()],
        [n for n, _ in c.named_buffers(remove_duplicate=False)],
        list(c.state_dict()),
    ]
    out.append(repr(c.load_state_dict({"0.weight": L.ones(1)}, strict=False)))
    return out


@_program
def memfmt(L):
    out = []
    for mk, fmt in [
        ("c2", "channels_last"),
        ("c3", "channels_last_3d"),
        ("c3", "channels_last"),
        ("c2", "channels_last_3d"),
        ("c1", "channels_last"),
        ("lin", "channels_last"),
        ("c2", "contiguous_format"),
        ("c2", "preserve_format"),
    ]:
        L.manual_seed(0)
        m = {
            "c2": lambda: L.nn.Conv2d(2, 3, 2),
            "c3": lambda: L.nn.Conv3d(2, 3, 2),
            "c1": lambda: L.nn.Conv1d(2, 3, 2),
            "lin": lambda: L.nn.Linear(2, 3),
        }[mk]()
        r = _outcome(
            lambda: [
                (n, p.stride(), p.is_contiguous(), type(p).__name__)
                for n, p in m.to(memory_format=getattr(L, fmt)).named_parameters()
            ]
        )
        out.append((mk, fmt, r))
    m = L.nn.Conv2d(2, 3, 2)
    out.append(_outcome(lambda: m.to(L.float64, memory_format=L.channels_last).weight.stride()))
    out.append(
        _outcome(
            lambda: m.to("cpu", L.float16, False, memory_format=L.channels_last).weight.stride()
        )
    )
    out.append(_outcome(lambda: m.to(memory_format="channels_last")))
    return out


@_program
def to_tensor_arg(L):
    m = L.nn.Linear(1, 1)
    out = [_outcome(lambda: str(m.to(L.zeros(1, dtype=L.float64)).weight.dtype))]
    out.append(_outcome(lambda: str(m.to(L.zeros(1, dtype=L.int64)).weight.dtype)))
    out.append(_outcome(lambda: str(m.to(other=L.zeros(1, dtype=L.float16)).weight.dtype)))
    out.append(_outcome(lambda: str(m.to(tensor=L.zeros(1, dtype=L.float16)).weight.dtype)))
    out.append(_outcome(lambda: m.to(L.float32, L.float64)))
    out.append(_outcome(lambda: m.to("cpu", "cpu")))
    return out


@_program
def tensor_to_keywords(L):
    t = L.ones(2)
    return [
        _outcome(lambda: str(t.to(tensor=L.zeros(1, dtype=L.float64)).dtype)),
        _outcome(lambda: t.to(other=L.zeros(1))),
        _outcome(lambda: t.to(memory_format="contiguous_format")),
        _outcome(lambda: t.to(L.zeros(1), memory_format=3)),
        _outcome(lambda: str(t.to(L.float16, memory_format=L.preserve_format).dtype)),
        _outcome(lambda: str(t.to(memory_format=None).dtype)),
    ]


@pytest.mark.parametrize("name", sorted(_PROGRAMS))
def test_module_api_program(torch, name):
    _same(torch, _PROGRAMS[name])


# ------------------------------------------------------------------------- seeded fuzz
def _leaf(L, rng):
    k = rng.randrange(5)
    return [
        lambda: L.nn.ReLU(),
        lambda: L.nn.Tanh(),
        lambda: L.nn.Linear(1, rng.randint(1, 3)),
        lambda: L.nn.Identity(),
        lambda: L.nn.Sequential(),
    ][k]()


def _idx(rng):
    return rng.choice(
        [
            0,
            1,
            -1,
            2,
            -3,
            5,
            -7,
            slice(None, None, 2),
            slice(1, None),
            slice(None, None, -1),
            slice(0, 0),
            "a",
            1.0,
            True,
        ]
    )


def _seq_prog(L, seed, kind):
    rng = random.Random(seed)
    L.manual_seed(0)
    C = getattr(L.nn, kind)
    c = (
        C(*[_leaf(L, rng) for _ in range(rng.randint(0, 4))])
        if kind == "Sequential"
        else C([_leaf(L, rng) for _ in range(rng.randint(0, 4))])
    )
    out = []
    for _ in range(6):
        op = rng.randrange(11)
        i = _idx(rng)
        if op == 0:
            out.append(_outcome(lambda: repr(c[i])))
        elif op == 1:
            out.append(_outcome(lambda: c.insert(i, _leaf(L, rng))))
        elif op == 2:
            out.append(_outcome(lambda: repr(c.pop(i))))
        elif op == 3:

            def d():
                del c[i]

            out.append(_outcome(d))
        elif op == 4:
            out.append(_outcome(lambda: c.__setitem__(i, _leaf(L, rng))))
        elif op == 5:
            out.append(
                _outcome(lambda: c.extend([_leaf(L, rng) for _ in range(rng.randint(0, 2))]))
            )
        elif op == 6:

            def iadd():
                nonlocal c
                c += C(*[_leaf(L, rng)]) if kind == "Sequential" else [_leaf(L, rng)]

            out.append(_outcome(iadd))
        elif op == 7:
            out.append(
                _outcome(
                    lambda: repr(
                        c + C(_leaf(L, rng)) if kind == "Sequential" else c + C([_leaf(L, rng)])
                    )
                )
            )
        elif op == 8:
            out.append(_outcome(lambda: repr(c * rng.choice([0, 1, 2, -1]))))
        elif op == 9:
            out.append(_outcome(lambda: c.append(_leaf(L, rng))))
        else:
            out.append(
                _outcome(lambda: (len(c), list(c._modules), [n for n, _ in c.named_parameters()]))
            )
        out.append(_outcome(lambda: repr(c)))
    out.append(_outcome(lambda: list(c.state_dict())))
    return str(out).replace("torch", "ember")


def _dict_prog(L, seed, kind):
    rng = random.Random(seed)
    L.manual_seed(0)
    C = getattr(L.nn, kind)

    def val():
        if kind == "ModuleDict":
            return _leaf(L, rng)
        return rng.choice(
            [
                lambda: L.nn.Parameter(L.zeros(rng.randint(0, 2), 2)),
                lambda: L.ones(2, dtype=L.float64),
                lambda: 3,
                lambda: "s",
                lambda: None,
                lambda: L.nn.Parameter(L.ones(1), requires_grad=False),
            ]
        )()

    keys = ["a", "b", "c", "x.y", "", "training", 1]
    c = C({k: val() for k in rng.sample(["a", "b", "c"], rng.randint(0, 3))})
    out = []
    for _ in range(6):
        op = rng.randrange(9)
        k = rng.choice(keys)
        if op == 0:
            out.append(_outcome(lambda: repr(c[k])))
        elif op == 1:
            out.append(_outcome(lambda: c.__setitem__(k, val())))
        elif op == 2:
            out.append(_outcome(lambda: repr(c.pop(k))))
        elif op == 3:

            def d():
                del c[k]

            out.append(_outcome(d))
        elif op == 4:
            out.append(
                _outcome(lambda: c.update({k: val()} if rng.random() < 0.5 else [(k, val())]))
            )
        elif op == 5:
            out.append(_outcome(lambda: (list(c.keys()), len(c), k in c)))
        elif op == 6:
            out.append(_outcome(lambda: c.update(rng.choice([3, [1], [("a", val(), 1)], "ab"]))))
        elif op == 7:
            out.append(_outcome(lambda: setattr(c, str(k), val())))
        else:
            out.append(_outcome(lambda: [n for n, _ in c.named_parameters()]))
        out.append(_outcome(lambda: repr(c)))
    out.append(_outcome(lambda: list(c.state_dict())))
    return str(out).replace("torch", "ember")


def _plist_prog(L, seed):
    rng = random.Random(seed)
    L.manual_seed(0)

    def val():
        return rng.choice(
            [
                lambda: L.nn.Parameter(L.zeros(rng.randint(0, 2), 2)),
                lambda: L.ones(2, dtype=L.float64),
                lambda: 3,
                lambda: "s",
                lambda: None,
                lambda: L.nn.ReLU(),
                lambda: L.nn.Parameter(L.ones(1), requires_grad=False),
            ]
        )()

    c = L.nn.ParameterList([val() for _ in range(rng.randint(0, 3))])
    out = []
    for _ in range(6):
        op = rng.randrange(7)
        i = _idx(rng)
        if op == 0:
            out.append(_outcome(lambda: repr(c[i])))
        elif op == 1:
            out.append(_outcome(lambda: c.__setitem__(i, val())))
        elif op == 2:
            out.append(_outcome(lambda: c.append(val())))
        elif op == 3:
            out.append(_outcome(lambda: c.extend([val() for _ in range(rng.randint(0, 2))])))
        elif op == 4:

            def iadd():
                nonlocal c
                c += [val()]

            out.append(_outcome(iadd))
        elif op == 5:
            out.append(_outcome(lambda: c.extend(val())))
        else:
            out.append(
                _outcome(
                    lambda: ([n for n, _ in c.named_parameters()], len(c), list(c.state_dict()))
                )
            )
        out.append(_outcome(lambda: repr(c)))
    return str(out).replace("torch", "ember")


def _attr_prog(L, seed):
    rng = random.Random(seed)
    L.manual_seed(0)
    m = L.nn.Linear(2, 2)
    m.register_buffer("b", L.zeros(1))
    m.register_buffer("nb", L.zeros(1), persistent=False)
    m.register_buffer("none_b", None)
    m.register_parameter("none_p", None)
    m.sub = L.nn.ReLU()
    m.plain = 3
    names = ["weight", "bias", "b", "nb", "none_b", "none_p", "sub", "plain", "new", "training"]

    def val():
        return rng.choice(
            [
                lambda: L.nn.Parameter(L.zeros(2)),
                lambda: L.ones(2),
                lambda: None,
                lambda: 3,
                lambda: L.nn.Tanh(),
                lambda: "s",
                lambda: L.ones(2, requires_grad=True) * 2,
            ]
        )()

    out = []
    for _ in range(5):
        op = rng.randrange(6)
        n = rng.choice(names)
        if op in (0, 1):
            out.append(_outcome(lambda: setattr(m, n, val())))
        elif op == 2:
            out.append(_outcome(lambda: delattr(m, n)))
        elif op == 3:
            out.append(_outcome(lambda: m.register_buffer(n, val(), persistent=rng.random() < 0.5)))
        elif op == 4:
            out.append(_outcome(lambda: m.register_parameter(n, val())))
        else:
            out.append(_outcome(lambda: m.add_module(n, val())))
        out.append(
            (
                list(m.state_dict()),
                [k for k, _ in m.named_parameters()],
                [k for k, _ in m.named_buffers()],
                [k for k, _ in m.named_children()],
                repr(m),
                type(getattr(m, n, "MISSING")).__name__,
            )
        )
    return str(out).replace("torch", "ember")


_FUZZ = [
    ("Sequential", lambda L, s: _seq_prog(L, s, "Sequential")),
    ("ModuleList", lambda L, s: _seq_prog(L, s, "ModuleList")),
    ("ModuleDict", lambda L, s: _dict_prog(L, s, "ModuleDict")),
    ("ParameterDict", lambda L, s: _dict_prog(L, s, "ParameterDict")),
    ("ParameterList", lambda L, s: _plist_prog(L, s)),
    ("attributes", lambda L, s: _attr_prog(L, s)),
]


@pytest.mark.parametrize("kind", [k for k, _ in _FUZZ])
def test_seeded_container_and_attribute_edit_fuzz(torch, kind):
    """Random edits (index/slice get, set, del, insert, pop, extend, +=, +, *, update, setattr,
    register_*) give PyTorch's results, errors and reprs after every step."""
    program = dict(_FUZZ)[kind]
    for seed in range(40):
        _same(torch, program, seed)
