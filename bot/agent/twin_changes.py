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
from chatops.bot.agent.verb_senses import means, opposes
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
            if len(differ) != 1 or differ[0] == 0:
                continue
            state, other_state = words[differ[0]].lower(), others[differ[0]].lower()
            # `valve_open` / `valve_shut` are opposite actions (WordNet opposites, or "un…"), not two places
            if not opposes(state, other_state) and other_state not in (f"un{state}", state.removeprefix("un")):
                found.append((one, state, other, other_state))
    return found


def verb_twin(change: Candidate, scored: list[Candidate]) -> bool:
    """Whether another change of the same risk takes the same values and is named for another
    action on the same thing (`hold_start` / `release_start`): without a verb of either, found by
    values or meaning, the request cannot say which of the two it asks for. (A wipe beside a lock
    is no such pair: what cannot be undone has its own words.)"""
    words = [word.lower() for word in own_name_words(change.spec)]
    for other in scored:
        others = [word.lower() for word in own_name_words(other.spec)]
        if other is not change and other.spec.risk is change.spec.risk and len(words) >= 2 and \
                others[1:] == words[1:] and others[0] != words[0] and other.filled.args == change.filled.args:
            return True
    return False


def _role(state: str, wording: str, target: set[str]) -> str | None:
    """ "to" when the request sends the thing to `state`, "from" when it says the thing is in it
    now, was sent there ("went to reserve") or that it failed; None when it says neither (or both).
    A clause that names another thing than the order's `target` ("88.6 is on main, switch 95.8
    back") says nothing of this one."""
    word = re.escape(state)
    to = now = False
    for clause in _CLAUSES.split(wording):
        if _names_another(clause, target):
            continue
        for match in re.finditer(rf"\b{_TO}{word}\b", clause, re.IGNORECASE):
            if _PAST.search(clause[: match.start()]):
                now = True  # "went to reserve at 3": where it is, not where it is sent
            else:
                to = True
        now = now or bool(re.search(rf"\b{_NOW}{word}\b", clause, re.IGNORECASE) or
                          re.search(rf"\b{word}\b(?:[^,.;:!?]|\.(?=\w)){{0,30}}?\s{_FAILED}", clause, re.IGNORECASE))
    if to == now:
        return None
    return "to" if to else "from"


# clauses, and the "." that ends a sentence (not the one inside "88.6")
_CLAUSES = re.compile(r"[,;:!?\n]|\.(?!\w)|\s(?:and|but|so|then)\s", re.IGNORECASE)
# a move told as done: "went to", "was switched over to", "failed over to"
_PAST = re.compile(r"\b(?:went|gone|been|was|were|had|has|[a-z]+ed)(?:\s+\w+){0,2}\s*$", re.IGNORECASE)
# a value in a clause: a token with a digit ("88.6", "K2", "mt_031")
_VALUE = re.compile(r"(?<![\w.])[\w./@-]*\d[\w./@-]*(?![\w])")


def _names_another(clause: str, target: set[str]) -> bool:
    """Whether the clause names a thing with a digit in it that is none of the order's targets."""
    return bool(target) and any(value.lower().rstrip(".") not in target for value in _VALUE.findall(clause))


def twin_asked(scored: list[Candidate], wording: str) -> tuple[set[str], set[str]]:
    """(the twins the request asks for, the twins it sends the thing away from)."""
    asked: set[str] = set()
    left: set[str] = set()
    for one, state, other, other_state in twins(scored):
        ordered = one.action_hit or other.action_hit or _switch_said(wording)
        target = {str(value).lower() for value in (*one.filled.args.values(), *other.filled.args.values())}
        # "the shift is back at 6, put BF400A on high": a clause naming another thing says no "back"
        back_said = any(_BACK.search(clause) and not _names_another(clause, target)
                        for clause in _CLAUSES.split(wording))
        if not ordered and not back_said:
            continue  # "K2 is on bottles, leave it there": a state told, no order for either
        roles = {state: _role(state, wording, target), other_state: _role(other_state, wording, target)}
        goes = [name for name, role in ((one.name, roles[state]), (other.name, roles[other_state])) if role == "to"]
        leaves = [name for name, role in ((one.name, roles[state]), (other.name, roles[other_state])) if role == "from"]
        if not ordered:
            goes, leaves = [], []  # "bring TO6 back from idle": only "back" says which
        if len(goes) == 1 and not (set(leaves) & set(goes)):
            asked.add(goes[0])
            left.add(other.name if goes[0] == one.name else one.name)
        elif len(leaves) == 1 and not goes:
            left.add(leaves[0])
            asked.add(other.name if leaves[0] == one.name else one.name)
        elif not goes and not leaves and back_said:
            back = [c for c in (one, other) if _first_sentence_says_back(c.spec.description)]
            if len(back) == 1:
                asked.add(back[0].name)
                left.add(other.name if back[0] is one else one.name)
    return asked - left, left - asked


def _first_sentence_says_back(description: str) -> bool:
    first = re.split(r"(?<=[.!?:;])\s", description.strip(), maxsplit=1)[0]
    return bool(re.search(r"\bback\b", first, re.IGNORECASE))


def switch_asked(wording: str) -> str | None:
    """The order's verb when it means to switch ("change over", "swap", "flip", by WordNet): the
    verb of moving a thing between two states, whichever the twins' own verb is ("feed", "run")."""
    for word, following in words_at_verb_place(wording):
        for form in ((f"{word}_{following}", word) if following.isalpha() else (word,)):
            if means(form, "switch"):
                return form.replace("_", " ")
    return None


def _switch_said(wording: str) -> bool:
    """Whether any word of the request, in any place, means to switch ("… if K2 is on bottles switch
    it back", where the verb follows the condition without a comma)."""
    words = re.findall(r"[a-z]+", wording.lower())
    return any(means(word, "switch") or (at + 1 < len(words) and means(f"{word}_{words[at + 1]}", "switch"))
               for at, word in enumerate(words))
