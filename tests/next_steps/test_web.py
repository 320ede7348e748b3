"""An answer's next steps are one click (issue 20): read back from the answer as the knowledge
base wrote them, offered only where a tool can run them, and a click posts the step in the same
thread as the clicker's own request, so it is planned, gated and approved like anything typed."""

from __future__ import annotations

import socket
from typing import Any

from chatops.bot.agent.answers import summarize_steps
from chatops.bot.model import Risk, Step, StepStatus
from chatops.bot.next_steps import follow_ups
from chatops.tools.builtin.tcp_check import tcp_check
from tests.http.conftest import done

# a team's own diagnosis whose next step is a change (the scripted `restart`, a write tool)
TEAM_DIAGNOSIS = {"id": "unit-failed-here", "priority": 9, "patterns": [r"unit (?P<unit>[\w.-]+) failed"],
                  "finding": "the unit {unit} failed",
                  "next": [{"say": "restart {unit}", "tool": "restart", "args": {"unit": "{unit}"}}]}


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def refused(port: int) -> Step:
    return Step(tool="tcp_check", args={"host": "127.0.0.1", "port": port}, reason="", risk=Risk.read,
                status=StepStatus.succeeded, outcome="problem", summary=f"127.0.0.1:{port} refuses connections")


def test_the_next_steps_are_read_back_from_the_answer_with_their_words():
    text = summarize_steps([refused(8099)], tools=["tcp_check"])
    [offer] = follow_ups(text, {"tcp_check"})
    assert offer.request == "!tcp_check host=127.0.0.1 port=8099"
    assert offer.label == "Check again whether 127.0.0.1:8099 accepts connections"
    assert follow_ups(text, {"http_check"}) == []  # no such tool here: words only, no button
    assert follow_ups("Done: `!tcp_check host=x port=1`") == []  # only the answer's "Next:" part offers
    # a shell command for a person on the host is never a button
    assert follow_ups("Found it.\n\nNext: See what listens (on that host: `sudo ss -ltnp`).") == []


async def served(start_web, **sections: Any):
    web = await start_web(**sections)
    web.bot.hub.registry.add(tcp_check)
    return web


async def test_a_click_plans_the_step_in_the_same_thread_as_the_clickers_request(start_web):
    web = await served(start_web)
    port = closed_port()
    first = await web.say(f"!tcp_check host=127.0.0.1 port={port}")
    thread_id = first.body["id"]
    view = await web.wait_for(thread_id, done)
    answer = view["messages"][-1]
    assert answer["role"] == "bot" and "refuses connections" in answer["text"]
    [offer] = answer["next_steps"]
    assert offer["request"] == f"!tcp_check host=127.0.0.1 port={port}"
    assert next(m for m in view["messages"] if m["role"] == "user")["next_steps"] == []
    # the click is what the web chat sends: the request, as a message of this thread
    clicked = await web.say(offer["request"], thread=thread_id)
    assert clicked.status == 201 and clicked.body["id"] == thread_id
    after = await web.wait_for(thread_id, lambda v: len(v["plans"]) == 2 and done(v))
    asked = [m for m in after["messages"] if m["role"] == "user"]
    assert [m["text"] for m in asked] == [f"!tcp_check host=127.0.0.1 port={port}"] * 2
    assert after["plans"][1]["steps"][0]["tool"] == "tcp_check" and after["plans"][1]["status"] == "succeeded"
    events = [e for _, e in web.bot.events if e.type == "answer" and e.thread == thread_id]
    assert events[-1].next_steps[0].request == offer["request"]  # the live event carries them too


async def test_a_click_on_a_change_waits_for_an_approval_and_only_the_owner_can_click(start_web):
    tokens = {"alice": "alice-token-5a1c", "bob": "bob-token-7b0b"}
    web = await served(start_web, tokens=tokens, roles={"oncall": {"http": ["bob"]}}, diagnoses=[TEAM_DIAGNOSIS])
    first = await web.say("!broken reason='unit web.service failed'", token=tokens["alice"])
    thread_id = first.body["id"]
    view = await web.wait_for(thread_id, done, token=tokens["alice"])
    [offer] = view["messages"][-1]["next_steps"]
    assert offer["request"] == "!restart unit=web.service" and offer["label"] == "Restart web.service"
    # bob approves writes, but the thread is alice's: he cannot post (click) in it
    assert (await web.say(offer["request"], thread=thread_id, token=tokens["bob"])).status == 404
    clicked = await web.say(offer["request"], thread=thread_id, token=tokens["alice"])
    assert clicked.status == 201
    plan = clicked.body["plans"][-1]
    assert plan["steps"][0]["tool"] == "restart" and plan["steps"][0]["risk"] == "write"
    assert plan["status"] == "proposed" and plan["steps"][0]["status"] == "proposed"
    assert ("restart", {"unit": "web.service"}) not in web.bot.calls.made  # nothing ran on the click
    assert plan["requester"] == "alice"
    approved = await web.request("POST", f"/api/v1/plans/{plan['id']}/decision", json={"decision": "approve"},
                                 token=tokens["bob"])
    assert approved.status == 200, approved.body
    await web.wait_for(thread_id, lambda v: v["plans"][-1]["status"] == "succeeded", token=tokens["alice"])
    assert ("restart", {"unit": "web.service"}) in web.bot.calls.made  # after the approval, and only then
