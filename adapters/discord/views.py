"""The Approve / Deny buttons under a plan card.

Each button is a `DynamicItem` whose `custom_id` carries the verdict and the plan id
(`chatops:approve:p-…`). The class is registered once with the client at start-up, so every
button ever posted for any plan, pending before a restart or posted since, is answered by
matching its `custom_id`: no view object per message has to survive, and none needs its
message id. (Persistent `View`s registered with `add_view` per pending plan would work too; a
dynamic item needs no bookkeeping and cannot miss a plan.)
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from chatops.bot.model import FollowUp, Plan, PlanStatus, StepStatus

if TYPE_CHECKING:
    from chatops.adapters.discord.client import ChatopsClient

CUSTOM_ID = re.compile(r"chatops:(?P<verdict>approve|deny):(?P<plan_id>[A-Za-z0-9_-]{1,80})")


class DecisionButton(discord.ui.DynamicItem[discord.ui.Button], template=CUSTOM_ID):
    def __init__(self, plan_id: str, approve: bool) -> None:
        verdict = "approve" if approve else "deny"
        super().__init__(discord.ui.Button(
            label="Approve" if approve else "Deny",
            style=discord.ButtonStyle.success if approve else discord.ButtonStyle.danger,
            custom_id=f"chatops:{verdict}:{plan_id}",
        ))
        self.plan_id = plan_id
        self.approve = approve

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> DecisionButton:
        return cls(match["plan_id"], match["verdict"] == "approve")

    async def callback(self, interaction: discord.Interaction[ChatopsClient]) -> None:  # type: ignore[override]
        await interaction.client.on_decision_click(interaction, self.plan_id, self.approve)


ONLY_ID = re.compile(r"chatops:only:(?P<plan_id>[A-Za-z0-9_-]{1,80})")


class StepChoice(discord.ui.DynamicItem[discord.ui.Select], template=ONLY_ID):
    """"Approve only…": a menu of the plan's waiting steps; choosing some approves just those (the
    others are skipped). Matched by custom_id like the buttons, so it works after a restart."""

    def __init__(self, plan_id: str, options: list[discord.SelectOption] | None = None) -> None:
        options = options or [discord.SelectOption(label="(the plan's steps)", value="-")]
        super().__init__(discord.ui.Select(custom_id=f"chatops:only:{plan_id}", placeholder="Approve only some steps…",
                                           min_values=1, max_values=len(options), options=options))
        self.plan_id = plan_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> StepChoice:
        return cls(match["plan_id"])

    async def callback(self, interaction: discord.Interaction[ChatopsClient]) -> None:  # type: ignore[override]
        values = list((interaction.data or {}).get("values") or [])  # type: ignore[union-attr]
        await interaction.client.adapter.on_step_choice(interaction, self.plan_id, values)


def step_choice(plan: Plan) -> StepChoice | None:
    """The menu, when two or more steps wait for the decision."""
    waiting = [(number, step) for number, step in enumerate(plan.steps, 1) if step.status is StepStatus.proposed]
    if plan.status is not PlanStatus.proposed or not plan.needs_approval or len(waiting) < 2:
        return None
    options = [discord.SelectOption(label=f"{number}. {step.tool} "[:100] + " ".join(
        f"{k}={v}" for k, v in step.args.items())[:60], value=step.id) for number, step in waiting[:25]]
    return StepChoice(plan.id, options)


def decision_view(plan: Plan) -> discord.ui.View | None:
    """Approve / Deny while the plan waits for a decision; no buttons once it is decided."""
    if plan.status is not PlanStatus.proposed or not plan.needs_approval:
        return None
    view = discord.ui.View(timeout=None)
    view.add_item(DecisionButton(plan.id, approve=True))
    view.add_item(DecisionButton(plan.id, approve=False))
    return view


NEXT_ID = re.compile(r"chatops:next:(?P<index>[0-9])")


class NextStepButton(discord.ui.DynamicItem[discord.ui.Button], template=NEXT_ID):
    """An answer's next step. The `custom_id` carries only its place among the answer's offers;
    the request is read back from the answer the button sits under (`bot.next_steps`), so any
    button ever posted works after a restart and none can carry a request the answer did not say."""

    def __init__(self, index: int, label: str = "Next step") -> None:
        super().__init__(discord.ui.Button(label=label[:80], style=discord.ButtonStyle.secondary,
                                           custom_id=f"chatops:next:{index}"))
        self.index = index

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> NextStepButton:
        return cls(int(match["index"]))

    async def callback(self, interaction: discord.Interaction[ChatopsClient]) -> None:  # type: ignore[override]
        await interaction.client.adapter.on_next_step(interaction, self.index)


def next_steps_view(offers: list[FollowUp]) -> discord.ui.View | None:
    """The buttons under an answer, one per next step a tool can run."""
    if not offers:
        return None
    view = discord.ui.View(timeout=None)
    for index, offer in enumerate(offers[:5]):
        view.add_item(NextStepButton(index, f"▶ {offer.label}"))
    return view


REASON_ID = "chatops:deny-reason"
MAX_REASON = 2000


class DenyReasonModal(discord.ui.Modal):
    """Deny with a reason: opened by a Deny click, it asks why (optional); submitting denies the
    plan with it, so the thread's denial quotes the reason and the audit log keeps it."""

    def __init__(self, plan_id: str, goal: str, click_id: int) -> None:
        super().__init__(title="Deny this plan", timeout=600, custom_id=f"chatops:deny:{plan_id}:why:{click_id}"[:100])
        self.plan_id = plan_id
        self.reason: discord.ui.TextInput[DenyReasonModal] = discord.ui.TextInput(
            style=discord.TextStyle.paragraph, required=False, max_length=MAX_REASON, custom_id=REASON_ID,
            placeholder=f"Why not “{goal}”?"[:100])
        self.add_item(discord.ui.Label(text="Why? (shown in the thread, kept in the audit log)"[:45],
                                       component=self.reason))

    async def on_submit(self, interaction: discord.Interaction[ChatopsClient]) -> None:  # type: ignore[override]
        await interaction.client.adapter.on_deny_reason(interaction, self.plan_id, (self.reason.value or "").strip())
