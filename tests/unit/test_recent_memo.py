"""The in-process memo in front of the shared cache."""

from __future__ import annotations

from cachelib import SimpleCache

from app.cache import RecentMemo


def test_a_value_is_computed_once_then_served_from_the_process() -> None:
    shared = SimpleCache()
    memo: RecentMemo[list[int]] = RecentMemo(shared, size=2)
    calls: list[str] = []

    def compute(key: str) -> list[int]:
        calls.append(key)
        return [len(calls)]

    first = memo.get("a", lambda: compute("a"))
    assert memo.get("a", lambda: compute("a")) is first  # no unpickled copy: the same object
    assert calls == ["a"] and shared.get("a") == first


def test_the_oldest_key_goes_first_and_comes_back_from_the_shared_cache() -> None:
    shared = SimpleCache()
    memo: RecentMemo[str] = RecentMemo(shared, size=2)
    for key in ("a", "b", "c"):
        memo.get(key, lambda key=key: key.upper())
    assert list(memo._values) == ["b", "c"]
    assert memo.get("a", lambda: "computed again") == "A"  # the shared cache still had it


def test_a_shared_cache_outage_costs_only_a_computation() -> None:
    class Down(SimpleCache):
        def get(self, key: str) -> None:
            raise ConnectionError("down")

    memo: RecentMemo[str] = RecentMemo(Down())
    assert memo.get("k", lambda: "v") == "v"
