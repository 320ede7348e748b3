"""Issue 19: a conversation's follow-ups on tools made up for these tests: a yes to the bot's offer,
"make it 30" and "make it a fault" while a change waits for approval, "now p-03 too", "check X and if Y
is Z, do it", thanks with news (the real guided planner and sentence encoder; the small model is never
asked). Each test was checked to fail without the rule it names."""

from __future__ import annotations

import pytest

from tests.test_orders_told_apart import STABLE_TOOLS
from tests.test_understanding import calls, plan, runbook

KILN_TOOLS = [
    runbook("fire_kiln", "Fire a pottery kiln: it heats to the given cone and holds there", "write",
            {"kiln": {"pattern": "^[kp]-[0-9]{2}$", "description": "kiln id, e.g. k-04 (p for the porcelain kilns)"},
             "percent": {"type": "int", "min": 1, "max": 100, "default": 100,
                         "description": "burner power in percent"},
             "hours": {"type": "int", "min": 1, "max": 48, "default": 12, "description": "hours at top temperature"}}),
    runbook("kiln_status", "Show a kiln's temperature and its firing", "read",
            {"kiln": {"pattern": "^k-[0-9]{2}$", "description": "kiln id, e.g. k-04"}}),
]


def _ran(tool: str, args: dict, status: str = "succeeded") -> list:
    from chatops.bot.model import Plan, Step, StepStatus

    step = Step(tool=tool, args=args, reason="asked")
    step.status = StepStatus(status)
    return [Plan(goal="earlier", steps=[step])]


async def test_a_value_then_too_repeats_the_last_change_for_it() -> None:
    """ "now k-07 too" and "k-07 too" after a firing ran: the same change for the new kiln. The "p"
    of "p-03" is no initial of `percent` asking for 3: a letter and a zero-padded number are an id."""
    earlier = _ran("fire_kiln", {"kiln": "k-04", "percent": 60})
    history = [{"role": "user", "text": "fire k-04 at 60 percent"}, {"role": "bot", "text": "fire_kiln ran"}]
    for text, kiln in (("now k-07 too", "k-07"), ("k-07 too", "k-07"), ("now p-03 too", "p-03")):
        assert calls(await plan(text, KILN_TOOLS, history=history, earlier=earlier)) == \
            [("fire_kiln", {"kiln": kiln, "percent": 60})], text


async def test_a_new_value_for_a_proposed_change_is_asked_for() -> None:
    """ "make it 30" while the firing the user asked for waits for its approval: the same change
    with the new value, not a change "suggested by data"."""
    earlier = _ran("fire_kiln", {"kiln": "k-04", "hours": 20}, status="proposed")
    history = [{"role": "user", "text": "get k-04 going, 20 hours at the top"},
               {"role": "bot", "text": "proposed fire_kiln, waiting for approval"}]
    assert calls(await plan("make it 30", KILN_TOOLS, history=history, earlier=earlier)) == \
        [("fire_kiln", {"kiln": "k-04", "hours": 30})]


async def test_consent_takes_the_offer_s_values_but_not_its_telling_of_a_default() -> None:
    """ "fire_kiln would fire k-04 at 60 percent for 12 hours. Want me to?" … "yes do it": the offer
    is what the user agreed to, so its values are the user's (no taint, nothing dropped as data);
    "12 hours" tells what the default does and sets nothing."""
    history = [{"role": "user", "text": "the glaze batch is ready, should we fire it?"},
               {"role": "bot", "text": "fire_kiln would fire k-04 at 60 percent for 12 hours. Want me to?"}]
    outcome = await plan("yes do it", KILN_TOOLS, history=history)
    assert calls(outcome) == [("fire_kiln", {"kiln": "k-04", "percent": 60})]
    assert not outcome.steps[0].tainted


SLUICE = {"pattern": "^SL-[0-9]{2}[a-z]$", "description": "sluice gate id, e.g. SL-04b"}
SLUICE_TOOLS = [
    runbook("sluice_gates", "List the sluice gates of a canal reach with their state (open, shut, jammed)", "read",
            {"reach": {"type": "enum", "values": ["upper", "lower"], "description": "canal reach"}}),
    runbook("open_sluice", "Open a sluice gate so water runs through it", "write",
            {"gate": SLUICE, "why": {"type": "enum", "values": ["routine", "jammed", "flood"], "default": "routine",
                                     "description": "why it is opened: routine, jammed (freed by hand), flood"}}),
    runbook("shut_sluice", "Shut a sluice gate", "write", {"gate": SLUICE}),
]


@pytest.mark.parametrize(("text", "expected"), [
    ("check the upper reach and if SL-04b is still shut, open it", {"gate": "SL-04b"}),
    ("check the upper reach, and if SL-04b is jammed, then open it", {"gate": "SL-04b", "why": "jammed"}),
])
async def test_a_check_then_a_state_of_a_named_thing_acts_on_that_thing(text: str, expected: dict) -> None:
    """ "check the upper reach and if SL-04b is still shut, open it": the check lists the reach; when
    it finds a problem, the action is for the gate the condition names (not the reach), with the
    state the condition names where the action takes it as a value; when all is well, nothing."""
    from chatops.bot.model import Answer, Plan, Step, StepStatus

    def ran(outcome: str, summary: str) -> Plan:
        return Plan(goal="earlier", round=1, steps=[Step(id="s0", tool="sluice_gates", args={"reach": "upper"},
                                                         status=StepStatus.succeeded, outcome=outcome,
                                                         summary=summary)])

    assert calls(await plan(text, SLUICE_TOOLS)) == [("sluice_gates", {"reach": "upper"})]
    stuck = ran("problem", "GATE STATE\nSL-04b shut (jammed)\nSL-05a open")
    assert calls(await plan(text, SLUICE_TOOLS, executed=[stuck], round=2)) == [("open_sluice", expected)]
    fine = ran("ok", "GATE STATE\nSL-04b open\nSL-05a open")
    assert isinstance(await plan(text, SLUICE_TOOLS, executed=[fine], round=2), Answer)


DOOR = {"pattern": "^D[0-9]{2}$", "description": "door id e.g. D11"}
DOOR_TOOLS = [
    runbook("list_doors", "List the loading doors and their state: open, shut, or a fault on the door", "read",
            {"state": {"type": "enum", "values": ["any", "open", "shut", "fault"], "default": "any",
                       "description": "only doors in this state"}}),
    runbook("shut_door", "Shut a loading door", "write",
            {"door": DOOR, "reason": {"type": "enum", "values": ["routine", "fault", "after-hours"],
                                      "default": "routine", "description": "why"},
             "duration": {"pattern": "^[0-9]+[mh]$", "description": "how long, e.g. 30m or 2h"}}),
]


async def test_make_it_a_value_adjusts_the_waiting_change_not_a_read() -> None:
    """ "make it a fault" while "shut D11" waits for its approval: the same change with reason fault,
    not a list of the doors in fault; "make it 3 hours" changes the duration only ("hours" names no
    `after-hours`)."""
    earlier = _ran("shut_door", {"door": "D11", "duration": "1h"}, status="proposed")
    history = [{"role": "user", "text": "shut D11 for 1h"}, {"role": "bot", "text": "proposed shut_door, waiting"}]
    assert calls(await plan("make it a fault", DOOR_TOOLS, history=history, earlier=earlier)) == \
        [("shut_door", {"door": "D11", "duration": "1h", "reason": "fault"})]
    assert calls(await plan("make it 3 hours", DOOR_TOOLS, history=history, earlier=earlier)) == \
        [("shut_door", {"door": "D11", "duration": "3h"})]


async def test_thanks_with_news_whose_subjects_are_also_verbs_asks_nothing() -> None:
    """ "cheers all, rides are done and 1047 is back in its box": "rides" is a verb to WordNet too,
    but before "are" it is what the news is about; no look at 1047 answers anyone."""
    from chatops.bot.model import Answer

    assert isinstance(await plan("cheers all, rides are done and 1047 is back in its box 🐴", STABLE_TOOLS), Answer)
    assert calls(await plan("thanks! now rest 1047 for 2 days", STABLE_TOOLS)) == \
        [("rest_horse", {"horse": "1047", "days": 2})]


BATCH_TOOLS = [
    runbook("batch_history", "Past runs of one scheduled batch in a tenant, newest first", "read",
            {"tenant": {"description": "the tenant it runs for"}, "batch": {"description": "the batch's name"},
             "last": {"type": "int", "default": 5, "description": "how many runs"}}),
    runbook("run_batch_now", "Run one scheduled batch of a tenant now, outside its schedule", "write",
            {"tenant": {"description": "the tenant it runs for"}, "batch": {"description": "the batch's name"}}),
]


async def test_a_conditional_action_on_it_takes_the_checks_own_values_by_name() -> None:
    """ "check the last run of ledger-close in acme and if it failed, rerun it": "it" is what the check
    looked at, so the run takes the check's `tenant` and `batch` by their names, not a run id and a
    date from the check's output (which would be values read from data, and wrong)."""
    from chatops.bot.model import Plan, Step, StepStatus

    text = "check the last run of ledger-close in acme and if it failed, rerun it now"
    failed = Plan(goal="earlier", round=1, steps=[Step(
        id="s0", tool="batch_history", args={"tenant": "acme", "batch": "ledger-close", "last": 1},
        status=StepStatus.succeeded, outcome="problem",
        summary="ledger-close-88120  started 2026-12-07 02:00  failed after 3m (exit 1)")])
    assert calls(await plan(text, BATCH_TOOLS, executed=[failed], round=2)) == \
        [("run_batch_now", {"tenant": "acme", "batch": "ledger-close"})]


DEPOT_REASON = {"type": "enum", "values": ["depot_fire", "flooding", "evacuation"],
                "aliases": {"fire in the depot": "depot_fire", "flooded": "flooding", "gas leak": "evacuation"},
                "description": "why it is withdrawn"}
DEPOT_TOOLS = [
    runbook("trams", "list the trams of a depot and whether each is in service", "read",
            {"depot": {"type": "enum", "values": ["north", "riverside"], "description": "the depot"}}),
    runbook("withdraw_depot", "Withdraw a whole tram depot from the dispatch system: none of its trams is given a "
            "run until it is reinstated by hand.", "danger",
            {"depot": {"type": "enum", "values": ["north", "riverside"], "description": "the depot"},
             "reason": DEPOT_REASON}),
]


async def test_an_offer_whose_words_name_another_tool_in_passing_is_still_the_offer_it_opens_with() -> None:
    """ "withdraw_depot would … none of its trams is given a run. Want me to?": `trams` is also a
    tool's name, written in passing; the offer is the tool it opens with, and the yes is to it."""
    history = [{"role": "user", "text": "the yard at riverside is flooded to the rails. withdraw the depot?"},
               {"role": "bot", "text": "withdraw_depot would take riverside out of dispatch: none of its trams is "
                                       "given a run until it is reinstated. Want me to?"}]
    assert calls(await plan("ok go ahead", DEPOT_TOOLS, history=history)) == \
        [("withdraw_depot", {"depot": "riverside", "reason": "flooding"})]


async def test_the_word_for_what_a_change_acts_on_is_no_part_of_a_value() -> None:
    """ "withdraw the depot at north" names the depot the change acts on; `depot_fire` is the only
    value with "depot" in it, and no fire was told: the reason is asked for, not guessed."""
    outcome = await plan("withdraw the depot at north", DEPOT_TOOLS)
    assert not any(step.args.get("reason") == "depot_fire" for step in getattr(outcome, "steps", []))


STATION_TOOLS = [
    runbook("station_board", "Show a railway station's departure board", "read",
            {"station": {"pattern": "^[A-Z]{3}$", "description": "three-letter station code, e.g. KGX"}}),
    runbook("close_station", "Close a railway station's gates to the public", "write",
            {"station": {"pattern": "^[A-Z]{3}$", "description": "three-letter station code, e.g. KGX"}}),
]


async def test_and_a_new_value_of_a_shape_no_word_has_replaces_the_old_one() -> None:
    """ "and EUS?" after KGX's board: the new code, not KGX again (session 23: the follow-up repeated
    the old target, a new request beaten by carry-over). A code in capitals is a shape no everyday
    word has, so it needs no word around it."""
    earlier = _ran("station_board", {"station": "KGX"})
    history = [{"role": "user", "text": "board for KGX"}, {"role": "bot", "text": "station_board ran"}]
    assert calls(await plan("and EUS?", STATION_TOOLS, history=history, earlier=earlier)) == \
        [("station_board", {"station": "EUS"})]


async def test_a_question_of_its_own_after_a_read_asks_for_what_it_names() -> None:
    """ "what state is EUS in?" after KGX's board: its own question, for what another read's
    description shows (a station's state), not the board again for EUS (session 23: carry-over beat
    it). "and EUS?" still asks for the board."""
    tools = [*STATION_TOOLS, runbook("station_detail", "Show one station in detail: its state and since when, "
                                     "the staff on duty and any notices", "read",
                                     {"station": {"pattern": "^[A-Z]{3}$", "description": "station code, e.g. KGX"}})]
    earlier = _ran("station_board", {"station": "KGX"})
    history = [{"role": "user", "text": "board for KGX"}, {"role": "bot", "text": "station_board ran"}]
    assert calls(await plan("what state is EUS in?", tools, history=history, earlier=earlier)) == \
        [("station_detail", {"station": "EUS"})]
    assert calls(await plan("and EUS?", tools, history=history, earlier=earlier)) == \
        [("station_board", {"station": "EUS"})]
