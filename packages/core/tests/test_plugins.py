"""Plugins, backends and devices: discovery through real entry points, in subprocesses."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import ember
from ember.plugins import hookspecs

SRC = str(Path(ember.__file__).resolve().parents[1])


def _dist(tmp: Path, name: str, entry_points: str, modules: dict[str, str]) -> None:
    """A minimal installed distribution (dist-info + modules) on a sys.path folder."""
    info = tmp / f"{name}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(textwrap.dedent(entry_points))
    for mod, code in modules.items():
        (tmp / f"{mod}.py").write_text(textwrap.dedent(code))


def _run(tmp: Path, code: str, **env: str) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp), SRC]), **env}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, env=full_env, timeout=120)


BACKEND_MODULE = """
    import numpy as np
    from ember.backends.numpy.backend import NumpyBackend

    class Fake(NumpyBackend):
        type = "fake"
        unsupported_ops = frozenset({{"cumsum"}})

    def ember_register_backends(registry):
        registry.add("fake", Fake, priority={prio}, name="{name}")
"""


def test_import_ember_is_lazy():
    r = _run(Path("."), """
        import sys, ember
        bad = [m for m in ("importlib.metadata", "pluggy", "cupy") if m in sys.modules]
        print("LOADED", bad)
    """)
    assert r.returncode == 0, r.stderr
    assert "LOADED []" in r.stdout


def test_backend_plugin_loads_only_its_entry_point(tmp_path):
    _dist(tmp_path, "fakebe", "[ember.backends]\nfake = fakebe_plugin\n[ember.plugins]\nother = never_loaded\n",
          {"fakebe_plugin": BACKEND_MODULE.format(prio=5, name="fake1"),
           "never_loaded": "raise SystemExit('plugins group must not load for a backend')"})
    r = _run(tmp_path, """
        import sys, ember
        t = ember.ones(3, device="fake:0") * 2
        print(t.device, t.sum().item(), "never_loaded" in sys.modules)
    """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["fake:0", "6.0", "False"]


def test_two_backends_for_one_type_priority_and_env_choice(tmp_path):
    _dist(tmp_path, "fa", "[ember.backends]\nfake = fa_plugin\n",
          {"fa_plugin": BACKEND_MODULE.format(prio=1, name="low")})
    _dist(tmp_path, "fb", "[ember.backends]\nfake = fb_plugin\n",
          {"fb_plugin": BACKEND_MODULE.format(prio=9, name="high")})
    code = """
        import ember
        from ember.backends import registry
        ember.zeros(1, device="fake")
        print([e.name for e in registry.entries("fake") if e.instance is not None])
    """
    r = _run(tmp_path, code)
    assert r.returncode == 0, r.stderr
    assert "['high']" in r.stdout
    r = _run(tmp_path, code, EMBER_BACKEND_FAKE="low")
    assert "['low']" in r.stdout
    r = _run(tmp_path, code, EMBER_BACKEND_FAKE="nope")
    assert r.returncode != 0 and "EMBER_BACKEND_FAKE='nope' names no backend" in r.stderr


def test_broken_plugin_is_reported_not_fatal(tmp_path):
    _dist(tmp_path, "broken", "[ember.plugins]\nbroken = broken_plugin\n"
          "[ember.backends]\nbad = broken_backend\n",
          {"broken_plugin": "raise ImportError('boom: missing dependency xyz')",
           "broken_backend": "raise RuntimeError('backend init exploded')"})
    r = _run(tmp_path, "from ember.cli import main; main(['info'])")
    assert r.returncode == 0, r.stderr
    assert "BROKEN" in r.stdout and "boom: missing dependency xyz" in r.stdout
    r = _run(tmp_path, "import ember; ember.zeros(1, device='bad')")
    assert r.returncode != 0
    assert "failed to load: RuntimeError: backend init exploded" in r.stderr
    r = _run(tmp_path, "from ember.cli import main; main(['info'])", EMBER_STRICT_PLUGINS="1")
    assert r.returncode != 0 and "boom: missing dependency xyz" in r.stderr


def test_ember_info_lists_backends_and_hooks(tmp_path):
    _dist(tmp_path, "fakebe", "[ember.backends]\nfake = fakebe_plugin\n",
          {"fakebe_plugin": BACKEND_MODULE.format(prio=5, name="fake1")})
    r = _run(tmp_path, "from ember.cli import main; main(['info'])")
    assert r.returncode == 0, r.stderr
    for needle in ("Python", "NumPy", "CuPy", "ember-core", "cpu", "fake1", "priority=5",
                   "ember_register_backends"):
        assert needle in r.stdout, needle


def test_every_hookspec_is_documented():
    specs = [f for name, f in vars(hookspecs).items() if name.startswith("ember_")]
    assert len(specs) >= 5
    for f in specs:
        doc = inspect.getdoc(f) or ""
        assert "Called" in doc, f"{f.__name__}: doesn't say when it is called"
        assert "Returns" in doc, f"{f.__name__}: doesn't say what it returns"
        assert "first result wins" in doc, f"{f.__name__}: doesn't say whether the first wins"
        sig = inspect.signature(f)
        assert sig.return_annotation is not inspect.Signature.empty
        for p in sig.parameters.values():
            assert p.annotation is not inspect.Parameter.empty, f"{f.__name__}.{p.name}"


@pytest.mark.parametrize("spec,kind,index", [("cpu", "cpu", None), ("cuda", "cuda", None),
                                             ("cuda:1", "cuda", 1)])
def test_device_parsing(spec, kind, index):
    d = ember.device(spec)
    assert (d.type, d.index) == (kind, index)
    assert str(d) == spec
    assert ember.device("cuda", 2) == ember.device("cuda:2")


@pytest.mark.parametrize("other", ["cpu", "cuda", None, 0])
def test_device_equals_only_devices(torch, other):
    """A device compares equal to a device, never to its string (PyTorch's rule)."""
    for lib in (ember, torch):
        assert (lib.device("cpu") == other) is False
        assert (lib.device("cpu") != other) is True
    assert ember.device("cpu") == ember.device("cpu")
    assert {ember.device("cpu"): 1}[ember.device("cpu")] == 1


@pytest.mark.parametrize("bad", ["cuda:", "cuda:-1", "cpu:x", " cpu", "cuda:01", ""])
def test_malformed_device_strings(bad):
    with pytest.raises(RuntimeError,
                       match="Invalid device string|Expected one of|must not be empty"):
        ember.device(bad)


def test_unknown_device_type_names_installed_ones():
    with pytest.raises(RuntimeError, match="Expected one of .*cpu.*device type at start of "
                                           "device string: npu"):
        ember.device("npu")


def test_cuda_module_without_gpu():
    if ember.cuda.is_available():
        pytest.skip("a GPU is available here")
    assert ember.cuda.device_count() == 0
    ember.cuda.manual_seed(1)
    ember.cuda.manual_seed_all(1)
    with pytest.raises(RuntimeError, match="No CUDA device is available"):
        ember.cuda.synchronize()
    with pytest.raises(RuntimeError, match="CUDA"):
        ember.zeros(2, device="cuda")


def test_missing_sibling_names_distribution(tmp_path):
    r = _run(tmp_path, "import ember.nonexistent_thing")
    assert "ModuleNotFoundError" in r.stderr
    # hide the sibling distributions that this environment may have installed
    code = """
        import os, sys, ember
        hidden = lambda name: [p for p in ember.__path__ if not os.path.isdir(os.path.join(p, name))]
        ember.__path__[:] = hidden("audio")
        try:
            import ember.audio
        except ImportError as e:
            print("MSG", e)
        ember.__path__[:] = hidden("nn")
        sys.modules.pop("ember.nn", None)
        try:
            ember.nn
        except ImportError as e:
            print("ATTR", e)
    """
    r = _run(tmp_path, code)
    assert "MSG" in r.stdout and "pip install ember-audio" in r.stdout, r.stdout + r.stderr
    assert "ATTR" in r.stdout and "pip install ember-nn" in r.stdout


@pytest.mark.parametrize("kind", ["xpu", "mps", "mtia", "xla", "hpu"])
def test_pytorch_device_types_are_devices_without_a_backend(torch, kind):
    """``device("xpu")`` is valid as in PyTorch; a tensor there is refused with PyTorch's
    exception type (AssertionError for xpu/mtia, NotImplementedError (a RuntimeError) else)."""
    assert str(ember.device(kind)) == str(torch.device(kind))
    errors = []
    for lib in (ember, torch):
        try:
            lib.ones(2, device=kind)
        except (AssertionError, RuntimeError, ModuleNotFoundError) as e:
            errors.append(e)
    got, want = errors
    if isinstance(want, AssertionError):
        assert type(got) is AssertionError and str(got) == str(want)
    else:
        assert isinstance(got, RuntimeError)


def test_unknown_device_type_lists_pytorch_types(torch):
    msgs = []
    for lib in (ember, torch):
        with pytest.raises(RuntimeError) as err:
            lib.device("foo")
        msgs.append(str(err.value))
    assert msgs[0] == msgs[1]
