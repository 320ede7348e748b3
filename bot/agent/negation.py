"""What a request rules out: "don't restart anything, just tell me if X is up", "do NOT drain
node-7 yet, list the pods first", "without touching the repo, …".

Getting this wrong is worse than planning nothing, so a ruled-out action is taken away twice:
its words leave the text the planner ranks (`split_negations`), and every tool the negated part
names, by its words, a typo of them or its meaning, is withheld from that request
(`ruled_out`). A negated part that says not to change anything at all ("without touching",
"don't change anything") withholds every tool that changes something. The review after planning
applies the same rule to any planner (`bot.agent.review`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from chatops.bot.agent.actions import asked_actions, tool_actions
from chatops.bot.agent.entities import extract_entities, identifier_words, stem, words_of
from chatops.bot.agent.lexicon import CHANGE_VERBS, LOOK_VERBS, MUTATING_VERBS, NEGATION, REFERENCES, STOPWORDS
from chatops.bot.agent.param_kinds import Param, parameters
from chatops.bot.agent.phrases import words_at_verb_place
from chatops.bot.agent.ranking import Meaning
from chatops.bot.agent.tool_score import score_tool
from chatops.bot.agent.tool_words import action_stems, tool_vocabulary, typo_of
from chatops.bot.agent.verb_senses import is_verb, kin
from chatops.bot.model import Plan, Risk
from chatops.tools.registry import ToolSpec

_TARGET = re.compile(r"[/@]|\w\.\w")  # a path, a URL, a host, a unit@instance: kept from a negated part
# ... and a name like "mx2" or "web-1" when the rest points back at it ("don't drop the mail on mx2,
# retry it instead"), not when the rest names its own ("do NOT drain node-7, list the pods in payments")
_NAME = re.compile(r"[A-Za-z]-?\d|\w-\w")
_CHANGE_STEMS = frozenset(stem(word) for word in CHANGE_VERBS | MUTATING_VERBS) - frozenset({stem("check")})
# verbs of looking at something: negated, they forbid the read of what they name
_LOOKING = frozenset(stem(word) for word in (*LOOK_VERBS, "look", "read", "tail", "pull", "cat", "view", "peek",
                                             "open", "dump", "query"))
RULED_OUT_SIMILARITY = 0.35  # a negated part this close in meaning to a tool rules it out


@dataclass(frozen=True)
class Negations:
    text: str  # the request without its negated parts
    spans: tuple[str, ...]  # the negated parts, each from its verb to the end of its clause


def split_negations(text: str) -> Negations:
    """The request with each negated part blanked out, and those parts."""
    spans = []
    kept = text
    rest = set(words_of(NEGATION.sub(" ", text)))
    names_kept = bool(rest & REFERENCES)
    for match in NEGATION.finditer(text):
        span = match.group("span").strip()
        if span:
            spans.append(span)
        start, end = match.span()
        # the negated words go; what they were about stays ("dont reset anything in /srv/repo, only
        # show the staged diff": the path is the staged diff's too)
        kept_part = " ".join(word for word in match.group(0).split()
                             if _TARGET.search(word) or (names_kept and _NAME.search(word)))
        kept = kept[:start] + kept_part.ljust(end - start) + kept[end:]
    return Negations(" ".join(kept.split()) if spans else text, tuple(spans))


def ruled_out(negations: Negations, tools: list[ToolSpec], meaning: Meaning | None = None) -> dict[str, str]:
    """The tools a negated part forbids, each with the words that forbid it."""
    forbidden: dict[str, str] = {}
    for span in negations.spans:
        words = {stem(word) for word in words_of(span)}
        # "don't touch anything else" leaves the rest of the request to do
        # "don't touch the bank file, just recalc …" names what not to change: not everything
        change_anything = bool(words & {stem(word) for word in CHANGE_VERBS}) and \
            not {"else", "other", "others"} & set(words_of(span)) and not _names_its_object(span)
        entities = extract_entities(span)
        similarity = dict(meaning(span)) if meaning is not None else {}
        closest = max(similarity.values(), default=0.0)
        hits = {spec.name: words & tool_vocabulary(spec) for spec in tools}
        # "don't add anything to grafana, just show the annotations": a part that forbids a change
        # names what it is about, not every read of it; a read goes only when its own action is named
        forbids_a_change = bool(words & _CHANGE_STEMS)
        verbs = {stem(word) for word, _ in words_at_verb_place(span) if is_verb(word)}
        span_actions = asked_actions(span)
        for spec in tools:
            if spec.risk is Risk.read and forbids_a_change and not hits[spec.name] & action_stems(spec):
                continue
            # "do NOT change the quota, just tell me how much kpatel uses", "don't schedule a bin emptying,
            # just tell me how full bin-3 is": a read goes only when the part's verb is its own action
            # ("don't check web-1") or a verb of looking ("don't tail / read / pull the syslog");
            # naming what it reads ("quota" of `quota_usage`, "bin") under a change's verb is no order
            if spec.risk is Risk.read and not hits[spec.name] & action_stems(spec) & verbs:
                if not verbs & _LOOKING or span_actions:  # "don't get rid of …" is no look
                    continue
                looked_at = score_tool(spec, entities).filled
                if set(looked_at.args) - looked_at.guessed:  # "don't look at the syslog": a value it reads
                    forbidden.setdefault(spec.name, span)  # (not a plain word guessed: "pull" as a pool)
                    continue
            if words & _flag_words(spec) and not words & action_stems(spec):
                continue  # "cancel B-1207 without notifying the guest", "don't touch the console": about a flag
            vocabulary = tool_vocabulary(spec)
            # "don't take a heap dump, just the threads": the span names `jvm_heap_dump` by two
            # words and `jvm_thread_dump` by one of the same, a subject word: only the one it names
            # more exactly. A shared action word rules out both ("don't restart nginx" rules out
            # `restart_service` beside `nginx_restart`): the review's safety net stays whole.
            outnamed = not hits[spec.name] & action_stems(spec) and \
                any(hits[spec.name] < other for other in hits.values())
            named = bool(words & vocabulary) or any(typo_of(word, vocabulary) for word in words)
            if not named:
                named = bool(score_tool(spec, entities).verb_hit)
            by_action = spec.risk is not Risk.read and bool(span_actions & set(tool_actions(spec)))
            named = named or by_action  # "don't get rid of the messages": a delete, by its phrase
            outnamed = outnamed and not by_action
            by_meaning = similarity.get(spec.name, 0.0) >= max(RULED_OUT_SIMILARITY, closest - 0.02)
            if ((named or by_meaning) and not outnamed) or (change_anything and spec.risk is not Risk.read):
                forbidden.setdefault(spec.name, span)
    return forbidden


# what stands for "anything at all" after a negated change ("don't touch anything in prod")
_ANYTHING = frozenset({"anything", "everything", "nothing", "any", "single", "stuff", "prod", "production", "it",
                       "them"})


def _names_its_object(span: str) -> bool:
    """Whether a negated change names what it leaves alone ("touch the bank file") rather than
    anything at all ("touch anything", "change a thing in prod", "touching")."""
    words = words_of(span)
    change = {stem(word) for word in CHANGE_VERBS}
    at = next((index for index, word in enumerate(words) if stem(word) in change), None)
    rest = [word for word in words[at + 1:] if word not in STOPWORDS] if at is not None else []
    return bool(rest) and not set(rest) & _ANYTHING


def flags_turned_off(negations: Negations, plan: Plan, tools: list[ToolSpec]) -> Plan:
    """The one-step plan with a flag that is on unless turned off set to false where a negated part
    says not to do what the flag does: "cancel P-2291107 without telling the customer" for
    `notify_customer` (default true; telling is a way to notify, by WordNet), "don't keep the
    console open" for `keep_console`. The negated part left the text the planner ranked, so the
    arguments it filled never saw it. Its verb must be the flag's: "don't forget to tell them"
    asks for the telling, "don't touch the console" keeps it, "without delay" names no action;
    and it must not name another target than the step's ("don't retry the crm one")."""
    if len(plan.steps) != 1:
        return plan
    step = plan.steps[0]
    spec = next((spec for spec in tools if spec.name == step.tool), None)
    if spec is None:
        return plan
    others = _other_values(spec, step.args)
    rest = words_of(negations.text)
    # the rest's words, but a subject told a state ("the brigade's already here", "members are in")
    left = {stem(word) for at, word in enumerate(rest)
            if not (at + 1 < len(rest) and rest[at + 1].lower() in _TELLING) and not word.lower().endswith("'s")}
    for param in _flags_on_unless_off(spec):
        own = {stem(word) for word in identifier_words(param.name) if len(word) >= 3}
        # the negated part is the request's own word on it, above a word of the rest read as "on" ("we'll
        # post on the status page"), but not above the rest naming the flag itself ("just notify them",
        # "email the members, don't call them"); its object told a state there is no order ("the
        # brigade's already here, don't call them")
        if own & left:
            continue
        if step.args.get(param.name) is not False and any(_turns_off(span, param.name, _lead_verbs(param))
                                               and not set(words_of(span)) & others
                                               and _refuses_its_own(span, param, spec) for span in negations.spans):
            step.args[param.name] = False
            told = step.reason.replace(f", {param.name} true", "")
            step.reason = f"{told}; {param.name} false, as the request says not to"
    return plan


def _refuses_its_own(span: str, param: Param, spec: ToolSpec) -> bool:
    """Whether a negated part is about the flag's own object, not another one the tool names: "don't
    email the members" turns `notify_members` off and leaves `notify_staff` on; "don't message me"
    is about the one asking. (Whether "the doctors" are the `clinicians` a flag pages is left to
    the verb: the table of English knows verbs, not nouns.)"""
    if set(words_of(span)) & _SPEAKERS:
        return False  # "don't message me": the one asking, not who the flag tells
    own = _objects(param.name)
    named = {stem(word) for word in words_of(span)[1:] if word not in STOPWORDS}
    others = {word for other in parameters(spec) if other.name != param.name for word in _objects(other.name)} - own
    return bool(own & named) or not (others & named)


def _objects(name: str) -> set[str]:
    """The stemmed words a parameter's name gives its object: "members" of `notify_members`."""
    words = identifier_words(name)
    return {stem(word) for word in (words[1:] if words and is_verb(words[0]) else words) if len(word) >= 3}


_TELLING = frozenset({"is", "are", "was", "were", "s", "has", "have", "had", "already"})
_SPEAKERS = frozenset({"me", "us", "myself", "ourselves", "you"})


def _flags_on_unless_off(spec: ToolSpec) -> list[Param]:
    return [param for param in parameters(spec)
            if param.kind == "bool" and not param.required and param.schema.get("default") is True]


def _flag_words(spec: ToolSpec) -> frozenset[str]:
    """The stemmed name words of the tool's flags that are on unless turned off."""
    return frozenset(stem(word) for param in _flags_on_unless_off(spec)
                     for word in identifier_words(param.name) if len(word) >= 3)


def _other_values(spec: ToolSpec, args: dict[str, object]) -> set[str]:
    """The listed values of the tool's parameters other than those the step takes (lower case)."""
    return {str(value).lower() for param in parameters(spec) for value in param.enum
            if str(value).lower() not in {str(given).lower() for given in args.values()}}


def _turns_off(span: str, flag: str, described: tuple[str, ...] = ()) -> bool:
    """Whether a negated part opens with the flag's action: its first word ("telling", "keep")
    is, or is a kind of the same action as, a verb of the flag's name, or is the verb its
    description opens with ("Text and email every booked passenger": "don't text the passengers")."""
    words = words_of(span)
    if words and words[0] in described:
        return True
    if not words or not is_verb(words[0]):
        return False
    return any(is_verb(part) and kin(words[0], part) for part in identifier_words(flag) if len(part) >= 3)


_DETERMINERS = frozenset({"the", "a", "an", "every", "each", "all", "any", "their", "its", "our", "your"})


def _lead_verbs(param: Param) -> tuple[str, ...]:
    """The verbs a flag's description opens with: "Text and email every booked passenger" →
    ("text", "email"); none when it opens with anything but a verb ("Whether …", "If true …")."""
    words = words_of(str(param.schema.get("description", "")))[:4]
    if not words or words[0] in STOPWORDS:
        return ()
    # a word joined to a verb by "and" is a verb too ("Text and email": WordNet 3.0 knows no "text" verb)
    joined = len(words) >= 3 and words[1] in ("and", "or") and is_verb(words[2])
    # a description that opens with a word and then its object's determiner gives an order, so the
    # word is its verb ("Text every parent that …", "Page the duty manager")
    ordering = len(words) >= 2 and words[1] in _DETERMINERS
    if not is_verb(words[0]) and not joined and not ordering:
        return ()
    return (words[0], words[2]) if joined else (words[0],)


# "88.6 is on reserve", "the main tx's on reserve": a subject and a copula open the text
