"""Checkpoints and data loading against PyTorch, program by program (session 19): the same
program with ``torch`` and with ``ember`` must give the same values, dtypes, sharing and
errors (type; message where PyTorch's is stable)."""

from __future__ import annotations

import collections
import dataclasses
import io
import pickle
import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def outcome(fn):
    """("ok", result) or (exception type name, message)."""
    try:
        return ("ok", fn())
    except Exception as e:  # the type is what is compared
        return (type(e).__name__, str(e))


def desc(t):
    """A tensor as plain values: dtype name, shape, stride, offset, storage bytes, values."""
    return (str(t.dtype).split(".")[-1], tuple(t.shape), t.stride(), t.storage_offset(),
            t.untyped_storage().nbytes(), t.tolist())


def saved(lib, obj, **kw):
    b = io.BytesIO()
    lib.save(obj, b, **kw)
    b.seek(0)
    return b


# ------------------------------------------------------------------ unsigned dtypes

UNSIGNED = ["uint16", "uint32", "uint64"]


def unsigned_checkpoint(lib, dt):
    x = lib.tensor([[1, 2, 3], [4, 5, 60000]], dtype=getattr(lib, dt))
    return {"a": x, "col": x[:, 1], "t": x.t()}


@pytest.mark.parametrize("dt", UNSIGNED)
@pytest.mark.parametrize("weights_only", [True, False])
def test_unsigned_checkpoint_written_by_torch_loads(dt, weights_only):
    b = saved(torch, unsigned_checkpoint(torch, dt))
    want = {k: desc(v) for k, v in torch.load(b, weights_only=weights_only).items()}
    b.seek(0)
    got = ember.load(b, weights_only=weights_only)
    assert {k: desc(v) for k, v in got.items()} == want
    got["a"][0, 1] = 7  # views stay views of one storage
    assert got["col"][0].item() == 7


@pytest.mark.parametrize("dt", UNSIGNED)
def test_unsigned_checkpoint_written_by_ember_loads_in_torch(dt):
    want = {k: desc(v) for k, v in unsigned_checkpoint(torch, dt).items()}
    got = torch.load(saved(ember, unsigned_checkpoint(ember, dt)))  # weights_only: no UInt16Storage
    assert {k: desc(v) for k, v in got.items()} == want
    again = ember.load(saved(ember, unsigned_checkpoint(ember, dt)))
    assert {k: desc(v) for k, v in again.items()} == want


@pytest.mark.parametrize("dt", UNSIGNED)
def test_unsigned_legacy_checkpoint_fails_as_in_torch(dt):
    # PyTorch writes these dtypes untyped even in the legacy stream, and cannot read them back
    for writer in (torch, ember):
        raw = saved(writer, {"a": writer.ones(2, dtype=getattr(writer, dt))},
                    _use_new_zipfile_serialization=False).getvalue()
        want = outcome(lambda raw=raw: torch.load(io.BytesIO(raw), weights_only=False))
        got = outcome(lambda raw=raw: ember.load(io.BytesIO(raw), weights_only=False))
        assert got == want and want[0] == "AttributeError"


def test_unsigned_parameter_round_trip_with_torch():
    pytest.importorskip("ember.nn")  # Ember's Parameter lives there
    p = torch.nn.Parameter(torch.tensor([1, 2], dtype=torch.uint16), requires_grad=False)
    got = ember.load(saved(torch, {"p": p}))["p"]
    assert (type(got).__name__, desc(got)) == ("Parameter", desc(p))
    back = torch.load(saved(ember, {"p": got}))["p"]
    assert (type(back).__name__, desc(back)) == ("Parameter", desc(p))


# ------------------------------------------------------------------ storage sharing on save

def test_empty_views_keep_their_storage_like_torch():
    def program(lib):
        x = lib.ones(4)
        out = lib.load(saved(lib, [x[:0], x, lib.ones(0, 2)]))
        return [desc(t) for t in out]

    assert program(ember) == program(torch)


@pytest.mark.parametrize("order", [0, 1])
def test_views_of_one_buffer_with_two_dtypes_are_refused_like_torch(order):
    def program(lib):
        x = lib.arange(4.0)
        pair = [x, x.view(lib.int32)]
        return lib.save(pair[::-1] if order else pair, io.BytesIO())

    want, got = outcome(lambda: program(torch)), outcome(lambda: program(ember))
    assert got == want and want[0] == "RuntimeError"


def test_one_dtype_view_alone_saves_like_torch():
    def program(lib):
        x = lib.arange(4.0)
        return desc(lib.load(saved(lib, [x.view(lib.int32)]))[0])[:2] + (
            lib.load(saved(lib, [x.view(lib.int32)]))[0].tolist(),)

    assert program(ember) == program(torch)


# ------------------------------------------------------------------ errors of save and load

def local_lambda_checkpoint(lib):
    return lib.save({"f": lambda: 1}, io.BytesIO())


def test_local_function_in_checkpoint_raises_torchs_error():
    want, got = outcome(lambda: local_lambda_checkpoint(torch)), outcome(
        lambda: local_lambda_checkpoint(ember))
    assert got == want and want[0] == "AttributeError"


@pytest.mark.parametrize("where", ["missing_parent", "directory"])
def test_save_to_bad_path_raises_runtime_error_like_torch(tmp_path, where):
    path = tmp_path / "nope" / "x.pt" if where == "missing_parent" else tmp_path
    want = outcome(lambda: torch.save(torch.ones(1), str(path)))
    got = outcome(lambda: ember.save(ember.ones(1), str(path)))
    assert got[0] == want[0] == "RuntimeError"
    if where == "missing_parent":
        assert got == want


CORRUPT = {
    "empty": b"",
    "truncated_zip": None,  # filled from a real checkpoint
    "plain_pickle_p2": pickle.dumps({"a": 1}, protocol=2),
    "plain_pickle_p4": pickle.dumps({"a": 1}, protocol=4),
    "one_byte": b"P",
}


@pytest.mark.parametrize("name", sorted(CORRUPT))
@pytest.mark.parametrize("weights_only", [True, False])
def test_corrupt_files_raise_torchs_error_types(name, weights_only):
    data = CORRUPT[name]
    if data is None:
        data = saved(torch, {"w": torch.ones(100)}).getvalue()
        data = data[: len(data) // 2]
    want = outcome(lambda: torch.load(io.BytesIO(data), weights_only=weights_only))
    got = outcome(lambda: ember.load(io.BytesIO(data), weights_only=weights_only))
    assert got[0] == want[0], (got, want)
    if want[0] == "UnpicklingError" and weights_only:
        assert got[1].startswith("Weights only load failed.")


def test_mmap_needs_a_path_like_torch():
    b = saved(torch, [1])
    want = outcome(lambda: torch.load(b, mmap=True))
    got = outcome(lambda: ember.load(saved(ember, [1]), mmap=True))
    assert got == want and want[0] == "ValueError"


def test_mmap_of_legacy_file_raises_runtime_error_like_torch(tmp_path):
    for lib in (torch, ember):
        lib.save([lib.ones(2)], tmp_path / f"{lib.__name__}.pt",
                 _use_new_zipfile_serialization=False)
    want = outcome(lambda: torch.load(tmp_path / "torch.pt", mmap=True))
    got = outcome(lambda: ember.load(tmp_path / "ember.pt", mmap=True))
    assert got[0] == want[0] == "RuntimeError" and "mmap can only be used" in got[1]


@pytest.mark.parametrize("value", [range(3), slice(1, 2), frozenset([1])],
                         ids=["range", "slice", "frozenset"])
def test_weights_only_refuses_the_builtins_torch_refuses(value):
    data = saved(torch, {"v": value}).getvalue()
    want = outcome(lambda: torch.load(io.BytesIO(data)))
    got = outcome(lambda: ember.load(io.BytesIO(data)))
    assert got[0] == want[0] == "UnpicklingError"
    assert ember.load(io.BytesIO(data), weights_only=False) == {"v": value}


@pytest.mark.parametrize("value", [{1, 2}, b"xy", 1j, bytearray(b"a")],
                         ids=["set", "bytes", "complex", "bytearray"])
def test_weights_only_allows_the_builtins_torch_allows(value):
    data = saved(torch, {"v": value}).getvalue()
    assert ember.load(io.BytesIO(data)) == torch.load(io.BytesIO(data)) == {"v": value}


# ------------------------------------------------------------------ what PyTorch writes besides plain tensors

@pytest.mark.parametrize("weights_only", [True, False])
def test_lazy_conj_and_neg_views_load_with_their_values(weights_only):
    z = torch.tensor([1 + 2j, -3 - 1j])
    # one file each: PyTorch refuses a complex and a float view of one storage together
    for v in (z.conj(), z.conj().imag, z):
        got = ember.load(saved(torch, v), weights_only=weights_only)
        assert (str(got.dtype).split(".")[-1], got.tolist()) == (
            str(v.dtype).split(".")[-1], v.resolve_conj().resolve_neg().tolist())


@pytest.mark.parametrize("weights_only", [True, False])
def test_buffer_tensor_loads_as_a_plain_tensor(weights_only):
    b = torch.nn.Buffer(torch.arange(3.0))
    want = torch.load(saved(torch, {"b": b}), weights_only=weights_only)["b"]
    got = ember.load(saved(torch, {"b": b}), weights_only=weights_only)["b"]
    assert (type(got).__name__, got.tolist()) == (type(want).__name__, want.tolist())


def test_tensor_with_python_attributes_loads_its_values():
    t = torch.ones(2)
    t.note = "kept by torch"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an ember.Tensor keeps its attributes too (s24)
        got = ember.load(saved(torch, t))
    assert (type(got).__name__, got.tolist(), got.note) == ("Tensor", [1.0, 1.0], "kept by torch")


# ------------------------------------------------------------------ weights-only allowlist

@dataclasses.dataclass
class Cfg:
    lr: float = 0.1


@pytest.mark.parametrize("name", ["numpy_and_class", "builtins", "module"])
def test_get_unsafe_globals_in_checkpoint_matches_torch(name):
    obj = {"numpy_and_class": lambda: {"c": np.arange(3), "d": Cfg()},
           "builtins": lambda: {"s": {1, 2}, "r": range(2), "dd": collections.defaultdict(list),
                                "t": torch.ones(1), "p": torch.nn.Parameter(torch.ones(1)),
                                "dt": torch.float16, "sz": torch.Size([1]), "c": 1j,
                                "o": collections.OrderedDict(), "cnt": collections.Counter()},
           "module": lambda: torch.nn.Linear(1, 1)}[name]()
    raw = saved(torch, obj).getvalue()
    want = torch.serialization.get_unsafe_globals_in_checkpoint(io.BytesIO(raw))
    got = ember.serialization.get_unsafe_globals_in_checkpoint(io.BytesIO(raw))
    assert sorted(got) == sorted(want)  # PyTorch's order is a set's
    with ember.serialization.safe_globals([Cfg]):
        assert "Cfg" not in str(ember.serialization.get_unsafe_globals_in_checkpoint(
            io.BytesIO(raw)))


def test_get_unsafe_globals_needs_a_zip_checkpoint_like_torch():
    raw = saved(torch, [1], _use_new_zipfile_serialization=False).getvalue()
    want = outcome(lambda: torch.serialization.get_unsafe_globals_in_checkpoint(io.BytesIO(raw)))
    got = outcome(lambda: ember.serialization.get_unsafe_globals_in_checkpoint(io.BytesIO(raw)))
    assert got == want and want[0] == "ValueError"


def test_defaultdict_is_refused_by_weights_only_like_torch():
    raw = saved(torch, {"d": collections.defaultdict(int, a=1)}).getvalue()
    want = outcome(lambda: torch.load(io.BytesIO(raw)))
    got = outcome(lambda: ember.load(io.BytesIO(raw)))
    assert got[0] == want[0] == "UnpicklingError"
    assert "collections.defaultdict" in got[1]
    assert ember.load(io.BytesIO(raw), weights_only=False) == {"d": {"a": 1}}


# ------------------------------------------------------------------ tensor subclasses

class EmberSub(ember.Tensor):
    pass


class TorchSub(torch.Tensor):
    pass


@pytest.mark.parametrize("weights_only", [False, True])
def test_tensor_subclass_keeps_its_class_like_torch(weights_only):
    def program(lib, cls):
        x = lib.arange(3.0).as_subclass(cls)
        x.tag = "kept"
        y = lib.load(saved(lib, {"x": x}), weights_only=weights_only)["x"]
        return type(y) is cls, y.tolist(), y.tag

    want = outcome(lambda: program(torch, TorchSub))
    got = outcome(lambda: program(ember, EmberSub))
    assert got[0] == want[0]
    if weights_only:  # the class is not allowlisted
        assert want[0] == "UnpicklingError" and "EmberSub" in got[1]
    else:
        assert got == want == ("ok", (True, [0.0, 1.0, 2.0], "kept"))


@pytest.mark.parametrize("src", ["torch", "ember"])
@pytest.mark.parametrize("dst", ["torch", "ember"])
def test_tv_tensors_cross_load_with_class_and_metadata(src, dst):
    pytest.importorskip("ember.vision")
    tv = pytest.importorskip("torchvision.tv_tensors")
    import ember.vision.tv_tensors as etv

    libs = {"torch": (torch, tv), "ember": (ember, etv)}

    def make(lib, T):
        return {"img": T.Image(lib.ones(3, 2, 2)), "mask": T.Mask(lib.zeros(2, 2)),
                "box": T.BoundingBoxes([[0, 0, 1, 1]], format="XYXY", canvas_size=(2, 2))}

    def describe(obj):
        return {k: (type(v).__name__, v.tolist(), {a: str(b) for a, b in vars(v).items()})
                for k, v in obj.items()}

    lib, T = libs[src]
    raw = saved(lib, make(lib, T)).getvalue()
    got = describe(libs[dst][0].load(io.BytesIO(raw), weights_only=False))
    assert got == describe(make(torch, tv))
    if dst == "torch":  # PyTorch's own classes, not Ember's
        loaded = torch.load(io.BytesIO(raw), weights_only=False)
        assert type(loaded["box"]) is tv.BoundingBoxes
        assert type(loaded["box"].format).__module__.startswith("torchvision")


# ------------------------------------------------------------------ map_location functions

MAP_FNS = {"same": lambda s, loc: s, "cpu": lambda s, loc: s.cpu(), "none": lambda s, loc: None,
           "to_device": lambda s, loc: s.to(device="cpu"),
           "by_device": lambda s, loc: s if s.device.type == "cpu" else s.cpu()}


@pytest.mark.parametrize("name", sorted(MAP_FNS))
def test_map_location_function_gets_a_storage_like_torch(name):
    def program(lib):
        out = lib.load(saved(lib, {"a": lib.ones(2), "b": lib.arange(3)}),
                       map_location=MAP_FNS[name])
        return {k: (str(v.device), str(v.dtype).split(".")[-1], v.tolist())
                for k, v in out.items()}

    assert outcome(lambda: program(ember)) == outcome(lambda: program(torch))


def test_serialization_names_users_import_exist():
    assert ember.serialization.DEFAULT_PROTOCOL == torch.serialization.DEFAULT_PROTOCOL
    assert issubclass(ember.serialization.SourceChangeWarning, Warning)
    out = ember.load(saved(ember, ember.ones(2)),
                     map_location=ember.serialization.default_restore_location)
    want = torch.load(saved(torch, torch.ones(2)),
                      map_location=torch.serialization.default_restore_location)
    assert (str(out.device), out.tolist()) == (str(want.device), want.tolist())


# ------------------------------------------------------------------ load's options

class Point:  # a class a full load rebuilds and a weights-only load refuses
    def __init__(self, x):
        self.x = x

    def __eq__(self, other):
        return isinstance(other, Point) and other.x == self.x


@pytest.mark.parametrize("weights_only", [None, True, False])
def test_explicit_pickle_module_means_a_full_load_like_torch(weights_only):
    def program(lib):
        out = lib.load(saved(lib, {"p": Point(3), "t": lib.ones(1)}), pickle_module=pickle,
                       weights_only=weights_only)
        return out["p"], out["t"].tolist()

    want, got = outcome(lambda: program(torch)), outcome(lambda: program(ember))
    assert got == want
    assert want[0] == ("RuntimeError" if weights_only else "ok")


@pytest.mark.parametrize("weights_only", [True, False])
def test_pickle_load_args_are_checked_like_torch(weights_only):
    def program(lib, **kw):
        return lib.load(saved(lib, {"t": lib.ones(1)}), weights_only=weights_only, **kw)["t"].tolist()

    want = outcome(lambda: program(torch, foo=1))
    assert outcome(lambda: program(ember, foo=1)) == want and want[0] == "TypeError"
    if weights_only:
        with pytest.warns(UserWarning, match="pickle_load_args only works"):
            assert program(ember, encoding="latin1") == [1.0]
    else:
        assert program(ember, encoding="latin1") == program(torch, encoding="latin1")


def test_save_and_load_refuse_non_files_with_torchs_error_types():
    assert outcome(lambda: ember.save([1], 123))[0] == outcome(
        lambda: torch.save([1], 123))[0] == "AttributeError"
    want = outcome(lambda: torch.load(123))
    got = outcome(lambda: ember.load(123))
    assert got[0] == want[0] == "AttributeError" and "seekable" in got[1]


# ------------------------------------------------------------------ generators in checkpoints

@pytest.mark.parametrize("src", ["torch", "ember"])
@pytest.mark.parametrize("dst", ["torch", "ember"])
def test_generator_in_checkpoint_resumes_its_stream(src, dst):
    libs = {"torch": torch, "ember": ember}
    w, r = libs[src], libs[dst]
    g = w.Generator().manual_seed(5)
    w.rand(3, generator=g)
    loaded = r.load(saved(w, {"g": g, "t": w.ones(1)}), weights_only=False)["g"]
    want = torch.Generator().manual_seed(5)
    torch.rand(3, generator=want)
    assert type(loaded) is r.Generator
    assert r.rand(4, generator=loaded).tolist() == torch.rand(4, generator=want).tolist()
    assert loaded.initial_seed() == 5


# ------------------------------------------------------------------ meta tensors

@pytest.mark.parametrize("src", ["torch", "ember"])
@pytest.mark.parametrize("dst", ["torch", "ember"])
def test_meta_tensors_and_parameters_save_without_storage(src, dst):
    pytest.importorskip("ember.nn")
    libs = {"torch": torch, "ember": ember}

    def program(w, r):
        with w.device("meta"):
            m = w.nn.Linear(2, 3)
        obj = {"sd": m.state_dict(), "params": list(m.parameters()),
               "x": w.empty_strided((2, 3), (3, 1), device="meta", dtype=w.float16,
                                    requires_grad=True)}
        y = r.load(saved(w, obj))
        return ({k: (str(v.device), tuple(v.shape), v.stride(), str(v.dtype).split(".")[1],
                     v.requires_grad, type(v).__name__) for k, v in y["sd"].items()},
                [(type(p).__name__, p.requires_grad, str(p.device)) for p in y["params"]],
                (y["x"].requires_grad, y["x"].stride(), str(y["x"].dtype).split(".")[1],
                 str(y["x"].device)))

    assert program(libs[src], libs[dst]) == program(torch, torch)


def python2_legacy_checkpoint():
    """A legacy stream whose pickle holds Python 2 byte strings (``{'k\\xe9y': 'vv'}``)."""
    b = io.BytesIO()
    for head in (0x1950A86A20F9469CFC6C, 1001, {"protocol_version": 1001, "little_endian": True,
                                                "type_sizes": {"short": 2, "int": 4, "long": 4}}):
        pickle.dump(head, b, protocol=2)
    b.write(b"\x80\x02}q\x00U\x03k\xe9yq\x01U\x02vvq\x02s.")
    pickle.dump([], b, protocol=2)
    return b.getvalue()


@pytest.mark.parametrize("encoding", [None, "latin1", "bytes"])
@pytest.mark.parametrize("weights_only", [True, False])
def test_python2_checkpoint_encoding_like_torch(encoding, weights_only):
    raw = python2_legacy_checkpoint()
    kw = {} if encoding is None else {"encoding": encoding}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "pickle_load_args only works if weights_only=False"
        want = outcome(lambda: torch.load(io.BytesIO(raw), weights_only=weights_only, **kw))
        got = outcome(lambda: ember.load(io.BytesIO(raw), weights_only=weights_only, **kw))
    assert got == want
