"""Whether the state a conditional's condition names is the state its check found: "check the upper
reach and if SL-04b is still shut, open it" holds when the output's line of SL-04b says shut, not
because the check flagged some other gate.

Why apart from `bot.agent.conditions`: that module splits the request and decides conditions that
say a target is unwell ("if it is down") by the check's outcome, which is what such a check
reports. A condition that names a state of its own ("is still shut", "is empty", "is fine") is the
user's question, and the check's outcome is not its answer. The output decides where it speaks:

- the condition names a thing written like a value (SL-04b): that thing's lines in the output;
- otherwise every line of the output;
- the named thing's lines say one of the condition's state words (by stem) → it holds, else not;
  with no thing named, a state word in a flagged output confirms the flag; a condition of
  wellness ("if everything is fine") holds when nothing was flagged;
- a check that failed says nothing about a named state: it does not hold.

None means the output does not speak to it (the state's words are nowhere), and the caller falls
back on the check's outcome — except before a danger step, which needs the output to confirm."""

from __future__ import annotations

import re

from chatops.bot.agent.conditions import Conditional, condition_subject, counts
from chatops.bot.agent.entities import stem, words_of
from chatops.bot.agent.lexicon import CONDITION, wordset
from chatops.bot.agent.verb_senses import opposes
from chatops.bot.model import Plan, StepStatus

# words of the condition that say nothing of the state: its grammar, and "still", "again"
_FILLERS = wordset("it its it's they them their he she her his is are was were be been being has have had "
                   "a an the this that these those there still again yet now currently any some on in at of "
                   "so if then")
_WELL = wordset("fine ok okay healthy good green normal clear alright well")
_ALL = wordset("everything all every nothing anything")
_TURNING = wordset("out off down up over")
_HISTORY = re.compile(r"[(\[][^()\[\]]*(?:\b(?:was|were|had|until|since|formerly|previously|earlier)\b|"
                      r"\d{1,2}:\d{2}\s*[-–]\s*\d{1,2}:\d{2})[^()\[\]]*[)\]]|"
                      r"\s[-–—]\s+(?:was|were|had\s+been|until)\b.*$", re.IGNORECASE)


def names_a_state(conditional: Conditional) -> bool:
    """Whether the condition names a state of its own, which only the output can confirm (not "if
    so", a target unwell, or a count)."""
    condition = conditional.condition.strip()
    return not (condition.lower() == "so" or _says_unwell(condition) or counts(condition))


def judged(conditional: Conditional, plans: list[Plan]) -> bool | None:
    """Whether the condition holds by what the output says; None when it says nothing of it, or the
    condition says a target is unwell (the outcome's business)."""
    if not names_a_state(conditional):
        return None  # "if so", "if it is down", "if more than 20 are waiting": as the outcome or the count says
    condition = conditional.condition.strip()
    subject = condition_subject(condition)
    named = set(words_of(subject)) if subject else set()  # "T2/R05" is the words t2 and r05 too
    words = [word for word in words_of(condition) if word not in _FILLERS and word not in named]
    states = [word for word in words if word not in _ALL]
    if not states:
        return None
    steps = [step for plan in plans for step in plan.steps]
    if all(word in _WELL for word in states):
        return not any(step.status is StepStatus.failed or step.outcome == "problem" for step in steps)
    if any(step.status is StepStatus.failed for step in steps):
        return False  # "if it is empty" and the check could not run: nothing says it is
    # "021  in service (was out of service until 09:10)": what it was is no state it is in
    lines = [_HISTORY.sub(" ", line) for step in steps for line in (step.summary or "").splitlines() if line.strip()]
    if subject is not None:
        lines = [line for line in lines
                 if re.search(rf"(?<![\w.-]){re.escape(subject)}(?![\w-])", line, re.IGNORECASE)]
        if not lines:
            return None
    said = {stem(word) for line in lines for word in words_of(line)}
    if subject is not None:  # the named thing's own lines: they say its state, or its opposite, or neither
        # a particle turns the state around ("out of service" is no "in service"): it must be said too
        if {stem(word) for word in states} & said and all(stem(word) in said for word in states if word in _TURNING):
            return True
        told = {word for line in lines for word in words_of(line)}
        return False if any(opposes(word, state) for word in told for state in states) else None
    # any line: a state word there confirms the check's flag ("it's past its heartbeat window" and a
    # frozen screen), but a word that is only what is measured ("heartbeat 5 s ago") confirms nothing
    flagged = any(step.outcome == "problem" for step in steps)
    return True if flagged and {stem(word) for word in states} & said else None


def _says_unwell(condition: str) -> bool:
    """ "it is down", "web-3 doesn't respond": the conditions the check's outcome answers."""
    match = CONDITION.search(f"if {condition}")
    return match is not None and match.group("cond").strip().lower() != "so" and \
        re.search(r"\b(?:down|fail\w*|broken|unreachable|not|doesn'?t|isn'?t|dead|errors?|refused|unhealthy)\b",
                  condition, re.IGNORECASE) is not None
