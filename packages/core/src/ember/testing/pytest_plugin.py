"""The backend conformance suite as a pytest plugin: ``pytest --ember-backend=<device type>``.

With the option, pytest also collects this package's conformance tests, which run the
op-sample database on that backend against the NumPy backend (values and gradients,
per-dtype tolerances) and list every op or dtype the backend declares unsupported.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

_UNSUPPORTED: list[str] = []


def pytest_addoption(parser: Any) -> None:
    group = parser.getgroup("ember")
    group.addoption("--ember-backend", action="store", default=None, metavar="DEVICE_TYPE",
                    help="run Ember's backend conformance suite on this device type")


def pytest_configure(config: Any) -> None:
    if config.getoption("ember_backend", default=None):
        suite = str(Path(__file__).with_name("conformance_tests.py"))
        source = getattr(config, "args_source", None)
        if source is not None and source != config.ArgsSource.ARGS:
            config.args[:] = [suite]  # no paths given: run the suite alone, not the folder
        else:
            config.args.append(suite)


def record_unsupported(line: str) -> None:
    _UNSUPPORTED.append(line)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: Any) -> None:
    backend = config.getoption("ember_backend", default=None)
    if not backend:
        return
    tr = terminalreporter
    tr.section(f"ember conformance: unsupported on '{backend}'")
    if not _UNSUPPORTED:
        tr.write_line("none: every op and dtype in the database is supported")
    for line in sorted(set(_UNSUPPORTED)):
        tr.write_line(line)
    declared = _declared(backend.split(":")[0])
    if declared:
        tr.write_line("declared by the backend (also beyond the database):")
        for line in declared:
            tr.write_line(f"  {line}")


def _declared(device_type: str) -> list[str]:
    """The backend's own declaration: op names / tiers and Ember dtypes it does not support."""
    from .. import dtypes as _dt
    from ..backends.registry import registry

    try:
        backend = registry.get(device_type)
    except RuntimeError:
        return []
    lines = []
    if backend.unsupported_ops:
        lines.append("ops: " + ", ".join(sorted(backend.unsupported_ops)))
    missing = [d.name for d in _dt.ALL if d.name not in backend.supported_dtypes()]
    if missing:
        lines.append("dtypes: " + ", ".join(missing))
    return lines
