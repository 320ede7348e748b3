"""Enum parameters: which of a parameter's values the request names, written out, by an alias
(`x-aliases`, the lexicon's value words), shortened or mistyped, as a path's words, or as a host's
first label."""

from __future__ import annotations

import functools
import re
from typing import Any

from chatops.bot.agent.clauses import opens_with
from chatops.bot.agent.entities import (
    CLAUSE,
    STOPWORDS,
    Entities,
    is_english,
    is_unit,
    stem,
    words_of,
)
from chatops.bot.agent.glossed_values import glossed_aliases
from chatops.bot.agent.lexicon import (
    HTTP_VERBS,
    LIGHT_VERBS,
    STATE_WORDS,
    SWITCH_VERBS,
    VALUE_ALIASES,
)
from chatops.bot.agent.number_words import words_as_figures
from chatops.bot.agent.param_kinds import Param
from chatops.bot.agent.tool_words import (
    typo_of,
)


def enum_aliases(prop: dict[str, Any]) -> dict[str, str]:
    """What people say for each enum value: the lexicon's `VALUE_ALIASES` and the parameter's own
    `x-aliases` (a runbook's `aliases = {pg = "postgresql"}`), alias → value."""
    values = {str(value).lower(): value for value in prop.get("enum") or [] if isinstance(value, str)}
    aliases = {alias: values[target.lower()] for alias, target in VALUE_ALIASES.items() if target.lower() in values}
    for row in STATE_WORDS:
        held = [values[word] for word in row if word in values]
        if len(held) == 1:
            aliases.update({word: held[0] for word in row if word not in values})
    for alias, target in glossed_aliases(prop).items():  # "Stand (north: the Kop end, east: the away end)"
        aliases.setdefault(alias, target)
    for alias, target in (prop.get("x-aliases") or {}).items():
        if str(target).lower() in values:
            aliases[str(alias).lower()] = values[str(target).lower()]
    return aliases


# "helium's ok", "helium’s fine", "the vendor's not coming", "helium's no problem": a thing said to be well or denied
_SAID_WELL = re.compile(r"\b([a-z]+)['’]s\s+(?:not|no|never|ok|okay|fine|good|alright|all\s+right|normal|"
                        r"healthy|sorted|nothing)\b", re.IGNORECASE)


def enum_matches(values: list[Any], text: str, aliases: dict[str, str] | None = None, *,
                  loose: bool = False, labels: frozenset[str] = frozenset(),
                  own: frozenset[str] = frozenset()) -> list[Any]:
    """Enum values written in `text` as whole words, or one of their aliases ("postgres" for
    "postgresql"). Single letters and values that are also common words ("A", "GET", "HEAD")
    must be written in the same case. `loose` (for a required value): also a shortening or a
    typing slip of one, when only one value is meant so. `labels`: the parameter's name words, after
    which a one-letter value is that value ("pontoon b"). `own`: the stems of the tool's own name, which
    name what it acts on, never one part of a value ("withdraw the station?" is no `station_fire`)."""
    found = []
    for value in values:
        if not isinstance(value, str) or not value:
            continue
        if len(value) == 1:
            if _letter_written(value, text, labels):
                found.append(value)
            continue
        common = value.lower() in STOPWORDS or value.lower() in HTTP_VERBS
        flags = 0 if common else re.IGNORECASE
        if re.search(value_pattern(value), text, flags):
            found.append(value)
    negated = _NOT.sub("not", text)  # "haven't checked in" for the alias "not checked in"
    for alias, value in (aliases or {}).items():
        forms = alias_forms(alias)
        if value not in found and any(re.search(value_pattern(form), text, re.IGNORECASE) or
                                      re.search(value_pattern(form), negated, re.IGNORECASE) for form in forms):
            found.append(value)
    if len(found) > 1:  # "two inch oak" names `oak_52mm`, not the `oak_27mm` of its "inch oak"
        found = _not_inside_another(found, text, aliases or {})
    if len(found) > 1:  # "all the locked macs": a catch-all said before another value quantifies it
        catch_all = [value for value in found if str(value).lower() in _CATCH_ALL]
        others = [value for value in found if value not in catch_all]
        included = [value for value in others if re.search(  # "all BF24 coupons incl expired ones": all
            rf"\b(?:incl\.?|including|inc\.?|plus|as\s+well\s+as)\s+(?:the\s+)?(?:\S+\s+)?{value_pattern(str(value))}",
            text, re.IGNORECASE)]
        # "into both online and offline": the value "both", the two it names after it
        both = [value for value in catch_all if str(value).lower() == "both" and re.search(
            r"\bboth\s+\S+\s+and\s+\S+", text, re.IGNORECASE)]
        found = both or (catch_all if catch_all and included else (others or found))
    if not found or all(str(value).lower() in _CATCH_ALL for value in found):
        # "failed sign-ins" for `failure`, "successful ones" for `success`, "any faulty turnstiles" for
        # `fault` (its "any" quantifies them): the things listed, described by an adjective of the value
        # (not "payment switch" for `payments`: a noun names another thing)
        roots = {root_of(word) for word in words_of(text) if word not in STOPWORDS and word.isalpha() and len(word) >= 5
                 and word.endswith(("ed", "ful", "ing", "ty"))}
        described = [value for value in values if isinstance(value, str) and len(value) >= 5 and value.isalpha()
                     and root_of(value) in roots]
        # "any faulty turnstiles" quantifies the faulty ones; "all BF24 coupons incl expired ones" does not
        roots_described = {root_of(str(value)) for value in described}
        quantified = not found or any(
            re.search(rf"\b{re.escape(str(value))}\s+{re.escape(word)}\b", text, re.IGNORECASE)
            for value in found for word in words_of(text) if root_of(word) in roots_described)
        if len(described) == 1 and quantified:
            found = described
    if not found:  # "which slides are open?" for `slide_open`: every word of one value, close together in a clause
        found = _parts_told_apart(values, text)
    if not found:  # "kirkhaven route status" for `ardnish_kirkhaven`: a name that is one part of one value only
        # ("helium's down to 9%": the word is "helium", its "'s" a verb or an owner; not "helium's ok",
        # "the vendor's not coming": what is well or denied names no value of trouble)
        well = {match.group(1).lower() for match in _SAID_WELL.finditer(text)}
        bare = (word for word in (re.sub(r"['’]s$", "", word) for word in words_of(text)) if word not in well)
        written = {word for word in bare if word not in STOPWORDS and word.isalpha() and len(word) >= 5
                   and not is_unit(word) and stem(word) not in own}  # "3 hours" names no `after-hours`
        parted = {value: _naming_parts(value, text) for value in values
                  if isinstance(value, str) and re.search(r"[a-z][_-][a-z]", value.lower())}
        owners = {word: [value for value, parts in parted.items() if word in parts] for word in written}
        found = list({owning[0] for owning in owners.values() if len(owning) == 1})
        found = found if len(found) == 1 else []
    if not found:  # "what's queued on the 600?" for `neo600`: a model's number said as its name
        found = _named_by_number(values, text)
    if not found and loose:  # "med" for "medium", "warning" for "warn", "ealiest" for "earliest": one each way
        words = [word for word in words_of(text) if word not in STOPWORDS and word.isalpha() and len(word) >= 3]
        for value in values:
            if not isinstance(value, str) or len(value) < 3 or not value.isalpha():
                continue
            lowered = value.lower()
            if any(_abbreviates(word, lowered) or _abbreviates(lowered, word) or typo_of(word, {lowered}) == lowered
                   for word in words):
                found.append(value)
        found = found if len(found) == 1 else []
    elif not found:  # "the establshed sessions" for an optional `established`: a long word's typing slip
        words = [word for word in words_of(text) if word not in STOPWORDS and word.isalpha() and len(word) >= 7]
        slips = {value for value in values if isinstance(value, str) and len(value) >= 7 and value.isalpha()
                 and any(typo_of(word, {value.lower()}) == value.lower() for word in words)}
        # "check twillio" for a value whose alias is "twilio": the alias's slip, a long alias only
        longer = [word for word in words_of(text) if word not in STOPWORDS and word.isalpha() and len(word) >= 6]
        slips |= {value for alias, value in (aliases or {}).items() if len(alias) >= 6 and alias.isalpha()
                  and any(typo_of(word, {alias.lower()}) == alias.lower() for word in longer)}
        found = list(slips) if len(slips) == 1 else []
    return found


# "the 600", "the 800's queue", "unpause the 500 and the 600", "set the 600 to 310 K": a number after
# "the" that stands as a noun, followed by nothing but the clause's end, a possessive or a word that
# joins or goes on with the order; a noun after it makes it a measure or a label of something else
# ("the 800 number", "the 600 ms lag", "the 10 o'clock shift", "the 12 of us")
_GOES_ON = (r"and|or|but|too|to|for|now|right|please|pls|again|first|then|also|with|is|has|was|will|needs?|"
            r"back|off|on|at")
_THE_NUMBER = re.compile(rf"\bthe\s+(\d{{2,}})(?![.,:]\d|[\w/%-])(?:['’]s\b|(?=\s*(?:$|[,.;:!?)]|\s(?:{_GOES_ON})\b)))",
                         re.IGNORECASE)


def _named_by_number(values: list[Any], text: str) -> list[Any]:
    """The values whose only figures are a number the request says as a name: people call
    instruments, machines and lines by their model number ("the 600" for `neo600`, "the 800's
    queue" for `ascend800`), the way they say "the 737". Only after "the", standing alone as a noun
    ("the 10 minutes", "the 800 number" name nothing), and only values no other value shares its
    figures with."""
    said = {match.group(1) for match in _THE_NUMBER.finditer(text)}
    if not said:
        return []
    owners: dict[str, list[Any]] = {}
    for value in values:
        if (number := _model_number(value)) is not None:
            owners.setdefault(number, []).append(value)
    return [owning[0] for number, owning in owners.items() if number in said and len(owning) == 1]


def said_by_number(value: str, text: str) -> re.Match[str] | None:
    """Where the request says `value` by its number ("the 500" for `av500`)."""
    number = _model_number(value)
    if number is None:
        return None
    return next((match for match in _THE_NUMBER.finditer(text) if match.group(1) == number), None)


def _model_number(value: Any) -> str | None:
    """The one run of figures of a value that has letters besides ("600" of `neo600`), or None."""
    if not isinstance(value, str) or not re.search(r"[a-z]", value, re.IGNORECASE):
        return None
    figures = re.findall(r"\d+", value)
    return figures[0] if len(figures) == 1 else None


@functools.lru_cache(maxsize=1024)  # asked per alias of every enum of every tool ranked
def alias_forms(alias: str) -> frozenset[str]:
    """An alias as written, and with its number words as figures: "set K12 to two inch oak" reads
    "to 2 inch oak" (`number_words.with_figures`)."""
    return frozenset({alias, words_as_figures(alias)})


def value_forms(value: Any, aliases: dict[str, str]) -> list[str]:
    """A listed value as the request may write it: itself, and each of its aliases in `alias_forms`."""
    return [str(value), *(form for alias, owner in aliases.items() if owner == value for form in alias_forms(alias))]


def _not_inside_another(found: list[Any], text: str, aliases: dict[str, str]) -> list[Any]:
    """The values found without those whose every mention lies inside a longer mention of another
    ("two inch oak" holds the alias "inch oak" of another value): the longer phrase is what was said."""
    spans: dict[Any, list[tuple[int, int]]] = {}
    for value in found:
        for written in value_forms(value, aliases):
            spans.setdefault(value, []).extend(match.span() for match in re.finditer(value_pattern(written), text,
                                                                                      re.IGNORECASE))
    inside = {value for value in found if spans.get(value) and all(
        any(other != value and start <= begin and end <= stop and (stop - start) > (end - begin)
            for other in found for start, stop in spans.get(other, []))
        for begin, end in spans[value])}
    return [value for value in found if value not in inside]


_DENIAL = re.compile(r"\b(?:no|not|never|none|nothing)\b|n['’]t\b", re.IGNORECASE)


def _parts_told_apart(values: list[Any], text: str) -> list[Any]:
    """`_told_apart` of the values that are words (kept per text and list)."""
    return list(_told_apart(tuple(value for value in values if isinstance(value, str)), text))


@functools.lru_cache(maxsize=1024)  # asked per enum parameter, with no value written, of every tool ranked
def _told_apart(values: tuple[str, ...], text: str) -> tuple[str, ...]:
    """The one value of two or more words whose every word the request writes within four words of
    each other in one clause, in any order, one of them in the plural: things in that state ("which
    slides are open?" for `slide_open`); none when several values are told so. ("is EL02's slide
    still open?" asks about one thing, not a list filtered by a state.)"""
    # (a clause that denies anything tells no value this way: "the doors are no threat")
    clauses = [[stem(word) for word in words_of(clause)] for clause in CLAUSE.split(text)
               if clause and not _DENIAL.search(clause)]
    plural = {stem(word) for word in words_of(text) if len(word) > 3 and word.endswith("s") and stem(word) != word}
    told = []
    for value in values:
        parts = [stem(part) for part in re.split(r"[-_ ]", value.lower()) if part]
        if len(parts) < 2 or any(part in STOPWORDS or not part.isalpha() for part in parts):
            continue
        for words in clauses:
            at = [[index for index, word in enumerate(words) if word == part] for part in parts]
            if all(at) and max(min(places) for places in at) - min(min(places) for places in at) <= 4 \
                    and plural & set(parts):
                told.append(value)
                break
    return tuple(told) if len(told) == 1 else ()


def _naming_parts(value: str, text: str) -> set[str]:
    """The parts of a value of several words that name it alone in `text`: a name's own words
    ("kirkhaven" of `ardnish_kirkhaven`), its head, the last ("horse" of `loose_horse`), and an
    English word before the head that stands for it ("the projector in screen 10" for
    `projector_fault`); not one that describes another thing there ("lock the external doors"
    names no `external_threat`)."""
    parts = re.split(r"[_-]", value.lower())
    clauses = [words_of(clause) for clause in CLAUSE.split(text) if clause]  # "no power, close it": power ends
    return {part for index, part in enumerate(parts)
            if index == len(parts) - 1 or not is_english(stem(part)) or not _describes_another(part, clauses)}


def _describes_another(word: str, clauses: list[list[str]]) -> bool:
    """Whether every time `word` is written it stands before another word of its clause that it
    describes ("external doors"), is denied ("it's not the projector") or is a verb after its
    subject ("when I return"), not a word of grammar ("the projector in", "mains is", the "s" of a
    curly "coolant’s" split off)."""
    at = [(words, index) for words in clauses for index, written in enumerate(words) if written == word]
    return bool(at) and all((index + 1 < len(words) and words[index + 1].isalpha() and
                             words[index + 1] not in STOPWORDS and words[index + 1] != "s")
                            or _denied_or_done(words[max(0, index - 2):index])
                            for words, index in at)


_SUBJECTS = frozenset({"i", "we", "you", "they", "he", "she", "it", "someone"})


def _denied_or_done(before: list[str]) -> bool:
    """Whether the two words before a word deny it ("not the") or make it a verb ("when I"); "no
    power" tells what is missing, the value itself."""
    return bool(before) and (before[-1] in _SUBJECTS or any(word in ("not", "never") or word.endswith("n't")
                                                           for word in before))


_DERIVING = ("ures", "ure", "ments", "ment", "ful", "ness", "ity", "ed", "ing", "y", "s")  # not "ion": product(ion)


def root_of(word: str) -> str:
    """A word without the ending that makes a noun, adjective or verb form of it: "failure",
    "failed" and "failing" are "fail"; "successful" is "success"; "expiry" and "expired" "expir"."""
    word = word.lower()
    for ending in _DERIVING:
        if word.endswith(ending) and len(word) - len(ending) >= 4 and not (ending == "s" and word.endswith("ss")):
            word = word[: -len(ending)]
            break
    return word[:-1] if word.endswith("e") and len(word) > 4 else word


_NOT = re.compile(r"\b(?:haven'?t|hasn'?t|hadn'?t|didn'?t|don'?t|doesn'?t|isn'?t|aren'?t|wasn'?t|weren'?t|never)\b",
                  re.IGNORECASE)
_CATCH_ALL = frozenset({"all", "any", "every", "both"})


@functools.lru_cache(maxsize=1024)  # asked per value and alias of every enum of every tool ranked
def value_pattern(value: str) -> str:
    """The pattern of a value as people write it: whole, and a value of several words joined by
    "-" or "_" also with a space or nothing between them ("packet loss" for `packet-loss`), or a
    determiner ("failed its BD"), a final "s" of its words also as a possessive ("st mary's"), a word
    of four letters or more also in the plural ("faults"), as the last of several words ("hot spots"); never a
    part of a dotted name ("de" of the channel "sport1.de.hd", "mx1" of "mx1.mail.corp": a host
    is matched as a host, `enum_hosts`)."""
    words = re.split(r"[-_\s]", value)
    parts = [_possessive(part) for part in words]
    # "failed its BD" for "failed bd": a determiner may stand between the words of several, after a
    # word of its own ("at the risk of" is no `at_risk`, "in the stock room" no `in_stock`)
    between = _BETWEEN if words[0].lower() not in STOPWORDS else r"[-_ ]?"
    joined = between.join(parts) if len(parts) > 1 and all(parts) else re.escape(value)
    # "any faults" for `fault`; not a count of things after a number ("3 nights" is no `night`)
    # and "any hot spots" for `hot_spot`: the last of several words in the plural too
    plural = (value.isalpha() and len(value) >= 4) or (
        len(parts) > 1 and all(parts) and words[-1].isalpha() and len(words[-1]) >= 3 and not words[-1].endswith("s"))
    written = rf"(?:{joined}|(?<!\d\s){joined}e?s)" if plural else joined
    return rf"(?<![\w-])(?<!\w\.){written}(?![\w-])(?!\.\w)"  # not a part of "sport1.de.hd"


_BETWEEN = r"(?:[-_ ]?|\s+(?:its|the|their|his|her|our|a|an)\s+)"


def _possessive(part: str) -> str:
    """A word of a value as written, a final "s" also after an apostrophe ("st mary's" for
    `st_marys`)."""
    if len(part) >= 4 and part.endswith("s") and part[:-1].isalpha():
        return rf"{re.escape(part[:-1])}['’]?s"
    return re.escape(part)


def _letter_written(value: str, text: str, labels: frozenset[str]) -> bool:
    """A one-letter value ("C" of pontoons a to d) written as people name a letter: a capital alone
    after a word that points ("which berths on C are free?") or after the parameter's own name
    (`labels`: "pontoon b", lower case too). Never a letter that labels another thing ("section C
    of the handbook", "plan B"), a unit after a figure ("32 A"), part of a number ("A.02"), a letter
    in shouted text ("LOCK A ROW NOW"), the article opening a sentence or "i"."""
    letter = value.upper()
    if letter == "I":
        return False
    for found in re.finditer(rf"(?<![\w.'’-]){letter}(?![\w'’-]|\.\d)", text, re.IGNORECASE):
        before = text[:found.start()].rstrip()
        previous = re.search(r"([A-Za-z]+)\W*$", before)
        word = previous.group(1) if previous else ""
        if before and before[-1].isdigit():
            continue  # "32 A": a unit
        if word.lower() in labels:
            return True  # "pontoon b", "row C"
        if found.group() != letter or (letter == "A" and (not before or before[-1] in ".!?:;\n")):
            continue  # a lower-case letter after no name of it; "A boat …": the article
        following = re.match(r"\W*([A-Za-z]+)", text[found.end():])
        if any(len(near) >= 2 and near.isupper() for near in (word, following.group(1) if following else "")):
            continue  # "LOCK A ROW NOW": shouted, every letter a capital
        if not word or word.lower() in STOPWORDS:
            return True  # "on C", "is C free?"
    return False


def _abbreviates(short: str, long: str) -> bool:
    """ "med" → "medium", "maint" → "maintenance", "warn" → "warning": the start of it, at least
    three letters and half of it."""
    return long != short and long.startswith(short) and len(short) >= 3 and len(short) * 2 >= len(long) - 1


def opens_a_clause(value: str, aliases: dict[str, str], text: str) -> bool:
    """Whether the request's verb is this state value or a word for it ("enable X", "disable X"),
    or a light verb whose particle it is ("turn new_checkout off", "switch it on"); a name
    ("nginx looks odd") is not a verb."""
    states = frozenset().union(*STATE_WORDS)
    words = frozenset(word for word in (value.lower(), *(alias for alias, target in aliases.items()
                                                         if target == value)) if word in states)
    return opens_with(words, text) or opens_with(LIGHT_VERBS | SWITCH_VERBS, text, then=words)


def path_enum_matches(values: list[Any], entities: Entities) -> list[Any]:
    """Enum values that are paths, named by the request: the path itself ("/var/log/dpkg.log"), or
    every word of one of them that is not a common folder ("syslog", "the nginx error log")."""
    paths = [value for value in values if isinstance(value, str) and value.startswith("/")]
    if not paths:
        return []
    exact = [value for value in paths if value in entities.paths]
    if exact:
        return exact
    words = {stem(word) for word in words_of(entities.plain)}
    named = []
    for value in paths:
        base = value.rsplit("/", 1)[-1]
        stem_of_base = base.rsplit(".", 1)[0] if "." in base else base
        parts = [part for part in value.rsplit("/", 1)[0].split("/") if part and part not in _COMMON_FOLDERS]
        parts = [stem(part) for part in [*parts, stem_of_base]]
        if parts and all(part in words for part in parts):
            named.append(value)
    return named if len(named) == 1 else []


_COMMON_FOLDERS = frozenset({"var", "etc", "usr", "opt", "srv", "home", "tmp", "local", "lib", "share", "run", "log"})


def enum_hosts(param: Param, entities: Entities) -> list[tuple[str, str]]:
    """(value, host) for each enum value that is the first label of a host the request names:
    "qshape hold on mx1.mail.corp" names the relay `mx1`."""
    return [(value, host) for value in param.enum if isinstance(value, str) and len(value) >= 2
            for host in entities.hosts if host not in entities.ips and host.split(".", 1)[0] == value.lower()]
