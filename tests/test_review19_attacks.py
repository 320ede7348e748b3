"""Red team, issue 19 session 19: attacks on 2e8bff9 (numeric enums, one-letter values, glosses,
compound heads and denied values, kindred verbs turning flags off, "until" clauses, "stop <verb>ing").
Tools are made up here (a car park's chargers, a campsite, a petrol station, a pool, a sauna, a shop's
tills); every test asserts the safe or right behaviour. Tests that fail are findings (37 cases on 2e8bff9:
23 new, failing only since 2e8bff9; 14 older, failing on b1a61d0 too: bay/pitch numbers that are
listed ratings, "isn't a delivery", "don't tell the press", "don't report the members", "don't email
the members" (staff flag), "don't warn me again", "don't email the instructor", "until further
notice stop S3", "until 9", "can you stop boosting S3 until ..."). 29 were fixed the same day; the 8 left
are strict xfails that say whether they are new or older."""

from __future__ import annotations

from typing import Any

import pytest

from chatops.bot.model import Plan
from tests.test_understanding import calls, plan, runbook
from tests.test_values_and_endings import POOL_TOOLS, SAUNA, SAUNA_TOOLS, _mcp


def _writes(outcome: Any) -> list[tuple[str, dict[str, Any]]]:
    if not isinstance(outcome, Plan):
        return []
    return [(step.tool, step.args) for step in outcome.steps if step.risk.name != "read"]


# --- 1. numeric enums -------------------------------------------------------------------------

BAY = {"type": "string", "pattern": "^[0-9]{1,2}$", "description": "Bay number, e.g. 7"}
CHARGERS = _mcp("ev", [
    {"name": "list_chargers", "description": "List the car park's chargers: bay, row, breaker amps.",
     "annotations": {"readOnlyHint": True},
     "inputSchema": {"type": "object", "properties": {
         "amps": {"type": "integer", "enum": [16, 32], "description": "Only chargers on this rating"},
         "row": {"type": "string", "enum": ["any", "a", "b", "c"], "default": "any", "description": "Only this row"}}}},
    {"name": "set_charger", "description": "Set a charging bay's breaker rating, or 0 to switch it off.",
     "annotations": {"readOnlyHint": False},
     "inputSchema": {"type": "object", "required": ["bay", "amps"], "properties": {
         "bay": BAY, "amps": {"type": "integer", "enum": [0, 16, 32, 63], "description": "Breaker rating in amps"}}}},
    {"name": "set_fan", "description": "Set the plant room fan speed.",
     "annotations": {"readOnlyHint": False},
     "inputSchema": {"type": "object", "required": ["speed"], "properties": {
         "speed": {"type": "number", "enum": [0.5, 1, 2], "description": "Speed in m/s"}}}},
    {"name": "boost_bay", "description": "Boost a charging bay to full power for a while.",
     "annotations": {"readOnlyHint": False},
     "inputSchema": {"type": "object", "required": ["bay", "minutes"], "properties": {
         "bay": BAY, "minutes": {"type": "integer", "enum": [15, 30, 60], "description": "How long, in minutes"}}}},
])

PITCH = {"type": "string", "pattern": "^[0-9]{1,2}$", "description": "Pitch number, e.g. 14"}
HOOKUPS = _mcp("camp", [
    {"name": "set_hookup", "description": "Set a pitch's electric hook-up: its breaker rating, or 0 for none.",
     "annotations": {"readOnlyHint": False},
     "inputSchema": {"type": "object", "required": ["pitch", "amps"], "properties": {
         "pitch": PITCH,
         "amps": {"type": "integer", "enum": [0, 6, 10, 16], "description": "Breaker rating in amps"}}}},
])


async def test_a_bay_whose_number_is_a_listed_rating_is_still_set() -> None:
    """ "set bay 16 to 32 amps": bay 16 gets 32 amps. Planned: list_chargers(amps=16), a read
    filtered by the bay's number (and no set at all)."""
    assert calls(await plan("set bay 16 to 32 amps", CHARGERS)) == [("ev_set_charger", {"bay": "16", "amps": 32})]


@pytest.mark.xfail(strict=True, reason="older: a rating told as the state now (bay 7 is at 32 amps) "
                                               "filters the read; no set is found")
async def test_a_rating_told_as_now_is_not_a_filter_of_the_set() -> None:
    """ "bay 7 is at 32 amps, set it to 16": a set to 16. Planned: list_chargers(amps=32)."""
    assert calls(await plan("bay 7 is at 32 amps, set it to 16", CHARGERS)) == \
        [("ev_set_charger", {"bay": "7", "amps": 16})]


async def test_a_bare_pitch_number_and_its_amps_are_never_swapped() -> None:
    """ "set 16 to 10 amps": pitch 16 gets 10 amps. Planned: set_hookup(pitch=10, amps=16), a write
    to another pitch with another rating."""
    outcome = await plan("set 16 to 10 amps", HOOKUPS)
    assert all(args.get("pitch") != "10" and args.get("amps") != 16 for _, args in _writes(outcome))


@pytest.mark.parametrize("text", ["set pitch 10 to 16 amps", "set pitch 16 to 10 amps"])
async def test_a_pitch_whose_number_is_a_listed_rating_is_still_set(text: str) -> None:
    """The pitch's number is also one of the ratings: the set is still the tool (planned: no tool)."""
    pitch, amps = text.split()[2], int(text.split()[4])
    assert calls(await plan(text, HOOKUPS)) == [("camp_set_hookup", {"pitch": pitch, "amps": amps})]


@pytest.mark.parametrize(("text", "expected"), [
    ("set pitch 16 to 16 amps", {"pitch": "16", "amps": 16}),
    ("lower bay 7 from 32 to 16 amps", {"bay": "7", "amps": 16}),
    ("raise bay 7 from 16 to 32 amps", {"bay": "7", "amps": 32}),
    ("boost bay 7 for half an hour", {"bay": "7", "minutes": 30}),
    ("boost bay 15 for 30 minutes", {"bay": "15", "minutes": 30}),
    ("boost bay 30 for 15 minutes", {"bay": "30", "minutes": 15}),
    ("set the fan to 2", {"speed": 2}),
])
async def test_guard_numbers_a_schema_lists(text: str, expected: dict[str, Any]) -> None:
    assert [args for _, args in calls(await plan(text, CHARGERS + HOOKUPS))] == [expected]


@pytest.mark.parametrize(("text", "param", "bad"), [
    ("set the fan to 1.5", "speed", 1.5),
    ("boost bay 7 for 2 hours", "minutes", 2),
    ("boost bay 7 for 45 minutes", "minutes", 45),
    ("set bay 16 to 20 amps", "amps", 20),
])
async def test_guard_a_number_a_schema_does_not_list_is_never_taken(text: str, param: str, bad: Any) -> None:
    outcome = await plan(text, CHARGERS)
    assert all(step.args.get(param) != bad for step in (outcome.steps if isinstance(outcome, Plan) else []))


# --- 2. one-letter values ---------------------------------------------------------------------

ROW = {"type": "enum", "values": ["a", "b", "c"], "description": "which row"}
ROWS = [runbook("lock_row", "Lock a row of charging bays so no car can start charging there.", "write", {"row": ROW}),
        runbook("unlock_row", "Unlock a row of charging bays.", "write", {"row": ROW}),
        runbook("rows", "list the rows of charging bays", "read", {})]


@pytest.mark.parametrize("text", [
    "lock the row by the cafe, see section C of the handbook",
    "lock the row by the cafe, plan B is to cone it off",
    "LOCK A ROW NOW, THE CABLES ARE CUT",
])
async def test_a_capital_letter_that_names_no_row_locks_no_row(text: str) -> None:
    """ "section C", "plan B", the all-caps article "A": none names a row, so the lock must ask which.
    Planned: lock_row(row=c / b / a), a write on a row nobody named."""
    assert _writes(await plan(text, ROWS)) == []


@pytest.mark.parametrize(("text", "row"), [
    ("list the chargers, see section C of the handbook", None),
    ("list the chargers, plan B is the overflow", None),
    ("list the chargers near bay A.02", None),
])
async def test_a_capital_letter_that_names_no_row_filters_no_read(text: str, row: str | None) -> None:
    """A read filtered on a row nobody named shows the wrong chargers. Planned: row c / b / a."""
    outcome = await plan(text, CHARGERS)
    assert [args.get("row") for _, args in calls(outcome)] == [row]


@pytest.mark.parametrize(("text", "row"), [
    ("lock row C", "c"),
    ("list chargers in row C", "c"),
    ("list the chargers on A-02", None),
])
async def test_guard_letters_written_alone(text: str, row: str | None) -> None:
    args = [args for _, args in calls(await plan(text, CHARGERS + ROWS))]
    assert [a.get("row") for a in args] == [row]


async def test_guard_two_rows_told_one_denied_never_locks_the_denied() -> None:
    outcome = await plan("lock row B, not row C", ROWS)
    assert all(args.get("row") != "c" for _, args in _writes(outcome))


# --- 3. glosses -------------------------------------------------------------------------------

PUMP = {"pattern": "^[0-9]$", "description": "pump number"}
_WHY = ("Why, shown on the pump's screen: fault (the nozzle or its card reader), delivery (a tanker is filling the "
        "tanks), spill (fuel on the forecourt)")
FUEL = [runbook("close_pump", "Close a fuel pump: it stops dispensing and its screen says why.", "write",
                {"pump": PUMP, "reason": {"type": "enum", "values": ["fault", "delivery", "spill", "other"],
                                          "default": "other", "description": f"{_WHY}, other"}}),
        runbook("pumps", "list the pumps and whether they are open", "read", {})]
FUEL_REQUIRED = [runbook("close_pump", "Close a fuel pump: it stops dispensing and its screen says why.", "write",
                         {"pump": PUMP, "reason": {"type": "enum", "values": ["fault", "delivery", "spill"],
                                                   "description": _WHY}}),
                 runbook("pumps", "list the pumps and whether they are open", "read", {})]


@pytest.mark.parametrize("text", [
    "close pump 4, no tanker is filling the tanks today, the card reader is dead",
    "close pump 4, no tanker is filling the tanks today, something else is wrong",
])
async def test_a_gloss_the_request_denies_is_not_its_value(text: str) -> None:
    """ "no tanker is filling the tanks": not a delivery. Planned: reason=delivery."""
    outcome = await plan(text, FUEL)
    assert all(args.get("reason") != "delivery" for _, args in _writes(outcome))


async def test_a_gloss_shares_words_with_an_unrelated_remark() -> None:
    """ "the forecourt cameras are down, fuel prices need updating" says no spill; the pump closes
    with its default reason. Planned: reason=spill ("fuel", "forecourt")."""
    outcome = await plan("close pump 4, the forecourt cameras are down, fuel prices need updating", FUEL)
    assert calls(outcome) == [("close_pump", {"pump": "4"})]


async def test_a_value_the_request_denies_by_name_is_not_taken() -> None:
    """ "it isn't a delivery": never reason=delivery. Planned: reason=delivery."""
    outcome = await plan("close pump 4, it isn't a delivery: the tanks were filled yesterday, now they leak", FUEL)
    assert all(args.get("reason") != "delivery" for _, args in _writes(outcome))


async def test_guard_a_gloss_told_chooses_its_value() -> None:
    assert calls(await plan("close pump 4, a tanker is filling the tanks", FUEL)) == \
        [("close_pump", {"pump": "4", "reason": "delivery"})]
    assert calls(await plan("close pump 4", FUEL)) == [("close_pump", {"pump": "4"})]


@pytest.mark.parametrize(("text", "reason"), [("close pump 4, a tanker is filling the tanks", "delivery"),
                                              ("close pump 4, there's fuel all over the forecourt", "spill")])
async def test_guard_a_required_value_told_by_its_gloss_is_inferred_and_said(text: str, reason: str) -> None:
    """Session 21 changed this guard's contract (it was: a required value is never chosen by its
    gloss). The story now chooses the value by meaning (`bot.agent.implied_values`), and the card
    says it was not named, for the approver to see; a bare order still asks."""
    outcome = await plan(text, FUEL_REQUIRED)
    assert _writes(outcome) == [("close_pump", {"pump": "4", "reason": reason})]
    assert "not named" in outcome.steps[0].reason, outcome.steps[0].reason
    assert _writes(await plan("close pump 4", FUEL_REQUIRED)) == []


# --- 4. compound heads and denied values ------------------------------------------------------

@pytest.mark.parametrize("text", [
    "this isn't a fire drill, evacuate the main hall",
    "evacuate the main hall, this is not a fire drill",
    "no fire drill today - a real fire in the main hall, evacuate it",
])
async def test_not_a_fire_drill_is_a_fire(text: str) -> None:
    """ "this isn't a fire drill" is a real fire. Planned: evacuate_hall(reason=drill), a danger
    step that tells everyone it is a drill."""
    outcome = await plan(text, POOL_TOOLS)
    assert all(args.get("reason") != "drill" for _, args in _writes(outcome))


async def test_not_a_fire_drill_closes_no_slide_for_a_drill() -> None:
    """ "not a fire drill, the pump's broken": a fault. Planned: close_slide(reason=drill)."""
    outcome = await plan("close slide 2, not a fire drill, the pump's broken", POOL_TOOLS)
    assert all(args.get("reason") != "drill" for _, args in _writes(outcome))


@pytest.mark.parametrize(("text", "reason"), [
    ("evacuate the main hall, no fire, just a drill", "drill"),
    ("evacuate the main hall, it's a drill, not a fire", "drill"),
    ("fire in the main hall, no drill, evacuate", "fire"),
    ("evacuate the main hall, fire, and no it's not a drill", "fire"),
    ("evacuate the main hall because of fire fouling", "fouling"),
])
async def test_guard_denied_values_and_heads(text: str, reason: str) -> None:
    assert calls(await plan(text, POOL_TOOLS)) == [("evacuate_hall", {"hall": "main", "reason": reason})]


@pytest.mark.parametrize("text", ["evacuate the main hall: fire! drill cancelled",
                                  "evacuate the main hall, it's not only a drill, there is smoke: fire"])
async def test_guard_unclear_reasons_are_asked(text: str) -> None:
    assert all(args.get("reason") != "drill" for _, args in _writes(await plan(text, POOL_TOOLS)))


# --- 5. flags turned off by a kindred verb ----------------------------------------------------

EVACUATE = [tool for tool in POOL_TOOLS if tool.name != "close_slide"]
CLASS = {"pattern": "^K[0-9]{2}$", "description": "class id, e.g. K12"}
CLASSES = [runbook("cancel_class", "Cancel a swimming class and refund its bookings.", "write",
                   {"klass": CLASS,
                    "notify_members": {"type": "bool", "default": True,
                                       "description": "Send a notice to every member booked on it"},
                    "notify_staff": {"type": "bool", "default": True,
                                     "description": "Send a notice to the class's instructor"}}),
           runbook("classes", "list today's classes", "read", {})]
CLASSES_ONE = [runbook("cancel_class", "Cancel a swimming class and refund its bookings.", "write",
                       {"klass": CLASS,
                        "notify_members": {"type": "bool", "default": True,
                                           "description": "Send a notice to every member booked on it"}}),
               runbook("classes", "list today's classes", "read", {})]


@pytest.mark.parametrize("text", [
    "evacuate the teaching hall, fouling, don't call the members, just notify them",
    "evacuate the teaching hall, fouling, don't phone the members, notify them by email",
    "evacuate the teaching hall, fouling, email the members, don't call them",
])
async def test_a_notice_asked_is_never_turned_off_by_another_way_refused(text: str) -> None:
    """The request asks for the notice (by email, "just notify them") and refuses a phone call
    the tool cannot make. Planned: notify_members=False."""
    outcome = await plan(text, EVACUATE)
    assert calls(outcome)[0][1].get("notify_members") is not False


@pytest.mark.parametrize("text", [
    "evacuate the teaching hall, fouling, don't email the staff",
    "evacuate the teaching hall, fouling, don't tell the press",
])
@pytest.mark.xfail(strict=True, reason="staff new, press older: the planner's English table knows verbs, "
                                               "not nouns; staff and press are not told from members")
async def test_a_notice_refused_to_someone_else_leaves_the_members_notice(text: str) -> None:
    """ "don't email the staff" / "don't tell the press": not the members. Planned: notify_members=False."""
    outcome = await plan(text, EVACUATE)
    assert calls(outcome)[0][1].get("notify_members") is not False


@pytest.mark.parametrize("text", [
    "evacuate the teaching hall, fouling, don't alarm the members",
    "evacuate the teaching hall, fouling, don't report the members",
    "evacuate the teaching hall, fouling, don't ask the members to change first",
])
@pytest.mark.xfail(strict=True, reason="alarm and ask new, report older: WordNet kin of notify in senses "
                                               "that are no notice")
async def test_a_verb_that_is_no_notice_leaves_the_notice_on(text: str) -> None:
    """ "don't alarm the members" (frighten), "report" them, "ask them to change": no notice is
    refused. Planned: notify_members=False."""
    outcome = await plan(text, EVACUATE)
    assert calls(outcome)[0][1].get("notify_members") is not False


async def test_a_notice_refused_to_the_members_leaves_the_instructors() -> None:
    """ "don't email the members": the instructor is still told. Planned: notify_staff=False too."""
    outcome = await plan("cancel K12, don't email the members", CLASSES)
    assert calls(outcome) == [("cancel_class", {"klass": "K12", "notify_members": False})]


@pytest.mark.parametrize("text", ["cancel K12, don't message me", "cancel K12, don't warn me again"])
async def test_a_notice_refused_to_the_requester_leaves_the_members(text: str) -> None:
    """ "don't message me": the requester, not the members. Planned: notify_members=False."""
    outcome = await plan(text, CLASSES_ONE)
    assert calls(outcome) == [("cancel_class", {"klass": "K12"})]


@pytest.mark.xfail(strict=True, reason="older: the negated part takes the cancel's words with it; no tool is found")
async def test_a_cancel_with_a_notice_refused_to_the_instructor_is_still_the_cancel() -> None:
    """ "cancel K12, don't email the instructor": the cancel, instructor's notice off. Planned:
    no tool at all."""
    outcome = await plan("cancel K12, don't email the instructor", CLASSES)
    assert calls(outcome) == [("cancel_class", {"klass": "K12", "notify_staff": False})]


@pytest.mark.parametrize("text", ["evacuate the teaching hall, fouling, don't panic the members",
                                  "evacuate the teaching hall, fouling, don't wait for the members"])
async def test_guard_verbs_of_no_notice(text: str) -> None:
    assert calls(await plan(text, EVACUATE)) == [("evacuate_hall", {"hall": "teaching", "reason": "fouling"})]


async def test_guard_notify_asked_and_a_way_refused_keeps_it_on() -> None:
    outcome = await plan("cancel K12 and notify the members, don't text them though, email", CLASSES_ONE)
    assert calls(outcome) == [("cancel_class", {"klass": "K12"})]


# --- 6. until clauses -------------------------------------------------------------------------

TILL = {"pattern": "^[0-9]$", "description": "till number as on its screen, e.g. 3"}
SHOP = [runbook("reboot_till", "Reboot a shop till (the checkout terminal).", "write", {"till": TILL}),
        runbook("lock_till", "Lock a shop till so nobody can ring up sales on it.", "write", {"till": TILL}),
        runbook("unlock_till", "Unlock a locked shop till.", "write", {"till": TILL}),
        runbook("tills", "list the tills and whether they are locked", "read", {})]


@pytest.mark.parametrize("text", ["until further notice stop S3", "till further notice stop S3"])
async def test_an_order_after_an_until_phrase_is_never_turned_around(text: str) -> None:
    """ "until further notice stop S3" stops S3. Planned: start_sauna(S3, minutes=0), heating it
    until someone stops it: the opposite of the order."""
    outcome = await plan(text, SAUNA_TOOLS)
    assert all(tool != "start_sauna" for tool, _ in _writes(outcome))
    assert calls(outcome) == [("stop_sauna", {"sauna": "S3"})]


@pytest.mark.xfail(strict=True, reason="older: 'until 9' is read as 9 minutes")
async def test_until_a_clock_time_is_no_duration() -> None:
    """ "start S2 until 9": until nine o'clock, not for 9 minutes. Planned: minutes=9."""
    outcome = await plan("start S2 until 9, then stop S3", SAUNA_TOOLS)
    assert all(args.get("minutes") != 9 for _, args in _writes(outcome))


@pytest.mark.parametrize(("text", "expected"), [
    ("reboot till 3", [("reboot_till", {"till": "3"})]),
    ("reboot till 3, it's frozen", [("reboot_till", {"till": "3"})]),
    ("till 3 is frozen, reboot it", [("reboot_till", {"till": "3"})]),
    ("lock till 3 until the manager counts it", [("lock_till", {"till": "3"})]),
])
async def test_guard_a_till_is_a_till(text: str, expected: list) -> None:
    assert calls(await plan(text, SHOP)) == expected


@pytest.mark.parametrize(("text", "tools"), [
    ("don't unlock till 3 until the manager has counted it", SHOP),
    ("don't reboot till 3 until the queue is gone", SHOP),
    ("don't start S2 until the cleaner has finished", SAUNA_TOOLS),
    ("don't do anything to S2 until I say so", SAUNA_TOOLS),
    ("until I say so, don't stop S3", SAUNA_TOOLS),
])
async def test_guard_not_until_changes_nothing_now(text: str, tools: list) -> None:
    assert _writes(await plan(text, tools)) == []


@pytest.mark.parametrize(("text", "expected"), [
    ("until further notice, stop S3", ("stop_sauna", {"sauna": "S3"})),
    ("stop S3 until further notice", ("stop_sauna", {"sauna": "S3"})),
    ("until the inspector is gone, stop S2", ("stop_sauna", {"sauna": "S2"})),
    ("boost S3 until it reads 90", ("boost_heater", {"sauna": "S3"})),
])
async def test_guard_orders_beside_until(text: str, expected: tuple) -> None:
    assert calls(await plan(text, SAUNA_TOOLS)) == [expected]


# --- 7. stop <verb>ing ------------------------------------------------------------------------

NO_WAY_BACK = [tool for tool in SAUNA_TOOLS if tool.name != "heater_auto"]
FACTORY = [*NO_WAY_BACK, runbook(
    "factory_reset", "Put a sauna's controller back as it was when delivered: wipes every setting, schedule and log.",
    "danger", {"sauna": SAUNA})]
# two ways back for the same heater (a way back for another thing, the schedule, is none: see below)
TWO_WAYS = [*SAUNA_TOOLS, runbook("heater_schedule", "Put a sauna's heater back on its weekly schedule, as it was "
                                                     "before anyone changed it.", "write", {"sauna": SAUNA})]


async def test_stop_boosting_never_wipes_the_controller() -> None:
    """No heater_auto: the only write whose description says "back as it was" is a danger factory
    reset. Planned: factory_reset(S3), wiping every setting for "stop boosting S3"."""
    assert all(tool != "factory_reset" for tool, _ in _writes(await plan("stop boosting S3", FACTORY)))


async def test_stop_starting_is_not_the_heaters_way_back() -> None:
    """ "stop starting S2 every morning": no tool undoes a schedule; the heater's thermostat mode
    was never asked. Planned: heater_auto(S2)."""
    assert all(tool != "heater_auto" for tool, _ in _writes(await plan("stop starting S2 every morning", SAUNA_TOOLS)))


async def test_stop_boosting_for_a_while_is_not_switching_the_sauna_off() -> None:
    """ "can you stop boosting S3 until the guests arrive": the boost ends, the sauna keeps heating.
    Planned: stop_sauna(S3)."""
    outcome = await plan("can you stop boosting S3 until the guests arrive", SAUNA_TOOLS)
    assert all(tool != "stop_sauna" for tool, _ in _writes(outcome))


@pytest.mark.parametrize(("text", "tools"), [
    ("stop boosting S3", NO_WAY_BACK),
    ("stop boosting S3", TWO_WAYS),
    ("don't stop boosting S3", SAUNA_TOOLS),
    ("never stop boosting S3", SAUNA_TOOLS),
    ("did someone stop boosting S3?", SAUNA_TOOLS),
    ("stop dumping logs from S3", SAUNA_TOOLS),
])
async def test_guard_stop_boosting_never_boosts_nor_guesses(text: str, tools: list) -> None:
    """No way back, two ways back, a refused or asked-about stop, a verb no tool has: no write."""
    assert _writes(await plan(text, tools)) == []


@pytest.mark.parametrize(("text", "expected"), [
    ("stop boosting S3 and boost S4", [("heater_auto", {"sauna": "S3"}), ("boost_heater", {"sauna": "S4"})]),
    ("stop heating S2", [("stop_sauna", {"sauna": "S2"})]),
    ("stop boosting S3 until 6", [("heater_auto", {"sauna": "S3"})]),
])
async def test_guard_stop_doing(text: str, expected: list) -> None:
    assert calls(await plan(text, SAUNA_TOOLS)) == expected
