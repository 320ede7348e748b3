"""Whether the user's own words ask for a tool's action: the review's test for a step that
changes something, when the turn also carries data (an image's text, a file, a tool's output).

Sharing a word is not asking. "is the web service ok?" shares "service" with `restart_service`,
and "what's the git status of /srv/app?" shares "git" with `git_reset`, yet neither asks to
restart or to reset. So a change counts as asked for only when one clause of the user's own words
asks for that action the way the planner reads an order (`bot.agent.ranking`):

- the tool's own action word (its name's verb, its description's first word, a synonym of them,
  a typo of them) stands where an order puts its verb ("restart nginx", "can you bounce it");
- or the request's verb is one of the tool's values ("enable dark_mode");
- or, by meaning (`bot.agent.meaning`), the clause is closest to this tool of all, clearly, and
  is not a question ("evacuate node-7" for `drain_node`).

This holds for every planner, the embedded one and any LLM: it runs in the hub's review.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from chatops.bot.agent import meaning as semantics
from chatops.bot.agent.entities import entities_ready, extract_entities, warm_entities
from chatops.bot.agent.lexicon import QUESTION, REQUEST_SPLIT
from chatops.bot.agent.planning import PlanRequest
from chatops.bot.agent.provenance import turn_sources
from chatops.bot.agent.tool_score import score_tool
from chatops.bot.agent.weights import ACTION_SIMILARITY, SIMILARITY_TIE
from chatops.bot.model import Plan, Risk
from chatops.tools.registry import ToolSpec


def asks_for(spec: ToolSpec, own_texts: Iterable[str], offered: Iterable[ToolSpec] = ()) -> bool:
    """Whether one clause of the user's own words asks for `spec`'s action (see the module)."""
    described = [semantics.described(tool) for tool in offered] or [semantics.described(spec)]
    if spec.name not in {name for name, _ in described}:
        described.append(semantics.described(spec))
    own_texts = list(own_texts)
    if _undoes_what_was_asked(spec, own_texts, list(offered)):
        return True
    for text in own_texts:
        for clause in [text, *REQUEST_SPLIT.split(text), *_conditional_action(text)]:
            if not clause or not clause.strip():
                continue
            if score_tool(spec, extract_entities(clause)).action_hit or _ranked_as_asked(spec, clause, offered):
                return True
            if QUESTION.search(clause.strip()):
                continue
            similarity = semantics.cached_similarities(clause, described)
            if similarity and _clearly_closest(spec.name, similarity):
                return True
    return False


def _conditional_action(text: str) -> list[str]:
    """ "check the tower zone and if 0731 is still out of service, put it back": the action with
    the thing its condition names ("put 0731 back"), as the planner reads it after the check."""
    from chatops.bot.agent.conditions import action_on_subject, split_conditional  # imports ranking

    conditional = split_conditional(text)
    return [action_on_subject(conditional)] if conditional is not None else []


def _ranked_as_asked(spec: ToolSpec, clause: str, offered: Iterable[ToolSpec]) -> bool:
    """Whether the planner's ranking reads the clause as an order for this change though its own
    word is not there: a way back its description tells ("put 0731 back"), a thing put on or taken
    off, a twin switched to (`bot.agent.ranking`); each from the clause's own words."""
    from chatops.bot.agent.ranking import rank_tools  # imports this module's neighbours

    tools = list(offered) or [spec]
    return any(candidate.name == spec.name and candidate.action_hit for candidate in rank_tools(clause, tools))


def _undoes_what_was_asked(spec: ToolSpec, own_texts: list[str], offered: list[ToolSpec]) -> bool:
    """ "add jdoe to sre-oncall", then "undo that": the user's own words ask for the inverse of a
    change they asked for earlier in the thread (`bot.agent.undo`), as surely as if they had named it."""
    from chatops.bot.agent.undo import INVERSE_CLASSES, UNDO, action_class  # imports ranking, as this does

    if not any(UNDO.search(text) for text in own_texts):
        return False
    earlier = [text for text in own_texts if not UNDO.search(text)]
    inverse = {INVERSE_CLASSES.get(action_class(other) or "") for other in offered
               if other.name != spec.name and other.risk is not Risk.read and asks_for(other, earlier, offered)}
    return action_class(spec) in inverse


async def prepare_review(plan: Plan, request: PlanRequest, specs: Iterable[ToolSpec]) -> None:
    """Embed the user's own clauses in a worker thread when the review will ask what they mean (a
    change proposed in a turn that carries data), so `asks_for` never computes on the event loop;
    and load what the review's word checks read (the suffix list, the English words) the first
    time, whichever planner made the plan."""
    if not entities_ready():
        await asyncio.to_thread(warm_entities)
    offered = {spec.name: spec for spec in specs}
    if not any(offered.get(step.tool) and offered[step.tool].risk is not Risk.read for step in plan.steps):
        return
    sources = turn_sources(request.text, history=request.history, executed=request.executed,
                           earlier=request.earlier, specs=offered)
    if not sources.has_data():
        return
    clauses = [part for item in sources.own for part in [item.text, *REQUEST_SPLIT.split(item.text)]
               if part and part.strip()]
    described = [semantics.described(spec) for spec in offered.values()]
    await asyncio.to_thread(semantics.warm, clauses, described)


def _clearly_closest(name: str, similarity: dict[str, float]) -> bool:
    ranked = sorted(similarity.values(), reverse=True)
    mine = similarity.get(name, 0.0)
    runner_up = ranked[1] if len(ranked) > 1 else 0.0
    return mine >= ACTION_SIMILARITY and mine >= ranked[0] and mine - runner_up >= SIMILARITY_TIE
