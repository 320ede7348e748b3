"""The agent follows the thread (issue 11): follow-ups through the hub and the HTTP API, the model
planner's context, conditional requests over two rounds, and early validation of arguments."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic_ai.messages import ModelMessage, ModelResponse
from pydantic_ai.models.function import AgentInfo, FunctionModel

from chatops.bot.agent.guided import GuidedPlanner
from chatops.bot.config import RunbookConfig
from chatops.bot.model import Decision, PlanStatus, Risk, StepStatus, UserRef
from chatops.tools.builtin.http_check import http_check
from chatops.tools.runbooks import runbook_tool
from tests.conftest import ScriptedModel, reply

ALICE = UserRef(platform="console", id="alice", name="alice")


def no_model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    raise AssertionError("the guided planner should not need the model here")


def guided() -> GuidedPlanner:
    return GuidedPlanner(FunctionModel(no_model))


def steps_of(bot: Any) -> list[tuple[str, dict[str, Any]]]:
    return [(step.tool, step.args) for plan in bot.of_type("plan") if plan.status is PlanStatus.proposed
            or plan.status is PlanStatus.running for step in plan.steps]


async def latest_plan(bot: Any):
    plans = await bot.store.thread_plans("console:t1")
    return plans[-1]


# --- follow-ups through the hub ------------------------------------------------------------------


async def test_follow_ups_repeat_and_replace_arguments_of_the_last_plan(make_bot):
    bot = await make_bot(guided())

    await bot.say("ping db1.example.com")
    await bot.say("check it again")
    await bot.say("what about db2.example.com?")
    await bot.say("thanks!")

    assert bot.calls.of("ping") == [{"host": "db1.example.com"}, {"host": "db1.example.com"},
                                    {"host": "db2.example.com"}]
    assert bot.of_type("answer")[-1].text == "You're welcome."
    assert len(await bot.store.thread_plans("console:t1")) == 3  # the thanks planned nothing


async def test_a_denied_write_step_asked_again_is_a_new_plan_that_needs_a_new_approval(make_bot):
    bot = await make_bot(guided())

    await bot.say("restart the unit web")
    first = await latest_plan(bot)
    assert [(s.tool, s.args) for s in first.steps] == [("restart", {"unit": "web"})]
    await bot.hub.decide(Decision(plan_id=first.id, approve=False, user=ALICE))

    await bot.say("ok, restart it now")  # "now" is not a request for the time
    second = await latest_plan(bot)
    assert second.id != first.id and second.status is PlanStatus.proposed
    assert [(s.tool, s.args, s.risk) for s in second.steps] == [("restart", {"unit": "web"}, Risk.write)]
    assert bot.calls.of("restart") == []  # nothing runs before the new approval
    await bot.hub.decide(Decision(plan_id=second.id, approve=True, user=ALICE))
    assert bot.calls.of("restart") == [{"unit": "web"}]


async def test_the_model_planner_sees_the_history_and_the_earlier_plans_with_their_results(make_bot):
    model = ScriptedModel([
        reply({"tool": "ping", "args": {"host": "db1.example.com"}}),
        reply(answer="db1 answers"),
        reply({"tool": "ping", "args": {"host": "db1.example.com"}}),
        reply(answer="still fine"),
    ])
    bot = await make_bot(model.planner())

    await bot.say("is db1.example.com alive?")
    await bot.say("check it again")

    third = model.prompts[2]  # the first round of the follow-up
    assert "check it again" in third
    assert "is db1.example.com alive?" in third  # the conversation so far
    assert "Earlier plans in this thread" in third
    assert 'ping {"host": "db1.example.com"} → succeeded' in third
    assert "pong from db1.example.com" in third  # and what they found
    assert bot.calls.of("ping") == [{"host": "db1.example.com"}] * 2


# --- conditional requests ------------------------------------------------------------------------


async def test_a_conditional_action_is_proposed_only_when_the_check_finds_a_problem(make_bot, http_server):
    bot = await make_bot(guided())
    bot.hub.registry.add(http_check)

    await bot.say(f"check {http_server}/broken and restart web if it is down")

    plans = await bot.store.thread_plans("console:t1")
    assert [[s.tool for s in plan.steps] for plan in plans] == [["http_check"], ["restart"]]
    check, action = plans
    assert check.steps[0].status is StepStatus.succeeded and check.steps[0].outcome == "problem"
    assert action.status is PlanStatus.proposed and action.steps[0].args == {"unit": "web"}
    assert bot.calls.of("restart") == []  # waits for approval
    await bot.hub.decide(Decision(plan_id=action.id, approve=True, user=ALICE))
    assert bot.calls.of("restart") == [{"unit": "web"}]


async def test_a_conditional_action_is_not_proposed_when_the_check_is_fine(make_bot, http_server):
    bot = await make_bot(guided())
    bot.hub.registry.add(http_check)

    await bot.say(f"check {http_server}/health and restart web if it is down")

    plans = await bot.store.thread_plans("console:t1")
    assert [[s.tool for s in plan.steps] for plan in plans] == [["http_check"]]
    answer = bot.of_type("answer")[-1]
    assert "did not restart web" in answer.text and answer.plan_id == plans[0].id
    assert bot.calls.of("restart") == []


async def test_two_questions_stay_one_plan_with_two_read_steps(make_bot, http_server):
    bot = await make_bot(guided())
    bot.hub.registry.add(http_check)

    await bot.say(f"is {http_server}/health up and can you ping db1.example.com?")

    plans = await bot.store.thread_plans("console:t1")
    assert [[s.tool for s in plan.steps] for plan in plans] == [["http_check", "ping"]]


# --- early validation ----------------------------------------------------------------------------


restart_service = runbook_tool(RunbookConfig.model_validate({
    "name": "restart_service", "description": "Restart a systemd unit", "risk": "write",
    "argv": ["false", "{unit}"], "params": {"unit": {"type": "string", "pattern": "^[a-z0-9@._-]+$"}}}))


@pytest.mark.parametrize("command", [
    "!restart_service unit='web; rm -rf /'",
    "!restart_service unit=-rf",
    "!restart_service unit='web\x07'",
])
async def test_a_step_whose_arguments_can_never_pass_is_never_shown_with_buttons(make_bot, command):
    bot = await make_bot(guided())
    bot.hub.registry.add(restart_service)

    await bot.say(command)

    assert bot.of_type("plan") == []  # no card, so no Approve button
    assert await bot.store.pending_plans() == []
    answer = bot.of_type("answer")[-1].text
    assert answer.startswith("I did not propose that, because it could not run: restart_service: unit:")
    assert "Nothing was run" in answer
    assert any(e["kind"] == "plan.invalid" for e in await bot.store.audit_log(20))


async def test_a_model_step_with_an_impossible_argument_is_refused_before_the_card(make_bot):
    model = ScriptedModel([reply({"tool": "restart_service", "args": {"unit": "web; rm -rf /"}})])
    bot = await make_bot(model.planner())
    bot.hub.registry.add(restart_service)

    await bot.say("restart web")

    assert bot.of_type("plan") == []
    assert "unit:" in bot.of_type("answer")[-1].text
