# ruff: noqa: E501, E402, E741, F841  (a reproduction kept as it ran)
"""Reproduces the stall behind the flaky `test_a_message_posted_on_one_replica_streams_to_a_listener_on_the_other[postgresql]`
(issue 23 item 4), six rounds per run, with timings and the replicas' warnings printed. Found on
2026-12-05 (2 shared cores, load 12-20): 1 run of 2 on `main` (8869fbb) and 1 of 2 on branch
`store` stalled: an SSE read on replica B got no `answer` within 40-60 s after A's POST had
returned 201, and neither replica logged a warning or an error. Rounds that do not stall take
0.1-0.5 s. Cause: an event published while a batch of events was being written was left
unwritten until the next publish (adapters/http/events.py `_flush_soon`); fixed, after which
2 runs of 2 (12 rounds) passed; tests/http/test_event_flush.py pins it.

    PYTHONPATH=$PWD .venv/bin/python -m pytest -q -s -p no:cacheprovider --rootdir . bench/experiments/sse_stall_repro.py
"""
import asyncio
import time
from pathlib import Path

import pytest

from tests.postgres_server import shared_server
from tests.replicas.replicas import read_events, two_replicas

pytestmark = pytest.mark.asyncio
import tests.crashing as crashing

_stop = crashing.Bot.stop
def _loud_stop(self):
    out = _stop(self)
    lines = [l for l in out.splitlines() if any(w in l for w in ("WARNING", "ERROR", "could not", "lapsed", "declared", "Traceback", "Error"))]
    print("\nBOT", self.url, "\n".join(lines[:40]))
    return out
crashing.Bot.stop = _loud_stop

async def test_repro(tmp_path: Path):
    storage = f'path = "{tmp_path / "files.db"}"\nurl = "{shared_server().create_database()}"\n'
    outputs = []
    results = []
    async with two_replicas(tmp_path, storage) as replicas:
        a, b = replicas.a, replicas.b
        for round in range(6):
            status, view = await a.call("POST", "/api/v1/threads", {"text": f"!check unit=u{round} seconds=0"})
            thread_id = view["id"]
            t0 = time.monotonic()
            try:
                first = await read_events(b, thread_id, until="answer", last_event_id="0", timeout=40)
            except Exception as exc:
                print("\nSTALL round", round, repr(exc), "B's thread view:", await b.call("GET", f"/api/v1/threads/{thread_id}"))
                raise
            before = str(first[-1][0])
            listening = asyncio.create_task(read_events(b, thread_id, until="answer", last_event_id=before, timeout=60))
            await asyncio.sleep(0.5)
            t1 = time.monotonic()
            status, _ = await a.call("POST", f"/api/v1/threads/{thread_id}/messages", {"text": f"!check unit=u{round}0 seconds=0"})
            t2 = time.monotonic()
            events = await listening
            t3 = time.monotonic()
            results.append((round, status, f"first {t1-t0:.1f}s post {t2-t1:.1f}s stream {t3-t1:.1f}s", [(e['type'], e.get('status')) for _, e in events]))
        outputs = [a.process, b.process]
    for r in results:
        print("\nROUND", r)
