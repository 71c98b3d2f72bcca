"""Check and bump the versions of Ember's distributions (one package at a time).

    python tools/versions.py check
    python tools/versions.py bump <package> <major|minor|patch|X.Y.Z>

`check` verifies that every dependency of a package on an `ember-*` sibling is a
range (never a `==` pin) that the sibling's current version satisfies. `bump`
changes one package's version (its pyproject.toml and its `__version__`) and adds
a heading to its CHANGELOG.md; it then reports the siblings whose ranges no
longer admit the new version, so that their ranges are widened deliberately.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
SIBLING_PREFIX = "ember-"
BUMP_PARTS = ("major", "minor", "patch")


class Dependency(NamedTuple):
    """One requirement as declared: where (dependencies or an extra), its text, parsed."""

    where: str
    text: str
    requirement: Requirement


@dataclass
class Package:
    """One distribution under packages/: where it lives, its name, version and requirements."""

    folder: Path
    name: str
    version: Version
    requirements: list[Dependency]

    @property
    def short(self) -> str:
        """The import name below `ember` (and the folder name): `ember-nn` -> `nn`."""
        return self.folder.name


def read_package(folder: Path) -> Package:
    """Read `folder/pyproject.toml` into a Package."""
    project = tomllib.loads((folder / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = [("dependencies", r) for r in project.get("dependencies", [])]
    for extra, reqs in project.get("optional-dependencies", {}).items():
        declared += [(f"extra '{extra}'", r) for r in reqs]
    requirements = [Dependency(where, text, Requirement(text)) for where, text in declared]
    return Package(
        folder=folder,
        name=canonicalize_name(project["name"]),
        version=Version(project["version"]),
        requirements=requirements,
    )


def load_packages(root: Path = ROOT) -> dict[str, Package]:
    """Every package under `root/packages`, keyed by canonical distribution name."""
    folders = sorted(p.parent for p in (root / "packages").glob("*/pyproject.toml"))
    packages = [read_package(folder) for folder in folders]
    return {package.name: package for package in packages}


def compatible_range(version: Version) -> str:
    """The sibling range that admits `version` and its compatible successors.

    0.x releases may break at every minor step, so 0.3.2 gives `>=0.3,<0.4`; from
    1.0 on, a major step breaks, so 1.4.0 gives `>=1.4,<2`.
    """
    upper = f"0.{version.minor + 1}" if version.major == 0 else f"{version.major + 1}"
    return f">={version.major}.{version.minor},<{upper}"


def check(packages: dict[str, Package]) -> list[str]:
    """Return one message per sibling dependency that is pinned, open or unsatisfied."""
    problems = []
    for package in packages.values():
        for where, text, req in package.requirements:
            dep = canonicalize_name(req.name)
            if not dep.startswith(SIBLING_PREFIX):
                continue
            prefix = f"{package.name} ({where}): requires '{text}'"
            sibling = packages.get(dep)
            if sibling is None:
                problems.append(f"{prefix}, which is no package under packages/")
            elif any(spec.operator in ("==", "===") for spec in req.specifier):
                problems.append(
                    f"{prefix} pins a version; declare a range such as "
                    f"'{dep}{compatible_range(sibling.version)}'"
                )
            elif not req.specifier:
                problems.append(
                    f"{prefix} has no version range; declare "
                    f"'{dep}{compatible_range(sibling.version)}'"
                )
            elif not req.specifier.contains(sibling.version, prereleases=True):
                folder = sibling.folder.parent.name + "/" + sibling.folder.name
                problems.append(f"{prefix}, but {dep} is {sibling.version} ({folder})")
    return problems


def next_version(current: Version, target: str) -> Version:
    """`current` bumped by `target` (major, minor, patch) or `target` itself as X.Y.Z."""
    major, minor, patch = (current.release + (0, 0))[:3]
    if target == "major":
        return Version(f"{major + 1}.0.0")
    if target == "minor":
        return Version(f"{major}.{minor + 1}.0")
    if target == "patch":
        return Version(f"{major}.{minor}.{patch + 1}")
    try:
        new = Version(target)
    except InvalidVersion:
        raise ValueError(f"'{target}' is neither one of {BUMP_PARTS} nor a version") from None
    if new <= current:
        raise ValueError(f"new version {new} is not above the current {current}")
    return new


def find_package(packages: dict[str, Package], name: str) -> Package:
    """Look a package up by distribution name (`ember-nn`) or folder name (`nn`)."""
    for package in packages.values():
        if canonicalize_name(name) in (package.name, package.short):
            return package
    known = ", ".join(sorted(p.short for p in packages.values()))
    raise ValueError(f"no package '{name}' under packages/ (known: {known})")


def _set_project_version(text: str, new: Version) -> str:
    """Replace the `version = "..."` line of the [project] table, keeping everything else."""
    lines = text.splitlines(keepends=True)
    in_project = False
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("["):
            in_project = stripped == "[project]"
        elif in_project and re.match(r"version\s*=", stripped):
            lines[i] = re.sub(r'(["\']).*?\1', f'"{new}"', line, count=1)
            return "".join(lines)
    raise ValueError("no static `version` in the [project] table")


def _version_files(package: Package) -> list[Path]:
    """The package's own top-level modules, which may hold a `__version__` line."""
    module_dir = package.folder / "src" / "ember"
    if package.short != "core":
        module_dir = module_dir / package.short
    return sorted(module_dir.glob("*.py"))


def _add_changelog_heading(path: Path, new: Version) -> None:
    """Insert `## <new> (unreleased)` above the newest heading (or at the end)."""
    heading = f"## {new} (unreleased)\n\n"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Changelog\n\n"
    if re.search(rf"^## {re.escape(str(new))}\b", text, flags=re.MULTILINE):
        return
    match = re.search(r"^## ", text, flags=re.MULTILINE)
    if match:
        text = text[: match.start()] + heading + text[match.start() :]
    else:
        text = text.rstrip("\n") + "\n\n" + heading
    path.write_text(text, encoding="utf-8")


def bump(root: Path, name: str, target: str) -> Version:
    """Bump one package's version in its pyproject.toml, `__version__` and CHANGELOG.md."""
    package = find_package(load_packages(root), name)
    new = next_version(package.version, target)
    pyproject = package.folder / "pyproject.toml"
    pyproject.write_text(
        _set_project_version(pyproject.read_text(encoding="utf-8"), new), encoding="utf-8"
    )
    pattern = re.compile(
        rf"""^(__version__\s*=\s*)(["']){re.escape(str(package.version))}\2""", flags=re.MULTILINE
    )
    for path in _version_files(package):
        text = path.read_text(encoding="utf-8")
        if pattern.search(text):
            path.write_text(pattern.sub(rf'\g<1>"{new}"', text), encoding="utf-8")
    _add_changelog_heading(package.folder / "CHANGELOG.md", new)
    return new


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("check", help="check sibling ranges against actual versions")
    bump_parser = commands.add_parser("bump", help="bump one package's version")
    bump_parser.add_argument("package", help="distribution (ember-nn) or folder (nn) name")
    bump_parser.add_argument("target", help="major, minor, patch or an explicit X.Y.Z")
    args = parser.parse_args(argv)

    if args.command == "bump":
        try:
            new = bump(args.root, args.package, args.target)
        except ValueError as error:
            print(f"versions: {error}", file=sys.stderr)
            return 1
        print(f"{args.package}: version is now {new}")
        for problem in check(load_packages(args.root)):
            print(f"warning: {problem}", file=sys.stderr)
        return 0

    packages = load_packages(args.root)
    problems = check(packages)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"ok: sibling ranges of {len(packages)} packages admit the current versions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
