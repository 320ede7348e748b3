"""The agent loop end to end (hub → planner → policy → executor → storage), driven by scripted
pydantic-ai models and real tools on a real SQLite file."""

from __future__ import annotations

import asyncio

from chatops.bot.model import Decision, Inbound, PlanStatus, StepStatus, ThreadRef, UserRef
from chatops.storage import Store
from tests.conftest import ScriptedModel, reply


async def test_single_read_step_runs_at_once_and_the_planner_answers_from_the_result(make_bot):
    model = ScriptedModel([reply({"tool": "ping", "args": {"host": "db1"}}), reply(answer="db1 answers pong")])
    bot = await make_bot(model.planner())

    assert await bot.say("is db1 alive?")

    assert [e.type for _, e in bot.events] == ["plan", "step", "step", "answer"]
    plan = bot.of_type("plan")[0]
    assert plan.needs_approval is False and plan.steps[0].tool == "ping"
    assert [s.status for s in bot.of_type("step")] == [StepStatus.running, StepStatus.succeeded]
    assert bot.of_type("step")[1].result == "pong from db1"
    assert bot.of_type("answer")[0].text == "db1 answers pong"
    assert bot.calls.of("ping") == [{"host": "db1"}]
    assert "pong from db1" in model.prompts[1]  # the planner saw the result in round 2
    stored = await bot.store.get_plan(plan.id)
    assert stored.status is PlanStatus.succeeded and stored.steps[0].status is StepStatus.succeeded


async def test_write_step_waits_for_approval_while_leading_read_steps_run(make_bot, alice):
    model = ScriptedModel([
        reply({"tool": "ping", "args": {"host": "web"}}, {"tool": "restart", "args": {"unit": "web"}}),
        reply(answer="restarted web"),
    ])
    bot = await make_bot(model.planner())

    await bot.say("restart web if it answers")

    plan = bot.of_type("plan")[0]
    assert plan.needs_approval
    assert bot.calls.of("ping") == [{"host": "web"}]  # read step ran at once
    assert bot.calls.of("restart") == []  # write step waits
    assert (await bot.store.get_plan(plan.id)).status is PlanStatus.proposed

    outcome = await bot.hub.decide(Decision(plan_id=plan.id, approve=True, user=alice, source="test"))

    assert outcome.accepted
    assert bot.calls.of("restart") == [{"unit": "web"}]
    assert bot.calls.of("ping") == [{"host": "web"}]  # not run twice
    stored = await bot.store.get_plan(plan.id)
    assert [s.status for s in stored.steps] == [StepStatus.succeeded, StepStatus.succeeded]
    assert stored.steps[1].decided_by == "console:alice"
    assert bot.of_type("answer")[-1].text == "restarted web"
    assert any(e.type == "notice" and "restarting web" in e.text for _, e in bot.events)  # progress


async def test_a_failed_step_skips_the_rest_and_the_planner_replans_from_the_error(make_bot):
    model = ScriptedModel([
        reply({"tool": "broken", "args": {"reason": "disk full"}}, {"tool": "ping"}),
        reply({"tool": "ping", "args": {"host": "db2"}}),
        reply(answer="db1 is broken (disk full) but db2 answers"),
    ])
    bot = await make_bot(model.planner())

    await bot.say("check the databases")

    first, second = bot.of_type("plan")
    assert first.round == 1 and second.round == 2
    stored = await bot.store.get_plan(first.id)
    assert [s.status for s in stored.steps] == [StepStatus.failed, StepStatus.skipped]
    assert stored.status is PlanStatus.failed
    assert "RuntimeError: disk full" in stored.steps[0].error
    assert "disk full" in model.prompts[1]  # the re-plan saw the error
    assert bot.calls.of("ping") == [{"host": "db2"}]  # the skipped step never ran
    assert bot.of_type("answer")[-1].text.startswith("db1 is broken")


async def test_rounds_are_bounded_by_max_rounds(make_bot):
    model = ScriptedModel([reply({"tool": "ping"})])  # a planner that never stops planning
    bot = await make_bot(model.planner(), agent={"max_rounds": 2})

    await bot.say("ping forever")

    assert len(bot.of_type("plan")) == 2
    assert len(bot.calls.of("ping")) == 2
    assert bot.of_type("answer")[-1].text.startswith("Done:")


async def test_deny_runs_nothing_and_says_so(make_bot, alice):
    model = ScriptedModel([reply({"tool": "restart", "args": {"unit": "api"}}, {"tool": "ping"})])
    bot = await make_bot(model.planner())
    await bot.say("restart api")
    plan = bot.of_type("plan")[0]

    outcome = await bot.hub.decide(Decision(plan_id=plan.id, approve=False, user=alice))

    assert outcome.accepted and outcome.plan_status is PlanStatus.denied
    assert bot.calls.made == []
    stored = await bot.store.get_plan(plan.id)
    assert [s.status for s in stored.steps] == [StepStatus.denied, StepStatus.skipped]
    assert "nothing was changed" in bot.of_type("answer")[-1].text
    again = await bot.hub.decide(Decision(plan_id=plan.id, approve=True, user=alice))
    assert not again.accepted and again.reason == "the plan is already denied"
    assert bot.calls.made == []


async def test_an_expired_plan_cannot_be_approved(make_bot, alice):
    model = ScriptedModel([reply({"tool": "restart", "args": {"unit": "api"}})])
    bot = await make_bot(model.planner(), agent={"approval_ttl": 0.2})
    await bot.say("restart api")
    plan = bot.of_type("plan")[0]

    await asyncio.sleep(0.3)
    outcome = await bot.hub.decide(Decision(plan_id=plan.id, approve=True, user=alice))

    assert not outcome.accepted and "expired" in outcome.reason
    assert bot.calls.made == []
    stored = await bot.store.get_plan(plan.id)
    assert stored.status is PlanStatus.expired and stored.steps[0].status is StepStatus.expired
    assert any(e.type == "notice" and "expired" in e.text for _, e in bot.events)


async def test_the_sweeper_expires_plans_nobody_decides(make_bot):
    model = ScriptedModel([reply({"tool": "restart", "args": {"unit": "api"}})])
    bot = await make_bot(model.planner(), agent={"approval_ttl": 0.1})
    await bot.say("restart api")
    await asyncio.sleep(0.15)

    assert await bot.hub.expire_due() == [bot.of_type("plan")[0].id]
    assert await bot.hub.expire_due() == []  # once only


async def test_two_concurrent_approvals_run_the_step_once(make_bot, alice):
    model = ScriptedModel([reply({"tool": "restart", "args": {"unit": "api"}}), reply(answer="ok")])
    bot = await make_bot(model.planner())
    await bot.say("restart api")
    plan = bot.of_type("plan")[0]
    bob = UserRef(platform="console", id="bob", name="bob")

    outcomes = await asyncio.gather(
        bot.hub.decide(Decision(plan_id=plan.id, approve=True, user=alice)),
        bot.hub.decide(Decision(plan_id=plan.id, approve=True, user=bob)),
    )

    assert sorted(o.accepted for o in outcomes) == [False, True]
    assert bot.calls.of("restart") == [{"unit": "api"}]


async def test_two_processes_approving_the_same_plan_run_it_once(make_bot, alice):
    """Two hubs on one database file, as two bot processes would be: still one winner."""
    model = ScriptedModel([reply({"tool": "restart", "args": {"unit": "api"}}), reply(answer="ok")])
    first = await make_bot(model.planner())
    second = await make_bot(model.planner())
    await first.say("restart api")
    plan = first.of_type("plan")[0]

    outcomes = await asyncio.gather(*(
        bot.hub.decide(Decision(plan_id=plan.id, approve=True, user=alice)) for bot in (first, second, first, second)
    ))

    assert sum(o.accepted for o in outcomes) == 1
    assert len(first.calls.of("restart")) + len(second.calls.of("restart")) == 1


async def test_a_model_returning_garbage_gets_a_clear_answer_and_the_bot_keeps_going(make_bot):
    model = ScriptedModel(["this is not json at all", "still not json"])
    bot = await make_bot(model.planner())

    await bot.say("do something")

    assert bot.of_type("plan") == []
    assert any(e.type == "notice" and e.level == "error" for _, e in bot.events)
    assert "could not plan" in bot.of_type("answer")[-1].text
    assert await bot.store.pending_plans() == []
    assert any(e["kind"] == "plan.unavailable" for e in await bot.store.audit_log(50))
    # the next message still works, through the fast path
    await bot.say("!ping host=x")
    assert bot.calls.of("ping") == [{"host": "x"}]


async def test_unknown_tools_become_step_errors_and_invalid_arguments_are_refused_before_the_card(make_bot):
    model = ScriptedModel([
        reply({"tool": "launch_rockets", "args": {}}),
        reply({"tool": "ping", "args": {"host": 42}}),
        reply(answer="gave up"),
    ])
    bot = await make_bot(model.planner())

    await bot.say("launch")

    errors = [e.error for e in bot.of_type("step") if e.status is StepStatus.failed]
    assert errors == ["unknown tool 'launch_rockets'"]
    assert "unknown tool 'launch_rockets'" in model.prompts[1]
    # the second round's step can never pass its schema: it is never shown, the user is told why
    assert [step.tool for plan in bot.of_type("plan") for step in plan.steps] == ["launch_rockets"]
    answer = bot.of_type("answer")[-1].text
    assert "ping: host:" in answer and "Nothing was run" in answer
    assert any(e["kind"] == "plan.invalid" for e in await bot.store.audit_log(50))
    assert bot.calls.made == []


async def test_a_step_that_times_out_fails_without_ending_the_turn(make_bot):
    bot = await make_bot(None)
    await bot.say("!slow")
    finished = [e for e in bot.of_type("step") if e.status is StepStatus.failed]
    assert finished and finished[0].error == "slow timed out after 0.2 s"
    assert bot.of_type("answer")[-1].text.startswith("Something failed")


async def test_duplicate_deliveries_start_one_turn(make_bot):
    bot = await make_bot(None)
    assert await bot.say("!ping host=a", event_id="Ev1")
    assert not await bot.say("!ping host=a", event_id="Ev1")
    assert bot.calls.of("ping") == [{"host": "a"}]


async def test_chat_users_cannot_approve_without_roles_and_danger_needs_a_second_person(make_bot):
    roles = {"oncall": {"slack": ["U1", "U2", "S9"]}}
    bot = await make_bot(None, roles=roles)
    u1 = UserRef(platform="slack", id="U1", name="u1")
    u2 = UserRef(platform="slack", id="U2", name="u2")
    u3 = UserRef(platform="slack", id="U3", name="u3")
    grouped = UserRef(platform="slack", id="U4", name="u4", groups=("S9",))

    await bot.say("!drop_database name=prod", user=u1, platform="slack")
    plan = bot.of_type("plan")[0]
    refused_outsider = await bot.hub.decide(Decision(plan_id=plan.id, approve=True, user=u3))
    refused_self = await bot.hub.decide(Decision(plan_id=plan.id, approve=True, user=u1))
    assert not refused_outsider.accepted and "oncall" in refused_outsider.reason
    assert not refused_self.accepted and "other than the requester" in refused_self.reason
    assert bot.calls.made == []
    assert (await bot.store.get_plan(plan.id)).status is PlanStatus.proposed  # refusals change nothing

    approved = await bot.hub.decide(Decision(plan_id=plan.id, approve=True, user=u2))
    assert approved.accepted and bot.calls.of("drop_database") == [{"name": "prod"}]

    await bot.say("!restart unit=x", user=u3, platform="slack", thread="t2")
    write_plan = bot.of_type("plan")[-1]
    assert (await bot.hub.decide(Decision(plan_id=write_plan.id, approve=True, user=grouped))).accepted


async def test_without_roles_nobody_on_a_chat_platform_may_approve(make_bot):
    bot = await make_bot(None)
    slack_user = UserRef(platform="slack", id="U1", name="u1")
    await bot.say("!restart unit=x", user=slack_user, platform="slack")
    plan = bot.of_type("plan")[0]
    outcome = await bot.hub.decide(Decision(plan_id=plan.id, approve=True, user=slack_user))
    assert not outcome.accepted and "no roles are configured" in outcome.reason
    assert bot.calls.made == []


async def test_tool_roles_limit_who_may_request(make_bot, alice):
    roles = {"oncall": {"console": ["bob"]}}
    bot = await make_bot(None, roles=roles, runbooks=[])
    bot.hub.registry._tools["restart"] = bot.hub.registry.get("restart").__class__(
        **{**bot.hub.registry.get("restart").__dict__, "roles": ("oncall",)})
    await bot.say("!restart unit=x", user=alice)
    assert bot.of_type("plan") == []
    assert "may be requested only by: oncall" in bot.of_type("answer")[-1].text
    refused = [e for e in await bot.store.audit_log(50) if e["kind"] == "request.refused"]
    assert refused and refused[0]["actor"] == "console:alice" and refused[0]["detail"]["tools"] == ["restart"]


async def test_secrets_never_reach_the_thread_or_the_store(make_bot):
    bot = await make_bot(None, llm={"api_key": "sk-test-secret-12345"})
    await bot.say("!leak")
    shown = " ".join(str(e.model_dump()) for _, e in bot.events)
    assert "sk-test-secret-12345" not in shown and "[redacted]" in shown
    audit = await bot.store.audit_log(100)
    assert "sk-test-secret-12345" not in str(audit)
    plan = await bot.store.get_plan(bot.of_type("plan")[0].id)
    assert "sk-test-secret-12345" not in str(plan.steps[0].result)


async def test_a_restart_interrupts_running_steps_and_keeps_pending_plans_decidable(make_bot, alice, tmp_path):
    model = ScriptedModel([reply({"tool": "restart", "args": {"unit": "api"}}), reply(answer="ok")])
    bot = await make_bot(model.planner())
    await bot.say("restart api")
    pending = bot.of_type("plan")[0]
    await bot.say("!ping host=z", thread="t9")
    ran = await bot.store.get_plan(bot.of_type("plan")[-1].id)
    # simulate a crash mid-step: force a step back to running in the file
    await bot.store._dispatch(lambda: bot.store.db.execute("UPDATE steps SET status='running' WHERE id=?",
                                                           [ran.steps[0].id]))
    await bot.store._dispatch(lambda: bot.store.db.execute("UPDATE plans SET status='running' WHERE id=?", [ran.id]))
    await bot.hub.stop()
    await bot.store.close()

    reborn = await make_bot(model.planner())  # same database file
    interrupted = await reborn.store.get_plan(ran.id)
    assert interrupted.steps[0].status is StepStatus.interrupted and interrupted.status is PlanStatus.interrupted
    assert [p.id for p in await reborn.store.pending_plans()] == [pending.id]
    outcome = await reborn.hub.decide(Decision(plan_id=pending.id, approve=True, user=alice))
    assert outcome.accepted and reborn.calls.of("restart") == [{"unit": "api"}]
    assert reborn.calls.of("ping") == []  # the interrupted step was not re-run


async def test_store_on_a_fresh_file_has_no_pending_plans(tmp_path):
    store = await Store.open(tmp_path / "x.db")
    try:
        assert await store.pending_plans() == []
    finally:
        await store.close()


async def test_on_settled_fires_when_the_plan_is_on_show_before_read_steps_finish(make_bot):
    bot = await make_bot()
    moments: list[tuple[str, list[str]]] = []

    def settled() -> None:
        moments.append(("settled", [e.type for _, e in bot.events]))

    inbound = Inbound(event_id="settle-1", thread=ThreadRef(platform="console", thread="s1"),
                      user=UserRef(platform="console", id="alice", name="alice"), text="!ping host=db1")
    assert await bot.hub.handle(inbound, on_settled=settled)
    assert moments == [("settled", ["plan"])]  # before the step ran and before the answer
    assert [e.type for _, e in bot.events][-1] == "answer"
    # a repeated delivery settles too (nothing to wait for), exactly once
    again: list[str] = []
    assert not await bot.hub.handle(inbound, on_settled=lambda: again.append("x"))
    assert again == ["x"]
