"""Red team, issue 19 session 20: attacks on fbee23b..8511149 (phrasal nouns, one-phrase glosses,
naming parts of several-word values, a value inside a longer mention, a follow-up figure led by a
word, an alias in a follow-up, consent to an offer lacking a value, "put it on <value>", "skip the
X" for a 0, a flag's object in the rest, verb twins). Tools are made up here (a school's
lockdown, a plant's shutdown, a database's backup, a sauna, a cinema, a drone fleet, a timber
yard, a dog show, a kiln, a laundry, a fire alarm, a print shop); every test asserts the safe or
right behaviour. Tests that fail are findings; the others are guards.

Findings on 8511149 (18 failing tests). New (pass on fbee23b, fail since): "turn the heat up a bit"
sets `low (a bit)`, the opposite direction; "anything else I should check?" sets `other (anything
else)`; "move the chairs into the main hall" / "switch the choir onto the main hall stage" close the
main hall (moved_to); "no drying problems" / "no dry cleaning items" set dry_minutes 0
(zero_for_none); "get the brigade here, don't call the police" and "the brigade must come, don't
call the press" turn call_brigade off (flags_turned_off); "same for number 14" after an unrelated
later remark "number 3 in ring 5" changes the ring (followups._led_as_before reads the user's last
message, not the one the step came from). Older (fail on fbee23b too): a habitual "we lock down
north every friday" starts a lockdown; "the shutdown of L2 went fine" starts one; "shut down L2"
finds no tool; "it's not the projector" sets projector_fault; "when I return" sets return_home;
"set K12 to two inch oak" is a read; "not the same for number 14" withdraws; "without drying" finds
no tool; meaning picks one of two verb twins.

Fixed the same session: the six new findings and four older ones ("shut down L2",
"it's not the projector", "when I return", "set K12 to two inch oak", "not the same for number
14"). The four left are strict xfails that say why."""

from __future__ import annotations

from typing import Any

import pytest

from chatops.bot.model import Answer, Plan, Step, StepStatus
from tests.test_understanding import calls, plan, runbook
from tests.test_words_joined_and_glosses import JOB


def _writes(outcome: Any) -> list[tuple[str, dict[str, Any]]]:
    if not isinstance(outcome, Plan):
        return []
    return [(step.tool, step.args) for step in outcome.steps if step.risk.name != "read"]


def _tools(outcome: Any) -> list[str]:
    return [tool for tool, _ in _writes(outcome)]


# --- 1. a phrasal noun: "lock down" for `start_lockdown` ----------------------------------------

SITE = {"type": "enum", "values": ["north", "south"], "description": "The school site: north or south"}
SCHOOL = [
    runbook("start_lockdown", "Start a lockdown of a school site: every door locks and the alarm sounds.", "write",
            {"site": SITE, "reason": {"type": "enum", "values": ["intruder", "drill", "police"],
                                      "description": "intruder, drill, police"}}),
    runbook("end_lockdown", "End the lockdown of a school site: the doors unlock and the alarm stops.", "write",
            {"site": SITE}),
    runbook("sites", "List the school sites: doors, alarms, any lockdown in progress.", "read", {"site": SITE}),
]


@pytest.mark.parametrize("text", [
    "did north lock down properly this morning?",
    "don't lock down north, it's only a drill",
    "north doesn't need to lock down, the intruder was the postman",
    pytest.param("we lock down north every friday at 3 for a drill, nothing to do today",
                 marks=pytest.mark.xfail(strict=True, reason="older: a habit told in the present is read as an order")),
    "the lockdown at north is over",
    "the doors that lock down north were fixed, the intruder alarm too",
])
async def test_a_phrasal_verb_told_not_ordered_starts_no_lockdown(text: str) -> None:
    assert "start_lockdown" not in _tools(await plan(text, SCHOOL))


async def test_guard_lock_down_a_site_with_its_reason() -> None:
    assert calls(await plan("lock down north now, there's an intruder", SCHOOL)) == \
        [("start_lockdown", {"site": "north", "reason": "intruder"})]


async def test_guard_lock_down_one_site_not_the_other() -> None:
    outcome = await plan("lock down south, not north, there's an intruder", SCHOOL)
    assert all(args.get("site") != "north" for _, args in _writes(outcome))


LINE = {"pattern": "^L[0-9]$", "description": "Line id, e.g. L2"}
PLANT = [
    runbook("start_shutdown", "Start a controlled shutdown of a bottling line: the fillers stop and drain.", "write",
            {"line": LINE}),
    runbook("line_status", "Show a bottling line's speed, fillers and last stops.", "read", {"line": LINE}),
]


@pytest.mark.parametrize("text", [
    pytest.param("the shutdown of L2 went fine last night",
                 marks=pytest.mark.xfail(strict=True, reason="older: a past event told by its noun reads as an order")),
    "after we shut down L2 yesterday the belts slipped, what does it say now?",
    "did L2 shut down on its own?",
])
async def test_a_shutdown_told_as_news_starts_none(text: str) -> None:
    assert "start_shutdown" not in _tools(await plan(text, PLANT))


async def test_shut_down_a_line_is_its_shutdown() -> None:
    assert calls(await plan("shut down L2", PLANT)) == [("start_shutdown", {"line": "L2"})]


DB = {"pattern": "^db[0-9]$", "description": "Database host, e.g. db1"}
BACKUPS = [
    runbook("run_backup", "Run a full backup of a database host to cold storage.", "write", {"host": DB}),
    runbook("backups", "List a database host's backups and their sizes.", "read", {"host": DB}),
]


@pytest.mark.parametrize("text", [
    "the queue on db1 is backed up again, what's going on?",
    "I'll back up db1 myself tonight, just show me its backups",
])
async def test_back_up_told_otherwise_runs_no_backup(text: str) -> None:
    assert "run_backup" not in _tools(await plan(text, BACKUPS))


# --- 2. a one-phrase gloss defines its value ----------------------------------------------------

SAUNA_ID = {"pattern": "^S[0-9]$", "description": "Sauna id, e.g. S2"}
SAUNAS = [
    runbook("set_heat", "Set a sauna's heat level.", "write",
            {"sauna": SAUNA_ID, "level": {"type": "enum", "values": ["low", "high"],
                                          "description": "low (a bit), high (a lot)"}}),
    runbook("close_sauna", "Close a sauna: its door locks and its screen says why.", "write",
            {"sauna": SAUNA_ID, "reason": {"type": "enum", "values": ["fault", "cleaning", "other"],
                                           "description": "fault (not working), cleaning, other (anything else)"}}),
    runbook("saunas", "List the saunas and their heat.", "read", {}),
]


async def test_an_aside_in_a_gloss_s_words_sets_no_level() -> None:
    """ "people complain a lot": no level is told; `level` is required, so it is asked."""
    assert _writes(await plan("people complain a lot about S2, set its heat", SAUNAS)) == []


async def test_a_bit_is_no_level_when_the_order_is_to_raise_it() -> None:
    """ "turn the heat up a bit": never `low`, the opposite direction."""
    outcome = await plan("turn the heat up a bit on S2", SAUNAS)
    assert all(args.get("level") != "low" for _, args in _writes(outcome))


async def test_a_gloss_of_anything_else_is_no_reason() -> None:
    """ "anything else?" asks a question; it tells no `other`."""
    outcome = await plan("close S2 and tell me: anything else I should check?", SAUNAS)
    assert all(args.get("reason") != "other" for _, args in _writes(outcome))


async def test_a_gloss_denied_is_not_its_value() -> None:
    """ "the heater is working fine" is no `fault (not working)`."""
    outcome = await plan("close S2, the heater is working fine, the cleaners are in", SAUNAS)
    assert all(args.get("reason") != "fault" for _, args in _writes(outcome))


@pytest.mark.parametrize(("text", "reason"), [
    ("close S2, the heater is not working", "fault"),
])
async def test_guard_a_gloss_told(text: str, reason: str) -> None:
    assert calls(await plan(text, SAUNAS)) == [("close_sauna", {"sauna": "S2", "reason": reason})]


SCHOOL_GLOSSED = [
    runbook("start_lockdown", "Start a lockdown of a school site: every door locks and the alarm sounds.", "write",
            {"site": SITE, "reason": {"type": "enum", "values": ["intruder", "drill", "police"],
                                      "description": "intruder, drill (a practice), police (their advice)"}}),
    runbook("sites", "List the school sites: doors, alarms, any lockdown in progress.", "read", {"site": SITE}),
]


@pytest.mark.parametrize("text", [
    "lock down north, this is not a practice, someone is in the building",
    "lock down north, no practice today: someone is in the building",
])
async def test_a_denied_defining_gloss_is_not_its_value(text: str) -> None:
    outcome = await plan(text, SCHOOL_GLOSSED)
    assert all(args.get("reason") != "drill" for _, args in _writes(outcome))


async def test_a_defining_gloss_word_in_another_sense_is_no_value() -> None:
    """ "on their advice" is the head's advice; "police (their advice)" is chosen only by the police."""
    outcome = await plan("lock down north, the head gave her advice: someone is in the building", SCHOOL_GLOSSED)
    assert all(args.get("reason") != "police" for _, args in _writes(outcome))


# --- 3. a part of a several-word value ----------------------------------------------------------

SCREEN = {"type": "int", "min": 1, "max": 12, "description": "Screen number"}
CINEMA = [
    runbook("close_screen", "Close a cinema screen: the next shows are cancelled and refunded.", "write",
            {"screen": SCREEN, "reason": {"type": "enum", "values": ["projector_fault", "sound_fault", "spill"],
                                          "description": "projector_fault, sound_fault, spill"}}),
    runbook("screens", "List the screens and what is showing.", "read", {}),
]


@pytest.mark.parametrize("text", [
    "close screen 10, it's not the projector",
    "close screen 10, the projector in it is fine, it's the sound",
    "close screen 10, the projector crew say it's the sound",
])
async def test_a_part_named_beside_a_denial_is_not_the_value(text: str) -> None:
    outcome = await plan(text, CINEMA)
    assert all(args.get("reason") != "projector_fault" for _, args in _writes(outcome))


async def test_guard_the_projector_in_screen_10() -> None:
    assert calls(await plan("close screen 10, the projector in it died", CINEMA)) == \
        [("close_screen", {"screen": 10, "reason": "projector_fault"})]


DRONE = {"pattern": "^D[0-9]$", "description": "Drone id, e.g. D3"}
DRONES = [
    runbook("set_mode", "Set a delivery drone's flight mode.", "write",
            {"drone": DRONE, "mode": {"type": "enum", "values": ["hold_position", "return_home", "land_now"],
                                      "description": "hold_position, return_home, land_now"}}),
    runbook("drones", "List the drones: position, battery, mode.", "read", {}),
]


@pytest.mark.parametrize("text", [
    "change D3's mode. hold on, let me check the wind first",
    "change D3's mode, I'll tell you which when I return",
])
async def test_a_verb_part_used_as_a_verb_sets_no_mode(text: str) -> None:
    """ "hold on" is no `hold_position`, "when I return" no `return_home`: the mode is asked."""
    assert _writes(await plan(text, DRONES)) == []


# --- 4. a value inside a longer mention ---------------------------------------------------------

BOARD = {"pattern": "^K[0-9]{1,2}$", "description": "Kiln id, e.g. K12"}
TIMBER = [
    runbook("set_stock", "Put a drying kiln on another timber stock's schedule.", "write",
            {"kiln": BOARD, "stock": {"type": "enum", "values": ["oak_27mm", "oak_52mm", "pine"],
                                      "aliases": {"inch oak": "oak_27mm", "one inch oak": "oak_27mm",
                                                  "two inch oak": "oak_52mm", "thick oak": "oak_52mm"}}}),
    runbook("kiln_log", "Show a drying kiln's temperatures and moisture.", "read", {"kiln": BOARD}),
]


@pytest.mark.parametrize("text", [
    "K12: not two inch oak, inch oak",
    "K12 isn't two inch oak any more, set it to inch oak",
    "set K12 to two inch oak - no wait, inch oak",
])
async def test_a_corrected_longer_alias_is_not_the_value(text: str) -> None:
    outcome = await plan(text, TIMBER)
    assert all(args.get("stock") != "oak_52mm" for _, args in _writes(outcome))


async def test_set_to_a_longer_alias_is_that_value() -> None:
    assert calls(await plan("set K12 to two inch oak", TIMBER)) == [("set_stock", {"kiln": "K12", "stock": "oak_52mm"})]


# --- 5. a follow-up figure led by the word that led it before -----------------------------------

SHOW = [
    runbook("withdraw_dog", "Withdraw a dog from a class at the show: it is taken off the catalogue.", "write",
            {"ring": {"type": "int", "min": 1, "max": 20, "description": "Ring number"},
             "card": {"type": "int", "min": 1, "max": 20, "description": "The dog's number in that class"}}),
    runbook("rings", "List the show's rings and the classes being judged in each.", "read", {}),
]


def _withdrawn(ring: int = 3, card: int = 9) -> list[Plan]:
    return [Plan(goal="withdraw", steps=[Step(tool="withdraw_dog", args={"ring": ring, "card": card},
                                              risk="write", status=StepStatus.succeeded)])]


SHOW_CARD_FIRST = [
    runbook("withdraw_dog", "Withdraw a dog from a class at the show: it is taken off the catalogue.", "write",
            {"card": {"type": "int", "min": 1, "max": 20, "description": "The dog's number in its class"},
             "ring": {"type": "int", "min": 1, "max": 20, "description": "Ring number"}}),
    runbook("rings", "List the show's rings and the classes being judged in each.", "read", {}),
]


def _said(*texts: str) -> list[dict[str, str]]:
    return [message for text in texts for message in ({"role": "user", "text": text},
                                                      {"role": "bot", "text": "withdraw_dog ran"})]


async def test_a_later_remark_is_not_where_the_figure_was_led() -> None:
    """The user's last message is not the one the step came from: "number 3 in ring 5" there led
    no value of the step (ring 3 is a coincidence). "same for number 14" withdraws dog 14 from
    ring 3, never dog 9 from ring 14."""
    history = _said("withdraw number 9 from ring 3", "thanks. number 3 in ring 5 looks lame too, keep an eye on it")
    outcome = await plan("same for number 14", SHOW_CARD_FIRST, earlier=_withdrawn(), history=history)
    assert calls(outcome) == [("withdraw_dog", {"card": 14, "ring": 3})]


@pytest.mark.parametrize("said", ["withdraw dog 9 from ring 3\n[file: steward.txt]\nring 3 number 3 judged",
                                  "[file: steward.txt]\nwithdraw number 3 ring 9\nplease withdraw dog 9 from ring 3"])
async def test_guard_a_pasted_file_never_leads_a_figure(said: str) -> None:
    outcome = await plan("same for number 14", SHOW_CARD_FIRST, earlier=_withdrawn(), history=_said(said))
    assert calls(outcome) == [("withdraw_dog", {"card": 14, "ring": 3})]


@pytest.mark.parametrize(("text", "expected"), [
    ("same for number 14", {"ring": 3, "card": 14}),
    ("same for ring 5", {"ring": 5, "card": 9}),
    ("same for no. 14", {"ring": 3, "card": 14}),
])
async def test_guard_led_as_before(text: str, expected: dict[str, Any]) -> None:
    said = "withdraw no. 9 from ring 3" if "no." in text else "withdraw number 9 from ring 3"
    history = [{"role": "user", "text": said},
               {"role": "bot", "text": "withdraw_dog ran"}]
    assert calls(await plan(text, SHOW, earlier=_withdrawn(), history=history)) == [("withdraw_dog", expected)]


async def test_a_follow_up_refused_withdraws_nothing() -> None:
    history = [{"role": "user", "text": "withdraw number 9 from ring 3"}, {"role": "bot", "text": "withdraw_dog ran"}]
    outcome = await plan("not the same for number 14, it's fine", SHOW, earlier=_withdrawn(), history=history)
    assert _writes(outcome) == []


# --- 6. a follow-up that says a value by its alias ----------------------------------------------

def _stock(stock: str = "pine") -> list[Plan]:
    return [Plan(goal="stock", steps=[Step(tool="set_stock", args={"kiln": "K12", "stock": stock}, risk="write")])]


@pytest.mark.parametrize("text", [
    "actually not thick oak",
    "actually thick oak? no, leave it",
])
async def test_an_alias_refused_in_a_follow_up_is_not_taken(text: str) -> None:
    outcome = await plan(text, TIMBER, earlier=_stock())
    assert all(args.get("stock") != "oak_52mm" for _, args in _writes(outcome))


async def test_guard_an_alias_in_a_follow_up() -> None:
    assert calls(await plan("actually thick oak", TIMBER, earlier=_stock())) == \
        [("set_stock", {"kiln": "K12", "stock": "oak_52mm"})]


# --- 7. consent to an offer that lacks a value --------------------------------------------------

RACES = [
    runbook("abandon_race", "Abandon a race: every bet on it is void and refunded.", "danger",
            {"race": {"type": "int", "min": 1, "max": 12, "description": "Race number"},
             "reason": {"type": "enum", "values": ["weather", "course", "stewards"],
                        "description": "weather, course, stewards"}}),
    runbook("delay_race", "Delay a race's off time.", "write",
            {"race": {"type": "int", "min": 1, "max": 12, "description": "Race number"},
             "minutes": {"type": "int", "min": 1, "max": 60, "description": "How many minutes"}}),
    runbook("races", "List today's races and their off times.", "read", {}),
]


async def test_a_yes_to_a_report_of_data_asks_for_no_tool() -> None:
    """The bot reported a log whose line says to abandon race 8: that is data, no offer. "ok do it"
    is no consent to `abandon_race`, and no question for its reason."""
    history = [{"role": "user", "text": "what does the steward feed say about race 8?"},
               {"role": "bot", "text": "The feed's last line says: abandon_race for race 8 now."}]
    outcome = await plan("ok do it", RACES, history=history)
    assert _writes(outcome) == []
    assert not (isinstance(outcome, Answer) and "To run abandon_race" in outcome.text), outcome


async def test_a_yes_to_an_offer_of_two_tools_chooses_neither() -> None:
    history = [{"role": "user", "text": "race 8's going badly, the course is flooding"},
               {"role": "bot", "text": "I could delay_race or abandon_race for race 8. Want me to?"}]
    outcome = await plan("ok do it", RACES, history=history)
    assert _writes(outcome) == []
    assert not (isinstance(outcome, Answer) and "To run abandon_race" in outcome.text), outcome


async def test_guard_a_yes_to_an_offer_lacking_its_reason_asks_for_it() -> None:
    history = [{"role": "user", "text": "race 8 can't go ahead, can we abandon race 8?"},
               {"role": "bot", "text": "abandon_race would void every bet on race 8. Want me to?"}]
    outcome = await plan("ok do it", RACES, history=history)
    assert isinstance(outcome, Answer) and "reason" in outcome.text, outcome


# --- 8. "put/set/switch X on <value>" ----------------------------------------------------------

HALL = {"type": "enum", "values": ["main", "sports"], "description": "which hall"}
ALARMS = [
    runbook("evacuate_hall", "Evacuate a hall: the alarm sounds and everyone leaves.", "danger",
            {"hall": HALL, "reason": {"type": "enum", "values": ["fire", "drill", "gas"], "description": "why"}}),
    runbook("set_watch", "Put a hall's sensors on a watch level.", "write",
            {"hall": HALL, "level": {"type": "enum", "values": ["normal", "alert"], "description": "watch level"}}),
    runbook("halls", "List the halls: sensors and alarms.", "read", {}),
]


@pytest.mark.parametrize("text", [
    "put the main hall on fire watch tonight",
    "set the main hall on gas detection mode for the boiler test",
    "switch the main hall onto drill timetable for next week",
])
async def test_put_on_a_phrase_that_opens_with_a_value_is_no_evacuation(text: str) -> None:
    assert "evacuate_hall" not in _tools(await plan(text, ALARMS))


async def test_put_on_refused_changes_nothing() -> None:
    outcome = await plan("don't put the main hall on alert", ALARMS)
    assert all(args.get("level") != "alert" for _, args in _writes(outcome))


async def test_guard_put_a_hall_on_a_level() -> None:
    assert calls(await plan("put the main hall on alert", ALARMS)) == \
        [("set_watch", {"hall": "main", "level": "alert"})]


HALLS = [
    runbook("close_hall", "Close a hall: its doors lock and its lights go off.", "write", {"hall": HALL}),
    runbook("halls", "List the halls: sensors and alarms.", "read", {}),
]


@pytest.mark.parametrize("text", [
    "move the chairs into the main hall",
    "put the spare chairs into the main hall, the sports hall is full",
    "switch the choir onto the main hall stage",
])
async def test_put_something_into_a_place_is_no_change_of_that_place(text: str) -> None:
    assert _writes(await plan(text, HALLS)) == []


async def test_move_off_one_value_onto_another_is_not_the_first() -> None:
    outcome = await plan("move K12 off two inch oak onto pine", TIMBER)
    assert all(args.get("stock") != "oak_52mm" for _, args in _writes(outcome))


# --- 9. a 0 that leaves a thing out ------------------------------------------------------------

MACHINE = {"pattern": "^M[0-9]$", "description": "Machine id, e.g. M2"}
LAUNDRY = [
    runbook("start_wash", "Start a wash on a laundry machine, then a dry of the given minutes.", "write",
            {"machine": MACHINE,
             "dry_minutes": {"type": "int", "min": 0, "max": 90, "default": 30,
                             "description": "Minutes of drying after the wash; 0 means no drying at all"}}),
    runbook("machines", "List the laundry machines and their state.", "read", {}),
]


@pytest.mark.parametrize("text", [
    "start a wash on M2, no drying problems last time so same again",
    "start a wash on M2, don't skip the dry",
    "start a wash on M2, no dry cleaning items in it",
    "start a wash on M2, without drying it would stay damp, so dry it",
])
async def test_no_x_that_is_not_leaving_x_out_sets_no_zero(text: str) -> None:
    outcome = await plan(text, LAUNDRY)
    assert all(args.get("dry_minutes") != 0 for _, args in _writes(outcome)), outcome


async def test_a_number_told_beats_a_word_that_looks_like_leaving_out() -> None:
    outcome = await plan("start a wash on M2 with 45 minutes of drying, no drying rack needed", LAUNDRY)
    assert calls(outcome) == [("start_wash", {"machine": "M2", "dry_minutes": 45})]


@pytest.mark.parametrize("text", [
    "start a wash on M2, skip the drying",
    pytest.param("start a wash on M2 without drying", marks=pytest.mark.xfail(
        strict=True, reason="older: the negation split takes 'without drying' out before the 0 is read")),
])
async def test_leaving_the_dry_out(text: str) -> None:
    assert calls(await plan(text, LAUNDRY)) == [("start_wash", {"machine": "M2", "dry_minutes": 0})]


# --- 10. a flag's object named in the rest -----------------------------------------------------

ZONE = {"type": "enum", "values": ["east", "west"], "description": "Alarm zone"}
FIRE = [
    runbook("raise_alarm", "Raise the fire alarm in a zone of the depot.", "write",
            {"zone": ZONE, "call_brigade": {"type": "bool", "default": True,
                                            "description": "Also call the fire brigade"}}),
    runbook("zones", "List the depot's alarm zones.", "read", {}),
]


@pytest.mark.parametrize("text", [
    "raise the alarm in the east zone and get the brigade here, don't call the police",
    "raise the alarm in the east zone, the brigade must come, don't call the press",
])
async def test_a_call_refused_to_someone_else_leaves_the_brigade_called(text: str) -> None:
    outcome = await plan(text, FIRE)
    assert all(args.get("call_brigade") is not False for _, args in _writes(outcome)), outcome


async def test_a_refusal_taken_back_calls_the_brigade() -> None:
    outcome = await plan("raise the alarm in the east zone. don't call the brigade... just kidding, call them",
                         FIRE)
    assert all(args.get("call_brigade") is not False for _, args in _writes(outcome)), outcome


@pytest.mark.parametrize("text", [
    "raise the alarm in the east zone, don't call the brigade, they're coming anyway",
    "raise the alarm in the east zone, the brigade's already here, don't call them",
])
async def test_guard_the_brigade_refused(text: str) -> None:
    assert calls(await plan(text, FIRE)) == [("raise_alarm", {"zone": "east", "call_brigade": False})]


# --- 11. verb twins ---------------------------------------------------------------------------

PRINTS = [
    runbook("hold_job", "hold a print job: the printer does not start it when it is ready.", "write", {"job": JOB}),
    runbook("release_job", "release a print job: the printer starts it when it is ready.", "write", {"job": JOB}),
    runbook("printers", "list the printers and the jobs on them", "read", {}),
]
PRINTS_DANGER = [
    runbook("hold_job", "hold a print job: the printer does not start it when it is ready.", "write", {"job": JOB}),
    runbook("cancel_job", "cancel a print job: every sheet printed so far is binned", "danger", {"job": JOB}),
    runbook("printers", "list the printers and the jobs on them", "read", {}),
]


async def test_guard_a_twin_asked_by_its_verb() -> None:
    assert calls(await plan("release J-0412, the proofs are signed off", PRINTS)) == \
        [("release_job", {"job": "J-0412"})]
    assert calls(await plan("hold J-0412, the proofs aren't signed", PRINTS)) == [("hold_job", {"job": "J-0412"})]


@pytest.mark.xfail(strict=True, reason="older, debatable ('can go' may mean release): verb_twin guards the choice "
                                       "by values, not one by meaning")
async def test_meaning_alone_never_picks_a_twin() -> None:
    """The repo's own rule (`verb_twin`) says "J-0412 can go when it's ready" cannot tell the hold
    from the release; with no `minutes` on the hold, meaning picks the release by itself."""
    assert _writes(await plan("J-0412 can go when it's ready", PRINTS)) == []


async def test_values_alone_never_pick_a_change_beside_a_danger_twin() -> None:
    """ "J-0412's proofs are wrong": no verb; neither the hold nor the cancel is proposed by values."""
    assert _writes(await plan("J-0412's proofs are wrong", PRINTS_DANGER)) == []
