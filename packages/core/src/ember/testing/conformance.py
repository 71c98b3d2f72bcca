"""Run the op-sample database on one backend against the NumPy backend.

A backend declares what it cannot run (``Backend.unsupported_ops``, the dtypes it
lacks); those cases are reported by name, never skipped silently.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .opdb import OpInfo, samples

__all__ = ["run_case", "Unsupported", "unsupported_reason", "assert_same_on_device"]


class Unsupported(Exception):
    """An op or dtype that a backend declares it does not support."""


def unsupported_reason(device_type: str, op: OpInfo, dtype: str) -> str | None:
    from ..backends.registry import registry

    backend = registry.get(device_type)
    if op.name in backend.unsupported_ops or op.tier in backend.unsupported_ops:
        return f"op '{op.name}' is declared unsupported by the '{device_type}' backend"
    if dtype not in backend.supported_dtypes():
        return f"dtype {dtype} is declared unsupported by the '{device_type}' backend"
    return None


def _run(op: OpInfo, arrays: tuple, device: str, dtype: str, grad: bool) -> tuple[Any, list]:
    import ember

    tensors = [ember.tensor(a, device=device) for a in arrays]
    if grad:
        for t in tensors:
            t.requires_grad_(True)
    out = op.fn(ember, *tensors)
    grads: list = []
    if grad and isinstance(out, ember.Tensor) and out.requires_grad:
        (out.float() * 1.0 if out.dtype.name == "float32" else out).sum().backward()
        grads = [None if t.grad is None else t.grad.to("cpu").numpy() for t in tensors]
    return out, grads


def _host(t: Any) -> np.ndarray:
    return t.detach().to("cpu").numpy()


def run_case(op: OpInfo, dtype: str, device: str, rtol: float, atol: float) -> None:
    """Values and (for float ops) gradients of ``op`` on ``device`` equal the CPU's."""
    reason = unsupported_reason(device.split(":")[0], op, dtype)
    if reason:
        raise Unsupported(reason)
    grad = op.differentiable and dtype.startswith("float")
    for arrays in samples(op, dtype):
        ref, ref_grads = _run(op, arrays, "cpu", dtype, grad)
        got, got_grads = _run(op, arrays, device, dtype, grad)
        assert got.dtype == ref.dtype, f"{op.name}: dtype {got.dtype} != {ref.dtype}"
        assert tuple(got.shape) == tuple(ref.shape), f"{op.name}: shape {got.shape} != {ref.shape}"
        np.testing.assert_allclose(_host(got), _host(ref), rtol=rtol, atol=atol,
                                   err_msg=f"{op.name} on {device} ({dtype})")
        for i, (g, r) in enumerate(zip(got_grads, ref_grads)):
            assert (g is None) == (r is None), f"{op.name}: gradient {i} presence differs"
            if r is not None:
                np.testing.assert_allclose(g, r, rtol=rtol, atol=atol,
                                           err_msg=f"{op.name} grad {i} on {device} ({dtype})")


def _run_weighted(fn: Any, arrays: Any, device: str, grad: bool) -> tuple[tuple, list]:
    import ember

    ts = [ember.tensor(a, device=device) for a in arrays]
    if grad:
        for t in ts:
            if t.is_floating_point():
                t.requires_grad_(True)
    out = fn(ember, *ts)
    outs = tuple(out) if isinstance(out, (tuple, list)) else (out,)
    grads: list = []
    diff = [o for o in outs if isinstance(o, ember.Tensor) and o.requires_grad]
    if grad and diff:
        # distinct weights per element, so a gradient that is wrong by a permutation shows
        total = sum((o * ember.linspace(0.5, 1.5, o.numel(), dtype=o.dtype, device=o.device)
                     .reshape(o.shape)).sum() for o in diff)
        total.backward()
        grads = [None if t.grad is None else _host(t.grad) for t in ts]
    return outs, grads


def assert_same_on_device(fn: Any, arrays: Any, device: str, *, grad: bool = True,
                          rtol: float = 1e-9, atol: float = 1e-9) -> None:
    """``fn(ember, *tensors)`` on ``device`` gives the CPU's outputs and input gradients.

    ``arrays`` are NumPy arrays; floating ones require grad when ``grad``. Outputs may be a
    tensor or a tuple of tensors and plain values; dtypes, shapes and devices are checked too.
    """
    ref, ref_g = _run_weighted(fn, arrays, "cpu", grad)
    got, got_g = _run_weighted(fn, arrays, device, grad)
    assert len(ref) == len(got), f"{len(got)} outputs on {device}, {len(ref)} on cpu"
    dev_type = device.split(":")[0]
    for i, (r, g) in enumerate(zip(ref, got)):
        import ember

        if not isinstance(r, ember.Tensor):
            assert r == g, f"output {i}: {g!r} on {device}, {r!r} on cpu"
            continue
        assert g.device.type == dev_type, f"output {i} is on {g.device}, not {device}"
        assert g.dtype == r.dtype, f"output {i}: dtype {g.dtype} on {device}, {r.dtype} on cpu"
        assert tuple(g.shape) == tuple(r.shape), f"output {i}: shape {tuple(g.shape)} != {tuple(r.shape)}"
        np.testing.assert_allclose(_host(g), _host(r), rtol=rtol, atol=atol,
                                   err_msg=f"output {i} on {device}")
    assert len(ref_g) == len(got_g), "gradients computed on one device only"
    for i, (r, g) in enumerate(zip(ref_g, got_g)):
        assert (r is None) == (g is None), f"gradient {i} presence differs on {device}"
        if r is not None:
            np.testing.assert_allclose(g, r, rtol=rtol, atol=atol,
                                       err_msg=f"gradient {i} on {device}")
