"""Notices (progress, expiry, what an attachment was read as) are kept with the thread, so a
reload or a restart shows them; durations are said as a person would say them."""

from __future__ import annotations

import pytest

from chatops.bot.hub import duration_words
from chatops.bot.model import Decision, UserRef
from chatops.storage import Store
from tests.conftest import ScriptedModel, reply


@pytest.mark.parametrize(("seconds", "words"), [(0.13, "0 s"), (8, "8 s"), (89, "89 s"), (900, "15 min"),
                                                (5400, "1 h 30 min"), (7200, "2 h")])
def test_durations_read_as_a_person_says_them(seconds, words):
    assert duration_words(seconds) == words


async def test_progress_and_expiry_notices_survive_a_restart(make_bot):
    model = ScriptedModel([reply({"tool": "restart", "args": {"unit": "api"}}), reply(answer="restarted"),
                           reply({"tool": "restart", "args": {"unit": "db"}}, goal="restart db")])
    bot = await make_bot(model.planner(), agent={"approval_ttl": 8})
    await bot.say("restart api", thread="n1")
    first = bot.of_type("plan")[0]
    await bot.hub.decide(Decision(plan_id=first.id, approve=True, user=UserRef(platform="console", id="alice")))
    await bot.say("restart db", thread="n1")
    pending = bot.of_type("plan")[-1]
    # the deadline passes, as time would make it, and the hub's sweep notices
    await bot.store._dispatch(lambda: bot.store.db.execute(
        "UPDATE plans SET expires_at = '2000-01-01T00:00:00.000000+00:00' WHERE id = ?", [pending.id]))
    assert await bot.hub.expire_due() == [pending.id]
    await bot.hub.stop()
    await bot.store.close()

    reopened = await Store.open_configured(bot.config.storage)  # a restart: nothing in memory survives
    try:
        view = await reopened.thread_view("console:n1")
    finally:
        await reopened.close()
    assert [(n["level"], n["text"]) for n in view["notices"]] == [
        ("info", "restart: restarting api"),
        ("warning", "The plan “restart db” expired after 8 s without a decision; nothing that needed approval "
                    "was run."),
    ]
