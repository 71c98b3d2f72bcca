"""Conformance tests, collected by ``pytest --ember-backend=<device type>``."""

from __future__ import annotations

import pytest

from ember.testing.conformance import Unsupported, run_case
from ember.testing.opdb import OPS
from ember.testing.pytest_plugin import record_unsupported

TOL = {"float32": (1e-5, 1e-5), "float64": (1e-10, 1e-10), "int64": (0, 0)}
CASES = [(op, dt) for op in OPS for dt in op.dtypes]


@pytest.fixture
def device(request):
    return request.config.getoption("ember_backend")


@pytest.mark.parametrize("op,dtype", CASES, ids=[f"{op.name}-{dt}" for op, dt in CASES])
def test_conformance(op, dtype, device):
    rtol, atol = TOL[dtype]
    try:
        run_case(op, dtype, device, rtol, atol)
    except Unsupported as why:
        record_unsupported(f"{op.name} [{dtype}]: {why}")
        pytest.skip(f"unsupported: {why}")
