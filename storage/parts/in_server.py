"""A fast-path turn's trips to PostgreSQL as one call each of a server-side function.

`Plans.receive_planned`, `Plans.finish_round` and the reply's `Views.thread_view` run here on
PostgreSQL (`storage/pg_functions.py` says why): every value is computed as the Python
operations compute it on SQLite, and each function makes the same conditional statements in the
same order, so the rows, the audit log, the answers and the views are the same; only the trips
differ (one statement instead of nine, seven and six).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from chatops.bot.model import Inbound, Plan, PlanStatus, Risk, StepResult, StepStatus, utcnow
from chatops.storage import alert_groups, views
from chatops.storage.operations import dumps, new_id, ts
from chatops.storage.parts.leases import THREAD_BUSY, ThreadBusy
from chatops.storage.parts.messages import TURN_NOT_HELD
from chatops.storage.pg_functions import FINISH_ROUND, RECEIVE_PLANNED, THREAD_VIEW


def _call(part: Any, function: str, payload: dict[str, Any]) -> Any:
    # the call is the whole operation: alone, it is sent without `BEGIN` and `COMMIT` (one trip);
    # the document without the spaces of `dumps` (the server parses it; the texts stored inside
    # it, audit details and JSON columns, were made by `dumps` as on SQLite)
    document = json.dumps(payload, default=str, ensure_ascii=False, separators=(",", ":"))
    return part.db.call_whole(function, f"SELECT {function}($1::jsonb)", [document])


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


def thread_view(part: Any, thread_id: str, *, limit: int, with_alert: bool) -> dict[str, Any] | None:
    """`Views.thread_view` of a thread's newest page in one statement: the same rows, built into
    the same dict by `storage.views`."""
    found = _json(part.db.call_whole(THREAD_VIEW, f"SELECT {THREAD_VIEW}($1::text, $2::bigint, $3::boolean)",
                                     [thread_id, str(int(limit)), "t" if with_alert else "f"]))
    if found is None:
        return None
    page = views.page_of(found["messages"], limit)
    plans = [views.plan_body(p[:10], [[*s[:10], None if s[10] is None else float(s[10]), *s[11:]] for s in p[10]])
             for p in reversed(found["plans"])]
    view = views.view_of(found["head"], page, plans, [views.notice_of(n) for n in reversed(found["notices"])])
    if with_alert:
        if found["alert"] is not None:
            view["alert"] = alert_groups.row_of(found["alert"])
        elif found["link"] is not None:  # another surface's thread of a group (rare): as `of_thread` reads it
            group = json.loads(found["link"])
            view["alert"] = alert_groups.get(part.db, group["source"], group["group_key"])
        else:
            view["alert"] = None
    return view


def receive_planned(part: Any, inbound: Inbound, plan: Plan, *, ttl_seconds: float, start_first_step: bool,
                    take_lease: bool) -> tuple[str | ThreadBusy | None, Plan | None, str | None]:
    """`Plans.receive_planned` in one statement. The plan given becomes the stored plan only once
    stored: a busy thread or a repeated delivery leaves it as it was."""
    owner = part.process_id
    thread = inbound.thread
    lease = None
    if take_lease and part.identity is not None:
        lease = {"thread_id": thread.id, "owner": owner, "now": ts(), "cutoff": part._cutoff()}
    message_id = new_id("m")
    # the plan as `Plans._propose(start=True, start_first_step=...)` stores it, its first step started
    now = utcnow()
    plan_id, expires = new_id("p"), now + timedelta(seconds=ttl_seconds)
    status = PlanStatus.proposed if plan.needs_approval else PlanStatus.approved
    steps = []
    for step in plan.steps:
        if step.risk is Risk.read and not step.tainted:
            steps.append((new_id("s"), StepStatus.approved, "policy: read-only"))
        else:
            steps.append((new_id("s"), StepStatus.proposed, step.decided_by))
    running = status is PlanStatus.approved
    started = steps[0][0] if start_first_step and running and steps and steps[0][1] is StepStatus.approved else None
    started_at = ts()
    requester = plan.requester.key if plan.requester else ""
    audit = [
        (ts(), "message.received", inbound.user.key, thread.id, "", "",
         dumps({"message_id": message_id, "event_id": inbound.event_id})),
        (ts(), "plan.proposed", requester, plan.thread_id, plan_id, "",
         dumps({"goal": plan.goal, "status": status.value,
                "steps": [{"id": sid, "tool": s.tool, "args": s.args, "risk": s.risk.value, "tainted": s.tainted,
                           "provenance": s.provenance} for (sid, _, _), s in zip(steps, plan.steps, strict=True)]})),
    ]
    if running:
        audit.append((ts(), "plan.running", "", "", plan_id, "", None))
    if started is not None:
        audit.append((ts(), "step.started", "", "", "", started, None))
    payload = {
        "lease": lease,
        "event": {"platform": thread.platform, "event_id": inbound.event_id, "received_at": ts(inbound.received_at),
                  "message_id": message_id},
        "thread": {"id": thread.id, "platform": thread.platform, "channel": thread.channel,
                   "external_id": thread.thread, "title": inbound.text[:80], "now": ts()},
        "message": {"id": message_id, "thread_id": thread.id, "platform": inbound.user.platform,
                    "user_id": inbound.user.id, "user_name": inbound.user.name, "text": inbound.text,
                    "perceived_text": inbound.text,
                    "attachments": dumps([a.model_dump(mode="json") for a in inbound.attachments]),
                    "created_at": ts(inbound.received_at), "owner": owner},
        "plan": {"id": plan_id, "thread_id": plan.thread_id, "message_id": message_id, "round": plan.round,
                 "goal": plan.goal, "status": (PlanStatus.running if running else status).value,
                 "requester": plan.requester.model_dump_json() if plan.requester else None,
                 "created_at": ts(now), "expires_at": ts(expires), "owner": owner},
        # a started step is stored `running` at once, as `Plans._propose` stores it on SQLite
        "steps": [{"id": sid, "plan_id": plan_id, "position": i, "tool": s.tool, "args": dumps(s.args),
                   "reason": s.reason, "risk": s.risk.value,
                   "status": "running" if sid == started else step_status.value, "decided_by": decided_by,
                   "started_at": started_at if sid == started else None, "provenance": s.provenance,
                   "tainted": int(s.tainted), "owner": owner if sid == started else None,
                   "tool_fingerprint": s.fingerprint}
                  for i, ((sid, step_status, decided_by), s) in enumerate(zip(steps, plan.steps, strict=True))],
        "audit": [dict(zip(("at", "kind", "actor", "thread_id", "plan_id", "step_id", "detail"), row, strict=True))
                  for row in audit],
    }
    outcome = _call(part, RECEIVE_PLANNED, payload)
    if outcome == "busy":
        return THREAD_BUSY, None, None
    if outcome == "duplicate":
        return None, None, None
    plan.id, plan.created_at, plan.expires_at = plan_id, now, expires
    plan.status = PlanStatus.running if running else status
    for step, (sid, step_status, decided_by) in zip(plan.steps, steps, strict=True):
        step.id, step.status, step.decided_by = sid, step_status, decided_by
    return message_id, plan, started


def finish_round(part: Any, step_id: str, outcome: StepResult, plan_id: str, *, answer: Any,
                 release_lease: bool, next_round: tuple[str, str | None, int] | None) -> Any:
    """`Plans.finish_round` in one statement."""
    from chatops.storage.parts.plans import RoundEnd

    owner = part.process_id
    status = StepStatus.succeeded if outcome.ok else StepStatus.failed
    payload: dict[str, Any] = {
        "step": {"id": step_id, "status": status.value, "result": dumps(outcome.result), "error": outcome.error,
                 "summary": outcome.summary, "finished_at": ts(), "duration_ms": outcome.duration_ms,
                 "outcome": outcome.outcome, "owner": owner, "won_kind": f"step.{status.value}", "at": ts(),
                 "detail": dumps({"summary": outcome.summary, "error": outcome.error, "outcome": outcome.outcome,
                                  "duration_ms": round(outcome.duration_ms, 1)})},
        "plan": {"id": plan_id, "ok": bool(outcome.ok), "at": ts()},
        "answer": None,
        "next_round": None,
    }
    answer_id = None
    if answer is not None:
        answer_id = new_id("m")
        payload["answer"] = {
            "thread_id": answer.thread.id, "platform": answer.thread.platform, "channel": answer.thread.channel,
            "external_id": answer.thread.thread, "id": answer_id, "text": answer.text, "now": ts(),
            "message_id": answer.ends_turn_of, "owner": owner, "claim": answer.claim,
            "release": bool(release_lease),
            "dropped_detail": dumps({"why": TURN_NOT_HELD, "message_id": answer.ends_turn_of})}
    elif next_round is not None:
        message_id, claim, round_number = next_round
        payload["next_round"] = {"message_id": message_id, "owner": owner, "claim": claim, "round": round_number}
    result = _call(part, FINISH_ROUND, payload)
    if isinstance(result, str):
        result = json.loads(result)
    step_won = bool(result["step_won"])
    final = PlanStatus.succeeded if outcome.ok and step_won else PlanStatus.failed
    return RoundEnd(step_won=step_won, plan_status=final if result["plan_settled"] else None,
                    answer_id=answer_id if result["answer_stored"] else None,
                    next_round_held=result["next_round_held"])
