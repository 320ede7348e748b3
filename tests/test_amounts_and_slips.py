"""Issue 19: slips, "more" and what a parameter's 0 does, on tools made up for these tests (the real
guided planner, the real sentence encoder; the small model is never asked).

- a typing slip whose stem is cut too short to read ("opne" stems to "opn") is measured as typed;
  a word whose stem is English ("lates", "late") is no slip;
- "ten more minutes", "another hour": a count of more of a unit is that count, and asks a tool that
  increases an amount in that unit, whatever the verb;
- "0 stops misting": the request that orders what 0 does ("stop misting B4") gives 0."""

from __future__ import annotations

from chatops.bot.agent.arguments import fill_arguments
from chatops.bot.agent.durations import durations_in
from chatops.bot.agent.entities import extract_entities
from chatops.bot.model import Answer
from tests.test_understanding import calls, plan, runbook

VENT = {"pattern": "^V[0-9]{2}$", "description": "roof vent, e.g. V12"}
VENT_TOOLS = [
    runbook("vents", "List the greenhouse roof vents: open or shut, wind lock, temperature under each", "read",
            {}),
    runbook("open_vent", "Open a greenhouse roof vent", "write", {"vent": VENT}),
    runbook("close_vent", "Close a greenhouse roof vent", "write", {"vent": VENT}),
    runbook("gates", "Show the loading gates and which lorry is at each", "read", {}),
]

BAY = {"pattern": "^P[0-9]{2}$", "description": "parking bay, e.g. P14"}
PARKING_TOOLS = [
    runbook("bays", "Show the car park's bays and the tickets on them", "read", {}),
    runbook("extend_ticket", "Add minutes to the parking ticket on a bay", "write",
            {"bay": BAY, "minutes": {"type": "int", "min": 1, "max": 120, "description": "Minutes to add"}}),
    runbook("clamp_car", "Clamp the car parked on a bay", "write", {"bay": BAY}),
]

MISTER = runbook("set_mister", "Set how much water a greenhouse zone's misting heads spray each hour", "write",
                 {"zone": {"pattern": "^[A-H][0-9]$", "description": "zone, e.g. B4"},
                  "ml": {"type": "int", "min": 0, "max": 5000, "description": "Water per hour in ml; 0 stops misting"}})


async def test_a_slip_whose_stem_is_cut_short_is_measured_as_typed() -> None:
    from chatops.bot.agent.tool_score import score_tool

    assert score_tool(VENT_TOOLS[1], extract_entities("opne vent V12, it's 31 in there")).action_hit
    assert calls(await plan("opne vent V12, it's 31 in there", VENT_TOOLS)) == [("open_vent", {"vent": "V12"})]


async def test_a_word_whose_stem_is_english_is_no_slip_of_a_tools_word() -> None:
    """ "lates" (late shifts) is one letter from "gates", but its stem is the word "late"."""
    outcome = await plan("here's the handover from lates, anything in it I need to chase?", VENT_TOOLS)
    assert isinstance(outcome, Answer), outcome


def test_a_count_of_more_of_a_unit_is_that_count() -> None:
    assert durations_in("give P14 ten more minutes") == [(10, "minutes")]
    assert durations_in("5 extra mins on P02") == [(5, "minutes")]
    assert durations_in("another 2 hours") == [(2, "hours")]
    assert durations_in("give it another hour") == [(1, "hours")]
    assert durations_in("ten more people") == []
    assert durations_in("another look at it") == []


async def test_more_of_an_amount_asks_for_the_tool_that_adds_it_in_that_unit() -> None:
    assert calls(await plan("give P14 ten more minutes, the machine ate her card", PARKING_TOOLS)) == \
        [("extend_ticket", {"bay": "P14", "minutes": 10})]
    # more of something the tool has no unit of asks nothing of it
    outcome = await plan("can you order another 500 parking permits from the printer?", PARKING_TOOLS)
    assert isinstance(outcome, Answer), outcome


def test_an_order_for_what_a_parameters_0_does_gives_0() -> None:
    filled = fill_arguments(MISTER, extract_entities("stop misting B4, the cuttings are rotting"))
    assert filled.args == {"zone": "B4", "ml": 0}
    # another verb, or the same verb of another thing, is no such order
    assert "ml" not in fill_arguments(MISTER, extract_entities("start misting B4")).args
    assert "ml" not in fill_arguments(MISTER, extract_entities("stop the fans in B4")).args


async def test_an_order_for_what_a_parameters_0_does_asks_for_that_tool() -> None:
    tools = [*VENT_TOOLS, MISTER]
    assert calls(await plan("stop misting B4, the cuttings are rotting", tools)) == \
        [("set_mister", {"zone": "B4", "ml": 0})]


def test_a_part_of_one_value_written_with_an_s_after_it_names_that_value() -> None:
    """ "coolant's down to 9%" names `coolant_loss` as "the coolant is down" does: the "'s" is a
    verb or an owner, not part of the word."""
    from chatops.bot.agent.enums import enum_matches

    values = ["coolant_loss", "relocation", "vendor_service"]
    assert enum_matches(values, "coolant's down to 9% on the 500, ramp it down") == ["coolant_loss"]
    assert enum_matches(values, "coolant’s leaking on the 500, ramp it down") == ["coolant_loss"]
    assert enum_matches(values, "the coolant is down to 9% on the 500, ramp it down") == ["coolant_loss"]


async def test_a_thing_and_a_mistyped_status_with_a_please_asks_for_a_look() -> None:
    """ "vent staus pls": the look is asked for, as without the "pls"; no change that would have to ask
    for its vent (`open_vent` asked for one)."""
    assert calls(await plan("vent staus pls", VENT_TOOLS)) == [("vents", {})]
    assert calls(await plan("ticket staus please", PARKING_TOOLS)) == [("bays", {})]


async def test_close_up_closes_as_lock_up_locks() -> None:
    """ "close up V12" means the tool's "close" though WordNet's "close up" is another verb; "back up"
    stays its own verb."""
    from chatops.bot.agent.unseen_verbs import unseen_verb_for

    assert unseen_verb_for(["shut"], "close up V12 until further notice") == ("close", "shut")
    assert unseen_verb_for(["reverse"], "back up the config on V12") is None


async def test_a_story_of_what_a_thing_did_orders_no_change_found_by_its_values() -> None:
    """ "P14 paid for an hour, don't clamp it": what happened, no order to add an hour; an order with
    a verb of its own that ends in -ed ("shred") is still an order."""
    from chatops.bot.agent.request_parts import only_a_story

    outcome = await plan("P14 paid for an hour, don't clamp it", PARKING_TOOLS)
    assert isinstance(outcome, Answer), outcome
    assert only_a_story("the barrier lifted at 9 and P14 overstayed")
    assert not only_a_story("shred the old key on P14")
    assert not only_a_story("P14 paid for an hour, clamp it anyway")
