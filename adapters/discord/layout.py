"""Plan cards as Discord Components V2 (`discord.ui.LayoutView`, flag `IS_COMPONENTS_V2`).

One container whose accent colour follows the plan's state holds: the goal as a heading, who asked
and what it needs, a section per step (its text, and its badge as a disabled button beside it),
the status line, Approve / Deny in an action row while the plan waits (above them, when several
steps wait, an "approve only…" menu), and the plan id. The buttons are the same dynamic items as
on embed cards (`chatops:approve:p-…`; the menu `chatops:only:p-…`), matched by custom_id, so
they keep working after a restart.

Discord's limits on such a message: 40 components in all (nested ones count) and 4,000
characters across its text displays. Up to `MAX_STEP_SECTIONS` steps get a section each; the
rest share one text display. Component ids are fixed (`IDS`) so a reader (or a test) finds the
status or a step by id, whatever the plan's length.
"""

from __future__ import annotations

import discord
from discord import ui

from chatops.adapters.discord.embeds import RISK_MARK, _step_block, clip, colour_of, status_line
from chatops.adapters.discord.people import mention_of
from chatops.adapters.discord.views import DecisionButton, step_choice
from chatops.adapters.messages import step_badge
from chatops.bot.model import Plan, PlanStatus, Risk

MAX_COMPONENTS = 40
MAX_TEXT = 4000
FIXED_COMPONENTS = 14  # container, heading, people, 2 separators, status, row + 2 buttons, footer, overflow,
# and the "approve only…" menu in its row
MAX_STEP_SECTIONS = (MAX_COMPONENTS - FIXED_COMPONENTS) // 3  # a section, its text, its badge
BADGE_LABEL = 80
FIXED_TEXT = 300 + 300 + 300 + 80  # heading, people, status, footer (each clipped to that)
OVERFLOW_TEXT = 2000  # the steps past the sections, one short line each
IDS = {"container": 1, "heading": 2, "people": 3, "status": 4, "footer": 5, "actions": 6, "more": 7, "choice": 8}
STEP_ID_BASE = 100  # step n: section 100 + 3n, its text + 1, its badge + 2


class PlanLayout(ui.LayoutView):
    """A plan card; built afresh from the stored plan on every change."""

    def __init__(self, plan: Plan, who_may_approve: str = "") -> None:
        super().__init__(timeout=None)
        self.add_item(plan_container(plan, who_may_approve))


def plan_container(plan: Plan, who_may_approve: str = "") -> ui.Container:
    container: ui.Container = ui.Container(accent_colour=colour_of(plan), id=IDS["container"])
    container.add_item(ui.TextDisplay(clip(f"## Plan: {plan.goal}", 300), id=IDS["heading"]))
    container.add_item(ui.TextDisplay(_people(plan, who_may_approve), id=IDS["people"]))
    container.add_item(ui.Separator(spacing=discord.SeparatorSpacing.small))
    shown = plan.steps[:MAX_STEP_SECTIONS] if len(plan.steps) <= MAX_STEP_SECTIONS else \
        plan.steps[: MAX_STEP_SECTIONS - 1]
    rest = plan.steps[len(shown):]
    more = clip("\n".join(f"**{number}. {step.tool}** {RISK_MARK[step.risk].split()[0]} "
                          f"{step_badge(step.status, step.outcome).mark} {step_badge(step.status, step.outcome).label}"
                          for number, step in enumerate(rest, len(shown) + 1)), OVERFLOW_TEXT) if rest else ""
    budget = max(120, (MAX_TEXT - FIXED_TEXT - len(more)) // max(1, len(shown)))
    for number, step in enumerate(shown, 1):
        base = STEP_ID_BASE + 3 * number
        badge = step_badge(step.status, step.outcome)
        container.add_item(ui.Section(
            ui.TextDisplay(_step_block(number, step, budget), id=base + 1),
            accessory=ui.Button(label=clip(f"{badge.mark} {badge.label}", BADGE_LABEL), disabled=True,
                                style=discord.ButtonStyle.secondary,
                                custom_id=f"chatops:badge:{plan.id}:{number}"[:100], id=base + 2),
            id=base))
    if more:
        container.add_item(ui.TextDisplay(more, id=IDS["more"]))
    container.add_item(ui.Separator(spacing=discord.SeparatorSpacing.small))
    container.add_item(ui.TextDisplay(clip(status_line(plan), 300), id=IDS["status"]))
    if plan.status is PlanStatus.proposed and plan.needs_approval:
        choice = step_choice(plan)
        if choice is not None:
            container.add_item(ui.ActionRow(choice, id=IDS["choice"]))
        container.add_item(ui.ActionRow(DecisionButton(plan.id, approve=True), DecisionButton(plan.id, approve=False),
                                        id=IDS["actions"]))
    container.add_item(ui.TextDisplay(f"-# plan {plan.id} · round {plan.round}", id=IDS["footer"]))
    return container


def _people(plan: Plan, who_may_approve: str) -> str:
    parts = [f"Requested by {mention_of(plan.requester.key)}" if plan.requester is not None else ""]
    gated = any(step.risk is not Risk.read or step.tainted for step in plan.steps)
    if who_may_approve and plan.status is PlanStatus.proposed:
        parts.append(who_may_approve)
    elif gated:
        parts.append("Needs one approval")
    return clip(" · ".join(part for part in parts if part), 300) or "\u200b"


def text_length(view: ui.LayoutView) -> int:
    """What Discord counts against the 4,000 characters of a message's text displays."""
    return view.content_length()
