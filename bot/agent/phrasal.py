"""Actions a description says with a light verb and a particle phrase: "take a sip trunk out of
service", "put the shop into maintenance", "bring a node back into rotation", "put a booster fan on
high". The verb says little
(`lexicon.LIGHT_VERBS`); the phrase after the object is the action. A request that moves its object
the same way with any verb of moving ("pull telnyx-fra out of service", "yank node-7 out of
rotation", "get the shop into maintenance") asks for that action."""

from __future__ import annotations

import functools
import re

from chatops.bot.agent.entities import CLAUSE, stem, words_of
from chatops.bot.agent.lexicon import LIGHT_VERBS, PARTICLES
from chatops.bot.agent.phrases import at_verb, words_at_verb_place
from chatops.bot.agent.verb_senses import is_verb

# verbs that move something somewhere: with a particle phrase, any of them says the same
MOVING_VERBS = frozenset({*LIGHT_VERBS, "pull", "yank", "knock", "move", "drop", "throw", "send", "pop", "kick",
                          "shift", "swap", "rotate", "cycle"})
# "take X out of service", "put X into maintenance", "bring X back into rotation", "take X off the rota"
# "put a booster fan on high", "put a booster fan back to normal speed"
_TAIL = re.compile(r"^(?:(?:back\s+)?(?:out\s+of|into|in\s+to|onto|on|off(?:\s+of)?)|back\s+to)\s+(?:the\s+)?"
                   r"([a-z][a-z-]{2,})\b")
# "Withdraw a whole fire station from the mobilising system": a description that opens with its own
# verb tells the place its object leaves with "from" as well
_FROM_TAIL = re.compile(r"^from\s+(?:the\s+|its\s+)?([a-z][a-z-]{2,})\b")
# ways to say the object leaves a place: "take the station out of mobilising", "pull it from the pool"
_LEAVING = (("out", "of"), ("from",))


_FILLER = frozenset({"the", "back"})  # "bring it back into rotation" moves it into rotation


@functools.lru_cache(maxsize=1024)
def phrasal_action(summary: str, any_verb: bool = False) -> tuple[str, ...] | None:
    """The particle phrase of a description that opens with a light verb, as stems ("out", "of",
    "servic" for "take a sip trunk out of service"); None when it opens otherwise. With `any_verb`,
    also of one that opens with its own verb ("Book an appliance off the run", "Withdraw a station
    from the mobilising system": "from" read as "out of")."""
    words = words_of(summary)
    if not words or (words[0] not in LIGHT_VERBS and not (any_verb and is_verb(words[0].lower()))):
        return None
    for skip in range(1, 5):  # the object: one to four words
        tail = " ".join(words[1 + skip: 8])
        if match := _TAIL.match(tail):
            return tuple(stem(word) for word in words_of(match.group(0)) if word not in _FILLER)
        if any_verb and (match := _FROM_TAIL.match(tail)):
            return ("out", "of", stem(match.group(1)))
    return None


def says_the_phrasal_action(phrase: tuple[str, ...], clauses: list[list[str]]) -> bool:
    """Whether a clause moves its object the way `phrase` says, with a verb of moving in the
    order's place ("pull telnyx-fra out of service")."""
    moving = {stem(word) for word in MOVING_VERBS}
    for clause in clauses:
        for start, token in enumerate(clause):
            if token not in moving or not at_verb(start, [clause]):
                continue
            if _put_on_it(phrase, clause[start + 1: start + 4]):
                return True
            for gap in range(1, 5):
                at = start + 1 + gap
                said = [t for t in clause[at: at + len(phrase) + 2] if t not in _FILLER]
                if any(said[: len(way)] == list(way) for way in _ways_to_say(phrase)):
                    return True
    return False


def _ways_to_say(phrase: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The phrase, and for a place left ("out of service") the other ways to say leaving it."""
    if phrase[:2] != ("out", "of"):
        return [phrase]
    return [(*way, *phrase[2:]) for way in _LEAVING]


def _put_on_it(phrase: tuple[str, ...], after: list[str]) -> bool:
    """ "put a hold on it" says "put it on hold": the state's noun as the object, "on" the thing."""
    if len(phrase) != 2 or phrase[0] != "on":
        return False
    words = [word for word in after if word not in ("a", "an", "the")]
    return words[:2] == [phrase[1], "on"]


_COPULA = frozenset({"is", "are", "was", "were", "s", "be", "been", "being"})
_PARTICLE_VALUES = PARTICLES | {"on", "in"}


def particle_of_a_verb(word: str, text: str) -> bool:
    """Whether `word` (a listed value such as `off`) is written as the particle of the clause's verb
    ("set the fire alarm off", "call off race 9": WordNet's "set off", "call off"), not as a state
    ("race 7's off", "which races are off?")."""
    word = word.lower()
    if word not in _PARTICLE_VALUES:
        return False
    for clause in CLAUSE.split(text):
        words = [part.lower() for part in words_of(clause or "")]
        for at, (verb, _) in enumerate(words_at_verb_place(clause or "")):
            if verb.lower() not in words or at > 3:
                continue
            start = words.index(verb.lower())
            for later in words[start + 1: start + 6]:
                if later in _COPULA or later.endswith(("'s", "’s")):  # "race 7's off" tells its state
                    break
                if later.endswith("ed") and is_verb(later):  # "the pumps someone turned off": turned's
                    break
                if later == word and is_verb(f"{verb.lower()}_{word}"):
                    return True
    return False


_BECOMING = frozenset({"go", "turn", "get", "becom"})  # stems: "c2 can go cold", "let it turn cold"


def becomes_what_it_makes(summary: str, clauses: list[list[str]]) -> str | None:
    """The state a request says its object should become ("c2@oakfield can go cold now"), when the
    change's description says it brings it to that state ("… cools to cold"): the change asked for
    by its outcome. None otherwise."""
    reached = _states_reached(summary)
    for clause in clauses:
        for at in range(1, len(clause)):
            if clause[at - 1] in _BECOMING and clause[at] in reached and at_verb(at - 1, [clause]):
                return f"{clause[at - 1]} {clause[at]}"
    return None


@functools.lru_cache(maxsize=1024)  # asked per tool of every ranking
def _states_reached(summary: str) -> frozenset[str]:
    """The stems of the states a description's first sentence brings its object "to" or "into"."""
    sentence = re.split(r"(?<=\.)\s", summary, maxsplit=1)[0]
    return frozenset(stem(word) for word in re.findall(r"\b(?:to|into)\s+([a-z]{3,})\b", sentence, re.IGNORECASE))
