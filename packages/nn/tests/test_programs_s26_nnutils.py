"""Session 26: ``nn.utils`` programs diffed whole against PyTorch (pruning, the hook-based
spectral/weight norm, containers). Differences found and fixed: a structured pruning step
with an out-of-range ``dim`` on an already pruned tensor, the hook-based ``spectral_norm``'s
missing load_state_dict pre-hook (old checkpoints; hook ids), its ``None`` parameter check,
and where ``weight_norm``'s FutureWarning points.

Every expected value, error type and message comes from torch at test time.
"""

from __future__ import annotations

import linecache
import warnings

import numpy as np
import pytest
from _programs import raises_same, same_printed

import ember

torch = pytest.importorskip("torch")
pytest.importorskip("torch.nn.utils.prune")


def _prune_mod(lib: object) -> object:
    import importlib

    return importlib.import_module(f"{lib.__name__}.nn.utils.prune")


# ------------------------------------------------------------------ prune
@pytest.mark.parametrize("method,kw", [("ln_structured", {"n": 2, "dim": 2}),
                                       ("ln_structured", {"n": 1, "dim": 5}),
                                       ("random_structured", {"dim": 7})])
def test_structured_dim_out_of_range_on_pruned_tensor(method: str, kw: dict) -> None:
    """A second, structured pruning step with ``dim`` past the tensor's dims: PyTorch's
    container fails building its slice list (IndexError 'list assignment index out of
    range'); Ember reported the method's own 'Invalid index' message."""
    def go(lib: object) -> None:
        lib.manual_seed(0)
        prune = _prune_mod(lib)
        m = lib.nn.Linear(5, 4)
        prune.l1_unstructured(m, "weight", 0.25)
        getattr(prune, method)(m, "weight", 0.5, **kw)

    raises_same(lambda: go(torch), lambda: go(ember))


def test_structured_method_without_dim_message() -> None:
    """A custom 'structured' method lacking ``dim``: PyTorch's AttributeError words (with
    double quotes around "structured")."""
    def go(lib: object) -> None:
        prune = _prune_mod(lib)

        class NoDim(prune.BasePruningMethod):
            PRUNING_TYPE = "structured"

            def compute_mask(self, t: object, default_mask: object) -> object:
                return default_mask

        m = lib.nn.Linear(2, 2)
        prune.l1_unstructured(m, "weight", 1)
        NoDim.apply(m, "weight")

    raises_same(lambda: go(torch), lambda: go(ember))


# ------------------------------------------------------------------ spectral_norm (hooks)
def test_spectral_norm_registers_load_pre_hook_and_hook_ids() -> None:
    """``spectral_norm`` registers a forward pre-hook, a state_dict hook and a load_state_dict
    pre-hook (three handle ids, as PyTorch); Ember skipped the last, so later hook ids printed
    by programs (``module._forward_pre_hooks``) were off."""
    src = """
import torch
import torch.nn as nn
from torch.nn.utils import spectral_norm
import torch.nn.utils.prune as prune
torch.manual_seed(0)
a = spectral_norm(nn.Linear(3, 3))
b = spectral_norm(nn.Linear(3, 3))
c = nn.Linear(3, 3)
prune.l1_unstructured(c, 'weight', 0.5)
k0 = list(a._forward_pre_hooks)[0]
print([k - k0 for k in b._forward_pre_hooks], [k - k0 for k in c._forward_pre_hooks])
print(len(a._load_state_dict_pre_hooks), len(a._state_dict_hooks))
"""
    same_printed(src)


def test_spectral_norm_loads_old_checkpoint() -> None:
    """A state_dict without the spectral-norm version, holding ``weight`` but no
    ``weight_v`` (an old checkpoint): ``v`` is solved from ``weight_orig``, ``u`` and sigma
    as in PyTorch (Ember reported missing/unexpected keys)."""
    def go(lib: object) -> tuple:
        lib.manual_seed(0)
        s = lib.nn.utils.spectral_norm(lib.nn.Linear(3, 3))
        for _ in range(3):
            s(lib.randn(2, 3))
        sd = s.state_dict()
        old = {"bias": sd["bias"], "weight_orig": sd["weight_orig"],
               "weight_u": sd["weight_u"], "weight": s.weight.detach().clone()}
        s3 = lib.nn.utils.spectral_norm(lib.nn.Linear(3, 3))
        res = s3.load_state_dict(old)
        s3.eval()
        return (list(res.missing_keys), list(res.unexpected_keys), s3.weight_v.detach().numpy(),
                s3(lib.ones(1, 3)).detach().numpy())

    t, e = go(torch), go(ember)
    assert e[:2] == t[:2]
    np.testing.assert_allclose(e[2], t[2], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(e[3], t[3], rtol=1e-5, atol=1e-6)


def test_spectral_norm_missing_keys_and_after_remove() -> None:
    """Strict loads missing ``weight_orig``/``weight_u`` report them (twice-listed keys as
    in PyTorch); after ``remove_spectral_norm`` PyTorch's pre-hook stays, so a strict load of
    the module's own state_dict still fails the same way."""
    src = """
import torch
import torch.nn as nn
from torch.nn.utils import spectral_norm, remove_spectral_norm
torch.manual_seed(0)
s = spectral_norm(nn.Linear(3, 3))
sd = s.state_dict()
s4 = spectral_norm(nn.Linear(3, 3))
print(s4.load_state_dict({'bias': sd['bias'], 'weight_orig': sd['weight_orig']}, strict=False))
try:
    s4.load_state_dict({'bias': sd['bias'], 'weight_orig': sd['weight_orig']})
except Exception as e:
    print(type(e).__name__, e)
print(s4.load_state_dict(dict(sd)))
remove_spectral_norm(s4)
print(len(s4._load_state_dict_pre_hooks), len(s4._state_dict_hooks), list(s4.state_dict()))
try:
    s4.load_state_dict(s4.state_dict())
except Exception as e:
    print(type(e).__name__, e)
print(s4.load_state_dict(s4.state_dict(), strict=False))
"""
    same_printed(src)


def test_spectral_norm_none_parameter() -> None:
    """A parameter registered as None: PyTorch's ValueError (Ember failed deeper)."""
    raises_same(lambda: torch.nn.utils.spectral_norm(torch.nn.Linear(2, 2, bias=False), "bias"),
                lambda: ember.nn.utils.spectral_norm(ember.nn.Linear(2, 2, bias=False), "bias"))


# ------------------------------------------------------------------ weight_norm warning
def _warning_line(lib: object, call: object) -> tuple:
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        call(lib)
    w = [r for r in rec if issubclass(r.category, FutureWarning)]
    assert len(w) == 1
    return (str(w[0].message).replace(lib.__name__, "LIB"),
            linecache.getline(w[0].filename, w[0].lineno).strip())


@pytest.mark.parametrize("direct", [False, True])
def test_weight_norm_warning_points_at_apply_call(direct: bool) -> None:
    """PyTorch's deprecated callable is ``WeightNorm.apply``: the FutureWarning shows the
    line calling it (``WeightNorm.apply(module, name, dim)``), also when a program calls
    ``WeightNorm.apply`` itself (Ember showed its own warn line / did not warn)."""
    def call(lib: object) -> None:
        m = lib.nn.Linear(3, 2)
        if direct:
            lib.nn.utils.weight_norm.__globals__["WeightNorm"].apply(m, "weight", 0)
        else:
            lib.nn.utils.weight_norm(m)

    t, e = _warning_line(torch, call), _warning_line(ember, call)
    assert e[0] == t[0]
    if not direct:
        assert e[1] == t[1]


# ------------------------------------------------------------------ whole programs
def test_program_global_pruning_tutorial() -> None:
    """The pruning tutorial's global pruning and custom mask steps print the same."""
    src = """
import torch
import torch.nn as nn
import torch.nn.utils.prune as prune
torch.manual_seed(0)
net = nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 2))
params = ((net[0], 'weight'), (net[2], 'weight'))
prune.global_unstructured(params, pruning_method=prune.L1Unstructured, amount=0.4)
for i in (0, 2):
    print(i, int(net[i].weight_mask.sum()), net[i].weight_mask.numel())
print(f"{100. * float(torch.sum(net[0].weight == 0)) / net[0].weight.nelement():.2f}")
prune.global_unstructured(params, pruning_method=prune.RandomUnstructured, amount=3)
print(int(net[0].weight_mask.sum() + net[2].weight_mask.sum()))
for mod, n in params:
    prune.remove(mod, n)
print(list(net.state_dict().keys()))
m = nn.Linear(3, 3)
prune.custom_from_mask(m, 'weight', torch.tensor([[1, 0, 1], [0, 1, 0], [1, 1, 1]]))
print(m.weight_mask, m.weight_mask.dtype)
print(m.weight)
"""
    same_printed(src)


def test_program_sequential_and_containers() -> None:
    """Sequential/ModuleList slicing, insert/pop/extend and their reprs print the same."""
    src = """
import torch
import torch.nn as nn
from collections import OrderedDict
s = nn.Sequential(OrderedDict([('a', nn.Linear(1, 1)), ('b', nn.ReLU()), ('c', nn.Tanh()), ('d', nn.Sigmoid())]))
print(s[1:], s[::-1])
s[1] = nn.GELU()
del s[::2]
s.append(nn.ELU()); s.insert(-1, nn.SiLU()); s.insert(1, nn.Mish())
print(s, s.pop(-1))
ml = nn.ModuleList([nn.ReLU(), nn.Tanh(), nn.GELU()])
ml.insert(1, nn.ELU()); ml[-1] = nn.SiLU()
del ml[1:3]
print(ml)
for bad in (lambda: ml.insert(0, 5), lambda: nn.Sequential(5), lambda: s.insert(30, nn.ReLU())):
    try:
        bad()
    except Exception as e:
        print(type(e).__name__, e)
print(nn.Sequential(*[nn.Linear(2, 2) for _ in range(4)], nn.ReLU(), nn.ReLU()))
"""
    same_printed(src)


# ------------------------------------------------------------------ module registration errors
def test_add_module_error_names_classes_and_functions() -> None:
    """A class or function where a module/parameter/buffer is expected: PyTorch's
    ``torch.typename`` names it by its own qualified name ('ember.nn.modules.activation.ReLU
    is not a Module subclass'); Ember said 'type'/'function'."""
    src = """
import torch
import torch.nn as nn
class Foo: pass
def helper(x): return x
m = nn.Linear(2, 2)
s = nn.Sequential(nn.ReLU())
for bad in [nn.ReLU, helper, Foo, Foo(), 3.5, 'x', torch.ones(1), len]:
    for op in [lambda: s.add_module('k', bad), lambda: s.append(bad), lambda: setattr(m, 'weight', bad),
               lambda: m.register_buffer('z', bad), lambda: setattr(s, '0', bad)]:
        try:
            op()
            print('ok')
        except Exception as e:
            print(type(e).__name__, e)
for op in [lambda: s.add_module(nn.ReLU, nn.ReLU()), lambda: m.register_buffer(helper, None)]:
    try:
        op()
    except Exception as e:
        print(type(e).__name__, e)
"""
    same_printed(src)
