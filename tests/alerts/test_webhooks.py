"""Alerts in (issue 21): Alertmanager's and Grafana's webhook bodies, taken from their own docs
and test suites (tests/alerts/fixtures), open one thread per alert group through the real HTTP
adapter, the real hub and the guided planner, on a real SQLite file."""

from __future__ import annotations

import asyncio
import copy
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic_ai.messages import ModelMessage, ModelResponse
from pydantic_ai.models.function import AgentInfo, FunctionModel

from chatops.bot.agent.guided import GuidedPlanner
from chatops.bot.alert_payloads import AlertmanagerWebhook, GrafanaWebhook, read_notification
from chatops.tools.builtin.http_check import http_check
from chatops.tools.builtin.tcp_check import tcp_check

FIXTURES = Path(__file__).parent / "fixtures"
AM = "/api/v1/alerts/alertmanager"
GRAFANA = "/api/v1/alerts/grafana"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def no_model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    raise AssertionError("a diagnosis from an alert needs no model call")


async def served(start_web, **sections: Any):
    web = await start_web(GuidedPlanner(FunctionModel(no_model)), **sections)
    web.bot.hub.registry.add(http_check)
    web.bot.hub.registry.add(tcp_check)
    return web


def alert_body(status: str, instance: str, *, starts: str = "2026-12-05T08:00:00Z", ends: str | None = None,
               description: str = "", group_key: str = '{}:{alertname="WebDown"}',
               fingerprint: str = "f00d") -> dict[str, Any]:
    """An Alertmanager v4 body shaped like the fixture, for scenarios the fixtures do not cover."""
    body = fixture("alertmanager_probe_failure.json")
    alert = body["alerts"][0]
    alert.update(status=status, startsAt=starts, endsAt=ends or "0001-01-01T00:00:00Z", fingerprint=fingerprint,
                 labels={"alertname": "WebDown", "instance": instance, "severity": "critical", "job": "web"},
                 annotations={"summary": f"{instance} is down", "description": description})
    body.update(status=status, groupKey=group_key, commonLabels=alert["labels"], groupLabels={"alertname": "WebDown"},
                commonAnnotations={})
    return body


# --- the fixtures parse as the senders write them ----------------------------------------------------------


@pytest.mark.parametrize(("name", "model", "source", "count"), [
    ("alertmanager_probe_failure.json", AlertmanagerWebhook, "alertmanager", 1),
    ("alertmanager_probe_resolved.json", AlertmanagerWebhook, "alertmanager", 1),
    ("grafana_docs_two_alerts.json", GrafanaWebhook, "grafana", 2),
    ("grafana_alerting_default.json", GrafanaWebhook, "grafana", 1),
])
def test_the_senders_own_bodies_are_read(name, model, source, count):
    notification = read_notification(source, model.model_validate(fixture(name)))
    assert len(notification.alerts) == count
    assert notification.group_key == fixture(name)["groupKey"]
    first = notification.alerts[0]
    assert first.fingerprint == fixture(name)["alerts"][0]["fingerprint"]
    assert first.ends_at is None or notification.status == "resolved"  # Go's zero time means "not set"
    if source == "grafana":
        assert first.links["silence"].startswith("http")
        assert notification.title.startswith("[FIRING:")


# --- one thread per group ------------------------------------------------------------------------------------


async def test_an_alert_opens_a_thread_once_repeats_add_nothing_and_resolved_lands_in_it(start_web):
    web = await served(start_web)
    firing = fixture("alertmanager_probe_failure.json")
    first = await web.request("POST", AM, json=firing)
    assert first.status == 200, first.body
    [opened] = first.body["threads"]
    assert opened == {"id": opened["id"], "group_key": firing["groupKey"], "status": "firing", "new": True}
    view = await web.thread(opened["id"])
    [message] = view["messages"]
    assert message["text"].startswith("An alert from Alertmanager fired: what is wrong here?\n[alert: ProbeFailure")
    assert "summary: BlackBox Probe Failure: https://server.example.org" in message["text"]
    assert "severity critical" in message["text"]
    # links are for people, beside the alert, never in what the planner reads (no check of a link)
    assert "prometheus.example.org" not in message["text"]
    assert "ProbeFailure source: http://prometheus.example.org:9090/graph?g0.expr=" in view["notices"][-1]["text"]
    assert view["alert"]["source"] == "alertmanager" and view["alert"]["status"] == "firing"
    assert view["alert"]["alerts"][0]["labels"]["instance"] == "https://server.example.org"
    # the diagnosis: checks from the alert's data, each waiting for a click (provenance)
    [plan] = view["plans"]
    assert plan["status"] == "proposed"
    assert ("http_check", {"url": "https://server.example.org"}) in [(s["tool"], s["args"]) for s in plan["steps"]]
    assert all(step["tainted"] and "the alert ProbeFailure" in step["provenance"] for step in plan["steps"])

    repeat = await web.request("POST", AM, json=firing)
    assert repeat.body["threads"] == [{**opened, "new": False}]
    again = await web.thread(opened["id"])
    assert len(again["messages"]) == 1 and len(again["plans"]) == 1

    resolved = await web.request("POST", AM, json=fixture("alertmanager_probe_resolved.json"))
    assert resolved.body["threads"] == [{**opened, "status": "resolved", "new": False}]
    after = await web.thread(opened["id"])
    assert [m["role"] for m in after["messages"]] == ["user", "bot"]
    assert after["messages"][1]["text"].startswith("✅ Resolved: ProbeFailure after firing for 32 min")
    assert after["alert"]["status"] == "resolved"
    assert after["alert"]["alerts"][0]["ends_at"].startswith("2023-02-06T13:41:15")
    # a repeated resolved notification adds nothing either
    await web.request("POST", AM, json=fixture("alertmanager_probe_resolved.json"))
    assert len((await web.thread(opened["id"]))["messages"]) == 2


async def test_a_group_that_fires_again_or_gains_an_alert_adds_to_the_same_thread(start_web, http_server):
    web = await served(start_web)
    host = http_server.removeprefix("http://")
    opened = (await web.request("POST", AM, json=alert_body("firing", host))).body["threads"][0]
    await web.request("POST", AM, json=alert_body("resolved", host, ends="2026-12-05T08:05:00Z"))
    again = await web.request("POST", AM, json=alert_body("firing", host, starts="2026-12-05T09:00:00Z"))
    assert again.body["threads"] == [{**opened, "new": False}]
    view = await web.thread(opened["id"])
    assert [m["role"] for m in view["messages"]] == ["user", "bot", "user"]
    assert "Firing again:" in view["messages"][2]["text"]
    second = alert_body("firing", "127.0.0.1:1", starts="2026-12-05T09:01:00Z", fingerprint="beef")
    second["alerts"].insert(0, alert_body("firing", host, starts="2026-12-05T09:00:00Z")["alerts"][0])
    await web.request("POST", AM, json=second)
    view = await web.thread(opened["id"])
    assert len(view["messages"]) == 4 and "New alert(s) in this group:" in view["messages"][3]["text"]
    assert "instance=127.0.0.1:1" in view["messages"][3]["text"]
    assert host not in view["messages"][3]["text"]  # only the alert that is new
    # the group's diagnosis still waits for a click: the new alert is listed, not planned again
    assert view["messages"][3]["role"] == "bot" and "Not planned again" in view["messages"][3]["text"]
    assert len(view["plans"]) == 2  # the first firing's and the second firing's


async def test_grafana_bodies_from_its_docs_and_test_suite_open_threads(start_web):
    web = await served(start_web)
    reply = await web.request("POST", GRAFANA, json=fixture("grafana_docs_two_alerts.json"))
    assert reply.status == 200, reply.body
    [thread] = reply.body["threads"]
    assert thread["group_key"] == "{}:{}" and thread["new"] is True and thread["status"] == "firing"
    view = await web.thread(thread["id"])
    text = view["messages"][0]["text"]
    assert text.startswith("An alert from Grafana fired")
    assert "High memory usage is firing" in text and "High CPU usage is firing" in text
    links = view["notices"][-1]["text"]
    assert "High memory usage runbook: https://myrunbook.com/runbook/1234" in links
    assert "High CPU usage silence: https://play.grafana.org/alerting/silence/new" in links
    assert view["alert"]["source"] == "grafana" and len(view["alert"]["alerts"]) == 2
    other = await web.request("POST", GRAFANA, json=fixture("grafana_alerting_default.json"))
    assert other.body["threads"][0]["id"] != thread["id"]  # another group, another thread


# --- the sender, its token, and what it may not do -------------------------------------------------------------


async def test_the_sender_authenticates_and_can_approve_nothing(start_web):
    web = await served(start_web, tokens={"alertmanager": "am-secret-token", "alice": "alice-secret-token"})
    body = fixture("alertmanager_probe_failure.json")
    assert (await web.request("POST", AM, json=body)).status == 401
    assert (await web.request("POST", AM, json=body, token="wrong-token-value")).status == 401
    reply = await web.request("POST", AM, json=body, token="am-secret-token")
    assert reply.status == 200
    thread_id = reply.body["threads"][0]["id"]
    view = await web.thread(thread_id, token="am-secret-token")  # the sender owns its threads
    plan = view["plans"][0]
    assert plan["requester"] == "alertmanager"
    refused = await web.request("POST", f"/api/v1/plans/{plan['id']}/decision", json={"decision": "approve"},
                                token="am-secret-token")
    assert refused.status == 403
    assert (await web.thread(thread_id, token="am-secret-token"))["plans"][0]["status"] == "proposed"
    assert (await web.request("GET", f"/api/v1/threads/{thread_id}", token="alice-secret-token")).status == 404


async def test_the_operator_approves_the_diagnosis_with_one_click(start_web, http_server):
    web = await served(start_web)
    host = http_server.removeprefix("http://")
    body = alert_body("firing", host, description=f"{http_server}/health answers slowly")
    thread_id = (await web.request("POST", AM, json=body)).body["threads"][0]["id"]
    plan = (await web.thread(thread_id))["plans"][0]
    assert plan["status"] == "proposed"
    decided = await web.request("POST", f"/api/v1/plans/{plan['id']}/decision", json={"decision": "approve"})
    assert decided.status == 200, decided.body
    view = await web.wait_for(thread_id, lambda v: v["plans"][0]["status"] in ("succeeded", "failed"))
    ran = {(s["tool"], json.dumps(s["args"], sort_keys=True)): s for s in view["plans"][0]["steps"]}
    assert ran[("http_check", json.dumps({"url": f"{http_server}/health"}))]["status"] == "succeeded"


# --- routes -------------------------------------------------------------------------------------------------


async def test_diagnose_auto_runs_read_steps_on_the_alerts_own_host_only(start_web, http_server):
    routes = {"routes": [{"match": {"severity": "critical"}, "diagnose": "auto"}]}
    web = await served(start_web, alerts=routes)
    host = http_server.removeprefix("http://")
    own = alert_body("firing", host, description=f"{http_server}/health answers slowly")
    thread_id = (await web.request("POST", AM, json=own)).body["threads"][0]["id"]
    view = await web.wait_for(thread_id, lambda v: v["plans"] and v["plans"][0]["status"] == "succeeded")
    assert view["plans"][0]["decided_by"] == "alert:alertmanager"  # confirmed by the route, as the requester
    # an annotation that names another host: nothing is fetched until someone approves
    stranger = alert_body("firing", host, group_key='{}:{alertname="Other"}',
                          description="see http://attacker.example/steal for details")
    other_id = (await web.request("POST", AM, json=stranger)).body["threads"][0]["id"]
    view = await web.wait_for(other_id, lambda v: any("Not run at once" in n["text"] for n in v["notices"]))
    assert view["plans"][0]["status"] == "proposed"
    assert any("attacker.example" in n["text"] for n in view["notices"])


async def test_diagnose_off_posts_the_alert_and_plans_nothing(start_web):
    web = await served(start_web, alerts={"routes": [{"match_re": {"job": "http_.*"}, "diagnose": "off"}]})
    reply = await web.request("POST", AM, json=fixture("alertmanager_probe_failure.json"))
    view = await web.thread(reply.body["threads"][0]["id"])
    assert [m["role"] for m in view["messages"]] == ["bot"] and view["plans"] == []
    assert "[alert: ProbeFailure, firing]" in view["messages"][0]["text"]


# --- bad bodies: 400, nothing stored -----------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "mutate", "code"), [
    (AM, lambda b: "{not json", "malformed_json"),
    (AM, lambda b: {**b, "version": "1"}, "invalid"),  # Grafana's version on Alertmanager's endpoint
    (GRAFANA, lambda b: b, "invalid"),  # and the other way round
    (AM, lambda b: {k: v for k, v in b.items() if k != "groupKey"}, "invalid"),
    (AM, lambda b: {**b, "alerts": [{**b["alerts"][0], "status": "exploded"}]}, "invalid"),
    (AM, lambda b: {**b, "alerts": [{**b["alerts"][0], "startsAt": "yesterday"}]}, "invalid"),
    (AM, lambda b: [b], "invalid"),
])
async def test_a_malformed_body_gets_400_and_stores_nothing(start_web, path, mutate, code):
    web = await served(start_web)
    body = mutate(copy.deepcopy(fixture("alertmanager_probe_failure.json")))
    raw = body if isinstance(body, str) else json.dumps(body)
    reply = await web.request("POST", path, data=raw, headers={"Content-Type": "application/json"})
    assert reply.status == 400, reply.body
    assert reply.body["error"]["code"] == code
    assert (await web.request("GET", "/api/v1/threads")).body["threads"] == []
    assert await web.bot.store.alert_group("alertmanager", fixture("alertmanager_probe_failure.json")["groupKey"]) \
        is None


async def test_the_openapi_document_describes_the_webhooks_and_the_alert_field(start_web):
    web = await served(start_web)
    document = (await web.request("GET", "/api/v1/openapi.json")).body
    for path in (AM, GRAFANA):
        operation = document["paths"][path]["post"]
        assert "requestBody" in operation and "200" in operation["responses"] and "400" in operation["responses"]
    schemas = document["components"]["schemas"]
    assert "alert" in schemas["ThreadBody"]["properties"]
    assert set(schemas["AlertThreadBody"]["properties"]) == {"id", "group_key", "status", "new"}
    assert "groupKey" in schemas["AlertmanagerWebhook"]["properties"]
    assert "/api/v1/schedules" in document["paths"]


async def test_acknowledge_is_kept_and_shown_and_silence_needs_an_alertmanager(start_web):
    web = await served(start_web)
    opened = await web.request("POST", AM, json=fixture("alertmanager_probe_failure.json"))
    thread_id = opened.body["threads"][0]["id"]
    reply = await web.request("POST", f"/api/v1/threads/{thread_id}/alert/acknowledge", json={})
    assert reply.status == 200 and reply.body["text"].startswith("👀 Acknowledged by operator at 20")
    view = await web.thread(thread_id)
    assert view["notices"][-1]["text"] == reply.body["text"]
    [entry] = await web.bot.store.audit_log(10, kind="alert.acknowledged")
    assert entry["actor"] == "operator" and entry["thread_id"] == thread_id
    report = (await web.request("GET", f"/api/v1/threads/{thread_id}/report")).body
    assert "👀 Acknowledged by operator" in report and "- Time to acknowledge: —" not in report
    refused = await web.request("POST", f"/api/v1/threads/{thread_id}/alert/silence", json={"duration": "1h"})
    assert refused.status == 409 and "alertmanager_url" in refused.body["error"]["message"]
    assert (await web.request("POST", f"/api/v1/threads/{thread_id}/alert/silence", json={"duration": "1y"})).status \
        == 400
    other = (await web.say("hello")).body["id"]  # not an alert thread
    assert (await web.request("POST", f"/api/v1/threads/{other}/alert/acknowledge", json={})).status == 404


async def test_the_same_notification_at_once_is_one_thread_and_one_message(start_web):
    web = await served(start_web)
    body = fixture("alertmanager_probe_failure.json")
    replies = await asyncio.gather(*(web.request("POST", AM, json=body) for _ in range(6)))
    assert {r.status for r in replies} == {200}
    assert sum(r.body["threads"][0]["new"] for r in replies) == 1
    assert len({r.body["threads"][0]["id"] for r in replies}) == 1
    view = await web.thread(replies[0].body["threads"][0]["id"])
    assert len(view["messages"]) == 1 and len(view["plans"]) == 1


async def test_on_call_people_follow_an_alert_thread_before_anything_waits_for_them(start_web):
    tokens = {"alertmanager": "am-secret-token", "alice": "alice-secret-token", "bob": "bob-secret-token"}
    web = await served(start_web, tokens=tokens, roles={"oncall": {"http": ["alice"]}},
                       alerts={"routes": [{"diagnose": "off"}]})
    reply = await web.request("POST", AM, json=fixture("alertmanager_probe_failure.json"), token="am-secret-token")
    thread_id = reply.body["threads"][0]["id"]
    view = await web.thread(thread_id, token="alice-secret-token")  # an approver: no plan waits, she reads it
    assert view["plans"] == [] and view["alert"]["status"] == "firing"
    acknowledged = await web.request("POST", f"/api/v1/threads/{thread_id}/alert/acknowledge", json={},
                                     token="alice-secret-token")
    assert acknowledged.body["text"].startswith("👀 Acknowledged by alice")
    for who in ("bob-secret-token", None):  # no role, no token: nothing
        assert (await web.request("GET", f"/api/v1/threads/{thread_id}", token=who)).status in (401, 404)


async def test_a_group_first_seen_resolved_is_posted_not_planned(start_web):
    web = await served(start_web)
    reply = await web.request("POST", AM, json=fixture("alertmanager_probe_resolved.json"))
    [thread] = reply.body["threads"]
    assert thread["new"] is True and thread["status"] == "resolved"
    view = await web.thread(thread["id"])
    assert [m["role"] for m in view["messages"]] == ["bot"] and view["plans"] == []
    assert "(Not planned: it had resolved before it reached me.)" in view["messages"][0]["text"]


async def test_the_query_that_fired_is_charted_by_a_step_of_the_diagnosis_plan(start_web, http_server):
    """One plan, one card: the instance's checks and the chart of `g0.expr` over the last hour, the
    alert's start marked; the chart's values come from the alert, so nothing runs before the click,
    and the click runs all of it."""
    from chatops.tools.monitoring.prometheus_query import prometheus_query

    web = await served(start_web, tools={"prometheus_query": {"url": "http://127.0.0.1:1"}})
    web.bot.hub.registry.add(prometheus_query)
    host = http_server.removeprefix("http://")
    body = alert_body("firing", host, description=f"{http_server}/health answers slowly")
    thread_id = (await web.request("POST", AM, json=body)).body["threads"][0]["id"]
    view = await web.thread(thread_id)
    [plan] = view["plans"]
    tools = [step["tool"] for step in plan["steps"]]
    assert tools[-1] == "prometheus_query" and {"http_check", "tcp_check"} & set(tools[:-1]), tools
    chart = plan["steps"][-1]
    assert chart["args"] == {"query": "probe_success == 0", "range": "1h", "mark": "2026-12-05T08:00:00+00:00"}
    assert chart["tainted"] and chart["risk"] == "read" and "g0.expr" in chart["reason"]
    assert plan["status"] == "proposed" and all(step["status"] == "proposed" for step in plan["steps"])
    await web.request("POST", f"/api/v1/plans/{plan['id']}/decision", json={"decision": "approve"})
    view = await web.wait_for(thread_id, lambda v: v["plans"][0]["steps"][-1]["status"] in ("succeeded", "failed"))
    assert len(view["plans"]) == 1  # no second plan follows the click
    assert "127.0.0.1:1" in (view["plans"][0]["steps"][-1]["error"] or "")  # it ran, against the configured server


async def test_an_alert_with_nothing_else_to_check_still_gets_its_chart_and_a_model_planner_too(start_web):
    """No `instance` label, no runbook: the planner only answers, and the chart is the plan. A
    model planner's plan gets the same step after its own (whichever planner made it); with
    `prometheus_query` not configured there is no chart at all."""
    from chatops.tools.monitoring.prometheus_query import prometheus_query

    web = await served(start_web, tools={"prometheus_query": {"url": "http://127.0.0.1:1"}})
    web.bot.hub.registry.add(prometheus_query)
    body = alert_body("firing", "", group_key='{}:{alertname="Quiet"}')
    del body["alerts"][0]["labels"]["instance"]
    [plan] = (await web.thread((await web.request("POST", AM, json=body)).body["threads"][0]["id"]))["plans"]
    assert [s["tool"] for s in plan["steps"]] == ["prometheus_query"] and plan["status"] == "proposed"

    from tests.conftest import ScriptedModel, reply

    scripted = ScriptedModel([reply({"tool": "current_time", "reason": "when"})])
    modelled = await start_web(scripted.planner(), tools={"prometheus_query": {"url": "http://127.0.0.1:1"}})
    modelled.bot.hub.registry.add(prometheus_query)
    body = alert_body("firing", "127.0.0.1:9", group_key='{}:{alertname="Modelled"}')
    [plan] = (await modelled.thread((await modelled.request("POST", AM, json=body)).body["threads"][0]["id"]))["plans"]
    assert [s["tool"] for s in plan["steps"]][-1] == "prometheus_query", plan["steps"]
    plain = await served(start_web)  # no prometheus_query: nothing to chart with
    body = alert_body("firing", "127.0.0.1:9", group_key='{}:{alertname="Plain"}')
    view = await plain.thread((await plain.request("POST", AM, json=body)).body["threads"][0]["id"])
    assert all(s["tool"] != "prometheus_query" for p in view["plans"] for s in p["steps"])


class HeldPlanner:
    """The guided planner, held until the test lets it go: the alert's turn is mid-planning."""

    def __init__(self) -> None:
        self.inner = GuidedPlanner(FunctionModel(no_model))
        self.entered = asyncio.Event()
        self.go = asyncio.Event()

    async def plan(self, request):
        self.entered.set()
        await self.go.wait()
        return await self.inner.plan(request)


async def test_on_call_people_read_an_alert_thread_while_it_is_still_being_planned(start_web):
    """The group is stored before its message, so the thread is an alert's thread from its first
    moment (it was the owner's alone until planning ended: 404 to on-call people); others still see
    nothing."""
    tokens = {"alertmanager": "am-secret-token", "alice": "alice-secret-token", "bob": "bob-secret-token"}
    planner = HeldPlanner()
    web = await start_web(planner, tokens=tokens, roles={"oncall": {"http": ["alice"]}})
    web.bot.hub.registry.add(http_check)
    posting = asyncio.create_task(web.request("POST", AM, json=fixture("alertmanager_probe_failure.json"),
                                              token="am-secret-token"))
    await asyncio.wait_for(planner.entered.wait(), 20)
    [listed] = (await web.request("GET", "/api/v1/threads", token="am-secret-token")).body["threads"]
    view = await web.thread(listed["id"], token="alice-secret-token")
    assert view["alert"]["status"] == "firing" and view["plans"] == []
    acknowledged = await web.request("POST", f"/api/v1/threads/{listed['id']}/alert/acknowledge", json={},
                                     token="alice-secret-token")
    assert acknowledged.status == 200, acknowledged.body
    assert (await web.request("GET", f"/api/v1/threads/{listed['id']}", token="bob-secret-token")).status == 404
    planner.go.set()
    reply = await posting
    assert reply.status == 200 and reply.body["threads"][0]["id"] == listed["id"]
    view = await web.thread(listed["id"], token="alice-secret-token")
    assert len(view["plans"]) == 1 and view["title"].startswith("🔔 ")


async def test_silence_this_plans_the_groups_labels_in_an_alert_thread_only(start_web):
    from chatops.tools.monitoring.silence_alert import silence_alert

    web = await served(start_web, alerts={"alertmanager_url": "http://127.0.0.1:9"})
    web.bot.hub.registry.add(silence_alert)
    opened = await web.request("POST", AM, json=fixture("alertmanager_probe_failure.json"))
    thread_id = opened.body["threads"][0]["id"]
    reply = await web.say("silence this for 2h", thread=thread_id)
    [step] = reply.body["plans"][-1]["steps"]
    assert step["tool"] == "silence_alert" and step["args"]["duration"] == "2h" and step["risk"] == "write"
    assert 'alertname="ProbeFailure"' in step["args"]["matchers"] and 'severity="critical"' in step["args"]["matchers"]
    assert reply.body["plans"][-1]["status"] == "proposed"  # a write: it waits for an approval
    other = await web.say("silence this for 2h")  # not an alert's thread: no labels to take
    assert all('alertname="ProbeFailure"' not in str(s["args"]) for p in other.body["plans"] for s in p["steps"])


async def test_the_job_label_names_a_runbook_and_its_check_waits_for_a_click(start_web, http_server):
    """An alert's `job`/`service` label matches a read-only runbook by its name, keywords or a
    parameter's value or alias; the label fills its argument, so the step is the alert's (tainted)
    and waits. A runbook that changes something, or takes no argument, is never proposed from it."""
    from chatops.tools.runbooks import runbook_tool

    runbooks = [{"name": "service_logs", "description": "The last log lines of a service", "risk": "read",
                 "argv": ["echo", "{service}"], "keywords": ["logs"],
                 "params": {"service": {"type": "enum", "values": ["postgresql", "billing-api"],
                                        "aliases": {"pg": "postgresql"}}}},
                {"name": "queue_status", "description": "The depth of the job queue", "risk": "read",
                 "argv": ["echo", "ok"], "keywords": ["queue"]},
                {"name": "restart_service", "description": "Restart a service", "risk": "write",
                 "argv": ["true", "{service}"], "params": {"service": {"type": "string"}}}]
    web = await served(start_web, runbooks=runbooks)
    for runbook in web.bot.config.runbooks:
        web.bot.hub.registry.add(runbook_tool(runbook), source="runbook")
    host = http_server.removeprefix("http://")
    for job, expected in (("pg", {"service": "pg"}), ("queue", None), ("billing-api", {"service": "billing-api"})):
        body = alert_body("firing", host, group_key=f'{{}}:{{job="{job}"}}')
        body["alerts"][0]["labels"]["job"] = job
        body["commonLabels"] = body["alerts"][0]["labels"]
        thread_id = (await web.request("POST", AM, json=body)).body["threads"][0]["id"]
        [plan] = (await web.thread(thread_id))["plans"]
        named = [s for s in plan["steps"] if s["tool"] in ("service_logs", "queue_status", "restart_service")]
        if expected is None:
            assert named == []
            continue
        [step] = named
        assert step["tool"] == "service_logs" and step["args"] == expected and step["tainted"]
        assert f"its label `job={job}` names the runbook service_logs" in step["reason"]
        assert plan["status"] == "proposed" and step["status"] == "proposed"


async def test_alert_groups_past_the_plan_rate_are_all_diagnosed_while_a_person_is_still_limited(start_web):
    """`agent.max_plans_per_minute` (here 2) bounds a person, not the alert sender, which speaks
    for every group: four groups in a row get four diagnoses; the sender's bound is the storm's."""
    from chatops.tools.monitoring.silence_alert import silence_alert

    web = await served(start_web, agent={"max_plans_per_minute": 2}, alerts={"alertmanager_url": "http://127.0.0.1:9"})
    web.bot.hub.registry.add(silence_alert)
    ids = []
    for number in range(4):
        body = alert_body("firing", f"10.0.0.{number + 1}:80", group_key=f'{{}}:{{n="{number}"}}',
                          fingerprint=f"f{number}")
        ids.append((await web.request("POST", AM, json=body)).body["threads"][0]["id"])
    views = [await web.thread(thread_id) for thread_id in ids]
    assert [len(view["plans"]) for view in views] == [1, 1, 1, 1]
    replies = [await web.say(f"!silence_alert matchers='job=\"web{n}\"' duration=1h") for n in range(3)]
    assert [len(reply.body["plans"]) for reply in replies] == [1, 1, 0]  # writes: each needs an approval
    assert "faster than 2 a minute" in replies[-1].body["messages"][-1]["text"]


async def test_a_storm_past_the_planners_queue_is_posted_undiagnosed_and_says_so(start_web):
    """The storm bound: 4 alert turns plan at once, `queue_bound` more wait; a notification beyond
    that is posted at once without a diagnosis, saying why and how to ask for one, and loses nothing."""
    planner = HeldPlanner()
    web = await start_web(planner)
    web.bot.hub.registry.add(http_check)
    web.adapter.api.alerts.desk.queue_bound = 2
    bodies = [alert_body("firing", f"10.0.1.{n}:80", group_key=f'{{}}:{{storm="{n}"}}', fingerprint=f"s{n}")
              for n in range(7)]
    posts = [asyncio.create_task(web.request("POST", AM, json=body)) for body in bodies]
    done, _ = await asyncio.wait(posts, timeout=20, return_when=asyncio.FIRST_COMPLETED)
    [skipped] = done  # 4 planning (held) + 2 queued: the 7th is answered at once, undiagnosed
    view = await web.thread(skipped.result().body["threads"][0]["id"])
    assert view["plans"] == [] and "Not diagnosed: too many alerts are waiting" in view["messages"][-1]["text"]
    planner.go.set()
    replies = await asyncio.gather(*posts)
    assert all(reply.status == 200 for reply in replies)
    views = [await web.thread(reply.body["threads"][0]["id"]) for reply in replies]
    assert sorted(len(v["plans"]) for v in views) == [0, 1, 1, 1, 1, 1, 1]


async def test_a_senders_data_steps_are_read_only_fitting_and_leave_room_within_max_steps(start_web):
    """What a sender suggests from its data joins the first round's plan only as read-only checks
    that fit their tool, waiting for a click; a write, an unknown tool or a misfit is left out, and
    the planner's steps give way so the plan stays within `agent.max_steps`."""
    from chatops.bot.model import Inbound, Step, ThreadRef, UserRef
    from chatops.tools.monitoring.prometheus_query import prometheus_query
    from chatops.tools.monitoring.silence_alert import silence_alert

    web = await served(start_web, agent={"max_steps": 2}, tools={"prometheus_query": {"url": "http://127.0.0.1:1"}},
                       alerts={"alertmanager_url": "http://127.0.0.1:9"})
    for tool in (prometheus_query, silence_alert):
        web.bot.hub.registry.add(tool)
    thread = ThreadRef(platform="http", channel="operator", thread="data-steps")
    suggested = [Step(tool="silence_alert", args={"matchers": 'job="web"'}, reason="a write"),
                 Step(tool="no_such_tool", args={}, reason="unknown"),
                 Step(tool="prometheus_query", args={"range": "1h"}, reason="misfit: no query"),
                 Step(tool="prometheus_query", args={"query": "up", "range": "1h"}, reason="the chart")]
    text = "check http://127.0.0.1:9/a and http://127.0.0.1:9/b and 127.0.0.1:22"
    await web.bot.hub.handle(Inbound(event_id="e-data-steps", thread=thread, text=text, data_steps=suggested,
                                     user=UserRef(platform="http", id="operator", name="operator")))
    [plan] = (await web.thread(thread.id))["plans"]
    assert len(plan["steps"]) == 2 and plan["steps"][-1]["args"] == {"query": "up", "range": "1h"}
    assert plan["steps"][0]["tool"] in ("http_check", "tcp_check")  # the planner's own first step stays
    assert plan["steps"][-1]["tainted"] and plan["steps"][-1]["status"] == "proposed"
    assert all(step["tool"] != "silence_alert" for step in plan["steps"])
