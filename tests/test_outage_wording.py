"""What a thread is told when its database fails mid-turn in a live process, and when it works
again (issue 22, item 5): not "nothing was run" when a step had run, and not "the bot restarted"
when it did not. A real SQLite file made unwritable (`query_only`) while a step runs."""

from __future__ import annotations

import pytest

from chatops.bot.faults import StorageUnavailable
from chatops.bot.model import Decision, UserRef
from tests.held_turn import start_held_turn
from tests.polling import eventually

pytestmark = pytest.mark.sqlite_only  # query_only is SQLite's


async def writable(store, on: bool) -> None:
    await store._dispatch(lambda: store.db.execute(f"PRAGMA query_only = {'OFF' if on else 'ON'}"))


async def test_a_step_cut_short_by_an_outage_is_told_as_an_outage_not_a_restart(make_bot):
    bot = await make_bot(storage={"lease_seconds": 1.5})
    held = await start_held_turn(bot, "cut")
    await writable(bot.store, False)
    held.release.set()
    with pytest.raises(StorageUnavailable):
        await held.turn
    told = bot.of_type("notice")[-1].text
    assert "I cannot store anything right now" in told
    assert "A step had already started" in told and "Nothing was run" not in told, told  # main: "Nothing was run"
    await writable(bot.store, True)

    async def answered() -> bool:
        view = await bot.store.thread_view("console:cut")
        return view is not None and view["messages"][-1]["role"] == "bot"

    await eventually(answered, timeout=30, what="an answer once the database is writable again")
    view = await bot.store.thread_view("console:cut")
    answer = view["messages"][-1]["text"]
    assert answer.startswith("The database could not be written while this ran; nothing was run again."), answer
    assert "restarted" not in answer  # main: "The bot restarted while this ran"
    step = view["plans"][-1]["steps"][0]
    assert step["status"] == "interrupted" and "the database could not be written" in step["error"], step
    assert held.runs == ["ran"]


async def test_a_fault_before_any_step_still_says_nothing_was_run(make_bot):
    bot = await make_bot()
    await writable(bot.store, False)
    try:
        with pytest.raises(StorageUnavailable):
            await bot.say("!ping host=db1", thread="early")
    finally:
        await writable(bot.store, True)
    told = bot.of_type("notice")[-1].text
    assert "Nothing was run; please try again later." in told and "already started" not in told
    assert bot.calls.of("ping") == []


async def test_a_step_run_by_an_earlier_decision_does_not_colour_a_later_faults_words(make_bot):
    """What "a step had already started" means is this message's own turn: a step an approval
    ran before in the same thread does not count."""
    bot = await make_bot()
    await bot.say("!restart unit=web", thread="later")
    plan = bot.of_type("plan")[-1]
    decided = await bot.hub.decide(Decision(plan_id=plan.id, approve=True, user=UserRef(
        platform="console", id="operator", name="operator"), source="test"))
    assert decided.accepted and bot.calls.of("restart") == [{"unit": "web"}]
    await writable(bot.store, False)
    try:
        with pytest.raises(StorageUnavailable):
            await bot.say("!ping host=db1", thread="later")
    finally:
        await writable(bot.store, True)
    assert "Nothing was run; please try again later." in bot.of_type("notice")[-1].text
