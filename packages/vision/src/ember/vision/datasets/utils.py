"""Dataset file helpers: checksums, downloads that resume, archive extraction.

Downloads show a progress bar (tqdm), connect with a short timeout
(``EMBER_DOWNLOAD_TIMEOUT`` seconds, 10 by default), resume a partial file with an
HTTP ``Range`` request after a cut connection, and check the md5 when one is given.
``EMBER_OFFLINE=1`` never opens a connection. Whenever a file cannot be fetched the
error says which files to place where, so that a machine without network can be
given the data by hand.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import pathlib
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

# network and archive modules (urllib.request, http.client, tarfile, zipfile, lzma)
# are imported where they are used: together they cost ~0.2 s at import

__all__ = [
    "DownloadError", "calculate_md5", "check_md5", "check_integrity", "corrupt_files", "download_url",
    "download_and_extract_archive", "extract_archive", "list_dir", "list_files",
    "iterable_to_str", "verify_str_arg",
]

USER_AGENT = "ember-vision"
_PathLike = str | pathlib.Path
_CHUNK = 1 << 15
_RETRIES = 3  # resumed attempts after a cut connection


class DownloadError(RuntimeError):
    """A file could not be downloaded; the message says where to place it by hand."""


def _offline() -> bool:
    return os.environ.get("EMBER_OFFLINE", "").strip().lower() not in ("", "0", "false", "no")


def _timeout() -> float:
    return float(os.environ.get("EMBER_DOWNLOAD_TIMEOUT", "10"))


# --------------------------------------------------------------------------- checksums

def calculate_md5(fpath: _PathLike, chunk_size: int = 1024 * 1024) -> str:
    """The hex md5 digest of a file's bytes."""
    md5 = hashlib.md5(usedforsecurity=False)
    with open(fpath, "rb") as f:
        while chunk := f.read(chunk_size):
            md5.update(chunk)
    return md5.hexdigest()


def check_md5(fpath: _PathLike, md5: str, **kwargs: Any) -> bool:
    return md5 == calculate_md5(fpath, **kwargs)


def check_integrity(fpath: _PathLike, md5: str | None = None) -> bool:
    """True if ``fpath`` is a file and, when ``md5`` is given, its checksum matches."""
    if not os.path.isfile(fpath):
        return False
    if md5 is None:
        return True
    return check_md5(fpath, md5)


def corrupt_files(folder: _PathLike, files: Iterable[tuple[str, str | None]]) -> list[str]:
    """The paths of the ``(name, md5)`` files under ``folder`` that are missing or fail
    their checksum: what a dataset's "not found or corrupted" error names."""
    return [os.path.join(folder, name) for name, md5 in files
            if not check_integrity(os.path.join(folder, name), md5)]


# --------------------------------------------------------------------------- downloads

def _placement_hint(items: Sequence[tuple[str, str, str | None]]) -> str:
    """Lines telling the user which file (from which URL) goes where."""
    lines = ["Download these files yourself and place them at the paths shown:"]
    for url, path, md5 in items:
        lines.append(f"  {path}")
        lines.append(f"      from {url}" + (f"  (md5 {md5})" if md5 else ""))
    return "\n".join(lines)


class _Incomplete(Exception):
    """The connection closed before the announced number of bytes arrived."""


def _opener(max_redirect_hops: int) -> Any:
    import urllib.request

    class _Redirects(urllib.request.HTTPRedirectHandler):
        max_redirections = max_redirect_hops

    return urllib.request.build_opener(_Redirects)


def _fetch(url: str, fpath: str, max_redirect_hops: int = 3) -> None:
    """Download ``url`` to ``fpath`` through ``fpath + '.part'``, resuming after cuts."""
    import http.client
    import urllib.error
    import urllib.request

    from tqdm import tqdm

    part = fpath + ".part"
    opener = _opener(max_redirect_hops)
    cuts = 0
    while True:
        have = os.path.getsize(part) if os.path.isfile(part) else 0
        headers = {"User-Agent": USER_AGENT}
        if have:
            headers["Range"] = f"bytes={have}-"
        try:
            with opener.open(urllib.request.Request(url, headers=headers),
                             timeout=_timeout()) as response:
                if have and response.status != 206:  # the server ignored Range: start over
                    have = 0
                length = response.headers.get("Content-Length")
                total = have + int(length) if length is not None else None
                with open(part, "ab" if have else "wb") as fh, tqdm(
                        total=total, initial=have, unit="B", unit_scale=True,
                        desc=os.path.basename(fpath), disable=None) as bar:
                    while chunk := response.read(_CHUNK):
                        fh.write(chunk)
                        bar.update(len(chunk))
                if total is not None and os.path.getsize(part) < total:
                    raise _Incomplete(f"got {os.path.getsize(part)} of {total} bytes")
            os.replace(part, fpath)
            return
        except urllib.error.HTTPError as e:
            if e.code == 416 and have:  # our partial file is stale or complete: start over
                os.remove(part)
                cuts += 1
                if cuts <= _RETRIES:
                    continue
            raise
        except (_Incomplete, http.client.IncompleteRead, ConnectionResetError, TimeoutError) as e:
            # a cut or stalled transfer: resume from what we have, a few times
            cuts += 1
            if cuts > _RETRIES:
                raise _Incomplete(f"the transfer of {url} was cut {cuts} times "
                                  f"(last: {e})") from e


def download_url(url: str, root: _PathLike, filename: _PathLike | None = None,
                 md5: str | None = None, max_redirect_hops: int = 3) -> None:
    """Download ``url`` into ``root/filename`` (default: the URL's basename).

    Nothing is fetched when the file is already there with the right ``md5``. A cut
    transfer resumes with an HTTP Range request; a checksum mismatch raises
    ``RuntimeError``; an unreachable server (or ``EMBER_OFFLINE=1``) raises
    :class:`DownloadError`, whose message says where to place the file by hand.
    """
    import http.client
    import urllib.error

    root = os.path.expanduser(root)
    if not filename:
        filename = os.path.basename(url)
    fpath = os.fspath(os.path.join(root, filename))
    if check_integrity(fpath, md5):
        return
    hint = _placement_hint([(url, fpath, md5)])
    if os.path.isfile(fpath):  # only reached with an md5 that does not match
        hint = f"{fpath} is there but fails its md5 check.\n{hint}"
    if _offline():
        raise DownloadError(f"EMBER_OFFLINE=1: not downloading {url}.\n{hint}")
    os.makedirs(root, exist_ok=True)
    try:
        _fetch(url, fpath, max_redirect_hops)
    except urllib.error.HTTPError as e:
        raise DownloadError(f"Downloading {url} failed: HTTP {e.code} {e.reason}.\n{hint}") from e
    except _Incomplete as e:
        raise DownloadError(f"Downloading {url} failed: {e}. The partial file "
                            f"{fpath}.part is kept; calling again resumes it.\n{hint}") from e
    except (urllib.error.URLError, OSError, http.client.HTTPException) as e:
        reason = e.reason if isinstance(e, urllib.error.URLError) else e
        raise DownloadError(f"Could not reach the server for {url} ({reason}); the network "
                            f"may be unreachable (EMBER_OFFLINE=1 skips downloads).\n"
                            f"{hint}") from e
    if not check_integrity(fpath, md5):
        actual = calculate_md5(fpath)
        os.remove(fpath)
        raise RuntimeError(f"File not found or corrupted: {fpath} downloaded from {url} has md5 "
                           f"{actual}, expected {md5}; the file was removed.")


def _download_resources(dataset: str, folder: str,
                        files: Sequence[tuple[str, str | None, Sequence[str]]],
                        extract: bool = True, note: str = "") -> None:
    """Fetch ``(filename, md5, urls)`` into ``folder``, trying each URL in turn.

    When the network is unreachable (or ``EMBER_OFFLINE=1``), the error lists every
    file still missing and where to place it, instead of a bare network error.
    """
    os.makedirs(folder, exist_ok=True)
    fetch = download_and_extract_archive if extract else download_url
    for i, (filename, md5, urls) in enumerate(files):
        errors: list[tuple[str, BaseException]] = []
        for url in urls:
            try:
                fetch(url, folder, filename=filename, md5=md5)
                break
            except RuntimeError as e:
                errors.append((url, e))
        else:
            tried = "\n".join(f"  {url}: {str(e).splitlines()[0]}" for url, e in errors)
            if not all(isinstance(e, DownloadError) for _, e in errors):
                raise RuntimeError(f"{dataset}: error downloading {filename}.\nTried:\n{tried}")
            missing = [(urls[0], os.path.join(folder, name), m) for name, m, urls in files[i:]]
            raise DownloadError(f"{dataset}: could not download {filename}.\nTried:\n{tried}\n"
                                f"{_placement_hint(missing)}" + (f"\n{note}" if note else ""))


# --------------------------------------------------------------------------- archives

_ARCHIVES = (".tar", ".zip")
_COMPRESSIONS = {".bz2": "bz2", ".gz": "gzip", ".xz": "lzma"}  # suffix -> module with open()
_ALIASES = {".tbz": (".tar", ".bz2"), ".tbz2": (".tar", ".bz2"), ".tgz": (".tar", ".gz")}


def _detect_file_type(file: _PathLike) -> tuple[str, str | None, str | None]:
    """``(suffix, archive type, compression)`` from the file name."""
    suffixes = pathlib.Path(file).suffixes
    if not suffixes:
        raise RuntimeError(f"File '{file}' has no suffixes that could be used to detect the "
                           "archive type and compression.")
    suffix = suffixes[-1]
    if suffix in _ALIASES:
        return (suffix, *_ALIASES[suffix])
    if suffix in _ARCHIVES:
        return suffix, suffix, None
    if suffix in _COMPRESSIONS:
        if len(suffixes) > 1 and suffixes[-2] in _ARCHIVES:
            return suffixes[-2] + suffix, suffixes[-2], suffix
        return suffix, None, suffix
    known = sorted(set(_ALIASES) | set(_ARCHIVES) | set(_COMPRESSIONS))
    raise RuntimeError(f"Unknown compression or archive type: '{suffix}'.\n"
                       f"Known suffixes are: '{known}'.")


def _extract_tar(from_path: _PathLike, to_path: _PathLike, compression: str | None) -> None:
    import tarfile

    with tarfile.open(from_path, f"r:{compression[1:]}" if compression else "r") as tar:
        if hasattr(tarfile, "data_filter"):  # refuse absolute paths and links out of to_path
            tar.extractall(to_path, filter="data")
        else:  # pragma: no cover - Python < 3.11.4
            tar.extractall(to_path)


def _extract_zip(from_path: _PathLike, to_path: _PathLike, compression: str | None) -> None:
    import zipfile

    with zipfile.ZipFile(from_path, "r") as archive:
        archive.extractall(to_path)


def _decompress(from_path: _PathLike, to_path: _PathLike, compression: str) -> None:
    opener = importlib.import_module(_COMPRESSIONS[compression]).open
    with opener(from_path, "rb") as rfh, open(to_path, "wb") as wfh:
        while chunk := rfh.read(1 << 20):
            wfh.write(chunk)


def extract_archive(from_path: _PathLike, to_path: _PathLike | None = None,
                    remove_finished: bool = False) -> _PathLike:
    """Extract a ``.zip``/``.tar[.gz|.bz2|.xz]``/``.tgz`` archive, or decompress a single
    ``.gz``/``.bz2``/``.xz`` file, into ``to_path`` (default: the archive's folder).

    Returns the folder (for an archive) or the decompressed file, as ``str`` when
    ``from_path`` is a ``str``. A truncated or corrupt archive raises ``RuntimeError``
    naming it.
    """
    import lzma
    import tarfile
    import zipfile

    if to_path is None:
        to_path = os.path.dirname(from_path)
    suffix, archive_type, compression = _detect_file_type(from_path)
    try:
        if archive_type is None:
            assert compression is not None
            target = os.path.join(to_path, os.path.basename(from_path).replace(suffix, ""))
            _decompress(from_path, target, compression)
            result = pathlib.Path(target)
        else:
            (_extract_tar if archive_type == ".tar" else _extract_zip)(
                from_path, to_path, compression)
            result = pathlib.Path(to_path)
    except (EOFError, OSError, tarfile.TarError, zipfile.BadZipFile, lzma.LZMAError) as e:
        if isinstance(e, FileNotFoundError) and not os.path.exists(from_path):
            raise
        raise RuntimeError(f"Could not extract {from_path}: the archive is corrupt or "
                           f"truncated ({type(e).__name__}: {e}).") from e
    if remove_finished:
        os.remove(from_path)
    return os.fspath(result) if isinstance(from_path, str) else result


def download_and_extract_archive(url: str, download_root: _PathLike,
                                 extract_root: _PathLike | None = None,
                                 filename: _PathLike | None = None, md5: str | None = None,
                                 remove_finished: bool = False) -> None:
    """:func:`download_url`, then :func:`extract_archive` into ``extract_root``."""
    download_root = os.path.expanduser(download_root)
    if extract_root is None:
        extract_root = download_root
    if not filename:
        filename = os.path.basename(url)
    download_url(url, download_root, filename, md5)
    extract_archive(os.path.join(download_root, filename), extract_root, remove_finished)


# --------------------------------------------------------------------------- misc

def list_dir(root: _PathLike, prefix: bool = False) -> list[str]:
    """The folders directly inside ``root`` (with ``root`` prepended when ``prefix``)."""
    root = os.path.expanduser(root)
    names = [p for p in os.listdir(root) if os.path.isdir(os.path.join(root, p))]
    return [os.path.join(root, d) for d in names] if prefix else names


def list_files(root: _PathLike, suffix: str | tuple[str, ...], prefix: bool = False) -> list[str]:
    """The files directly inside ``root`` whose names end with ``suffix``."""
    root = os.path.expanduser(root)
    names = [p for p in os.listdir(root)
             if os.path.isfile(os.path.join(root, p)) and p.endswith(suffix)]
    return [os.path.join(root, d) for d in names] if prefix else names


def iterable_to_str(iterable: Iterable) -> str:
    return "'" + "', '".join(str(item) for item in iterable) + "'"


T = TypeVar("T", str, bytes)


def verify_str_arg(value: T, arg: str | None = None, valid_values: Iterable[T] | None = None,
                   custom_msg: str | None = None) -> T:
    """Check that ``value`` is a ``str`` (and one of ``valid_values``); ValueError otherwise."""
    if not isinstance(value, str):
        where = "" if arg is None else f" for argument {arg}"
        raise ValueError(f"Expected type str{where}, but got type {type(value)}.")
    if valid_values is None:
        return value
    if value not in valid_values:
        raise ValueError(custom_msg if custom_msg is not None else
                         f"Unknown value '{value}' for argument {arg}. Valid values are "
                         f"{{{iterable_to_str(valid_values)}}}.")
    return value


def __getattr__(name: str) -> Any:
    # Google Drive downloads live in _gdrive, which imports this module: loaded on first use
    if name == "download_file_from_google_drive":
        from ._gdrive import download_file_from_google_drive

        return download_file_from_google_drive
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
