"""Issue 23: the planner's caches are bounded small enough that a long run's memory levels off.

The 30-minute chaos soak's last gradual rise was the planner's text-keyed caches filling: 8,192
requests' words (~400 bytes an entry with the request text it keeps as its key) took longer than
the soak to fill, so the steady process grew +2.41 MB per 10 minutes (helper mem23h,
bench/results/issue23-chaos-30min-postgresql-058bf22.txt); cut to 1,024 entries, +0.59
(bench/results/issue23-chaos-30min-postgresql-b7f83b2-planner-caches-1024.txt). Every cache of the
planner keyed by text keeps at most 1,024 entries; its words for one turn's tools fit in that."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import tracemalloc

import chatops.bot.agent as agent
from chatops.bot.agent.entities import words_of

LIMIT = 1024


def planner_caches() -> dict[str, object]:
    found = {}
    for module in pkgutil.iter_modules(agent.__path__):
        loaded = importlib.import_module(f"chatops.bot.agent.{module.name}")
        for name, value in vars(loaded).items():
            if callable(value) and hasattr(value, "cache_info") and getattr(value, "__module__", "") == loaded.__name__:
                found[f"{module.name}.{name}"] = value
    return found


def test_every_planner_cache_is_bounded() -> None:
    caches = planner_caches()
    assert "entities._words" in caches and "entities.stem" in caches
    # functools.cache (no bound) is for what is read once, a function of no argument (a table)
    unbounded = {name: cache.cache_info().maxsize for name, cache in caches.items()  # type: ignore[attr-defined]
                 if inspect.signature(cache).parameters and (cache.cache_info().maxsize is None  # type: ignore[attr-defined]
                                                             or cache.cache_info().maxsize > LIMIT)}  # type: ignore[attr-defined]
    assert unbounded == {}, unbounded


def test_a_full_words_cache_stays_under_two_megabytes() -> None:
    """5,000 distinct requests of 12 words: the cache of their words holds 1,024 of them."""
    from chatops.bot.agent import entities
    entities._words.cache_clear()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for number in range(5000):
            words_of(f"please restart worker-{number} on web-{number}.example.org, it stopped at {number}:00 again")
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
        entities._words.cache_clear()
    assert entities._words.cache_info().currsize <= LIMIT
    assert held < 2_000_000, held  # 1,024 entries of ~1.2 KB; at 8,192 it was ~6 MB for these 5,000
