"""bench/heap_diff.py's `--series` (issue 23): a store that keeps growing is told apart from load
in flight by rising at every step, and is charged to the project's line that asked for it, not to
the library frame that allocated."""

from __future__ import annotations

import json
import tracemalloc

from bench.heap_diff import CHECKOUT, owner, series

kept: list[str] = []


def _remember(n: int) -> None:
    kept.extend(json.dumps({"id": i}) for i in range(n))  # allocated inside json, asked for here


def test_a_store_that_keeps_growing_rises_at_every_step_and_is_charged_to_its_caller() -> None:
    tracemalloc.start(8)
    try:
        snapshots = []
        for step in range(4):
            _remember(2000)
            in_flight = [bytes(1000) for _ in range(300 if step % 2 else 10)]  # comes and goes
            snapshots.append(tracemalloc.take_snapshot())
            del in_flight
    finally:
        tracemalloc.stop()
        kept.clear()
    grows = [line for line in series(snapshots) if line.site.startswith("tests/test_heap_diff.py:")]
    store = max(grows, key=lambda line: line.growth)
    assert store.rises == 3 and store.growth > 3 * 2000 * 40  # three steps, ~40+ bytes a string
    assert store.site == f"tests/test_heap_diff.py:{_remember.__code__.co_firstlineno + 1}"
    flight = [line for line in grows if line is not store and max(line.sizes) > 250_000]
    assert flight and all(line.rises < 3 for line in flight)  # up, down, up: not a store


def test_a_block_is_charged_to_the_innermost_project_frame_else_to_where_it_was_allocated() -> None:
    root = str(CHECKOUT)
    lib = tracemalloc.Frame(("/usr/lib/python3.11/json/encoder.py", 200))
    outer, inner = tracemalloc.Frame((f"{root}/bot/turn.py", 10)), tracemalloc.Frame((f"{root}/storage/store.py", 20))
    assert owner([outer, inner, lib]) == "storage/store.py:20"  # oldest first, as a Traceback lists them
    assert owner([lib]) == "(outside) encoder.py:200"
    assert owner([tracemalloc.Frame((f"{root}-other/bot/turn.py", 1))]) == "(outside) turn.py:1"  # a sibling folder
