"""Ranking tools for a request and filling their arguments from its entities.

Every point a tool scores comes with a label, so a plan's `reason` says what matched; see
`bot.agent.guided` for why the ranking, not the embedded model, decides the tool."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz.distance import OSA

from bot.agent.entities import (
    CLAUSE,
    DOMAIN_NAMES,
    HOST_NAMES,
    PATH_NAMES,
    PORT_NAMES,
    STOPWORDS,
    TIMEZONE_NAMES,
    URL_NAMES,
    VERB_LEADS,
    Entities,
    add_unique,
    extract_entities,
    name_words,
    stem,
    url_host,
    url_port,
    words_of,
)
from bot.agent.lexicon import (
    ACTION_CLASSES,
    CHANGE_CLASSES,
    DETERMINERS,
    FALSE_PARTICLES,
    HTTP_VERBS,
    LIGHT_VERBS,
    PARTICLES,
    QUESTION,
    STATE_WORDS,
    SWITCH_VERBS,
    SYNONYMS,
    TRUE_PARTICLES,
    VALUE_ALIASES,
    synonym_class,
)
from bot.agent.values import (
    Span,
    anchor_stems,
    best_assignment,
    identifier_shaped,
    restrictive,
    spans_of,
    value_choices,
)
from bot.model import Risk
from tools.registry import ToolSpec

# --- scoring weights (see `rank_tools`) ------------------------------------------------------

WORD_POINTS = 2.0  # a word of the tool's name or one of its keywords
SYNONYM_POINTS = 2.0  # a synonym of one of those (`lexicon.SYNONYMS`): "bounce" for "restart"
DESCRIPTION_POINTS = 1.0  # a content word of the summary line
DESCRIPTION_CAP = 2.0
MISSING_REQUIRED_PENALTY = 1.0  # a required parameter nothing in the request can fill
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
MIN_SCORE = 2.0  # below this a tool is not a candidate
CLEAR_MARGIN = 2.0  # a top score this far ahead of the next needs no model
ACKNOWLEDGEMENT_SCORE = 3.0  # a message opening with thanks needs more than one stray word
MAX_CANDIDATES = 3  # what the model is shown, plus "none"
CHOICE_TOKENS = 48  # `{"tool": "dns_lookup"}` with llama.cpp's whitespace is ~20 tokens
# By meaning (`bot.agent.meaning`): cosine similarities of all-MiniLM-L6-v2 between the request and
# "tool name: description"; unrelated pairs sit around 0.0-0.25, paraphrases of a tool's action 0.3-0.6.
SIMILARITY_POINTS = 8.0  # per unit of similarity above the floor
SIMILARITY_FLOOR = 0.15
MIN_SIMILARITY = 0.30  # a tool found by meaning alone
SIMILARITY_TIE = 0.03  # ... must be this close to the best
ACTION_SIMILARITY = 0.22  # a write found by meaning must be the closest tool and at least this close
ACTION_POINTS = 2.0  # a write whose own action word stands in an order's verb place


# --- parameters ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # url, host, domain, port, timezone, path, enum, int, number, bool, string
    schema: dict[str, Any]
    required: bool

    @property
    def enum(self) -> list[Any]:
        return list(self.schema.get("enum") or [])


def _flat(schema: dict[str, Any]) -> dict[str, Any]:
    """`anyOf: [X, null]` (an optional value) read as X."""
    options = [option for option in schema.get("anyOf", []) if option.get("type") != "null"]
    if len(options) == 1:
        return {**{k: v for k, v in schema.items() if k != "anyOf"}, **options[0]}
    return schema


def parameters(spec: ToolSpec) -> list[Param]:
    schema = spec.parameters_schema
    required = set(schema.get("required", []))
    found = []
    for name, raw in schema.get("properties", {}).items():
        prop = _flat(raw)
        found.append(Param(name, _kind(name, prop), prop, name in required))
    return found


def _kind(name: str, prop: dict[str, Any]) -> str:
    lowered = name.lower()
    described = str(prop.get("description", "")).lower()
    if prop.get("enum"):
        return "enum"
    kind = prop.get("type")
    if kind == "integer":
        return "port" if lowered in PORT_NAMES or lowered.endswith("_port") else "int"
    if kind == "number":
        return "number"
    if kind == "boolean":
        return "bool"
    if kind == "array" and (prop.get("items") or {}).get("type") in (None, "string"):
        return "list"  # "stage config/nginx.conf": a list of words of the request
    if kind not in (None, "string"):
        return "other"
    if lowered in URL_NAMES or lowered.endswith("_url"):
        return "url"
    if lowered in HOST_NAMES or lowered.endswith("_host"):
        return "host"
    if lowered in DOMAIN_NAMES or (lowered == "name" and ("domain" in described or "host" in described)):
        return "domain"
    if lowered in TIMEZONE_NAMES:
        return "timezone"
    if lowered in PATH_NAMES or str(prop.get("pattern", "")).startswith("^/") or any(
            part in PATH_NAMES for part in lowered.split("_")[-1:]):
        return "path"  # "repo_path", "config_file", "log_dir"
    return "string"


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
    words = {word for word in (value.lower(), *(alias for alias, target in aliases.items() if target == value))
             if word in states}
    leads = {stem(word) for word in VERB_LEADS}
    for clause in CLAUSE.split(text):
        opening = [word for word in words_of(clause)[:6] if stem(word) not in leads]
        if opening and opening[0] in words:
            return True
        if opening and opening[0] in LIGHT_VERBS | SWITCH_VERBS and words & set(opening[1:4]):
            return True
    return False


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


def _fits_string(value: str, prop: dict[str, Any]) -> bool:
    if len(value) > int(prop.get("maxLength", 10_000)):
        return False
    pattern = prop.get("pattern")
    if pattern:
        try:
            return re.search(pattern, value) is not None
        except re.error:
            return True
    return True


def _param_stems(param: Param) -> set[str]:
    return {stem(part) for part in re.split(r"[_\W]+", param.name) if part}


def _near_number(anchors: frozenset[str], entities: Entities) -> int | None:
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
    return None


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
    others = {p.name: {stem(part) for part in re.split(r"[_\W]+", p.name.lower()) if part} for p in params}
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
        else:
            filled.ties[param.name] = [c.value for c in choices if c.score >= best.score - 0.25]
    for param in (p for p in strings if not p.required):
        own = anchor_stems(param.name, {}, [])  # named by its own name only: "duration 2h", "for 2h" by pattern
        choices = value_choices(_item_schema(param), spans, entities.quoted, own, avoid, set(),
                                taken | {str(v).lower() for v in filled.args.values()}, own)
        if not choices:
            continue
        best = choices[0]
        if "named next to it" in best.why or (restrictive(param.schema) and identifier_shaped(best.value)):
            put(param, [best.value] if param.kind == "list" else best.value,
                f"{param.name} {best.value} ({best.why or 'only it fits the pattern'})",
                FIT_POINTS["anchor", "string"])


def _opens_with(verbs: frozenset[str], text: str) -> bool:
    """Whether a clause opens with one of `verbs`, after "please", "can you" and the like."""
    leads = {stem(word) for word in VERB_LEADS}
    for clause in CLAUSE.split(text):
        opening = [word for word in words_of(clause)[:4] if stem(word) not in leads]
        if opening and opening[0] in verbs:
            return True
    return False


def _yes_or_no(param: Param, entities: Entities) -> bool | None:
    """A yes/no value from the request's state words ("enable", "off", "into", "out of"): for a
    required parameter, or an optional one the request names. None when it says neither, or both."""
    words = set(words_of(entities.plain))
    if not param.required and not words & {part for part in param.name.lower().split("_") if part}:
        return None
    yes = bool(words & (STATE_WORDS[0] | TRUE_PARTICLES))
    no = bool(words & (STATE_WORDS[1] | FALSE_PARTICLES))
    return yes if yes != no else None


def _unit_number(param: Param, entities: Entities) -> int | None:
    """A number written with the unit this parameter counts in: a percentage for a parameter about
    percent, "14 days"/"30d" for one named in days (hours, minutes, seconds, weeks)."""
    named_by = f"{param.name} {param.schema.get('description', '')}".lower()
    words = {part for part in re.split(r"[_\W]+", named_by) if part}
    if words & {"percent", "percentage", "pct"} and len(entities.percentages) == 1:
        return entities.percentages[0] if _fits_bounds(entities.percentages[0], param.schema) else None
    named = [value for value, unit in entities.durations if unit in set(param.name.lower().split("_"))]
    return named[0] if len(named) == 1 and _fits_bounds(named[0], param.schema) else None


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
    if len(word) < 4 or not word.isalpha() or word in STOPWORDS or word in _STOP_STEMS:
        return None  # "show" is a word, not a slip of "slow"
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
        if _fits_string(word, param.schema):
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


def tool_vocabulary(spec: ToolSpec) -> set[str]:
    """The stems of the tool's own words and of their synonyms: never a value of its arguments
    ("roll out payments 2.2.0": the service is not "roll")."""
    return set(_vocabulary(spec.name, spec.keywords))


@functools.lru_cache(maxsize=1024)
def _vocabulary(name: str, keywords: tuple[str, ...]) -> frozenset[str]:
    words = {stem(word) for word in name.split("_") if word}
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
    verbs = [word for word in [name.split("_")[0], _description_verb(summary)] if word]
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
        if points:
            filled.fit_labels.append(label)

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
            hosts = [host for host in hosts if _fits_string(host, param.schema)]
            if hosts:
                put(param, hosts[0], hosts[0], FIT_POINTS["host", kind])
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
                if _opens_with(LIGHT_VERBS | SWITCH_VERBS, entities.plain):
                    filled.verb_value = True  # "put the shop into maintenance": the state change is the verb
        elif kind == "enum":
            matches = _enum_matches(param.enum, entities.plain, enum_aliases(param.schema), loose=param.required)
            if not param.required:  # "kill 48213": the tool's own verb is not also its optional value
                matches = [value for value in matches if stem(str(value).lower()) not in action_stems(spec)]
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
    for param in single_label_hosts:
        shape = {"pattern": r"^[A-Za-z0-9][A-Za-z0-9-]{0,62}$", **param.schema}
        choices = value_choices(shape, spans_of(entities.plain), [], anchor_stems(param.name, param.schema,
                                name_words(spec)), avoid, set(), set())
        choices = [choice for choice in choices if not choice.value.isdigit()]
        if choices and choices[0].score > 0 and identifier_shaped(choices[0].value):
            put(param, choices[0].value, f"{param.name} {choices[0].value} ({choices[0].why})",
                FIT_POINTS["host", "host"])
    numeric = [param for param in params if param.kind in ("int", "number")]
    spans = spans_of(_without(entities.plain, entities.text, entities.hosts), frozenset(entities.hosts))
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
            free = [n for n in entities.numbers if n not in used_numbers and _fits_bounds(n, param.schema)]
            near = _near_number(anchors, entities)
            value = near if near is not None and near not in used_numbers and _fits_bounds(near, param.schema) \
                else None
            if value is None and param.required and len(free) == 1:
                value = free[0]  # a lone number where one is needed ("scale checkout to 4")
            if value is None:
                value = _unit_number(param, entities)  # "ramp X to 50%", "the last 14 days", "30d"
            if value is not None:
                used_numbers.add(value)
                put(param, value, f"{param.name} {value}", FIT_POINTS["number", "int"])
    _fill_text(params, filled, spans, entities, avoid, objects, tool_words, put)
    for param in params:
        if param.required and param.name not in filled.args:
            filled.missing.append(param)
    return filled


# --- ranking ---------------------------------------------------------------------------------


@dataclass
class Candidate:
    spec: ToolSpec
    score: float
    matched: list[str]  # the tool's own words found in the request
    filled: Filled
    verb_hit: bool = False  # one of its words stands where an order puts its verb
    labels: list[str] = field(default_factory=list)  # every scoring item, for debugging
    action_hit: bool = False  # its action word (not a subject word) stands where an order puts its verb
    described: bool = False  # words of its description are in the request
    similarity: float | None = None  # to the request by meaning (`bot.agent.meaning`), when measured
    by_meaning: bool = False  # a candidate only because of that similarity

    @property
    def name(self) -> str:
        return self.spec.name


def _at_verb(start: int, clauses: list[list[str]]) -> bool:
    """Whether the token at `start` (counted over all clauses) stands where an order puts its
    verb: the start of its clause, or after a lead word ("please", "can you")."""
    offset = 0
    for clause in clauses:
        if offset <= start < offset + len(clause):
            at = start - offset
            return at == 0 or clause[at - 1] in _VERB_LEAD_STEMS
        offset += len(clause)
    return False


_VERB_LEAD_STEMS = frozenset(stem(word) for word in VERB_LEADS)


def _synonym_span(synonym: str, tokens: list[str], covered: set[int]) -> tuple[int, int] | None:
    """Where a synonym phrase occurs among the request's stems, as (start, end), avoiding words
    already counted. A `*` in the phrase stands for one to three words: "put * live" matches
    "put checkout 3.2.0 live", "give * a kick" matches "give the worker a kick"."""
    if "*" not in synonym:
        phrase = _stems(synonym)
        for position in _phrase_positions(phrase, tokens):
            if not covered.intersection(range(position, position + len(phrase))):
                return position, position + len(phrase)
        return None
    head, tail = (_stems(part) for part in synonym.split("*", 1))
    for position in _phrase_positions(head, tokens):
        for gap in range(1, 4):
            after = position + len(head) + gap
            if tokens[after: after + len(tail)] == tail:
                span = range(position, after + len(tail))
                words = set(range(position, position + len(head))) | set(range(after, after + len(tail)))
                if not covered.intersection(words):
                    return span.start, span.stop
    return None


@functools.lru_cache(maxsize=2048)
def _stems_of(text: str) -> tuple[str, ...]:
    return tuple(stem(word) for word in words_of(text))


def _stems(text: str) -> list[str]:
    return list(_stems_of(text))


def _phrase_positions(phrase: list[str], tokens: list[str]) -> list[int]:
    size = len(phrase)
    return [i for i in range(len(tokens) - size + 1) if tokens[i: i + size] == phrase]


def _clause_tokens(text: str, joined: frozenset[str] = frozenset()) -> list[list[str]]:
    """Stemmed words per clause. Two words that form one of `joined` when written together
    are read as that word: "name servers" is "nameservers", "time zone" is "timezone"."""
    clauses = []
    for part in CLAUSE.split(text):
        if not part or not part.strip():
            continue
        words = words_of(part)
        stems: list[str] = []
        index = 0
        while index < len(words):
            if index + 1 < len(words) and stem(words[index] + words[index + 1]) in joined:
                stems.append(stem(words[index] + words[index + 1]))
                index += 2
                continue
            stems.append(stem(words[index]))
            index += 1
        clauses.append(stems)
    return clauses


def score_tool(spec: ToolSpec, entities: Entities) -> Candidate:
    """The transparent score of one tool for one request."""
    labels: list[str] = []
    matched: list[str] = []
    score = 0.0
    verb_hit = False
    action_hit = False  # the tool's action itself (its verb, not a subject word) in the verb's place
    phrases: dict[str, list[str]] = {}
    names = name_words(spec)
    lead = _description_verb(spec.summary)
    for word in [*names, *spec.keywords, *([lead] if lead else [])]:
        phrases.setdefault(" ".join(words_of(word)), [stem(w) for w in words_of(word)])
    single = frozenset(phrase[0] for phrase in phrases.values() if len(phrase) == 1)
    described = _description_stems(spec.summary)
    clauses = _clause_tokens(entities.plain, single | described)
    known = set(single | described)
    clauses = [[token if token in known else (typo_of(token, known) or abbreviation_of(token, known) or token)
                for token in clause] for clause in clauses]  # "restrat": "restart"; "cert": "certificate"
    tokens = [token for clause in clauses for token in clause]
    covered: set[int] = set()
    synonyms_hit: set[str] = set()
    for text, phrase in sorted(phrases.items(), key=lambda item: -len(item[1])):
        if not phrase:
            continue
        positions = _phrase_positions(phrase, tokens)
        fresh = [p for p in positions if not covered.intersection(range(p, p + len(phrase)))]
        if not fresh:
            continue
        covered.update(range(fresh[0], fresh[0] + len(phrase)))
        # a word of the tool's name that names another action than its verb ("release" in
        # `revert_release`) is its object: half points, and never its verb position
        foreign = text in names[1:] and synonym_class(text) in ACTION_CLASSES and \
            synonym_class(text) != synonym_class(names[0] if names else "")
        # a keyword that is also a common word ("now" for a clock), or a light verb ("make" of
        # `make_bucket_private`: "make ci-runner-2 a large"), is weak evidence
        common = len(phrase) == 1 and (text in STOPWORDS or text in LIGHT_VERBS)
        points = WORD_POINTS / 2 if foreign or common else WORD_POINTS
        score += points
        matched.append(text)
        labels.append(f"+{points:g} {text!r}")
        for clause in clauses:
            for position in _phrase_positions(phrase, clause):
                at_verb = position == 0 or clause[position - 1] in {stem(w) for w in VERB_LEADS}
                counted = position > 0 and clause[position - 1].isdigit()  # "5 replicas": a quantity asked for
                if ((at_verb and not foreign) or counted) and not common:
                    verb_hit = True
                    # "5 replicas" asks for a quantity; otherwise the word must be the tool's action
                    action_hit = action_hit or counted or (at_verb and text in _action_words(
                        own_name_words(spec), lead, spec.keywords)
                                                and text not in LIGHT_VERBS)
    for word in _synonym_sources(spec):
        cls = synonym_class(word)
        if cls is None or cls in synonyms_hit or any(synonym_class(m) == cls for m in matched):
            continue
        # every way the request says it; one counts, preferring one that stands where an order
        # puts its verb ("shrink payments to 2 pods": "shrink", not "pods"), then the longest
        spans = [(synonym, found) for synonym in SYNONYMS[cls]
                 if (found := _synonym_span(synonym, tokens, covered)) is not None]
        if not spans:
            continue
        ordered = sorted(spans, key=lambda item: (not _at_verb(item[1][0], clauses), -len(item[0].split())))
        synonym, (start, end) = ordered[0]
        covered.update(range(start, end))
        synonyms_hit.add(cls)
        score += SYNONYM_POINTS
        matched.append(synonym)
        labels.append(f"+{SYNONYM_POINTS:g} {synonym!r} (means {word!r})")
        if _at_verb(start, clauses) or (start > 0 and tokens[start - 1].isdigit()):
            verb_hit = True
            # a synonym of a change in the verb's place ("scale", "bounce", "shrink"; not "backed up")
            action_hit = action_hit or cls in CHANGE_CLASSES
    vocabulary = set(tokens)
    # compound words: "nslookup" holds "lookup", "healthcheck" holds "check" (half points)
    for word in name_words(spec):
        if len(word) >= 4 and word not in matched:
            compounds = [t for t in words_of(entities.plain) if t != word and len(t) > len(word)
                         and (t.startswith(word) or t.endswith(word)) and re.fullmatch(r"[a-z]+", t)]
            if compounds:
                score += WORD_POINTS / 2
                matched.append(compounds[0])
                labels.append(f"+{WORD_POINTS / 2:g} {compounds[0]!r} (holds {word!r})")
    content = {stem(w) for w in words_of(spec.summary) if len(w) >= 3 and w not in STOPWORDS}
    content -= {stem(w) for w in matched for w in w.split()}
    description_hits = sorted(content & vocabulary)
    if description_hits:
        points = min(DESCRIPTION_CAP, DESCRIPTION_POINTS * len(description_hits))
        score += points
        labels.append(f"+{points:g} description {description_hits}")
    filled = fill_arguments(spec, entities)
    verb_hit = verb_hit or filled.verb_value
    action_hit = action_hit or filled.verb_value
    score += filled.fit
    labels += [f"fits {label}" for label in filled.fit_labels]
    # Only a missing parameter of an entity kind counts against the tool: any word can be a
    # service name, but a missing URL means the request is probably not about this tool. (A
    # missing enum value does not either: "restart the database" should ask which unit.)
    typed = [p.name for p in filled.missing if p.kind in ENTITY_KINDS]
    if typed:
        penalty = MISSING_REQUIRED_PENALTY * len(typed)
        score -= penalty
        labels.append(f"-{penalty:g} missing {typed}")
    return Candidate(spec, round(score, 2), matched, filled, verb_hit, labels, action_hit=action_hit,
                     described=bool(description_hits))


def own_name_words(spec: ToolSpec) -> list[str]:
    """The tool's name without the prefix its MCP server gave it (`git_reset` of server "git" is
    `reset`): where its verb stands."""
    names = name_words(spec)
    server = spec.source.split(":", 1)[1] if spec.source.startswith("mcp:") else ""
    if server and len(names) > 1 and names[0].lower() == server.lower():
        return names[1:]
    return names


def _action_words(names: list[str], lead: str | None, keywords: tuple[str, ...] = ()) -> set[str]:
    """The words that name a tool's action: its description's first word when it has one ("Reload
    nginx on a host" for `nginx_reload`), its name's first word when that is the same action or
    there is no description verb, its name's words that are actions of their own class, and the
    keywords its author gave that are not its name's nouns ("bounce" for `restart_service`)."""
    found = {lead} if lead else set(names[:1])
    found.update(" ".join(words_of(keyword)) for keyword in keywords if keyword.lower() not in names[1:])
    lead_class = synonym_class(lead) if lead else None
    for word in names:
        cls = synonym_class(word)
        if (word == (names[0] if names else None) and (not lead or stem(word) == stem(lead) or
                                                     (cls is not None and cls == lead_class))) or cls in ACTION_CLASSES:
            found.add(word)
    return found


@functools.lru_cache(maxsize=1024)
def _description_verb(summary: str) -> str | None:
    """The summary's first word when it is the action ("Drain a node…", "Shows the commit logs"):
    a tool's description usually opens with what it does, which counts like its name's verb."""
    words = words_of(summary)
    if not words or words[0] in STOPWORDS or not words[0].isalpha() or len(words[0]) < 3:
        return None
    return words[0]


def _synonym_sources(spec: ToolSpec) -> tuple[str, ...]:
    """The tool's words whose synonyms count: its verb (the first word of its name) and its
    keywords with any class; its other name words only for subject classes ("replicas")."""
    return _sources(spec.name, spec.keywords)


@functools.lru_cache(maxsize=1024)
def _sources(name: str, keywords: tuple[str, ...]) -> tuple[str, ...]:
    words = [part for part in name.split("_") if part]
    sources = [*words[:1], *keywords]
    sources += [word for word in words[1:] if synonym_class(word) not in ACTION_CLASSES]
    return tuple(dict.fromkeys(word.lower() for word in sources))


def _closest(similarity: float, top: float, runner_up: float) -> bool:
    """Whether a tool is the one the request means: the closest, and either close enough or
    clearly closer than any other."""
    if similarity < top - SIMILARITY_TIE:
        return False
    return similarity >= MIN_SIMILARITY or (similarity >= MIN_SIMILARITY - 0.08 and similarity - runner_up >= 0.08)


def _clearly_asked(candidate: Candidate, top_similarity: float, question: bool = False,
                   runner_up: float = 0.0) -> bool:
    """A tool that changes something is only offered when the request asks for that action:
    its action word in an order's verb position ("restart nginx", "can you bounce the worker";
    not its subject: "nginx -t" does not ask for `nginx_reload`), two of its words ("the search
    deployment ... 8 pods"), or, by meaning, when it is the tool the request is closest to and
    clearly so ("evacuate node-7" for `drain_node`)."""
    if candidate.spec.risk is Risk.read:
        return True
    if candidate.action_hit or len(candidate.matched) >= 2:
        return True
    similarity = candidate.similarity
    return not question and similarity is not None and similarity >= ACTION_SIMILARITY and \
        similarity >= top_similarity and similarity - runner_up >= SIMILARITY_TIE


Meaning = Callable[[str], Mapping[str, float]]
"""The similarity of a text to each tool by meaning, by tool name (`bot.agent.meaning`)."""


def rank_tools(text: str, tools: list[ToolSpec], meaning: Meaning | None = None) -> list[Candidate]:
    """Every tool that could serve the request, best first (score ≥ MIN_SCORE; write-risk
    tools only when clearly asked for). With `meaning`, each tool's similarity to the request
    adds to its score, and a tool with none of its words in the request can still be the
    candidate when it is the closest by meaning and the request holds every argument it needs."""
    entities = extract_entities(text)
    scored = [score_tool(spec, entities) for spec in tools]
    offered = {spec.name: spec for spec in tools}
    similarity = {name: value for name, value in (meaning(text) if meaning is not None else {}).items()
                  if name in offered}
    question = bool(QUESTION.search(text.strip()))
    # the closest tools by meaning among those the request may ask for (a question asks for no change)
    askable = sorted((value for name, value in similarity.items()
                      if not question or offered[name].risk is Risk.read), reverse=True)
    top = askable[0] if askable else 0.0
    runner_up = askable[1] if len(askable) > 1 else 0.0
    for candidate in scored:
        if candidate.name in similarity:
            value = candidate.similarity = similarity[candidate.name]
            points = round(SIMILARITY_POINTS * max(0.0, value - SIMILARITY_FLOOR), 2)
            if points:
                candidate.score = round(candidate.score + points, 2)
                candidate.labels.append(f"+{points:g} similar in meaning ({value:.2f})")
        if candidate.action_hit and candidate.spec.risk is not Risk.read and not question and \
                not candidate.filled.missing:
            # "the cert expires tomorrow, renew it": an action asked for beats a read of the same thing
            candidate.score = round(candidate.score + ACTION_POINTS, 2)
            candidate.labels.append(f"+{ACTION_POINTS:g} its action is asked for")
    # A tool needs one of its own words, or an entity only it could use (a URL, a host, a time
    # zone, a path). An enum value alone does not do: unit names are shared by restart_service
    # and tail_logs, so "nginx" says what the request is about, not what to do with it.
    candidates = []
    for c in scored:
        if c.score >= MIN_SCORE and (c.matched or c.described or c.filled.typed_fit >= 2.0):
            candidates.append(c)
        elif c.similarity is not None and _closest(c.similarity, top, runner_up) \
                and c.filled.args and not c.filled.missing and not c.filled.ties:
            c.by_meaning = True  # found by meaning alone: only with every argument in the request
            candidates.append(c)
    candidates = [c for c in candidates if _clearly_asked(c, top, question, runner_up)]
    return sorted(candidates, key=lambda c: (-c.score, tools.index(c.spec)))


# --- the planner -----------------------------------------------------------------------------
