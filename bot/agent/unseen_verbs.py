"""A request's verb that no word list of ours knows, read as a tool's action when WordNet says
they mean the same: "shut the claims line" for `close_call_queue`, "halt the ingest" for a tool
that stops it.

Why apart from the lexicon (`bot.agent.lexicon`): the lexicon holds the ops verbs people use
every day and the opposites that must never be confused; it decides wherever it knows a word.
This module only reads the verbs it does not know, and only for tools that change something (a
read is found by its subject; a change must never be proposed without its action being asked)."""

from __future__ import annotations

import functools
import re

from chatops.bot.agent.entities import is_english, stem
from chatops.bot.agent.lexicon import ACTION_CLASSES, LIGHT_VERBS, STOPWORDS, SYNONYMS, synonym_class
from chatops.bot.agent.phrases import split_phrasal_verbs, words_at_verb_place
from chatops.bot.agent.verb_senses import (
    REQUEST_SENSES,
    TOOL_SENSES,
    base_forms,
    done_again,
    is_verb,
    means,
    opposes,
    senses,
)


@functools.lru_cache(maxsize=1024)  # asked once per tool of a ranking, for the same request
def verbs_asked(wording: str, *, known_too: bool = False, light_too: bool = False) -> tuple[tuple[str, ...], ...]:
    """The words standing where an order puts its verb, each with the word after it (a particle
    may make the verb: "throw away", "back up"), that the lexicon does not know (or every one)."""
    found: list[tuple[str, ...]] = []
    for word, following in words_at_verb_place(wording):
        if not word.isalpha() or word in STOPWORDS or (word in LIGHT_VERBS and not light_too):
            continue
        if not known_too and (synonym_class(word) is not None or
                              (following and synonym_class(f"{word} {following}"))):
            continue
        if is_verb(word) or (known_too and word.startswith("un") and is_verb(word[2:])):
            found.append((word, following) if following.isalpha() else (word,))
    return tuple(found)


def unseen_verb_for(tool_verbs: list[str], wording: str) -> tuple[str, str] | None:
    """(the request's verb, the tool's verb it means), when a verb the lexicon does not know
    means one of the tool's verbs in WordNet and is not also its opposite."""
    for asked in verbs_asked(wording, light_too=True):
        forms = [f"{asked[0]}_{asked[1]}", asked[0]] if len(asked) > 1 else [asked[0]]
        for form in forms:
            if not is_verb(form):
                continue
            for verb in tool_verbs:
                if form in LIGHT_VERBS and verb in LIGHT_VERBS:
                    continue  # "put" and "set" share a sense too general to ask for `set_out_of_service`
                if form != verb and means(form, verb) and not opposes(form, verb):
                    return form.replace("_", " "), verb
            if len(asked) > 1 and form == forms[0] and asked[1] == "up" and asked[0] not in LIGHT_VERBS and \
                    asked[0] != "back":
                continue  # "close up RFT:012" closes it: "up" says the closing is done, as "lock up" locks
            break  # the phrasal verb, when WordNet has it, is the verb ("back up" is not "back")
    for word, particle in split_phrasal_verbs(wording):  # "let ARD-1615 go": "let go" releases
        form = f"{word}_{particle}"
        if is_verb(form):  # in its most frequent sense only: "take … off" is also an aircraft's start
            for verb in tool_verbs:
                if verb != form and senses(form, 1) & senses(verb, TOOL_SENSES) and not opposes(form, verb):
                    return form.replace("_", " "), verb
    for slips in slipped_verbs(wording):  # "riase exit-02": of "raise" and "rinse", only "raise" lifts
        meant = sorted((slip, verb) for slip in slips for verb in tool_verbs
                       if slip != verb and means(slip, verb) and not opposes(slip, verb))
        if len({verb for _, verb in meant}) == 1:  # "raise" and "rise" both lift
            return meant[0]
    return None


def again_asked(tool_verbs: list[str], wording: str) -> tuple[str, str, str] | None:
    """(the request's verb, the tool's verb, the word after the verb), when the order's verb is the
    tool's done once more:
    "restart T1/R03" for `start_belt`, "reenable" for `enable_rule`. Starting again what stopped is
    starting it; a team that has no `restart_*` tool means its start tool. Known ops verbs count
    too ("restart" is the lexicon's), since the question is what the word does, not which class
    it is in."""
    for word, following in words_at_verb_place(wording):
        base = done_again(word) if word.isalpha() and word not in STOPWORDS else None
        # "reset" is also WordNet's "set to zero": back to how it started, not a value given again
        # ("reset B4" is no `set_speed` with its default)
        if base and base in tool_verbs and base != "set":
            return word, base, following
    return None


@functools.lru_cache(maxsize=1024)
def slipped_verbs(wording: str) -> tuple[tuple[str, ...], ...]:
    """For each word where an order puts its verb that is no English word at all ("riase"), the
    WordNet verbs one typing slip away with its first letter: a letter swapped with the next,
    changed, dropped or added. A tool's own words are already checked for slips
    (`tool_words.typo_of`); this reaches the verbs a tool never uses ("raise" for `lift_barrier`)."""
    found: list[tuple[str, ...]] = []
    for word, _ in words_at_verb_place(wording):
        if len(word) < 4 or not word.isalpha() or is_verb(word) or is_english(stem(word)):
            continue
        slips = tuple(sorted(slip for slip in _one_slip(word) if slip[:1] == word[:1] and is_verb(slip)))
        if slips:
            found.append(slips)
    return tuple(found)


def _one_slip(word: str) -> set[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    cuts = [(word[:at], word[at:]) for at in range(len(word) + 1)]
    return {head + tail[1] + tail[0] + tail[2:] for head, tail in cuts if len(tail) > 1} | \
        {head + letter + tail[1:] for head, tail in cuts if tail for letter in letters} | \
        {head + tail[1:] for head, tail in cuts if tail} | \
        {head + letter + tail for head, tail in cuts for letter in letters}


@functools.lru_cache(maxsize=1024)
def verb_class(verb: str) -> str | None:
    """The lexicon's action class of a tool's verb: the lexicon's own, or the one class whose words
    share a common WordNet sense with it ("close" shares "cease to operate" with "shut down"), so
    what the lexicon knows of that action (its everyday words, its opposites) holds for the tool.
    None when no class, or more than one, does."""
    known = synonym_class(verb)
    if known is not None or not is_verb(verb):
        return known
    # a class word that takes its object with an article ("declare a", "raise an"): the bare verb of a
    # tool that makes such a record is of that class (`declare_incident` makes one)
    framed = {cls for cls in ACTION_CLASSES for phrase in SYNONYMS[cls]
              if phrase.split()[0] == verb and phrase.split()[-1] in ("a", "an")}
    if len(framed) == 1:
        return framed.pop()
    own = senses(verb, REQUEST_SENSES)
    # the class's word in its own most frequent sense: "upgrade" shares "promote" only in its sense
    # of giving someone a higher rank, which is not what a deploy's "promote" means
    found = {cls for cls in ACTION_CLASSES
             if any(own & senses(phrase.replace(" ", "_"), 1)
                    for phrase in (cls, *SYNONYMS[cls]) if "*" not in phrase and phrase != verb)}
    return found.pop() if len(found) == 1 else None


def opposite_asked(tool_verbs: list[str], wording: str) -> tuple[str, str] | None:
    """(the request's verb, the tool's verb it undoes), when an order's verb is the opposite of the
    tool's: WordNet's opposites ("decrease" of "increase"), or the same verb with "un" ("unarchive"
    of "archive", "quarantine" of "unquarantine"), or its action named as the state to leave
    ("release web-14 from quarantine"). Such a tool is never what was asked, whatever its subject
    or values say: "unarchive inc-5512" must not archive it again."""
    for verb in tool_verbs:  # "release web-14 from quarantine", "get it out of quarantine": its state, left
        left = rf"\b(?:from|out\s+of)\s+(?:the\s+|its\s+)?{re.escape(verb)}\b" if verb else ""
        if verb and is_verb(verb) and re.search(left, wording, re.IGNORECASE):
            return "out of", verb
    if (called_off := _called_off(tool_verbs, wording)) is not None:
        return called_off
    ceasing = stops_doing(wording)  # "stop forcing 517B": the forcing ends, nothing is forced again
    if ceasing is not None:
        ceased = base_forms(ceasing.split()[1])
        for verb in tool_verbs:
            if verb and verb in ceased:
                return ceasing, verb
    for asked in verbs_asked(wording, known_too=True):
        word = asked[0]
        for verb in tool_verbs:
            if not verb or word == verb:
                continue
            if word == f"un{verb}" or verb == f"un{word}" or (opposes(word, verb) and not means(word, verb)):
                return word, verb
    return None


# an order that calls off what is named after it (the lexicon's "revoke" words that need no object
# between their parts): "cancel the stop of L2", "abort tonight's planned shutdown"
_CALLED_OFF = re.compile(
    r"(?:^|[,.;:!?]\s*|\b(?:please|pls|just|and|then|now|(?:can|could|would|will)\s+(?:you|u))\s+)"
    r"(" + "|".join(sorted((re.escape(word).replace(r"\ ", r"\s+") for word in SYNONYMS["revoke"]
                           if "*" not in word), key=len, reverse=True)) + r")\s+"
    r"(?:(?:the|that|this|its|our|their|[a-z]+'s)\s+)?([\w@./-]+(?:'s)?(?:\s+[\w@./-]+)?)",
    re.IGNORECASE)


def _called_off(tool_verbs: list[str], wording: str) -> tuple[str, str] | None:
    """(the calling-off words, the tool's verb) when an order calls off the tool's action by its noun
    or one of its kind ("cancel the stop of L2", "cancel L2's stop", "call off node-7's drain"), and
    no other part of the message orders that action ("scrap the stop of L2 and stop L3")."""
    calling = _calling_off(wording)
    if calling is None:
        return None
    said, named, ordered = calling
    for verb in tool_verbs:
        if not verb or verb.lower() in ordered:
            continue
        kind = synonym_class(verb.lower())
        if any(re.fullmatch(rf"{re.escape(verb.lower())}(?:s|es)?", word) or
               (kind is not None and synonym_class(word) == kind) for word in named):
            return said, verb
    return None


@functools.lru_cache(maxsize=1024)  # asked once per tool of a ranking, for the same request
def _calling_off(wording: str) -> tuple[str, tuple[str, ...], frozenset[str]] | None:
    """(the calling-off words, the words named after them, the verbs the message orders), or None."""
    found = _CALLED_OFF.search(wording)
    if found is None:
        return None
    named = tuple(word.lower().removesuffix("'s") for word in found.group(2).split())
    return found.group(1).lower(), named, frozenset(verb.lower() for verb, _ in words_at_verb_place(wording))


# "stop shipping it", "stop sending new matches": "stop" and a verb's -ing form opening an order
_STOP_DOING = re.compile(r"(?:^|[,.;:!?]\s*|\b(?:please|pls|just|and|then|now|(?:can|could|would|will)\s+(?:you|u))\s+)"
                         r"stop\s+([a-z]{3,}ing)\b",
                         re.IGNORECASE)


@functools.lru_cache(maxsize=1024)  # asked per tool of a ranking, and per phrase of a tool
def stops_doing(wording: str) -> str | None:
    """ "stop <doing>" when an order opens with it: ceasing an activity, which is a halt or a pause
    of it, not a shutdown of the thing ("stop shipping v5.14.2" halts a rollout; "stop web-3"
    shuts a machine down). The -ing word must be a verb's form, by WordNet."""
    match = _STOP_DOING.search(wording)
    return f"stop {match.group(1).lower()}" if match and base_forms(match.group(1).lower()) else None
