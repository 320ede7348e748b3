"""Free-text parameters: which spans of the request fill them. Required ones together (two never
take the same span), optional ones only when named next to the value or when only their pattern
takes it. The readers of a phrased value are `bot.agent.phrased_values`; owner/name references and
ranges are `bot.agent.value_parts`."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from chatops.bot.agent.entities import (
    STOPWORDS,
    Entities,
    add_unique,
    identifier_words,
    stem,
    words_of,
)
from chatops.bot.agent.enums import enum_aliases
from chatops.bot.agent.filled import FIT_POINTS, Filled, item_schema
from chatops.bot.agent.lexicon import (
    DETERMINERS,
    PARTICLES,
)
from chatops.bot.agent.param_kinds import Param, fits_string
from chatops.bot.agent.phrased_values import (
    a_listed_choice,
    after_its_preposition,
    base_value,
    comma_remark,
    dash_remark,
    directed_by,
    labelled_otherwise,
    labelled_value,
    new_value,
    phrased_value,
    possessor,
)
from chatops.bot.agent.value_parts import fill_range
from chatops.bot.agent.values import (
    Choice,
    Span,
    anchor_stems,
    best_assignment,
    example_values,
    fitting,
    identifier_shaped,
    is_version,
    restrictive,
    segmented,
    spans_of,
    value_choices,
)
from chatops.bot.english import is_dictionary_word


def with_hosts(plain: str, text: str, hosts: list[str]) -> str:
    """`plain` with the host names put back: a dotted name can be a table ("public.events") or a
    node, not only a host, and the parameter's pattern decides."""
    restored = plain
    for host in hosts:  # with its ":port" when written so ("10.0.2.14:8080" is one value)
        for match in re.finditer(re.escape(host) + r"(?::\d{1,5}(?!\d))?", text, re.IGNORECASE):
            start, end = match.span()
            if restored[start:end].strip() == "":
                restored = restored[:start] + text[start:end] + restored[end:]
    return restored


_DESCRIBED_PREPOSITIONS = frozenset({"from", "to", "into", "in", "on", "onto", "of", "for", "at", "off", "out"})
# what people write for the description's preposition: "kick jdoe out of db-admins" for "from"
_SAME_PREPOSITION = {"from": ("of", "off"), "to": ("into", "onto"), "into": ("in", "to"), "in": ("into",),
                     "onto": ("on", "to"), "on": ("onto",)}
SYNTAX_POINTS = 0.6  # a value after the preposition the description puts before the parameter's name


def _as_described(name: str, choices: list[Choice], spans: list[Span], summary: str) -> list[Choice]:
    """Choices re-scored by the description's syntax: "Remove a user from an LDAP group" puts
    "from" before the group, so "remove jdoe from db-admins" gives the group db-admins and leaves
    jdoe to the user, although both fit both patterns."""
    words = words_of(summary)
    parts = {stem(part) for part in identifier_words(name) if part not in STOPWORDS}
    before = {words[index - back] for index, word in enumerate(words) if stem(word) in parts
              for back in range(1, 4) if index - back >= 0 and words[index - back] in _DESCRIBED_PREPOSITIONS}
    if not before:
        return choices
    before |= {same for word in before for same in _SAME_PREPOSITION.get(word, ())}
    after = {span.text.lower() for index, span in enumerate(spans)
             if index > 0 and spans[index - 1].text.lower() in before}
    rescored = [Choice(c.value, c.score + SYNTAX_POINTS, f"{c.why}, placed as the description places it".lstrip(", "))
                if c.value.lower() in after else c for c in choices]
    return sorted(rescored, key=lambda c: -c.score)


def _one_reading_per_order(lists: dict[str, list[Choice]]) -> bool:
    """Whether the parameters compete for exactly as many values as there are of them, each value
    fitting each: only the order is open, and the description's syntax may settle it. With a value
    more ("add jdoe to db-readonly, take him out of db-admins") the request is asked about instead."""
    values = [frozenset(c.value.lower() for c in choices if c.score >= 0) for choices in lists.values()]
    return len(set(values)) == 1 and len(values[0]) == len(lists)


def fill_text(params: list[Param], filled: Filled, spans: list[Span], entities: Entities, avoid: set[str],
              objects: set[int], tool_words: list[str], put: Callable[[Param, Any, str, float], None],
              summary: str = "") -> None:
    """Free-text parameters, together: each required one takes the span that fits it best, and
    two parameters never take the same span ("revert the payments rollout to a1b2c3d": the service
    is the plain word its examples look like, the revision the hash). Optional ones only when the
    request names them next to the value, or when only their pattern accepts it ("for 2h")."""
    for param in (p for p in params if p.kind == "string" and p.name not in filled.args):
        labelled = labelled_value(param, entities.text)
        # 'justification "not internet facing"': the quoted text right after the parameter's own name
        quoted = _quoted_after(anchor_stems(param.name, {}, []), entities) if param.required else None
        if labelled is not None and fitting(labelled, param.schema):
            put(param, fitting(labelled, param.schema), f"{param.name} {labelled} (written after '{param.name}:')",
                FIT_POINTS["anchor", "string"])
        elif quoted is not None and fitting(quoted, param.schema):
            put(param, fitting(quoted, param.schema), f"{param.name} {quoted} (quoted after '{param.name}')",
                FIT_POINTS["anchor", "string"])
        elif (directed := after_its_preposition(param, entities.text)) is not None:
            put(param, fitting(directed, param.schema),
                f"{param.name} {directed} (written after '{directed_by(param)}')", FIT_POINTS["anchor", "string"])
        elif (phrased := phrased_value(param, entities.text)) is not None and fitting(phrased, param.schema):
            put(param, fitting(phrased, param.schema), f"{param.name} {phrased} (written after the words its "
                f"description puts before 'this')", FIT_POINTS["anchor", "string"])
        elif (based := base_value(param, entities.text)) is not None and fitting(based, param.schema):
            put(param, fitting(based, param.schema), f"{param.name} {based} (what it is made from)",
                FIT_POINTS["anchor", "string"])
        elif param.required and (given := new_value(param, entities.text)) is not None and \
                fitting(given, param.schema):
            put(param, fitting(given, param.schema), f"{param.name} {given} (the new value the order gives)",
                FIT_POINTS["anchor", "string"])
        elif param.required and not entities.quoted and (remark := dash_remark(param, entities.text)) and \
                fitting(remark, param.schema):
            put(param, remark, f"{param.name} {remark} (the remark after the dash)", FIT_POINTS["anchor", "string"])
        elif not entities.quoted and (remark := comma_remark(param, entities.text)) and fitting(remark, param.schema):
            put(param, remark, f"{param.name} {remark} (the remark after the comma)", FIT_POINTS["anchor", "string"])
    fill_range(params, filled, entities, put)  # "from 2026-11-01 to 2026-11-30" for start_date / end_date
    strings = [p for p in params if p.kind in ("string", "list") and p.name not in filled.args]
    taken = {str(v).lower() for v in filled.args.values()}
    # the word another parameter's value was read from ("an ipv6 record": AAAA) is no value of these
    taken |= {alias for p in params if p.kind == "enum" and p.name in filled.args
              for alias, value in enum_aliases(p.schema).items() if value == filled.args[p.name]}
    # 'with summary "minor version"': a quoted text named as an optional parameter's is not the title
    reserved = {quoted.lower() for p in strings if not p.required
                and (quoted := _quoted_after(anchor_stems(p.name, {}, []), entities)) is not None
                and fitting(quoted, item_schema(p))}
    # a word that names another parameter anchors that one ("the backup origin" is the origin)
    others = {p.name: {stem(part) for part in identifier_words(p.name)} for p in params}
    lists = {p.name: value_choices(item_schema(p), spans, entities.quoted,
                                   anchor_stems(p.name, p.schema, tool_words) - frozenset().union(
                                       *(words for name, words in others.items() if name != p.name)),
                                   avoid, objects, taken | reserved, anchor_stems(p.name, p.schema, []))
             for p in strings if p.required}
    if len(lists) > 1 and _one_reading_per_order(lists):
        lists = {name: _as_described(name, choices, spans, summary) for name, choices in lists.items()}
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
        # (of the words the other parameters left: "kick jdoe out of db-admins" once the group took db-admins)
        alone = len(lists[param.name]) == 1 or all(choice.score < 0 for choice in lists[param.name][1:]) or (
            not is_dictionary_word(best.value.lower()) and
            all(choice.score < 0 for choice in choices if choice is not best))  # a name, not an English word
        if clear and (best.score > 0 or (alone and best.score == 0)):
            value: Any = [best.value] if param.kind == "list" else best.value
            put(param, value, f"{param.name} {best.value}" + (f" ({best.why})" if best.why else ""),
                FIT_POINTS["anchor", "string"])
            if not best.why:
                filled.guessed.add(param.name)  # the only word left, taken for want of another
        elif (named := _the_one_name(choices, best)) is not None:
            # "search-indexer needs more headroom, set …": of the words that fit as well, one is a name
            put(param, [named.value] if param.kind == "list" else named.value,
                f"{param.name} {named.value} (the only name among the words that fit)", FIT_POINTS["anchor", "string"])
        else:
            filled.ties[param.name] = [c.value for c in choices if c.score >= best.score - 0.25]
    # a choice written beats the only word left ("close it with note …" for an `outcome` of free text);
    # not where the parameter's pattern or examples say what it is ("idle" is a state, not the database)
    for param in (p for p in strings if p.required):
        free = not param.schema.get("pattern") and not example_values(param.schema)
        unsure = param.name in filled.guessed or param.name in filled.ties
        if (param.name in filled.args or param.name in filled.ties) and not (free and unsure):
            continue
        if (choice := a_listed_choice(summary, entities.plain, param)) is not None:  # "as abandoned"
            filled.guessed.discard(param.name)
            filled.ties.pop(param.name, None)
            put(param, choice, f"{param.name} {choice} (one of the choices its description lists)",
                FIT_POINTS["anchor", "string"])
    optional = [p for p in strings if not p.required]
    free = [p for p in optional if p.kind == "string" and not restrictive(p.schema) and not p.enum]
    for param in optional:
        own = anchor_stems(param.name, {}, [])  # named by its own name only: "duration 2h", "for 2h" by pattern
        taken |= {str(v).lower() for v in filled.args.values()}
        choices = value_choices(item_schema(param), spans, entities.quoted, own, avoid, set(), taken, own)
        if not choices:
            continue
        named = _quoted_after(own, entities)  # 'reason "customer updated card"', "with note 'db fixed'"
        if named is None and free == [param]:  # the one quoted value, and the one parameter of free text left
            left = [text for text in entities.quoted if text.lower() not in taken]
            # the one quoted text no other parameter took ('titled "…" saying "…"')
            if len(left) == 1 and not labelled_otherwise(left[0], param, entities.text):
                named = left[0]
        if named is None and (whose := possessor(param, entities.text)) is not None and \
                whose.lower() not in taken and fitting(whose, item_schema(param)):
            named = whose  # "dana's action items" for an `owner`
        best = Choice(named, 0.0, "quoted, named next to it") if named and fitting(named, item_schema(param)) \
            and named.lower() not in taken else choices[0]
        # "for INC-2291" where the incident is "e.g. INC-2291": a shape of letters and digits its
        # examples share is as telling as its name (a plain word shaped like "maria" is not)
        # a version "like 2026.12.1" too ("fixed in 2026.12.1" for `in_release`)
        # a dotted number only where the parameter is a version ("up to 4.13" for "Stop after this
        # version, e.g. 4.13"): elsewhere "4.2" is a quantity
        distinct = "shaped like its examples" in best.why and (is_version(best.value) or _a_version_it_takes(
            param, best.value) or (
            identifier_shaped(best.value) and re.search(r"[A-Za-z]", best.value) is not None
            and re.search(r"\d", best.value) is not None))
        # "for checkout-web" where the image is "e.g. payments-api": a compound of words joined by
        # dashes or slashes ("feature/dark.theme", "e.g. release/2.4"), as its examples are, is a name
        distinct = distinct or ("shaped like its examples" in best.why and (segmented(best.value) or (
            _COMPOUND.fullmatch(best.value) is not None
            and any(_COMPOUND.fullmatch(value) for value in example_values(param.schema)))))
        # "who froze payments?" where the group is "e.g. payments, storefront or search": a word its
        # description lists is the parameter named, when it is the only such word
        listed = "one of its examples" in best.why and \
            sum("one of its examples" in choice.why for choice in choices) == 1
        if "named next to it" in best.why or distinct or listed or _an_address_it_asks_for(param, best.value) or (
                restrictive(param.schema) and identifier_shaped(best.value)):
            put(param, [best.value] if param.kind == "list" else best.value,
                f"{param.name} {best.value} ({best.why or 'only it fits the pattern'})",
                FIT_POINTS["anchor", "string"])


def _a_version_it_takes(param: Param, value: str) -> bool:
    """Whether a dotted number is a version for this parameter: its name or description says version."""
    said = f"{param.name} {param.schema.get('description', '')}".lower()
    return re.fullmatch(r"\d+(?:\.\d+)+", value) is not None and re.search(r"\bversions?\b", said) is not None


_COMPOUND = re.compile(r"[a-z][a-z0-9]*(?:[-_/.][a-z0-9]+)+", re.IGNORECASE)  # "payments-api", "release/2.4"
_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def _an_address_it_asks_for(param: Param, value: str) -> bool:
    """An e-mail address for a parameter whose name or description asks for one ("Only grants of
    this user (company e-mail)"): the value's kind is the one the parameter names."""
    said = " ".join([*identifier_words(param.name), *words_of(str(param.schema.get("description", "")))])
    return bool(_ADDRESS.fullmatch(value)) and re.search(r"\be-?mails?\b", said) is not None


def _quoted_after(anchors: frozenset[str], entities: Entities) -> str | None:
    """The quoted text written right after a word naming the parameter ('reason "vendor
    postponed"', "with note: 'pool bumped'", "owner: 'dana'"), if any."""
    for quoted in entities.quoted:
        at = entities.text.find(quoted)
        before = words_of(entities.text[max(0, at - 40): at])[-2:] if at > 0 else []
        if any(stem(word) in anchors for word in before):
            return quoted
    return None


def object_positions(spans: list[Span], vocabulary: set[str]) -> set[int]:
    """Positions right after a word of the tool's vocabulary, skipping determiners and
    particles: where an order puts its object ("purge emails", "scale down the api")."""
    positions = set()
    for position, span in enumerate(spans):
        if span.stem not in vocabulary:
            continue
        index = position + 1
        while index < len(spans) and spans[index].text.lower() in DETERMINERS | PARTICLES:
            index += 1
        # in the same clause: "wipe cart:eu:* from redis, the serialisation format changed"
        if index < len(spans) and not spans[position + 1].clause_start:
            positions.add(spans[index].index)
    return positions


def word_candidates(param: Param, entities: Entities, avoid: set[str]) -> list[str]:
    """Every word of the request that could be this free-text parameter's value (what the
    model may choose from)."""
    values: list[str] = []
    # the request's words as spans: "at 10:00" is one, never a "10" for a cue or a room
    for word in [*entities.quoted, *(span.text for span in spans_of(entities.plain))]:
        if word.lower() in STOPWORDS or stem(word) in avoid:
            continue
        if fits_string(word, param.schema):
            add_unique(values, word)
    return values[:24]


def _the_one_name(choices: list[Choice], best: Choice) -> Choice | None:
    """Of the words that fit a parameter equally well, the one written as a name ("search-indexer",
    "pg-main-2") when every other is an English word ("needs", "more"): an English word is what a
    sentence is made of, a name is what it is about. None when there are several names, or none."""
    tied = [choice for choice in choices if choice.score >= best.score - 0.25]
    names = [choice for choice in tied if identifier_shaped(choice.value)]
    words = [choice for choice in tied if choice not in names]
    if len(names) != 1 or not words or not all(is_dictionary_word(choice.value.lower()) for choice in words):
        return None
    return names[0]
