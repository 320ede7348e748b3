"""Issue 19: an optional number said the way the tool's own examples say it ("at 20" for a
runbook whose example is "… out at 20g"), on tools made up for these tests (the real guided
planner, the real sentence encoder; the small model is never asked)."""

from __future__ import annotations

from tests.test_understanding import calls, plan, runbook

_PLOT = {"pattern": "^[A-Z][0-9]{2}$", "description": "Field plot, a letter and two digits, e.g. F07"}

SPRAY_TOOLS = [
    runbook("spray_plots", "Show each field plot: crop, last spray and whether it is due", "read", {}),
    runbook("send_sprayer", "Send the sprayer to a field plot now: the driver is paged and the boom is set to "
            "the given dose", "write",
            {"plot": _PLOT,
             "dose": {"type": "int", "min": 0, "max": 60, "default": 15,
                      "description": "Dose in l/ha of the mix: 15 routine, 30 heavy blight"}},
            examples=["send F07 out at 30l, blight on the east side"]),
    runbook("hold_harvest", "Hold the harvest of a plot so no combine is sent to it", "write",
            {"plot": _PLOT,
             "minutes": {"type": "int", "min": 0, "max": 600, "default": 60,
                         "description": "minutes the harvest is held; 0 = until someone releases it"}},
            examples=["hold F02 for 20 min, wet patch on row 5"]),
]


async def test_a_number_said_as_the_examples_say_it_fills_the_parameter() -> None:
    """ "at 30" and "30l" are how the team says the dose: leaving it out would send the sprayer
    at the default, which the approver might not notice."""
    assert calls(await plan("send G12 out at 30, the blight's spreading", SPRAY_TOOLS)) == \
        [("send_sprayer", {"plot": "G12", "dose": 30})]
    assert calls(await plan("get the sprayer to G12, 30l please", SPRAY_TOOLS)) == \
        [("send_sprayer", {"plot": "G12", "dose": 30})]


async def test_no_cue_or_a_time_of_day_fills_nothing() -> None:
    """A figure without the examples' word or unit, or one that is a time of day ("at 6
    tonight"), is not the dose; and an example with two figures ("20 min … row 5") teaches
    nothing, so "row 3" is not minutes."""
    assert calls(await plan("send G12 out, spores on the headland", SPRAY_TOOLS)) == \
        [("send_sprayer", {"plot": "G12"})]
    assert calls(await plan("send G12 out at 6 tonight", SPRAY_TOOLS)) == [("send_sprayer", {"plot": "G12"})]
    assert calls(await plan("hold G04, combine stuck on row 3", SPRAY_TOOLS)) == [("hold_harvest", {"plot": "G04"})]


async def test_a_count_of_people_is_no_dose() -> None:
    """ "3 people" counts people, a noun neither the dose nor the tool speaks of: the figure next to
    the tool's verb is no dose (it was, before session 24's last change); "the last 3 sprays" still
    counts the tool's own things."""
    assert calls(await plan("send G12 out, 3 people on the headland", SPRAY_TOOLS)) == \
        [("send_sprayer", {"plot": "G12"})]
