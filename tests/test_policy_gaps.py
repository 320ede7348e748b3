"""Policy gaps of issue 12, failure 9: with roles configured, nobody approves their own danger
step (the token-less local operator included) unless `policy.allow_self_approval` says so."""

from __future__ import annotations

from chatops.bot.model import Decision, UserRef

OPERATOR = UserRef(platform="local", id="operator", name="operator")
ROLES = {"oncall": {"http": ["alice"], "console": ["bob"]}}


async def test_the_local_operator_cannot_approve_their_own_danger_step_once_roles_exist(make_bot):
    bot = await make_bot(None, roles=ROLES)
    await bot.say("!drop_database name=prod", user=OPERATOR, platform="local")
    plan = bot.of_type("plan")[0]
    refused = await bot.hub.decide(Decision(plan_id=plan.id, approve=True, user=OPERATOR))
    assert not refused.accepted and "other than the requester" in refused.reason
    assert bot.calls.of("drop_database") == []
    other = UserRef(platform="console", id="bob", name="bob")  # an oncall member who did not ask
    assert (await bot.hub.decide(Decision(plan_id=plan.id, approve=True, user=other))).accepted
    assert bot.calls.of("drop_database") == [{"name": "prod"}]


async def test_a_single_operator_setup_may_allow_self_approval(make_bot):
    bot = await make_bot(None, roles=ROLES, policy={"allow_self_approval": True})
    await bot.say("!drop_database name=scratch", user=OPERATOR, platform="local")
    outcome = await bot.hub.decide(Decision(plan_id=bot.of_type("plan")[0].id, approve=True, user=OPERATOR))
    assert outcome.accepted and bot.calls.of("drop_database") == [{"name": "scratch"}]


async def test_without_roles_the_operator_still_owns_the_machine(make_bot):
    bot = await make_bot(None)
    await bot.say("!drop_database name=scratch", user=OPERATOR, platform="local")
    outcome = await bot.hub.decide(Decision(plan_id=bot.of_type("plan")[0].id, approve=True, user=OPERATOR))
    assert outcome.accepted


async def test_write_steps_stay_self_approvable_for_the_operator(make_bot):
    bot = await make_bot(None, roles=ROLES)
    await bot.say("!restart unit=web", user=OPERATOR, platform="local")
    outcome = await bot.hub.decide(Decision(plan_id=bot.of_type("plan")[0].id, approve=True, user=OPERATOR))
    assert outcome.accepted and bot.calls.of("restart") == [{"unit": "web"}]
