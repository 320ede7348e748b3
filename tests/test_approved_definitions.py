"""An approval runs the tool definition its approver saw, whatever reload happens in between
(issue 22, item 1): each step stores the fingerprint of the definition it was proposed with, so
neither a flood of plans (which used to evict the in-memory pins) nor a restart lets a reload
swap a `write` tool for a `danger` one under an approval; and one user cannot flood the
approval queue (`agent.max_plans_per_minute`)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from chatops.bot.config import load_config
from chatops.bot.model import Decision, PlanStatus, StepStatus
from chatops.bot.runtime import start_runtime
from tests.conftest import Bot, Calls
from tests.mcp.conftest import person

PLUGIN = '''
from pathlib import Path
from chatops.tools import tool

@tool(risk="{risk}")
def scale(service: str) -> str:
    """Scale a service."""
    Path({marker!r}).write_text("{version}")
    return "{version}"
'''

ROLES = """
[agent]
max_plans_per_minute = {limit}
[roles.writers]
console = ["wendy"]
[roles.oncall]
console = ["olga"]
[policy]
approve_write = ["writers", "oncall"]
approve_danger = ["oncall"]
"""


def setup(tmp_path: Path, limit: int) -> tuple[Path, Path]:
    folder = tmp_path / "chatops_tools"
    folder.mkdir()
    marker = tmp_path / "ran"
    (folder / "scaling.py").write_text(PLUGIN.format(risk="write", marker=str(marker), version="v1-write"))
    path = tmp_path / "chatops.toml"
    path.write_text(textwrap.dedent(f"""
        [storage]
        path = "{tmp_path / 'chatops.db'}"
        [console]
        user = "olga"
        [tools]
        plugins = false
        paths = ["{folder}"]
    """) + ROLES.format(limit=limit))
    return path, marker


def make_it_danger(tmp_path: Path, marker: Path) -> None:
    (tmp_path / "chatops_tools" / "scaling.py").write_text(
        PLUGIN.format(risk="danger", marker=str(marker), version="v2-danger"))


async def started(path: Path) -> tuple[Bot, object]:
    config = load_config(path, environ={})
    runtime = await start_runtime(config, load_model=False)
    events: list = []

    async def collect(thread, event) -> None:
        events.append((thread, event))

    runtime.hub.add_sink(collect)
    return Bot(hub=runtime.hub, store=runtime.store, calls=Calls(), events=events, config=config), runtime


async def test_a_flood_of_plans_then_a_reload_to_danger_cannot_change_what_a_write_approval_runs(tmp_path):
    path, marker = setup(tmp_path, limit=5000)
    bot, runtime = await started(path)
    try:
        for number in range(1001):  # a user with no role fills the queue (main kept 1,000 pins)
            await bot.say(f"!scale service=s{number}", user=person("mallory"), thread=f"t{number}",
                          event_id=f"flood-{number}")
        plans = bot.of_type("plan")
        assert len(plans) == 1001 and all(plan.status is PlanStatus.proposed for plan in plans)
        first = plans[0]

        make_it_danger(tmp_path, marker)
        await bot.say("!reload", user=person("olga"), thread="ops")
        assert "changed: scale" in bot.of_type("answer")[-1].text
        assert runtime.registry.get("scale").risk.value == "danger"

        outcome = await bot.hub.decide(Decision(plan_id=first.id, approve=True, user=person("wendy"),
                                                source="test"))

        # main ran "v2-danger": the first plan's pin was evicted and the new version ran
        assert outcome.accepted and marker.read_text() == "v1-write"  # the approved definition ran
    finally:
        await runtime.close()


async def test_after_a_restart_an_approval_of_a_tool_that_changed_is_refused_and_the_card_says_so(tmp_path):
    path, marker = setup(tmp_path, limit=60)
    bot, runtime = await started(path)
    try:
        await bot.say("!scale service=web", user=person("mallory"))
        pending = bot.of_type("plan")[-1]
        assert pending.status is PlanStatus.proposed
    finally:
        await runtime.close()

    make_it_danger(tmp_path, marker)  # the restart loads the danger version: nothing of v1 in memory
    bot, runtime = await started(path)
    try:
        outcome = await bot.hub.decide(Decision(plan_id=pending.id, approve=True, user=person("wendy"),
                                                source="test"))

        assert not marker.exists()  # neither version ran
        assert not outcome.accepted
        assert "the tool scale changed after this plan was proposed (its risk is now danger, it was write)" \
            in outcome.reason
        plan = await bot.store.get_plan(pending.id)
        assert plan.status is PlanStatus.denied and plan.steps[0].status is StepStatus.denied
        card = bot.of_type("plan")[-1]
        assert card.id == pending.id and card.status is PlanStatus.denied  # no buttons left
        assert bot.of_type("answer")[-1].text.startswith("Not run: the tool scale changed")
        # a later click (even from someone who may approve danger) cannot revive it
        again = await bot.hub.decide(Decision(plan_id=pending.id, approve=True, user=person("olga"), source="test"))
        assert not again.accepted and not marker.exists()
        refused = [e for e in await bot.store.audit_log(50) if e["kind"] == "decision.refused"]
        assert any("changed after this plan was proposed" in e["detail"]["reason"] for e in refused)
    finally:
        await runtime.close()


async def test_one_user_cannot_have_more_plans_made_than_the_configured_rate(tmp_path):
    path, _ = setup(tmp_path, limit=5)
    bot, runtime = await started(path)
    try:
        for number in range(6):
            await bot.say(f"!scale service=s{number}", user=person("mallory"), thread=f"t{number}",
                          event_id=f"burst-{number}")
        assert len(bot.of_type("plan")) == 5
        answer = bot.of_type("answer")[-1].text
        assert answer.startswith("You are asking for plans that need an approval faster than 5 a minute")
        assert "nothing was run" in answer
        assert any(e["kind"] == "plan.rate_limited" for e in await bot.store.audit_log(50))
        history = await bot.store.thread_history(bot.of_type("answer")[-1].thread, limit=5)
        assert [m["text"] for m in history if m["role"] == "user"] == ["!scale service=s5"]  # kept, not planned

        await bot.say("!scale service=other", user=person("wendy"), thread="w")  # someone else is not limited
        assert bot.of_type("plan")[-1].steps[0].args == {"service": "other"}
    finally:
        await runtime.close()
