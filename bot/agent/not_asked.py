"""Writes a request names but does not ask for: one told as done ("we archived inc-5512 already")
and one whose opposite the order asks for ("unarchive inc-5512").

Why apart from the ranking (`bot.agent.ranking`): both read the request for what it says *happened*
or *undoes*, not for which tool fits; the ranking drops the writes these name before it scores the
rest, and a read is then not offered in the undone write's place either (an order for an action
never degrades to a read)."""

from __future__ import annotations

from chatops.bot.agent.candidate import Candidate
from chatops.bot.agent.entities import words_of
from chatops.bot.agent.tool_words import description_verb, own_name_words
from chatops.bot.agent.unseen_verbs import opposite_asked
from chatops.bot.model import Risk
from chatops.tools.registry import ToolSpec

# words before a past form that make it a telling of what happened, not a state asked for ("mark X resolved")
TELLERS = frozenset({"we", "i", "they", "he", "she", "someone", "somebody", "you", "already", "just", "was", "were",
                     "been", "has", "have", "had", "is", "are", "got"})


def past_forms(verb: str) -> set[str]:
    """The regular past forms of a verb: "archived", "fired", "stopped", "retried"."""
    if not verb.isalpha() or len(verb) < 3:
        return set()
    forms = {f"{verb}d" if verb.endswith("e") else f"{verb}ed"}
    if verb.endswith("y") and verb[-2] not in "aeiou":
        forms.add(f"{verb[:-1]}ied")
    if len(verb) <= 5 and verb[-1] not in "aeiouwxy" and verb[-2] in "aeiou" and verb[-3] not in "aeiou":
        forms.add(f"{verb}{verb[-1]}ed")
    return forms


def own_verbs(spec: ToolSpec) -> list[str]:
    """The tool's verb as its name and its description say it ("archive" of `archive_channel`)."""
    lead = description_verb(spec.summary)
    return list(dict.fromkeys([*own_name_words(spec)[:1], *([lead.lower()] if lead and " " not in lead else [])]))



def undone_writes(scored: list[Candidate], wording: str) -> dict[str, str]:
    """The writes whose action the order's verb undoes, each with that verb; a tool whose own listed
    values hold the verb ("unpause" of an `op`) is not among them."""
    return {c.name: found[0] for c in scored if c.spec.risk is not Risk.read and not c.filled.verb_value
            and (found := opposite_asked(own_verbs(c.spec), wording)) is not None}


def writes_told_as_done(scored: list[Candidate], wording: str) -> set[str]:
    """The writes whose verb the request says only in the past, after a subject, "already" or
    "was" ("we archived", "was fired"): what happened, not an order; "mark it resolved" asks."""
    said = words_of(wording)
    told = {said[at] for at in range(1, len(said)) if said[at - 1] in TELLERS}
    return {c.name for c in scored if c.spec.risk is not Risk.read
            and any(past_forms(verb) & told and verb not in said for verb in own_verbs(c.spec))}
