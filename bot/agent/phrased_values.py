"""Values read from how the request phrases them: written after the parameter's name ("reason:
…"), after the words its description puts before "this", after the preposition it is named by
("to ua-02" for `to`), after "set X to", after a dash or a comma
that ends the order, as a possessive ("dana's items"), or as one of the choices the tool's summary
lists. Each reader returns the text or None; `bot.agent.free_text` decides which one fills what."""

from __future__ import annotations

import re

from chatops.bot.agent.entities import identifier_words, stem, words_of
from chatops.bot.agent.lexicon import DETERMINERS
from chatops.bot.agent.param_kinds import Param
from chatops.bot.agent.tool_words import listed_choices, listed_phrases
from chatops.bot.agent.values import fitting, identifier_shaped, restrictive
from chatops.bot.english import is_dictionary_word


def labelled_value(param: Param, text: str) -> str | None:
    """The text written after the parameter's name and a colon or an equals sign, to the end of its
    sentence ("reason: reported lost by owner", "note = keep for the audit"): named, so taken whole,
    quoted or not. A quoted value is left to the quoted-value rules."""
    name = r"[\s_-]+".join(re.escape(word) for word in identifier_words(param.name))
    if not name:
        return None
    match = re.search(rf"(?<![\w-]){name}\s*[:=]\s*([^\s\"'“][^\n;!?]*?)\s*(?:[.;!?](?:\s|$)|\n|$)", text,
                      re.IGNORECASE)
    return match.group(1).strip() if match else None


_ENDS_WITH_THIS = re.compile(r"\b([a-z]+\s+[a-z]+)\s+(?:this|these)(?=\s*(?:[,.;:)]|e\.g\b|$))", re.IGNORECASE)


def phrased_value(param: Param, text: str) -> str | None:
    """The word written after the phrase the parameter's description puts before "this": "Only codes
    starting with this" takes "APP" from "list coupons starting with APP" ("starts with", "start with"
    too: each word of the phrase is matched by its stem)."""
    found = _ENDS_WITH_THIS.search(str(param.schema.get("description", "")))
    if found is None:
        return None
    phrase = r"\s+".join(rf"{re.escape(stem(word.lower()))}\w*" for word in found.group(1).split())
    match = re.search(rf"(?<![\w-]){phrase}\s+[\"'`]?([^\s,;\"'`]+)", text, re.IGNORECASE)
    return match.group(1).rstrip(".!?") if match else None


_BASE_NAMES = frozenset({"base", "parent", "source", "origin", "upstream", "start"})
_OFF = re.compile(r"\b(?:off(?:\s+of)?|based\s+on|branch(?:ed)?\s+(?:off|from)|on\s+top\s+of|from)\s+(?:the\s+)?"
                  r"([^\s,;\"'`]+)", re.IGNORECASE)


def base_value(param: Param, text: str) -> str | None:
    """What a new thing is made from, for a parameter named so (`base_branch`, `source_snapshot`,
    `parent`): "create a branch hotfix/x off main" takes "main", so does "based on main"."""
    if not set(identifier_words(param.name.lower())) & _BASE_NAMES:
        return None
    match = _OFF.search(text)
    return match.group(1).rstrip(".!?") if match else None


# prepositions of movement that name a parameter (`to`, `from_host`, `into_pool`): the word after
# the preposition in the request is that parameter's, wherever the order's object is
_DIRECTIONS = frozenset({"to", "from", "into", "onto", "via"})


def directed_by(param: Param) -> str | None:
    """The preposition a parameter is named by (`to`, `from_host`), when it has exactly one."""
    named = [word for word in identifier_words(param.name.lower()) if word in _DIRECTIONS]
    return named[0] if len(named) == 1 else None


def after_its_preposition(param: Param, text: str) -> str | None:
    """ "move its queue over to ua-02" for a parameter named `to`, "from v1.2.0 to v1.3.0" for
    `from_version` / `to_version`: the value written right after the preposition the parameter is
    named by. Only a value shaped like an id or one its pattern or enum restricts ("to restart"
    after "need" is a verb, not a target)."""
    preposition = directed_by(param)
    if preposition is None:
        return None
    # "fwd 40555 -> 40556": an arrow is written for "to"
    led = rf"(?:\b{preposition}\s+|(?:->|→|=>)\s*)" if preposition == "to" else rf"\b{preposition}\s+"
    for match in re.finditer(rf"{led}(?:the\s+|its\s+)?([A-Za-z0-9][\w.@:/-]*[\w/])", text, re.IGNORECASE):
        value = match.group(1)
        if (restrictive(param.schema) or identifier_shaped(value)) and fitting(value, param.schema):
            return value
    return None


# an order that gives something a new value: "set X to 5", "bump X to 2500", "flip X to \"false\""
_SET_TO = re.compile(r"\b(?:set|change|bump|flip|switch|update|raise|lower|increase|decrease|put|make)\b"
                     r"[^.;!?\n]*?\s(?:to|=)\s+(\"[^\"\n]*\"|'[^'\n]*'|`[^`\n]*`|[^\s,;\"'`]+)", re.IGNORECASE)
# the value first and where it goes after: 'put "https://…" into config/checkout/psp_url', "write 5 to X"
_PUT_INTO = re.compile(r"\b(?:put|write|store|save)\s+(\"[^\"\n]*\"|'[^'\n]*'|`[^`\n]*`|[^\s,;\"'`]+)\s+"
                       r"(?:in|into|to|at|under)\s", re.IGNORECASE)
_NEW_VALUE_WORDS = frozenset({"value", "new"})


def new_value(param: Param, text: str) -> str | None:
    """The value after "to" in an order that sets something ("set config/billing/max_retries to 5"),
    for a parameter that holds the new value by its name or its description's first words ("New
    value, stored as a string exactly as given"): the order's object is the key, what follows "to"
    the value."""
    said = {*identifier_words(param.name.lower()), *words_of(str(param.schema.get("description", "")))[:2]}
    if not said & _NEW_VALUE_WORDS:
        return None
    match = _SET_TO.search(text) or _PUT_INTO.search(text)
    if match is None:
        return None
    return match.group(1).strip("\"'`").rstrip(".!?") or None


_REMARK = re.compile(r"\s[-–—]{1,2}\s+([^\s\"'“\-–—][^\n;!?\-–—]{4,}?)\s*(?:[.;!?](?:\s|$)|\n|$)")
_PROSE_NAMES = frozenset({"reason", "note", "notes", "comment", "message", "why", "summary", "description",
                          "justification", "rationale", "explanation"})


def prose(param: Param) -> bool:
    """A parameter that holds prose: a reason, a note, a comment, by its name or by its description's
    first words ("Why, shown to whoever is refused")."""
    said = words_of(str(param.schema.get("description", "")))[:3]
    return bool((set(identifier_words(param.name.lower())) | set(said)) & _PROSE_NAMES)


def labelled_otherwise(quoted: str, param: Param, text: str) -> bool:
    """Whether the quoted text is labelled as prose ('(reason "chargeback spike")') for a
    parameter that holds none: the reason is not the group of a tool that takes no reason."""
    match = re.search(r"(\w+)\s*[:=]?\s*[\"'“‘]" + re.escape(quoted), text, re.IGNORECASE)
    return bool(match) and match.group(1).lower() in _PROSE_NAMES and not prose(param)


def dash_remark(param: Param, text: str) -> str | None:
    """The words after a spaced dash to the end of the sentence ("code freeze on storefront for 8h
    - black friday traffic"), for a parameter that holds prose: a reason, a note, a comment (by its
    name, or a long free text with no pattern). People add the why after a dash."""
    if param.kind != "string" or restrictive(param.schema) or param.enum:
        return None
    match = _REMARK.search(text) if prose(param) else None
    return match.group(1).strip() if match and len(match.group(1).split()) >= 2 else None


# ", fixed by the rollback", ", because the pool was too small": a statement after the order, not
# another order (a past participle or a word that gives a cause opens it)
_COMMA_REMARK = re.compile(r",\s+((?:[a-z]{3,}ed|because|since|due to|caused by)\s[^\n;!?,]{4,}?)"
                           r"\s*(?:[.;!?](?:\s|$)|\n|$)")


def comma_remark(param: Param, text: str) -> str | None:
    """The statement after a comma that ends the request ("close HD-4411, fixed by the rollback"),
    for a parameter that holds prose (a resolution "why it was closed", a note, a reason)."""
    if param.kind != "string" or restrictive(param.schema) or param.enum or not prose(param):
        return None
    match = _COMMA_REMARK.search(text)
    return match.group(1).strip() if match and len(match.group(1).split()) >= 3 else None


_POSSESSIVE = re.compile(r"(?<![\w.@-])([a-z][\w.-]*)['’]s\s+[a-z]", re.IGNORECASE)
_NOT_A_PERSON = frozenset({"it", "that", "this", "what", "who", "there", "here", "let", "he", "she", "where", "how",
                           "today", "yesterday", "tomorrow", "everyone", "everybody", "nobody", "someone", "somebody"})
_PERSON_WORDS = frozenset({"owner", "assignee", "user", "author", "person", "handle", "holder", "requester",
                           "reporter", "creator", "member"})


def possessor(param: Param, text: str) -> str | None:
    """The person a possessive names ("dana's action items"), for a parameter that holds a person
    by its name or its description ("owner", "Only items owned by this handle")."""
    said = {*identifier_words(param.name.lower()), *words_of(str(param.schema.get("description", "")))}
    if not said & _PERSON_WORDS and "owned" not in said:
        return None
    for match in _POSSESSIVE.finditer(text):
        before = words_of(text[:match.start()])[-1:]
        if match.group(1).lower() not in _NOT_A_PERSON and not set(before) & DETERMINERS:  # not "the team's"
            return match.group(1)
    for match in _FOR_HANDLE.finditer(text):  # "file a ticket … for bkumar", "assign it to @j.doe"
        handle = match.group(1)
        if ("@" in match.group(0) or not is_dictionary_word(handle.lower())) and \
                handle.lower() not in _NOT_A_PERSON | DETERMINERS:
            return handle
    return None


# a handle after "for"/"to": "@j.doe", or a word no dictionary has ("bkumar"), never "the"/"VPN outage"
_FOR_HANDLE = re.compile(r"\b(?:for|to|assign(?:ed)?\s+(?:it\s+)?to)\s+@?([a-z][a-z0-9._-]{1,30})(?![\w@/])")


def a_listed_choice(summary: str, text: str, param: Param) -> str | None:
    """The one word of the request that the tool's summary lists as a choice ("close CHG4711 as
    successful" where it records "how it went (successful, partially successful, backed out,
    failed)"), for a text parameter it fits."""
    choices = listed_choices(summary)
    found = {word for word in words_of(text) if stem(word) in choices and fitting(word, param.schema)}
    # a choice of several words, written whole ("got backed out"; the longest: "partially successful")
    said = " ".join(stem(word) for word in words_of(text))
    phrases = [phrase for phrase in listed_phrases(summary) if " " in phrase and fitting(phrase, param.schema)
               and re.search(rf"(?<!\S){re.escape(' '.join(stem(w) for w in words_of(phrase)))}(?!\S)", said)]
    if phrases:
        longest = max(phrases, key=len)
        found = {longest} | {word for word in found if stem(word) not in {stem(w) for w in words_of(longest)}}
    return found.pop() if len(found) == 1 else None
