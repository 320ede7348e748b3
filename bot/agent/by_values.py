"""Choosing a tool by the values a request gives, when its words alone do not decide: the read
whose parameters are the only ones that take the request's values ("show me HD-4411"), and the
change that takes the value a read would leave aside ("bump ml-research to 500 GB on /projects").

Both are offered by `bot.agent.ranking.rank_tools`; each keeps the safety rules of a choice made
without the tool's own words: what cannot be undone is never found by its values alone, and a change
is proposed only when it alone takes every value, in one clause, with evidence for each.
"""

from __future__ import annotations

import functools
import re

from chatops.bot.agent.brought_back import not_the_way_back
from chatops.bot.agent.candidate import Candidate
from chatops.bot.agent.clauses import opens_with
from chatops.bot.agent.entities import CLAUSE, Entities, is_unit, stem
from chatops.bot.agent.enums import enum_aliases, value_pattern
from chatops.bot.agent.lexicon import LOOK_VERBS, STOPWORDS
from chatops.bot.agent.param_kinds import parameters
from chatops.bot.agent.phrases import words_at_verb_place
from chatops.bot.agent.tool_words import own_name_words
from chatops.bot.agent.twin_changes import verb_twin
from chatops.bot.agent.values import identifier_shaped, spans_of
from chatops.bot.agent.verb_senses import is_verb
from chatops.bot.agent.weights import CLEAR_MARGIN, MIN_SIMILARITY, SIMILARITY_TIE
from chatops.bot.model import Risk


def with_evidence(candidate: Candidate) -> bool:
    """Whether every free-text argument was taken for a reason (shaped like a name or like its
    examples, named next to it, the action's object, quoted), not as the only word left."""
    return not candidate.filled.guessed


def value_for_a_change(candidates: list[Candidate], scored: list[Candidate], entities: Entities,
                        top: float) -> list[Candidate]:
    """ "bump ml-research to 500 GB on /projects": the read that only its filled arguments found
    (`quota_usage`, none of its words written) leaves the new value aside, while a change of the
    same things takes every value the order gives. An order that gives a value the read cannot
    take asks for the change; it is proposed, with the approval a change always needs."""
    best = max(candidates, key=lambda c: c.score)
    if best.spec.risk is not Risk.read:
        return []
    values = values_of(entities)
    left = values_left(best, values)
    takers = [c for c in scored if c.spec.risk is not Risk.read and c.filled.args and not c.filled.missing
              and not c.filled.ties and c.similarity is not None and best.similarity is not None
              and shares_words(best, c) and one_clause(c, entities.text) and values_left(c, values) == 0]
    # meaning must not point away from the change, unless the words found both alike
    changes = sorted((c for c in takers if c.similarity >= best.similarity - SIMILARITY_TIE or best.matched),  # type: ignore[operator]
                     key=lambda c: -c.score)
    if left == 0 or len(changes) != 1:  # the change takes every value; and only one change does
        return []
    rivals = [c.similarity for c in takers if c is not changes[0]]
    if rivals and changes[0].similarity - max(rivals) < SIMILARITY_TIE:  # type: ignore[operator]
        return []  # "nuke the session …": a soft reset and a shutdown of the peer both take it, neither clearly
    if not with_evidence(changes[0]):
        return []  # "pods stuck at 12": a plain word taken for the name only because nothing else fits
    change = changes[0]
    if verb_twin(change, scored):
        return []  # "take MN-D7 off": an isolation takes MN-D7 as the restore does; the value cannot say which
    change.score = round(best.score + CLEAR_MARGIN, 2)
    change.labels.append(f"takes the value {best.name} leaves aside")
    return [change]


def shares_words(read: Candidate, change: Candidate) -> bool:
    """Whether the change has every word of the request the read was found by: "code freeze on
    storefront for 8h" names `freeze_status` and `freeze_deploys` alike, and only the change takes
    the 8h; "show the quota of ml-research, 500 GB" names only the read."""
    return {stem(word) for word in read.matched} <= {stem(word) for word in change.matched}


def values_of(entities: Entities) -> set[str]:
    """The values a request writes: names shaped like identifiers, numbers, hosts, URLs, paths
    and quoted text (lower case)."""
    found = {str(n) for n in [*entities.numbers, *entities.percentages, *(n for n, _ in entities.durations)]}
    found.update(value.lower() for value in [*entities.urls, *entities.hosts, *entities.paths, *entities.quoted])
    found.update(span.text.lower() for span in spans_of(entities.plain) if identifier_shaped(span.text)
                 and not ((amount := re.fullmatch(r"\d+([a-z]+)", span.text.lower())) and is_unit(amount.group(1))))
    return found  # "8h" is counted once, as its number


def target_values(entities: Entities) -> frozenset[tuple[str, ...]]:
    """The values the order changes something to, in its first clause, each in the forms a
    parameter may take it: "change X's schedule to 07:30", "to v4.1" (v4.1 or 4.1), "to 5%" (5),
    or by: "5 more agents". Not the story after it ("p99 went from 180ms to 900ms")."""
    order = next((part for part in CLAUSE.split(entities.text) if part and part.strip()), "")
    values = values_of(entities)
    found = set()
    for written in re.findall(r"\bto\s+([a-z0-9][\w.:@/%-]*)", order.lower()):
        written = written.rstrip(".:")
        bare = re.sub(r"^v(?=\d)", "", written)
        number = re.fullmatch(r"(\d+(?:\.\d+)?)[a-z%]*", bare)
        forms = tuple(dict.fromkeys(form for form in (written, bare, number.group(1) if number else None) if form))
        if any(form in values for form in forms):
            found.add(forms)
    # "add 5 more agents to …", "3 extra workers": the amount the order changes by
    found.update((count,) for count in re.findall(r"\b(\d+)\s+(?:more|extra|additional|fewer|less)\b", order.lower()))
    return frozenset(found)


_FOR_A_TIME = re.compile(r"\bfor\s+(?:an?\s+|the\s+next\s+)?(\d+)?\s*"
                         r"(sec|secs|seconds?|mins?|minutes?|hrs?|hours?|days?)\b", re.IGNORECASE)
_TOLD = re.compile(r"\b(?:been|was|were|has|had|have|is|are|since|already)\b(?:\s+\S+){0,3}\s*$", re.IGNORECASE)
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@functools.lru_cache(maxsize=1024)  # asked for every candidate a request's ranking weighs by meaning
def lasting_for(wording: str) -> frozenset[tuple[str, ...]]:
    """How long the order's change is to last ("bypass the sorters on dmr for 45 mins", "for an
    hour"), in its first clause, in the forms a parameter may take it (45, 2700 seconds, 0.75 hours
    are not written: minutes 45, hours 1, or seconds); a change found by meaning that takes no such
    value is not the one asked for (the way back of a diversion takes no time)."""
    order = next((part for part in CLAUSE.split(wording) if part and part.strip()), "")
    found = set()
    for match in _FOR_A_TIME.finditer(order):
        if _TOLD.search(order[: match.start()]):
            continue  # "it's been down for 2 hours": how long something lasted, no order's time
        count = int(match.group(1) or 1)
        seconds = count * _SECONDS[match.group(2)[0].lower()]
        forms = {str(count), str(seconds)} | {str(seconds // size) for size in (60, 3600) if seconds % size == 0}
        found.add(tuple(sorted(forms)))
    return frozenset(found)


def leaves_a_target(candidate: Candidate, targets: frozenset[tuple[str, ...]]) -> bool:
    """Whether the tool's arguments leave aside a value the order changes something to."""
    return any(values_left(candidate, set(forms)) == len(forms) for forms in targets)


def one_clause(candidate: Candidate, text: str, *, read_from_words: bool = False) -> bool:
    """Whether the tool's arguments are all written in one clause of the request, as one action's
    are: "hold consumption on orders.fulfil, the API is returning 503" does not set orders.fulfil
    to 503. A value named by its parameter ("note: …") is attached to the order wherever it stands."""
    def loose(words: str) -> str:  # `beta_testers` is written "beta testers"
        return re.sub(r"[-_]", " ", words.lower())

    # a colon opens the order's details ("send a push to beta testers: title …"), not another clause
    clauses = [loose(part) for part in CLAUSE.split(re.sub(r":\s+", " ", text)) if part and part.strip()]
    shared = set(range(len(clauses)))
    schemas = candidate.spec.parameters_schema.get("properties") or {}
    for name, value in candidate.filled.args.items():
        if isinstance(value, bool) or "named next to it" in candidate.filled.sources.get(name, ""):
            continue  # 'note: "baseline for Q1"' belongs to the order it follows, whatever the comma
        # an enum value written as its alias ("eu" for eu-west) stands where the alias is written
        written = loose(str(value))
        aliases = [loose(alias) for alias, target in enum_aliases(schemas.get(name) or {}).items() if target == value]
        found = {index for index, clause in enumerate(clauses) if written in clause
                 or any(re.search(rf"(?<!\w){re.escape(alias)}(?!\w)", clause) for alias in aliases)}
        if found or not read_from_words or written in loose(text):
            shared &= found  # with `read_from_words`, a value read from words ("to all cameras": 100 %) stands nowhere
    return bool(shared)


def values_left(candidate: Candidate, values: set[str]) -> int:
    """How many of the request's values the tool's arguments leave unused."""
    used = " ".join(str(value).lower() for value in candidate.filled.args.values())
    # whole values only: "3" is not in "4320"
    return sum(1 for value in values if not re.search(rf"(?<![\w.]){re.escape(value)}(?![\w.])", used))


VALUES_READ_SIMILARITY = 0.10  # a read found by its values may be this far from the closest tool by meaning


def _names_a_listed_name(candidate: Candidate) -> bool:
    """Whether the request gives a read one of its listed values that is a name ("show me the north
    depot" for a site `depot-north`, by its alias), or one of a list of three or more names, plain
    words too ("just tell me how sales is doing" for a queue of sales, billing, support): an order
    to look at it. Not a switch's value (on/off), nor a common word."""
    return any(param.enum and param.name in candidate.filled.args and
               (identifier_shaped(str(candidate.filled.args[param.name])) or len(param.enum) >= 3) and
               str(candidate.filled.args[param.name]).lower() not in STOPWORDS and
               candidate.filled.args[param.name] != param.schema.get("default")
               for param in parameters(candidate.spec))


def _names_a_compound_value(candidate: Candidate, text: str) -> bool:
    """Whether the request writes, whole, a listed value of two or more words ("the wash road" for
    `wash_road`): a name only that list holds, clearer than any likeness of meaning."""
    return any(param.enum and isinstance(value := candidate.filled.args.get(param.name), str)
               and len([part for part in re.split(r"[-_ ]", value) if part]) >= 2
               and re.search(value_pattern(value), text, re.IGNORECASE)
               for param in parameters(candidate.spec))


def _says_what_to_change(candidate: Candidate, wording: str) -> bool:
    """Whether the request gives the value a change is named for: `set_speed` changes a speed, and
    "reset B4" gives none; found by the belt's id alone it would set the speed's default, a value
    nobody gave. A change whose name names none of its parameters ("reboot sw-04") needs only its
    values."""
    own = {stem(word) for word in own_name_words(candidate.spec)[1:]}
    named = [param.name for param in parameters(candidate.spec)
             if {stem(word) for word in param.name.lower().split("_")} & own]
    return all(candidate.filled.sources.get(name) for name in named) and not _takes_the_order(candidate, wording)


def _takes_the_order(candidate: Candidate, wording: str) -> bool:
    """Whether one of the change's values is the request's own verb: "retire B4" is no `name_belt`
    with the name "retire", though the name's pattern takes any lower-case word."""
    verbs = {word.lower() for word, _ in words_at_verb_place(wording) if is_verb(word)}
    return any(isinstance(value, str) and value.lower() in verbs for value in candidate.filled.args.values())


def by_values(scored: list[Candidate], entities: Entities, question: bool, top: float) -> list[Candidate]:
    """When neither the tools' words nor meaning found a tool: the one the request's values point
    to. Its every required parameter is filled, at least one with a value only that kind of
    parameter accepts (its pattern refuses ordinary words), and it leaves fewer of the request's
    values unused than any other such tool: "ramp CheckoutButtonColor to 50%" fills the experiment
    and the percentage of `set_experiment_split`, while `experiment_results` would leave "50%"
    aside. Meaning must not say otherwise: when it points clearly at some tool (`MIN_SIMILARITY`),
    a change found this way must be that tool, a read close to it ("hold consumption on
    orders.fulfil" is not a sysctl key to set, though the key's pattern takes it). Below that,
    similarities are the noise of unrelated texts (names like "CheckoutButtonColor" drown the
    few words around them) and do not count. Without meaning only a read is found. A question
    only ever reaches a read; a tie between two tools finds none."""
    values = values_of(entities)
    meaningful = top >= MIN_SIMILARITY

    def plausible(c: Candidate) -> bool:
        if c.spec.risk is Risk.read:  # "show me the wash road" for an area `wash_road`: a name of several words
            return c.similarity is None or not meaningful or c.similarity >= top - VALUES_READ_SIMILARITY or \
                _names_a_compound_value(c, entities.plain)
        return not question and c.similarity is not None and (not meaningful or c.similarity >= top - SIMILARITY_TIE)

    # a value shaped like a parameter's examples is weaker than a pattern: it finds a read only
    # for a question or an order to look ("show me HD-4411"), never for an order to change
    looking = question or opens_with(LOOK_VERBS, entities.plain)
    targets = target_values(entities)  # a change that leaves aside what the order changes to or by is not it
    fitting = [c for c in scored if (c.filled.pattern_fits or (c.spec.risk is Risk.read and looking and
                                                                (c.filled.example_fits or _names_a_listed_name(c))))
               and not c.filled.missing and not c.filled.ties
               and plausible(c) and one_clause(c, entities.text, read_from_words=True)
               and (c.spec.risk is Risk.read or
                    (not leaves_a_target(c, targets) and _says_what_to_change(c, entities.wording)))
               and not not_the_way_back(c, entities.wording)]
    if not fitting:
        return []
    ranked = sorted(fitting, key=lambda c: (values_left(c, values), -c.filled.pattern_fits, -len(c.filled.args)))
    best = ranked[0]
    key = (values_left(best, values), -best.filled.pattern_fits, -len(best.filled.args))
    tied = [c for c in ranked[1:] if key == (values_left(c, values), -c.filled.pattern_fits, -len(c.filled.args))]
    if tied and looking:  # "check whether 'config/x' still exists": an order to look reads, of those that take it
        reads = [c for c in [best, *tied] if c.spec.risk is Risk.read]
        best, tied = (reads[0], []) if len(reads) == 1 else (best, tied)
    if tied:
        return []
    if best.spec.risk is Risk.danger:
        return []  # what cannot be undone is never found by its values alone ("keep X 3.9.0 around")
    if best.spec.risk is not Risk.read and verb_twin(best, scored):
        return []  # "1203-CTY2 can run when it's ready": a hold or its release, and no verb to say which
    best.by_values = True
    best.labels.append("its parameters are the only ones that take the request's values")
    return [best]


# --- the planner -----------------------------------------------------------------------------
