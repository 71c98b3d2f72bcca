"""Downloads against a loopback HTTP server: md5 checks, resume with Range after a cut
connection, unreachable servers, EMBER_OFFLINE, archives, and a dataset's download=True.
No address other than 127.0.0.1 is ever contacted."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import struct
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))  # the helper module, under --import-mode=importlib
from _vision_helpers import closed_port, guard_network, loopback_server  # noqa: E402

from ember.vision.datasets import CIFAR10, MNIST  # noqa: E402
from ember.vision.datasets import utils as du  # noqa: E402


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> list:
    monkeypatch.delenv("EMBER_OFFLINE", raising=False)
    monkeypatch.setenv("EMBER_DOWNLOAD_TIMEOUT", "5")
    return guard_network(monkeypatch)


@pytest.fixture
def server():
    with loopback_server() as srv:
        yield srv


def _md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


PAYLOAD = np.random.default_rng(0).integers(0, 256, 200_000, dtype=np.uint8).tobytes()


def test_download_with_md5(server, tmp_path: Path) -> None:
    server.files["/data/blob.bin"] = PAYLOAD
    du.download_url(server.url("/data/blob.bin"), tmp_path, md5=_md5(PAYLOAD))
    assert (tmp_path / "blob.bin").read_bytes() == PAYLOAD
    assert not (tmp_path / "blob.bin.part").exists()
    # present and intact: no second request
    du.download_url(server.url("/data/blob.bin"), tmp_path, md5=_md5(PAYLOAD))
    assert len(server.requests) == 1
    assert du.check_integrity(tmp_path / "blob.bin", _md5(PAYLOAD))
    assert du.calculate_md5(tmp_path / "blob.bin") == _md5(PAYLOAD)


def test_download_other_filename_and_redirect(server, tmp_path: Path) -> None:
    server.files["/real"] = PAYLOAD[:1000]
    server.redirects["/moved"] = "/real"
    du.download_url(server.url("/moved"), str(tmp_path / "sub"), filename="x.bin")
    assert (tmp_path / "sub" / "x.bin").read_bytes() == PAYLOAD[:1000]


def test_resume_after_cut_connection(server, tmp_path: Path) -> None:
    server.files["/f.bin"] = PAYLOAD
    server.cuts["/f.bin"] = 1
    du.download_url(server.url("/f.bin"), tmp_path, md5=_md5(PAYLOAD))
    assert (tmp_path / "f.bin").read_bytes() == PAYLOAD
    assert [r for _, r in server.requests] == [None, f"bytes={len(PAYLOAD) // 2}-"]


def test_resume_when_the_server_ignores_range(server, tmp_path: Path) -> None:
    server.files["/f.bin"] = PAYLOAD
    server.cuts["/f.bin"] = 1
    server.ignore_range.add("/f.bin")
    du.download_url(server.url("/f.bin"), tmp_path, md5=_md5(PAYLOAD))
    assert (tmp_path / "f.bin").read_bytes() == PAYLOAD  # restarted from byte 0
    assert len(server.requests) == 2


def test_resume_a_partial_file_left_by_an_earlier_run(server, tmp_path: Path) -> None:
    server.files["/f.bin"] = PAYLOAD
    (tmp_path / "f.bin.part").write_bytes(PAYLOAD[:12345])
    du.download_url(server.url("/f.bin"), tmp_path, md5=_md5(PAYLOAD))
    assert (tmp_path / "f.bin").read_bytes() == PAYLOAD
    assert server.requests == [("/f.bin", "bytes=12345-")]


def test_too_many_cuts_keep_the_part_file(server, tmp_path: Path) -> None:
    server.files["/f.bin"] = PAYLOAD
    server.cuts["/f.bin"] = 10
    with pytest.raises(du.DownloadError, match="resumes"):
        du.download_url(server.url("/f.bin"), tmp_path)
    assert (tmp_path / "f.bin.part").exists() and not (tmp_path / "f.bin").exists()
    assert len(server.requests) == 4  # the first try and three resumed ones


def test_checksum_mismatch_raises(server, tmp_path: Path) -> None:
    server.files["/f.bin"] = PAYLOAD
    with pytest.raises(RuntimeError, match="md5") as err:
        du.download_url(server.url("/f.bin"), tmp_path, md5="0" * 32)
    assert not isinstance(err.value, du.DownloadError)
    assert str(tmp_path / "f.bin") in str(err.value)
    assert not (tmp_path / "f.bin").exists()


def test_http_error_says_where_to_place_the_file(server, tmp_path: Path) -> None:
    with pytest.raises(du.DownloadError, match="404") as err:
        du.download_url(server.url("/missing.gz"), tmp_path)
    assert str(tmp_path / "missing.gz") in str(err.value)


def test_unreachable_host_fails_fast_with_placement_hint(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}/mnist/train-images-idx3-ubyte.gz"
    start = time.monotonic()
    with pytest.raises(du.DownloadError) as err:
        du.download_url(url, tmp_path, md5="f68b3c2dcbeaaa9fbdd348bbdeb94873")
    assert time.monotonic() - start < 5
    msg = str(err.value)
    assert "place them" in msg and str(tmp_path / "train-images-idx3-ubyte.gz") in msg
    assert url in msg and "f68b3c2dcbeaaa9fbdd348bbdeb94873" in msg


def test_offline_never_connects(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    attempts = guard_network(monkeypatch, allow_loopback=False)
    monkeypatch.setenv("EMBER_OFFLINE", "1")
    with pytest.raises(du.DownloadError, match="EMBER_OFFLINE") as err:
        du.download_url("http://127.0.0.1:9/x.tar.gz", tmp_path)
    assert str(tmp_path / "x.tar.gz") in str(err.value)
    with pytest.raises(du.DownloadError) as err:
        MNIST(tmp_path, download=True)
    for name, _ in MNIST.resources:
        assert os.path.join(tmp_path, "MNIST", "raw", name) in str(err.value)
    assert attempts == []
    # a file already in place needs no network at all; a damaged one is pointed out
    (tmp_path / "ok.bin").write_bytes(b"abc")
    du.download_url("http://127.0.0.1:9/ok.bin", tmp_path, md5=_md5(b"abc"))
    with pytest.raises(du.DownloadError, match="ok.bin is there but fails its md5 check"):
        du.download_url("http://127.0.0.1:9/ok.bin", tmp_path, md5=_md5(b"abcd"))
    assert attempts == []


# --------------------------------------------------------------------------- archives

def _tar_gz(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_extract_archive_kinds(tmp_path: Path) -> None:
    files = {"top/a.txt": b"alpha", "top/sub/b.bin": PAYLOAD[:500]}
    (tmp_path / "a.tar.gz").write_bytes(_tar_gz(files))
    out = du.extract_archive(str(tmp_path / "a.tar.gz"), str(tmp_path / "tgz"))
    assert out == str(tmp_path / "tgz")
    assert (tmp_path / "tgz/top/sub/b.bin").read_bytes() == PAYLOAD[:500]
    with zipfile.ZipFile(tmp_path / "z.zip", "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    du.extract_archive(tmp_path / "z.zip", tmp_path / "zip")
    assert (tmp_path / "zip/top/a.txt").read_bytes() == b"alpha"
    (tmp_path / "f.bin.gz").write_bytes(gzip.compress(PAYLOAD))
    out = du.extract_archive(tmp_path / "f.bin.gz", remove_finished=True)
    assert out == tmp_path / "f.bin" and out.read_bytes() == PAYLOAD
    assert not (tmp_path / "f.bin.gz").exists()


def test_extract_truncated_archive_names_it(tmp_path: Path) -> None:
    data = _tar_gz({"a.bin": PAYLOAD})
    (tmp_path / "cut.tar.gz").write_bytes(data[:len(data) // 2])
    with pytest.raises(RuntimeError, match="cut.tar.gz"):
        du.extract_archive(tmp_path / "cut.tar.gz", tmp_path / "out")
    (tmp_path / "cut.gz").write_bytes(gzip.compress(PAYLOAD)[:1000])
    with pytest.raises(RuntimeError, match="cut.gz"):
        du.extract_archive(tmp_path / "cut.gz")
    with pytest.raises(RuntimeError, match="Unknown compression"):
        du.extract_archive(tmp_path / "x.rar")


def test_verify_str_arg() -> None:
    assert du.verify_str_arg("a", "split", ("a", "b")) == "a"
    with pytest.raises(ValueError, match="Unknown value 'c' for argument split. Valid values "
                                          "are {'a', 'b'}."):
        du.verify_str_arg("c", "split", ("a", "b"))
    with pytest.raises(ValueError, match="Expected type str for argument split"):
        du.verify_str_arg(3, "split")
    with pytest.raises(ValueError, match="custom"):
        du.verify_str_arg("c", "split", ("a",), custom_msg="custom")


# --------------------------------------------------------------------------- datasets

def _idx(arr: np.ndarray) -> bytes:
    code = {np.uint8: 0x08, np.int32: 0x0C}[arr.dtype.type]
    return struct.pack(">I", (code << 8) | arr.ndim) + struct.pack(
        f">{arr.ndim}I", *arr.shape) + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


def test_mnist_download_tries_mirrors(server, monkeypatch: pytest.MonkeyPatch,
                                      tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    resources = []
    for split, n in (("train", 7), ("t10k", 3)):
        images = _idx(rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        labels = _idx(rng.integers(0, 10, n, dtype=np.uint8))
        for kind, blob in (("images-idx3", images), ("labels-idx1", labels)):
            name = f"{split}-{kind}-ubyte.gz"
            server.files[f"/mnist/{name}"] = gz = gzip.compress(blob)
            resources.append((name, _md5(gz)))
    dead = f"http://127.0.0.1:{closed_port()}/"
    monkeypatch.setattr(MNIST, "mirrors", [dead, server.url("/mnist/")])
    monkeypatch.setattr(MNIST, "resources", resources)
    ds = MNIST(tmp_path, download=True)
    assert len(ds) == 7 and len(MNIST(tmp_path, train=False)) == 3
    img, target = ds[0]
    assert img.size == (28, 28) and 0 <= target < 10


def test_mnist_download_unreachable_lists_files(monkeypatch: pytest.MonkeyPatch,
                                                tmp_path: Path) -> None:
    monkeypatch.setattr(MNIST, "mirrors", [f"http://127.0.0.1:{closed_port()}/"])
    start = time.monotonic()
    with pytest.raises(du.DownloadError) as err:
        MNIST(tmp_path, download=True)
    assert time.monotonic() - start < 5
    raw = os.path.join(tmp_path, "MNIST", "raw")
    for name, md5 in MNIST.resources:
        assert os.path.join(raw, name) in str(err.value) and md5 in str(err.value)


def test_cifar_download_and_extract(server, monkeypatch: pytest.MonkeyPatch,
                                    tmp_path: Path) -> None:
    import pickle

    rng = np.random.default_rng(2)
    members, md5s = {}, {}
    for name in ["data_batch_1", "test_batch"]:
        batch = {"data": rng.integers(0, 256, (4, 3072), dtype=np.uint8),
                 "labels": [int(v) for v in rng.integers(0, 10, 4)]}
        members[f"cifar-10-batches-py/{name}"] = blob = pickle.dumps(batch, protocol=2)
        md5s[name] = _md5(blob)
    meta = pickle.dumps({"label_names": [f"c{i}" for i in range(10)]}, protocol=2)
    members["cifar-10-batches-py/batches.meta"] = meta
    server.files["/cifar.tar.gz"] = archive = _tar_gz(members)
    monkeypatch.setattr(CIFAR10, "url", server.url("/cifar.tar.gz"))
    monkeypatch.setattr(CIFAR10, "tgz_md5", _md5(archive))
    monkeypatch.setattr(CIFAR10, "train_list", [["data_batch_1", md5s["data_batch_1"]]])
    monkeypatch.setattr(CIFAR10, "test_list", [["test_batch", md5s["test_batch"]]])
    monkeypatch.setattr(CIFAR10, "meta", {"filename": "batches.meta", "key": "label_names",
                                          "md5": _md5(meta)})
    ds = CIFAR10(tmp_path, download=True)
    assert len(ds) == 4 and ds.classes[3] == "c3" and ds.data.shape == (4, 32, 32, 3)
