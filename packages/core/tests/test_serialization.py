"""ember.save / ember.load: PyTorch's formats both ways, safety, atomicity."""

from __future__ import annotations

import io
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import numpy as np
import pytest

import ember
from ember.serialization import UnsafeCheckpointError
from ember.testing import assert_close

FIXTURES = Path(__file__).parent / "fixtures"
SRC = str(Path(ember.__file__).resolve().parents[1])


@pytest.mark.parametrize("name", ["torch_state_dict.pt", "torch_state_dict_legacy.pt"])
def test_reads_checkpoints_saved_by_pytorch(name):
    sd = ember.load(FIXTURES / name)
    expected = np.load(FIXTURES / "torch_state_dict_values.npz")
    assert list(sd) == ["linear.weight", "linear.bias", "base", "view_col", "transposed", "f64",
                        "f16", "bf16", "i64", "i32", "u8", "b", "c64", "scalar", "empty", "meta"]
    for key in expected.files:
        t = sd[key]
        got = t.float() if t.dtype is ember.bfloat16 else t
        np.testing.assert_array_equal(got.detach().numpy(), expected[key], err_msg=key)
    assert sd["bf16"].dtype is ember.bfloat16 and sd["i32"].dtype is ember.int32
    assert sd["linear.weight"].requires_grad
    assert sd["meta"] == {"epoch": 3, "name": "run", "lrs": [0.1, 0.01], "pair": (1, 2.5),
                          "raw": b"\x00\x01"}


def test_views_loaded_from_pytorch_share_storage():
    sd = ember.load(FIXTURES / "torch_state_dict.pt")
    sd["base"].numpy()[0, 1] = 100.0
    assert sd["view_col"][0].item() == 100.0
    assert sd["transposed"][1, 0].item() == 100.0


def _sample():
    base = ember.arange(12.0).reshape(3, 4)
    return {"w": base, "col": base[:, 1], "t": base.t(), "i": ember.tensor([1, 2, 3]),
            "h": ember.tensor([0.5], dtype=ember.float16), "c": ember.tensor([1 + 2j]),
            "bool": ember.tensor([True]), "n": 7, "s": "x", "nested": [ember.zeros(2), (1, 2.5)],
            "dtype": ember.float64, "scalar": ember.tensor(2.0), "empty": ember.zeros(0, 2)}


def test_round_trip_keeps_values_dtypes_and_sharing(tmp_path):
    sd = _sample()
    ember.save(sd, tmp_path / "a.pt")
    back = ember.load(tmp_path / "a.pt")
    for k, v in sd.items():
        if isinstance(v, ember.Tensor):
            assert_close(back[k], v)
    assert back["n"] == 7 and back["dtype"] is ember.float64
    back["w"].numpy()[0, 1] = -1
    assert back["col"][0].item() == -1 and back["t"][1, 0].item() == -1


def test_what_ember_saves_loads_in_pytorch(tmp_path, torch):
    sd = _sample()
    ember.save(sd, tmp_path / "e.pt")
    t = torch.load(tmp_path / "e.pt", weights_only=True)
    for k, v in sd.items():
        if isinstance(v, ember.Tensor):
            assert_close(v, t[k])
    assert t["dtype"] is torch.float64
    assert t["col"].untyped_storage().data_ptr() == t["w"].untyped_storage().data_ptr()


def test_pytorch_round_trip_of_fresh_file(tmp_path, torch):
    src = {"a": torch.randn(4, 5).t(), "p": torch.nn.Parameter(torch.ones(3)),
           "bf": torch.randn(3).to(torch.bfloat16)}
    torch.save(src, tmp_path / "t.pt")
    got = ember.load(tmp_path / "t.pt")
    for k in src:
        assert_close(got[k], src[k])


def test_file_objects_and_mmap(tmp_path):
    buf = io.BytesIO()
    ember.save({"x": ember.arange(5)}, buf)
    buf.seek(0)
    assert ember.load(buf)["x"].tolist() == [0, 1, 2, 3, 4]
    ember.save({"x": ember.arange(6.0)}, tmp_path / "m.pt")
    m = ember.load(tmp_path / "m.pt", mmap=True)
    assert m["x"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]


def test_map_location_forms(tmp_path):
    ember.save({"x": ember.ones(2)}, tmp_path / "x.pt")
    for loc in ("cpu", ember.device("cpu"), {"cpu": "cpu"}, lambda storage, loc: storage):
        assert ember.load(tmp_path / "x.pt", map_location=loc)["x"].device == ember.device("cpu")


def test_cuda_checkpoint_on_cpu_machine(tmp_path):
    if ember.cuda.is_available():
        pytest.skip("a GPU is available")
    path = tmp_path / "cuda.pt"
    ember.save({"x": ember.ones(2)}, path)
    # rewrite the storage location as a CUDA checkpoint would have it
    with zipfile.ZipFile(path) as z:
        records = {n: z.read(n) for n in z.namelist()}
    pkl = next(n for n in records if n.endswith("data.pkl"))
    records[pkl] = records[pkl].replace(b"X\x03\x00\x00\x00cpu", b"X\x06\x00\x00\x00cuda:0")
    with zipfile.ZipFile(path, "w") as z:
        for n, d in records.items():
            z.writestr(n, d)
    with pytest.raises(RuntimeError, match="map_location=ember.device\\('cpu'\\)"):
        ember.load(path)
    assert ember.load(path, map_location="cpu")["x"].tolist() == [1.0, 1.0]


# ------------------------------------------------------------------ malicious files
class _System:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


class _Eval:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (eval, (f"open({str(self.marker)!r}, 'w').close()",))


def _zip_with_pickle(path, payload: bytes):
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/data.pkl", payload)
        z.writestr("archive/version", "3\n")


@pytest.mark.parametrize("gadget", [_System, _Eval])
def test_malicious_pickle_runs_nothing(tmp_path, gadget):
    marker = tmp_path / "pwned"
    payload = pickle.dumps({"x": gadget(marker)}, protocol=2)
    pickle.loads(payload)  # the payload is live: plain pickle runs it
    assert marker.exists()
    marker.unlink()
    _zip_with_pickle(tmp_path / "evil.pt", payload)
    with pytest.raises(UnsafeCheckpointError, match="weights_only"):
        ember.load(tmp_path / "evil.pt")
    assert not marker.exists()
    # the legacy (non-zip) path refuses it too
    (tmp_path / "evil_legacy.pt").write_bytes(payload)
    with pytest.raises((UnsafeCheckpointError, ValueError)):
        ember.load(tmp_path / "evil_legacy.pt")
    assert not marker.exists()


def test_gadget_nested_inside_tensor_checkpoint_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    ember.save({"w": ember.ones(2)}, tmp_path / "ok.pt")
    with zipfile.ZipFile(tmp_path / "ok.pt") as z:
        records = {n: z.read(n) for n in z.namelist()}
    pkl = next(n for n in records if n.endswith("data.pkl"))
    # replace the pickle by one that keeps the real tensor records but adds a gadget
    records[pkl] = pickle.dumps([_System(marker)], protocol=2)
    with zipfile.ZipFile(tmp_path / "mixed.pt", "w") as z:
        for n, d in records.items():
            z.writestr(n, d)
    with pytest.raises(UnsafeCheckpointError, match="posix.system|os.system"):
        ember.load(tmp_path / "mixed.pt")
    assert not marker.exists()


def test_zip_with_parent_dir_names_is_refused(tmp_path):
    with zipfile.ZipFile(tmp_path / "slip.pt", "w") as z:
        z.writestr("../archive/data.pkl", pickle.dumps({}, protocol=2))
    with pytest.raises(UnsafeCheckpointError, match="unsafe record name"):
        ember.load(tmp_path / "slip.pt")


def test_truncated_checkpoint_raises_clear_error(tmp_path):
    ember.save({"x": ember.ones(1000)}, tmp_path / "ok.pt")
    data = (tmp_path / "ok.pt").read_bytes()
    (tmp_path / "cut.pt").write_bytes(data[: len(data) // 2])
    # PyTorch's zip reader raises RuntimeError ("failed finding central directory")
    with pytest.raises(RuntimeError, match="cut.pt"):
        ember.load(tmp_path / "cut.pt")


def test_huge_declared_storage_size_is_refused(tmp_path):
    ember.save({"x": ember.ones(4)}, tmp_path / "x.pt")
    with zipfile.ZipFile(tmp_path / "x.pt") as z:
        records = {n: z.read(n) for n in z.namelist()}
    pkl = next(n for n in records if n.endswith("data.pkl"))
    # numel 4 (BININT1) becomes 2**40 (a LONG1 would be needed; BININT holds 2**31-1)
    records[pkl] = records[pkl].replace(b"X\x03\x00\x00\x00cpuq", b"X\x03\x00\x00\x00cpuq", 1)
    data = records[pkl]
    i = data.index(b"cpu") + 3
    j = data.index(b"K\x04", i)
    records[pkl] = data[:j] + b"J\xff\xff\xff\x7f" + data[j + 2:]
    with zipfile.ZipFile(tmp_path / "huge.pt", "w") as z:
        for n, d in records.items():
            z.writestr(n, d)
    with pytest.raises(ValueError, match="declares 2147483647 elements"):
        ember.load(tmp_path / "huge.pt")


def test_weights_only_false_maps_pytorch_globals_silently(tmp_path):
    """Asked for explicitly, a full unpickling loads without a warning, as in PyTorch."""
    import warnings

    ember.save({"x": ember.ones(2)}, tmp_path / "x.pt")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ember.load(tmp_path / "x.pt", weights_only=False)["x"].tolist() == [1.0, 1.0]


def test_add_safe_globals_allows_a_class(tmp_path):
    from fractions import Fraction

    payload = pickle.dumps({"c": Fraction(3, 4)}, protocol=2)
    _zip_with_pickle(tmp_path / "c.pt", payload)
    with pytest.raises(UnsafeCheckpointError, match="fractions.Fraction"):
        ember.load(tmp_path / "c.pt")
    with ember.serialization.safe_globals([Fraction]):
        assert ember.load(tmp_path / "c.pt")["c"] == Fraction(3, 4)


def test_counter_loads_by_default_like_pytorch(torch, tmp_path):
    from collections import Counter

    torch.save({"c": Counter("aab")}, tmp_path / "c.pt")
    assert torch.load(tmp_path / "c.pt")["c"] == Counter("aab")
    assert ember.load(tmp_path / "c.pt")["c"] == Counter("aab")


def _weights_only_failure(load: object, path: Path) -> pickle.UnpicklingError:
    with pytest.raises(pickle.UnpicklingError) as e:
        load(path)
    assert type(e.value) is pickle.UnpicklingError  # PyTorch's type itself
    return e.value


def test_weights_only_refusal_is_pytorchs_unpickling_error(torch, tmp_path):
    """A whole pickled model: PyTorch's exception type and message layout (the first line,
    the allowlisting advice naming the global as the file does)."""
    torch.save(torch.nn.Linear(2, 2), tmp_path / "t.pt")
    et = str(_weights_only_failure(ember.load, tmp_path / "t.pt"))
    tt = str(_weights_only_failure(torch.load, tmp_path / "t.pt"))
    assert et.split("\n")[0] == tt.split("\n")[0]
    advice = [m.split("WeightsUnpickler error: ")[1].split("\n")[0].replace(
        f"{lib}.serialization", "LIB.serialization") for m, lib in ((et, "ember"), (tt, "torch"))]
    assert advice[0] == advice[1]
    assert "torch.nn.modules.linear.Linear" in advice[0]
    assert et.count("\n\t") == tt.count("\n\t") == 3


def test_weights_only_refuses_blocked_modules_like_pytorch(torch, tmp_path):
    """os/posix/sys/nt globals are refused even when allowlisted, with PyTorch's words."""
    payload = pickle.dumps({"x": _System(tmp_path / "pwned")}, protocol=2)
    _zip_with_pickle(tmp_path / "evil.pt", payload)
    et = str(_weights_only_failure(ember.load, tmp_path / "evil.pt"))
    tt = str(_weights_only_failure(torch.load, tmp_path / "evil.pt"))
    assert et.split(".")[0] == tt.split(".")[0] == "Weights only load failed"
    tail = [m.split("\n\n\n")[1].split("\n")[0] for m in (et, tt)]
    assert tail[0] == tail[1]
    with ember.serialization.safe_globals([os.system]):
        _weights_only_failure(ember.load, tmp_path / "evil.pt")
    assert not (tmp_path / "pwned").exists()


def test_unsafe_checkpoint_error_name_still_catches(tmp_path):
    payload = pickle.dumps({"c": pickle.PickleError()}, protocol=2)
    _zip_with_pickle(tmp_path / "e.pt", payload)
    with pytest.raises(UnsafeCheckpointError):
        ember.load(tmp_path / "e.pt")


# ------------------------------------------------------------------ atomic saving
class _Exploding:
    def __reduce__(self):
        raise RuntimeError("pickling failed midway")


def test_failed_save_keeps_old_file_and_leaves_no_temp(tmp_path):
    path = tmp_path / "ckpt.pt"
    ember.save({"v": ember.tensor([1.0])}, path)
    before = path.read_bytes()
    with pytest.raises(RuntimeError, match="pickling failed midway"):
        ember.save({"v": ember.ones(3), "bad": _Exploding()}, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.pt"]


def test_sigkill_during_save_leaves_previous_checkpoint(tmp_path):
    path = tmp_path / "big.pt"
    ember.save({"v": ember.tensor([42.0])}, path)
    code = textwrap.dedent(f"""
        import sys, numpy as np
        sys.path.insert(0, {SRC!r})
        import ember
        big = {{f"t{{i}}": ember.from_numpy(np.ones(2_000_000)) for i in range(40)}}
        print("saving", flush=True)
        while True:
            ember.save(big, {str(path)!r})
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    assert proc.stdout.readline().strip() == b"saving"
    import time

    time.sleep(0.4)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    loaded = ember.load(path)  # whichever complete file is there, it loads
    assert set(loaded) in ({"v"}, {f"t{i}" for i in range(40)})


def test_safetensors_round_trip(tmp_path):
    pytest.importorskip("safetensors")
    from ember.serialization import load_file, save_file

    tensors = {"w": ember.arange(6.0).reshape(2, 3), "i": ember.tensor([1, 2], dtype=ember.int32)}
    save_file(tensors, tmp_path / "m.safetensors", metadata={"format": "pt"})
    back = load_file(tmp_path / "m.safetensors")
    assert set(back) == {"w", "i"}
    for k in tensors:
        assert_close(back[k], tensors[k])


def test_safetensors_written_by_torch(tmp_path, torch):
    st = pytest.importorskip("safetensors.torch")
    t = {"a": torch.randn(3, 4), "b": torch.arange(5)}
    st.save_file(t, str(tmp_path / "t.safetensors"))
    back = ember.serialization.load_file(tmp_path / "t.safetensors")
    for k in t:
        assert_close(back[k], t[k])


def _owning_sample(lib):
    """A tensor that owns its buffer, views of it (offset, strided, transposed), a bf16 pair."""
    base = lib.arange(10.0)
    half = lib.arange(6.0).to(lib.bfloat16)
    return {"base": base, "view": base[2:6], "step": base[1::3], "t": base[:6].view(2, 3).t(),
            "bf": half, "bf_view": half[3:], "size": lib.Size([2, 3]), "nested": (base[4:], 1)}


def _check_loaded_views(d, lib):
    d["view"][0] = -1.0
    assert d["base"][2].item() == -1.0 and d["nested"][0][-2].item() == 8.0
    d["nested"][0][0] = -4.0
    assert d["t"][1, 1].item() == -4.0 and d["step"][1].item() == -4.0
    d["bf"][4] = 9.0
    assert d["bf_view"][1].item() == 9.0
    assert type(d["size"]) is lib.Size


@pytest.mark.parametrize("new_zip", [True, False])
def test_views_of_an_owning_tensor_share_one_record_both_ways(tmp_path, torch, new_zip):
    ember.save(_owning_sample(ember), tmp_path / "e.pt", _use_new_zipfile_serialization=new_zip)
    torch.save(_owning_sample(torch), tmp_path / "t.pt", _use_new_zipfile_serialization=new_zip)
    assert zipfile.is_zipfile(tmp_path / "e.pt") is new_zip
    for got, lib in ((torch.load(tmp_path / "e.pt"), torch), (ember.load(tmp_path / "t.pt"), ember),
                     (ember.load(tmp_path / "e.pt"), ember)):
        ref = _owning_sample(torch)
        for k in ("base", "view", "step", "t", "bf", "bf_view"):
            assert_close(got[k].float(), ref[k].float())
            assert got[k].storage_offset() == ref[k].storage_offset(), k
            assert tuple(got[k].stride()) == tuple(ref[k].stride()), k
        assert tuple(got["size"]) == (2, 3) and got["nested"][1] == 1
        _check_loaded_views(got, lib)


def test_legacy_save_to_file_object_loads_in_pytorch(tmp_path, torch):
    buf = io.BytesIO()
    p = ember.tensor([[1.5, 2.0]], dtype=ember.float64)
    ember.save({"p": p, "i": ember.tensor([3], dtype=ember.int16), "e": 5}, buf,
               _use_new_zipfile_serialization=False)
    assert buf.getvalue()[:2] != b"PK"
    buf.seek(0)
    got = torch.load(buf)
    assert_close(p, got["p"])
    assert got["i"].dtype is torch.int16 and got["e"] == 5
    buf.seek(0)
    assert ember.load(buf)["i"].tolist() == [3]
    (tmp_path / "l.pt").write_bytes(buf.getvalue())
    with pytest.raises(RuntimeError, match="mmap"):
        ember.load(tmp_path / "l.pt", mmap=True)
