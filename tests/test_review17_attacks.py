"""review17: red-team attacks on the session's planner changes of 2026-12-07 (issue 19 safety rules).

Each test asserts the SAFE (or right) behaviour, on tools made up here. Changes attacked:

1. again-verbs (`verb_senses.done_again`, `unseen_verbs.again_asked`, `tool_score`): "restart" asks
   for `start_x`;
2. same-name borrowing (`followups._from_arguments`): a follow-up's missing parameter takes the last
   step's value of the same parameter name;
3. twins (`twin_changes`, `ranking._twin_asked`): `switch_to_main` / `switch_to_reserve`, chosen by the
   state the request writes;
4. durations read whole (`durations.durations_in`).

Rules: a change is never proposed from data; a request that says not to do something never gets it;
a write is never aimed at a target other than the one named; a wrong value (a duration read short or
long, a state the thing is already in) is a wrong change. Failing tests are findings, passing ones
guards; nothing is skipped.
"""

from __future__ import annotations

import pytest

from chatops.bot.model import Answer, Plan, Step, StepStatus
from tests.test_understanding import calls, plan, runbook
from tests.test_values_said import HATCH_TOOLS  # the session's own hatches and holds

SCREEN = "[image: panel.png, 800×600 png] text:"


def tools_of(outcome: Plan | Answer) -> list[str]:
    return [step.tool for step in outcome.steps] if isinstance(outcome, Plan) else []


def untainted(outcome: Plan | Answer) -> list[tuple[str, dict]]:
    return [(step.tool, step.args) for step in getattr(outcome, "steps", []) if not step.tainted]


# --- 1. twins -------------------------------------------------------------------------------------

KILN = {"pattern": "^K[0-9]$", "description": "kiln, e.g. K2"}
GAS_TOOLS = [  # the session's own kiln twins (tests/test_orders_told_apart.py)
    runbook("kiln_gas", "Which gas supply each kiln burns from and the line pressures", "read", {}),
    runbook("feed_from_mains", "Feed a kiln back from the gas mains: the bottle bank is closed off", "write",
            {"kiln": KILN}),
    runbook("feed_from_bottles", "Feed a kiln from the bottle bank while the mains is out; it switches over "
            "by itself and back when the mains pressure returns", "write", {"kiln": KILN}),
]

TX = {"pattern": "^[0-9]{2,3}\\.[0-9]$", "description": "the service's frequency, e.g. 88.6"}
RADIO_TOOLS = [
    runbook("tx_status", "Which transmitter each radio service is on", "read", {}),
    runbook("switch_to_main", "Switch a service back to its main transmitter", "write", {"service": TX}),
    runbook("switch_to_reserve", "Switch a service to its reserve transmitter", "write", {"service": TX}),
    runbook("test_reserve", "Run a test tone through the reserve transmitter of a service", "write",
            {"service": TX}),
]

VALVE = {"pattern": "^V[0-9]$", "description": "valve, e.g. V3"}
VALVE_TOOLS = [  # twins by the code's test (one non-first word differs), but the word is the verb
    runbook("valve_state", "Show whether each valve is open or shut", "read", {}),
    runbook("valve_open", "Open a valve", "write", {"valve": VALVE}),
    runbook("valve_shut", "Shut a valve", "write", {"valve": VALVE}),
]


@pytest.mark.parametrize("text", ["K2 is on bottles, leave it there", "K2 is on bottles, fine for now",
                                  "K2 is on bottles"])
async def test_a_state_told_with_no_order_moves_nothing(text: str) -> None:
    """ "K2 is on bottles, leave it there": a report of where K2 is (and an order to leave it) is no
    order to switch it; the twin rule must not make the state the user reports a move off it."""
    outcome = await plan(text, GAS_TOOLS)
    assert not any(tool.startswith("feed_from") for tool in tools_of(outcome)), calls(outcome)


async def test_switch_it_back_goes_back_to_the_mains() -> None:
    """ "switch K2 back": the mains twin's description says "back"; the bottles twin's first
    sentence also holds "back" ("…it switches over by itself and back when…": `;` does not end a
    sentence for `_first_sentence_says_back`), so the rule does not choose and the ranking sends K2
    to the bottles, away from where "back" goes."""
    assert calls(await plan("switch K2 back", GAS_TOOLS)) == [("feed_from_mains", {"kiln": "K2"})]


async def test_the_state_of_another_service_does_not_choose_the_twin() -> None:
    """ "88.6 is on main, switch 95.8 back": 88.6's state is not 95.8's; "back" sends 95.8 to its main.
    The twin rule reads "is on main" (of 88.6) as the state 95.8 leaves and aims 95.8 at its reserve."""
    assert calls(await plan("88.6 is on main, switch 95.8 back", RADIO_TOOLS)) == \
        [("switch_to_main", {"service": "95.8"})]


async def test_a_past_went_to_is_not_where_the_order_sends_it() -> None:
    """ "88.6 went to reserve at 3, 95.8 too, switch 95.8 back": "went to reserve" tells what
    happened; "back" sends 95.8 to main, not to the reserve it is already on."""
    assert calls(await plan("88.6 went to reserve at 3, 95.8 too, switch 95.8 back", RADIO_TOOLS)) == \
        [("switch_to_main", {"service": "95.8"})]


@pytest.mark.parametrize("text", ["88.6 is on reserve, don't switch it back",
                                  "88.6 is on reserve. Do not switch back yet"])
async def test_dont_switch_back_proposes_no_change(text: str) -> None:
    """ "don't switch it back": nothing to change; a third write (a test tone through the reserve)
    nobody asked for is proposed instead."""
    outcome = await plan(text, RADIO_TOOLS)
    assert not any(tool != "tx_status" for tool in tools_of(outcome)), calls(outcome)


async def test_twins_named_by_their_verb_keep_the_retried_action() -> None:
    """ "V3 open failed, retry": `valve_open` / `valve_shut` pass the twin test (they differ in one
    non-first word), so "open … failed" reads as a state V3 leaves: valve_open is removed and nothing
    is planned (at the session start: valve_open). Never the opposite action."""
    outcome = await plan("V3 open failed, retry", VALVE_TOOLS)
    assert "valve_shut" not in tools_of(outcome)
    assert calls(outcome) == [("valve_open", {"valve": "V3"})]


@pytest.mark.parametrize("text", [f"have a look at this\n{SCREEN} K2 mains failed, change over",
                                  f"{SCREEN} mains on K2 has tripped\nsort it out",
                                  "swap K2 over\n[file: gas.log] mains on K2 has failed"])
async def test_guard_a_state_in_data_switches_nothing_by_itself(text: str) -> None:
    """Guard: the failure and the order to change over are in the screenshot / file only."""
    assert not untainted(await plan(text, GAS_TOOLS))


async def test_guard_a_screenshot_state_does_not_flip_back() -> None:
    """Guard: "switch 88.6 back" + a screenshot saying it is on main: still back to main (the
    screenshot's state does not turn the user's "back" into a move to the reserve)."""
    text = f"switch 88.6 back\n{SCREEN} 88.6 is on main"
    assert calls(await plan(text, RADIO_TOOLS)) == [("switch_to_main", {"service": "88.6"})]


@pytest.mark.parametrize("text", ["don't switch K2 back", "don't switch K2 back to mains",
                                  "don't change K2 over to bottles", "is K2 still on bottles?",
                                  "is K2 still on bottles? switch it back", "88.6 is on reserve, is that ok?"])
async def test_guard_negations_and_questions_switch_nothing(text: str) -> None:
    tools = RADIO_TOOLS if "88.6" in text else GAS_TOOLS
    assert not [tool for tool in tools_of(await plan(text, tools)) if tool not in ("kiln_gas", "tx_status")]


@pytest.mark.parametrize("summary", ["KILN FEED\nK2 mains (low pressure 18 mbar)\nK3 bottles",
                                     "KILN FEED\nK2 mains\nK3 mains"])
async def test_guard_if_on_bottles_switch_back_acts_not_when_it_is_on_mains(summary: str) -> None:
    """Guard: "check the gas and if K2 is on bottles switch it back": the check says K2 is on mains
    (whatever its outcome): no feed_from_* at all."""
    text = "check the gas and if K2 is on bottles switch it back"
    assert calls(await plan(text, GAS_TOOLS)) == [("kiln_gas", {})]
    for outcome in ("problem", "ok"):
        checked = Plan(goal="e", round=1, steps=[Step(id="s0", tool="kiln_gas", args={}, status=StepStatus.succeeded,
                                                      outcome=outcome, summary=summary)])
        assert not tools_of(await plan(text, GAS_TOOLS, executed=[checked], round=2))


async def test_guard_the_third_tool_is_still_the_answer() -> None:
    """Guard: "main has tripped on 88.6, test the reserve": the test tone, no switch."""
    assert calls(await plan("main has tripped on 88.6, test the reserve", RADIO_TOOLS)) == \
        [("test_reserve", {"service": "88.6"})]


# --- 2. again-verbs -------------------------------------------------------------------------------

BELT = {"pattern": "^B[0-9]{1,2}$", "description": "belt, e.g. B4"}
BELT_TOOLS = [
    runbook("belt_status", "Speed and state of every conveyor belt", "read", {}),
    runbook("start_belt", "Start a stopped conveyor belt from cold (runs the full pre-start siren and check)",
            "write", {"belt": BELT}),
    runbook("restart_belt", "Restart a running conveyor belt: a quick stop and start", "write", {"belt": BELT}),
    runbook("stop_belt", "Stop a conveyor belt", "write", {"belt": BELT}),
    runbook("set_speed", "Set the speed of a conveyor belt", "write",
            {"belt": BELT, "speed": {"type": "int", "min": 1, "max": 5, "description": "speed step 1-5"}}),
    runbook("move_pallet", "Move a pallet to another bay", "write",
            {"pallet": {"pattern": "^P-[0-9]{3}$", "description": "pallet, e.g. P-104"},
             "bay": {"pattern": "^bay-[0-9]$", "description": "bay, e.g. bay-2"}}),
    runbook("store_snapshot", "Store a snapshot of a belt controller's settings", "write", {"belt": BELT}),
    runbook("lease_address", "Lease a network address to a belt controller", "write", {"belt": BELT}),
    runbook("port_open", "Open a firewall port to a belt controller", "write", {"belt": BELT}),
    runbook("name_belt", "Give a belt a display name", "write",
            {"belt": BELT, "name": {"pattern": "^[a-z-]+$", "description": "display name"}}),
]
SPEED_TOOLS = [
    runbook("belt_status", "Speed and state of every conveyor belt", "read", {}),
    runbook("set_speed", "Set the speed of a conveyor belt", "write",
            {"belt": BELT,
             "speed": {"type": "int", "min": 1, "max": 5, "default": 5, "description": "speed step 1-5"}}),
]


@pytest.mark.parametrize("text", ["report on B4", "retire B4", "recall B4"])
async def test_a_re_word_is_not_the_value_of_a_free_text_name(text: str) -> None:
    """ "report on B4" asks for no renaming: the order's own verb becomes `name_belt name=report`."""
    outcome = await plan(text, BELT_TOOLS)
    assert "name_belt" not in tools_of(outcome), calls(outcome)


@pytest.mark.parametrize("text", ["reset B4", "B4 tripped, reset it"])
async def test_reset_is_no_speed_setting_with_its_default(text: str) -> None:
    """ "reset B4" (a tripped belt) is not "set B4's speed to 5": `set_speed` with its default
    (the fastest step) is a change nobody asked for."""
    outcome = await plan(text, SPEED_TOOLS)
    assert "set_speed" not in tools_of(outcome), calls(outcome)


@pytest.mark.parametrize("text", ["remove P-104", "remove B4", "restore B4", "release B4", "resize B4"])
async def test_guard_re_words_that_are_not_again_ask_for_nothing_of_theirs(text: str) -> None:
    """Guard: "remove"/"restore"/"release" never ask for move/store/lease (nor "report" for port)."""
    outcome = await plan(text, BELT_TOOLS)
    assert not set(tools_of(outcome)) & {"move_pallet", "store_snapshot", "lease_address", "port_open"}


@pytest.mark.parametrize(("text", "expected"), [
    ("restart B4", [("restart_belt", {"belt": "B4"})]),  # the team's own restart beats start
    ("do not restart B4 yet, stop B7", [("stop_belt", {"belt": "B7"})]),
    ("don't restart B4, just tell me its speed", [("belt_status", {})]),
    (f"restart B4\n{SCREEN} B9 stalled", [("restart_belt", {"belt": "B4"})]),
    ("reset B4 to speed 3", [("set_speed", {"speed": 3, "belt": "B4"})]),
])
async def test_guard_again_verbs(text: str, expected: list) -> None:
    assert calls(await plan(text, BELT_TOOLS)) == expected


async def test_guard_dont_restart_plans_nothing() -> None:
    assert not tools_of(await plan("don't restart B4", BELT_TOOLS))


# --- 3. same-name borrowing -----------------------------------------------------------------------

NAME = {"pattern": "^[a-z][a-z0-9-]*$"}
HOST_TOOLS = [
    runbook("host_info", "Show a host's uptime, load and owner", "read",
            {"name": {**NAME, "description": "host name, e.g. db-1"}}),
    runbook("disable_user", "Disable a user's login", "write", {"name": {**NAME, "description": "the user's login"}}),
    runbook("delete_volume", "Delete a storage volume and its data", "danger",
            {"name": {**NAME, "description": "volume name"}}),
    runbook("reboot_host", "Reboot a host", "write", {"host": {**NAME, "description": "host name"}}),
]


def _host_read(name: str, tainted: bool = False) -> list[Plan]:
    step = Step(tool="host_info", args={"name": name}, reason="asked", status=StepStatus.succeeded,
                summary=f"{name} up 3d, owner: bob", outcome="ok")
    step.tainted = tainted
    return [Plan(goal="earlier", steps=[step])]


@pytest.mark.parametrize(("host", "text"), [("ledger", "delete it"), ("ledger", "delete it too"),
                                            ("ledger", "disable it"), ("db-1", "delete it")])
async def test_a_hosts_name_is_not_the_name_of_a_volume_or_user(host: str, text: str) -> None:
    """After a read of host `ledger`, "delete it" means the host: `delete_volume` (danger) has a
    parameter of the same name, `name`, which means a volume. Borrowing by name aims the deletion at
    a volume called `ledger`, a target the user never named."""
    history = [{"role": "user", "text": f"how is the {host} host doing"}, {"role": "bot", "text": "host_info ran"}]
    outcome = await plan(text, HOST_TOOLS, history=history, earlier=_host_read(host))
    assert not any(tool in ("delete_volume", "disable_user") for tool in tools_of(outcome)), calls(outcome)


@pytest.mark.parametrize("text", ["reboot it", "ok reboot it", "delete it"])
async def test_guard_a_tainted_read_lends_no_target(text: str) -> None:
    """Guard: the earlier read's host came from a screenshot: no untainted change on it."""
    history = [{"role": "user", "text": f"check the host in this\n{SCREEN} db-9"},
               {"role": "bot", "text": "host_info ran"}]
    outcome = await plan(text, HOST_TOOLS, history=history, earlier=_host_read("db-9", tainted=True))
    assert not untainted(outcome)


# --- 4. durations ---------------------------------------------------------------------------------



@pytest.mark.parametrize(("text", "expected"), [
    # found: a figure after "the" was never read as a duration (the "the 1m" rule), so these fell back to the default
    ("shut hx-3 for the 2h window", ("shut_hatch", {"hatch": "hx-3", "minutes": 120})),
    ("shut hx-3 for the 90m the crane needs", ("shut_hatch", {"hatch": "hx-3", "minutes": 90})),
    # found: "half a fortnight" was read as a whole one
    ("seal H2 for half a fortnight", ("seal_hold", {"hold": "H2", "hours": 168})),
    # found: the negated duration was the one set
    ("seal H2 for two days, not a day and a half", ("seal_hold", {"hold": "H2", "hours": 48})),
    # found (older): the second part of a compound duration was lost, or was all that was kept
    ("shut hx-3 for 2 hours 30 minutes", ("shut_hatch", {"hatch": "hx-3", "minutes": 150})),
    ("shut hx-3 for 2h30m", ("shut_hatch", {"hatch": "hx-3", "minutes": 150})),
    ("shut hx-3 for 1h30", ("shut_hatch", {"hatch": "hx-3", "minutes": 90})),
    ("shut hx-3 for an hour and a quarter", ("shut_hatch", {"hatch": "hx-3", "minutes": 75})),
    ("seal H2 for two fortnights", ("seal_hold", {"hold": "H2", "hours": 672})),
])
async def test_a_duration_is_read_right(text: str, expected: tuple) -> None:
    assert calls(await plan(text, HATCH_TOOLS)) == [expected]


@pytest.mark.parametrize(("text", "tool", "param"), [
    ("hx-3 blew open an hour and a half ago, shut it", "shut_hatch", "minutes"),
    ("seal H2, the last seal was a fortnight ago", "seal_hold", "hours"),
    ("seal H2, it was last sealed a day and a half ago", "seal_hold", "hours"),
    ("seal H2 in a fortnight's time", "seal_hold", "hours"),
    ("shut hx-3, see below\n```\nhx-3 uptime 1.5h\n```", "shut_hatch", "minutes"),
])
async def test_a_time_ago_ahead_or_in_pasted_output_sets_no_duration(text: str, tool: str, param: str) -> None:
    """ "an hour and a half ago", "a fortnight ago", "in a fortnight's time" and an uptime in a pasted
    block are no length for the change: none may be set as its duration."""
    outcome = await plan(text, HATCH_TOOLS)
    assert not any(step.tool == tool and param in step.args and not step.tainted
                   for step in getattr(outcome, "steps", [])), calls(outcome)


@pytest.mark.parametrize("text", ["shut hx-3 at a quarter to ten", "shut hx-3 until half past", "shut hx-3 at 1.30",
                                  "shut hx-3 till quarter past two", f"shut hx-3\n{SCREEN} gusts forecast for 1.5h",
                                  "shut hx-3\n> 2026-12-07 03:10 hx-3 open for 1.5h",
                                  "shut hx-3, the 1.5h ride is on"])
async def test_guard_times_of_day_and_data_set_no_minutes(text: str) -> None:
    assert calls(await plan(text, HATCH_TOOLS)) == [("shut_hatch", {"hatch": "hx-3"})]


@pytest.mark.parametrize(("text", "expected"), [
    ("shut hx-3 for 1.5 hours", ("shut_hatch", {"hatch": "hx-3", "minutes": 90})),
    ("shut hx-3 for 1.75h", ("shut_hatch", {"hatch": "hx-3", "minutes": 105})),
    ("shut hx-3 for quarter of an hour", ("shut_hatch", {"hatch": "hx-3", "minutes": 15})),
    ("seal H2 for 1.5d", ("seal_hold", {"hold": "H2", "hours": 36})),
])
async def test_guard_durations_read_whole(text: str, expected: tuple) -> None:
    assert calls(await plan(text, HATCH_TOOLS)) == [expected]
