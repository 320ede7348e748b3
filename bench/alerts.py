"""Alerts in (issue 21): webhook → thread with a plan, and a burst of alerts.

Everything real but the network: the HTTP adapter on loopback, the hub, the guided planner (its
diagnosis of an alert needs no model call), the built-in tools (registered, never run: the
diagnosis waits for a click), a SQLite file in a temp folder. Bodies are Alertmanager's version 4
shape (tests/alerts/fixtures).

  latency   N groups posted one after another: the time from POST to the 200, which comes once
            the alert's message is stored and its diagnosis is on show (p50/p99)
  burst     500 alerts over 50 groups, as Alertmanager sends them (one notification per group,
            10 alerts each), all 50 POSTs at once: threads, plans, wall time, peak memory
  storm     the same 500 alerts one notification per alert (a sender that does not group),
            500 POSTs at once: how many plans the queue bound lets through

    .venv/bin/python bench/alerts.py            # 200 latency samples
    .venv/bin/python bench/alerts.py --quick
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]  # bench/storage.py shadows storage
sys.path.insert(0, str(REPO))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import copy  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

import aiohttp  # noqa: E402
from pydantic_ai.models.function import FunctionModel  # noqa: E402

from chatops.adapters.http import HttpAdapter  # noqa: E402
from chatops.bot.agent.guided import GuidedPlanner  # noqa: E402
from chatops.bot.config import Config  # noqa: E402
from chatops.bot.hub import Hub  # noqa: E402
from chatops.bot.runtime import Runtime  # noqa: E402
from chatops.storage import Store  # noqa: E402
from chatops.tools.builtin import BUILTIN_TOOLS  # noqa: E402
from chatops.tools.registry import ToolRegistry  # noqa: E402

FIXTURE = REPO / "tests" / "alerts" / "fixtures" / "alertmanager_probe_failure.json"
AM = "/api/v1/alerts/alertmanager"


def no_model(messages, info):
    raise AssertionError("an alert's diagnosis needs no model call")


def body(group: int, alerts: range) -> dict[str, Any]:
    template = json.loads(FIXTURE.read_text())
    one = template["alerts"][0]
    items = []
    for index in alerts:
        alert = copy.deepcopy(one)
        alert["labels"] = {"alertname": f"Storm{group}", "instance": f"127.0.0.{index % 250 + 1}:9100",
                           "job": "node", "severity": "critical"}
        alert["annotations"] = {"summary": f"node {index} is slow", "description": "load is high"}
        alert["fingerprint"] = f"{group:04d}{index:06d}"
        items.append(alert)
    template.update(alerts=items, groupKey=f'{{}}:{{alertname="Storm{group}"}}',
                    groupLabels={"alertname": f"Storm{group}"},
                    commonLabels={"alertname": f"Storm{group}", "job": "node", "severity": "critical"})
    return template


async def served(folder: Path) -> tuple[HttpAdapter, Store]:
    config = Config.model_validate({"storage": {"path": str(folder / "bench.db")}, "http": {"listen": "127.0.0.1:0"}})
    store = await Store.open_configured(config.storage)
    registry = ToolRegistry(BUILTIN_TOOLS)
    hub = Hub(config=config, store=store, registry=registry, planner=GuidedPlanner(FunctionModel(no_model)),
              sweep_interval=3600)
    await hub.start()
    adapter = HttpAdapter(Runtime(config=config, store=store, registry=registry, hub=hub))
    await adapter.start()
    return adapter, store


async def stop(adapter: HttpAdapter, store: Store) -> None:
    await adapter.stop()
    await adapter.hub.stop()
    await store.close()


async def counts(store: Store) -> tuple[int, int]:
    def count() -> tuple[int, int]:
        db = store.db
        return (db.execute("SELECT COUNT(*) FROM threads").fetchone()[0],
                db.execute("SELECT COUNT(*) FROM plans").fetchone()[0])

    return await store._dispatch(count)


async def latency(samples: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        adapter, store = await served(Path(folder))
        times = []
        async with aiohttp.ClientSession() as session:
            for group in range(samples):
                started = time.perf_counter()
                async with session.post(adapter.url.rstrip("/") + AM, json=body(group, range(1))) as response:
                    assert response.status == 200, await response.text()
                times.append((time.perf_counter() - started) * 1000)
        threads, plans = await counts(store)
        await stop(adapter, store)
    times.sort()
    return {"samples": samples, "p50_ms": round(statistics.median(times), 1),
            "p99_ms": round(times[min(len(times) - 1, int(len(times) * 0.99))], 1),
            "threads": threads, "plans": plans}


async def burst(groups: int, per_group: int, *, one_per_alert: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        adapter, store = await served(Path(folder))
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if one_per_alert:
            bodies = [body(g, range(i, i + 1)) for g in range(groups)
                      for i in range(g * per_group, (g + 1) * per_group)]
        else:
            bodies = [body(g, range(g * per_group, (g + 1) * per_group)) for g in range(groups)]
        started = time.perf_counter()
        # 100 connections at a time: the server refuses more than 256 from one address (http guard)
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100)) as session:
            async def post(item: dict[str, Any]) -> int:
                async with session.post(adapter.url.rstrip("/") + AM, json=item,
                                        timeout=aiohttp.ClientTimeout(total=300)) as response:
                    await response.read()
                    return response.status

            statuses = await asyncio.gather(*(post(item) for item in bodies))
        answered = time.perf_counter() - started
        await adapter.api.alerts.desk.drain(120)
        settled = time.perf_counter() - started
        threads, plans = await counts(store)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        await stop(adapter, store)
    return {"alerts": groups * per_group, "groups": groups, "posts": len(bodies),
            "ok": sum(s == 200 for s in statuses), "threads": threads, "plans": plans,
            "all_answered_s": round(answered, 2), "all_settled_s": round(settled, 2),
            "peak_rss_mb": round(peak / 1024, 1), "rss_growth_mb": round((peak - before) / 1024, 1)}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    samples = 30 if args.quick else args.samples
    results = {"latency": await latency(samples),
               "burst (one notification per group)": await burst(50, 10, one_per_alert=False),
               "storm (one notification per alert)": await burst(50, 10, one_per_alert=True)}
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
