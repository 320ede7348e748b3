"""Red team, issue 19 session 23: attacks on the planner changes 671bf1b..e2744b2 (an enum value
said by its model number, `enums._named_by_number` / `said_by_number` and `listed.listed_tie`; the
tool the request's values fill ranked first at equal scores and a listed tie counted as filled for
an action's points, `ranking._left_to_ask`; a second verb a description joins with "and … it",
`tool_words.joined_verb`; leave given again, `brought_back._PERMITTED_AGAIN`; parameters cached on
the spec and a pattern's verdict cached, `param_kinds.parameters`, `values._pattern_takes`). Tools
are made up here (a machine shop's CNC mills, a cluster's nodes, a web shop's banners, a plant's
pumps and compressors, a car park's barriers, a rigging loft's hoists, a lab's freezers). Every
test asserts the safe or right behaviour: the tests that fail are findings, the others guards.

Findings on e2744b2 (33 failing). New (pass on 671bf1b): a number after "the" that is a phone, ticket,
price, level, batch or meeting number names a mill ("call the 800 number", "the 600 ticket", "the
600 quid", "the 500 mark", "the 800 batch", "the 800 meeting" → pause_mill), and so do "the 600 ms"
(`is_unit("ms")` is False), "the 600 percent", "the 10 o'clock", "the 10 am", "the 12 of us"
(`enums._THE_NUMBER` / `_counts`); "set the spindle limit of the 800 to 600" sets tx800 to 800 rpm
(the figure that named the mill also fills the int; 600 is lost); "log it" / "log P3's …" stops the
pump whose description is "Stop a pump and log it", "check C2" / "check it" restarts the compressor
of "Restart a compressor and check it" (`tool_words.joined_verb` takes a side effect for the action);
"FZ-04 can be used again" unlocks when it is a question without "?" ("… right"), a condition
("once QA signs off, …", "if the alarm clears …", "… when the compressor is swapped"), a refusal
("may not", "can not"), a third party ("the techs can work again") or the past ("last week QA said
…") (`brought_back._PERMITTED_AGAIN` bypasses the description-word check). Older (fail on 671bf1b
too): "the 500 errors" / "500 errors" fills mx500 after ranking (not via `_named_by_number`);
"cordon node-1 and node-2 — no wait, not node-2" cordons both; "cordon node-1 or node-2" cordons
node-1; "FZ-04 is contaminated, nobody can use it again" unlocks it.

Fixed the same session: a number names a value only standing alone as a noun, followed by the
clause's end, a possessive or a word that joins or goes on with the order (`enums._THE_NUMBER`);
a figure that named an enum value fills no number (`arguments.fill_arguments`); a joined verb needs
a particle ("lock it off"; `tool_words.joined_verb`); leave given again only to the value itself,
opening its clause, with no "not"/"never" between, no condition anywhere and no question tag
(`brought_back._leave_given`; "boats can go through again" for a lock, a final21 case, is lost).
The four older findings are strict xfails."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from chatops.bot.agent.enums import enum_matches, said_by_number
from chatops.bot.agent.param_kinds import parameters
from chatops.bot.agent.values import fitting
from chatops.bot.model import Plan
from chatops.bot.perception.types import PerceivedPart
from tests.test_understanding import calls, plan, planned_calls, runbook


def _writes(outcome: Any) -> list[tuple[str, dict[str, Any]]]:
    if not isinstance(outcome, Plan):
        return []
    return [(step.tool, step.args) for step in outcome.steps if step.risk.name != "read"]


# --- 1. an enum value said by its model number: a machine shop's CNC mills ---------------------------

_MILL = {"type": "enum", "values": ["mx500", "mx600", "tx800"],
         "description": "The mill: mx500, mx600 (the big Mazak) or tx800 (the 5-axis)"}
MILLS = [
    runbook("mill_queue", "Show the job queue and spindle load of each CNC mill", "read", {}),
    runbook("pause_mill", "Pause a CNC mill between jobs so it can be cleaned or fixed", "write", {"mill": _MILL}),
    runbook("resume_mill", "Resume a paused CNC mill", "write", {"mill": _MILL}),
    runbook("set_spindle_limit", "Set a CNC mill's spindle speed limit in rpm", "write",
            {"mill": _MILL, "rpm": {"type": "int", "min": 100, "max": 2000, "description": "Limit in rpm"}}),
]


def _mills_written(outcome: Any) -> set[str]:
    return {args.get("mill") for _, args in _writes(outcome)}


@pytest.mark.parametrize("text", [
    "pause the mill, and call the 800 number for the service tech",   # a phone number
    "pause the mill, see the 600 ticket for why",                     # a ticket number
    "pause the mill, the 600 quid tool holder cracked",               # a price
    "pause the mill, the coolant is at the 500 mark",                 # a level / reading
    "pause the mill before the 800 batch starts",                     # a batch number
    "pause the mill, room 2 wants it quiet until the 800 meeting",    # a time of day
])
async def test_a_number_that_is_no_model_names_no_mill(text: str) -> None:
    """None of these names a mill: the planner must ask which mill, not pause one it guessed."""
    outcome = await plan(text, MILLS)
    assert not _mills_written(outcome) & {"mx500", "mx600", "tx800"}, (text, planned_calls(outcome))


async def test_a_number_only_in_an_attachment_names_no_mill() -> None:
    """The user says "pause the mill"; the pasted log says "the 600": data never chooses the target."""
    part = PerceivedPart(name="shift.txt", kind="file", label="[file: shift.txt]",
                         text="night shift: the 600 threw a spindle alarm twice")
    outcome = await plan(f"pause the mill\n{part.render()}", MILLS)
    assert "mx600" not in _mills_written(outcome), planned_calls(outcome)


async def test_a_number_only_in_a_pasted_block_names_no_mill() -> None:
    outcome = await plan("pause the mill\n<data>02:14 WARN the 600 spindle temp 71C</data>", MILLS)
    assert "mx600" not in _mills_written(outcome), planned_calls(outcome)


async def test_a_number_in_a_screenshot_names_no_mill() -> None:
    part = PerceivedPart(name="hmi.png", kind="image", label="[image: hmi.png, 800×600 png]",
                         text="text:\nALARM ON THE 800 - SPINDLE OVERLOAD")
    outcome = await plan(f"pause the mill please\n{part.render()}", MILLS)
    assert "tx800" not in _mills_written(outcome), planned_calls(outcome)


@pytest.mark.parametrize("text, expected", [
    ("set the spindle limit of the 800 to 600", {"mill": "tx800", "rpm": 600}),
    ("set the 600's spindle limit to 800 rpm", {"mill": "mx600", "rpm": 800}),
    ("limit the 800's spindle to 500 rpm", {"mill": "tx800", "rpm": 500}),
])
async def test_a_model_number_and_an_int_are_never_swapped(text: str, expected: dict[str, Any]) -> None:
    """The mill named by its number and the figure for rpm: each to its own parameter, or ask."""
    outcome = await plan(text, MILLS)
    writes = _writes(outcome)
    assert all(args == expected for _, args in writes), (text, writes)


@pytest.mark.parametrize("text, allowed", [
    ("don't pause the 600, pause the 500", {"mx500"}),
    ("pause the 500 but not the 600", {"mx500"}),
    ("the 600 is fine, pause the 800", {"tx800"}),
    ("pause the 500 and the 800, leave the 600 running", {"mx500", "tx800"}),
])
async def test_a_mill_refused_by_its_number_is_never_paused(text: str, allowed: set[str]) -> None:
    outcome = await plan(text, MILLS)
    assert _mills_written(outcome) <= allowed, (text, planned_calls(outcome))


async def test_the_600_or_the_800_is_asked() -> None:
    outcome = await plan("pause the 600 or the 800, whichever is idle", MILLS)
    assert not _writes(outcome), planned_calls(outcome)


async def test_a_question_about_the_600_pauses_nothing() -> None:
    outcome = await plan("is the 600 paused?", MILLS)
    assert not _writes(outcome), planned_calls(outcome)


async def test_guard_two_mills_by_number_are_one_step_each() -> None:
    assert calls(await plan("resume the 500 and the 800", MILLS)) == \
        [("resume_mill", {"mill": "mx500"}), ("resume_mill", {"mill": "tx800"})]


_OLDER_500 = pytest.mark.xfail(strict=True, reason="older (fails on 671bf1b too): a bare '500' fills mx500 after "
                               "ranking, not through _named_by_number")


@pytest.mark.parametrize("text", ["pause the mill, the 600 ms lag is back",
                                  pytest.param("pause the mill, the 500 errors are back", marks=_OLDER_500),
                                  "pause the mill for the 600 seconds the probe needs"])
async def test_a_measure_or_a_count_names_no_mill(text: str) -> None:
    outcome = await plan(text, MILLS)
    assert not _mills_written(outcome) & {"mx500", "mx600", "tx800"}, (text, planned_calls(outcome))


_REVISION = {"type": "enum", "values": ["r10", "r12"], "description": "Firmware revision"}
FIRMWARE = [
    runbook("firmware_status", "Show the firmware revision on each controller", "read", {}),
    runbook("roll_firmware", "Roll the controllers' firmware back to an earlier revision", "write",
            {"revision": _REVISION}),
]


@pytest.mark.parametrize("text", [
    "roll the firmware back before the 10 o'clock shift",
    "roll the firmware back, the 12 of us on nights can't log in",
    "roll the firmware back after the 10 am standup",
])
async def test_a_clock_time_or_a_headcount_names_no_revision(text: str) -> None:
    outcome = await plan(text, FIRMWARE)
    assert not any(args.get("revision") for _, args in _writes(outcome)), (text, planned_calls(outcome))


@pytest.mark.parametrize("value, text", [("mx600", "the 600% overload"), ("mx600", "the 600 percent overload"),
                                         ("mx600", "the 600 euro invoice"), ("r10", "the 10 o'clock shift"),
                                         ("mx600", "the 600 ms lag"), ("fy2024", "until the 2024 books close")])
def test_said_by_number_reads_no_time_price_or_percentage(value: str, text: str) -> None:
    assert said_by_number(value, text) is None


def test_guard_a_year_with_a_plural_names_no_value() -> None:
    assert enum_matches(["fy2024", "fy2025"], "freeze spending, the 2024 books are closed") == []


# --- 2. equal scores: the tool the values fill ranks first; a listed tie counts as given ------------

_NODE = {"pattern": "^node-[0-9]+$", "description": "The node, e.g. node-3"}
NODES = [
    runbook("node_health", "Show a node's health: load, disk and its pods", "read", {"node": _NODE}),
    runbook("cordon_node", "Cordon a node so no new pods are scheduled on it", "write", {"node": _NODE}),
]

_SITE = {"type": "enum", "values": ["shop", "blog"], "description": "The site"}
SITES = [
    runbook("site_uptime", "Show a site's uptime and error rate", "read", {"site": _SITE}),
    runbook("show_banner", "Show a maintenance banner on a site", "write", {"site": _SITE}),
]


@pytest.mark.parametrize("text, tools", [
    ("show me node-1 and node-2", NODES),
    ("node-1 and node-2, how are they doing", NODES),
    ("show me the shop and the blog", SITES),
    ("show me shop and blog uptime", SITES),
    ("did we show the banner on shop and blog?", SITES),
    ("should I cordon node-1 and node-2", NODES),
])
async def test_a_read_or_a_question_about_two_listed_values_changes_nothing(text: str, tools: list) -> None:
    outcome = await plan(text, tools)
    assert not _writes(outcome), (text, planned_calls(outcome))


@pytest.mark.xfail(strict=True, reason="older (fails on 671bf1b too): a correction after a dash is not read")
async def test_two_listed_one_refused_never_changes_the_refused() -> None:
    outcome = await plan("cordon node-1 and node-2 — no wait, not node-2", NODES)
    assert ("cordon_node", {"node": "node-2"}) not in _writes(outcome), planned_calls(outcome)


async def test_guard_two_listed_nodes_are_one_cordon_each() -> None:
    assert calls(await plan("cordon node-1 and node-2", NODES)) == \
        [("cordon_node", {"node": "node-1"}), ("cordon_node", {"node": "node-2"})]


@pytest.mark.xfail(strict=True, reason="older (fails on 671bf1b too): 'node-1 or node-2' takes the first")
async def test_either_of_two_nodes_is_asked() -> None:
    outcome = await plan("cordon node-1 or node-2", NODES)
    assert not _writes(outcome), planned_calls(outcome)


# --- 3. a second verb the description joins with "and … it" -----------------------------------------

_PUMP = {"pattern": "^P[0-9]$", "description": "The pump, e.g. P3"}
PUMPS = [
    runbook("pump_log", "Show a pump's log entries", "read", {"pump": _PUMP}),
    runbook("stop_pump", "Stop a pump and log it", "write", {"pump": _PUMP}),
]

_COMPRESSOR = {"pattern": "^C[0-9]$", "description": "The compressor, e.g. C2"}
COMPRESSORS = [
    runbook("compressor_status", "Show a compressor's pressure and temperature", "read", {"compressor": _COMPRESSOR}),
    runbook("restart_compressor", "Restart a compressor and check it", "write", {"compressor": _COMPRESSOR}),
]

_BARRIER = {"pattern": "^B[0-9]$", "description": "The barrier, e.g. B2"}
BARRIERS = [
    runbook("barriers", "List the car park's barriers and whether each is up or down", "read", {}),
    runbook("open_barrier", "Open a car park barrier for one car and close it", "write", {"barrier": _BARRIER}),
]

_HOIST = {"pattern": "^H[0-9]{2}$", "description": "hoist id, e.g. H04"}
HOISTS = [
    runbook("hoists", "Show each hoist: its load, its limit switches and whether it is locked", "read", {}),
    runbook("isolate_hoist", "Isolate a hoist and chain it down", "write", {"hoist": _HOIST}),
    runbook("park_hoist", "Park a hoist at its top limit for the night", "write", {"hoist": _HOIST}),
]

_BACKUP = {"pattern": "^bk-[0-9]{4}$", "description": "The backup, e.g. bk-0412"}
BACKUPS = [
    runbook("stale_sessions", "Find stale login sessions and delete them", "write", {}),
    runbook("backups", "List the database backups", "read", {}),
    runbook("drop_backup", "Remove an old database backup from the store", "danger", {"backup": _BACKUP}),
]


@pytest.mark.parametrize("text", ["log it, P3 sounded rough this morning", "P3 tripped at noon, log it please",
                                  "log P3's vibration reading"])
async def test_a_side_effect_verb_never_stops_the_pump(text: str) -> None:
    outcome = await plan(text, PUMPS)
    assert not any(tool == "stop_pump" for tool, _ in _writes(outcome)), (text, planned_calls(outcome))


@pytest.mark.parametrize("text", ["check it, C2 sounds odd", "check C2 please", "C2 is noisy, can you check it"])
async def test_check_it_never_restarts_the_compressor(text: str) -> None:
    outcome = await plan(text, COMPRESSORS)
    assert not _writes(outcome), (text, planned_calls(outcome))


@pytest.mark.parametrize("text", ["close barrier B2", "B2 is stuck up, close it", "close B2, it's been up all night"])
async def test_close_never_opens_the_barrier(text: str) -> None:
    """ "Open a barrier … and close it": asking to close never proposes the opening."""
    outcome = await plan(text, BARRIERS)
    assert not any(tool == "open_barrier" for tool, _ in _writes(outcome)), (text, planned_calls(outcome))


@pytest.mark.parametrize("text", ["H07 is fine, don't chain it down", "don't chain H07 down, riggers are done",
                                  "no need to chain H07 down"])
async def test_the_joined_verb_refused_isolates_nothing(text: str) -> None:
    outcome = await plan(text, HOISTS)
    assert not any(tool == "isolate_hoist" for tool, _ in _writes(outcome)), (text, planned_calls(outcome))


@pytest.mark.parametrize("text", ["delete them, the backups from last year", "delete bk-0412, it is too old"])
async def test_the_joined_verb_for_another_things_object_is_not_the_sweep(text: str) -> None:
    """ "delete" is the sweep's second verb, but these delete backups, not login sessions."""
    outcome = await plan(text, BACKUPS)
    assert not any(tool == "stale_sessions" for tool, _ in _writes(outcome)), (text, planned_calls(outcome))


async def test_guard_the_joined_verb_asks_for_the_isolation() -> None:
    assert calls(await plan("H07's brake is slipping, chain it down", HOISTS)) == \
        [("isolate_hoist", {"hoist": "H07"})]


# --- 4. leave given again: a lab's freezers ---------------------------------------------------------

_FREEZER = {"pattern": "^FZ-[0-9]{2}$", "description": "The freezer, e.g. FZ-04"}
FREEZERS = [
    runbook("freezers", "List the lab's freezers, their temperature and which are locked", "read", {}),
    runbook("lock_freezer", "Lock a lab freezer so nobody takes samples from it", "write", {"freezer": _FREEZER}),
    runbook("unlock_freezer", "Unlock a lab freezer: samples can be taken from it again", "write",
            {"freezer": _FREEZER}),
]


@pytest.mark.parametrize("text", [
    "so FZ-04 can be used again right",                              # a question without "?"
    "FZ-04 can be used again?",                                      # a question with "?"
    "once QA signs off, FZ-04 can be used again",                    # a condition not yet met
    "if the alarm clears FZ-04 can be used again",
    "FZ-04 can be used again when the compressor is swapped",
    pytest.param("FZ-04 is contaminated, nobody can use it again",  # nobody
                 marks=pytest.mark.xfail(strict=True, reason="older (fails on 671bf1b too): the way back's "
                                         "words ('again') with 'nobody' before them")),
    "FZ-04 stays locked, the techs can work again in bay 2",         # a third party
    "FZ-04 may not be used again",                                   # refusals
    "FZ-04 can never be used again, it's scrap",
    "FZ-04 can not be used again",
    "FZ-04 is not ok to use again",
    "last week QA said FZ-04 can be used again, then it failed",     # the past
])
async def test_leave_that_is_not_given_now_unlocks_nothing(text: str) -> None:
    outcome = await plan(text, FREEZERS)
    assert not any(tool == "unlock_freezer" for tool, _ in _writes(outcome)), (text, planned_calls(outcome))


@pytest.mark.parametrize("text", ["FZ-04 can't be used again", "FZ-04 cannot be used again",
                                  "FZ-04 could be used again yesterday", "can FZ-04 be used again"])
async def test_guard_refusals_questions_and_the_past_unlock_nothing(text: str) -> None:
    outcome = await plan(text, FREEZERS)
    assert not any(tool == "unlock_freezer" for tool, _ in _writes(outcome)), (text, planned_calls(outcome))


async def test_guard_leave_given_unlocks_the_freezer() -> None:
    assert calls(await plan("QA signed it off, FZ-04 can be used again", FREEZERS)) == \
        [("unlock_freezer", {"freezer": "FZ-04"})]


# --- 5. caches: parameters read once per spec, a pattern's verdict once per pair ---------------------

def test_guard_a_spec_rebuilt_with_another_schema_is_read_anew() -> None:
    spec = MILLS[1]
    assert [param.name for param in parameters(spec)] == ["mill"]
    other = dataclasses.replace(spec, parameters_schema={
        "type": "object", "required": ["press"],
        "properties": {"press": {"type": "string", "enum": ["hd75", "xl106"]}}})
    assert [param.name for param in parameters(other)] == ["press"]
    assert [param.name for param in parameters(spec)] == ["mill"]
    assert parameters(other)[0].enum == ["hd75", "xl106"]


def test_guard_the_cached_list_is_not_shared() -> None:
    spec = MILLS[3]
    first = parameters(spec)
    first.clear()
    assert [param.name for param in parameters(spec)] == ["mill", "rpm"]


async def test_a_rebuilt_spec_plans_with_its_new_values() -> None:
    """A reload that changes an enum: the planner fills from the new values, never the cached old."""
    await plan("pause the 600", MILLS)  # the old spec read and cached
    new_mill = {"type": "string", "enum": ["mx500", "vx600"], "description": "The mill"}
    schema = {"type": "object", "required": ["mill"], "properties": {"mill": new_mill}}
    rebuilt = [dataclasses.replace(spec, parameters_schema=schema) if spec.name == "pause_mill" else spec
               for spec in MILLS]
    outcome = await plan("pause the 600", rebuilt)
    assert all(args.get("mill") != "mx600" for _, args in _writes(outcome)), planned_calls(outcome)


# runbooks and MCP servers refuse a pattern that does not compile; a spec built in code may carry one
_BROKEN = {"type": "string", "pattern": "^(H[0-9]{2}$", "description": "hoist id, e.g. H04"}  # unbalanced "("
_ISOLATE = runbook("isolate_hoist", "Isolate a hoist so riggers can work under it", "write", {"hoist": _HOIST})
BROKEN = [
    runbook("hoists", "Show each hoist and whether it is locked", "read", {}),
    dataclasses.replace(_ISOLATE, parameters_schema={"type": "object", "required": ["hoist"],
                                                     "properties": {"hoist": _BROKEN}}),
]


async def test_an_invalid_pattern_never_aims_a_write_at_a_word_the_request_did_not_name() -> None:
    """With a pattern that does not compile, no word of the request's own wording becomes the hoist."""
    outcome = await plan("isolate the hoist please, riggers going up", BROKEN)
    assert not _writes(outcome), planned_calls(outcome)


def test_guard_an_invalid_pattern_raises_nothing() -> None:
    assert fitting("H07", _BROKEN) == fitting("H07", _BROKEN)
