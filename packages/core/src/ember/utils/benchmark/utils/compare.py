"""``Compare``: many Measurements as one table per label, PyTorch's layout.

Rows are sub-labels (grouped by thread count, then env), columns are descriptions, cells
are medians in one unit per table. Options: trim each cell to its significant figures,
colour the best cell per column or row, and flag cells whose spread is high.
"""

from __future__ import annotations

import collections
import enum
import itertools
import math
from typing import Any

import numpy as np

from . import common

__all__ = ["Colorize", "Compare"]

BEST = "\033[92m"
GOOD = "\033[34m"
BAD = "\033[2m\033[91m"
VERY_BAD = "\033[31m"
BOLD = "\033[1m"
TERMINATE = "\033[0m"


class Colorize(enum.Enum):
    NONE = "none"
    COLUMNWISE = "columnwise"
    ROWWISE = "rowwise"


def _leading_digits(x: float) -> int:
    return math.ceil(float(np.log10(np.float32(x))))


class _Column:
    """One description's cells: a shared number format wide enough for all of them."""

    def __init__(self, grouped: list[tuple[common.Measurement | None, ...]], time_scale: float,
                 trim: bool, highlight_warnings: bool) -> None:
        self._grouped = grouped
        flat = list(itertools.chain.from_iterable(grouped))
        self._scale = time_scale
        self._trim = trim
        self._highlight = highlight_warnings and any(r.has_warnings for r in flat if r)
        digits = [(_leading_digits(r.median / time_scale), r) for r in flat if r is not None]
        unit_digits = max(d for d, _ in digits)
        decimals = min(max(r.significant_figures - d, 0) for d, r in digits) if trim else 1
        width = unit_digits + decimals + (1 if decimals else 0)
        self._template = f"{{:>{width}.{decimals}f}}{{:>{7 if self._highlight else 0}}}"

    def results_for(self, group: int) -> tuple[common.Measurement | None, ...]:
        return self._grouped[group]

    def num_to_str(self, value: float | None, sigfigs: int, spread: float | None) -> str:
        if value is None:
            return " " * len(self.num_to_str(1, sigfigs, None))
        if self._trim:
            value = common.trim_sigfig(value, sigfigs)
        flag = f" (! {spread * 100:.0f}%)" if self._highlight and spread is not None else ""
        return self._template.format(value, flag)


def _color(segment: str, value: float, best: float) -> str:
    if value <= best * 1.01 or value <= best + 1e-7:
        return BEST + BOLD + segment + TERMINATE * 2
    if value <= best * 1.1:
        return GOOD + BOLD + segment + TERMINATE * 2
    if value >= best * 5:
        return VERY_BAD + BOLD + segment + TERMINATE * 2
    if value >= best * 2:
        return BAD + segment + TERMINATE * 2
    return segment


class _Row:
    """One sub-label's cells across the columns."""

    def __init__(self, results: list[common.Measurement | None], group: int, render_env: bool,
                 env_len: int, time_scale: float, colorize: Colorize,
                 num_threads: int | None) -> None:
        self._results = results
        self._group = group
        self._render_env = render_env
        self._env_len = env_len
        self._scale = time_scale
        self._colorize = colorize
        self._num_threads = num_threads  # set on the first row of a thread-count group
        self.columns: tuple[_Column, ...] = ()

    def cells(self) -> list[str]:
        first = next(r for r in self._results if r is not None)
        env = f"({first.env})" if self._render_env else ""
        out = ["  " + env.ljust(self._env_len + 4) + first.as_row_name]
        for m, col in zip(self._results, self.columns):
            if m is None:
                out.append(col.num_to_str(None, 1, None))
            else:
                out.append(col.num_to_str(m.median / self._scale, m.significant_figures,
                                          m.iqr / m.median if m.has_warnings else None))
        return out

    def separator(self, width: int) -> list[str]:
        if self._num_threads is None:
            return []
        return [f"{self._num_threads} threads: ".ljust(width, "-")]

    def finalize(self, cells: list[str], widths: list[int]) -> list[str]:
        if self._colorize == Colorize.ROWWISE:
            row_min = min(r.median for r in self._results if r is not None)
            best: list[Any] = [row_min] * len(cells)
        elif self._colorize == Colorize.COLUMNWISE:
            best = []
            for col in self.columns:
                medians = [r.median for r in col.results_for(self._group) if r is not None]
                best.append(min(medians) if medians else None)
        else:
            best = [None] * len(cells)
        out = [cells[0].ljust(widths[0])]
        for cell, width, m, b in zip(cells[1:], widths[1:], self._results, best):
            cell = cell.center(width)
            if self._colorize != Colorize.NONE and m is not None and b is not None:
                cell = _color(cell, m.median, b)
            out.append(cell)
        return out


class _Table:
    """The table of one label."""

    def __init__(self, results: list[common.Measurement], colorize: Colorize, trim: bool,
                 highlight_warnings: bool) -> None:
        self.results = results
        self.label = results[0].label
        self._colorize = colorize
        self._highlight = highlight_warnings
        self.time_unit, self.time_scale = common.select_unit(min(r.median for r in results))
        self.row_keys = common.ordered_unique(self._row_key(r) for r in results)
        self.row_keys.sort(key=lambda k: (k[0], k[1] or ""))
        self.column_keys = common.ordered_unique(r.description for r in results)
        self.rows = self._populate(trim)

    @staticmethod
    def _row_key(m: common.Measurement) -> tuple:
        return (m.num_threads, m.env, m.as_row_name)

    def _populate(self, trim: bool) -> list[_Row]:
        grid: list[list[common.Measurement | None]] = [
            [None] * len(self.column_keys) for _ in self.row_keys]
        row_at = {k: i for i, k in enumerate(self.row_keys)}
        col_at = {k: i for i, k in enumerate(self.column_keys)}
        for r in self.results:
            grid[row_at[self._row_key(r)]][col_at[r.description]] = r
        envs = {r.env for r in self.results}
        render_env = len(envs) > 1
        env_len = max(len(e or "") for e in envs) if render_env else 0
        rows: list[_Row] = []
        groups: list[list[list[common.Measurement | None]]] = []
        prior_threads, prior_env = -1, ""
        for (threads, env, _), cells in zip(self.row_keys, grid):
            new_group = threads != prior_threads
            if new_group:
                prior_threads, prior_env = threads, ""
                groups.append([])
            rows.append(_Row(cells, len(groups) - 1, render_env and env != prior_env, env_len,
                             self.time_scale, self._colorize, threads if new_group else None))
            groups[-1].append(cells)
            prior_env = env
        columns = tuple(
            _Column([tuple(row[i] for row in g) for g in groups], self.time_scale, trim,
                    self._highlight)
            for i in range(len(self.column_keys)))
        for row in rows:
            row.columns = columns
        return rows

    def render(self) -> str:
        table = [[""] + [k if k is not None else "" for k in self.column_keys]]
        table += [row.cells() for row in self.rows]
        ncols = max(len(r) for r in table)
        for r in table:
            r.extend([""] * (ncols - len(r)))
        widths = [max(len(c) for c in col) for col in zip(*table)]
        lines = ["  |  ".join(c.center(w) for c, w in zip(table[0], widths))]
        width = len(lines[0])
        for cells, row in zip(table[1:], self.rows):
            lines.extend(row.separator(width))
            lines.append("  |  ".join(row.finalize(cells, widths)))
        title = f" {self.label or ''} ".center(width - 2, "-")
        warn = self._highlight and any(r.has_warnings for r in self.results)
        note = ("(! XX%) Measurement has high variance, where XX is the IQR / median * 100.\n"
                if warn else "")
        return (f"[{title}]\n" + "\n".join(lines) + "\n\nTimes are in "
                f"{common.unit_to_english(self.time_unit)}s ({self.time_unit}).\n{note}")


class Compare:
    """A table of Measurements: ``print(Compare(results))`` or ``Compare(results).print()``.
    Replicates of one task are merged; each label gets its own table."""

    def __init__(self, results: list[common.Measurement]) -> None:
        self._results: list[common.Measurement] = []
        self.extend_results(results)
        self._trim_significant_figures = False
        self._colorize = Colorize.NONE
        self._highlight_warnings = False

    def __str__(self) -> str:
        return "\n".join(self._render())

    def extend_results(self, results: list[common.Measurement]) -> None:
        for r in results:
            if not isinstance(r, common.Measurement):
                raise ValueError(f"Expected an instance of `Measurement`, got {type(r)} instead.")
        self._results.extend(results)

    def trim_significant_figures(self) -> None:
        """Print each cell to the significant figures its spread supports."""
        self._trim_significant_figures = True

    def colorize(self, rowwise: bool = False) -> None:
        """Colour cells by how they compare with the best of their column (or row)."""
        self._colorize = Colorize.ROWWISE if rowwise else Colorize.COLUMNWISE

    def highlight_warnings(self) -> None:
        """Mark cells whose IQR is large compared with their median."""
        self._highlight_warnings = True

    def print(self) -> None:
        print(str(self))

    def _render(self) -> list[str]:
        by_label: dict[Any, list[common.Measurement]] = collections.defaultdict(list)
        for r in common.Measurement.merge(self._results):
            by_label[r.label].append(r)
        return [_Table(group, self._colorize, self._trim_significant_figures,
                       self._highlight_warnings).render() for group in by_label.values()]
