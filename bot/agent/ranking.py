"""Ranking tools for a request (their arguments are found by `bot.agent.arguments`).

Every point a tool scores comes with a label, so a plan's `reason` says what matched; see
`bot.agent.guided` for why the ranking, not the embedded model, decides the tool."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import replace

from chatops.bot.agent.actions import asked_actions, change_verbs_asked, shadowed, tool_actions
from chatops.bot.agent.amount_orders import same_way, sets_a_listed_value
from chatops.bot.agent.arguments import fill_arguments
from chatops.bot.agent.brought_back import brought_back, not_the_way_back
from chatops.bot.agent.by_values import by_values, leaves_a_target, target_values, value_for_a_change
from chatops.bot.agent.candidate import Candidate
from chatops.bot.agent.clause_scope import acts_on_another_object
from chatops.bot.agent.clauses import opens_with
from chatops.bot.agent.entities import (
    STOPWORDS,
    Entities,
    extract_entities,
    name_words,
    stem,
    without_quoted,
    words_of,
)
from chatops.bot.agent.filled import ENTITY_KINDS
from chatops.bot.agent.lexicon import (
    ACTION_CLASSES,
    CHANGE_CLASSES,
    EXPLAIN,
    HOW_TO,
    KNOWLEDGE,
    LIGHT_VERBS,
    LOOK_VERBS,
    OPPOSITE_CLASSES,
    QUESTION,
    QUESTION_END,
    RELATED_CLASSES,
    REQUEST_SPLIT,
    SYNONYMS,
    synonym_class,
)
from chatops.bot.agent.moved_to import moved_to_a_value
from chatops.bot.agent.not_asked import undone_writes, writes_told_as_done
from chatops.bot.agent.param_kinds import parameters
from chatops.bot.agent.phrasal import phrasal_action, says_the_phrasal_action
from chatops.bot.agent.phrases import at_verb, clause_tokens, phrase_positions, synonym_span, verb_place
from chatops.bot.agent.tool_words import (
    abbreviation_of,
    description_verb,
    keyword_sources,
    own_keywords,
    own_name_words,
    skeleton_of,
    summary_stems,
    typo_of,
)
from chatops.bot.agent.unseen_verbs import stops_doing, unseen_verb_for, verb_class
from chatops.bot.agent.weights import (
    ACTION_POINTS,
    ACTION_SIMILARITY,
    CLEAR_MARGIN,
    DESCRIPTION_CAP,
    DESCRIPTION_POINTS,
    MIN_SCORE,
    MIN_SIMILARITY,
    MISSING_REQUIRED_PENALTY,
    SIMILARITY_FLOOR,
    SIMILARITY_POINTS,
    SIMILARITY_TIE,
    SYNONYM_POINTS,
    WORD_POINTS,
)
from chatops.bot.model import Risk
from chatops.tools.registry import ToolSpec

# --- ranking ---------------------------------------------------------------------------------


def _undoes(candidate: Candidate, asked: frozenset[str]) -> bool:
    """Whether the tool's action is the opposite of every action the request asks for: "resume
    ETL_WH" never suspends it, "keep snap-0042 around" never deletes it, whatever meaning or the
    values say. A tool whose own value is the verb ("unpause" of an op pause/unpause) is exempt."""
    if not asked or candidate.filled.verb_value:
        return False
    own = set(tool_actions(candidate.spec))
    if not own or own & asked:
        return False
    return all(OPPOSITE_CLASSES.get(cls, frozenset()) & own for cls in asked)


_SCORED: dict[tuple[int, str], tuple[ToolSpec, Candidate]] = {}
_SCORED_LIMIT = 4096


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
    for word in [*names, *spec.keywords, *([lead] if lead else [])]:
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
    clauses = clause_tokens(entities.wording, single | described)
    known = set(single | described)
    clauses = [[token if token in known else (typo_of(token, known) or abbreviation_of(token, known)
                                              or skeleton_of(token, single) or token)
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
            not (text == own_names[-1] and _ends_with_its_action(own_names, lead))  # `nginx_reload` reloads
        # a keyword that is also a common word ("now" for a clock), or a light verb ("make" of
        # `make_bucket_private`: "make ci-runner-2 a large"), is weak evidence
        common = len(phrase) == 1 and (text in STOPWORDS or text in LIGHT_VERBS) and text not in example_verbs \
            and not _ends_the_name(text, own_names)
        # "stop printing the sports section": the activity stops, not the tool's thing (`stop_press`)
        common = common or (text == "stop" and (ceasing := stops_doing(entities.wording)) is not None
                            and stem(ceasing.split()[1]) not in {stem(word) for word in names})
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
                    acts = counted or (in_verb_place and text in example_verbs) or \
                        (in_verb_place and text in _action_words(own_name_words(spec), lead, own_keywords(spec))
                         and (text not in LIGHT_VERBS or _ends_the_name(text, own_names)))
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
    phrasal = phrasal_action(spec.summary)
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
    if not action_hit and spec.risk is not Risk.read:  # "shut the claims line" for `close_call_queue`
        tool_verbs = [*own_names[:1], *([lead.replace(" ", "_")] if lead else []), *sorted(example_verbs)]
        unseen = unseen_verb_for(tool_verbs, entities.wording)
        if unseen:
            score += SYNONYM_POINTS
            matched.append(unseen[0])
            labels.append(f"+{SYNONYM_POINTS:g} {unseen[0]!r} (means {unseen[1]!r} in WordNet)")
            verb_hit = action_hit = True
    if not action_hit and spec.risk is not Risk.read and (alike_way := same_way(own_names, lead, entities)):
        score += SYNONYM_POINTS  # "extend vmfs-ds14 to 4 TiB" for `grow_lun`: both ways to increase
        matched.append(alike_way)
        labels.append(f"+{SYNONYM_POINTS:g} {alike_way!r} (changes the amount the same way, in WordNet)")
        verb_hit = action_hit = True
    vocabulary = set(tokens)
    # compound words: "nslookup" holds "lookup", "healthcheck" holds "check" (half points)
    for word in name_words(spec):
        if len(word) >= 4 and word not in matched:
            compounds = [t for t in words_of(entities.wording) if t != word and len(t) > len(word)
                         and (t.startswith(word) or t.endswith(word)) and re.fullmatch(r"[a-z]+", t)]
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
    verb_hit = verb_hit or filled.verb_value or bool(sets)
    action_hit = action_hit or filled.verb_value or bool(sets)
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


def _synonym_sources(spec: ToolSpec) -> tuple[str, ...]:
    """The tool's words whose synonyms count: its verb (the first word of its name), its
    description's verb when that is an action ("Delete a snapshot for good" for `drop_snapshot`),
    and its keywords with any class; its other name words only for subject classes ("replicas")."""
    lead = description_verb(spec.summary)
    sources = keyword_sources(spec.name, spec.keywords)
    if lead and lead.lower() not in sources and verb_class(lead.lower()) in ACTION_CLASSES:
        return (*sources, lead.lower())
    return sources


def _closest(similarity: float, top: float, runner_up: float) -> bool:
    """Whether a tool is the one the request means: the closest, and either close enough or
    clearly closer than any other."""
    if similarity < top - SIMILARITY_TIE:
        return False
    return similarity >= MIN_SIMILARITY or (similarity >= MIN_SIMILARITY - 0.08 and similarity - runner_up >= 0.08)


def _clearly_asked(candidate: Candidate, top_similarity: float, question: bool = False,
                   runner_up: float = 0.0, looking: bool = False,
                   targets: frozenset[tuple[str, ...]] = frozenset()) -> bool:
    """A tool that changes something is only offered when the request asks for that action:
    its action word in an order's verb position ("restart nginx", "can you bounce the worker";
    not its subject: "nginx -t" does not ask for `nginx_reload`), two of its words ("the search
    deployment ... 8 pods"), or, by meaning, when it is the tool the request is closest to and
    clearly so ("evacuate node-7" for `drain_node`), and it takes the value the request changes
    something to (`targets`): "change report-mailer's schedule to 07:30" is no run of it now."""
    if candidate.spec.risk is Risk.read:
        return True
    if candidate.action_hit or (len(candidate.matched) >= 2 and not question and not looking):
        return True  # "what action items are open?" names `add_action_item`'s words, and asks for none
    similarity = candidate.similarity
    if looking or candidate.subject_opens:  # "just show me the deferred queue", "errors in checkout-web":
        return False  # an order to look, or a subject named, is not a change found by meaning
    return not question and similarity is not None and similarity >= ACTION_SIMILARITY and \
        similarity >= top_similarity and similarity - runner_up >= SIMILARITY_TIE and \
        not leaves_a_target(candidate, targets)


def _asked_without_its_verb(scored: list[Candidate], wording: str) -> None:
    """Changes an order asks for without their verb: "put svl-03 back in service" for the way back
    its description tells (`unstow_antenna`), "go to backup" for the one change that takes `backup`."""
    back = brought_back(scored, wording)
    moved = moved_to_a_value(scored, wording) if not back else set()
    for candidate in scored:
        if candidate.action_hit or candidate.name not in back | moved:
            continue
        said = "brings it back, as its description says" if candidate.name in back else "moves it to a value it takes"
        candidate.score = round(candidate.score + SYNONYM_POINTS, 2)
        candidate.matched.append("back" if candidate.name in back else "to")
        candidate.labels.append(f"+{SYNONYM_POINTS:g} {said}")
        candidate.verb_hit = candidate.action_hit = True


Meaning = Callable[[str], Mapping[str, float]]
"""The similarity of a text to each tool by meaning, by tool name (`bot.agent.meaning`)."""


def rank_tools(text: str, tools: list[ToolSpec], meaning: Meaning | None = None) -> list[Candidate]:
    """Every tool that could serve the request, best first (score ≥ MIN_SCORE; write-risk
    tools only when clearly asked for). With `meaning`, each tool's similarity to the request
    adds to its score, and a tool with none of its words in the request can still be the
    candidate when it is the closest by meaning and the request holds every argument it needs."""
    entities = extract_entities(text)
    actions = asked_actions(entities.wording)
    scored = [candidate for spec in tools if not _undoes(candidate := score_tool(spec, entities), actions)]
    undone = undone_writes(scored, entities.wording)  # "unarchive inc-5512" archives nothing
    done = writes_told_as_done(scored, entities.wording)  # "we archived inc-5512 already"
    scored = [c for c in scored if c.name not in undone and c.name not in done]
    if not QUESTION.search(text.strip()):
        _asked_without_its_verb(scored, entities.wording)
    offered = {spec.name: spec for spec in tools}
    similarity = {name: value for name, value in (meaning(without_quoted(text)) if meaning is not None else {}).items()
                  if name in offered}
    question = bool(QUESTION.search(text.strip()))
    # the closest tools by meaning among those the request may ask for (a question asks for no change)
    askable = sorted((value for name, value in similarity.items()
                      if not question or offered[name].risk is Risk.read), reverse=True)
    top = askable[0] if askable else 0.0
    runner_up = askable[1] if len(askable) > 1 else 0.0
    for candidate in scored:
        if candidate.name in similarity:
            value = candidate.similarity = similarity[candidate.name]
            points = round(SIMILARITY_POINTS * max(0.0, value - SIMILARITY_FLOOR), 2)
            if points:
                candidate.score = round(candidate.score + points, 2)
                candidate.labels.append(f"+{points:g} similar in meaning ({value:.2f})")
        if candidate.action_hit and candidate.spec.risk is not Risk.read and not question and \
                not candidate.filled.missing:
            # "the cert expires tomorrow, renew it": an action asked for beats a read of the same thing
            candidate.score = round(candidate.score + ACTION_POINTS, 2)
            candidate.labels.append(f"+{ACTION_POINTS:g} its action is asked for")
    # A tool needs one of its own words, or an entity only it could use (a URL, a host, a time
    # zone, a path). An enum value alone does not do: unit names are shared by restart_service
    # and tail_logs, so "nginx" says what the request is about, not what to do with it.
    candidates = []
    for c in scored:
        if c.score >= MIN_SCORE and (c.matched or c.described or c.filled.typed_fit >= 2.0 or c.filled.verb_value
                                     or (c.filled.pattern_fits and c.spec.risk is Risk.read)):
            candidates.append(c)
        elif c.similarity is not None and _closest(c.similarity, top, runner_up) \
                and c.filled.args and not c.filled.missing and not c.filled.ties:
            c.by_meaning = True  # found by meaning alone: only with every argument in the request
            candidates.append(c)
    looking = opens_with(LOOK_VERBS - LIGHT_VERBS, entities.wording)  # "get rid of it" is no look
    targets = target_values(entities)
    asked = [c for c in candidates if _clearly_asked(c, top, question, runner_up, looking, targets)
             and not acts_on_another_object(c, entities.text)
             and (c.action_hit or len(c.matched) >= 2 or not not_the_way_back(c, entities.wording))]
    # a question that names a change's words without asking for it ("who owns the WAF rules?") is
    # not a request for some read its values happen to fit either
    named_a_change = question and len(asked) < len(candidates)
    candidates = asked
    if EXPLAIN.search(text):  # "what does --keep-within do?": knowledge, not a tool's work
        return []
    if _asks_for_knowledge(text, candidates, scored):  # "who owns billing-api?", "what's our refund policy"
        return []
    if HOW_TO.search(text):  # "how do I roll back a release?" asks how, not for the rollback
        if not _asks_more_than_how(text):
            return []  # nor for a read its values happen to fit ("how do I start a postmortem for INC-2291?")
        candidates = [c for c in candidates if c.spec.risk is Risk.read]
    if not candidates and not named_a_change:
        candidates = by_values(scored, entities, question, top)
    elif all(c.filled.missing for c in candidates) and not named_a_change:
        # "check ledger-sync in eu": `tcp_check` has the verb and no port; the job status takes
        # every value the request gives, and leads those that would have to ask for one
        complete = by_values(scored, entities, question, top)
        for candidate in complete:
            candidate.score = max(candidate.score, round(max(c.score for c in candidates) + CLEAR_MARGIN, 2))
        candidates = complete + candidates
    elif not question and not HOW_TO.search(text):
        candidates = value_for_a_change(candidates, scored, entities, top) + candidates
    verbs = change_verbs_asked(entities.wording) | frozenset(undone.values()) \
        if len(REQUEST_SPLIT.split(text)) == 1 else frozenset()
    if verbs:  # "upload a new k6 script": an order for a change no read's words name is no read
        candidates = [c for c in candidates if not _beside_the_change(c, verbs)]
    return sorted(candidates, key=lambda c: (-c.score, tools.index(c.spec)))


def _asks_for_knowledge(text: str, candidates: list[Candidate], scored: list[Candidate]) -> bool:
    """A question about how the team works or who decided (`lexicon.KNOWLEDGE`), unless a tool is
    about its word ("policy", "owns") or a read fetches the record whose id the question gives
    ("who owns HD-900": the record says who)."""
    asked_about = KNOWLEDGE.search(text)
    if asked_about is None:
        return False
    word = stem(words_of(asked_about.group("noun") or asked_about.group("verb"))[0])
    if any(word in {stem(w) for w in words_of(" ".join([c.spec.name, c.spec.summary, *c.spec.keywords]))}
           for c in candidates):
        return False
    return not (asked_about.group("verb") is not None and any(
        (c.filled.example_fits or c.filled.pattern_fits) and any(_record_id(value) for value in c.filled.args.values())
        for c in scored))


def _record_id(value: object) -> bool:
    """A value written like a record's id: letters and digits ("HD-900", "CHG4711"), not a name."""
    return isinstance(value, str) and re.search(r"\d", value) is not None and re.search(r"[A-Za-z]", value) is not None


def _beside_the_change(candidate: Candidate, verbs: frozenset[str]) -> bool:
    """Whether a read was found only by what a change order is about: the order's verb is none
    of the read's own words ("upload a new k6 script" for the read that lists k6 runs)."""
    if candidate.spec.risk is not Risk.read or candidate.action_hit:
        return False
    own = {stem(word) for word in [*name_words(candidate.spec), *candidate.spec.keywords]} | \
        set(summary_stems(candidate.spec.summary))
    return not {stem(verb) for verb in verbs} & own


def _asks_more_than_how(text: str) -> bool:
    """Whether a request that opens with a how-to or hypothetical question asks for something after
    it: "would marking osd.12 out help? whats its health" asks for a look; "how do I open an
    emergency change?" and "would removing jdoe break his cron jobs?" ask for knowledge only."""
    parts = QUESTION_END.split(text.strip(), maxsplit=1)
    return len(parts) == 2 and bool(re.search(r"\w", parts[1]))
