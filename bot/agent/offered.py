"""Consent to what the bot offered: the bot's last message names a tool and offers it ("reroute_
outbound_calls can send new +33 calls over bt-lon. Want me to?", "Yes: purge_print_queue cancels
every job…"), and the user answers "ok do it" / "go ahead" / "yes please". With no earlier plan
to repeat, that consent asks for the tool the bot named, with the values the conversation gave.

Only the bot's own message can name the tool, only one offered tool may be named there, and the
step goes through review and approval like any other: consent in words is never an approval. What
the consent makes the user's own is that offer's words (`bot.agent.provenance.turn_sources`): the
user read them and said yes, so their values are no longer data the user never asked for.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, NamedTuple

from chatops.bot.agent.arguments import fill_arguments
from chatops.bot.agent.entities import extract_entities, own_text
from chatops.bot.agent.param_kinds import Param
from chatops.bot.agent.step_wording import ask_for
from chatops.bot.model import Answer, Step
from chatops.tools.registry import ToolSpec

# "ok do it", "yes please", "go ahead", "yes go on", "sure, do it anyway", "yep do that now"
CONSENT = re.compile(
    r"^\W*(?:(?:ok(?:ay)?|k|yes|yeah|yep|yup|sure|fine|alright|right|then|please|pls|plz)[\s,.!]+)*"
    r"(?:do\s+(?:it|that|this)|go\s+(?:ahead|for\s+it|on)|yes|yeah|yep|sure|please\s+do|let'?s\s+do\s+(?:it|that)|"
    r"make\s+it\s+so|proceed)"
    r"(?:[\s,.!]+(?:anyway|anyways|then|now|please|pls|plz|thanks|thx))*\W*$",
    re.IGNORECASE,
)


def consents(text: str) -> bool:
    """Whether the whole message agrees to go ahead ("ok do it", "yes please"), and says nothing else."""
    return CONSENT.match(text.strip()) is not None


def accepted_offer(text: str, history: list[dict[str, Any]], tools: Iterable[ToolSpec], *,
                   asked: bool = True) -> ToolSpec | None:
    """The one tool the bot's last message named, when this message consents to it and says
    nothing else; else None. The bot's message must be the one this message answers, and (with
    `asked`, as the review reads it) must end by asking whether to go ahead: "The log's last line
    asks to run wipe_topic" reports data and offers nothing, and a yes to it asks for nothing."""
    if not consents(text) or not history or history[-1].get("role") not in ("bot", "assistant"):
        return None
    said = str(history[-1].get("text") or "")
    if asked and not _OFFERS.search(said):
        return None
    named = [spec for spec in tools if re.search(rf"(?<![\w.]){re.escape(spec.name)}(?![\w])", said)]
    if len(named) > 1:  # "withdraw_station would … none of its appliances is sent": a tool named `appliances`
        named = [spec for spec in named  # the subject it opens with, not the first of a choice ("x or y?")
                 if re.match(rf"\W*(?:yes\W+)?{re.escape(spec.name)}(?![\w])(?!\s*(?:,|/|or\b|and\b))", said, re.I)]
    return named[0] if len(named) == 1 else None


# how the bot offers a step and waits for the answer: a question to the user at the message's end
# ("Want me to?", "Shall I go ahead?", "Should I run it?"), not a report or a refusal
_OFFERS = re.compile(r"\b(?:want\s+me\s+to|shall\s+i|should\s+i|do\s+you\s+want\s+me\s+to|would\s+you\s+like\s+me\s+to|"
                     r"can\s+i|may\s+i|ok(?:ay)?\s+to|go\s+ahead)\b[^?\n]*\?\W*$", re.IGNORECASE)


# what the user's question implies for the values still missing (`bot.agent.implied_values`)
Implied = Callable[..., Awaitable[dict[str, tuple[Any, str]]]]


async def offered_step(text: str, history: list[dict[str, Any]], tools: list[ToolSpec],
                       implied: Implied | None = None) -> Step | Answer | None:
    """The step the bot's last message offered, when this message consents to it; the question
    for what it still needs when neither the user nor the offer gave a required value ("ok do it"
    to "abandon_race would void every bet on race 8. Want me to?" asks for the reason: the yes is
    to that tool, never an answer that no tool fits), unless the user's question told it ("smoke
    coming out of compressor 2's motor. shut the plant down?": the reason is a fire); else None."""
    # the planner proposes what the bot named ("Yes: purge_print_queue cancels every job …"); whether
    # the user asked for it is the review's question (the offer's question, or the user's own)
    spec = accepted_offer(text, history, tools, asked=False)
    if spec is None:
        return None
    said = str(history[-1].get("text") or "")
    asked = next((str(m.get("text") or "") for m in reversed(history) if m.get("role") == "user"), "")
    question = own_text(asked)[0]  # the user's own words, never an attachment's
    values = _values(spec, question, said)
    if values.args is None and values.unfilled and implied is not None:
        told = await implied(spec, values.unfilled, question, values.found, values.ties, tools, consented=True)
        args = {**values.found, **{name: value for name, (value, _) in told.items()}}
        if told and all(name in args for name in spec.parameters_schema.get("required") or ()):
            values = _Values(args, [*values.sources, *(source for _, source in told.values())], [], {}, args)
    if values.args is None:
        return Answer(text=ask_for(spec, values.unfilled, tools, values.ties, question)) if values.unfilled else None
    why = ", ".join(values.sources) if values.sources else "no arguments"
    return Step(tool=spec.name, args=values.args, risk=spec.risk,
                reason=f"you agreed to what I offered: {spec.name} ({why})"[:200])


class _Values(NamedTuple):
    args: dict[str, Any] | None  # None: a required value missing, or two that tie
    sources: list[str]
    unfilled: list[Param]  # required values neither the question nor the offer gave
    ties: dict[str, list[str]]  # the question's ties
    found: dict[str, Any]  # what was found, also when `args` is None


def _values(spec: ToolSpec, asked: str, said: str) -> _Values:
    """The arguments from the user's question, then what the bot's offer adds; None when a required
    one is missing or two values tie (the offer is then too vague to act on). An offer that tells
    what the default does ("for 21 days", the treatment's default) sets nothing: the step runs the
    same, and its card shows only what was chosen."""
    from_user = fill_arguments(spec, extract_entities(asked))
    from_bot = fill_arguments(spec, extract_entities(said))
    defaults = {name: schema.get("default") for name, schema in
                (spec.parameters_schema.get("properties") or {}).items() if "default" in schema}
    args: dict[str, Any] = {}
    sources: list[str] = []
    for filled, where in ((from_user, "from your question"), (from_bot, "from my offer")):
        for name, value in filled.args.items():
            if filled is from_bot and name in defaults and defaults[name] == value:
                continue
            if name not in args and name not in filled.guessed:
                args[name] = value
                sources.append(f"{name} {value} {where}")
    tied = (set(from_user.ties) | set(from_bot.ties)) - set(args)
    missing = [param.name for param in from_user.missing if param.name not in args]
    unfilled = [param for param in from_user.missing if not from_bot.args.get(param.name)]
    return _Values(None if tied or missing else args, sources, unfilled, from_user.ties, args)


# "should we stop ahu-02@annex?", "…, can you drain node-7?": a question whether to act, asked of the bot
_WHETHER = re.compile(r"(?:^|[,.;:!]\s*)\W*(?:should|shall|can|could|would|will)\s+(?:we|i|you|u)\s+([^?.!]+)",
                      re.IGNORECASE)


def question_consented_to(text: str, history: list[dict[str, Any]], tool: str) -> str | None:
    """The user's question whether to act, read as the order it becomes once the user consents to
    the bot's offer of `tool` ("should we stop ahu-02@annex?" … "Want me to?" … "ok do it" is
    "stop ahu-02@annex"): the last such question, without its "should we". None unless this
    message consents, the bot's last message (the one it answers) names the tool, and the user's
    message before it asked whether to act."""
    if not consents(text) or len(history) < 2 or history[-1].get("role") not in ("bot", "assistant"):
        return None
    if not re.search(rf"(?<![\w.]){re.escape(tool)}(?![\w])", str(history[-1].get("text") or "")):
        return None
    asked = next((str(m.get("text") or "") for m in reversed(history) if m.get("role") == "user"), "")
    questions = list(_WHETHER.finditer(own_text(asked)[0]))  # the user's own words, never an attachment's
    return questions[-1].group(1).strip() if questions else None
