"""Conditional requests: "check http://… and restart web if it is down".

Such a request is two rounds: the check runs at once (read-only); when its result shows a problem
(the step's `outcome` is "problem", or it failed), the next round proposes the action for approval;
when it is fine, the answer says so and nothing is proposed. This module only splits the request
into its check and its action; `bot.agent.guided` plans each in its round.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from chatops.bot.agent.enums import enum_aliases, enum_matches
from chatops.bot.agent.lexicon import CONDITION
from chatops.bot.agent.param_kinds import parameters, same_values
from chatops.bot.model import Plan, Risk, Step, StepStatus
from chatops.tools.registry import ToolSpec

_JOIN = re.compile(r"\s*(?:,\s*)?(?:\band\s+then\b|\band\b|\bthen\b|,)\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Conditional:
    check: str  # "check http://127.0.0.1:8099/health"
    action: str  # "restart nginx"
    condition: str  # "it is down"


# "check the T2 belts and if T2/R05 is still stopped, start it": a check, then the state it must find
# (any subject, any state: the check's result decides), a comma, and the action
_AND_IF = re.compile(r"^(?P<check>.+?)(?:,\s*|\s+)and\s+if\s+(?P<cond>[^,;\n]{1,80}?)\s*,\s*"
                     r"(?:then\s+)?(?P<action>\S.*)$", re.IGNORECASE | re.DOTALL)


def split_conditional(text: str) -> Conditional | None:
    """The check and the action of "<check> and <action> if <unwell>", "if <target unwell>,
    <action>" or "<check> and if <state>, <action>"; None for any other request."""
    told = _AND_IF.match(text.strip())
    if told is not None and told.group("action").strip(" ,.;!?"):
        return Conditional(check=told.group("check").strip(), action=told.group("action").strip(" ,.;!?"),
                           condition=told.group("cond").strip())
    match = CONDITION.search(text)
    if match is None:
        return None
    before, after = text[: match.start()].strip(), text[match.end():].strip(" ,.;!?")
    condition = match.group("cond").strip()
    if not before and after:  # "if https://x is not responding, bounce the api"
        after = re.sub(r"^(?:then\s+)", "", after, flags=re.IGNORECASE)
        return Conditional(check=condition, action=after, condition=condition)
    if after and re.search(r"(?:,|\band)\s*$", before):  # "check X and if so unlock him": the action follows
        check = re.sub(r"\s*(?:,\s*)?(?:\band\b)?\s*$", "", before)
        return Conditional(check=check, action=re.sub(r"^(?:then\s+)", "", after, flags=re.IGNORECASE),
                           condition=condition) if check else None
    pieces = [piece for piece in _JOIN.split(before) if piece and piece.strip()]
    if len(pieces) < 2:
        return None
    return Conditional(check=" ".join(pieces[:-1]), action=pieces[-1], condition=condition)


_SUBJECT = re.compile(r"^(?:the\s+)?(?P<subject>[^\s,;]*\d[^\s,;]*)(?:'s)?\s+"
                      r"(?:is|are|was|has|have|still|isn'?t|hasn'?t)\b", re.IGNORECASE)
_PRONOUN = re.compile(r"\b(?:it|him|her|them)\b", re.IGNORECASE)


# "vault.leeds still has its maglocks released", "door 31 is still blocked": a name of a dotted or
# joined id, or a noun and its number, before the verb that tells its state
_NAMED_SUBJECT = re.compile(r"^(?:the\s+)?(?P<subject>[a-z][\w-]*[._:@/][\w.:@/-]*[a-z0-9]|[a-z]{3,}\s+#?\d+[a-z]?)"
                            r"(?:'s|’s)?\s+(?:is|are|was|has|have|still|isn'?t|hasn'?t)\b", re.IGNORECASE)


def condition_subject(condition: str) -> str | None:
    """The thing a condition names, when it is written like a value: "T2/R05" of "T2/R05 is still
    stopped", "vault.leeds" of "vault.leeds still has its maglocks released", "door 31" of "door 31
    is still blocked"; None for "it's still parked" or "the door's unlocked"."""
    subject = _SUBJECT.match(condition.strip()) or _NAMED_SUBJECT.match(condition.strip())
    return subject.group("subject") if subject else None


def action_on_subject(conditional: Conditional, looked_at: str | None = None) -> str:
    """The action with the thing its condition names in place of its pronoun: "if T2/R05 is still
    stopped, start it" starts T2/R05, not the belts the check listed. A condition whose subject is
    no value ("if it's still parked", "if the door's unlocked") points at what the check looked at:
    `looked_at`, the one value the check ran with ("check screen 11 and if it's still paused, start
    it again" starts screen 11 again), or, without one, the action is left as it is."""
    value = condition_subject(conditional.condition)
    if value is None:  # what the check looked at stands only for a pronoun, never added to an action
        return _PRONOUN.sub(looked_at, conditional.action, count=1) if looked_at else conditional.action
    if _PRONOUN.search(conditional.action):
        return _PRONOUN.sub(value, conditional.action, count=1)
    return f"{conditional.action} {value}"


def state_values(conditional: Conditional, spec: ToolSpec, args: dict[str, Any]) -> dict[str, Any]:
    """The enum values the condition names for the action's parameters it left unset: "if coag-01
    is in qc-fail, divert it" diverts it with reason qc-fail, the state the user named."""
    found: dict[str, Any] = {}
    for param in parameters(spec):
        if param.kind != "enum" or param.name in args:
            continue
        named = enum_matches(param.enum, conditional.condition, enum_aliases(param.schema))
        if len(set(named)) == 1 and named[0] != param.schema.get("default"):
            found[param.name] = named[0]
    return found


def found_problem(plans: list[Plan], condition: str = "") -> bool:
    """Whether the checks of the earlier rounds found a problem or could not run. A condition that
    holds a count ("more than 20 callers are waiting") is decided by the count the check's result
    states next to the same words ("34 waiting"), where it states one; otherwise by its outcome."""
    steps = [step for plan in plans for step in plan.steps]
    if any(step.status is StepStatus.failed for step in steps):
        return True
    held = counted_condition(condition, [step.summary or "" for step in steps])
    if held is not None:
        return held
    return any(step.outcome == "problem" for step in steps)


_COMPARED = re.compile(r"^(?:there\s+(?:are|is)\s+|(?:it|they|that)(?:'s|\s+is|\s+are|'re)\s+)?"
                       r"(?P<how>more\s+than|over|above|fewer\s+than|less\s+than|below|under|at\s+least)\s+"
                       r"(?P<number>\d[\d,]*(?:\.\d+)?)\s*(?P<percent>%|percent)?\s*(?P<about>.*)$", re.IGNORECASE)
_FOUND_NUMBER = r"(?<![\w.:/-])(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s*(%?)"  # "12,400,000", "31%"


def counted_condition(condition: str, summaries: list[str]) -> bool | None:
    """Whether "more than 20 callers are waiting" holds for "billing: OPEN, 34 waiting, …": the
    number the result writes right before or after one of the condition's own words, compared as
    asked. The condition's last word is tried first: it says what is counted ("3 hosts are down"
    counts the down ones, not "hosts 20"). A percentage is compared only with a percentage ("50%
    used" is not "62 TiB used"). None when the condition holds no count or the result states no
    such number (the check's outcome decides then)."""
    match = _COMPARED.match(condition.strip())
    if match is None:
        return None
    limit = float(match.group("number").replace(",", ""))
    percent = match.group("percent") is not None
    about = re.findall(r"[a-z]+", match.group("about").lower())
    words = [word for at, word in enumerate(about) if (len(word) >= 4 or at == len(about) - 1)
             and word not in {"than", "there", "their", "they", "still", "that", "this", "with", "are", "is", "be"}]
    how = match.group("how").lower().split()[0]
    if not words and percent:  # "if it's over 90%": the one percentage the check states, where it states one
        shares = [float(found.group(1).replace(",", "")) for summary in summaries
                  for found in re.finditer(_FOUND_NUMBER, summary) if found.group(2)]
        if len(shares) == 1:
            return _holds(how, shares[0], limit)
    for word in reversed(words):
        stemmed = re.escape(word.rstrip("s"))
        for summary in summaries:
            found = _number_beside(stemmed, summary, percent)
            if found is None:
                continue
            return _holds(how, found, limit)
    return None


def counts(condition: str) -> bool:
    """Whether the condition holds a count the check's result is held to ("more than 20 are waiting")."""
    return _COMPARED.match(condition.strip()) is not None


def _holds(how: str, found: float, limit: float) -> bool:
    return {"more": found > limit, "over": found > limit, "above": found > limit,
            "fewer": found < limit, "less": found < limit, "below": found < limit, "under": found < limit,
            "at": found >= limit}[how]


def _number_beside(stemmed: str, summary: str, percent: bool) -> float | None:
    """The number written right before ("34 waiting", "62 TiB used") or right after ("used: 31%",
    "down 3") a word, that is a percentage exactly when one is asked for."""
    for near in [*re.finditer(_FOUND_NUMBER + rf"\s+(?:[A-Za-z]+\s+)?{stemmed}\w*", summary, re.IGNORECASE),
                 *re.finditer(rf"\b{stemmed}\w*\W{{1,3}}" + _FOUND_NUMBER, summary, re.IGNORECASE)]:
        if bool(near.group(2)) == percent:
            return float(near.group(1).replace(",", ""))
    return None


def thing_looked_at(check: Step, tools: list[ToolSpec]) -> str | None:
    """The one value a check ran with that names a thing a change acts on: a parameter a change on
    offer takes too, of the same values (`screen` of 1 to 14 for `lane_status` and `resume_show`),
    not a count of lines or events ("show the last 20 kiosk events": 20 is no kiosk)."""
    values = [(name, value) for name, value in check.args.items()
              if isinstance(value, (str, int)) and not isinstance(value, bool)]
    spec = next((tool for tool in tools if tool.name == check.tool), None)
    if len(values) != 1 or spec is None:
        return None
    name, value = values[0]
    schema = next((param.schema for param in parameters(spec) if param.name == name), None)
    shared = schema is not None and any(
        param.name == name and same_values(param.schema, schema)
        for tool in tools if tool.risk is not Risk.read for param in parameters(tool))
    return str(value) if shared else None


def takes_it_as_the_check(step: Step, check: Step, tools: list[ToolSpec]) -> bool:
    """Whether a step that took the check's value takes it as the same thing: under a parameter
    of the check's name and values (`screen` for `screen`), not a kiosk for a zone."""
    specs = {tool.name: tool for tool in tools}
    if step.tool not in specs or check.tool not in specs:
        return False
    checked = {param.name: param.schema for param in parameters(specs[check.tool]) if param.name in check.args}
    own = {param.name: param.schema for param in parameters(specs[step.tool])}
    for name, value in step.args.items():
        for check_name, check_value in check.args.items():
            if str(value) == str(check_value) and not (
                    name == check_name and name in own and same_values(own[name], checked.get(check_name, {}))):
                return False
    return True
