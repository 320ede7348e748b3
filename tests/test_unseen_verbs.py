"""Issue 19: verbs no word list of ours holds, read by WordNet's verb senses (bot/agent/verb_senses.py,
bot/agent/unseen_verbs.py), and a flag a negated part turns off (bot/agent/negation.flags_turned_off).

The tools are made up for these tests; the planner is the real guided planner with the real
sentence encoder, and the small model must not be asked."""

from __future__ import annotations

import pytest

from chatops.bot.agent.conditions import counted_condition
from chatops.bot.agent.ranking import rank_tools
from chatops.bot.agent.sizes import converted_size
from chatops.bot.agent.unseen_verbs import unseen_verb_for, verb_class, verbs_asked
from chatops.bot.agent.verb_senses import base_forms, means, opposes
from chatops.bot.model import Answer, Plan, Step, StepStatus
from tests.test_understanding import calls, plan, runbook

HATCH = {"type": "enum", "values": ["north", "south"], "description": "Which hatch"}
HATCH_TOOLS = [
    runbook("close_hatch", "Close a loading hatch of the silo; it stays closed until someone opens it", "write",
            {"hatch": HATCH}),
    runbook("hatch_status", "Show the silo's loading hatches: open or closed, and the fill level", "read",
            {"hatch": {**HATCH, "values": ["all", "north", "south"], "default": "all"}}),
]


@pytest.mark.parametrize(("word", "verb", "same"), [
    ("shut", "close", True),       # one WordNet sense: "move so that an opening is obstructed"
    ("shutting", "close", True),   # inflected
    ("halted", "stop", True),
    ("scrub", "cancel", True),     # "scrub the launch"
    ("open", "close", False),      # opposites share no sense
    ("raise", "move", False),      # only a kind of moving: a hypernym is not the same action
    ("reissue", "issue", False),
])
def test_verbs_that_share_a_common_sense_mean_the_same_action(word: str, verb: str, same: bool) -> None:
    assert means(word, verb) is same


def test_wordnet_marks_opposites_and_reads_inflections() -> None:
    assert opposes("open", "close") and opposes("close", "open")
    assert not opposes("shut", "close")
    assert base_forms("stopped") == ("stop",) and base_forms("closes") == ("close",)
    assert base_forms("xyzzying") == ()


def test_only_verbs_the_lexicon_does_not_know_are_read() -> None:
    """ "restart" and "bounce" belong to the lexicon, which decides for them; "shut" alone does not."""
    assert verbs_asked("please shut the north hatch") == (("shut", "the"),)
    assert verbs_asked("restart nginx") == ()
    assert unseen_verb_for(["close"], "shut the north hatch") == ("shut", "close")
    assert unseen_verb_for(["close"], "open the north hatch") is None


async def test_a_verb_the_tool_never_uses_asks_for_its_action() -> None:
    """ "shut the north hatch": no word of `close_hatch` is said, but "shut" means "close"."""
    assert calls(await plan("grain's coming in wet, shut the north hatch", HATCH_TOOLS)) == \
        [("close_hatch", {"hatch": "north"})]
    assert [c.name for c in rank_tools("shut the north hatch", HATCH_TOOLS)][:1] == ["close_hatch"]


async def test_the_opposite_verb_never_proposes_the_change() -> None:
    """ "open the north hatch" has no tool here: the close must not be proposed for it."""
    outcome = await plan("open the north hatch", HATCH_TOOLS)
    assert not isinstance(outcome, Plan) or all(step.tool != "close_hatch" for step in outcome.steps), outcome


async def test_a_general_verb_filed_above_the_tools_is_no_order_for_it() -> None:
    """WordNet files "raise" under "move": "raise the limit" must not move a consumer group."""
    tools = [runbook("move_offsets", "Move a consumer group's offsets on a topic to the earliest or latest message",
                     "danger", {"group": {"pattern": "^[a-z][a-z0-9_-]*$", "description": "The group"},
                                "to": {"type": "enum", "values": ["earliest", "latest"]}})]
    outcome = await plan("raise the limit on the orders api to 1500 per second", tools)
    assert isinstance(outcome, Answer), outcome


async def test_a_flag_on_unless_turned_off_is_turned_off_by_a_negated_part() -> None:
    """ "cancel B-1207 without notifying the guest": the negated part leaves the text the planner
    ranks, but it still sets `notify_guest` (default true) to false; said without it, the flag is left out."""
    tools = [runbook("cancel_booking", "Cancel a room booking; the guest gets an e-mail unless notify_guest is false",
                     "write", {"booking": {"pattern": "^B-[0-9]{4}$", "description": "Booking id, e.g. B-1001"},
                               "notify_guest": {"type": "bool", "default": True,
                                                "description": "E-mail the guest about it"}}),
             runbook("bookings", "List today's room bookings", "read", {})]
    assert calls(await plan("cancel B-1207 without notifying the guest, it was a test", tools)) == \
        [("cancel_booking", {"booking": "B-1207", "notify_guest": False})]
    assert calls(await plan("cancel B-1207, it was a test", tools)) == [("cancel_booking", {"booking": "B-1207"})]


@pytest.mark.parametrize(("text", "args"), [
    ("cancel B-1207, don't notify the guest", {"booking": "B-1207", "notify_guest": False}),
    ("cancel B-1207 without telling the guest", {"booking": "B-1207", "notify_guest": False}),  # a way to notify
    # not the flag's action: the flag stays as it is (red team red19)
    ("cancel B-1207 and don't forget to tell the guest why", {"booking": "B-1207"}),
    ("cancel B-1207 without waiting for the guest to reply", {"booking": "B-1207"}),
    ("cancel B-1207 without delay", {"booking": "B-1207"}),
])
async def test_only_a_negated_flag_action_turns_the_flag_off(text: str, args: dict[str, object]) -> None:
    tools = [runbook("cancel_booking", "Cancel a room booking; the guest gets an e-mail unless notify_guest is false",
                     "write", {"booking": {"pattern": "^B-[0-9]{4}$", "description": "Booking id, e.g. B-1001"},
                               "notify_guest": {"type": "bool", "default": True,
                                                "description": "E-mail the guest about it"}})]
    assert calls(await plan(text, tools)) == [("cancel_booking", args)]


def test_a_tool_verb_the_lexicon_lacks_takes_the_class_it_shares_a_first_sense_with() -> None:
    """ "close" shares "cease to operate" with "shut down" (that phrase's first sense): a tool that
    closes is a shutdown, with its everyday words and opposites. "upgrade" shares only "promote"'s
    second sense (a higher rank), so it is not a deploy."""
    assert verb_class("close") == "shutdown"
    assert verb_class("upgrade") is None
    assert verb_class("restart") == "restart"  # the lexicon's own class first


async def test_stopping_what_a_close_tool_closes_asks_for_the_close() -> None:
    """ "stop taking cars on lane-4 for 30 minutes" for `close_lane`: "stop" is a shutdown, and so,
    through WordNet, is "close"; the reopen is its opposite and never proposed."""
    lane = {"pattern": "^lane-[0-9]+$", "description": "The toll lane, e.g. lane-2"}
    tools = [runbook("close_lane", "Close a toll lane: the barrier stays down and the sign turns red. It reopens by "
                     "itself after the duration.", "write",
                     {"lane": lane, "duration": {"pattern": "^[0-9]+[mh]$", "default": "1h",
                                                 "description": "How long, e.g. 30m or 2h"}}),
             runbook("reopen_lane", "Reopen a closed toll lane", "write", {"lane": lane}),
             runbook("lanes", "Show the toll lanes: open or closed, cars waiting", "read", {})]
    assert calls(await plan("stop taking cars on lane-4 for 30 minutes, the reader is broken", tools)) == \
        [("close_lane", {"lane": "lane-4", "duration": "30m"})]


# --- a condition that holds a count ----------------------------------------------------------------

LINE = {"type": "enum", "values": ["north", "south"], "description": "The toll plaza"}
PLAZA_TOOLS = [
    runbook("plaza_status", "Show a toll plaza: cars waiting, lanes open", "read", {"plaza": LINE}),
    runbook("open_extra_lane", "Open the extra lane of a toll plaza", "write", {"plaza": LINE}),
]
ASKED = "check the north plaza and if more than 40 cars are waiting, open the extra lane"


@pytest.mark.parametrize(("outcome", "summary", "proposed"), [
    ("ok", "north: 57 cars waiting, 3 of 4 lanes open", True),       # the count holds, whatever the outcome
    ("problem", "north: 12 cars waiting, 1 of 4 lanes open", False),  # a problem, but not the one asked about
    ("problem", "north: plaza camera offline", True),                 # no count stated: the outcome decides
])
async def test_a_counted_condition_is_decided_by_the_count_the_check_states(outcome: str, summary: str,
                                                                            proposed: bool) -> None:
    checked = Step(tool="plaza_status", args={"plaza": "north"}, status=StepStatus.succeeded, outcome=outcome,
                   summary=summary)
    executed = [Plan(goal="check", steps=[checked])]
    result = await plan(ASKED, PLAZA_TOOLS, executed=executed)
    if proposed:
        assert calls(result) == [("open_extra_lane", {"plaza": "north"})]
    else:
        assert isinstance(result, Answer) and "not more than 40 cars are waiting, so I did not open the extra lane" \
            in result.text, result


def test_counted_conditions_compare_as_asked() -> None:
    assert counted_condition("more than 20 callers are waiting", ["billing: 34 waiting"]) is True
    assert counted_condition("fewer than 3 agents are free", ["agents: 5 free"]) is False
    assert counted_condition("at least 2 pumps are down", ["pumps down: 2"]) is True
    assert counted_condition("it's degraded", ["gw: DEGRADED"]) is None
    assert counted_condition("more than 20 callers are waiting", ["billing: open"]) is None
    # what is counted is the condition's last word; a percentage only with a percentage (red team red19)
    assert counted_condition("more than 3 hosts are down", ["r12: hosts 20, up 18, down 2"]) is False
    assert counted_condition("more than 10 rows failed", ["12,400,000 rows copied, 4 rows failed"]) is False
    assert counted_condition("more than 50% is used", ["62 TiB used of 200 TiB (31%)"]) is None
    assert counted_condition("over 90% used", ["disk used: 93%"]) is True
    assert counted_condition("fewer than 5 hosts are up", ["r4: hosts 12, up 3, down 9"]) is True  # a short last word


# --- sizes in another unit -------------------------------------------------------------------------

async def test_a_size_in_another_unit_is_converted_to_the_parameters_own() -> None:
    """ "grow vol-7 to 2 TiB" for `size_gib` (the new total in GiB) is 2048; "2T" is a size too."""
    tools = [runbook("grow_volume", "Grow a storage volume to a new total size, online", "write",
                     {"volume": {"pattern": "^vol-[0-9]+$", "description": "The volume, e.g. vol-1"},
                      "size_gib": {"type": "int", "min": 1, "max": 65536, "description": "new total size in GiB"}})]
    for text in ("grow vol-7 to 2 TiB", "grow vol-7 to 2T please"):
        assert calls(await plan(text, tools)) == [("grow_volume", {"volume": "vol-7", "size_gib": 2048})], text
    assert calls(await plan("grow vol-7 to 1.5 TiB", tools)) == [("grow_volume", {"volume": "vol-7", "size_gib": 1536})]
    # the size it is made, not the size it is ("500 GiB" is the parameter's own unit, and no target)
    assert calls(await plan("vol-7 is 500 GiB, grow it to 2 TiB", tools)) == \
        [("grow_volume", {"volume": "vol-7", "size_gib": 2048})]


def test_sizes_convert_in_binary_or_decimal_steps_as_the_parameter_counts() -> None:
    assert converted_size(4, "tb", {"size", "gib"}) == 4096
    assert converted_size(2, "tb", {"limit", "gb"}) == 2000
    assert converted_size(512, "mb", {"gib"}) is None  # no whole number of GiB
    assert converted_size(4, "tb", {"size"}) is None    # no unit to convert to
    assert converted_size(1.5, "tb", {"gib"}) == 1536
    assert converted_size(1.3, "gb", {"mb"}) == 1300 and converted_size(1.0001, "tb", {"gib"}) is None


# --- a listed name a read takes ------------------------------------------------------------------

async def test_an_order_to_look_at_a_listed_name_reads_the_tool_that_lists_it() -> None:
    """ "show me the north bay": no word of `yard_trucks` is said, but its site list holds that
    name (by its alias); a look at it reads, and the change that takes the same name is no answer."""
    bay = {"type": "enum", "values": ["bay-north", "bay-south"], "aliases": {"north bay": "bay-north"},
           "description": "The loading bay"}
    tools = [runbook("yard_trucks", "Trucks queued and doors open at each site of the yard", "read", {"site": bay}),
             runbook("shut_dock", "Turn new trucks away from a site of the yard", "write", {"site": bay})]
    assert calls(await plan("show me the north bay", tools)) == [("yard_trucks", {"site": "bay-north"})]
    assert calls(await plan("shut bay-south and then show me the north bay", tools)) == \
        [("shut_dock", {"site": "bay-south"}), ("yard_trucks", {"site": "bay-north"})]


# --- the one name among words --------------------------------------------------------------------

async def test_of_words_that_fit_a_free_name_equally_the_one_written_as_a_name_is_taken() -> None:
    """ "frontend-blue needs more room, resize it to 6 workers": the pool's name is free text, and
    "needs", "more", "room" fit it as well as "frontend-blue" does; only one of them is a name."""
    tools = [runbook("resize_pool", "Set the number of workers of a worker pool", "write",
                     {"pool": {"pattern": "^[a-z][a-z0-9-]{1,40}$", "description": "Worker pool, e.g. billing-api"},
                      "workers": {"type": "int", "min": 1, "max": 50, "description": "How many workers"}})]
    assert calls(await plan("frontend-blue needs more room, resize it to 6 workers", tools)) == \
        [("resize_pool", {"pool": "frontend-blue", "workers": 6})]


async def test_what_we_did_is_a_statement_not_an_order() -> None:
    """ "we mothballed r9 in March, …": "we" opens what happened, not an order, so the mothball
    (which cannot be undone here) is never proposed; the question is answered by the read."""
    rack = {"pattern": "^r[0-9]{1,3}$", "description": "The rack, e.g. r12"}
    tools = [runbook("mothball_rack", "Mothball a rack: power off all its hosts and take it out of the scheduler",
                     "danger", {"rack": rack}),
             runbook("rack_status", "Show a rack: how many hosts it holds, how many are up or down", "read",
                     {"rack": rack})]
    assert calls(await plan("we mothballed r9 in March, how many of its hosts are still up?", tools)) == \
        [("rack_status", {"rack": "r9"})]


VOLUME_TOOLS = [runbook("grow_volume", "Grow a storage volume to a new total size, online", "write",
                        {"volume": {"pattern": "^vol-[0-9]+$", "description": "The volume, e.g. vol-1"},
                         "size_gib": {"type": "int", "min": 1, "max": 65536, "description": "new total size in GiB"}})]


async def test_a_size_to_add_is_never_taken_for_the_new_total() -> None:
    """ "grow vol-7 by 1 TiB": the amount to add is no new total (1 GiB, or 1024, would shrink a
    bigger volume): the bot asks for the size (red team red19)."""
    outcome = await plan("grow vol-7 by 1 TiB", VOLUME_TOOLS)
    assert isinstance(outcome, Answer) and "size_gib" in outcome.text, outcome


async def test_of_two_sizes_the_one_it_is_changed_to_is_taken() -> None:
    assert calls(await plan("grow vol-7 to 800 GiB, it's the one behind the 4G router", VOLUME_TOOLS)) == \
        [("grow_volume", {"volume": "vol-7", "size_gib": 800})]


async def test_years_are_a_duration() -> None:
    tools = [runbook("lock_bucket", "Lock a bucket's objects against deletion for a retention period", "write",
                     {"bucket": {"pattern": "^bkt-[a-z0-9-]+$", "description": "The bucket, e.g. bkt-logs"},
                      "retention_days": {"type": "int", "min": 1, "max": 36500, "default": 365,
                                         "description": "How many days objects are kept"}})]
    assert calls(await plan("lock bkt-audit-2024 for 7 years", tools)) == \
        [("lock_bucket", {"bucket": "bkt-audit-2024", "retention_days": 2555})]


def test_there_are_more_than_is_a_counted_condition() -> None:
    from chatops.bot.agent.conditions import split_conditional
    asked = split_conditional("check mig-0042 and if there are more than 10 errors, abort it")
    assert asked is not None and asked.action == "abort it"
    assert counted_condition(asked.condition, ["mig-0042: RUNNING 41%, 3 errors"]) is False


async def test_an_order_for_the_opposite_of_a_tools_action_gets_no_tool() -> None:
    """ "unseal vault-7": no tool here unseals; the seal is its opposite and the read of the vault is
    no answer to an order (red team red19). A tool whose own values hold the verb is exempt."""
    vault = {"pattern": "^vault-[0-9]+$", "description": "The vault, e.g. vault-1"}
    tools = [runbook("seal_vault", "Seal an archive vault against writes", "write", {"vault": vault}),
             runbook("vaults", "How full each archive vault is, and whether it is sealed", "read", {"vault": vault}),
             runbook("dag_state", "Pause or unpause a pipeline", "write",
                     {"dag": {"pattern": "^etl\\.[a-z_]+$", "description": "The pipeline, e.g. etl.daily"},
                      "op": {"type": "enum", "values": ["pause", "unpause"]}})]
    assert isinstance(await plan("unseal vault-7", tools), Answer)
    assert calls(await plan("unpause etl.orders_daily", tools)) == [("dag_state", {"dag": "etl.orders_daily",
                                                                                 "op": "unpause"})]


async def test_a_change_told_as_done_is_not_asked_for() -> None:
    """ "we archived inc-5512 already": the tool's own verb in the past tells what happened (red team red19)."""
    channel = {"pattern": "^(inc|proj)-[0-9]+$", "description": "The channel, e.g. inc-5512"}
    tools = [runbook("archive_channel", "Archive a chat channel: it becomes read-only", "write", {"channel": channel})]
    assert isinstance(await plan("we archived inc-5512 already", tools), Answer)
    assert isinstance(await plan("inc-5512 was archived yesterday, nothing to do", tools), Answer)
    assert calls(await plan("mark inc-5512 archived", tools)) == [("archive_channel", {"channel": "inc-5512"})]
    assert calls(await plan("archive inc-5512 please", tools)) == [("archive_channel", {"channel": "inc-5512"})]


def test_verbs_whose_general_senses_are_opposites_are_opposites() -> None:
    """ "shrink" is a way to decrease, "enlarge" a way to increase: an order to shrink never enlarges."""
    assert opposes("shrink", "enlarge") and opposes("shrink", "grow")
    assert not opposes("shut", "close")


async def test_leaving_the_state_a_tool_puts_things_in_is_not_that_tool() -> None:
    """ "release web-14 from quarantine": the quarantine is what to leave (red team red19)."""
    tools = [runbook("quarantine_host", "Quarantine a host: cut it off the network", "write",
                     {"host": {"pattern": "^[a-z]+-[0-9]+$", "description": "The host, e.g. web-1"}})]
    for text in ("release web-14 from quarantine", "get web-14 out of quarantine"):
        assert isinstance(await plan(text, tools), Answer), text
    assert calls(await plan("quarantine web-14", tools)) == [("quarantine_host", {"host": "web-14"})]


async def test_a_tool_that_makes_a_record_is_asked_for_by_the_words_that_make_one() -> None:
    """ "raise a sev2 incident for payments" for `declare_incident`: "declare a" is one of the ways
    to make a record, so the tool's bare verb is of that class and "raise a"/"open a" ask for it."""
    assert verb_class("declare") == "create"
    tools = [runbook("declare_incident", "Declare an incident for a service and page its on-call", "write",
                     {"service": {"type": "enum", "values": ["payments", "search"]},
                      "severity": {"type": "int", "min": 1, "max": 4, "description": "Severity, 1 is worst"}})]
    for text in ("raise a sev2 incident for payments", "open a sev2 incident on payments"):
        assert calls(await plan(text, tools)) == [("declare_incident", {"service": "payments", "severity": 2})], text
