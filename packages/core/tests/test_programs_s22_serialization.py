"""Serialization programs (session 22, lane S): torch.save/ember.load and back, checked
against what PyTorch itself does with the same program."""
import collections
import io
import pickle
import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

_rng = np.random.default_rng(0)
W = _rng.standard_normal((4, 6)).astype(np.float32)
Pair = collections.namedtuple("Pair", "whole row")


def _describe(o, lib, ptrs):
    """What a program can observe of a loaded object, storages numbered by first sight."""
    if isinstance(o, lib.Tensor):
        ptrs.setdefault(o.untyped_storage().data_ptr(), len(ptrs))
        return (type(o).__name__, str(o.dtype).split(".")[-1], tuple(o.shape), o.stride(),
                o.storage_offset(), o.requires_grad, ptrs[o.untyped_storage().data_ptr()],
                o.untyped_storage().nbytes(), o.detach().float().tolist())
    if isinstance(o, dict):
        return type(o).__name__, {k: _describe(v, lib, ptrs) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return type(o).__name__, [_describe(v, lib, ptrs) for v in o]
    return repr(o)


def _saved(lib, obj, **kw):
    buf = io.BytesIO()
    lib.save(obj, buf, **kw)
    buf.seek(0)
    return buf


def _error(fn):
    with pytest.raises(Exception) as e:
        fn()
    return type(e.value), str(e.value)


# ------------------------------------------------------------ tensors met inside objects
def _pair(lib):
    a = lib.tensor(W)
    return Pair(a, a[1])


def test_namedtuple_views_keep_sharing_after_round_trip():
    """A namedtuple is pickled as an object: its tensors still share one storage."""
    want = _describe(torch.load(_saved(torch, _pair(torch)), weights_only=False), torch, {})
    got = _describe(ember.load(_saved(ember, _pair(ember)), weights_only=False), ember, {})
    assert got == want


def test_namedtuple_saved_by_ember_loads_as_torch_tensors():
    loaded = torch.load(_saved(ember, _pair(ember)), weights_only=False)
    assert type(loaded.whole) is torch.Tensor and type(loaded.row) is torch.Tensor
    want = torch.load(_saved(torch, _pair(torch)), weights_only=False)
    assert _describe(loaded, torch, {}) == _describe(want, torch, {})


def _module_checkpoint(lib):
    lib.manual_seed(0)
    model = lib.nn.Sequential(lib.nn.Linear(6, 4), lib.nn.BatchNorm1d(4))
    with lib.no_grad():
        model[0].weight.copy_(lib.tensor(W))
    return {"model": model, "w": model[0].weight, "row": model[0].weight[2]}


def _module_facts(o, lib):
    m = o["model"]
    return (o["w"] is m[0].weight, type(m[0].weight).__name__, list(m.state_dict()),
            o["row"].untyped_storage().data_ptr() == m[0].weight.untyped_storage().data_ptr(),
            o["row"].storage_offset(), _describe(m.state_dict(), lib, {}))


def test_whole_module_keeps_parameter_identity_and_views():
    want = _module_facts(torch.load(_saved(torch, _module_checkpoint(torch)),
                                    weights_only=False), torch)
    got = _module_facts(ember.load(_saved(ember, _module_checkpoint(ember)),
                                   weights_only=False), ember)
    assert got == want


# ------------------------------------------------------------ empty tensors
def _empties(lib):
    return [lib.zeros(0), lib.zeros(2, 0), lib.zeros(0, 3, dtype=lib.int64), lib.tensor(3.0)]


def test_empty_tensors_saved_by_ember_have_pytorchs_strides():
    want = _describe(torch.load(_saved(torch, _empties(torch))), torch, {})
    got = _describe(torch.load(_saved(ember, _empties(ember))), torch, {})
    assert got == want


def test_empty_storages_share_a_null_pointer_like_pytorch():
    want = _describe(torch.load(_saved(torch, _empties(torch))), torch, {})
    got = _describe(ember.load(_saved(torch, _empties(torch))), ember, {})
    assert got == want
    assert ember.zeros(0).untyped_storage().data_ptr() == torch.zeros(0).untyped_storage(
    ).data_ptr() == 0


# ------------------------------------------------------------ weights_only refusals
def _refusal(lib, obj):
    kind, msg = _error(lambda: lib.load(_saved(lib, obj)))
    return kind, msg.replace("ember.", "torch.")  # Ember names itself where PyTorch does


@pytest.mark.parametrize("make", [
    lambda lib: Pair(lib.ones(2), 1),
    lambda lib: {"f": print},
    lambda lib: {"m": lib.nn.Linear(2, 2)},
], ids=["namedtuple", "builtin", "module"])
def test_weights_only_refusal_text_is_pytorchs(make):
    want = _refusal(torch, make(torch))
    got = _refusal(ember, make(ember))
    assert got[0] is want[0] is pickle.UnpicklingError
    assert got[1] == want[1]


@pytest.mark.parametrize("legacy", [False, True])
@pytest.mark.parametrize("protocol", [3, 4, 5])
def test_pickle_protocol_is_honoured_and_refused_like_pytorch(protocol, legacy):
    """PyTorch's weights-only unpickler stops at protocol 4's FRAME opcode."""
    kw = dict(pickle_protocol=protocol, _use_new_zipfile_serialization=not legacy)
    obj = {"a": [1, 2.5], "t": 3}
    outcomes = []
    for save_lib in (torch, ember):
        for load_lib in (torch, ember):
            buf = _saved(save_lib, {**obj, "x": save_lib.arange(4)}, **kw)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    r = load_lib.load(buf)
                    outcomes.append(("ok", r["x"].tolist(), r["a"]))
                except pickle.UnpicklingError as e:
                    outcomes.append(("refused", str(e).split("WeightsUnpickler error: ")[-1]
                                     .split("\n\nCheck")[0]))
            said = {str(w.message).replace("ember.", "torch.") for w in caught
                    if "pickle protocol" in str(w.message)}
            outcomes[-1] += (sorted(said),)
            buf.seek(0)
            full = load_lib.load(buf, weights_only=False)
            assert full["x"].tolist() == [0, 1, 2, 3] and full["a"] == [1, 2.5]
    assert outcomes == [outcomes[0]] * 4
    assert outcomes[0][0] == ("ok" if protocol < 4 else "refused")


# ------------------------------------------------------------ map_location and bad files
def test_map_location_of_wrong_type_fails_as_in_pytorch():
    want = _error(lambda: torch.load(_saved(torch, torch.ones(2)), map_location=3))
    got = _error(lambda: ember.load(_saved(torch, torch.ones(2)), map_location=3))
    assert got == want


@pytest.mark.skipif(torch.cuda.is_available() or ember.cuda.is_available(),
                    reason="the message is for a machine without CUDA")
def test_map_location_to_missing_cuda_message():
    want = _error(lambda: torch.load(_saved(torch, torch.ones(2)), map_location="cuda"))
    got = _error(lambda: ember.load(_saved(torch, torch.ones(2)), map_location="cuda"))
    assert got[0] is want[0] is RuntimeError
    assert got[1].replace("ember", "torch") == want[1]


def test_garbage_file_full_load_raises_picklings_own_error():
    want = _error(lambda: torch.load(io.BytesIO(b"hello world"), weights_only=False))
    got = _error(lambda: ember.load(io.BytesIO(b"hello world"), weights_only=False))
    assert got == want


# ------------------------------------------------------------ the file PyTorch writes
def _checkpoints(lib):
    a = lib.tensor(W)
    yield {"a": lib.ones(2)}
    yield [a, a[1], a.t(), lib.arange(5), lib.zeros(0), lib.tensor(True)] + [
        lib.full((3,), float(i)) for i in range(12)]
    lib.manual_seed(0)
    yield lib.nn.Sequential(lib.nn.Linear(6, 4), lib.nn.BatchNorm1d(4)).state_dict()
    yield lib.tensor(3.5)


def _records(raw):
    import zipfile
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        return [(i.filename, i.header_offset, i.file_size, i.flag_bits) for i in z.infolist()]


@pytest.mark.parametrize("name", ["model.pt", "weights.v2.pth"])
def test_saved_file_has_pytorchs_layout_and_size(tmp_path, name):
    """``os.path.getsize`` of a checkpoint is what PyTorch's is: same records, offsets,
    data descriptors and end records; only the random serialization id differs."""
    for want_obj, got_obj in zip(_checkpoints(torch), _checkpoints(ember)):
        torch.save(want_obj, tmp_path / name)
        want = (tmp_path / name).read_bytes()
        ember.save(got_obj, tmp_path / name)
        got = (tmp_path / name).read_bytes()
        assert len(got) == len(want)
        assert _records(got) == _records(want)
        assert sum(x != y for x, y in zip(got, want)) <= 48  # the 40-digit id and its crc
        assert ember.load(tmp_path / name, mmap=True) is not None
        torch.load(tmp_path / name)


def test_each_storage_type_is_written_once_in_the_pickle():
    """Repeated ``torch FloatStorage`` globals are memo references, as in PyTorch's pickle."""
    import zipfile

    pickles = []
    for lib in (torch, ember):
        with zipfile.ZipFile(_saved(lib, [lib.ones(2), lib.zeros(3), lib.arange(2)])) as z:
            pickles.append(z.read("archive/data.pkl"))
    assert pickles[1] == pickles[0]


# ------------------------------------------------------------ load options
def _mmap_program(lib, tmp_path, flags):
    path = tmp_path / f"{lib.__name__}.pt"
    lib.save({"w": lib.zeros(4)}, path)
    with lib.serialization.set_default_mmap_options(flags):
        inside = lib.serialization.get_default_mmap_options()
        loaded = lib.load(path, mmap=True)
        loaded["w"].add_(1.0)
        del loaded
    again = lib.load(path)["w"].tolist()
    return inside, lib.serialization.get_default_mmap_options(), again


@pytest.mark.parametrize("shared", [False, True])
def test_mmap_options_private_or_shared_like_pytorch(tmp_path, shared):
    import mmap

    flags = mmap.MAP_SHARED if shared else mmap.MAP_PRIVATE
    assert _mmap_program(ember, tmp_path, flags) == _mmap_program(torch, tmp_path, flags)


def test_load_option_setters_check_their_arguments_like_pytorch():
    for lib in (torch, ember):
        assert lib.serialization.get_default_load_endianness() is None
        lib.serialization.set_default_load_endianness(lib.serialization.LoadEndianness.LITTLE)
        assert lib.serialization.get_default_load_endianness().name == "LITTLE"
        lib.serialization.set_default_load_endianness(None)
    for lib in (torch, ember):
        with pytest.raises(TypeError, match="Invalid argument type in function "
                           "set_default_load_endianness"):
            lib.serialization.set_default_load_endianness("little")
    want = _error(lambda: torch.serialization.set_default_mmap_options(12345))
    assert _error(lambda: ember.serialization.set_default_mmap_options(12345)) == want


def test_file_without_byteorder_record_reads_little_endian(tmp_path):
    """A checkpoint without a ``byteorder`` record (older writers) is little-endian unless
    ``set_default_load_endianness`` says otherwise, on any host, as in PyTorch."""
    import zipfile

    src, dst = tmp_path / "full.pt", tmp_path / "old.pt"
    torch.save({"w": torch.arange(4.0)}, src)
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            if not info.filename.endswith("/byteorder"):
                zout.writestr(info, zin.read(info))
    es = ember.serialization
    try:
        assert ember.load(dst)["w"].tolist() == [0.0, 1.0, 2.0, 3.0]
        es.set_default_load_endianness(es.LoadEndianness.BIG)
        swapped = ember.load(dst)["w"].numpy()
        np.testing.assert_array_equal(swapped, np.arange(4.0, dtype="<f4").byteswap().view("<f4"))
        es.set_default_load_endianness(es.LoadEndianness.NATIVE)
        assert ember.load(dst)["w"].tolist() == [0.0, 1.0, 2.0, 3.0]
    finally:
        es.set_default_load_endianness(None)
