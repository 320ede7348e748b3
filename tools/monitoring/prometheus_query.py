"""`prometheus_query`: what a metric says now, or over a range as a table and a PNG chart.

Read-only, and it reaches one server only: `[tools.prometheus_query] url`, never a host named in
the request, so a query written in an alert cannot send the bot elsewhere. The bearer token comes
from the environment variable named by `token_from` and is never shown. Registered only when the
table is configured (`bot.runtime.build_registry`).
"""

from __future__ import annotations

import asyncio
import os
import time
from datetime import UTC, datetime
from typing import Any

import aiohttp
from pydantic import BaseModel, ConfigDict, Field

from chatops.tools.context import ToolContext
from chatops.tools.monitoring.chart import line_chart
from chatops.tools.registry import tool

MAX_ROWS = 20
POINTS = 240  # samples per series asked of a range query
MIN_STEP = 1.0
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class PrometheusOptions(BaseModel):
    """`[tools.prometheus_query]`."""

    model_config = ConfigDict(extra="forbid")
    url: str = Field(pattern=r"^https?://")  # the Prometheus server, e.g. http://127.0.0.1:9090
    token_from: str | None = None  # an environment variable holding a bearer token
    timeout: float = Field(15.0, gt=0, le=120)  # seconds per query


class Series(BaseModel):
    labels: dict[str, str]
    value: float | None  # the latest value
    points: int = 0


class PrometheusResult(BaseModel):
    query: str
    range: str | None = None
    series: list[Series] = Field(default_factory=list)
    total: int = 0
    chart: dict[str, Any] | None = None  # the chart file's name, mime_type, size, sha256

    def summary(self) -> str:
        if not self.series:
            return f"{self.query}: no data" + (f" over {self.range}" if self.range else "")
        rows = [f"{_label(s.labels)} = {_number(s.value)}" for s in self.series]
        more = f"\n… and {self.total - len(self.series)} more series" if self.total > len(self.series) else ""
        head = f"{self.query}" + (f" over {self.range} (latest values; chart attached)" if self.range else "")
        return head + "\n" + "\n".join(rows) + more


def _label(labels: dict[str, str]) -> str:
    name = labels.get("__name__", "")
    rest = ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items()) if k != "__name__")
    return f"{name}{{{rest}}}" if rest or not name else name


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.6g}"


def range_seconds(text: str) -> float:
    text = text.strip()
    if len(text) < 2 or text[-1] not in UNITS or not text[:-1].replace(".", "", 1).isdigit():
        raise ValueError(f"range {text!r} is not a duration such as 15m, 1h or 1d")
    seconds = float(text[:-1]) * UNITS[text[-1]]
    if not 0 < seconds <= 31 * 86400:
        raise ValueError("range must be more than 0 and at most 31d")
    return seconds


def _float(text: Any) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


@tool(
    risk="read",
    timeout=60,
    options=PrometheusOptions,
    keywords=("prometheus", "metric", "metrics", "promql", "query", "chart", "graph", "plot", "rate"),
    examples=("chart up over the last 1h", "what does rate(http_requests_total[5m]) say?"),
)
async def prometheus_query(ctx: ToolContext, query: str, range: str | None = None,
                           mark: str | None = None) -> PrometheusResult:
    """Query Prometheus: the current value of a PromQL expression, or over a range with a chart.

    Args:
        query: The PromQL expression, e.g. up or rate(http_requests_total[5m]).
        range: How far back to chart, e.g. 15m, 1h or 1d; without it, the value now.
        mark: A moment to mark on the chart (ISO 8601, e.g. an alert's start).
    """
    options = PrometheusOptions.model_validate(ctx.config)
    headers = {}
    if options.token_from and os.environ.get(options.token_from):
        headers["Authorization"] = f"Bearer {os.environ[options.token_from]}"
    base = options.url.rstrip("/")
    now = time.time()
    if range:
        seconds = range_seconds(range)
        step = max(MIN_STEP, round(seconds / POINTS, 3))
        path, params = "/api/v1/query_range", {"query": query, "start": f"{now - seconds:.3f}", "end": f"{now:.3f}",
                                                "step": f"{step:g}"}
    else:
        path, params = "/api/v1/query", {"query": query, "time": f"{now:.3f}"}
    async with asyncio.timeout(options.timeout), aiohttp.ClientSession(headers=headers) as session, \
            session.get(base + path, params=params) as response:
        body = await response.json(content_type=None)
    if body.get("status") != "success":
        raise RuntimeError(f"Prometheus answered {response.status}: {body.get('error') or body.get('errorType')}")
    data = body.get("data") or {}
    kind, raw = data.get("resultType"), data.get("result") or []
    if kind == "scalar" or kind == "string":
        raw = [{"metric": {}, "value": raw}]
    result = PrometheusResult(query=query, range=range, total=len(raw))
    drawn: list[tuple[str, list[tuple[float, float]]]] = []
    for item in raw:
        labels = {str(k): str(v) for k, v in (item.get("metric") or {}).items()}
        if "values" in item:
            points = [(float(t), v) for t, text in item["values"] if (v := _float(text)) is not None]
            latest = points[-1][1] if points else None
            drawn.append((_label(labels) or query, points))
            count = len(points)
        else:
            latest, count = _float((item.get("value") or [None, None])[1]), 1
        if len(result.series) < MAX_ROWS:
            result.series.append(Series(labels=labels, value=latest, points=count))
    if range:
        marked = datetime.fromisoformat(mark.replace("Z", "+00:00")) if mark else None
        if marked is not None and marked.tzinfo is None:
            marked = marked.replace(tzinfo=UTC)
        png = await asyncio.to_thread(line_chart, drawn, title=f"{query} — last {range}", mark=marked,
                                      mark_label="alert started" if marked else "")
        result.chart = await ctx.attach("chart.png", "image/png", png)
    return result
