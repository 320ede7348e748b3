"""Issue 19: values read from how the request writes them, on tools made up for these tests (the
real guided planner, the real sentence encoder; the small model is never asked).

- an id written in digits only fills a parameter whose pattern takes only digits of that length;
- a parameter named by a preposition of movement (`to`, `from_version`) takes the value written
  after that preposition, wherever the order's object is."""

from __future__ import annotations

from chatops.bot.agent.arguments import fill_arguments
from chatops.bot.agent.entities import extract_entities
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
