"""Where words and phrases stand in a request: its stemmed words clause by clause, where a
phrase (with `*` for one to three words) occurs, and whether a word stands where an order puts its
verb. Shared by the ranking (`bot.agent.ranking`) and by what a request asks to do
(`bot.agent.actions`)."""

from __future__ import annotations

import functools
import re

from chatops.bot.agent.entities import CLAUSE, VERB_LEADS, stem, words_of
from chatops.bot.agent.lexicon import DETERMINERS, LIGHT_VERBS, PARTICLES


def at_verb(start: int, clauses: list[list[str]]) -> bool:
    """Whether the token at `start` (counted over all clauses) stands where an order puts its
    verb: the start of its clause, or after a lead word ("please", "can you")."""
    offset = 0
    for clause in clauses:
        if offset <= start < offset + len(clause):
            return verb_place(clause, start - offset)
        offset += len(clause)
    return False


def words_at_verb_place(text: str) -> list[tuple[str, str]]:
    """Each word of `text` standing where an order puts its verb (`verb_place`), clause by clause,
    with the word after it in its clause ("" at its end): "re-index" is read as "reindex"."""
    found: list[tuple[str, str]] = []
    for part in CLAUSE.split(text):
        words = words_of(REPREFIX.sub(r"\1", part or ""))
        stems = [stem(word) for word in words]
        found += [(word, words[at + 1] if at + 1 < len(words) else "")
                  for at, word in enumerate(words) if verb_place(stems, at)]
    return found


def split_phrasal_verbs(text: str) -> list[tuple[str, str]]:
    """Each word at an order's verb place with a particle one to three words after it in its clause
    ("let ARD-1615 go", "cut the barge loose"): (verb, particle). Whether the two make a verb of their own
    ("let go": release) is for WordNet to say (`bot.agent.unseen_verbs`)."""
    found: list[tuple[str, str]] = []
    for part in CLAUSE.split(text):
        words = words_of(REPREFIX.sub(r"\1", part or ""))
        stems = [stem(word) for word in words]
        for at, word in enumerate(words):
            if verb_place(stems, at):
                found += [(word, later) for later in words[at + 2: at + 5] if later in _PARTICLES]
    return found


# the particles that close a phrasal verb around its object ("let ARD-1615 go", "cut the barge loose");
# not "off", "out", "up": "take 0125348810 off FR1687" is no "take off" (WordNet's most frequent
# sense of which is an aircraft leaving the ground)
_PARTICLES = frozenset({"go", "loose", "free"})


def verb_place(clause: list[str], at: int) -> bool:
    """Whether the token at `at` of a clause stands where an order puts its verb: first, after a
    lead word ("please", "can you"), or as the noun a light verb turns into the order ("put a hold
    on …", "take a snapshot of …", "do a restart"): the noun is then the action asked for."""
    if at == 0 or clause[at - 1] in VERB_LEAD_STEMS:
        return True
    if _after_let(clause, at):
        return True
    return at >= 2 and clause[at - 1] in ("a", "an") and clause[at - 2] in LIGHT_VERB_STEMS and \
        verb_place(clause, at - 2)


def _after_let(clause: list[str], at: int) -> bool:
    """"let c1@hillcrest cool", "let the queue drain": an order's causative "let" puts its verb after
    the object, one word or a determiner and a noun ("let me see" is the speaker's own look)."""
    if at + 1 < len(clause) and clause[at + 1] in _TOLD:
        return False  # "letting c1@hillcrest cool was a mistake": the letting is the subject
    for object_length in (1, 2):
        let = at - object_length - 1
        if let >= 0 and clause[let] == "let" and clause[let + 1] not in _SPEAKER and \
                (object_length == 1 or clause[let + 1] in DETERMINERS) and \
                (let == 0 or clause[let - 1] in _ORDER_OPENERS):
            return True  # not after a subject or a condition: "you let it cool!", "if you let it cool"
    return False


_SPEAKER = frozenset({"me", "us"})
_ORDER_OPENERS = frozenset(stem(word) for word in ("please", "pls", "just", "now", "then", "so", "ok", "okay"))
_TOLD = frozenset(stem(word) for word in ("was", "were", "is", "are", "has", "had", "been"))
VERB_LEAD_STEMS = frozenset(stem(word) for word in VERB_LEADS)
LIGHT_VERB_STEMS = frozenset(stem(word) for word in LIGHT_VERBS)


_OPPOSITE_PARTICLE = {"on": "off", "off": "on", "up": "down", "down": "up", "in": "out", "out": "in"}


def synonym_span(synonym: str, tokens: list[str], covered: set[int]) -> tuple[int, int] | None:
    """Where a synonym phrase occurs among the request's stems, as (start, end), avoiding words
    already counted. A `*` in the phrase stands for one to three words: "put * live" matches
    "put checkout 3.2.0 live", "give * a kick" matches "give the worker a kick"."""
    if "*" not in synonym:
        phrase = stems(synonym)
        for position in phrase_positions(phrase, tokens):
            if not covered.intersection(range(position, position + len(phrase))):
                return position, position + len(phrase)
        return None
    head, tail = (stems(part) for part in synonym.split("*", 1))
    for position in phrase_positions(head, tokens):
        for gap in range(1, 7):
            after = position + len(head) + gap
            if tokens[after: after + len(tail)] == tail:
                if tail and _OPPOSITE_PARTICLE.get(tail[0]) in tokens[position + len(head): after]:
                    break  # "turn the sprinklers off on block 6": off, whatever "on" follows
                span = range(position, after + len(tail))
                words = set(range(position, position + len(head))) | set(range(after, after + len(tail)))
                if not covered.intersection(words):
                    return span.start, span.stop
    return None


@functools.lru_cache(maxsize=1024)
def stems_of(text: str) -> tuple[str, ...]:
    return tuple(stem(word) for word in words_of(text))


def stems(text: str) -> list[str]:
    return list(stems_of(text))


def phrase_positions(phrase: list[str], tokens: list[str]) -> list[int]:
    size = len(phrase)
    return [i for i in range(len(tokens) - size + 1) if tokens[i: i + size] == phrase]


REPREFIX = re.compile(r"\b(re|un|de|pre)-(?=[a-z]{3,}\b)", re.IGNORECASE)


def _particle_brought_back(found: list[str], words: list[str], joined: frozenset[str]) -> list[str]:
    """ "shut L2 down" read as "shutdown L2" when "shutdown" is one of `joined`: a particle after a
    short object belongs to the verb before it (only when the words and tokens still line up)."""
    if len(found) != len(words) or not joined:
        return found
    for at, word in enumerate(words[:-1]):
        for gap in (2, 3):
            end = at + gap
            if end < len(words) and words[end] in PARTICLES and stem(word + words[end]) in joined \
                    and not any(between in PARTICLES for between in words[at + 1:end]):
                return [*found[:at], stem(word + words[end]), *found[at + 1:end], *found[end + 1:]]
    return found


def clause_tokens(text: str, joined: frozenset[str] = frozenset()) -> list[list[str]]:
    """Stemmed words per clause. Two words that form one of `joined` when written together
    are read as that word: "name servers" is "nameservers", "time zone" is "timezone"; so is a
    word with a hyphen inside ("e-stop" for "estop")."""
    clauses = []
    for part in CLAUSE.split(text):
        if not part or not part.strip():
            continue
        words = words_of(REPREFIX.sub(r"\1", part))  # "re-send" is "resend", "un-freeze" "unfreeze"
        found: list[str] = []
        index = 0
        while index < len(words):
            if index + 1 < len(words) and stem(words[index] + words[index + 1]) in joined:
                found.append(stem(words[index] + words[index + 1]))
                index += 2
                continue
            word = words[index]
            # "e-stop" is "estop", "fail-over" "failover": a hyphen inside one of the joined words
            found.append(stem(word.replace("-", "")) if "-" in word and stem(word.replace("-", "")) in joined
                         else stem(word))
            index += 1
        clauses.append(_particle_brought_back(found, words, joined))
    return clauses
