"""Prometheus metrics for `GET /metrics`, built on prometheus_client.

They describe the whole bot, not only the web: turns, plans, steps by tool and status, decisions,
and latency histograms for turns, planning, perception and steps, fed by the hub's observers and
events. A registry per server keeps several bots in one process (tests) apart.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from chatops.bot.model import DecisionEvent, Outbound, PlanEvent, PlanStatus, StepEvent, StepStatus, ThreadRef

FINAL_STEP_STATES = {StepStatus.succeeded, StepStatus.failed, StepStatus.skipped, StepStatus.interrupted}
SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)


class BotMetrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.turns = Counter("chatops_turns", "Messages the bot handled (a turn each)", ["platform"], registry=r)
        self.turn_seconds = Histogram("chatops_turn_seconds", "Time from a message to its plan or answer, "
                                      "read-only steps included", ["platform"], buckets=SECONDS, registry=r)
        self.planning_seconds = Histogram("chatops_planning_seconds", "Time to plan one round", ["path"],
                                          buckets=SECONDS, registry=r)
        self.perception_seconds = Histogram("chatops_perception_seconds", "Time to perceive a message's "
                                            "attachments", ["platform"], buckets=SECONDS, registry=r)
        self.plans = Counter("chatops_plans", "Plans proposed", ["needs_approval"], registry=r)
        self.steps = Counter("chatops_steps", "Steps that reached a final state", ["tool", "status"], registry=r)
        self.step_seconds = Histogram("chatops_step_seconds", "Time a step ran", ["tool"], buckets=SECONDS,
                                      registry=r)
        self.decisions = Counter("chatops_decisions", "Approvals and denials, accepted or refused",
                                 ["decision", "accepted"], registry=r)
        self.http_requests = Counter("chatops_http_requests", "HTTP API requests", ["method", "route", "status"],
                                     registry=r)

    def observe(self, kind: str, seconds: float, labels: dict[str, str]) -> None:
        """A hub observer (`Hub.add_observer`)."""
        if kind == "turn":
            self.turns.labels(labels.get("platform", "")).inc()
            self.turn_seconds.labels(labels.get("platform", "")).observe(seconds)
        elif kind == "planning":
            self.planning_seconds.labels(labels.get("path", "")).observe(seconds)
        elif kind == "perception":
            self.perception_seconds.labels(labels.get("platform", "")).observe(seconds)

    async def on_event(self, thread: ThreadRef, event: Outbound) -> None:
        """A hub sink: counts plans, steps and decisions on every platform."""
        if isinstance(event, PlanEvent) and event.status in (PlanStatus.proposed, PlanStatus.running):
            self.plans.labels(str(event.needs_approval).lower()).inc()
        elif isinstance(event, StepEvent) and event.status in FINAL_STEP_STATES:
            self.steps.labels(event.tool, event.status.value).inc()
            if event.duration_ms is not None:
                self.step_seconds.labels(event.tool).observe(event.duration_ms / 1000)
        elif isinstance(event, DecisionEvent):
            self.decisions.labels(event.decision, str(event.accepted).lower()).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
