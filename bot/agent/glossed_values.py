"""Enum values a parameter's description glosses, read as aliases: "Stand (north: the Kop end,
east: the away end)" makes "the away end" name `east`; "Why: crowding (a crush or queue building),
fault (reader or barrier), security (stewards or police)" makes "reader" name `fault`.

Why: a team writes what its values mean where the schema lets it, in the description, and people
then say the meaning, not the value ("drop the away end to 2,850", "close N14, the reader's eating
tickets"). Only the description's own words count, each alternative as a whole phrase; a phrase
that two values share names neither.

"value: phrase" names the value another way, like an alias. "value (phrase or phrase)" gives
examples of what falls under it: evidence, not a name ("technical (the vessel or the linkspan)"
is no medical emergency that happens on the linkspan). Those examples choose only a value that has
a default to fall back on; a required value is then asked for, as before, never guessed. A
bracket that holds one short phrase and no alternatives defines the value ("drill (a practice)"),
and names it like an alias."""

from __future__ import annotations

import functools
import re
from typing import Any

from chatops.bot.agent.entities import CLAUSE, STOPWORDS, stem, words_of

_ALTERNATIVES = re.compile(r"\s*(?:,|;|/|\bor\b|\band\b)\s*", re.IGNORECASE)
_ARTICLE = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)
_NUMBERED_TAIL = re.compile(r"\s+\d.*$")
_DENYING = re.compile(r"\b(?:no|not|never|nobody|nothing|isn['’]?t|aren['’]?t|wasn['’]?t|don['’]?t|doesn['’]?t)\b",
                      re.IGNORECASE)


def glossed_aliases(prop: dict[str, Any]) -> dict[str, str]:
    """alias → value for each phrase the description gives an enum value: "value (phrase or
    phrase)" and "value: phrase" / "value = phrase"."""
    values = tuple(str(value) for value in prop.get("enum") or [] if isinstance(value, str) and value)
    return dict(_glossed(values, str(prop.get("description") or ""), "default" in prop))


@functools.lru_cache(maxsize=512)
def _glossed(values: tuple[str, ...], description: str, examples_too: bool) -> tuple[tuple[str, str], ...]:
    if not values or not description:
        return ()
    owners: dict[str, set[str]] = {}
    lowered = {value.lower() for value in values}
    # the description's own words outside its glosses name what they are about ("Why, shown on the
    # pump's screen: … fault (the pump or its card reader)"): "pump" names no one value
    outside = set(re.findall(r"[a-z]+", re.sub(r"\([^()]*\)|:[^,;()]*", " ", description.lower())))
    for value in values:
        written = re.escape(value)
        glosses = [gloss for gloss in parenthesised(value, description)
                   if len(gloss) <= 120 and (examples_too or _defines(gloss))]
        glosses += [match.group(1) for match in re.finditer(rf"(?<![\w-]){written}\s*[:=]\s*([^,;()]{{2,60}})",
                                                            description, re.IGNORECASE)]
        for gloss in glosses:
            for alternative in _ALTERNATIVES.split(gloss):
                phrase = _ARTICLE.sub("", " ".join(alternative.lower().split())).strip(" .")
                # "luxe: the recliner screens 9 to 11": the numbers say which; the words name it (two
                # or more of them: "imax: screen 14" leaves "screen", which names every screen)
                trimmed = _NUMBERED_TAIL.sub("", phrase)
                if trimmed != phrase:
                    phrase = trimmed if len(trimmed.split()) >= 2 else ""
                words = phrase.split()
                if len(words) == 1 and words[0] in outside:
                    continue
                if not 1 <= len(words) <= 4 or len(phrase) < 3 or phrase in STOPWORDS or phrase in lowered \
                        or not re.search(r"[a-z]", phrase):
                    continue
                owners.setdefault(phrase, set()).add(value)
    return tuple((phrase, next(iter(owning))) for phrase, owning in owners.items() if len(owning) == 1)


def _defines(gloss: str) -> bool:
    """Whether a bracketed gloss says what the value is rather than giving examples of it: one short
    phrase, no alternatives ("drill (a practice)"), as against "technical (the vessel or the linkspan)"."""
    words = _ARTICLE.sub("", gloss.strip()).lower().split()
    # a name of a thing, not a measure or a catch-all ("low (a bit)", "other (anything else)")
    return len(_ALTERNATIVES.split(gloss)) == 1 and 1 <= len(words) <= 2 and \
        any(len(word) >= 5 and word.isalpha() and word not in STOPWORDS for word in words)


def described_by_gloss(prop: dict[str, Any], text: str) -> str | None:
    """The one value whose example gloss the request tells in two or more of its words, more than
    any other value's ("tanker's filling the petrol tank" for "delivery (a tanker is filling the
    tanks)"): a gloss too long to be written whole. Like the glosses' examples, this chooses only a
    value that has a default to fall back on."""
    values = tuple(str(value) for value in prop.get("enum") or [] if isinstance(value, str) and value)
    if not values:
        return None
    description = str(prop.get("description") or "")
    if "default" not in prop:
        return _named_by_description(values, description, text)
    glosses = _example_glosses(values, description)
    if not glosses:
        return None
    clauses = _clause_words(text)
    shared = {value: max((len(gloss & said) for said in clauses), default=0) for value, gloss in glosses}
    best = sorted(shared.items(), key=lambda item: -item[1])
    if not best or best[0][1] < 2 or (len(best) > 1 and best[1][1] == best[0][1]):
        return None
    return best[0][0]


def _named_by_description(values: tuple[str, ...], description: str, text: str) -> str | None:
    """A required value named by a short form of the definite description its gloss gives it:
    "the outpatients robot" for "rowa_opd (the outpatients pharmacy robot)", "the main robot" for
    "rowa_main (the big robot in the main dispensary)". A gloss that opens with "the" and offers no
    alternatives says which one thing the value is, so this is no guess, as examples would be
    ("technical (the vessel or the linkspan)"). The request says it as "the" and two or three words
    in a row, each a word of that gloss, one of them found in no other value's gloss or name and
    one the description's noun for them all ("robot"), so a word of the gloss alone ("main") never
    names it."""
    described = _definite_glosses(values, description)
    if not described or _SET_APART.search(text):
        return None  # "the tall fermenter is fine, crash chill the other one": it is set apart
    found: set[str] = set()
    for clause in CLAUSE.split(text):
        if not clause or _DENYING.search(clause):
            continue
        written = words_of(clause)
        said = [stem(word) for word in written]
        for start, word in enumerate(said):
            if word != "the" or (start and written[start - 1].lower() in _NOT_THE_OBJECT):
                continue  # "the one next to the tall fermenter", "older than the tall one"
            for size in (2, 3):
                phrase = said[start + 1:start + 1 + size]
                if len(phrase) < size:
                    break
                if written[start + size].endswith("'s") or written[start + size + 1:start + size + 2] == ["s"]:
                    continue  # "the tall fermenter's glycol" (a curly "’s" is a word "s" of its own): something of it
                for value, words, own, shared in described:
                    if set(phrase) <= words and set(phrase) & own and set(phrase) & shared:
                        found.add(value)
    return next(iter(found)) if len(found) == 1 else None


# words that set the thing named apart from what is asked ("the other one", "leave X alone", "except X")
_SET_APART = re.compile(r"\b(?:other|others|another|except|besides|alone|apart\s+from|rather\s+than|instead)\b",
                        re.IGNORECASE)
# words before "the …" that make it something else's place or measure, not the order's object
# ("on the holme dryer", "in the main robot" name where the order acts, and stay)
_NOT_THE_OBJECT = frozenset({"to", "of", "than", "into", "from", "by", "beside", "near", "behind", "next", "like",
                             "under", "over", "past", "after", "before", "leave", "except", "besides", "but",
                             "without", "skip", "not"})


@functools.lru_cache(maxsize=512)
def _definite_glosses(values: tuple[str, ...], description: str) -> tuple[tuple[str, frozenset[str], frozenset[str],
                                                                                frozenset[str]], ...]:
    """Each value whose gloss is one definite description ("the outpatients pharmacy robot"), with
    its stemmed words, those no other value's gloss or name has, and those every such gloss has
    (the noun they share: "robot" or "cabinet" is not shared by all, so a shared noun must be in
    at least two glosses)."""
    glossed = {}
    for value in values:
        glosses = parenthesised(value, description)
        if len(glosses) == 1 and re.match(r"the\s", glosses[0].strip(), re.IGNORECASE) \
                and len(_ALTERNATIVES.split(glosses[0])) == 1:
            glossed[value] = frozenset(stem(word) for word in words_of(glosses[0])
                                       if word not in STOPWORDS and len(word) >= 3)
    if len(glossed) < 2:
        return ()
    named = {value: frozenset(stem(part) for part in re.split(r"[^a-z0-9]+", value.lower()) if part)
             for value in values}
    found = []
    for value, words in glossed.items():
        others = set().union(*(glossed.get(other, frozenset()) | named[other] for other in values if other != value))
        shared = frozenset(word for word in words if sum(word in other for other in glossed.values()) >= 2)
        found.append((value, words, frozenset(words - others), shared))
    return tuple(found)


@functools.lru_cache(maxsize=512)
def _example_glosses(values: tuple[str, ...], description: str) -> tuple[tuple[str, frozenset[str]], ...]:
    """Each value with the stemmed words of its parenthesised gloss ("delivery (a tanker is …)")."""
    found = []
    for value in values:
        if glosses := parenthesised(value, description):
            found.append((value, frozenset(stem(word) for word in words_of(glosses[0])
                                           if word not in STOPWORDS and len(word) >= 3)))
    return tuple(found)


def parenthesised(value: str, description: str) -> list[str]:
    """What the description writes in brackets right after a value ("delivery (a tanker is filling
    the tanks)"), each time it does."""
    return [match.group(1) for match in re.finditer(rf"(?<![\w-]){re.escape(value)}\s*\(([^()]{{2,160}})\)",
                                                    description, re.IGNORECASE)]


@functools.lru_cache(maxsize=1024)  # asked per enum parameter of every tool ranked
def _clause_words(text: str) -> tuple[frozenset[str], ...]:
    """The stemmed words of each clause of a request, without the clauses that deny ("no tanker is
    filling the tanks today"): a gloss is told within one clause ("the forecourt cameras are down,
    fuel prices need updating" tells no "fuel on the forecourt")."""
    return tuple(frozenset(stem(word) for word in words_of(clause) if word not in STOPWORDS and len(word) >= 3)
                 for clause in CLAUSE.split(text) if clause and not _DENYING.search(clause))
