"""A read asked about no one thing: "screen overview", "fly bar overview". The read of one screen
needs a screen the request does not name; the listing of every screen needs nothing, and is what
the person asked to see.

Why a rule of its own: the ranking scores both reads on the same noun ("screen", "screens") and
meaning puts "overview" near either; asking "which screen?" answers a question nobody asked,
while the listing answers it and shows which one to look at next."""

from __future__ import annotations

from chatops.bot.agent.candidate import Candidate
from chatops.bot.agent.entities import stem
from chatops.bot.agent.weights import CLEAR_MARGIN
from chatops.bot.model import Risk


def listing_instead(ranking: list[Candidate]) -> Candidate | None:
    """The complete read to plan instead of the best one, when the best is a read that misses a
    required value and a read just behind it (within the clear margin) has every value it needs
    and names the same thing (a word of the same stem: "screen", "screens")."""
    if not ranking:
        return None
    best = ranking[0]
    if best.spec.risk is not Risk.read or not best.filled.missing or best.filled.args:
        return None
    named = {stem(word) for phrase in best.matched for word in phrase.split()}
    for other in ranking[1:]:
        if best.score - other.score >= CLEAR_MARGIN:
            break
        if other.spec.risk is Risk.read and not other.filled.missing and \
                named & {stem(word) for phrase in other.matched for word in phrase.split()}:
            return other
    return None
