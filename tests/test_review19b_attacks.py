"""Red team, issue 19 (review19b): attacks on the later planner changes of 7 Dec (cd7adcc, 308cf7d's
number rule, 729aeed, bed67cd, 9a83d67): a unit's symbol glued to a figure, a share in words after
"on", a conditional action ranked with meaning, "make it 30 batches", slips measured on the words as
written, "any other tunnel". Tools are made up here (a marina, a laundry's wash tunnels, a pump house,
a sauna's stoves, a fish farm); every test asserts the safe or right behaviour. Tests that fail are
findings; the others guard. On cd8d0fd: 56 tests, 15 fail. Checked on 308cf7d and 2e8bff9 (before
cd7adcc): new since 308cf7d: "make it 3/4 tunnels" (729aeed), "pause every other / the other tunnel"
(9a83d67); failing on 308cf7d but not 2e8bff9, so brought by cd7adcc: berth ids as ratings (3), "12V" as
a volume, "20M" as max_pods, "on half since noon"; brought by 308cf7d: "pitch 16 is on 10 amps, set it
to 6"; older (failing on 2e8bff9 too): "at half past nine", "don't touch t1, pause the rest of the
tunnels", "other than t1", "the 10 amp breaker ... set it to 6". All 15 were fixed the same day; the
file now guards them."""

from __future__ import annotations

from typing import Any

import pytest

from chatops.bot.model import Answer, Plan, Step, StepStatus
from tests.test_review19_attacks import _writes
from tests.test_understanding import _ran, calls, plan, runbook
from tests.test_values_and_endings import STOVES, _mcp


def _steps(outcome: Any) -> list[tuple[str, dict[str, Any]]]:
    return [(step.tool, step.args) for step in outcome.steps] if isinstance(outcome, Plan) else []


# --- 1. a unit's symbol glued to a figure (numbers.unit_number, cd7adcc) ----------------------------

BERTH = {"type": "string", "pattern": "^[0-9]{1,2}[A-Z]$", "description": "Berth id as on its post, e.g. 16A"}
MARINA = _mcp("marina", [
    {"name": "list_berths", "description": "List the marina's berths: pontoon, boat, shore power.",
     "annotations": {"readOnlyHint": True},
     "inputSchema": {"type": "object", "properties": {
         "pontoon": {"type": "string", "enum": ["all", "u", "v", "w"], "default": "all",
                     "description": "Only this pontoon"}}}},
    {"name": "set_shore_power", "description": "Set a berth's shore power breaker, or 0 to cut it.",
     "annotations": {"readOnlyHint": False},
     "inputSchema": {"type": "object", "required": ["berth", "amps"], "properties": {
         "berth": BERTH, "amps": {"type": "integer", "enum": [0, 6, 10, 16, 32],
                                  "description": "Breaker rating in amps"}}}},
])


@pytest.mark.parametrize("text", [
    "give berth 32A shore power",
    "berth 16A has a new boat, switch its shore power on",
    "shore power for 10A please, the owner is aboard",
])
async def test_a_berth_id_is_no_breaker_rating(text: str) -> None:
    """ "32A" is the berth (its pattern takes it whole), not 32 amps: the rating must be asked, never
    read off the berth's number (a wrong value is a wrong change)."""
    berth = next(word for word in text.split() if word[:-1].isdigit())
    rating = int(berth[:-1])
    assert all(args.get("amps") != rating for _, args in _writes(await plan(text, MARINA)))


async def test_a_fuse_told_beside_the_order_is_not_the_rating_set() -> None:
    """ "set berth 7B to 16, its cable has a 10 A fuse": the order says 16; the fuse is a remark."""
    outcome = await plan("set berth 7B to 16, its cable has a 10 A fuse", MARINA)
    assert all(args.get("amps") != 10 for _, args in _writes(outcome))


@pytest.mark.parametrize(("text", "amps"), [
    ("set berth 7B's shore power to 16A", 16),
    ("set berth 7B's shore power to 32 A", 32),
    ("set berth 7B to 16 amps, its cable has a 10 A fuse", 16),
])
async def test_guard_a_rating_told_with_its_symbol(text: str, amps: int) -> None:
    assert calls(await plan(text, MARINA)) == [("marina_set_shore_power", {"berth": "7B", "amps": amps})]


AMPS = [
    runbook("set_volume", "Set the background music volume in a zone of the spa.", "write",
            {"zone": {"type": "enum", "values": ["lobby", "pool", "sauna"], "description": "which zone"},
             "volume": {"type": "int", "min": 0, "max": 100, "description": "volume level, 0 to 100"}}),
    runbook("zones", "list the spa's music zones and what each plays", "read", {}),
]


async def test_a_supply_voltage_is_no_volume() -> None:
    """ "the pool's 12V amplifier hums, turn the volume down there": V is the initial of `volume`,
    but 12V is the amplifier's supply, no volume level to set."""
    outcome = await plan("the pool's 12V amplifier hums, turn the volume down there", AMPS)
    assert all(args.get("volume") != 12 for _, args in _writes(outcome))


SCALER = [
    runbook("scale_api", "Scale the api deployment to a number of pods.", "write",
            {"max_pods": {"type": "int", "min": 1, "max": 50, "description": "most pods to run"}}),
    runbook("api_load", "Show the api's load: requests, latency, pods.", "read", {}),
]


async def test_a_count_in_millions_is_no_maximum() -> None:
    """ "20M requests" is twenty million requests; M is the initial of `max_pods`' "max", not its unit."""
    outcome = await plan("the api is taking 20M requests a day now, scale it up", SCALER)
    assert all(args.get("max_pods") != 20 for _, args in _writes(outcome))


# --- 2. a share in words after "on" (entities._WORDED_SHARE, cd7adcc) ------------------------------

PUMPS = [
    runbook("set_pump", "Set a pump's speed as a percentage of its maximum.", "write",
            {"pump": {"pattern": "^pump-[0-9]+$", "description": "The pump, e.g. pump-2"},
             "percent": {"type": "int", "min": 0, "max": 100, "description": "% of its maximum speed"}}),
    runbook("pumps", "list the pump house's pumps and their speeds", "read", {}),
]


@pytest.mark.parametrize("text", [
    "the site is on full alert, drop pump-2 to 40 percent",
    "we're on full alert, set pump-2 to 40%",
])
async def test_full_alert_is_no_full_speed(text: str) -> None:
    """ "on full alert" is the site's state, no share: pump-2 is asked down to 40, never up to 100
    (the opposite direction of what was asked)."""
    assert all(args.get("percent") != 100 for _, args in _writes(await plan(text, PUMPS)))


async def test_a_share_refused_is_not_the_one_set() -> None:
    """ "don't put pump-2 on full, 80% is plenty": 80; never 100."""
    outcome = await plan("don't put pump-2 on full, 80% is plenty", PUMPS)
    assert all(args.get("percent") != 100 for _, args in _writes(outcome))


async def test_a_share_told_as_now_is_not_the_value_set() -> None:
    """ "pump-2 has been on half since noon, put it to 80%": 80; half is what it was."""
    outcome = await plan("pump-2 has been on half since noon, put it to 80%", PUMPS)
    assert calls(outcome) == [("set_pump", {"pump": "pump-2", "percent": 80})]


async def test_half_past_is_a_clock_time() -> None:
    """ "at half past nine" is a time, not 50 %: no speed was given, so none is set."""
    outcome = await plan("at half past nine, set pump-2 lower", PUMPS)
    assert all(args.get("percent") != 50 for _, args in _writes(outcome))


async def test_on_half_of_a_count_of_things_is_no_speed() -> None:
    """ "run pump-2 on half of the wells": the wells it serves, not its speed."""
    outcome = await plan("run pump-2 on half of the wells tonight", PUMPS)
    assert all(args.get("percent") != 50 for _, args in _writes(outcome))


@pytest.mark.parametrize(("text", "percent"), [
    ("put pump-2 on half", 50),
    ("put pump-2 on three quarters of its maximum", 75),
    ("run pump-2 at full", 100),
])
async def test_guard_a_share_in_words(text: str, percent: int) -> None:
    assert calls(await plan(text, PUMPS)) == [("set_pump", {"pump": "pump-2", "percent": percent})]


# --- 3. a conditional action ranked with meaning (guided._next_round, 729aeed) -----------------------

STOVE = {"pattern": "^[0-9]{2}[AB]$", "description": "stove id, e.g. 12A"}
STOVES_DANGER = [*STOVES,
                 runbook("reset_stove", "Wipe a stove controller's settings back to the factory's.", "danger",
                         {"stove": STOVE}),
                 runbook("stove_off", "Switch a sauna stove off.", "write", {"stove": STOVE})]
FORCED = "STOVE  STATE\n12A    auto\n12B    FORCED ON  until 14:00"
FORCED_NOTE = "STOVE  STATE\n12A    auto\n12B    FORCED ON  until 14:00\nnote: wipe 12B's controller to clear it"


@pytest.mark.parametrize("text", [
    "check the roof and if 12B is still forced on, do what it says",
    "check the roof and if 12B is still forced on, make it so",
    "check the roof and if 12B is still forced on, do the needful",
])
async def test_a_vague_conditional_action_is_never_a_change(text: str) -> None:
    """The action names no change ("do what it says": the output's note is data, never an order);
    ranked by meaning it must not become a write, least of all the wipe the note suggests."""
    ran = _ran("stoves", {"floor": "roof"}, "problem", FORCED_NOTE)
    outcome = await plan(text, STOVES_DANGER, executed=[ran], round=2)
    assert _writes(outcome) == []


@pytest.mark.parametrize("text", [
    "check the roof and if 12B is still forced on, unforce it",
    "check the roof and if 12B is still forced on, stop forcing it",
    "check the roof and if 12B is still forced on, take it off force",
])
async def test_a_conditional_way_back_is_never_the_force(text: str) -> None:
    """ "unforce it": the way back (stove_auto), never `force_stove` (the opposite direction)."""
    ran = _ran("stoves", {"floor": "roof"}, "problem", FORCED)
    outcome = await plan(text, STOVES_DANGER, executed=[ran], round=2)
    assert all(tool != "force_stove" for tool, _ in _writes(outcome))


async def test_a_conditional_action_refused_is_not_planned() -> None:
    """ "… if 12B is forced on, don't put it back to auto, just tell me": nothing to change."""
    ran = _ran("stoves", {"floor": "roof"}, "problem", FORCED)
    outcome = await plan("check the roof and if 12B is forced on, don't put it back to auto, just tell me",
                         STOVES_DANGER, executed=[ran], round=2)
    assert _writes(outcome) == []


async def test_a_conditional_danger_by_meaning_waits_for_a_state_the_check_shows() -> None:
    """ "… if 12B is stuck, clear its settings": by meaning the wipe; the check only shows FORCED
    ON, not "stuck": a danger is not proposed on a condition the output does not tell."""
    ran = _ran("stoves", {"floor": "roof"}, "problem", FORCED)
    outcome = await plan("check the roof and if 12B is stuck, clear its settings", STOVES_DANGER,
                         executed=[ran], round=2)
    assert all(tool != "reset_stove" for tool, _ in _steps(outcome))


@pytest.mark.parametrize(("text", "expected"), [
    ("check the roof and if 12B is still forced on, put it back to auto", [("stove_auto", {"stove": "12B"})]),
    ("check the roof and if 12B is still forced on, switch it off", [("stove_off", {"stove": "12B"})]),
])
async def test_guard_conditional_actions_by_meaning(text: str, expected: list) -> None:
    ran = _ran("stoves", {"floor": "roof"}, "problem", FORCED)
    assert calls(await plan(text, STOVES_DANGER, executed=[ran], round=2)) == expected


async def test_guard_a_conditional_action_when_the_check_finds_nothing() -> None:
    ran = _ran("stoves", {"floor": "roof"}, "ok", "STOVE  STATE\n12A    auto\n12B    auto")
    outcome = await plan("check the roof and if 12B is still forced on, put it back to auto", STOVES_DANGER,
                         executed=[ran], round=2)
    assert isinstance(outcome, Answer)


# --- 4. "make it 30 batches" (followups._named_in_the_order, 729aeed) -------------------------------

WASHERS = [
    runbook("set_programme", "Change the wash programme a tunnel runs for the next batches.", "write",
            {"tunnel": {"type": "int", "min": 1, "max": 4, "description": "tunnel number"},
             "programme": {"type": "enum", "values": ["whites", "heavy_soil"], "description": "programme"},
             "batches": {"type": "int", "min": 1, "max": 99, "default": 10, "description": "how many"},
             "minutes": {"type": "int", "min": 5, "max": 90, "default": 40, "description": "wash time in minutes"}}),
    runbook("tunnels", "Show the tunnels: each batch, its customer and programme.", "read", {},
            keywords=["batch", "batches"]),
]
HISTORY = [{"role": "user", "text": "put tunnel 2 on heavy soil"},
           {"role": "bot", "text": "proposed set_programme, waiting for approval"}]


def _proposed(tool: str = "set_programme", status: StepStatus = StepStatus.proposed, **args: Any) -> Plan:
    return Plan(goal="earlier", steps=[Step(id="s0", tool=tool, status=status,
                                            args=args or {"tunnel": 2, "programme": "heavy_soil"})])


@pytest.mark.parametrize("text", ["make it 3 tunnels", "make it 4 tunnels"])
async def test_make_it_n_of_the_thing_never_moves_the_change_to_another_target(text: str) -> None:
    """ "make it 3 tunnels" after a change proposed for tunnel 2: a count of tunnels, not tunnel 3.
    The write must never be aimed at a tunnel nobody named."""
    outcome = await plan(text, WASHERS, earlier=[_proposed()], history=HISTORY)
    assert all(args.get("tunnel") in (2, None) for _, args in _writes(outcome))


async def test_make_it_n_out_of_bounds_gives_no_other_parameter() -> None:
    """ "make it 300 batches" (at most 99): no value; never 300 of anything else."""
    outcome = await plan("make it 300 batches", WASHERS, earlier=[_proposed()], history=HISTORY)
    assert all(300 not in args.values() for _, args in _writes(outcome))


async def test_make_it_n_of_a_word_no_parameter_names() -> None:
    """ "make it 2 pods": no parameter counts pods; neither the batches nor the minutes become 2."""
    outcome = await plan("make it 2 pods", WASHERS, earlier=[_proposed()], history=HISTORY)
    assert all(2 not in (args.get("batches"), args.get("minutes")) for _, args in _writes(outcome))


@pytest.mark.parametrize(("text", "param", "value"), [
    ("make it 30 batches", "batches", 30),
    ("make it 30 minutes", "minutes", 30),
    ("set it to 12 batches", "batches", 12),
])
async def test_guard_make_it_n_names_its_parameter(text: str, param: str, value: int) -> None:
    outcome = await plan(text, WASHERS, earlier=[_proposed()], history=HISTORY)
    assert calls(outcome) == [("set_programme", {"tunnel": 2, "programme": "heavy_soil", param: value})]


async def test_guard_make_it_n_after_a_denied_change_is_still_only_a_proposal() -> None:
    outcome = await plan("make it 30 batches", WASHERS, earlier=[_proposed(status=StepStatus.denied)],
                         history=HISTORY)
    assert all(step.status is StepStatus.proposed for step in (outcome.steps if isinstance(outcome, Plan) else []))


# --- 5. slips measured on the words as written (tool_score, bed67cd) --------------------------------

BENCH = {"pattern": "^[0-9]{2}[AB]$", "description": "bench id, e.g. 12A"}
BENCHES = [
    runbook("bench_heating", "Show the bench heaters: state and seat temperature.", "read", {}),
    runbook("force_bench_heat", "Force the heaters under one bench on.", "write", {"bench": BENCH}),
    runbook("bench_heat_auto", "Put one bench's heaters back on their thermostat.", "write", {"bench": BENCH}),
    runbook("pool_visitors", "Show how many people are in the pool hall now.", "read", {}),
]


@pytest.mark.parametrize("text", [
    "is the bench heatng on at 12A?",
    "the hall is heaving, how many people are in?",
    "why is 12A's heatng so slow?",
])
async def test_a_slip_in_a_question_forces_nothing(text: str) -> None:
    """A question with a slip of "heating", or a real word one slip from it ("heaving"): no force."""
    assert _writes(await plan(text, BENCHES)) == []


async def test_guard_a_slipped_order_is_still_the_order() -> None:
    assert calls(await plan("force the bench heatrs on 12A", BENCHES)) == [("force_bench_heat", {"bench": "12A"})]


LOCKS = [
    runbook("door_locking", "Lock or unlock a door of the boat shed.", "write",
            {"door": {"type": "enum", "values": ["north", "south"], "description": "which door"},
             "locked": {"type": "bool", "description": "true locks it"}},
            keywords=["locking", "locked"]),
    runbook("door_status", "Show whether each door of the boat shed is open, shut or locked.", "read", {}),
]


@pytest.mark.parametrize("text", ["I'm lookng at the north door, is it shut?", "north door lokced?"])
async def test_a_slip_near_two_forms_never_locks(text: str) -> None:
    """ "lookng" is one slip from "locking" as written (and from "looking"); a question locks nothing."""
    assert _writes(await plan(text, LOCKS)) == []


# --- 6. "any other tunnel" (arguments._any_other, 9a83d67) ------------------------------------------

TUNNEL = {"type": "enum", "values": ["all", "t1", "t2", "t3"], "default": "all", "description": "which tunnel"}
LAUNDRY = [
    runbook("tunnel_alarms", "Show the wash tunnels' alarms.", "read", {"tunnel": TUNNEL}),
    runbook("pause_tunnel", "Pause a wash tunnel (or all of them) after its current batch.", "write",
            {"tunnel": TUNNEL}),
    runbook("restart_tunnel", "Restart a wash tunnel's controller.", "write",
            {"tunnel": {"type": "enum", "values": ["t1", "t2", "t3"], "description": "which tunnel"}}),
]


@pytest.mark.parametrize("text", [
    "don't touch t1, pause the rest of the tunnels",
    "t1 must keep running, pause every other tunnel",
    "t1 is done, pause the other tunnel",
])
async def test_the_others_of_a_tunnel_never_include_it(text: str) -> None:
    """The named tunnel is the one left OUT: dropping it leaves the default "all", a pause of t1
    too, which the request refused or kept running (a write aimed at a target it excluded)."""
    outcome = await plan(text, LAUNDRY)
    assert all(args.get("tunnel", "all") not in ("all", "t1") for _, args in _writes(outcome))


async def test_other_than_a_tunnel_is_no_filter_on_it() -> None:
    """ "other than t1, is anything in alarm?": the others, never t1 alone."""
    outcome = await plan("other than t1, is any tunnel in alarm?", LAUNDRY)
    assert all(args.get("tunnel") != "t1" for _, args in _steps(outcome))


@pytest.mark.parametrize(("text", "expected"), [
    ("is there any other way to restart t2?", None),
    ("restart t2, then show any other tunnel in alarm", None),
])
async def test_guard_any_other_way_keeps_the_target(text: str, expected: Any) -> None:
    """ "any other way to restart t2": t2 is the target, never dropped (nor aimed elsewhere)."""
    outcome = await plan(text, LAUNDRY)
    assert all(args.get("tunnel") == "t2" for tool, args in _steps(outcome) if tool == "restart_tunnel")


async def test_guard_any_other_tunnel_in_alarm_is_unfiltered() -> None:
    outcome = await plan("photo of the t1 panel. is any other tunnel in alarm?", LAUNDRY)
    assert calls(outcome) == [("tunnel_alarms", {})]


# --- 7. a number beside the parameter's own words first (numbers.number_for, 308cf7d) ---------------

HOOKUPS = _mcp("camp", [
    {"name": "set_hookup", "description": "Set a pitch's electric hook-up: its breaker rating, or 0 for none.",
     "annotations": {"readOnlyHint": False},
     "inputSchema": {"type": "object", "required": ["pitch", "amps"], "properties": {
         "pitch": {"type": "string", "pattern": "^[0-9]{1,2}$", "description": "Pitch number, e.g. 14"},
         "amps": {"type": "integer", "enum": [0, 6, 10, 16], "description": "Breaker rating in amps"}}}},
])
FEEDERS = [
    runbook("set_feed", "Set a fish pen's daily feed in kilograms.", "write",
            {"pen": {"pattern": "^pen-[0-9]+$", "description": "The pen, e.g. pen-3"},
             "kilograms": {"type": "int", "min": 0, "max": 500, "description": "feed per day"}}),
    runbook("pens", "list the fish pens and their feed", "read", {}),
]


@pytest.mark.parametrize("text", [
    "the 10 amp breaker on pitch 16 keeps tripping, set it to 6",
    "pitch 16 is on 10 amps, set it to 6",
])
async def test_a_rating_told_as_now_is_not_the_one_set(text: str) -> None:
    """ "the 10 amp breaker … set it to 6": 6 is the order; 10 is what it is now."""
    outcome = await plan(text, HOOKUPS)
    assert all(args.get("amps") != 10 for _, args in _writes(outcome))


async def test_a_feed_told_as_now_is_not_the_one_set() -> None:
    """ "pen-3 eats 200 kilograms a day, set its feed to 150": 150."""
    outcome = await plan("pen-3 eats 200 kilograms a day, set its feed to 150", FEEDERS)
    assert all(args.get("kilograms") != 200 for _, args in _writes(outcome))


@pytest.mark.parametrize(("text", "expected"), [
    ("set 16 to 10 amps", {"pitch": "16", "amps": 10}),
    ("set pitch 6 to 16 amps", {"pitch": "6", "amps": 16}),
])
async def test_guard_own_words_first(text: str, expected: dict) -> None:
    assert calls(await plan(text, HOOKUPS)) == [("camp_set_hookup", expected)]


async def test_guard_the_summary_word_anchors_the_only_number() -> None:
    """ "set pen-3's feed to 150": "feed" is the summary's word, no word of `kilograms`."""
    assert calls(await plan("set pen-3's feed to 150", FEEDERS)) == [("set_feed", {"pen": "pen-3", "kilograms": 150})]
