"""Tests of tools/versions.py, tools/scaffold.py and the benchmark harness.

The version and scaffold tools run as their command lines do, on a copy of the
repository's packages/ layout in a temporary folder.
"""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A copy of tools/ and of every package's pyproject, changelog and version modules."""
    shutil.copytree(ROOT / "tools", tmp_path / "tools", ignore=shutil.ignore_patterns("tests"))
    for pyproject in (ROOT / "packages").glob("*/pyproject.toml"):
        folder = pyproject.parent
        target = tmp_path / "packages" / folder.name
        target.mkdir(parents=True)
        for name in ("pyproject.toml", "CHANGELOG.md"):
            shutil.copy(folder / name, target / name)
        init = folder / "src" / "ember" / folder.name / "__init__.py"
        if init.exists():
            (target / init.relative_to(folder)).parent.mkdir(parents=True)
            shutil.copy(init, target / init.relative_to(folder))
    return tmp_path


def tool(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `python tools/<args>` in `root`, as a developer would."""
    return subprocess.run(
        [sys.executable, *args], cwd=root, capture_output=True, text=True, check=False
    )


def version_of(root: Path, package: str) -> str:
    pyproject = root / "packages" / package / "pyproject.toml"
    return tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"]


def test_repository_sibling_ranges_hold() -> None:
    done = tool(ROOT, "tools/versions.py", "check")
    assert done.returncode == 0, done.stderr


def test_check_names_package_dependency_range_and_version(repo: Path) -> None:
    text = (repo / "packages/core/pyproject.toml").read_text(encoding="utf-8")
    (repo / "packages/core/pyproject.toml").write_text(
        text.replace('version = "0.1.0"', 'version = "0.2.0"'), encoding="utf-8"
    )
    done = tool(repo, "tools/versions.py", "check")
    assert done.returncode == 1
    line = next(line for line in done.stderr.splitlines() if line.startswith("error: ember-nn "))
    assert "ember-core" in line and ">=0.1,<0.2" in line and "0.2.0" in line


def test_check_rejects_a_pin(repo: Path) -> None:
    path = repo / "packages/optim/pyproject.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"ember-nn>=0.1,<0.2"', '"ember-nn==0.1.0"'), encoding="utf-8")
    done = tool(repo, "tools/versions.py", "check")
    assert done.returncode == 1
    assert "ember-optim" in done.stderr and "pins" in done.stderr


def test_bump_changes_only_that_package(repo: Path) -> None:
    before = {p.parent.name: p.read_text() for p in repo.glob("packages/*/pyproject.toml")}
    done = tool(repo, "tools/versions.py", "bump", "ember-text", "patch")
    assert done.returncode == 0, done.stderr
    assert version_of(repo, "text") == "0.1.1"
    after = {p.parent.name: p.read_text() for p in repo.glob("packages/*/pyproject.toml")}
    assert {name for name in before if before[name] != after[name]} == {"text"}
    assert after["text"] == before["text"].replace('version = "0.1.0"', 'version = "0.1.1"')
    init = (repo / "packages/text/src/ember/text/__init__.py").read_text()
    assert '__version__ = "0.1.1"' in init
    changelog = (repo / "packages/text/CHANGELOG.md").read_text()
    assert changelog.index("## 0.1.1 (unreleased)") < changelog.index("## 0.1.0")


def test_bump_warns_about_ranges_it_breaks(repo: Path) -> None:
    done = tool(repo, "tools/versions.py", "bump", "core", "minor")
    assert done.returncode == 0, done.stderr
    assert version_of(repo, "core") == "0.2.0"
    assert "warning: ember-nn" in done.stderr
    assert tool(repo, "tools/versions.py", "check").returncode == 1


@pytest.mark.parametrize("target", ["0.1.0", "0.0.9", "sideways"])
def test_bump_refuses_a_version_that_does_not_go_up(repo: Path, target: str) -> None:
    done = tool(repo, "tools/versions.py", "bump", "nn", target)
    assert done.returncode == 1
    assert version_of(repo, "nn") == "0.1.0"


def test_scaffold_creates_a_package_in_house_style(repo: Path) -> None:
    done = tool(repo, "tools/scaffold.py", "new", "graph")
    assert done.returncode == 0, done.stderr
    folder = repo / "packages/graph"
    project = tomllib.loads((folder / "pyproject.toml").read_text())
    assert project["project"]["name"] == "ember-graph"
    assert project["project"]["dependencies"] == ["ember-core>=0.1,<0.2"]
    wheel = project["tool"]["hatch"]["build"]["targets"]["wheel"]
    assert wheel == {"only-include": ["src/ember/graph"], "sources": ["src"]}
    assert (folder / "src/ember/graph/__init__.py").exists()
    assert not (folder / "src/ember/__init__.py").exists()
    assert "## 0.1.0 (unreleased)" in (folder / "CHANGELOG.md").read_text()
    assert tool(repo, "tools/versions.py", "check").returncode == 0


def test_scaffolded_tests_pass(repo: Path) -> None:
    assert tool(repo, "tools/scaffold.py", "new", "graph").returncode == 0
    folder = repo / "packages/graph"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(folder / "src"), *sys.path]),
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",  # the test of the new package, not of plugins
    }
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "--import-mode=importlib", str(folder / "tests")],
        cwd=repo, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed, 1 skipped" in done.stdout


@pytest.mark.parametrize("name", ["nn", "autograd", "Bad-Name", "class"])
def test_scaffold_refuses_clashing_names(repo: Path, name: str) -> None:
    (repo / "packages/core/src/ember/autograd").mkdir(parents=True)
    done = tool(repo, "tools/scaffold.py", "new", name)
    assert done.returncode == 1
    assert not (repo / "packages" / name / "README.md").exists()


@pytest.fixture
def harness(monkeypatch: pytest.MonkeyPatch):
    """tools.bench.harness with an empty registry."""
    monkeypatch.syspath_prepend(str(ROOT))
    module = importlib.import_module("tools.bench.harness")
    monkeypatch.setattr(module, "REGISTRY", {})
    return module


def test_harness_interleaves_and_reports_failures(harness) -> None:
    calls: list[str] = []

    def setup(name: str):
        return lambda: lambda: calls.append(name)

    def broken():
        raise ImportError("no such library")

    workload = harness.register("noop", ember=setup("ember"), torch=setup("torch"), numpy=broken)
    result = harness.run(workload, repeat=3, target=1e-4, skip=set())
    assert set(result.seconds) == {"ember", "torch"}
    assert result.ratio is not None and result.ratio > 0
    assert result.errors == {"numpy": "ImportError: no such library"}
    # After warm-up and auto-ranging, rounds alternate between implementations.
    n_ember, n_torch = result.number["ember"], result.number["torch"]
    tail = calls[-(n_ember + n_torch) * 2 :]
    assert tail == (["ember"] * n_ember + ["torch"] * n_torch) * 2
    with pytest.raises(ValueError, match="twice"):
        harness.register("noop", ember=setup("ember"))


def test_harness_self_timed_takes_the_minimum(harness) -> None:
    times = iter([3.0, 1.0, 2.0])
    workload = harness.register(
        "timed", ember=lambda: lambda: next(times), self_timed=True, statistic="min"
    )
    assert harness.run(workload, repeat=3, target=1.0, skip=set()).seconds == {"ember": 1.0}


def test_every_workload_registers(harness, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [name for name in sys.modules if name.startswith("tools.bench.workloads.")]:
        monkeypatch.delitem(sys.modules, name)  # so that they register into the fresh registry
    importlib.import_module("tools.bench.workloads").load_all()
    expected = {"add_16x16", "fwd_bwd_small", "matmul_1024", "sum_10M", "exp_10M", "import_time"}
    assert expected <= set(harness.REGISTRY)
