"""Issue 19: a noun written as a verb and its particle in one word, said as the phrasal verb ("lock
down the yard" for `start_lockdown`); a bracket that defines a value ("drill (a practice)"); and
a value of several words named by one of its parts only when that part stands for it. The real
guided planner and sentence encoder, on tools made up for these tests (a boatyard's security, a
quarry's blasting); the small model is never asked. Each test was checked to fail without the
rule it names."""

from __future__ import annotations

from chatops.bot.model import Plan
from tests.test_understanding import calls, plan, runbook

YARD = {"type": "enum", "values": ["east", "west"], "description": "The yard: east or west"}
BOATYARD = [
    runbook("start_lockdown", "Start a lockdown of a boatyard: the gates lock and the sirens sound.", "write",
            {"yard": YARD,
             "reason": {"type": "enum", "values": ["trespass", "outside_threat", "drill"],
                        "description": "trespass (someone in the yard who should not be), "
                                       "outside_threat (the police advise it), drill (a rehearsal)"}}),
    runbook("yards", "List the boatyards: gates, sirens, any lockdown in progress.", "read", {"yard": YARD}),
]


async def test_a_phrasal_verb_says_the_noun_written_in_one_word() -> None:
    """ "lock down the east yard" starts `start_lockdown`'s lockdown: asked for its reason, never
    left with no tool, and never a read of the yards."""
    outcome = await plan("lock down the east yard now", BOATYARD)
    assert not isinstance(outcome, Plan), outcome
    assert "start_lockdown" in outcome.text and "reason" in outcome.text, outcome.text
    assert calls(await plan("lock down the east yard now, it's a drill", BOATYARD)) == \
        [("start_lockdown", {"yard": "east", "reason": "drill"})]


async def test_a_bracket_of_one_short_phrase_defines_its_value() -> None:
    """ "drill (a rehearsal)" makes "rehearsal" name `drill`, though `reason` is required."""
    assert calls(await plan("the west yard wants its lockdown rehearsal now, start it", BOATYARD)) == \
        [("start_lockdown", {"yard": "west", "reason": "drill"})]


async def test_a_part_that_describes_another_thing_names_no_value() -> None:
    """ "the outside gates" says which gates, and names no `outside_threat`: the reason is asked."""
    outcome = await plan("start a lockdown of the east yard and lock the outside gates", BOATYARD)
    assert not isinstance(outcome, Plan), outcome
    assert "reason" in outcome.text, outcome.text
