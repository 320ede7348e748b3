"""The actions a request asks for and the action a tool does, as classes of `lexicon.SYNONYMS`
("resume ETL_WH" asks to resume; `suspend_warehouse` suspends): what lets the ranking refuse a
tool that does the opposite of what was asked, and "undo that" find the inverse of a step."""

from __future__ import annotations

import functools

from chatops.bot.agent.entities import CLAUSE, words_of
from chatops.bot.agent.lexicon import (
    ACTION_CLASSES,
    MUTATING_VERBS,
    SYNONYMS,
    VERB_LEADS,
    synonym_class,
)
from chatops.bot.agent.phrases import LIGHT_VERB_STEMS, REPREFIX, at_verb, clause_tokens, synonym_span
from chatops.bot.agent.tool_words import begun_event, description_verb, own_keywords, own_name_words
from chatops.bot.agent.unseen_verbs import verb_class
from chatops.tools.registry import ToolSpec


@functools.lru_cache(maxsize=512)
def action_spans(tokens: tuple[str, ...]) -> tuple[tuple[str, int, int], ...]:
    """Every place an action class's phrase occurs in the request, as (class, start, end)."""
    found = []
    for cls in ACTION_CLASSES:
        for synonym in SYNONYMS[cls]:
            covered: set[int] = set()
            while (span := synonym_span(synonym, list(tokens), covered)) is not None:
                found.append((cls, *span))
                covered.update(range(*span))
    return tuple(found)


@functools.lru_cache(maxsize=1024)
def shadowed(tokens: tuple[str, ...], cls: str) -> frozenset[tuple[int, int]]:
    """Spans of `cls` that lie inside a longer phrase of another action: "kick jdoe out of
    db-admins" removes a member; its "kick" is no restart."""
    spans = action_spans(tokens)
    return frozenset((start, end) for own, start, end in spans if own == cls
                     for other, wider_start, wider_end in spans
                     if other != cls and _hidden_by(tokens, (start, end), (wider_start, wider_end)))


def _hidden_by(tokens: tuple[str, ...], span: tuple[int, int], other: tuple[int, int]) -> bool:
    """Whether another action's phrase hides this one: it takes this one in ("kick jdoe out"),
    unless it is a light verb's frame around this one as its noun; or this one is such a frame."""
    if _takes_in(other, span):
        return not _light_frame(tokens, other, span)
    return _light_frame(tokens, span, other)


def _takes_in(wider: tuple[int, int], inner: tuple[int, int]) -> bool:
    return wider[0] <= inner[0] and inner[1] <= wider[1] and wider[1] - wider[0] > inner[1] - inner[0]


def _light_frame(tokens: tuple[str, ...], frame: tuple[int, int], noun: tuple[int, int]) -> bool:
    """Whether `frame` is a light verb's frame with an action noun strictly inside its gap: "put a
    hold on it" holds, it adds nothing to a set, so there the noun's action is the one asked for."""
    return tokens[frame[0]] in LIGHT_VERB_STEMS and frame[0] < noun[0] and noun[1] < frame[1]


def asked_actions(text: str) -> frozenset[str]:
    """The action classes the request's verbs ask for ("resume ETL_WH": resume), each phrase in
    an order's verb place and not inside a longer phrase of another action."""
    clauses = clause_tokens(text)
    tokens = tuple(token for clause in clauses for token in clause)
    # "mast's at 0.5 and dropping": a verb in its -ing form says what is happening, orders nothing
    surface = [word for part in CLAUSE.split(text) if part and part.strip()
               for word in words_of(REPREFIX.sub(r"\1", part))]
    telling = {at for at, word in enumerate(surface) if len(surface) == len(tokens) and word.endswith("ing")
               and tokens[at] != word}
    return frozenset(cls for cls, start, end in action_spans(tokens)
                     if at_verb(start, clauses) and (start, end) not in shadowed(tokens, cls) and start not in telling)


def tool_actions(spec: ToolSpec) -> tuple[str, ...]:
    """The tool's action classes: its name's verb and its description's, first; its keywords'
    only when those name none ("Lift freeze" titles `lift_freeze`, whose keyword "freeze" is its
    object)."""
    lead = description_verb(spec.summary)
    names = own_name_words(spec)
    if (begun := begun_event(names)) is not None and (event := synonym_class(begun.lower())) in ACTION_CLASSES:
        return (event,)  # `start_shutdown` shuts down: starting is how, the shutdown what
    found = [cls for word in [*names[:1], *([lead] if lead else [])]
             if (cls := verb_class(word)) in ACTION_CLASSES]
    if not found:
        found = [cls for word in own_keywords(spec) if (cls := synonym_class(word)) in ACTION_CLASSES]
    return tuple(dict.fromkeys(found))  # type: ignore[arg-type]


def change_verbs_asked(text: str) -> frozenset[str]:
    """The everyday change verbs (`lexicon.MUTATING_VERBS`) written as an order, where an order
    puts its verb: "upload a new k6 script", "can you drain node-7?". As written, not as stems:
    "I just edited the site" tells what was done. A negated part ("don't stop anything") opens
    with its negation, so its verb is not in that place."""
    found = set()
    for clause in CLAUSE.split(text):
        words = words_of(clause or "")
        found.update(word for index, word in enumerate(words)
                     if word in MUTATING_VERBS and (index == 0 or words[index - 1] in VERB_LEADS))
    return frozenset(found)

