"""Values that come in two parts or as two ends: an owner/name reference split over two
parameters ("payments/checkout-api"), unless the first takes slash paths whole, and a range that
fills a start and an end parameter in the order written ("from 2026-11-01 to 2026-11-30")."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from typing import Any

from chatops.bot.agent.entities import Entities, identifier_words, is_domain, words_of
from chatops.bot.agent.filled import FIT_POINTS, Filled
from chatops.bot.agent.param_kinds import Param
from chatops.bot.agent.phrased_values import prose
from chatops.bot.agent.values import example_values, fitting, restrictive

# "payments/checkout-api", "platform/base/python:2024.12.01", "harbor.corp/payments/api:v2": an
# owner/name reference, with a registry host before it and a tag after it
_NESTED = re.compile(r"(?<![\w/.:@-])(?:[a-z0-9-]+(?:\.[a-z0-9-]+)+/)?([A-Za-z0-9][\w.-]*)/([\w.-]+(?:/[\w.-]+)*)"
                     r"(?::([\w.+-]+))?(?![\w/])")


def split_nested(params: list[Param], filled: Filled, entities: Entities,
                  put: Callable[[Param, Any, str, float], None]) -> None:
    """An owner/name reference for a tool that takes the two apart (a registry's project and
    repository, a forge's owner and repo), in the order its schema lists them: the first part to
    the first, the rest to the second, a ":tag" to a third that takes it. Only required text
    parameters not filled otherwise, and only when each part fits its own."""
    _command_line_forms(params, filled, entities, put)
    strings = [p for p in params if p.kind == "string" and p.required and p.name not in filled.args]
    if len(strings) < 2:
        return
    for match in _NESTED.finditer(entities.text):
        head, tail, tag = match.group(1), match.group(2), match.group(3)
        if match.group(0).lower().startswith(("http", "www.")) or ("." in head and is_domain(head.lower())):
            continue
        for first, second in itertools.pairwise(strings):
            if _takes_whole_paths(first) or prose(second):
                continue  # nor is a reason the name half of an owner/name
            if fitting(head, first.schema) and fitting(tail, second.schema):
                put(first, head, f"{first.name} {head} (the first part of {match.group(0)})",
                    FIT_POINTS["anchor", "string"])
                put(second, tail, f"{second.name} {tail} (the rest of {match.group(0)})",
                    FIT_POINTS["anchor", "string"])
                rest = [p for p in strings if p.name not in filled.args]
                if tag and rest and fitting(tag, rest[0].schema):
                    put(rest[0], tag, f"{rest[0].name} {tag} (after the colon)", FIT_POINTS["anchor", "string"])
                return


# kubectl's ways to write what and where: "cronjob/gdpr-purge" (kind/name), "-n privacy"
_NAMESPACE_FLAG = re.compile(r"(?<!\S)(?:-n|--namespace)(?:=|\s+)`?([a-z0-9][a-z0-9-]{0,62})`?(?![\w-])")
_NAMESPACE_NAMES = frozenset({"namespace", "ns"})


def _command_line_forms(params: list[Param], filled: Filled, entities: Entities,
                        put: Callable[[Param, Any, str, float], None]) -> None:
    """ "suspend cronjob/gdpr-purge -n privacy": a `kind/name` whose kind is a parameter's own
    name gives that parameter the name (not an owner and a name); "-n"/"--namespace" gives the
    namespace parameter its value."""
    strings = [p for p in params if p.kind == "string" and p.name not in filled.args]
    flag = _NAMESPACE_FLAG.search(entities.text)
    for param in strings:
        named = set(identifier_words(param.name.lower())) & _NAMESPACE_NAMES
        if flag and named and fitting(flag.group(1), param.schema):
            put(param, flag.group(1), f"{param.name} {flag.group(1)} (after {flag.group(0).split()[0]})",
                FIT_POINTS["anchor", "string"])
    for match in _NESTED.finditer(entities.text):
        kind, name = match.group(1).lower(), match.group(2)
        for param in strings:
            if param.name in filled.args or "/" in name:
                continue
            own = (param.name.lower(), "".join(identifier_words(param.name.lower())))
            if kind in own and fitting(name, param.schema):
                put(param, name, f"{param.name} {name} (the name in {match.group(0)})", FIT_POINTS["anchor", "string"])


_RANGE_START = frozenset({"start", "from", "first", "begin", "since", "min", "lower", "oldest"})
_RANGE_END = frozenset({"end", "to", "last", "until", "till", "max", "upper", "newest"})


def fill_range(params: list[Param], filled: Filled, entities: Entities,
               put: Callable[[Param, Any, str, float], None]) -> None:
    """A range's two ends ("backfill X from 2026-11-01 to 2026-11-30", "2026-12-01..2026-12-03") for a
    pair of required text parameters named as its start and its end (`start_date`/`end_date`,
    `from_version`/`to_version`) that take values of one shape: the first value written is the start,
    the second the end; one value alone ("for 2026-12-04 only") is both."""
    open_ = [p for p in params if p.kind == "string" and p.required and p.name not in filled.args]
    starts = [p for p in open_ if set(identifier_words(p.name.lower())) & _RANGE_START and restrictive(p.schema)]
    ends = [p for p in open_ if set(identifier_words(p.name.lower())) & _RANGE_END]
    if not starts or not ends:
        return
    pieces = [piece.strip(".,;:!?()") for token in entities.text.split() for piece in token.split("..")]
    for start in starts:
        for end in (p for p in ends if p is not start):
            values = list(dict.fromkeys(piece for piece in pieces if piece and fitting(piece, start.schema)
                                        and fitting(piece, end.schema)))
            if len(values) in (1, 2):
                put(start, values[0], f"{start.name} {values[0]} (where the range starts)",
                    FIT_POINTS["anchor", "string"])
                put(end, values[-1], f"{end.name} {values[-1]} (where the range ends)", FIT_POINTS["anchor", "string"])
                return


def _takes_whole_paths(param: Param) -> bool:
    """A parameter whose own examples or words are slash paths ("Key path, e.g.
    config/billing/max_retries", "Dataset, e.g. tank/pg/main") takes such a reference whole: it is
    one value, not an owner and a name for two parameters."""
    said = {*identifier_words(param.name), *words_of(str(param.schema.get("description", "")))}
    return "path" in said or "prefix" in said or any("/" in value for value in example_values(param.schema))
