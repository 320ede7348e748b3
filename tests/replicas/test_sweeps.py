"""Expiry sweeps and start-up republishing on several replicas (issue 15): every replica sweeps,
and each expired plan is marked, shown and announced by exactly one of them; a replica starting
while another lives republishes nothing of the live one's."""

from __future__ import annotations

import asyncio

from chatops.bot.model import NoticeEvent, PlanEvent, PlanStatus

SHORT = {"agent": {"approval_ttl": 0.3}}


def expiry_notices(*bots) -> list[NoticeEvent]:
    return [event for bot in bots for _, event in bot.events
            if isinstance(event, NoticeEvent) and "expired" in event.text]


async def test_a_plan_expiring_under_two_sweeping_replicas_is_announced_once(make_bot):
    first = await make_bot(None, **SHORT)
    second = await make_bot(None, **SHORT)
    assert await first.say("!restart unit=web")  # a write step: the plan waits for a decision
    await asyncio.sleep(0.4)

    swept = await asyncio.gather(first.hub.expire_due(), second.hub.expire_due(),
                                 first.hub.expire_due(), second.hub.expire_due())
    assert sorted(len(ids) for ids in swept) == [0, 0, 0, 1]
    plan_id = next(ids for ids in swept if ids)[0]
    assert (await second.store.get_plan(plan_id)).status is PlanStatus.expired
    assert len(expiry_notices(first, second)) == 1


async def test_a_replica_starting_beside_a_live_one_republishes_nothing_of_it(make_bot):
    first = await make_bot(None)
    assert await first.say("!restart unit=web")
    second = await make_bot(None)  # started while `first` lives and its plan waits

    assert await second.hub.republish_settled() == 0
    assert not [event for _, event in second.events if isinstance(event, PlanEvent)]
    pending = await second.store.pending_plans()
    assert len(pending) == 1 and pending[0].status is PlanStatus.proposed
