"""The parts of a request that several steps are planned from: which part only tells what happened
("he left the company and kept the laptop"), and how a later part points back at the part before
("the camera one", "reload it"); and a message that asks whether to act and answers itself no.
Read by `bot.agent.guided` when it plans one step per part."""

from __future__ import annotations

import re
from itertools import pairwise

from chatops.bot.agent.candidate import Candidate
from chatops.bot.agent.entities import CLAUSE, words_of
from chatops.bot.agent.lexicon import QUESTION
from chatops.bot.agent.param_kinds import parameters
from chatops.bot.agent.phrases import words_at_verb_place
from chatops.bot.agent.values import fitting
from chatops.bot.agent.verb_senses import is_verb
from chatops.bot.model import Step

# past forms that do not end in "-ed" (English's irregular verbs people use telling what happened)
_IRREGULAR_PAST = frozenset({  # not "put", "set": orders too
    "was", "were", "had", "did", "said", "told", "took", "got", "made", "ran", "broke", "forgot", "lost", "left",
    "kept", "sent", "brought", "bought", "came", "gave", "saw", "knew", "thought", "found", "began", "wrote",
    "stole", "went", "fell", "threw", "tried", "paid", "spent", "sold", "held", "sat", "stood"})
_STORY_SUBJECTS = frozenset({"he", "she", "they", "i", "we", "someone", "somebody", "nobody"})


def tells_what_happened(part: str) -> bool:
    """Whether a part of a request tells what happened rather than asks for something: it opens with
    a verb's past form ("kept the laptop", "deployed it yesterday") or with a person and a past form
    ("he left the company", "I restarted it"). Such a part is the story around an order, not one."""
    words = [word for word in words_of(part) if word not in ("just", "already", "also", "then", "probably")]
    if words and words[0] in _STORY_SUBJECTS:
        words = words[1:]
    return bool(words) and (words[0] in _IRREGULAR_PAST or _regular_past(words[0]))


def _regular_past(word: str) -> bool:
    """ "lifted", "overstayed", "patched", "closed": a verb with "-ed" or "-d" after it; not "shred" or
    "embed", verbs of their own that end so."""
    if len(word) <= 4 or not word.endswith("ed") or word.endswith("eed"):
        return False
    return is_verb(word[:-2]) or is_verb(word[:-1]) or (len(word) > 5 and word[-3] == word[-4] and is_verb(word[:-3]))


def only_a_story(text: str) -> bool:
    """Whether every part of a request tells what happened, its subject a person, a thing's name
    or "the <thing>" ("P14 paid for an hour", "the barrier lifted at 9 and B2 overstayed"): it
    orders nothing, so no change is found in it by its values or its meaning alone."""
    parts = [part for part in CLAUSE.split(text) if part and part.strip()]
    return bool(parts) and all(tells_what_happened(_without_its_subject(part)) for part in parts)


def _without_its_subject(part: str) -> str:
    """The part after a subject that names a thing ("P14", "the barrier", "gs-use1-0112's fan")."""
    return re.sub(r"^\s*(?:(?:the|our|my|their)\s+[a-z]+|[\w.@/:-]*\d[\w.@/:-]*)(?:['’]s\s+[a-z]+)?\s+", "", part,
                  count=1, flags=re.IGNORECASE)


_THE_X_ONE = re.compile(r"\b((?:the|that|this)\s+[\w.@-]+)\s+ones?\b", re.IGNORECASE)


def the_other_one(part: str, before: str) -> str:
    """A part that says "the camera one" after "halt the thermostat rollout": "one" stands for the
    thing the part before ended with, so the part reads "the camera rollout"."""
    words = words_of(before)
    if not words or not words[-1].isalpha() or not _THE_X_ONE.search(part):
        return part
    return _THE_X_ONE.sub(lambda match: f"{match.group(1)} {words[-1]}", part, count=1)


_REFERENT = re.compile(r"\b(?:it|that|them|this)\b", re.IGNORECASE)


def with_referent(part: str, before: Step) -> str:
    """A later part of a request with its "it" written out as what the step before acted on
    ("reload it" after a config test on web-2 reads "reload web-2")."""
    values = [str(value) for value in before.args.values() if isinstance(value, str) and value]
    return _REFERENT.sub(" ".join(values), part, count=1) if values else part


_POINTING_BACK = frozenset({"his", "her", "their", "its", "there", "it", "them", "that", "same"})


def points_back_to(part: str, name: str) -> bool:
    """Whether a later part of a request points back at what the part before acted on, for the
    parameter `name`: a pronoun or "there" ("show me his sign-ins", "delete job X there too"), or
    the parameter's own noun after "the" ("then show me the array" for `array`)."""
    words = words_of(part)
    if set(words) & _POINTING_BACK:
        return True
    nouns = {word for word in re.split(r"[^a-z]+", name.lower()) if len(word) >= 3}
    return any(word == "the" and following in nouns for word, following in pairwise(words))


def same_named_values(best: Candidate, part: str, before: Step, args: dict[str, object]) -> dict[str, object]:
    """Values the step before gave parameters of the same name, for a later part of a request:
    - a required one this part leaves empty ("fail /dev/sdd in md0 on stor-09 then show me the
      array"), unless a value this part gave could be that parameter's too (then which is which is
      unsure), or the part points back to it ("delete job X there too");
    - an optional one this part points back to ("end all sessions of tom@… and then show me his
      sign-ins"), unless the filler found this part's own words could be its value (a tie)."""
    found: dict[str, object] = {}
    own = [str(value) for value in best.filled.args.values()]
    for param in best.filled.missing:
        if param.name in before.args and param.name not in args and (points_back_to(part, param.name) or
                                          not any(fitting(value, param.schema) for value in own)):
            found[param.name] = before.args[param.name]
    for param in parameters(best.spec):
        value = before.args.get(param.name)
        if value is not None and not param.required and param.name not in args and param.name not in found and \
                param.name not in best.filled.ties and points_back_to(part, param.name) and \
                fitting(str(value), param.schema):
            found[param.name] = value
    return found


_STATE_TOLD = re.compile(r"^\W*(?:the\s+)?[\w./@-]+(?:[:,]?\s+[\w./@-]+)?(?:\s+(?:is|are|was|were|keeps|kept|has|had)"
                         r"(?:n't|\s+not)?\b|'s\b)",
                         re.IGNORECASE)


_LEAD_IN = re.compile(r"^\W*(?:heads\s+up|fyi|btw|note|looks\s+like|seems\s+like|it\s+seems|apparently)\b[\s,:-]*",
                      re.IGNORECASE)
_BE = frozenset({"is", "are", "was", "were"})  # after a subject: "pods are …" (no verb "pod")
_COURTESY = frozenset({"thanks", "thank", "cheers", "please", "pls", "ta"})  # "…, thanks": no order


def tells_only_a_state(text: str) -> bool:
    """Whether a text (a request, a part of one, or what a negation left of it) opens by saying how
    something is ("88.6 is on reserve", "BF400A keeps going back down") and no word stands where an
    order puts its verb: it asks for no change ("88.6 is on reserve, don't switch it back")."""
    text = _LEAD_IN.sub("", text)  # "heads up, BF400A is on high", "looks like BF400A is on high"
    return bool(_STATE_TOLD.match(text)) and not any(
        is_verb(word) and after not in _BE and word not in _COURTESY for word, after in words_at_verb_place(text))


_DASH = re.compile(r"\s+[—–-]+\s+|[—–]")  # "… is hammering the db — limit it to 5 per second"


def tells_states_only(text: str) -> bool:
    """Whether every clause of a request tells how something is, or is a lone word (a name, a
    "thanks"): "BF400A is on high", "BF400A: it's back to normal, thanks". Such a request orders no
    change, whatever words of a change it holds; "the events table is bloated, vaccum it" has an
    order (a misspelt one) in its second clause."""
    clauses = [part for piece in _DASH.split(_LEAD_IN.sub("", text)) for part in CLAUSE.split(piece)
               if part and part.strip()]
    told = [part for part in clauses if tells_only_a_state(part)]
    return bool(told) and all(part in told or len(words_of(part)) == 1 for part in clauses)


_LEADING_AND = re.compile(r"^\W*(?:and|or|but|so|also)\s+", re.IGNORECASE)


def without_a_leading_and(part: str) -> str:
    """A later part of a request without the conjunction that joined it ("and who's on call?")."""
    return _LEADING_AND.sub("", part.strip())


def asks_a_question(part: str) -> bool:
    """Whether a part of a request is a question ("… and who's on call for data", "how full is /var")."""
    return QUESTION.search(without_a_leading_and(part)) is not None


# "… and leave it running till I say stop", "and keep them closed": how the order leaves its thing
_LEAVES_IT = re.compile(r"^\W*(?:and\s+|then\s+)?(?:just\s+)?(?:leave|keep|let)\s+(?:it|them|that|those)\s+"
                        r"(?:[a-z]+ing|on|off|up|down|open|closed|shut|running|as\s+it\s+is)\b", re.IGNORECASE)


def leaves_it_so(part: str) -> bool:
    """Whether a part of a request only says how the order before it leaves its thing ("fire up
    DG-C2 and leave it running till I say stop"): part of that order, no step of its own."""
    return _LEAVES_IT.match(part) is not None


# a question the message answers itself with a refusal: "lock down north? no way", "reboot it? nah."
_ASKED_AND_REFUSED = re.compile(r"^[^?]+\?\s*(?:no(?:\s+way)?|nope|nah|never)\s*(?:[,.;:!-]+\s*(.*))?$",
                                re.IGNORECASE | re.DOTALL)


def answered_no(text: str) -> bool:
    """Whether the message asks whether to act and answers itself no, and then says only how things
    are ("lock down north? no way, it's the postman"): nothing is asked of the bot. Not "is it up?
    no" (a question of how things are, `QUESTION`'s lead), "… no response from web-1" (a refusal
    word that opens a noun phrase), nor "… no, restart web-2 instead"."""
    found = _ASKED_AND_REFUSED.match(text.strip())
    if found is None or QUESTION.match(text.strip()):
        return False  # "is web-1 up? no": the user tells how it is, and may want it looked at
    rest = (found.group(1) or "").strip()
    return not rest or tells_only_a_state(rest) or tells_what_happened(rest)
