"""Plan cards as Components V2 stay within Discord's documented limits (40 components, nested
ones included; 4,000 characters across text displays; sections of 1–3 texts with an accessory)
for plans of any length and any amount of text, and keep the persistent Approve / Deny ids."""

from __future__ import annotations

import pytest

from chatops.adapters.discord.layout import IDS, PlanLayout
from chatops.adapters.discord.views import CUSTOM_ID
from chatops.bot.model import Plan, PlanStatus, Risk, Step, StepStatus, UserRef
from tests.fakes.discord_gateway import COMPONENTS_V2, check_message_limits, components_v2_problems, walk_components


def plan_of(steps: int, *, status: PlanStatus = PlanStatus.proposed, text: int = 300) -> Plan:
    return Plan(id="p-0123456789ab", goal="g" * 400, status=status, requester=UserRef(platform="discord", id="42"),
                steps=[Step(id=f"s-{n}", tool=f"tool_{n}", args={"unit": "u" * text}, reason="r" * text,
                            risk=Risk.write, status=StepStatus.succeeded if status is PlanStatus.succeeded
                            else StepStatus.proposed, result="x\n" * text, summary="s" * text)
                       for n in range(steps)])


@pytest.mark.parametrize("steps", [1, 2, 8, 9, 10, 20, 40])
@pytest.mark.parametrize("status", [PlanStatus.proposed, PlanStatus.succeeded])
def test_a_card_of_any_length_fits_discords_limits(steps, status):
    layout = PlanLayout(plan_of(steps, status=status), "Needs approval from a member of oncall" * 20)
    body = {"components": layout.to_components(), "flags": COMPONENTS_V2}
    assert components_v2_problems(body) == []
    check_message_limits(body, [])  # raises what Discord would refuse
    every = walk_components(body["components"])
    assert len(every) <= 40 and layout.content_length() <= 4000
    steps_text = "\n".join(c.get("content", "") for c in every if c.get("type") == 10)
    assert f"**{steps}. tool_{steps - 1}**" in steps_text  # the last step is on the card, however many


def test_waiting_cards_carry_the_persistent_decision_ids_and_decided_ones_none():
    waiting = walk_components(PlanLayout(plan_of(3)).to_components())
    clickable = [c["custom_id"] for c in waiting if c.get("type") == 2 and not c.get("disabled")]
    assert clickable == ["chatops:approve:p-0123456789ab", "chatops:deny:p-0123456789ab"]
    assert all(CUSTOM_ID.fullmatch(custom_id) for custom_id in clickable)
    assert next(c for c in waiting if c.get("id") == IDS["actions"])["type"] == 1
    done = walk_components(PlanLayout(plan_of(3, status=PlanStatus.succeeded)).to_components())
    assert [c for c in done if c.get("type") == 2 and not c.get("disabled")] == []
    badges = [c["label"] for c in done if c.get("type") == 2 and c.get("disabled")]
    assert badges == ["✓ ok"] * 3  # each step's badge beside its section


def test_the_fake_refuses_what_discord_refuses_with_components_v2():
    body = {"components": PlanLayout(plan_of(1)).to_components(), "flags": COMPONENTS_V2, "content": "hi"}
    assert "content: cannot be sent with IS_COMPONENTS_V2" in components_v2_problems(body)
    crowded = {"flags": COMPONENTS_V2, "components": [{"type": 10, "content": "x" * 100}] * 41}
    problems = components_v2_problems(crowded)
    assert any("more than 40" in p for p in problems) and any("more than 4000" in p for p in problems)
