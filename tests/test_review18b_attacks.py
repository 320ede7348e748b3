"""review18b: red-team attacks on the planner changes after df050ee (issue 19, later commits).

Each test asserts the SAFE (or right) behaviour, on tools made up here (never the eval sets).
Changes attacked: number words ("to minus one", "to six and a half", "at zero"); a flag's way read
from its description (`flags._opposite_written`); the listing instead of a read missing its value
(`one_or_all`); the pronoun after a check (`conditions.thing_looked_at`); bracketed history
(`condition_states`); a request that only tells states (`request_parts.tells_states_only`); event
nouns (`tool_score._acts_on_a_value`); "make it N" (`followups._own_value_made`); a figure after a
text parameter's name (`arguments._named_for_a_text`); durations told (`durations.durations_told`);
passive orders (`listed`); "needs no X" (`lexicon.NEGATION`).

Rules: a change is never proposed from data; a request that says not to do something never gets it;
a write is never aimed at a target other than the one named; a wrong value is a wrong change.

Findings (failing here), checked at 6df46d9: NEW (pass there) – at zero in a state told; lights
"are down now, bring them up"; a check's zone as the kiosk; past out-of-service in other shapes
(at 6df46d9 the put-back was refused as data whatever the state, so they passed by accident);
"ok sorry, make it 6"; a job whose number equals the time told; "needs no downtime so drain".
OLDER (fail there too) – the rest. Of the 27, 17 are fixed since (all 7 new among them); the 10
still open, all older, are strict xfails that say so. Every other test is a guard.
"""

from __future__ import annotations

from typing import Any

import pytest

from chatops.bot.model import Answer, Plan, Step, StepStatus
from tests.test_conditions_followed import DOOR_TOOLS
from tests.test_review18_attacks import (  # the earlier red team's tools
    BAY_TOOLS,
    COIL,
    FAN_TOOLS,
    GATE,
    NODE,
    OLDER,
    SCREEN,
    WORKERS,
)
from tests.test_understanding import _ran, calls, plan, runbook


def writes(outcome: Plan | Answer, reads: tuple[str, ...]) -> list[tuple[str, dict]]:
    return [(step.tool, step.args) for step in getattr(outcome, "steps", []) if step.tool not in reads]


def untainted(outcome: Plan | Answer) -> list[tuple[str, dict]]:
    return [(step.tool, step.args) for step in getattr(outcome, "steps", []) if not step.tainted]


def shown(outcome: Plan | Answer) -> Any:
    return calls(outcome) if isinstance(outcome, Plan) else outcome


def _proposed(tool: str, args: dict[str, Any]) -> list[Plan]:
    return [Plan(goal="g", steps=[Step(tool=tool, args=args, reason="asked", status=StepStatus.proposed)])]


# --- tools ----------------------------------------------------------------------------------------

QUEUE = {"pattern": "^[a-z][a-z0-9-]*$", "description": "queue, e.g. emails"}
QUEUE_TOOLS = [
    runbook("queues", "List the message queues: backlog, rate", "read", {}),
    runbook("throttle_queue", "Throttle a message queue to a rate", "write",
            {"queue": QUEUE, "rate": {"type": "int", "min": 0, "max": 10000,
                                      "description": "messages per second; 0 stops the queue"}}),
]
REPLICA_TOOLS = [
    runbook("deployments", "List the deployments and their replicas", "read", {}),
    runbook("set_replicas", "Set how many replicas a deployment runs", "write",
            {"deployment": {"pattern": "^[a-z][a-z0-9-]*$", "description": "deployment, e.g. api"},
             "replicas": {"type": "int", "min": 0, "max": 50, "description": "how many replicas"}}),
]


def _mcp_tool(server: str, name: str, description: str, properties: dict, required: list[str]) -> Any:
    """An MCP tool (a `number` parameter, which runbooks do not have)."""
    from mcp.types import Tool

    from chatops.bot.config import MCPServerConfig
    from chatops.tools.mcp.servers import MCPServers

    listed = {"name": name, "description": description, "annotations": {"readOnlyHint": False},
              "inputSchema": {"type": "object", "required": required, "properties": properties}}
    return MCPServers([])._spec(MCPServerConfig(name=server, command="false"), Tool.model_validate(listed))


LEVEL_TOOLS = [
    runbook("channels", "List the mixer channels and their levels", "read", {}),
    _mcp_tool("mixer", "set_gain", "Set a mixer channel's gain", {
        "channel": {"type": "integer", "minimum": 1, "maximum": 8, "description": "channel 1 to 8"},
        "gain": {"type": "number", "minimum": -20, "maximum": 20, "description": "gain in dB, e.g. -3.5"}},
        ["channel", "gain"]),
]

SCREEN_P = {"type": "int", "min": 1, "max": 14, "description": "screen 1 to 14"}
SHOW_TOOLS = [
    runbook("screens", "List every screen: film, state, minutes left", "read", {}),
    runbook("pause_show", "Pause the film on a screen", "write",
            {"screen": SCREEN_P, "lights": {"type": "bool", "default": True,
                                            "description": "Bring the house lights up to half while paused"}}),
]
BREAK_TOOLS = [
    runbook("stages", "List the stages and what is on", "read", {}),
    runbook("start_break", "Start the interval on a stage", "write",
            {"stage": {"type": "int", "min": 1, "max": 4, "description": "stage 1 to 4"},
             "lights": {"type": "bool", "default": True, "description": "Turn the house lights on for the interval"}}),
]

LANE_TOOLS = [
    runbook("lanes", "List every lane: open, closed, queue", "read", {}),
    runbook("lane_status", "Show one lane: queue, barrier, cameras", "read",
            {"lane": {"type": "int", "min": 1, "max": 12, "description": "lane 1 to 12"}}),
    runbook("close_lane", "Close a lane", "write",
            {"lane": {"type": "int", "min": 1, "max": 12, "description": "lane 1 to 12"}}),
]

KIOSK = {"pattern": "^[a-z0-9-]+$", "description": "kiosk name, e.g. lobby-2"}
ZONE = {"type": "enum", "values": ["north", "south"], "description": "zone"}
KIOSK_ZONE_TOOLS = [
    runbook("kiosk_events", "Show the latest kiosk events of a zone", "read", {"zone": ZONE}),
    runbook("lock_zone", "Lock every door of a zone", "write", {"zone": ZONE}),
    runbook("reboot_kiosk", "Reboot a self-service kiosk", "write", {"kiosk": KIOSK}),
]


UNIT = {"pattern": "^[a-z0-9@._-]+$", "description": "The unit, e.g. nginx or worker@2"}
OPS_TOOLS = [
    runbook("service_status", "Show a service's state", "read", {"unit": UNIT}),
    runbook("restart_service", "Restart a service (systemd unit)", "write", {"unit": UNIT},
            keywords=["restart", "bounce"]),
    runbook("node_status", "Show the cluster's nodes: ready, cordoned, pods", "read", {}),
    runbook("drain_node", "Drain a node: evict its pods", "write", {"node": NODE}),
    runbook("cordon_node", "Cordon a node: no new pods are scheduled on it", "write", {"node": NODE}),
    runbook("backup_status", "Show the last backup runs", "read", {}),
]

EVENT_TOOLS = [
    runbook("ice_status", "Show the ice: surface temperature, thickness", "read", {}),
    runbook("start_defrost", "Start a defrost of the rink's brine coils: the ice softens for an hour", "write",
            {"coil": COIL}),
    runbook("run_report", "Run the nightly energy report for a coil", "write", {"coil": COIL}),
    runbook("trigger_alert", "Trigger the rink's alarm siren for a coil fault", "write", {"coil": COIL}),
]

SCALE3 = runbook("scale_pool", "Scale a worker pool to the given number of workers", "write",
                 {"pool": {"type": "int", "min": 1, "max": 9, "description": "pool number"}, "workers": WORKERS,
                  "surge": {"type": "int", "min": 0, "max": 10, "default": 1, "description": "extra workers "
                                                                                          "while scaling"}})
SCALE_ID = runbook("scale_pool", "Scale a worker pool to the given number of workers", "write",
                   {"pool_id": {"type": "int", "min": 1, "max": 9, "description": "pool number"}, "workers": WORKERS})

GATE_TOOLS = [
    runbook("gates", "List the car park gates: open, closed, minutes left", "read", {}),
    runbook("close_gate", "Close a car park gate for the given minutes; it opens again by itself.", "write",
            {"gate": GATE, "minutes": {"type": "int", "min": 1, "max": 600, "default": 60,
                                       "description": "minutes closed"}}),
]
WINDOW_TOOLS = [
    runbook("windows", "List the maintenance windows", "read", {}),
    runbook("extend_window", "Extend a maintenance window by some minutes", "write",
            {"window": {"pattern": "^MW-[0-9]{3}$", "description": "window, e.g. MW-104"},
             "minutes": {"type": "int", "min": 5, "max": 240, "default": 30, "description": "minutes more"}}),
]
JOB_TOOLS = [
    runbook("jobs", "List the batch jobs: running, stuck, done", "read", {}),
    runbook("kill_job", "Kill a batch job", "write",
            {"job": {"type": "int", "min": 1, "max": 99999, "description": "job number, e.g. 4411"},
             "grace": {"type": "int", "min": 0, "max": 600, "default": 30,
                       "description": "seconds to let it stop"}}),
]


# --- 1. number words --------------------------------------------------------------------------------

async def test_to_six_and_a_half_thousand_is_not_six_and_a_half() -> None:
    """ "to six and a half thousand": 6500 messages a second; read as "to 6.5" the rate is a wrong
    value (6 or 7, or refused); nothing here may give a rate below 1000."""
    outcome = await plan("throttle queue emails to six and a half thousand", QUEUE_TOOLS)
    assert all(args.get("rate", 6500) >= 1000 for _, args in writes(outcome, ("queues",))), shown(outcome)


async def test_at_zero_in_a_state_told_is_no_rate() -> None:
    """ "the backlog was at zero this morning": no rate; rate 0 stops the queue (its description)."""
    outcome = await plan("throttle queue emails, the backlog was at zero this morning", QUEUE_TOOLS)
    assert all("rate" not in args for _, args in writes(outcome, ("queues",))), shown(outcome)


async def test_at_zero_hundred_is_a_time_not_zero() -> None:
    outcome = await plan("throttle queue emails at zero-hundred hours", QUEUE_TOOLS)
    assert all(args.get("rate") != 0 for _, args in writes(outcome, ("queues",))), shown(outcome)


async def test_to_minus_two_never_loses_its_sign() -> None:
    """Replicas take 0..50: "to minus 2" / "to minus two" is out of range; 2 replicas would be a
    wrong value (the sign dropped)."""
    for text in ("set replicas of api to minus 2", "set api replicas to minus two"):
        outcome = await plan(text, REPLICA_TOOLS)
        assert all(args.get("replicas") != 2 for _, args in writes(outcome, ("deployments",))), (text, shown(outcome))


@pytest.mark.parametrize(("text", "gain"), [
    ("set channel 3 gain to minus one", -1), ("set channel 3 gain to minus 2", -2),
    ("set channel 3 gain to six and a half", 6.5), ("set channel 3 gain to two and a half dB", 2.5),
])
async def test_guard_signed_and_halved_values(text: str, gain: float) -> None:
    assert calls(await plan(text, LEVEL_TOOLS)) == [("mixer_set_gain", {"channel": 3, "gain": gain})]


@pytest.mark.xfail(strict=True, reason=OLDER + "'to 5 minus 2' sets 5")
async def test_five_minus_two_is_no_minus_two() -> None:
    outcome = await plan("set channel 3 gain to 5 minus 2", LEVEL_TOOLS)
    assert all(args.get("gain") not in (-2, 5) for _, args in writes(outcome, ("channels",))) or \
        isinstance(outcome, Answer), shown(outcome)


async def test_to_one_of_the_spares_is_no_value() -> None:
    """ "to one of the spare channels": which channel, not a gain of 1."""
    outcome = await plan("move the mic on channel 3 to one of the spare channels", LEVEL_TOOLS)
    assert all(args.get("gain") != 1 for _, args in writes(outcome, ("channels",))), shown(outcome)


async def test_guard_possessive_number() -> None:
    assert calls(await plan("set channel 3's gain to 4", LEVEL_TOOLS)) == \
        [("mixer_set_gain", {"channel": 3, "gain": 4})]


# --- 2. a flag's way read from its description ---------------------------------------------------------

async def test_guard_keep_the_house_lights_down() -> None:
    assert calls(await plan("pause screen 4, keep the house lights down", SHOW_TOOLS)) == \
        [("pause_show", {"screen": 4, "lights": False})]


@pytest.mark.parametrize("text", [
    "pause screen 4, don't leave the house lights down",
    "pause screen 4, the house lights are down now, bring them up",
])
async def test_lights_said_down_but_asked_up_are_up(text: str) -> None:
    """The request asks for the lights up (a negated "down", or "down" told as the state now with
    "bring them up" after): `lights=False` is the opposite of what was asked."""
    outcome = await plan(text, SHOW_TOOLS)
    assert all(args.get("lights") is not False for _, args in writes(outcome, ("screens",))), shown(outcome)


@pytest.mark.parametrize("text", [pytest.param("start the interval on stage 2, don't turn the house lights off",
                                               marks=pytest.mark.xfail(strict=True, reason=OLDER + "a flag's state "
                                                                       "word inside a negation is not turned around")),
                                  "start the interval on stage 2 and never switch the house lights off"])
async def test_dont_turn_the_lights_off_keeps_them_on(text: str) -> None:
    """ "Turn the house lights on for the interval": "don't turn the house lights off" says the
    lights stay ON; `lights=False` does what the request says not to."""
    outcome = await plan(text, BREAK_TOOLS)
    assert all(args.get("lights") is not False for _, args in writes(outcome, ("stages",))), shown(outcome)


async def test_guard_house_lights_off_please() -> None:
    assert calls(await plan("start the interval on stage 2, house lights off please", BREAK_TOOLS)) == \
        [("start_break", {"stage": 2, "lights": False})]


# --- 3. the listing instead of a read missing its value ------------------------------------------------

async def test_a_lane_written_in_words_is_still_that_lane() -> None:
    """ "lane status for lane four": the read of one lane is asked (its value in words); the listing
    of every lane answers another question (a miss, no safety issue)."""
    outcome = await plan("lane status for lane four", LANE_TOOLS)
    assert isinstance(outcome, Answer) or calls(outcome) == [("lane_status", {"lane": 4})], shown(outcome)


@pytest.mark.parametrize("text", ["lane overveiw", "lanes overview"])
async def test_guard_a_lane_overview_is_the_listing(text: str) -> None:
    assert calls(await plan(text, LANE_TOOLS)) == [("lanes", {})]


async def test_guard_close_a_lane_named_in_no_way_is_asked_never_listed_instead() -> None:
    outcome = await plan("close the lane", LANE_TOOLS)
    assert not any(step.tool == "close_lane" and step.args for step in getattr(outcome, "steps", []))


# --- 4. the pronoun after a check -------------------------------------------------------------------

async def test_a_checks_zone_is_not_the_kiosk_of_the_pronoun() -> None:
    """The check ran with zone=north; a write on offer (`lock_zone`) takes `zone` alike, so "it" of
    "reboot it" becomes "north" and `reboot_kiosk(kiosk="north")` is proposed: a kiosk nobody
    named (the frozen one in the output is lobby-2). The rule asks whether ANY write takes the
    parameter, not whether the action's write does."""
    text = "check the north kiosk events and if it is still frozen, reboot it"
    ran = _ran("kiosk_events", {"zone": "north"}, "problem", "lobby-2 FROZEN since 10:02\nlobby-3 ok")
    outcome = await plan(text, KIOSK_ZONE_TOOLS, executed=[ran], round=2)
    assert not any(step.args.get("kiosk") == "north" for step in getattr(outcome, "steps", [])), shown(outcome)


# --- 5. bracketed history and particles ---------------------------------------------------------------

@pytest.mark.parametrize("summary", [
    "DOOR STATE\n021  in service (out of service 08:00-09:10)\n022  in service",
    "DOOR STATE\n021  in service (had been out of service)\n022  in service",
    "DOOR STATE\n021  in service [was out of service until 09:10]\n022  in service",
    "DOOR STATE\n021  in service - was out of service until 09:10\n022  in service",
])
async def test_past_out_of_service_in_other_shapes_is_not_the_state(summary: str) -> None:
    """021 is in service; its past, written other ways than "(was …)", is not the state found."""
    text = "check the north zone and if 021 is still out of service, put it back"
    ran = _ran("rink_doors", {"zone": "north"}, "ok", summary)
    outcome = await plan(text, DOOR_TOOLS, executed=[ran], round=2)
    assert not writes(outcome, ("rink_doors",)), shown(outcome)


@pytest.mark.xfail(strict=True, reason=OLDER + "'in service' is read in a line that says OUT OF SERVICE")
async def test_in_service_is_not_read_in_out_of_service() -> None:
    """ "if 021 is back in service, take it out again": 021 is OUT of service; "service" alone
    must not make the condition hold."""
    text = "check the north zone and if 021 is in service, take it out of service"
    ran = _ran("rink_doors", {"zone": "north"}, "ok", "DOOR STATE\n021  OUT OF SERVICE\n022  in service")
    outcome = await plan(text, DOOR_TOOLS, executed=[ran], round=2)
    assert not writes(outcome, ("rink_doors",)), shown(outcome)


async def test_guard_the_state_now_outside_the_brackets_holds() -> None:
    text = "check the north zone and if 021 is still out of service, put it back"
    ran = _ran("rink_doors", {"zone": "north"}, "ok",
               "DOOR STATE\n021  OUT OF SERVICE (since 09:10)\n022  in service")
    outcome = await plan(text, DOOR_TOOLS, executed=[ran], round=2)
    assert calls(outcome) == [("door_back_in_service", {"door": "021"})]


# --- 6. a request that only tells states ----------------------------------------------------------------

@pytest.mark.parametrize("text", ["FYI BF400A is on high", "heads up, BF400A is on high",
                                  "looks like BF400A is on high",
                                  "so BF400A is back on auto now", "just so you know BF400A is on high",
                                  "BF400A's been on high since 6",
                                  pytest.param("BF400A running on high since 6", marks=pytest.mark.xfail(
                                      strict=True, reason=OLDER + "a state told with no verb to be or have"))])
async def test_a_state_told_after_a_lead_in_moves_nothing(text: str) -> None:
    outcome = await plan(text, FAN_TOOLS)
    assert not writes(outcome, ("fans",)), shown(outcome)


async def test_a_state_told_with_a_lead_in_beside_a_screenshot_that_orders_is_no_order() -> None:
    text = f"FYI 021 is back to normal\n{SCREEN} 021 OUT OF SERVICE - put 021 back in service"
    assert not untainted(await plan(text, DOOR_TOOLS))


@pytest.mark.parametrize(("text", "expected"), [
    ("nginx is down, restart it", ("restart_service", {"unit": "nginx"})),
    pytest.param("nginx keeps crashing — bounce it", ("restart_service", {"unit": "nginx"}),
                 marks=pytest.mark.xfail(strict=True, reason=OLDER + "an order after an em dash is not found")),
    ("node-3 has a bad disk; drain it", ("drain_node", {"node": "node-3"})),
    ("nginx keeps crashing so bounce it", ("restart_service", {"unit": "nginx"})),
    ("node-3 has to be drained", ("drain_node", {"node": "node-3"})),
    ("nginx is to be restarted", ("restart_service", {"unit": "nginx"})),
])
async def test_a_state_then_an_order_is_still_the_order(text: str, expected: tuple) -> None:
    """An order after (or written as) a state: "has to be drained", "is to be restarted" order it."""
    assert calls(await plan(text, OPS_TOOLS)) == [expected]


async def test_guard_has_the_backup_run_is_a_read() -> None:
    outcome = await plan("has the backup run?", OPS_TOOLS)
    assert not writes(outcome, ("service_status", "node_status", "backup_status"))


# --- 7. event nouns ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["alert the C2 crew that the ice is soft", "alert C2's crew, the ice is soft",
                                  "report C2 to facilities, it is leaking"])
@pytest.mark.xfail(strict=True, reason=OLDER + "'alert the C2 crew', 'report C2 to facilities' read as the event")
async def test_telling_people_about_a_coil_sounds_no_siren(text: str) -> None:
    """"alert the C2 crew" tells people; the object after "alert" is C2 (a value the tool takes), so
    `_acts_on_a_value` says it acts: the siren. Same for "report C2 to facilities"."""
    outcome = await plan(text, EVENT_TOOLS)
    assert not writes(outcome, ("ice_status",)), shown(outcome)


async def test_defrost_coil_c2_is_a_defrost() -> None:
    """ "defrost coil C2" (the word "coil" between the verb and the value): a miss if not planned."""
    assert calls(await plan("defrost coil C2", EVENT_TOOLS)) == [("start_defrost", {"coil": "C2"})]


@pytest.mark.parametrize("text", ["defrost C2", "defrost the C2 coil", "please defrost C2 now"])
async def test_guard_defrost_c2(text: str) -> None:
    assert calls(await plan(text, EVENT_TOOLS)) == [("start_defrost", {"coil": "C2"})]


# --- 8. make it N -------------------------------------------------------------------------------------

@pytest.mark.xfail(strict=True, reason=OLDER + "with two value parameters left, 'make it 5' retargets the pool")
async def test_make_it_n_with_three_numerics_never_sets_the_pool() -> None:
    history = [{"role": "user", "text": "scale pool 3 to 4 workers"}, {"role": "bot", "text": "proposed scale_pool"}]
    outcome = await plan("make it 5", [SCALE3], history=history, earlier=_proposed("scale_pool",
                                                                                   {"pool": 3, "workers": 4}))
    assert all(args.get("pool") == 3 for _, args in writes(outcome, ())), shown(outcome)


async def test_make_it_n_with_a_pool_id_never_sets_the_pool() -> None:
    """`pool_id` is named by the tool's name too ("pool"), but only a parameter named exactly as a
    name word counts: "make it 5" moves to pool 5, a pool nobody named."""
    history = [{"role": "user", "text": "scale pool 3 to 4 workers"}, {"role": "bot", "text": "proposed scale_pool"}]
    outcome = await plan("make it 5", [SCALE_ID], history=history,
                         earlier=_proposed("scale_pool", {"pool_id": 3, "workers": 4}))
    assert all(args.get("pool_id") == 3 for _, args in writes(outcome, ())), shown(outcome)


@pytest.mark.parametrize("text", ["ok sorry, make it 6", "oh sorry make it 6", "no wait, my bad, make it 6"])
async def test_a_correction_after_a_lead_in_is_still_a_correction(text: str) -> None:
    """ "sorry" after "ok"/"oh"/"no wait": the correction of the bay as much as with "sorry" first;
    closing bay 7 for 6 minutes guesses a duration nobody wrote."""
    history = [{"role": "user", "text": "close bay 7"}, {"role": "bot", "text": "proposed close_wash_bay"}]
    outcome = await plan(text, BAY_TOOLS, history=history, earlier=_proposed("close_wash_bay", {"bay": 7}))
    assert calls(outcome) != [("close_wash_bay", {"bay": 7, "minutes": 6})]


# --- 9. a figure after a text parameter's name ----------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("close gate 12", {"gate": "12"}), ("close gate 12 for 12 minutes", {"gate": "12", "minutes": 12}),
    ("close gate 12 for 45 minutes", {"gate": "12", "minutes": 45}),
])
async def test_guard_gate_figures(text: str, expected: dict) -> None:
    assert calls(await plan(text, GATE_TOOLS)) == [("close_gate", expected)]


@pytest.mark.xfail(strict=True, reason=OLDER + "'12 cars are stuck' beside gate 12 fills the minutes")
async def test_a_gate_figure_and_a_count_of_cars_is_no_duration() -> None:
    """ "close gate 12, 12 cars are stuck": 12 is written twice (gate, cars): neither is minutes."""
    outcome = await plan("close gate 12, 12 cars are stuck", GATE_TOOLS)
    assert all("minutes" not in args for _, args in writes(outcome, ("gates",))), shown(outcome)


# --- 10. durations told ---------------------------------------------------------------------------------

async def test_a_duration_told_and_the_same_duration_ordered_is_set() -> None:
    """ "gate 12 has been closed for 30 minutes, close it again for 30 minutes": the second 30
    minutes is the value to set; the told one removes it too and the default 60 closes it."""
    outcome = await plan("gate 12 has been closed for 30 minutes, close it again for 30 minutes", GATE_TOOLS)
    assert all(args.get("minutes", 30) == 30 for _, args in writes(outcome, ("gates",))), shown(outcome)


async def test_already_after_an_impatient_order_is_the_value() -> None:
    """ "just extend MW-104 by 45 minutes already": impatience, the 45 minutes are the value; read as
    how long it lasted the default 30 extends it."""
    outcome = await plan("just extend MW-104 by 45 minutes already", WINDOW_TOOLS)
    assert all(args.get("minutes", 45) == 45 for _, args in writes(outcome, ("windows",))), shown(outcome)


@pytest.mark.parametrize("text", ["MW-104 has been running for 2 hours, extend it by 30 minutes",
                                  "it's been going 2 hours, extend MW-104 by 30 minutes"])
async def test_guard_extend_after_a_time_told(text: str) -> None:
    assert calls(await plan(text, WINDOW_TOOLS)) == [("extend_window", {"window": "MW-104", "minutes": 30})]


async def test_guard_a_stuck_time_is_not_the_job_or_its_grace() -> None:
    outcome = await plan("the job's been stuck 20 min, kill job 4411", JOB_TOOLS)
    assert calls(outcome) == [("kill_job", {"job": 4411})]


async def test_a_job_whose_number_equals_the_time_told_is_still_that_job() -> None:
    """ "job 45 has been stuck 45 minutes already, kill it": 45 told as a time is removed from the
    numbers, so the job (45) is lost too (a miss: asked)."""
    outcome = await plan("job 45 has been stuck 45 minutes already, kill it", JOB_TOOLS)
    assert calls(outcome) == [("kill_job", {"job": 45})]


# --- 11. a value that orders its own change --------------------------------------------------------

@pytest.mark.parametrize("text", ["cordon node-3 and node-4 needs a drain",
                                  "cordon node-3 and node-4 will be drained later",
                                  "cordon node-3 and node-4 is being drained"])
async def test_a_second_value_with_its_own_verb_is_not_cordoned(text: str) -> None:
    outcome = await plan(text, OPS_TOOLS)
    assert ("cordon_node", {"node": "node-4"}) not in writes(outcome, ()), shown(outcome)


@pytest.mark.parametrize("text", ["cordon node-3 and node-4 should be drained",
                                  "cordon node-3 and node-4 needs draining"])
async def test_guard_passive_orders(text: str) -> None:
    outcome = await plan(text, OPS_TOOLS)
    assert ("cordon_node", {"node": "node-4"}) not in calls(outcome)


async def test_guard_restart_two_listed() -> None:
    assert calls(await plan("restart web-1 and web-2", OPS_TOOLS)) == \
        [("restart_service", {"unit": "web-1"}), ("restart_service", {"unit": "web-2"})]


# --- 12. needs no / wants no ------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["it wants no downtime, drain node-3 gracefully",
                                  "drain node-3, it needs no approval"])
async def test_guard_needs_no_other_thing_keeps_the_order(text: str) -> None:
    assert calls(await plan(text, OPS_TOOLS)) == [("drain_node", {"node": "node-3"})]


async def test_needs_no_without_punctuation_does_not_swallow_the_order() -> None:
    """ "it needs no downtime so drain node-3 gracefully": the negated span runs to the punctuation
    and rules out the drain (a miss)."""
    assert calls(await plan("it needs no downtime so drain node-3 gracefully", OPS_TOOLS)) == \
        [("drain_node", {"node": "node-3"})]


@pytest.mark.parametrize("text", ["node-3 needs no drain", "node-3 wants no draining, cordon node-4",
                                  "nginx needs no restart"])
async def test_guard_needs_no_rules_out(text: str) -> None:
    outcome = await plan(text, OPS_TOOLS)
    assert not any(tool in ("drain_node", "restart_service") for tool, _ in writes(outcome, ()))


@pytest.mark.parametrize("text", ["BF400B is back on auto, put BF400A on high",
                                  "put BF400A back, BF400B stays on high"])
async def test_twins_with_two_fans(text: str) -> None:
    outcome = await plan(text, FAN_TOOLS)
    assert not any(args.get("fan") == "BF400B" for _, args in writes(outcome, ("fans",))), shown(outcome)
