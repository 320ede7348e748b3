"""Issue 19: orders told apart from questions and from their opposites, on tools made up for these
tests (the real guided planner, the real sentence encoder; the small model is never asked). Values
said in words are in `test_values_said.py`, a conversation's follow-ups in `test_conversation_turns.py`."""

from __future__ import annotations

import copy
import dataclasses

import pytest

from chatops.bot.agent.brought_back import brought_back
from chatops.bot.agent.entities import extract_entities
from chatops.bot.agent.tool_score import score_tool
from tests.test_understanding import calls, plan, runbook
from tests.test_written_values import KIOSK_TOOLS


async def test_asking_whether_a_change_is_safe_orders_no_change() -> None:
    """ "is it safe to reboot 448201 …?" asks for advice; proposing the reboot would answer a
    question with an action. The order itself still plans it."""
    for question in ("is it safe to reboot 448201 while someone is paying?",
                     "would it be a good idea to reboot 448201 now?"):
        outcome = await plan(question, KIOSK_TOOLS)
        assert not any(step.tool == "reboot_kiosk" for step in getattr(outcome, "steps", [])), question
    assert calls(await plan("reboot 448201, it's frozen", KIOSK_TOOLS)) == [("reboot_kiosk", {"kiosk": "448201"})]


STALL_TOOLS = [
    runbook("close_stall", "Close a market stall for the night: the till is locked and the shutters come down",
            "write", {"stall": {"pattern": "^st-[0-9]{2}$", "description": "stall id, e.g. st-07"},
                      "shutters_down": {"type": "bool", "default": True,
                                        "description": "Bring the shutters down; false leaves them as they are"}}),
]


async def test_a_flag_named_by_its_way_takes_false_when_the_other_way_is_written() -> None:
    """ "leave the shutters up" for `shutters_down`: left out, the flag's default would bring them
    down, the opposite of what was asked."""
    assert calls(await plan("close st-07 but leave the shutters up, the painters are in", STALL_TOOLS)) == \
        [("close_stall", {"stall": "st-07", "shutters_down": False})]
    assert calls(await plan("close st-07", STALL_TOOLS)) == [("close_stall", {"stall": "st-07"})]


LISTING_TOOLS = [
    runbook("reprice_listing", "reprice one seller's listing in the catalogue from its supplier's latest costs",
            "write", {"listing": {"pattern": "^lst-[0-9]{4}$", "description": "listing id e.g. lst-1234"},
                      "notify_seller": {"type": "bool", "default": False,
                                        "description": "message the new listing price to the seller"}}),
]


async def test_a_word_the_tool_and_its_flag_share_does_not_set_the_flag() -> None:
    """ "listing" is what the tool is about; that "seller" of `notify_seller` also appears in the
    tool's summary does not make every word of that summary name the flag."""
    assert calls(await plan("reprice lst-1234's listing, costs went up", LISTING_TOOLS)) == \
        [("reprice_listing", {"listing": "lst-1234"})]
    assert calls(await plan("reprice lst-1234 and notify the seller", LISTING_TOOLS)) == \
        [("reprice_listing", {"listing": "lst-1234", "notify_seller": True})]



FENCE_TOOLS = [
    runbook("mend_fence", "Mend a broken stretch of the paddock fence: the crew is sent out with wire", "write",
            {"stretch": {"pattern": "^fs-[0-9]{2}$", "description": "stretch id, e.g. fs-07"}}),
    runbook("electrify_fence", "Switch on the electric wire along a stretch of the paddock fence", "write",
            {"stretch": {"pattern": "^fs-[0-9]{2}$", "description": "stretch id, e.g. fs-07"}}),
    runbook("fence_walk", "Show the last fence walk's findings per stretch", "read", {}),
]


async def test_a_slip_of_a_verb_the_tool_never_uses_still_asks_for_it() -> None:
    """ "reapir fs-07": no English word, one slip from "repair", which means the tool's "mend" in
    WordNet. A slip that means nothing the tool does ("relpay": "replay") is no order for it."""
    from chatops.bot.agent.unseen_verbs import unseen_verb_for

    assert calls(await plan("reapir fs-07", FENCE_TOOLS)) == [("mend_fence", {"stretch": "fs-07"})]
    assert unseen_verb_for(["mend"], "relpay fs-07") is None


async def test_thanks_with_good_news_asks_for_nothing() -> None:
    """ "thanks, conveyors all running again 👍" names the tools' subject but asks nothing of it; an
    order after the thanks is still planned."""
    from chatops.bot.model import Answer

    for news in ("thanks, conveyors all running again 👍", "thanks, conveyor speeds look normal again"):
        assert isinstance(await plan(news, BELT_TOOLS), Answer), news
    assert calls(await plan("thanks! now stop belt-07 too", BELT_TOOLS)) == [("stop_conveyor", {"belt": "belt-07"})]


BELT_TOOLS = [
    runbook("stop_conveyor", "Stop a conveyor belt of the sorting hall", "write",
            {"belt": {"pattern": "^belt-[0-9]{2}$", "description": "belt id, e.g. belt-07"}}),
    runbook("conveyor_speeds", "Show the speed of each conveyor belt in the sorting hall", "read", {}),
]


MAC = {"pattern": "^([0-9a-f]{2}:){5}[0-9a-f]{2}$", "description": "device MAC, e.g. 3c:22:fb:9a:10:4e"}
SHOP_TOOLS = [
    runbook("reboot_till", "Reboot a shop till: the sale in progress is parked first", "write",
            {"till": {"pattern": "^till-[0-9]{2}$", "description": "till id, e.g. till-04"}}),
    runbook("deauth_device", "Deauthenticate a device on the shop's guest wifi until it joins again", "write",
            {"mac": MAC}),
    runbook("till_status", "Show each till's state and its last sale", "read", {}),
]


async def test_kick_a_device_off_is_one_phrase_whatever_the_value_between() -> None:
    """ "kick <a MAC> off the network" removes the device, however many pieces its value is
    written in; its "kick" asks for no reboot."""
    assert calls(await plan("kick 3c:22:fb:9a:10:4e off the guest wifi", SHOP_TOOLS)) == \
        [("deauth_device", {"mac": "3c:22:fb:9a:10:4e"})]
    # "kick … off" is one phrase however many pieces the value between is tokenised into: its
    # "kick" is then no restart of anything
    from chatops.bot.agent.actions import shadowed
    from chatops.bot.agent.entities import extract_entities
    from chatops.bot.agent.phrases import clause_tokens

    tokens = tuple(token for clause in clause_tokens(extract_entities("kick 3c:22:fb:9a:10:4e off the wifi").wording)
                   for token in clause)
    assert (0, 1) in shadowed(tokens, "restart")


OVEN_TOOLS = [
    runbook("hold_oven", "Hold a bakery oven at a fixed temperature, overriding its baking programme", "write",
            {"oven": {"pattern": "^oven-[0-9]$", "description": "oven id, e.g. oven-3"},
             "celsius": {"type": "int", "min": 50, "max": 300, "description": "temperature to hold"}}),
    runbook("preheat_oven", "Preheat an oven to a temperature before the first bake of the day", "write",
            {"oven": {"pattern": "^oven-[0-9]$", "description": "oven id, e.g. oven-3"},
             "celsius": {"type": "int", "min": 50, "max": 300, "description": "temperature to reach"}}),
    runbook("oven_temps", "Show each oven's temperature and programme", "read", {}),
]
SENSOR_TOOLS = [
    runbook("register_sensor", "Register a new sensor on the cold-store network", "write",
            {"sensor": {"pattern": "^[a-z0-9][a-z0-9.-]*$", "description": "sensor name, e.g. coldroom.probe"},
             "kind": {"type": "enum", "values": ["THERMO", "HYGRO"],
                      "aliases": {"temperature": "THERMO", "humidity": "HYGRO"}}}),
]
POOL_TOOLS = [
    runbook("pause_print_pool", "Pause or resume every printer of a print pool; jobs queue up while paused",
            "write", {"pool": {"pattern": "^[a-z][a-z0-9._-]{0,40}$", "description": "The print pool"},
                      "action": {"type": "enum", "values": ["pause", "resume"],
                                 "aliases": {"stop": "pause", "start": "resume"}}}),
]


async def test_a_light_verb_meaning_the_tools_verb_asks_for_it() -> None:
    """ "keep oven-3 at 220" for a tool that holds an oven at a temperature: "keep" means "hold"
    in WordNet, although it is also a light verb."""
    from chatops.bot.agent.unseen_verbs import unseen_verb_for

    assert unseen_verb_for(["hold"], "keep oven-3 at 220") == ("keep", "hold")
    assert calls(await plan("keep oven-3 at 220 for the sourdough", OVEN_TOOLS)) == \
        [("hold_oven", {"oven": "oven-3", "celsius": 220})]


async def test_the_word_an_enum_value_was_read_from_is_no_other_value() -> None:
    """ "a humidity sensor": "humidity" gave the kind; the sensor is the name written."""
    assert calls(await plan("make room1-b.s4 a humidity sensor", SENSOR_TOOLS)) == \
        [("register_sensor", {"sensor": "room1-b.s4", "kind": "HYGRO"})]


async def test_a_name_before_a_modal_is_the_subject_not_an_opening_verb() -> None:
    """ "label-printer can start printing again": "label" may be a verb, but a word followed by
    "can" is what the clause is about."""
    assert calls(await plan("label-printer can start printing again", POOL_TOOLS)) == \
        [("pause_print_pool", {"pool": "label-printer", "action": "resume"})]


STORE = {"pattern": "^shop-[a-z]{2}$", "description": "storefront, e.g. shop-de"}
BANNER_TOOLS = [
    runbook("insert_banner", "Insert the maintenance banner at the top of a storefront's pages", "write",
            {"store": STORE}),
    runbook("remove_banner", "Remove the maintenance banner from a storefront's pages", "write", {"store": STORE}),
]


async def test_sticking_something_on_inserts_it_never_removes_it() -> None:
    """ "stick a banner on shop-de": everyday English for putting it on; the two tools mean nearly
    the same to the sentence encoder, so meaning alone would pick either."""
    assert calls(await plan("stick a banner on shop-de, checkout is broken", BANNER_TOOLS)) == \
        [("insert_banner", {"store": "shop-de"})]


VAULT_TOOLS = [
    runbook("backup_vault", "Back up a document vault to cold storage now, outside its nightly window", "write",
            {"vault": {"pattern": "^vault-[0-9]{2}$", "description": "vault id, e.g. vault-04"}}),
    runbook("seal_vault", "Seal a document vault: it takes no new documents until unsealed", "write",
            {"vault": {"pattern": "^vault-[0-9]{2}$", "description": "vault id, e.g. vault-04"}}),
]


async def test_a_word_written_by_its_consonants_names_the_tools_word() -> None:
    """ "bkp vault-04": the consonants people keep when they shorten "backup" in a hurry."""
    assert calls(await plan("bkp vault-04 pls", VAULT_TOOLS)) == [("backup_vault", {"vault": "vault-04"})]


async def test_an_arrow_is_written_for_to() -> None:
    """ "cold-03 leaks, shift its pallets -> cold-07": the shelf after the arrow takes the pallets;
    swapped, the pallets would go onto the leaking shelf."""
    from tests.test_written_values import SHELF_TOOLS

    assert calls(await plan("cold-03 leaks, shift its pallets -> cold-07", SHELF_TOOLS)) == \
        [("shift_pallets", {"shelf": "cold-03", "to": "cold-07"})]


RENDER = {"pattern": "^rj-[0-9]{4}$", "description": "render job id, e.g. rj-4411"}
RENDER_TOOLS = [
    runbook("cancel_render", "Cancel a queued or running render job on the farm; frames done so far are kept",
            "write", {"job": RENDER}),
    runbook("render_progress", "Show a render job's progress: frames done, frames left, nodes busy", "read",
            {"job": RENDER}),
]


async def test_kill_and_abort_a_job_cancel_it() -> None:
    """ "kill rj-4411" and "abort rj-4411": how people cancel a job that runs."""
    for order in ("kill rj-4411, it's hogging every node", "abort rj-4411"):
        assert calls(await plan(order, RENDER_TOOLS)) == [("cancel_render", {"job": "rj-4411"})], order


async def test_a_verb_acts_on_what_its_own_clause_names() -> None:
    """ "kill the zoom call, let's move to chat; how far along is rj-4411?": the call is killed
    (no tool of ours), the job is only asked about."""
    outcome = await plan("kill the zoom call, let's move to chat; how far along is rj-4411?", RENDER_TOOLS)
    assert not any(step.tool == "cancel_render" for step in getattr(outcome, "steps", []))
    assert calls(await plan("rj-4411 is stuck at 99%, kill it", RENDER_TOOLS)) == \
        [("cancel_render", {"job": "rj-4411"})]


CAMERA_TOOLS = [
    runbook("isolate_camera", "Isolate a CCTV camera from the site network, e.g. when it is compromised", "write",
            {"camera": {"pattern": "^cam-[0-9]{2}$", "description": "camera id, e.g. cam-07"},
             "keep_recording": {"type": "bool", "default": True,
                                "description": "Keep recording to the camera's own card while isolated"}}),
]


async def test_a_state_word_of_another_phrase_does_not_set_a_flag() -> None:
    """ "cut cam-07 off from the network but keep it recording": the "off" is the isolation's, not
    the recording's; "keep recording off" would be the flag's."""
    assert calls(await plan("cut cam-07 off from the network but keep it recording", CAMERA_TOOLS)) == \
        [("isolate_camera", {"camera": "cam-07"})]
    assert calls(await plan("isolate cam-07, keep recording off", CAMERA_TOOLS)) == \
        [("isolate_camera", {"camera": "cam-07", "keep_recording": False})]



TASK_TOOLS = [
    runbook("reschedule_task", "Take a task off its worker so the dispatcher places it elsewhere; it waits for "
            "the task's checkpoint unless force is true.", "write",
            {"task": {"pattern": "^tsk-[0-9a-z]{5}$", "description": "task id, e.g. tsk-4f7q2"},
             "queue": {"type": "enum", "values": ["billing", "search"], "description": "queue of the task"},
             "force": {"type": "bool", "default": False, "description": "skip the checkpoint"}}),
    runbook("worker_load", "Show each worker's tasks and load", "read",
            {"queue": {"type": "enum", "values": ["billing", "search"], "description": "queue"}}),
]


async def test_an_order_to_bring_something_back_is_no_other_change_its_values_fit() -> None:
    """ "put tsk-8x2kq back on its old worker in billing": the reschedule takes both values, but
    it takes the task away, and its description says nothing of bringing anything back."""
    outcome = await plan("put tsk-8x2kq back on its old worker in billing", TASK_TOOLS)
    assert not any(step.tool == "reschedule_task" for step in getattr(outcome, "steps", []))


async def test_leaving_one_thing_alone_does_not_forbid_every_change() -> None:
    """ "don't touch the banner, just reboot till-04": the banner is left alone, the reboot asked.
    "don't touch anything, …" still rules out every change."""
    tools = [*SHOP_TOOLS, *BANNER_TOOLS]
    assert calls(await plan("don't touch the banner, just reboot till-04", tools)) == \
        [("reboot_till", {"till": "till-04"})]
    outcome = await plan("don't touch anything, just reboot till-04", tools)
    assert not any(step.tool == "reboot_till" for step in getattr(outcome, "steps", []))


BADGE = {"pattern": "^bd-[0-9]{5}$", "description": "badge id, e.g. bd-20931"}
BADGE_TOOLS = [
    runbook("revoke_badge", "Revoke a door badge so that it opens no door", "write", {"badge": BADGE}),
    runbook("renew_badge", "Renew a door badge for another year", "write", {"badge": BADGE}),
    runbook("badge_swipes", "Show a badge's door swipes of the last days", "read", {"badge": BADGE}),
]


async def test_cutting_off_an_access_revokes_it() -> None:
    """ "cut off bd-20931": everyday English for taking an access back."""
    assert calls(await plan("cut off bd-20931, she left today", BADGE_TOOLS)) == \
        [("revoke_badge", {"badge": "bd-20931"})]
    assert calls(await plan("cut bd-20931 off", BADGE_TOOLS)) == [("revoke_badge", {"badge": "bd-20931"})]


LIBRARY_TOOLS = [
    runbook("waive_fine", "Waive a library member's fine, with a justification kept for the audit", "write",
            {"member": {"pattern": "^lib-[0-9]{5}$", "description": "member id, e.g. lib-20931"},
             "justification": {"description": "Why the fine is waived"}}),
    runbook("notify_member", "Send a library member a message by email", "write",
            {"member": {"pattern": "^lib-[0-9]{5}$", "description": "member id, e.g. lib-20931"},
             "title": {"description": "subject line"},
             "body": {"default": "", "description": "message text"}}),
]


async def test_a_quoted_text_after_a_parameters_name_is_its_value() -> None:
    """ 'justification "…"' fills the justification, whatever plain word could too; of two quoted
    texts, the one no other parameter took is the message ('titled "…" saying "…"')."""
    assert calls(await plan('waive the overdue one on lib-20931, justification "returned by post, HD-11"',
                            LIBRARY_TOOLS)) == \
        [("waive_fine", {"member": "lib-20931", "justification": "returned by post, HD-11"})]
    assert calls(await plan('notify lib-20931 titled "Your card" saying "It is ready at the desk"',
                            LIBRARY_TOOLS)) == \
        [("notify_member", {"member": "lib-20931", "title": "Your card", "body": "It is ready at the desk"})]


async def test_a_light_verb_asks_for_no_tool_named_by_another_light_verb() -> None:
    """ "put till-04 back": "put" and "set" share a sense too general to ask for `set_till_offline`,
    which would do the opposite of what was asked."""
    tools = [runbook("set_till_offline", "Set a shop till offline: it takes no payments until set online", "write",
                     {"till": {"pattern": "^till-[0-9]{2}$", "description": "till id, e.g. till-04"}}),
             runbook("reboot_till", "Reboot a shop till: the sale in progress is parked first", "write",
                     {"till": {"pattern": "^till-[0-9]{2}$", "description": "till id, e.g. till-04"}}),
             runbook("till_status", "Show each till's state and its last sale", "read", {})]
    outcome = await plan("put till-04 back, the card reader has been replaced", tools)
    assert not any(step.tool == "set_till_offline" for step in getattr(outcome, "steps", []))


async def test_a_percentage_beats_a_bare_number_near_the_word_percent() -> None:
    """ "dim L04@hall to 60 percent for 8 hours": the level is 60, not the 8 written after the word
    "percent"."""
    tools = [runbook("dim_light", "Dim a hall light to a level for some hours", "write",
                     {"light": {"pattern": "^L[0-9]{2}@[a-z]+$", "description": "light, e.g. L04@hall"},
                      "percent": {"type": "int", "min": 0, "max": 100, "description": "level in percent"},
                      "hours": {"type": "int", "min": 0, "max": 24, "default": 4, "description": "how long"}})]
    assert calls(await plan("dim L04@hall down to 60 percent for 8 hours", tools)) == \
        [("dim_light", {"light": "L04@hall", "percent": 60, "hours": 8})]


async def test_a_multiplier_fills_a_count() -> None:
    """ "print /labels/shelf.pdf x3": three copies, for a parameter that says how many."""
    tools = [runbook("print_label", "Print a label file on the front desk printer", "write",
                     {"file": {"pattern": "^/[a-z0-9_/.-]+$", "description": "path, e.g. /labels/a.pdf"},
                      "copies": {"type": "int", "min": 1, "max": 20, "default": 1,
                                 "description": "How many copies to print"}})]
    assert calls(await plan("print /labels/shelf.pdf x3", tools)) == \
        [("print_label", {"file": "/labels/shelf.pdf", "copies": 3})]


async def test_an_order_to_make_something_for_someone_is_no_change_of_ours() -> None:
    """ "write me a poem about the hives": "write" is one of "set"'s words, but what it makes is a poem
    for the speaker, named by none of the tool's words; guessing "poem" as the hive's name and asking
    for the rest would answer with a change nobody asked for."""
    tools = [runbook("set_hive_feed", "Set the syrup feed of a beehive, in grams a day", "write",
                     {"hive": {"pattern": "^[a-z][a-z0-9-]{1,20}$", "description": "hive name, e.g. clover-2"},
                      "grams": {"type": "int", "min": 0, "max": 2000, "description": "grams of syrup a day"}})]
    for request in ("write me a poem about the hives", "can you write me a haiku"):
        outcome = await plan(request, tools)
        assert not getattr(outcome, "steps", []) and "I need" not in getattr(outcome, "text", ""), request
    assert calls(await plan("set clover-2's feed to 400 grams", tools)) == \
        [("set_hive_feed", {"hive": "clover-2", "grams": 400})]


MIST_TOOLS = [
    runbook("mist_bench", "Run the misting nozzles over one greenhouse bench, then stop them", "write",
            {"bench": {"pattern": "^gh[0-9]-b[0-9]{2}$", "description": "bench id, e.g. gh2-b07"},
             "nozzle": {"type": "int", "min": 1, "max": 24, "description": "Nozzle number, 1-24"},
             "delay": {"type": "int", "min": 5, "max": 120, "default": 10,
                       "description": "Seconds the nozzle stays on"}}),
]


async def test_a_duration_said_in_words_fills_a_parameter_in_its_unit() -> None:
    """ "for a minute", "half a minute": durations without a numeral; left unread, the default
    (10 s) would run instead of what was asked."""
    assert calls(await plan("mist gh2-b07 nozzle 9 for a minute", MIST_TOOLS)) == \
        [("mist_bench", {"bench": "gh2-b07", "nozzle": 9, "delay": 60})]
    assert calls(await plan("mist gh2-b07 nozzle 9, keep it on for half a minute", MIST_TOOLS)) == \
        [("mist_bench", {"bench": "gh2-b07", "nozzle": 9, "delay": 30})]


async def test_a_value_its_bounds_refuse_is_said_not_replaced_by_the_default() -> None:
    """ "a delay of 300" where the delay takes 5-120: the bot says so instead of misting for its
    default 10 s; a number near another parameter's name is that one's ("nozzle 9 with a delay of
    30"), and a nozzle out of range is named too, never taken by the delay."""
    for request, name in (("mist gh2-b07 nozzle 9 with a delay of 300", "delay 300"),
                          ("mist gh2-b07 nozzle 9 for 300 seconds", "delay 300"),
                          ("mist gh2-b07 nozzle 30", "nozzle 30")):
        outcome = await plan(request, MIST_TOOLS)
        assert not getattr(outcome, "steps", []) and name in getattr(outcome, "text", ""), request
    assert calls(await plan("mist gh2-b07 nozzle 9 with a delay of 30", MIST_TOOLS)) == \
        [("mist_bench", {"bench": "gh2-b07", "nozzle": 9, "delay": 30})]


async def test_a_word_written_for_each_of_two_parameters_fills_both() -> None:
    """ "the harbour route … on the harbour line": one word, written twice, each time next to
    another parameter's name; left out, the line would fall back to its default, another line."""
    tools = [runbook("cancel_route", "Cancel a ferry route's next sailings", "write",
                     {"route": {"pattern": "^[a-z][a-z-]{2,20}$", "description": "The route, e.g. harbour"},
                      "line": {"pattern": "^[a-z][a-z-]{2,20}$", "default": "main",
                               "description": "The ferry line the route belongs to"}})]
    assert calls(await plan("storm coming, cancel the harbour route on the harbour line", tools)) == \
        [("cancel_route", {"route": "harbour", "line": "harbour"})]
    assert calls(await plan("cancel the harbour route", tools)) == [("cancel_route", {"route": "harbour"})]


async def test_an_enum_of_yes_and_no_is_read_as_the_flag_it_is() -> None:
    """ `behind` "no"/"yes": "plus every wagon behind it" names it as a flag's word would; left at
    "no", the wagons behind would stay where they are."""
    tools = [runbook("uncouple_wagon", "Uncouple a wagon in the yard (optionally the wagons behind it too)", "write",
                     {"wagon": {"pattern": "^wg-[0-9]{3}$", "description": "wagon id, e.g. wg-104"},
                      "behind": {"type": "enum", "values": ["no", "yes"], "default": "no",
                                 "description": "also uncouple the wagons behind it"}})]
    assert calls(await plan("uncouple wg-104 plus every wagon behind it", tools)) == \
        [("uncouple_wagon", {"wagon": "wg-104", "behind": "yes"})]
    assert calls(await plan("uncouple wg-104", tools)) == [("uncouple_wagon", {"wagon": "wg-104"})]


async def test_a_flag_takes_the_state_whose_defined_words_the_request_uses() -> None:
    """ "keep the stems too" for "true trims the leaves off first; false packs them whole, stems
    included": the request uses the false state's own words; the default would trim them."""
    tools = [runbook("pack_crate", "Pack a crate of cut flowers for dispatch", "write",
                     {"crate": {"pattern": "^cr-[0-9]{4}$", "description": "crate id, e.g. cr-0412"},
                      "trim": {"type": "bool", "default": True,
                               "description": "true trims the leaves off first; false packs them whole, stems "
                                              "included"}})]
    assert calls(await plan("pack cr-0412, keep the stems too", tools)) == \
        [("pack_crate", {"crate": "cr-0412", "trim": False})]
    assert calls(await plan("pack cr-0412", tools)) == [("pack_crate", {"crate": "cr-0412"})]


async def test_a_measure_written_signed_or_with_decimals_fills_a_number() -> None:
    """ "set vat-07 to -4", "to 12.5": a temperature is a measure; read as no number, the change
    had nothing to set and the planner fell back to a look."""
    setter = runbook("set_vat_temperature", "Set a fermentation vat's target temperature", "write",
                     {"vat": {"pattern": "^vat-[0-9]{2}$", "description": "vat id, e.g. vat-07"},
                      "celsius": {"type": "int", "min": -10, "max": 40, "allow_leading_dash": True,
                                  "description": "target in °C"}})
    schema = copy.deepcopy(setter.parameters_schema)
    schema["properties"]["celsius"]["type"] = "number"  # as an MCP tool declares a measure
    # (checked by its server, as MCP arguments are: the runbook's own check takes whole numbers only)
    tools = [dataclasses.replace(setter, parameters_schema=schema, validate_args=dict),
             runbook("vat_status", "Show a vat's temperature log", "read",
                     {"vat": {"pattern": "^vat-[0-9]{2}$", "description": "vat id, e.g. vat-07"}})]
    assert calls(await plan("set vat-07 to -4", tools)) == [("set_vat_temperature", {"vat": "vat-07", "celsius": -4})]
    assert calls(await plan("set vat-07 to 12.5", tools)) == \
        [("set_vat_temperature", {"vat": "vat-07", "celsius": 12.5})]


async def test_numbers_go_to_the_nearest_name_and_to_the_things_counted() -> None:
    """ "print 2 labels for 604, 3 pallets": 3 is the pallets' (the nearest word naming it, not the
    604 before it), and 2 counts the labels the tool's summary names, for "how many sets"."""
    tools = [runbook("print_labels", "print shipping labels for a dock on the label printer", "write",
                     {"dock": {"pattern": "^[1-9][0-9]{2}$", "description": "dock number e.g. 412"},
                      "pallets": {"type": "int", "min": 1, "max": 30, "default": 1,
                                  "description": "pallets in the load"},
                      "copies": {"type": "int", "min": 1, "max": 4, "default": 1, "description": "how many sets"}})]
    assert calls(await plan("print 2 labels for 604, 3 pallets", tools)) == \
        [("print_labels", {"dock": "604", "pallets": 3, "copies": 2})]


async def test_a_number_its_description_names_by_a_word_is_taken_for_that_word() -> None:
    """ "fans to max" where "0 is off, 10 is max": the word is the number; without it the fan
    speed is asked for, or worse, guessed."""
    tools = [runbook("set_fans", "Set the barn's ventilation fans to a speed", "write",
                     {"barn": {"pattern": "^barn-[0-9]$", "description": "barn id, e.g. barn-2"},
                      "speed": {"type": "int", "min": 0, "max": 10, "description": "Speed; 0 is off, 10 is max"}})]
    assert calls(await plan("barn-2 fans to max, it's 34 degrees in there", tools)) == \
        [("set_fans", {"barn": "barn-2", "speed": 10})]
    assert calls(await plan("set the fans in barn-2 to 4", tools)) == [("set_fans", {"barn": "barn-2", "speed": 4})]


async def test_a_time_of_day_is_no_id() -> None:
    """ "at 10:00": its hour is no dock number, even when the dock number is all the change lacks
    and "10" is the only word of the request its pattern takes."""
    tools = [runbook("open_dock_door", "Open a loading dock's roller door", "write",
                     {"dock": {"pattern": "^[0-9]{1,3}$", "description": "Dock number, e.g. 12"}})]
    outcome = await plan("open the dock door at 10:00, the truck is early", tools)
    assert not getattr(outcome, "steps", []) and "I need dock" in getattr(outcome, "text", "")
    assert calls(await plan("open dock 12, the truck is early", tools)) == [("open_dock_door", {"dock": "12"})]


BOAT_TOOLS = [
    runbook("take_boat_out_of_service", "Take a hire boat out of service: it is no longer offered to customers, "
            "and stays moored at its jetty", "write",
            {"boat": {"pattern": "^B-[0-9]{2}$", "description": "boat id, e.g. B-12"}}),
    runbook("return_boat_to_service", "Return a hire boat to service: it is offered to customers again", "write",
            {"boat": {"pattern": "^B-[0-9]{2}$", "description": "boat id, e.g. B-12"}}),
    runbook("boats", "List the hire boats and whether each is in service", "read", {}),
]


async def test_a_state_told_with_again_asks_for_the_way_back_not_for_a_light_verbs_tool() -> None:
    """ "let B-12 take customers again": "take" alone is not `take_boat_out_of_service` (its action
    is "take … out of service"), and the state told with "again" in the way back's own words is
    the way back. The order itself still takes it out."""
    assert calls(await plan("engine's fixed, let B-12 take customers again", BOAT_TOOLS)) == \
        [("return_boat_to_service", {"boat": "B-12"})]
    assert calls(await plan("take B-12 out of service, the engine smokes", BOAT_TOOLS)) == \
        [("take_boat_out_of_service", {"boat": "B-12"})]


async def test_putting_a_thing_back_is_its_way_back() -> None:
    """ "B-12's engine is fixed, put it back": back where it was, said with no place after "back";
    the one change whose description says it puts things back as they were."""
    for request in ("B-12's engine is fixed, put it back", "put B-12 back, the engine is fixed"):
        assert calls(await plan(request, BOAT_TOOLS)) == [("return_boat_to_service", {"boat": "B-12"})], request


async def test_a_parameter_in_percent_by_its_sign_takes_the_percentage() -> None:
    """ "Humidity target in %": the sign says percent as the word does; "to 50% RH" is its value."""
    tools = [runbook("set_humidity", "Set a seed store's humidity target", "write",
                     {"store": {"pattern": "^SS-[0-9]{2}$", "description": "store id, e.g. SS-04"},
                      "target": {"type": "int", "min": 10, "max": 90, "description": "Humidity target in %"}})]
    assert calls(await plan("set SS-04 to 50% RH", tools)) == [("set_humidity", {"store": "SS-04", "target": 50})]


async def test_putting_a_thing_off_sets_the_number_whose_0_puts_it_off() -> None:
    """ "pumps off in T-04" where "0 switches the tank's pumps off": the state asked is the order,
    and 0 its value; a look at the tank would not do it."""
    tools = [runbook("set_pump_rate", "Set the circulation rate of an aquarium tank", "write",
                     {"tank": {"pattern": "^T-[0-9]{2}$", "description": "tank id, e.g. T-04"},
                      "rate": {"type": "int", "min": 0, "max": 100,
                               "description": "Flow in litres a minute; 0 switches the tank's pumps off"}}),
             runbook("tank_readings", "Show a tank's temperature, salinity and flow", "read",
                     {"tank": {"pattern": "^T-[0-9]{2}$", "description": "tank id, e.g. T-04"}})]
    assert calls(await plan("pumps off in T-04 while the divers are in", tools)) == \
        [("set_pump_rate", {"tank": "T-04", "rate": 0})]


async def test_giving_a_thing_back_to_what_ran_it_is_its_way_back() -> None:
    """ "give K-3's burners back to the scheduler": back to what ran them, as the way back's
    description says; not the override, whose words ("burners", "scheduler", "back") the request
    shares too, nor the listing."""
    kiln = {"pattern": "^K-[0-9]$", "description": "kiln id, e.g. K-3"}
    tools = [runbook("burner_override", "override the burners of one kiln: they go to the given power and the "
                     "scheduler stops moving them. after the given minutes the scheduler takes the burners back",
                     "write", {"kiln": kiln,
                               "percent": {"type": "int", "min": 0, "max": 100, "description": "power in %, 0 = off"},
                               "minutes": {"type": "int", "min": 0, "max": 480, "default": 60,
                                           "description": "minutes the override holds; 0 = until someone hands "
                                                          "the burners back"}}),
             runbook("burner_release", "hand the burners of one kiln back to the scheduler: the override ends and "
                     "the scheduler moves the burners again", "write", {"kiln": kiln}),
             runbook("kilns", "list kilns: kiln id, programme, temperature, burner power %, override (if any)",
                     "read", {})]
    request = "glaze test is done, give K-3's burners back to the scheduler"
    assert calls(await plan(request, tools)) == [("burner_release", {"kiln": "K-3"})]
    # found as the way back, not only by meaning (which a tool set of another team may not give)
    entities = extract_entities(request)
    assert brought_back([score_tool(spec, entities) for spec in tools], entities.wording) == {"burner_release"}


async def test_a_name_that_is_one_part_of_one_value_names_that_value() -> None:
    """ "harbour line trains" for `north_harbour`: the only value with that part; "north" is a part
    of two values and names neither."""
    tools = [runbook("list_trains", "List today's trains: train id, line, departure, state", "read",
                     {"line": {"type": "enum", "values": ["all", "north_harbour", "north_airport", "coastal_loop"],
                               "default": "all", "description": "Only trains of this line"}}),
             runbook("train_status", "Show one train in detail", "read",
                     {"train": {"pattern": "^[A-Z]{2}[0-9]{3}$", "description": "train id, e.g. NH204"}})]
    assert calls(await plan("harbour line trains", tools)) == [("list_trains", {"line": "north_harbour"})]
    assert calls(await plan("north line trains", tools)) == [("list_trains", {})]


async def test_going_back_to_a_state_is_the_way_back_not_a_rollback() -> None:
    """ "V-07 can go back on auto": "go back" is also a rollback's phrase, and `valve_release`'s
    "release" a deploy's word, but the request brings the valve back as the tool's description says."""
    valve = {"pattern": "^V-[0-9]{2}$", "description": "valve id, e.g. V-07"}
    tools = [runbook("valve_override", "override one irrigation valve: it goes to the given opening and the "
                     "controller stops moving it", "write",
                     {"valve": valve, "percent": {"type": "int", "min": 0, "max": 100, "description": "opening in %"}}),
             runbook("valve_release", "hand one irrigation valve back to the controller: the override ends and the "
                     "controller moves it again", "write", {"valve": valve}),
             runbook("valves", "list the irrigation valves with their opening and override", "read", {})]
    assert calls(await plan("V-07 can go back on auto", tools)) == [("valve_release", {"valve": "V-07"})]


async def test_a_verb_that_is_a_value_its_description_names_orders_that_value() -> None:
    """ "shut the valve V-07" for "opening in %, 0 = shut": the verb is the value 0 of the override,
    not the order of another tool that closes something else (a gate it would ask for)."""
    valve = {"pattern": "^V-[0-9]{2}$", "description": "valve id, e.g. V-07"}
    tools = [runbook("valve_override", "override one irrigation valve: it goes to the given opening and the "
                     "controller stops moving it", "write",
                     {"valve": valve, "percent": {"type": "int", "min": 0, "max": 100,
                                                  "description": "opening in %, 0 = shut"}}),
             runbook("valve_release", "hand one irrigation valve back to the controller: the override ends and the "
                     "controller moves it again", "write", {"valve": valve}),
             runbook("close_gate", "Close a field gate so the cattle stay in", "write",
                     {"gate": {"pattern": "^G[0-9]{2}$", "description": "gate id, e.g. G04"}}),
             runbook("valves", "list the irrigation valves with their opening and override", "read", {})]
    assert calls(await plan("shut the valve V-07, the field is flooding", tools)) == \
        [("valve_override", {"valve": "V-07", "percent": 0})]


async def test_a_look_that_takes_every_value_given_beats_one_that_must_ask() -> None:
    """ "north station pump status": the one pump's status would ask which pump; the station's
    pumps take every value the request gives, and a look costs nothing to run."""
    station = {"type": "enum", "values": ["north", "south", "harbour"], "description": "Pumping station"}
    tools = [runbook("pump_status", "Show one pump in detail: flow, pressure, bearing temperature", "read",
                     {"station": station,
                      "pump": {"pattern": "^P[0-9]{2}$", "description": "pump id, e.g. P04"}}),
             runbook("list_pumps", "List the pumps of a station with their state", "read",
                     {"station": {**station, "default": "north"}}),
             runbook("stop_pump", "Stop a pump", "write",
                     {"station": station, "pump": {"pattern": "^P[0-9]{2}$", "description": "pump id"}})]
    assert calls(await plan("north station pump status", tools)) == [("list_pumps", {"station": "north"})]
    assert calls(await plan("north station pump P04 status", tools)) == \
        [("pump_status", {"station": "north", "pump": "P04"})]


STABLE_TOOLS = [
    runbook("horse_history", "Show one horse's history: rides, feeds, vet visits", "read",
            {"horse": {"pattern": "^[0-9]{4}$", "description": "horse number e.g. 1047"}}),
    runbook("rest_horse", "Rest a horse: nobody rides it for the given days", "write",
            {"horse": {"pattern": "^[0-9]{4}$", "description": "horse number e.g. 1047"},
             "days": {"type": "int", "min": 1, "max": 30, "default": 3, "description": "days"}}),
]


@pytest.mark.parametrize("text", ["can you book the farrier for 1047 tomorrow at 9?",
                                  "please reorder the hay for 1047",
                                  "shoe 1047 before the show"])
async def test_an_order_no_tool_does_is_no_read_of_its_object(text: str) -> None:
    """ "can you book the farrier for 1047?": booking is an action no tool here does; the horse's
    history only shares its number. Planning that read would answer an order with a look."""
    outcome = await plan(text, STABLE_TOOLS)
    assert not any(step.tool == "horse_history" for step in getattr(outcome, "steps", [])), text


@pytest.mark.parametrize("text", ["can you ring the farrier on 07700 900123 and get him to look at 1047",
                                  "can you whatsapp the owner of 1047 that he's lame",
                                  "please ring the vet about 1047, then tell the owner"])
async def test_an_order_no_tool_does_opening_a_longer_message_is_no_read(text: str) -> None:
    """ "can you ring the farrier …": "ring" ends in -ing and is no gerund; after "can you" a word
    WordNet does not know is still an order's verb ("whatsapp"); and the order that opens a
    message of two parts is its order."""
    outcome = await plan(text, STABLE_TOOLS)
    assert not any(step.tool == "horse_history" for step in getattr(outcome, "steps", [])), text


async def test_guard_a_look_opening_a_longer_message_still_looks() -> None:
    assert calls(await plan("can you quickly pull up 1047's history and tell me when the vet came", STABLE_TOOLS)) \
        == [("horse_history", {"horse": "1047"})]


@pytest.mark.parametrize("text", ["rest 1047? no way, he's fine", "rest 1047? nah."])
async def test_an_order_asked_and_answered_no_in_the_same_message_orders_nothing(text: str) -> None:
    """ "rest 1047? no way, he's fine": the question is answered no in the same message."""
    outcome = await plan(text, STABLE_TOOLS)
    assert not getattr(outcome, "steps", None), outcome


@pytest.mark.parametrize("text", ["rest 1047? no, rest 1052 instead", "is 1047 resting? no"])
async def test_guard_a_refusal_followed_by_another_order_or_a_question_of_state(text: str) -> None:
    """Guard (passes before the rule too): another order after the no, or a question of how things are,
    is not answered as refused."""
    outcome = await plan(text, STABLE_TOOLS)
    assert "answered that question with a no" not in getattr(outcome, "text", ""), outcome


@pytest.mark.parametrize(("text", "expected"), [
    ("grab the history of 1047", [("horse_history", {"horse": "1047"})]),
    ("can you rest 1047 for 5 days", [("rest_horse", {"horse": "1047", "days": 5})]),
])
async def test_an_order_a_tool_does_still_plans_it(text: str, expected: list) -> None:
    assert calls(await plan(text, STABLE_TOOLS)) == expected


BIN = {"pattern": "^bin-[0-9]+$", "description": "bin id e.g. bin-3"}
BIN_TOOLS = [
    runbook("bin_levels", "Show how full each smart litter bin is and when it was last emptied", "read", {"bin": BIN}),
    runbook("schedule_bin_emptying", "Send a crew to empty a smart litter bin today", "write", {"bin": BIN}),
]


async def test_a_negated_change_leaves_the_read_that_was_asked_for() -> None:
    """ "don't schedule a bin emptying, just tell me how full bin-3 is": the negated part names the
    bin and its emptying, which `bin_levels` also mentions; it forbids the change, not the look at
    the bin that follows. A part that negates the read's own verb still rules it out."""
    assert calls(await plan("don't schedule a bin emptying, just tell me how full bin-3 is", BIN_TOOLS)) == \
        [("bin_levels", {"bin": "bin-3"})]
    outcome = await plan("don't show me the bin levels, schedule an emptying of bin-3", BIN_TOOLS)
    assert not any(step.tool == "bin_levels" for step in getattr(outcome, "steps", []))


PRESS = {"pattern": "^PX-[0-9]{1,2}$", "description": "press id as stencilled on it, e.g. PX-7"}
PRESS_TOOLS = [
    runbook("press_status", "Tonnage and state of every forging press on the shop floor", "read", {}),
    runbook("start_press", "Start a stopped forging press: its ram cycles again", "write", {"press": PRESS}),
    runbook("stop_press", "Stop a forging press at the top of its stroke", "write", {"press": PRESS}),
]


async def test_a_verb_done_again_asks_for_the_tool_that_does_it_once() -> None:
    """ "restart PX-7" for a team whose tool is `start_press`: WordNet defines "restart" as "start …
    again" (and "reenable", which it does not list, is read by its parts). "remove" is not "move"
    again, and an again-verb with nothing named to act on asks for no tool whose verb it repeats."""
    for text in ("restart PX-7, the guard's back on", "re-start PX-7 please"):
        assert calls(await plan(text, PRESS_TOOLS)) == [("start_press", {"press": "PX-7"})], text
    from chatops.bot.agent.verb_senses import done_again

    assert [done_again(word) for word in ("reopened", "reenable", "remove", "report", "restore")] == \
        ["open", "enable", None, None, None]
    pointed = await plan("restart the one that tripped at lunch", PRESS_TOOLS)
    assert not any(step.tool == "start_press" for step in getattr(pointed, "steps", []))


KILN = {"pattern": "^K[0-9]$", "description": "kiln, e.g. K2"}
KILN_GAS_TOOLS = [
    runbook("kiln_gas", "Which gas supply each kiln burns from and the line pressures", "read", {}),
    runbook("feed_from_mains", "Feed a kiln back from the gas mains: the bottle bank is closed off", "write",
            {"kiln": KILN}),
    runbook("feed_from_bottles", "Feed a kiln from the bottle bank while the mains is out; it switches over "
            "by itself and back when the mains pressure returns", "write", {"kiln": KILN}),
]


@pytest.mark.parametrize(("text", "expected"), [
    ("the mains feed to K2 has dropped out again, change over", "feed_from_bottles"),
    ("mains on K2 has failed, swap it over", "feed_from_bottles"),
    ("K2 is still on bottles, switch it back", "feed_from_mains"),
    ("switch K2 over to bottles", "feed_from_bottles"),
])
async def test_of_two_changes_named_by_where_they_send_it_the_state_it_is_in_is_left(text: str, expected: str) -> None:
    """Twins named by where they send the kiln: a state written as the one it is in or the one that
    failed is the one it leaves, one written after "to" is where it goes, and "back" with neither is
    the twin whose description says it goes back. Sending it where it already is would be a change
    aimed the wrong way."""
    assert calls(await plan(text, KILN_GAS_TOOLS)) == [(expected, {"kiln": "K2"})]


BERTH = {"pattern": "^B-[0-9]{2}$", "description": "berth, e.g. B-07"}
EMBARGO_TOOLS = [
    runbook("berths", "Every berth of the marina with its embargo, if any", "read", {}),
    runbook("place_embargo", "Place an embargo on a berth: no boat may moor or leave it", "write", {"berth": BERTH}),
    runbook("end_embargo", "End the embargo on a berth", "write", {"berth": BERTH}),
]


@pytest.mark.parametrize(("text", "expected"), [
    ("put an embargo on B-07, the pontoon's cracked", "place_embargo"),
    ("take the embargo off B-07, the pontoon's fixed", "end_embargo"),
    ("take B-07 off embargo", "end_embargo"),
    ("don't touch B-08, just lift the embargo on B-07", "end_embargo"),
])
async def test_putting_a_thing_on_or_taking_it_off_asks_for_the_change_that_does_it(text: str, expected: str) -> None:
    """ "put an embargo on B-07" / "take the embargo off B-07": the thing is in both changes' names,
    so the way decides: taking off is the one whose verb ends or removes by WordNet (end), putting
    on the other (place). A look at the berths would answer an order with a read."""
    assert calls(await plan(text, EMBARGO_TOOLS)) == [(expected, {"berth": "B-07"})]


BARGE = {"pattern": "^BG-[0-9]{2}$", "description": "barge, e.g. BG-12"}
BARGE_TOOLS = [
    runbook("barge_board", "Every barge at the wharf and whether it is held", "read", {}),
    runbook("hold_barge", "Hold a barge at the wharf past its slot", "write", {"barge": BARGE}),
    runbook("release_barge", "Release a held barge: it leaves as soon as it is loaded", "write", {"barge": BARGE}),
]


async def test_a_phrasal_verb_around_its_object_is_read_whole() -> None:
    """ "let BG-12 go": WordNet's "let go" is "release"; with the object between its words it is
    still that verb, so the release is asked (not a look at the barge). "take … off" is no such
    verb here: its most frequent sense in WordNet is an aircraft leaving the ground."""
    for text in ("let BG-12 go", "tugs are ready, let BG-12 go"):
        assert calls(await plan(text, BARGE_TOOLS)) == [("release_barge", {"barge": "BG-12"})], text


KILN_TOOLS = [
    runbook("kilns", "list the kilns of the pottery and their temperatures", "read", {}),
    runbook("hold_kiln", "keep a kiln hot: after its firing it holds at 600 C instead of cooling, so the next load "
            "needs no warm-up", "write", {"kiln": {"pattern": "^k[0-9]$", "description": "kiln id e.g. k3"}}),
    runbook("cool_kiln", "let a kiln cool to room temperature so it can be unloaded or serviced", "write",
            {"kiln": {"pattern": "^k[0-9]$", "description": "kiln id e.g. k3"}}),
]


@pytest.mark.parametrize("text", ["let k3 cool, the loaders are in on monday",
                                  "firing's done, just let the k3 cool"])
async def test_the_verb_after_a_causative_let_and_its_object_is_the_order(text: str) -> None:
    """ "let k3 cool": the order's verb stands after "let" and its object, not first; read as a
    statement it left the kiln held hot, the opposite of what was asked."""
    assert calls(await plan(text, KILN_TOOLS)) == [("cool_kiln", {"kiln": "k3"})]


async def test_let_me_is_the_speaker_and_orders_nothing_of_the_thing() -> None:
    outcome = await plan("let me know when k3 is cool enough to unload", KILN_TOOLS)
    assert not any(step.tool == "cool_kiln" for step in getattr(outcome, "steps", []))


TRAM_TOOLS = [
    runbook("trams", "list the trams and whether each is in service", "read", {}),
    runbook("out_of_service", "Book a tram out of service in the dispatch system: no run is given to it. It comes "
            "back into service by itself after the given hours.", "write",
            {"tram": {"pattern": "^T-[0-9]{3}$", "description": "tram number e.g. T-104"},
             "reason": {"type": "enum", "values": ["defect", "cleaning", "crew"], "description": "why"},
             "hours": {"type": "int", "min": 0, "max": 48, "default": 8, "description": "0 until put back"}}),
    runbook("back_in_service", "Put a tram back in service in the dispatch system: runs are given to it again.",
            "write", {"tram": {"pattern": "^T-[0-9]{3}$", "description": "tram number e.g. T-104"}}),
]


async def test_again_telling_how_a_fault_came_back_is_no_way_back_when_another_change_is_named_whole() -> None:
    """ "the doors are sticking again, take it out of service": "again" is the fault's, and the request
    says `out_of_service`'s whole name; the way back (`back_in_service`) would be the opposite."""
    outcome = await plan("T-104's doors are sticking again, take it out of service", TRAM_TOOLS)
    assert not any(step.tool == "back_in_service" for step in getattr(outcome, "steps", []))
    assert calls(await plan("T-104 can run again, the doors are fixed", TRAM_TOOLS)) == \
        [("back_in_service", {"tram": "T-104"})]


FEEDER_TOOLS = [
    runbook("stages", "list the festival's stages and what each is doing: live, in a changeover, or stopped", "read",
            {"state": {"type": "enum", "values": ["live", "changeover", "stopped"], "default": "live",
                       "description": "only stages in this state"}}),
    runbook("isolate_feeder", "Isolate a feeder: its breaker opens and everything it feeds goes dark until restored.",
            "write", {"feeder": {"pattern": "^F-[0-9]{2}$", "description": "feeder id e.g. F-12"},
                      "reason": {"type": "enum", "values": ["fault", "maintenance"], "description": "why"}}),
    runbook("restore_feeder", "Restore a feeder: its breaker closes and everything it feeds gets power again.",
            "write", {"feeder": {"pattern": "^F-[0-9]{2}$", "description": "feeder id e.g. F-12"}}),
]


async def test_a_value_both_opposite_changes_take_chooses_neither() -> None:
    """ "take F-12 off": the read leaves F-12 aside, and the restore takes it, but so does the
    isolation, which only lacks its reason; the value cannot say which of the two is asked, and
    proposing the restore would be the opposite of the order."""
    outcome = await plan("take F-12 off, we're swapping its cable in the changeover", FEEDER_TOOLS)
    assert not any(step.tool == "restore_feeder" for step in getattr(outcome, "steps", []))


PACKING_TOOLS = [
    runbook("lines", "list the packing lines and their state", "read", {}),
    runbook("stop_line", "Stop a packing line: the conveyor halts and the packers stand down", "write",
            {"line": {"pattern": "^L[0-9]$", "description": "line e.g. L2"}}),
    runbook("shutdown_press", "Shut down a press for the night", "write",
            {"press": {"pattern": "^P[0-9]$", "description": "press e.g. P2"}}),
]


@pytest.mark.parametrize("text", ["cancel the stop of L2", "scrap the stop on L2", "abort the shutdown of P2",
                                  "call off tonight's shutdown on P2, the order came back"])
async def test_an_action_called_off_is_never_proposed(text: str) -> None:
    """ "cancel the stop of L2" names the stop to call it off: proposing the stop, or another change
    of the same kind, does the opposite of the order."""
    outcome = await plan(text, PACKING_TOOLS)
    assert not any(step.tool in ("stop_line", "shutdown_press") for step in getattr(outcome, "steps", []))


async def test_kill_asks_for_a_stop_and_a_shortened_word_is_still_the_changes_own() -> None:
    """ "kill it" of a running machine is its stop; "kill the auto retries" acts on the change's own
    object, written short ("automatic" in its description)."""
    fan = {"fan": {"pattern": "^JF[0-9]{2}$", "description": "fan id e.g. JF07"}}
    fans = [runbook("fans", "list the tunnel's jet fans and what each is doing", "read", {}),
            runbook("fan_log", "Show one jet fan's log: starts, stops, vibration and faults", "read", fan),
            runbook("start_fan", "Start a jet fan on manual: it blows whatever the automatic control says",
                    "write", fan),
            runbook("stop_fan", "Stop a jet fan on manual: it stops blowing and the automatic control decides again "
                    "when to run it.", "write", fan)]
    assert calls(await plan("JF07 is rattling the gantry, kill it", fans)) == [("stop_fan", {"fan": "JF07"})]
    retries = [runbook("stop_retries", "Stop the automatic retries of a failed payment", "write",
                       {"payment": {"pattern": "^pay_[A-Za-z0-9]+$", "description": "payment id"}})]
    assert calls(await plan("customer disputed pay_4Hh7Jd, kill the auto retries", retries)) == \
        [("stop_retries", {"payment": "pay_4Hh7Jd"})]


DEPOT_TOOLS = [
    runbook("depots", "list the tram depots and how many trams each has in dispatch", "read",
            {"depot": {"type": "enum", "values": ["north", "riverside"], "default": "north",
                       "description": "the depot"}}),
    runbook("withdraw_depot", "Withdraw a whole tram depot from the dispatch system: none of its trams is given a "
            "run until it is reinstated by hand.", "write",
            {"depot": {"type": "enum", "values": ["north", "riverside"], "description": "the depot"}}),
    runbook("reinstate_depot", "Reinstate a tram depot in the dispatch system: its trams are given runs again.",
            "write", {"depot": {"type": "enum", "values": ["north", "riverside"], "description": "the depot"}}),
]


async def test_moving_a_thing_out_of_the_place_its_description_takes_it_from_asks_for_that_change() -> None:
    """ "take the whole depot out of dispatch" for a change described as "Withdraw a whole tram depot
    from the dispatch system": the same move said with a verb of moving; the way back is not it."""
    assert calls(await plan("the yard's flooded at riverside, take the whole depot out of dispatch", DEPOT_TOOLS)) \
        == [("withdraw_depot", {"depot": "riverside"})]
    outcome = await plan("riverside's dry again, put the depot back into dispatch", DEPOT_TOOLS)
    assert not any(step.tool == "withdraw_depot" for step in getattr(outcome, "steps", []))


BAKERY_OVEN = {"pattern": "^OV[0-9]$", "description": "oven id e.g. OV4"}
BAKERY_TOOLS = [
    runbook("ovens", "list the bakery's ovens and their temperatures", "read", {}),
    runbook("hold_oven", "keep an oven at baking heat after its last tray, so the next batch needs no warm-up",
            "write", {"oven": BAKERY_OVEN}),
    runbook("rest_oven", "let an oven rest: it stops holding heat and cools to cold for cleaning", "write",
            {"oven": BAKERY_OVEN}),
]


async def test_the_state_a_change_brings_its_object_to_asks_for_it() -> None:
    """ "OV4 can go cold now" says the outcome `rest_oven` describes ("cools to cold"), not its verb;
    a question about the same state orders nothing."""
    assert calls(await plan("last tray's out, OV4 can go cold now", BAKERY_TOOLS)) == [("rest_oven", {"oven": "OV4"})]
    outcome = await plan("why did OV4 go cold overnight?", BAKERY_TOOLS)
    assert not any(step.tool == "rest_oven" for step in getattr(outcome, "steps", []))


HOIST_TOOLS = [
    runbook("hoists", "Show each hoist: its load, its limit switches and whether it is locked", "read", {}),
    runbook("isolate_hoist", "Isolate a hoist and chain it down so riggers can work under it: the motor breaker is "
            "opened and padlocked", "write",
            {"hoist": {"pattern": "^H[0-9]{2}$", "description": "hoist id, e.g. H04"}}),
    runbook("park_hoist", "Park a hoist at its top limit for the night", "write",
            {"hoist": {"pattern": "^H[0-9]{2}$", "description": "hoist id, e.g. H04"}}),
]


async def test_a_second_verb_the_description_joins_to_its_first_asks_for_the_tool() -> None:
    """ "Isolate a hoist and chain it down": "chain H07 down" and "chain it down" ask for it, though
    neither says "isolate" (session 23: a write found only by its description's words was not
    offered)."""
    assert calls(await plan("H07's brake is slipping, chain it down", HOIST_TOOLS)) == \
        [("isolate_hoist", {"hoist": "H07"})]
    # the verb stays the tool's own: a read's words ("hoists") and another write are not taken for it
    assert calls(await plan("park H07, we're done for tonight", HOIST_TOOLS)) == [("park_hoist", {"hoist": "H07"})]


MOULD_TOOLS = [
    runbook("moulds", "List the injection moulds and which are blocked", "read", {}),
    runbook("block_mould", "Block an injection mould in the planning system: no job is scheduled on it", "write",
            {"mould": {"pattern": "^M-[0-9]{3}$", "description": "mould id, e.g. M-104"}}),
    runbook("unblock_mould", "Unblock an injection mould: jobs are scheduled on it again", "write",
            {"mould": {"pattern": "^M-[0-9]{3}$", "description": "mould id, e.g. M-104"}}),
]


async def test_leave_given_again_asks_for_the_way_back() -> None:
    """ "M-104 can run again": a restriction lifted, said with the request's own verb ("run"), which
    the way back's description never uses (session 23: nothing was planned)."""
    assert calls(await plan("toolroom's done with it, M-104 can run again", MOULD_TOOLS)) == \
        [("unblock_mould", {"mould": "M-104"})]


@pytest.mark.parametrize("text", ["can M-104 run again", "M-104 can't run again until the toolroom signs it off"])
async def test_guard_a_question_or_a_refusal_of_leave_is_no_way_back(text: str) -> None:
    outcome = await plan(text, MOULD_TOOLS)
    assert not any(step.tool == "unblock_mould" for step in getattr(outcome, "steps", [])), (text, outcome)


_LOOMS = {"type": "enum", "values": ["jq_a", "jq_b"],
          "description": "Loom: jq_a (the old jacquard loom by the window), jq_b (the new jacquard loom)"}
LOOM_TOOLS = [
    runbook("looms", "List the weaving looms: what each is weaving, its speed and whether it is paused", "read", {}),
    runbook("pause_loom", "Pause a weaving loom so its warp can be mended", "write", {"loom": _LOOMS}),
    runbook("resume_loom", "Resume a paused weaving loom: it starts weaving again", "write", {"loom": _LOOMS}),
]


async def test_going_on_again_asks_for_the_way_back() -> None:
    """ "the old loom can carry on weaving" and "let jq_b carry on": going on with what was stopped
    is doing it again, said in plain English, not with the way back's verb (session 24: the read of
    the looms was planned, an action degraded to a read)."""
    assert calls(await plan("warp's mended, the old loom can carry on weaving", LOOM_TOOLS)) == \
        [("resume_loom", {"loom": "jq_a"})]
    assert calls(await plan("the knot's out, let jq_b carry on", LOOM_TOOLS)) == [("resume_loom", {"loom": "jq_b"})]


@pytest.mark.parametrize("text", [
    pytest.param("jq_b is paused, the weavers can carry on by hand",  # someone else goes on, not the loom
                 marks=pytest.mark.xfail(strict=True, reason="older (before session 24's rule): 'carry on' is taken "
                                         "for the loom's resume by its meaning, whoever goes on")),
    "once the warp's mended, jq_a can carry on",  # a condition: not yet
    "can jq_a carry on",  # a question
])
async def test_guard_others_going_on_or_leave_not_yet_given_is_no_way_back(text: str) -> None:
    outcome = await plan(text, LOOM_TOOLS)
    assert not any(step.tool == "resume_loom" for step in getattr(outcome, "steps", [])), (text, outcome)


FLOOD_TOOLS = [
    runbook("barriers", "Show the flood barriers: raised or lowered, and the river level at each", "read", {}),
    runbook("raise_barrier", "Raise a flood barrier across a road: the road is closed to traffic", "write",
            {"barrier": {"pattern": "^FB[0-9]{2}$", "description": "barrier id, e.g. FB04"}}),
    runbook("declare_flood_alert", "Declare a flood alert for a district: sirens sound and schools close",
            "danger", {"district": {"type": "enum", "values": ["east", "west", "centre"], "description": "district"},
                       "level": {"type": "enum", "values": ["amber", "red"], "description": "alert level"}}),
]


@pytest.mark.parametrize("text", [
    "if we declare red for the east, do the schools there still close? it's half term, FB04's side",
    "if we raise FB04 do the buses still get through? the depot's on that road",
])
async def test_a_change_asked_about_in_a_conditional_question_is_not_made(text: str) -> None:
    """ "if we declare red …, do the schools still close?" asks what a change would do; a remark
    after the question ("it's half term") does not make it an order (session 24: the alert was
    declared, a danger step in front of an approver that nobody asked for)."""
    outcome = await plan(text, FLOOD_TOOLS)
    assert not any(step.tool != "barriers" for step in getattr(outcome, "steps", [])), (text, outcome)


def test_a_change_found_by_meaning_must_take_the_time_the_order_gives() -> None:
    """ "bypass the sorters on dmr for 45 mins": the encoder read the way back of a diversion
    (which takes no time) as closest, and it was planned, a change the opposite way (session 24,
    final28). A change found by meaning alone is not asked for when it leaves aside how long the
    order's change lasts; how long something already lasted ("down for 2 hours") is no such time."""
    from chatops.bot.agent.by_values import lasting_for
    from chatops.bot.agent.ranking import _clearly_asked

    line = {"type": "enum", "values": ["north", "south"], "description": "packing line"}
    divert = runbook("divert_to_rework", "Divert a packing line to rework for the given minutes", "write",
                     {"line": line, "minutes": {"type": "int", "min": 1, "max": 240, "default": 30,
                                                "description": "minutes diverted"}})
    end = runbook("end_rework_diversion", "End the rework diversion of a packing line", "write", {"line": line})
    text = "skip the palletiser on north for 45 mins, labels are smudged"
    entities = extract_entities(text)
    back, out = score_tool(end, entities), score_tool(divert, entities)
    for candidate in (back, out):
        candidate.similarity = 0.6
    assert not _clearly_asked(back, 0.6, wording=entities.wording)
    assert _clearly_asked(out, 0.6, wording=entities.wording)
    assert lasting_for("it's been down for 2 hours, bounce it") == frozenset()
    assert lasting_for("take lane 5 out for an hour") == frozenset({("1", "3600", "60")})
