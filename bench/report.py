"""The printed report: the machine header and one table per section."""

from __future__ import annotations

import math
import os
import time
from dataclasses import asdict
from dataclasses import dataclass

from bench.rounds import Row


@dataclass(frozen=True)
class Machine:
    """What the figures were measured on."""

    cpu: str
    cores: int
    date: str

    def label(self) -> str:
        """``<CPU model>, <n> cores, <date>`` (the README column heading)."""
        return f"{self.cpu}, {self.cores} cores, {self.date}"


def cpu_model() -> str:
    """The first ``model name`` of /proc/cpuinfo (``unknown`` elsewhere)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def machine() -> Machine:
    """This machine, today (UTC)."""
    return Machine(cpu_model(), os.cpu_count() or 1, time.strftime("%Y-%m-%d", time.gmtime()))


def load_average() -> str:
    """The 1, 5 and 15 minute load averages."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def print_header(m: Machine, rounds: int) -> None:
    """The lines above every table."""
    print(f"chartmuseum benchmark, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"CPU: {m.cpu}, {m.cores} cores; load average (1/5/15 min): {load_average()}")
    print(
        f"each figure: median [min-max] of {rounds} interleaved rounds (ours, reference, ...);"
        " ratio = median of the per-round ratios ours/reference, [range] = their min-max"
    )


def _ratio_range(row: Row) -> str:
    finite = [r for r in row.ratios if not math.isnan(r)]
    return f"[{min(finite):.3f}-{max(finite):.3f}]" if finite else ""


def format_row(row: Row) -> str:
    """One table line (the figure name first, the verdict last)."""
    verdict = "PASS" if row.ok else "FAIL"
    return (
        f"{row.figure:40} {row.ours:>30} {row.reference:>38} {row.ratio:7.3f} "
        f"{_ratio_range(row):15} {row.target:30} {verdict}"
    )


def print_table(title: str, rows: list[Row]) -> None:
    """A section: its title, the column heads and its rows."""
    print(f"\n{title}")
    head = (
        f"{'figure':40} {'ours':>30} {'reference':>38} {'ratio':>7} "
        f"{'ratio range':15} {'target':30} result"
    )
    print(head)
    print("-" * len(head))
    for row in rows:
        print(format_row(row))
    for row in rows:
        if row.note:
            print(f"  {row.figure}: {row.note}")


def as_json(m: Machine, sections: list[tuple[str, list[Row]]]) -> dict[str, object]:
    """Everything printed, as data (``--json``)."""
    return {
        "machine": asdict(m),
        "load_average_at_end": load_average(),
        "sections": [{"title": t, "rows": [asdict(r) for r in rows]} for t, rows in sections],
    }
