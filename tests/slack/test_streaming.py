"""A turn as one streamed Slack message: `chat.startStream` / `appendStream` / `stopStream`
through slack_sdk's `chat_stream()`, against the fake Web API that checks the chunks' shapes.

The plan arrives as `plan_update` + one `task_update` per step (pending → in_progress →
complete / error, the step's summary as `output`), the answer as `markdown_text` in the same
message; a plan that waits ends its stream with Approve / Deny. Where Slack refuses streams the
channel gets the edited card, once tried and with nothing said to users.
"""

from __future__ import annotations

import json

from slack_sdk.models.messages.chunk import TaskUpdateChunk

from chatops.adapters.slack.cards import APPROVE_ACTION, DENY_ACTION
from chatops.adapters.slack.streaming import task_chunk
from chatops.bot.model import Risk, Step, StepStatus
from tests.conftest import ScriptedModel, reply
from tests.fakes.slack_api import TEAM_ID
from tests.slack.conftest import ALICE, BOB, CHANNEL


def buttons(message: dict) -> list[dict]:
    return [e for b in message.get("blocks", []) if b["type"] == "actions" for e in b["elements"]]


def task_history(fake, ts: str) -> dict[str, list[str]]:
    """step id → the statuses its task went through in the message `ts`, in order."""
    history: dict[str, list[str]] = {}
    for chunk in fake.message(CHANNEL, ts)["chunks"]:
        if chunk["type"] == "task_update" and history.get(chunk["id"], [None])[-1] != chunk["status"]:
            history.setdefault(chunk["id"], []).append(chunk["status"])
    return history


async def test_a_read_only_turn_is_one_streamed_message_with_tasks_and_the_answer(start_slack, fake_slack):
    fake_slack.streaming_refusal = None
    model = ScriptedModel([reply({"tool": "ping", "args": {"host": "web1"}}, {"tool": "ping", "args": {"host": "db1"}},
                                 goal="check web1 and db1"),
                           reply(answer="**Both up**: web1 and db1 answer.")])
    slack = await start_slack(model.planner())

    event = await slack.mention("are web1 and db1 up?")
    await slack.answer(CHANNEL, event["ts"], "Both up")
    await slack.adapter.settle()

    replies = fake_slack.bot_replies(CHANNEL, event["ts"])
    assert len(replies) == 1, [r.get("text") for r in replies]  # one message per turn: no card, no "Done:" echo
    message = replies[0]
    start = fake_slack.calls_of("chat.startStream", ok_only=True)[0].args
    assert start["thread_ts"] == event["ts"] and start["task_display_mode"] == "plan"
    assert (start["recipient_user_id"], start["recipient_team_id"]) == (ALICE, TEAM_ID)  # needed in a channel
    assert message["plan_title"] == "check web1 and db1"
    history = task_history(fake_slack, message["ts"])
    # the first step was already running when the plan was first shown; the second waited its turn
    assert list(history.values()) == [["in_progress", "complete"], ["pending", "in_progress", "complete"]]
    tasks = list(message["tasks"].values())
    assert [t["title"] for t in tasks] == ["ping host=web1", "ping host=db1"]
    assert [t["output"] for t in tasks] == ["pong from web1", "pong from db1"]
    assert message["text"].endswith("**Both up**: web1 and db1 answer.")  # markdown, as written
    assert fake_slack.streams[message["ts"]]["state"] == "stopped"
    assert not fake_slack.calls_of("chat.postMessage") and not fake_slack.calls_of("chat.update")
    assert slack.bot.calls.of("ping") == [{"host": "web1"}, {"host": "db1"}]


async def test_a_plan_that_waits_ends_its_stream_with_the_buttons_and_the_run_streams_below(start_slack, fake_slack):
    fake_slack.streaming_refusal = None
    model = ScriptedModel([reply({"tool": "restart", "args": {"unit": "web"}, "reason": "it hangs"},
                                 goal="restart web"),
                           reply(answer="web is back")])
    slack = await start_slack(model.planner())

    event = await slack.mention("restart web")
    card = await slack.fake.wait_for(lambda: next((m for m in fake_slack.bot_replies(CHANNEL, event["ts"])
                                                   if buttons(m)), None), what="the buttons")
    plan_id = buttons(card)[0]["value"]
    assert [(b["action_id"], b["value"]) for b in buttons(card)] == [(APPROVE_ACTION, plan_id), (DENY_ACTION, plan_id)]
    assert fake_slack.streams[card["ts"]]["state"] == "stopped"  # the buttons end the stream
    assert [t["status"] for t in card["tasks"].values()] == ["pending"]
    assert "it hangs" in next(iter(card["tasks"].values()))["details"]
    assert slack.bot.calls.of("restart") == []
    ref = await slack.fake.wait_for(lambda: slack.bot.store.ref_of("slack", "plan_card", plan_id), what="the ref")
    assert ref == {"channel": CHANNEL, "ts": card["ts"], "thread_ts": event["ts"], "streamed": True, "stopped": True}

    assert await slack.click(card, user=BOB) == 200

    await slack.answer(CHANNEL, event["ts"], "web is back")
    await slack.adapter.settle()
    decided = fake_slack.message(CHANNEL, card["ts"])
    assert buttons(decided) == []
    assert "*Approved* by bob" in json.dumps(decided["blocks"]) and "run follows below" in json.dumps(decided["blocks"])
    replies = fake_slack.bot_replies(CHANNEL, event["ts"])
    assert len(replies) == 2  # the proposal, then the run with its answer
    run = replies[1]
    assert task_history(fake_slack, run["ts"]) == {next(iter(card["tasks"])): ["in_progress", "complete"]}
    assert next(iter(run["tasks"].values()))["output"] == "web restarted"
    assert "restart: restarting web" in run["text"]  # the tool's progress, in the stream
    assert run["text"].rstrip().endswith("web is back")
    assert slack.bot.calls.of("restart") == [{"unit": "web"}]


async def test_a_denied_plan_says_so_on_its_message_and_runs_nothing(start_slack, fake_slack):
    fake_slack.streaming_refusal = None
    model = ScriptedModel([reply({"tool": "restart", "args": {"unit": "web"}}, goal="restart web")])
    slack = await start_slack(model.planner())
    event = await slack.mention("restart web")
    card = await slack.fake.wait_for(lambda: next((m for m in fake_slack.bot_replies(CHANNEL, event["ts"])
                                                   if buttons(m)), None), what="the buttons")

    await slack.deny(card, user=BOB, reason="not during the sale")

    await slack.fake.wait_for(lambda: "Denied" in json.dumps(fake_slack.message(CHANNEL, card["ts"])["blocks"]),
                              what="the denial")
    await slack.answer(CHANNEL, event["ts"], "Reason: “not during the sale”")  # the reason, in the thread
    await slack.adapter.settle()
    assert buttons(fake_slack.message(CHANNEL, card["ts"])) == []
    assert slack.bot.calls.of("restart") == []
    [decided] = await slack.bot.store.audit_log(kind="plan.decided")
    assert decided["detail"]["decision"] == "deny" and decided["detail"]["note"] == "not during the sale"


async def test_where_slack_refuses_streams_the_channel_gets_the_card_after_one_try(start_slack, fake_slack):
    fake_slack.streaming_refusal = "missing_scope"
    model = ScriptedModel([reply({"tool": "ping", "args": {"host": "web1"}}), reply(answer="web1 is up"),
                           reply({"tool": "ping", "args": {"host": "db1"}}), reply(answer="db1 is up")])
    slack = await start_slack(model.planner())

    first = await slack.mention("is web1 up?")
    await slack.answer(CHANNEL, first["ts"], "web1 is up")
    second = await slack.mention("is db1 up?")
    await slack.answer(CHANNEL, second["ts"], "db1 is up")
    await slack.adapter.settle()

    assert len(fake_slack.calls_of("chat.startStream")) == 1  # tried once in the channel, then cards
    card = await slack.card(CHANNEL, first["ts"])
    assert "pong from web1" in json.dumps(card["blocks"])
    for asked in (first, second):  # one message per turn: the card carries the answer (main: card + answer)
        replies = fake_slack.bot_replies(CHANNEL, asked["ts"])
        assert len(replies) == 1, [r.get("text") for r in replies]
    card = fake_slack.message(CHANNEL, card["ts"])
    assert card["text"] == "web1 is up" and card["blocks"][-1]["type"] == "context_actions"
    assert card["blocks"][-2]["text"]["text"] == "web1 is up" and card["blocks"][-3]["type"] == "divider"
    everything = " ".join(m.get("text", "") for m in fake_slack.messages[CHANNEL])
    assert "missing_scope" not in everything and "stream" not in everything.lower()
    assert fake_slack.ephemeral == []


async def test_in_the_card_fallback_an_approved_turn_is_still_one_message(start_slack, fake_slack):
    """Where streams are refused: the card is posted, approved, edited as the step runs, and the
    answer lands on it; nothing else is posted in the thread."""
    model = ScriptedModel([reply({"tool": "restart", "args": {"unit": "web"}}, goal="restart web"),
                           reply(answer="**web** is back")])
    slack = await start_slack(model.planner())
    event = await slack.mention("restart web")
    card = await slack.card(CHANNEL, event["ts"])
    assert await slack.click(card, user=BOB) == 200
    await slack.answer(CHANNEL, event["ts"], "*web* is back")
    await slack.adapter.settle()
    replies = fake_slack.bot_replies(CHANNEL, event["ts"])
    assert len(replies) == 1, [r.get("text") for r in replies]
    blocks = json.dumps(replies[0]["blocks"])
    assert "*Approved* by" in blocks and "*web* is back" in blocks and "Done" in blocks
    assert slack.bot.calls.of("restart") == [{"unit": "web"}]


async def test_a_long_run_rolls_to_a_new_stream_and_shows_the_whole_plan_again(start_slack, fake_slack):
    fake_slack.streaming_refusal = None
    model = ScriptedModel([reply({"tool": "ping", "args": {"host": "web1"}}, {"tool": "ping", "args": {"host": "db1"}},
                                 goal="check both"),
                           reply(answer="both answer")])
    slack = await start_slack(model.planner())
    slack.adapter.delivery.streams.roll_after = 0.0  # every event is "too late" for the open stream

    event = await slack.mention("check web1 and db1")
    await slack.answer(CHANNEL, event["ts"], "both answer")
    await slack.adapter.settle()

    replies = fake_slack.bot_replies(CHANNEL, event["ts"])
    assert len(replies) > 2
    for earlier in replies[:-1]:
        assert earlier["text"].endswith("_(continued in the next message)_")
        assert fake_slack.streams[earlier["ts"]]["state"] == "stopped"
    last = replies[-1]
    assert last["plan_title"] == "check both" and len(last["tasks"]) == 2  # the whole plan again
    assert [t["status"] for t in last["tasks"].values()] == ["complete", "complete"]
    assert last["text"].endswith("both answer")


async def test_a_stream_slack_closed_goes_on_in_a_new_message(start_slack, fake_slack):
    fake_slack.streaming_refusal = None
    fake_slack.stream_time_limit = 0.0  # Slack ends every stream at once
    model = ScriptedModel([reply({"tool": "ping", "args": {"host": "web1"}}, goal="check web1"),
                           reply(answer="web1 answers")])
    slack = await start_slack(model.planner())

    event = await slack.mention("is web1 up?")
    await slack.answer(CHANNEL, event["ts"], "web1 answers", timeout=20)
    await slack.adapter.settle()

    refused = [c for c in fake_slack.calls_of("chat.appendStream") + fake_slack.calls_of("chat.stopStream")
               if c.response.get("error") == "message_not_in_streaming_state"]
    assert refused  # Slack did close them
    final = [m for m in fake_slack.bot_replies(CHANNEL, event["ts"]) if "web1 answers" in m["text"]]
    assert len(final) == 1
    assert slack.bot.calls.of("ping") == [{"host": "web1"}]


def test_a_task_carries_the_steps_summary_reason_and_provenance():
    step = Step(id="s-1", tool="http_check", args={"url": "http://10.0.0.5/health"}, risk=Risk.read,
                status=StepStatus.failed, error="connection refused\ntraceback…", reason="the user asked",
                provenance="values from the screenshot nginx.png: http://10.0.0.5/health")
    chunk = task_chunk(step)
    assert isinstance(chunk, TaskUpdateChunk)
    body = chunk.to_dict()
    assert body["type"] == "task_update" and body["status"] == "error"
    assert body["output"] == "connection refused"
    assert "the user asked" in body["details"] and "nginx.png" in body["details"]
    assert body["sources"] == [{"type": "url", "url": "http://10.0.0.5/health",
                                "text": "values from the screenshot nginx.png: http://10.0.0.5/health"}]
    waiting = task_chunk(Step(id="s-2", tool="restart", args={"unit": "web"}, risk=Risk.write)).to_dict()
    assert waiting["status"] == "pending" and "output" not in waiting


def test_the_fake_refuses_blocks_and_chunks_slack_sdk_would_not_build():
    from tests.fakes.slack_api import SlackError, _check_chunks, _check_content

    button = {"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": "x" * 76}, "value": "v"}
    for bad in ({"blocks": [{"type": "actions", "elements": [button]}]},  # a button's text: 75 at most
                {"blocks": [{"type": "no_such_block"}]}):
        try:
            _check_content(bad)
        except SlackError as exc:
            assert exc.code == "invalid_blocks"
        else:
            raise AssertionError(f"accepted {bad}")
    for bad in ({"chunks": [{"type": "task_update", "id": "s", "title": "t", "status": "done"}]},
                {"chunks": [{"type": "task_update", "id": "s", "title": "t", "status": "complete",
                             "sources": [{"type": "url", "url": "file:///etc", "text": "x"}]}]},
                {"chunks": [{"type": "sparkles"}]}):
        try:
            _check_chunks(bad)
        except SlackError as exc:
            assert exc.code == "invalid_chunks"
        else:
            raise AssertionError(f"accepted {bad}")


async def test_a_passing_fault_costs_one_turn_its_stream_not_the_channel(start_slack, fake_slack):
    fake_slack.streaming_refusal = None
    fake_slack.fail("chat.startStream", "internal_error", times=1)
    model = ScriptedModel([reply(answer="first"), reply(answer="second")])
    slack = await start_slack(model.planner())

    first = await slack.mention("hello")
    await slack.answer(CHANNEL, first["ts"], "first")
    second = await slack.mention("hello again")
    await slack.answer(CHANNEL, second["ts"], "second")
    await slack.adapter.settle()

    assert [c.response.get("error") for c in fake_slack.calls_of("chat.startStream")] == ["internal_error", None]
    assert not fake_slack.bot_replies(CHANNEL, first["ts"])[0].get("chunks")  # a plain message that time
    assert fake_slack.bot_replies(CHANNEL, second["ts"])[0]["chunks"]  # streamed again
