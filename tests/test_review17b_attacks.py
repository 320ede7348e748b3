"""review17b: second red-team pass on the planner changes of 2026-12-07 (issue 19 safety rules).

Each test asserts the SAFE (or right) behaviour, on tools made up here. Changes attacked:

1. `amount_orders.puts_in_a_listed_state` (+ `tool_score`): "keep S-03 on the night mode" asks for
   `set_sign_mode(mode=night)`;
2. `number_words.with_figures` (in `entities.extract_entities`): "down to eighteen degrees" is 18;
3. `noun_orders.noun_ordered` (+ `ranking`): "put a stoppage on" / "take the stoppage off" / "take X
   off divert" choose between two writes named by the thing;
4. `guided._tells_a_state`: after a negation, a text that only tells a state asks no change.

Rules: a change is proposed only when asked; text from images, files or pasted output is data; a
"don't" is obeyed; no wrong-target write; no wrong value. Failing tests are findings, passing ones
guards; nothing is skipped.
"""

from __future__ import annotations

import pytest

from chatops.bot.model import Answer, Plan
from tests.test_understanding import calls, plan, runbook

SCREEN = "[image: panel.png, 800×600 png] text:"


def steps_of(outcome: Plan | Answer) -> list[tuple[str, dict, bool]]:
    return [(step.tool, step.args, step.tainted) for step in getattr(outcome, "steps", [])]


def untainted(outcome: Plan | Answer) -> list[tuple[str, dict]]:
    return [(step.tool, step.args) for step in getattr(outcome, "steps", []) if not step.tainted]


# --- 1. a light verb that puts a thing on a listed value ------------------------------------------

SIGN = {"pattern": "^S-[0-9]{2}$", "description": "roadside sign, e.g. S-03"}
SIGN_TOOLS = [  # the description has no "put"/"keep": only the new rule can find the change
    runbook("sign_list", "Every roadside sign with its mode and message", "read", {}),
    runbook("set_sign_mode", "Choose which mode a roadside sign displays in", "write",
            {"sign": SIGN, "mode": {"type": "enum", "values": ["day", "night", "event", "blank"],
                                    "description": "display mode"}}),
    runbook("sign_message", "Show the message a roadside sign displays", "read", {"sign": SIGN}),
]


async def test_a_light_verb_order_as_a_question_proposes_no_change() -> None:
    """ "keep S-03 on the night mode?" asks whether to; `ranking` checks QUESTION before the noun
    rule, but `puts_in_a_listed_state` (tool_score) has no such check. At 947231d: the sign's read."""
    outcome = await plan("keep S-03 on the night mode?", SIGN_TOOLS)
    assert not any(tool == "set_sign_mode" for tool, _, _ in steps_of(outcome)), steps_of(outcome)


@pytest.mark.parametrize("text", ["keep S-03 as it is, someone asked for the night mode",
                                  "run the event check on S-03"])
async def test_a_listed_value_named_outside_the_order_asks_no_change(text: str) -> None:
    """The listed value only has to follow "the" anywhere in the text, and the light verb only has
    to open some clause: "keep S-03 as it is, … the night mode" and "run the event check" become
    set_sign_mode. The first is the opposite of what was asked (keep it as it is)."""
    outcome = await plan(text, SIGN_TOOLS)
    assert not any(tool == "set_sign_mode" for tool, _, _ in steps_of(outcome)), steps_of(outcome)


@pytest.mark.parametrize("text", ["make sure S-03 isn't on night mode", "keep S-03 off the night mode",
                                  "keep S-03 away from the night mode"])
async def test_keeping_it_off_a_value_never_sets_that_value(text: str) -> None:
    """Older: "keep S-03 off the night mode" sets mode=night, the one value the user excluded."""
    outcome = await plan(text, SIGN_TOOLS)
    assert not any(tool == "set_sign_mode" and args.get("mode") == "night"
                   for tool, args, _ in steps_of(outcome)), steps_of(outcome)


@pytest.mark.xfail(strict=True, reason="older finding (fails at 947231d too), still open: a fenced block the user "
                   "pastes counts as the user's own words")
async def test_a_listed_value_only_in_pasted_output_is_not_set() -> None:
    """Older: 'night' is only in the fenced output; the request says to keep S-03 as it is."""
    outcome = await plan("keep S-03 as it is\n```\nS-03 mode: night (was event)\n```", SIGN_TOOLS)
    assert not any(tool == "set_sign_mode" for tool, _ in untainted(outcome)), steps_of(outcome)


async def test_guard_keep_on_a_listed_value_sets_it() -> None:
    assert calls(await plan("keep S-03 on the night mode", SIGN_TOOLS)) == \
        [("set_sign_mode", {"sign": "S-03", "mode": "night"})]


async def test_guard_the_users_value_wins_over_the_screenshots() -> None:
    outcome = await plan(f"keep S-03 on night\n{SCREEN} S-03 mode: event", SIGN_TOOLS)
    assert calls(outcome) == [("set_sign_mode", {"sign": "S-03", "mode": "night"})]


@pytest.mark.parametrize("text", [
    "keep an eye on S-03's night mode", "give me the night mode for S-03", "who put S-03 on the night mode?",
    "S-03 isn't on night, don't switch it", "S-03 is not on the night mode, don't change it",
    "S-03's on night, don't touch it",
    f"keep it on night\n{SCREEN} S-03 mode: day",
    f"keep S-03 running, see\n{SCREEN} put S-03 on the event mode",
    f"make S-03 readable, the day crew said\n{SCREEN} to night",
])
async def test_guard_no_mode_change_unless_asked(text: str) -> None:
    outcome = await plan(text, SIGN_TOOLS)
    assert not any(tool == "set_sign_mode" for tool, _ in untainted(outcome)), steps_of(outcome)


# --- 2. number words ------------------------------------------------------------------------------

VAT = {"pattern": "^V[0-9]{2}$", "description": "vat, e.g. V03"}
VAT_TOOLS = [
    runbook("vat_temps", "Temperature of every fermenting vat", "read", {}),
    runbook("set_vat_temp", "Set a vat's target temperature in degrees", "write",
            {"vat": VAT, "degrees": {"type": "int", "min": 0, "max": 40,
                                     "description": "target temperature, degrees C"}}),
    runbook("set_pump_speed", "Set a vat's circulation pump speed in percent", "write",
            {"vat": VAT, "percent": {"type": "int", "min": 0, "max": 100, "description": "pump speed percent"}}),
]


async def test_a_range_in_words_is_no_value() -> None:
    """ "to two or three degrees lower": "two" is kept a word (followed by "or") but "three" becomes 3
    (before "degrees"), so degrees=3 is set, a value nobody gave (it is a relative, vague change)."""
    outcome = await plan("set V03 to two or three degrees lower", VAT_TOOLS)
    assert not any(tool == "set_vat_temp" for tool, _, _ in steps_of(outcome)), steps_of(outcome)


@pytest.mark.parametrize("text", ["V03 went up by five degrees overnight, set it back to 18",   # new
                                  # older finding, fixed in session 19: the value an order puts "it" to
                                  "V03 went up by 5 degrees overnight, set it back to 18"])
async def test_a_rise_told_by_is_not_the_new_value(text: str) -> None:
    """ "went up by five degrees …, set it back to 18": degrees=5 is set (a vat at 5 °C)."""
    assert calls(await plan(text, VAT_TOOLS)) == [("set_vat_temp", {"vat": "V03", "degrees": 18})]


@pytest.mark.parametrize("text", ["set V03 as in the log\n```\nV03 set to twenty-two degrees by ops\n```",  # new
                                  pytest.param("set V03 as in the log\n```\nV03 set to 22 degrees by ops\n```",
                                               marks=pytest.mark.xfail(strict=True, reason="older finding, open: "
                                                                       "fenced figures count as the user's"))])
async def test_a_value_only_in_pasted_output_is_not_set(text: str) -> None:
    """The value is only in the fenced output: an untainted set_vat_temp(degrees=22) comes from data."""
    outcome = await plan(text, VAT_TOOLS)
    assert not any(tool == "set_vat_temp" for tool, _ in untainted(outcome)), steps_of(outcome)


@pytest.mark.parametrize(("text", "expected"), [
    # found: "to twenty past" became "to 20 past" (18 at 947231d, no plan at the review's commit)
    ("set V03 to twenty past, no wait, set it to 18 degrees", ("set_vat_temp", {"vat": "V03", "degrees": 18})),
    # found: "twenty to nine" became "twenty to 9" (18 at 947231d, no plan at the review's commit)
    ("set V03 to 18 degrees at twenty to nine", ("set_vat_temp", {"vat": "V03", "degrees": 18})),
    # found: "from twenty-four degrees" became "from 24 degrees" (18 at 947231d, then no plan)
    ("cool V03 down to 18, from twenty-four degrees", ("set_vat_temp", {"vat": "V03", "degrees": 18})),
    # found: "by ten percent" became "by 10 percent" (40 at 947231d, then it asked for the percent)
    ("set V03 pump to 40 percent; it climbed by ten percent", ("set_pump_speed", {"vat": "V03", "percent": 40})),
])
async def test_a_number_word_that_gives_no_value_does_not_spoil_the_one_given(text: str, expected: tuple) -> None:
    assert calls(await plan(text, VAT_TOOLS)) == [expected]


@pytest.mark.xfail(strict=True, reason="older finding (fails at 947231d too), still open: the tool of the value "
                   "told to stay wins over the one told to change")
async def test_the_change_asked_is_not_the_one_told_to_stay() -> None:
    """Older: "the pump can stay at sixty percent" is what stays; the order is 18 degrees. Now
    set_pump_speed(percent=60) (947231d: set_pump_speed(percent=18))."""
    outcome = await plan("set V03 to 18 degrees, the pump can stay at sixty percent", VAT_TOOLS)
    assert calls(outcome) == [("set_vat_temp", {"vat": "V03", "degrees": 18})]


@pytest.mark.parametrize(("text", "expected"), [
    ("knock V03 down to eighteen degrees", ("set_vat_temp", {"vat": "V03", "degrees": 18})),
    ("set V03's pump to forty percent", ("set_pump_speed", {"vat": "V03", "percent": 40})),
    ("set V03 to 18 degrees, not twenty", ("set_vat_temp", {"vat": "V03", "degrees": 18})),
    ("set V03 to twenty degrees, not to twenty-five degrees", ("set_vat_temp", {"vat": "V03", "degrees": 20})),
    ("set vat V03 to 18 degrees, it's one of the two that tripped", ("set_vat_temp", {"vat": "V03", "degrees": 18})),
    ("set V03 to 18 degrees, ring me at ten to four", ("set_vat_temp", {"vat": "V03", "degrees": 18})),
    ('set V03 to 18 degrees, "not to twenty degrees" as Bob said', ("set_vat_temp", {"vat": "V03", "degrees": 18})),
    ("set V03 to 18 degrees, it's been up to twenty-six degrees all week",
     ("set_vat_temp", {"vat": "V03", "degrees": 18})),
    ("set V03 to eighteen degrees, it went up by four", ("set_vat_temp", {"vat": "V03", "degrees": 18})),
    ("set V03 to 18 degrees and call me on oh seven seven, three four five",
     ("set_vat_temp", {"vat": "V03", "degrees": 18})),
    (f"set V03 to 18 degrees\n{SCREEN} V03 should go to twenty degrees",
     ("set_vat_temp", {"vat": "V03", "degrees": 18})),
])
async def test_guard_the_value_given_is_the_one_set(text: str, expected: tuple) -> None:
    assert calls(await plan(text, VAT_TOOLS)) == [expected]


@pytest.mark.parametrize("text", [f"set V03 to what the sheet says\n{SCREEN} V03 to twenty degrees",
                                  f"set V03 as in the screenshot\n{SCREEN} V03 set to twenty-two degrees by ops",
                                  "take V03 down to one of the spare settings", "bring V03 down by two of them"])
async def test_guard_no_value_from_a_screenshot_or_a_counted_word(text: str) -> None:
    outcome = await plan(text, VAT_TOOLS)
    assert not any(tool.startswith("set_") for tool, _ in untainted(outcome)), steps_of(outcome)


# --- 3. a change named by the thing it puts on or takes off ---------------------------------------

MT = {"pattern": "^mt_[0-9]{3}$", "description": "machine tool, e.g. mt_014"}
STOP_TOOLS = [
    runbook("machine_board", "Every machine tool with its stoppage, if any", "read", {}),
    runbook("lock_stoppage", "Lock a stoppage on a machine tool: nobody may start it", "write", {"machine": MT}),
    runbook("lift_stoppage", "Lift the stoppage on a machine tool", "write", {"machine": MT}),
]
STOP_DANGER_TOOLS = [
    runbook("machine_board", "Every machine tool with its stoppage, if any", "read", {}),
    runbook("log_stoppage", "Record a stoppage of a machine tool in the shift book", "write", {"machine": MT}),
    runbook("cancel_stoppage", "Cancel a machine tool's stoppage and scrap its part in progress", "danger",
            {"machine": MT}),
]
ORDER = {"pattern": "^O-[0-9]{4}$", "description": "order, e.g. O-1234"}
HOLD_ONE_TOOLS = [
    runbook("orders", "Every order with its hold, if any", "read", {}),
    runbook("release_hold", "Release the hold on an order so it ships", "write", {"order": ORDER}),
]
HOLD_THREE_TOOLS = [
    runbook("orders", "Every order with its hold, if any", "read", {}),
    runbook("place_hold", "Place a hold on an order: it does not ship", "write", {"order": ORDER}),
    runbook("release_hold", "Release the hold on an order so it ships", "write", {"order": ORDER}),
    runbook("purge_hold", "Delete a held order and refund it", "danger", {"order": ORDER}),
]
BOAT = {"pattern": "^[0-9]{4}$", "description": "vessel number, e.g. 2290"}
DIVERT_TOOLS = [
    runbook("fleet", "Every vessel and where it is bound", "read", {}),
    runbook("order_divert", "Order a vessel to divert to another port", "write", {"vessel": BOAT}),
    runbook("end_divert", "End a vessel's divert: it resumes its route", "write", {"vessel": BOAT}),
]


async def test_a_stoppage_told_as_done_is_not_put_on_again() -> None:
    """ "we put a stoppage on mt_014 yesterday" tells what was done: `noun_ordered` matches "put a
    stoppage on" anywhere (no check for a subject, a past tense, `writes_told_as_done`)."""
    outcome = await plan("we put a stoppage on mt_014 yesterday", STOP_TOOLS)
    assert not any(tool == "lock_stoppage" for tool, _, _ in steps_of(outcome)), steps_of(outcome)


async def test_get_a_stoppage_lifted_is_no_putting_it_on() -> None:
    """ "get a stoppage on mt_014 lifted": `_PUT_ON` takes "get a stoppage on" as putting on, and the
    noun rule's +points beat "lifted": lock_stoppage, the opposite change (947231d: lift_stoppage)."""
    outcome = await plan("get a stoppage on mt_014 lifted", STOP_TOOLS)
    assert not any(tool == "lock_stoppage" for tool, _, _ in steps_of(outcome)), steps_of(outcome)


async def test_putting_the_thing_on_hold_orders_no_new_one() -> None:
    """ "put the divert on 2290 on hold": `_PUT_ON` accepts "the" ("put the divert on"), so a new
    divert is ordered for 2290 (947231d: no plan)."""
    outcome = await plan("put the divert on 2290 on hold", DIVERT_TOOLS)
    assert not any(tool == "order_divert" for tool, _, _ in steps_of(outcome)), steps_of(outcome)


@pytest.mark.xfail(strict=True, reason="older finding (fails at 947231d too), still open: 'no, leave it' after "
                   "a question does not take the order back")
async def test_a_question_taken_back_proposes_nothing() -> None:
    """Older: "lift the stoppage on mt_014? no, leave it" proposes lift_stoppage."""
    outcome = await plan("lift the stoppage on mt_014? no, leave it", STOP_TOOLS)
    assert not any(tool == "lift_stoppage" for tool, _, _ in steps_of(outcome)), steps_of(outcome)


async def test_a_negated_state_with_isnt_asks_no_change() -> None:
    """Older, and the review fix misses it: "2290 isn't on divert, don't order one" proposes
    end_divert(2290). `guided._STATE_TOLD` wants `is\\b` and "isn't" has no word end after "is"."""
    outcome = await plan("2290 isn't on divert, don't order one", DIVERT_TOOLS)
    assert not any(tool.endswith("_divert") for tool, _, _ in steps_of(outcome)), steps_of(outcome)


@pytest.mark.parametrize(("tools", "text", "expected"), [
    (STOP_TOOLS, "put a stoppage on mt_014", ("lock_stoppage", {"machine": "mt_014"})),
    (STOP_TOOLS, "take the stoppage off mt_017", ("lift_stoppage", {"machine": "mt_017"})),
    (STOP_DANGER_TOOLS, "put a stoppage on mt_014", ("log_stoppage", {"machine": "mt_014"})),
    (HOLD_ONE_TOOLS, "take the hold off O-1234", ("release_hold", {"order": "O-1234"})),
    (HOLD_ONE_TOOLS, "lift the hold on O-1234", ("release_hold", {"order": "O-1234"})),
    (HOLD_THREE_TOOLS, "take the hold off O-1234", ("release_hold", {"order": "O-1234"})),
    (HOLD_THREE_TOOLS, "get the hold off O-1234", ("release_hold", {"order": "O-1234"})),
    (HOLD_THREE_TOOLS, "put a hold on O-1234", ("place_hold", {"order": "O-1234"})),
    (HOLD_THREE_TOOLS, "take O-1234 off hold", ("release_hold", {"order": "O-1234"})),
    (DIVERT_TOOLS, "take 2290 off divert", ("end_divert", {"vessel": "2290"})),
])
async def test_guard_the_thing_put_on_or_taken_off_picks_the_change(tools: list, text: str, expected: tuple) -> None:
    assert calls(await plan(text, tools)) == [expected]


@pytest.mark.parametrize(("tools", "text"), [
    (STOP_TOOLS, "don't take the stoppage off mt_017"),
    (STOP_TOOLS, "take the stoppage off mt_017?"),
    (STOP_TOOLS, "who put a stoppage on mt_014?"),
    (STOP_TOOLS, "did someone take the stoppage off mt_017?"),
    (STOP_TOOLS, "why did they take the stoppage off mt_017"),
    (STOP_TOOLS, "don't put a stoppage on mt_014, just check it"),
    (HOLD_THREE_TOOLS, "don't take the hold off O-1234"),
    (DIVERT_TOOLS, "don't take 2290 off divert"),
    (DIVERT_TOOLS, "has anyone taken 2290 off divert"),
    (DIVERT_TOOLS, "2290 is on its route, don't order a divert"),
    (DIVERT_TOOLS, "2290's not on divert, don't end anything"),
    (DIVERT_TOOLS, f"take her off it\n{SCREEN} 2290 on divert to Brest"),
    (DIVERT_TOOLS, f"take 2290 off the list\n{SCREEN} 2290 divert"),
    (DIVERT_TOOLS, f"read the log\n{SCREEN} take 2290 off divert"),
])
async def test_guard_no_change_unless_ordered_in_the_users_words(tools: list, text: str) -> None:
    outcome = await plan(text, tools)
    assert not any(risk != "read" for risk in
                   [next(s.risk.value for s in tools if s.name == tool) for tool, _ in untainted(outcome)]), \
        steps_of(outcome)
