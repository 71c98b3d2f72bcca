"""``ember.hub``: torch.hub's API over local folders and a cache directory, and the model
registry that plugins fill through the ``ember_register_models`` hook.

Weights live in ``get_dir()/checkpoints`` (``$EMBER_HOME/hub``, default
``~/.cache/ember/hub``). ``load_state_dict_from_url`` downloads there with a progress
bar and a hash check where a network exists; offline it raises PyTorch's error (urllib's
``URLError``) with a note saying which file to place where (``EMBER_OFFLINE=1``: a
RuntimeError saying so, without trying the network).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

__all__ = ["get_dir", "set_dir", "load_state_dict_from_url", "download_url_to_file", "load",
           "list", "help", "ModelRegistry", "models", "list_models", "get_model",
           "register_model"]

_hub_dir: str | None = None
HASH_REGEX = re.compile(r"-([a-f0-9]*)\.")


def get_dir() -> str:
    """The hub cache folder: ``set_dir``'s, else ``$EMBER_HOME/hub``, else ~/.cache/ember/hub."""
    if _hub_dir is not None:
        return _hub_dir
    home = os.environ.get("EMBER_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "ember")
    return os.path.join(home, "hub")


def set_dir(d: str | os.PathLike) -> None:
    global _hub_dir
    _hub_dir = os.path.expanduser(os.fspath(d))


def _offline() -> bool:
    return os.environ.get("EMBER_OFFLINE") == "1"


def download_url_to_file(url: str, dst: str, hash_prefix: str | None = None,
                         progress: bool = True, timeout: float = 10.0) -> None:
    """Download ``url`` to ``dst`` atomically, checking the SHA-256 prefix if given."""
    if _offline():
        raise RuntimeError(f"EMBER_OFFLINE=1: not downloading {url}; place the file at {dst}")
    import urllib.request

    dst = os.path.expanduser(dst)
    folder = os.path.dirname(dst) or "."
    os.makedirs(folder, exist_ok=True)
    sha = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(prefix=".ember-download-", dir=folder)
    try:
        try:
            req = urllib.request.Request(url, headers={"User-Agent": "ember"})
            resp = urllib.request.urlopen(req, timeout=timeout)
        except OSError as e:  # PyTorch's error as it is (URLError, HTTPError), with a hint
            if hasattr(e, "add_note"):
                e.add_note(f"ember.hub: could not download {url}. Without network access, "
                           f"download the file elsewhere and place it at {dst}")
            raise
        total = int(resp.headers.get("Content-Length") or 0) or None
        bar = _progress(total, progress, os.path.basename(dst))
        with os.fdopen(fd, "wb") as f:
            while True:
                chunk = resp.read(1 << 16)
                if not chunk:
                    break
                f.write(chunk)
                sha.update(chunk)
                bar(len(chunk))
            f.flush()
            os.fsync(f.fileno())
        bar(None)
        if hash_prefix is not None:
            digest = sha.hexdigest()
            if not digest.startswith(hash_prefix):
                raise RuntimeError(
                    f'invalid hash value (expected "{hash_prefix}", got "{digest}") for {url}')
        os.replace(tmp, dst)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _progress(total: int | None, enabled: bool, desc: str) -> Callable[[int | None], None]:
    if not enabled:
        return lambda n: None
    try:
        from tqdm import tqdm
    except ImportError:
        return lambda n: None
    bar = tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=desc,
               file=sys.stderr)

    def update(n: int | None) -> None:
        if n is None:
            bar.close()
        else:
            bar.update(n)

    return update


def load_state_dict_from_url(url: str, model_dir: str | None = None, map_location: Any = None,
                             progress: bool = True, check_hash: bool = False,
                             file_name: str | None = None,
                             weights_only: bool = True) -> dict[str, Any]:
    """Load a checkpoint from the cache folder, downloading it there first if needed."""
    from . import serialization

    model_dir = model_dir or os.path.join(get_dir(), "checkpoints")
    os.makedirs(model_dir, exist_ok=True)
    filename = file_name or os.path.basename(urlparse(url).path)
    cached = os.path.join(model_dir, filename)
    if not os.path.exists(cached):
        if _offline():
            raise RuntimeError(
                f"the weights file {filename} is not in the cache and EMBER_OFFLINE=1: download "
                f"{url} and place it at {cached}")
        sys.stdout.write(f'Downloading: "{url}" to {cached}\n')
        m = HASH_REGEX.search(filename) if check_hash else None
        download_url_to_file(url, cached, m.group(1) if m else None, progress=progress)
    return serialization.load(cached, map_location=map_location, weights_only=weights_only)


# ------------------------------------------------------------------ hub repositories (local)
def _load_hubconf(repo_dir: str) -> Any:
    path = os.path.join(repo_dir, "hubconf.py")
    if not os.path.isfile(path):
        raise ValueError(f"no hubconf.py in {repo_dir}")
    spec = importlib.util.spec_from_file_location("hubconf", path)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, repo_dir)
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(repo_dir)
    return module


def _repo_dir(repo_or_dir: str, source: str) -> str:
    if source == "local":
        return repo_or_dir
    if source != "github":
        raise ValueError(f'Unknown source: "{source}". Allowed values: "github" | "local".')
    repo, _, ref = repo_or_dir.partition(":")
    owner_repo = repo.replace("/", "_")
    names = [owner_repo + "_" + ref] if ref else [owner_repo + "_main", owner_repo + "_master"]
    for name in (owner_repo, *names):  # (PyTorch's cache folders are owner_repo_ref)
        cached = os.path.join(get_dir(), name)
        if os.path.isdir(cached):
            return cached
    if not ref:  # PyTorch's offline refusal: Ember never fetches code from GitHub
        raise RuntimeError("It looks like there is no internet connection and the repo could "
                           f"not be found in the cache ({get_dir()})")
    raise RuntimeError(
        f"{repo_or_dir} is not in the hub cache and Ember does not fetch code from GitHub: "
        f"clone it to {os.path.join(get_dir(), names[0])} or use source='local'")


def list(repo_or_dir: str, force_reload: bool = False, skip_validation: bool = False,  # noqa: A001
         trust_repo: Any = None, verbose: bool = True, source: str = "github") -> Any:
    """The entry points a hub repository's hubconf.py exports."""
    module = _load_hubconf(_repo_dir(repo_or_dir, source))
    return [f for f in dir(module) if callable(getattr(module, f)) and not f.startswith("_")]


def help(repo_or_dir: str, model: str, force_reload: bool = False,  # noqa: A001
         skip_validation: bool = False, trust_repo: Any = None, source: str = "github") -> str:
    module = _load_hubconf(_repo_dir(repo_or_dir, source))
    return getattr(module, model).__doc__ or ""


def load(repo_or_dir: str, model: str, *args: Any, source: str = "github",
         trust_repo: Any = None, force_reload: bool = False, verbose: bool = True,
         skip_validation: bool = False, **kwargs: Any) -> Any:
    """Build ``model`` from a hub repository's hubconf.py (a local folder, or a cached clone)."""
    module = _load_hubconf(_repo_dir(repo_or_dir, source))
    entry = getattr(module, model, None)
    if entry is None or not callable(entry):
        raise RuntimeError(f"Cannot find callable {model} in hubconf")
    return entry(*args, **kwargs)


# ------------------------------------------------------------------ the model registry
@dataclass(frozen=True)
class ModelEntry:
    name: str
    builder: Callable[..., Any]
    domain: str
    weights: Any = None


class ModelRegistry:
    """Model builders by name; plugins add to it in ``ember_register_models(registry)``."""

    def __init__(self) -> None:
        self._entries: dict[str, ModelEntry] = {}
        self._loaded = False
        self._lock = threading.Lock()

    def add(self, name: str, builder: Callable[..., Any], domain: str = "vision",
            weights: Any = None) -> None:
        key = name.lower()
        if key in self._entries and self._entries[key].builder is not builder:
            raise ValueError(f"a model named {name!r} is already registered "
                             f"({self._entries[key].builder!r})")
        self._entries[key] = ModelEntry(key, builder, domain, weights)

    def _ensure_loaded(self) -> None:
        if self._loaded:
            return
        with self._lock:
            if self._loaded:
                return
            from .plugins.manager import plugin_manager

            plugin_manager.load_group()
            plugin_manager.hook.ember_register_models(registry=self)
            self._loaded = True

    def names(self, domain: str | None = None) -> list[str]:
        self._ensure_loaded()
        return sorted(n for n, e in self._entries.items() if domain is None or e.domain == domain)

    def get(self, name: str) -> ModelEntry:
        self._ensure_loaded()
        try:
            return self._entries[name.lower()]
        except KeyError:
            raise ValueError(f"Unknown model {name}; available: "
                             f"{', '.join(self.names()) or 'none registered'}") from None


models = ModelRegistry()


def register_model(name: str | None = None, domain: str = "vision") -> Callable:
    """Decorator that registers a model builder under ``name`` (default: its own name)."""
    def wrap(fn: Callable) -> Callable:
        models.add(name or fn.__name__, fn, domain)
        return fn

    return wrap


def list_models(module: Any = None, include: Any = None, exclude: Any = None) -> list[str]:
    """Names of every registered model (optionally of one domain, e.g. ``"vision"``)."""
    import fnmatch

    domain = module if isinstance(module, str) else getattr(module, "__name__", None)
    if domain is not None and "." in domain:
        domain = domain.split(".")[1] if domain.startswith("ember.") else domain
    names = models.names(domain)
    if include is not None:
        pats = [include] if isinstance(include, str) else include
        names = [n for n in names if any(fnmatch.fnmatch(n, p) for p in pats)]
    if exclude is not None:
        pats = [exclude] if isinstance(exclude, str) else exclude
        names = [n for n in names if not any(fnmatch.fnmatch(n, p) for p in pats)]
    return names


def get_model(name: str, **config: Any) -> Any:
    """Build a registered model by name."""
    return models.get(name).builder(**config)

