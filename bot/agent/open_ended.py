"""Counts that mean all of them, limits whose 0 removes them, and durations without an end or
without a wait: "list all of it, not just the first 50"; "lift the power cap"; "block it
permanently", "freeze search until someone lifts it", "route +1 over bt until further notice";
"drop the live calls immediately". A parameter whose description says what 0 means, and that
meaning is all, the removal of the thing it sets, no end ("0 = until someone lifts it", "0 blocks
until unblocked by hand") or no wait ("0 drops them at once"), takes 0 for them. Both sides are
read from ordinary English, not from any tool's words: the parameter says in its own description
that 0 is its "all", its "none", its "for good" or its "right now". Likewise any number its
description names by a word ("0 is out, 100 is full": "house lights to full")."""

from __future__ import annotations

import re

from chatops.bot.agent.entities import STOPWORDS, identifier_words, is_unit, stem
from chatops.bot.agent.param_kinds import Param
from chatops.bot.agent.values import fitting

# "0 = until someone lifts it", "0 blocks until unblocked by hand", "0 means never expires"
_ZERO_HAS_NO_END = re.compile(
    r"(?<![\w.])0(?![\w.])\s*(?:=|:|means|is|for|-)?[^.;,()]{0,40}?\b(?:until|till|forever|never|no\s+(?:expiry|end|"
    r"limit|timeout|expiration)|indefinite\w*|permanent\w*|unlimited|infinite\w*)\b",
    re.IGNORECASE,
)
# "0 drops them at once", "0 = immediately", "0 means no grace period"
_ZERO_IS_AT_ONCE = re.compile(
    r"(?<![\w.])0(?![\w.])\s*(?:=|:|means|is|-)?[^.;,()]{0,40}?\b(?:at\s+once|immediate\w*|right\s+away|"
    r"straight\s+away|without\s+(?:waiting|delay|a\s+grace|(?:a\s+|any\s+)?(?:warning|countdown|notice))|"
    r"no\s+(?:grace|wait\w*|delay|drain\w*|warning|countdown|notice))\b",
    re.IGNORECASE,
)
# what people write for "with no end": "permanently", "for good", "until further notice", "until
# someone lifts it", "until I say so", "till it's removed"
_NO_END = re.compile(
    r"\b(?:permanently|for\s+good|forever|indefinitely|for\s+ever|open[- ]ended|"
    r"(?:until|till|til)\s+(?:further\s+notice|(?:someone|somebody|anyone|we|i|you|they|ops|oncall|on-call)\s+"
    r"(?:\w+\s+)?(?:lift|lifts|remove|removes|say|says|unblock|unblocks|clear|clears|cancel|cancels|undo|undoes|"
    r"tell|tells|stop|stops|end|ends)\b|(?:it\s+is\s+|it's\s+|its\s+)?(?:lifted|removed|unblocked|cleared|"
    r"cancel+ed|told\s+otherwise))|with\s+no\s+(?:end|expiry)|(?:and\s+)?never\s+expire)\b",
    re.IGNORECASE,
)
# what people write for "with no wait": "drop the live calls immediately", "at once", "no grace"
_AT_ONCE = re.compile(r"\b(?:immediately|at\s+once|right\s+(?:away|now)|straight\s+away|instantly|"
                      r"without\s+(?:waiting|a\s+grace\s+period|any\s+grace|(?:a\s+|any\s+)?(?:warning|countdown))|"
                      r"no\s+(?:grace(?:\s+period)?|countdown|warning))\b",
                      re.IGNORECASE)


# "0 lists every job", "0 lists them all", "0 = no limit": a count whose 0 means all of them
_ZERO_IS_ALL = re.compile(
    r"(?<![\w.])0(?![\w.])\s*(?:=|:|means|is|-)?[^.;,()]{0,30}?\b(?:every|all|everything|no\s+limit|unlimited)\b",
    re.IGNORECASE,
)
# "all of it, not just the first 50", "all jobs for X, not only the last 25", "all of them"
_ALL_OF_IT = re.compile(r"\b(?:all|every|everything)\b[^.;?!]{0,40}?\bnot\s+(?:just|only)\b|\ball\s+of\s+(?:it|them)\b",
                        re.IGNORECASE)


def zero_for_all(param: Param, text: str) -> int | None:
    """0 for a count whose description makes 0 "all of them", when the request asks for all of them
    rather than a number ("all of it, not just the first 50": the 50 is what it does not want)."""
    if param.kind not in ("int", "number") or not _ZERO_IS_ALL.search(str(param.schema.get("description", ""))):
        return None
    return 0 if _ALL_OF_IT.search(text) else None


def says_no_end(text: str) -> bool:
    """Whether the request asks for something with no end ("until further notice")."""
    return _NO_END.search(text) is not None


def zero_for_no_end(param: Param, text: str) -> int | str | None:
    """0 in the parameter's own type when its description makes 0 "no end" and the request asks
    for no end, or makes 0 "at once" and the request asks for it at once; else None."""
    described = str(param.schema.get("description", ""))
    if not (_ZERO_HAS_NO_END.search(described) and says_no_end(text)) and \
            not (_ZERO_IS_AT_ONCE.search(described) and _AT_ONCE.search(text)):
        return None
    if param.kind in ("int", "number"):
        return 0
    if param.kind == "string":
        return fitting("0", param.schema) or None
    return None


# "0 removes the cap (full power again)", "0 turns the limit off", "0 clears the quota"
_ZERO_REMOVES = re.compile(r"(?<![\w.])0(?![\w.])\s*(?:=|:|means|-)?\s*(?:removes|clears|lifts|disables|drops|"
                           r"turns\s+off|switches\s+off|deletes|cancels)\s+(?:the\s+|it\s*)?([a-z]+)?", re.IGNORECASE)
_REMOVING = r"(?:lift|lifts|remove|removes|drop|clear|cancel|undo|kill|disable|take\s+off|turn\s+off|get\s+rid\s+of)"


# "0 switches the case lights off", "0 turns the pump off": 0 puts that thing off
_ZERO_PUTS_OFF = re.compile(r"(?<![\w.])0(?![\w.])\s*(?:=|:|means|-)?\s*(?:(?:switches|turns|puts|shuts)\s+"
                            r"(?:the\s+|its\s+)?(?:[\w']+\s+){0,2}?([a-z]+)|"
                            # "0 = pump stopped and held off": the thing, then the state it is left in
                            r"(?:the\s+|its\s+)?([a-z]+)\s+(?:stopped|switched|turned|shut|held|kept)(?:\s+\w+){0,2}?)"
                            r"\s+off\b", re.IGNORECASE)


def puts_it_off(param: Param, text: str) -> bool:
    """Whether the parameter's description makes 0 put a thing off ("0 switches the case lights
    off", "0 = pump stopped and held off") and the request puts that thing off ("lights off in
    G09.04", "switch the lights off", "keep it off", "kill the power")."""
    if param.kind not in ("int", "number"):
        return False
    off = _ZERO_PUTS_OFF.search(str(param.schema.get("description", "")))
    if off is None:
        return False
    thing = re.escape(off.group(1) or off.group(2))
    killed = rf"\b(?:kill|cut|isolate)\s+(?:the\s+|its\s+|their\s+)?(?:\S+\s+){{0,2}}?{thing}\b"
    if re.search(killed, text, re.IGNORECASE):
        return True  # "kill the power on V-11" where "0 switches the berth's power off"
    if not re.search(r"\boff\b", text, re.IGNORECASE):
        return False
    # "lights off", "switch the lights off", "stop CWS/P3 and keep it off" (it: the thing the tool acts on)
    return re.search(rf"\b{thing}\s+off\b|\b(?:switch|turn|shut|put)\s+(?:off\s+)?(?:\S+\s+){{0,3}}?{thing}\b"
                     r"|\b(?:keep|hold|leave|switch|turn|shut|put)\s+(?:it|them)\s+off\b", text,
                     re.IGNORECASE) is not None


def zero_for_removal(param: Param, text: str) -> int | None:
    """0 for a number whose description makes 0 the removal of something ("cap in kw; 0 removes the
    cap"), when the request removes that thing ("lift the power cap at the south depot"). (0 that
    puts a thing off is `puts_it_off`.)"""
    if param.kind not in ("int", "number"):
        return None
    removes = _ZERO_REMOVES.search(str(param.schema.get("description", "")))
    if removes is None:
        return None
    thing = removes.group(1) or param.name
    removed = re.search(rf"\b{_REMOVING}\b(?:\s+\S+){{0,3}}?\s+{re.escape(thing)}s?\b", text, re.IGNORECASE)
    return 0 if removed else None


# "0 is out, 100 is full", "1 = low", "max: 5 means flat out": a number its description names by one word
# (the word alone: "0 = until it happens again" names no number by "until")
_NUMBER_NAMED = re.compile(r"(?<![\w.-])(\d{1,6})(?![\w.])\s*(?:=|:|is|means)\s*(?:the\s+|a\s+)?([a-z]{3,12})"
                           r"\s*(?=[,.;)]|$)", re.IGNORECASE)


def number_named_by_its_word(param: Param, text: str) -> tuple[int, str] | None:
    """The number whose word, as the parameter's description names it ("0 is out, 100 is full"),
    the request uses ("house lights to full"), with that word; one such word, or none is taken."""
    if param.kind not in ("int", "number"):
        return None
    named = {match.group(2).lower(): int(match.group(1))
             for match in _NUMBER_NAMED.finditer(str(param.schema.get("description", "")))}
    words = set(re.findall(r"[a-z]+", text.lower()))
    found = {(number, word) for word, number in named.items() if word in words}
    return found.pop() if len(found) == 1 else None


# "0 means no drying phase at all", "0 = no pre-wash", "0: none": 0 leaves the thing out
_ZERO_IS_NONE = re.compile(r"(?<![\w.])0(?![\w.])\s*(?:=|:|means|is|-)?\s*(?:no|without)\s+(?:the\s+|any\s+|a\s+)?"
                           r"([a-z]+)", re.IGNORECASE)
# "skip the dry", "no drying", "without the pre-wash", "leave out the rinse"
_LEFT_OUT = re.compile(r"\b(?:no|skip|skipping|without|omit|leave\s+out|drop)\s+(?:the\s+|any\s+|a\s+)?([a-z]+)",
                       re.IGNORECASE)


def zero_for_none(param: Param, text: str) -> int | None:
    """0 for a number whose description makes 0 leave a thing out ("0 means no drying phase at
    all"), when the request leaves that thing out, by its word or by the parameter's own name
    ("skip the dry" for `dry_minutes`)."""
    if param.kind not in ("int", "number"):
        return None
    none = _ZERO_IS_NONE.search(str(param.schema.get("description", "")))
    if none is None:
        return None
    things = {stem(none.group(1))} | {stem(word) for word in identifier_words(param.name)
                                       if len(word) >= 3 and not is_unit(word)}
    # "skip the dry", "no drying."; not "no drying problems", "no dry cleaning": a word that names another thing
    return 0 if any(stem(left.group(1)) in things and not _describes_the_next(text[left.end():])
                    for left in _LEFT_OUT.finditer(text)) else None


def _describes_the_next(rest: str) -> bool:
    """Whether the words after a left-out word go on naming a thing it describes ("problems")."""
    following = re.match(r"\s+([a-z]+)", rest, re.IGNORECASE)
    return following is not None and following.group(1).lower() not in STOPWORDS


# "0 stops feeding", "0 pauses the sync", "0 = disables alerts": what 0 does, said as a verb and its object
_ZERO_DOES = re.compile(r"(?<![\w.])0(?![\w.])\s*(?:=|:|means|-)?\s*([a-z]+s)\s+(?:the\s+|its\s+|all\s+)?"
                        r"([a-z]+)\b", re.IGNORECASE)
# what makes an order no order now: a refusal, a condition, a question, someone else's plan
_NOT_NOW = re.compile(r"\b(?:if|unless|once|when|whether|not|never|no|don|won|can|will|would|should|"
                      r"they|he|she)\b|n['’]t\b|['’]ll\b|\?", re.IGNORECASE)


def zero_as_told(param: Param, text: str) -> int | None:
    """0 for a number whose description says what 0 does as a verb and its object ("Syrup per day in
    ml; 0 stops feeding"), when the request orders that very thing ("stop feeding RFT:012"): a clause
    that opens with the verb as an order gives it ("stop", not "stopped" or "stopping"), the object
    right after it (an article between at most), and nothing in the request refuses it, makes it a
    condition or a question, or tells another's plan ("we can't stop feeding it yet", "if it gets
    mouldy, stop misting it", "they'll stop misting B4"). Both sides are the tool author's words and
    the user's, not a list of this code's."""
    if param.kind not in ("int", "number"):
        return None
    does = _ZERO_DOES.search(str(param.schema.get("description", "")))
    if does is None or does.group(2).lower() in STOPWORDS or _NOT_NOW.search(text):
        return None
    said = does.group(1).lower()  # "stops": the order "stop"; "pauses": "pause"; "finishes": "finish"
    verbs, thing = {said[:-1], said[:-2]} if said.endswith("es") else {said[:-1]}, stem(does.group(2).lower())
    for clause in re.split(r"[,;:.!?\n]|\s[-–—]\s|\band\b|\bbut\b|\bthen\b", text.lower()):
        words = re.findall(r"[a-z]+", clause)
        while words and words[0] in ("please", "pls", "plz", "just", "ok", "okay", "so", "now"):
            words = words[1:]
        objects = words[1:3] if words[1:2] == ["the"] else words[1:2]  # "stop the misting", "stop misting"
        if words[:1] and words[0] in verbs and thing in [stem(word) for word in objects]:
            return 0
    return None
