"""Two changes that move one thing between two states, named by where each sends it
(`switch_to_main` / `switch_to_reserve`, `pump_hand` / `pump_auto`): which one an order asks for,
by what the request says of each state.

Why: both twins share the verb and the object, so the verb ("change over", "switch it back")
cannot choose, and the state word the request does write is often the state the thing is in
*now*: "the main tx on 88.6 has tripped, change over" moves it off main, to reserve; "88.6 is
still on reserve, switch it back" moves it to main. Scoring by the words alone sends it where it
already is, a change aimed the wrong way. The rules read English grammar, not a domain's words:
- a state written where something goes ("to reserve", "onto auto") is where this order sends it;
- a state written as the one the thing is in ("is on reserve", "still in hand") or as the one
  that failed ("the main tx has tripped") is the one it leaves: its twin is asked for;
- with neither, "back" asks for the twin whose description's first sentence says it goes back
  ("Switch a service back to its main transmitter"), when only one does."""

from __future__ import annotations

import re

from chatops.bot.agent.candidate import Candidate
from chatops.bot.agent.phrases import words_at_verb_place
from chatops.bot.agent.tool_words import own_name_words
from chatops.bot.agent.verb_senses import means
from chatops.bot.model import Risk

_TO = r"(?:to|onto|into|over\s+to|on\s+to|back\s+to|back\s+on|back\s+onto|across\s+to)\s+(?:the\s+|its\s+|their\s+)?"
_NOW = r"(?:is|are|'s|was|still|currently|now|been|sitting|stuck|left|running|stays?)\s+(?:on|in|at)\s+" \
       r"(?:the\s+|its\s+|their\s+)?"
_FAILED = r"(?:has\s+|have\s+|had\s+|is\s+|'s\s+|just\s+|again\s+)*(?:tripped|failed|died|dead|down|broken|faulty|" \
          r"crashed|packed\s+up|fallen\s+over|playing\s+up|acting\s+up|(?:dropped|cut|gone|went)\s+(?:out|off|down)|" \
          r"out)\b"
_BACK = re.compile(r"\bback\b(?!\s+(?:to|on|onto)\s)", re.IGNORECASE)


def twins(scored: list[Candidate]) -> list[tuple[Candidate, str, Candidate, str]]:
    """Pairs of writes whose names differ in one word that is not their first (the verb), each
    with that word: where it sends the thing."""
    writes = [c for c in scored if c.spec.risk is not Risk.read]
    found = []
    for at, one in enumerate(writes):
        words = own_name_words(one.spec)
        for other in writes[at + 1:]:
            others = own_name_words(other.spec)
            if len(words) != len(others) or len(words) < 2:
                continue
            differ = [i for i, (a, b) in enumerate(zip(words, others, strict=True)) if a.lower() != b.lower()]
            if len(differ) == 1 and differ[0] > 0:
                found.append((one, words[differ[0]].lower(), other, others[differ[0]].lower()))
    return found


def _role(state: str, wording: str) -> str | None:
    """ "to" when the request sends the thing to `state`, "from" when it says the thing is in it
    now or that it failed, None when it says neither (or both)."""
    word = re.escape(state)
    to = re.search(rf"\b{_TO}{word}\b", wording, re.IGNORECASE)
    now = re.search(rf"\b{_NOW}{word}\b", wording, re.IGNORECASE) or \
        re.search(rf"\b{word}\b(?:[^,.;:!?]|\.(?=\w)){{0,30}}?\s{_FAILED}", wording, re.IGNORECASE)
    if bool(to) == bool(now):
        return None
    return "to" if to else "from"


def twin_asked(scored: list[Candidate], wording: str) -> tuple[set[str], set[str]]:
    """(the twins the request asks for, the twins it sends the thing away from)."""
    asked: set[str] = set()
    left: set[str] = set()
    for one, state, other, other_state in twins(scored):
        roles = {state: _role(state, wording), other_state: _role(other_state, wording)}
        goes = [name for name, role in ((one.name, roles[state]), (other.name, roles[other_state])) if role == "to"]
        leaves = [name for name, role in ((one.name, roles[state]), (other.name, roles[other_state])) if role == "from"]
        if len(goes) == 1 and not (set(leaves) & set(goes)):
            asked.add(goes[0])
            left.add(other.name if goes[0] == one.name else one.name)
        elif len(leaves) == 1 and not goes:
            left.add(leaves[0])
            asked.add(other.name if leaves[0] == one.name else one.name)
        elif not goes and not leaves and _BACK.search(wording):
            back = [c for c in (one, other) if _first_sentence_says_back(c.spec.description)]
            if len(back) == 1:
                asked.add(back[0].name)
                left.add(other.name if back[0] is one else one.name)
    return asked - left, left - asked


def _first_sentence_says_back(description: str) -> bool:
    first = re.split(r"(?<=[.!?:])\s", description.strip(), maxsplit=1)[0]
    return bool(re.search(r"\bback\b", first, re.IGNORECASE))


def switch_asked(wording: str) -> str | None:
    """The order's verb when it means to switch ("change over", "swap", "flip", by WordNet): the
    verb of moving a thing between two states, whichever the twins' own verb is ("feed", "run")."""
    for word, following in words_at_verb_place(wording):
        for form in ((f"{word}_{following}", word) if following.isalpha() else (word,)):
            if means(form, "switch"):
                return form.replace("_", " ")
    return None
