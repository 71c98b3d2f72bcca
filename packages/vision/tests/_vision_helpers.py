"""Test helpers for ember.vision: the torchvision oracle, a loopback HTTP server, and a
guard that fails any connection to an address other than 127.0.0.1."""

from __future__ import annotations

import http.server
import os
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from ember.testing.oracle import torch_or_skip

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def torchvision_or_skip() -> Any:
    """torchvision (after torch), or skip; under EMBER_REQUIRE_ORACLE=1 a missing one fails."""
    torch_or_skip()
    try:
        import torchvision
    except ImportError:
        if os.environ.get("EMBER_REQUIRE_ORACLE") == "1":
            raise
        pytest.skip("torchvision oracle not installed")
    return torchvision


def guard_network(monkeypatch: pytest.MonkeyPatch, allow_loopback: bool = True) -> list:
    """Fail any connection (and name lookup) outside 127.0.0.1; return the list of
    addresses connected to, so a test can also assert that none was opened."""
    attempts: list = []
    real_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> Any:
        attempts.append(address)
        host = address[0] if isinstance(address, tuple) else address
        if not allow_loopback or host not in LOOPBACK:
            raise AssertionError(f"test tried to connect to {address!r}")
        return real_connect(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not allow_loopback or host not in LOOPBACK:
            attempts.append(host)
            raise AssertionError(f"test tried to resolve {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return attempts


def closed_port() -> int:
    """A TCP port on 127.0.0.1 with nothing listening (connections are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args: Any) -> None:  # keep pytest output clean
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        srv = self.server
        srv.requests.append((self.path, self.headers.get("Range")))
        if self.path in srv.redirects:
            self.send_response(302)
            self.send_header("Location", srv.redirects[self.path])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path not in srv.files:
            self.send_error(404)
            return
        data = srv.files[self.path]
        start, ranged = 0, self.headers.get("Range")
        match = re.fullmatch(r"bytes=(\d+)-", ranged or "")
        if match and self.path not in srv.ignore_range:
            start = int(match.group(1))
            if start >= len(data):
                self.send_error(416)
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if srv.cuts.get(self.path, 0) > 0:  # send half, then drop the connection
            srv.cuts[self.path] -= 1
            self.wfile.write(body[:len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(body)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.files: dict[str, bytes] = {}
        self.cuts: dict[str, int] = {}
        self.redirects: dict[str, str] = {}
        self.ignore_range: set[str] = set()
        self.requests: list[tuple[str, str | None]] = []

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"


@contextmanager
def loopback_server() -> Iterator[_Server]:
    """An HTTP server on 127.0.0.1 (a free port) serving ``server.files`` in a thread."""
    server = _Server()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def randomise_batch_norm(torch: Any, m: Any, g: Any) -> None:
    """Non-trivial eval-mode statistics and affine parameters for a torchvision BatchNorm
    (fresh ones are the identity, which would hide a wrong layer from a comparison)."""
    m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=g) * 0.1)
    m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)
    m.num_batches_tracked.fill_(7)
    m.weight.copy_(torch.rand(m.weight.shape, generator=g) + 0.5)
    m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.1)


def program_output(src: str, lib: str, tmp_path: Any, monkeypatch: Any) -> str:
    """What a program written against torch prints (run in ``tmp_path``, its imports renamed
    for ember when ``lib`` is "ember"), read with torch's names as ember's."""
    import contextlib
    import io
    import textwrap

    if lib == "ember":
        src = src.replace("torchvision", "ember.vision").replace("torch", "ember")
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(textwrap.dedent(src), f"<{lib}>", "exec"), {"__name__": "__main__"})  # noqa: S102
    return out.getvalue().replace("torchvision", "ember.vision").replace("torch", "ember")


def same_program_output(src: str, tmp_path: Any, monkeypatch: Any) -> None:
    want = program_output(src, "torch", tmp_path, monkeypatch)
    assert program_output(src, "ember", tmp_path, monkeypatch) == want


def raised(fn: Any) -> tuple[type, str]:
    """The type and message of the exception ``fn()`` raises (the test fails if none)."""
    with pytest.raises(Exception) as info:
        fn()
    return type(info.value), str(info.value)
