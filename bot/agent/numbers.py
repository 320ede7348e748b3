"""Number parameters: which number of the request a parameter takes. Next to a word naming it
("200 lines", "sev 2"), in its unit ("14 days", "50%"), with its prefix ("CHG4711"), or the lone
number where one is needed; always within its schema's bounds."""

from __future__ import annotations

import dataclasses
import itertools
import re
from typing import Any

from chatops.bot.agent.entities import (
    Entities,
    identifier_words,
    is_unit,
    stem,
    words_of,
)
from chatops.bot.agent.lexicon import STOPWORDS
from chatops.bot.agent.param_kinds import Param
from chatops.bot.agent.sizes import converted_sizes, own_unit_sizes, size_words, target_size
from chatops.bot.agent.tool_words import summary_stems
from chatops.bot.agent.values import anchor_stems

_COUNT_NAMES = frozenset({"count", "times", "occurrences", "repeat", "repeats", "attempts", "tries", "pings"})
COUNT_WORDS = frozenset({"top", "first", "last", "latest", "newest", "oldest"})


def fits_bounds(value: float, prop: dict[str, Any]) -> bool:
    """Whether the schema takes this number: its bounds, and its values when it lists them."""
    if prop.get("enum") and value not in prop["enum"]:
        return False
    if "minimum" in prop and value < prop["minimum"]:
        return False
    if "maximum" in prop and value > prop["maximum"]:
        return False
    if "exclusiveMinimum" in prop and value <= prop["exclusiveMinimum"]:
        return False
    return not ("exclusiveMaximum" in prop and value >= prop["exclusiveMaximum"])


def near_number(anchors: frozenset[str], entities: Entities, names: tuple[str, ...] = (),
                used: frozenset[int] | set[int] = frozenset()) -> int | None:
    """A number the request writes next to a word naming the parameter: "200 lines", "a 7
    second timeout", "replicas: 5". Numbers inside quoted output never count (see
    `entities.extract_entities`)."""
    # "block 7's auto start": the possessive is the block's, the number 7
    tokens = [token[:-2] if token.endswith("'s") else token for token in words_of(entities.plain)]
    found: list[tuple[int, int, int]] = []  # (how far from the word naming it, where, the number)
    for index, token in enumerate(tokens):
        if not token.isdigit() or int(token) not in entities.numbers or int(token) in used:
            continue  # "outlet 9 with a delay of 30": 9, near "outlet" of the delay's description, is outlet's
        if index and _shortens_a_name_word(tokens[index - 1], names):  # "sev 2" for `severity`
            found.append((1, index, int(token)))
            continue
        # "wait more than 4"; the nearest is the one: "604, 3 nights" is 3 nights
        distances = [abs(other - index) for other in range(max(0, index - 3), min(len(tokens), index + 3))
                     if other != index and stem(tokens[other]) in anchors]
        if distances:
            found.append((min(distances), index, int(token)))
    return min(found)[2] if found else None


def named_near(param: Param, entities: Entities) -> bool:
    """Whether a number is written next to the parameter's own name ("5 replicas"), or next to
    "times" for a count ("until it happens 100 more times" is `count`'s, though `minutes` says "times"
    in its description): such a parameter takes its number before those named only by description."""
    own = {stem(word) for word in identifier_words(param.name.lower())}
    if own & _COUNT_NAMES:
        own.add(stem("times"))
    return near_number(frozenset(own), entities) is not None


def _counts_something_else(number: int, param: Param, entities: Entities) -> bool:
    """ "the 30 players on it" for a countdown in seconds: the number counts the noun after it, which
    is not the unit the parameter counts in."""
    unit = time_unit(param)
    if unit is None:
        return False
    around = _words_around(number, entities)
    if around is None:
        return False
    after = around[1]
    return after.isalpha() and not after.startswith(unit[:3]) and after not in _TIME_WORDS


def _counts_a_noun_of_its_own(number: int, param: Param, summary: str, entities: Entities) -> bool:
    """Whether the number found only near the tool's own words counts the noun written after it, a
    noun neither the parameter nor the tool speaks of ("3 people", "2 vans"): then it is that
    noun's count, not this parameter's value."""
    around = _words_around(number, entities)
    if around is None or around[0] in COUNT_WORDS:
        return False  # "last 25 texts": how many of its own things to list
    after = around[1]
    known = {stem(word) for word in [*identifier_words(param.name), *words_of(str(param.schema.get("description", ""))),
                                     *words_of(summary)]}
    return after.isalpha() and len(after) >= 3 and after not in _TIME_WORDS and after not in STOPWORDS \
        and not is_unit(after) and stem(after) not in known


def _words_around(number: int, entities: Entities) -> tuple[str, str] | None:
    """The words just before and after the request's first writing of `number` ("" before the
    first word), or None when nothing follows it."""
    tokens = words_of(entities.plain)
    for index, token in enumerate(tokens[:-1]):
        if token == str(number):
            return (tokens[index - 1] if index else ""), tokens[index + 1]
    return None


_TIME_WORDS = frozenset({"s", "sec", "secs", "second", "seconds", "m", "min", "mins", "minute", "minutes", "h", "hr",
                         "hrs", "hour", "hours", "d", "day", "days", "w", "week", "weeks", "y", "yr", "yrs", "year",
                         "years", "more", "times"})


def _shortens_a_name_word(word: str, names: tuple[str, ...]) -> bool:
    """ "sev" for severity, "proc" for a "Process id": the start of one of the parameter's own
    words (its name's, its description's), three letters at least."""
    return len(word) >= 3 and word.isalpha() and any(name != word and name.startswith(word) for name in names)


# "to all cameras", "across the whole fleet": every one of them, for a share in percent
_TO_ALL = re.compile(r"\b(?:to|on|across|for|over)\s+(?:all|every|each|the\s+(?:whole|entire))\b", re.IGNORECASE)
_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400, "weeks": 604800, "years": 365 * 86400}


def time_unit(param: Param) -> str | None:
    """The time unit a number parameter counts in, by its name ("since_hours", "minutes",
    "retention_days") or else its description ("Timeout in seconds"): one unit, or none."""
    for said in (" ".join(identifier_words(param.name)), str(param.schema.get("description", ""))):
        words = {word if word.endswith("s") else f"{word}s" for word in re.findall(r"[a-z]+", said.lower())}
        units = words & set(_SECONDS)
        if len(units) == 1:
            return units.pop()
    return None


def converted_duration(param: Param, entities: Entities) -> int | None:
    """The request's one duration in the unit the parameter counts in: "for 2 hours" is
    `minutes=120`, "over the last 2 days" is `since_hours=48`. Whole numbers only."""
    unit = time_unit(param)
    if unit is None or len(entities.durations) != 1:
        return None
    count, said = entities.durations[0]
    seconds = count * _SECONDS.get(said, 0)
    if not seconds or seconds % _SECONDS[unit]:
        return None
    value = seconds // _SECONDS[unit]
    return value if fits_bounds(value, param.schema) else None


_PERCENT = frozenset({"percent", "percentage", "pct"})


def _named_by(param: Param) -> str:
    """The parameter's name and description, lower case: the words that say what it counts in."""
    return f"{' '.join(identifier_words(param.name))} {param.schema.get('description', '')}".lower()


def _about_percent(param: Param) -> bool:
    """Whether the parameter counts in percent: by the word, or the sign ("target in %")."""
    named = _named_by(param)
    return "%" in named or bool({part for part in re.split(r"[_\W]+", named) if part} & _PERCENT)


def percentage_for(param: Param, entities: Entities) -> int | None:
    """The request's one percentage ("60%", "60 percent") for a parameter about percent: before any
    bare number near its name ("down to 60 percent for 8 hours" is 60, not 8)."""
    if not _about_percent(param) or len(entities.percentages) != 1:
        return None
    return entities.percentages[0] if fits_bounds(entities.percentages[0], param.schema) else None


def unit_number(param: Param, entities: Entities) -> int | None:
    """A number written with the unit this parameter counts in: a percentage for a parameter about
    percent, "14 days"/"30d" for one named in days (hours, minutes, seconds, weeks)."""
    named_by = _named_by(param)
    if (percent := percentage_for(param, entities)) is not None or (_about_percent(param) and entities.percentages):
        return percent
    if _about_percent(param) and not entities.percentages and _TO_ALL.search(entities.plain) \
            and fits_bounds(100, param.schema):
        return 100  # "push v2.9.0 to all cameras": the whole of them
    named = [value for value, unit in entities.durations if unit in set(identifier_words(param.name))]
    if not named:  # "500 GB", "50G" for a parameter in GB ("limit_gb", "Size in GB")
        named = own_unit_sizes(param, entities)
    if not named:  # "to 80kw" for `kw` ("cap in kw"), "40 rps" for "Requests per second (rps)": its own unit
        counted_in = set(identifier_words(param.name.lower())) | set(re.findall(r"\bin\s+([a-z]{2,5})\b", named_by)) | \
            set(re.findall(r"\(([a-z]{2,5})\)", named_by))
        named = [int(number) for number, unit in _WITH_UNIT.findall(entities.plain.lower())
                 if unit in counted_in and unit not in STOPWORDS]  # `plain`: quoted output blanked
        if not named:  # "16A is fine" for "Breaker rating in amps": a unit's symbol, its word's capital initial
            described = str(param.schema.get("description", "")).lower()  # "Breaker rating in amps"; not `max_pods`
            units = set(re.findall(r"\bin\s+([a-z]{3,})\b", described)) | set(re.findall(r"\(([a-z]{3,})\)", described))
            symbols = {word[0].upper() for word in units if not is_unit(word) and word not in STOPWORDS}
            named = [int(number) for number, symbol in _WITH_SYMBOL.findall(entities.plain) if symbol in symbols]
    return named[0] if len(named) == 1 and fits_bounds(named[0], param.schema) else None


_PUT_TO = re.compile(r"\b(?:set|change|make|put|turn|bump|drop|raise|lower|move)\s+(?:it|that|this|them)\s+"
                     r"(?:back\s+)?(?:up\s+|down\s+)?to\s+(\d+)(?![\w.])", re.IGNORECASE)
_WITH_UNIT = re.compile(r"(?<![\w.])(\d+)\s?([a-z]{2,5})\b")
_WITH_SYMBOL = re.compile(r"(?<![\w.-])(\d+)\s?([A-Z])(?![\w-])")  # "16A", "32 A", "230V"; not "A-02"


def _initial_of(prefix: str, name: str) -> bool:
    """ "p2" for `priority`, "s1" for `severity`: one letter, the initial of a one-word name."""
    words = identifier_words(name.lower())
    return len(prefix) == 1 and len(words) == 1 and len(words[0]) >= 5 and words[0].startswith(prefix)


def _written_as_a_grade(prefix: str, number: int, text: str) -> bool:
    """ "p2", "S1": a letter and its number written as one word, without a leading zero; "p-03"
    is an id (bay p-03), not a 3 for `percent`."""
    return re.search(rf"(?<![\w.@/-]){re.escape(prefix)}{number}(?![\w.@/-])", text, re.IGNORECASE) is not None


def numbered(param: Param, entities: Entities, used: set[int]) -> int | None:
    """The number of a thing written with its prefix ("CHG4711", "osd.17", "#4795") for a number
    parameter, when the prefix is a word of the parameter's name or description (its examples
    too: "e.g. 4711 for CHG4711"; "build-02" is a host, not a number of `days`); a bare "#4795"
    only for a required one. One such number, or none is taken."""
    said = " ".join([param.name, str(param.schema.get("description", ""))]).lower()
    words = set(re.split(r"[^a-z]+", said)) | {w for token in re.findall(r"[a-z]+\d+", said)
                                                for w in re.findall(r"[a-z]+", token)}
    found = {number for prefix, number in entities.numbered
             if number not in used and fits_bounds(number, param.schema)
             and ((prefix and (prefix in words or _shortens_a_name_word(prefix.lower(), tuple(words))  # "sev1"
                               or (_initial_of(prefix.lower(), param.name)  # "p2" for `priority`
                                   and _written_as_a_grade(prefix, number, entities.text))))
                  or (not prefix and param.required))}
    return found.pop() if len(found) == 1 else None


_ANSWERED = re.compile(r"\b(?:return(?:s|ing|ed)?|answer(?:s|ing|ed)?|respond(?:s|ing|ed)?(?:\s+with)?|give(?:s)?|"
                       r"gives?\s+back|should\s+(?:be|get|give|return|answer)|expect(?:ing)?)\s+(?:an?\s+|a\s+)?"
                       r"(?:http\s+)?([1-5][0-9]{2})\b", re.IGNORECASE)


def answered_status(param: Param, entities: Entities) -> int | None:
    """An HTTP status written as what a service should answer ("answering 204", "should return
    401"), for a parameter about a status or code whose bounds take it."""
    described = str(param.schema.get("description", "")).lower()
    said = {*identifier_words(param.name.lower()), *re.findall(r"[a-z]+", described)}
    if not said & {"status", "code"}:
        return None
    found = {int(match.group(1)) for match in _ANSWERED.finditer(entities.plain)}
    found = {value for value in found if fits_bounds(value, param.schema) and value in entities.numbers}
    return found.pop() if len(found) == 1 else None


def shaped_like_its_example(param: Param, free: list[int], entities: Entities) -> int | None:
    """The one number written as long as the record number the parameter's description gives as
    its example ("The run number, e.g. 48213"), not an amount of time or a percentage: an id has
    the length of ids, whatever else the request counts."""
    examples = re.findall(r"(?<![\w.])#?(\d{4,})(?![\w.])", str(param.schema.get("description", "")))
    if not examples:
        return None
    lengths = {len(example) for example in examples}
    amounts = {*entities.percentages, *(number for number, _ in entities.durations)}
    found = {number for number in free if number not in amounts and
             any(abs(len(str(number)) - length) <= 1 for length in lengths)}
    return found.pop() if len(found) == 1 else None


def number_after(words: tuple[str, ...], entities: Entities) -> int | None:
    """The only number written right after one of `words` ("listening on 22")."""
    tokens = words_of(entities.plain)
    found = [int(tokens[i + 1]) for i in range(len(tokens) - 1) if tokens[i] in words and tokens[i + 1].isdigit()
             and int(tokens[i + 1]) in entities.numbers]
    return found[0] if len(found) == 1 else None


def _count_of_its_things(free: list[int], entities: Entities, summary: str) -> int | None:
    """The one number written right before a thing the tool's summary names ("2 keys" of "encode
    new guest key cards"): how many of them, for a parameter that counts."""
    things = summary_stems(summary)
    tokens = words_of(entities.plain)
    found = {int(token) for token, following in itertools.pairwise(tokens)
             if token.isdigit() and int(token) in free and stem(following) in things and not is_unit(following)}
    # "we need 12 of /models/enclosure.gcode": how many of the file the request names
    # (not "page 3 of /docs/manual.pdf": a figure after a word of its own numbers a part of it)
    found |= {int(figure) for before, lead, figure, path in re.findall(
                  r"(?:(?:^|(\w+)\s+)(\w+)\s+)?(?<![\w.])(\d+)\s+of\s+(?:the\s+|that\s+|this\s+)?(\S+)", entities.text)
              if int(figure) in free and path.rstrip(",.;") in entities.paths and _orders_the_count(before, lead)}
    return found.pop() if len(found) == 1 else None


def _orders_the_count(before: str, lead: str) -> bool:
    """Whether the word before "N of <file>" is the order's own ("queue 3 of", "we need 12 of"),
    not a word that numbers a part of the file ("page 3 of", "chapter 4 of")."""
    return not lead or lead.lower() in STOPWORDS or not before or before.lower() in ("i", "we", "you", "they")


def _counts(param: Param) -> bool:
    """Whether the parameter is a count: by its name ("count", "attempts") or "how many" in its
    description ("How many copies to print")."""
    return bool(set(identifier_words(param.name.lower())) & _COUNT_NAMES) or \
        re.search(r"\bhow\s+many\b", str(param.schema.get("description", "")), re.IGNORECASE) is not None


def refused_number(param: Param, entities: Entities, used: set[int]) -> tuple[int, int] | None:
    """The number the request writes for this parameter, next to one of its words ("a delay of
    300", "off for 300 seconds" for "Seconds the outlet stays off") and in its unit, that its bounds
    refuse: the user asked for that value, and the default would silently do something else. As
    (the value in the parameter's unit, the number written)."""
    named = frozenset(stem(word.lower()) for word in identifier_words(param.name))
    described = anchor_stems(param.name, param.schema, [])
    unit = time_unit(param)
    tokens = words_of(entities.plain)
    found: set[tuple[int, int]] = set()
    for index, token in enumerate(tokens):
        if not token.isdigit() or int(token) in used or int(token) not in entities.numbers:
            continue
        timed = unit is not None and any(count == int(token) for count, _ in entities.durations)
        # its own name before it ("a delay of 300"), or its description's words before a duration
        # ("off for 300 seconds"); "returns 200" near a timeout's description asks nothing of it
        anchors = described if timed else named
        if not any(stem(word) in anchors for word in tokens[max(0, index - 3): index]):
            continue
        value = int(token)
        said = next((said for count, said in entities.durations if count == value), None)
        if said is not None:
            if unit is None:
                continue  # "for 2 hours" to a parameter counted in no time: nothing it asks of it
            value = value * _SECONDS.get(said, 0) // _SECONDS[unit]
        found.add((value, int(token)))
    refused = {pair for pair in found if not fits_bounds(pair[0], param.schema)}
    return refused.pop() if len(found) == 1 and refused else None


def measure_for(param: Param, entities: Entities) -> float | int | None:
    """The request's one measure written signed or with decimals ("-18", "13.3") for a parameter
    that takes such values: a `number`, or an integer whose minimum is below zero. Whole values stay
    whole."""
    signed = "minimum" in param.schema and param.schema["minimum"] < 0
    fitting = [value for value in entities.measures if fits_bounds(value, param.schema) and
               (param.kind == "number" or (signed and value.is_integer()))]
    if len(fitting) != 1:
        return None
    return int(fitting[0]) if fitting[0].is_integer() else fitting[0]


def number_for(param: Param, entities: Entities, used: set[int], summary: str, *,
               only_number: bool) -> tuple[int | None, set[str]]:
    """The number this parameter takes, and the words it was written in when those were a name
    ("CHG4711", "#4711"), which no text parameter may then take. Tried in order of evidence: next
    to a word naming it, the lone number a required one needs, in its unit, with its prefix.
    `only_number`: the tool takes no other number, so its description's words and count words
    ("the last 5 commits", "top 5") name it too."""
    if (measure := measure_for(param, entities)) is not None:
        return measure, set()  # "set MSKU7263514 to -18" for a setpoint in °C
    duration = converted_duration(param, entities)
    if duration is not None and duration not in used:
        return duration, set()  # "for 2 hours" to a parameter in minutes: the unit decides, not the nearness
    percent = percentage_for(param, entities)
    if percent is not None and percent not in used:
        return percent, set()
    sizes = target_size(param, entities) or own_unit_sizes(param, entities) or converted_sizes(param, entities)
    if len(sizes) == 1 and sizes[0] not in used and fits_bounds(sizes[0], param.schema):
        return sizes[0], set()  # "to 2 TiB" for `size_gib`: 2048, never the bare 2
    if size_words(param):  # a size is taken in its unit (`unit_number`) or not at all: "by 1 TiB" is no 1
        entities = dataclasses.replace(entities, numbers=[n for n in entities.numbers
                                                          if n not in {count for count, _ in entities.sizes}])
    anchors = anchor_stems(param.name, param.schema, [])
    if _counts(param):
        anchors |= {stem("times")}  # "ping it 10 times", "until it happens 100 more times"
    free = [n for n in entities.numbers if n not in used and fits_bounds(n, param.schema)]
    # "pitch 16 is on 10 amps, set it to 6": the value an order puts "it" to, over one told as now
    ordered = [int(n) for n in _PUT_TO.findall(entities.plain) if int(n) in free]
    if len(ordered) == 1 and len(set(free)) > 1:
        return ordered[0], set()
    described = re.findall(r"[a-z]{5,}", str(param.schema.get("description", "")).lower())
    names = (*(word.lower() for word in identifier_words(param.name)), *described)
    # "number 7 in race 3": the race is the figure next to its own name, before one next to a word
    # its description also uses ("Race number on today's racecard")
    own = frozenset(stem(word) for word in identifier_words(param.name.lower()) if len(word) >= 3) & anchors
    near = near_number(own, entities, names, used) if own else None
    if near is None:
        near = near_number(anchors, entities, names, used)  # "sev 2", "proc 28133" (Process id)
    if near is None and only_number:  # its own words first: "set 16 to 10 amps" is 10, though "set" is the tool's
        near = near_number(anchors | summary_stems(summary) | COUNT_WORDS, entities, names, used)
        if near is not None and _counts_a_noun_of_its_own(near, param, summary, entities):
            near = None  # "send G12 out, 3 people on the headland": people, not the dose
    if near is not None and near not in used and fits_bounds(near, param.schema) and \
            not _counts_something_else(near, param, entities):
        return near, set()
    if _counts(param) and (counted := _count_of_its_things(free, entities, summary)) is not None:
        return counted, set()  # "cut 2 keys for 604" for "how many cards to encode" (of "key cards")
    lone = [n for n in free if time_unit(param) or n not in {number for number, _ in entities.durations}]
    if param.required and len(lone) == 1:
        return lone[0], set()  # a lone number where one is needed ("scale checkout to 4"; "for 20 min" is no id)
    if param.required and (shaped := shaped_like_its_example(param, free, entities)) is not None:
        return shaped, set()  # "job 51120 has been stuck for 45 min at 99%" for "The run number, e.g. 48213"
    times = [n for prefix, n in entities.numbered if prefix.lower() in ("x", "×")]
    if _counts(param) and len(times) == 1 and times[0] not in used and fits_bounds(times[0], param.schema):
        return times[0], {f"x{times[0]}"}  # "send it to the printers x4": four copies
    answered = answered_status(param, entities)  # "is /ingest answering 204", "it should return 401"
    if answered is not None and answered not in used:
        return answered, set()
    value = unit_number(param, entities)  # "ramp X to 50%", "the last 14 days", "30d"
    if value is not None:
        return value, set()
    value = numbered(param, entities, used)  # "close CHG4711", "out osd.17"
    if value is None:
        return None, set()
    return value, {f"{prefix}{sep}{value}" for prefix, number in entities.numbered if number == value
                   for sep in ("", "-", ".", "#")} | {f"#{value}"}
