"""Red team, issue 19 session 20 (second): attacks on 8511149..afe9c63 (values as written: the
possessive and a determiner between a value's words; "the last day and a half"; a figure next to
its parameter's own name; a verb's particle that is no state; "except" after its value; verbless
value orders (`value_orders`); "have/give X back"; "N of <path>" as a count; the first red team's
fixes: start_<event> tools, "not the same for …", a part after "no"). The tools are made up here
(road signs, plant pumps, a project board, a shop's stock, a bottling line, database backups, a
print room, a web tier, a car park, bell ringing, a cinema, a lab, schools, an in/out board, a dog
show). Every test asserts the safe or right behaviour: the failing ones are findings, the others
guards. tests/test_review20_attacks.py's attacks are not repeated.

Findings on afe9c63 (24 failing tests). New (7; pass on fbee23b, fail since): "at the risk of nagging,
mark PR12 as done" finds no tool and "in the stock room … mark SKU-12 as sold out" asks in_stock or
sold_out (enums._BETWEEN); "show the pumps someone turned off" drops the `off` filter
(phrasal.particle_of_a_verb); "P3 checked. ok, thanks" sets status ok (value_orders); "last week at
the abbey: silent till the bishop left" and "abbey, half muffled for the rest of the week was
lovely" set the peal (value_orders._TAIL); "screen 4 has no power, close it" asks the reason
(enums._denied_or_done). New cause, older failure: "not sure why, but do the same for number 14"
drops the request (followups._REFUSED_AGAIN; on fbee23b it was a wrong write, ring 14 card 9).
Older (fail on fbee23b too): "3 levels
down, level 4" gives level 3; "but/excluding/bar eu" restarts eu; "P3: ok thanks" sets ok; "SKU-12
sold out for the rest of the week was a surprise" writes; "T2 can't have its bells back", "give T2
its bells back, not yet", "… but not before six" unmute T2; "page/chapter/version/section N of
<file>" gives N copies; "shut L2 down" finds no tool; "north, lockdown please" ends the lockdown;
"don't forget to do the same for number 14" drops the request.

Fixed the same session: six of the seven new findings (a determiner only after a content word,
a past participle keeps its own particle, no "thanks" or told past in a verbless order, "no power"
names the fault), the new cause ("not the same" read narrowly), "but/excluding/bar eu" and "give
T2 its bells back, not yet", and the seventh ("abbey" of a venue other tools take names the
thing, not the value a verbless order sets). The rest are strict xfails that say why, all older."""

from __future__ import annotations

from typing import Any

import pytest

from chatops.bot.model import Plan, Step, StepStatus
from chatops.bot.perception.types import PerceivedPart
from tests.test_review20_attacks import DB, LINE, SHOW, SITE
from tests.test_understanding import calls, plan, runbook
from tests.test_values_as_written import RINGING


def _writes(outcome: Any) -> list[tuple[str, dict[str, Any]]]:
    if not isinstance(outcome, Plan):
        return []
    return [(step.tool, step.args) for step in outcome.steps if step.risk.name != "read"]


def _tools(outcome: Any) -> list[str]:
    return [tool for tool, _ in _writes(outcome)]


# --- 1. a value in the possessive, a determiner between a value's words -------------------------

SIGNS = [
    runbook("set_sign", "Set the message a roadside sign shows.", "write",
            {"sign": {"pattern": "^VMS[0-9]{2}$", "description": "Road sign id, e.g. VMS12"},
             "message": {"type": "enum", "values": ["works", "diversion", "normal"],
                         "description": "works (roadworks ahead), diversion, normal"}}),
    runbook("signs", "List the roadside signs and the message each shows.", "read", {}),
]


@pytest.mark.parametrize("text", [
    "the work's finished on VMS12, set the sign to normal",
    "the work's finished, put VMS12 back to normal",
])
async def test_guard_a_contraction_of_a_values_word_is_not_the_value(text: str) -> None:
    """ "the work's finished" is "work is", never the message `works`."""
    assert calls(await plan(text, SIGNS)) == [("set_sign", {"sign": "VMS12", "message": "normal"})]


PROJECTS = [
    runbook("set_health", "Set a project's health on the portfolio board.", "write",
            {"project": {"pattern": "^PR[0-9]{2}$", "description": "Project id, e.g. PR12"},
             "health": {"type": "enum", "values": ["on_track", "at_risk", "done"]}}),
]


async def test_at_the_risk_of_is_no_at_risk() -> None:
    """ "at the risk of nagging" is an idiom, not the health `at_risk` with "the" between its words;
    the order is "mark PR12 as done" (the planner found no tool at all)."""
    assert calls(await plan("at the risk of nagging, mark PR12 as done", PROJECTS)) == \
        [("set_health", {"project": "PR12", "health": "done"})]


STOCK = [
    runbook("set_stock_state", "Set a stock item's state in the shop.", "write",
            {"sku": {"pattern": "^SKU-[0-9]+$", "description": "Stock item, e.g. SKU-12"},
             "state": {"type": "enum", "values": ["in_stock", "sold_out", "discontinued"]}}),
]


async def test_in_the_stock_room_is_no_in_stock() -> None:
    """ "in the stock room" names a room, not the state `in_stock`: the order says sold out."""
    assert calls(await plan("the boxes in the stock room got wet, mark SKU-12 as sold out", STOCK)) == \
        [("set_stock_state", {"sku": "SKU-12", "state": "sold_out"})]


# --- 3. a figure next to its parameter's own name ------------------------------------------------

PARK = [
    runbook("reserve_space", "Reserve a parking space in the car park for a visitor.", "write",
            {"level": {"type": "int", "min": 1, "max": 6, "description": "Car park level"},
             "space": {"type": "int", "min": 1, "max": 80, "description": "Space number on that level"}}),
]


@pytest.mark.xfail(strict=True, reason="older: '3 levels down' is a count of levels, read as the level")
async def test_a_count_of_the_parameter_s_things_is_not_its_value() -> None:
    """ "3 levels down" counts levels; "level 4" is the level (was level 3: a wrong write)."""
    assert calls(await plan("reserve space 40, 3 levels down, level 4", PARK)) == \
        [("reserve_space", {"level": 4, "space": 40})]


@pytest.mark.parametrize("text", [
    "reserve a space on level 4 for the plumber, space 40",
    "reserve space 40 on level 4",
    "reserve space 40 on level 4, it's 3 levels down from the entrance",
    "reserve space 40 at level 4 (2 levels below the shop)",
])
async def test_guard_level_and_space(text: str) -> None:
    assert calls(await plan(text, PARK)) == [("reserve_space", {"level": 4, "space": 40})]


# --- 4. a verb's particle is no state a read filters by -----------------------------------------

PUMPS = [
    runbook("set_pump_status", "Set a pump's status on the plant board.", "write",
            {"pump": {"pattern": "^P[0-9]$", "description": "Pump id, e.g. P3"},
             "status": {"type": "enum", "values": ["ok", "fault", "maintenance"]}}),
    runbook("pumps", "List the pumps: state (on or off), flow, status.", "read",
            {"state": {"type": "enum", "values": ["any", "on", "off"], "default": "any",
                       "description": "only pumps in this state"}}),
]


async def test_the_things_someone_turned_off_are_those_that_are_off() -> None:
    """ "the pumps someone turned off": the particle says the state the list asks for."""
    assert calls(await plan("show the pumps someone turned off", PUMPS)) == [("pumps", {"state": "off"})]


@pytest.mark.parametrize(("text", "expected"), [
    ("list the pumps we switched off this morning", {"state": "off"}),
    ("which pumps have been turned off?", {"state": "off"}),
    ("show me which pumps are on", {"state": "on"}),
    ("can you turn the radio off and list the pumps that are on", {"state": "on"}),
    ("list the pumps, then switch the kettle on", {}),
    ("list pumps that are off, I'll sign off after", {"state": "off"}),
])
async def test_guard_particles_and_states(text: str, expected: dict[str, Any]) -> None:
    assert calls(await plan(text, PUMPS)) == [("pumps", expected)]


BOARD = [
    runbook("staff_board", "List the staff on the in/out board.", "read",
            {"state": {"type": "enum", "values": ["any", "in", "out"], "default": "any",
                       "description": "only staff who are in or out"}}),
    runbook("sign_out", "Sign a member of staff out on the board.", "write",
            {"person": {"pattern": "^[a-z]+$", "description": "first name, e.g. ann"}}),
]


@pytest.mark.parametrize(("text", "expected"), [
    ("list the staff who signed out after 5", {"state": "out"}),
    ("can you log off the board and list who is in", {"state": "in"}),
])
async def test_guard_the_in_out_board(text: str, expected: dict[str, Any]) -> None:
    assert calls(await plan(text, BOARD)) == [("staff_board", expected)]


# --- 5. "except" leaves out what it is written before -------------------------------------------

REGION = {"type": "enum", "values": ["eu", "us", "ap"], "description": "The region: eu, us or ap"}
WEB = [
    runbook("restart_web", "Restart the web tier of a region.", "write", {"region": REGION}),
    runbook("web_status", "Show the web tier of a region.", "read", {"region": REGION}),
]


@pytest.mark.parametrize("text", [
    "restart every region but eu",
    "restart all regions excluding eu",
    "restart the web tier everywhere bar eu",
])
async def test_the_region_left_out_is_never_restarted(text: str) -> None:
    """ "but/excluding/bar eu" leaves eu out, as "except eu" does: never a restart aimed at eu."""
    assert all(args.get("region") != "eu" for _, args in _writes(await plan(text, WEB)))


@pytest.mark.parametrize("text", [
    "restart the web tier in every region except, of course, eu",
    "restart the web tier in every region, except eu",
    "eu is fine; restart every other region",
])
async def test_guard_except_across_commas(text: str) -> None:
    assert all(args.get("region") != "eu" for _, args in _writes(await plan(text, WEB)))


# --- 6. a verbless order that names a value ------------------------------------------------------

@pytest.mark.parametrize("text", ["P3 checked. ok, thanks", pytest.param("P3: ok thanks", marks=pytest.mark.xfail(
    strict=True, reason="older: a value and a thing alone are read as an order by their values"))])
async def test_ok_thanks_is_no_order_to_set_ok(text: str) -> None:
    """ "ok, thanks" acknowledges; it never sets the status `ok` (a write nobody asked for)."""
    assert _writes(await plan(text, PUMPS)) == []


async def test_a_value_told_with_a_past_tail_is_no_order() -> None:
    """ "… for the rest of the week was a surprise" tells what happened; `_TAIL`'s "for …" takes
    any words to the clause's end. (A finding until session 25: a story of what a thing did, "SKU-12
    sold out", now gets no change found by its values.)"""
    assert _writes(await plan("SKU-12 sold out for the rest of the week was a surprise", STOCK)) == []


# the bell-ringing tools of tests/test_values_as_written.py, where the verbless orders are tested


@pytest.mark.parametrize("text", [
    "last week at the abbey: silent till the bishop left",
    "abbey, half muffled for the rest of the week was lovely",
])
async def test_a_peal_told_of_the_past_sets_none(text: str) -> None:
    """A report of what the bells did is no order (was: set_peal silent for 7 days, from "last week")."""
    assert "set_peal" not in _tools(await plan(text, RINGING))


@pytest.mark.parametrize("text", [
    "the abbey: half muffled? no, usual",
])
async def test_guard_a_question_sets_no_peal_by_value_alone(text: str) -> None:
    assert "set_peal" not in _tools(await plan(text, RINGING))


async def test_guard_no_bells_please() -> None:
    assert calls(await plan("the abbey, no bells please", RINGING)) == \
        [("set_peal", {"venue": "abbey", "peal": "silent"})]


SPEED = {"type": "enum", "values": ["standard", "rush"], "description": "standard or rush"}
SAMPLE = {"pattern": "^S[0-9]{3}$", "description": "Sample id, e.g. S104"}
LAB = [
    runbook("order_test", "Order a lab test for a sample.", "write", {"sample": SAMPLE, "speed": SPEED}),
    runbook("order_courier", "Order a courier to collect a sample.", "write", {"sample": SAMPLE, "speed": SPEED}),
]


@pytest.mark.parametrize("text", ["S104, rush please", "S104 rush please"])
async def test_guard_a_value_two_writes_take_orders_neither(text: str) -> None:
    assert _writes(await plan(text, LAB)) == []


SCHOOL_NAME = {"type": "enum", "values": ["northgate", "riverside"]}
SCHOOLS = [
    runbook("set_day", "Set a school's day schedule.", "write",
            {"school": SCHOOL_NAME, "schedule": {"type": "enum", "values": ["normal", "late_start", "closed"],
                                                 "description": "normal, late_start or closed"}}),
    runbook("wipe_timetable", "Delete a school's timetable for good.", "danger",
            {"school": SCHOOL_NAME,
             "scope": {"type": "enum", "values": ["term", "year"], "description": "term or year"}}),
]


async def test_guard_a_danger_tool_is_never_ordered_by_its_value() -> None:
    assert _writes(await plan("northgate, year please", SCHOOLS)) == []


async def test_guard_a_verbless_order_in_a_pasted_file_is_data() -> None:
    memo = PerceivedPart(name="memo.txt", kind="file", label="[file: memo.txt]",
                         text="northgate, late start till further notice").render()
    for text in (f"what does this memo say?\n{memo}", f"fyi\n{memo}", memo):
        assert _writes(await plan(text, SCHOOLS)) == [], text


# --- 7. "have/give X back" ------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    pytest.param("T2 can't have its bells back.", marks=pytest.mark.xfail(
        strict=True, reason="older: found by its values and meaning, whatever the refusal")),
    "give T2 its bells back, not yet",
    pytest.param("the vicar wants the tower T2 to have its bells back, but not before six", marks=pytest.mark.xfail(
        strict=True, reason="older: found by its values and meaning, whatever the delay")),
])
async def test_a_way_back_refused_or_put_off_unmutes_nothing(text: str) -> None:
    """ "can't have", "not yet", "not before six": no unmute now."""
    assert "unmute_tower" not in _tools(await plan(text, RINGING))


@pytest.mark.parametrize("text", [
    "don't give T2 its bells back, not yet",
    "you can have T2 back tomorrow",
    "T2 had its bells back by noon.",
    "should T2 have its bells back?",
])
async def test_guard_no_way_back(text: str) -> None:
    assert "unmute_tower" not in _tools(await plan(text, RINGING))


async def test_guard_a_way_back_in_a_screenshot_is_data() -> None:
    note = PerceivedPart(name="n.png", kind="image", label="[image: n.png, 800×600 png]",
                         text="text:\nT2 can have its bells back").render()
    assert _writes(await plan(f"what's this note?\n{note}", RINGING)) == []


# --- 8. "N of <a named path>" is a count ----------------------------------------------------------

PRINTS = [
    runbook("queue_print", "Queue a file on the print room's printer.", "write",
            {"file": {"pattern": "^/[\\w./-]+$", "description": "the file to print, e.g. /docs/a.pdf"},
             "copies": {"type": "int", "min": 1, "max": 50, "default": 1, "description": "How many copies to print"}}),
]


@pytest.mark.parametrize("text", [
    "queue page 3 of /docs/manual.pdf",
    "queue chapter 4 of /docs/manual.pdf",
    "queue version 2 of /docs/manual.pdf",
    "queue /docs/manual.pdf: section 5 of /docs/manual.pdf is the one they need",
])
@pytest.mark.xfail(strict=True, reason="older: the one number a count takes when nothing else does")
async def test_a_part_of_a_file_is_no_count_of_copies(text: str) -> None:
    """ "page 3 of <file>" names a page, not 3 copies (a wrong value for a write)."""
    assert all(args.get("copies", 1) == 1 for _, args in _writes(await plan(text, PRINTS)))


async def test_guard_n_of_a_file_is_n_copies() -> None:
    assert calls(await plan("queue 3 of /docs/manual.pdf", PRINTS)) == \
        [("queue_print", {"file": "/docs/manual.pdf", "copies": 3})]


# --- 9. start_<event> tools, "not the same for", a part after "no" -------------------------------

PLANT = [
    runbook("start_shutdown", "Start a controlled shutdown of a bottling line: the fillers stop and drain.", "write",
            {"line": LINE}),
    runbook("cancel_shutdown", "Cancel a shutdown of a bottling line in progress: the fillers restart.", "write",
            {"line": LINE}),
    runbook("line_status", "Show a bottling line's speed, fillers and last stops.", "read", {"line": LINE}),
]


@pytest.mark.parametrize("text", [
    "stop the shutdown of L2!",
    "halt the shutdown on L2, we need it running",
    "abort L2's shutdown",
    "cancel the shutdown of L2",
    "the shutdown on L2 must stop now",
    "don't shut down L2",
])
async def test_guard_stopping_a_shutdown_never_starts_one(text: str) -> None:
    assert "start_shutdown" not in _tools(await plan(text, PLANT))


async def test_shut_a_line_down_is_its_shutdown() -> None:  # an older finding, fixed in session 20
    """ "shut L2 down" (particle after the object) as "shut down L2" (found no tool)."""
    assert calls(await plan("shut L2 down", PLANT)) == [("start_shutdown", {"line": "L2"})]


BACKUPS = [
    runbook("start_backup", "Start a full backup of a database host to cold storage.", "write", {"host": DB}),
    runbook("run_failover", "Fail a database host over to its replica.", "danger", {"host": DB}),
    runbook("backups", "List a database host's backups and their sizes.", "read", {"host": DB}),
]


@pytest.mark.parametrize(("text", "expected"), [
    ("back up db1", [("start_backup", {"host": "db1"})]),
    ("start a backup of db1", [("start_backup", {"host": "db1"})]),
    ("fail over db1", [("run_failover", {"host": "db1"})]),
    ("is db1 backed up?", [("backups", {"host": "db1"})]),
])
async def test_guard_start_and_run_event_tools(text: str, expected: list) -> None:
    assert calls(await plan(text, BACKUPS)) == expected


async def test_guard_stop_the_backup_starts_none() -> None:
    assert "start_backup" not in _tools(await plan("stop the backup on db1", BACKUPS))


SCHOOL = [
    runbook("start_lockdown", "Start a lockdown of a school site: every door locks and the alarm sounds.", "write",
            {"site": SITE}),
    runbook("end_lockdown", "End the lockdown of a school site: the doors unlock and the alarm stops.", "write",
            {"site": SITE}),
    runbook("sites", "List the school sites: doors, alarms, any lockdown in progress.", "read", {"site": SITE}),
]


@pytest.mark.xfail(strict=True, reason="older: 'lockdown please' after a site finds the end by meaning")
async def test_a_lockdown_asked_for_is_never_ended() -> None:
    """ "north, lockdown please" asks for a lockdown; ending one is the opposite direction."""
    assert "end_lockdown" not in _tools(await plan("north, lockdown please", SCHOOL))


@pytest.mark.parametrize("text", ["stop the lockdown at north", "cancel the lockdown at north",
                                  "lift the lockdown at north"])
async def test_guard_ending_a_lockdown_never_starts_one(text: str) -> None:
    assert calls(await plan(text, SCHOOL)) == [("end_lockdown", {"site": "north"})]


_HISTORY = [{"role": "user", "text": "withdraw number 9 from ring 3"}, {"role": "bot", "text": "withdraw_dog ran"}]


def _withdrawn() -> list[Plan]:
    return [Plan(goal="withdraw", steps=[Step(tool="withdraw_dog", args={"ring": 3, "card": 9},
                                              risk="write", status=StepStatus.succeeded)])]


@pytest.mark.parametrize("text", [
    pytest.param("don't forget to do the same for number 14", marks=pytest.mark.xfail(
        strict=True, reason="older: the negation split takes the order with it")),
    "not sure why, but do the same for number 14",
])
async def test_a_same_for_that_opens_with_a_negative_word_is_still_asked(text: str) -> None:
    """`followups._REFUSED_AGAIN` reads any "not/don't/never … same" as a refusal: a request the
    user made is dropped."""
    assert calls(await plan(text, SHOW, earlier=_withdrawn(), history=_HISTORY)) == \
        [("withdraw_dog", {"ring": 3, "card": 14})]


@pytest.mark.parametrize("text", [
    "never mind the vet, same for number 14",
    "no need to ask me, same for number 14 too",
    "don't ask again, same for number 14",
])
async def test_guard_same_for_after_another_negative(text: str) -> None:
    assert calls(await plan(text, SHOW, earlier=_withdrawn(), history=_HISTORY)) == \
        [("withdraw_dog", {"ring": 3, "card": 14})]


CINEMA = [
    runbook("close_screen", "Close a cinema screen: its shows are cancelled and the box office stops selling.",
            "write",
            {"screen": {"type": "int", "min": 1, "max": 12, "description": "Screen number"},
             "reason": {"type": "enum", "values": ["power_fault", "lamp_fault", "sound_fault", "other"],
                        "description": "why, for the log"}}),
    runbook("screens", "List the cinema's screens and what is showing.", "read", {}),
]


async def test_no_power_is_a_power_fault() -> None:
    """ "has no power" names the fault; `enums._denied_or_done` reads a part after "no" as naming
    nothing, so the reason is asked."""
    assert calls(await plan("screen 4 has no power, close it", CINEMA)) == \
        [("close_screen", {"screen": 4, "reason": "power_fault"})]


async def test_guard_a_power_fault_told() -> None:
    assert calls(await plan("close screen 4: power fault", CINEMA)) == \
        [("close_screen", {"screen": 4, "reason": "power_fault"})]


# --- 2. durations ---------------------------------------------------------------------------------

HALL = [
    runbook("door_log", "Show who opened the hall's doors over the given minutes.", "read",
            {"minutes": {"type": "int", "min": 1, "max": 4320, "default": 60, "description": "minutes of the log"}}),
]


@pytest.mark.parametrize(("text", "minutes"), [
    ("who opened the doors over the last hour and a half?", 90),
    ("who opened the doors in the past hour and a quarter?", 75),
    ("who opened the doors over the last day and a half?", 2160),
])
async def test_guard_a_unit_and_a_part(text: str, minutes: int) -> None:
    assert calls(await plan(text, HALL)) == [("door_log", {"minutes": minutes})]
