"""A required choice the request implies but never names: "skater down on the community pad,
blood on the ice, hold it" for a `reason` of injury / ice_damage / resurface, "the recycled water
stinks of rotten eggs, dump the tank" for odour.

Why: people mid-incident say what happened, not which enum value the runbook's author chose for
it, and asking "which reason?" when the story already says is a wasted turn. No word list can map
stories to values of tools written tomorrow, so the choice is by meaning (`bot.agent.meaning`):
each value is read as "<tool> because of <value / its aliases> (<what the description says of
it>)", and compared with the request.

Choosing without evidence would be a wrong action proposed with confidence, so a value is taken
only when two measures agree with a clear lead (margins chosen on earlier sets, in
`bench/experiments/implied_values.py`):
- the value closest to the request leads the next by `ABSOLUTE_MARGIN`;
- the request is close to "<tool> because of <value>" at all (`CLOSE_ENOUGH`): asking was also
  the safety net when the ranking's tool was a weak guess ("put web-3 back into api-pool" for a
  maintenance page), and a value found by meaning must not turn that guess into a plan;
- and it is also the value whose likeness *grows* most from the bare order ("<tool> <values
  filled>") to the request, by `LIFT_MARGIN` over the next: what the request adds to the order,
  not what the tool's own name already leans to. A bare "close KS-01" adds nothing, so nothing is
  chosen and the user is asked as before.

Only for a value that says why the change is made or which thing it is made to, never the value
it sets (`why_or_which`); only for a story told as so, now, in English and not as a question
(`readable_story`: the review21 red team found "no gusts at all" choosing `wind`); only when the
request tells something beyond the order (`story_words`); when no value is written
whole (`written`: words decided, and left it out); when one value is missing and no words of the
request fit it equally (a tie is the user's to settle; with two missing, "hold the pad, a kid's
lost a tooth" would pick a pad by chance); only values that are words (a number means nothing by
likeness). The step's card says the value was inferred, so the approver sees it before anything
runs.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from chatops.bot.agent import meaning as semantics
from chatops.bot.agent.entities import STOPWORDS, identifier_words, is_english, stem, words_of
from chatops.bot.agent.enum_choice import names_of
from chatops.bot.agent.enums import enum_aliases, value_forms, value_pattern
from chatops.bot.agent.glossed_values import parenthesised
from chatops.bot.agent.lexicon import PARTICLES
from chatops.bot.agent.param_kinds import Param, parameters, shared_parameters
from chatops.bot.agent.tool_words import tool_vocabulary
from chatops.tools.registry import ToolSpec

ABSOLUTE_MARGIN = 0.02  # cosines; chosen on final…final24 (bench/experiments/implied_values.py)
LIFT_MARGIN = 0.08
# below it the request is not about this tool at all: the tool was a weak guess. 0.35 was tried in
# session 24 (25 right and 0 wrong on final…final27 against 21 at 0.40, held-out final28 6 / 14 against
# 5), then put back: its red team found stories about another thing ("L02 got stopped in the gusts
# yesterday", "gusts have eased, the rope's jammed") choosing `wind` between 0.35 and 0.40
CLOSE_ENOUGH = 0.4


def value_text(spec: ToolSpec, value: Any, param: Param) -> str:
    """A value as the encoder reads it, with what the parameter's description says of it in
    brackets: "carwash drain reclaim tank because of contamination (foam, the wrong chemical or
    sludge in the tank)"."""
    names = names_of(value, param)
    named = " / ".join(" ".join(identifier_words(name)) for name in names)
    glosses = [gloss for gloss in parenthesised(str(value), str(param.schema.get("description") or ""))
               if gloss.lower() not in names]  # a defining gloss is an alias already
    glossed = f" ({'; '.join(glosses)})" if glosses else ""
    return f"{' '.join(identifier_words(spec.name))} because of {named}{glossed}"


def bare_order(spec: ToolSpec, args: dict[str, Any]) -> str:
    """The order without its story: the tool's words and the values already found."""
    shown = " ".join(str(value) for value in args.values() if not isinstance(value, bool))
    return f"{' '.join(identifier_words(spec.name))} {shown}".strip()


def written(values: list[Any], param: Param, text: str) -> bool:
    """Whether the request writes a value or an alias whole. Words then decide, never meaning: the
    value was written and left (`enum_choice`: "restart every region but eu", "keep S-03 off the
    night mode"), and a likeness would pick the very value the request excluded."""
    aliases = enum_aliases(param.schema)
    return any(re.search(value_pattern(form), text, re.IGNORECASE)
               for value in values for form in value_forms(value, aliases))


def story_words(spec: ToolSpec, param: Param, text: str, args: dict[str, Any]) -> list[str]:
    """The request's words that tell something beyond the order itself: not the tool's own words
    (its name, synonyms, description), nor its parameters' names, nor the values found, nor a part
    of the values asked for ("lock the outside gates" names no `outside_threat`). "lock down the
    east yard now" tells nothing; "skater down, blood on the ice, hold it" tells "skater", "blood"."""
    known = set(tool_vocabulary(spec)) | {stem(word) for word in words_of(spec.description)}
    known |= {stem(word) for other in parameters(spec) for word in identifier_words(other.name)}
    known |= {stem(word) for value in args.values() for word in words_of(str(value))}
    known |= {stem(word) for value in param.schema.get("enum") or [] for word in identifier_words(str(value))}
    return [word for word in words_of(text) if word.isalpha() and word not in STOPWORDS and
            word not in PARTICLES and stem(word) not in known]


# What a likeness of meaning cannot read: it measures what a story talks about, not whether it
# is so, nor when, nor against what ("not a breath of air" is close to `wind`; "stop it if the
# gusts pick up" orders no stop now; "the kid is still up there but we need to move" is close to
# `rider_down`, the rider safe on the ground). A story with any of these is left to the user.
_NOT_SO = re.compile(r"\b(?:not|no|never|nobody|nothing|none|neither|nor|without)\b|n['’]t\b", re.IGNORECASE)
_NOT_NOW = re.compile(r"\b(?:if|unless|once|whether|later|may|might|in\s+case)\b", re.IGNORECASE)
_AGAINST = re.compile(r"\b(?:but|though|although|anyway|despite|even|however)\b", re.IGNORECASE)


def readable_story(text: str, consented: bool = False) -> bool:
    """Whether the story is one a likeness can choose from: told as so, now, without a "but", in
    English (the encoder knows English only: "ein Kind hängt fest" read as `wind`), and not asked
    as a question (unless it is the question the user then said yes to: "… shut the plant down?")."""
    if _NOT_SO.search(text) or _NOT_NOW.search(text) or _AGAINST.search(text):
        return False
    if not consented and "?" in text:
        return False
    words = [word for word in words_of(text) if word.isalpha() and len(word) >= 3]
    return not words or sum(is_english(stem(word)) or word in STOPWORDS for word in words) >= 0.8 * len(words)


def why_or_which(param: Param, spec: ToolSpec, tools: list[ToolSpec]) -> bool:
    """Whether a parameter says why the change is made (`reason`, `cause`, a description that
    opens with "why") or which thing it is made to (one another tool takes alike: the `pad`, the
    `site`): never the value the change sets (`speed`), which is the user's to choose, not a story's."""
    named = set(identifier_words(param.name))
    opening = words_of(str(param.schema.get("description") or ""))[:1]
    return bool(named & _WHY) or opening == ["why"] or param.name in shared_parameters(spec, tools)


_WHY = frozenset({"reason", "reasons", "cause", "why"})


def _choosable(param: Param) -> list[Any]:
    values = param.schema.get("enum") or []
    if param.kind != "enum" or len(values) < 2:
        return []
    if not all(isinstance(value, str) and re.search(r"[a-z]{2}", value, re.IGNORECASE) for value in values):
        return []
    return list(values)


def _leader(scores: list[float]) -> tuple[int, float]:
    order = sorted(range(len(scores)), key=lambda index: -scores[index])
    return order[0], scores[order[0]] - scores[order[1]]


def implied_value(spec: ToolSpec, param: Param, text: str, args: dict[str, Any]) -> Any | None:
    """The one value of `param` the request implies, or None. Blocking (forward passes for texts
    not embedded before): call it in a worker thread."""
    values = _choosable(param)
    if not values or written(values, param, text):
        return None
    if not story_words(spec, param, text, args):
        return None
    texts = [value_text(spec, value, param) for value in values]
    said = semantics.likeness(text, texts)
    plain = semantics.likeness(bare_order(spec, args), texts)
    if said is None or plain is None:
        return None
    closest, lead = _leader(said)
    grown, growth = _leader([one - other for one, other in zip(said, plain, strict=True)])
    if closest != grown or lead < ABSOLUTE_MARGIN or growth < LIFT_MARGIN or said[closest] < CLOSE_ENOUGH:
        return None
    return values[closest]


async def implied_values(spec: ToolSpec, missing: list[Param], text: str, args: dict[str, Any],
                         ties: dict[str, list[str]], tools: list[ToolSpec], *,
                         consented: bool = False) -> dict[str, tuple[Any, str]]:
    """The one missing value with the words the card shows, when the request implies it; else {}."""
    if len(missing) != 1 or missing[0].name in ties or not why_or_which(missing[0], spec, tools) or \
            not readable_story(text, consented):
        return {}
    param = missing[0]
    value = await asyncio.to_thread(implied_value, spec, param, text, args)
    if value is None:
        return {}
    return {param.name: (value, f"{param.name} {value} (not named: the closest in meaning to what you said)")}
