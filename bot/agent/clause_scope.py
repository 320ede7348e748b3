"""A change is asked for on what its own clause names: "kill the zoom bridge, let's move to chat;
how far along is mig-0042?" kills the bridge (no tool of ours), and only asks about mig-0042.

Why apart from the ranking (`bot.agent.ranking`): the ranking finds a change by its verb anywhere
in the request, and its values anywhere; a request of several clauses can hold one action's verb
and another thing's id. Only the clauses decide which belongs to which."""

from __future__ import annotations

import re

from chatops.bot.agent.candidate import Candidate
from chatops.bot.agent.entities import CLAUSE, STOPWORDS, VERB_LEADS, stem, words_of
from chatops.bot.agent.tool_words import summary_stems, tool_vocabulary
from chatops.bot.agent.verb_senses import is_verb
from chatops.bot.model import Risk

_POINTING = frozenset({"it", "them", "that", "this", "those", "these", "one", "ones"})
# Who an order makes a thing for ("write me a poem", "make us a list")
_RECIPIENTS = frozenset({"me", "us"})
# Where an order's object ends and what it is about begins ("write me a poem | about kubernetes")
_OBJECT_ENDS = frozenset({"about", "for", "on", "in", "at", "to", "from", "with", "of", "into", "onto", "by"})


def acts_on_another_object(candidate: Candidate, text: str) -> bool:
    """Whether the change's verb opens a clause that names an object of its own (a word that is
    none of the change's words), while the values the change takes are written only in other
    clauses. "restart it, worker@2 is wedged" is not one: "it" points at what another names."""
    if candidate.spec.risk is Risk.read or not candidate.action_hit:
        return False
    # a colon opens the order's details ("start a PM: 'Checkout 502s'"), not another clause
    clauses = [part.lower() for part in CLAUSE.split(re.sub(r":\s+", " ", text)) if part and part.strip()]
    values = [str(value).lower() for value in candidate.filled.args.values() if not isinstance(value, bool)]
    if not any(str(value).lower() in text.lower() for name, value in candidate.filled.args.items()
               if not isinstance(value, bool) and name not in candidate.filled.guessed):
        return _names_another_object(candidate, clauses)  # none written, or only a plain word guessed
    if len(clauses) < 2:
        return False
    if not any(value in clause for value in values for clause in clauses):
        return False  # values from earlier turns: the clause has no other thing's to compete with
    opened = _opened_by_its_verb(candidate, clauses)
    if opened is None:
        return False
    clause, words, known = opened
    if any(value in clause for value in values) or set(words[1:]) & _POINTING:
        return False  # "rebuild it from scratch": "it" is what another clause names
    return any(word not in STOPWORDS and not _known(word, known) for word in words[1:])


def _known(word: str, known: set[str]) -> bool:
    """One of the change's own words, or a shortening of one ("kill the auto retries" for a tool
    whose description says "automatic")."""
    return stem(word) in known or (len(word) >= 4 and any(own.startswith(word) for own in known))


def _opened_by_its_verb(candidate: Candidate, clauses: list[str]) -> tuple[str, list[str], set[str]] | None:
    """The first clause that opens with the change's verb, its words (without filler before the
    verb), and the stems that are the change's own (its words and the verb's)."""
    verbs = {stem(word) for phrase in candidate.matched for word in words_of(phrase)}
    for clause in clauses:
        words = [word for word in words_of(clause) if word not in VERB_LEADS]
        if words and stem(words[0]) in verbs and is_verb(words[0]):
            return clause, words, tool_vocabulary(candidate.spec) | set(summary_stems(candidate.spec.summary)) | verbs
    return None


def _names_another_object(candidate: Candidate, clauses: list[str]) -> bool:
    """Whether the change's verb, in a request that holds none of its values, acts on an object
    named by none of the change's words: "write me a poem about kubernetes" asks for a poem, not for
    the replica count `scale_deployment` sets ("write" is one of "set"'s words)."""
    opened = _opened_by_its_verb(candidate, clauses)
    if opened is None:
        return False
    _, words, known = opened
    obj: list[str] = []
    for word in words[1:]:
        if word in _OBJECT_ENDS:
            break
        obj.append(word)
    if set(obj) & _POINTING:
        return False
    named = [word for word in obj if word not in STOPWORDS and word.isalpha()]
    # "restart the database" still asks for the restart, of a unit it must ask for
    for_someone = bool(obj) and obj[0] in _RECIPIENTS
    return for_someone and bool(named) and not any(stem(word) in known for word in named)
