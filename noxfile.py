"""Nox sessions for Ember's monorepo.

    python -m nox -l                 # list the sessions
    python -m nox -s tests           # every package's tests with the PyTorch oracle (CI runs this)
    python -m nox -s isolated-nn     # one package with only the siblings it declares
    python -m nox -s wheels lint     # packaging and import-layer checks

Sessions that need PyTorch use pip (virtualenv): uv does not read pip's
configuration here, so it does not see the local PyTorch builds. The others use
uv when `nox[uv]` is installed, for faster environments.
"""

from __future__ import annotations

import os
import shutil
import sys
import zipfile
from pathlib import Path

import nox
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
from tools.versions import Package, load_packages  # noqa: E402

os.environ.setdefault("UV_PYTHON_DOWNLOADS", "never")  # a Python download fails offline

FAST_BACKEND = "uv|virtualenv"  # uv when nox[uv] is installed, else virtualenv
PIP_BACKEND = "virtualenv"  # sessions that install PyTorch
ORACLE = ("torch==2.14.1", "torchvision==0.29.1")
# importlib mode: every package has tests/test_import.py, and one run collects them all;
# the repository root as rootdir keeps test ids readable whichever package comes first.
PYTEST_ARGS = ("--import-mode=importlib", f"--rootdir={ROOT}")
NO_TESTS_COLLECTED = 5

nox.options.default_venv_backend = FAST_BACKEND
nox.options.sessions = ["lint", "tests"]

PACKAGES: dict[str, Package] = load_packages(ROOT)


def _path(package: Package, extras: str = "") -> str:
    """A pip/uv requirement for a package folder, e.g. `./packages/nn[test]`."""
    return f"./{package.folder.relative_to(ROOT).as_posix()}" + (f"[{extras}]" if extras else "")


def _siblings(package: Package) -> list[Package]:
    """The ember-* distributions a package needs at run time, transitively."""
    found: dict[str, Package] = {}
    todo = [package]
    while todo:
        for where, _, req in todo.pop().requirements:
            sibling = PACKAGES.get(canonicalize_name(req.name))
            if where == "dependencies" and sibling and sibling.name not in found:
                found[sibling.name] = sibling
                todo.append(sibling)
    return list(found.values())


def _oracle_env(**extra: str) -> dict[str, str | None]:
    """Environment for pytest runs; EMBER_REQUIRE_ORACLE=1 (CI) turns a missing torch into errors."""
    return {"EMBER_REQUIRE_ORACLE": os.environ.get("EMBER_REQUIRE_ORACLE"), **extra}


def _editable(packages: list[Package], extras: str = "") -> list[str]:
    """Install arguments for packages in editable mode, e.g. `-e ./packages/nn[test]`."""
    return [arg for package in packages for arg in ("-e", _path(package, extras))]


def _suite(session: nox.Session, **env: str) -> None:
    """The whole suite: PyTorch oracle, every package editable, pytest on both cores."""
    session.install(*ORACLE)
    session.install(*_editable(list(PACKAGES.values()), "test"))
    test_dirs = [
        str(package.folder.relative_to(ROOT) / "tests")
        for package in PACKAGES.values()
        if (package.folder / "tests").is_dir()
    ]
    session.run(
        "pytest",
        "-n",
        "2",
        *PYTEST_ARGS,
        *test_dirs,
        "tools/tests",
        *session.posargs,
        env=_oracle_env(**env),
    )


@nox.session(venv_backend=PIP_BACKEND)
def tests(session: nox.Session) -> None:
    """Every package's tests and the tools' tests, with PyTorch 2.14.1 as the oracle."""
    _suite(session)


@nox.session(name="tests-full", venv_backend=PIP_BACKEND)
def tests_full(session: nox.Session) -> None:
    """Like `tests`, over the full op-sample database (EMBER_FULL_OPDB=1)."""
    _suite(session, EMBER_FULL_OPDB="1")


def _isolated_session(package: Package) -> None:
    """Register `isolated-<name>`: the package, non-editable, with only what it declares."""

    def run_isolated(session: nox.Session) -> None:
        siblings = [_path(sibling) for sibling in _siblings(package)]
        session.install(_path(package, "test"), *siblings)
        tests_dir = str(package.folder.relative_to(ROOT) / "tests")
        session.run(
            "pytest",
            "-n",
            "2",
            *PYTEST_ARGS,
            tests_dir,
            *session.posargs,
            env={"EMBER_REQUIRE_ORACLE": None},  # unset: no PyTorch here, so oracle tests skip
            success_codes=[0, NO_TESTS_COLLECTED],
        )

    names = ", ".join(s.name for s in _siblings(package))
    with_siblings = f"with {names}" if names else "alone"
    run_isolated.__doc__ = (
        f"{package.name} from its folder, not editable, {with_siblings}; no torch."
    )
    nox.session(name=f"isolated-{package.short}", venv_backend=FAST_BACKEND)(run_isolated)


for _package in PACKAGES.values():
    _isolated_session(_package)


# top-level folders a sibling ships besides ember/<its name>/ (ember-nn carries the twins of
# torch.fx, torch.ao and torch.quantization)
EXTRA_FOLDERS = {"nn": ("ember/fx/", "ember/ao/", "ember/quantization/")}


def _folders(package: Package) -> tuple[str, ...]:
    return (f"ember/{package.short}/",) + EXTRA_FOLDERS.get(package.short, ())


def _wheel_problems(package: Package, wheel: Path) -> list[str]:
    """What is wrong with a wheel's file list: a stray ember/__init__.py, a sibling's files."""
    files = [n for n in zipfile.ZipFile(wheel).namelist() if ".dist-info/" not in n]
    if package.short == "core":
        siblings = tuple(f for p in PACKAGES.values() if p is not package for f in _folders(p))
        problems = [f"{wheel.name} ships a sibling's {n}" for n in files if n.startswith(siblings)]
        if "ember/__init__.py" not in files:
            problems.append(f"{wheel.name} lacks ember/__init__.py")
        return problems
    own = _folders(package)
    problems = [f"{wheel.name} ships {n} (outside {', '.join(own)})" for n in files
                if not n.startswith(own)]
    if not any(n.startswith(own[0]) for n in files):
        problems.append(f"{wheel.name} ships nothing under {own[0]}")
    return problems


CORE_ONLY_CHECK = """
import ember
try:
    import ember.nn
except ImportError as error:
    assert "ember-nn" in str(error), f"import ember.nn: message does not name ember-nn: {error}"
else:
    raise SystemExit("import ember.nn worked with only ember-core installed")
try:
    ember.nn
except ImportError as error:
    assert "ember-nn" in str(error), f"ember.nn: message does not name ember-nn: {error}"
else:
    raise SystemExit("ember.nn worked with only ember-core installed")
print("ok: ember imports alone, and ember.nn asks for ember-nn")
"""


@nox.session(venv_backend=PIP_BACKEND)
def wheels(session: nox.Session) -> None:
    """Build every wheel, check what each ships, and import from installed wheels only."""
    out = Path(session.create_tmp()).resolve() / "wheels"
    shutil.rmtree(out, ignore_errors=True)
    built: dict[str, Path] = {}
    for package in PACKAGES.values():
        session.run(
            "python", "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(package.folder)
        )
        stem = f"{package.name.replace('-', '_')}-{package.version}-"
        (built[package.name],) = out.glob(f"{stem}*.whl")
    problems = [p for pkg in PACKAGES.values() for p in _wheel_problems(pkg, built[pkg.name])]
    if problems:
        session.error("wheel contents:\n  " + "\n  ".join(problems))

    session.chdir(out)  # keep the source tree off sys.path
    session.install(str(built["ember-core"]))
    session.run("python", "-c", CORE_ONLY_CHECK)
    session.install(str(built["ember-nn"]))
    session.run("python", "-c", "import ember.nn, ember.fx; print('ok: ember.nn and ember.fx "
                "from', ember.nn.__file__, ember.fx.__file__)")
    session.install(*[str(wheel) for wheel in built.values()])
    session.run("python", "-m", "pip", "check")


STRICT_EXAMPLE = ROOT / "examples" / "plugins" / "ember-backend-strict"


@nox.session(name="conformance-strict", venv_backend=FAST_BACKEND)
def conformance_strict(session: nox.Session) -> None:
    """The third-party example backend (examples/plugins/ember-backend-strict, over
    array-api-strict): its tests, then `pytest --ember-backend=strict`, which prints the
    ops and dtypes the backend declares unsupported."""
    session.install(_path(PACKAGES["ember-core"]), "pytest")
    session.install(f"./{STRICT_EXAMPLE.relative_to(ROOT).as_posix()}")
    session.chdir(session.create_tmp())  # keep the source tree off sys.path
    session.run("pytest", "-q", "-p", "no:cacheprovider", str(STRICT_EXAMPLE / "tests"))
    session.run("pytest", "--ember-backend=strict", "-q", "-p", "no:cacheprovider")


@nox.session(venv_backend=FAST_BACKEND)
def lint(session: nox.Session) -> None:
    """ruff, one ember/__init__.py, sibling version ranges, and import-linter's contracts."""
    stray = [
        str(init.relative_to(ROOT))
        for init in ROOT.glob("packages/*/src/ember/__init__.py")
        if init.parents[2].name != "core"
    ]
    if stray:
        session.error(f"only ember-core may ship ember/__init__.py; remove {', '.join(stray)}")
    session.install("ruff", "import-linter", "packaging")
    targets = [t for t in ("packages", "tools", "noxfile.py", "examples") if (ROOT / t).exists()]
    session.run("ruff", "check", *targets)
    session.run("python", "tools/versions.py", "check")
    # Installed (not editable) together, the packages form one ember/ tree that grimp can read.
    session.install("--no-deps", *[_path(package) for package in PACKAGES.values()])
    session.run("lint-imports")  # reads .importlinter


@nox.session(venv_backend=FAST_BACKEND)
def demo(session: nox.Session) -> None:
    """Run the main job: the Digits CNN demo, then check what it promises.

    Fails unless held-out accuracy is at least 0.97, training took under 60 s, the
    reloaded checkpoint gives the same accuracy, and both PNGs are valid images.
    """
    needed = [PACKAGES[name] for name in ("ember-core", "ember-nn", "ember-optim")]
    session.install(*_editable(needed), *_editable([PACKAGES["ember-vision"]], "digits,plots"))
    out = Path(session.create_tmp()) / "demo-output" if "--out" not in session.posargs \
        else None
    args = list(session.posargs) or []
    if out is not None:
        args += ["--out", str(out)]
    else:
        out = Path(args[args.index("--out") + 1])
    session.run("python", "-m", "ember.vision.demo", *args)
    session.run("python", "-c", _DEMO_CHECK, str(out))


_DEMO_CHECK = """
import json, sys
from pathlib import Path
from PIL import Image
out = Path(sys.argv[1])
m = json.loads((out / "metrics.json").read_text())
problems = []
if m["test_accuracy"] < 0.97:
    problems.append(f"test accuracy {m['test_accuracy']:.4f} < 0.97")
if m["train_seconds"] >= 60:
    problems.append(f"training took {m['train_seconds']:.1f} s (limit 60 s)")
if m["reloaded_accuracy"] != m["test_accuracy"]:
    problems.append("the reloaded checkpoint gives a different accuracy")
for name in ("predictions.png", "loss.png"):
    with Image.open(out / name) as im:
        im.verify()
    with Image.open(out / name) as im:
        if im.format != "PNG" or min(im.size) < 32:
            problems.append(f"{name} is not a valid PNG image")
if problems:
    sys.exit("demo check failed: " + "; ".join(problems))
print(f"demo check passed: accuracy {m['test_accuracy']:.4f}, {m['train_seconds']:.1f} s")
"""


@nox.session(venv_backend=PIP_BACKEND)
def bench(session: nox.Session) -> None:
    """Time the same workloads on Ember, PyTorch and NumPy (`-- --filter add --repeat 9`)."""
    session.install(ORACLE[0])
    session.install(*_editable([PACKAGES["ember-core"], PACKAGES["ember-nn"]]))
    session.run("python", "-m", "tools.bench", *session.posargs)
