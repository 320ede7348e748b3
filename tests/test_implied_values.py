"""Issue 19: a required value the request tells but never names is chosen by meaning
(`bot.agent.implied_values`): "shut lane 12, the sweep's stuck down again" closes the lane for a
pinsetter fault, and the card says the value was not named. A bare order, a value the request
writes and leaves out, and two values missing are still asked. The real guided planner and sentence
encoder, on tools made up for these tests (a bowling alley, a pottery's kilns); the small model is
never asked. Each test was checked to fail with `bot/` as it was before the rule (d4b8595), but the
guards, which say so."""

from __future__ import annotations

import pytest

from chatops.bot.model import Answer, Plan
from tests.test_understanding import calls, plan, runbook

LANE = {"type": "int", "min": 1, "max": 24, "description": "Lane number"}
BOWLING = [
    runbook("close_lane", "Close a bowling lane: it comes off the booking screen and its scorer goes dark.", "write",
            {"lane": LANE, "reason": {"type": "enum", "values": ["pinsetter_fault", "spill", "private_party"],
                                      "description": "Why: pinsetter_fault (pins or the sweep stuck), spill (a drink "
                                                     "or food on the approach), private_party (a booked group)"}}),
    runbook("open_lane", "Open a bowling lane again.", "write", {"lane": LANE}),
    runbook("lanes", "List the lanes: open, closed and why.", "read", {}),
]
KILN = {"type": "enum", "values": ["k1", "k2"], "description": "Kiln: k1 or k2"}
POTTERY = [
    runbook("abort_firing", "Abort a kiln firing: the elements cut out and the door stays locked until it cools.",
            "danger", {"kiln": KILN, "cause": {"type": "enum", "values": ["overheat", "power", "cracked_shelf"],
                                                "description": "overheat, power, cracked_shelf"}}),
    runbook("kilns", "Show the kilns' temperatures and programs.", "read", {"kiln": KILN}),
]


@pytest.mark.parametrize(("text", "lane", "reason"), [
    ("shut lane 12, the sweep's stuck down again", 12, "pinsetter_fault"),
    ("lane 3 needs closing, a stag do has it booked from eight", 3, "private_party"),
])
async def test_the_story_chooses_the_value_and_the_card_says_so(text: str, lane: int, reason: str) -> None:
    outcome = await plan(text, BOWLING)
    assert calls(outcome) == [("close_lane", {"lane": lane, "reason": reason})]
    assert "not named" in outcome.steps[0].reason, outcome.steps[0].reason


async def test_consent_to_an_offer_takes_the_value_the_question_told() -> None:
    """ "the sweep on lane 4 keeps jamming. close it?" … "Want me to?" … "ok do it"."""
    history = [{"role": "user", "text": "the sweep on lane 4 keeps jamming. close it?"},
               {"role": "bot", "text": "close_lane would take lane 4 off the booking screen. Want me to?"}]
    assert calls(await plan("ok do it", BOWLING, history=history)) == \
        [("close_lane", {"lane": 4, "reason": "pinsetter_fault"})]


@pytest.mark.parametrize(("text", "tools"), [
    ("close lane 7", BOWLING),
    ("close lane 7 now please", BOWLING),
    ("abort k1", POTTERY),
])
async def test_guard_a_bare_order_is_asked(text: str, tools: list) -> None:
    """Guard (asked before the rule too): an order that tells nothing more chooses nothing."""
    outcome = await plan(text, tools)
    assert isinstance(outcome, Answer) and "I need" in outcome.text, outcome


async def test_guard_a_value_written_and_denied_is_never_taken_by_meaning() -> None:
    """Guard (asked before the rule too): "it's not a spill" writes the value; words leave it out,
    and a likeness must not bring it back."""
    outcome = await plan("close lane 7, it's not a spill", BOWLING)
    assert not isinstance(outcome, Plan) or all(s.args.get("reason") != "spill" for s in outcome.steps), outcome


async def test_guard_two_values_missing_are_both_asked() -> None:
    """Guard (asked before the rule too): the lane is not said, so nothing is chosen by meaning."""
    outcome = await plan("close a lane, somebody knocked a pint over", BOWLING)
    assert isinstance(outcome, Answer) and "lane" in outcome.text and "reason" in outcome.text, outcome


RIDE = {"pattern": "^R[0-9]{2}$", "description": "ride id, e.g. R04"}
FAIRGROUND = [
    runbook("stop_ride", "Stop a fairground ride: the operator brings it to rest and lets nobody on", "write",
            {"ride": RIDE, "reason": {"type": "enum", "values": ["mechanical", "weather", "crowd", "medical"],
                                      "description": "Why the ride is stopped, for the log"}}),
    runbook("rides", "List the fairground rides: running, stopped and why", "read", {}),
]


async def test_guard_a_story_far_from_every_value_is_asked() -> None:
    """ "lightning about" reads closest to `crowd` (0.26): far below the floor, so the user is
    asked which reason, never given a wrong one."""
    outcome = await plan("stop R07, lightning about", FAIRGROUND)
    assert not isinstance(outcome, Plan) or all("reason" not in step.args for step in outcome.steps)
