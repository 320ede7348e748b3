"""A tool's own wording: the stems of its name, keywords, description and their synonyms, and
the typing slips and shortenings of them. Its wording is never an argument value, and it is what
ranking compares a request's words with."""

from __future__ import annotations

import functools
import re

from rapidfuzz.distance import OSA

from chatops.bot.agent.disclaimers import what_it_does
from chatops.bot.agent.entities import (
    STOPWORDS,
    identifier_words,
    is_english,
    name_words,
    stem,
    words_of,
)
from chatops.bot.agent.lexicon import (
    ACTION_CLASSES,
    BEGINNING_VERBS,
    PARTICLES,
    SYNONYMS,
    synonym_class,
)
from chatops.bot.agent.phrases import phrase_positions
from chatops.bot.agent.values import (
    Span,
)
from chatops.tools.registry import ToolSpec


def tool_vocabulary(spec: ToolSpec) -> set[str]:
    """The stems of the tool's own words and of their synonyms: never a value of its arguments
    ("roll out payments 2.2.0": the service is not "roll")."""
    return set(_vocabulary(spec.name, spec.keywords))


@functools.lru_cache(maxsize=1024)
def _vocabulary(name: str, keywords: tuple[str, ...]) -> frozenset[str]:
    words = {stem(word) for word in identifier_words(name)}
    for keyword in keywords:
        words.update(stem(word) for word in words_of(keyword))
    for source in keyword_sources(name, keywords):
        cls = synonym_class(source)
        if cls is not None:
            words.update(stem(word) for phrase in SYNONYMS[cls] for word in words_of(phrase))
    return frozenset(words)


def action_stems(spec: ToolSpec) -> set[str]:
    """The stems of the tool's action: its name's verb, its description's first word, and their
    synonyms ("purge", "flush", "clear"): what its object follows."""
    return set(_action_stems((own_name_words(spec) or [""])[0], spec.summary))  # not an MCP server's name


@functools.lru_cache(maxsize=1024)
def _action_stems(first_word: str, summary: str) -> frozenset[str]:
    verbs = [word for word in [first_word, description_verb(summary)] if word]
    found = {stem(verb) for verb in verbs}
    for verb in verbs:
        cls = synonym_class(verb)
        if cls in ACTION_CLASSES:  # single words only: "prod" of "push * to prod" is no action
            found.update(stem(phrase) for phrase in SYNONYMS[cls] if len(words_of(phrase)) == 1)
    return frozenset(found)


def description_stems(spec: ToolSpec) -> set[str]:
    """The content words of the tool's summary: its wording, not a value ("Count the messages
    waiting in a queue": neither "count" nor "queue" is the queue). Words the summary lists as the
    choices of something ("recording how it went (successful, partially successful, backed out,
    failed)", "one of: draft, open, approved") are values, not wording."""
    return set(summary_stems(spec.summary)) - listed_choices(spec.summary)


_CHOICES = re.compile(r"\(([^()]*,[^()]*,[^()]*)\)|\bone of:?\s+([^.;()]+)", re.IGNORECASE)


@functools.lru_cache(maxsize=1024)
def listed_phrases(summary: str) -> tuple[str, ...]:
    """The choices of up to three words a summary lists in brackets or after "one of", as written:
    "how it went (successful, partially successful, backed out, failed)"."""
    found: list[str] = []
    for match in _CHOICES.finditer(summary):
        items = [item.strip() for item in re.split(r",\s*|\s+or\s+", match.group(1) or match.group(2))]
        found.extend(item for item in items if re.fullmatch(r"[A-Za-z][\w-]*(?:\s+[A-Za-z][\w-]*){0,2}", item))
    return tuple(dict.fromkeys(found))


@functools.lru_cache(maxsize=1024)
def listed_choices(summary: str) -> frozenset[str]:
    """The stems of the one-word choices a summary lists in brackets or after "one of"."""
    found: set[str] = set()
    for match in _CHOICES.finditer(summary):
        items = [item.strip() for item in re.split(r",\s*|\s+or\s+", match.group(1) or match.group(2))]
        found.update(stem(item.lower()) for item in items if re.fullmatch(r"[A-Za-z][\w-]*", item))
    return frozenset(found)


@functools.lru_cache(maxsize=1024)
def summary_stems(summary: str) -> frozenset[str]:
    """The content words of what the summary says the tool does (`bot.agent.disclaimers`)."""
    return frozenset(stem(word) for word in words_of(what_it_does(summary)) if len(word) >= 3 and word not in STOPWORDS)


@functools.lru_cache(maxsize=1024)
def description_verb(summary: str) -> str | None:
    """The summary's first word when it is the action ("Drain a node…", "Shows the commit logs"):
    a tool's description usually opens with what it does, which counts like its name's verb."""
    words = words_of(summary)
    if len(words) > 1 and len(words[0]) > 5 and words[0].endswith("ly") and not words[0].endswith("ply") \
            and words[1].isalpha():  # an adverb; not "Apply", "Reply", "Rally"
        words = words[1:]  # "Remotely wipe a laptop", "Gracefully stop a worker": the verb follows
    if not words or words[0] in STOPWORDS or not words[0].isalpha() or len(words[0]) < 3:
        return None
    if len(words) > 1 and words[1] in PARTICLES:
        return f"{words[0]} {words[1]}"  # "Kick off a load test" starts one; "kick" alone restarts
    # "Sign a user out everywhere": the particle after a short object makes the verb (sign out, not
    # sign in); only after an article, so "Take a backup of …" keeps its verb
    if len(words) > 3 and words[1] in ("a", "an", "the") and words[3] in _SPLIT_PARTICLES:
        return f"{words[0]} {words[3]}"
    return words[0]


_SPLIT_PARTICLES = frozenset({"out", "off", "in", "up", "down"})

# "Isolate a CCR and lock it off so …", "Lift a barrier and hold it up: …": a second verb joined to the
# first, a phrasal verb on the same thing ("it"), ending its predicate; a bare "and log it", "and check
# it" is what follows the action (a side effect), not another name for it
_JOINED_VERB = re.compile(r"^[^.:;]*?\band\s+([a-z]{3,})\s+(?:it|them)\s+(off|out|up|down|in|over|away)"
                          r"\s*(?=$|[.:;,]|\s+so\b)", re.IGNORECASE)


@functools.lru_cache(maxsize=1024)
def joined_verb(summary: str) -> str | None:
    """The summary's second action, joined to its first by "and", taking the same object as "it"
    and a particle ("Isolate a CCR and lock it off" also locks off): people ask for either. Only
    when the pronoun proves it a verb, a particle makes it a way of doing the action itself (not a
    side effect: "Stop a pump and log it" is asked for by no "log it"), and nothing follows but the
    sentence's end ("… and put it back to automatic" says where the thing ends up)."""
    match = _JOINED_VERB.match(summary)
    if match is None or match.group(1).lower() in STOPWORDS:
        return None
    return f"{match.group(1).lower()} {match.group(2).lower()}"


@functools.lru_cache(maxsize=1024)
def keyword_sources(name: str, keywords: tuple[str, ...]) -> tuple[str, ...]:
    words = identifier_words(name)
    sources = [*words[:1], *keywords]
    sources += [word for word in words[1:] if synonym_class(word) not in ACTION_CLASSES]
    return tuple(dict.fromkeys(word.lower() for word in sources))


def misspelt(spans: list[Span], vocabulary: set[str]) -> set[str]:
    """Stems of the request's words that are one or two typing slips from the tool's words
    ("restrat", "vaccum"): its wording, never a value."""
    return {span.stem for span in spans if span.stem not in vocabulary and
            (typo_of(span.stem, vocabulary) or abbreviation_of(span.stem, vocabulary))}


def typo_of(word: str, vocabulary: set[str] | frozenset[str]) -> str | None:
    """The word of `vocabulary` that `word` is a typing slip of: the same first letter, and one
    edit (two from seven letters on; a swap of two letters is one edit)."""
    if len(word) == 3 and word.isalpha() and word not in STOPWORDS and not is_english(word):
        # "kil" for "kill": a short word is a slip only with a doubled letter typed once
        return next((known for known in vocabulary if len(known) == 4 and any(
            known == word[:i] + word[i - 1] + word[i:] for i in range(1, 4))), None)
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
             and known[len(word):] not in _DERIVATIONS  # "reach" does not shorten "reachable"
             and word not in PARTICLES]  # "set it back to info": "back" is no "backend"
    return found[0] if len(found) == 1 else None


def skeleton_of(word: str, vocabulary: set[str] | frozenset[str]) -> str | None:
    """The one word of `vocabulary` that `word` writes by its consonants only, as people shorten
    words in a hurry ("fwd" for "forward", "mgmt" for "management", "svc" for "service"): three
    letters or more, no vowel, the same first letter, the rest in order, and the same last letter
    (or the one before a final "e")."""
    if len(word) < 3 or not word.isalpha() or set(word) & set("aeiouy") or is_english(word):
        return None
    found = [known for known in vocabulary if len(known) > len(word) + 1 and known[0] == word[0] and
             word[-1] in (known[-1], known.rstrip("e")[-1:]) and _in_order(word[1:], known[1:])]
    return found[0] if len(found) == 1 else None


def _in_order(letters: str, word: str) -> bool:
    rest = iter(word)
    return all(letter in rest for letter in letters)


_DERIVATIONS = frozenset({"able", "ible", "ing", "ed", "er", "ers", "ment", "ments", "ion", "ions", "ly", "ness", "s",
                          "es", "abl", "ibl"})


_STOP_STEMS = frozenset(stem(word) for word in STOPWORDS)


def _server(spec: ToolSpec) -> str:
    """The MCP server a tool comes from ("" for any other tool)."""
    return spec.source.split(":", 1)[1] if spec.source.startswith("mcp:") else ""


def own_name_words(spec: ToolSpec) -> list[str]:
    """The tool's name without the prefix its MCP server gave it (`git_reset` of server "git" is
    `reset`): where its verb stands."""
    names = name_words(spec)
    server = _server(spec)
    if server and len(names) > 1 and names[0].lower() == server.lower():
        return names[1:]
    return names


def says_whole_name(spec: ToolSpec, wording: str) -> bool:
    """Whether the request says the tool's whole name of two words or more, in order ("SHOW STOP
    NOW" for `show_stop`, "take it off the run" for `off_the_run`): the tool named, whatever a
    word of it means alone ("show" is also a look)."""
    name = [word.lower() for word in own_name_words(spec)]  # as written: "expired coupons" is no `expire_coupon`
    return len(name) >= 2 and bool(phrase_positions(name, [word.lower() for word in words_of(wording)]))


def begun_event(names: list[str]) -> str | None:
    """The noun a two-word name begins with one of `lexicon.BEGINNING_VERBS` (`start_shutdown`:
    "shutdown", `run_backup`: "backup"): the event the tool starts, which is its action."""
    return names[1] if len(names) == 2 and names[0].lower() in BEGINNING_VERBS else None


def own_keywords(spec: ToolSpec) -> tuple[str, ...]:
    """The tool's keywords without its MCP server's name: "errors" is what every tool of an error
    tracker is about, never the action of one of them ("errors in android-app" resolves nothing)."""
    server = _server(spec).lower()
    return tuple(keyword for keyword in spec.keywords if keyword.lower() != server) if server else spec.keywords
