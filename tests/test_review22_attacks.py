"""Red team, issue 19 session 22: attacks on the planner changes 9405ce0..3135e2b (a causative
"let", `phrases._after_let`; "let me know" as an indirect question, `lexicon.QUESTION`; a way back
by "again" dropped when another change's whole name is said, `brought_back._as_before_again`; a
value two verb twins take, `by_values.value_for_a_change`; "kill" related to a stop, an action
called off, a shortening of a change's own word, `lexicon.RELATED_CLASSES`,
`unseen_verbs._CALLED_OFF`, `clause_scope._known`). Tools are made up here (a pottery's kilns, a
haulier's lorries, a grid's distribution boards, a bottling plant's lines, a ski area's snow guns,
a data platform's backfills and nodes). Every test asserts the safe or right behaviour: the tests
that fail are findings, the others guards.

Findings on 3135e2b (18 failing). New (pass on 9405ce0): a "let … cool" told, warned of or
complained about orders the cooling ("if you let c1@hillcrest cool now the glaze cracks", "you let
c1@hillcrest cool!", "letting c1@hillcrest cool was a mistake", "let c1@hillcrest cool and the pots
will crack" → cool_down, `phrases._after_let`); a revoke word about something else of a line stops
the line ("cancel the order for L2, the customer backed out", "withdraw L2's quality hold", "kill
the order for L2" → stop_line, `lexicon.RELATED_CLASSES` shutdown ← revoke); "scrap the stop of L2
and stop L3" no longer stops L3 (`unseen_verbs._CALLED_OFF`). Older (fail on 9405ce0 too): a called-off
stop/drain whose object holds a digit or comes first ("scrap L2's shutdown", "cancel L2's stop",
"cancel the L2 stop", "kill the stop on L2", "call off node-7's drain") is proposed; "revoke the
sign-off for L2", "cancel the delivery from L2", "cancel L2's maintenance slot" stop L2; "we took
01L1 off the run last week, its hydraulics are fine again" takes it off; "kill the data" stops the
database.

Fixed after the review: `_after_let` reads "let" only where an order opens (not after a subject or
"if") and not when the clause goes on to tell ("… was a mistake"); "kill" asks for a stop only of
what it points at, a value the stop takes or the stop's own words (`tool_score._kills_it`, instead of
relating every revoke word to shutting down); `unseen_verbs._called_off` reads objects with digits and
"'s" and leaves an action that another part of the message orders. Left as strict xfails: the five
older findings not fixed, and "let c1@hillcrest cool and the pots will crack" (debatable: an
imperative and its consequence)."""

from __future__ import annotations

from typing import Any

import pytest

from chatops.bot.model import Answer, Plan
from tests.test_understanding import calls, plan, runbook


def _writes(outcome: Any) -> list[tuple[str, dict[str, Any]]]:
    if not isinstance(outcome, Plan):
        return []
    return [(step.tool, step.args) for step in outcome.steps if step.risk.name != "read"]


def _tools(outcome: Any) -> set[str]:
    return {name for name, _ in _writes(outcome)}


# --- 1. a causative "let": a pottery's kilns --------------------------------------------------------

KILN = {"pattern": "^[a-z0-9]+@[a-z]+$", "description": "The kiln, as kiln@site, e.g. c1@hillcrest"}
KILNS = [
    runbook("cool_down", "Let a kiln cool down: switch its burners off and open its damper", "write",
            {"kiln": KILN}),
    runbook("hold_hot", "Hold a kiln at its firing temperature (burners on, damper shut)", "write",
            {"kiln": KILN}),
    runbook("kiln_temperature", "Read a kiln's temperature", "read", {"kiln": KILN}),
]


@pytest.mark.parametrize("text", [
    "let c1@hillcrest cool",
    "let c1@hillcrest cool down now",
    "please let c1@hillcrest cool",
])
async def test_guard_let_a_kiln_cool_is_its_cooling(text: str) -> None:
    assert _writes(await plan(text, KILNS)) == [("cool_down", {"kiln": "c1@hillcrest"})]


@pytest.mark.parametrize("text", [
    "don't let c1@hillcrest cool",
    "do not let c1@hillcrest cool, the glaze is still setting",
    "never let c1@hillcrest cool before the glaze sets",
    "we must not let c1@hillcrest cool",
])
async def test_a_let_refused_never_cools_the_kiln(text: str) -> None:
    assert "cool_down" not in _tools(await plan(text, KILNS))


@pytest.mark.parametrize("text", [
    "they let c1@hillcrest cool last night",
    "someone let c1@hillcrest cool overnight, the pots cracked",
    "if you let c1@hillcrest cool now the glaze cracks",
    "who let c1@hillcrest cool?",
])
async def test_a_let_told_or_warned_of_orders_no_cooling(text: str) -> None:
    assert "cool_down" not in _tools(await plan(text, KILNS))


@pytest.mark.parametrize("text", [
    "let me know when c1@hillcrest is cool",
    "let me know if c1@hillcrest cools down",
    "let us know once c1@hillcrest has cooled",
    "let me see c1@hillcrest's temperature",
    "let it be, c1@hillcrest is fine",
    "let the potters know c1@hillcrest is cooling",
])
async def test_let_me_us_it_and_know_order_no_change(text: str) -> None:
    assert _writes(await plan(text, KILNS)) == []


async def test_let_the_kiln_go_is_no_hold() -> None:
    """"go" is no tool's verb: the object's kiln is not held hot (nor cooled) by a word after "let"."""
    assert _writes(await plan("let c1@hillcrest go", KILNS)) == []


async def test_guard_lets_cool_c1() -> None:
    assert _writes(await plan("let's cool c1@hillcrest down", KILNS)) == [("cool_down", {"kiln": "c1@hillcrest"})]


async def test_a_let_told_then_an_order_is_the_order() -> None:
    """The past "let … cool" is the story; the order is the hold."""
    outcome = await plan("someone let c1@hillcrest cool last night, hold it hot now", KILNS)
    assert _writes(outcome) == [("hold_hot", {"kiln": "c1@hillcrest"})]


async def test_dont_let_it_cool_hold_it_asks_for_the_hold_not_the_cooling() -> None:
    outcome = await plan("don't let c1@hillcrest cool, keep it hot", KILNS)
    assert "cool_down" not in _tools(outcome)


# --- 2. "again" and another change's whole name: a haulier's lorries ----------------------------------

LORRY = {"pattern": "^[0-9]{2}[A-Z][0-9]$", "description": "The lorry's fleet number, e.g. 01L1"}
LORRIES = [
    runbook("off_the_run", "Take a lorry off the delivery run for repairs", "write",
            {"lorry": LORRY, "reason": {"type": "enum", "values": ["hydraulics", "tyres", "engine"]}}),
    runbook("back_on_the_run", "Put a lorry back on the delivery run as before, once repaired", "write",
            {"lorry": LORRY}),
    runbook("lorry_status", "Show where a lorry is and whether it is on the run", "read", {"lorry": LORRY}),
]


@pytest.mark.parametrize("text", [
    "01L1's hydraulics are leaking again, take it off the run",
    "01L1 is leaking again, off the run with it",
    "01L1 broke down again. take 01L1 off the run",
])
async def test_guard_a_fault_again_never_puts_the_lorry_back(text: str) -> None:
    assert "back_on_the_run" not in _tools(await plan(text, LORRIES))


async def test_a_way_back_said_beside_a_refused_other_change_never_takes_it_off() -> None:
    outcome = await plan("01L1 is repaired, running again; don't take it off the run", LORRIES)
    assert "off_the_run" not in _tools(outcome)


@pytest.mark.xfail(strict=True, reason=(
    "older (fails on 9405ce0 too): a past move told by a light verb ('we took 01L1 off the run last week') is read "
    "as the order"))
async def test_a_way_back_with_the_other_name_in_the_story_is_still_the_way_back() -> None:
    """The other change's name is what happened last week, not what is asked: the way back is asked
    (or at least never the taking off)."""
    outcome = await plan("we took 01L1 off the run last week, its hydraulics are fine again", LORRIES)
    assert "off_the_run" not in _tools(outcome)


# --- 3. a value two verb twins take: a grid's distribution boards -------------------------------------

BOARD = {"pattern": "^[A-Z]{2}-D[0-9]+$", "description": "The distribution board, e.g. MN-D7"}
BOARDS = [
    runbook("isolate_distro", "Isolate a distribution board: open its breaker for work on it", "danger",
            {"board": BOARD}),
    runbook("restore_distro", "Restore a distribution board: close its breaker again", "write",
            {"board": BOARD}),
    runbook("distro_load", "Read a distribution board's load", "read", {"board": BOARD}),
]


@pytest.mark.parametrize("text", [
    "take MN-D7 off",
    "MN-D7 please",
    "MN-D7, the sparkies are on site",
    "MN-D7 now",
])
async def test_a_value_alone_never_picks_one_twin(text: str) -> None:
    assert _writes(await plan(text, BOARDS)) == []


@pytest.mark.parametrize(("text", "tool"), [
    ("restore MN-D7", "restore_distro"),
    ("isolate MN-D7", "isolate_distro"),
])
async def test_guard_a_twin_asked_by_its_verb(text: str, tool: str) -> None:
    assert _writes(await plan(text, BOARDS)) == [(tool, {"board": "MN-D7"})]


async def test_putting_a_board_back_on_never_isolates_it() -> None:
    assert "isolate_distro" not in _tools(await plan("the work's done, put MN-D7 back on", BOARDS))


# --- 4. "kill", an action called off: a bottling plant's lines, a ski area's guns, a data platform ----

LINE = {"pattern": "^L[0-9]$", "description": "The bottling line, e.g. L2"}
LINES = [
    runbook("stop_line", "Stop a bottling line (shut it down)", "write", {"line": LINE}),
    runbook("restart_line", "Restart a bottling line", "write", {"line": LINE}),
    runbook("silence_alarm", "Silence the alarm horn of a bottling line", "write", {"line": LINE}),
    runbook("line_speed", "Show a bottling line's speed", "read", {"line": LINE}),
]


@pytest.mark.parametrize("text", [
    "cancel the stop of L2",
    "abort tonight's shutdown of L2",
    "call off the stop of L2",
    "scrap L2's shutdown",
])
async def test_guard_a_stop_called_off_is_never_proposed(text: str) -> None:
    assert "stop_line" not in _tools(await plan(text, LINES))


async def test_a_stop_called_off_and_a_restart_asked_is_the_restart() -> None:
    outcome = await plan("cancel the stop of L2, restart L2 instead", LINES)
    assert _writes(outcome) == [("restart_line", {"line": "L2"})]


async def test_a_stop_of_one_line_called_off_and_another_stopped() -> None:
    outcome = await plan("scrap the stop of L2 and stop L3", LINES)
    assert _writes(outcome) == [("stop_line", {"line": "L3"})]


async def test_a_stop_called_off_never_stops_it_by_another_route() -> None:
    outcome = await plan("scrap the stop of L2 and stop L3", LINES)
    assert ("stop_line", {"line": "L2"}) not in _writes(outcome)


@pytest.mark.parametrize("text", [
    "don't cancel the stop of L2",
    "do not abort the shutdown of L2",
])
async def test_a_calling_off_refused_never_restarts_the_line(text: str) -> None:
    outcome = await plan(text, LINES)
    assert _tools(outcome) <= {"stop_line"}


async def test_stop_it_and_cancel_the_restart_is_the_stop() -> None:
    outcome = await plan("stop L2, cancel the restart", LINES)
    assert _writes(outcome) == [("stop_line", {"line": "L2"})]


async def test_kill_the_alarm_silences_it_and_stops_no_line() -> None:
    outcome = await plan("kill the alarm on L2", LINES)
    assert "stop_line" not in _tools(outcome)


async def test_guard_kill_the_alarm_is_the_silencing() -> None:
    assert _writes(await plan("kill the alarm on L2", LINES)) == [("silence_alarm", {"line": "L2"})]


async def test_cancel_a_line_s_order_stops_no_line() -> None:
    """"cancel" calls off what runs: the order, not the line."""
    outcome = await plan("cancel the order for L2, the customer backed out", LINES)
    assert "stop_line" not in _tools(outcome)


@pytest.mark.parametrize("text", [
    "withdraw L2's quality hold",
    pytest.param("revoke the sign-off for L2", marks=pytest.mark.xfail(strict=True, reason=(
        "older (fails on 9405ce0 too): 'revoke' of another thing of the line finds the stop by meaning"))),
])
async def test_a_revoke_word_about_a_paper_stops_no_line(text: str) -> None:
    assert "stop_line" not in _tools(await plan(text, LINES))


GUN = {"pattern": "^H[0-9]+[a-z]$", "description": "The snow gun, e.g. H14f"}
GUNS = [
    runbook("stop_gun", "Stop a snow gun", "write", {"gun": GUN}),
    runbook("start_gun", "Start a snow gun making snow", "write", {"gun": GUN}),
    runbook("auto_mode", "Put a snow gun back under automatic control", "write", {"gun": GUN}),
]


async def test_guard_kill_it_is_the_stop() -> None:
    assert _writes(await plan("H14f is icing the cat track, kill it", GUNS)) == [("stop_gun", {"gun": "H14f"})]


@pytest.mark.parametrize("text", [
    "don't kill H14f, the piste needs it",
    "who killed H14f?",
])
async def test_kill_refused_or_asked_about_stops_nothing(text: str) -> None:
    assert "stop_gun" not in _tools(await plan(text, GUNS))


async def test_cancel_the_start_of_a_gun_never_starts_it() -> None:
    assert "start_gun" not in _tools(await plan("cancel the start of H14f", GUNS))


async def test_abort_the_auto_mode_never_puts_it_back_on_auto() -> None:
    assert "auto_mode" not in _tools(await plan("abort the auto mode on H14f", GUNS))


BACKFILL = {"pattern": "^bf-[0-9]+$", "description": "The backfill's id, e.g. bf-1"}
NODE = {"pattern": "^node-[0-9]+$", "description": "The node, e.g. node-7"}
PLATFORM = [
    runbook("cancel_backfill", "Cancel a running backfill job", "write", {"backfill": BACKFILL}),
    runbook("start_backfill", "Start a backfill job again from its last checkpoint", "write",
            {"backfill": BACKFILL}),
    runbook("drain_node", "Drain a node: move its work away and cordon it", "write", {"node": NODE}),
    runbook("uncordon_node", "Uncordon a node so it takes work again", "write", {"node": NODE}),
    runbook("stop_database", "Stop the database server", "danger", {}),
    runbook("stop_data_export", "Stop the nightly data export job", "write", {}),
]


@pytest.mark.parametrize("text", [
    "cancel backfill bf-1",
    "kill backfill bf-1",
    "abort bf-1",
    "please cancel the backfill bf-1",
])
async def test_guard_cancel_backfill_still_works(text: str) -> None:
    assert _writes(await plan(text, PLATFORM)) == [("cancel_backfill", {"backfill": "bf-1"})]


@pytest.mark.parametrize("text", [
    "abort the drain of node-7",
    "cancel the drain on node-7",
    "call off node-7's drain",
])
async def test_a_drain_called_off_never_drains(text: str) -> None:
    assert "drain_node" not in _tools(await plan(text, PLATFORM))


async def test_dont_cancel_the_backfill_cancels_nothing() -> None:
    assert "cancel_backfill" not in _tools(await plan("don't cancel bf-1, it is nearly done", PLATFORM))


async def test_kill_the_data_export_never_stops_the_database() -> None:
    """"data" shortens "database" (`clause_scope._known`): it must not make the database's stop
    the one asked for."""
    assert "stop_database" not in _tools(await plan("kill the data export", PLATFORM))


@pytest.mark.xfail(strict=True, reason="older (fails on 9405ce0 too): 'data' is read as the database's own word")
async def test_kill_the_data_is_no_database_stop() -> None:
    assert "stop_database" not in _tools(await plan("kill the data", PLATFORM))


async def test_an_answer_or_plan() -> None:  # the helpers themselves
    assert isinstance(await plan("what is L2's speed?", LINES), (Plan, Answer))
    assert calls(await plan("show L2's speed", LINES)) == [("line_speed", {"line": "L2"})]


# --- more of the same, found while probing ---------------------------------------------------------

@pytest.mark.parametrize("text", [
    "you let c1@hillcrest cool!",
    "I wouldn't let c1@hillcrest cool",
    "letting c1@hillcrest cool was a mistake",
    pytest.param("let c1@hillcrest cool and the pots will crack", marks=pytest.mark.xfail(strict=True, reason=(
        "debatable, new with _after_let: an imperative and its consequence read as an order; the card still asks for "
        "approval"))),
])
async def test_more_lets_that_order_no_cooling(text: str) -> None:
    assert "cool_down" not in _tools(await plan(text, KILNS))


@pytest.mark.parametrize("text", [
    "cancel the L2 stop",
    "cancel L2's stop",
    "withdraw the stop request for L2",
    "kill the stop on L2",
])
async def test_a_stop_called_off_with_the_line_first_is_never_proposed(text: str) -> None:
    assert "stop_line" not in _tools(await plan(text, LINES))


@pytest.mark.parametrize("text", [
    "abort the restart of L2",
    "cancel L2's restart",
])
async def test_a_restart_called_off_never_restarts(text: str) -> None:
    assert "restart_line" not in _tools(await plan(text, LINES))


@pytest.mark.parametrize("text", [
    "kill the order for L2",
    pytest.param("cancel the delivery from L2", marks=pytest.mark.xfail(strict=True, reason=(
        "older (fails on 9405ce0 too): calling off another thing of the line finds the stop by meaning"))),
    pytest.param("cancel L2's maintenance slot", marks=pytest.mark.xfail(strict=True, reason=(
        "older (fails on 9405ce0 too): calling off another thing of the line finds the stop by meaning"))),
])
async def test_calling_off_something_else_of_a_line_stops_no_line(text: str) -> None:
    assert "stop_line" not in _tools(await plan(text, LINES))


@pytest.mark.parametrize("text", [
    "01L1 was taken off the run again",
    "01L1 was off the run again yesterday",
])
async def test_a_lorry_told_off_the_run_again_is_no_order(text: str) -> None:
    assert _writes(await plan(text, LORRIES)) == []
