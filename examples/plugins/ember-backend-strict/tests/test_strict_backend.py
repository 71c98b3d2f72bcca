"""The strict backend from the outside: discovery, placement, errors, checkpoints, and the
conformance suite run as a user runs it (``pytest --ember-backend=strict``)."""

from __future__ import annotations

import importlib.metadata as md
import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import ember

if not any(ep.name == "strict" for ep in md.entry_points(group="ember.backends")):
    pytest.skip("ember-backend-strict is not installed: "
                "pip install -e examples/plugins/ember-backend-strict", allow_module_level=True)


def _run(*args: str, cwd: str | None = None) -> subprocess.CompletedProcess:
    # the ember this process imported (installed, or a source tree on PYTHONPATH) comes first
    src = str(Path(ember.__file__).resolve().parents[1])
    path = os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH", "")) if p)
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "PYTHONPATH": path}, timeout=600)


def _pytest_plugin_args() -> list[str]:
    """``-p ember.testing.pytest_plugin`` unless an installed ember-core registers it."""
    installed = any(ep.value == "ember.testing.pytest_plugin"
                    for ep in md.entry_points(group="pytest11"))
    return [] if installed else ["-p", "ember.testing.pytest_plugin"]


def test_conformance_suite_passes_and_lists_what_is_unsupported(tmp_path):
    r = _run("-m", "pytest", *_pytest_plugin_args(), "--ember-backend=strict", "-q",
             "-p", "no:cacheprovider", cwd=str(tmp_path))
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert " passed" in r.stdout and " failed" not in r.stdout
    assert "ember conformance: unsupported on 'strict'" in r.stdout
    for name in ("as_strided", "conv2d", "sort", "float16"):  # declared, listed by name
        assert name in r.stdout, name


def test_ember_info_lists_the_backend():
    r = _run("-c", "from ember.cli import main; main(['info'])")
    assert r.returncode == 0, r.stderr
    line = next(ln for ln in r.stdout.splitlines() if ln.strip().lstrip("*").startswith("strict"))
    assert "array-api-strict" in line and "available=True" in line


def test_arrays_are_array_api_strict_arrays():
    import array_api_strict

    t = ember.ones(2, 3, device="strict")
    assert t.device == ember.device("strict:0") and str(t.device) == "strict:0"
    assert t._data.__array_namespace__() is array_api_strict
    assert t.dtype is ember.float32 and t.shape == (2, 3)


def test_round_trips_keep_values_dtypes_and_gradients():
    a = ember.randn(3, 4, dtype=ember.float64, requires_grad=True)
    s = a.to("strict")
    assert s.device.type == "strict" and s.dtype is ember.float64
    back = s.to("cpu")
    assert back.device.type == "cpu"
    np.testing.assert_array_equal(back.detach().numpy(), a.detach().numpy())
    (back * 2).sum().backward()  # gradients flow back through both moves
    np.testing.assert_array_equal(a.grad.numpy(), np.full((3, 4), 2.0))
    i = ember.tensor([1, 2, 3]).to("strict")
    assert i.dtype is ember.int64 and i.cpu().tolist() == [1, 2, 3]
    assert ember.tensor([True, False], device="strict").cpu().tolist() == [True, False]


def test_device_mismatch_is_pytorchs_error():
    c, s = ember.ones(3), ember.ones(3, device="strict")
    for f in (lambda: c + s, lambda: s * c, lambda: ember.matmul(c, s),
              lambda: ember.ones(3, 3, device="strict").index_select(0, ember.tensor([0]))):
        with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
            f()
    assert (s + ember.tensor(2.0)).device.type == "strict"  # a 0-d CPU tensor is a number


def test_numpy_of_a_device_tensor_refuses_like_cuda():
    with pytest.raises(TypeError, match="Use Tensor.cpu"):
        ember.ones(2, device="strict").numpy()


def test_load_with_map_location_strict():
    buf = io.BytesIO()
    w = ember.randn(4, 5)
    ember.save({"w": w, "step": 3}, buf)
    buf.seek(0)
    sd = ember.load(buf, map_location="strict")
    assert sd["step"] == 3 and sd["w"].device.type == "strict"
    np.testing.assert_array_equal(sd["w"].cpu().numpy(), w.numpy())


def test_views_write_through_as_declared():
    from ember_backend_strict.backend import StrictBackend

    assert StrictBackend.aliases and not StrictBackend.numpy_like
    base = ember.zeros(3, 4, device="strict")
    base[1].fill_(5.0)
    base.view(12)[0] = 7.0
    base.t()[3, 2] = 1.0
    got = base.cpu().numpy()
    assert got[1].tolist() == [5.0] * 4 and got[0, 0] == 7.0 and got[2, 3] == 1.0


def test_training_step_matches_cpu():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((8, 5)), rng.standard_normal((8, 2))
    w0 = rng.standard_normal((5, 2))
    grads = {}
    for dev in ("cpu", "strict"):
        w = ember.tensor(w0, device=dev, requires_grad=True)
        xs, ys = ember.tensor(x, device=dev), ember.tensor(y, device=dev)
        loss = ((xs @ w).tanh() - ys).pow(2).mean()
        loss.backward()
        grads[dev] = (loss.item(), w.grad.cpu().numpy())
    assert grads["strict"][0] == pytest.approx(grads["cpu"][0], rel=1e-12)
    np.testing.assert_allclose(grads["strict"][1], grads["cpu"][1], rtol=1e-12)


def test_unsupported_ops_fail_with_a_clear_error():
    s = ember.ones(4, device="strict")
    with pytest.raises(RuntimeError, match="'strict' backend has no strided views"):
        s.as_strided((2,), (1,))
    with pytest.raises(TypeError, match="float16 is not supported by the 'strict' backend"):
        s.half()
