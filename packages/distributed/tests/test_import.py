"""ember.distributed imports and reports the version its pyproject.toml declares."""

import importlib
import importlib.metadata
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

PROJECT = tomllib.loads(
    (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text(encoding="utf-8")
)["project"]


def test_module_version_matches_pyproject() -> None:
    module = importlib.import_module("ember.distributed")
    assert module.__version__ == PROJECT["version"]


def test_installed_metadata_matches_pyproject() -> None:
    try:
        installed = importlib.metadata.version(PROJECT["name"])
    except importlib.metadata.PackageNotFoundError:
        pytest.skip(f"{PROJECT['name']} is not installed (running from a source tree)")
    assert installed == PROJECT["version"]


def test_single_process_programs_take_their_non_distributed_path() -> None:
    dist = importlib.import_module("ember.distributed")
    assert dist.is_available() is False
    assert dist.is_initialized() is False
    assert dist.is_torchelastic_launched() is False
