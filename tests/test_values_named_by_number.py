"""Issue 19: an enum value said by its model number ("the 737" for `b737`), as people name the
machines they run, on tools made up for these tests (the real guided planner, the real sentence
encoder; the small model is never asked)."""

from __future__ import annotations

from chatops.bot.agent.enums import enum_matches, said_by_number
from tests.test_understanding import calls, plan, runbook

_PRESSES = {"type": "enum", "values": ["hd75", "km1000", "xl106"],
            "description": "Press: hd75 (the small Heidelberg), km1000, xl106 (the big one in hall 2)"}

PRESS_TOOLS = [
    runbook("press_status", "Show each printing press: its job, speed and any fault on hd75, km1000 and xl106",
            "read", {}),
    runbook("pause_press", "Stop a printing press between sheets so the crew can clean or fix it", "write",
            {"press": _PRESSES}),
    runbook("resume_press", "Start a paused printing press again", "write", {"press": _PRESSES}),
]


async def test_a_value_said_by_its_number_fills_the_parameter() -> None:
    """ "the 106" is what the crew calls `xl106`; asking "which press?" when the request says it
    wastes a turn mid-incident."""
    assert calls(await plan("pause the 106, blanket's torn", PRESS_TOOLS)) == [("pause_press", {"press": "xl106"})]
    assert calls(await plan("stop the 1000's run, we're cleaning it", PRESS_TOOLS)) == \
        [("pause_press", {"press": "km1000"})]


async def test_two_values_said_by_number_are_one_step_each() -> None:
    """ "resume the 75 and the 106": the same action on each, and the action beats the read whose
    description also lists the presses' numbers."""
    assert calls(await plan("resume the 75 and the 106", PRESS_TOOLS)) == \
        [("resume_press", {"press": "hd75"}), ("resume_press", {"press": "xl106"})]


async def test_a_count_or_a_measure_names_no_value() -> None:
    """ "the 75 sheets" counts sheets and "the 1000 minutes" measures time: neither names a press,
    so the planner still asks which press to pause."""
    for text in ("pause the press, the 75 sheets on top are smudged", "pause the press for the 1000 minutes"):
        outcome = await plan(text, PRESS_TOOLS)
        assert not getattr(outcome, "steps", None), (text, outcome)


def test_figures_two_values_share_name_neither() -> None:
    """ "the 320" could be `a320` or `x320`: a guess would be a wrong target; and a bare figure with
    no "the" before it (a count, a time) names nothing."""
    assert enum_matches(["a320", "x320", "b737"], "ground the 320") == []
    assert enum_matches(["a320", "x320", "b737"], "ground the 737's pushback") == ["b737"]
    assert enum_matches(["a320", "b737"], "ground 737 seats worth of passengers") == []
    assert said_by_number("b737", "the 737 at 10:42") is not None
    assert said_by_number("b737", "the 737.5 figure") is None
    assert said_by_number("737", "the 737") is None  # a value that is all figures is written, not named
