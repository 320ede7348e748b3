"""Which values of the request fill a tool's parameters: the parameters read from the tool's
schema, the entities and spans that fit each one, and the tool's own wording that is never a
value. `bot.agent.ranking` scores tools with what this finds; `bot.agent.values` scores the
free-text spans."""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz.distance import OSA

from chatops.bot.agent.entities import (
    CLAUSE,
    STOPWORDS,
    VERB_LEADS,
    Entities,
    add_unique,
    identifier_words,
    is_domain,
    is_english,
    name_words,
    stem,
    url_host,
    url_port,
    words_of,
)
from chatops.bot.agent.lexicon import (
    ACTION_CLASSES,
    DETERMINERS,
    FALSE_PARTICLES,
    HTTP_VERBS,
    LIGHT_VERBS,
    PARTICLES,
    STATE_VERBS,
    STATE_WORDS,
    SWITCH_VERBS,
    SYNONYMS,
    TRUE_PARTICLES,
    VALUE_ALIASES,
    synonym_class,
)
from chatops.bot.agent.param_kinds import Param, fits_string, parameters
from chatops.bot.agent.values import (
    Choice,
    Span,
    anchor_stems,
    best_assignment,
    distinctive,
    fitting,
    identifier_shaped,
    restrictive,
    spans_of,
    value_choices,
)
from chatops.bot.model import Risk
from chatops.tools.registry import ToolSpec

FIT_POINTS = {  # an entity that fits a parameter, by (entity kind, parameter kind)
    ("url", "url"): 3.0,
    ("host", "url"): 2.0,
    ("host", "host"): 1.5,
    ("host", "domain"): 1.5,
    ("url", "host"): 0.5,
    ("url", "domain"): 0.5,
    ("port", "port"): 2.0,
    ("timezone", "timezone"): 3.0,
    ("city", "timezone"): 1.0,
    ("path", "path"): 2.0,
    ("enum", "enum"): 2.5,
    ("number", "int"): 0.5,
    ("anchor", "string"): 1.0,
}
ENTITY_KINDS = frozenset({"url", "host", "domain", "port", "timezone", "path"})


# --- parameters ------------------------------------------------------------------------------


def enum_aliases(prop: dict[str, Any]) -> dict[str, str]:
    """What people say for each enum value: the lexicon's `VALUE_ALIASES` and the parameter's own
    `x-aliases` (a runbook's `aliases = {pg = "postgresql"}`), alias → value."""
    values = {str(value).lower(): value for value in prop.get("enum") or [] if isinstance(value, str)}
    aliases = {alias: values[target.lower()] for alias, target in VALUE_ALIASES.items() if target.lower() in values}
    for row in STATE_WORDS:
        held = [values[word] for word in row if word in values]
        if len(held) == 1:
            aliases.update({word: held[0] for word in row if word not in values})
    for alias, target in (prop.get("x-aliases") or {}).items():
        if str(target).lower() in values:
            aliases[str(alias).lower()] = values[str(target).lower()]
    return aliases


def _enum_matches(values: list[Any], text: str, aliases: dict[str, str] | None = None, *,
                  loose: bool = False) -> list[Any]:
    """Enum values written in `text` as whole words, or one of their aliases ("postgres" for
    "postgresql"). Single letters and values that are also common words ("A", "GET", "HEAD")
    must be written in the same case. `loose` (for a required value): also a shortening or a
    typing slip of one, when only one value is meant so."""
    found = []
    for value in values:
        if not isinstance(value, str) or not value:
            continue
        common = len(value) == 1 or value.lower() in STOPWORDS or value.lower() in HTTP_VERBS
        flags = 0 if common else re.IGNORECASE
        if re.search(rf"(?<![\w-]){re.escape(value)}(?![\w-])", text, flags):
            found.append(value)
    for alias, value in (aliases or {}).items():
        if value not in found and re.search(rf"(?<![\w-]){re.escape(alias)}(?![\w-])", text, re.IGNORECASE):
            found.append(value)
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
    return found


def _abbreviates(short: str, long: str) -> bool:
    """ "med" → "medium", "maint" → "maintenance", "warn" → "warning": the start of it, at least
    three letters and half of it."""
    return long != short and long.startswith(short) and len(short) >= 3 and len(short) * 2 >= len(long) - 1


def _opens_a_clause(value: str, aliases: dict[str, str], text: str) -> bool:
    """Whether the request's verb is this state value or a word for it ("enable X", "disable X"),
    or a light verb whose particle it is ("turn new_checkout off", "switch it on"); a name
    ("nginx looks odd") is not a verb."""
    states = frozenset().union(*STATE_WORDS)
    words = frozenset(word for word in (value.lower(), *(alias for alias, target in aliases.items()
                                                         if target == value)) if word in states)
    return opens_with(words, text) or opens_with(LIGHT_VERBS | SWITCH_VERBS, text, then=words)


def _path_enum_matches(values: list[Any], entities: Entities) -> list[Any]:
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


def _fits_bounds(value: float, prop: dict[str, Any]) -> bool:
    if "minimum" in prop and value < prop["minimum"]:
        return False
    if "maximum" in prop and value > prop["maximum"]:
        return False
    if "exclusiveMinimum" in prop and value <= prop["exclusiveMinimum"]:
        return False
    return not ("exclusiveMaximum" in prop and value >= prop["exclusiveMaximum"])


def _with_port(host: str, param: Param, entities: Entities) -> str:
    """`host:port` when the request wrote it so and the parameter takes that form ("host or
    host:port", a pattern with an optional `:port`); otherwise the bare host."""
    port = next((port for name, port in entities.host_ports if name == host), None)
    if port is None or f"{host}:{port}" not in entities.text:
        return host
    joined = f"{host}:{port}"
    pattern = param.schema.get("pattern")
    takes = fits_string(joined, param.schema) if pattern else "host:port" in str(param.schema.get("description", ""))
    return joined if takes else host


def _near_number(anchors: frozenset[str], entities: Entities, names: tuple[str, ...] = ()) -> int | None:
    """A number the request writes next to a word naming the parameter: "200 lines", "a 7
    second timeout", "replicas: 5". Numbers inside quoted output never count (see
    `entities.extract_entities`)."""
    tokens = words_of(entities.plain)
    for index, token in enumerate(tokens):
        if not token.isdigit() or int(token) not in entities.numbers:
            continue
        neighbours = tokens[max(0, index - 3): index] + tokens[index + 1: index + 3]  # "wait more than 4"
        if any(stem(word) in anchors for word in neighbours):
            return int(token)
        if index and _shortens_a_name_word(tokens[index - 1], names):  # "sev 2" for `severity`
            return int(token)
    return None


def _shortens_a_name_word(word: str, names: tuple[str, ...]) -> bool:
    """ "sev" for severity, "proc" for a "Process id": the start of one of the parameter's own
    words (its name's, its description's), three letters at least."""
    return len(word) >= 3 and word.isalpha() and any(name != word and name.startswith(word) for name in names)


def _without(plain: str, text: str, hosts: list[str]) -> str:
    """`plain` with the host names put back: a dotted name can be a table ("public.events") or a
    node, not only a host, and the parameter's pattern decides."""
    restored = plain
    for host in hosts:  # with its ":port" when written so ("10.0.2.14:8080" is one value)
        for match in re.finditer(re.escape(host) + r"(?::\d{1,5}(?!\d))?", text, re.IGNORECASE):
            start, end = match.span()
            if restored[start:end].strip() == "":
                restored = restored[:start] + text[start:end] + restored[end:]
    return restored


def _item_schema(param: Param) -> dict[str, Any]:
    """What one value of the parameter must fit (a list's items)."""
    if param.kind == "list":
        return {"description": param.schema.get("description", ""), **(param.schema.get("items") or {})}
    return param.schema


def _fill_text(params: list[Param], filled: Filled, spans: list[Span], entities: Entities, avoid: set[str],
               objects: set[int], tool_words: list[str], put: Callable[[Param, Any, str, float], None]) -> None:
    """Free-text parameters, together: each required one takes the span that fits it best, and
    two parameters never take the same span ("revert the payments rollout to a1b2c3d": the service
    is the plain word its examples look like, the revision the hash). Optional ones only when the
    request names them next to the value, or when only their pattern accepts it ("for 2h")."""
    strings = [p for p in params if p.kind in ("string", "list") and p.name not in filled.args]
    taken = {str(v).lower() for v in filled.args.values()}
    # a word that names another parameter anchors that one ("the backup origin" is the origin)
    others = {p.name: {stem(part) for part in identifier_words(p.name)} for p in params}
    lists = {p.name: value_choices(_item_schema(p), spans, entities.quoted,
                                   anchor_stems(p.name, p.schema, tool_words) - frozenset().union(
                                       *(words for name, words in others.items() if name != p.name)),
                                   avoid, objects, taken, anchor_stems(p.name, p.schema, []))
             for p in strings if p.required}
    assigned, margins = best_assignment(lists)
    for param in (p for p in strings if p.required):
        others = {value.lower() for name, value in assigned.items() if name != param.name}
        choices = [choice for choice in lists[param.name] if choice.value.lower() not in others]
        if not choices:
            continue
        best = choices[0] if param.name not in assigned else next(c for c in choices if c.value == assigned[param.name])
        rest = [choice for choice in choices if choice is not best]
        clear = (not rest or best.score - rest[0].score >= 0.5) and margins.get(param.name, float("inf")) >= 0.5
        # a word with no evidence is taken only when it is the only one that fits, or every other
        # one stands where a verb stands ("put the shop into maintenance": not "put")
        alone = len(lists[param.name]) == 1 or all(choice.score < 0 for choice in lists[param.name][1:])
        if clear and (best.score > 0 or (alone and best.score == 0)):
            value: Any = [best.value] if param.kind == "list" else best.value
            put(param, value, f"{param.name} {best.value}" + (f" ({best.why})" if best.why else ""),
                FIT_POINTS["anchor", "string"])
            if not best.why:
                filled.guessed.add(param.name)  # the only word left, taken for want of another
        else:
            filled.ties[param.name] = [c.value for c in choices if c.score >= best.score - 0.25]
    for param in (p for p in strings if not p.required):
        own = anchor_stems(param.name, {}, [])  # named by its own name only: "duration 2h", "for 2h" by pattern
        taken |= {str(v).lower() for v in filled.args.values()}
        choices = value_choices(_item_schema(param), spans, entities.quoted, own, avoid, set(), taken, own)
        if not choices:
            continue
        named = _quoted_after(own, entities)  # 'reason "customer updated card"', "with note 'db fixed'"
        best = Choice(named, 0.0, "quoted, named next to it") if named and fitting(named, _item_schema(param)) \
            and named.lower() not in taken else choices[0]
        # "for INC-2291" where the incident is "e.g. INC-2291": a shape of letters and digits its
        # examples share is as telling as its name (a plain word shaped like "maria" is not)
        distinct = "shaped like its examples" in best.why and identifier_shaped(best.value) and \
            re.search(r"[A-Za-z]", best.value) is not None and re.search(r"\d", best.value) is not None
        if "named next to it" in best.why or distinct or (restrictive(param.schema) and
                                                         identifier_shaped(best.value)):
            put(param, [best.value] if param.kind == "list" else best.value,
                f"{param.name} {best.value} ({best.why or 'only it fits the pattern'})",
                FIT_POINTS["anchor", "string"])


def opens_with(verbs: frozenset[str], text: str, then: frozenset[str] | None = None, within: int = 3) -> bool:
    """Whether a clause opens with one of `verbs` (after "please", "can you" and the like), and,
    with `then`, one of those words follows within `within` words ("turn new_checkout off")."""
    leads = {stem(word) for word in VERB_LEADS}
    for clause in CLAUSE.split(text):
        opening = [word for word in words_of(clause)[:6] if stem(word) not in leads]
        if opening and opening[0] in verbs and (then is None or then & set(opening[1:1 + within])):
            return True
    return False


# "payments/checkout-api", "platform/base/python:2024.12.01", "harbor.corp/payments/api:v2": an
# owner/name reference, with a registry host before it and a tag after it
_NESTED = re.compile(r"(?<![\w/.:@-])(?:[a-z0-9-]+(?:\.[a-z0-9-]+)+/)?([A-Za-z0-9][\w.-]*)/([\w.-]+(?:/[\w.-]+)*)"
                     r"(?::([\w.+-]+))?(?![\w/])")


def _split_nested(params: list[Param], filled: Filled, entities: Entities,
                  put: Callable[[Param, Any, str, float], None]) -> None:
    """An owner/name reference for a tool that takes the two apart (a registry's project and
    repository, a forge's owner and repo), in the order its schema lists them: the first part to
    the first, the rest to the second, a ":tag" to a third that takes it. Only required text
    parameters not filled otherwise, and only when each part fits its own."""
    strings = [p for p in params if p.kind == "string" and p.required and p.name not in filled.args]
    if len(strings) < 2:
        return
    for match in _NESTED.finditer(entities.text):
        head, tail, tag = match.group(1), match.group(2), match.group(3)
        if match.group(0).lower().startswith(("http", "www.")) or ("." in head and is_domain(head.lower())):
            continue
        for first, second in itertools.pairwise(strings):
            if fitting(head, first.schema) and fitting(tail, second.schema):
                put(first, head, f"{first.name} {head} (the first part of {match.group(0)})",
                    FIT_POINTS["anchor", "string"])
                put(second, tail, f"{second.name} {tail} (the rest of {match.group(0)})",
                    FIT_POINTS["anchor", "string"])
                rest = [p for p in strings if p.name not in filled.args]
                if tag and rest and fitting(tag, rest[0].schema):
                    put(rest[0], tag, f"{rest[0].name} {tag} (after the colon)", FIT_POINTS["anchor", "string"])
                return


def _quoted_after(anchors: frozenset[str], entities: Entities) -> str | None:
    """The quoted text written right after a word naming the parameter ('reason "vendor
    postponed"', "with note: 'pool bumped'", "owner: 'dana'"), if any."""
    for quoted in entities.quoted:
        at = entities.text.find(quoted)
        before = words_of(entities.text[max(0, at - 40): at])[-2:] if at > 0 else []
        if any(stem(word) in anchors for word in before):
            return quoted
    return None


def _switch_opens(params: list[Param], filled: Filled, spec: ToolSpec, text: str) -> bool:
    """Whether the request's verb is a value of one of the tool's switches, followed by its object:
    "unpause etl.orders_daily", "resume ml.feature_refresh" (an alias), "unset noout on rbd-ams". A
    switch is an enum of two or three values, or one whose values hold the tool's name ("pause"
    in `pause_dag`'s "unpause"); its object is another value filled for the tool. A unit name
    opening "nginx web-1 logs" is no verb: a long enum of names is not a switch."""
    names = {word.lower() for word in name_words(spec) if len(word) >= 4}
    for param in params:
        value = filled.args.get(param.name)
        if param.kind != "enum" or not isinstance(value, str):
            continue
        if len(param.enum) > 3 and not any(name in value.lower() for name in names):
            continue
        said = frozenset({value.lower(), *(alias.lower() for alias, target in enum_aliases(param.schema).items()
                                           if target == value)})
        objects = frozenset(words_of(str(other))[0] for name, other in filled.args.items()
                            if name != param.name and not isinstance(other, bool) and words_of(str(other)))
        if objects and opens_with(said, text, then=objects, within=2):
            return True
    return False


def _verb_with_object(value: str, text: str) -> bool:
    """ "open a status page incident": a word that opens the request and is followed by its object
    (a determiner) is the order's verb, not a value of an optional parameter (`state=open`)."""
    word = value.lower()
    if any(word in row for row in STATE_WORDS):
        return False  # "enable the flag": the state is the verb, and the value
    return opens_with(frozenset({word}), text, then=DETERMINERS, within=1)


def _yes_or_no(param: Param, entities: Entities) -> bool | None:
    """A yes/no value from the request's state words ("enable", "off", "into", "out of"): for a
    required parameter, or an optional one the request names. None when it says neither, or both."""
    words = set(words_of(entities.plain))
    if not param.required and not words & set(identifier_words(param.name)):
        return None
    yes = bool(words & (STATE_WORDS[0] | TRUE_PARTICLES))
    no = bool(words & (STATE_WORDS[1] | FALSE_PARTICLES))
    return yes if yes != no else None


def _unit_number(param: Param, entities: Entities) -> int | None:
    """A number written with the unit this parameter counts in: a percentage for a parameter about
    percent, "14 days"/"30d" for one named in days (hours, minutes, seconds, weeks)."""
    named_by = f"{' '.join(identifier_words(param.name))} {param.schema.get('description', '')}".lower()
    words = {part for part in re.split(r"[_\W]+", named_by) if part}
    if words & {"percent", "percentage", "pct"} and len(entities.percentages) == 1:
        return entities.percentages[0] if _fits_bounds(entities.percentages[0], param.schema) else None
    named = [value for value, unit in entities.durations if unit in set(identifier_words(param.name))]
    if not named:  # "500 GB", "50G" for a parameter in GB ("limit_gb", "Size in GB")
        named = [value for value, unit in entities.sizes if unit in words or unit.replace("b", "ib") in words]
    return named[0] if len(named) == 1 and _fits_bounds(named[0], param.schema) else None


def _enum_hosts(param: Param, entities: Entities) -> list[tuple[str, str]]:
    """(value, host) for each enum value that is the first label of a host the request names:
    "qshape hold on mx1.mail.corp" names the relay `mx1`."""
    return [(value, host) for value in param.enum if isinstance(value, str) and len(value) >= 2
            for host in entities.hosts if host not in entities.ips and host.split(".", 1)[0] == value.lower()]


_COUNT_WORDS = frozenset({"top", "first", "last", "latest", "newest", "oldest"})


def _numbered(param: Param, entities: Entities, used: set[int]) -> int | None:
    """The number of a thing written with its prefix ("CHG4711", "osd.17", "#4795") for a number
    parameter, when the prefix is a word of the parameter's name or description (its examples
    too: "e.g. 4711 for CHG4711"; "build-02" is a host, not a number of `days`); a bare "#4795"
    only for a required one. One such number, or none is taken."""
    said = " ".join([param.name, str(param.schema.get("description", ""))]).lower()
    words = set(re.split(r"[^a-z]+", said)) | {w for token in re.findall(r"[a-z]+\d+", said)
                                                for w in re.findall(r"[a-z]+", token)}
    found = {number for prefix, number in entities.numbered
             if number not in used and _fits_bounds(number, param.schema)
             and ((prefix and prefix in words) or (not prefix and param.required))}
    return found.pop() if len(found) == 1 else None


def _number_after(words: tuple[str, ...], entities: Entities) -> int | None:
    """The only number written right after one of `words` ("listening on 22")."""
    tokens = words_of(entities.plain)
    found = [int(tokens[i + 1]) for i in range(len(tokens) - 1) if tokens[i] in words and tokens[i + 1].isdigit()
             and int(tokens[i + 1]) in entities.numbers]
    return found[0] if len(found) == 1 else None


def _misspelt(spans: list[Span], vocabulary: set[str]) -> set[str]:
    """Stems of the request's words that are one or two typing slips from the tool's words
    ("restrat", "vaccum"): its wording, never a value."""
    return {span.stem for span in spans if span.stem not in vocabulary and
            (typo_of(span.stem, vocabulary) or abbreviation_of(span.stem, vocabulary))}


def typo_of(word: str, vocabulary: set[str] | frozenset[str]) -> str | None:
    """The word of `vocabulary` that `word` is a typing slip of: the same first letter, and one
    edit (two from seven letters on; a swap of two letters is one edit)."""
    if len(word) < 4 or not word.isalpha() or word in STOPWORDS or word in _STOP_STEMS or is_english(word):
        return None  # "show" is a word, not a slip of "slow"; "stats" not of "seats"
    allowed = 2 if len(word) >= 7 else 1
    for known in vocabulary:
        if known[:1] == word[:1] and abs(len(known) - len(word)) <= allowed and len(known) >= 4 and \
                OSA.distance(word, known, score_cutoff=allowed) <= allowed:
            return known
    return None


def abbreviation_of(word: str, vocabulary: set[str] | frozenset[str]) -> str | None:
    """The long word of `vocabulary` that `word` shortens ("cert" for "certificate", "repo" for
    "repository", "config" for "configuration"): four letters or more, the start of a word of seven."""
    if len(word) < 4 or not word.isalpha():
        return None
    found = [known for known in vocabulary if len(known) >= 7 and len(known) > len(word) + 2 and known.startswith(word)
             and known[len(word):] not in _DERIVATIONS]  # "reach" does not shorten "reachable"
    return found[0] if len(found) == 1 else None


_DERIVATIONS = frozenset({"able", "ible", "ing", "ed", "er", "ers", "ment", "ments", "ion", "ions", "ly", "ness", "s",
                          "es", "abl", "ibl"})


_STOP_STEMS = frozenset(stem(word) for word in STOPWORDS)


def _object_positions(spans: list[Span], vocabulary: set[str]) -> set[int]:
    """Positions right after a word of the tool's vocabulary, skipping determiners and
    particles: where an order puts its object ("purge emails", "scale down the api")."""
    positions = set()
    for position, span in enumerate(spans):
        if span.stem not in vocabulary:
            continue
        index = position + 1
        while index < len(spans) and spans[index].text.lower() in DETERMINERS | PARTICLES:
            index += 1
        if index < len(spans):
            positions.add(spans[index].index)
    return positions


def word_candidates(param: Param, entities: Entities, avoid: set[str]) -> list[str]:
    """Every word of the request that could be this free-text parameter's value (what the
    model may choose from)."""
    values: list[str] = []
    for word in [*entities.quoted, *words_of(entities.plain)]:
        if word.lower() in STOPWORDS or stem(word) in avoid:
            continue
        if fits_string(word, param.schema):
            add_unique(values, word)
    return values[:24]


@dataclass
class Filled:
    """Arguments found for one tool: values, a label per value saying where it came from, and
    the required parameters still missing."""

    args: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    missing: list[Param] = field(default_factory=list)
    ties: dict[str, list[str]] = field(default_factory=dict)  # free text with several equally fitting spans
    fit: float = 0.0  # ranking points from entities that fit the parameters
    verb_value: bool = False  # the request's verb is one of its values ("enable dark_mode")
    typed_fit: float = 0.0  # of those, from entities only that kind of parameter takes (URL, host, port, zone, path)
    fit_labels: list[str] = field(default_factory=list)
    # text values that only this kind of parameter accepts: its pattern refuses ordinary words and
    # numbers ("net.core.somaxconn" for `^[a-z][a-z0-9_]*(\.[a-z0-9_-]+)+$`, "CheckoutButtonColor")
    pattern_fits: int = 0
    example_fits: int = 0  # values shaped like a parameter's examples ("HD-4411" for "like HD-1234"): reads only
    guessed: set[str] = field(default_factory=set)  # free-text values taken with no evidence but being alone


def tool_vocabulary(spec: ToolSpec) -> set[str]:
    """The stems of the tool's own words and of their synonyms: never a value of its arguments
    ("roll out payments 2.2.0": the service is not "roll")."""
    return set(_vocabulary(spec.name, spec.keywords))


@functools.lru_cache(maxsize=1024)
def _vocabulary(name: str, keywords: tuple[str, ...]) -> frozenset[str]:
    words = {stem(word) for word in identifier_words(name)}
    for keyword in keywords:
        words.update(stem(word) for word in words_of(keyword))
    for source in _sources(name, keywords):
        cls = synonym_class(source)
        if cls is not None:
            words.update(stem(word) for phrase in SYNONYMS[cls] for word in words_of(phrase))
    return frozenset(words)


def action_stems(spec: ToolSpec) -> set[str]:
    """The stems of the tool's action: its name's verb, its description's first word, and their
    synonyms ("purge", "flush", "clear"): what its object follows."""
    return set(_action_stems(spec.name, spec.summary))


@functools.lru_cache(maxsize=1024)
def _action_stems(name: str, summary: str) -> frozenset[str]:
    verbs = [word for word in [(identifier_words(name) or [""])[0], _description_verb(summary)] if word]
    found = {stem(verb) for verb in verbs}
    for verb in verbs:
        cls = synonym_class(verb)
        if cls in ACTION_CLASSES:  # single words only: "prod" of "push * to prod" is no action
            found.update(stem(phrase) for phrase in SYNONYMS[cls] if len(words_of(phrase)) == 1)
    return frozenset(found)


def description_stems(spec: ToolSpec) -> set[str]:
    """The content words of the tool's summary: its wording, not a value ("Count the messages
    waiting in a queue": neither "count" nor "queue" is the queue)."""
    return set(_description_stems(spec.summary))


@functools.lru_cache(maxsize=1024)
def _description_stems(summary: str) -> frozenset[str]:
    return frozenset(stem(word) for word in words_of(summary) if len(word) >= 3 and word not in STOPWORDS)


def fill_arguments(spec: ToolSpec, entities: Entities) -> Filled:
    """Fill what the entities can fill. Optional parameters are only filled on clear evidence
    (an enum value written out, a number next to the parameter's name), so defaults stay
    defaults; required ones also take the most plausible entity of their type."""
    filled = Filled()
    avoid = tool_vocabulary(spec) | description_stems(spec)
    used_numbers: set[int] = set()
    params = parameters(spec)
    single_label_hosts: list[Param] = []

    def put(param: Param, value: Any, label: str, points: float) -> None:
        filled.args[param.name] = value
        filled.sources[param.name] = label
        filled.fit += points
        if param.kind in ENTITY_KINDS:
            filled.typed_fit += points
        elif param.kind in ("string", "list") and distinctive(_item_schema(param)):
            filled.pattern_fits += 1
        elif param.kind in ("string", "list") and "shaped like its examples" in label and \
                identifier_shaped(str(value)) and re.search(r"[A-Za-z]", str(value)):  # not "10:30", a time
            filled.example_fits += 1  # "HD-4411" for a ticket id "like HD-1234"
        if points:
            filled.fit_labels.append(label)

    named_hosts = {host for param in params if param.kind == "enum" and not _enum_matches(
        param.enum, entities.plain, enum_aliases(param.schema)) for _, host in _enum_hosts(param, entities)}
    for param in params:
        kind = param.kind
        if kind == "url":
            if entities.urls:
                put(param, entities.urls[0], entities.urls[0], FIT_POINTS["url", "url"])
            elif entities.hosts:
                host = entities.hosts[0]
                port = dict(entities.host_ports).get(host)
                scheme = "http" if port in (80, 8080) else "https"
                shown = f"[{host}]" if ":" in host else host
                url = f"{scheme}://{shown}" + (f":{port}" if port else "")
                put(param, url, host, FIT_POINTS["host", "url"])
        elif kind in ("host", "domain"):
            hosts = entities.hosts if kind == "host" else [h for h in entities.hosts if h not in entities.ips]
            hosts = [host for host in hosts if host not in named_hosts]  # mx1.mail.corp is the relay mx1
            hosts = [host for host in hosts if fits_string(host, param.schema)]
            if hosts:
                put(param, _with_port(hosts[0], param, entities), hosts[0], FIT_POINTS["host", kind])
            elif entities.urls and url_host(entities.urls[0]):
                put(param, url_host(entities.urls[0]), entities.urls[0], FIT_POINTS["url", kind])
            elif kind == "host" and param.required:
                single_label_hosts.append(param)  # "node-7", "web1": after the spans are read
        elif kind == "port":
            if entities.ports:
                put(param, entities.ports[0], f"port {entities.ports[0]}", FIT_POINTS["port", "port"])
            elif entities.urls and url_port(entities.urls[0]):
                port = url_port(entities.urls[0])
                put(param, port, f"port {port}", FIT_POINTS["url", "host"])  # the URL's: weak
            elif entities.service_ports and param.required:
                name, port = entities.service_ports[0]
                put(param, port, f"{name} (port {port})", FIT_POINTS["port", "port"] / 2)
            elif param.required and (after := _number_after(("on", "at"), entities)) is not None:
                put(param, after, f"port {after}", FIT_POINTS["port", "port"] / 2)  # "listening on 22"
            elif param.required and len(entities.numbers) == 1 and 1 <= entities.numbers[0] <= 65535 and (
                    entities.hosts or len(words_of(entities.plain)) <= 3):
                # "accept connections on 25", "and 2222?": a lone number where a port is needed
                port = entities.numbers[0]
                put(param, port, f"port {port}", FIT_POINTS["port", "port"] / 2)
            if param.name in filled.args:
                used_numbers.add(filled.args[param.name])
        elif kind == "timezone":
            if entities.timezones:
                put(param, entities.timezones[0], entities.timezones[0], FIT_POINTS["timezone", "timezone"])
            elif entities.cities:
                put(param, entities.cities[0], entities.cities[0], FIT_POINTS["city", "timezone"])
        elif kind == "path":
            if entities.paths:
                put(param, entities.paths[0], entities.paths[0], FIT_POINTS["path", "path"])
        elif kind == "bool":
            state = _yes_or_no(param, entities)
            if state is not None:
                put(param, state, f"{param.name} {str(state).lower()}", FIT_POINTS["enum", "enum"])
                if opens_with(LIGHT_VERBS | SWITCH_VERBS | STATE_VERBS, entities.plain):
                    filled.verb_value = True  # "put the shop into maintenance": the state change is the verb
        elif kind == "enum":
            matches = _enum_matches(param.enum, entities.plain, enum_aliases(param.schema), loose=param.required)
            if not matches:  # "on mx1.mail.corp" for a relay that is one of mx1, mx2: the host's own name
                matches = [value for value, _ in _enum_hosts(param, entities)]
            if not param.required:  # "kill 48213": the tool's own verb is not also its optional value
                matches = [value for value in matches if stem(str(value).lower()) not in action_stems(spec)
                           and not _verb_with_object(str(value), entities.plain)]
            by_path = [] if matches else _path_enum_matches(param.enum, entities)
            if len(matches) > 1 and spec.risk is not Risk.read:
                filled.ties[param.name] = [str(value) for value in matches]  # "out of rotation in api-pool"
            elif matches:
                put(param, matches[0], str(matches[0]), FIT_POINTS["enum", "enum"])
                if _opens_a_clause(str(matches[0]), enum_aliases(param.schema), entities.plain):
                    filled.typed_fit += FIT_POINTS["enum", "enum"]  # "enable dark_mode": the verb is the value
                    filled.verb_value = True
            elif by_path:  # a file the request names ("syslog"): as telling as a path
                put(param, by_path[0], str(by_path[0]), FIT_POINTS["path", "path"])
                filled.typed_fit += FIT_POINTS["path", "path"]
        elif kind == "enum_list":
            items = param.schema.get("items") or {}
            matches = _enum_matches(list(items.get("enum") or []), entities.plain, enum_aliases(items))
            lowered = entities.plain.lower()  # in the order the request names them
            matches.sort(key=lambda value: (lowered.find(str(value).lower()) % (len(lowered) + 1)))
            if matches:
                put(param, matches, ", ".join(map(str, matches)), FIT_POINTS["enum", "enum"])
    for param in single_label_hosts:
        shape = {"pattern": r"^[A-Za-z0-9][A-Za-z0-9-]{0,62}$", **param.schema}
        choices = value_choices(shape, spans_of(entities.plain), [], anchor_stems(param.name, param.schema,
                                name_words(spec)), avoid, set(), set())
        choices = [choice for choice in choices if not choice.value.isdigit()]
        if choices and choices[0].score > 0 and identifier_shaped(choices[0].value):
            put(param, choices[0].value, f"{param.name} {choices[0].value} ({choices[0].why})",
                FIT_POINTS["host", "host"])
    numeric = [param for param in params if param.kind in ("int", "number")]
    # the words inside a quoted sentence are that one value, never values of their own
    spans = spans_of(_without(entities.wording or entities.plain, entities.text, entities.hosts),
                     frozenset(entities.hosts))
    avoid = avoid | _misspelt(spans, avoid)
    actions = action_stems(spec)
    objects = _object_positions(spans, actions | {word for word in _misspelt(spans, actions)})
    tool_words = name_words(spec)
    for param in params:  # numbers and free text last: they take what the typed ones left
        if param.name in filled.args:
            continue
        anchors = anchor_stems(param.name, param.schema, [])
        if param.kind in ("int", "number"):
            if len(numeric) == 1:
                anchors |= _description_stems(spec.summary)  # "the last 5 commits" for git_log's max_count
                anchors |= _COUNT_WORDS  # "top 5", "the first 10": a count, and this is the only number it takes
            free = [n for n in entities.numbers if n not in used_numbers and _fits_bounds(n, param.schema)]
            described = re.findall(r"[a-z]{5,}", str(param.schema.get("description", "")).lower())
            near = _near_number(anchors, entities, (*(word.lower() for word in identifier_words(param.name)),
                                                    *described))  # "sev 2", "proc 28133" (Process id)
            value = near if near is not None and near not in used_numbers and _fits_bounds(near, param.schema) \
                else None
            if value is None and param.required and len(free) == 1:
                value = free[0]  # a lone number where one is needed ("scale checkout to 4")
            if value is None:
                value = _unit_number(param, entities)  # "ramp X to 50%", "the last 14 days", "30d"
            if value is None:
                value = _numbered(param, entities, used_numbers)  # "close CHG4711", "out osd.17"
                if value is not None:  # the name it was written in is not a text value too
                    avoid |= {f"{prefix}{sep}{value}" for prefix, number in entities.numbered if number == value
                              for sep in ("", "-", ".", "#")} | {f"#{value}"}
            if value is not None:
                used_numbers.add(value)
                put(param, value, f"{param.name} {value}", FIT_POINTS["number", "int"])
    for param in params:  # "for 30 minutes" where the pattern wants "30m"
        if param.name not in filled.args and param.kind == "string" and restrictive(param.schema):
            forms = [fitting(f"{count}{unit[0]}", param.schema) for count, unit in entities.durations]
            forms = [form for form in forms if form]
            if len(forms) == 1:
                put(param, forms[0], f"{param.name} {forms[0]} (a duration)", FIT_POINTS["anchor", "string"])
    _split_nested(params, filled, entities, put)
    _fill_text(params, filled, spans, entities, avoid, objects, tool_words, put)
    if not filled.verb_value and _switch_opens(params, filled, spec, entities.plain):
        filled.typed_fit += FIT_POINTS["enum", "enum"]  # "unpause etl.orders_daily", "unset noout on rbd-ams"
        filled.verb_value = True
    for param in params:
        if param.required and param.name not in filled.args:
            filled.missing.append(param)
    return filled


@functools.lru_cache(maxsize=1024)
def _description_verb(summary: str) -> str | None:
    """The summary's first word when it is the action ("Drain a node…", "Shows the commit logs"):
    a tool's description usually opens with what it does, which counts like its name's verb."""
    words = words_of(summary)
    if not words or words[0] in STOPWORDS or not words[0].isalpha() or len(words[0]) < 3:
        return None
    return words[0]


@functools.lru_cache(maxsize=1024)
def _sources(name: str, keywords: tuple[str, ...]) -> tuple[str, ...]:
    words = identifier_words(name)
    sources = [*words[:1], *keywords]
    sources += [word for word in words[1:] if synonym_class(word) not in ACTION_CLASSES]
    return tuple(dict.fromkeys(word.lower() for word in sources))
