"""Markdown → mrkdwn, Slack text → plain text, and the plan card under Slack's limits."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from chatops.adapters.slack.cards import (
    APPROVE_ACTION,
    DENY_ACTION,
    MAX_BLOCKS,
    MAX_SECTION_TEXT,
    DecisionNote,
    plan_card,
)
from chatops.adapters.slack.mrkdwn import split_text, to_mrkdwn, to_plain
from chatops.bot.model import Plan, PlanStatus, Risk, Step, StepStatus, UserRef


def test_markdown_becomes_mrkdwn():
    markdown = ("# Status\n**web** is _up_ and *fine*, ~~down~~ not.\n- one\n* two\n"
                "See [the docs](https://x.example/a?b=1&c=2) & <this>.\n"
                "`**not bold**` and\n```python\nif a < b and c:\n    print('**x**')\n```\n")
    assert to_mrkdwn(markdown) == (
        "*Status*\n*web* is _up_ and _fine_, ~down~ not.\n• one\n• two\n"
        "See <https://x.example/a?b=1&amp;c=2|the docs> &amp; &lt;this&gt;.\n"  # Slack unescapes links too
        "`**not bold**` and\n```\nif a &lt; b and c:\n    print('**x**')\n```\n")


def test_links_from_output_can_never_ping_or_mention():
    """Text from tool output or a file may carry Markdown links; only web links become links."""
    assert to_mrkdwn("see [the log](!channel)") == "see [the log](!channel)"
    assert to_mrkdwn("[x](@U0ALICE01) and [y](!subteam^S123)") == "[x](@U0ALICE01) and [y](!subteam^S123)"
    assert to_mrkdwn("<!channel> and <@U0ALICE01>") == "&lt;!channel&gt; and &lt;@U0ALICE01&gt;"
    assert to_mrkdwn("[docs](https://example.org/a)") == "<https://example.org/a|docs>"
    assert to_mrkdwn("[a|b](https://e.org)") == "<https://e.org|a/b>"
    assert "<" not in to_mrkdwn("[x](https://a>b)")


def test_slack_text_becomes_what_the_person_typed():
    text = ("<@U0BOT00001> is <http://127.0.0.1:8080/health|127.0.0.1:8080/health> up? ask <@U0ALICE001|alice> "
            "in <#C0OPS00001|ops> <!here> &lt;now&gt; &amp; <mailto:a@b.example|a@b.example>")
    assert to_plain(text, bot_user_id="U0BOT00001") == (
        "is http://127.0.0.1:8080/health up? ask @alice in #ops @here <now> & a@b.example")


def test_long_text_is_split_at_line_ends_and_code_blocks_stay_closed():
    text = "intro\n\n```\n" + "\n".join(f"line {i:04d}" for i in range(800)) + "\n```\nend"
    pieces = split_text(text, 3000)
    assert all(len(piece) <= 3000 for piece in pieces) and len(pieces) > 2
    assert all(piece.count("```") % 2 == 0 for piece in pieces)
    joined = "\n".join(pieces)
    assert all(f"line {i:04d}" in joined for i in range(800))


def plan(steps: int = 2, *, status: PlanStatus = PlanStatus.proposed, risk: Risk = Risk.write) -> Plan:
    now = datetime.now(UTC)
    return Plan(id="p-1", thread_id="slack:C1:1.0", goal="restart <web> & more", status=status,
                requester=UserRef(platform="slack", id="U1", name="alice"), created_at=now,
                expires_at=now + timedelta(minutes=15),
                steps=[Step(id=f"s-{i}", tool="restart", args={"unit": f"web{i}"}, reason="asked", risk=risk,
                            status=StepStatus.proposed) for i in range(steps)])


def test_a_waiting_card_has_buttons_that_carry_only_the_plan_id():
    text, blocks = plan_card(plan())
    actions = [b for b in blocks if b["type"] == "actions"]
    assert text == "Plan: restart <web> & more (waits for approval)"
    buttons = [e for e in actions[0]["elements"] if e["type"] == "button"]
    assert [(e["action_id"], e["value"]) for e in buttons] == [(APPROVE_ACTION, "p-1"), (DENY_ACTION, "p-1")]
    # two steps wait: checkboxes, all ticked, choose which ones an approval covers
    choice = [e for e in actions[0]["elements"] if e["type"] == "checkboxes"]
    assert [o["value"] for o in choice[0]["initial_options"]] == ["s-0", "s-1"]
    rendered = json.dumps(blocks, ensure_ascii=False)
    assert "restart &lt;web&gt; &amp; more" in rendered and "`unit=web1`" in rendered and "`write`" in rendered
    assert "requested by alice" in rendered and "⏸ waiting for approval" in rendered
    assert "confirm" not in buttons[0]  # only danger steps ask "are you sure?"
    danger = next(b for b in plan_card(plan(risk=Risk.danger))[1] if b["type"] == "actions")["elements"]
    assert "confirm" in next(e for e in danger if e.get("action_id") == APPROVE_ACTION)


def test_a_decided_card_says_who_and_when_and_shows_results():
    finished = plan(status=PlanStatus.failed)
    finished.steps[0].status, finished.steps[0].result = StepStatus.succeeded, "web0 restarted"
    finished.steps[1].status, finished.steps[1].error = StepStatus.failed, "RuntimeError: unit web1 not found"
    _, blocks = plan_card(finished, DecisionNote(approve=True, by="bob", at=1_700_000_000))
    rendered = json.dumps(blocks, ensure_ascii=False)
    assert not [b for b in blocks if b["type"] == "actions"]
    assert "*Approved* by bob · <!date^1700000000^" in rendered
    assert "✓ web0 restarted" in rendered and "✗ RuntimeError: unit web1 not found" in rendered


def test_cards_keep_within_slacks_limits():
    huge = plan(60)
    for step in huge.steps:
        step.args = {f"k{i}": "v" * 500 for i in range(10)}
        step.reason = "r" * 5000
    _, blocks = plan_card(huge)
    assert len(blocks) <= MAX_BLOCKS
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert all(len(text) <= MAX_SECTION_TEXT for text in sections)
    assert sum(len(text) for text in sections) <= 40_000
    assert "more steps" in json.dumps(blocks) and blocks[-1]["type"] == "actions"  # the buttons survive


def test_a_finding_is_marked_as_a_problem_never_with_a_green_tick():
    finished = plan(1, status=PlanStatus.succeeded, risk=Risk.read)
    step = finished.steps[0]
    step.status, step.outcome, step.summary = StepStatus.succeeded, "problem", "db is down: connection refused"
    rendered = json.dumps(plan_card(finished)[1], ensure_ascii=False)
    assert "⚠ db is down: connection refused" in rendered and "⚠ Found a problem." in rendered
    assert "✓" not in rendered
