"""Scoring one tool against a request: its own words (name, description, keywords, aliases), their
synonyms, typos and abbreviations, its action in an order's verb place, and the values it takes
(`bot.agent.arguments`). Every point comes with a label, so a plan's `reason` says what matched.

Why apart from `bot.agent.ranking`: a tool's score depends on that tool and the request only, so
it is cached per pair; the ranking then compares the scores and decides what was asked for."""

from __future__ import annotations

import functools
import itertools
import re
from dataclasses import replace

from rapidfuzz.distance import OSA

from chatops.bot.agent.actions import shadowed
from chatops.bot.agent.amount_orders import puts_in_a_listed_state, same_way, sets_a_listed_value
from chatops.bot.agent.arguments import fill_arguments
from chatops.bot.agent.candidate import Candidate
from chatops.bot.agent.clauses import without_until_clauses
from chatops.bot.agent.entities import (
    STOPWORDS,
    Entities,
    is_english,
    name_words,
    stem,
    words_of,
)
from chatops.bot.agent.enums import value_pattern
from chatops.bot.agent.filled import ENTITY_KINDS, Filled
from chatops.bot.agent.lexicon import (
    ACTION_CLASSES,
    BEGINNING_VERBS,
    CHANGE_CLASSES,
    DETERMINERS,
    LIGHT_VERBS,
    LOOK_VERBS,
    PARTICLES,
    RELATED_CLASSES,
    SYNONYMS,
    synonym_class,
)
from chatops.bot.agent.param_kinds import parameters
from chatops.bot.agent.phrasal import becomes_what_it_makes, phrasal_action, says_the_phrasal_action
from chatops.bot.agent.phrases import at_verb, clause_tokens, phrase_positions, synonym_span, verb_place
from chatops.bot.agent.tool_words import (
    abbreviation_of,
    begun_event,
    description_verb,
    joined_verb,
    keyword_sources,
    own_keywords,
    own_name_words,
    skeleton_of,
    summary_stems,
    tool_vocabulary,
    typo_of,
)
from chatops.bot.agent.unseen_verbs import again_asked, stops_doing, unseen_verb_for, verb_class
from chatops.bot.agent.verb_senses import is_verb
from chatops.bot.agent.weights import (
    DESCRIPTION_CAP,
    DESCRIPTION_POINTS,
    MISSING_REQUIRED_PENALTY,
    SYNONYM_POINTS,
    WORD_POINTS,
)
from chatops.bot.model import Risk
from chatops.tools.registry import ToolSpec

_SCORED: dict[tuple[int, str], tuple[ToolSpec, Candidate]] = {}
_SCORED_LIMIT = 4096


# the object of an order that points at what was just looked at or done
_POINTING = frozenset({"it", "them", "that", "this", "those", "these"})


def score_tool(spec: ToolSpec, entities: Entities) -> Candidate:
    """The transparent score of one tool for one request. One plan scores the same tool on the
    same words several times (the check whether meaning is needed, the ranking, a clause's own
    ranking, the negation and action checks), so a score is kept by tool and text; each caller gets
    its own copy of the parts a ranking adds to (the entities are read from the text alone, and
    `Filled` is never changed after it is made)."""
    key = (id(spec), entities.text)
    kept = _SCORED.get(key)
    if kept is None or kept[0] is not spec:
        if len(_SCORED) >= _SCORED_LIMIT:
            _SCORED.clear()
        kept = _SCORED[key] = (spec, _score_tool(spec, entities))
    candidate = kept[1]
    return replace(candidate, labels=list(candidate.labels), matched=list(candidate.matched))


def forget_scores() -> None:
    """Drop the kept scores (a benchmark timing plans of the same words, one after another)."""
    _SCORED.clear()


def _score_tool(spec: ToolSpec, entities: Entities) -> Candidate:
    labels: list[str] = []
    matched: list[str] = []
    score = 0.0
    verb_hit = False
    action_hit = False  # the tool's action itself (its verb, not a subject word) in the verb's place
    subject_opens = False
    phrases: dict[str, list[str]] = {}
    names = name_words(spec)
    own_names = own_name_words(spec)  # without an MCP server's name: `deploys_freeze_deploys` acts by "freeze"
    lead = description_verb(spec.summary)
    joined = _joined_forms(joined_verb(spec.summary))  # "Isolate a CCR and lock it off": "lock it off" asks for it
    for word in [*names, *spec.keywords, *([lead] if lead else []), *joined]:
        phrases.setdefault(" ".join(words_of(word)), [stem(w) for w in words_of(word)])
    # the verb the tool's author opened an example request with ("run checkout_flow.js on perf …")
    # is how users ask for it, light verb or not, where an order puts its verb
    example_verbs = {words[0] for example in spec.examples if (words := words_of(example))
                     and words[0].isalpha() and words[0] not in STOPWORDS and words[0] not in phrases}
    for word in example_verbs:
        phrases[word] = [stem(word)]
    single = frozenset(phrase[0] for phrase in phrases.values() if len(phrase) == 1)
    modifiers = {stem(str(value)) for param in parameters(spec) for value in param.enum
                 if isinstance(value, str) and value.isalpha()}
    takes_a_number = any(param.kind in ("int", "number") for param in parameters(spec))
    described = summary_stems(spec.summary)
    clauses = clause_tokens(without_until_clauses(entities.wording), single | described)
    known = set(single | described)
    # "heatng" is one slip from "heating", two from its stem "heat": slips are measured on the words as written
    written = {text: phrase[0] for text, phrase in phrases.items() if len(phrase) == 1 and " " not in text}
    either = known | set(written)
    as_typed = _as_typed(entities.wording)
    clauses = [[token if token in known else (_slip_of(token, either, written, as_typed.get(token))
                                              or abbreviation_of(token, known) or skeleton_of(token, single) or token)
                for token in clause] for clause in clauses]  # "restrat": "restart"; "cert": "certificate"; "fwd"
    tokens = [token for clause in clauses for token in clause]
    covered: set[int] = set()
    synonyms_hit: set[str] = set()
    for text, phrase in sorted(phrases.items(), key=lambda item: -len(item[1])):
        if not phrase:
            continue
        positions = phrase_positions(phrase, tokens)
        fresh = [p for p in positions if not covered.intersection(range(p, p + len(phrase)))]
        if text in example_verbs:
            fresh = [p for p in fresh if at_verb(p, clauses)]
        if not fresh:
            continue
        covered.update(range(fresh[0], fresh[0] + len(phrase)))
        # a word of the tool's name that names another action than its verb ("release" in
        # `revert_release`) is its object: half points, and never its verb position; unless the
        # description opens with it (`redis_delete_keys`: "Delete every Redis key …")
        foreign = text in own_names[1:] and synonym_class(text) in ACTION_CLASSES and \
            synonym_class(text) != synonym_class(own_names[0] if own_names else "") and \
            synonym_class(text) != synonym_class(lead or "") and \
            not (text == own_names[-1] and _ends_with_its_action(own_names, lead)) and \
            begun_event(own_names) is None  # `start_shutdown` shuts down
        # a keyword that is also a common word ("now" for a clock), or a light verb ("make" of
        # `make_bucket_private`: "make ci-runner-2 a large"), is weak evidence
        common = len(phrase) == 1 and (text in STOPWORDS or text in LIGHT_VERBS) and text not in example_verbs \
            and not _ends_the_name(text, own_names)
        # "stop printing the sports section": the activity stops, not the tool's thing (`stop_press`)
        common = common or (text == "stop" and (ceasing := stops_doing(entities.wording)) is not None
                            and stem(ceasing.split()[1]) not in {stem(word) for word in names})
        if common and text in LIGHT_VERBS and (phrasal := phrasal_action(spec.summary)) and \
                not says_the_phrasal_action(phrasal, clauses):
            continue  # "let TA.S1 take hall calls again" for "Take an elevator car out of group service"
        points = WORD_POINTS / 2 if foreign or common else WORD_POINTS
        score += points
        matched.append(text)
        labels.append(f"+{points:g} {text!r}")
        for clause in clauses:
            for position in phrase_positions(phrase, clause):
                # "hard reset it", "soft reboot node-3": one of the tool's own values before its verb
                # says how to act, and the verb still opens the order
                in_verb_place = verb_place(clause, position) or (
                    position > 0 and clause[position - 1] in modifiers and verb_place(clause, position - 1))
                # "5 replicas": a quantity asked for, of a tool that takes one ("340 calls in the past
                # hour" asks nothing of a tool with no number to set)
                counted = position > 0 and clause[position - 1].isdigit() and takes_a_number
                if ((in_verb_place and not foreign) or counted) and not common:
                    verb_hit = True
                    # "5 replicas" asks for a quantity; otherwise the word must be the tool's action
                    acts = counted or (in_verb_place and (text in example_verbs or text in joined)) or \
                        (in_verb_place and text in _action_words(own_name_words(spec), lead, own_keywords(spec))
                         and (text not in LIGHT_VERBS or _ends_the_name(text, own_names))
                         and not (text == _event_noun(own_names, lead) and
                                  not _acts_on_a_value(text, entities, spec)))
                    action_hit = action_hit or acts
                    subject_opens = subject_opens or (len(clauses) == 1 and position == 0 and not acts)
    verbs = {*own_names[:1], *([lead.lower()] if lead else [])}
    for word in _synonym_sources(spec):
        cls = verb_class(word) if word in verbs else synonym_class(word)  # "close": the class of "shut down"
        if cls is None or cls in synonyms_hit or any(synonym_class(m) == cls for m in matched):
            continue
        # every way the request says it; one counts, preferring one that stands where an order
        # puts its verb ("shrink payments to 2 pods": "shrink", not "pods"), then the longest
        inside_longer = shadowed(tuple(tokens), cls)
        spans = [(synonym, found) for synonym in SYNONYMS[cls]
                 if (found := synonym_span(synonym, tokens, covered)) is not None and found not in inside_longer]
        if not spans:
            continue
        ordered = sorted(spans, key=lambda item: (not at_verb(item[1][0], clauses), -len(item[0].split())))
        synonym, (start, end) = ordered[0]
        covered.update(range(start, end))
        synonyms_hit.add(cls)
        score += SYNONYM_POINTS
        matched.append(synonym)
        labels.append(f"+{SYNONYM_POINTS:g} {synonym!r} (means {word!r})")
        if at_verb(start, clauses) or (start > 0 and tokens[start - 1].isdigit()):
            verb_hit = True
            # a synonym of a change in the verb's place ("scale", "bounce", "shrink"; not "backed up")
            action_hit = action_hit or cls in CHANGE_CLASSES
    phrasal = phrasal_action(spec.summary) or (phrasal_action(spec.summary, any_verb=True)
                                               if spec.risk is not Risk.read else None)
    if phrasal and says_the_phrasal_action(phrasal, clauses):  # "pull telnyx-fra out of service"
        score += WORD_POINTS
        matched.append(" ".join(phrasal))
        labels.append(f"+{WORD_POINTS:g} moves it {' '.join(phrasal)!r} as its description does")
        verb_hit = action_hit = True
    if not action_hit:  # "suspend tls.api-2025" for a tool that disables keys: a related action, half points
        own_classes = {synonym_class(word) for word in _synonym_sources(spec)} & ACTION_CLASSES
        for cls in sorted(set().union(*(RELATED_CLASSES.get(own, frozenset()) for own in own_classes)) - own_classes):
            inside_longer = shadowed(tuple(tokens), cls)
            spans = [(synonym, found) for synonym in SYNONYMS[cls]
                     if (found := synonym_span(synonym, tokens, covered)) is not None and found not in inside_longer
                     and at_verb(found[0], clauses)]
            if spans:
                synonym, (start, end) = max(spans, key=lambda item: len(item[0].split()))
                covered.update(range(start, end))
                score += SYNONYM_POINTS / 2
                matched.append(synonym)
                labels.append(f"+{SYNONYM_POINTS / 2:g} {synonym!r} (near its action)")
                verb_hit = action_hit = True
                break
    if not action_hit and spec.risk is not Risk.read and (ceasing := stops_doing(entities.wording)) and \
            "suspend" in {synonym_class(word) for word in _synonym_sources(spec)}:
        score += SYNONYM_POINTS  # "stop shipping v5.14.2 to iphone users" halts the rollout
        matched.append(ceasing)
        labels.append(f"+{SYNONYM_POINTS:g} {ceasing!r} (ceases doing it: a halt)")
        verb_hit = action_hit = True
    if not action_hit and spec.risk is not Risk.read:  # "restart T1/R03" for `start_belt`
        again = again_asked(own_names[:1], entities.wording)
        # only with the thing to start again named ("restart T1/R03") or pointed at ("rerun it" after
        # its check): "restart the one that stopped" is no order for every tool whose verb is "start"
        if again and (again[2] in _POINTING or fill_arguments(spec, entities).args):
            score += SYNONYM_POINTS
            matched.append(again[0])
            labels.append(f"+{SYNONYM_POINTS:g} {again[0]!r} ({again[1]!r} again, in WordNet)")
            verb_hit = action_hit = True
    if not action_hit and spec.risk is not Risk.read:  # "shut the claims line" for `close_call_queue`
        event = _event_noun(own_names, lead)
        tool_verbs = [*own_names[:1], *([lead.replace(" ", "_")] if lead else []), *sorted(example_verbs),
                      *([event] if event else [])]
        unseen = unseen_verb_for(tool_verbs, entities.wording)
        if unseen and unseen[1] == event and not _acts_on_a_value(unseen[0], entities, spec):
            unseen = None  # "alert the team" for `trigger_alert`: the team is no alert to trigger
        if unseen:
            score += SYNONYM_POINTS
            matched.append(unseen[0])
            labels.append(f"+{SYNONYM_POINTS:g} {unseen[0]!r} (means {unseen[1]!r} in WordNet)")
            verb_hit = action_hit = True
    if not action_hit and spec.risk is not Risk.read and (alike_way := same_way(own_names, lead, entities, spec)):
        score += SYNONYM_POINTS  # "extend vmfs-ds14 to 4 TiB" for `grow_lun`: both ways to increase
        matched.append(alike_way)
        labels.append(f"+{SYNONYM_POINTS:g} {alike_way!r} (changes the amount the same way, in WordNet)")
        verb_hit = action_hit = True
    vocabulary = set(tokens)
    # compound words: "nslookup" holds "lookup", "healthcheck" holds "check" (half points)
    for word in name_words(spec):
        if len(word) >= 4 and word not in matched:
            # ("heatng" is a slip of "heating", the word's own form, not a compound holding "heat")
            forms = {f"{word}{ending}" for ending in ("ing", "ed", "er", "ers", "es", "s")}
            compounds = [t for t in words_of(entities.wording) if t != word and len(t) > len(word)
                         and (t.startswith(word) or t.endswith(word)) and re.fullmatch(r"[a-z]+", t)
                         and not any(OSA.distance(t, form, score_cutoff=1) <= 1 for form in forms)]
            if compounds:
                score += WORD_POINTS / 2
                matched.append(compounds[0])
                labels.append(f"+{WORD_POINTS / 2:g} {compounds[0]!r} (holds {word!r})")
    content = set(described)
    content -= {stem(w) for w in matched for w in w.split()}
    description_hits = sorted(content & vocabulary)
    if description_hits:
        points = min(DESCRIPTION_CAP, DESCRIPTION_POINTS * len(description_hits))
        score += points
        labels.append(f"+{points:g} description {description_hits}")
    filled = fill_arguments(spec, entities)
    sets = sets_a_listed_value(own_names, clauses, filled, entities)
    if sets and sets not in matched:  # "cut … back to 800": the order's verb is the evidence
        score += SYNONYM_POINTS
        matched.append(sets)
        labels.append(f"+{SYNONYM_POINTS:g} {sets!r} (gives the new value after 'to')")
    elif not action_hit and (sets := puts_in_a_listed_state(spec, clauses, filled, entities)):
        score += SYNONYM_POINTS  # "keep 03/055 on the night plan": a value it lists, put on with a light verb
        matched.append(sets)
        labels.append(f"+{SYNONYM_POINTS:g} {sets!r} (puts it on a value it lists)")
    verb_hit = verb_hit or filled.verb_value or bool(sets)
    action_hit = action_hit or filled.verb_value or bool(sets)
    if not action_hit and spec.risk is not Risk.read and (outcome := becomes_what_it_makes(spec.summary, clauses)):
        score += SYNONYM_POINTS  # "c2@oakfield can go cold now" for a change that "cools to cold"
        matched.append(outcome)
        labels.append(f"+{SYNONYM_POINTS:g} {outcome!r} (the state its description brings it to)")
        verb_hit = action_hit = True
    if not action_hit and spec.risk is not Risk.read and _kills_it(spec, clauses, filled):
        score += SYNONYM_POINTS / 2
        matched.append("kill")
        labels.append(f"+{SYNONYM_POINTS / 2:g} 'kill' (a stop of the thing it names)")
        verb_hit = action_hit = True
    score += filled.fit
    labels += [f"fits {label}" for label in filled.fit_labels]
    # Only a missing parameter of an entity kind counts against the tool: any word can be a
    # service name, but a missing URL means the request is probably not about this tool. (A
    # missing enum value does not either: "restart the database" should ask which unit.)
    typed = [p.name for p in filled.missing if p.kind in ENTITY_KINDS]
    if typed:
        penalty = MISSING_REQUIRED_PENALTY * len(typed)
        score -= penalty
        labels.append(f"-{penalty:g} missing {typed}")
    return Candidate(spec, round(score, 2), matched, filled, verb_hit, labels, action_hit=action_hit,
                     described=bool(description_hits), subject_opens=subject_opens and not action_hit)


def _slip_of(token: str, vocabulary: set[str], written: dict[str, str], typed: str | None = None) -> str | None:
    """The stem a typing slip stands for, the slip measured against the tool's stems and its words
    as written alike (one pass): a written word gives its stem. A stem cut shorter than the word
    typed is measured as typed too: "opne" stems to "opn", three letters no slip rule reads, yet it
    is one swap from "open" (while "lates" stems to "lat", which is "late": a word, no slip)."""
    found = typo_of(token, vocabulary)
    if found is None and typed is not None and len(token) < 4 <= len(typed) and not is_english(token):
        found = typo_of(typed, vocabulary)
    return written.get(found, found) if found is not None else None


@functools.lru_cache(maxsize=1024)
def _as_typed(wording: str) -> dict[str, str]:
    """Each stem of the request's words with the word it was typed as (the first, when several
    words share a stem)."""
    typed: dict[str, str] = {}
    for word in words_of(wording):
        typed.setdefault(stem(word), word)
    return typed


# Verbs that only say "make a new X": with one of them, the X is the action ("add_comment": comment
# on a ticket; "create_tag": tag a commit; "send_page": page someone).
_GENERIC_VERBS = frozenset({"add", "create", "make", "set", "put", "send", "post", "give", "write", "leave", "do",
                            "new", "open", "file", "raise", "log"})


def _action_words(names: list[str], lead: str | None, keywords: tuple[str, ...] = ()) -> set[str]:
    """The words that name a tool's action: its description's first word when it has one ("Reload
    nginx on a host" for `nginx_reload`), its name's first word when that is the same action or
    there is no description verb, its name's words that are actions of their own class, the
    keywords its author gave that are not its name's nouns ("bounce" for `restart_service`), and,
    when its verb only says "add" or "create", the thing it adds used as a verb ("comment on HD-1")."""
    found = {lead} if lead else set(names[:1])
    if (lead or (names[0] if names else "")).lower() in _GENERIC_VERBS and len(names) == 2:
        found.add(names[1])
    elif (event := _event_noun(names, lead)) is not None:
        found.add(event)  # `start_defrost`: "defrost CAIU5540219" starts the defrost
    # a `noun_verb` name (`cfg_get`, `kv_put`) opens with what it acts on: that keyword is no action
    noun_first = len(names) >= 2 and _ends_with_its_action(names, lead)
    found.update(" ".join(words_of(keyword)) for keyword in keywords
                 if keyword.lower() not in names[1:] and not (noun_first and keyword.lower() == names[0]))
    lead_class = synonym_class(lead) if lead else None
    for word in names:
        cls = synonym_class(word)
        if (word == (names[0] if names else None) and (not lead or stem(word) == stem(lead) or
                                                     (cls is not None and cls == lead_class))) or cls in ACTION_CLASSES:
            found.add(word)
    return found


def _event_noun(names: list[str], lead: str | None) -> str | None:
    """The noun of a two-word name that is a verb beginning something and a noun English also uses
    as the verb of doing it (`start_defrost`, `trigger_failover`, `run_backup`), by WordNet."""
    event = begun_event(names)
    if event is None or (lead or names[0]).lower() not in BEGINNING_VERBS or \
            not (is_verb(event.lower()) or _phrasal_parts(event)):
        return None
    return event


def _phrasal_parts(noun: str) -> tuple[str, str] | None:
    """A noun written as a verb and its particle in one word, which English says as the phrasal
    verb: "lockdown" is "lock down", "failover" "fail over", "shutdown" "shut down"."""
    noun = noun.lower()
    for particle in PARTICLES:
        verb = noun[: -len(particle)]
        if noun.endswith(particle) and len(verb) >= 3 and is_verb(verb):
            return verb, particle
    return None


def _acts_on_a_value(verb: str, entities: Entities, spec: ToolSpec) -> bool:
    """Whether the request's verb (the event's noun used as a verb) has for its object a value the
    tool takes: "defrost C2" defrosts C2; "alert the team about C2" alerts the team, "report it to
    me" tells me, and neither starts the tool's alert or report."""
    values = {str(value).lower() for value in fill_arguments(spec, entities).args.values()
              if not isinstance(value, bool)}
    words = words_of(entities.text)
    at = next((index for index, word in enumerate(words)
               if word.replace("-", "") == verb.lower().replace("-", "")), None)  # "de-ice" is "deice"
    if at is None and (parts := _phrasal_parts(verb)):  # "lock down northgate" for `start_lockdown`
        at = next((index + 1 for index, pair in enumerate(itertools.pairwise(words)) if pair == parts), None)
        if at is None:  # "shut L2 down": the object between the verb and its particle
            at = next((index for index, word in enumerate(words[:-2])
                       if word == parts[0] and parts[1] in words[index + 2:index + 4]), None)
    if at is None:
        return False
    after = " ".join(word for word in words[at + 1: at + 5] if word not in ("the", "a", "an"))
    # a value of several words counts whole ("lock down st mary's" for `st_marys`)
    return any(re.match(value_pattern(value), after, re.IGNORECASE) for value in values)


def _ends_with_its_action(names: list[str], lead: str | None) -> bool:
    """Whether a name's last word is the tool's action: its description's verb or of that verb's
    class ("Delete a setting" for `cfg_drop`), or a light or look verb (`kv_put`, `cfg_get`)."""
    last = names[-1].lower()
    if len(names) == 2 and (last in LIGHT_VERBS or last in LOOK_VERBS):  # not `cancel_ci_run`
        return True
    return lead is not None and (stem(last) == stem(lead) or
                                 (synonym_class(last) is not None and synonym_class(last) == synonym_class(lead)))


def _ends_the_name(word: str, own_names: list[str]) -> bool:
    """A light verb that ends a `noun_verb` name is that tool's action (`kv_put`, `cache_get`,
    `config_set`: put into the KV store), not the light verb of some other order ("make it an XL"
    for `make_bucket_private`, whose light verb opens its name)."""
    return len(own_names) >= 2 and own_names[-1] == word and word not in own_names[:-1]


def _kills_it(spec: ToolSpec, clauses: list[list[str]], filled: Filled) -> bool:
    """ "H14f is icing the cat track, kill it", "kill L2": "kill" of the running thing the change stops
    (pointed at, one of its values, or its own words) asks for the stop; "kill the order for L2"
    calls off an order (the lexicon's "revoke"), and stops nothing."""
    if "shutdown" not in {synonym_class(word) for word in _synonym_sources(spec)}:
        return False
    values = {str(value).lower() for value in filled.args.values() if not isinstance(value, bool)}
    own = tool_vocabulary(spec)
    for clause in clauses:
        for at, token in enumerate(clause):
            if token != "kill" or not verb_place(clause, at):
                continue
            named = [word for word in clause[at + 1: at + 4] if word not in DETERMINERS][:2]
            if named and (named[0] in _POINTED or any(word in values or word in own for word in named)):
                return True
    return False


_POINTED = _POINTING | {stem(word) for word in ("anything", "everything", "all")}  # "don't kill anything"


def _joined_forms(verb: str | None) -> list[str]:
    """A phrasal verb as people say it, with its object between or after ("lock it off", "lock off")."""
    if verb is None:
        return []
    action, particle = verb.split()
    return [verb, f"{action} it {particle}", f"{action} them {particle}"]


def _synonym_sources(spec: ToolSpec) -> tuple[str, ...]:
    """The tool's words whose synonyms count: its verb (the first word of its name), its
    description's verb when that is an action ("Delete a snapshot for good" for `drop_snapshot`),
    and its keywords with any class; its other name words only for subject classes ("replicas")."""
    lead = description_verb(spec.summary)
    sources = keyword_sources(spec.name, spec.keywords)
    if lead and lead.lower() not in sources and verb_class(lead.lower()) in ACTION_CLASSES:
        return (*sources, lead.lower())
    return sources
