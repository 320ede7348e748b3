"""Follow-ups in a thread, for the guided planner: "check it again", "what about port 443?",
"and in Paris?", "show 200 instead", "same for billing", "ok, restart it now".

As in adapt's context manager, the earlier turn is context for the current one: the most recent
plan's last step gives the tool and every argument, and the current message gives only what it
changes. A message is read as a follow-up when it points back (a repeat or replace phrase from
`lexicon`, or "it"/"that"), or when it is short and all it carries fits the previous tool; it is
not when it is a complete request of its own for another tool ("what time is it in Tokyo?").

A request for another tool that lacks a value can also borrow it from the previous step ("is
port 443 open there?" after a check of https://web1.example.com takes the host from the URL).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from chatops.bot.agent.arguments import fill_arguments
from chatops.bot.agent.candidate import Candidate
from chatops.bot.agent.entities import Entities, extract_entities, identifier_words, stem, words_of
from chatops.bot.agent.enums import enum_aliases
from chatops.bot.agent.lexicon import (
    ACKNOWLEDGEMENT,
    MAKE_IT,
    MAKE_IT_VALUE,
    QUESTION,
    REFERENCES,
    REPEAT,
    REPLACE,
    STOPWORDS,
    THANKS,
    VERB_LEADS,
)
from chatops.bot.agent.numbers import fits_bounds
from chatops.bot.agent.param_kinds import Param, parameters, shared_parameters
from chatops.bot.agent.phrases import words_at_verb_place
from chatops.bot.agent.pointed_rows import pointed_row
from chatops.bot.agent.tool_words import description_stems, own_name_words, tool_vocabulary
from chatops.bot.agent.values import restrictive
from chatops.bot.agent.verb_senses import is_verb
from chatops.bot.agent.weights import CLEAR_MARGIN
from chatops.bot.english import is_dictionary_word
from chatops.bot.model import Plan, Risk, Step, StepStatus
from chatops.tools.registry import ToolArgumentError, ToolSpec

_CORRECTION = re.compile(r"^\W*(?:(?:ok(?:ay)?|oh|no|wait|hmm|ah)[\s,.!]+)*(?:sorry|oops|my\s+bad|i\s+meant|typo)\b",
                         re.IGNORECASE)
_ID_WORDS = frozenset({"id", "no", "num", "number", "nr"})
_AS_WELL = re.compile(r"\b(?:as\s+well|too|also)\b", re.IGNORECASE)
SHORT = 6  # words: a message this short that fits the previous tool is about it
# "same for billing", "do it again but for nginx": the value the message is about, last.
_FOR_VALUE = re.compile(r"\b(?:for|about|with|on|in|to|of)\s+(?:the\s+)?([a-z0-9][a-z0-9._-]*)\W*$", re.IGNORECASE)


@dataclass(frozen=True)
class Previous:
    """The step a follow-up refers to and its tool."""

    step: Step
    spec: ToolSpec
    denied: bool
    # its parameters other tools on offer take too: what names the thing (`screen`, `bar`), not
    # the value only this change sets (`level`, `minutes`)
    shared: frozenset[str] = frozenset()
    # the user's own words of the message before this one ("trainer's pulling number 3 from race 8")
    said: str = ""


def previous_step(earlier: list[Plan], tools: list[ToolSpec], said: Sequence[str] = ()) -> Previous | None:
    """The last step of the most recent plan that used a tool still on offer; `said`: the user's
    own words in the thread's earlier messages, oldest first, of which the step keeps the latest
    that writes every number it was given ("withdraw number 9 from ring 3", not a later remark)."""
    offered = {spec.name: spec for spec in tools}
    for plan in reversed(earlier):
        for step in reversed(plan.steps):
            if step.tool in offered:
                spec = offered[step.tool]
                return Previous(step, spec, step.status in (StepStatus.denied, StepStatus.expired),
                                shared_parameters(spec, tools), _source_of(step, said))
    return None


def _source_of(step: Step, said: Sequence[str]) -> str:
    """The latest of the user's messages that writes every number the step was given."""
    numbers = [value for value in step.args.values() if isinstance(value, int) and not isinstance(value, bool)]
    for text in reversed(said):
        if all(re.search(rf"(?<![\w.]){value}(?![\w.])", text) for value in numbers):
            return text
    return ""


def is_acknowledgement(text: str) -> bool:
    """ "thanks!", "ok cool", "👍": after a plan, these ask for nothing."""
    return bool(ACKNOWLEDGEMENT.match(text.strip()))


def thanks_with_news(text: str) -> bool:
    """ "thanks, pagers all green again 👍", "thanks, robots look happy again": thanks, then news told
    rather than asked for: no question, and no clause after the thanks opens with a verb where an
    order puts it ("thanks, now restart web-3" and "thanks! check db-2 too" order). The news names
    the tool's subject, but asks nothing of it: a look at the pagers would answer no one."""
    match = THANKS.match(text.strip())
    if not match or "?" in text:
        return False
    return not any(word.isalpha() and (is_verb(word) or word in VERB_LEADS) and following not in _TOLD
                   for word, following in words_at_verb_place(text.strip()[match.end():]))


# "belts are turning", "boxes were cold": a word before a form of "be" or "have" is the news's
# subject, not an order's verb, though WordNet knows "belt" and "box" as verbs too
_TOLD = frozenset({"is", "are", "was", "were", "has", "have", "had", "been", "look", "looks", "seem", "seems"})


def points_back(text: str) -> bool:
    words = set(words_of(text))
    return bool(REPEAT.search(text) or REPLACE.search(text) or words & REFERENCES)


def changes(text: str, previous: Previous) -> tuple[dict[str, Any], dict[str, str]]:
    """The arguments of the previous step that this message gives a new value, with labels."""
    entities = extract_entities(text)
    filled = fill_arguments(previous.spec, entities)
    new = {name: value for name, value in filled.args.items() if filled.sources.get(name)}
    labels = {name: filled.sources[name] for name in new}
    # "and NRTH?" after the status of HLDR.B: the one span that fits a value the step had, with no
    # word around it to tell more (a full request would need one; a follow-up's "and" is enough)
    params = {p.name: p for p in parameters(previous.spec)}
    for name, tied in filled.ties.items():
        if name not in new and len(tied) == 1 and name in previous.step.args and len(words_of(text)) <= SHORT \
                and restrictive(params[name].schema):  # a shape no everyday word has
            new[name], labels[name] = tied[0], f"{name} {tied[0]} (in place of {previous.step.args[name]})"
    strings = {name: p for name, p in params.items() if p.kind == "string"}
    for name, value in list(new.items()):  # "same for 2026-12-03": the date's, not the DAG id's
        before = previous.step.args
        if name not in strings or not isinstance(value, str) or _written_alike(str(before.get(name, "")), value):
            continue
        alike = [other for other in strings if other != name and other not in new
                 and _written_alike(str(before.get(other, "")), value) and _fits(value, strings[other].schema)]
        if len(alike) == 1:
            del new[name]
            new[alike[0]], labels[alike[0]] = value, f"{alike[0]} {value} (written like its value before)"
            labels.pop(name, None)
    numeric = [p for p in parameters(previous.spec) if p.kind in ("int", "number") and p.name in previous.step.args]
    _led_as_before(text, previous, numeric, new, labels)
    if len(entities.numbers) == 1 and len(numeric) == 1 and numeric[0].name not in new and not entities.ports \
            and not any(_same_figure(value, entities.numbers[0]) for value in new.values()) \
            and fits_bounds(entities.numbers[0], numeric[0].schema):
        # "show 200 instead": the one number replaces the one number of the step it follows (not
        # a number another parameter took: "same for 20481740" names the campaign, not its budget)
        new[numeric[0].name], labels[numeric[0].name] = entities.numbers[0], f"{numeric[0].name} {entities.numbers[0]}"
    _own_value_made(text, previous, entities, new, labels)
    if _AS_WELL.search(text):  # "write it to the online store as well": the one it had, and this one
        for param in parameters(previous.spec):
            if param.kind == "enum" and param.name in new:
                before = previous.step.args.get(param.name, param.schema.get("default"))
                both = [value for value in param.enum if str(value).lower() in ("both", "all")]
                if before is not None and before != new[param.name] and len(both) == 1:
                    new[param.name] = both[0]
                    labels[param.name] = f"{param.name} {both[0]} ({before} as before, and {labels[param.name]})"
    match = _FOR_VALUE.search(text)
    if match:
        value = match.group(1).lower()
        used = {str(v).lower() for v in new.values()}
        if value not in STOPWORDS and value not in used and stem(value) not in tool_vocabulary(previous.spec):
            fitting = [param for param in parameters(previous.spec)
                       if param.kind == "string" and param.name not in new and _fits(value, param.schema)]
            # "same for 2026-12-03": the date it had, not the first text that would take a date too
            alike = [param for param in fitting if _written_alike(str(previous.step.args.get(param.name, "")), value)]
            for param in (alike or fitting)[:1]:
                new[param.name], labels[param.name] = value, f"{param.name} {value}"
    return new, labels


# a figure and the word before it: "number 9", "no. 9", "#9"
_LED_FIGURE = re.compile(r"\b([a-z]+)\.?\s*#?\s*(\d+)\b", re.IGNORECASE)


def _led_as_before(text: str, previous: Previous, numeric: list[Param], new: dict[str, Any],
                   labels: dict[str, str]) -> None:
    """ "same for number 9" after "pulling number 3 from race 8": the figure goes to the parameter
    whose value the earlier message wrote after the same word (`cloth` 3, "number 3"), not to the
    first number the tool takes (`race`)."""
    if not previous.said:
        return
    for lead, figure in _LED_FIGURE.findall(text):
        if lead.lower() in STOPWORDS and lead.lower() not in _ID_WORDS:
            continue
        before = rf"\b{re.escape(lead)}\.?\s*#?\s*"
        led = [param for param in numeric if re.search(before + rf"0*{previous.step.args[param.name]}\b",
                                                        previous.said, re.IGNORECASE)]
        if len(led) != 1 or not fits_bounds(int(figure), led[0].schema):
            continue
        for name in [name for name, value in new.items() if _same_figure(value, int(figure)) and name != led[0].name]:
            del new[name]
            labels.pop(name, None)
        new[led[0].name], labels[led[0].name] = int(figure), f"{led[0].name} {figure} (said as {lead} before)"


def _own_value_made(text: str, previous: Previous, entities: Entities, new: dict[str, Any],
                    labels: dict[str, str]) -> None:
    """ "make it 6" after `set_fader(screen=5, level=6.5)`, "make it 90" after `start_fan(fan=7b)`:
    the one number goes to the one numeric parameter no other tool takes (the value this change
    sets), never to the one that names the thing (`screen`, which the other screen tools take
    too; `pool` of `scale_pool`): "it" is the same screen."""
    if not _made_a_value(text, previous) or len(entities.numbers) != 1 or _CORRECTION.match(text):
        return  # "sorry, make it 6": a correction of what was said, the bay as much as a time
    number = entities.numbers[0]
    numeric = [param for param in parameters(previous.spec) if param.kind in ("int", "number")]
    named_param = _named_in_the_order(text, numeric)
    if named_param is not None and named_param.name not in _targets(previous, numeric) and \
            fits_bounds(number, named_param.schema):
        new[named_param.name], labels[named_param.name] = number, f"{named_param.name} {number}"
        return  # "make it 30 batches": the parameter it names; never the thing it acts on ("3 tunnels")
    # what names the thing: one the tool's name names (`pool` of `scale_pool`), else a parameter
    # other tools take alike (`screen`)
    targets = _targets(previous, numeric)
    if not targets:
        return
    own = [param for param in numeric if param.name not in targets]
    if len(own) != 1 or not fits_bounds(number, own[0].schema) or own[0].name in new:
        return
    for param in numeric:
        if param.name in targets and new.get(param.name) == number:
            del new[param.name]
            labels.pop(param.name, None)
    new[own[0].name], labels[own[0].name] = number, f"{own[0].name} {number}"


def _targets(previous: Previous, numeric: list[Param]) -> set[str]:
    """The numeric parameters that name the thing a change acts on: one the tool's name names
    (`pool` of `scale_pool`), else those other tools take alike (`screen`, `tunnel`)."""
    name_words = {word.lower() for word in own_name_words(previous.spec)}
    named = {param.name for param in numeric  # `pool`, `pool_id` of `scale_pool`
             if (words := {word.lower() for word in identifier_words(param.name)} - _ID_WORDS) and words <= name_words}
    return named or set(previous.shared)


# "make it 30 batches": a value and the word of the parameter it is for
_MAKE_IT_NAMED = re.compile(r"^\W*(?:make|change|set|bump|turn)\s+(?:it|that|this)\s+(?:to\s+)?\d+(?:\.\d+)?\s+"
                            r"([a-z]+)\W*$", re.IGNORECASE)


def _named_in_the_order(text: str, numeric: list[Param]) -> Param | None:
    """The numeric parameter whose name the order writes after its value ("make it 30 batches")."""
    found = _MAKE_IT_NAMED.match(text)
    if found is None:
        return None
    said = stem(found.group(1).lower())
    # a count is named in the plural ("batches", "replicas"); "3 tunnels" is no value of the one `tunnel`
    named = [param for param in numeric if said in {stem(word) for word in identifier_words(param.name)}
             and identifier_words(param.name)[-1].lower().endswith("s")]
    return named[0] if len(named) == 1 else None


def _made_a_value(text: str, previous: Previous) -> bool:
    """ "make it 63", "make it 4 hours", or "make it 30 batches" for a change that takes `batches`."""
    numeric = [param for param in parameters(previous.spec) if param.kind in ("int", "number")]
    return MAKE_IT_VALUE.match(text) is not None or _named_in_the_order(text, numeric) is not None


def _same_figure(value: Any, number: int) -> bool:
    """Whether a value is the number written down ("0418" is 418: the station, not its minutes)."""
    return not isinstance(value, bool) and re.fullmatch(r"[0-9]+", str(value)) is not None and int(str(value)) == number


def _written_alike(before: str, value: str) -> bool:
    """Whether two values are written alike: the same run of letters, digits and separators
    ("2026-12-02" and "2026-12-03"; not "etl.orders_daily")."""
    def form(text: str) -> str:
        return re.sub(r"[a-z]+", "a", re.sub(r"\d+", "9", text.lower()))
    return bool(before) and form(before) == form(value)


def _fits(value: str, schema: dict[str, Any]) -> bool:
    pattern = schema.get("pattern")
    try:
        return not pattern or re.search(pattern, value) is not None
    except re.error:
        return True


def follow_up(text: str, previous: Previous, ranking: list[Candidate]) -> Step | None:
    """The step this message asks for as a follow-up of `previous`, or None when it is a request
    of its own."""
    if _REFUSED_AGAIN.match(text):
        return None  # "not the same for number 14, it's fine": no repeat, for that one or any
    top = ranking[0] if ranking else None
    # "ok, restart it now" names the previous tool; "ok stop retrying it" names another that has the
    # previous one's words and more (`stop_retries` after `retry_payment`)
    named = any(c.name == previous.spec.name and c.matched and not (
        top is not None and top.name != c.name and {stem(w) for w in c.matched} < {stem(w) for w in top.matched})
        for c in ranking)
    # "fine, do it now": a repeat phrase beats another tool that only a stray word ("now") suggests
    # (a stray word is an everyday one: "tcp" in "and tcp 5228 on mtalk.google.com?", or "port" in
    # "and db-1 port 443?" where it names the value next to it, asks for that tool)
    weak = top is not None and len(top.matched) < 2 and bool(REPEAT.search(text) or REPLACE.search(text)) \
        and all(_stray(word, top) for word in top.matched) and not top.action_hit  # "revoke that now": its verb
    new, labels = changes(text, previous)
    # "make it a fault" while a closing waits: a new value for the change, not a read of faults
    made = bool(new) and _made_a_value(text, previous) and previous.spec.risk is not Risk.read \
        and top is not None and top.spec.risk is Risk.read
    other = top is not None and top.name != previous.spec.name and not named and not weak and not made \
        and (bool(top.matched) or _asks_apart(text, top, previous))
    if other and not top.filled.missing:  # type: ignore[union-attr]
        return None  # a complete request for another tool
    if other and top.action_hit:  # type: ignore[union-attr]
        return None  # "ok now expire it" after creating a coupon: another tool's action, on the same thing
    if top is not None and top.name != previous.spec.name and not top.filled.missing and _names_target(top) \
            and top.score - _score_of(previous.spec.name, ranking) >= CLEAR_MARGIN \
            and not (REPEAT.search(text) or REPLACE.search(text)) and not made:
        return None  # "check port 5432 on localhost" after a URL check: a new request with its own target
    pointing = points_back(text)
    short = len(words_of(text)) <= SHORT
    if not pointing and not (short and new):
        return None
    if other and not pointing:
        return None
    if previous.spec.risk != Risk.read and not named and not _asks_same(text) and \
            not (new and MAKE_IT.search(text)) and _own_action(text, previous, new):
        return None  # "now mark it resolved" after creating an incident: another action, not this change again
    args = {**previous.step.args, **new}
    if new:
        changed = ", ".join(labels[name] for name in new)
        reason = f"as before ({call_text(previous.step)}), with {changed}"
    else:
        verb = "again, after it was denied" if previous.denied else "again"
        reason = f"{call_text(previous.step)} {verb}: you asked to repeat it"
    return Step(tool=previous.spec.name, args=args, reason=reason[:200], risk=previous.spec.risk)


def _asks_apart(text: str, top: Candidate, previous: Previous) -> bool:
    """ "what state is ADLR in?" after VOLT's trades: a question of its own, asking for what another
    tool's description says it shows ("its state and since when") and the previous tool's words
    never name; not an elliptical "and ADLR?", which asks the same again."""
    if not QUESTION.match(text.strip()) or not top.described:
        return False
    said = {stem(word) for word in words_of(text)}
    before = description_stems(previous.spec) | set(tool_vocabulary(previous.spec))
    return bool((said & description_stems(top.spec)) - before)


# "not the same for 14", "don't do that again", "never again for ring 5"
_REFUSED_AGAIN = re.compile(r"^\W*(?:not\s+(?:the\s+same|again)|never\s+again|"
                            r"(?:don['’]?t|do\s+not|never)\s+(?:do\s+)?(?:the\s+same|that|it|this)(?:\s+again)?)\b",
                            re.IGNORECASE)


def _stray(word: str, candidate: Candidate) -> bool:
    """An everyday word that names none of the values the candidate took ("now" for a clock)."""
    named = {part for name in candidate.filled.args for part in name.lower().split("_")}
    return is_dictionary_word(word.lower()) and word.lower() not in named


def _asks_same(text: str) -> bool:
    """ "again", "do it", "same for staging", "what about web-2?", "but for nginx", "to the online
    store as well": the message asks for the previous step once more, with or without a value
    replaced or added."""
    return bool(REPEAT.search(text) or REPLACE.search(text) or _FOR_VALUE.search(text) or _AS_WELL.search(text))


def _own_action(text: str, previous: Previous, new: dict[str, Any]) -> set[str]:
    """The words of the message that are neither filler, a reference, a value it gives nor a word
    of the previous tool: "mark" in "now mark it resolved" after `create_incident`. A change is
    carried over only when nothing like that names another action."""
    values = {stem(word) for value in new.values() for word in words_of(str(value))}
    for param in parameters(previous.spec):  # "actually quick pine": the alias said for `pine_fast`
        if param.name in new and param.enum:
            values |= {stem(word) for alias, owner in enum_aliases(param.schema).items() if owner == new[param.name]
                       for word in words_of(alias)}
    own = {stem(word) for word in words_of(text) if word not in STOPWORDS and word not in REFERENCES}
    return own - values - tool_vocabulary(previous.spec)


def _names_target(candidate: Candidate) -> bool:
    """Whether the request itself gave the candidate a target: a URL, host, port, path or value."""
    return any(not label.endswith("(from the previous step)") for label in candidate.filled.sources.values())


def _score_of(name: str, ranking: list[Candidate]) -> float:
    return next((candidate.score for candidate in ranking if candidate.name == name), 0.0)


def borrow(candidate: Candidate, previous: Previous, text: str = "") -> dict[str, tuple[Any, str]]:
    """Values for `candidate`'s missing parameters, each with where it came from: first from the
    row of the previous step's output the request points at ("kill the notebook one"), taking
    only values the parameter's schema gives evidence for (and an optional one the pointing words
    are part of: "just those hotmail ones"); then from the previous step's arguments ("is port 443
    open there?"). A bare "it" or "that" means what the last step acted on first, and what it
    printed only for what its arguments cannot give ("stop it" after a load test started: its run id)."""
    wanted = {param.name for param in candidate.filled.missing}
    found: dict[str, tuple[Any, str]] = {}
    row = pointed_row(text, previous.step) if text else None
    if row is None and not wanted:
        return {}  # nothing to borrow: neither a row pointed at nor a value missing
    if row is not None and not row.words:  # "stop it": what the last step acted on comes first
        found = _from_arguments(candidate, previous, wanted)
        wanted -= set(found)
    if row is not None:
        filled = fill_arguments(candidate.spec, extract_entities(row.text))
        which = " ".join(row.words) or "that"
        # the words that chose the row are not its value ("the processing_error one": the id beside it)
        untied = {name: [value for value in tied if value.lower() not in row.words]
                  for name, tied in filled.ties.items()}
        values = {**{name: left[0] for name, left in untied.items() if len(left) == 1}, **filled.args}
        for name, value in values.items():
            # an optional value the user's own words name ("just those hotmail ones": hotmail.com)
            narrows = name not in candidate.filled.args and any(word in str(value).lower() for word in row.words)
            if not _same_kind(previous, candidate, name, value):
                continue  # the host the last step read is no volume to delete
            if (name in wanted or narrows) and name not in filled.guessed:  # "RUNNING" is no application id
                found[name] = (value, f"{name} {value} (from the row of {previous.spec.name}'s output "
                                      f"for '{which}': {row.text[:80]})")
    return {**_from_arguments(candidate, previous, wanted - set(found)), **found}


def _from_arguments(candidate: Candidate, previous: Previous, wanted: set[str]) -> dict[str, tuple[Any, str]]:
    """Values for the `wanted` parameters among the previous step's own arguments."""
    if not wanted:
        return {}
    context = " ".join(str(value) for value in previous.step.args.values())
    filled = fill_arguments(candidate.spec, extract_entities(context))
    # a parameter of the same name as one of the last step's takes its value, where its schema
    # accepts it: the check's `cronjob=invoice-export` is the rerun's `cronjob` and its
    # `namespace=billing` its namespace, though both are bare names either could take
    same_name = {name: value for name, value in previous.step.args.items()
                 if name in wanted and _accepts(candidate.spec, name, value)
                 and _same_kind(previous, candidate, name, value)}
    # a value moves to a parameter that names the same kind of thing: after a read of host `db-1`,
    # "delete it" is no deletion of a volume called db-1
    given = {name: value for name, value in filled.args.items() if _same_kind(previous, candidate, name, value)}
    return {name: (value, f"{name} {value} (from the previous step)")
            for name, value in {**given, **same_name}.items() if name in wanted}


def _same_kind(previous: Previous, candidate: Candidate, name: str, value: Any) -> bool:
    """Whether `value`, where it was the last step's argument of the same name, was of the kind of
    thing the candidate's parameter is: a generic name (`name`, `id`) says nothing of that, its
    description does. (A value of a parameter named otherwise, a DNS lookup's `name` for a port
    check's `host`, is left to the values' own shapes.)"""
    earlier = previous.step.args.get(name)
    return earlier is None or str(earlier) != str(value) or name.lower() not in _GENERIC_NAMES or \
        _means_the_same(previous.spec, candidate.spec, name)


# parameter names that say nothing of what they name: a `cluster` is a cluster in every tool, a
# `name` may be a host's in one and a volume's in another
_GENERIC_NAMES = frozenset({"name", "id", "key", "target", "value", "item", "resource", "object", "ref",
                            "identifier", "uid", "uuid"})


def _means_the_same(one: ToolSpec, other: ToolSpec, name: str) -> bool:
    """Whether the parameter `name` of two tools is the same kind of thing by its descriptions: the
    same text, or a word in common besides the parameter's own name. `name` of a host ("host name")
    is not `name` of a volume ("volume name")."""
    described = [next((str(p.schema.get("description") or "") for p in parameters(spec) if p.name == name), "")
                 for spec in (one, other)]
    if described[0].strip().lower() == described[1].strip().lower():
        return True
    own = {stem(word) for word in words_of(name.replace("_", " "))}
    said = [{stem(word) for word in words_of(text) if word not in STOPWORDS and word.isalpha()} - own - {"eg", "e"}
            for text in described]
    return bool(said[0] & said[1])


def _accepts(spec: ToolSpec, name: str, value: Any) -> bool:
    """Whether the tool's schema takes `value` for its parameter `name` (the others left out)."""
    try:
        spec.validate({name: value})
    except ToolArgumentError as exc:
        return not any(problem.strip().startswith(f"{name}:") for problem in str(exc).split(";"))
    return True


def call_text(step: Step) -> str:
    """A step as one line, `tool key=value …`, as reasons quote it."""
    args = " ".join(f"{key}={value}" for key, value in step.args.items())
    return f"{step.tool} {args}".strip()
