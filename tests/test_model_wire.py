"""The configured-model path end to end over the real wire: the model planner, pydantic-ai's real
OpenAI client, and a local server speaking the chat-completions format (tests/fakes/openai_server.py),
scripted per request: an output-tool call, a JSON-schema reply, a streamed reply, malformed JSON, a
timeout, a 429. What the model is sent is read back from the server, as it arrived."""

from __future__ import annotations

import json
import re
import socket
from typing import Any

import pytest
from aiohttp import web

from chatops.bot.agent.planner import ModelPlanner
from chatops.bot.agent.planning import PlannerError, PlanRequest
from chatops.bot.llm.models import openai_compatible
from chatops.bot.model import Answer, Attachment, Decision, Inbound, Plan, PlanStatus, StepStatus, ThreadRef, UserRef
from chatops.tools.builtin import BUILTIN_TOOLS
from chatops.tools.builtin.tcp_check import tcp_check
from chatops.tools.registry import spec_of
from tests.fakes.openai_server import FakeOpenAI, error_reply
from tests.screens import terminal_screenshot

ALICE = UserRef(platform="console", id="alice", name="alice")
TOOLS = [spec_of(item) for item in BUILTIN_TOOLS]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def planner(server: FakeOpenAI, *, native: bool = False, stream: bool = False, timeout: float = 20) -> ModelPlanner:
    model = openai_compatible("fake", server.base_url, "sk-test", json_schema_output=native)
    return ModelPlanner(model, native_output=native, stream=stream, timeout=timeout)


def tool_call(body: dict[str, Any], reply: dict[str, Any]) -> dict[str, Any]:
    """The assistant calling the output tool the request offered, with `reply` as its arguments."""
    [offered] = [tool["function"]["name"] for tool in body["tools"]]
    return {"tool_calls": [{"id": "call_1", "type": "function",
                            "function": {"name": offered, "arguments": json.dumps(reply)}}]}


def request(text: str = "is db.internal:5432 open?", **fields: Any) -> PlanRequest:
    return PlanRequest(text=text, requester=ALICE, tools=TOOLS, **fields)


# --- the whole turn, through the hub ---------------------------------------------------------


async def test_a_screenshot_turn_reaches_the_model_with_history_data_provenance_and_diagnoses(
        make_bot, shared_perceiver) -> None:
    port = closed_port()
    screen = terminal_screenshot([
        "$ sudo systemctl status nginx",
        "nginx: [emerg] bind() to 0.0.0.0:80 failed (98: Address already in use)",
        f"$ curl -sv http://127.0.0.1:{port}/",
        f"curl: (7) Failed to connect to 127.0.0.1 port {port} after 0 ms: Connection refused",
    ])
    finding = (f"127.0.0.1:{port} refuses connections, and the screenshot shows nginx could not bind port 80: "
               "another process holds it.\n\nNext: See what listens on port 80 (on that host: `sudo ss -ltnp`).\n"
               f"• Check again whether 127.0.0.1:{port} accepts connections: `!tcp_check host=127.0.0.1 port={port}`")

    def reply(body: dict[str, Any]) -> dict[str, Any]:
        prompt = FakeOpenAI.text_of(body)
        if "Results of the steps planned so far" in prompt:
            return tool_call(body, {"goal": "", "steps": [], "answer": finding})
        if "nginx.png" in prompt:
            return tool_call(body, {"goal": "Check what the screenshot shows", "answer": "", "steps": [
                {"tool": "tcp_check", "args": {"host": "127.0.0.1", "port": port},
                 "reason": "from the screenshot: curl could not connect"}]})
        return tool_call(body, {"goal": "", "steps": [], "answer": "Noted."})

    async with FakeOpenAI(reply) as server:
        bot = await make_bot(planner(server), perceiver=shared_perceiver)
        bot.hub.registry.add(tcp_check, source="builtin")

        async def fetch(attachment: Attachment, max_bytes: int) -> bytes:
            return screen

        bot.hub.add_fetcher("console", fetch)
        await bot.say("we moved nginx to the new web-7 box at noon")
        await bot.hub.handle(Inbound(event_id="e-shot", thread=ThreadRef(platform="console", thread="t1"),
                                     user=ALICE, text="what is wrong here?",
                                     attachments=[Attachment(name="nginx.png", mime_type="image/png")]))
        [card] = [plan for plan in bot.of_type("plan") if plan.status is PlanStatus.proposed]
        [step] = card.steps
        assert step.tool == "tcp_check" and step.tainted  # its values are only in the screenshot: it waits
        await bot.hub.decide(Decision(plan_id=card.id, approve=True, user=ALICE))

        finished = [e for e in bot.of_type("step") if e.status is StepStatus.succeeded]
        assert [(e.outcome, e.summary) for e in finished] == [("problem", f"127.0.0.1:{port} refuses connections")]
        assert bot.of_type("answer")[-1].text == finding  # the model wrote the conclusion
        # its next step that a tool can do is a one-click follow-up, as on the embedded default
        assert [(o.label, o.request) for o in bot.of_type("answer")[-1].next_steps] == [
            (f"Check again whether 127.0.0.1:{port} accepts connections", f"!tcp_check host=127.0.0.1 port={port}")]

        plan_request, answer_request = server.requests[-2:]
        for body in (plan_request, answer_request):
            prompt = FakeOpenAI.text_of(body)
            # the thread's history, the attachment as data, and whose words are whose
            assert "we moved nginx to the new web-7 box at noon" in prompt
            assert re.search(r"<data>[^<]*bind\(\) to 0\.0\.0\.0:80 failed \(98: Address already in use\)", prompt)
            assert "only these are the user's own words" in prompt
            assert re.search(r"only these are the user's own words[^<]*<data>\s*what is wrong here\?\s*</data>", prompt)
            # the knowledge base's matches, given as data
            known = prompt.split("Known failures that match the evidence", 1)[1]
            assert known.lstrip().startswith("(from the diagnosis knowledge base):\n<data>")
            assert "- address-in-use: nginx could not listen on port 80: another process already holds" in known
        answer_prompt = FakeOpenAI.text_of(answer_request)
        assert f"tcp_check {{\"host\": \"127.0.0.1\", \"port\": {port}}} → succeeded (found a problem: " \
               f"127.0.0.1:{port} refuses connections)" in answer_prompt
        assert f"- connection-refused: nothing listens on 127.0.0.1:{port}" in answer_prompt
        assert "open with the finding in one or two plain sentences" in answer_prompt  # the instructions
        assert "the chat shows it as a button that asks for that step" in answer_prompt


# --- the shapes a reply can take ---------------------------------------------------------------


async def test_a_json_schema_reply_arrives_as_a_stream() -> None:
    def reply(body: dict[str, Any]) -> str:
        assert body["stream"] is True and body["response_format"]["type"] == "json_schema"
        return json.dumps({"goal": "Is db.internal:5432 open", "answer": "", "steps": [
            {"tool": "tcp_check", "args": {"host": "db.internal", "port": 5432}, "reason": "the request names it"}]})

    async with FakeOpenAI(reply) as server:
        outcome = await planner(server, native=True, stream=True).plan(request())
    assert isinstance(outcome, Plan)
    assert [(s.tool, s.args) for s in outcome.steps] == [("tcp_check", {"host": "db.internal", "port": 5432})]
    assert len(server.requests) == 1 and server.requests[0]["stream"] is True


async def test_a_tool_call_reply_arrives_as_a_stream() -> None:
    async with FakeOpenAI(lambda body: tool_call(body, {"goal": "", "steps": [], "answer": "Nothing to run."})) \
            as server:
        outcome = await planner(server, stream=True).plan(request("hello"))
    assert outcome == Answer(text="Nothing to run.")
    assert server.requests[0]["stream"] is True and server.requests[0]["tool_choice"] == "required"


async def test_malformed_json_is_sent_back_once_then_reported() -> None:
    async with FakeOpenAI(lambda body: '{"goal": "check", "steps": [') as server:
        with pytest.raises(PlannerError, match="the model returned something I could not use"):
            await planner(server, native=True).plan(request())
    assert len(server.requests) == 2  # one retry, with the problem said to the model
    retry = FakeOpenAI.text_of(server.requests[1])
    assert "Invalid JSON" in retry or "json_invalid" in retry or "Validation feedback" in retry


async def test_malformed_json_then_a_good_reply_plans() -> None:
    replies = iter(['{"goal": ', json.dumps({"goal": "", "steps": [], "answer": "fine"})])
    async with FakeOpenAI(lambda body: next(replies)) as server:
        outcome = await planner(server, native=True).plan(request())
    assert outcome == Answer(text="fine") and len(server.requests) == 2


async def test_a_model_that_does_not_answer_in_time_is_a_planner_error() -> None:
    async with FakeOpenAI(lambda body: "{}", delay=3) as server:
        with pytest.raises(PlannerError, match=r"the model did not answer within 0\.5 s"):
            await planner(server, native=True, timeout=0.5).plan(request())


async def test_a_429_is_retried_and_then_planned() -> None:
    calls: list[int] = []

    def reply(body: dict[str, Any]) -> str | web.Response:
        calls.append(1)
        if len(calls) == 1:
            response = error_reply(429, "Rate limit reached for requests")
            response.headers["retry-after-ms"] = "50"
            return response
        return json.dumps({"goal": "", "steps": [], "answer": "after the wait"})

    async with FakeOpenAI(reply) as server:
        outcome = await planner(server, native=True).plan(request())
    assert outcome == Answer(text="after the wait") and len(server.requests) == 2


async def test_a_429_that_lasts_is_reported_plainly() -> None:
    def reply(body: dict[str, Any]) -> web.Response:
        response = error_reply(429, "Rate limit reached for requests")
        response.headers["retry-after-ms"] = "10"
        return response

    async with FakeOpenAI(reply) as server:
        with pytest.raises(PlannerError) as caught:
            await planner(server, native=True).plan(request())
    assert str(caught.value).startswith("the model could not be reached") and "429" in str(caught.value)
    assert len(server.requests) == 3  # the OpenAI client's own two retries, then the error


async def test_the_knowledge_base_matches_reach_the_model_from_step_results() -> None:
    executed = Plan(goal="check", steps=[])
    from chatops.bot.model import Step

    executed.steps = [Step(tool="http_check", args={"url": "https://old.example"}, status=StepStatus.succeeded,
                           outcome="problem", summary="old.example is unreachable: TLS certificate error: "
                                                      "certificate has expired")]
    async with FakeOpenAI(lambda body: json.dumps({"goal": "", "steps": [], "answer": "renew it"})) as server:
        outcome = await planner(server, native=True).plan(request("is old.example fine?", executed=[executed],
                                                                  round=2))
    assert outcome == Answer(text="renew it")
    prompt = FakeOpenAI.text_of(server.requests[0])
    assert "- tls-expired: the TLS certificate of old.example has expired" in prompt
    assert "[seen in http_check: " in prompt
