"""Issue 19: a figure written once is one value, counts of time in words, a state said with "on",
and a "back" that belongs to another clause's subject (the real guided planner and sentence
encoder, on tools made up for these tests: a car wash's bays and a ski hut's boilers; the small
model is never asked). Each test but the last was checked to fail without the rule it names."""

from __future__ import annotations

from tests.test_understanding import calls, plan, runbook

BAY = {"pattern": "^[0-9]{3}$", "description": "bay number as painted over the door, three digits, e.g. 014"}
WASH_TOOLS = [
    runbook("close_bay", "Close a car wash bay: the barrier stays down and the pay screen says closed. It "
                         "opens again by itself after the given minutes.", "write",
            {"bay": BAY, "minutes": {"type": "int", "min": 0, "max": 720, "default": 30,
                                     "description": "minutes closed; 0 keeps it closed until someone opens it"}}),
    runbook("open_bay", "Open a car wash bay again: the barrier lifts for the next car.", "write", {"bay": BAY}),
    runbook("bays", "List the car wash bays: open or closed, cars washed today", "read", {}),
]


async def test_a_figure_a_pattern_takes_whole_is_no_count_too() -> None:
    """ "close bay 014" gives the bay `014`; the same figure is not also 14 minutes (the default
    stays). Written twice, it can be both."""
    assert calls(await plan("close bay 014, the brushes are shredding mirrors", WASH_TOOLS)) == \
        [("close_bay", {"bay": "014"})]
    assert calls(await plan("close bay 014 for 14 minutes", WASH_TOOLS)) == \
        [("close_bay", {"bay": "014", "minutes": 14})]


BOILER = {"pattern": "^[0-9][a-d]$", "description": "boiler id: hut number then letter, e.g. 2c"}
HUT_TOOLS = [
    runbook("fire_boiler", "fire one hut boiler by hand for the given minutes, then its timer takes over",
            "write", {"boiler": BOILER, "minutes": {"type": "int", "min": 1, "max": 300, "default": 60,
                                                    "description": "mins"}}),
    runbook("boost_boiler", "Put a hut boiler on full: it burns at full rate until the given minutes are up.",
            "write", {"boiler": BOILER, "minutes": {"type": "int", "min": 1, "max": 120, "default": 20,
                                                    "description": "minutes on full"}}),
    runbook("boiler_timer", "Put a hut boiler back on its timer: it stops burning at full or by hand.", "write",
            {"boiler": BOILER}),
    runbook("boilers", "list the hut boilers and their state", "read", {}),
]


async def test_a_count_of_minutes_in_words_beside_an_id_shaped_like_days() -> None:
    """ "fire 4d for forty five min": 45 minutes in words (the cardinal grammar of
    `number_words`, a shortened unit), and "4d" is the boiler its pattern takes whole, not four
    days."""
    assert calls(await plan("fire 4d for forty five min", HUT_TOOLS)) == \
        [("fire_boiler", {"boiler": "4d", "minutes": 45})]


def test_a_description_that_puts_its_thing_on_a_state_says_its_action_with_on() -> None:
    """ "Put a hut boiler on full" acts by "on full"; "put 2c on full" says it, and so does "put a
    hold on it" for "Put a container on hold" (the state's noun as the object)."""
    from chatops.bot.agent.entities import stem, words_of
    from chatops.bot.agent.phrasal import phrasal_action, says_the_phrasal_action

    def said(phrase: tuple[str, ...], text: str) -> bool:
        return says_the_phrasal_action(phrase, [[stem(word) for word in words_of(text)]])

    full = phrasal_action("Put a hut boiler on full: it burns at full rate until the given minutes are up.")
    hold = phrasal_action("Put a container on hold: it cannot leave the yard until the hold is released.")
    assert full == (stem("on"), stem("full")) and hold == (stem("on"), stem("hold"))
    assert said(full, "put 2c on full") and said(hold, "put a hold on it")
    assert not said(full, "put 2c on the rota") and not said(hold, "put it on the truck")


async def test_a_state_said_with_on_is_the_change_whose_description_says_it() -> None:
    """ "put 2c on full" is `boost_boiler` ("Put a hut boiler on full"), though a "back" in a clause
    about the guests ("the guests want to go back in") is no way back for the boiler (checked to fail
    without the clause's reading in `brought_back`)."""
    assert calls(await plan("put 2c on full, the guests want to go back in", HUT_TOOLS)) == \
        [("boost_boiler", {"boiler": "2c"})]


async def test_a_way_back_is_read_in_the_clause_that_names_its_thing() -> None:
    """ "guests are back in the hut, drop 2c back down": the clause naming 2c still brings it back
    once a "back" is read in its own clause (a guard: it passes without this session's rules too)."""
    assert calls(await plan("guests are back in the hut, drop 2c back down", HUT_TOOLS)) == \
        [("boiler_timer", {"boiler": "2c"})]


HEATER_BAY = {"type": "int", "min": 1, "max": 12, "description": "Bay number, 1 to 12"}
HEATER_TOOLS = [
    runbook("set_rinse_temp", "Set the rinse water temperature of a bay", "write",
            {"bay": HEATER_BAY, "celsius": {"type": "int", "min": 20, "max": 60, "description": "rinse °C, e.g. 35"}}),
    runbook("close_wash_bay", "Close a wash bay for the given minutes", "write",
            {"bay": HEATER_BAY, "minutes": {"type": "int", "min": 0, "max": 600, "default": 30,
                                            "description": "minutes; 0 until someone opens it"}}),
    runbook("bay_status", "Show one wash bay: water, chemicals, barrier", "read", {"bay": HEATER_BAY}),
]


def _proposed(tool: str, args: dict) -> list:
    from chatops.bot.model import Plan, Step, StepStatus

    return [Plan(goal="g", steps=[Step(tool=tool, args=args, reason="asked", status=StepStatus.proposed)])]


async def test_make_it_a_number_sets_the_value_only_this_change_takes() -> None:
    """ "make it 40" after `set_rinse_temp(bay=3, celsius=35)`: the bay is the one every bay tool
    takes (the same 1 to 12), so "it" is still bay 3 and 40 is the temperature; "make it 90" after
    a closing with no time given is its minutes, the one number only it takes."""
    history = [{"role": "user", "text": "bay 3 rinse to 35"}, {"role": "bot", "text": "proposed set_rinse_temp"}]
    assert calls(await plan("make it 40", HEATER_TOOLS, history=history,
                            earlier=_proposed("set_rinse_temp", {"bay": 3, "celsius": 35}))) == \
        [("set_rinse_temp", {"bay": 3, "celsius": 40})]
    history = [{"role": "user", "text": "close bay 7"}, {"role": "bot", "text": "proposed close_wash_bay"}]
    assert calls(await plan("make it 90", HEATER_TOOLS, history=history,
                            earlier=_proposed("close_wash_bay", {"bay": 7}))) == \
        [("close_wash_bay", {"bay": 7, "minutes": 90})]


async def test_same_for_another_thing_written_as_a_figure_keeps_the_count() -> None:
    """ "same for 015" after closing bay 014 for 30 minutes: 015 is the bay (its pattern takes it
    whole), not 15 minutes in place of the 30."""
    from chatops.bot.model import Plan, Step, StepStatus

    ran = [Plan(goal="g", steps=[Step(tool="close_bay", args={"bay": "014", "minutes": 30}, reason="asked",
                                      status=StepStatus.succeeded, summary="bay 014 closed for 30 min")])]
    history = [{"role": "user", "text": "close bay 014 for 30 min"}, {"role": "bot", "text": "close_bay ran"}]
    assert calls(await plan("same for 015", WASH_TOOLS, history=history, earlier=ran)) == \
        [("close_bay", {"bay": "015", "minutes": 30})]


async def test_a_part_that_tells_how_things_are_is_no_second_step() -> None:
    """ "close bay 014, the dryer is dead and cars are queueing in the bays": the order is the
    closing; "cars are queueing in the bays" tells the story (a subject and "are"), it asks for no
    listing of the bays (a question in its place still would: `final`'s "… and who's on call for
    data" in the eval)."""
    for text in ("close bay 014, the dryer is dead and cars are queueing in the bays",
                 "close bay 014 and the other bays are washing fine"):
        assert calls(await plan(text, WASH_TOOLS)) == [("close_bay", {"bay": "014"})], text


KILN_TOOLS = [
    runbook("set_kiln_alarm", "set the alarm temp for every kiln in one row: it sounds when the kiln reads this or "
                              "colder", "write",
            {"row": {"type": "int", "min": 1, "max": 20, "description": "row number e.g. 4"},
             "celsius": {"type": "int", "min": -5, "max": 5, "allow_leading_dash": True,
                         "description": "deg C, whole degrees, -5 to 5"}}),
    runbook("hold_firing", "Hold the firing of a row: the burners stop and the vent fans come on to full while "
                           "held", "write",
            {"row": {"type": "int", "min": 1, "max": 20, "description": "row number e.g. 4"},
             "fans": {"type": "bool", "default": True, "description": "Bring the vent fans up to full while held"}}),
]


def _dimmer_tool() -> list:
    """An MCP tool (a `number` parameter, which runbooks do not have)."""
    from mcp.types import Tool

    from chatops.bot.config import MCPServerConfig
    from chatops.tools.mcp.servers import MCPServers

    listed = {"name": "set_dimmer", "description": "Set the glow dimmer of a kiln row: from 0.0 to 10.0",
              "annotations": {"readOnlyHint": False},
              "inputSchema": {"type": "object", "required": ["row", "level"], "properties": {
                  "row": {"type": "integer", "minimum": 1, "maximum": 20, "description": "row number e.g. 4"},
                  "level": {"type": "number", "minimum": 0, "maximum": 10, "description": "dimmer level, e.g. 6.5"}}}}
    return [MCPServers([])._spec(MCPServerConfig(name="kiln", command="false"), Tool.model_validate(listed))]


async def test_values_said_the_way_people_say_them() -> None:
    """ "row 7's alarm" is row 7 (the possessive is the row's), "to minus one" is -1, "to six and
    a half" is 6.5, and "keep the vent fans down" puts the flag whose description brings them up
    to false (its default would run them at full)."""
    assert calls(await plan("set row 7's alarm to 2 degrees", KILN_TOOLS)) == \
        [("set_kiln_alarm", {"row": 7, "celsius": 2})]
    assert calls(await plan("kiln alarm on row 3 to minus one", KILN_TOOLS)) == \
        [("set_kiln_alarm", {"row": 3, "celsius": -1})]
    assert calls(await plan("row 13 dimmer to six and a half", [*KILN_TOOLS, *_dimmer_tool()])) == \
        [("kiln_set_dimmer", {"row": 13, "level": 6.5})]
    assert calls(await plan("hold row 11 but keep the vent fans down, the dust is settling", KILN_TOOLS)) == \
        [("hold_firing", {"row": 11, "fans": False})]


LANE_TOOLS = [
    runbook("lane_status", "Show one bowling lane in detail: pinsetter, ball return, game", "read",
            {"lane": {"type": "int", "min": 1, "max": 24, "description": "Lane number, 1 to 24"}}),
    runbook("list_lanes", "List every bowling lane: state and game", "read", {}),
]


async def test_an_overview_of_a_thing_with_none_named_is_the_listing() -> None:
    """ "lane overveiw": the read of one lane needs a lane nobody named; the listing of every lane,
    on the same noun, is what was asked (not "which lane?"). With a lane named, that lane."""
    assert calls(await plan("lane overveiw", LANE_TOOLS)) == [("list_lanes", {})]
    assert calls(await plan("lane 4 overview", LANE_TOOLS)) == [("lane_status", {"lane": 4})]


MIST_TOOLS = [
    runbook("mist_bench", "start overhead misting on a bench: the misters wet the cuttings every minute", "danger",
            {"bench": {"type": "int", "min": 1, "max": 40, "description": "bench number e.g. 4"}}),
    runbook("benches", "list the benches: misting, humidity, cuttings", "read", {}),
]


async def test_an_order_to_switch_off_is_never_a_change_that_starts() -> None:
    """ "turn the misters off on bench 4": the only misting change starts it; shared words and
    meaning make it close, but the order puts things off, and it is never proposed."""
    outcome = await plan("can you turn the misters off on bench 4? the cuttings are soaked", MIST_TOOLS)
    assert "mist_bench" not in [step.tool for step in getattr(outcome, "steps", [])], outcome


async def test_a_verb_in_its_ing_form_tells_what_is_happening() -> None:
    """ "start 2c, the hut's at 0.5 and dropping": "dropping" says how the temperature goes; it
    is no order to drop anything, so it undoes nothing of the start."""
    tools = [runbook("start_heater", "start one hut heater by hand", "write", {"heater": BOILER}),
             runbook("heaters", "list the hut heaters and the temperature at each", "read", {})]
    assert calls(await plan("start 2c, hut's at 0.5 and dropping", tools)) == [("start_heater", {"heater": "2c"})]


async def test_a_part_that_only_names_a_listing_is_no_step() -> None:
    """ "stop lane 4 and a ball jammed in the lanes by the bar": the second part names the lanes, asks
    nothing (no verb of the listing, no question, no value); only the stop is planned (the eval's
    "pull telnyx-fra out of service and show me how the other trunks are doing" keeps its read)."""
    tools = [*LANE_TOOLS, runbook("stop_lane", "Stop a lane's pinsetter", "write",
                                  {"lane": {"type": "int", "min": 1, "max": 24, "description": "Lane number"}})]
    assert calls(await plan("stop lane 4 and a ball jammed in the lanes by the bar", tools)) == \
        [("stop_lane", {"lane": 4})]


async def test_a_value_said_to_be_unwell_with_s_is_not_chosen() -> None:
    """ "fill trough 3 off the well, the river's too low": both sources are written; the river is
    said to be unwell ("'s too low"), so the well is the one asked for, not a tie left to the
    default (the river, the opposite of what was asked)."""
    tools = [runbook("fill_trough", "Fill a cattle trough", "write",
                     {"trough": {"type": "int", "min": 1, "max": 30, "description": "trough number e.g. 3"},
                      "source": {"type": "enum", "values": ["river", "well"], "default": "river",
                                 "description": "water from the river or the well"}})]
    assert calls(await plan("fill trough 3 off the well, the river's too low", tools)) == \
        [("fill_trough", {"trough": 3, "source": "well"})]


async def test_a_listing_filtered_as_people_ask_for_it() -> None:
    """ "any faults on the party lanes?": "faults" is the value `fault` in the plural (the default
    "any" adds nothing beside it), and "party lanes" the kind the description glosses as "junior:
    the party lanes 1 to 6" (its numbers say which; its words name it)."""
    tools = [runbook("lanes", "List the bowling lanes: state, game, kind", "read",
                     {"kind": {"type": "enum", "values": ["all", "junior", "league"], "default": "all",
                               "description": "Only lanes of this kind (junior: the party lanes 1 to 6; league: "
                                              "lane 20)"},
                      "state": {"type": "enum", "values": ["any", "open", "fault", "closed"], "default": "any",
                                "description": "Only lanes in this state"}})]
    assert calls(await plan("any faults on the party lanes?", tools)) == \
        [("lanes", {"kind": "junior", "state": "fault"})]
