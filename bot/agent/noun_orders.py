"""Orders that name a change by its thing, with a light verb of putting on or taking off: "put a
stoppage on mt_014" for `lock_stoppage`, "take the stoppage off mt_017" for `lift_stoppage`, "take
her off divert" for `end_divert`.

Why: teams name such changes by the thing they put on or take off (a stoppage, a hold, a divert)
with a verb of their own (lock, lift, end), and people say "put a … on" and "take … off". The
thing is in both tools' names, so it cannot choose; the way can: taking off asks for the one whose
verb ends or removes, by WordNet (end, remove, lift, cancel, stop, release), putting on for the
one whose verb does not."""

from __future__ import annotations

import re

from chatops.bot.agent.candidate import Candidate
from chatops.bot.agent.entities import stem, words_of
from chatops.bot.agent.tool_words import own_name_words
from chatops.bot.agent.verb_senses import means
from chatops.bot.model import Risk

# "put a stoppage on", "slap a hold on", "stick an embargo on" (a new one: not "put the divert on
# 2290 on hold", and not "get a stoppage on mt_014 lifted")
_PUT_ON = re.compile(r"\b(?:put|place|slap|stick)\s+(?:a|an)\s+([a-z]+)\s+(?:on|onto)\b", re.IGNORECASE)
# "take the stoppage off mt_017", "get the hold off it", "lift the stoppage on mt_017"
_TAKE_OFF = re.compile(r"\b(?:take|get|pull)\s+(?:the|its|their|her|his|that)\s+([a-z]+)\s+off\b"
                       r"|\blift\s+(?:the|its|their|that)\s+([a-z]+)\b"
                       # "take her off divert", "get 2290 off the divert"
                       r"|\b(?:take|get|bring)\s+\S+\s+off\s+(?:the\s+|its\s+)?([a-z]+)\b", re.IGNORECASE)
_ENDING = ("end", "remove", "lift", "cancel", "stop", "release")


def _ends(verb: str) -> bool:
    return any(means(verb, ending) for ending in _ENDING)


def noun_ordered(scored: list[Candidate], wording: str) -> tuple[str, str] | None:
    """(the change asked for, the phrase that asks it), when exactly one write fits."""
    for pattern, taking in ((_TAKE_OFF, True), (_PUT_ON, False)):
        for match in pattern.finditer(wording):
            if not _opens_an_order(wording, match.start()) or _asked_as_a_question(wording, match.end()):
                continue  # "we put a stoppage on mt_014 yesterday", "lift the stoppage on mt_014?"
            thing = stem(next(group for group in match.groups() if group))
            named = [c for c in scored if c.spec.risk is not Risk.read
                     and thing in {stem(word) for word in own_name_words(c.spec)}]
            if len(named) < 2:
                continue  # one tool with the thing in its name: its own words decide
            fitting = [c for c in named if _ends(own_name_words(c.spec)[0]) == taking
                       and stem(own_name_words(c.spec)[0]) != thing]
            if len(fitting) == 1:
                return fitting[0].name, match.group(0)
    return None


def _opens_an_order(wording: str, at: int) -> bool:
    """Whether the verb at `at` opens a clause, or follows only a lead word ("just", "please")."""
    before = re.split(r"[,;:.!?\n]", wording[:at])[-1]
    return all(word in _LEADS for word in words_of(before))


_LEADS = frozenset({"just", "please", "pls", "and", "then", "now", "so", "can", "could", "you", "ok", "okay"})


def _asked_as_a_question(wording: str, at: int) -> bool:
    """Whether the clause the phrase is in ends with a question mark."""
    rest = re.split(r"[,;:.!\n]", wording[at:])[0]
    return "?" in rest
