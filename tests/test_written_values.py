"""Issue 19: values read from how the request writes them, on tools made up for these tests (the
real guided planner, the real sentence encoder; the small model is never asked).

- an id written in digits only fills a parameter whose pattern takes only digits of that length;
- a parameter named by a preposition of movement (`to`, `from_version`) takes the value written
  after that preposition, wherever the order's object is."""

from __future__ import annotations

from chatops.bot.agent.arguments import fill_arguments
from chatops.bot.agent.entities import extract_entities
from chatops.bot.model import Plan
from tests.test_understanding import calls, plan, runbook

KIOSK = {"pattern": "^[0-9]{6}$", "description": "Kiosk serial (6 digits), e.g. 448201"}
KIOSK_TOOLS = [
    runbook("reboot_kiosk", "Reboot a self-service kiosk in the lobby", "write", {"kiosk": KIOSK}),
    runbook("kiosk_health", "Show a kiosk's health: screen, printer, card reader", "read", {"kiosk": KIOSK}),
]

SHELF = {"pattern": "^(cold|dry)-[0-9]{2}$", "description": "shelf id e.g. cold-04"}
SHELF_TOOLS = [
    runbook("shift_pallets", "shift the pallets stored on a shelf to another shelf of the same hall", "write",
            {"shelf": SHELF,
             "to": {**SHELF, "pattern": "^((cold|dry)-[0-9]{2})?$", "default": "",
                    "description": "shelf that takes the pallets; empty lets the robot pick"}}),
    runbook("upgrade_firmware", "upgrade a scanner's firmware from one release to another", "write",
            {"scanner": {"pattern": "^sc-[0-9]+$", "description": "scanner e.g. sc-12"},
             "from_release": {"pattern": "^r[0-9]+$", "description": "release it runs, e.g. r41"},
             "to_release": {"pattern": "^r[0-9]+$", "description": "release to install, e.g. r42"}}),
]


def test_an_id_of_digits_only_is_filled_by_the_bare_number() -> None:
    """A six-digit serial is no stray number: the pattern takes nothing else (a 4-digit number does
    not fit it, and the words around it are no id)."""
    reboot = KIOSK_TOOLS[0]
    assert fill_arguments(reboot, extract_entities("reboot 448201")).args == {"kiosk": "448201"}
    assert "kiosk" not in fill_arguments(reboot, extract_entities("reboot 4482")).args


async def test_a_follow_up_naming_another_digit_id_takes_it() -> None:
    """ "and 448207?" after a reboot of 448201 reboots 448207, never 448201 again."""
    from chatops.bot.model import Plan, Step, StepStatus

    earlier = [Plan(goal="earlier", steps=[Step(tool="reboot_kiosk", args={"kiosk": "448201"}, reason="asked",
                                            status=StepStatus.succeeded)])]
    assert calls(await plan("and 448207?", KIOSK_TOOLS, earlier=earlier)) == [("reboot_kiosk", {"kiosk": "448207"})]


async def test_the_value_after_the_preposition_a_parameter_is_named_by_is_its() -> None:
    """ "cold-03 leaks, shift it to cold-07": the shelf is cold-03 although "to cold-07" follows the
    verb; the other way round would move the pallets onto the leaking shelf."""
    assert calls(await plan("cold-03 leaks, shift its pallets over to cold-07", SHELF_TOOLS)) == \
        [("shift_pallets", {"shelf": "cold-03", "to": "cold-07"})]
    assert calls(await plan("upgrade sc-12 from r41 to r42", SHELF_TOOLS)) == \
        [("upgrade_firmware", {"scanner": "sc-12", "from_release": "r41", "to_release": "r42"})]


FRIDGE = {"pattern": "^fr-[0-9]{3}$", "description": "fridge id, e.g. fr-101"}
FRIDGE_TOOLS = [
    runbook("set_fridge_limit", "Set how many litres a shared fridge may hold before it alarms", "write",
            {"fridge": FRIDGE, "litres": {"type": "int", "min": 1, "max": 5000, "description": "The new limit"}}),
    runbook("fridge_levels", "Show how full each shared fridge is, in litres, and its limit", "read",
            {"fridge": {**FRIDGE, "pattern": "^(fr-[0-9]{3})?$", "default": ""}}),
]


def test_thousands_written_short_and_rates_are_numbers() -> None:
    """ "2k" is 2000 and "800/day" is 800; a port's protocol and a fraction stay no numbers."""
    assert 2000 in extract_entities("bump it to 2k a day").numbers
    assert 1500 in extract_entities("make it 1.5k").numbers
    assert 800 in extract_entities("cut it back to 800/day").numbers
    assert extract_entities("is 443/tcp open").numbers == []
    assert extract_entities("3/5 nodes are down").numbers == []


async def test_an_order_that_raises_or_lowers_an_amount_asks_for_the_tool_that_sets_it() -> None:
    """ "cut fr-101 back to 900": WordNet files "cut back" under "decrease"; the tool that sets the
    limit is asked for with the new amount, the read is not what was asked."""
    assert calls(await plan("fr-101 keeps alarming, cut it back to 900", FRIDGE_TOOLS)) == \
        [("set_fridge_limit", {"fridge": "fr-101", "litres": 900})]
    assert calls(await plan("raise fr-102 to 1.2k, the party is friday", FRIDGE_TOOLS)) == \
        [("set_fridge_limit", {"fridge": "fr-102", "litres": 1200})]


async def test_a_follow_up_id_is_not_also_read_as_the_steps_amount() -> None:
    """ "same for 448207" after a volume of 40 on kiosk 448201: the same volume on 448207, never a
    volume of 448207."""
    from chatops.bot.model import Plan, Step, StepStatus

    tools = [*KIOSK_TOOLS, runbook("set_kiosk_volume", "Set the speaker volume of a kiosk", "write",
                                   {"kiosk": KIOSK, "volume": {"type": "int", "min": 0, "max": 100}})]
    earlier = [Plan(goal="earlier", steps=[Step(tool="set_kiosk_volume", args={"kiosk": "448201", "volume": 40},
                                                reason="asked", status=StepStatus.succeeded)])]
    assert calls(await plan("same for 448207", tools, earlier=earlier)) == \
        [("set_kiosk_volume", {"kiosk": "448207", "volume": 40})]


async def test_a_word_set_off_by_markup_does_not_hide_the_orders_verb() -> None:
    """ "*URGENT* reboot 448201": the verb still opens the order, so the write is what was asked."""
    from chatops.bot.agent.unseen_verbs import verbs_asked

    assert ("reboot", "448201") in verbs_asked("*URGENT* reboot 448201", known_too=True) or \
        ("reboot",) in verbs_asked("*URGENT* reboot 448201", known_too=True)
    assert calls(await plan("*URGENT* reboot 448201, the screen is frozen", KIOSK_TOOLS)) == \
        [("reboot_kiosk", {"kiosk": "448201"})]


def test_a_parameter_word_in_the_clause_before_names_no_value() -> None:
    """ "kpatel is at 100% of his quota, double it …": "double" opens its own clause; it is not a user
    named by "quota" before the comma."""
    owner = runbook("set_owner_quota", "Set the quota of a user", "write",
                    {"owner": {"pattern": "^[a-z_][a-z0-9_-]{0,31}$", "description": "A Unix user, e.g. jdoe"},
                     "limit_gb": {"type": "int", "min": 1, "max": 20000, "description": "The new limit, in GiB"}})
    filled = fill_arguments(owner, extract_entities("kpatel is at 100% of his quota, double it from 20 to 40 GB"))
    assert filled.args.get("owner") == "kpatel"


LIFT = {"pattern": "^lift-[0-9]{2}$", "description": "lift id, e.g. lift-07"}
LIFT_TOOLS = [
    runbook("park_lift", "Park a lift at the ground floor with its doors open, for inspection or a fault. "
            "It is returned to service by unparking it.", "write", {"lift": LIFT}),
    runbook("unpark_lift", "Unpark a lift and return it to service: it answers calls again.", "write", {"lift": LIFT}),
    runbook("lift_mode", "Switch a lift between its normal mode and fire-service mode", "write",
            {"lift": LIFT, "mode": {"type": "enum", "values": ["normal", "fireservice"]}}),
    runbook("lift_status", "Show each lift's floor, doors, mode and faults", "read", {}),
]


async def test_bringing_something_back_asks_for_the_change_that_says_it_does() -> None:
    """No word of `unpark_lift` is said; its description's first sentence says it returns the lift
    to service. `park_lift` mentions the way back only in its second sentence: it is not chosen."""
    assert calls(await plan("inspection's done, put lift-07 back in service", LIFT_TOOLS)) == \
        [("unpark_lift", {"lift": "lift-07"})]
    assert calls(await plan("bring lift-03 back online please", LIFT_TOOLS)) == [("unpark_lift", {"lift": "lift-03"})]


async def test_back_on_a_value_a_change_takes_is_that_change() -> None:
    """ "put lift-07 back on normal": the mode switch, not the way back from parking."""
    assert calls(await plan("fire drill over, put lift-07 back on normal", LIFT_TOOLS)) == \
        [("lift_mode", {"lift": "lift-07", "mode": "normal"})]


async def test_a_question_about_coming_back_asks_for_no_change() -> None:
    outcome = await plan("when will lift-07 be back in service?", LIFT_TOOLS)
    assert not any(step.tool == "unpark_lift" for step in getattr(outcome, "steps", []))


async def test_going_to_a_value_one_change_takes_asks_for_that_change() -> None:
    """ "normal mode keeps jamming on lift-07, go to fireservice": two of the mode's values are
    written; the one written as where it goes is the one asked, and the switch is the change
    asked, though none of its words is said."""
    from chatops.bot.agent.enum_choice import without_those_said_otherwise
    from chatops.bot.agent.param_kinds import parameters

    mode = next(p for p in parameters(LIFT_TOOLS[2]) if p.name == "mode")
    text = "normal mode keeps jamming on lift-07, go to fireservice"
    assert without_those_said_otherwise(["normal", "fireservice"], mode, text) == ["fireservice"]
    assert calls(await plan(text, LIFT_TOOLS)) == [("lift_mode", {"lift": "lift-07", "mode": "fireservice"})]


async def test_the_value_an_order_sends_things_to_names_the_change() -> None:
    """ "go to spare": no word of `select_feed` or its description is said; `spare` is one of the
    values only it takes, written where the order sends things."""
    feed_tools = [
        runbook("select_feed", "Choose which encoder a stream takes its picture from", "write",
                {"stream": {"pattern": "^st-[0-9]{2}$", "description": "stream id, e.g. st-04"},
                 "encoder": {"type": "enum", "values": ["primary", "spare"]}}),
        runbook("stream_health", "Show a stream's bitrate, dropped frames and encoder", "read",
                {"stream": {"pattern": "^st-[0-9]{2}$", "description": "stream id, e.g. st-04"}}),
    ]
    assert calls(await plan("primary keeps dropping frames on st-04, go to spare", feed_tools)) == \
        [("select_feed", {"stream": "st-04", "encoder": "spare"})]


async def test_an_order_to_look_at_one_of_a_reads_listed_names_reads_it() -> None:
    """ "don't reset anything, just tell me how the deli is doing": no word of `counter_stats` is
    said, but "deli" is one of the counters it lists; the change is ruled out."""
    counter = {"type": "enum", "values": ["bakery", "deli", "butcher", "fishmonger"], "description": "Which counter"}
    tools = [runbook("counter_stats", "Show a shop counter's queue length and average wait", "read",
                     {"counter": counter}),
             runbook("reset_ticket_machine", "Reset the ticket machine of a shop counter", "write",
                     {"counter": counter})]
    assert calls(await plan("don't reset anything, just tell me how the deli is doing", tools)) == \
        [("counter_stats", {"counter": "deli"})]


async def test_a_hyphen_inside_a_tools_word_still_names_it() -> None:
    """ "HOT-SWAP bay-3": the tool's verb is `hotswap`, written with a hyphen."""
    bay = {"pattern": "^bay-[0-9]$", "description": "drive bay, e.g. bay-3"}
    tools = [runbook("hotswap_drive", "Spin down the drive in a bay so it can be pulled while the array runs", "write",
                     {"bay": bay}),
             runbook("array_health", "Show each bay of the array: drive model, temperature, errors and rebuild state",
                     "read", {"bay": {**bay, "pattern": "^(bay-[0-9])?$", "default": ""}})]
    from chatops.bot.agent.tool_score import score_tool

    assert score_tool(tools[0], extract_entities("HOT-SWAP bay-3 now, it is throwing errors")).action_hit
    assert calls(await plan("HOT-SWAP bay-3 now, it is throwing errors", tools)) == \
        [("hotswap_drive", {"bay": "bay-3"})]


async def test_a_verb_that_changes_an_amount_the_same_way_asks_for_the_tool() -> None:
    """ "widen lane-2 to 4 m" for `broaden_lane`: WordNet files both under "increase"; "narrow" goes
    the other way and never gets it, and with no amount given the verb alone asks for nothing."""
    from chatops.bot.agent.tool_score import score_tool

    lane = {"pattern": "^lane-[0-9]$", "description": "lane, e.g. lane-2"}
    broaden = runbook("broaden_lane", "Broaden a conveyor lane's guide rails", "write",
                      {"lane": lane, "width_m": {"type": "int", "min": 1, "max": 9, "description": "new width in m"}})
    assert score_tool(broaden, extract_entities("widen lane-2 to 4 m, the crates jam")).action_hit
    assert not score_tool(broaden, extract_entities("narrow lane-2 to 2 m")).action_hit
    assert not score_tool(broaden, extract_entities("widen lane-2")).action_hit


async def test_stop_doing_something_is_a_halt_of_it_not_a_shutdown() -> None:
    """ "stop printing the sports section on press-2": ceasing an activity pauses it; the press is
    not switched off."""
    press = {"pattern": "^press-[0-9]$", "description": "press id, e.g. press-2"}
    tools = [runbook("pause_press_run", "Pause the run on a printing press; it keeps its plates", "write",
                     {"press": press}),
             runbook("stop_press", "Stop a printing press and switch off its motors", "write", {"press": press})]
    assert calls(await plan("stop printing the sports section on press-2, the photo is wrong", tools)) == \
        [("pause_press_run", {"press": "press-2"})]


async def test_a_question_whether_to_act_becomes_the_order_once_consented_to() -> None:
    """ "the dock fire pulls smoke in, should we park lift-07?" … "park_lift would … Want me to?" …
    "ok do it": the user's own question named the action, so the consent asks for it (a proposal
    still waiting for approval). Without such a question, the consent to the offer the bot named
    asks for it too: the user read the offer and said yes to it. Consent to an offer of two tools,
    or to a message that is not the bot's last, asks for nothing."""
    asked = [{"role": "user", "text": "smoke in the shaft, should we park lift-07?"},
             {"role": "bot", "text": "park_lift would hold lift-07 at the ground floor, doors open. Want me to?"}]
    assert calls(await plan("ok do it", LIFT_TOOLS, history=asked)) == [("park_lift", {"lift": "lift-07"})]
    told = [{"role": "user", "text": "there is smoke near lift-07"},
            {"role": "bot", "text": "park_lift would hold lift-07 at the ground floor, doors open. Want me to?"}]
    assert calls(await plan("ok do it", LIFT_TOOLS, history=told)) == [("park_lift", {"lift": "lift-07"})]
    both = [told[0], {"role": "bot", "text": "park_lift or unpark_lift? Want me to?"}]
    assert not isinstance(await plan("ok do it", LIFT_TOOLS, history=both), Plan)
    assert not isinstance(await plan("ok do it", LIFT_TOOLS, history=[*told, told[0]]), Plan)


def test_a_bare_amount_the_checked_thing_is_held_to_is_a_condition() -> None:
    """ "check fr-101 and if it's over 90% raise its limit": no comma ends the condition, its number
    does; with one percentage in the check's result, that one decides."""
    from chatops.bot.agent.conditions import counted_condition, split_conditional

    found = split_conditional("check fr-101 and if it's over 90% raise its limit to 1200")
    assert found is not None and (found.check, found.condition) == ("check fr-101", "it's over 90%")
    assert found.action == "raise its limit to 1200"
    assert counted_condition(found.condition, ["fr-101: 940 of 1000 litres, 94% full"]) is True
    assert counted_condition(found.condition, ["fr-101: 700 of 1000 litres, 70% full"]) is False


def test_a_listed_value_inside_a_dotted_name_is_not_written() -> None:
    """ "de" is a region, but in "sport1.de.hd" it is part of a channel's name."""
    from chatops.bot.agent.enums import enum_matches

    assert enum_matches(["de", "uk", "nordics"], "black screen on sport1.de.hd") == []
    assert enum_matches(["de", "uk", "nordics"], "list the channels in de.") == ["de"]


async def test_a_value_only_a_reads_own_pattern_takes_finds_that_read() -> None:
    """ "what's going on with kids.nordics.sd?": it looks like a host, but the team's feed ids end in
    .sd/.hd by their own pattern; the read of that feed is asked, not an HTTP check."""
    from tests.test_understanding import TOOLS

    feed = {"pattern": r"^[a-z0-9]+(\.[a-z0-9]+)*\.(sd|hd)$", "description": "feed id, e.g. news24.uk.hd"}
    tools = [*TOOLS, runbook("feed_health", "Show one broadcast feed: source, loudness, alarms", "read",
                             {"feed": feed})]
    from chatops.bot.agent.ranking import rank_tools

    text = "viewers phoning in, what's going on with kids.nordics.sd?"
    assert [c.name for c in rank_tools(text, tools)][:1] == ["feed_health"]
    assert calls(await plan(text, tools)) == [("feed_health", {"feed": "kids.nordics.sd"})]


async def test_an_order_to_look_at_what_only_a_reads_pattern_takes_is_a_step_of_its_own() -> None:
    """ "check 448201 and reboot 448207": the first part names no word of `kiosk_health`, but orders
    a look at a serial only kiosk tools take; two steps."""
    assert calls(await plan("check 448201 and reboot 448207", KIOSK_TOOLS)) == \
        [("kiosk_health", {"kiosk": "448201"}), ("reboot_kiosk", {"kiosk": "448207"})]


def test_a_value_of_several_words_is_named_in_the_plural() -> None:
    """ "any hot spots at holme?" asks for bins in the state `hot_spot`: the last of a value's words
    in the plural names it, as a one-word value's plural does ("faults"); a longer word ("hot
    spotter") does not."""
    from chatops.bot.agent.enums import enum_matches

    states = ["any", "ok", "hot_spot", "aerating"]
    assert enum_matches(states, "any hot spots at holme?") == ["hot_spot"]
    assert enum_matches(states, "is there a hot spot in B07") == ["hot_spot"]
    assert enum_matches(states, "the hot spotter is off") == []
