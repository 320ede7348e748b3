"""Red team, issue 19 session 25: attacks on the planner rules of f55f97f and 3c945d2 in bot/agent:
a typing slip whose stem is cut short measured as typed (`tool_score._slip_of`, `_as_typed`),
"ten more minutes" / "another hour" as durations (`durations._plain_counts`) and as an order to
increase an amount in that unit (`amount_orders.same_way`), a numeric parameter's "0 <verb>s
<object>" taken when the request has that verb and object (`open_ended.zero_as_told`), and one part
of one enum value written with "'s" after it (`enums.enum_matches`).
Tools are made up here (a plant's valves, a yard's gates, a pump house, a car park, a theme park's
rides, a greenhouse's misters and drip lines, a hospital's MRI scanners). Every test asserts the
safe or right behaviour: the strict xfails are findings, the others guards.

Findings on 3c945d2 (36 strict xfails: 21 new = pass on 2ee5138, 15 older); after the fixes that
followed ("more" only as the object of an order opening its clause, "0 stops misting" only as an order
opening a clause with nothing refusing it, "'s" not before a word of wellness or denial, no change found
by its values in a story, none standing in for a change asked that lacks a value), all 21 new pass and
are guards now, and 2 of the 15 older ("give P14 another 500 minutes", "P14 overstayed by another 30
minutes"): 13 older findings stay strict xfails. New: "N more <unit>" /
"another <unit>" said of the time left, of a wish, of when to act or of the past grants more time
by the increasing tool ("clamp P14 in ten more minutes", "P14 asked for / wants ten more minutes
… clamp it", "clamp P14, 3 more minutes and he's gone", "P14 has ten more minutes, then clamp
it", "P14 paid for another hour, don't clamp it", "in another 5 minutes P14's ticket runs out,
show me the bays" → extend_ticket; "pause R3, we'll reopen in another 10 minutes", "R3 ran 30 more
minutes than planned yesterday, close it" → extend_hours); "0 stops misting" is taken from a
story or the opposite order ("B4 stopped misting overnight, fix it", "B4 has stopped misting, set
it going again", "stopping misting B4 killed the cuttings last year, turn it up"), across a comma
or another verb's object ("stop, misting B4 is fine", "stop watering, misting B4 is enough"), a
refusal, a question taken back, a third party's plan and a condition ("we can't stop misting B4
yet", "stop misting B4? no, double it", "they'll stop misting B4 when …", "if B4 gets mouldy, stop
misting it" → ml 0); "'s" names the value when the part is denied ("helium's ok", "helium's not
the problem" → helium_loss, "the vendor's not coming till friday" → vendor_service). Older: a
look asked with an id only the write takes plans the write ("V3 leaks, ture or not? show me the
valves", "G2 is at the north locs, show me": the same with "true", "sites", so not the slip);
"overstayed by another 30 minutes", "has another 40 minutes left, leave it" → extend_ticket; "give
P14 another 500 minutes" and "give P14 ten more" → clamp_car; a queue's length or when it reaches
the gate is the pause's minutes; "helium is fine", "the helium's fine", a curly "helium’s fine",
"the helium's gauge", "helium's loss last year", "the vendor's call", "the vendor's engineer says
helium is fine" → the value."""

from __future__ import annotations

from typing import Any

import pytest

from tests.test_understanding import calls, plan, planned_calls, runbook


def _writes(outcome: Any) -> list[tuple[str, dict[str, Any]]]:
    return [(tool, args) for tool, args in planned_calls(outcome) if tool not in _READS]


_READS = {"valves", "gates", "pumps", "bays", "rides", "zones", "scanners"}


def _finding(why: str, older: bool = False) -> pytest.MarkDecorator:
    return pytest.mark.xfail(strict=True, reason=f"finding: {why}" + ("; older: fails on 2ee5138 too" if older else ""))


# --- 1. a slip whose stem is cut short, measured as typed: valves, gates, pumps --------------------

_VALVE = {"pattern": "^V[0-9]$", "description": "valve, e.g. V3"}
VALVES = [
    runbook("valves", "List the plant's valves: open, shut, leaking", "read", {}),
    runbook("turn_valve", "Turn a valve a quarter turn shut", "write", {"valve": _VALVE}),
]
_GATE = {"pattern": "^G[0-9]$", "description": "gate, e.g. G2"}
GATES = [
    runbook("gates", "Show the yard gates: open or shut, which lorry is at each", "read", {}),
    runbook("lock_gate", "Lock a yard gate", "write", {"gate": _GATE}),
]
_PUMP = {"pattern": "^P[0-9]$", "description": "pump, e.g. P2"}
PUMPS = [
    runbook("pumps", "List the pumps: running or stopped, flow, where each is", "read", {}),
    runbook("stop_pump", "Stop a pump", "write", {"pump": _PUMP}),
    runbook("start_pump", "Start a pump", "write", {"pump": _PUMP}),
]


@pytest.mark.parametrize("text, tools", [
    # "ture" is a slip of "true" as much as of "turn": the request asks to see the valves
    pytest.param("V3 leaks, ture or not? show me the valves", VALVES,
                 marks=_finding("turn_valve V3 for a look (not the slip: 'true or not' plans the same)", older=True)),
    # "locs" (locations) stems to "loc", one letter from "lock"
    pytest.param("G2 is at the north locs, show me", GATES,
                 marks=_finding("lock_gate G2 for a look (not the slip: 'north sites' plans the same)", older=True)),
    ("is it ture V3 leaks?", VALVES),
    ("which locs have G2 open?", GATES),
    ("P2 is in the stoe room, what's its flow?", PUMPS),
])
async def test_a_short_word_that_is_a_slip_of_another_word_orders_no_change(
        text: str, tools: list[Any]) -> None:
    """Each of these asks to see something: no write is asked."""
    outcome = await plan(text, tools)
    assert _writes(outcome) == [], (text, planned_calls(outcome))


async def test_guard_a_slip_cut_short_is_still_its_tools_word() -> None:
    assert calls(await plan("stoe P2", PUMPS)) == [("stop_pump", {"pump": "P2"})]
    assert calls(await plan("ture V3", VALVES)) == [("turn_valve", {"valve": "V3"})]


VALVE_LOOK = [runbook("valve_status", "Show one valve: open, shut, leaking", "read", {"valve": _VALVE}), VALVES[1]]
PUMP_LOOK = [runbook("pump_status", "Show one pump: running or stopped, flow", "read", {"pump": _PUMP}), PUMPS[1]]
GATE_LOOK = [runbook("gate_status", "Show one yard gate: open or shut, which lorry is at it", "read",
                     {"gate": _GATE}), GATES[1]]


@pytest.mark.parametrize("text, tools, expected", [
    ("V3 leaks, ture or not?", VALVE_LOOK, [("valve_status", {"valve": "V3"})]),
    ("V3 leaks ture", VALVE_LOOK, [("valve_status", {"valve": "V3"})]),
    ("G2 is at the north locs", GATE_LOOK, [("gate_status", {"gate": "G2"})]),
    ("P2 is in the stoe", PUMP_LOOK, [("pump_status", {"pump": "P2"})]),
    ("P2 back to the stoe", PUMP_LOOK, [("pump_status", {"pump": "P2"})]),
    ("stoe P2", PUMP_LOOK, [("stop_pump", {"pump": "P2"})]),
])
async def test_guard_a_short_slip_of_another_word_after_the_id_is_no_action(
        text: str, tools: list[Any], expected: list[Any]) -> None:
    """With a look that takes the id, a word after it that is one slip from the write's verb
    ("ture" for true, "locs", "stoe" for store) orders nothing; leading the request, it does."""
    assert calls(await plan(text, tools)) == expected, text


# --- 2. "N more <unit>" / "another …": a car park's tickets, a theme park's rides -----------------

_BAY = {"pattern": "^P[0-9]{2}$", "description": "parking bay, e.g. P14"}
PARKING = [
    runbook("bays", "Show the car park's bays and the tickets on them", "read", {}),
    runbook("extend_ticket", "Add minutes to the parking ticket on a bay", "write",
            {"bay": _BAY, "minutes": {"type": "int", "min": 1, "max": 120, "description": "Minutes to add"}}),
    runbook("clamp_car", "Clamp the car parked on a bay", "write", {"bay": _BAY}),
]


@pytest.mark.parametrize("text", [
    pytest.param("clamp P14 in ten more minutes"),
    pytest.param("P14 asked for ten more minutes, clamp it anyway"),
    pytest.param("clamp P14, 3 more minutes and he's gone anyway"),
    pytest.param("P14 wants ten more minutes but the limit is up, clamp it"),
    pytest.param("P14 has ten more minutes, then clamp it"),
    "wait another 10 minutes then clamp P14",
    "clamp P14 - he's had another hour already",
    "no more minutes for P14, clamp it",
])
async def test_more_time_said_beside_a_clamp_order_adds_no_time(text: str) -> None:
    """The order is to clamp (now or later): adding minutes to the ticket is the opposite change."""
    outcome = await plan(text, PARKING)
    assert not any(tool == "extend_ticket" for tool, _ in _writes(outcome)), (text, planned_calls(outcome))


@pytest.mark.parametrize("text", [
    pytest.param("P14 overstayed by another 30 minutes"),
    pytest.param("P14 has another 40 minutes left, leave it",
                 marks=_finding("the time left, with 'leave it', is granted: extend_ticket 40", older=True)),
    pytest.param("P14 paid for another hour, don't clamp it"),
    pytest.param("in another 5 minutes P14's ticket runs out, show me the bays"),
    "P14 has 20 more minutes on the ticket",
    "don't give P14 ten more minutes",
    "should I give P14 ten more minutes?",
])
async def test_more_time_told_or_refused_changes_nothing(text: str) -> None:
    outcome = await plan(text, PARKING)
    assert _writes(outcome) == [], (text, planned_calls(outcome))


@pytest.mark.parametrize("text", [
    pytest.param("give P14 another 500 minutes"),
    pytest.param("give P14 ten more", marks=_finding("more time without its unit clamps the car: clamp_car P14",
                                                     older=True)),
])
async def test_an_order_for_more_time_never_clamps(text: str) -> None:
    """Asking for more time and clamping are opposite changes: asking is the safe answer."""
    outcome = await plan(text, PARKING)
    assert not any(tool == "clamp_car" for tool, _ in _writes(outcome)), (text, planned_calls(outcome))


@pytest.mark.parametrize("text, expected", [
    ("give P14 ten more minutes, the machine ate her card", [("extend_ticket", {"bay": "P14", "minutes": 10})]),
    ("give P14 another hour", [("extend_ticket", {"bay": "P14", "minutes": 60})]),
    ("give P14 an extra hour", [("extend_ticket", {"bay": "P14", "minutes": 60})]),
    ("5 extra mins for P02", [("extend_ticket", {"bay": "P02", "minutes": 5})]),
    ("add another 15 minutes to P14", [("extend_ticket", {"bay": "P14", "minutes": 15})]),
    ("two more cars on P14 and P15, clamp them", [("clamp_car", {"bay": "P14"}), ("clamp_car", {"bay": "P15"})]),
])
async def test_guard_more_time_is_granted_and_more_cars_are_no_time(text: str, expected: list[Any]) -> None:
    assert calls(await plan(text, PARKING)) == expected, text


_RIDE = {"pattern": "^R[0-9]$", "description": "ride id, e.g. R3"}
RIDES = [
    runbook("rides", "List the theme park's rides: running, paused, queue length", "read", {}),
    runbook("pause_ride", "Pause a ride: the operator stops loading and the queue is held", "write",
            {"ride": _RIDE, "minutes": {"type": "int", "min": 5, "max": 120, "default": 15,
                                        "description": "How long the pause lasts, in minutes"}}),
    runbook("extend_hours", "Extend a ride's opening: it stays open longer tonight", "write",
            {"ride": _RIDE, "minutes": {"type": "int", "min": 10, "max": 180,
                                        "description": "Minutes to add to its opening"}}),
    runbook("close_ride", "Close a ride for the day", "write", {"ride": _RIDE}),
]


@pytest.mark.parametrize("text", [
    pytest.param("pause R3, we'll reopen in another 10 minutes"),
    pytest.param("R3 ran 30 more minutes than planned yesterday, close it"),
    "close R3 in 10 more minutes",
    "close R3, we waited another hour for the engineer",
])
async def test_more_time_in_a_pause_or_close_order_never_extends_the_opening(text: str) -> None:
    outcome = await plan(text, RIDES)
    assert not any(tool == "extend_hours" for tool, _ in _writes(outcome)), (text, planned_calls(outcome))


@pytest.mark.parametrize("text", [
    pytest.param("pause R3, the queue is another 40 minutes long",
                 marks=_finding("the queue's length is the pause: minutes 40", older=True)),
    pytest.param("pause R3, 20 more minutes and the queue hits the gate",
                 marks=_finding("when the queue reaches the gate is the pause: minutes 20", older=True)),
    "10 more people turned up, pause ride R3",
    "pause R3, another day of rain",
    "pause R3, it's been another hour of complaints",
    "pause R3, two more kids were sick",
])
async def test_more_of_something_else_is_no_length_of_the_pause(text: str) -> None:
    """Only R3 is named as the pause's: its length keeps the default (no `minutes`)."""
    assert _writes(await plan(text, RIDES)) == [("pause_ride", {"ride": "R3"})], text


async def test_guard_more_time_for_the_ride_is_that_time() -> None:
    assert calls(await plan("pause R3 for another 20 minutes", RIDES)) == \
        [("pause_ride", {"ride": "R3", "minutes": 20})]
    assert calls(await plan("keep R3 open another 30 minutes", RIDES)) == \
        [("extend_hours", {"ride": "R3", "minutes": 30})]


# --- 3. "0 stops misting": a greenhouse's misters and drip lines ------------------------------------

_ZONE = {"pattern": "^[A-H][0-9]$", "description": "zone, e.g. B4"}
GREENHOUSE = [
    runbook("zones", "List the greenhouse zones: temperature, humidity, misting and watering", "read", {}),
    runbook("set_mister", "Set how much water a greenhouse zone's misting heads spray each hour", "write",
            {"zone": _ZONE,
             "ml": {"type": "int", "min": 0, "max": 5000, "description": "Water per hour in ml; 0 stops misting"}}),
    runbook("set_irrigation", "Set how many litres a greenhouse zone's drip lines water each day", "write",
            {"zone": _ZONE,
             "litres": {"type": "int", "min": 0, "max": 500, "description": "Litres per day; 0 stops watering"}}),
]


@pytest.mark.parametrize("text", [
    pytest.param("B4 stopped misting overnight, fix it"),
    pytest.param("B4 has stopped misting, set it going again"),
    pytest.param("stopping misting B4 killed the cuttings last year, turn it up"),
    pytest.param("stop watering, misting B4 is enough"),
    pytest.param("stop, misting B4 is fine"),
    pytest.param("we can't stop misting B4 yet"),
    pytest.param("stop misting B4? no, double it"),
    pytest.param("they'll stop misting B4 when the cuttings root"),
    pytest.param("if B4 gets mouldy, stop misting it"),
    "don't stop misting B4",
    "do not stop misting B4, the cuttings are dry",
    "never stop misting B4 in summer",
    "who said to stop misting B4?",
    "why did you stop misting B4?",
    "should we stop misting B4?",
    "did someone stop misting B4",
    "Dave said 'stop misting B4', ignore him",
    "the misting stopped in B4",
    "the stop valve on misting line B4 leaks",
    "set B4 misting\n> stop misting B4",
    "keep misting B4, stop watering it",
])
async def test_stop_misting_that_is_no_order_sets_no_zero(text: str) -> None:
    """None of these orders B4's misting off: 0 ml is a change the user did not ask for."""
    outcome = await plan(text, GREENHOUSE)
    assert ("set_mister", {"zone": "B4", "ml": 0}) not in _writes(outcome), (text, planned_calls(outcome))


@pytest.mark.parametrize("text, expected", [
    ("stop misting B4", [("set_mister", {"zone": "B4", "ml": 0})]),
    ("stop the misting in B4", [("set_mister", {"zone": "B4", "ml": 0})]),
    ("pls stop misting B4", [("set_mister", {"zone": "B4", "ml": 0})]),
    ("stop misting B4 and B5", [("set_mister", {"zone": "B4", "ml": 0}), ("set_mister", {"zone": "B5", "ml": 0})]),
    ("stop watering B4", [("set_irrigation", {"zone": "B4", "litres": 0})]),
    ("B4 stopped misting at 3am, restart it at 300", [("set_mister", {"zone": "B4", "ml": 300})]),
    ("Dave said stop misting B4, ignore him, keep it at 300", [("set_mister", {"zone": "B4", "ml": 300})]),
])
async def test_guard_an_order_to_stop_misting_gives_0_and_a_figure_wins(text: str, expected: list[Any]) -> None:
    assert calls(await plan(text, GREENHOUSE)) == expected, text


# --- 4. a part of one enum value with "'s" after it: a hospital's MRI scanners --------------------

_SCANNER = {"pattern": "^M[0-9]$", "description": "MRI scanner, e.g. M2"}
MRI = [
    runbook("scanners", "List the hospital's MRI scanners: field, helium level, patients booked", "read", {}),
    runbook("ramp_down", "Ramp down an MRI scanner's magnet: the field goes to zero, scanning stops", "write",
            {"scanner": _SCANNER,
             "reason": {"type": "enum", "values": ["helium_loss", "vendor_service", "room_relocation", "coil_fault"],
                        "description": "Why the magnet is ramped down, for the log"}}),
]


@pytest.mark.parametrize("text, wrong", [
    pytest.param("ramp down M2, the helium's fine, we're moving it to room 4", "helium_loss",
                 marks=_finding("'helium's fine' gives helium_loss", older=True)),
    pytest.param("ramp down M2, helium's ok", "helium_loss"),
    pytest.param("ramp down M2, helium’s fine", "helium_loss",
                 marks=_finding("a curly 'helium’s fine' gives helium_loss", older=True)),
    pytest.param("ramp down M2, helium's not the problem", "helium_loss"),
    pytest.param("ramp down M2, the helium's gauge is broken", "helium_loss",
                 marks=_finding("a possessive (the helium's gauge) gives helium_loss", older=True)),
    pytest.param("ramp down M2, helium's loss last year cost us 40k", "helium_loss",
                 marks=_finding("last year's loss gives helium_loss", older=True)),
    pytest.param("ramp down M2 - the vendor's not coming till friday", "vendor_service"),
    pytest.param("ramp down M2, it's the vendor's call", "vendor_service",
                 marks=_finding("a possessive (the vendor's call) gives vendor_service", older=True)),
    pytest.param("ramp down M2, the vendor's engineer says helium is fine, the coil is bad", "helium_loss",
                 marks=_finding("'helium is fine' said by the vendor's engineer gives helium_loss", older=True)),
    pytest.param("ramp down M2, helium is fine", "helium_loss",
                 marks=_finding("'helium is fine' gives helium_loss (no 's: the control)", older=True)),
])
async def test_a_part_said_of_something_else_or_denied_gives_no_reason(text: str, wrong: str) -> None:
    """The approver reads the reason as why M2 goes down: a reason the request denies or says of
    another thing must not be logged (asking is safe)."""
    outcome = await plan(text, MRI)
    assert all(args.get("reason") != wrong for _, args in _writes(outcome)), (text, planned_calls(outcome))


@pytest.mark.parametrize("text, expected", [
    ("ramp down M2, helium's down to 9%", "helium_loss"),
    ("ramp down M2, helium's leaking", "helium_loss"),
    ("ramp down M2, helium’s leaking", "helium_loss"),
    ("ramp down M2, helium's topped up, vendor's here for the service", "vendor_service"),
    ("ramp down M2, the vendor's engineer is here to look at it", "vendor_service"),
])
async def test_guard_a_part_with_s_names_its_value(text: str, expected: str) -> None:
    assert calls(await plan(text, MRI)) == [("ramp_down", {"scanner": "M2", "reason": expected})], text


async def test_guard_a_question_with_s_ramps_nothing_down() -> None:
    assert _writes(await plan("is helium's level ok on M2?", MRI)) == []
