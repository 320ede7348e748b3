"""Ranking tools for a request: which of the scored tools (`bot.agent.tool_score`) the request asks for.

Every point a tool scores comes with a label, so a plan's `reason` says what matched; see
`bot.agent.guided` for why the ranking, not the embedded model, decides the tool."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from chatops.bot.agent.actions import asked_actions, change_verbs_asked, tool_actions
from chatops.bot.agent.brought_back import brought_back, not_the_way_back, way_back_from
from chatops.bot.agent.by_values import by_values, lasting_for, leaves_a_target, target_values, value_for_a_change
from chatops.bot.agent.candidate import Candidate
from chatops.bot.agent.clause_scope import acts_on_another_object
from chatops.bot.agent.clauses import opens_with, without_until_clauses
from chatops.bot.agent.entities import (
    extract_entities,
    name_words,
    stem,
    without_quoted,
    words_of,
)
from chatops.bot.agent.lexicon import (
    EXPLAIN,
    HOW_TO,
    KNOWLEDGE,
    LIGHT_VERBS,
    LOOK_VERBS,
    OPPOSITE_CLASSES,
    QUESTION,
    QUESTION_END,
    REQUEST_SPLIT,
)
from chatops.bot.agent.moved_to import moved_to_a_value
from chatops.bot.agent.not_asked import undone_writes, writes_told_as_done
from chatops.bot.agent.noun_orders import noun_ordered
from chatops.bot.agent.request_parts import only_a_story, tells_states_only
from chatops.bot.agent.tool_score import score_tool
from chatops.bot.agent.tool_words import (
    says_whole_name,
    summary_stems,
    typo_of,
)
from chatops.bot.agent.twin_changes import switch_asked, twin_asked
from chatops.bot.agent.unserved import unserved_orders
from chatops.bot.agent.value_orders import value_ordered
from chatops.bot.agent.weights import (
    ACTION_POINTS,
    ACTION_SIMILARITY,
    CLEAR_MARGIN,
    MIN_SCORE,
    MIN_SIMILARITY,
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


def _closest(similarity: float, top: float, runner_up: float) -> bool:
    """Whether a tool is the one the request means: the closest, and either close enough or
    clearly closer than any other."""
    if similarity < top - SIMILARITY_TIE:
        return False
    return similarity >= MIN_SIMILARITY or (similarity >= MIN_SIMILARITY - 0.08 and similarity - runner_up >= 0.08)


# actions that put things off and those that put them on: an order of one is never a tool of the
# other found by meaning ("turn the sprinklers off" for "start overhead frost sprinkling")
_OFF = frozenset({"disable", "shutdown", "suspend"})
_ON = frozenset({"enable", "create", "resume"})
_POLES = ((_OFF, _ON), (_ON, _OFF))


def _the_other_pole(candidate: Candidate, actions: frozenset[str]) -> bool:
    """Whether the request's verbs put things one way (off, on) and the change the other."""
    own = set(tool_actions(candidate.spec))
    return candidate.spec.risk is not Risk.read and not candidate.action_hit and \
        any(actions and actions <= one and own and own <= other for one, other in _POLES)


def _clearly_asked(candidate: Candidate, top_similarity: float, question: bool = False,
                   runner_up: float = 0.0, looking: bool = False,
                   targets: frozenset[tuple[str, ...]] = frozenset(), actions: frozenset[str] = frozenset(),
                   wording: str = "") -> bool:
    """A tool that changes something is only offered when the request asks for that action:
    its action word in an order's verb position ("restart nginx", "can you bounce the worker";
    not its subject: "nginx -t" does not ask for `nginx_reload`), two of its words ("the search
    deployment ... 8 pods"), or, by meaning, when it is the tool the request is closest to and
    clearly so ("evacuate node-7" for `drain_node`), and it takes the value the request changes
    something to (`targets`): "change report-mailer's schedule to 07:30" is no run of it now; and
    never when the request's verb (`actions`) puts things off and the tool puts them on, or back."""
    if candidate.spec.risk is Risk.read:
        return True
    if candidate.action_hit:
        return True
    if _the_other_pole(candidate, actions):
        return False  # "turn the sprinklers off on block 6": an order to switch off is no start, whatever it shares
    if len(candidate.matched) >= 2 and not question and (not looking or says_whole_name(candidate.spec, wording)):
        return True  # "what action items are open?" names `add_action_item`'s words, and asks for none
    similarity = candidate.similarity
    if looking or candidate.subject_opens:  # "just show me the deferred queue", "errors in checkout-web":
        return False  # an order to look, or a subject named, is not a change found by meaning
    return not question and similarity is not None and similarity >= ACTION_SIMILARITY and \
        similarity >= top_similarity and similarity - runner_up >= SIMILARITY_TIE and \
        not leaves_a_target(candidate, targets | lasting_for(wording))


def _grant_the_action(candidate: Candidate, said: str, why: str) -> None:
    """Count the request's words `said` as the candidate's action, for the reason `why`."""
    candidate.score = round(candidate.score + SYNONYM_POINTS, 2)
    candidate.matched.append(said)
    candidate.labels.append(f"+{SYNONYM_POINTS:g} {why}")
    candidate.verb_hit = candidate.action_hit = True


def _asked_without_its_verb(scored: list[Candidate], wording: str, text: str) -> None:
    """Changes an order asks for without their verb: "put svl-03 back in service" for the way back
    its description tells (`unstow_antenna`), "go to backup" for the one change that takes `backup`,
    "take the stoppage off mt_017" for the one of two stoppage changes that ends it."""
    if (by_noun := noun_ordered(scored, wording)) is not None:
        for candidate in scored:
            if candidate.name == by_noun[0] and not candidate.action_hit:
                _grant_the_action(candidate, by_noun[1], f"{by_noun[1]!r} (puts on or takes off what it does)")
    back = brought_back(scored, wording, text)
    moved = moved_to_a_value(scored, wording) if not back else {}
    if not back and not moved and (ordered := value_ordered(scored, text)) is not None:
        candidate = next(c for c in scored if c.name == ordered[0])
        if not candidate.action_hit:  # "northgate, late start till further notice"
            _grant_the_action(candidate, ordered[1], "orders the value it sets, with no verb")
    for candidate in scored:
        if candidate.action_hit or candidate.name not in back | set(moved):
            continue
        if candidate.name in back:
            _grant_the_action(candidate, "back", "brings it back, as its description says")
        else:
            _grant_the_action(candidate, moved[candidate.name], "moves it to a value it takes")


def _twin_asked(scored: list[Candidate], asked: set[str], wording: str) -> None:
    """Of two changes named by where they send a thing, the one the request sends it (`asked`),
    with a verb of switching and no verb of its own ("mains on K2 has failed, swap it over")."""
    switching = switch_asked(wording) if asked else None
    for candidate in scored:
        if switching and candidate.name in asked and not candidate.action_hit:
            _grant_the_action(candidate, switching, f"{switching!r} (switches it to where this sends it)")


Meaning = Callable[[str], Mapping[str, float]]
"""The similarity of a text to each tool by meaning, by tool name (`bot.agent.meaning`)."""


def rank_tools(text: str, tools: list[ToolSpec], meaning: Meaning | None = None) -> list[Candidate]:
    """Every tool that could serve the request, best first (score ≥ MIN_SCORE; write-risk
    tools only when clearly asked for). With `meaning`, each tool's similarity to the request
    adds to its score, and a tool with none of its words in the request can still be the
    candidate when it is the closest by meaning and the request holds every argument it needs."""
    entities = extract_entities(text)
    actions = asked_actions(entities.wording)
    every = [score_tool(spec, entities) for spec in tools]
    # "n-07 can go back on auto": the way back its description tells is asked, though "go back" is
    # also a rollback's phrase and the tool's "release" a deploy's word
    question = bool(QUESTION.search(text.strip()))
    # "BF400A is on high", "021 is back to normal": a state told orders nothing; nor does "lcoks status"
    if tells_states_only(text) or asks_for_a_look(text):
        every = [candidate for candidate in every if candidate.spec.risk is Risk.read]
    back = brought_back(every, entities.wording, entities.text) if not question else set()
    # "put a stoppage on mt_014" asks for `lock_stoppage`, though "put * on" is also the lexicon's "add"
    if not question and (by_noun := noun_ordered(every, entities.wording)) is not None:
        back = back | {by_noun[0]}
    scored = [candidate for candidate in every if candidate.name in back or not _undoes(candidate, actions)]
    undone = undone_writes(scored, entities.wording)  # "unarchive inc-5512" archives nothing
    done = writes_told_as_done(scored, entities.wording)  # "we archived inc-5512 already"
    ceased = [c for c in scored if undone.get(c.name, "").startswith("stop ")]
    scored = [c for c in scored if c.name not in undone and c.name not in done]
    if ceased and (restoring := way_back_from(ceased, scored)) is not None:
        candidate = next(c for c in scored if c.name == restoring)
        if not candidate.action_hit:
            _grant_the_action(candidate, undone[ceased[0].name], f"ends {ceased[0].name}'s action: its way back")
    if not question:
        _asked_without_its_verb(scored, entities.wording, entities.text)
        # "main tx has tripped, change over": not back onto main
        asked_twins, left_twins = twin_asked(scored, entities.wording)
        _twin_asked(scored, asked_twins, entities.wording)
        scored = [c for c in scored if c.name not in left_twins]
    offered = {spec.name: spec for spec in tools}
    # what an "until" clause says ("till I say stop") tells when, so it is not what the request means to do
    similarity = {name: value for name, value in (meaning(measured_text(text)) if meaning is not None else {}).items()
                  if name in offered}
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
                not _left_to_ask(candidate):
            # "the cert expires tomorrow, renew it": an action asked for beats a read of the same thing
            # (and so does one whose target the request names twice over: "unpause the 500 and the 600")
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
    asked = [c for c in candidates
             if _clearly_asked(c, top, question, runner_up, looking, targets, actions, entities.wording)
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
    how_to = bool(HOW_TO.search(text))
    if how_to:  # "how do I roll back a release?" asks how, not for the rollback
        if not _asks_more_than_how(text):
            return []  # nor for a read its values happen to fit ("how do I start a postmortem for INC-2291?")
        candidates = [c for c in candidates if c.spec.risk is Risk.read]
    if not candidates and not named_a_change:
        candidates = by_values(scored, entities, question, top)
        if how_to:  # "if we raise FB04 do the buses get through? the depot's on it": FB04 is no order either
            candidates = [c for c in candidates if c.spec.risk is Risk.read]
    elif all(c.filled.missing for c in candidates) and not named_a_change:
        # "check ledger-sync in eu": `tcp_check` has the verb and no port; the job status takes
        # every value the request gives, and leads those that would have to ask for one
        complete = by_values(scored, entities, question, top)
        # (a change found by its values never stands in for another change whose action is asked and
        # that only lacks a value: "give P14 another 500 minutes" is no clamp of P14)
        # (but "stop feeding RFT:012" for `set_feeder` beside a `close_shutter` that has none of its values)
        complete = [c for c in complete if c.spec.risk is Risk.read or not any(
            x.action_hit and x.filled.args and x.filled.args.items() <= c.filled.args.items() for x in candidates)]
        for candidate in complete:
            candidate.score = max(candidate.score, round(max(c.score for c in candidates) + CLEAR_MARGIN, 2))
        candidates = complete + candidates
    elif not question and not how_to:
        candidates = value_for_a_change(candidates, scored, entities, top) + candidates
    parts = [part for part in REQUEST_SPLIT.split(entities.wording) if part and part.strip()]
    if len(parts) == 1:
        verbs = change_verbs_asked(entities.wording) | frozenset(undone.values()) | \
            unserved_orders(entities.wording, tools)
    else:  # "can you ring the engineer and get him in": the order that opens the message
        verbs = unserved_orders(parts[0], tools) if parts else frozenset()
    if verbs:  # "upload a new k6 script": an order for a change no read's words name is no read
        candidates = [c for c in candidates if not _beside_the_change(c, verbs)]
    candidates = [c for c in candidates if not _the_other_pole(c, actions)]  # nor found by its values
    if only_a_story(entities.wording):  # "P14 paid for an hour, don't clamp it": no order to extend the ticket
        candidates = [c for c in candidates if c.spec.risk is Risk.read or c.action_hit]
    _complete_read_first(candidates, text)
    # at equal scores, the tool the request's values fill ("unpause the 500 and the 600": the queue
    # whose instruments they are) before one that would have to ask for a value it never got
    return sorted(candidates, key=lambda c: (-c.score, _left_to_ask(c), tools.index(c.spec)))


def _left_to_ask(candidate: Candidate) -> int:
    """How many required values the request gives the tool nothing for (a value two candidates fit
    is given, and asked between)."""
    return sum(param.name not in candidate.filled.ties for param in candidate.filled.missing)


# nouns that, ending a short request, ask to see the thing before them ("locks status", "dome staus")
_LOOK_NOUNS = frozenset({"status", "overview", "summary", "state", "health"})


def asks_for_a_look(text: str) -> bool:
    """Whether a short request is a thing and a noun of looking ("lcoks status", "turnstile
    overveiw", typed in a hurry): it asks to see, like a question, and orders no change; its first
    word is a noun there, never a verb ("lock")."""
    words = words_of(text)
    while words and words[-1].lower() in _COURTESY:  # "gritting staus pls": the look is asked all the same
        words = words[:-1]
    if not 2 <= len(words) <= 4:
        return False
    last = words[-1].lower()
    return last in _LOOK_NOUNS or typo_of(last, _LOOK_NOUNS) is not None


_COURTESY = frozenset({"please", "pls", "plz", "thanks", "thx", "ta", "asap", "now"})


def measured_text(text: str) -> str:
    """The words of a request its meaning is measured on: without quoted output and "until"
    clauses."""
    return without_until_clauses(without_quoted(text))


# "which schools have zones muted?", "any bays closed?": a question over all of the things
_OVER_ALL = re.compile(r"^\W*(?:which|what|any)\s+(?:of\s+the\s+)?(?!(?:does|is|was|has|goes|says)\b)[a-z]+s\b",
                       re.IGNORECASE)


def _complete_read_first(candidates: list[Candidate], text: str) -> None:
    """ "main house rig status": a look that would have to ask for a value the request does not
    give (one fixture's address) yields to a look that takes every value it gives (the venue's
    fixtures) and scores within one word of it; a look costs nothing to run, a question a turn."""
    if not candidates:
        return
    top = max(candidates, key=lambda c: c.score)
    if top.spec.risk is not Risk.read or not top.filled.missing:
        return
    # the values it shares with the top written in the request, not a plain word guessed for want of one;
    # with none given ("which schools have zones muted?"), the look over all of them
    complete = [c for c in candidates if c.spec.risk is Risk.read and not c.filled.missing
                and (set(c.filled.args) - c.filled.guessed or (not top.filled.args and _OVER_ALL.match(text)))
                and c.score >= top.score - WORD_POINTS
                and set(top.filled.args.items()) <= set(c.filled.args.items())]
    if len(complete) == 1:
        complete[0].score = round(top.score + CLEAR_MARGIN, 2)
        complete[0].labels.append(f"+ takes every value given; {top.name} would ask for one")


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
