"""Create a new Ember distribution under packages/ in the house style.

    python tools/scaffold.py new <name> [--description TEXT]

It writes packages/<name>/ with a hatchling pyproject.toml (ember-<name>, version
0.1.0, depending on the range of ember-core that admits core's current version),
README.md, CHANGELOG.md, src/ember/<name>/__init__.py (never src/ember/__init__.py:
only ember-core has one) and tests/test_import.py.
"""

from __future__ import annotations

import argparse
import keyword
import re
import sys
from pathlib import Path

from versions import ROOT, compatible_range, find_package, load_packages

PYPROJECT = """\
[build-system]
requires = ["hatchling>=1.18"]
build-backend = "hatchling.build"

[project]
name = "ember-{name}"
version = "0.1.0"
description = "{description}"
readme = "README.md"
requires-python = ">=3.10"
dependencies = [
    "ember-core{core_range}",
]

[project.optional-dependencies]
test = ["pytest>=8", "hypothesis", "pytest-xdist"]

[tool.hatch.build.targets.wheel]
only-include = ["src/ember/{name}"]
sources = ["src"]
"""

README = """\
# ember-{name}

{description}

`import ember.{name}` after `pip install ember-{name}`. It joins the `ember` namespace
that ember-core provides, and works with the sibling versions its pyproject.toml
declares.

Tests: `python -m nox -s isolated-{name}` from the repository root.
"""

CHANGELOG = """\
# Changelog

## 0.1.0 (unreleased)

- First version.
"""

INIT = '''\
"""{description}"""

__version__ = "0.1.0"
'''

TEST_IMPORT = '''\
"""ember.{name} imports and reports the version its pyproject.toml declares."""

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
    module = importlib.import_module("ember.{name}")
    assert module.__version__ == PROJECT["version"]


def test_installed_metadata_matches_pyproject() -> None:
    try:
        installed = importlib.metadata.version(PROJECT["name"])
    except importlib.metadata.PackageNotFoundError:
        pytest.skip(f"{{PROJECT['name']}} is not installed (running from a source tree)")
    assert installed == PROJECT["version"]
'''


def package_files(name: str, description: str, core_range: str) -> dict[str, str]:
    """The files of a new package, keyed by path relative to packages/<name>/."""
    fields = {"name": name, "description": description, "core_range": core_range}
    return {
        "pyproject.toml": PYPROJECT.format(**fields),
        "README.md": README.format(**fields),
        "CHANGELOG.md": CHANGELOG,
        f"src/ember/{name}/__init__.py": INIT.format(**fields),
        "tests/test_import.py": TEST_IMPORT.format(**fields),
    }


def new(root: Path, name: str, description: str | None = None) -> Path:
    """Create packages/<name>/ and return its folder; refuse names that would clash."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name) or keyword.iskeyword(name):
        raise ValueError(f"'{name}' is not a lower-case Python identifier")
    folder = root / "packages" / name
    if folder.exists():
        raise ValueError(f"{folder} already exists")
    core_src = root / "packages" / "core" / "src" / "ember"
    if (core_src / name).exists() or (core_src / f"{name}.py").exists():
        raise ValueError(f"ember.{name} is already a module of ember-core")
    core = find_package(load_packages(root), "ember-core")
    description = description or f"Ember {name}: PyTorch-style {name} support for Ember."
    for relative, text in package_files(name, description, compatible_range(core.version)).items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root")
    commands = parser.add_subparsers(dest="command", required=True)
    new_parser = commands.add_parser("new", help="create packages/<name>/")
    new_parser.add_argument("name", help="import name below ember, e.g. 'graph' for ember.graph")
    new_parser.add_argument("--description", help="one-line summary for pyproject and README")
    args = parser.parse_args(argv)
    try:
        folder = new(args.root, args.name, args.description)
    except ValueError as error:
        print(f"scaffold: {error}", file=sys.stderr)
        return 1
    print(f"created {folder.relative_to(args.root)}; add it to .importlinter's sibling contracts")
    return 0


if __name__ == "__main__":
    sys.exit(main())
