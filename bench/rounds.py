"""Rows of the report, and how a figure measured in several rounds becomes one row.

Every figure is measured in ``rounds`` interleaved rounds (ours, reference, ours,
reference...). A row shows ours and the reference as ``median [min-max]`` over the rounds, the
median of the per-round ratios ours/reference, their spread, the target and the verdict. A
figure with an absolute limit instead of a reference (the tenant figures) has the limit as its
reference: its ratio is value/limit and its target ``<= 1``.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Row:
    """One line of the report (``ratios``: the ratio of each round; ``note``: why it could
    not be measured, printed below the table)."""

    figure: str
    ours: str
    reference: str
    ratio: float
    target: str
    ok: bool
    ratios: tuple[float, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Target:
    """A bound on the ratio: ``ratio <= limit``, or ``>=`` with ``at_least``."""

    limit: float
    at_least: bool = False
    note: str = ""

    def met(self, ratio: float) -> bool:
        """Whether ``ratio`` meets the bound (never for NaN)."""
        return ratio >= self.limit if self.at_least else ratio <= self.limit

    def __str__(self) -> str:
        text = f"{'>=' if self.at_least else '<='} {self.limit:g}"
        return f"{text}, {self.note}" if self.note else text


def spread(values: list[float], digits: int) -> str:
    """``median [min-max]`` of ``values``."""
    if not values:
        return "n/a"
    mid, low, high = statistics.median(values), min(values), max(values)
    return f"{mid:.{digits}f} [{low:.{digits}f}-{high:.{digits}f}]"


def ratio_row(
    figure: str,
    ours: list[float],
    reference: list[float],
    label: str,
    target: Target,
    digits: int = 2,
    ok: bool = True,
) -> Row:
    """Compare ``ours`` with ``reference`` round by round; ``ok`` adds a condition (no
    errors, the removed package gone...)."""
    ratios = tuple(o / r if r else math.nan for o, r in zip(ours, reference, strict=True))
    ratio = statistics.median(ratios) if ratios else math.nan
    return Row(
        figure,
        spread(ours, digits),
        f"{label} {spread(reference, digits)}",
        ratio,
        str(target),
        ok and target.met(ratio),
        ratios,
    )


def limit_row(
    figure: str, ours: list[float], limit: float, unit: str, digits: int = 2, ok: bool = True
) -> Row:
    """Judge ``ours`` against an absolute ``limit`` (ratio = value / limit, target <= 1)."""
    row = ratio_row(figure, ours, [limit] * len(ours), "", Target(1.0), digits, ok)
    row.reference = f"limit {limit:g} {unit}"
    return row


def describe(error: BaseException) -> str:
    """``Type: message`` on one line, shortened."""
    return f"{type(error).__name__}: {error}".replace("\n", " ")[:160]


def error_row(figure: str, target: Target, error: BaseException | str, reference: str = "") -> Row:
    """The row of a figure that could not be measured (FAIL, with the reason as its note;
    ``reference``: the reference's figure when that was measured)."""
    message = error if isinstance(error, str) else describe(error)
    return Row(figure, "error (below)", reference, math.nan, str(target), False, (), message)


class Samples:
    """Values per figure key, appended round by round."""

    def __init__(self) -> None:
        self.values: defaultdict[str, list[float]] = defaultdict(list)
        self.errors: defaultdict[str, int] = defaultdict(int)
        self.failures: dict[str, str] = {}

    def add(self, key: str, value: float, errors: int = 0) -> None:
        """Record one round's ``value`` (and any request errors) of ``key``."""
        self.values[key].append(value)
        self.errors[key] += errors

    def __getitem__(self, key: str) -> list[float]:
        return self.values[key]

    def clean(self, *keys: str) -> bool:
        """Whether none of ``keys`` saw a request error."""
        return all(self.errors[k] == 0 for k in keys)

    def fail(self, key: str, error: BaseException) -> None:
        """Record that ``key`` could not be measured in a round (the first reason is kept)."""
        self.failures.setdefault(key, describe(error))

    def row(
        self, keys: tuple[str, ...], figure: str, target: Target, make: Callable[[], Row]
    ) -> Row:
        """``make()``, or an error row when one of ``keys`` failed in some round."""
        failed = [self.failures[k] for k in keys if k in self.failures]
        return error_row(figure, target, failed[0]) if failed else make()

    def compared(
        self, ours: str, ref: str, figure: tuple[str, Target], label: str, digits: int = 2
    ) -> Row:
        """The ``ours``/``ref`` row; an error row (still showing the reference) when ours
        failed in some round."""
        if ours in self.failures:
            reference = f"{label} {spread(self[ref], digits)}"
            return error_row(figure[0], figure[1], self.failures[ours], reference)
        return ratio_row(
            figure[0], self[ours], self[ref], label, figure[1], digits, self.clean(ours)
        )

    def attempt(self, keys: tuple[str, ...], step: Callable[[int], None]) -> Callable[[int], None]:
        """``step``, recording a failure under ``keys`` instead of raising; skipped in the
        rounds after ``keys[0]`` failed (a server that cannot start costs its timeout once)."""

        def guarded(r: int) -> None:
            if keys[0] in self.failures:
                return
            try:
                step(r)
            except Exception as exc:
                for key in keys:
                    self.fail(key, exc)

        return guarded


def interleave(rounds: int, *steps: Callable[[int], None]) -> None:
    """Run ``steps`` in order, ``rounds`` times (round number as argument): ours,
    reference, ours, reference..."""
    for r in range(rounds):
        for step in steps:
            step(r)
