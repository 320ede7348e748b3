"""Free-text argument values, taken whole from the request and chosen by the parameter's schema.

A tool written tomorrow says what its parameters accept: a `pattern`, a length, a description
("The queue, e.g. emails"). So a value is a span of the request copied whole (`worker@2`,
`nginx@blue.service`, `orders-dlq`, `HighLatency`, `v3.0.2`), that the schema accepts, and that
stands where a value stands:

- quoted, or shaped like an identifier (a digit, `-`, `_`, `@`, `.` inside, or inner capitals);
- next to a word that names the parameter ("the emails *queue*", "*namespace* payments", "the auth
  *service*"): the parameter's own name, the content words of its description, the tool's name;
- right after the tool's action ("purge *emails*"), or after a preposition ("for *initech*").

Spans that are the request's own wording never become values: stop words, the tool's vocabulary
(and its misspellings), the first word of a clause (where an order puts its verb), and verb forms
("leaked", "touching"). None of this names a tool: it reads the schema and the sentence.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from chatops.bot.agent.entities import STOPWORDS, identifier_words, is_unit, stem, words_of
from chatops.bot.agent.lexicon import (
    ACTION_CLASSES,
    CLAUSE,
    DETERMINERS,
    LIGHT_VERBS,
    LOOK_VERBS,
    MUTATING_VERBS,
    PARTICLES,
    REFERENCES,
    SCOPE_WORDS,
    SHORTENINGS,
    VERB_LEADS,
    synonym_class,
)
from chatops.bot.english import is_dictionary_word

# "cart:eu:*", "SHA256:ab+/c" whole; a number's leading plus too ("+4915112345678", E.164)
_SPAN = re.compile(r"(?:(?<![\w+])\+(?=\d)|(?<![\w/.~-])/(?=[A-Za-z0-9]))?"  # "+49…", "/dev/sdd"
                   r"[A-Za-z0-9]+(?:['_.@:+/=-]+[A-Za-z0-9]+)*(?:[:./_-]?\*)?")
_PREPOSITIONS = frozenset({"for", "in", "on", "of", "from", "to", "at", "about", "called", "named", "against"})
_BE = frozenset({"is", "are", "was", "were", "be", "been", "keeps", "keep", "kept", "still"})
_ORDINARY = ("example", "word", "thing")  # a pattern that accepts these accepts any word
# what follows a verb at the start of a clause ("bounce it", "switch that flag off")
_OBJECT_LEADS = DETERMINERS | PARTICLES | {"it", "them", "this", "that", "these", "those", "everything", "all", "both"}

# everyday verbs that open an order ("bump curl on build-7", "pin nginx on lb-2"): the verb, not a value
_ORDER_VERBS = MUTATING_VERBS | LOOK_VERBS - LIGHT_VERBS
SHAPE_POINTS = 2.0
QUOTED_POINTS = 3.0
ANCHOR_POINTS = 2.0
OBJECT_POINTS = 1.0
PREPOSITION_POINTS = 0.5
VERB_POSITION_PENALTY = 1.0
EXAMPLE_POINTS = 1.0
# A version number ("3.0.13", "v2.14.0", "3.0.2-0ubuntu1.15") and the words that name one: a
# parameter that says none of them is not where such a value goes.
# ("4.2 TB" is a quantity: two parts need a "v" or a suffix)
_VERSION = re.compile(r"v\d+(?:\.\d+)+(?:[-+~][0-9A-Za-z.+~-]+)?|\d+\.\d+(?:\.\d+)+(?:[-+~][0-9A-Za-z.+~-]+)?|"
                      r"\d+(?:\.\d+)+[-+~][0-9A-Za-z.+~-]+", re.IGNORECASE)
SCOPE_POINTS = 1.0
_PLACE_PREPOSITIONS = frozenset({"in", "on", "from", "at"})
_PLACING = frozenset({"under", "below", "beneath", "above", "within", "inside", "outside", "between", "through",
                      "across", "behind", "except", "via"})
_SCOPE_STEMS = frozenset(stem(word) for word in SCOPE_WORDS)
_ID_WORDS = frozenset({"id", "ids", "key", "ref", "uuid", "identifier", "fingerprint", "sha", "hash"})
_VERSION_WORDS = frozenset({"version", "release", "tag", "revision", "rev", "build", "semver"})


@dataclass(frozen=True)
class Span:
    text: str  # as written, case kept
    stem: str
    index: int  # position among the request's words
    clause_start: bool
    host: bool = False  # written like a host name ("public.events", "web1.example.com")


def spans_of(text: str, hosts: frozenset[str] = frozenset()) -> list[Span]:
    """The request's words as written, each with its position and whether it opens its clause
    (filler before it, "please", "actually", opens with it)."""
    found: list[Span] = []
    index = 0
    for part in CLAUSE.split(text):
        if not part or not part.strip():
            continue
        first = True
        for match in _SPAN.finditer(part):
            word = re.sub(r"'s$", "", match.group(0))
            after = part[match.end():match.end() + 2]
            if after[:1] == "/" and ("/" in word or after[1:] in ("", " ")):
                word += "/"  # "everything under config/checkout/", "under logs/": a prefix keeps its slash
            found.append(Span(word, stem(word.lower()), index, first, word.lower() in hosts))
            index += 1
            # the clause opens at its first word that is not filler ("actually make it 6", "please restart");
            # after "is"/"are" the next word is a subject, not a verb ("is new-checkout on?")
            first = first and (word.lower() in STOPWORDS or word.lower() in VERB_LEADS) and word.lower() not in _BE
    return found


def fitting(value: str, schema: dict[str, Any]) -> str | None:
    """`value` as the schema accepts it (a version written `v3.0.2` where the pattern wants
    `3.0.2`), or None."""
    for candidate in (value, value[1:] if re.fullmatch(r"[vV]\d+(?:\.\d+)+", value) else None):
        if candidate and _fits(candidate, schema):
            return candidate
    return None


def _fits(value: str, schema: dict[str, Any]) -> bool:
    if schema.get("enum"):  # a closed list: nothing else fits
        return value.lower() in {str(item).lower() for item in schema["enum"]}
    if len(value) > int(schema.get("maxLength", 10_000)) or len(value) < int(schema.get("minLength", 0)):
        return False
    pattern = schema.get("pattern")
    if not pattern:
        return True
    return _pattern_takes(pattern, value)


@functools.lru_cache(maxsize=1024)  # every span of a request against every pattern of every tool ranked
def _pattern_takes(pattern: str, value: str) -> bool:
    try:
        return re.search(pattern, value) is not None
    except re.error:
        return True


def restrictive(schema: dict[str, Any]) -> bool:
    """Whether the schema's pattern refuses ordinary words (`^[0-9]+[mhd]$` does, `^[a-z-]+$`
    does not): then a span it accepts is evidence by itself."""
    if not schema.get("pattern"):
        return False
    return not any(_fits(word, schema) for word in _ORDINARY)


def distinctive(schema: dict[str, Any]) -> bool:
    """Whether a value the schema accepts says which parameter it is for: the pattern refuses
    ordinary words and bare numbers, so "net.core.somaxconn" or "CheckoutButtonColor" fits it and
    little else does."""
    return restrictive(schema) and not _fits("42", schema)


def identifier_shaped(value: str) -> bool:
    """Shaped like a name: a digit, a separator inside, inner capitals. A plain number ("4.2",
    "10") is a quantity, not a name."""
    if re.fullmatch(r"[\d.,]+", value):
        return False
    return bool(re.search(r"\d|[_@.:/-]\w", value) or re.search(r"[a-z][A-Z]", value))


def _verb_like(value: str) -> bool:
    """A plain or hyphenated word ("auto-delete", "re-run"): at the start of a clause, a verb."""
    return bool(re.fullmatch(r"[a-z]+(?:-[a-z]+)*", value))


def verb_form(word: str) -> bool:
    """"leaked", "wedged", "stopped": a verb's past form, not a name. (Words in "-ing" are often
    names: "billing", "staging".)"""
    return word.islower() and len(word) > 5 and word.endswith("ed")


def anchor_stems(name: str, schema: dict[str, Any], tool_words: list[str]) -> frozenset[str]:
    """The words that name a parameter: its own name's parts, its description's content words
    (not its examples), and the tool's name."""
    described = re.split(r"\be\.g\.|\bsuch as\b|\bfor example\b|,", str(schema.get("description", "")),
                         maxsplit=1)[0]
    words = [*identifier_words(name), *re.findall(r"[A-Za-z]+", described), *tool_words]
    own = {word.lower() for word in identifier_words(name)}
    words += [short for short, long in SHORTENINGS.items() if long in own]  # "ns" for `namespace`
    return frozenset(stem(word.lower()) for word in words if word and word.lower() not in STOPWORDS)


@dataclass(frozen=True)
class Choice:
    value: str
    score: float
    why: str


# words that follow a clause's subject, never its opening verb: "email-sender can start consuming again"
_AUXILIARIES = frozenset({"can", "could", "should", "will", "would", "must", "may", "might", "is", "are", "was",
                          "were", "has", "have", "had", "can't", "cannot", "won't", "isn't", "keeps", "needs"})


def value_choices(schema: dict[str, Any], spans: list[Span], quoted: list[str], anchors: frozenset[str],
                  avoid: set[str], objects: set[int], taken: set[str],
                  own_anchors: frozenset[str] = frozenset()) -> list[Choice]:
    """Every span this parameter could take, best first. `objects` are the positions right after
    the tool's action word; `avoid` the stems that are the request's wording, not values;
    `own_anchors` the parameter's own words (without the tool's), the only ones that make a bare
    number a text value."""
    choices: dict[str, Choice] = {}
    listed = example_values(schema)
    examples = {shape_of(value) for value in listed}
    example_words = {str(value).lower() for value in listed}
    # "all = every group", "0 = forever": a word the description defines is a value, stop word or not
    described = str(schema.get("description", ""))
    defined = {word.lower() for word in re.findall(r"(?<![\w=])(\w+)\s*=\s*[A-Za-z]", described)}
    example_words |= defined
    # a text parameter whose pattern takes digits alone (a sysctl value `^-?[0-9]{1,12}$`) is a number
    # an id written in digits only ("^[0-9]{8}$" for a campaign id): a bare number may fill it
    numbers_only = bool(schema.get("pattern")) and any(_fits("4" * length, schema) for length in range(1, 21)) \
        and not _fits("word", schema) and not _fits("a1", schema)
    spaceless = bool(examples) and not any(" " in example for example in listed)
    for text in quoted:
        value = fitting(text, schema)
        if value and value.lower() not in taken:
            score = QUOTED_POINTS
            if " " in value and (spaceless or (own_anchors or anchors) & _ID_WORDS):
                score -= 2 * EXAMPLE_POINTS  # a sentence in quotes is a comment's body, not a ticket's id
            shaped = examples and " " not in value and any(shape_of(value)) and shape_of(value) in examples
            why = "quoted, shaped like its examples" if shaped else "quoted"
            if _named_before(text, spans, anchors | own_anchors):  # 'titled "…"', 'with summary "…"'
                score += ANCHOR_POINTS
                why += ", named next to it"
            choices[value] = Choice(value, score, why)
    for position, span in enumerate(spans):
        lowered = span.text.lower()
        if (lowered in STOPWORDS and lowered not in defined) or span.stem in avoid or span.stem in anchors:
            continue
        if lowered in taken and not (_anchored(spans, position, own_anchors) and
                                     sum(other.text.lower() == lowered for other in spans) > 1):
            continue  # another's value; but "the payments release … in the payments ns": written for each
        if verb_form(span.text) or lowered in DETERMINERS or lowered in PARTICLES or lowered in REFERENCES or \
                (lowered in _PLACING and lowered not in defined):
            continue  # "archive the files under exports/": "under" places a value, it is none
        if re.fullmatch(r"\d+(?:ing|ed)", lowered):
            continue  # "the deploy is 500ing", "it 404ed": a status used as a verb, not a name
        if position > 0 and re.fullmatch(r"\d+(?:\.\d+)?", spans[position - 1].text) and is_unit(lowered):
            continue  # "for 6 hours": the number's unit
        if re.fullmatch(r"\d+(?:\.\d+)?", lowered) and position + 1 < len(spans) and is_unit(spans[position + 1].text):
            continue  # "at 4.2 TB": an amount, never a name (a bucket's pattern takes "4.2")
        if (amount := re.fullmatch(r"\d+([a-z]+)", lowered)) and is_unit(amount.group(1)) and not restrictive(schema):
            continue  # "for 8h": an amount of time or size, not a name or a reason
        value = fitting(span.text, schema)
        if value is None:
            continue
        score, why = 0.0, []
        # "auto-delete stuff in …", "dry-run the infra code": a verb, not a name; but "orders-api dev
        # db is behind" opens with a name shaped like the parameter's own examples ("e.g. billing-api"),
        # its last part no English word
        opening_verb = span.clause_start and _verb_like(span.text) and not (
            "-" in span.text and not is_dictionary_word(span.text.rsplit("-", 1)[1].lower())
            and any(example[1] for example in examples) and shape_of(span.text) in examples) and not (
            position + 1 < len(spans) and spans[position + 1].text.lower() in _AUXILIARIES)  # "email-sender can …"
        if identifier_shaped(span.text) and not span.host and not opening_verb:  # a host's shape: no evidence
            score += SHAPE_POINTS
            why.append("shaped like a name")
        if examples:  # a distinctive shape its examples share counts for it; one none of them has, against
            shape = shape_of(span.text)
            if foreign_prefix(span.text, listed):
                # "we_8f2kQ" for a delivery id "e.g. dlv_01HF3Z9K": an id of another kind ("pay_", "cus_"
                # name what an id is); a ticket key of another project ("OPS-45" for "INC-2291") may still be one
                if re.match(r"[a-z]+_", span.text):
                    continue
                score -= EXAMPLE_POINTS
            elif (shape in examples and any(shape)) or any(
                    len(example) >= 3 and lowered.startswith(example.lower()) and lowered != example.lower()
                    and not example.isalpha() for example in listed) or (  # "pay-zpk-2024" for "e.g. pay-zpk"
                    segmented(span.text) and any(segmented(example) for example in listed)):  # "feature/x.y"
                score += EXAMPLE_POINTS
                why.append("shaped like its examples")
            elif any(shape) and not any(any(example) for example in examples):
                score -= EXAMPLE_POINTS  # "a1b2c3d" for a service whose examples are plain words
            elif shape[0] and not any(example[0] for example in examples):
                score -= EXAMPLE_POINTS  # "p99" for a service "e.g. checkout or search-api": no digits there
            elif not any(shape) and all(example[0] and example[1] for example in examples):
                score -= EXAMPLE_POINTS  # "vpn" for a ticket id "like HD-1234"
        if lowered in example_words and not any(shape_of(span.text)):  # a plain word; shapes count above
            score += EXAMPLE_POINTS
            why.append("one of its examples")  # "checkout" for a service "e.g. checkout or search-api"
        if _anchored(spans, position, anchors) or (span.text.isdigit() and _anchored(spans, position, own_anchors)):
            score += ANCHOR_POINTS
            why.append("named next to it")
        if span.index in objects:
            score += OBJECT_POINTS
            why.append("the action's object")
        elif position > 0 and spans[position - 1].text.lower() in _PREPOSITIONS:
            score += PREPOSITION_POINTS
            if spans[position - 1].text.lower() in _PLACE_PREPOSITIONS and own_anchors & _SCOPE_STEMS:
                score += SCOPE_POINTS  # "logs of api-7d9f in payments": the namespace is where it is
                why.append("where it is")
        before = spans[position - 1] if position > 0 else None
        if lowered.endswith("ing") and len(lowered) > 5 and not identifier_shaped(span.text) and before is not None \
                and (before.stem in anchors or before.text.lower() in _BE):
            score -= 1.0  # "the signup queue piling up", "is crashlooping": a verb there ("billing" is a name)
        following = spans[position + 1].text.lower() if position + 1 < len(spans) else ""
        if span.clause_start and (_verb_like(span.text) or not identifier_shaped(span.text)) and (
                not following or following in _OBJECT_LEADS or lowered in LIGHT_VERBS or "-" in span.text
                or lowered in _ORDER_VERBS or synonym_class(lowered) in ACTION_CLASSES):
            score -= VERB_POSITION_PENALTY  # a verb before its object ("switch that flag off", "bounce it")
        if span.text.isdigit() and not _anchored(spans, position, own_anchors) and not numbers_only:
            continue  # a bare number is a text value only when named ("revision 41"), quoted, or all it takes
        if is_version(span.text) and not span.host and not (own_anchors or anchors) & _VERSION_WORDS:
            score -= EXAMPLE_POINTS  # "to 3.0.2-0ubuntu1.15" is a version: the package is another word
        known = choices.get(value)
        if known is None or known.score < score:
            choices[value] = Choice(value, score, ", ".join(why))
    return sorted(choices.values(), key=lambda choice: -choice.score)


def best_assignment(lists: dict[str, list[Choice]], depth: int = 4) -> tuple[dict[str, str], dict[str, float]]:
    """The values for several parameters that score most together, each span used once (the
    four best choices of each are tried: requests are short); and, per parameter, how far that
    total is ahead of the best one giving it another value (0: two readings are as good, so
    "fast-forward notif-svc on user_events" does not say which is the group)."""
    names = [name for name, choices in lists.items() if choices]
    found: list[tuple[float, dict[str, str]]] = []

    def walk(index: int, used: set[str], total: float, picked: dict[str, str]) -> None:
        if index == len(names):
            found.append((total, dict(picked)))
            return
        name = names[index]
        options = [c for c in lists[name][:depth] if c.value.lower() not in used]
        for choice in options:
            picked[name] = choice.value
            walk(index + 1, used | {choice.value.lower()}, total + choice.score, picked)
            del picked[name]
        # or none: "same for priya.n@acme.io" is the user, though the reason would take it too
        walk(index + 1, used, total, picked)

    walk(0, set(), 0.0, {})
    if not found:
        return {}, {}
    # as many parameters filled as can be, then the best total ("same for priya.n@acme.io" fills
    # the user its pattern takes, not the reason that would take any word)
    total, best = max(found, key=lambda item: (len(item[1]), item[0]))
    margins = {}
    for name in best:
        others = [score for score, picked in found if picked.get(name) not in (None, best[name])]
        margins[name] = total - max(others) if others else float("inf")
    return best, margins


def example_values(schema: dict[str, Any]) -> list[str]:
    """The values a parameter gives as examples: its `examples`, or "e.g. X" / "such as X" in its
    description."""
    found = [str(value) for value in schema.get("examples") or [] if isinstance(value, str | int)]
    described = str(schema.get("description", ""))
    for match in re.finditer(r"\b(?:e\.g\.?|such as|for example|like)[:,]?\s+([^;()]+)", described, re.IGNORECASE):
        for value in re.split(r",\s*|\s+or\s+|\s+and\s+", match.group(1).strip().rstrip(".")):
            if value and " " not in value.strip():
                found.append(value.strip("'\"`"))
    return [value for value in found if value]


def id_prefix(value: str) -> str | None:
    """The kind prefix of an id written like Stripe's or a ticket system's: "dlv_" of
    "dlv_01HF3Z9K", "INC-" of "INC-2291"; None for a word without one."""
    match = re.match(r"([A-Za-z]{2,6}[_-])(?=[A-Za-z0-9]*\d)[A-Za-z0-9]+$", value)
    return match.group(1).lower() if match else None


def foreign_prefix(value: str, examples: list[str]) -> bool:
    """Whether every example starts with one kind prefix and `value` with another: "we_8f2kQ"
    is an endpoint's id, not a delivery's "e.g. dlv_01HF3Z9K"."""
    prefixes = {id_prefix(example) for example in examples}
    if len(prefixes) != 1 or None in prefixes:
        return False
    own = id_prefix(value)
    return own is not None and own not in prefixes


def segmented(value: str) -> bool:
    """A name of segments joined or ended by slashes, not a path: "release/2.4", "feature/dark.theme",
    the key prefix "logs/"."""
    return "/" in value and re.fullmatch(r"[A-Za-z0-9][\w.-]*(?:/[\w.-]+)*/?", value) is not None


def shape_of(value: str) -> tuple[bool, bool, bool, bool]:
    """What a value looks like: digits, separators, inner capitals, dots."""
    return (any(ch.isdigit() for ch in value), bool(re.search(r"[_@:-]", value)),
            bool(re.search(r"[a-z][A-Z]", value)), "." in value.strip("."))


def is_version(value: str) -> bool:
    """ "3.0.13", "v2.1", "1.3.1-2"; not "4.2" (a quantity) nor "10.0.0.7" (an address)."""
    return bool(_VERSION.fullmatch(value)) and not re.fullmatch(r"(?:\d{1,3}\.){3}\d{1,3}", value)


def _named_before(quoted: str, spans: list[Span], anchors: frozenset[str]) -> bool:
    """Whether the word just before a quoted text names the parameter ('titled "Checkout is back"',
    'with summary "minor version"'): its first word's span follows an anchor."""
    first = words_of(quoted)[:1]
    if not first or not anchors:
        return False
    for position, span in enumerate(spans):
        if span.text.lower() == first[0] and position > 0 and spans[position - 1].stem in anchors:
            return True
    return False


def _anchored(spans: list[Span], position: int, anchors: frozenset[str]) -> bool:
    """A parameter word right after the span ("the emails queue", "the orders table": the span
    then follows a determiner or a preposition, or is shaped like a name; "rewind consumer" is a
    verb and its object) or right before it ("namespace payments"), skipping determiners."""
    for step in (-1, 1):
        index = position + step
        while 0 <= index < len(spans) and spans[index].text.lower() in DETERMINERS:
            index += step
        if 0 <= index < len(spans) and spans[index].stem in anchors:
            if step == 1 and spans[index].clause_start:
                continue  # "to li.wei@acme.io, reason …": the word opens what comes next
            if step == -1 and spans[position].clause_start:
                continue  # "his quota, double it": the word ends what came before
            if step == -1:
                return True
            before = spans[position - 1].text.lower() if position > 0 else ""
            if before in DETERMINERS or before in _PREPOSITIONS or identifier_shaped(spans[position].text):
                return True
    return False
