"""`import ember` against `import torch` (and `import numpy`), each in a fresh interpreter.

The child process times the import statement itself, so the interpreter's own
start-up is left out; the harness keeps the fastest of a few runs.
"""

import os
import subprocess
import sys

from tools.bench.harness import register


def _import_seconds(module: str):
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    # The child sees the same sys.path, so it imports what this process would.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    # as installed packages are imported: from cached bytecode (the warm-up call writes it)
    env.pop("PYTHONDONTWRITEBYTECODE", None)

    def measure() -> float:
        done = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise RuntimeError((done.stderr.strip() or f"exit {done.returncode}").splitlines()[-1])
        return float(done.stdout.split()[-1])

    return lambda: measure


register(
    "import_time",
    ember=_import_seconds("ember"),
    torch=_import_seconds("torch"),
    numpy=_import_seconds("numpy"),
    number=1,
    repeat=5,
    self_timed=True,
    statistic="min",
)
