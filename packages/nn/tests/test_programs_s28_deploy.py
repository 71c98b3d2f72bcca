"""Session 28, lane D: deployment and serialization programs. ``torch.jit``: the deprecation
warnings PyTorch's nested calls give (``trace`` then ``trace_method`` for a module's trace and
each check, ``trace`` again per check of a function, ``trace_module``'s own words), a traced
ScriptModule returned as it is, ``optimize``'s warning, ``trace_module``'s argument errors,
``freeze``/``optimize_for_inference`` (warnings, their ScriptModule and eval-mode checks),
``ScriptModule.save`` without a warning, ``jit.save`` of a plain module and ``jit.load`` of a
missing file (PyTorch's errors), ``_extra_files`` read back as bytes. ``torch.hub``'s offline
``load_state_dict_from_url`` (the "Downloading" line and urllib's error). Checkpoints: PyTorch's
legacy (non-zip) stream with a whole pickled module, read by Ember from PyTorch and from Ember;
a tensor met twice in a legacy file loaded as one object; the pickler's error for an
unpicklable attribute of a module; scripted and traced modules copied (a deep copy scripted)
and refused by pickle as PyTorch's. Guards: state_dict prefixes, ``keep_vars`` and
``_metadata``, ``load_state_dict`` results and errors, ``assign=True``, checkpoints of model,
optimizer and scheduler resumed, ``map_location`` forms, ``weights_only`` refusals,
``parameters_to_vector``, BytesIO and ``pathlib.Path``, both libraries reading each other's
files (zip and legacy)."""

from __future__ import annotations

import copy
import io
import pickle
import re
import warnings

import numpy as np
import pytest
from _programs import same_printed

import ember

torch = pytest.importorskip("torch")


def _warned(lib, fn):
    """(category, message) of each warning ``fn(lib)`` gives, then its result's type name or
    its error."""
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        try:
            out = type(fn(lib)).__name__
        except Exception as e:  # noqa: BLE001 - the error is the observable
            out = f"{type(e).__name__}: {e}"
    return [(x.category.__name__, str(x.message)) for x in w], out


def _same_warnings(fn):
    assert _warned(ember, fn) == _warned(torch, fn)


def _x(lib):
    return lib.ones(2, 3)


def _lin(lib):
    lib.manual_seed(0)
    return lib.nn.Linear(3, 2)


def _double(a):
    return a * 2


@pytest.mark.parametrize("call", [
    lambda L: L.jit.trace(_lin(L), _x(L)),
    lambda L: L.jit.trace(_lin(L), _x(L), check_trace=False),
    lambda L: L.jit.trace(_lin(L), _x(L), check_inputs=[(_x(L),), (_x(L),)]),
    lambda L: L.jit.trace(_lin(L).forward, _x(L)),
    lambda L: L.jit.trace(_double, _x(L)),
    lambda L: L.jit.trace(_double, _x(L), check_trace=False),
    lambda L: L.jit.trace(_lin(L), _x(L), optimize=True),
    lambda L: L.jit.trace_module(_lin(L), {"forward": _x(L)}),
    lambda L: L.jit.trace_module(_lin(L), _x(L)),
    lambda L: L.jit.trace_module(_double, {"forward": _x(L)}),
    lambda L: L.jit.trace(_lin(L)),
], ids=["module", "module-nocheck", "check-inputs", "bound-forward", "function",
        "function-nocheck", "optimize", "trace_module", "trace_module-not-dict",
        "trace_module-not-module", "no-inputs"])
def test_trace_warnings_as_pytorchs_nested_calls_give_them(call):
    _same_warnings(call)


def test_tracing_a_script_module_returns_it_with_pytorchs_warning():
    def prog(L):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            s = L.jit.script(_lin(L))
        t = L.jit.trace(s, _x(L))
        assert t is s
        return t

    _same_warnings(prog)


@pytest.mark.parametrize("call", [
    lambda L: L.jit.freeze(_lin(L)),
    lambda L: L.jit.freeze(L.jit.script(_lin(L))),
    lambda L: L.jit.freeze(L.jit.script(_lin(L).eval())),
    lambda L: L.jit.optimize_for_inference(_lin(L)),
    lambda L: L.jit.optimize_for_inference(L.jit.script(_lin(L))),
], ids=["freeze-plain", "freeze-training", "freeze", "ofi-plain", "ofi"])
def test_freeze_and_optimize_for_inference_check_as_pytorch(call):
    _same_warnings(call)


def test_script_module_save_gives_no_warning_and_jit_save_needs_one(tmp_path):
    def prog(L):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            s = L.jit.script(_lin(L))
        s.save(str(tmp_path / f"{L.__name__}.pt"))
        return s

    _same_warnings(prog)
    _same_warnings(lambda L: L.jit.save(_lin(L), str(tmp_path / "plain.pt")))
    _same_warnings(lambda L: L.jit.save(_lin(L), io.BytesIO()))
    _same_warnings(lambda L: L.jit.load(str(tmp_path / "missing.pt")))
    _same_warnings(lambda L: L.jit.load(str(tmp_path)))


def test_jit_extra_files_come_back_as_bytes():
    same_printed("""
import io, warnings
import torch
warnings.simplefilter("ignore")
s = torch.jit.script(torch.nn.Linear(2, 2))
buf = io.BytesIO()
torch.jit.save(s, buf, _extra_files={"meta.txt": "hello", "b.bin": b"raw"})
buf.seek(0)
files = {"meta.txt": "", "b.bin": ""}
loaded = torch.jit.load(buf, _extra_files=files)
print(files, type(loaded).__name__, loaded.original_name)
""")


def test_load_state_dict_from_url_offline_says_what_pytorch_says(tmp_path, capsys):
    url = "http://127.0.0.1:1/no_such_weights-abc123.pth"
    got = []
    for lib in (torch, ember):
        try:
            lib.hub.load_state_dict_from_url(url, model_dir=str(tmp_path / lib.__name__),
                                             progress=False)
        except Exception as e:  # noqa: BLE001 - the error is the observable
            got.append((type(e), str(e)))
        out = capsys.readouterr().out
        got.append(out.replace(lib.__name__, "LIB"))
    assert got[2:] == got[:2]


def _module_bytes(lib, legacy):
    lib.manual_seed(0)
    m = lib.nn.Sequential(lib.nn.Linear(3, 2), lib.nn.BatchNorm1d(2), lib.nn.ReLU())
    m(lib.randn(4, 3))
    buf = io.BytesIO()
    lib.save(m, buf, _use_new_zipfile_serialization=not legacy)
    return m, buf.getvalue()


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
@pytest.mark.parametrize("writer", ["torch", "ember"])
def test_whole_module_checkpoints_load_into_ember(writer, legacy):
    src = torch if writer == "torch" else ember
    m, data = _module_bytes(src, legacy)
    got = ember.load(io.BytesIO(data), weights_only=False)
    assert type(got) is ember.nn.Sequential and type(got[0].weight) is ember.nn.Parameter
    assert repr(got) == repr(m)
    for (k, v), (k2, v2) in zip(got.state_dict(keep_vars=True).items(),
                                m.state_dict(keep_vars=True).items()):
        assert k == k2 and v.requires_grad == v2.requires_grad
        assert np.array_equal(v.detach().numpy(), v2.detach().numpy()), k
    x = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_allclose(got.eval()(ember.tensor(x)).detach().numpy(),
                               m.eval()(src.tensor(x)).detach().numpy(), rtol=1e-6)
    with pytest.raises(Exception) as ee:
        ember.load(io.BytesIO(data))
    with pytest.raises(Exception) as et:
        torch.load(io.BytesIO(_module_bytes(torch, legacy)[1]))
    assert type(ee.value) is type(et.value)


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
@pytest.mark.parametrize("writer", ["torch", "ember"])
def test_a_tensor_met_twice_loads_as_one_object(writer, legacy):
    src = torch if writer == "torch" else ember
    x = src.arange(10.0)
    a = x[:4]
    obj = {"a": a, "b": x[2:], "nested": [a, (x, 1)]}
    obj["again"] = obj["a"]
    buf = io.BytesIO()
    src.save(obj, buf, _use_new_zipfile_serialization=not legacy)
    for lib in (torch, ember):
        buf.seek(0)
        g = lib.load(buf)
        g["a"][3] = 100.0
        assert g["again"] is g["a"] and g["nested"][0] is g["a"], lib.__name__
        assert g["nested"][1][0][3].item() == 100.0 and g["b"][1].item() == 100.0
        assert g["b"].storage_offset() == 2


def test_unpicklable_module_attribute_error_is_pytorchs():
    same_printed("""
import io
import torch
m = torch.nn.Linear(2, 2)
m.register_forward_hook(lambda mod, i, o: o)
try:
    torch.save(m, io.BytesIO())
except Exception as e:
    print(type(e).__name__, str(e).split(" at 0x")[0], str(e).split(">")[-1])
""")


def test_state_dict_metadata_and_load_results_match():
    same_printed("""
import collections
import torch
import torch.nn as nn
torch.manual_seed(0)
m = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.Linear(3, 2))
sd = m.state_dict()
print(list(sd), sd._metadata, type(sd).__name__)
sd2 = m.state_dict(prefix="model.")
print(list(sd2), sd2._metadata)
kv = m.state_dict(keep_vars=True)
print([type(v).__name__ for v in kv.values()], kv["0.weight"].requires_grad,
      m.state_dict()["0.weight"].requires_grad)
r = m.load_state_dict(sd)
print(r, repr(r), r.missing_keys, r.unexpected_keys)
bad = dict(sd); bad.pop("0.bias"); bad["extra"] = torch.zeros(1)
print(m.load_state_dict(bad, strict=False))
for strict in (True, False):
    for s in (bad, {**sd, "0.weight": torch.zeros(5, 4)}):
        try:
            m.load_state_dict(s, strict=strict)
        except RuntimeError as e:
            print("RuntimeError", e)
old = collections.OrderedDict((k, v) for k, v in sd.items() if "num_batches" not in k)
old._metadata = {"": {"version": 1}, "1": {"version": 1}}
print(m.load_state_dict(old))
ddp = collections.OrderedDict(("module." + k, v) for k, v in sd.items())
torch.nn.modules.utils.consume_prefix_in_state_dict_if_present(ddp, "module.")
print(list(ddp))
lin = nn.Linear(3, 2)
w = {"weight": torch.ones(2, 3, dtype=torch.float64), "bias": torch.zeros(2)}
lin.load_state_dict(w)
print(lin.weight.dtype, type(lin.weight).__name__)
lin.load_state_dict(w, assign=True)
print(lin.weight.dtype, type(lin.weight).__name__, lin.weight.requires_grad)
v = torch.nn.utils.parameters_to_vector(m.parameters())
print(v.shape, v.grad_fn is not None)
torch.nn.utils.vector_to_parameters(torch.arange(float(v.numel())), m.parameters())
print(m[2].bias)
try:
    torch.nn.utils.vector_to_parameters(v.tolist(), m.parameters())
except TypeError as e:
    print("TypeError", e)
""")


def test_checkpoint_resume_with_map_locations_and_paths(tmp_path):
    same_printed(f"""
import io, pathlib
import torch
import torch.nn as nn
torch.manual_seed(0)
m = nn.Linear(4, 2)
opt = torch.optim.Adam(m.parameters(), lr=0.01)
sch = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
x = torch.randn(8, 4)
for _ in range(3):
    opt.zero_grad(); m(x).sum().backward(); opt.step(); sch.step()
path = pathlib.Path({str(tmp_path)!r}) / "ck.pt"
torch.save({{"model": m.state_dict(), "opt": opt.state_dict(), "sch": sch.state_dict(),
            "epoch": 3, "loss": 0.25, "name": "run", "none": None, "t": (1, [2.5])}}, path)
for loc in (None, "cpu", torch.device("cpu"), {{"cpu": "cpu"}}, lambda s, l: s):
    ck = torch.load(path, map_location=loc)
    print(ck["epoch"], ck["loss"], ck["name"], ck["none"], ck["t"], ck["sch"])
with open(path, "rb") as f:
    ck = torch.load(f, weights_only=True)
m2 = nn.Linear(4, 2)
opt2 = torch.optim.Adam(m2.parameters(), lr=0.01)
sch2 = torch.optim.lr_scheduler.StepLR(opt2, step_size=2, gamma=0.5)
m2.load_state_dict(ck["model"]); opt2.load_state_dict(ck["opt"]); sch2.load_state_dict(ck["sch"])
for _ in range(2):
    for mm, oo, ss in ((m, opt, sch), (m2, opt2, sch2)):
        oo.zero_grad(); mm(x).sum().backward(); oo.step(); ss.step()
print(torch.equal(m.weight, m2.weight), sch2.get_last_lr(), opt2.state_dict()["state"][0]["step"])
import fractions
buf = io.BytesIO()
torch.save({{"obj": fractions.Fraction(1, 3)}}, buf)
buf.seek(0)
try:
    torch.load(buf)
except Exception as e:
    print(type(e).__name__, str(e).split("Check the documentation")[0])
""")


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
def test_both_libraries_read_each_others_checkpoints(legacy):
    def checkpoint(lib):
        lib.manual_seed(0)
        m = lib.nn.Sequential(lib.nn.Linear(4, 3), lib.nn.BatchNorm1d(3))
        opt = lib.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
        m(lib.randn(5, 4)).sum().backward()
        opt.step()
        return {"model": m.state_dict(), "opt": opt.state_dict(), "epoch": 2, "none": None,
                "f16": lib.arange(4, dtype=lib.float16), "bf": lib.ones(2, dtype=lib.bfloat16),
                "bool": lib.tensor([True, False]), "c64": lib.tensor([1 + 2j]),
                "view": lib.arange(10.0)[2:8:2], "t": lib.arange(6).reshape(2, 3).t()}

    def plain(v):
        if hasattr(v, "dtype") and hasattr(v, "numpy"):
            f = v.detach().float() if "bfloat16" in str(v.dtype) else v.detach()
            return (str(v.dtype).split(".")[-1], tuple(v.shape), v.stride(), v.storage_offset(),
                    f.numpy().tolist())
        if isinstance(v, dict):
            return {k: plain(a) for k, a in v.items()}
        if isinstance(v, (list, tuple)):
            return [plain(a) for a in v]
        return v

    for src, dst in ((torch, ember), (ember, torch)):
        buf = io.BytesIO()
        src.save(checkpoint(src), buf, _use_new_zipfile_serialization=not legacy)
        buf.seek(0)
        got = dst.load(buf)
        buf.seek(0)
        assert plain(got) == plain(src.load(buf))
        assert got["model"]._metadata == checkpoint(dst)["model"]._metadata


@pytest.mark.parametrize("how", ["script", "trace"])
def test_script_modules_copy_and_refuse_pickling_as_pytorchs(how):
    def prog(L, what):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = L.nn.Sequential(L.nn.Linear(2, 2))
            s = L.jit.script(m) if how == "script" else L.jit.trace(m, L.ones(1, 2))
        if what == "deepcopy":
            c = copy.deepcopy(s)
            cw, sw = c.state_dict()["0.weight"], s.state_dict()["0.weight"]
            assert cw.data_ptr() != sw.data_ptr() and L.equal(cw, sw)
            return c
        if what == "copy":
            return copy.copy(s)
        if what == "pickle":
            return pickle.dumps(s)
        return L.save({"m": s}, io.BytesIO())

    for what in ("deepcopy", "copy", "pickle", "save"):
        got = [_warned(lib, lambda L, w=what: prog(L, w))[1] for lib in (torch, ember)]
        # the class's own module named; PyTorch's traced class names carry a counter
        got[0] = re.sub(r"___torch_mangle_\d+\.", "", got[0]).replace("__.torch.", "__.ember.")
        assert got[1] == got[0], what
