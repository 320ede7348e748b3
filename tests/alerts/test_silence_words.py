""""Silence this for 2h" in an alert's thread (issue 21), through the planner: the guided planner
picks `silence_alert` from the person's words, and its `matchers` come from the thread's alert
because the tool's parameter declares `default_from = "alert.labels"` (no phrase rule in the hub).
Real HTTP adapter, hub, guided planner and SQLite file; the silence itself waits for an approval."""

from __future__ import annotations

from typing import Any

import pytest

from chatops.bot.agent.context_defaults import ContextValue, declared_sources, fill, wanted
from chatops.bot.model import Plan, Step
from chatops.tools.monitoring.prometheus_query import range_seconds
from chatops.tools.monitoring.silence_alert import silence_alert
from chatops.tools.registry import spec_of
from tests.alerts.test_webhooks import AM, fixture, served

ALERT_MATCHERS = ('alertname="ProbeFailure"', 'severity="critical"')


async def alert_thread(start_web) -> tuple[Any, str]:
    web = await served(start_web, alerts={"alertmanager_url": "http://127.0.0.1:9"})
    web.bot.hub.registry.add(silence_alert)
    opened = await web.request("POST", AM, json=fixture("alertmanager_probe_failure.json"))
    assert opened.status == 200, opened.body
    return web, opened.body["threads"][0]["id"]


def silence_step(body: dict[str, Any]) -> dict[str, Any]:
    [step] = body["plans"][-1]["steps"]
    assert step["tool"] == "silence_alert", body
    return step


@pytest.mark.parametrize(("said", "duration"), [("silence this for 2h", "2h"), ("mute it for 30m", "30m"),
                                                 ("silence this alert", "1h")])
async def test_the_planner_silences_the_threads_alert_for_the_time_asked(start_web, said, duration):
    web, thread_id = await alert_thread(start_web)
    reply = await web.say(said, thread=thread_id)
    assert reply.status in (200, 201), reply.body
    step = silence_step(reply.body)
    assert step["args"].get("duration", "1h") == duration and step["risk"] == "write"  # 1h: the default
    assert all(matcher in step["args"]["matchers"] for matcher in ALERT_MATCHERS), step["args"]
    assert "matchers from this thread's alert (its labels)" in step["reason"]
    assert reply.body["plans"][-1]["status"] == "proposed"  # a write: it waits for an approval


async def test_shh_this_alert_till_tomorrow_silences_past_the_next_hour(start_web):
    web, thread_id = await alert_thread(start_web)
    reply = await web.say("shh this alert till tomorrow", thread=thread_id)
    step = silence_step(reply.body)
    assert all(matcher in step["args"]["matchers"] for matcher in ALERT_MATCHERS)
    assert range_seconds(step["args"].get("duration", "1h")) > 3600


async def test_a_duration_in_words_is_the_silences_duration(start_web):
    web, thread_id = await alert_thread(start_web)
    reply = await web.say("please mute it for 30 minutes", thread=thread_id)
    assert silence_step(reply.body)["args"].get("duration") == "30m"


async def test_matchers_the_person_writes_win_over_the_threads_alert(start_web):
    web, thread_id = await alert_thread(start_web)
    reply = await web.say('silence alertname="DiskFull" for 2h', thread=thread_id)
    assert silence_step(reply.body)["args"]["matchers"] == 'alertname="DiskFull"'


async def test_a_command_without_matchers_takes_the_threads_alert_and_one_with_them_keeps_its_own(start_web):
    web, thread_id = await alert_thread(start_web)
    reply = await web.say("!silence_alert duration=45m", thread=thread_id)
    step = silence_step(reply.body)
    assert step["args"]["duration"] == "45m"
    assert all(matcher in step["args"]["matchers"] for matcher in ALERT_MATCHERS)
    reply = await web.say("!silence_alert matchers='alertname=\"DiskFull\"' duration=2h", thread=thread_id)
    assert silence_step(reply.body)["args"]["matchers"] == 'alertname="DiskFull"'


async def test_outside_an_alert_thread_there_is_nothing_to_silence_and_it_says_so(start_web):
    web, _ = await alert_thread(start_web)
    reply = await web.say("silence this for 2h")  # a new thread: no alert, no labels to take
    assert reply.body["plans"] == []
    answers = [m["text"] for m in reply.body["messages"] if m["role"] != "user"]
    assert any("silence_alert needs matchers" in text and "no alert.labels" in text for text in answers), answers


def test_a_parameter_declares_its_source_and_is_filled_only_when_left_empty():
    spec = spec_of(silence_alert)
    assert declared_sources(spec) == {"matchers": "alert.labels"}
    assert "matchers" not in spec.parameters_schema.get("required", [])  # never asked for
    labels = ContextValue(data={"alertname": "X"}, text='alertname="X"', origin="the alert")
    given = Plan(goal="", steps=[Step(tool="silence_alert", args={"matchers": 'job="web"'})])
    assert wanted(given, {"silence_alert": spec}) == set()
    empty = Plan(goal="", steps=[Step(tool="silence_alert", args={"duration": "2h"})])
    assert wanted(empty, {"silence_alert": spec}) == {"alert.labels"}
    assert fill(empty, {"silence_alert": spec}, {"alert.labels": labels}) == []
    assert empty.steps[0].args == {"duration": "2h", "matchers": 'alertname="X"'}
    unfit = Plan(goal="", steps=[Step(tool="silence_alert", args={})])
    [problem] = fill(unfit, {"silence_alert": spec}, {"alert.labels": ContextValue({}, "nonsense", "the alert")})
    assert "does not fit" in problem
    missing = Plan(goal="", steps=[Step(tool="silence_alert", args={})])
    [problem] = fill(missing, {"silence_alert": spec}, {})
    assert "no alert.labels" in problem


async def test_a_runbook_parameter_declares_default_from_and_takes_the_threads_alert_labels(start_web):
    """The mechanism is the tool's, not silence_alert's: a team's runbook whose parameter says
    `default_from = "alert.labels"` gets the thread's alert labels when the request leaves it empty."""
    from chatops.tools.runbooks import runbook_tool

    runbooks = [{"name": "amtool_silence", "description": "Silence alerts with amtool", "risk": "write",
                 "argv": ["echo", "amtool", "silence", "add", "{matchers}"], "keywords": ["amtool"],
                 "params": {"matchers": {"type": "string", "default_from": "alert.labels",
                                         "description": "which alerts"}}}]
    web = await served(start_web, runbooks=runbooks)
    web.bot.hub.registry.add(runbook_tool(web.bot.config.runbooks[0]), source="runbook")
    opened = await web.request("POST", AM, json=fixture("alertmanager_probe_failure.json"))
    reply = await web.say("!amtool_silence", thread=opened.body["threads"][0]["id"])
    [step] = reply.body["plans"][-1]["steps"]
    assert step["tool"] == "amtool_silence" and step["risk"] == "write"
    assert all(matcher in step["args"]["matchers"] for matcher in ALERT_MATCHERS), step["args"]


@pytest.mark.parametrize(("param", "error"), [
    ({"type": "int", "default_from": "alert.labels"}, "default_from is for string parameters only"),
    ({"type": "string", "default_from": "alert.nothing"}, "default_from"),
])
def test_check_config_refuses_a_default_from_it_cannot_fill(param, error):
    from pydantic import ValidationError

    from chatops.bot.config import RunbookParam

    with pytest.raises(ValidationError, match=error):
        RunbookParam.model_validate(param)


def test_every_default_from_a_runbook_may_name_is_a_source_the_thread_offers():
    from typing import get_args

    from chatops.bot.config import RunbookParam
    from chatops.bot.thread_context import SOURCES

    allowed = {arg for arg in get_args(RunbookParam.model_fields["default_from"].annotation) if arg is not type(None)}
    literal_values = {value for arg in allowed for value in (get_args(arg) or (arg,))}
    assert literal_values == set(SOURCES)
