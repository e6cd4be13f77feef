"""go-yaml v2's "natural" mapping-key order (``sorter.go``'s ``keyList.Less``).

Letters sort before digits, runs of digits compare by value (``chart2`` < ``chart10``).
"""

from __future__ import annotations

from typing import Any
from typing import Final

_INT64_MASK: Final = (1 << 64) - 1
_INT64_SIGN: Final = 1 << 63


class _NaturalKey:
    """Sort key comparing strings with go-yaml v2's natural order."""

    __slots__ = ("s",)

    def __init__(self, s: str) -> None:
        self.s = s

    def __lt__(self, other: _NaturalKey) -> bool:
        return _natural_less(self.s, other.s)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _NaturalKey) and other.s == self.s

    def __hash__(self) -> int:
        return hash(self.s)


def natural_key(s: str) -> Any:
    """Sort key giving go-yaml v2's "natural" mapping-key order (``chart2`` < ``chart10``)."""
    return _NaturalKey(s)


def _digit_run(s: str, i: int, value: int) -> tuple[int, int]:
    """Go's ``for ; unicode.IsDigit(r[i]); i++ { n = n*10 + int64(r[i]-'0') }``."""
    n = len(s)
    while i < n and s[i].isdecimal():
        value = value * 10 + ord(s[i]) - 48
        i += 1
    value &= _INT64_MASK  # int64 wrap-around, as in Go
    return (value ^ _INT64_SIGN) - _INT64_SIGN, i


def _natural_less(a: str, b: str) -> bool:
    if a == b:
        return False
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    if i == n:
        return len(a) < len(b)
    ca, cb = a[i], b[i]
    a_letter, b_letter = ca.isalpha(), cb.isalpha()
    if a_letter and b_letter:
        return ca < cb
    if a_letter or b_letter:
        return b_letter
    start = 0
    if ca == "0" or cb == "0":
        j = i - 1
        while j >= 0 and a[j].isdecimal():
            if a[j] != "0":
                start = 1
                break
            j -= 1
    an, ai = _digit_run(a, i, start)
    bn, bi = _digit_run(b, i, start)
    if an != bn:
        return an < bn
    if ai != bi:
        return ai < bi
    return ca < cb


_ORDER_LIMIT: Final = 50_000
_orders: dict[tuple[str, ...], tuple[str, ...]] = {}


def ordered_keys(mapping: dict[str, Any]) -> tuple[str, ...]:
    """The keys of ``mapping`` in natural order (cached per key tuple)."""
    keys = tuple(mapping)
    order = _orders.get(keys)
    if order is None:
        order = tuple(sorted(keys, key=_NaturalKey))
        if len(_orders) >= _ORDER_LIMIT:
            _orders.clear()
        _orders[keys] = order
    return order
