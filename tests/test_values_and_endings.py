"""Issue 19: values a schema lists as numbers or single letters, a reason told by its gloss, the
head of a compound, a flag turned off by a kindred verb, and orders that end a change ("till I
say stop", "stop boosting H3"). The real guided planner and sentence encoder, on tools made up for
these tests (a campsite's hook-ups, a sauna, a leisure pool's slides); the small model is never
asked. Each test was checked to fail without the rule it names, but two guards that say so in
their docstrings: the conditional action's (the rule's own case is final23's "put it back to
auto", where another tool's example verb outranked the way back without meaning) and the two
"back up" ones."""

from __future__ import annotations

from typing import Any

from chatops.bot.model import Plan, Risk
from chatops.tools.registry import ToolSpec
from tests.test_understanding import calls, plan, runbook


def _mcp(server: str, listed: list[dict[str, Any]]) -> list[ToolSpec]:
    """An MCP server's tools as the registry offers them."""
    from mcp.types import Tool

    from chatops.bot.config import MCPServerConfig
    from chatops.tools.mcp.servers import MCPServers

    config = MCPServerConfig(name=server, command="false")
    return [MCPServers([])._spec(config, Tool.model_validate(raw)) for raw in listed]


PITCH = {"type": "string", "pattern": "^P[0-9]{2}$", "description": "Pitch id as on its post, e.g. P14"}
CAMP_TOOLS = _mcp("camp", [
    {"name": "list_pitches", "description": "List the campsite's pitches: field, who is on it, hook-up amps.",
     "annotations": {"readOnlyHint": True},
     "inputSchema": {"type": "object", "properties": {
         "field": {"type": "string", "enum": ["all", "a", "b", "c"], "default": "all",
                   "description": "Only this field"},
         "state": {"type": "string", "enum": ["any", "taken", "empty"], "default": "any"}}}},
    {"name": "set_hookup", "description": "Set a pitch's electric hook-up: its breaker rating, or 0 for none.",
     "annotations": {"readOnlyHint": False},
     "inputSchema": {"type": "object", "required": ["pitch", "amps"], "properties": {
         "pitch": PITCH,
         "amps": {"type": "integer", "enum": [0, 6, 10, 16], "description": "Breaker rating in amps"}}}},
])


async def test_a_number_a_schema_lists_is_read_as_a_number() -> None:
    """`amps` one of 0, 6, 10, 16: "10 amps" is 10, read as numbers are (next to its name); a
    figure it does not list is never taken ("12 amps" is asked about)."""
    assert calls(await plan("set P14 to 10 amps", CAMP_TOOLS)) == [("camp_set_hookup", {"pitch": "P14", "amps": 10})]
    outcome = await plan("set P14 to 12 amps", CAMP_TOOLS)
    assert not isinstance(outcome, Plan) or all(step.args.get("amps") != 12 for step in outcome.steps)


async def test_a_one_letter_value_is_a_letter_written_alone_never_the_article_or_a_unit() -> None:
    """ "on B" names field `b`; the article "a" and the unit of "10 A" name no field `a`."""
    assert calls(await plan("which pitches on B are empty?", CAMP_TOOLS)) == \
        [("camp_list_pitches", {"field": "b", "state": "empty"})]
    assert calls(await plan("set P14 to 10 amps, they've got a 10 A lead", CAMP_TOOLS)) == \
        [("camp_set_hookup", {"pitch": "P14", "amps": 10})]


SAUNA = {"pattern": "^S[0-9]$", "description": "sauna id, e.g. S2"}
SAUNA_TOOLS = [
    runbook("start_sauna", "Start heating a sauna for the given minutes, then it switches off.", "write",
            {"sauna": SAUNA, "minutes": {"type": "int", "min": 0, "max": 600, "default": 120,
                                         "description": "minutes on; 0: until someone stops it"}}),
    runbook("stop_sauna", "Stop heating a sauna now.", "write", {"sauna": SAUNA}),
    runbook("boost_heater", "Boost a sauna's heater to full power, whatever its thermostat says.", "write",
            {"sauna": SAUNA}),
    runbook("heater_auto", "Put a sauna's heater back on its thermostat.", "write", {"sauna": SAUNA}),
    runbook("saunas", "list the saunas, their temperature and whether they are heating", "read", {}),
]


# a sauna heater's test runs: a start whose 0 minutes last until someone stops it, and the stop
TEST_RUNS = [
    runbook("start_test_run", "Start a test run of a sauna's heater: it heats for the given minutes, then stops.",
            "write", {"sauna": SAUNA, "minutes": {"type": "int", "min": 0, "max": 600, "default": 30,
                                                  "description": "minutes; 0: until someone stops it"}}),
    runbook("stop_test_run", "Stop a test run of a sauna's heater.", "write", {"sauna": SAUNA}),
    runbook("saunas", "list the saunas and their test runs", "read",
            {"state": {"type": "enum", "values": ["any", "running", "idle"], "default": "any",
                       "description": "only saunas in this state"}}),
]


async def test_an_until_clause_says_when_a_change_ends_not_another_order() -> None:
    """ "till I say stop" tells how long the start lasts (minutes 0, until someone stops it); its
    "stop" never stops the session, whose name the rest of the request also says."""
    outcome = await plan("start S2 and leave it on till I say stop", SAUNA_TOOLS)
    assert calls(outcome) == [("start_sauna", {"sauna": "S2", "minutes": 0})]
    outcome = await plan("fire up S2 and leave it running till I say stop", TEST_RUNS)
    assert not isinstance(outcome, Plan) or "stop_test_run" not in {step.tool for step in outcome.steps}


async def test_getting_a_machine_going_starts_it_and_leaving_it_so_is_part_of_the_order() -> None:
    """ "get S2 going", "fire up S2": ways to start a thing; "… and leave it running till I say stop"
    says how the start leaves it (minutes 0: until someone stops it), no step of its own."""
    assert calls(await plan("get S2 going for 20 minutes", TEST_RUNS)) == \
        [("start_test_run", {"sauna": "S2", "minutes": 20})]
    assert calls(await plan("fire up S2 and leave it running till I say stop", TEST_RUNS)) == \
        [("start_test_run", {"sauna": "S2", "minutes": 0})]


async def test_stopping_a_changes_activity_asks_for_its_way_back() -> None:
    """ "stop boosting S3" ends the boost: the heater goes back on its thermostat, and the boost is
    never proposed again."""
    assert calls(await plan("stop boosting S3, it's warm enough", SAUNA_TOOLS)) == [("heater_auto", {"sauna": "S3"})]


SLIDE = {"pattern": "^[0-9]$", "description": "slide number"}
POOL_TOOLS = [
    runbook("close_slide", "Close a water slide: its gate locks and its sign says why.", "write",
            {"slide": SLIDE,
             "reason": {"type": "enum", "values": ["fault", "cleaning", "drill", "fire", "other"], "default": "other",
                        "description": "Why, shown on the slide's sign: fault (the slide or its pump), cleaning "
                                       "(the lifeguards are scrubbing the flume), drill, fire, other"}}),
    runbook("evacuate_hall", "Evacuate a pool hall: the alarm sounds and the lifeguards clear the water.", "danger",
            {"hall": {"type": "enum", "values": ["main", "teaching"], "description": "which hall"},
             "reason": {"type": "enum", "values": ["fire", "drill", "fouling"], "description": "why"},
             "notify_members": {"type": "bool", "default": True,
                                "description": "Send a notice to every member booked in today"}}),
    runbook("slides", "list the slides and whether they are open", "read", {}),
]


async def test_a_long_gloss_told_in_the_requests_words_chooses_its_value() -> None:
    """ "the lifeguards are scrubbing it" tells `cleaning` by two of its gloss's words; the
    description's own subject ("the slide's sign", "the slide or its pump") names no `fault`."""
    assert calls(await plan("close slide 3, the lifeguards are scrubbing it", POOL_TOOLS)) == \
        [("close_slide", {"slide": "3", "reason": "cleaning"})]
    outcome = await plan("close slide 3", POOL_TOOLS)
    assert calls(outcome) == [("close_slide", {"slide": "3"})]


async def test_the_head_of_a_compound_is_the_value_and_a_denied_one_is_not() -> None:
    """ "fire drill" is a drill ("fire" says what kind); "it's not a drill" leaves the fire."""
    outcome = await plan("fire drill in the main hall, evacuate it", POOL_TOOLS)
    assert calls(outcome) == [("evacuate_hall", {"hall": "main", "reason": "drill"})]
    outcome = await plan("evacuate the main hall, there's a fire, it's not a drill", POOL_TOOLS)
    assert calls(outcome) == [("evacuate_hall", {"hall": "main", "reason": "fire"})]


async def test_a_flag_is_turned_off_by_a_verb_of_its_kind() -> None:
    """ "don't email the members" turns `notify_members` off: emailing is a way to notify (both are
    kinds of communicating, by WordNet); "don't rush the members" is no such verb."""
    outcome = await plan("evacuate the teaching hall, fouling, don't email the members", POOL_TOOLS)
    assert calls(outcome) == [("evacuate_hall", {"hall": "teaching", "reason": "fouling", "notify_members": False})]
    outcome = await plan("evacuate the teaching hall, fouling, don't rush the members", POOL_TOOLS)
    assert calls(outcome) == [("evacuate_hall", {"hall": "teaching", "reason": "fouling"})]
    assert outcome.steps[0].risk is Risk.danger


async def test_a_units_symbol_glued_to_a_figure_is_that_unit() -> None:
    """ "10A is fine" for "Breaker rating in amps": A is the symbol of amps, the capital initial of
    the unit the parameter counts in; the letter of a pitch id ("P14") is no unit."""
    assert calls(await plan("reset the hook-up on P14, 10A is fine", CAMP_TOOLS)) == \
        [("camp_set_hookup", {"pitch": "P14", "amps": 10})]


FEEDERS = [
    runbook("set_ration", "set today's ration for one hutch as % of the feed plan", "write",
            {"hutch": {"pattern": "^h[0-9]{2}$", "description": "hutch id, e.g. h04"},
             "percent": {"type": "int", "min": 0, "max": 100, "description": "% of the feed plan"}}),
    runbook("hutches", "list the rabbit hutches and what they were fed", "read", {}),
]


async def test_a_share_in_words_on_a_percent_parameter() -> None:
    """ "put h04 on three quarters of the feed plan" is 75 %: a share said with "on", of the thing
    the percentage is of."""
    assert calls(await plan("put h04 on three quarters of the feed plan", FEEDERS)) == \
        [("set_ration", {"hutch": "h04", "percent": 75})]


STOVES = [
    runbook("force_stove", "Force a sauna stove on at full, whatever its thermostat says, for the given hours.",
            "write",
            {"stove": {"pattern": "^[0-9]{2}[AB]$", "description": "stove id, e.g. 12A"},
             "hours": {"type": "int", "min": 1, "max": 12, "default": 2, "description": "hours"}}),
    runbook("stove_auto", "Put a sauna stove back under its thermostat's control.", "write",
            {"stove": {"pattern": "^[0-9]{2}[AB]$", "description": "stove id, e.g. 12A"}}),
    runbook("stoves", "list the sauna stoves and whether each is forced or on its thermostat", "read",
            {"floor": {"type": "enum", "values": ["ground", "roof"], "description": "which floor"}}),
]


async def test_a_conditional_action_without_its_tools_words_is_found_by_meaning() -> None:
    """ "… if 12B is still forced on, put it back to auto": after the check found it forced, the
    action names no word of `stove_auto`'s but its meaning; the planner measures it as it does any
    request (embedded off the event loop), not by words alone."""
    from tests.test_understanding import _ran

    ran = _ran("stoves", {"floor": "roof"}, "problem", "STOVE  STATE\n12A    auto\n12B    FORCED ON  until 14:00")
    outcome = await plan("check the roof and if 12B is still forced on, put it back to auto", STOVES,
                         executed=[ran], round=2)
    assert calls(outcome) == [("stove_auto", {"stove": "12B"})]


async def test_make_it_n_with_the_name_of_what_it_counts() -> None:
    """ "make it 30 batches" after a proposed programme change: the count its word names, the
    rest as proposed (a read about batches is no new request)."""
    from chatops.bot.model import Step, StepStatus

    washers = [
        runbook("set_programme", "Change the wash programme a tunnel runs for the next batches.", "write",
                {"tunnel": {"type": "enum", "values": ["t1", "t2"], "description": "tunnel"},
                 "programme": {"type": "enum", "values": ["whites", "heavy_soil"], "description": "programme"},
                 "batches": {"type": "int", "min": 1, "max": 99, "default": 10, "description": "how many"}}),
        runbook("tunnels", "Show the tunnels: each batch, its customer and programme.", "read", {},
                keywords=["batch", "batches"]),
    ]
    earlier = Plan(goal="earlier", steps=[Step(id="s0", tool="set_programme", status=StepStatus.proposed,
                                               args={"tunnel": "t2", "programme": "heavy_soil"})])
    outcome = await plan("make it 30 batches", washers, earlier=[earlier],
                         history=[{"role": "user", "text": "put t2 on heavy soil"},
                                  {"role": "bot", "text": "proposed set_programme, waiting for approval"}])
    assert calls(outcome) == [("set_programme", {"tunnel": "t2", "programme": "heavy_soil", "batches": 30})]


async def test_a_slip_is_measured_on_the_word_as_written_not_its_stem() -> None:
    """ "bench heatng status": one slip from "heating" (the read's name), though two from its stem
    "heat"; and a slip of a word's own form is no compound holding another tool's "heat"."""
    bench = {"pattern": "^[0-9]{2}[AB]$", "description": "bench id, e.g. 12A"}
    tools = [
        runbook("bench_heating", "Show the bench heaters: state and seat temperature.", "read", {}),
        runbook("force_bench_heat", "Force the heaters under one bench on.", "write", {"bench": bench}),
        runbook("bench_heat_auto", "Put one bench's heaters back on their thermostat.", "write", {"bench": bench}),
    ]
    assert calls(await plan("bench heatng status", tools)) == [("bench_heating", {})]


async def test_any_other_of_a_thing_leaves_the_named_one_out() -> None:
    """ "this is the s2 panel. is any other stove in alarm?": s2 is the one left out, no filter."""
    tools = [runbook("stoves", "Show the sauna stoves: temperature, state and alarms.", "read",
                     {"stove": {"type": "enum", "values": ["all", "s1", "s2", "s3"], "default": "all",
                                "description": "Which stove"},
                      "faulty_only": {"type": "bool", "default": False,
                                      "description": "Only stoves that are stopped or in alarm"}})]
    outcome = await plan("this is the s2 panel. is any other stove in alarm?", tools)
    assert [tool for tool, _ in calls(outcome)] == ["stoves"] and "stove" not in calls(outcome)[0][1]


async def test_back_to_a_state_asks_for_the_change_that_returns_there_not_the_one_that_ends_so() -> None:
    """ "P2 can go back to standby now": the stop returns a pump to standby; the start only says
    how its run ends ("then stops and returns to standby after the given minutes")."""
    pump = {"pattern": "^P[0-9]$", "description": "pump id, e.g. P2"}
    tools = [
        runbook("start_trial", "Start a trial run of a standby pump: it runs on its own, then stops and returns "
                               "to standby after the given minutes.", "write",
                {"pump": pump, "minutes": {"type": "int", "min": 1, "max": 60, "default": 10,
                                           "description": "minutes"}}),
        runbook("stop_trial", "Stop a trial run of a pump: it runs down and returns to standby.", "write",
                {"pump": pump}),
        runbook("pumps", "list the pumps: standby, running or faulted", "read",
                {"state": {"type": "enum", "values": ["any", "standby", "running", "fault"], "default": "any",
                           "description": "Only pumps in this state"}}),
    ]
    assert calls(await plan("P2 can go back to standby now", tools)) == [("stop_trial", {"pump": "P2"})]


async def test_a_listed_name_of_several_words_finds_its_read_whatever_meaning_says() -> None:
    """ "… and show me the wash road": the area `wash_road` is a name only that read's list holds;
    the likeness of "wash" to a washing programme's words is no reason to drop that part."""
    points = {"pattern": "^[0-9]{3}[AB]$", "description": "points number, e.g. 523A"}
    tools = [
        runbook("points_heating", "Show the points heaters by area: state, rail and air temperature.", "read",
                {"area": {"type": "enum", "values": ["all", "north_end", "south_end", "wash_road"], "default": "all",
                          "description": "which part of the depot"}}),
        runbook("force_points_heat", "Force the heaters on one set of points on.", "write", {"points": points}),
        runbook("set_wash_programme", "Change the wash programme the train wash runs for the next trains.",
                "write", {"programme": {"type": "enum", "values": ["light", "heavy"], "description": "programme"}}),
    ]
    outcome = await plan("force heat on 611A and show me the wash road", tools)
    assert calls(outcome) == [("force_points_heat", {"points": "611A"}), ("points_heating", {"area": "wash_road"})]


async def test_a_thing_and_a_noun_of_looking_asks_to_see_it() -> None:
    """ "lcoks status", "barier overveiw": typed in a hurry, a thing and a noun of looking ask to
    see it; the first word is a noun there, never the order "lock"."""
    gate = {"pattern": "^G[0-9]{2}$", "description": "gate id, e.g. G04"}
    tools = [
        runbook("lock_barrier", "Lock a car park barrier down.", "write", {"barrier": gate}),
        runbook("barriers", "list the car park barriers and whether each is locked", "read", {}),
    ]
    assert calls(await plan("lock status", tools)) == [("barriers", {})]
    assert calls(await plan("barier overveiw", tools)) == [("barriers", {})]


async def test_bringing_a_thing_back_up_is_its_way_back() -> None:
    """ "the jam's cleared, bring S3 back up": back up from a pause, the way back its description
    tells ("Bring a sauna back up from eco mode"), never the pause again. (A guard: meaning finds it
    here without the rule too; the rule's own case is final21's "bring TO4 back up".)"""
    tools = [
        runbook("sauna_eco", "Put a sauna on eco mode: the stove turns down and the door locks. It comes back up "
                             "by itself after the given minutes.", "write",
                {"sauna": SAUNA, "minutes": {"type": "int", "min": 0, "max": 600, "default": 60,
                                             "description": "minutes; 0: until someone brings it back"}}),
        runbook("sauna_resume", "Bring a sauna back up from eco mode: the stove heats and the door opens again.",
                "write", {"sauna": SAUNA}),
        runbook("saunas", "list the saunas", "read", {}),
    ]
    assert calls(await plan("the bench is fixed, bring S3 back up", tools)) == [("sauna_resume", {"sauna": "S3"})]


async def test_opening_a_thing_back_up_lifts_what_closed_it() -> None:
    """ "open S2 and S3 back up": a reopening, so the change that lifts the closure, once for each
    sauna named; never the closure again. (A guard: found here without the "open * back up" phrase
    too; the phrase's own case is final21's "open mt_008 and mt_009 back up to boats".)"""
    tools = [
        runbook("close_sauna", "Close a sauna to guests: the door locks and the sign says closed.", "write",
                {"sauna": SAUNA}),
        runbook("lift_closure", "Lift a sauna's closure: guests can go in again.", "write", {"sauna": SAUNA}),
        runbook("saunas", "list the saunas", "read", {}),
    ]
    assert calls(await plan("open S2 and S3 back up to guests", tools)) == \
        [("lift_closure", {"sauna": "S2"}), ("lift_closure", {"sauna": "S3"})]
