"""Plan cards as Discord embeds, and text cut to Discord's limits.

A card is always rendered from the plan as stored, so an edit after a restart (or after events
arrived out of order) shows the truth. Limits kept here: 256 characters per title, 4,096 per
description, 1,024 per field value, 25 fields, 6,000 per embed; 2,000 per message.
"""

from __future__ import annotations

import json
from typing import Any

import discord

from chatops.adapters.discord.people import mention_of
from chatops.adapters.messages import is_text_output, output_text, step_badge
from chatops.bot.model import Plan, PlanStatus, Risk, Step, StepStatus

MESSAGE_LIMIT = 2000
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_LIMIT = 1024
EMBED_TOTAL_LIMIT = 6000
RESULT_SNIPPET = 300  # characters of a step's result shown on the card; longer ones also go as a file

COLOURS = {
    PlanStatus.proposed: discord.Colour.orange(),
    PlanStatus.approved: discord.Colour.blurple(),
    PlanStatus.running: discord.Colour.blurple(),
    PlanStatus.succeeded: discord.Colour.green(),
    PlanStatus.failed: discord.Colour.red(),
    PlanStatus.interrupted: discord.Colour.red(),
    PlanStatus.denied: discord.Colour.dark_grey(),
    PlanStatus.expired: discord.Colour.dark_grey(),
}
RISK_MARK = {Risk.read: "🟢 read", Risk.write: "🟠 write", Risk.danger: "🔴 danger"}


def clip(text: str, limit: int) -> str:
    """`text` in at most `limit` characters, an ellipsis marking a cut."""
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"


def result_text(result: Any, summary: str | None = None, error: str | None = None) -> str:
    """What a step produced, as text: the error, else the summary, else the result."""
    if error:
        return error
    if summary:
        return summary
    if result is None:
        return ""
    if isinstance(result, str):
        return result
    return json.dumps(result, indent=2, ensure_ascii=False, default=str)


def full_result_text(result: Any, error: str | None = None) -> str:
    """The whole output, for the .txt attachment: every line a program printed (not its
    summary), under the error when it failed."""
    return "\n\n".join(part for part in (error or "", output_text(result)) if part)


def code_block(text: str, limit: int) -> str:
    body = clip(text.replace("```", "`\u200b``"), max(1, limit - 8))
    return f"```\n{body}\n```"


def _arguments(step: Step) -> str:
    parts = []
    for key, value in step.args.items():
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
        parts.append(f"{key}={clip(str(shown), 80)}")
    return clip(" ".join(parts), 300).replace("`", "ˋ")


def decided_by(plan: Plan) -> str:
    """Who approved or denied the plan: the decider recorded on its gated steps."""
    for step in plan.steps:
        if step.decided_by and not step.decided_by.startswith("policy"):
            return mention_of(step.decided_by)
    return ""


def status_line(plan: Plan) -> str:
    who = decided_by(plan)
    by = f" by {who}" if who else ""
    if plan.status is PlanStatus.proposed:
        expires = f" · expires {discord.utils.format_dt(plan.expires_at, 'R')}" if plan.expires_at else ""
        return f"⏳ Waiting for approval{expires}" if plan.needs_approval else "⏳ Starting"
    return {
        PlanStatus.approved: f"☑️ Approved{by}",
        PlanStatus.running: f"▶️ Running{' · approved' + by if who else ''}",
        PlanStatus.succeeded: (f"⚠ Found a problem{' · approved' + by if who else ''}"
                               if any(s.outcome == "problem" for s in plan.steps)
                               else f"✅ Done{' · approved' + by if who else ''}"),
        PlanStatus.failed: f"❌ Failed{' · approved' + by if who else ''}",
        PlanStatus.interrupted: "⚠️ Interrupted (the bot restarted while it ran)",
        PlanStatus.denied: f"🚫 Denied{by}: nothing was changed",
        PlanStatus.expired: "⌛ Expired: nothing that needed approval was run",
    }[plan.status]


def _step_block(number: int, step: Step, budget: int) -> str:
    arguments = _arguments(step)
    head = f"**{number}. {step.tool}**" + (f" `{arguments}`" if arguments else "") + f" · {RISK_MARK[step.risk]}"
    badge = step_badge(step.status, step.outcome)  # the same marks as the terminal, the web and Slack
    lines = [head, f"{badge.mark} {badge.label}" + (f" — {clip(step.reason, 200)}" if step.reason else "")]
    if step.outcome == "problem" and step.summary:
        lines.append(f"⚠ {clip(step.summary, 300)}")
    if is_text_output(step.result):
        output = full_result_text(step.result, step.error)
    else:
        output = result_text(step.result, step.summary, step.error)
    if output and step.status in (StepStatus.succeeded, StepStatus.failed):
        room = min(RESULT_SNIPPET, budget - sum(len(line) + 1 for line in lines) - 1)
        if room > 20:
            lines.append(code_block(output, room))
    return clip("\n".join(lines), budget)


def colour_of(plan: Plan) -> discord.Colour:
    """The card's colour: a plan whose steps ran but found a problem is never green."""
    if plan.status is PlanStatus.succeeded and any(s.outcome == "problem" for s in plan.steps):
        return discord.Colour.gold()
    return COLOURS[plan.status]


def plan_embed(plan: Plan, who_may_approve: str = "") -> discord.Embed:
    """The card: goal, each step (tool, key arguments, risk, reason, status, result), who asked,
    who decided, and until when it waits. `who_may_approve` is the policy's own wording."""
    embed = discord.Embed(title=clip(f"Plan: {plan.goal}", TITLE_LIMIT), colour=colour_of(plan))
    budget = (DESCRIPTION_LIMIT - 2 * len(plan.steps)) // max(1, len(plan.steps))
    embed.description = clip("\n\n".join(_step_block(n, s, budget) for n, s in enumerate(plan.steps, 1)),
                             DESCRIPTION_LIMIT)
    embed.add_field(name="Status", value=clip(status_line(plan), FIELD_LIMIT), inline=False)
    if plan.requester is not None:
        embed.add_field(name="Requested by", value=mention_of(plan.requester.key), inline=True)
    gated = sorted({s.risk for s in plan.steps if s.risk is not Risk.read}, key=lambda r: r is Risk.danger)
    if who_may_approve and plan.status is PlanStatus.proposed:
        embed.add_field(name="Needs", value=clip(who_may_approve.removeprefix("Needs "), FIELD_LIMIT), inline=True)
    elif gated:
        embed.add_field(name="Needs", value="one approval", inline=True)
    embed.set_footer(text=f"plan {plan.id} · round {plan.round}")
    return embed


def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Text in messages of at most `limit` characters, cut at line ends where possible."""
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit)
        if cut < limit // 2:
            cut = limit
        chunks.append(rest[:cut])
        rest = rest[cut:].lstrip("\n")
    if rest or not chunks:
        chunks.append(rest)
    return chunks
