"""Where a request's clauses open: whether one starts with a given verb (after "please", "can you"),
and whether that verb is followed by its object. Used to tell the order's verb from a value."""

from __future__ import annotations

import re

from chatops.bot.agent.entities import (
    CLAUSE,
    VERB_LEADS,
    stem,
    words_of,
)
from chatops.bot.agent.lexicon import (
    DETERMINERS,
    STATE_WORDS,
)


def opens_with(verbs: frozenset[str], text: str, then: frozenset[str] | None = None, within: int = 3) -> bool:
    """Whether a clause opens with one of `verbs` (after "please", "can you" and the like), and,
    with `then`, one of those words follows within `within` words ("turn new_checkout off")."""
    leads = {stem(word) for word in VERB_LEADS}
    for clause in CLAUSE.split(text):
        opening = [word for word in words_of(clause)[:6] if stem(word) not in leads]
        if opening and opening[0] in verbs and (then is None or then & set(opening[1:1 + within])):
            return True
    return False


def verb_with_object(value: str, text: str) -> bool:
    """ "open a status page incident": a word that opens the request and is followed by its object
    (a determiner) is the order's verb, not a value of an optional parameter (`state=open`)."""
    word = value.lower()
    if any(word in row for row in STATE_WORDS):
        return False  # "enable the flag": the state is the verb, and the value
    return opens_with(frozenset({word}), text, then=DETERMINERS, within=1)


# "until"/"till" and the rest of its clause; not the noun ("the till in shop 3")
_UNTIL = re.compile(r"(?<!\bthe\s)(?<!\ba\s)(?<!\bthis\s)(?<!\bthat\s)(?<!\bevery\s)(?<!\beach\s)(?<!\bour\s)"
                    r"(?<!\bmy\s)\b(?:until|untill|till|til|'til)\b(?:\s+further\s+(?:notice|orders)\b|"
                    r".*?(?=[,;.!?\n]|\s+(?:and|then|but)\s+|$))",
                    re.IGNORECASE)


def without_until_clauses(text: str) -> str:
    """The request without what its "until" clauses say ("leave it running till I say stop", "hold it
    until someone restarts the feed"): they tell when a change ends, and their verbs ("stop",
    "restarts") are no orders of their own. Their values are read where values are read."""
    return _UNTIL.sub(" ", text)
