"""Issue 19: a check, then a change if a state holds ("check lane 4 and if it's still jammed, start
it again"): the pronoun is what the check looked at, "out of service" is no "in service", a way
back asked after a condition is the user's own order, and a change named by its noun ("defrost
X" for `start_defrost`) — on tools made up for these tests (a bowling alley's lanes and an ice
rink's resurfacer). Each test was checked to fail without the rule it names."""

from __future__ import annotations

from chatops.bot.model import Answer
from tests.test_understanding import _ran, calls, plan, runbook

LANE = {"type": "int", "min": 1, "max": 24, "description": "Lane number, 1 to 24"}
LANE_TOOLS = [
    runbook("lane_status", "Show one bowling lane: pinsetter, ball return, game on it", "read", {"lane": LANE}),
    runbook("stop_lane", "Stop a lane's pinsetter for a repair", "write", {"lane": LANE}),
    runbook("resume_lane", "Resume a lane's pinsetter after a stop: it starts setting pins again", "write",
            {"lane": LANE}),
]


async def test_the_pronoun_of_an_action_after_a_check_is_what_the_check_looked_at() -> None:
    """ "check lane 4 and if it's still stopped, start it again": `it` is lane 4, the one value the
    check ran with, so "start 4 again" resumes it; when the check says it runs, nothing."""
    text = "check lane 4 and if it's still stopped, start it again"
    stopped = _ran("lane_status", {"lane": 4}, "problem", "lane 4: pinsetter STOPPED since 19:02, no game")
    assert calls(await plan(text, LANE_TOOLS, executed=[stopped], round=2)) == [("resume_lane", {"lane": 4})]
    running = _ran("lane_status", {"lane": 4}, "ok", "lane 4: pinsetter running, game 3 of 5")
    assert isinstance(await plan(text, LANE_TOOLS, executed=[running], round=2), Answer)


RINK = {"pattern": "^[0-9]{3}$", "description": "rink door, three digits, e.g. 021"}
DOOR_TOOLS = [
    runbook("rink_doors", "List the rink's doors by zone: in service or out of service", "read",
            {"zone": {"type": "enum", "values": ["north", "south"], "description": "zone"}}),
    runbook("door_out_of_service", "Take a rink door out of service: it stays locked.", "write", {"door": RINK}),
    runbook("door_back_in_service", "Put a rink door back into service: it opens on badge again.", "write",
            {"door": RINK}),
]


async def test_a_state_turned_around_by_its_particle_is_not_the_state_found() -> None:
    """ "if 021 is still out of service, put it back": its line saying "in service" shares
    "service" but says the opposite, so nothing is put back; saying OUT OF SERVICE, the way back
    is proposed, and it is the user's own order though the check's output also names the door."""
    text = "check the north zone and if 021 is still out of service, put it back"
    out = _ran("rink_doors", {"zone": "north"}, "problem", "DOOR STATE\n021  OUT OF SERVICE\n022  in service")
    assert calls(await plan(text, DOOR_TOOLS, executed=[out], round=2)) == [("door_back_in_service", {"door": "021"})]
    back = _ran("rink_doors", {"zone": "north"}, "ok", "DOOR STATE\n021  in service\n022  in service")
    assert isinstance(await plan(text, DOOR_TOOLS, executed=[back], round=2), Answer)


ICE_TOOLS = [
    runbook("ice_status", "Show the ice: surface temperature, thickness, last resurfacing", "read", {}),
    runbook("start_defrost", "Start a defrost of the rink's brine coils: the ice softens for an hour", "write",
            {"coil": {"pattern": "^C[0-9]$", "description": "coil, e.g. C2"}}),
]


async def test_a_change_named_by_the_event_its_verb_starts() -> None:
    """ "defrost C2" for `start_defrost` (the noun is also the verb of doing it, in WordNet), and
    "de-ice C2", which WordNet says means the same."""
    assert calls(await plan("defrost C2", ICE_TOOLS)) == [("start_defrost", {"coil": "C2"})]
    assert calls(await plan("de-ice C2", ICE_TOOLS)) == [("start_defrost", {"coil": "C2"})]


async def test_an_action_read_as_the_check_that_ran_is_not_run_again() -> None:
    """ "… and if it's still stopped, check the ball return of it": the only tool that reads lane 4
    is the check that just ran; the answer says what it found, with no second identical run."""
    text = "check lane 4 and if it's still stopped, check the ball return of it"
    stopped = _ran("lane_status", {"lane": 4}, "problem", "lane 4: pinsetter STOPPED since 19:02, no game")
    outcome = await plan(text, LANE_TOOLS, executed=[stopped], round=2)
    assert isinstance(outcome, Answer) and "STOPPED" in outcome.text, outcome


BOOTH = {"pattern": "^[a-z]+\\.(north|south)$", "description": "booth id, <name>.<site>, e.g. karaoke.north"}
BOOTH_TOOLS = [
    runbook("booths", "List the sound booths at a site: door locked or open, session, time left", "read",
            {"site": {"type": "enum", "values": ["north", "south"], "description": "site"}}),
    runbook("lock_booth", "Lock a sound booth's door", "write", {"booth": BOOTH}),
    runbook("unlock_booth", "Unlock a sound booth's door", "write", {"booth": BOOTH}),
]
BAY = {"type": "int", "min": 1, "max": 40, "description": "Bay number"}
HANGAR = {"pattern": "^[0-9]{4}-[A-Z]{3}$", "description": "hangar id, e.g. 1150-LDS"}
BAY_TOOLS = [
    runbook("hangar_status", "Show one hangar: its bays, which are blocked, which are free", "read",
            {"hangar": HANGAR}),
    runbook("block_bay", "Block a bay of a hangar so nothing is parked in it", "write", {"hangar": HANGAR, "bay": BAY}),
    runbook("unblock_bay", "Unblock a bay of a hangar", "write", {"hangar": HANGAR, "bay": BAY}),
]


async def test_a_dotted_id_the_condition_names_is_what_its_pronoun_stands_for() -> None:
    """ "if studio.north still has its door open, lock it": `it` is studio.north, named in the
    condition though no digit is in it, not the site the check listed."""
    text = "check the north booths and if studio.north still has its door open, lock it"
    found = _ran("booths", {"site": "north"}, "problem", "BOOTH  DOOR  SESSION\nstudio.north  OPEN  -\n"
                                                         "karaoke.north  locked  31:00")
    assert calls(await plan(text, BOOTH_TOOLS, executed=[found], round=2)) == \
        [("lock_booth", {"booth": "studio.north"})]
    fine = _ran("booths", {"site": "north"}, "ok", "BOOTH  DOOR  SESSION\nstudio.north  locked  -")
    assert isinstance(await plan(text, BOOTH_TOOLS, executed=[fine], round=2), Answer)


async def test_a_noun_and_its_number_the_condition_names_is_what_its_pronoun_stands_for() -> None:
    """ "check 1150-LDS and if bay 31 is still blocked, unblock it": bay 31 of the hangar checked."""
    text = "check 1150-LDS and if bay 31 is still blocked, unblock it"
    found = _ran("hangar_status", {"hangar": "1150-LDS"}, "problem", "1150-LDS: 40 bays, 2 blocked (bay 31, bay 7)")
    assert calls(await plan(text, BAY_TOOLS, executed=[found], round=2)) == \
        [("unblock_bay", {"bay": 31, "hangar": "1150-LDS"})]
