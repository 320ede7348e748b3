""""Restart nginx on web-1 and web-2", "delete 2.9 and 2.8", "check the queue on mx1 and on mx2":
one action asked for on several values listed one after the other, planned as one step each.
A list joined by "or" asks which one, and is asked back; more than `MAX_LISTED` values are asked
about, not run one by one."""

from __future__ import annotations

import itertools
import re
from typing import Any

from chatops.bot.agent.candidate import Candidate
from chatops.bot.agent.entities import STOPWORDS, extract_entities, is_english, words_of
from chatops.bot.agent.enums import said_by_number
from chatops.bot.agent.filled import Filled
from chatops.bot.agent.param_kinds import parameters
from chatops.bot.agent.step_wording import reason_of
from chatops.bot.agent.tool_score import score_tool
from chatops.bot.agent.values import fitting, shape_of
from chatops.bot.model import Step
from chatops.tools.registry import ToolArgumentError, ToolSpec

_PLACE_WORDS = frozenset({"on", "in", "at", "for", "to", "from", "with", "of"})
_LIST_JOINS = re.compile(r"\s*(?:,|&|\+|/)?\s*(?:(?:and|then)\s+(?:then\s+)?)?", re.IGNORECASE)
MAX_LISTED = 5  # more values than this in one request are asked about, not run one by one


# a part that orders its own change in the passive or with "needs": "node-4 is to be drained",
# "node-4 needs draining", "node-4 needs to be drained", "node-4 should be drained"
_ORDERED_ITS_OWN_WAY = re.compile(r"\s*\b(?:(?:is|are)\s+to\s+be\b|needs?\s+(?:to\s+be\s+)?[a-z]+(?:ing|ed)\b|"
                                  r"needs?\s+an?\s+[a-z]+|(?:is|are)\s+being\s+[a-z]+ed\b|"
                                  r"(?:should|must|will)\s+be\s+[a-z]+ed\b)", re.IGNORECASE)


def _written(value: str, text: str) -> re.Match[str] | None:
    """Where the request writes `value` as a whole value ("2.9", not the "2.9" of "2.95")."""
    return re.search(rf"(?<![\w.-]){re.escape(value)}(?![\w-]|\.\w)", text, re.IGNORECASE)


def listed_tie(filled: Filled, text: str) -> tuple[str, list[str]] | None:
    """A required parameter whose fitting values the request lists, joined only by "and", "then"
    or a comma ("etcd-0 then etcd-1", "2.9 and 2.8"): it asks for the same action on each, in
    that order. "etcd-0 or etcd-1" is a question of which, and is asked. The one missing
    parameter must be that one."""
    if len(filled.missing) != 1 or filled.missing[0].name not in filled.ties:
        return None
    name = filled.missing[0].name
    found = []
    for value in filled.ties[name]:
        match = _written(value, text) or said_by_number(value, text)  # "the 500 and the 600"
        if match is None:
            return None
        found.append((match.start(), match.end(), value))
    found.sort()
    if not 2 <= len(found) <= MAX_LISTED:
        return None
    if _ORDERED_ITS_OWN_WAY.match(text[found[-1][1]:]):
        return None  # "… node-3 and node-4 is to be drained": the last is the subject of its own order
    for (_, end, _), (start, _, _) in itertools.pairwise(found):
        between = text[end:start]
        if not between.strip() or not _LIST_JOINS.fullmatch(between):
            return None
    return name, [value for _, _, value in found]


def listed_after(spec: ToolSpec, filled: Filled, text: str) -> tuple[str, list[str]] | None:
    """A required text parameter filled with a value the request follows with more of the same
    kind, joined by "and", "then" or a comma ("delete model.x 2.9 and 2.8"): each is one step.
    A following value must fit the parameter and be no other parameter's value."""
    others = {str(value).lower() for value in filled.args.values()}
    for param in parameters(spec):
        value = filled.args.get(param.name)
        if not param.required or param.kind != "string" or not isinstance(value, str):
            continue
        match = _written(value, text)
        if match is None:
            continue
        values, rest = [value], text[match.end():]
        while len(values) < MAX_LISTED:
            joined = re.match(r"(\s*(?:,|&|\+|/)?\s*(?:(?:and|then)\s+(?:then\s+)?)?)([^\s,;]+)", rest, re.IGNORECASE)
            if joined is None or not joined.group(1).strip():
                break
            word = joined.group(2).rstrip(".!?")
            more = fitting(word, param.schema)
            # the same shape as the first ("web-1 and web-2", "2.9 and 2.8"); a plain word only when
            # it is no English word ("nginx and redis", not "nginx and restart it")
            if more is None or more.lower() in others or more in values or shape_of(word) != shape_of(value) \
                    or (not any(shape_of(word)) and is_english(word.lower())) or \
                    _ORDERED_ITS_OWN_WAY.match(rest[joined.end():]):  # "…, node-4 is to be drained too"
                break
            values.append(more)
            rest = rest[joined.end():]
        if len(values) > 1:
            return param.name, values
    return None


def one_step_each(chosen: Candidate, args: dict[str, Any], sources: dict[str, str], name: str,
                   values: list[str]) -> list[Step]:
    """One step per listed value, each checked against the tool's schema; none if one fails."""
    steps = []
    for value in values:
        step_args = {**args, name: value}
        try:
            chosen.spec.validate(step_args)
        except ToolArgumentError:
            return []
        reason = reason_of(chosen, {**sources, name: f"{name} {value} (one of the values listed)"})
        steps.append(Step(tool=chosen.spec.name, args=step_args, reason=reason, risk=chosen.spec.risk))
    return steps


# a part that is only a thing named by a short description ("and the old fermenter")
_A_THING_ALONE = re.compile(r"\s*(?:and\s+|also\s+)?the\s+[\w'’-]+(?:\s+[\w'’-]+){0,2}\s*(?:too|as\s+well)?[.!?]*\s*",
                            re.IGNORECASE)


def same_action_again(clause: str, steps: list[Step], tools: list[ToolSpec]) -> Step | None:
    """ "... on mx1 and on mx2", "restart nginx on web-1 and web-2": a part with no words of its
    own, only values, asks for the part before's step again with those values in place of the
    ones they replace. None when the part says anything else, or its values fit nothing there."""
    if not steps:
        return None
    spec = next((s for s in tools if s.name == steps[-1].tool), None)
    if spec is None:
        return None
    entities = extract_entities(clause)
    filled = score_tool(spec, entities).filled
    values = " ".join(str(value).lower() for value in filled.args.values())
    words = words_of(entities.text)
    own = [word for word in words_of(entities.plain) if word not in STOPWORDS and word not in values]
    # it opens with a preposition or its value ("on mx2", "web-2"), not "how deep is it"; a value
    # taken for want of another, or one item of a list ("login and dashboard"), is no such part
    opens = bool(words) and (words[0] in _PLACE_WORDS or words[0] in values)
    # "eject tapes A00151L8 and A00152L8 for the offsite vault": a part that opens with a value shaped
    # like the one the part before gave the same parameter repeats it; its words after are for both
    twin = next(((name, value) for name, value in filled.args.items() if words and str(value).lower() == words[0]
                 and isinstance(steps[-1].args.get(name), str) and value != steps[-1].args[name]
                 and shape_of(str(value)) == shape_of(steps[-1].args[name]) and any(shape_of(str(value)))), None)
    if twin is not None and _ORDERED_ITS_OWN_WAY.search(clause):
        return None  # "cordon node-3 and node-4 is to be drained": node-4 is drained, not cordoned
    if twin is not None:
        own, filled_args = [], dict([twin])
    else:
        filled_args = filled.args
        if filled_args and _A_THING_ALONE.fullmatch(clause):
            own, opens = [], True  # "crash chill fv2 and the old fermenter": the old one is chilled too
    if own or not opens or not filled_args or (filled.guessed and twin is None) or \
            any(value == steps[-1].args.get(name) or isinstance(steps[-1].args.get(name), list)
                for name, value in filled_args.items()):
        return None
    args = {**steps[-1].args, **filled_args}
    try:
        spec.validate(args)
    except ToolArgumentError:
        return None
    return Step(tool=spec.name, args=args, reason=f"the same as the part before, for {values}"[:200],
                risk=spec.risk)
