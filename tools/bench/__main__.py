"""Command line of the benchmarks: select workloads, run them, print a table, write JSON."""

from __future__ import annotations

import argparse
import fnmatch
import json
import platform
import sys
from pathlib import Path

from tools.bench import harness, workloads

COLUMNS = ("ember", "torch", "numpy")


def _micros(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    us = seconds * 1e6
    return f"{us:.2f}" if us < 10 else f"{us:.1f}" if us < 1000 else f"{us:,.0f}"


def _row(cells: list[str]) -> str:
    return f"{cells[0]:<16}" + "".join(f"{cell:>14}" for cell in cells[1:])


def _selected(patterns: list[str] | None) -> list[harness.Workload]:
    """Workloads whose name matches any pattern (a glob, or a plain substring)."""
    chosen = []
    for name, workload in sorted(harness.REGISTRY.items()):
        if not patterns or any(fnmatch.fnmatch(name, p) or p in name for p in patterns):
            chosen.append(workload)
    return chosen


def _versions() -> dict[str, str]:
    versions = {"python": platform.python_version(), "machine": platform.machine()}
    for module in ("ember", "torch", "numpy"):
        imported = sys.modules.get(module)
        if imported is not None:
            versions[module] = str(getattr(imported, "__version__", "?"))
    return versions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bench", description=__doc__)
    parser.add_argument(
        "--filter",
        action="append",
        metavar="NAME",
        help="run workloads whose name matches (glob or substring); repeatable",
    )
    parser.add_argument("--repeat", type=int, default=7, help="timing rounds (default 7)")
    parser.add_argument(
        "--target-ms",
        type=float,
        default=20.0,
        help="length of one timing; sets the inner call count (default 20)",
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write results here")
    parser.add_argument("--list", action="store_true", help="list workloads and exit")
    args = parser.parse_args(argv)

    workloads.load_all()
    chosen = _selected(args.filter)
    if args.list or not chosen:
        print("\n".join(sorted(harness.REGISTRY)) if args.list else "no workload matches")
        return 0 if args.list else 1
    skip = set() if harness.torch_available() else {"torch"}
    columns = [c for c in COLUMNS if c not in skip]
    if skip:
        print("torch is not importable: the torch column is skipped")

    print(_row(["workload", *(f"{c} µs" for c in columns), "ember/torch"]))
    results = []
    for workload in chosen:
        result = harness.run(workload, args.repeat, args.target_ms / 1e3, skip)
        results.append(result)
        ratio = "-" if result.ratio is None else f"{result.ratio:.2f}"
        print(
            _row([workload.name, *(_micros(result.seconds.get(c)) for c in columns), ratio]),
            flush=True,
        )
    for result in results:
        for impl, error in result.errors.items():
            print(f"{result.workload.name} [{impl}] failed: {error}", file=sys.stderr)

    if args.json:
        report = {
            "versions": _versions(),
            "repeat": args.repeat,
            "results": [result.to_json() for result in results],
        }
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    return 1 if any("ember" in result.errors for result in results) else 0


if __name__ == "__main__":
    sys.exit(main())
